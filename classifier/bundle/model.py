"""A loaded bundle: the one public way to score, rank, accept and explain; nothing outside reaches into its
estimator."""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.bundle.suggestion import Suggestion
from classifier.corpus.release import parse_release
from classifier.errors import UsageError, warn_user
from classifier.estimator.scope import judged_texts, scope_flags_of_counts, scope_reading, short_flags, word_counts
from classifier.estimator.windows import read_windowed, score_in_chunks, split_windows
from classifier.io.formats import MissingExtraError, is_missing, is_pandas_table, iterated_for_keys
from classifier.io.textio import MAX_TEXT_ENV, max_text_chars
from classifier.options import whole_number


@dataclass(frozen=True)
class Reading:
    """What the model makes of a batch of texts: each field's probability, the accepted fields (0/1)
    and each text's flag (None, or why no field is accepted: "language", "out-of-scope", "too-short")."""

    proba: np.ndarray
    accepted: np.ndarray
    flags: list[str | None]


def check_cutoffs(limit: int | None = None, threshold: float | None = None) -> None:
    """Refuse a `limit` that is not a whole number from 0 up, or a `threshold` outside 0..1, in one line."""
    if limit is not None and not is_whole(limit, 0):
        raise UsageError(f"limit {limit!r}: expected a whole number of fields, 0 or more")
    if threshold is not None:
        number = isinstance(threshold, (int, float, np.integer, np.floating)) and not isinstance(threshold, bool)
        value = float(threshold) if number else math.nan  # a string such as "0.05" is refused, as a limit's is
        if not number:  # a Decimal or Fraction, which the scores (floats) are not compared with
            raise UsageError(f"threshold {threshold!r}: expected a score from 0 to 1, as an int or float")
        if not 0.0 <= value <= 1.0:  # NaN fails both
            raise UsageError(f"threshold {threshold!r}: expected a score from 0 to 1")


SCORE_PLACES = 4  # every output rounds scores to this many decimal places


def is_whole(value, minimum: int) -> bool:
    """Whether `value` is a whole number (options.whole_number) of at least `minimum`."""
    number = whole_number(value)
    return number is not None and number >= minimum


def apply_cutoffs(proba, accepted=None, limit: int | None = None, threshold: float | None = None) -> np.ndarray:
    """The fields accepted at suggestion time, chosen as Annif's `threshold` and `limit` choose them (0/1, shaped
    like `proba`).

    With `threshold`, a field is accepted when its score, rounded to four places as every output shows it,
    reaches it, for every field alike: it replaces the model's own per-field thresholds and rule, whose choice
    is `accepted`. (So a row never shows an accepted score below the threshold, nor a score that reaches it
    left out.) With `limit`, at most that many
    of the accepted fields are kept, the best scoring first (ties in taxonomy order, as the suggestions rank).
    With neither, `accepted` unchanged. Every way of suggesting (`Model.read`, the REST API) cuts so.
    """
    check_cutoffs(limit, threshold)
    proba = np.asarray(proba, dtype=float)
    if threshold is not None:
        chosen = np.round(proba, SCORE_PLACES) >= float(threshold)
    else:
        chosen = np.asarray(accepted, dtype=bool).copy()
    if limit is not None and proba.size:
        # Ranked among the accepted fields alone: a better field the model does not accept takes no place.
        order = np.argsort(np.where(chosen, -proba, np.inf), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(proba.shape[1]), proba.shape), axis=1)
        chosen &= rank < limit
    return chosen.astype(np.int8)


def check_loaded(model) -> None:
    """TypeError unless `model` is a loaded Model (a path is not: load it first)."""
    if not isinstance(model, Model):
        raise TypeError(f"expected a loaded Model (classifier.load_model(PATH)), not {type(model).__name__}")


def _text_list(texts, name: str = "texts") -> list[str]:
    """The texts as a list, each a str: one string is refused (it would be read as texts of one character each),
    and so is an item that is not text (None, a number, bytes), naming the argument (`name`) and the item's place."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name}: expected a list of texts, not one text (Model.suggest reads one)")
    not_texts = iterated_for_keys(texts)
    if not_texts:
        raise TypeError(f"{name}: expected a list of texts, not {not_texts}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] is {type(text).__name__}, not text")
    return texts


def _one_text(text) -> str:
    """`text` if it is a str; else a TypeError naming the argument and what it is (a path is not read)."""
    if not isinstance(text, str):
        hint = ""
        if isinstance(text, os.PathLike):
            hint = " (a file: classifier.read_documents, then Model.suggest_documents)"
        elif isinstance(text, (bytes, bytearray)):
            hint = " (decode it first)"
        raise TypeError(f"text is {type(text).__name__}, not text{hint}")
    return text


def document_list(documents, caller: str) -> list:
    """The documents as a list, for `caller` (a function's name, for the message): a DataFrame, texts or anything
    else that is not a document (with a `model_text` and an `error`, as `read_documents` gives them) is a TypeError
    in one line saying what was given and what to pass instead, worded as `Model.suggest_stream`'s."""
    wanted = f"{caller} takes documents (from read_documents)"
    if is_pandas_table(documents):
        raise TypeError(f"{wanted}, not a pandas {type(documents).__name__}; for a DataFrame, use Model.tag_frame")
    if isinstance(documents, (str, bytes)):
        raise TypeError(f"{wanted}, not one text; for a text, use Model.suggest")
    documents = list(documents)
    for i, doc in enumerate(documents):
        if not (hasattr(doc, "model_text") and hasattr(doc, "error")):
            instead = "for texts, use Model.suggest_many" if isinstance(doc, str) else "read files with read_documents"
            raise TypeError(f"{wanted}, not {type(doc).__name__} (documents[{i}]); {instead}")
    return documents


def _cut_texts(texts: list[str], names: Sequence[str] | None = None) -> list[str]:
    """The texts, each cut at CLASSIFIER_MAX_TEXT characters as `classifier suggest` cuts a file, with a warning
    (UserWarning, at the user's line however deep the call: `warn_user`) naming each one cut (`names`, else
    `texts[i]`), worded as the command line's."""
    limit = max_text_chars()
    for name, text in zip(names or [f"texts[{i}]" for i in range(len(texts))], texts):
        if len(text) > limit:
            warn_user(f"{name}: text cut at {limit:,} characters (the {MAX_TEXT_ENV} limit)")
    return [text[:limit] for text in texts]


# One word ending in a file's extension: what a text is not, and a file's name is; a web or e-mail address ends
# like one and is none.
_FILE_NAME = re.compile(r"\S{1,255}\.[A-Za-z][A-Za-z0-9]{0,4}")
_ONE_WORD = re.compile(r"\S{1,512}")
_ADDRESS = re.compile(r"(?i)(?:https?:|www\.|[^@]*@)")


def _warn_file_names(texts: list[str], names: Sequence[str]) -> None:
    """A UserWarning for each text that is a file's name rather than a text ("report.pdf", "docs/long.txt"): it
    would be scored as the two or three words it is, and get a field."""
    for name, text in zip(names, texts):
        word = text.strip()
        if not _ONE_WORD.fullmatch(word) or _ADDRESS.match(word):
            continue
        if _FILE_NAME.fullmatch(word) or os.path.exists(word):
            warn_user(
                f"{name}: {word!r} looks like a file's name, not its text; to read a file: "
                "classifier.read_documents, then Model.suggest_documents"
            )


def _no_text(name: str, cut: bool) -> str:
    """The error of a text with nothing to read once parsed, worded as `read_documents` words a file's (a cut that
    left only menus says it was the cut)."""
    return f"{name}: no text" + (
        f" before its text cut at {max_text_chars():,} characters (the {MAX_TEXT_ENV} limit)" if cut else ""
    )


def _failed_suggestion(doc) -> Suggestion:
    """The suggestion of a document that failed to read: its error, no field and no score."""
    return Suggestion(doc.title, [], [], error=doc.error)


def _cell(value):
    """A DataFrame cell as a table row's value: a missing one (None, NaN, pandas' NA or NaT) is absent."""
    return None if is_missing(value) else value


def _frame_record(index, names: list, row, limit: int):
    """A DataFrame row as the record of a table row: its cells by column, a text cut at `limit` characters as
    `classifier tag` cuts a table cell, with the warning tag writes."""
    from classifier.corpus.documents import Record, cut_warning  # with pandas: not at start-up

    cells = dict(zip(names, map(_cell, row)))
    cut = [name for name, value in cells.items() if isinstance(value, str) and len(value) > limit]
    for name in cut:
        cells[name] = cells[name][:limit]
    return Record(str(index), f"row {index}", row=cells, warning=cut_warning(f"row {index}", limit) if cut else None)


def model_fingerprint(metadata: dict) -> str:
    """The sha256 that names a bundle: of its model.json as saved (which holds its other files' checksums, its
    parameters and its fields), so that a bundle with any file changed, model.json's settings included, has
    another name. A bundle without checksums (saved before them): of its labels."""
    if not metadata.get("payload_sha256"):
        identity = metadata.get("labels") or []
    else:  # as saved: fields renamed by the taxonomy since do not change which model it is
        identity = {key: value for key, value in metadata.items() if key != "labels_as_trained"}
        identity["labels"] = metadata.get("labels_as_trained", metadata.get("labels"))
    return hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class Model:
    """A loaded bundle: label names, the fitted estimator and its metadata.

    Texts given to `predict_proba` and `suggest` are pages or plain text: each is parsed first, so a
    scraped page's menus never count. Documents (from `classifier.corpus.documents`) are parsed already.
    """

    def __init__(self, estimator, metadata: dict, path: Path | None = None, trained_on: frozenset | None = None):
        self.estimator = estimator
        self.metadata = metadata
        self.path = path  # as given, for showing
        # Where the bundle is whatever the working directory becomes: its stored documents are read from there.
        self.location = Path(os.path.abspath(path)) if path is not None else None
        # A model trained and held in memory, with no bundle to read them from: the identities of the documents it
        # was trained on (`datasets.document_key`), so that evaluating or comparing it leaves them out too.
        self.trained_on = trained_on

    @property
    def labels(self) -> list[str]:
        return list(self.metadata["labels"])

    @property
    def flags(self) -> dict[str, str]:
        """Fields known from their taxonomy keywords alone ("zero-shot") or from few examples ("low-confidence")."""
        labels = dict(zip(self.metadata.get("labels_as_trained", self.labels), self.labels))
        flags = {
            labels[label]: "low-confidence"
            for label in self.metadata.get("low_confidence_fields", [])
            if label in labels
        }
        flags.update(
            {labels[label]: "zero-shot" for label in self.metadata.get("zero_shot_fields", []) if label in labels}
        )
        return flags

    @property
    def fingerprint(self) -> str:
        """The bundle's hash (of its model.json, which holds its other files' checksums): tag rows, `suggest
        --format json`, `pick` and `evaluate` record it as `model`, so every output names the exact model that made
        it, settings included."""
        return model_fingerprint(self.metadata)

    @property
    def thresholds(self) -> np.ndarray:
        """Each field's probability threshold, in the order of `labels`."""
        return self.estimator.thresholds_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of shape (len(texts), len(labels)); each text is parsed first, so menus never count.
        A long text's probability of a field is its highest over the text's windows (see `read`). A text with
        nothing to read once parsed (empty, blank, or a page's menus alone) still has a row, the scores of an empty
        text, which say nothing about it: `suggest` and `suggest_many` give it an error ("no text") instead."""
        return self.read_pages(texts).proba

    def read_pages(self, texts: Sequence[str], limit: int | None = None, threshold: float | None = None) -> Reading:
        """`read` for pages or plain texts: each is parsed first, so menus never count."""
        texts = _cut_texts(_text_list(texts))
        return self.read([parse_release(text).model_text for text in texts], limit, threshold)

    def predict_proba_documents(self, documents) -> np.ndarray:
        return self.read_documents(document_list(documents, "predict_proba_documents")).proba

    def read(self, model_texts: Sequence[str], limit: int | None = None, threshold: float | None = None) -> Reading:
        """Probabilities, accepted fields and flags of texts as the model reads them ("title\nbody").

        A text longer than a whole page is read window by window (classifier.estimator.windows); a text
        in another language or out of the model's scope gets no accepted field and its flag
        (classifier.estimator.scope). Every way of scoring a text (suggest, tag, evaluate, compare) reads it so.
        `threshold` (a score every field must reach, in place of the model's per-field thresholds) and
        `limit` (at most that many accepted fields) are Annif's; see `apply_cutoffs`. A flagged text
        accepts no field whatever they say. A text too short to judge (scope.judged_texts) gets a field only
        where one reaches its threshold, and the flag "too-short" where none is accepted.
        """
        check_cutoffs(limit, threshold)  # before any scoring
        model_texts = _text_list(model_texts)
        with_facts = getattr(self.estimator, "predict_proba_and_facts", None)
        if with_facts is not None:  # the scikit-learn-free predictor: the rules' facts come with the features
            read, words = with_facts(model_texts), None
            totals, checked, latin = read[1].scope, read[1].checked, read[1].latin
        else:
            read, words = None, [text.split() for text in model_texts]  # split once for the windows, phrases, scope
            counts = word_counts(self.estimator)
            totals, checked, latin = [counts.of_words(text_words) for text_words in words], counts.checked, None
        judged = judged_texts(totals)  # a text too short to judge gets no field it does not reach
        windowed = read_windowed(self.estimator, model_texts, words=words, read=read, at_least_one=judged)
        flags = scope_flags_of_counts(model_texts, windowed.proba, totals, checked, latin=latin)
        accepted = apply_cutoffs(windowed.proba, windowed.accepted, limit, threshold)
        accepted[[i for i, flag in enumerate(flags) if flag]] = 0
        # "too-short" says why the model's own rule accepts nothing: not where a user's limit or threshold cut what it
        # accepted, nor where a threshold lets a field through.
        return Reading(windowed.proba, accepted, short_flags(flags, judged, windowed.accepted | accepted))

    def read_documents(self, documents, limit: int | None = None, threshold: float | None = None) -> Reading:
        return self.read([doc.model_text for doc in document_list(documents, "read_documents")], limit, threshold)

    def accept(self, proba) -> np.ndarray:
        """0/1 matrix of the fields accepted for each row of `proba`: the model's own thresholds and rule."""
        return self.estimator.accept(proba)

    def features(self, model_texts: Sequence[str]):
        """The texts' feature vectors (sparse rows), as the model sees them; `model_texts` is a list of texts (one
        str is refused, as `suggest_many` refuses one)."""
        return self.estimator.transform(_text_list(model_texts, "model_texts"))

    def explain(self, model_texts: Sequence[str], top: int = 5) -> list[list[list[tuple[str, float]]]]:
        """For each text and each field, the terms that raised the field's score most (see TopicClassifier.explain);
        `model_texts` is a list of texts (one str is refused, as `suggest_many` refuses one).
        A long text, read window by window (see `read`), explains a field by the window that gave the field its
        score, where a window scored it higher than the whole text did: a field found in one section of a report
        is explained by that section's terms."""
        if not is_whole(top, 1):
            raise UsageError(f"top {top!r}: expected a whole number of terms, 1 or more")
        model_texts = _text_list(model_texts, "model_texts")
        explanations = self.estimator.explain(model_texts, top=int(top))
        for i, text in enumerate(model_texts):
            windows = split_windows(text)
            if len(windows) < 2:
                continue
            whole = np.asarray(self.estimator.predict_proba([text]))[0]
            window_proba = score_in_chunks(lambda rows: self.estimator.predict_proba(windows[rows]), len(windows))
            best = window_proba.argmax(axis=0)
            fields = np.flatnonzero(window_proba[best, np.arange(len(best))] > whole)
            chosen = sorted({int(best[j]) for j in fields})
            by_window = dict(zip(chosen, self.estimator.explain([windows[k] for k in chosen], top=top)))
            for j in fields:
                explanations[i][j] = by_window[int(best[j])][j]
        return explanations

    def suggestions_from_proba(self, proba, titles) -> list[Suggestion]:
        """Suggestions from probabilities alone: the model's rule accepts, no text is flagged."""
        return self.suggestions_from_reading(Reading(proba, self.accept(proba), [None] * len(proba)), titles)

    def suggestions_from_reading(self, reading: Reading, titles) -> list[Suggestion]:
        labels = self.labels
        flags = self.flags or None
        out = []
        for row, keep, flag, title in zip(reading.proba, reading.accepted, reading.flags, titles):
            order = sorted(range(len(labels)), key=lambda j: (-row[j], j))
            out.append(
                Suggestion(
                    title=title,
                    labels=[labels[j] for j in order if keep[j]],
                    scores=[(labels[j], float(row[j])) for j in order],
                    flags=flags,
                    flag=flag,
                )
            )
        return out

    def suggest(
        self, text: str, explain: bool = False, limit: int | None = None, threshold: float | None = None
    ) -> Suggestion:
        """Parse one page or plain text and suggest its fields; with `explain`, the terms behind each accepted one.
        `Suggestion.flag` says why no field is accepted, if none is ("language", "out-of-scope", "too-short").
        `limit` and `threshold` choose the accepted fields as Annif's do (see `read`); by default the model's
        own per-field thresholds do. A text over CLASSIFIER_MAX_TEXT characters is cut there, as `classifier
        suggest` cuts a file, with a UserWarning. `text` is the text itself: a file is read by `read_documents`
        and scored by `suggest_documents`. A text with nothing to read once parsed (empty, blank, or a page's menus
        alone) is not scored: its suggestion carries the error `classifier suggest` gives such a file ("text: no
        text"), no field and no score."""
        return self._suggest_pages([_one_text(text)], ["text"], explain, limit, threshold)[0]

    def suggest_many(
        self, texts: Sequence[str], explain: bool = False, limit: int | None = None, threshold: float | None = None
    ) -> list[Suggestion]:
        """`suggest` for many pages or plain texts at once (one matrix product, not one per text); each is cut at
        CLASSIFIER_MAX_TEXT characters as `suggest` cuts one, with a warning naming it (`texts[i]`), and one with
        nothing to read gets a suggestion carrying its error ("texts[i]: no text"), as `suggest` gives it."""
        texts = _text_list(texts)
        return self._suggest_pages(texts, [f"texts[{i}]" for i in range(len(texts))], explain, limit, threshold)

    def _suggest_pages(self, texts: list[str], names: list[str], explain, limit, threshold) -> list[Suggestion]:
        """`suggest_many` of texts named `names` (for warnings and errors), read as `classifier suggest` reads files:
        each parsed, and one with nothing left to read (no title, a blank body) failed, not scored."""
        check_cutoffs(limit, threshold)  # before any scoring, texts with nothing to read or not
        _warn_file_names(texts, names)
        releases = [parse_release(text) for text in _cut_texts(texts, names)]
        good = [i for i, release in enumerate(releases) if release.model_text.strip()]
        scored: list[Suggestion] = []
        if good:
            model_texts = [releases[i].model_text for i in good]
            scored = self.suggestions_from_reading(
                self.read(model_texts, limit, threshold), [releases[i].title for i in good]
            )
            scored = self.with_evidence(scored, model_texts) if explain else scored
        by_place = dict(zip(good, scored))
        max_chars = max_text_chars()
        return [
            by_place[i] if i in by_place else Suggestion("", [], [], error=_no_text(name, len(text) > max_chars))
            for i, (name, text) in enumerate(zip(names, texts))
        ]

    def tag_frame(
        self,
        frame,
        text: str = "text",
        title: str | None = None,
        limit: int | None = None,
        threshold: float | None = None,
    ):
        """A pandas DataFrame with, for each row of `frame`, the accepted fields (`labels`, a list), the text's
        `flag` ("", or why no field is accepted: "language", "out-of-scope", "too-short", as in `tag` rows), the
        `error` that kept a row from being read ("" if none), the `warning` of a row read only in part (a cell over
        CLASSIFIER_MAX_TEXT characters is cut there, as `tag` cuts one; "" if none), the `model` that tagged it
        (its `fingerprint`, as in `tag` rows) and one score column per field
        (`score: <field>`; empty for a row that failed), on the same index. `text` names the column holding pages
        or plain text; `title`, if given, a column of titles. Each row is read as `classifier tag` reads a table
        row: the page is parsed (its menus never count), the title column's title, if any, in place of the page's
        own; a row with neither text nor title, or whose cell is not text, fails. `limit` and `threshold` as in
        `read`."""
        try:
            import pandas as pd  # only DataFrame users need pandas
        except ImportError:
            raise MissingExtraError("tag_frame needs pandas: pip install 'osce-topic-classifier[pandas]'") from None

        from classifier.corpus.documents import Columns, to_document  # with pandas: not at start-up

        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"tag_frame takes a DataFrame, not {type(frame).__name__} (a Series: series.to_frame('text'))"
            )
        for name, column in (("text", text), ("title", title)):
            if not isinstance(column, str) and not (name == "title" and column is None):
                raise TypeError(f"tag_frame: {name} names a column of the frame (a str), not {column!r}")
        for column in (text, title):
            if column is not None and column not in frame.columns:
                raise KeyError(f"no column {column!r} in the frame (columns: {', '.join(map(str, frame.columns))})")
            if column is not None and list(frame.columns).count(column) > 1:
                raise ValueError(
                    f"column {column!r} is in the frame {list(frame.columns).count(column)} times: keep one"
                )
        names = [text] if title is None else [text, title]
        # Only the row's own cells are in its record; "\0" names no column, so neither labels nor ids are read.
        columns = Columns(id="\0", title="\0" if title is None else title, text=text, labels="\0")
        cells = zip(*(frame[name].tolist() for name in names)) if len(frame) else iter(())
        max_chars = max_text_chars()
        documents = [
            to_document(_frame_record(index, names, row, max_chars), columns) for index, row in zip(frame.index, cells)
        ]
        good = [i for i, doc in enumerate(documents) if not doc.error]
        proba = np.full((len(documents), len(self.labels)), np.nan)
        accepted = np.zeros(proba.shape, dtype=np.int8)
        flags = [""] * len(documents)
        if good:
            reading = self.read_documents([documents[i] for i in good], limit, threshold)
            proba[good], accepted[good] = reading.proba, reading.accepted
            for i, flag in zip(good, reading.flags):
                flags[i] = flag or ""
        labels = self.labels
        result = pd.DataFrame({f"score: {label}": proba[:, j] for j, label in enumerate(labels)}, index=frame.index)
        ranked = [[labels[j] for j in np.argsort(-row, kind="stable") if keep[j]] for row, keep in zip(proba, accepted)]
        result.insert(0, "labels", ranked)
        result.insert(1, "flag", flags)
        result.insert(2, "error", [doc.error or "" for doc in documents])
        result.insert(3, "warning", [doc.warning or "" for doc in documents])
        result.insert(4, "model", self.fingerprint)  # every row, failed or not, as tag's rows name it
        return result

    def __repr__(self) -> str:
        data = self.metadata.get("training_data", {})
        micro = self.metadata.get("cv_metrics", {}).get("micro", {}).get("f1")
        where = f" from {self.path}" if self.path else ""
        return (
            f"<Model{where}: {len(self.labels)} fields, trained on {data.get('documents', '?')} documents"
            + (f", cross-validated micro-F1 {micro:.3f}" if micro is not None else "")
            + ">"
        )

    def _repr_html_(self) -> str:
        # The examples were counted under the names the model was trained with: a field renamed since is found
        # by its old name.
        stored = self.metadata.get("label_counts", {})
        counts = {
            label: stored[trained]
            for trained, label in zip(self.metadata.get("labels_as_trained", self.labels), self.labels)
            if trained in stored
        }
        flags = self.flags
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td>{counts.get(label, '')}</td><td>{threshold:.2f}</td>"
            f"<td>{html.escape(flags.get(label, ''))}</td></tr>"
            for label, threshold in zip(self.labels, self.thresholds)
        )
        return (
            f"<p>{html.escape(repr(self))}</p><table><thead><tr><th>field</th><th>examples</th><th>threshold</th>"
            f"<th>flag</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def suggest_documents(
        self, documents, explain: bool = False, limit: int | None = None, threshold: float | None = None
    ) -> list[Suggestion]:
        """One suggestion per document (parsed already), in order; with `explain`, the evidence too;
        `limit` and `threshold` as in `read`. A document that failed to read (its `error`, as `read_documents`
        gives it) is not scored: its suggestion carries the error, no field and no score."""
        check_cutoffs(limit, threshold)  # before any scoring, failed documents or not
        documents = document_list(documents, "suggest_documents")
        read = [doc for doc in documents if not doc.error]
        suggestions = []
        if read:
            reading = self.read([doc.model_text for doc in read], limit, threshold)  # checked above
            suggestions = self.suggestions_from_reading(reading, [doc.title for doc in read])
            if explain:
                suggestions = self.with_evidence(suggestions, [doc.model_text for doc in read])
        scored = iter(suggestions)
        return [_failed_suggestion(doc) if doc.error else next(scored) for doc in documents]

    def suggest_stream(self, documents: Iterable, batch_size: int = 256, **options) -> Iterator[tuple]:
        """(document, suggestion) for each document as it comes, scored `batch_size` at a time so that output
        can follow input (a pipe is answered as it is read); a document that failed to read gets a suggestion
        carrying its error, as `suggest_documents` gives it.
        `options` are `suggest_documents`' (explain, limit, threshold)."""
        if not is_whole(batch_size, 1):
            raise ValueError(f"batch_size must be a whole number of documents, at least 1 (got {batch_size!r})")
        if is_pandas_table(documents) or isinstance(documents, (str, bytes)):  # not a stream of documents
            document_list(documents, "suggest_stream")
        iterator = iter(documents)
        while batch := list(itertools.islice(iterator, int(batch_size))):
            if not all(hasattr(doc, "model_text") for doc in batch):
                raise TypeError("suggest_stream takes documents (from read_documents); for texts, use suggest_many")
            suggestions = iter(self.suggest_documents([doc for doc in batch if not doc.error], **options))
            for doc in batch:
                yield doc, _failed_suggestion(doc) if doc.error else next(suggestions)

    def with_evidence(self, suggestions: list[Suggestion], model_texts: list[str], top: int = 5) -> list[Suggestion]:
        """The suggestions with, for each accepted field, the terms of the text that pushed it most and the
        field's taxonomy phrases the text holds, and for a flagged text what the scope checks read in it."""
        explanations = self.explain(model_texts, top=top)
        named = self.estimator.named_phrases(model_texts)
        index = {label: j for j, label in enumerate(self.labels)}
        return [
            Suggestion(
                s.title,
                s.labels,
                s.scores,
                {label: per_label[index[label]] for label in s.labels},
                s.flags,
                s.flag,
                scope_reading(self.estimator, text) if s.flag else None,
                {label: phrases[index[label]] for label in s.labels if index[label] in phrases},
            )
            for s, per_label, text, phrases in zip(suggestions, explanations, model_texts, named)
        ]
