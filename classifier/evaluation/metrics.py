"""Multi-label quality metrics: set-based P/R/F1 (micro, macro, samples), ranking P@1, R@3, nDCG@3."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from classifier.errors import warn_user


def evaluate(Y_true, proba, accepted, labels: list[str]) -> dict:
    """All metrics for one set of predictions, as a JSON-ready dict."""
    from sklearn.metrics import precision_recall_fscore_support  # fitting only

    Y_true, accepted = _rows(Y_true, np.int8, len(labels)), _rows(accepted, np.int8, len(labels))
    result: dict = {"documents": int(len(Y_true))}
    if not len(Y_true) or not labels:  # nothing to score (no documents, or no fields): every figure 0
        zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        result.update({"micro": zero, "macro": dict(zero), "samples": dict(zero)})
        result.update(ranking_metrics(Y_true, _rows(proba, float, len(labels))))
        result["per_label"] = {label: {**zero, "support": 0} for label in labels}
        return result
    # One all-zero column more: scikit-learn takes a single column for a binary target and would count its
    # negatives too; with two it is multi-label. The column adds nothing to micro counts and is left out below.
    pad = np.zeros((len(Y_true), 1), dtype=np.int8)
    padded_true, padded_accepted = (
        np.hstack([Y_true, pad]),
        np.hstack([accepted, pad]),
    )
    p, r, f, _ = precision_recall_fscore_support(padded_true, padded_accepted, average="micro", zero_division=0)
    result["micro"] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}
    p, r, f, support = precision_recall_fscore_support(padded_true, padded_accepted, average=None, zero_division=0)
    p, r, f, support = p[:-1], r[:-1], f[:-1], support[:-1]
    means = [float(x.mean()) for x in (p, r, f)]  # macro: the plain mean over the fields (one at least)
    result["macro"] = {"precision": round(means[0], 4), "recall": round(means[1], 4), "f1": round(means[2], 4)}
    sp, sr, sf = samples_scores(Y_true, accepted)
    result["samples"] = {"precision": round(sp, 4), "recall": round(sr, 4), "f1": round(sf, 4)}
    result.update(ranking_metrics(Y_true, proba))
    result["per_label"] = {
        label: {
            "precision": round(float(p[j]), 4),
            "recall": round(float(r[j]), 4),
            "f1": round(float(f[j]), 4),
            "support": int(support[j]),
        }
        for j, label in enumerate(labels)
    }
    return result


def _rows(values, dtype, columns: int) -> np.ndarray:
    """`values` as a matrix of `columns` columns, one row per document: no documents (an empty list) is a matrix of
    no rows, and no fields (two models that share none, compared on those they share) one of no columns."""
    matrix = np.asarray(values, dtype=dtype)
    return matrix.reshape(len(matrix), columns)


def samples_scores(Y_true, accepted) -> tuple[float, float, float]:
    """Precision, recall and F1 of each document's accepted set against its gold set, averaged over documents
    (0 where a set is empty), as scikit-learn's average="samples" with zero_division=0; computed here because
    scikit-learn refuses it for a single label (two models that share one field are compared on it)."""
    Y_true, accepted = np.asarray(Y_true, dtype=bool), np.asarray(accepted, dtype=bool)
    if len(Y_true) == 0:
        return 0.0, 0.0, 0.0
    tp = (Y_true & accepted).sum(axis=1)
    gold, chosen = Y_true.sum(axis=1), accepted.sum(axis=1)
    precision = np.divide(tp, chosen, out=np.zeros(len(tp)), where=chosen > 0)
    recall = np.divide(tp, gold, out=np.zeros(len(tp)), where=gold > 0)
    f1 = np.divide(2 * tp, gold + chosen, out=np.zeros(len(tp)), where=(gold + chosen) > 0)
    return float(precision.mean()), float(recall.mean()), float(f1.mean())


def evaluate_model(
    model,
    inputs,
    taxonomy=None,
    columns=None,
    glob: str | None = None,
    report=None,
    force: bool = False,
    limit: int | None = None,
    threshold: float | None = None,
    on_warning=None,
) -> dict:
    """Metrics of a loaded model on labelled inputs (pages with a Fields of work block, or tables), with the
    model's hash as `model`.

    A document given twice (same title and text) is measured once, with the later row's fields; `on_warning`
    hears about that, texts cut at the CLASSIFIER_MAX_TEXT limit, a text column no row has, documents the model
    was trained on and documents with no fields (every warning `classifier evaluate` prints; by default each is a
    UserWarning). `taxonomy` must hold the model's fields in its order (the model's own taxonomy by default).

    With `report` (a path), also write the HTML evaluation report there (needs matplotlib); an existing
    file there is replaced only with `force`, and refused before any work otherwise. `limit` and
    `threshold` choose the accepted fields as `Model.read` does (the model's per-field thresholds by
    default); the ranking metrics (P@1, R@3, nDCG@3) do not depend on them. `trained_on`: how many of the
    documents the model was trained on (where its bundle stores them), whose scores overstate it.
    """
    from classifier.bundle.documents import trained_keys  # on first use: keeps start-up light
    from classifier.bundle.model import check_cutoffs, check_loaded  # on first use: keeps start-up light
    from classifier.corpus.datasets import (  # on first use: keeps start-up light
        document_key,
        load_measured_set,
    )
    from classifier.corpus.documents import DEFAULT_GLOB, Columns, as_inputs  # on first use: keeps start-up light
    from classifier.taxonomy.fields import as_taxonomy  # on first use: keeps start-up light

    on_warning = on_warning or warn_user
    inputs = as_inputs(inputs)
    check_loaded(model)
    taxonomy = as_taxonomy(taxonomy)  # a Taxonomy, the path of a taxonomy.yaml or None: read before any work
    _check_fields(model, taxonomy)
    check_cutoffs(limit, threshold)  # before any work
    lock = _report_lock(report, inputs, glob or DEFAULT_GLOB, force) if report is not None else contextlib.nullcontext()
    with lock:
        data = load_measured_set(inputs, taxonomy, columns or Columns(), glob or DEFAULT_GLOB, on_warning, "measured")
        reading = model.read_documents(data.documents, limit, threshold)
        proba, accepted = reading.proba, reading.accepted
        metrics = {**evaluate(data.Y, proba, accepted, model.labels), "model": model.fingerprint}
        given = {name: value for name, value in (("limit", limit), ("threshold", threshold)) if value is not None}
        metrics.update(given)  # what chose the fields
        trained = trained_keys(model)
        if trained is not None:  # scores on documents the model learned from overstate it
            metrics["trained_on"] = sum(document_key(doc) in trained for doc in data.documents)
        if data.skipped_unlabelled:  # documents with no fields given: nothing to measure them against
            metrics["unlabelled"] = data.skipped_unlabelled
        for line in measure_warnings(metrics) if on_warning else ():
            on_warning(line)
        if report is not None:
            from classifier.evaluation.report import write_report  # on first use: keeps start-up light

            subtitle = f"model {model.path or '(in memory)'} (sha256 {model.fingerprint}) on " + ", ".join(
                [*map(str, inputs), *(f"{name} {value}" for name, value in given.items())]
            )
            write_report(report, data.documents, data.Y, proba, accepted, model.labels, metrics, subtitle=subtitle)
    return metrics


def _report_lock(report, inputs: list, glob: str, force: bool):
    """The lock on the report's path, taken before any work (a second evaluation writing the same report is refused
    at once), once the report can be written there: matplotlib installed, no directory, an existing file replaced
    only with `force`, and never one of the inputs."""
    from classifier.corpus.documents import check_not_an_input  # on first use: keeps start-up light
    from classifier.evaluation.report import require_matplotlib  # on first use: keeps start-up light
    from classifier.io.outputs import check_file_target, output_lock  # on first use: keeps start-up light

    require_matplotlib()
    check_file_target(report)
    if Path(report).exists() and not force:
        from classifier.errors import OutputExistsError  # on first use: keeps start-up light

        raise OutputExistsError(
            f"{report}: already exists; pass force=True to overwrite it",
            f"{report}: already exists; pass --force to overwrite it",
        )
    check_not_an_input(report, inputs, glob)  # --force replaces an old report, never the data
    return output_lock(report)


def measure_warnings(metrics: dict) -> list[str]:
    """What a reader of the metrics must know: how many of the documents the model was trained on (their scores
    overstate it) and how many had no fields to measure against."""
    lines = []
    if metrics.get("trained_on"):
        lines.append(
            f"the model was trained on {metrics['trained_on']} of these {metrics['documents']} documents: their "
            "scores overstate how it does on new texts"
        )
    if metrics.get("unlabelled"):
        lines.append(
            f"{metrics['unlabelled']} documents have no fields (a page without a Fields of work block, a row without "
            "labels) and are not counted"
        )
    return lines


def _check_fields(model, taxonomy) -> None:
    """BundleError unless the taxonomy holds the model's fields in its order: the data's fields would be counted
    under the wrong ones."""
    if list(taxonomy.labels) != list(model.labels):
        from classifier.bundle.storage import BundleError, label_change  # on first use: keeps start-up light

        raise BundleError(
            f"the taxonomy's fields differ from the model's ({label_change(model.labels, taxonomy.labels)}): "
            "pass taxonomy= the one the model was loaded with"
        )


def ranking_metrics(Y_true, proba, k: int = 3) -> dict:
    """P@1, R@k and nDCG@k over the documents that have at least one true label."""
    Y_true = np.asarray(Y_true)
    has_labels = Y_true.sum(axis=1) > 0
    Y_true, proba = Y_true[has_labels], np.asarray(proba)[has_labels]
    if len(Y_true) == 0:
        return {"p@1": 0.0, f"r@{k}": 0.0, f"ndcg@{k}": 0.0}
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(Y_true, order, axis=1)
    n_true = Y_true.sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, order.shape[1] + 2))  # fewer than k columns when there are fewer labels
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.array([discounts[: min(n, k)].sum() for n in n_true])
    return {
        "p@1": round(float(hits[:, 0].mean()), 4),
        f"r@{k}": round(float((hits.sum(axis=1) / n_true).mean()), 4),
        f"ndcg@{k}": round(float((dcg / ideal).mean()), 4),
    }


def format_report(metrics: dict) -> str:
    """A plain-text table of the metrics, for the terminal."""
    lines = [f"documents: {metrics['documents']}"]
    lines.append(f"{'':10} {'precision':>9} {'recall':>7} {'F1':>7}")
    for average in ("micro", "macro", "samples"):
        m = metrics[average]
        lines.append(f"{average:10} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:7.3f}")
    lines.append(f"P@1 {metrics['p@1']:.3f}   R@3 {metrics['r@3']:.3f}   nDCG@3 {metrics['ndcg@3']:.3f}")
    lines.append("")
    width = max(len(label) for label in metrics["per_label"])
    lines.append(f"{'field':{width}} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
    for label, m in metrics["per_label"].items():
        lines.append(f"{label:{width}} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:7.3f} {m['support']:8d}")
    return "\n".join(lines)
