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


def _rows(path, rows):
    import json

    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


MEDIA_ROW = {
    "title": "Journalists' safety at risk, media freedom representative warns",
    "text": "The Representative on Freedom of the Media said attacks on reporters covering protests must be "
    "investigated and those responsible brought to justice.",
    "labels": ["Media freedom and development"],
}


def test_a_document_given_twice_is_measured_once_and_the_caller_hears_so(tmp_path):
    from classifier import load_model
    from classifier.evaluation.metrics import evaluate_model

    data = _rows(tmp_path / "dup.jsonl", [MEDIA_ROW, {**MEDIA_ROW, "labels": ["Human rights"]}])
    heard = []
    metrics = evaluate_model(load_model(), [data], on_warning=heard.append)
    assert metrics["documents"] == 1
    assert metrics["per_label"]["Human rights"]["support"] == 1  # the later row's fields are the gold
    assert metrics["per_label"]["Media freedom and development"]["support"] == 0
    assert heard == [
        "conflicting fields for 'Journalists' safety at risk, media freedom representative...': "
        f"{data}:1 [Media freedom and development] vs {data}:2 [Human rights]; kept {data}:2",
        "1 row repeats a document given before (same title and text), measured once; 1 with other fields (the "
        "later row's kept)",
    ]


def test_a_text_column_no_row_has_and_cut_texts_are_said_when_evaluating(tmp_path, monkeypatch):
    from classifier import load_model
    from classifier.evaluation.metrics import evaluate_model

    data = tmp_path / "in.csv"
    data.write_text(f'title,body,labels\n"{MEDIA_ROW["title"]}","{MEDIA_ROW["text"]}",Elections\n', encoding="utf-8")
    heard = []
    evaluate_model(load_model(), [data], on_warning=heard.append)
    assert heard == [
        f"{data}: no row has a 'text' column (columns: title, body, labels): its documents are read from their titles "
        "alone; --text-column names another"
    ]
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "60")
    heard.clear()
    evaluate_model(load_model(), [_rows(tmp_path / "in.jsonl", [MEDIA_ROW])], on_warning=heard.append)
    assert heard == [f"{tmp_path / 'in.jsonl'}:1: text cut at 60 characters (the CLASSIFIER_MAX_TEXT limit)"]


def test_a_taxonomy_whose_fields_are_not_the_models_is_refused_before_any_number(tmp_path):
    from classifier import load_model
    from classifier.bundle.storage import BundleError
    from classifier.evaluation.metrics import evaluate_model
    from classifier.taxonomy.fields import Taxonomy

    from conftest import ROOT

    lines = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    shipped = Taxonomy.from_yaml(ROOT / "taxonomy.yaml")
    first, second = shipped.labels[:2]  # swapped: the same fields in another order
    swapped = tmp_path / "taxonomy.yaml"
    swapped.write_text(
        lines.replace(f"name: {first}\n", "name: @@\n")
        .replace(f"name: {second}\n", f"name: {first}\n")
        .replace("name: @@\n", f"name: {second}\n"),
        encoding="utf-8",
    )
    assert Taxonomy.from_yaml(swapped).labels[:2] == [second, first]
    data = _rows(tmp_path / "in.jsonl", [MEDIA_ROW])
    with pytest.raises(BundleError) as refused:
        evaluate_model(load_model(), [data], taxonomy=swapped)
    assert str(refused.value) == (
        "the taxonomy's fields differ from the model's (same fields in another order): pass taxonomy= the one the "
        "model was loaded with"
    )


def test_the_metrics_record_the_cutoffs_that_chose_the_fields(tmp_path):
    from classifier import load_model
    from classifier.evaluation.metrics import evaluate_model

    data = _rows(tmp_path / "in.jsonl", [MEDIA_ROW])
    assert not {"limit", "threshold"} & set(evaluate_model(load_model(), [data]))
    metrics = evaluate_model(load_model(), [data], limit=2, threshold=0.3)
    assert (metrics["limit"], metrics["threshold"]) == (2, 0.3)


def test_a_dataframe_given_as_inputs_is_refused_saying_what_to_pass_instead():
    from classifier import load_model
    from classifier.evaluation.metrics import evaluate_model

    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([MEDIA_ROW])
    with pytest.raises(TypeError, match=r"^inputs is a pandas DataFrame, not paths .*orient='records', lines=True"):
        evaluate_model(load_model(), frame)


def test_the_caller_hears_every_warning_the_command_line_prints(tmp_path):
    """The shipped model's bundle stores the corpus it was trained on: two of three corpus items, and a third whose
    text changed by one sentence, are two documents it learned from; two rows without labels are not counted."""
    import json

    from typer.testing import CliRunner

    from classifier import load_model
    from classifier.cli import app
    from classifier.evaluation.metrics import evaluate_model

    from conftest import TRAINING

    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    measured = records[:3]
    measured[2] = {**measured[2], "text": measured[2]["text"] + " An added sentence makes this text a new one."}
    unlabelled = [{key: value for key, value in r.items() if key != "labels"} for r in records[600:602]]
    data = _rows(tmp_path / "data.jsonl", measured + unlabelled)
    expected = [
        "the model was trained on 2 of these 3 documents: their scores overstate how it does on new texts",
        "2 documents have no fields (a page without a Fields of work block, a row without labels) and are not counted",
    ]
    heard = []
    metrics = evaluate_model(load_model(), [data], on_warning=heard.append)
    assert (metrics["documents"], metrics["trained_on"], metrics["unlabelled"]) == (3, 2, 2)
    assert heard == expected
    result = CliRunner().invoke(app, ["evaluate", str(data), "--format", "json"])
    assert result.exit_code == 0 and result.stderr.splitlines() == [f"warning: {line}" for line in expected]  # once
