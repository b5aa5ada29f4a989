"""Train a model from labelled documents and write it as a bundle with its metadata."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier import __version__
from classifier.bundle.storage import FORMAT_VERSION, BundleError, Model, check_bundle_target, runtime_versions, save_bundle
from classifier.corpus.documents import STDIN, Columns, DEFAULT_GLOB, Document, expand_inputs, read_documents, resolve_labels
from classifier.evaluation.metrics import evaluate
from classifier.estimator.keywords import keyword_document
from classifier.estimator.model import TopicClassifier, tune_thresholds
from classifier.corpus.datasets import TRAINING_FILE, Merged, base_summary, merge_documents, read_base_documents, training_documents_file
from classifier.taxonomy.fields import Taxonomy, default_taxonomy

DEFAULT_SEED = 0


class TrainingDataError(ValueError):
    """The training data cannot be used; the message has one line per problem."""


@dataclass
class TrainingSet:
    documents: list[Document]
    Y: np.ndarray
    labels: list[str]
    skipped_unlabelled: int = 0
    data_hash: dict = field(default_factory=dict)
    merged: Merged | None = None


def load_training_set(
    inputs: Sequence[str | Path],
    taxonomy: Taxonomy,
    columns: Columns = Columns(),
    pattern: str = DEFAULT_GLOB,
    base_documents: Sequence[Document] = (),
    on_warning: Callable[[str], None] | None = None,
) -> TrainingSet:
    """Labelled documents and their indicator matrix; unreadable inputs and unknown labels stop it.

    `base_documents` (a base bundle's) come first; a document given twice is kept once (see merge_documents).
    `on_warning` hears about documents read only in part (text cut at the CLASSIFIER_MAX_TEXT limit).
    """
    documents, errors, unlabelled = list(base_documents), [], 0
    for doc in read_documents(inputs, columns, pattern):
        if doc.warning and on_warning:
            on_warning(doc.warning)
        if doc.error:
            errors.append(doc.error)
        elif doc.labels is None:
            unlabelled += 1
        else:
            documents.append(doc)
    if errors:
        raise TrainingDataError("\n".join(errors))
    if not documents:
        raise TrainingDataError(
            f"no labelled documents in {', '.join(map(str, inputs))}: a table needs a '{columns.labels}' column "
            "(another name: --labels-column), a page a 'Fields of work' block"
        )
    merged = merge_documents(documents, resolve_labels(documents, taxonomy))
    documents, label_sets = merged.documents, merged.label_sets
    labels = taxonomy.labels
    index = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(documents), len(labels)), dtype=np.int8)
    for i, names in enumerate(label_sets):
        for name in names:
            Y[i, index[name]] = 1
    empty = [doc.origin for doc, row in zip(documents, Y) if not row.any()]
    if empty:
        raise TrainingDataError("\n".join(f"{origin}: empty label list" for origin in empty))
    return TrainingSet(documents, Y, labels, unlabelled, hash_inputs(inputs, pattern), merged)


def check_output(inputs: Sequence[str | Path], output: str | Path, pattern: str = DEFAULT_GLOB) -> None:
    """Refuse an output that is one of the inputs or holds one: saving the bundle would replace it.

    Also refuses any existing file or non-bundle directory (see bundle.check_bundle_target).
    """
    target = Path(os.path.realpath(output))
    named = [(str(item), str(item)) for item in inputs if str(item) != STDIN]
    found = [(str(path), str(path)) for path, kind in expand_inputs(inputs, pattern) if kind not in ("missing", "stdin")]
    for shown, path in named + found:
        real = Path(os.path.realpath(path))
        if real == target or target in real.parents:
            raise TrainingDataError(
                f"{output}: is or holds the input {shown}, which saving the bundle would replace; choose another output directory"
            )
    try:
        check_bundle_target(output)
    except BundleError as exc:
        raise TrainingDataError(str(exc)) from None


def hash_inputs(inputs: Sequence[str | Path], pattern: str = DEFAULT_GLOB) -> dict:
    digest = hashlib.sha256()
    size = 0
    files = []
    for path, kind in expand_inputs(inputs, pattern):
        if kind in ("missing", "stdin"):
            continue
        data = Path(path).read_bytes()
        digest.update(hashlib.sha256(data).digest())
        size += len(data)
        files.append(str(path))
    return {"sha256": digest.hexdigest(), "bytes": size, "files": files}


def cross_validated_metrics(estimator: TopicClassifier, Y: np.ndarray, labels: list[str]) -> dict:
    """Metrics of the out-of-fold predictions; each fold's thresholds are tuned on the other folds only."""
    proba = estimator.oof_proba_
    accepted = np.zeros_like(Y)
    for fold in np.unique(estimator.cv_fold_):
        inside = estimator.cv_fold_ == fold
        thresholds = tune_thresholds(Y[~inside], proba[~inside])
        accepted[inside] = estimator.accept(proba[inside], thresholds)
    return evaluate(Y, proba, accepted, labels)


def train(
    inputs: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    seed: int = DEFAULT_SEED,
    taxonomy: Taxonomy | None = None,
    columns: Columns = Columns(),
    pattern: str = DEFAULT_GLOB,
    n_jobs: int | None = None,
    base: str | Path | None = None,
    on_warning: Callable[[str], None] | None = None,
    **params,
) -> tuple[Model, dict]:
    """Fit a model on `inputs` (plus the documents of the `base` bundle, if given); write the bundle to
    `output` if given. Returns the model and its metrics; `model.metadata["merge"]` lists conflicts."""
    taxonomy = taxonomy or default_taxonomy()
    if output is not None:
        check_output(inputs, output, pattern)  # before hours of training, not after
    base_documents, base_metadata = read_base_documents(base) if base is not None else ([], None)
    data = load_training_set(inputs, taxonomy, columns, pattern, base_documents, on_warning)
    if base is not None:
        data.data_hash = hash_inputs([Path(base) / TRAINING_FILE, *inputs], pattern)
    stored, stored_sha256 = training_documents_file(data.documents, data.merged.label_sets)
    params.setdefault("label_keywords", tuple(keyword_document(f) for f in taxonomy.fields))
    estimator = TopicClassifier(random_state=seed, n_jobs=n_jobs, **params)
    estimator.fit([doc.model_text for doc in data.documents], data.Y)
    metrics = cross_validated_metrics(estimator, data.Y, data.labels)
    counts = data.Y.sum(axis=0)
    params_used = {k: v for k, v in estimator.get_params().items() if k != "n_jobs"}
    metadata = {
        "format": FORMAT_VERSION,
        "classifier_version": __version__,
        "labels": data.labels,
        "taxonomy_sha256": taxonomy.sha256,
        "training_data": {
            **data.data_hash, "documents": len(data.documents), "skipped_unlabelled": data.skipped_unlabelled,
            "documents_sha256": stored_sha256,
        },
        "label_counts": {label: int(n) for label, n in zip(data.labels, counts)},
        "cv_metrics": metrics,
        "thresholds": {label: round(float(t), 4) for label, t in zip(data.labels, estimator.thresholds_)},
        "zero_shot_fields": [label for label, flag in zip(data.labels, estimator.zero_shot_) if flag],
        "low_confidence_fields": [label for label, flag in zip(data.labels, estimator.low_confidence_) if flag],
        "seed": seed,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params_used.items()},
        "versions": runtime_versions(),
    }
    if base is not None:
        metadata["base"] = base_summary(base, base_metadata, taxonomy)
    merged = data.merged
    if base is not None or merged.duplicates:
        metadata["merge"] = {
            "base_documents": len(base_documents),
            "new_documents": len(data.documents) + merged.duplicates - len(base_documents),
            "duplicates": merged.duplicates,
            "conflicts": len(merged.conflicts),
            "conflict_details": [conflict.line() for conflict in merged.conflicts],
        }
    # The out-of-fold predictions were only needed for the metrics; keep the bundle small.
    del estimator.oof_proba_, estimator.cv_fold_
    model = Model(estimator, metadata, Path(output) if output else None)
    if output is not None:
        save_bundle(estimator, metadata, output, {TRAINING_FILE: stored})
    return model, metrics
