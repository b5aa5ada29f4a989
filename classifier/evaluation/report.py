"""An evaluation report people can look at: one self-contained HTML page with the plots embedded."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifier.errors import ClassifierError
from classifier.io.tagfiles import escape_surrogates
from classifier.io.textio import atomic_write

# The sections every report has, in order: (anchor, heading). Tests check each one is present.
SECTIONS = (
    ("summary", "Summary"),
    ("per-field", "F1 per field"),
    ("precision-recall", "Precision against recall per field"),
    ("confusion", "Which fields are suggested in place of which"),
    ("reliability", "Reliability of the probabilities"),
    ("worst", "Worst-handled documents"),
)
PLOTS = ("per-field", "precision-recall", "confusion", "reliability")
WORST_SHOWN = 20
RELIABILITY_BINS = 10
INSTALL_HINT = "pip install 'osce-topic-classifier[report]'"


class ReportError(ClassifierError, RuntimeError):
    """The report cannot be written; one line saying why."""


def require_matplotlib() -> None:
    """Fail early, before any work, when the plotting library is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ReportError(f"the HTML report needs matplotlib: {INSTALL_HINT}") from None


def write_report(
    path: str | Path,
    documents: Sequence,
    Y_true,
    proba,
    accepted,
    labels: list[str],
    metrics: dict,
    *,
    subtitle: str = "",
) -> Path:
    """Write the report for one evaluation to `path` (atomically) and return the path."""
    page = render_report(documents, Y_true, proba, accepted, labels, metrics, subtitle=subtitle)
    with atomic_write(path) as handle:
        handle.write(page)
    return Path(path)


def render_report(documents, Y_true, proba, accepted, labels, metrics, *, subtitle: str = "") -> str:
    """The report as one HTML string: no script, no stylesheet or image fetched from anywhere."""
    require_matplotlib()
    Y_true = np.asarray(Y_true, dtype=np.int8)
    proba = np.asarray(proba, dtype=np.float64)
    accepted = np.asarray(accepted, dtype=np.int8)
    confusion = confusion_counts(Y_true, accepted)
    reliability = reliability_table(Y_true, proba)
    body = [
        f"<h1>Evaluation report</h1><p class='sub'>{_e(subtitle)}</p>" if subtitle else "<h1>Evaluation report</h1>",
        _trained_on_html(metrics),
        _section("summary", _summary_html(metrics)),
        _section(
            "per-field",
            _img("per-field", _per_field_plot(metrics, labels), "F1 of each field; n is its number of documents")
            + _per_field_table(metrics, labels, accepted),
        ),
        _section(
            "precision-recall",
            "<p>One point per field, its size the field's number of documents. Dotted curves join points of equal "
            "F1.</p>"
            + _img("precision-recall", _precision_recall_plot(metrics, labels), "precision against recall per field"),
        ),
        _section(
            "confusion",
            "<p>A cell counts the documents where the row's field was true but not suggested while the column's "
            "field was suggested but not true.</p>"
            + _img("confusion", _confusion_plot(confusion, labels), "missed field against wrongly suggested field")
            + _confusion_pairs(confusion, labels),
        ),
        _section(
            "reliability",
            f"<p>Every (document, field) probability, in {RELIABILITY_BINS} bins: how often the field was true "
            f"against the probability given. On the diagonal, a probability of 0.7 is right 7 times in 10. "
            f"Expected calibration error: {expected_calibration_error(reliability):.3f}.</p>"
            + _img("reliability", _reliability_plot(reliability), "observed frequency against predicted probability"),
        ),
        _section("worst", _worst_html(documents, Y_true, proba, accepted, labels)),
    ]
    return _PAGE.format(title="Evaluation report", style=_STYLE, body="\n".join(body))


def confusion_counts(Y_true, accepted) -> np.ndarray:
    """(missed, suggested) matrix: documents where row field was missed while column field was wrongly suggested."""
    missed = ((Y_true == 1) & (accepted == 0)).astype(np.int32)
    wrong = ((Y_true == 0) & (accepted == 1)).astype(np.int32)
    return missed.T @ wrong


def reliability_table(Y_true, proba, bins: int = RELIABILITY_BINS) -> list[tuple[float, float, int]]:
    """(mean predicted probability, observed frequency, count) for each non-empty probability bin."""
    p, y = proba.ravel(), Y_true.ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append((float(p[inside].mean()), float(y[inside].mean()), int(inside.sum())))
    return rows


def expected_calibration_error(table) -> float:
    total = sum(count for _, _, count in table)
    return sum(count * abs(predicted - observed) for predicted, observed, count in table) / total if total else 0.0


def worst_documents(Y_true, proba, accepted, n: int = WORST_SHOWN) -> list[int]:
    """Indices of the n documents handled worst: lowest F1 of their suggested fields, then least probability on the true
    ones."""
    true_pos = (Y_true & accepted).sum(axis=1)
    f1 = 2 * true_pos / np.maximum(Y_true.sum(axis=1) + accepted.sum(axis=1), 1)
    true_mass = (proba * Y_true).sum(axis=1) / np.maximum(Y_true.sum(axis=1), 1)
    order = np.lexsort((np.arange(len(f1)), true_mass, f1))
    return [int(i) for i in order[:n] if f1[i] < 1]


# --- plots -------------------------------------------------------------------------------------


def _figure(width, height):
    from matplotlib.figure import Figure  # the report extra

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _per_field_plot(metrics, labels) -> str:
    per_label = metrics["per_label"]
    order = sorted(labels, key=lambda label: (per_label[label]["f1"], label))
    figure, ax = _figure(9, 0.32 * len(labels) + 1.2)
    f1 = [per_label[label]["f1"] for label in order]
    ax.barh(range(len(order)), f1, color=[_colour(v) for v in f1])
    ax.set_yticks(range(len(order)), [f"{label}  (n={per_label[label]['support']})" for label in order], fontsize=9)
    for y, (label, value) in enumerate(zip(order, f1)):
        shown = f"{value:.2f}" if per_label[label]["support"] else "not in these documents"
        ax.text(min(value + 0.01, 0.93), y, shown, va="center", fontsize=8)
    ax.axvline(
        metrics["macro"]["f1"], color="0.3", linestyle="--", linewidth=1, label=f"macro-F1 {metrics['macro']['f1']:.2f}"
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.legend(loc="lower right", fontsize=8)
    return _png(figure)


def _precision_recall_plot(metrics, labels) -> str:
    per_label = metrics["per_label"]
    figure, ax = _figure(9, 7)
    grid = np.linspace(0.01, 1, 200)
    for f in (0.2, 0.4, 0.6, 0.8):
        precision = f * grid / (2 * grid - f)
        visible = (precision > 0) & (precision <= 1.05)
        ax.plot(grid[visible], precision[visible], color="0.8", linestyle=":", linewidth=1)
        ax.text(1.0, f / (2 - f), f"F1={f}", fontsize=7, color="0.5", va="bottom", ha="right")
    recall = [per_label[label]["recall"] for label in labels]
    precision = [per_label[label]["precision"] for label in labels]
    support = np.array([per_label[label]["support"] for label in labels], dtype=float)
    ax.scatter(
        recall,
        precision,
        s=20 + 300 * support / max(support.max(), 1),
        alpha=0.6,
        c=[_colour(per_label[label]["f1"]) for label in labels],
        edgecolors="0.2",
        linewidths=0.5,
    )
    # Fields at the same point share one label, so names do not print over each other.
    at_point: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
    for label, x, y in zip(labels, recall, precision):
        at_point.setdefault((round(x * 25), round(y * 25)), []).append((label, x, y))
    for group in at_point.values():
        _, x, y = group[0]
        right = x > 0.75
        ax.annotate(
            "\n".join(name for name, _, _ in group),
            (x, y),
            xytext=(-7 if right else 7, 0),
            textcoords="offset points",
            fontsize=7,
            ha="right" if right else "left",
            va="bottom" if y < 0.15 else "top" if y > 0.9 else "center",
        )
    ax.set_xlim(-0.02, 1.05)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    return _png(figure)


def _confusion_plot(confusion, labels) -> str:
    figure, ax = _figure(10, 9)
    image = ax.imshow(np.ma.masked_equal(confusion, 0), cmap="Reds", vmin=0, vmax=max(int(confusion.max()), 1))
    ax.set_facecolor("white")
    ticks = range(len(labels))
    ax.set_xticks(ticks, labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    high = confusion.max() / 2
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color="white" if count > high else "black")
    ax.set_xlabel("suggested, but not true")
    ax.set_ylabel("true, but not suggested")
    figure.colorbar(image, ax=ax, shrink=0.6, label="documents")
    return _png(figure)


def _reliability_plot(table) -> str:
    from matplotlib.figure import Figure  # the report extra

    figure = Figure(figsize=(7, 7), dpi=100, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    predicted = [row[0] for row in table]
    observed = [row[1] for row in table]
    top.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfectly calibrated")
    top.plot(predicted, observed, marker="o", color="#1f77b4", label="this model")
    top.set_ylabel("observed frequency of the field")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(predicted, [row[2] for row in table], width=0.05, color="#1f77b4")
    bottom.set_yscale("log")
    bottom.set_ylabel("(document, field) pairs")
    bottom.set_xlabel("predicted probability")
    return _png(figure)


def _colour(f1: float) -> str:
    return "#c0392b" if f1 < 0.4 else "#e67e22" if f1 < 0.7 else "#27ae60"


# --- HTML --------------------------------------------------------------------------------------


def _e(text) -> str:
    """`text` for HTML; a file name's undecodable bytes (lone surrogates) as `\\udcXX`, which UTF-8 can hold."""
    return html.escape(escape_surrogates(str(text)), quote=True)


def _section(anchor: str, content: str) -> str:
    heading = dict(SECTIONS)[anchor]
    return f"<section id='{anchor}'><h2>{_e(heading)}</h2>\n{content}\n</section>"


def _img(name: str, png_base64: str, alt: str) -> str:
    return f"<img class='plot' data-plot='{name}' alt='{_e(alt)}' src='data:image/png;base64,{png_base64}'>"


def _trained_on_html(metrics) -> str:
    """A notice at the top when the model was trained on some of the documents (`evaluate_model`'s
    `trained_on`): its scores on them say little of how it does on new texts; "" otherwise."""
    trained_on = metrics.get("trained_on")
    if not trained_on:
        return ""
    return (
        f"<p class='trained-on'><strong>The model was trained on {trained_on} of these {metrics['documents']} "
        "documents.</strong> Its scores on documents it learned from overstate it: this report does not measure "
        "how it does on new texts.</p>"
    )


def _summary_html(metrics) -> str:
    rows = "".join(
        f"<tr><th>{average}</th><td>{metrics[average]['precision']:.3f}</td><td>{metrics[average]['recall']:.3f}</td>"
        f"<td>{metrics[average]['f1']:.3f}</td></tr>"
        for average in ("micro", "macro", "samples")
    )
    ranking = " &nbsp; ".join(
        f"{name.upper().replace('NDCG', 'nDCG')} {metrics[name]:.3f}" for name in ("p@1", "r@3", "ndcg@3")
    )
    return (
        f"<p>{metrics['documents']} documents.</p>"
        f"<table class='summary'><tr><th></th><th>precision</th><th>recall</th><th>F1</th></tr>{rows}</table>"
        f"<p>Ranking: {ranking}</p>"
    )


def _per_field_table(metrics, labels, accepted) -> str:
    suggested = accepted.sum(axis=0)
    rows = "".join(
        f"<tr><th>{_e(label)}</th><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td><td>{m['f1']:.3f}</td>"
        f"<td>{m['support']}</td><td>{int(suggested[j])}</td></tr>"
        for j, label in enumerate(labels)
        for m in [metrics["per_label"][label]]
    )
    return (
        "<table class='per-field'><tr><th>field</th><th>precision</th><th>recall</th><th>F1</th>"
        f"<th>support</th><th>suggested</th></tr>{rows}</table>"
    )


def _confusion_pairs(confusion, labels, shown: int = 10) -> str:
    pairs = sorted(((int(c), i, j) for (i, j), c in np.ndenumerate(confusion) if c), key=lambda t: (-t[0], t[1], t[2]))
    if not pairs:
        return "<p>No field was suggested in place of another.</p>"
    items = "".join(
        f"<li><b>{_e(labels[j])}</b> in place of <b>{_e(labels[i])}</b>: {count}</li>" for count, i, j in pairs[:shown]
    )
    return f"<p>Most frequent:</p><ol>{items}</ol>"


def _worst_html(documents, Y_true, proba, accepted, labels) -> str:
    worst = worst_documents(Y_true, proba, accepted)
    if not worst:
        return "<p>Every document got exactly its true fields.</p>"
    rows = []
    for i in worst:
        doc = documents[i]
        true = [j for j in range(len(labels)) if Y_true[i, j]]
        given = [j for j in np.argsort(-proba[i], kind="stable") if accepted[i, j]]
        true_html = ", ".join(
            f"<span class='{'hit' if accepted[i, j] else 'miss'}'>{_e(labels[j])} ({proba[i, j]:.2f})</span>"
            for j in true
        )
        given_html = ", ".join(
            f"<span class='{'hit' if Y_true[i, j] else 'wrong'}'>{_e(labels[j])} ({proba[i, j]:.2f})</span>"
            for j in given
        )
        rows.append(
            f"<tr><td class='doc'><b>{_e(doc.title or doc.id)}</b><br><small>{_e(doc.id)}</small></td>"
            f"<td>{true_html}</td><td>{given_html}</td></tr>"
        )
    return (
        f"<p>The {len(worst)} documents whose suggested fields agree least with their true ones "
        "(lowest F1, then lowest probability on the true fields). Probabilities in brackets; "
        "<span class='miss'>missed</span>, <span class='wrong'>wrongly suggested</span>, <span "
        "class='hit'>right</span>.</p>"
        "<table class='worst'><tr><th>document</th><th>true fields</th><th>suggested fields</th></tr>"
        + "".join(rows)
        + "</table>"
    )


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } .sub { color: #666; margin-top: 0; }
.trained-on { background: #fdecea; border: 2px solid #c0392b; padding: 0.6em 1em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td { font-variant-numeric: tabular-nums; }
img.plot { max-width: 100%; height: auto; display: block; margin: 1em 0; }
.miss { color: #c0392b; font-weight: 600; } .wrong { color: #a04000; font-style: italic; }
.hit { color: #1e8449; } td.doc { max-width: 28em; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{body}
</body>
</html>
"""
