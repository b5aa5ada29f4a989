import json

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.evaluation.comparison import compare_models, compare_outputs, format_comparison
from classifier.workflows.training import train

from conftest import ROOT, training_records, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A on 300 training records, B (worse) on 60 of them, and 200 later records to compare them on."""
    root = tmp_path_factory.mktemp("compare")
    rows = training_records()
    train([write_jsonl(root / "a.jsonl", rows[:300])], root / "a")
    train([write_jsonl(root / "b.jsonl", rows[:60])], root / "b")
    return root / "a", root / "b", write_jsonl(root / "held_out.jsonl", rows[-200:])


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
    assert micro["b"]["f1"] < micro["a"]["f1"] and micro["f1_delta"] == pytest.approx(micro["b"]["f1"] - micro["a"]["f1"], abs=1e-4)
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
    assert not any(line.startswith(label + ":") for line in regressions for label, row in report["per_label"].items() if row["support"] < 10)
    table = format_comparison(comparison)
    assert "micro (shared fields)" in table and "(small support)" in table


def test_a_drop_of_one_document_is_noise_and_a_drop_of_many_is_a_regression(models):
    """One held-out document losing a field moves that field's F1 by several points: within noise.
    Losing it on half of the field's documents is a regression."""
    a, _, held_out = models
    base = compare_models(a, a, [held_out])
    Y, accepted = base.Y, base.accepted_a
    hits_of = (Y & accepted).sum(axis=0)
    j = min((k for k in range(len(base.labels)) if Y[:, k].sum() >= 10 and hits_of[k] >= 4), key=lambda k: hits_of[k])
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
    assert result.stderr.startswith("regression: micro F1 over the fields both models know fell by")
    assert "F1 a" in result.stdout
    result = runner.invoke(app, ["compare", str(a), str(a), str(held_out), "--max-drop", "0.02", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["regressions"] == []
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
    extra = "  - name: Water security\n    id: water-security\n    dimension: economic-environmental\n    description: Shared rivers.\n    keywords: [water, rivers]\n\n"
    (tmp_path / "t.yaml").write_text(text.replace("  - name: Youth\n", extra + "  - name: Youth\n"), encoding="utf-8")
    wider = Taxonomy.from_yaml(tmp_path / "t.yaml")
    comparison = compare_models(a, a, [held_out], taxonomy=wider)
    assert comparison.status("Water security") == "neither" and comparison.status("Youth") == "both"
    row = comparison.to_dict()["per_label"]["Water security"]
    assert row["a"] is None and row["b"] is None and row["f1_delta"] is None
    assert load_model(a, wider, allow_new_fields=True).labels == taxonomy.labels
