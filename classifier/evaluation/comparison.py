"""Compare two models on the same labelled data: per-field P/R/F1 side by side, and a regression gate."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from classifier.errors import ClassifierError, UsageError, warn_user
from classifier.evaluation.metrics import evaluate

DEFAULT_MAX_DROP = 0.02
DEFAULT_MIN_SUPPORT = 10
# A drop is a regression only if B is below A in at least this share of bootstrap resamples of the
# documents: on a held-out set of a few hundred documents, one document changing its fields moves a
# field's F1 by several points, and a gate that fires on that is a gate people learn to ignore.
DEFAULT_CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
# What a field's status says beside its row where not both models know it.
_STATUS_NOTES = {"new": "new in B", "removed": "not in B", "neither": "in neither"}
# Each average's name in the tables, in their order.
_AVERAGE_NAMES = {
    "micro": "micro",
    "macro": "macro",
    "micro_shared": "micro (shared fields)",
    "macro_shared": "macro (shared fields)",
}


class NothingToCompareError(ClassifierError):
    """Every document of the comparison data was trained on by one model or both: exit code 4."""

    exit_code = 4


def scores_in_columns(model, documents, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The model's probabilities and accepted fields in the columns of `labels`; fields it lacks score 0."""
    reading = model.read_documents(documents)
    proba, accepted = reading.proba, reading.accepted
    full_proba = np.zeros((len(documents), len(labels)))
    full_accepted = np.zeros((len(documents), len(labels)), dtype=np.int8)
    for j, label in enumerate(model.labels):
        full_proba[:, labels.index(label)] = proba[:, j]
        full_accepted[:, labels.index(label)] = accepted[:, j]
    return full_proba, full_accepted


@dataclass
class Comparison:
    """Metrics of models A and B on the same documents, and which fields each one knows."""

    a: dict
    b: dict
    labels: list[str]
    a_fields: list[str]
    b_fields: list[str]
    a_shared: dict = field(default_factory=dict)
    b_shared: dict = field(default_factory=dict)
    # Per document: true fields and each model's accepted fields (columns `labels`), for the noise check.
    Y: np.ndarray | None = None
    accepted_a: np.ndarray | None = None
    accepted_b: np.ndarray | None = None
    # How many documents the data held, and how many of them each model was trained on (None: its bundle does
    # not say); those are left out, and the metrics above are on the others.
    given: int | None = None
    trained_on: dict = field(default_factory=lambda: {"a": None, "b": None})

    @property
    def documents_given(self) -> int:
        """How many documents the data held (those compared, where nothing was left out or it is not known)."""
        return self.given if self.given is not None else self.a["documents"]

    @property
    def left_out(self) -> int:
        return self.documents_given - self.a["documents"]

    def status(self, label: str) -> str:
        in_a, in_b = label in self.a_fields, label in self.b_fields
        return "both" if in_a and in_b else "new" if in_b else "removed" if in_a else "neither"

    def regressions(
        self,
        max_drop: float = DEFAULT_MAX_DROP,
        min_support: int = DEFAULT_MIN_SUPPORT,
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> list[str]:
        """Where B's F1 is more than `max_drop` below A's and the drop is beyond noise (see `drops`)."""
        return self.gate(max_drop, min_support, confidence)[0]

    def gate(
        self,
        max_drop: float = DEFAULT_MAX_DROP,
        min_support: int = DEFAULT_MIN_SUPPORT,
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> tuple[list[str], list[str]]:
        """(regressions, drops within noise): the drops of `drops`, split by whether they are beyond noise."""
        drops = self.drops(max_drop, min_support, confidence)
        return [line for line, beyond in drops if beyond], [line for line, beyond in drops if not beyond]

    def drops(
        self,
        max_drop: float = DEFAULT_MAX_DROP,
        min_support: int = DEFAULT_MIN_SUPPORT,
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> list[tuple[str, bool]]:
        """Where B's F1 is more than `max_drop` below A's: micro over the shared fields, and each shared
        field with at least `min_support` true documents. One line per drop, with whether it is beyond
        noise: B's F1 is below A's in at least `confidence` of the paired bootstrap resamples of the
        documents (a one-sided test; `confidence` 0 counts every drop)."""
        if not max_drop >= 0:  # NaN too, which no drop is more than: the gate would pass anything
            raise UsageError(f"max_drop {max_drop!r}: expected a drop in F1 of 0 or more")
        if not 0 <= confidence <= 1:
            raise UsageError(f"confidence {confidence!r}: expected a share of resamples from 0 to 1")
        found = []
        shared = [j for j, label in enumerate(self.labels) if self.status(label) == "both"]
        candidates = []
        drop = self.a_shared["micro"]["f1"] - self.b_shared["micro"]["f1"]
        if drop > max_drop + 1e-9:
            candidates.append(
                (f"micro F1 over the fields both models know fell by {drop:.3f} (more than {max_drop}", shared)
            )
        for j, label in enumerate(self.labels):
            a, b = self.a["per_label"][label], self.b["per_label"][label]
            if self.status(label) != "both" or a["support"] < min_support:
                continue
            drop = a["f1"] - b["f1"]
            if drop > max_drop + 1e-9:
                candidates.append(
                    (f"{label}: F1 fell by {drop:.3f} (more than {max_drop}; support {a['support']}", [j])
                )
        for text, columns in candidates:
            if not confidence or self.Y is None:
                found.append((text + ")", True))
                continue
            share = self._share_where_b_is_below(columns)
            found.append(
                (text + f"; B below A in {share:.0%} of {BOOTSTRAP_RESAMPLES} resamples)", share >= confidence)
            )
        return found

    def _share_where_b_is_below(self, columns: list[int]) -> float:
        """Share of paired bootstrap resamples of the documents in which B's micro F1 over `columns` is below A's."""
        Y = self.Y[:, columns].astype(bool)
        hits, misses = [], []
        for accepted in (self.accepted_a, self.accepted_b):
            accepted = accepted[:, columns].astype(bool)
            hits.append((Y & accepted).sum(axis=1))
            misses.append((Y ^ accepted).sum(axis=1))
        rng = np.random.default_rng(0)
        n = len(Y)
        block = max(1, min(BOOTSTRAP_RESAMPLES, 10_000_000 // max(n, 1)))  # at most ~80 MB of indices at a time
        below, done = 0, 0
        while done < BOOTSTRAP_RESAMPLES:
            size = min(block, BOOTSTRAP_RESAMPLES - done)
            drawn = rng.integers(0, n, size=(size, n))  # each row: n documents drawn with replacement
            f1 = []
            for tp, wrong in zip(hits, misses):
                tp, wrong = tp[drawn].sum(axis=1), wrong[drawn].sum(axis=1)
                f1.append(np.divide(2 * tp, 2 * tp + wrong, out=np.zeros(size), where=(2 * tp + wrong) > 0))
            below += int(np.sum(f1[1] < f1[0] - 1e-12))
            done += size
        return below / BOOTSTRAP_RESAMPLES

    def to_dict(self) -> dict:
        rows = {}
        for label in self.labels:
            a, b = self.a["per_label"][label], self.b["per_label"][label]
            rows[label] = {
                "status": self.status(label),
                "support": a["support"],
                "a": _prf(a) if label in self.a_fields else None,
                "b": _prf(b) if label in self.b_fields else None,
                "f1_delta": round(b["f1"] - a["f1"], 4) if self.status(label) == "both" else None,
            }
        averages = {
            name: {
                "a": _prf(metrics_a[average]),
                "b": _prf(metrics_b[average]),
                "f1_delta": round(metrics_b[average]["f1"] - metrics_a[average]["f1"], 4),
            }
            for name, metrics_a, metrics_b, average in (
                ("micro", self.a, self.b, "micro"),
                ("macro", self.a, self.b, "macro"),
                ("micro_shared", self.a_shared, self.b_shared, "micro"),
                ("macro_shared", self.a_shared, self.b_shared, "macro"),
            )
        }
        return {
            "documents": self.a["documents"],
            "given": self.documents_given,
            "trained_on": dict(self.trained_on),
            "left_out": self.left_out,
            "averages": averages,
            "per_label": rows,
        }

    def to_frame(self):
        """pandas DataFrame, one row per field (the index): its status ("both", "new" in B, "removed" from B,
        "neither"), support, A's and B's precision, recall and F1 (NaN for a model without the field) and B's F1 minus
        A's (NaN unless both know it). Needs pandas (the pandas extra)."""
        import pandas as pd  # the pandas extra, on first use

        rows = self.to_dict()["per_label"]
        nan = float("nan")
        columns = {
            "status": [row["status"] for row in rows.values()],
            "support": [row["support"] for row in rows.values()],
        }
        for model in ("a", "b"):
            for key in ("precision", "recall", "f1"):
                columns[f"{model}_{key}"] = [row[model][key] if row[model] else nan for row in rows.values()]
        columns["f1_delta"] = [nan if row["f1_delta"] is None else row["f1_delta"] for row in rows.values()]
        return pd.DataFrame(columns, index=pd.Index(list(rows), name="field"))

    def __repr__(self) -> str:
        micro = self.to_dict()["averages"]["micro"]
        left = f", {self.left_out} left out as trained on" if self.left_out else ""
        return (
            f"<Comparison on {self.a['documents']} documents{left}: micro-F1 A {micro['a']['f1']:.3f}, "
            f"B {micro['b']['f1']:.3f} ({micro['f1_delta']:+.3f}); .regressions() for the gate>"
        )

    def _repr_html_(self) -> str:
        """The table `classifier compare` prints, for a notebook: each average and each field, A, B and B minus A."""
        import html  # on first use: a notebook's display

        report = self.to_dict()

        def cells(row) -> str:
            shown = [row[model][key] if row[model] else None for key in ("precision", "recall", "f1") for model in "ab"]
            values = "".join(f"<td>{'-' if value is None else f'{value:.3f}'}</td>" for value in shown)
            delta = "" if row["f1_delta"] is None else f"{row['f1_delta']:+.3f}"
            return f"{values}<td>{delta}</td>"

        averages = "".join(
            f"<tr><th>{name}</th>{cells(report['averages'][key])}<td></td><td></td></tr>"
            for key, name in _AVERAGE_NAMES.items()
        )
        fields = "".join(
            f"<tr><td>{html.escape(label)}</td>{cells(row)}<td>{row['support']}</td>"
            f"<td>{_STATUS_NOTES.get(row['status'], '')}</td></tr>"
            for label, row in report["per_label"].items()
        )
        note = f" ({html.escape(self.training_note())})" if self.left_out else ""
        head = "".join(
            f"<th>{name}</th>" for name in ("P a", "P b", "R a", "R b", "F1 a", "F1 b", "dF1", "support", "")
        )
        return (
            f"<p>{report['documents']} documents{note}</p><table><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{averages}{fields}</tbody></table>"
        )

    def training_note(self) -> str:
        """How many of the documents each model was trained on and how many were left out; "" if none."""
        a, b = (_count(self.trained_on[name]) for name in ("a", "b"))
        if not self.left_out:
            return ""
        return (
            f"model A was trained on {a} and model B on {b} of these {self.documents_given} documents: compared on the "
            f"{self.a['documents']} neither was trained on ({self.left_out} left out)"
        )


def compare(model_a, model_b, documents, Y: np.ndarray, labels: list[str]) -> Comparison:
    """Evaluate both models on `documents` with true fields `Y` (columns `labels`)."""
    pa, aa = scores_in_columns(model_a, documents, labels)
    pb, ab = scores_in_columns(model_b, documents, labels)
    return compare_outputs(Y, labels, (pa, aa, list(model_a.labels)), (pb, ab, list(model_b.labels)))


def compare_outputs(Y: np.ndarray, labels: list[str], a: tuple, b: tuple) -> Comparison:
    """The comparison of two models' outputs on the same documents: `a` and `b` are each (probabilities,
    accepted fields, the fields the model knows), in the columns of `labels`."""
    (pa, aa, a_fields), (pb, ab, b_fields) = a, b
    Y = np.asarray(Y)
    shared = [j for j, label in enumerate(labels) if label in a_fields and label in b_fields]
    shared_labels = [labels[j] for j in shared]
    return Comparison(
        a=evaluate(Y, pa, aa, labels),
        b=evaluate(Y, pb, ab, labels),
        labels=labels,
        a_fields=list(a_fields),
        b_fields=list(b_fields),
        a_shared=evaluate(Y[:, shared], pa[:, shared], aa[:, shared], shared_labels),
        b_shared=evaluate(Y[:, shared], pb[:, shared], ab[:, shared], shared_labels),
        Y=Y,
        accepted_a=np.asarray(aa),
        accepted_b=np.asarray(ab),
    )


def compare_models(
    model_a,
    model_b,
    inputs: Sequence[str | Path],
    taxonomy=None,
    columns=None,
    glob=None,
    on_warning=None,
) -> Comparison:
    """Compare two models on `inputs`, each given as the path of its bundle (loaded here under one taxonomy: either
    may lack fields the other has) or as a loaded Model (whose fields must be the taxonomy's, or fields it has no
    more: load it with the taxonomy given).
    A document given twice is compared once, with the later row's fields; `on_warning` hears about that, texts cut
    at the CLASSIFIER_MAX_TEXT limit, a text column no row has and the documents left out for having been trained on
    (every warning `classifier compare` prints but its verdict; by default each is a UserWarning)."""
    from classifier.bundle.documents import trained_keys  # on first use: keeps start-up light
    from classifier.corpus.datasets import (  # on first use: keeps start-up light
        document_key,
        load_measured_set,
    )
    from classifier.corpus.documents import DEFAULT_GLOB, Columns, as_inputs  # on first use: keeps start-up light
    from classifier.taxonomy.fields import as_taxonomy  # on first use: keeps start-up light

    on_warning = on_warning or warn_user
    inputs = as_inputs(inputs)  # one path is one input, not the characters of its name
    named = taxonomy is not None
    taxonomy = as_taxonomy(taxonomy)  # a Taxonomy, the path of a taxonomy.yaml or None
    known, extra = set(taxonomy.labels), {}
    for name, given in (("A", model_a), ("B", model_b)):  # fields a model knows and the taxonomy has no more:
        fields = _fields_of(given, name)
        taxonomy = with_fields(taxonomy, fields)  # compared as such
        for label in fields:
            if label not in known and taxonomy.resolve(label) == label:
                extra[label] = f"{extra[label]} and {name}" if label in extra else name
    if extra and on_warning:  # a field renamed since: its two names would be two fields, each gated on nothing
        listed = ", ".join(f"{label} (model {models})" for label, models in extra.items())
        advice = "the taxonomy given names them otherwise" if named else "give the taxonomy that names both"
        on_warning(
            f"{taxonomy.path or 'the taxonomy'} has not the fields {listed}: each is compared as a field of its own "
            f"and never gated; if one is another field's new name, {advice} (--taxonomy)"
        )
    model_a, model_b = (_compared_model(given, name, taxonomy) for name, given in (("A", model_a), ("B", model_b)))
    data = load_measured_set(inputs, taxonomy, columns or Columns(), glob or DEFAULT_GLOB, on_warning, "compared")
    keys = [document_key(doc) for doc in data.documents]
    keep, trained_on = neither_trained_on(keys, trained_keys(model_a), trained_keys(model_b))
    if not keep:
        raise NothingToCompareError(
            f"{', '.join(map(str, inputs))}: every one of the {len(keys)} documents was trained on by model A "
            f"({_count(trained_on['a'])}) or model B ({_count(trained_on['b'])}); "
            "compare them on documents neither was trained on"
        )
    comparison = compare(model_a, model_b, [data.documents[i] for i in keep], data.Y[keep], data.labels)
    comparison.given, comparison.trained_on = len(keys), trained_on
    if comparison.left_out and on_warning:  # scores on documents a model learned from overstate it: left out
        on_warning(comparison.training_note())
    return comparison


def _fields_of(given, name: str) -> list[str]:
    """The fields of model `name` ("A" or "B"): a loaded Model's, or those its bundle's model.json lists."""
    from classifier.bundle.model import Model  # on first use: keeps start-up light
    from classifier.bundle.storage import read_metadata  # on first use: keeps start-up light
    from classifier.io.textio import interrupted_swap  # on first use: keeps start-up light

    if isinstance(given, Model):
        return given.labels
    if not isinstance(given, (str, os.PathLike)):
        raise TypeError(
            f"model {name} is {type(given).__name__}: expected the path of a bundle or a loaded Model (load_model)"
        )
    return read_metadata(interrupted_swap(given) or Path(given))["labels"]


def _compared_model(given, name: str, taxonomy):
    """Model `name` to compare under `taxonomy` (with the fields of both models): a path is loaded under it, a
    loaded Model is used as it is, if the taxonomy names its fields as it does."""
    from classifier.bundle.model import Model  # on first use: keeps start-up light
    from classifier.bundle.storage import BundleError, load_model  # on first use: keeps start-up light

    if not isinstance(given, Model):
        return load_model(given, taxonomy, allow_new_fields=True)
    unknown = [label for label in given.labels if label not in taxonomy.labels]
    if unknown:
        raise BundleError(
            f"model {name} names fields otherwise than {taxonomy.path or 'the taxonomy given'} ({', '.join(unknown)}): "
            "load it with that taxonomy (load_model(path, taxonomy)), or give the path of its bundle"
        )
    return given


def neither_trained_on(keys: Sequence[str], trained_a: set | None, trained_b: set | None) -> tuple[list[int], dict]:
    """The positions of the document `keys` in neither training set, and how many of them are in each
    (None for a model whose bundle does not store its documents: nothing is left out for it)."""
    counts = {}
    for name, trained in (("a", trained_a), ("b", trained_b)):
        counts[name] = None if trained is None else sum(key in trained for key in keys)
    seen = (trained_a or set()) | (trained_b or set())
    return [i for i, key in enumerate(keys) if key not in seen], counts


def with_fields(taxonomy, labels: Sequence[str]):
    """`taxonomy` with those of a model's `labels` it does not know (a field removed since the model was
    trained) put back, each after the field before it in `labels`, so that the model loads and its scores
    in them are shown; a field only one model knows is compared as such, never gated."""
    from classifier.taxonomy.fields import Field  # on first use: keeps start-up light

    fields = list(taxonomy.fields)
    for i, label in enumerate(labels):
        if label in taxonomy.labels or taxonomy.resolve(label) is not None:
            continue
        names = [f.name for f in fields]
        before = next((names.index(prev) for prev in reversed(labels[:i]) if prev in names), -1)
        dimension = fields[0].dimension if fields else ""
        fields.insert(before + 1, Field(name=label, id=f"removed: {label}", dimension=dimension, description=""))
    if len(fields) == len(taxonomy.fields):
        return taxonomy
    wider = replace(taxonomy, fields=tuple(fields))
    wider._check_unique(taxonomy.path)
    return wider


def format_comparison(comparison: Comparison, min_support: int = DEFAULT_MIN_SUPPORT) -> str:
    """A side-by-side table for the terminal: A, B and B minus A for each field and average."""
    report = comparison.to_dict()
    width = max(len(label) for label in comparison.labels + ["micro (shared fields)"])
    header = (
        f"{'':{width}}  {'P a':>5} {'P b':>5}  {'R a':>5} {'R b':>5}  {'F1 a':>5} {'F1 b':>5} {'dF1':>6} {'support':>7}"
    )
    lines = [f"documents: {report['documents']}", header]
    if comparison.left_out:
        lines[0] += f" ({comparison.training_note()})"
    for key, name in _AVERAGE_NAMES.items():
        row = report["averages"][key]
        lines.append(_row(name, width, row["a"], row["b"], row["f1_delta"], ""))
    lines.append("")
    for label, row in report["per_label"].items():
        note = f"  {_STATUS_NOTES[row['status']]}" if row["status"] in _STATUS_NOTES else ""
        if row["status"] == "both" and row["support"] < min_support:
            note = "  (small support)"
        lines.append(_row(label, width, row["a"], row["b"], row["f1_delta"], str(row["support"])) + note)
    return "\n".join(lines)


def _row(name, width, a, b, delta, support) -> str:
    def pair(key):
        return f"{_cell(a, key)} {_cell(b, key)}"

    shown = f"{delta:+6.3f}" if delta is not None else f"{'':>6}"
    return f"{name:{width}}  {pair('precision')}  {pair('recall')}  {pair('f1')} {shown} {support:>7}"


def _cell(metrics, key) -> str:
    return f"{metrics[key]:5.3f}" if metrics else f"{'-':>5}"


def _count(trained_on: int | None) -> str:
    return "an unknown number" if trained_on is None else str(trained_on)


def _prf(metrics: dict) -> dict:
    return {key: metrics[key] for key in ("precision", "recall", "f1")}
