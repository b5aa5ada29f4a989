import numpy as np
import pytest

from classifier.evaluation.metrics import evaluate, ranking_metrics


def test_ranking_metrics_by_hand():
    Y = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]])
    proba = np.array([[0.9, 0.8, 0.1, 0.7], [0.6, 0.5, 0.4, 0.3], [0.5, 0.5, 0.5, 0.5]])
    metrics = ranking_metrics(Y, proba)
    # The unlabelled third row is left out. Row 1: hits at ranks 1 and 3; row 2: a hit at rank 2.
    ideal_two = 1 + 1 / np.log2(3)
    assert metrics["p@1"] == 0.5 and metrics["r@3"] == 1.0
    assert metrics["ndcg@3"] == round(((1 + 0.5) / ideal_two + (1 / np.log2(3)) / 1) / 2, 4)


def test_ranking_metrics_with_fewer_labels_than_k():
    Y = np.array([[1, 0], [0, 1]])
    proba = np.array([[0.9, 0.1], [0.6, 0.4]])
    assert ranking_metrics(Y, proba) == {"p@1": 0.5, "r@3": 1.0, "ndcg@3": round((1 + 1 / np.log2(3)) / 2, 4)}


def test_evaluate_averages_and_per_label():
    Y = np.array([[1, 0], [1, 1], [0, 1]])
    accepted = np.array([[1, 0], [1, 0], [1, 1]])
    metrics = evaluate(Y, Y * 0.8, accepted, ["A", "B"])
    assert metrics["micro"] == {"precision": 0.75, "recall": 0.75, "f1": 0.75}
    assert metrics["per_label"]["A"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}
    assert metrics["per_label"]["B"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}


def test_an_existing_report_is_refused_naming_the_python_argument_and_the_command_line_option(tmp_path):
    pytest.importorskip("matplotlib")
    from classifier import load_model
    from classifier.errors import OutputExistsError
    from classifier.evaluation.metrics import evaluate_model

    from conftest import ROOT

    report = tmp_path / "report.html"
    report.write_text("precious", encoding="utf-8")
    with pytest.raises(OutputExistsError) as caught:
        evaluate_model(load_model(), [ROOT / "examples" / "retraining" / "held_out.jsonl"], report=report)
    assert str(caught.value) == f"{report}: already exists; pass force=True to overwrite it"
    assert caught.value.command_line == f"{report}: already exists; pass --force to overwrite it"
    assert report.read_text(encoding="utf-8") == "precious"


def test_an_output_exists_error_without_its_command_line_words_says_the_same_to_both():
    from classifier.errors import OutputExistsError

    assert OutputExistsError("out.jsonl: exists").command_line == "out.jsonl: exists"
