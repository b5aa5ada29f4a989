"""Train a model from labelled documents and write it as a bundle with its metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier import __version__
from classifier.bundle import FORMAT_VERSION, Model, runtime_versions, save_bundle
from classifier.corpus import Columns, DEFAULT_GLOB, Document, expand_inputs, read_documents, resolve_labels
from classifier.evaluation import evaluate
from classifier.keywords import keyword_document
from classifier.model import TopicClassifier, accept_labels, tune_thresholds
from classifier.taxonomy import Taxonomy, default_taxonomy

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


def load_training_set(
    inputs: Sequence[str | Path], taxonomy: Taxonomy, columns: Columns = Columns(), pattern: str = DEFAULT_GLOB
) -> TrainingSet:
    """Labelled documents and their indicator matrix; unreadable inputs and unknown labels stop it."""
    documents, errors, unlabelled = [], [], 0
    for doc in read_documents(inputs, columns, pattern):
        if doc.error:
            errors.append(doc.error)
        elif doc.labels is None:
            unlabelled += 1
        else:
            documents.append(doc)
    if errors:
        raise TrainingDataError("\n".join(errors))
    label_sets = resolve_labels(documents, taxonomy)
    if not documents:
        raise TrainingDataError(f"no labelled documents in {', '.join(map(str, inputs))}")
    labels = taxonomy.labels
    index = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(documents), len(labels)), dtype=np.int8)
    for i, names in enumerate(label_sets):
        for name in names:
            Y[i, index[name]] = 1
    empty = [doc.origin for doc, row in zip(documents, Y) if not row.any()]
    if empty:
        raise TrainingDataError("\n".join(f"{origin}: empty label list" for origin in empty))
    return TrainingSet(documents, Y, labels, unlabelled, hash_inputs(inputs, pattern))


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
        accepted[inside] = accept_labels(proba[inside], thresholds, estimator.ensure_one, estimator.top_ratio)
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
    **params,
) -> tuple[Model, dict]:
    """Fit a model on `inputs`; write the bundle to `output` if given. Returns the model and its metrics."""
    taxonomy = taxonomy or default_taxonomy()
    data = load_training_set(inputs, taxonomy, columns, pattern)
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
        "training_data": {**data.data_hash, "documents": len(data.documents), "skipped_unlabelled": data.skipped_unlabelled},
        "label_counts": {label: int(n) for label, n in zip(data.labels, counts)},
        "cv_metrics": metrics,
        "thresholds": {label: round(float(t), 4) for label, t in zip(data.labels, estimator.thresholds_)},
        "seed": seed,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params_used.items()},
        "versions": runtime_versions(),
    }
    # The out-of-fold predictions were only needed for the metrics; keep the bundle small.
    del estimator.oof_proba_, estimator.cv_fold_
    model = Model(estimator, metadata, Path(output) if output else None)
    if output is not None:
        save_bundle(estimator, metadata, output)
    return model, metrics
