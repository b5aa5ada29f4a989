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


def test_report_says_at_the_top_how_many_documents_the_model_was_trained_on():
    docs = [Document(id="a", title="Observers follow the vote"), Document(id="b", title="Police training")]
    Y = np.array([[1, 0], [0, 1]])
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    metrics = evaluate(Y, proba, Y, ["Elections", "Policing"])
    page = render_report(docs, Y, proba, Y, ["Elections", "Policing"], {**metrics, "trained_on": 1})
    notice = (
        "<p class='trained-on'><strong>The model was trained on 1 of these 2 documents.</strong> Its scores on "
        "documents it learned from overstate it: this report does not measure how it does on new texts.</p>"
    )
    assert notice in page and page.index("<h1>") < page.index(notice) < page.index("id='summary'")
    # None of them, or not known (a model held in memory): no notice.
    for unseen in ({**metrics, "trained_on": 0}, metrics):
        assert "trained-on'>" not in render_report(docs, Y, proba, Y, ["Elections", "Policing"], unseen)


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
    page = output.read_text(encoding="utf-8")
    assert sorted(embedded_plots(page)) == sorted(PLOTS)
    # The page says so too, above its scores: it is mailed without the warning.
    notice = f"<strong>The model was trained on {metrics['documents']} of these {metrics['documents']} documents."
    assert notice in page and page.index(notice) < page.index("id='summary'")
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


def test_report_tables_put_each_number_in_its_column():
    """Four documents worked out by hand; precision and recall differ everywhere they could be swapped.

    Elections: 2 right, 1 wrong, 0 missed: P 2/3, R 1, F1 0.8, support 2, suggested 3.
    Policing: 1 right, 1 wrong, 2 missed: P 1/2, R 1/3, F1 0.4, support 3, suggested 2.
    Youth: never suggested, 1 missed: 0, 0, 0, support 1, suggested 0.
    Micro: 3 right, 2 wrong, 3 missed: P 0.6, R 0.5, F1 6/11. Macro: P 7/18, R 4/9, F1 0.4.
    """
    labels = ["Elections", "Policing", "Youth"]
    docs = [Document(id=f"d{i}", title=f"Document {i}") for i in range(4)]
    Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1]])
    proba = np.array([[0.9, 0.6, 0.1], [0.8, 0.3, 0.1], [0.2, 0.7, 0.1], [0.55, 0.2, 0.35]])
    accepted = (proba >= 0.5).astype(int)
    page = render_report(docs, Y, proba, accepted, labels, evaluate(Y, proba, accepted, labels))

    summary = page.split("<table class='summary'>", 1)[1].split("</table>", 1)[0]
    assert "<tr><th>micro</th><td>0.600</td><td>0.500</td><td>0.545</td></tr>" in summary
    assert "<tr><th>macro</th><td>0.389</td><td>0.444</td><td>0.400</td></tr>" in summary
    assert "P@1 0.750" in page  # the fourth document's best field is wrong
    per_field = page.split("<table class='per-field'>", 1)[1].split("</table>", 1)[0]
    assert per_field.split("</tr>")[1:4] == [
        "<tr><th>Elections</th><td>0.667</td><td>1.000</td><td>0.800</td><td>2</td><td>3</td>",
        "<tr><th>Policing</th><td>0.500</td><td>0.333</td><td>0.400</td><td>3</td><td>2</td>",
        "<tr><th>Youth</th><td>0.000</td><td>0.000</td><td>0.000</td><td>1</td><td>0</td>",
    ]
    # The fourth document: Policing and Youth missed while Elections was suggested.
    assert (
        "<ol><li><b>Elections</b> in place of <b>Policing</b>: 1</li>"
        "<li><b>Elections</b> in place of <b>Youth</b>: 1</li></ol>" in page
    )
    # 12 probabilities in 8 bins, |mean - frequency| weighted by count: (0.3 + 0.6 + 1.35 + 0.55 + 0.6 + 0.3 + 0.2
    # + 0.1) / 12.
    assert "Expected calibration error: 0.333." in page
    worst = page.split("<table class='worst'>", 1)[1].split("</table>", 1)[0]
    assert [re.search(r"<small>(d\d)</small>", row).group(1) for row in worst.split("<tr>")[2:]] == ["d3", "d1", "d0"]
    fourth = worst.split("<tr>")[2]
    assert "<span class='miss'>Policing (0.20)</span>, <span class='miss'>Youth (0.35)</span>" in fourth
    assert "<span class='wrong'>Elections (0.55)</span>" in fourth
    second = worst.split("<tr>")[3]
    assert "<span class='hit'>Elections (0.80)</span>, <span class='miss'>Policing (0.30)</span>" in second


def test_the_report_pieces_read_as_written_by_hand():
    """The summary, the per-field table, the confusion list and the empty states, each compared with the
    HTML written out by hand from its numbers."""
    from classifier.evaluation.report import (
        _confusion_pairs,
        _per_field_table,
        _summary_html,
        _trained_on_html,
        _worst_html,
        expected_calibration_error,
    )

    metrics = {
        "documents": 12,
        "micro": {"precision": 0.8, "recall": 0.6, "f1": 0.6857},
        "macro": {"precision": 0.5, "recall": 0.25, "f1": 0.3333},
        "samples": {"precision": 0.75, "recall": 0.5, "f1": 0.6},
        "p@1": 0.9,
        "r@3": 0.75,
        "ndcg@3": 0.8126,
        "per_label": {
            "A & B": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 4},
            "C": {"precision": 0.25, "recall": 1.0, "f1": 0.4, "support": 1},
        },
    }
    assert _summary_html(metrics) == (
        "<p>12 documents.</p><table class='summary'><tr><th></th><th>precision</th><th>recall</th><th>F1</th></tr>"
        "<tr><th>micro</th><td>0.800</td><td>0.600</td><td>0.686</td></tr>"
        "<tr><th>macro</th><td>0.500</td><td>0.250</td><td>0.333</td></tr>"
        "<tr><th>samples</th><td>0.750</td><td>0.500</td><td>0.600</td></tr></table>"
        "<p>Ranking: P@1 0.900 &nbsp; R@3 0.750 &nbsp; nDCG@3 0.813</p>"
    )
    accepted = np.array([[1, 0], [1, 1], [0, 1], [0, 1]])
    assert _per_field_table(metrics, ["A & B", "C"], accepted) == (
        "<table class='per-field'><tr><th>field</th><th>precision</th><th>recall</th><th>F1</th>"
        "<th>support</th><th>suggested</th></tr>"
        "<tr><th>A &amp; B</th><td>1.000</td><td>0.500</td><td>0.667</td><td>4</td><td>2</td></tr>"
        "<tr><th>C</th><td>0.250</td><td>1.000</td><td>0.400</td><td>1</td><td>3</td></tr></table>"
    )
    # Rows are the fields missed, columns the fields suggested in their place: most frequent pair first,
    # ties in the order of the missed field, then of the suggested one.
    confusion = np.array([[0, 2, 1], [2, 0, 0], [3, 1, 0]])
    assert _confusion_pairs(confusion, ["A", "B", "C"], shown=4) == (
        "<p>Most frequent:</p><ol><li><b>A</b> in place of <b>C</b>: 3</li>"
        "<li><b>B</b> in place of <b>A</b>: 2</li><li><b>A</b> in place of <b>B</b>: 2</li>"
        "<li><b>C</b> in place of <b>A</b>: 1</li></ol>"
    )
    assert _confusion_pairs(np.zeros((2, 2)), ["A", "B"]) == "<p>No field was suggested in place of another.</p>"
    right = np.array([[1, 0]])
    assert _worst_html([Document(id="a")], right, np.array([[0.9, 0.1]]), right, ["A", "B"]) == (
        "<p>Every document got exactly its true fields.</p>"
    )
    assert _trained_on_html({"documents": 12}) == "" and _trained_on_html({"trained_on": 0}) == ""
    # (2 texts at 0.1, none observed: 0.1 off) and (1 at 0.8, observed: 0.2 off): (2 * 0.1 + 0.2) / 3.
    assert expected_calibration_error([(0.1, 0.0, 2), (0.8, 1.0, 1)]) == pytest.approx(0.4 / 3)
    assert expected_calibration_error([]) == 0.0


def test_the_worst_documents_list_the_suggested_fields_most_probable_first():
    from classifier.evaluation.report import _worst_html

    Y_true = np.array([[1, 0, 0, 0]])
    accepted = np.array([[0, 1, 1, 1]])
    # Suggested fields in order of probability, ties in field order: D (0.7), B (0.6), C (0.6).
    proba = np.array([[0.2, 0.6, 0.6, 0.7]])
    page = _worst_html([Document(id="d1", title="T")], Y_true, proba, accepted, ["A", "B", "C", "D"])
    assert (
        "<td><span class='miss'>A (0.20)</span></td><td><span class='wrong'>D (0.70)</span>, "
        "<span class='wrong'>B (0.60)</span>, <span class='wrong'>C (0.60)</span></td>"
    ) in page


def test_the_worst_documents_table_reads_as_written_by_hand():
    from classifier.evaluation.report import _worst_html

    docs = [Document(id="d1", title="Vote & count"), Document(id="d2", title="")]
    Y_true = np.array([[1, 1, 0], [0, 0, 1]])
    accepted = np.array([[1, 0, 1], [1, 0, 0]])
    proba = np.array([[0.9, 0.3, 0.6], [0.55, 0.1, 0.4]])
    # d2 got none of its fields (F1 0), d1 one of two with one wrong (F1 0.5): d2 comes first. A document
    # without a title is shown by its id.
    assert _worst_html(docs, Y_true, proba, accepted, ["A", "B", "C"]) == (
        "<p>The 2 documents whose suggested fields agree least with their true ones (lowest F1, then lowest "
        "probability on the true fields). Probabilities in brackets; <span class='miss'>missed</span>, "
        "<span class='wrong'>wrongly suggested</span>, <span class='hit'>right</span>.</p>"
        "<table class='worst'><tr><th>document</th><th>true fields</th><th>suggested fields</th></tr>"
        "<tr><td class='doc'><b>d2</b><br><small>d2</small></td><td><span class='miss'>C (0.40)</span></td>"
        "<td><span class='wrong'>A (0.55)</span></td></tr>"
        "<tr><td class='doc'><b>Vote &amp; count</b><br><small>d1</small></td>"
        "<td><span class='hit'>A (0.90)</span>, <span class='miss'>B (0.30)</span></td>"
        "<td><span class='hit'>A (0.90)</span>, <span class='wrong'>C (0.60)</span></td></tr></table>"
    )


def test_fields_of_equal_probability_are_listed_in_field_order_however_many_there_are():
    from classifier.evaluation.report import _worst_html

    labels = [f"F{j:02d}" for j in range(24)]
    proba = np.array([[0.5, 0.2] * 12])
    page = _worst_html([Document(id="d", title="")], np.zeros((1, 24), int), proba, np.ones((1, 24), int), labels)
    shown = re.findall(r"F\d\d", page)
    assert shown == [f"F{j:02d}" for j in range(0, 24, 2)] + [f"F{j:02d}" for j in range(1, 24, 2)]


def test_a_probability_of_one_falls_in_the_top_bin_with_its_neighbours():
    table = reliability_table(np.array([[1, 1, 0]]), np.array([[1.0, 0.95, 0.85]]), bins=10)
    assert [(round(p, 3), f, n) for p, f, n in table] == [(0.85, 0.0, 1), (0.975, 1.0, 2)]


def test_the_confusion_list_shows_the_ten_most_frequent_pairs():
    from classifier.evaluation.report import _confusion_pairs

    confusion = np.arange(16).reshape(4, 4)  # 15 pairs with a count; the smallest counts are 1 to 5
    page = _confusion_pairs(confusion, ["A", "B", "C", "D"])
    assert page.count("<li>") == 10 and ": 6</li></ol>" in page and ": 5</li>" not in page


def test_a_report_names_a_document_from_a_file_name_that_is_not_utf8(tmp_path):
    """An id holding an undecodable byte of its file name (a lone surrogate) is written as `\\udcff`; writing the
    report failed on it, after the evaluation, with nothing written."""
    from classifier.evaluation.report import write_report

    docs = [Document(id="in\udcff.txt", title="")]
    Y, accepted, proba = np.array([[1, 0]]), np.array([[0, 1]]), np.array([[0.3, 0.6]])
    path = write_report(
        tmp_path / "r.html", docs, Y, proba, accepted, ["A", "B"], evaluate(Y, proba, accepted, ["A", "B"])
    )
    assert "<b>in\\udcff.txt</b>" in path.read_text(encoding="utf-8")
