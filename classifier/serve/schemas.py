"""The shapes of the service's answers, for its OpenAPI document only: clients generated from it get typed objects.

The routes answer plain JSON built by hand and never pass through these (no validation, no second walk over the
answer); tests/test_serve_requests.py holds real answers against the published shapes, so the two cannot drift.
Every shape refuses keys it does not name (`additionalProperties: false`), and a key some answers leave out is
`NotRequired`, not nullable.
"""

from __future__ import annotations

from pydantic import ConfigDict
from typing_extensions import NotRequired, TypedDict  # pydantic's TypedDict on Python 3.11 (fastapi requires it)

_CLOSED = ConfigDict(extra="forbid")


class SuggestionResult(TypedDict):
    """One field suggested, as Annif gives it: `notation` is its id in taxonomy.yaml, `score` rounded to 4 places."""

    __pydantic_config__ = _CLOSED
    uri: str
    label: str
    notation: str
    score: float


class SuggestionResults(TypedDict):
    """Annif's results; `flag` (beyond Annif's answer) where the model abstained: `language` (not English),
    `out-of-scope` (not a text of the kind it was trained on) or `too-short` (a few words, no field reaching its
    threshold: the model's own with `accepted=true`, or the `threshold` given, where the model's own accept none
    either), its results then empty."""

    __pydantic_config__ = _CLOSED
    results: list[SuggestionResult]
    flag: NotRequired[str]


class BatchResult(TypedDict):
    """One document of a batch, in the batch's order, with its `document_id` (null where it gave none), and its
    `flag` where the model abstained on it (as for one text)."""

    __pydantic_config__ = _CLOSED
    results: list[SuggestionResult]
    document_id: str | None
    flag: NotRequired[str]


class Evidence(TypedDict):
    __pydantic_config__ = _CLOSED
    term: str
    weight: float


class ExplainedField(TypedDict):
    """A field's score and the model's decision; `flag` for a low-confidence or zero-shot field, `evidence` (the
    terms that raised its score most) and `named` (its taxonomy phrases the text holds) for an accepted one."""

    __pydantic_config__ = _CLOSED
    uri: str
    label: str
    notation: str
    score: float
    accepted: bool
    flag: NotRequired[str]
    evidence: NotRequired[list[Evidence]]
    named: NotRequired[list[str]]


class Explanation(TypedDict):
    """The title and body the model read, the fields it accepts (`labels`), why it accepts none (`flag`: language,
    out-of-scope, too-short; null otherwise) with what its checks read (`scope`, for a flagged text), and every
    field."""

    __pydantic_config__ = _CLOSED
    title: str
    body: str
    labels: list[str]
    flag: str | None
    scope: NotRequired[dict]
    results: list[ExplainedField]


class Backend(TypedDict):
    __pydantic_config__ = _CLOSED
    backend_id: str


class Vocabulary(TypedDict):
    __pydantic_config__ = _CLOSED
    vocab_id: str
    languages: list[str]
    size: int
    loaded: bool


class ProjectInfo(TypedDict):
    """Annif's Project object, with `model`: the fingerprint of the model that answers (as `tag` rows carry it)."""

    __pydantic_config__ = _CLOSED
    project_id: str
    name: str
    language: str
    backend: Backend
    vocab: Vocabulary
    vocab_language: str
    is_trained: bool
    modification_time: str | None
    model: str


class ProjectList(TypedDict):
    __pydantic_config__ = _CLOSED
    projects: list[ProjectInfo]


class QueueProgress(TypedDict):
    """The queue's counts; `labels_file` is the labels file's name, `field_counts` its documents per field."""

    __pydantic_config__ = _CLOSED
    labelled: int
    left: int
    skipped: int
    queue: int
    not_queued: int
    near_duplicates_left_out: int
    already_trained_left_out: int
    labels_file: str
    labels_file_rows: int
    field_counts: dict[str, int]


class QueueDocument(TypedDict):
    """The next document to review: `origin` is its file's name and place, `suggested` the fields ticked."""

    __pydantic_config__ = _CLOSED
    id: str
    title: str
    text: str
    origin: str
    uncertainty: float
    digest: str
    suggested: list[str]
    explanation: Explanation


class QueueState(TypedDict):
    __pydantic_config__ = _CLOSED
    progress: QueueProgress
    next: QueueDocument | None


class DecisionAnswer(TypedDict):
    __pydantic_config__ = _CLOSED
    saved: bool
    skipped: bool
    id: str
    progress: QueueProgress


class ApiInfo(TypedDict):
    __pydantic_config__ = _CLOSED
    title: str
    version: str


class VocabularyList(TypedDict):
    __pydantic_config__ = _CLOSED
    vocabs: list[Vocabulary]


class Health(TypedDict):
    __pydantic_config__ = _CLOSED
    status: str


class Readiness(TypedDict):
    """Every model loaded (`projects`: their ids), whether a queue is served, and the labels file's name if any."""

    __pydantic_config__ = _CLOSED
    ready: bool
    projects: list[str]
    queue: bool
    labels: str | None
