"""Train a model from labelled documents and write it as a bundle with its metadata."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from classifier import __version__
from classifier.bundle.model import Model
from classifier.bundle.storage import FORMAT_VERSION, BundleError, check_bundle_target, runtime_versions, save_bundle
from classifier.bundle.documents import TRAINING_FILE, base_summary, read_base_documents, training_documents_file
from classifier.corpus.datasets import TrainingDataError, hash_inputs, load_training_set
from classifier.corpus.documents import STDIN, DEFAULT_GLOB, Columns, expand_inputs
from classifier.evaluation.metrics import evaluate
from classifier.estimator.keywords import keyword_document
from classifier.estimator.model import TopicClassifier
from classifier.io.outputs import output_lock
from classifier.taxonomy.fields import Taxonomy, default_taxonomy

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
    target = Path(os.path.realpath(output))
    named = [(str(item), str(item)) for item in inputs if str(item) != STDIN]
    found = [(str(path), str(path)) for path, kind in expand_inputs(inputs, glob) if kind not in ("missing", "stdin")]
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


def cross_validated_metrics(estimator: TopicClassifier, Y: np.ndarray, labels: list[str]) -> dict:
    """Metrics of the out-of-fold predictions; each fold's thresholds are tuned on the other folds only."""
    results = estimator.cv_results_
    return evaluate(Y, results["proba"], results["accepted"], labels)


def train(
    inputs: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    seed: int = DEFAULT_SEED,
    taxonomy: Taxonomy | None = None,
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    jobs: int | None = None,
    base: str | Path | None = None,
    on_warning: Callable[[str], None] | None = None,
    **params,
) -> tuple[Model, dict]:
    """Fit a model on `inputs` (plus the documents of the `base` bundle, if given); write the bundle to
    `output` if given. Returns the model and its metrics; `model.metadata["merge"]` lists conflicts."""
    taxonomy = taxonomy or default_taxonomy()
    if output is None:
        return _train(inputs, None, seed, taxonomy, columns, glob, jobs, base, on_warning, params)
    check_output(inputs, output, glob)  # before hours of training, not after
    with output_lock(output):  # a second run training into the same bundle is refused at once, not at the swap
        return _train(inputs, output, seed, taxonomy, columns, glob, jobs, base, on_warning, params)


def _train(inputs, output, seed, taxonomy, columns, glob, jobs, base, on_warning, params) -> tuple[Model, dict]:
    base_documents, base_metadata = read_base_documents(base) if base is not None else ([], None)
    data = load_training_set(inputs, taxonomy, columns, glob, base_documents, on_warning)
    check_enough_data(len(data.documents), int((data.Y.sum(axis=0) > 0).sum()))
    if base is not None:
        data.data_hash = hash_inputs([Path(base) / TRAINING_FILE, *inputs], glob)
    stored, stored_sha256 = training_documents_file(data.documents, data.merged.label_sets)
    params.setdefault("label_keywords", tuple(keyword_document(f) for f in taxonomy.fields))
    estimator = TopicClassifier(random_state=seed, n_jobs=jobs, **params)
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
    model = Model(estimator, metadata, Path(output) if output else None)
    if output is not None:
        save_bundle(estimator, metadata, output, {TRAINING_FILE: stored})
    return model, metrics
