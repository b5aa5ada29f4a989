"""Train a model from labelled documents and write it as a bundle with its metadata."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from classifier import __version__
from classifier.bundle.checks import PARAMETERS, parameter_problem
from classifier.bundle.documents import TRAINING_FILE, base_summary, read_base_documents, training_documents_file
from classifier.bundle.model import Model
from classifier.bundle.storage import (
    FORMAT_VERSION,
    BundleError,
    bundle_contents,
    check_bundle_target,
    runtime_versions,
    write_bundle,
)
from classifier.corpus.datasets import TrainingDataError, document_key, hash_inputs, load_training_set
from classifier.corpus.documents import (
    DEFAULT_GLOB,
    STDIN,
    Columns,
    Document,
    as_inputs,
    expand_inputs,
    recorded_document,
    recorded_paths,
    spelled_once,
)
from classifier.errors import UsageError, warn_user
from classifier.estimator.evidence import field_phrases
from classifier.estimator.keywords import keyword_document
from classifier.estimator.model import TopicClassifier
from classifier.evaluation.metrics import evaluate
from classifier.io.outputs import output_lock
from classifier.io.tagfiles import escape_surrogates_in
from classifier.io.textio import interrupted_swap
from classifier.options import MAX_JOBS
from classifier.taxonomy.fields import Taxonomy, as_taxonomy
from classifier.taxonomy.guide import FieldGuide

DEFAULT_SEED = 0
# Thresholds are tuned by cross-validation: with fewer documents its folds hold one or two documents
# each, and with one field there is nothing to tell apart (every text would get it).
MIN_DOCUMENTS = 10
MIN_FIELDS = 2


def check_enough_data(documents: int, fields: int) -> None:
    """TrainingDataError, in one line, when the data is too small to train and tune a model on."""
    if documents < MIN_DOCUMENTS or fields < MIN_FIELDS:
        raise TrainingDataError(
            f"too little training data: {documents} distinct document{'s' * (documents != 1)} with "
            f"{fields} field{'s' * (fields != 1)}; training needs at least {MIN_DOCUMENTS} documents (duplicates "
            f"count once) labelled with at least {MIN_FIELDS} different fields"
        )


def check_output(inputs: Sequence[str | Path], output: str | Path, glob: str = DEFAULT_GLOB) -> None:
    """Refuse an output that is one of the inputs or holds one: saving the bundle would replace it.

    Also refuses any existing file or non-bundle directory (see bundle.check_bundle_target).
    """
    inputs = as_inputs(inputs)
    target = Path(os.path.realpath(output))
    named = [(str(item), str(item)) for item in inputs if str(item) != STDIN]
    found = [
        (str(path), str(path))
        for path, kind in expand_inputs(inputs, glob)
        if kind not in ("missing", "unmatched", "stdin", "unreadable")
    ]
    for shown, path in named + found:
        real = Path(os.path.realpath(path))
        if real == target or target in real.parents:
            raise TrainingDataError(
                f"{output}: is or holds the input {shown}, which saving the bundle would replace; choose another "
                "output directory"
            )
    try:
        check_bundle_target(output)
    except BundleError as exc:
        raise TrainingDataError(str(exc)) from None


def cross_validated_metrics(estimator: TopicClassifier, Y: np.ndarray, labels: list[str]) -> dict:
    """Metrics of the out-of-fold predictions; each fold's thresholds are tuned on the other folds only.
    Rows that were never scored (written examples, with unknown labels) do not count."""
    results = estimator.cv_results_
    scored = results["fold"] >= 0
    return evaluate(Y[scored], results["proba"][scored], results["accepted"][scored], labels)


def taxonomy_params(taxonomy: Taxonomy) -> dict:
    """What the estimator learns from the taxonomy: each field's keyword document (see
    classifier.estimator.keywords) and its phrases for the stacker (see classifier.estimator.evidence)."""
    return {
        "label_keywords": tuple(keyword_document(field) for field in taxonomy.fields),
        "label_phrases": tuple(field_phrases(field) for field in taxonomy.fields),
    }


def with_written_examples(
    texts: Sequence[str], Y: np.ndarray, guide: FieldGuide, labels: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """`texts` and `Y` followed by the guide's written examples: each positive for its field, unknown (-1) for
    the others, so the estimator learns from them but never scores them (see TopicClassifier)."""
    examples = guide.written_examples()
    rows = np.full((len(examples), Y.shape[1]), -1, dtype=np.int8)
    column = {label: j for j, label in enumerate(labels)}
    for i, (_, field) in enumerate(examples):
        rows[i, column[field]] = 1
    return list(texts) + [text for text, _ in examples], np.vstack([Y, rows])


def train(
    inputs: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    seed: int = DEFAULT_SEED,
    taxonomy: Taxonomy | str | Path | None = None,
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    jobs: int | None = None,
    base: str | Path | None = None,
    on_warning: Callable[[str], None] | None = None,
    written_examples: bool = True,
    field_guide: str | Path | None = None,
    on_progress: Callable[[str, int, int | None], None] | None = None,
    **params,
) -> tuple[Model, dict]:
    """Fit a model on `inputs` (plus the documents of the `base` bundle, if given); write the bundle to
    `output` if given. Returns the model and its metrics; `model.metadata["merge"]` lists conflicts.

    With `written_examples`, the example sentences of the field guide (`field_guide`, default the shipped
    field_guide.yaml) are extra positives of their field; they are not stored in the bundle's documents
    and never count in the metrics. `on_warning` hears every warning `classifier train` prints: a document given
    twice with other fields (the later kept), documents with no labels, texts cut at the CLASSIFIER_MAX_TEXT limit,
    fields the taxonomy no longer has (by default each is a UserWarning). `on_progress(stage, done, total)` hears
    each stage as it starts ("reading", "fitting", "saving"), and while fitting each cross-validation fold and the
    final fit done."""
    on_warning = on_warning or warn_user
    if base is not None and not isinstance(base, (str, os.PathLike)):
        hint = " (a loaded Model: pass its path, model.path)" if hasattr(base, "estimator") else ""
        raise TypeError(f"base: expected the path of a bundle, not {type(base).__name__}{hint}")
    seed, params = check_settings(seed, params)
    jobs = check_jobs(_plain(jobs))
    inputs = as_inputs(inputs)
    taxonomy = as_taxonomy(taxonomy)
    guide = FieldGuide.from_yaml(field_guide, taxonomy) if written_examples else None
    if guide is not None and guide.unknown_fields and on_warning:
        on_warning(
            f"{guide.path}: not fields of the taxonomy, their written examples left out: "
            f"{', '.join(guide.unknown_fields)}"
        )
    if output is None:
        return _train(inputs, None, seed, taxonomy, columns, glob, jobs, base, on_warning, guide, params, on_progress)
    check_output(inputs, output, glob)  # before hours of training, not after
    with output_lock(output):  # a second run training into the same bundle is refused at once, not at the swap
        return _train(inputs, output, seed, taxonomy, columns, glob, jobs, base, on_warning, guide, params, on_progress)


class SettingsError(UsageError, ValueError):
    """A training setting no bundle could hold (loading would refuse it), or one `train` does not know."""


def check_settings(seed, params: dict) -> tuple:
    """The seed and parameters, numpy numbers as the Python ones they hold (as model.json will hold them); a
    SettingsError, in one line, for one that a saved bundle could not hold: said before any document is read, not
    after the fit, when the bundle at the output has been replaced by one no command loads."""
    seed, params = _plain(seed), {key: _plain(value) for key, value in params.items()}
    if "random_state" in params:
        raise SettingsError("train: unknown setting 'random_state' (the seed is seed=)")
    for key, value in {"random_state": seed, **params}.items():
        if key not in PARAMETERS or key == "n_jobs":  # the workers are `jobs`, which no bundle keeps
            raise SettingsError(f"train: unknown setting '{key}'")
        try:
            stored = json.loads(json.dumps(value, allow_nan=False))  # as model.json will hold it: a tuple as a list
        except (TypeError, ValueError):
            stored = value  # not JSON: refused below, as no check accepts it
        problem = parameter_problem(key, stored)
        if problem:
            name = "seed" if key == "random_state" else key
            raise SettingsError(f"train: {problem.replace(repr(key), repr(name), 1)}")
    return seed, params


def check_jobs(jobs):
    """`jobs` as joblib counts processes (-1: every core, -2: all but one), refused in one line before any document
    is read when it is 0, not a whole number, or above MAX_JOBS (joblib would fail on it after the data is read)."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0 or jobs > MAX_JOBS):
        raise SettingsError(
            f"train: jobs {jobs!r}: expected a whole number of processes from 1 to {MAX_JOBS:,}, or -1 for every core"
        )
    return jobs


def _plain(value):
    """A numpy number (`np.int64(3)`) as the Python number it holds; anything else as it is."""
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def _train(
    inputs, output, seed, taxonomy, columns, glob, jobs, base, on_warning, guide, params, on_progress=None
) -> tuple[Model, dict]:
    progress = on_progress or (lambda stage, done, total: None)
    progress("reading", 0, None)
    base_documents, base_metadata = read_base_documents(base) if base is not None else ([], None)
    base_documents = _without_removed_fields(base, base_documents, taxonomy, on_warning)
    data = load_training_set(inputs, taxonomy, columns, glob, base_documents, on_warning)
    for conflict in data.merged.conflicts if on_warning else ():
        on_warning(conflict.line())
    check_enough_data(len(data.documents), int((data.Y.sum(axis=0) > 0).sum()))
    if base is not None:
        # A base a killed save left moved aside is read where it is (read_base_documents), and recorded by its name.
        where = interrupted_swap(base) or Path(base)
        data.data_hash = hash_inputs([where / TRAINING_FILE, *inputs], glob)
        data.data_hash["files"][0] = str(Path(base) / TRAINING_FILE)
    recorded = recorded_paths([*([Path(base) / TRAINING_FILE] if base is not None else []), *inputs], glob, base)
    data.data_hash["files"] = [recorded(name) for name in data.data_hash.get("files", [])]
    recorded_documents = [recorded_document(doc, recorded) for doc in data.documents]
    stored, stored_sha256 = training_documents_file(recorded_documents, data.merged.label_sets)
    params = {**taxonomy_params(taxonomy), **params}
    texts, Y = [doc.model_text for doc in data.documents], data.Y
    if guide is not None:
        texts, Y = with_written_examples(texts, Y, guide, data.labels)
    estimator = TopicClassifier(labels=data.labels, random_state=seed, n_jobs=jobs, **params)
    progress("fitting", 0, None)
    estimator.fit(texts, Y, on_step=lambda done, total: progress("fitting", done, total))
    metrics = cross_validated_metrics(estimator, Y, data.labels)
    counts = data.Y.sum(axis=0)
    # The labels are stored once, as the bundle's "labels".
    params_used = {k: v for k, v in estimator.get_params().items() if k not in ("n_jobs", "labels")}
    metadata = {
        "format": FORMAT_VERSION,
        "classifier_version": __version__,
        "labels": data.labels,
        "taxonomy_sha256": taxonomy.sha256,
        "training_data": {
            **data.data_hash,
            "documents": len(data.documents),
            "skipped_unlabelled": data.skipped_unlabelled,
            "documents_sha256": stored_sha256,
        },
        "label_counts": {label: int(n) for label, n in zip(data.labels, counts)},
        "written_examples": _written_summary(guide),
        "cv_metrics": metrics,
        "zero_shot_fields": [label for label, flag in zip(data.labels, estimator.zero_shot_) if flag],
        "low_confidence_fields": [label for label, flag in zip(data.labels, estimator.low_confidence_) if flag],
        "seed": seed,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params_used.items()},
        "versions": runtime_versions(),
    }
    if base is not None:
        metadata["base"] = base_summary(spelled_once(base), base_metadata, taxonomy)
    merged = data.merged
    if base is not None or merged.duplicates:
        metadata["merge"] = {
            "base_documents": len(base_documents),
            "new_documents": len(data.documents) + merged.duplicates - len(base_documents),
            "duplicates": merged.duplicates,
            "conflicts": len(merged.conflicts),
            "conflict_details": [
                replace(
                    conflict, first_origin=recorded(conflict.first_origin), later_origin=recorded(conflict.later_origin)
                ).line()
                for conflict in merged.conflicts
            ],
        }
    # A file name's undecodable bytes (in the inputs, the base, a document's origin) as `\udcXX`, which model.json,
    # MODEL.md and the model's hash can hold.
    metadata = escape_surrogates_in(metadata)
    # Named as its bundle is, saved or not: the outputs it tags name the model that made them.
    saved, files = bundle_contents(estimator, metadata, {TRAINING_FILE: stored})
    if output is not None:
        progress("saving", 0, None)
        write_bundle(output, saved, files)
    trained_on = None if output else frozenset(document_key(doc) for doc in data.documents)
    return Model(estimator, saved, Path(output) if output else None, trained_on), metrics


def _without_removed_fields(base, documents: list[Document], taxonomy: Taxonomy, on_warning) -> list[Document]:
    """The base's documents with the fields the taxonomy no longer has taken off their labels (a field removed
    since the base was trained), said once in a warning; a document left with no field is not trained on."""
    removed: dict[str, int] = {}
    kept = []
    for doc in documents:
        known = tuple(label for label in doc.labels if taxonomy.resolve(label) is not None)
        for label in doc.labels:
            if label not in known:
                removed[label] = removed.get(label, 0) + 1
        if known:
            kept.append(doc if known == doc.labels else replace(doc, labels=known))
    if removed and on_warning:
        fields = ", ".join(f"{label} ({n})" for label, n in removed.items())
        left = len(documents) - len(kept)
        on_warning(
            f"{base}: fields of its documents that {taxonomy.path or 'the taxonomy'} no longer has are left out: "
            f"{fields}"
            + (f"; {left} documents left with no field are not trained on" if left > 1 else "")
            + ("; 1 document left with no field is not trained on" if left == 1 else "")
        )
    return kept


def _written_summary(guide: FieldGuide | None) -> dict | None:
    """What the model card says about the written examples trained on (None: none were)."""
    if guide is None:
        return None
    per_field: dict[str, int] = {}
    for _, field_name in guide.written_examples():
        per_field[field_name] = per_field.get(field_name, 0) + 1
    return {
        "file": Path(guide.path).name,
        "sha256": guide.sha256,
        "examples": sum(per_field.values()),
        "per_field": per_field,
    }
