import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.errors import UsageError
from classifier.evaluation.comparison import (
    compare_models,
    compare_outputs,
    format_comparison,
    neither_trained_on,
    with_fields,
)
from classifier.workflows.training import train

from conftest import ROOT, taxonomy_with_youth_renamed, training_records, write_jsonl

runner = CliRunner()


def may_be_used(row: dict) -> bool:
    """Items published on days 1-5 of a month or from 2025 on stay out of the tests."""
    return row["published"] < "2025-01-01" and int(row["published"][8:10]) > 5


def unseen_records() -> list[dict]:
    """Labelled whole pages the shipped model was not trained on (it was trained on training_records())."""
    path = ROOT / "training" / "data" / "whole_pages.jsonl"
    return [row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if may_be_used(row)]


def without_arms_control(path):
    """The shipped taxonomy with Arms control removed (as `taxonomy sync --write --remove` does), written to `path`."""
    from classifier.taxonomy.fields import Taxonomy

    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    start = text.index("  - name: Arms control\n")
    path.write_text(text[:start] + text[text.index("  - name: ", start + 1) :], encoding="utf-8")
    return Taxonomy.from_yaml(path)


@pytest.fixture(scope="module")
def models(tmp_path_factory, model_on_first_300):
    """A on 300 training records, B (worse) on 60 of them, and 200 later records to compare them on."""
    root = tmp_path_factory.mktemp("compare")
    rows = training_records()
    train([write_jsonl(root / "b.jsonl", rows[:60])], root / "b")
    return model_on_first_300[0], root / "b", write_jsonl(root / "held_out.jsonl", rows[-200:])


def test_a_model_compared_with_itself_has_no_deltas_and_passes_the_gate(models):
    a, _, held_out = models
    comparison = compare_models(a, a, [held_out])
    report = comparison.to_dict()
    assert report["documents"] == 200
    assert all(row["f1_delta"] == 0 for row in report["per_label"].values())
    assert report["averages"]["micro"]["a"] == report["averages"]["micro"]["b"]
    assert comparison.regressions(0.0) == []


def test_a_worse_model_is_flagged_with_the_fields_that_fell(models):
    a, b, held_out = models
    comparison = compare_models(a, b, [held_out])
    report = comparison.to_dict()
    micro = report["averages"]["micro_shared"]
    assert micro["b"]["f1"] < micro["a"]["f1"] and micro["f1_delta"] == pytest.approx(
        micro["b"]["f1"] - micro["a"]["f1"], abs=1e-4
    )
    # With the noise check off, every drop beyond --max-drop is a regression.
    regressions = comparison.regressions(0.02, min_support=10, confidence=0)
    assert regressions[0].startswith("micro F1 over the fields both models know fell by")
    fallen = [label for label, row in report["per_label"].items() if row["support"] >= 10 and row["f1_delta"] < -0.02]
    assert fallen and [line.split(":")[0] for line in regressions[1:]] == fallen
    # With it, the same drops are listed, each with its bootstrap share; the gate keeps those beyond noise.
    drops = comparison.drops(0.02, min_support=10)
    assert [line.split(" (")[0] for line, _ in drops] == [line.split(" (")[0] for line in regressions]
    shares = [int(line.rsplit("B below A in ", 1)[1].split("%")[0]) for line, _ in drops]
    assert [significant for _, significant in drops] == [share >= 95 for share in shares]
    assert drops[0][1]  # 60 training documents against 300: the micro drop is real
    # A field under the support floor is shown but never gated.
    assert not any(
        line.startswith(label + ":")
        for line in regressions
        for label, row in report["per_label"].items()
        if row["support"] < 10
    )
    table = format_comparison(comparison)
    assert "micro (shared fields)" in table and "(small support)" in table


def test_a_drop_of_one_document_is_noise_and_a_drop_of_many_is_a_regression(models):
    """One held-out document losing a field moves that field's F1 by several points: within noise.
    Losing it on half of the field's documents (five or more of them) is a regression."""
    a, _, held_out = models
    base = compare_models(a, a, [held_out])
    Y, accepted = base.Y, base.accepted_a
    hits_of = (Y & accepted).sum(axis=0)
    # The field with the fewest hits, but enough that losing half of them is more than bootstrap noise.
    j = min((k for k in range(len(base.labels)) if Y[:, k].sum() >= 10 and hits_of[k] >= 10), key=lambda k: hits_of[k])
    label, hits = base.labels[j], np.flatnonzero(Y[:, j] & accepted[:, j])
    proba = accepted.astype(float)

    def with_lost(n):
        worse = accepted.copy()
        worse[hits[:n], j] = 0
        return compare_outputs(Y, base.labels, (proba, accepted, base.labels), (proba, worse, base.labels))

    one = with_lost(1).drops(0.02)
    assert [line.split(":")[0] for line, _ in one] == [label] and not one[0][1]
    assert with_lost(1).regressions(0.02, confidence=0) == [one[0][0].split("; B below")[0] + ")"]
    many = with_lost(len(hits) // 2).regressions(0.02)
    assert f"{label}: F1 fell by" in "\n".join(many)


def test_compare_cli_exits_3_on_a_regression_and_0_otherwise(models):
    a, b, held_out = models
    result = runner.invoke(app, ["compare", str(a), str(b), str(held_out), "--max-drop", "0.02"])
    assert result.exit_code == 3
    # The verdict is the command's result: below the table on stdout, so `compare ... > gate.txt` keeps it.
    table, verdict = result.stdout.split("\nregression: ", 1)
    assert "F1 a" in table and verdict.startswith("micro F1 over the fields both models know fell by")
    assert "regression" not in result.stderr
    result = runner.invoke(app, ["compare", str(a), str(a), str(held_out), "--max-drop", "0.02", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["regressions"] == []  # stdout one JSON document; the verdict said beside it
    assert result.stderr == "no regression beyond 0.02 (fields with support >= 10, confidence 0.95)\n"
    # Without --max-drop it only reports.
    assert runner.invoke(app, ["compare", str(a), str(b), str(held_out)]).exit_code == 0


def test_compare_cli_reports_a_missing_model_in_one_line(models, tmp_path):
    a, _, held_out = models
    result = runner.invoke(app, ["compare", str(a), str(tmp_path), str(held_out)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "not a model bundle" in result.stderr


def test_a_model_without_a_field_added_since_is_compared_as_new(models, tmp_path, taxonomy):
    from classifier.taxonomy.fields import Taxonomy

    a, _, held_out = models
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    extra = (
        "  - name: Water security\n    id: water-security\n    dimension: economic-environmental\n"
        "    description: Shared rivers.\n    keywords: [water, rivers]\n\n"
    )
    (tmp_path / "t.yaml").write_text(text.replace("  - name: Youth\n", extra + "  - name: Youth\n"), encoding="utf-8")
    wider = Taxonomy.from_yaml(tmp_path / "t.yaml")
    comparison = compare_models(a, a, [held_out], taxonomy=wider)
    assert comparison.status("Water security") == "neither" and comparison.status("Youth") == "both"
    row = comparison.to_dict()["per_label"]["Water security"]
    assert row["a"] is None and row["b"] is None and row["f1_delta"] is None
    assert load_model(a, wider, allow_new_fields=True).labels == taxonomy.labels


# The gate on two models that differ and know different fields, with answers worked out by hand.
# Model A knows A, B and C; model B knows D, B and A (in that order: its columns must be remapped).
# Ten documents: field A on 0-3, B on 4-7, C and D on 8-9. Model A gets every field it knows right;
# model B finds field A only on documents 0 and 1, and gets B and D right.

LABELS = ["A", "B", "C", "D"]


class FakeModel:
    """A model reduced to what compare() uses: its fields, in its own order, and a score per document."""

    def __init__(self, labels, found):
        self.labels = labels
        self.found = found  # field -> documents it scores 0.9; the others get 0.1 + a small rank offset

    def accept(self, proba):
        return (np.asarray(proba) >= 0.5).astype(np.int8)

    def predict_proba_documents(self, documents):
        proba = np.array([[0.1 + 0.01 * j for j in range(len(self.labels))] for _ in documents])
        for j, label in enumerate(self.labels):
            proba[list(self.found.get(label, ())), j] = 0.9
        return proba

    def read_documents(self, documents):
        from classifier.bundle.model import Reading

        proba = self.predict_proba_documents(documents)
        return Reading(proba, self.accept(proba), [None] * len(proba))


def gate_case(neither=False):
    """With `neither`, a fifth field E that no model knows and no document has."""
    from classifier.evaluation.comparison import compare

    labels = LABELS + ["E"] if neither else LABELS
    Y = np.zeros((10, len(labels)), dtype=np.int8)
    Y[0:4, 0] = Y[4:8, 1] = Y[8:10, 2] = Y[8:10, 3] = 1
    model_a = FakeModel(["A", "B", "C"], {"A": range(0, 4), "B": range(4, 8), "C": range(8, 10)})
    model_b = FakeModel(["D", "B", "A"], {"A": range(0, 2), "B": range(4, 8), "D": range(8, 10)})
    return compare(model_a, model_b, list(range(10)), Y, labels)


def test_scores_are_put_in_the_comparisons_columns_and_missing_fields_score_zero():
    from classifier.evaluation.comparison import scores_in_columns

    model_b = FakeModel(["D", "B", "A"], {"A": [0], "D": [1]})
    proba, accepted = scores_in_columns(model_b, [0, 1], LABELS)
    np.testing.assert_allclose(proba, [[0.9, 0.11, 0.0, 0.1], [0.12, 0.11, 0.0, 0.9]])
    assert accepted.tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]


def test_gate_compares_only_the_fields_both_models_know():
    comparison = gate_case()
    assert [comparison.status(label) for label in LABELS] == ["both", "both", "removed", "new"]
    # Shared fields A and B: A makes no mistake (F1 1); B finds 6 of 8 with no false one: F1 12/14.
    assert comparison.a_shared["micro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert comparison.b_shared["micro"] == {"precision": 1.0, "recall": 0.75, "f1": 0.8571}
    # Over all four fields, B also misses C (not in B): F1 2*8/(2*8+4) = 0.8, not what the gate uses.
    assert comparison.b["micro"]["f1"] == 0.8
    lines = comparison.regressions(0.02, min_support=4, confidence=0)
    assert lines == [
        "micro F1 over the fields both models know fell by 0.143 (more than 0.02)",
        "A: F1 fell by 0.333 (more than 0.02; support 4)",
    ]


def test_gate_skips_fields_under_the_support_floor_and_drops_within_max_drop():
    comparison = gate_case()
    assert comparison.regressions(0.02, min_support=5, confidence=0) == [
        "micro F1 over the fields both models know fell by 0.143 (more than 0.02)"
    ]
    # The drops are 0.1429 and 0.3333 after rounding: a drop equal to --max-drop is not a regression.
    assert [line.split(":")[0] for line in comparison.regressions(0.1429, min_support=4, confidence=0)] == ["A"]
    assert len(comparison.regressions(0.1428, min_support=4, confidence=0)) == 2
    assert comparison.regressions(0.3333, min_support=4, confidence=0) == []


@pytest.mark.parametrize(
    ("gate", "refusal"),
    [
        ({"max_drop": float("nan")}, "max_drop nan: expected a drop in F1 of 0 or more"),
        ({"max_drop": -0.5}, "max_drop -0.5: expected a drop in F1 of 0 or more"),
        ({"confidence": float("nan")}, "confidence nan: expected a share of resamples from 0 to 1"),
        ({"confidence": 2}, "confidence 2: expected a share of resamples from 0 to 1"),
    ],
)
def test_a_gate_no_drop_could_fail_is_refused_not_passed(gate, refusal):
    # B's micro F1 fell by 0.143 (test above): a NaN max_drop or confidence let the gate pass it, exit 0.
    settings = {"max_drop": 0.02, "min_support": 4, "confidence": 0, **gate}
    with pytest.raises(UsageError) as caught:
        gate_case().regressions(**settings)
    assert str(caught.value) == refusal
    for option in ("--max-drop", "--confidence"):
        result = runner.invoke(app, ["compare", "a", "b", "data.jsonl", option, "nan"], prog_name="classifier")
        assert result.exit_code == 2  # before, a missing model: exit 1
        assert result.stderr.startswith(f"error: Invalid value for '{option}': nan is not a number")


def test_comparison_table_and_dict_of_models_with_different_fields():
    comparison = gate_case()
    rows = comparison.to_dict()["per_label"]
    assert rows["A"] == {
        "status": "both",
        "support": 4,
        "a": {"precision": 1.0, "recall": 1.0, "f1": 1.0},
        "b": {"precision": 1.0, "recall": 0.5, "f1": 0.6667},
        "f1_delta": -0.3333,
    }
    assert rows["C"] == {
        "status": "removed",
        "support": 2,
        "a": {"precision": 1.0, "recall": 1.0, "f1": 1.0},
        "b": None,
        "f1_delta": None,
    }
    assert rows["D"] == {
        "status": "new",
        "support": 2,
        "a": None,
        "b": {"precision": 1.0, "recall": 1.0, "f1": 1.0},
        "f1_delta": None,
    }
    averages = comparison.to_dict()["averages"]
    # Over all four fields each model also misses the one it lacks: A 20/22, B 16/20.
    assert averages["micro_shared"]["f1_delta"] == -0.1429 and averages["micro"]["f1_delta"] == round(0.8 - 20 / 22, 4)
    assert averages["macro_shared"]["a"]["f1"] == 1.0 and averages["macro_shared"]["b"]["f1"] == round(
        (2 / 3 + 1) / 2, 4
    )
    assert comparison.to_dict()["documents"] == 10
    lines = format_comparison(comparison, min_support=3).splitlines()
    assert lines[0] == "documents: 10"
    rows_by_name = {line.split()[0]: line for line in lines[2:] if line.strip()}
    assert rows_by_name["A"].split() == ["A", "1.000", "1.000", "1.000", "0.500", "1.000", "0.667", "-0.333", "4"]
    assert rows_by_name["C"].split() == ["C", "1.000", "-", "1.000", "-", "1.000", "-", "2", "not", "in", "B"]
    assert rows_by_name["D"].split() == ["D", "-", "1.000", "-", "1.000", "-", "1.000", "2", "new", "in", "B"]
    assert rows_by_name["B"].endswith("  4")
    assert format_comparison(comparison, min_support=5).splitlines()[-3].endswith("(small support)")


def bootstrap_share(comparison, label_line):
    (line,) = [line for line, _ in comparison.drops(0.0, min_support=1) if line.startswith(label_line)]
    return int(line.rsplit("B below A in ", 1)[1].split("%")[0]) / 100


def test_bootstrap_share_is_the_chance_a_resample_holds_a_document_b_got_wrong():
    # B is below A exactly when a resample draws document 2 or 3: 1 - (8/10)^10 of the time.
    comparison = gate_case()
    assert bootstrap_share(comparison, "A:") == pytest.approx(1 - 0.8**10, abs=0.03)
    assert comparison.drops(0.02, min_support=4)[1][1] is False  # 89% < 95%: within noise
    assert comparison.drops(0.02, min_support=4, confidence=0.85)[1][1] is True


@pytest.mark.parametrize("document", [0, 9])
def test_bootstrap_draws_the_first_and_the_last_document(document):
    # B differs from A on one document only: B is below A in the resamples that draw it, 1 - (9/10)^10.
    Y = np.ones((10, 2), dtype=np.int8)
    accepted_b = Y.copy()
    accepted_b[document, 0] = 0
    comparison = compare_outputs(Y, ["A", "B"], (Y * 0.9, Y, ["A", "B"]), (Y * 0.9, accepted_b, ["A", "B"]))
    assert bootstrap_share(comparison, "A:") == pytest.approx(1 - 0.9**10, abs=0.04)


@pytest.mark.parametrize(
    "true_row, a_row, b_row, b_below",
    [
        # A: 1 hit, 1 miss (F1 2/3); B: 2 hits, 1 false alarm (F1 4/5): B is better.
        ([1, 1, 0], [1, 0, 0], [1, 1, 1], False),
        # A: 3 hits, nothing wrong (F1 1); B: 3 hits, 1 false alarm (F1 6/7).
        ([1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1], True),
        # A: 1 hit, 1 miss (F1 2/3); B: 2 hits, 2 false alarms (F1 4/6): equal is not below.
        ([1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1], False),
        # B accepts nothing and nothing is true: F1 0 for both (no division by zero), not below.
        ([0, 0], [0, 0], [0, 0], False),
    ],
)
def test_bootstrap_f1_is_2tp_over_2tp_plus_errors(true_row, a_row, b_row, b_below):
    # Every document is the same, so every resample gives the same F1s: the share is 0% or 100%.
    Y, a, b = (np.array([row] * 5, dtype=np.int8) for row in (true_row, a_row, b_row))
    labels = [f"L{j}" for j in range(len(true_row))]
    comparison = compare_outputs(Y, labels, (a * 0.9, a, labels), (b * 0.9, b, labels))
    assert comparison._share_where_b_is_below(list(range(len(labels)))) == (1.0 if b_below else 0.0)


def test_the_comparison_table_exactly():
    # Every number by hand. Over all fields A misses D (R 10/12), B misses C and half of A (R 8/12);
    # macro over all fields counts a field a model lacks as 0.
    table = format_comparison(gate_case(neither=True), min_support=4)
    assert table == "\n".join(
        [
            "documents: 10",
            "                         P a   P b    R a   R b   F1 a  F1 b    dF1 support",
            "micro                  1.000 1.000  0.833 0.667  0.909 0.800 -0.109        ",
            "macro                  0.600 0.600  0.600 0.500  0.600 0.533 -0.067        ",
            "micro (shared fields)  1.000 1.000  1.000 0.750  1.000 0.857 -0.143        ",
            "macro (shared fields)  1.000 1.000  1.000 0.750  1.000 0.833 -0.167        ",
            "",
            "A                      1.000 1.000  1.000 0.500  1.000 0.667 -0.333       4",
            "B                      1.000 1.000  1.000 1.000  1.000 1.000 +0.000       4",
            "C                      1.000     -  1.000     -  1.000     -              2  not in B",
            "D                          - 1.000      - 1.000      - 1.000              2  new in B",
            "E                          -     -      -     -      -     -              0  in neither",
        ]
    )
    # A field with exactly --min-support documents is not small; one below it is.
    assert "(small support)" not in format_comparison(gate_case(), min_support=4)
    assert format_comparison(gate_case(), min_support=5).count("(small support)") == 2


class _Cells(HTMLParser):
    """The text of each row's cells in an HTML table."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_a_comparison_in_a_notebook_shows_the_table_compare_prints():
    """The same numbers by hand as the terminal table's (test_the_comparison_table_exactly): a notebook showed the
    dataclass, arrays and all; it now shows each average and field, and `to_frame` gives them to pandas."""
    comparison = gate_case(neither=True)
    assert repr(comparison) == (
        "<Comparison on 10 documents: micro-F1 A 0.909, B 0.800 (-0.109); .regressions() for the gate>"
    )
    parser = _Cells()
    parser.feed(comparison._repr_html_())
    rows = {row[0]: row[1:] for row in parser.rows}
    assert rows[""] == ["P a", "P b", "R a", "R b", "F1 a", "F1 b", "dF1", "support", ""]
    assert rows["micro"] == ["1.000", "1.000", "0.833", "0.667", "0.909", "0.800", "-0.109", "", ""]
    assert rows["A"] == ["1.000", "1.000", "1.000", "0.500", "1.000", "0.667", "-0.333", "4", ""]
    assert rows["C"] == ["1.000", "-", "1.000", "-", "1.000", "-", "", "2", "not in B"]
    assert rows["E"] == ["-", "-", "-", "-", "-", "-", "", "0", "in neither"]
    frame = comparison.to_frame()
    assert list(frame.index) == ["A", "B", "C", "D", "E"] and frame.index.name == "field"
    assert frame.loc["A"].tolist() == ["both", 4, 1.0, 1.0, 1.0, 1.0, 0.5, 0.6667, -0.3333]
    assert frame.loc["D", "status"] == "new" and np.isnan(frame.loc["D", "a_f1"]) and frame.loc["D", "b_recall"] == 1.0
    assert frame.loc["C", "b_precision"] != frame.loc["C", "b_precision"] and np.isnan(frame.loc["C", "f1_delta"])


def test_a_field_name_is_escaped_in_the_notebook_table():
    Y = np.array([[1, 0], [0, 1]])
    labels = ["<b>Elections</b>", "Youth & sport"]
    html_table = compare_outputs(Y, labels, (Y * 0.9, Y, labels), (Y * 0.9, Y, labels))._repr_html_()
    assert "&lt;b&gt;Elections&lt;/b&gt;" in html_table and "Youth &amp; sport" in html_table
    assert "<b>Elections" not in html_table


def test_by_default_the_gate_keeps_only_drops_beyond_noise():
    # Both drops of the gate case show in 89% of resamples: under the default 95%, not regressions.
    comparison = gate_case()
    assert len(comparison.drops(0.02, min_support=4)) == 2
    assert comparison.regressions(0.02, min_support=4) == []
    assert len(comparison.regressions(0.02, min_support=4, confidence=0.85)) == 2


def test_compare_models_loads_both_bundles_under_the_taxonomy_given(tmp_path, taxonomy):
    """The shipped bundle against itself under a taxonomy with one more field (fast: no training)."""
    from classifier.bundle.storage import load_model
    from classifier.taxonomy.fields import Taxonomy

    shipped = load_model().path
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    extra = (
        "  - name: Water security\n    id: water-security\n    dimension: economic-environmental\n"
        "    description: Shared rivers.\n    keywords: [water, rivers]\n\n"
    )
    (tmp_path / "t.yaml").write_text(text.replace("  - name: Youth\n", extra + "  - name: Youth\n"), encoding="utf-8")
    wider = Taxonomy.from_yaml(tmp_path / "t.yaml")
    rows = [{**row, "ref": row["id"], "body": row["text"]} for row in unseen_records()[-40:]]
    held_out = write_jsonl(tmp_path / "held_out.jsonl", rows)
    comparison = compare_models(shipped, shipped, [held_out], taxonomy=wider)
    assert comparison.labels == wider.labels and comparison.status("Water security") == "neither"
    assert comparison.a == comparison.b and comparison.a["documents"] == 40
    assert comparison.a_fields == comparison.b_fields == taxonomy.labels
    # Columns other than the default ones are read as asked.
    from classifier.corpus.documents import Columns

    renamed = write_jsonl(
        tmp_path / "renamed.jsonl", [{"ref": r["id"], "body": r["text"], "labels": r["labels"]} for r in rows]
    )
    again = compare_models(shipped, shipped, [renamed], taxonomy=wider, columns=Columns(id="ref", text="body"))
    assert again.a["documents"] == 40
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.page").write_text(
        (ROOT / "tests" / "fixtures" / "page_two_fields.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert compare_models(shipped, shipped, [folder], glob="*.page").a["documents"] == 1


@pytest.mark.parametrize("right_a, right_b", [(0.8, 0.7), (0.4, 0.35)])  # good models, and poor ones (F1 < 2/3)
def test_bootstrap_share_equals_the_paired_resamples_counted_one_by_one(right_a, right_b):
    """The gate's share, recounted from the same draws (seed 0, 2,000 rows of n documents drawn with
    replacement) with F1 taken from each resample's confusion counts."""
    rng = np.random.default_rng(7)
    Y = (rng.random((30, 3)) < 0.4).astype(np.int8)
    a = np.where(rng.random((30, 3)) < right_a, Y, 1 - Y).astype(np.int8)  # both models make mistakes,
    b = np.where(rng.random((30, 3)) < right_b, Y, 1 - Y).astype(np.int8)  # B a few more
    labels = ["A", "B", "C"]
    comparison = compare_outputs(Y, labels, (a * 0.9, a, labels), (b * 0.9, b, labels))

    def micro_f1(true, accepted):
        tp = int((true & accepted).sum())
        fp, fn = int((~true & accepted).sum()), int((true & ~accepted).sum())
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0

    draws = np.random.default_rng(0).integers(0, 30, size=(2000, 30))
    Yb, ab, bb = Y.astype(bool), a.astype(bool), b.astype(bool)
    below = sum(micro_f1(Yb[rows], bb[rows]) < micro_f1(Yb[rows], ab[rows]) for rows in draws)
    assert comparison._share_where_b_is_below([0, 1, 2]) == below / 2000
    assert 0.1 < below / 2000 < 1.0  # a case that is neither certain nor impossible
    # Only the columns asked for count.
    only_first = sum(
        micro_f1(Yb[rows][:, :1], bb[rows][:, :1]) < micro_f1(Yb[rows][:, :1], ab[rows][:, :1]) for rows in draws
    )
    assert comparison._share_where_b_is_below([0]) == only_first / 2000


def test_bootstrap_over_many_documents_draws_exactly_2000_resamples():
    # Past 5,000 documents the resamples are drawn in blocks (here 1,999 and 1); the share counts 2,000.
    Y = np.ones((5_001, 2), dtype=np.int8)
    worse = Y.copy()
    worse[:, 0] = 0  # B misses field A on every document: below A in every resample
    comparison = compare_outputs(Y, ["A", "B"], (Y * 0.9, Y, ["A", "B"]), (Y * 0.9, worse, ["A", "B"]))
    assert comparison._share_where_b_is_below([0, 1]) == 1.0


def test_a_share_equal_to_the_confidence_is_beyond_noise_and_later_fields_are_still_checked():
    # Field "New" (only B knows it) comes first; field A after it falls on every document, B holds.
    Y = np.ones((6, 3), dtype=np.int8)
    a = np.array([[0, 1, 1]] * 6, dtype=np.int8)
    b = np.array([[1, 0, 1]] * 6, dtype=np.int8)
    comparison = compare_outputs(Y, ["New", "A", "B"], (a * 0.9, a, ["A", "B"]), (b * 0.9, b, ["New", "A", "B"]))
    drops = comparison.drops(0.02, min_support=1, confidence=1.0)
    assert [(line.split(" fell")[0], significant) for line, significant in drops] == [
        ("micro F1 over the fields both models know", True),
        ("A: F1", True),
    ]


def test_the_documents_each_model_was_trained_on_are_counted_and_left_out():
    # Keys 1-4; A was trained on k1 and k2, B on k2 and k3: only k4 is in neither.
    assert neither_trained_on(["k1", "k2", "k3", "k4"], {"k1", "k2"}, {"k2", "k3", "other"}) == (
        [3],
        {"a": 2, "b": 2},
    )
    # A bundle that does not store its documents: its count is unknown and nothing is left out for it.
    assert neither_trained_on(["k1", "k2", "k3"], None, {"k3"}) == ([0, 1], {"a": None, "b": 1})
    assert neither_trained_on(["k1", "k2"], None, None) == ([0, 1], {"a": None, "b": None})


def test_compare_leaves_out_the_documents_the_models_were_trained_on_and_says_so(tmp_path):
    """The shipped bundle was trained on every corpus item and on none of the whole pages (fast: no training)."""
    shipped = load_model().path
    seen, unseen = [r for r in training_records() if may_be_used(r)][:30], unseen_records()[:40]
    data = write_jsonl(tmp_path / "mixed.jsonl", seen + unseen)
    comparison = compare_models(shipped, shipped, [data])
    alone = compare_models(shipped, shipped, [write_jsonl(tmp_path / "unseen.jsonl", unseen)])
    assert comparison.a == alone.a and comparison.a["documents"] == 40
    assert alone.left_out == 0 and alone.trained_on == {"a": 0, "b": 0} and alone.training_note() == ""
    report = comparison.to_dict()
    assert (report["documents"], report["given"], report["trained_on"], report["left_out"]) == (
        40,
        70,
        {"a": 30, "b": 30},
        30,
    )
    note = (
        "model A was trained on 30 and model B on 30 of these 70 documents: compared on the 40 neither was trained on"
    )
    assert format_comparison(comparison).splitlines()[0] == f"documents: 40 ({note} (30 left out))"
    result = runner.invoke(app, ["compare", str(shipped), str(shipped), str(data), "--max-drop", "0.02", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["trained_on"] == {"a": 30, "b": 30}
    assert result.stderr.splitlines()[0] == f"warning: {note} (30 left out)"
    # Nothing left to compare on: one line, exit 4, and no verdict.
    only_seen = write_jsonl(tmp_path / "seen.jsonl", seen)
    result = runner.invoke(app, ["compare", str(shipped), str(shipped), str(only_seen), "--max-drop", "0.02"])
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr == (
        f"error: {only_seen}: every one of the 30 documents was trained on by model A (30) or model B (30); "
        "compare them on documents neither was trained on\n"
    )


def test_a_field_the_taxonomy_no_longer_has_is_put_back_where_the_model_had_it(tmp_path, taxonomy):
    narrower = without_arms_control(tmp_path / "t.yaml")
    assert "Arms control" not in narrower.labels
    wider = with_fields(narrower, ["Arms control", "Border management", "Water security", "Youth"])
    assert wider.labels == ["Arms control", *narrower.labels[:1], "Water security", *narrower.labels[1:]]
    assert wider.resolve("arms control") == "Arms control"
    # Fields it knows, by name or by another spelling, are not added again.
    assert with_fields(narrower, ["Border management", "Youth"]) is narrower
    assert with_fields(taxonomy, taxonomy.labels) is taxonomy


def test_the_shipped_model_is_compared_under_a_taxonomy_without_one_of_its_fields(tmp_path, taxonomy):
    shipped = load_model().path
    narrower = without_arms_control(tmp_path / "t.yaml")
    held_out = write_jsonl(tmp_path / "held_out.jsonl", unseen_records()[:40])
    comparison = compare_models(shipped, shipped, [held_out], taxonomy=narrower)
    assert comparison.labels == taxonomy.labels and comparison.status("Arms control") == "both"
    result = runner.invoke(
        app, ["compare", str(shipped), str(shipped), str(held_out), "--taxonomy", str(tmp_path / "t.yaml")]
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.slow
def test_a_model_retrained_without_a_removed_field_is_compared_with_the_one_that_has_it(models, tmp_path):
    a, _, held_out = models
    narrower = without_arms_control(tmp_path / "t.yaml")
    rows = [r for r in training_records()[:300] if may_be_used(r) and "Arms control" not in r["labels"]][:80]
    b = tmp_path / "b"
    train([write_jsonl(tmp_path / "b.jsonl", rows)], b, taxonomy=narrower)
    for taxonomy in (narrower, None):  # with the taxonomy B was trained with, and with the one A was
        comparison = compare_models(a, b, [held_out], taxonomy=taxonomy)
        assert comparison.status("Arms control") == "removed"
        assert "Arms control" not in " ".join(line for line, _ in comparison.drops(0.0, min_support=1, confidence=0))
        row = next(line for line in format_comparison(comparison).splitlines() if line.startswith("Arms control"))
        assert row.endswith("not in B")
    reverse = compare_models(b, a, [held_out], taxonomy=narrower)
    assert reverse.status("Arms control") == "new"


def test_a_count_a_bundle_cannot_give_is_said_to_be_unknown():
    comparison = gate_case()  # ten documents compared
    assert comparison.left_out == 0 and comparison.training_note() == ""
    comparison.given, comparison.trained_on = 12, {"a": None, "b": 2}
    assert comparison.left_out == 2 and comparison.to_dict()["given"] == 12
    assert comparison.training_note() == (
        "model A was trained on an unknown number and model B on 2 of these 12 documents: "
        "compared on the 10 neither was trained on (2 left out)"
    )


def test_a_field_put_back_is_marked_removed_in_the_dimension_of_the_first_field(tmp_path):
    from classifier.taxonomy.fields import Field, Taxonomy, TaxonomyError

    narrower = without_arms_control(tmp_path / "t.yaml")  # its first fields: Border management, Combating trafficking
    wider = with_fields(narrower, ["Arms control", "Border management", "Water security", "Youth"])
    assert wider.fields[0] == Field(
        name="Arms control", id="removed: Arms control", dimension="politico-military", description=""
    )
    assert wider.fields[2] == Field(
        name="Water security", id="removed: Water security", dimension="politico-military", description=""
    )
    # A field known by another spelling is not put back.
    assert with_fields(narrower, ["border management", "YOUTH"]) is narrower
    # A taxonomy of no field: the field has no dimension.
    empty = Taxonomy.from_dict({"dimensions": {"human": "Human dimension"}, "fields": []})
    put_back = Field(name="Youth", id="removed: Youth", dimension="", description="")
    assert with_fields(empty, ["Youth"]).fields == (put_back,)
    # Two spellings of one field are refused, naming the taxonomy.
    with pytest.raises(TaxonomyError) as refused:
        with_fields(narrower, ["Water security", "water security"])
    assert str(refused.value) == (
        f"{tmp_path / 't.yaml'}: field 'water security': name 'water security' is used by another field"
    )


def test_the_gate_keeps_the_drops_within_noise_apart():
    comparison = gate_case()  # both drops show in 89% of resamples: within the default 95%
    assert comparison.gate(0.02, min_support=4) == (
        [],
        [
            "micro F1 over the fields both models know fell by 0.143 "
            "(more than 0.02; B below A in 89% of 2000 resamples)",
            "A: F1 fell by 0.333 (more than 0.02; support 4; B below A in 89% of 2000 resamples)",
        ],
    )
    # A comparison not made by compare_models gives the documents compared as the documents given.
    assert comparison.to_dict()["given"] == 10


def test_compare_cli_prints_the_verdict_of_drops_within_noise_below_its_table(monkeypatch):
    comparison = gate_case()
    monkeypatch.setattr("classifier.evaluation.comparison.compare_models", lambda *args, **kwargs: comparison)
    result = runner.invoke(
        app, ["compare", "base", "candidate", "data.jsonl", "--max-drop", "0.02", "--min-support", "4"]
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == format_comparison(comparison, 4) + "\n" + (
        "within noise (not a regression): micro F1 over the fields both models know fell by 0.143 "
        "(more than 0.02; B below A in 89% of 2000 resamples)\n"
        "within noise (not a regression): A: F1 fell by 0.333 (more than 0.02; support 4; B below A in 89% of 2000 "
        "resamples)\n"
        "no regression beyond 0.02 (fields with support >= 4, confidence 0.95)\n"
    )


def test_compare_cli_passes_its_arguments_in_order_and_gates_with_the_settings_given(monkeypatch):
    """The gate case's drops show in 89% of the resamples: within the default confidence (0.95), a regression at
    0.85; its field A has 4 true documents, under the default --min-support (10): only the micro F1 is gated."""
    from classifier.corpus.documents import Columns
    from classifier.options import GLOB_SEPARATOR

    comparison, calls = gate_case(), []
    monkeypatch.setattr(
        "classifier.evaluation.comparison.compare_models",
        lambda *args, **kwargs: calls.append((args, kwargs)) or comparison,
    )
    report = runner.invoke(app, ["compare", "base", "candidate", "one.jsonl", "two.jsonl"])
    assert (report.exit_code, report.stdout, report.stderr) == (0, format_comparison(comparison, 10) + "\n", "")
    args, kwargs = calls[0]
    assert args == (Path("base"), Path("candidate"), ["one.jsonl", "two.jsonl"])
    assert (kwargs["taxonomy"], kwargs["columns"], kwargs["glob"]) == (None, Columns(), "*.txt")
    micro = (
        "micro F1 over the fields both models know fell by 0.143 (more than 0.02; B below A in 89% of 2000 resamples)"
    )
    field = "A: F1 fell by 0.333 (more than 0.02; support 4; B below A in 89% of 2000 resamples)"
    gated = runner.invoke(app, ["compare", "base", "candidate", "data.jsonl", "--max-drop", "0.02"])
    assert (gated.exit_code, gated.stderr) == (0, "")
    assert gated.stdout == format_comparison(comparison, 10) + "\n" + (
        f"within noise (not a regression): {micro}\n"
        "no regression beyond 0.02 (fields with support >= 10, confidence 0.95)\n"
    )
    strict = ["compare", "base", "candidate", "data.jsonl", "--max-drop", "0.02", "--min-support", "4"]
    resampled = "; B below A in 89% of 2000 resamples"
    for confidence, said in (("0.85", resampled), ("0", "")):  # 0: every drop counts, the resamples unsaid
        failed = runner.invoke(app, [*strict, "--confidence", confidence])
        assert (failed.exit_code, failed.stderr) == (3, "")
        verdict = f"regression: {micro}\nregression: {field}\n".replace(resampled, said)
        assert failed.stdout == format_comparison(comparison, 4) + "\n" + verdict
    # In JSON the verdict is in the document, and said on stderr; the exit code is the same.
    as_json = runner.invoke(app, [*strict, "--confidence", "0.85", "-f", "json"])
    assert as_json.exit_code == 3 and as_json.stderr == f"regression: {micro}\nregression: {field}\n"
    assert json.loads(as_json.stdout) == {**comparison.to_dict(), "regressions": [micro, field], "within_noise": []}
    named = ["--taxonomy", str(ROOT / "taxonomy.yaml"), "--id-column", "i", "--title-column", "ti"]
    named += ["--text-column", "te", "--labels-column", "la", "--glob", "*.md", "--glob", "*.htm"]
    assert runner.invoke(app, ["compare", "a", "b", "data.jsonl", *named]).exit_code == 0
    kwargs = calls[-1][1]
    assert kwargs["taxonomy"].path == str(ROOT / "taxonomy.yaml") and kwargs["glob"] == f"*.md{GLOB_SEPARATOR}*.htm"
    assert kwargs["columns"] == Columns(id="i", title="ti", text="te", labels="la")


def test_nothing_left_to_compare_names_every_input(tmp_path):
    from classifier.evaluation.comparison import NothingToCompareError

    shipped = load_model().path
    seen = [r for r in training_records() if may_be_used(r)][:4]
    first, second = write_jsonl(tmp_path / "one.jsonl", seen[:2]), write_jsonl(tmp_path / "two.jsonl", seen[2:])
    with pytest.raises(NothingToCompareError) as refused:
        compare_models(shipped, shipped, [first, second])
    assert str(refused.value) == (
        f"{first}, {second}: every one of the 4 documents was trained on by model A (4) or model B (4); "
        "compare them on documents neither was trained on"
    )


def test_rows_repeating_a_document_are_compared_once_and_the_caller_hears_so(models, tmp_path):
    a, b, held_out = models
    rows = [json.loads(line) for line in held_out.read_text(encoding="utf-8").splitlines()[:3]]
    repeated = {**rows[0], "labels": ["Youth"] if rows[0]["labels"] != ["Youth"] else ["Elections"]}
    data = write_jsonl(tmp_path / "data.jsonl", [*rows, rows[1], repeated])
    heard = []
    comparison = compare_models(a, b, [data], on_warning=heard.append)
    assert comparison.to_dict()["documents"] == 3
    assert heard[-1] == (
        "2 rows repeat a document given before (same title and text), compared once; 1 with other fields (the later "
        "row's kept)"
    )
    assert len(heard) == 2 and heard[0].startswith("conflicting fields for ")


def test_loaded_models_are_compared_as_their_bundles_are(models):
    a, b, held_out = models
    by_path = compare_models(a, b, [held_out]).to_dict()
    loaded_a, loaded_b = load_model(a), load_model(b)
    assert compare_models(loaded_a, loaded_b, [held_out]).to_dict() == by_path
    assert (
        compare_models(loaded_a, b, [held_out]).to_dict()
        == by_path
        == compare_models(a, loaded_b, [held_out]).to_dict()
    )
    # B (trained on 60 documents) is the worse one, whichever way it is given: A and B are not swapped.
    micro = by_path["averages"]["micro_shared"]
    assert micro["b"]["f1"] < micro["a"]["f1"]
    with pytest.raises(TypeError, match=r"^model B is int: expected the path of a bundle or a loaded Model"):
        compare_models(a, 3, [held_out])


def test_a_loaded_model_whose_fields_the_taxonomy_names_otherwise_is_refused_in_one_line(tmp_path):
    from classifier.bundle.storage import BundleError
    from classifier.taxonomy.fields import Taxonomy

    (tmp_path / "t.yaml").write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    unseen = write_jsonl(tmp_path / "unseen.jsonl", unseen_records()[:40])
    shipped = load_model()  # its field is "Youth", which the renamed taxonomy knows as an alias of "Young people"
    with pytest.raises(BundleError, match=r"^model A names fields otherwise than .*t\.yaml \(Youth\): load it with"):
        compare_models(shipped, shipped.path, [unseen], tmp_path / "t.yaml")
    # Loaded with that taxonomy, it is compared as its bundle is.
    again = load_model(shipped.path, Taxonomy.from_yaml(tmp_path / "t.yaml"))
    assert (
        compare_models(again, shipped.path, [unseen], tmp_path / "t.yaml").to_dict()
        == compare_models(shipped.path, shipped.path, [unseen], tmp_path / "t.yaml").to_dict()
    )


def test_the_caller_hears_the_documents_left_out_as_the_command_line_says_them(tmp_path):
    """The shipped bundle was trained on every corpus item and on none of the whole pages (fast: no training)."""
    shipped = load_model().path
    seen, unseen = [r for r in training_records() if may_be_used(r)][:3], unseen_records()[:5]
    data = write_jsonl(tmp_path / "mixed.jsonl", seen + unseen)
    note = "model A was trained on 3 and model B on 3 of these 8 documents: compared on the 5 neither was trained on"
    heard = []
    compare_models(shipped, shipped, [data], on_warning=heard.append)
    assert heard == [f"{note} (3 left out)"]
    result = runner.invoke(app, ["compare", str(shipped), str(shipped), str(data)])
    assert result.exit_code == 0 and result.stderr == f"warning: {note} (3 left out)\n"  # said once


def test_a_model_trained_in_memory_leaves_out_its_own_documents_as_a_saved_one_does(tmp_path):
    """A candidate trained and not saved had no bundle to read its documents from: compared or evaluated on its own
    training data, nothing was left out and nothing said, so the regression gate passed it on what it had learned."""
    from classifier.evaluation.metrics import evaluate_model

    records = [r for r in training_records() if may_be_used(r)]
    trained_data = write_jsonl(tmp_path / "train.jsonl", records[:60])
    candidate, _ = train([trained_data], on_warning=lambda line: None)
    heard = []
    metrics = evaluate_model(candidate, [trained_data], on_warning=heard.append)
    assert metrics["trained_on"] == 60
    assert heard[0] == (
        "the model was trained on 60 of these 60 documents: their scores overstate how it does on new texts"
    )
    mixed = write_jsonl(tmp_path / "mixed.jsonl", records[50:60] + unseen_records()[:20])
    comparison = compare_models(load_model().path, candidate, [mixed])
    assert comparison.trained_on == {"a": 10, "b": 10} and comparison.left_out == 10
    assert comparison.a["documents"] == 20
    saved, _ = train([trained_data], tmp_path / "saved", on_warning=lambda line: None)
    assert compare_models(load_model().path, saved, [mixed]).trained_on == comparison.trained_on


def test_a_field_renamed_since_one_model_was_trained_is_said_when_no_taxonomy_names_both(tmp_path):
    """B trained after Youth was renamed Young people, compared under the shipped taxonomy: the two names were two
    fields, each shown beside nothing and gated on nothing, without a word. Said now, with what to give."""
    import shutil

    bundle = tmp_path / "b"
    shutil.copytree(ROOT / "models" / "default", bundle)
    metadata = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    metadata["labels"] = ["Young people" if label == "Youth" else label for label in metadata["labels"]]
    (bundle / "model.json").write_text(json.dumps(metadata), encoding="utf-8")
    unseen = write_jsonl(tmp_path / "unseen.jsonl", unseen_records()[:20])
    heard = []
    compare_models(load_model().path, bundle, [unseen], on_warning=heard.append)
    from classifier.taxonomy.fields import default_taxonomy

    assert heard == [
        f"{default_taxonomy().path} has not the fields Young people (model B): each is compared as a field of its "
        "own and never gated; if one is another field's new name, give the taxonomy that names both (--taxonomy)"
    ]
    # A field both models have and the taxonomy given has not (removed from it): said once, for both.
    heard.clear()
    compare_models(
        load_model().path,
        load_model().path,
        [unseen],
        without_arms_control(tmp_path / "n.yaml"),
        on_warning=heard.append,
    )
    assert heard == [
        f"{tmp_path / 'n.yaml'} has not the fields Arms control (model A and B): each is compared as a field of its "
        "own and never gated; if one is another field's new name, the taxonomy given names them otherwise "
        "(--taxonomy)"
    ]
    (tmp_path / "t.yaml").write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    heard.clear()
    compare_models(load_model().path, bundle, [unseen], tmp_path / "t.yaml", on_warning=heard.append)
    assert heard == []  # the taxonomy that names both: one field


def test_the_notebook_table_and_the_repr_say_the_documents_left_out():
    """The whole notebook table of test_the_comparison_table_exactly (every number by hand), with two of twelve
    documents left out, as HTML."""
    comparison = gate_case(neither=True)
    assert comparison._repr_html_().startswith("<p>10 documents</p><table>")  # nothing left out: nothing said
    comparison.given, comparison.trained_on = 12, {"a": None, "b": 2}
    assert repr(comparison) == (
        "<Comparison on 10 documents, 2 left out as trained on: micro-F1 A 0.909, B 0.800 (-0.109); .regressions() "
        "for the gate>"
    )

    def row(first, values, last):
        return f"<tr>{first}" + "".join(f"<td>{value}</td>" for value in [*values, *last]) + "</tr>"

    averages = [
        ("micro", ["1.000", "1.000", "0.833", "0.667", "0.909", "0.800", "-0.109"]),
        ("macro", ["0.600", "0.600", "0.600", "0.500", "0.600", "0.533", "-0.067"]),
        ("micro (shared fields)", ["1.000", "1.000", "1.000", "0.750", "1.000", "0.857", "-0.143"]),
        ("macro (shared fields)", ["1.000", "1.000", "1.000", "0.750", "1.000", "0.833", "-0.167"]),
    ]
    fields = [
        ("A", ["1.000", "1.000", "1.000", "0.500", "1.000", "0.667", "-0.333"], ["4", ""]),
        ("B", ["1.000", "1.000", "1.000", "1.000", "1.000", "1.000", "+0.000"], ["4", ""]),
        ("C", ["1.000", "-", "1.000", "-", "1.000", "-", ""], ["2", "not in B"]),
        ("D", ["-", "1.000", "-", "1.000", "-", "1.000", ""], ["2", "new in B"]),
        ("E", ["-", "-", "-", "-", "-", "-", ""], ["0", "in neither"]),
    ]
    head = "".join(
        f"<th>{name}</th>" for name in ["", "P a", "P b", "R a", "R b", "F1 a", "F1 b", "dF1", "support", ""]
    )
    assert comparison._repr_html_() == (
        "<p>10 documents (model A was trained on an unknown number and model B on 2 of these 12 documents: compared "
        f"on the 10 neither was trained on (2 left out))</p><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(row(f"<th>{name}</th>", values, ["", ""]) for name, values in averages)
        + "".join(row(f"<td>{name}</td>", values, last) for name, values, last in fields)
        + "</tbody></table>"
    )


def test_the_frame_holds_every_field_and_column_as_the_table_shows_them():
    pd = pytest.importorskip("pandas")
    nan = float("nan")
    expected = pd.DataFrame(
        {
            "status": ["both", "both", "removed", "new", "neither"],
            "support": [4, 4, 2, 2, 0],
            "a_precision": [1.0, 1.0, 1.0, nan, nan],
            "a_recall": [1.0, 1.0, 1.0, nan, nan],
            "a_f1": [1.0, 1.0, 1.0, nan, nan],
            "b_precision": [1.0, 1.0, nan, 1.0, nan],
            "b_recall": [0.5, 1.0, nan, 1.0, nan],
            "b_f1": [0.6667, 1.0, nan, 1.0, nan],
            "f1_delta": [-0.3333, 0.0, nan, nan, nan],
        },
        index=pd.Index(["A", "B", "C", "D", "E"], name="field"),
    )
    pd.testing.assert_frame_equal(gate_case(neither=True).to_frame(), expected)


def test_a_bundle_a_killed_save_left_moved_aside_is_compared_where_it_is(tmp_path):
    """A kill between a save's two renames leaves the bundle at `.NAME.old-PID`: compare reads its fields and its
    model there, as it reads the bundle at NAME, and changes nothing."""
    import shutil

    shipped = load_model().path
    shutil.copytree(shipped, tmp_path / ".b.old-999999999")  # a process id no process has
    unseen = write_jsonl(tmp_path / "unseen.jsonl", unseen_records()[:20])
    aside = compare_models(shipped, tmp_path / "b", [unseen]).to_dict()
    assert aside == compare_models(shipped, shipped, [unseen]).to_dict() and aside["documents"] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.old-999999999", "unseen.jsonl"]


def test_each_model_is_counted_against_the_documents_it_was_trained_on(tmp_path):
    """A: the shipped bundle, trained on every corpus item; B: the same model held in memory without its documents
    (nothing to leave out for it, its count unknown). Then the other way round."""
    from classifier.bundle.model import Model

    shipped = load_model()
    without = Model(shipped.estimator, shipped.metadata)  # no bundle, and no documents of its own
    seen, unseen = [r for r in training_records() if may_be_used(r)][:3], unseen_records()[:5]
    data = write_jsonl(tmp_path / "mixed.jsonl", seen + unseen)
    heard = []
    comparison = compare_models(shipped.path, without, [data], on_warning=heard.append)
    assert (comparison.trained_on, comparison.left_out, comparison.a["documents"]) == ({"a": 3, "b": None}, 3, 5)
    assert heard == [
        "model A was trained on 3 and model B on an unknown number of these 8 documents: compared on the 5 neither "
        "was trained on (3 left out)"
    ]
    assert compare_models(without, shipped.path, [data], on_warning=heard.append).trained_on == {"a": None, "b": 3}
    with pytest.warns(UserWarning) as caught:  # said to a caller who gave no on_warning as well
        compare_models(shipped.path, without, [data])
    assert [str(warning.message) for warning in caught] == heard[:1]


def test_rows_repeating_a_document_are_compared_once_and_said(tmp_path):
    shipped = load_model().path
    rows = unseen_records()[:3]
    other = ["Youth"] if rows[0]["labels"] != ["Youth"] else ["Elections"]
    data = write_jsonl(tmp_path / "data.jsonl", [*rows, rows[1], {**rows[0], "labels": other}])
    heard = []
    comparison = compare_models(shipped, shipped, [data], on_warning=heard.append)
    assert comparison.a["documents"] == 3
    assert len(heard) == 2 and heard[0].startswith("conflicting fields for ") and heard[0].endswith(f"kept {data}:5")
    assert heard[1] == (
        "2 rows repeat a document given before (same title and text), compared once; 1 with other fields (the later "
        "row's kept)"
    )


def test_two_models_that_share_no_field_are_compared_on_each_ones_own():
    """A knows field A alone and B field B alone; each finds its field in the one document that has it. Comparing
    them raised a reshape error (the metrics of the fields both know: none); now each is measured on its own field."""
    Y = np.array([[1, 0], [0, 1]])
    a, b = np.array([[1, 0], [0, 0]]), np.array([[0, 0], [0, 1]])
    comparison = compare_outputs(Y, ["A", "B"], (a * 0.9, a, ["A"]), (b * 0.9, b, ["B"]))
    own = {"precision": 1.0, "recall": 0.5, "f1": 0.6667}  # one of the two true fields found, nothing wrong
    nothing = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    averages = comparison.to_dict()["averages"]
    assert averages["micro"] == {"a": own, "b": own, "f1_delta": 0.0}
    assert averages["micro_shared"] == averages["macro_shared"] == {"a": nothing, "b": nothing, "f1_delta": 0.0}
    assert [comparison.status(label) for label in ("A", "B")] == ["removed", "new"]
    assert comparison.regressions(0.0, min_support=1, confidence=0) == []  # nothing both know: nothing to gate
    pd = pytest.importorskip("pandas")
    deltas = comparison.to_frame()["f1_delta"]  # NaN for every field, as numbers, not None
    assert deltas.dtype == np.float64 and deltas.isna().all()
    pd.testing.assert_series_equal(
        deltas, pd.Series([np.nan, np.nan], index=pd.Index(["A", "B"], name="field"), name="f1_delta")
    )
