import base64
import json
import re
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.corpus.documents import Document
from classifier.evaluation.metrics import evaluate, evaluate_model
from classifier.evaluation.report import (
    PLOTS,
    SECTIONS,
    ReportError,
    confusion_counts,
    reliability_table,
    render_report,
    worst_documents,
)

from conftest import TRAINING


@pytest.fixture(scope="module")
def labelled_sample(tmp_path_factory):
    """Every tenth corpus item after the first 300: real labelled documents."""
    lines = TRAINING.read_text(encoding="utf-8").splitlines()[300::10]
    path = tmp_path_factory.mktemp("report") / "sample.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model_on_older_items(model_on_first_300):
    """A model trained on the first 300 corpus items only, so it gets some of the sample wrong."""
    return model_on_first_300[1]


@pytest.fixture(scope="module")
def report_html(labelled_sample, model_on_older_items, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    metrics = evaluate_model(model_on_older_items, [labelled_sample], report=path)
    return path.read_text(encoding="utf-8"), metrics


def embedded_plots(page: str) -> dict[str, bytes]:
    found = re.findall(
        r"<img class='plot' data-plot='([a-z-]+)' alt='[^']*' src='data:image/png;base64,([A-Za-z0-9+/=]+)'>", page
    )
    return {name: base64.b64decode(data, validate=True) for name, data in found}


def test_report_is_one_complete_page_with_every_section_and_plot(report_html):
    page, metrics = report_html
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for anchor, heading in SECTIONS:
        assert f"<section id='{anchor}'><h2>{heading}</h2>" in page
    plots = embedded_plots(page)
    assert sorted(plots) == sorted(PLOTS)
    for png in plots.values():
        # A whole PNG: signature first, the IEND chunk (with its fixed CRC) last.
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82") and len(png) > 5000
    assert f"<p>{metrics['documents']} documents.</p>" in page


def test_report_needs_nothing_from_the_network(report_html):
    page, _ = report_html
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:|//)", page)
    assert "url(" not in page


def test_report_tables_cover_every_field_and_the_worst_documents(report_html, labelled_sample):
    page, metrics = report_html
    per_field = page.split("<table class='per-field'>", 1)[1].split("</table>", 1)[0]
    assert per_field.count("<tr>") == 1 + len(metrics["per_label"])
    worst = page.split("<table class='worst'>", 1)[1].split("</table>", 1)[0]
    rows = worst.count("<tr>") - 1
    imperfect = metrics["documents"] * (1 - metrics["samples"]["f1"])
    assert 1 <= rows <= 20 and imperfect > 0
    first_id = re.search(r"<small>([^<]+)</small>", worst).group(1)
    record = next(
        json.loads(line) for line in labelled_sample.read_text().splitlines() if json.loads(line)["id"] == first_id
    )
    assert record["title"].replace("'", "&#x27;") in worst


def test_confusion_counts_missed_against_wrongly_suggested():
    Y_true = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    accepted = np.array([[0, 1, 0], [1, 0, 1], [0, 0, 1]])
    # Doc 0: field 0 missed, field 1 suggested instead. Doc 1: field 1 missed, field 2 suggested instead.
    assert confusion_counts(Y_true, accepted).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_reliability_table_bins_probabilities_by_observed_frequency():
    proba = np.array([[0.05, 0.95], [0.15, 0.92], [0.08, 0.55]])
    Y_true = np.array([[0, 1], [1, 1], [0, 0]])
    table = reliability_table(Y_true, proba, bins=10)
    assert [(round(p, 3), f, n) for p, f, n in table] == [
        (0.065, 0.0, 2),
        (0.15, 1.0, 1),
        (0.55, 0.0, 1),
        (0.935, 1.0, 2),
    ]


def test_worst_documents_lowest_f1_first_then_least_probability_on_truth():
    Y_true = np.array([[1, 0], [1, 0], [0, 1], [1, 1]])
    accepted = np.array([[1, 0], [0, 1], [1, 0], [1, 0]])
    proba = np.array([[0.9, 0.1], [0.3, 0.6], [0.7, 0.2], [0.8, 0.2]])
    assert worst_documents(Y_true, proba, accepted) == [2, 1, 3]


def test_report_states_when_every_document_is_right():
    docs = [Document(id="a", title="Observers follow the vote"), Document(id="b", title="Police training")]
    Y = np.array([[1, 0], [0, 1]])
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    page = render_report(docs, Y, proba, Y, ["Elections", "Policing"], evaluate(Y, proba, Y, ["Elections", "Policing"]))
    assert "Every document got exactly its true fields." in page
    assert "No field was suggested in place of another." in page
    assert sorted(embedded_plots(page)) == sorted(PLOTS)


def test_evaluate_report_from_the_command_line(labelled_sample, tmp_path):
    output = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(app, ["evaluate", str(labelled_sample), "--format", "json", "--report", str(output)])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == len(labelled_sample.read_text().splitlines())
    # Corpus items, which the shipped model was trained on: said before the report is named.
    assert metrics["trained_on"] == metrics["documents"]
    assert result.stderr.splitlines() == [
        f"warning: the model was trained on {metrics['documents']} of these {metrics['documents']} documents: their "
        "scores overstate how it does on new texts",
        f"wrote {output}",
    ]
    assert sorted(embedded_plots(output.read_text(encoding="utf-8"))) == sorted(PLOTS)
    written = output.read_bytes()
    again = CliRunner().invoke(app, ["evaluate", str(labelled_sample), "--report", str(output)])
    assert again.exit_code == 1 and again.stderr == f"error: {output}: already exists; pass --force to overwrite it\n"
    assert again.stdout == "" and output.read_bytes() == written  # refused before any work
    forced = CliRunner().invoke(app, ["evaluate", str(labelled_sample), "--report", str(output), "--force"])
    assert forced.exit_code == 0, forced.stderr


def test_report_without_matplotlib_fails_in_one_line_before_any_work(labelled_sample, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ReportError, match=r"needs matplotlib: pip install 'osce-topic-classifier\[report\]'"):
        evaluate_model(load_model(), [labelled_sample], report=tmp_path / "report.html")
    result = CliRunner().invoke(app, ["evaluate", str(labelled_sample), "--report", str(tmp_path / "report.html")])
    assert result.exit_code == 1 and result.stdout == ""
    assert (
        result.stderr.strip() == "error: the HTML report needs matplotlib: pip install 'osce-topic-classifier[report]'"
    )
    assert not (tmp_path / "report.html").exists()
