import csv
import json
import os
import re
import shlex
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app

from conftest import FIXTURES, ROOT, TRAINING

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
MEDIA = ROOT / "examples" / "plain-text-media.txt"


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input, prog_name="classifier")


def test_suggest_text_marks_accepted_fields():
    result = run("suggest", EXAMPLE, "--top", 3)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(EXAMPLE)
    assert lines[1].strip() == "Observers open a mission to follow Kyrgyzstan's parliamentary elections"
    assert lines[2].split()[:2] == ["*", "Elections"]
    field_lines = [line for line in lines[2:] if line.strip()]
    assert len(field_lines) == 3 and all(line.startswith(("  * ", "    ")) for line in field_lines)


def test_suggest_json_names_each_table_row_by_its_id_as_tag_does(tmp_path):
    table = tmp_path / "in.csv"
    table.write_text(
        "ref,title,text\nA-17,Observers deployed,The mission deployed observers to follow the elections.\n"
        "B-2,Journalists trained,Journalists were trained on safety and media freedom.\n",
        encoding="utf-8",
    )
    result = run("suggest", table, "--format", "json", "--id-column", "ref")
    assert result.exit_code == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["path"], o["id"]) for o in objects] == [(f"{table}:2", "A-17"), (f"{table}:3", "B-2")]
    tagged = run("tag", table, "--output", "-", "--id-column", "ref")
    assert [json.loads(line)["id"] for line in tagged.stdout.splitlines()] == ["A-17", "B-2"]


def test_suggest_json_one_object_per_input_sorted_by_score():
    result = run("suggest", EXAMPLE, MEDIA, "--format", "json", "--top", 4)
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["path"] for o in objects] == [str(EXAMPLE), str(MEDIA)]
    for o in objects:
        assert set(o) == {"path", "id", "title", "labels", "suggestions", "model"}
        assert o["id"] == o["path"]  # a file's id, as `tag` gives it
        assert o["model"] == load_model().fingerprint
        scores = [s["score"] for s in o["suggestions"]]
        assert len(scores) == 4 and scores == sorted(scores, reverse=True)
        assert o["labels"] and o["labels"][0] == o["suggestions"][0]["label"]
    assert objects[1]["labels"][0] == "Media freedom and development"


def test_an_accepted_field_below_top_is_still_shown():
    """The annual report accepts eight fields; `--top 3` shows the three best and every other accepted one, in
    score order, in text and JSON alike (a reader never sees fewer accepted fields than `labels` holds)."""
    report = FIXTURES / "annual_report.txt"
    full = json.loads(run("suggest", report, "--format", "json", "--top", 23).stdout)
    assert len(full["labels"]) > 3  # the case this is about
    best_three = [s["label"] for s in full["suggestions"][:3]]
    expected = [s["label"] for s in full["suggestions"] if s["label"] in best_three or s["label"] in full["labels"]]
    shown = json.loads(run("suggest", report, "--format", "json", "--top", 3).stdout)
    assert [s["label"] for s in shown["suggestions"]] == expected and shown["labels"] == full["labels"]
    lines = [
        re.match(r"  ([* ]) (.+?)  +\d\.\d\d", line)
        for line in run("suggest", report, "--top", 3).stdout.splitlines()[2:]
        if line
    ]
    assert [line[2] for line in lines] == expected
    assert [line[1] == "*" for line in lines] == [label in full["labels"] for label in expected]


def test_suggest_and_tag_say_when_a_folder_holds_no_file_to_read(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "items.jsonl").write_text('{"text": "Border guards met in Osh."}\n', encoding="utf-8")
    result = run("suggest", folder)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"error: {folder}: a folder with no file matching *.txt"
    out = tmp_path / "out.jsonl"
    tagged = run("tag", folder, "--output", out)
    assert tagged.exit_code == 1 and f"{folder}: a folder with no file matching *.txt" in tagged.stderr
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["error"] == f"{folder}: a folder with no file matching *.txt" and row["labels"] == []


def test_suggest_reads_a_table_whose_columns_are_named_otherwise(tmp_path):
    table = tmp_path / "items.csv"
    table.write_text(
        "key,headline,body\n"
        "a,Observers deployed,ODIHR observers followed the parliamentary elections and the count of the vote.\n",
        encoding="utf-8",
    )
    result = run(
        "suggest",
        table,
        "--format",
        "json",
        "--id-column",
        "key",
        "--text-column",
        "body",
        "--title-column",
        "headline",
    )
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["title"] == "Observers deployed" and row["labels"][0] == "Elections"
    assert row["path"] == f"{table}:2"
    wrong = run("suggest", table, "--text-column", "content")
    assert wrong.exit_code == 2 and "content" in wrong.stderr and wrong.stdout == ""


def test_a_taxonomy_edited_since_training_is_said_once_and_the_model_still_answers(tmp_path):
    """An alias added to a field: the fields still fit, but the model reads them by the phrases it was trained
    with until it is retrained, and says so; the taxonomy it was trained with says nothing."""
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        text.replace("      - travel documents\n", "      - travel documents\n      - forged passports\n", 1)
    )
    assert edited.read_text(encoding="utf-8") != text
    result = run("suggest", MEDIA, "--taxonomy", edited)
    assert result.exit_code == 0 and "* Media freedom and development" in result.stdout
    model = load_model().path
    assert result.stderr.splitlines() == [
        f"warning: {edited} has changed since {model} was trained: the model reads each field by the phrases it was "
        f"trained with until it is retrained (classifier train --base {model} ...)"
    ]
    assert run("suggest", MEDIA, "--taxonomy", ROOT / "taxonomy.yaml").stderr == ""


def test_suggest_reads_stdin():
    result = run(
        "suggest",
        "-",
        "--format",
        "json",
        input="ODIHR opened an election observation mission for the presidential election.",
    )
    assert json.loads(result.stdout)["suggestions"][0]["label"] == "Elections"


def test_suggest_bad_inputs_are_reported_and_others_still_processed(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04")
    result = run("suggest", tmp_path / "missing.txt", tmp_path / "binary.txt", MEDIA, "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'missing.txt'}: no such file or directory",
        f"error: {tmp_path / 'binary.txt'}: binary file, not text",
    ]
    rows = [json.loads(line) for line in result.stdout.splitlines()]  # every input has its line, in order
    assert [(row["path"], "error" in row) for row in rows] == [
        (str(tmp_path / "missing.txt"), True),
        (str(tmp_path / "binary.txt"), True),
        (str(MEDIA), False),
    ]


def test_text_beyond_the_limit_is_cut_with_a_warning_and_still_suggested(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text(
        EXAMPLE.read_text(encoding="utf-8") + "\nFiller paragraph about the count." * 20_000, encoding="utf-8"
    )
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "20000")
    result = run("suggest", big, "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == f"warning: {big}: text cut at 20,000 characters (the CLASSIFIER_MAX_TEXT limit)\n"
    assert json.loads(result.stdout)["labels"][0] == "Elections"
    parsed = run("parse", big)
    assert parsed.exit_code == 0 and parsed.stderr.startswith(f"warning: {big}: text cut at 20,000")
    assert len(json.loads(parsed.stdout)["body"]) < 20_000


def test_a_bad_limit_setting_is_a_usage_error_before_anything_runs(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "-5")
    result = run("suggest", EXAMPLE)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "error: CLASSIFIER_MAX_TEXT='-5': expected a positive whole number of characters\n"


def test_a_limit_setting_too_big_for_any_text_reads_tables_and_lines_whole(tmp_path, monkeypatch):
    text = "The mission deployed observers to follow the parliamentary elections."
    table = tmp_path / "docs.jsonl"
    table.write_text(json.dumps({"id": "a", "text": text}) + "\n", encoding="utf-8")
    lines = tmp_path / "lines.txt"
    lines.write_text(text + "\n", encoding="utf-8")
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", str(10**30))  # past what readline takes: an OverflowError before
    for args in ([table], ["--lines", lines]):
        result = run("suggest", *args, "--format", "json")
        assert (result.exit_code, result.stderr) == (0, ""), result.output
        assert json.loads(result.stdout)["labels"][0] == "Elections"


def test_more_worker_processes_than_any_machine_has_is_a_usage_error(tmp_path):
    output = tmp_path / "tags.jsonl"
    result = run("tag", EXAMPLE, "--output", output, "--jobs", 10**20)  # a traceback once the pool started
    assert result.exit_code == 2 and not output.exists()
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: Invalid value for '--jobs' / '-j': ")


def test_usage_error_exits_2_in_one_line_naming_the_help_to_read():
    # The reason for a bad value is Typer's own words, which its versions word differently ("0 is not in the range
    # x>=1"; from 0.29 on "Input should be greater than or equal to 1"): the line around it is ours.
    out_of_range = run("suggest", EXAMPLE, "--top", 0)
    assert (out_of_range.exit_code, out_of_range.stdout) == (2, "")
    assert re.fullmatch(
        r"error: Invalid value for '--top' / '-k': (0 is not in the range x>=1|Input should be greater than or equal "
        r"to 1) \(see classifier suggest --help\)\n",
        out_of_range.stderr,
    ), out_of_range.stderr
    cases = {
        ("suggest",): "error: Missing argument 'paths' (see classifier suggest --help)",
        ("nosuch",): "error: No such command 'nosuch' (see classifier --help)",
        ("--bogus",): "error: No such option: --bogus (see classifier --help)",
        ("taxonomy", "sync"): "error: Missing argument 'page' (see classifier taxonomy sync --help)",
    }
    for args, line in cases.items():
        result = run(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n"), args


def test_missing_model_is_one_line(tmp_path):
    result = run("suggest", EXAMPLE, "--model", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path}: not a model bundle") and result.stderr.count("\n") == 1


def tagging_inputs(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (pages / "empty.txt").write_text("", encoding="utf-8")
    table = tmp_path / "table.jsonl"
    table.write_text(
        json.dumps({"id": "row-1", "text": "Police officers learned community policing."}) + "\n{broken\n",
        encoding="utf-8",
    )
    return [pages, table]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_resuming_an_output_that_holds_failed_rows_says_so_and_exits_1(tmp_path, fmt):
    """A scheduler retrying until exit 0 would take a resumed output with failed rows in its first part as clean."""
    output = tmp_path / f"out.{fmt}"
    assert run("tag", *tagging_inputs(tmp_path), "--output", output).exit_code == 1
    again = run("tag", *tagging_inputs_again(tmp_path), "--output", output, "--resume")
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines()[-1].endswith("(4 already in the output, 2 of them failed)")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.txt").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    output = tmp_path / f"clean.{fmt}"
    assert run("tag", clean, "--output", output).exit_code == 0
    again = run("tag", clean, "--output", output, "--resume")
    assert again.exit_code == 0 and again.stderr.strip().endswith("(1 already in the output)")


def tagging_inputs_again(tmp_path):
    return [tmp_path / "pages", tmp_path / "table.jsonl"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_tag_writes_one_row_per_document_and_records_failures(tmp_path, fmt):
    output = tmp_path / f"out.{fmt}"
    result = run("tag", *tagging_inputs(tmp_path), "--output", output)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    # The empty file, a whole input, is named on stderr as well as in its row; a row's error is in its row only.
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[0].endswith("empty.txt: empty file")
    assert lines[1].startswith("2 documents tagged, 2 failed,")
    if fmt == "jsonl":
        rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    elif fmt == "csv":
        with open(output, newline="", encoding="utf-8") as handle:
            rows = [
                {**r, "labels": r["labels"].split(";") if r["labels"] else [], "scores": json.loads(r["scores"])}
                for r in csv.DictReader(handle)
            ]
    else:
        rows = [{**r, "scores": dict(r["scores"])} for r in pq.read_table(output).to_pylist()]
    ids = [os.path.basename(r["id"]) for r in rows]
    assert ids == ["a.txt", "empty.txt", "row-1", "table.jsonl:2"]
    assert rows[0]["labels"][0] == "Elections" and rows[0]["error"] == ""
    assert len(rows[0]["scores"]) == 23
    assert rows[1]["error"].endswith("empty.txt: empty file") and rows[1]["labels"] == []
    assert "Policing" in rows[2]["labels"]
    assert "invalid JSON" in rows[3]["error"]


def test_tag_never_silently_overwrites(tmp_path):
    output = tmp_path / "out.jsonl"
    output.write_text("precious\n", encoding="utf-8")
    result = run("tag", EXAMPLE, "--output", output)
    assert result.exit_code == 1 and "already exists; pass --force" in result.stderr
    assert output.read_text(encoding="utf-8") == "precious\n"
    assert run("tag", EXAMPLE, "--output", output, "--force").exit_code == 0
    assert json.loads(output.read_text(encoding="utf-8"))["labels"][0] == "Elections"
    result = run("tag", EXAMPLE, "--output", output, "--force", "--resume")
    assert result.exit_code == 2 and "pass one of them" in result.stderr


def test_tag_refuses_to_write_over_its_input(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("tag", tmp_path, "--output", page, "--format", "jsonl", "--force")
    assert result.exit_code == 1
    assert result.stderr == f"error: {page}: the output is also an input ({tmp_path}); write it somewhere else\n"
    assert page.read_text(encoding="utf-8") == EXAMPLE.read_text(encoding="utf-8")


def test_train_names_a_table_without_text_a_missing_labels_column_and_an_empty_input(tmp_path):
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:40]
    titles = tmp_path / "titles.csv"
    titles.write_text(
        "id,title,labels\n" + "".join(f'{r["id"]},"{r["title"]}",{r["labels"][0]}\n' for r in rows), encoding="utf-8"
    )
    result = run("train", titles, "--output", tmp_path / "bundle", "--jobs", 1)
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: {titles}: no row has a 'text' column (columns: id, title, labels): its documents are read from "
        "their titles alone; --text-column names another"
    ) in result.stderr.splitlines()
    result = run("train", titles, "--labels-column", "fields", "--output", tmp_path / "other")
    assert result.exit_code == 2 and not (tmp_path / "other").exists()
    assert (
        f"{titles}: no row has the column 'fields' named by --labels-column (columns: id, title, labels)"
        in result.stderr
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = run("train", empty, "--output", tmp_path / "other")
    assert result.exit_code == 1 and not (tmp_path / "other").exists()
    assert result.stderr == f"error: {empty}: empty file\n"  # as an empty text file is


def test_train_then_evaluate_on_labelled_pages_and_tables(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:150]
    unlabelled = [{"id": "u1", "text": "Not labelled yet.", "labels": None}, {"id": "u2", "text": "Nor this."}]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records + unlabelled), encoding="utf-8")
    bundle = tmp_path / "bundle"
    result = run("train", data, FIXTURES / "page_two_fields.txt", "--output", bundle, "--seed", 7)
    assert result.exit_code == 0, result.stderr
    assert "micro" in result.stdout and f"wrote {bundle}" in result.stdout
    assert (
        f"warning: 2 documents have no labels (none given, or null), the first {data}:151: not trained on"
        in result.stderr.splitlines()
    )
    meta = json.loads((bundle / "model.json").read_text())
    assert meta["seed"] == 7 and meta["training_data"]["documents"] == 151
    result = run("evaluate", data, "--model", bundle, "--format", "json")
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 150
    assert {"micro", "macro", "samples", "p@1", "r@3", "ndcg@3", "per_label"} <= set(metrics)
    assert metrics["micro"]["f1"] > 0.5  # measured on its own training data
    text = run("evaluate", data, "--model", bundle).stdout
    assert "P@1" in text and "Elections" in text


def test_train_stops_on_unknown_labels_naming_row_and_closest_field(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("id,text,labels\n1,Some text,Electons\n2,Other text,Policing;Yuoth\n", encoding="utf-8")
    result = run("train", data, "--output", tmp_path / "models" / "mine" / "bundle")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {data}:2: unknown label 'Electons' (closest field: 'Elections')",
        f"error: {data}:3: unknown label 'Yuoth' (closest field: 'Youth')",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # not even the folders --output named


def test_unknown_labels_stop_train_but_tag_ignores_the_labels_column(tmp_path):
    data = tmp_path / "docs.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["a", "b"],
                "text": ["Observers followed the vote count.", "Police officers learned community policing."],
                "labels": [["Elections", "Climate"], ["Policing", "Cyber crime"]],
            }
        ),
        data,
    )
    result = run("train", data, "--output", tmp_path / "bundle")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {data}:row 1: unknown label 'Climate' (closest field: 'Environmental activities')",
        f"error: {data}:row 2: unknown label 'Cyber crime' (closest field: 'Cyber/ICT Security')",
    ]
    assert not (tmp_path / "bundle").exists()
    output = tmp_path / "tags.jsonl"
    result = run("tag", data, "--output", output)
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["error"]) for row in rows] == [("a", ""), ("b", "")]


def test_train_refuses_an_output_over_its_input_in_one_line(tmp_path):
    data = tmp_path / "data" / "train.jsonl"
    data.parent.mkdir()
    data.write_text(TRAINING.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("train", data, "--output", tmp_path / "data")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'data'}: is or holds the input {data}, which saving the bundle would replace; "
        "choose another output directory\n"
    )
    assert data.read_text(encoding="utf-8") == TRAINING.read_text(encoding="utf-8")


def test_train_without_output_is_a_usage_error_and_writes_nothing(tmp_path, monkeypatch):
    """There is no default bundle folder: one used to be models/default, the shipped model when run in a checkout.
    Here the working directory holds a copy of the shipped bundle there, as a checkout does."""
    import shutil

    shutil.copytree(ROOT / "models" / "default", tmp_path / "models" / "default")
    monkeypatch.chdir(tmp_path)
    shipped = {p.name: p.read_bytes() for p in (tmp_path / "models" / "default").iterdir()}
    result = run("train", ROOT / "examples" / "retraining" / "base.jsonl", "--jobs", 1)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: Missing option '--output' / '-o' (see classifier train --help)\n",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["models"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "models" / "default").iterdir()} == shipped


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "data.jsonl", "--report", "data.jsonl", "--force"],
        ["evaluate", "*.jsonl", "--report", "data.jsonl", "--force"],  # matched by a glob
        ["pick", "data.jsonl", "--n", "2", "--output", "data.jsonl", "--force"],
        ["pick", ".", "--glob", "*.jsonl", "--output", "data.jsonl", "--force"],  # found by walking the folder
    ],
)
def test_an_output_that_is_also_an_input_is_refused_even_with_force(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data.jsonl"
    data.write_text("".join(TRAINING.read_text(encoding="utf-8").splitlines(keepends=True)[:12]), encoding="utf-8")
    before = data.read_bytes()
    result = run(*command)
    output, given = command[command.index("--report" if "--report" in command else "--output") + 1], command[1]
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {output}: the output is also an input ({given}); write it somewhere else\n",
    )
    assert data.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


def test_train_on_a_table_without_labels_says_what_is_missing(tmp_path):
    data = tmp_path / "docs.csv"
    data.write_text("id,text\n1,Observers followed the vote count.\n", encoding="utf-8")
    result = run("train", data, "--output", tmp_path / "bundle")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: no labelled documents in {data}: a table needs a 'labels' column "
        "(another name: --labels-column), a page a 'Fields of work' block\n"
    )


def test_parse_prints_what_the_model_reads(tmp_path):
    result = run("parse", FIXTURES / "page_two_fields.txt", tmp_path / "missing.txt")
    assert result.exit_code == 1
    parsed = json.loads(result.stdout)
    assert parsed["fields"] == ["Policing", "Youth"] and parsed["date"] == "2013-05-14"
    assert "missing.txt: no such file" in result.stderr


def test_taxonomy_tree_by_dimension():
    result = run("taxonomy")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Politico-military dimension"
    assert sum(1 for line in lines if line.lstrip().startswith(("├──", "└──"))) == 23
    assert any("Environmental activities  (sub-topics: Climate change" in line for line in lines)


def test_python_m_classifier_runs():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "classifier", "taxonomy"], capture_output=True, text=True)
    assert result.returncode == 0 and "Human dimension" in result.stdout


def test_suggest_explain_gives_evidence_for_accepted_fields_only():
    result = run(
        "suggest", ROOT / "examples" / "trafficking-training-serbia.txt", "--explain", "--format", "json", "--top", 5
    )
    suggestion = json.loads(result.stdout)
    for entry in suggestion["suggestions"]:
        if entry["label"] in suggestion["labels"]:
            assert entry["evidence"] and {"term", "weight"} == set(entry["evidence"][0])
        else:
            assert "evidence" not in entry
    trafficking = suggestion["suggestions"][0]
    assert trafficking["label"] == "Combating trafficking in human beings"
    assert "trafficking" in [e["term"] for e in trafficking["evidence"]]
    text = run("suggest", ROOT / "examples" / "trafficking-training-serbia.txt", "--explain").stdout
    assert "because of: trafficking" in text


def test_suggest_reads_a_page_file_whose_line_breaks_were_collapsed_as_the_page(tmp_path):
    page = EXAMPLE.read_text(encoding="utf-8")
    joined = tmp_path / "joined.txt"
    joined.write_text(" ".join(page.split()), encoding="utf-8")
    expected, result = (run("suggest", path, "--format", "json", "--explain") for path in (EXAMPLE, joined))
    assert result.exit_code == 0, result.stderr
    got, wanted = json.loads(result.stdout), json.loads(expected.stdout)
    assert (got["title"], got["labels"], got["suggestions"]) == (
        wanted["title"],
        wanted["labels"],
        wanted["suggestions"],
    )
    assert "named in the text: Migration" not in run("suggest", joined, "--explain", "--top", 23).stdout


def test_suggest_flags_fields_known_from_few_examples():
    text = (
        "Surplus ammunition and small arms were destroyed and stockpile management improved under the Vienna Document."
    )
    result = run("suggest", "-", "--format", "json", "--top", 23, input=text)
    entries = {e["label"]: e for e in json.loads(result.stdout)["suggestions"]}
    assert entries["Arms control"]["flag"] == "low-confidence"  # 7 training examples
    assert "flag" not in entries["Elections"]
    assert "Arms control" in json.loads(result.stdout)["labels"]
    assert "(low-confidence)" in run("suggest", "-", "--top", 3, input=text).stdout


def test_a_table_piped_to_stdin_is_tagged_as_one_text_with_a_warning_saying_how_to_read_its_rows(tmp_path):
    """It became one document silently: "1 documents tagged", its text the raw JSONL."""
    rows = (ROOT / "training" / "data" / "unlabelled.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:3]
    warning = (
        "<stdin>: standard input looks like a JSONL table; it is read as one text. Save it as a .jsonl file and "
        "name that file to read its rows"
    )
    output = tmp_path / "si.jsonl"
    result = run("tag", "-", "--output", output, input="".join(rows))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: {warning}", result.stderr.splitlines()[-1]]
    assert result.stderr.splitlines()[-1].startswith("1 documents tagged")
    (row,) = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert (row["id"], row["warning"]) == ("<stdin>", warning)
    table = "id,title,text\na,Vote count,Observers watched the count.\nb,Police,A training course.\n"
    suggested = run("suggest", "-", "--top", 1, input=table)
    assert suggested.exit_code == 0, suggested.stderr
    assert suggested.stderr == f"warning: {warning.replace('JSONL', 'CSV').replace('jsonl', 'csv')}\n"
    plain = run("suggest", "-", "--top", 1, input="Vote count\nObservers watched the count.\n")
    assert (plain.exit_code, plain.stderr) == (0, "")


def test_train_reports_low_confidence_fields(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:150]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = run("train", data, "--output", tmp_path / "bundle", "--min-examples", 10, "--keyword-examples", "rare")
    assert result.exit_code == 0, result.stderr
    meta = json.loads((tmp_path / "bundle" / "model.json").read_text())
    assert (meta["params"]["min_examples"], meta["params"]["keyword_examples"]) == (10, "rare")
    low = [label for label, n in meta["label_counts"].items() if 0 < n < 10]
    assert meta["low_confidence_fields"] == low and low
    assert f"low confidence (fewer than 10 examples): {low[0]} ({meta['label_counts'][low[0]]})" in result.stdout
    zero = [label for label, n in meta["label_counts"].items() if n == 0]
    assert meta["zero_shot_fields"] == zero and zero  # 6 fields have no example in the first 150 records
    assert "zero-shot (no examples; suggested from taxonomy keywords alone): " + ", ".join(zero) in result.stdout


def test_version_prints_the_package_version():
    from classifier import __version__

    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"classifier {__version__}\n"


def test_suggest_says_why_it_accepts_no_field(tmp_path):
    recipe = tmp_path / "recipe.txt"
    recipe.write_text(
        "Bread for beginners\n\nMix 500 g of strong flour with salt and dried yeast, pour in warm water and knead "
        "the dough for ten minutes. Leave it to rise for an hour, shape a loaf and bake it until the crust is "
        "golden.\n",
        encoding="utf-8",
    )
    result = run("suggest", recipe, "--top", 2)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2] == "  no field accepted: the text does not read like an OSCE policy text (out-of-scope)"
    assert not any(line.startswith("  * ") for line in lines)
    result = run(
        "suggest",
        "-",
        "--format",
        "json",
        input="Миссия по наблюдению за выборами открылась в столице и будет следить за кампанией.",
    )
    answer = json.loads(result.stdout)
    assert answer["labels"] == [] and answer["flag"] == "language"


def test_train_takes_written_examples_from_the_guide_given_or_none(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:100]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    guide = tmp_path / "guide.yaml"
    guide.write_text(
        'fields:\n  - name: Youth\n    examples: ["Young people met.", "A youth council opened."]\n  - name: Sports\n',
        encoding="utf-8",
    )
    result = run("train", data, "--output", tmp_path / "a", "--field-guide", guide)
    assert result.exit_code == 0, result.stderr
    assert f"warning: {guide}: not fields of the taxonomy, their written examples left out: Sports" in result.stderr
    written = json.loads((tmp_path / "a" / "model.json").read_text())["written_examples"]
    assert (written["file"], written["examples"], written["per_field"]) == ("guide.yaml", 2, {"Youth": 2})
    result = run("train", data, "--output", tmp_path / "b", "--no-written-examples")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "b" / "model.json").read_text())["written_examples"] is None


def test_shell_completion_completes_commands_and_options():
    import os
    import subprocess
    import sys

    def complete(words, cword):
        env = {**os.environ, "_CLASSIFIER_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        code = "import sys; sys.argv[0] = 'classifier'; from classifier.cli import main; main()"
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.split()

    assert complete("classifier su", 1) == ["suggest"]
    assert complete("classifier tag --res", 2) == ["--resume"]


def test_suggest_threshold_and_limit_replace_the_models_choice():
    plain = json.loads(run("suggest", EXAMPLE, "--format", "json", "--top", 23).stdout)
    assert plain["labels"] == ["Elections"]  # the model's own thresholds accept one field
    ranked = [s["label"] for s in plain["suggestions"]]
    above = [s["label"] for s in plain["suggestions"] if s["score"] >= 0.05]
    assert len(above) >= 3  # known from the README's example: Elections 1.00, Democratization 0.10, Human rights 0.07
    cut = json.loads(run("suggest", EXAMPLE, "--format", "json", "--threshold", 0.05).stdout)
    assert cut["labels"] == above
    limited = json.loads(run("suggest", EXAMPLE, "--format", "json", "-t", 0.05, "-l", 2).stdout)
    assert limited["labels"] == ranked[:2]
    text = run("suggest", EXAMPLE, "--threshold", 0.05, "--top", 3).stdout.splitlines()
    assert [line.split()[0] for line in text[2:5]] == ["*", "*", "*"]
    result = run("suggest", EXAMPLE, "--threshold", 2)
    assert result.exit_code == 2 and "--threshold" in result.stderr


def test_evaluate_with_threshold_zero_accepts_every_field_and_names_its_model(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:40]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    plain = json.loads(run("evaluate", data, "--format", "json").stdout)
    every = json.loads(run("evaluate", data, "--format", "json", "--threshold", 0).stdout)
    top_one = json.loads(run("evaluate", data, "--format", "json", "--limit", 1).stdout)
    # Every field accepted: all true fields found, and precision is the share of true fields among all 23.
    true_fields = sum(len(set(r["labels"])) for r in records)
    assert every["micro"]["recall"] == 1.0
    assert every["micro"]["precision"] == round(true_fields / (40 * 23), 4)
    # One field per document, the best ranked: precision is P@1; the ranking metrics never change.
    assert top_one["micro"]["precision"] == plain["p@1"]
    assert {key: every[key] for key in ("p@1", "r@3", "ndcg@3")} == {
        key: plain[key] for key in ("p@1", "r@3", "ndcg@3")
    }
    assert plain["model"] == every["model"] == load_model().fingerprint


def test_evaluate_warns_when_the_model_was_trained_on_the_documents(tmp_path):
    """The shipped model's bundle stores the corpus it was trained on: two of three corpus items, and a third
    whose text changed by one sentence, are counted as two documents it learned from."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:3]
    records[2]["text"] += " An added sentence makes this text one the model never saw."
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = run("evaluate", data, "--format", "json")
    assert json.loads(result.stdout)["trained_on"] == 2
    assert result.stderr == (
        "warning: the model was trained on 2 of these 3 documents: their scores overstate how it does on new texts\n"
    )
    data.write_text(json.dumps(records[2]) + "\n", encoding="utf-8")
    fresh = run("evaluate", data, "--format", "json")
    assert json.loads(fresh.stdout)["trained_on"] == 0 and fresh.stderr == ""


def test_evaluate_says_how_many_documents_had_no_fields_to_measure_against(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][600:603]
    data = tmp_path / "data.jsonl"
    unlabelled = [{key: value for key, value in r.items() if key != "labels"} for r in records[1:]]
    data.write_text("".join(json.dumps(r) + "\n" for r in [records[0], *unlabelled]), encoding="utf-8")
    result = run("evaluate", data, "--format", "json")
    metrics = json.loads(result.stdout)
    assert (metrics["documents"], metrics["unlabelled"]) == (1, 2)
    assert result.stderr.splitlines()[-1] == (
        "warning: 2 documents have no fields (a page without a Fields of work block, a row without labels) and are "
        "not counted"
    )


def test_suggest_lines_answers_every_line_in_order_and_reports_blank_ones():
    lines = [
        "ODIHR observers followed the parliamentary elections and the counting of votes.",
        "",
        "   ",
        "Journalists were threatened; the Representative on Freedom of the Media called for their safety.",
    ]
    result = run("suggest", "--lines", "-", "--format", "json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr  # blank lines are reported, not failures
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["1", "2", "3", "4"]
    assert [row["path"] for row in rows] == ["<stdin>:1", "<stdin>:2", "<stdin>:3", "<stdin>:4"]
    assert rows[0]["labels"][0] == "Elections" and rows[3]["labels"][0] == "Media freedom and development"
    assert rows[1]["labels"] == rows[2]["labels"] == [] and rows[1]["error"] == "<stdin>:2: blank line"
    assert result.stderr.splitlines() == ["warning: <stdin>:2: blank line", "warning: <stdin>:3: blank line"]


def test_suggest_lines_of_a_file_match_suggest_of_each_line_alone(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:5]
    texts = [r["text"].replace("\n", " ") for r in records]
    data = tmp_path / "docs.txt"
    data.write_bytes(("\r\n".join(texts) + "\r\n").encode("utf-8-sig"))  # Windows line ends and a BOM
    result = run("suggest", "--lines", data, "--format", "json", "--top", 3, "--threshold", 0.2)
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    alone = [json.loads(run("suggest", "-", "-f", "json", "--top", 3, "-t", 0.2, input=t).stdout) for t in texts]
    assert [row["path"] for row in rows] == [f"{data}:{n}" for n in range(1, 6)]
    assert [(row["labels"], row["suggestions"]) for row in rows] == [(a["labels"], a["suggestions"]) for a in alone]


def test_suggest_lines_reports_an_unreadable_line_and_goes_on(tmp_path):
    data = tmp_path / "docs.txt"
    data.write_bytes(b"Police officers trained in community policing.\n\xff\xfe\x41\n")
    result = run("suggest", "--lines", data, tmp_path / "missing.txt")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {data}:2: not valid UTF-8 (invalid start byte at byte 0)",
        f"error: {tmp_path / 'missing.txt'}: no such file",
    ]
    assert result.stdout.splitlines()[0] == f"{data}:1" and "Traceback" not in result.output


def on_a_terminal(args, cwd):
    """Run the command with stderr on a pseudo-terminal (as in an interactive shell) and stdout on a pipe: its
    stderr as the terminal showed it, escape codes removed, and its stdout."""
    import pty
    import re
    import subprocess
    import sys

    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "classifier", *map(str, args)]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
    stdout = process.stdout.read()
    process.wait()
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))
    return process.returncode, text, stdout.decode("utf-8")


def test_tag_train_and_pick_show_a_progress_bar_on_a_terminal_only(tmp_path):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:60]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    code, shown, _ = on_a_terminal(["tag", data, "--output", "tags.jsonl", "--chunk-size", 20, "--jobs", 1], tmp_path)
    assert code == 0
    # The total is counted from the input, the rate measured; the summary line follows the finished bar.
    assert "60/60" in shown and "documents/s" in shown and "left" in shown
    assert shown.rstrip().splitlines()[-1].startswith("60 documents tagged, 0 failed")
    code, shown, _ = on_a_terminal(["train", data, "--output", "bundle"], tmp_path)
    assert code == 0 and "training (folds, then the final fit)" in shown and "6/6" in shown  # 5 folds + the final fit
    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text("".join((ROOT / "training" / "data" / "unlabelled.jsonl").open().readlines()[:30]))
    code, shown, stdout = on_a_terminal(["pick", unlabelled, "--n", 2], tmp_path)
    assert code == 0 and "scoring" in shown and "30/30" in shown
    assert len(stdout.splitlines()) == 2 and all(json.loads(line)["id"] for line in stdout.splitlines())
    # Not a terminal: the same runs print what they always did, and no bar.
    result = run("tag", data, "--output", tmp_path / "again.jsonl", "--jobs", 1)
    assert result.stderr.splitlines() == [result.stderr.splitlines()[-1]]
    assert result.stderr.startswith("60 documents tagged, 0 failed") and "\x1b" not in result.stderr


def test_suggest_json_gives_every_input_its_line_a_failed_one_with_its_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    result = run("suggest", EXAMPLE, missing, empty, MEDIA, "--format", "json")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["path"] for row in rows] == [str(EXAMPLE), str(missing), str(empty), str(MEDIA)]
    assert rows[0]["labels"] == ["Elections"] and "error" not in rows[0]
    assert rows[1]["error"] == f"{missing}: no such file or directory" and rows[1]["labels"] == []
    assert rows[2]["error"] == f"{empty}: empty file" and rows[2]["suggestions"] == []
    assert result.stderr.splitlines() == [f"error: {missing}: no such file or directory", f"error: {empty}: empty file"]
    # For people the failed ones are said on stderr only.
    text = run("suggest", EXAMPLE, missing)
    assert text.exit_code == 1 and str(missing) not in text.stdout and text.stdout.startswith(f"{EXAMPLE}\n")


def test_an_empty_jsonl_and_a_csv_of_a_header_alone_fail_as_an_empty_text_file_does(tmp_path):
    jsonl, csv_file, text = tmp_path / "empty.jsonl", tmp_path / "header.csv", tmp_path / "empty.txt"
    jsonl.write_text("\n", encoding="utf-8")
    csv_file.write_text("id,text\n", encoding="utf-8")
    text.write_text("", encoding="utf-8")
    said = [f"error: {jsonl}: empty file", f"error: {csv_file}: no rows below the header", f"error: {text}: empty file"]
    result = run("suggest", jsonl, csv_file, text)
    assert (result.exit_code, result.stdout, result.stderr.splitlines()) == (1, "", said)
    output = tmp_path / "tags.jsonl"
    result = run("tag", jsonl, csv_file, text, "--output", output)
    assert result.exit_code == 1 and result.stderr.splitlines()[:3] == said
    assert result.stderr.splitlines()[3].startswith("0 documents tagged, 3 failed,")
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["error"], row["labels"]) for row in rows] == [
        (str(path), line.removeprefix("error: "), []) for path, line in zip((jsonl, csv_file, text), said)
    ]


def test_a_page_whose_cut_leaves_no_text_says_it_was_the_cut(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "2000")  # the example's menus alone are longer
    result = run("suggest", EXAMPLE)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {EXAMPLE}: no text before its text cut at 2,000 characters (the CLASSIFIER_MAX_TEXT limit)\n"
    )


def shell(command: str) -> subprocess.CompletedProcess:
    """`command` run by bash in a new process, with this Python's classifier first on the PATH."""
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=120)


def test_a_full_disk_a_closed_stream_and_a_closed_pipe_are_one_line_or_quiet():
    example = shlex.quote(str(EXAMPLE))
    full = shell(f"classifier suggest {example} > /dev/full")
    assert (full.returncode, full.stderr) == (
        1,
        "error: No space left on device (errno 28); nothing more was written\n",
    )
    for command, stream in ((f"classifier suggest {example} >&-", "output"), ("classifier suggest - <&-", "input")):
        closed = shell(command)
        assert (closed.returncode, closed.stderr) == (
            1,
            f"error: standard {stream} is closed (errno 9); nothing more was written\n",
        ), command
    version = shell("classifier --version >&-")
    assert (version.returncode, version.stderr) == (1, "error: standard output is closed\n")
    # The reader of a pipe went away: no message, and the status a shell gives (128 + SIGPIPE).
    rows = shlex.quote(str(ROOT / "training" / "data" / "unlabelled.jsonl"))
    piped = shell(f"classifier suggest {rows} --format json | head -1 > /dev/null; echo ${{PIPESTATUS[0]}}")
    assert (piped.stdout, piped.stderr) == ("141\n", "")


def test_a_closed_stderr_loses_the_messages_not_the_work(tmp_path):
    """`2>&-` (a cron line, a service manager): tag writes every row and exits 0; only its messages are lost."""
    rows = shlex.quote(str(ROOT / "training" / "data" / "unlabelled.jsonl"))
    out = tmp_path / "tagged.jsonl"
    tagged = shell(f"classifier tag {rows} --output {shlex.quote(str(out))} --jobs 1 2>&-")
    assert (tagged.returncode, tagged.stderr) == (0, "")
    expected = sum(1 for line in (ROOT / "training" / "data" / "unlabelled.jsonl").open() if line.strip())
    assert len(out.read_text(encoding="utf-8").splitlines()) == expected
    failed = shell("classifier suggest no-such-file.txt 2>&-")
    assert failed.returncode == 1  # the exit code still says what the lost message would have


@pytest.mark.parametrize("to_stdout", [True, False])
def test_an_interrupted_tag_advises_resume_only_for_a_file(tmp_path, monkeypatch, to_stdout):
    """Rows printed to stdout cannot be resumed (--resume refuses -): the message says to run it again instead."""
    import classifier.workflows.tagging

    def interrupted(*args, on_start, **kwargs):
        on_start(0)  # the output is open: tagging has begun
        raise KeyboardInterrupt

    monkeypatch.setattr(classifier.workflows.tagging, "tag", interrupted)
    monkeypatch.setattr("classifier.cli.signal.signal", lambda *args: None)  # this process keeps its Ctrl-C
    output = "-" if to_stdout else str(tmp_path / "tags.jsonl")
    result = run("tag", EXAMPLE, "--output", output)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        "interrupted: the rows printed so far are whole; run it again to tag them all"
        if to_stdout
        else f"interrupted: {output} holds whole rows so far; run the same command with --resume to finish"
    )


def test_a_tag_interrupted_before_its_output_exists_promises_no_rows(tmp_path, monkeypatch):
    """Stopped while it still reads its inputs (a glob taking long): no output to resume, so it says so alone."""
    import classifier.workflows.tagging

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # before `on_start`: the output was never opened

    monkeypatch.setattr(classifier.workflows.tagging, "tag", interrupted)
    monkeypatch.setattr("classifier.cli.signal.signal", lambda *args: None)  # this process keeps its Ctrl-C
    output = tmp_path / "tags.jsonl"
    result = run("tag", EXAMPLE, "--output", str(output))
    assert (result.exit_code, result.stderr, output.exists()) == (130, "interrupted\n", False)


def test_a_command_interrupted_with_nothing_of_its_own_to_say_says_interrupted(monkeypatch):
    import classifier.bundle.model

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(classifier.bundle.model.Model, "suggest_documents", interrupted)
    monkeypatch.setattr("classifier.cli.signal.signal", lambda *args: None)  # this process keeps its Ctrl-C
    result = run("suggest", EXAMPLE)
    assert (result.exit_code, result.stderr) == (130, "interrupted\n")


def test_usage_errors_name_the_help_of_the_command_and_no_command_shows_the_help():
    missing_value = run("suggest", EXAMPLE, "--model")  # raised by the parser with no command of its own
    assert (missing_value.exit_code, missing_value.stderr) == (
        2,
        "error: Option '--model' requires an argument (see classifier suggest --help)\n",
    )
    nested = run("taxonomy", "sync", EXAMPLE, "--taxonomy")
    assert (nested.exit_code, nested.stderr) == (
        2,
        "error: Option '--taxonomy' requires an argument (see classifier taxonomy sync --help)\n",
    )
    alone = run()
    assert alone.exit_code == 2 and alone.stderr.startswith("Usage: classifier [OPTIONS] COMMAND [ARGS]...\n")
    assert "error:" not in alone.stderr and "suggest" in alone.stderr


def test_pick_output_dash_is_standard_output_not_a_file_named_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = ROOT / "training" / "data" / "unlabelled.jsonl"
    result = run("pick", rows, "--n", 2, "--output", "-")
    assert result.exit_code == 0, result.stderr
    assert len([json.loads(line) for line in result.stdout.splitlines()]) == 2
    assert list(tmp_path.iterdir()) == [] and "wrote" not in result.stderr


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the interrupt Python drops
def test_a_stop_signal_python_dropped_stops_tag_at_its_next_chunk(monkeypatch):
    """A KeyboardInterrupt raised while a __del__ runs (Dask's futures release themselves so) is dropped by Python;
    the signal is remembered, and tag's next chunk stops as the interrupt would have."""
    import signal

    import classifier.cli as cli

    monkeypatch.setattr(cli, "_SIGNALLED", [])
    seen = []
    on_progress = cli._progressed(seen.append)
    on_progress(512)
    assert seen == [512]

    class Releasing:
        def __del__(self):
            cli._stopped(signal.SIGINT, None)  # raised here, dropped by Python

    Releasing()
    with pytest.raises(KeyboardInterrupt):
        on_progress(1024)
    assert seen == [512] and cli._SIGNALLED == [signal.SIGINT]


def test_the_interrupt_python_drops_is_not_printed_but_other_dropped_errors_are(monkeypatch):
    """Python prints an exception raised in a __del__ with its traceback ("Exception ignored in ..."); for the
    KeyboardInterrupt of a stop signal, which tag acts on after its chunk, that traceback was noise after Ctrl-C."""
    import signal

    import classifier.cli as cli

    printed = []
    hook = cli._unraisable(printed.append)

    class Releasing:
        def __init__(self, error):
            self.error = error

        def __del__(self):
            raise self.error

    monkeypatch.setattr(sys, "unraisablehook", hook)
    monkeypatch.setattr(cli, "_SIGNALLED", [])
    Releasing(ValueError("a real error"))
    Releasing(KeyboardInterrupt())  # no stop signal was received: a real one, shown
    monkeypatch.setattr(cli, "_SIGNALLED", [signal.SIGINT])
    Releasing(KeyboardInterrupt())  # the stop signal's, already acted on: not shown
    assert [type(u.exc_value) for u in printed] == [ValueError, KeyboardInterrupt]


def test_an_output_that_is_a_directory_is_refused_as_one(tmp_path):
    """tag said the folder lacked a suffix; pick said it existed and to pass --force, which then said it was a
    directory."""
    folder = tmp_path / "out"
    folder.mkdir()
    tagged = run("tag", MEDIA, "--output", folder)
    assert (tagged.exit_code, tagged.stderr) == (1, f"error: {folder}: is a directory; name a file to write\n")
    unlabelled = ROOT / "training" / "data" / "unlabelled.jsonl"
    picked = run("pick", unlabelled, "--n", 2, "--output", folder)
    assert (picked.exit_code, picked.stderr) == (1, f"error: {folder}: is a directory; name a file to write\n")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", [["suggest"], ["tag", "--output", "-"]])
def test_a_file_name_with_a_line_break_is_reported_on_one_line(tmp_path, command):
    """Each problem with a document is one line on stderr: a file named "x<newline>y.txt" (empty) was said over two,
    "error: .../x" and "y.txt: empty file"."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "x\ny.txt").write_text("", encoding="utf-8")
    result = run(command[0], folder, *command[1:])
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert problems == [f"error: {folder}/x\\ny.txt: empty file"], result.stderr


def test_a_missing_model_named_by_the_environment_gets_a_hint_that_trains_it_there(tmp_path, monkeypatch):
    """With CLASSIFIER_MODEL naming a folder that is not there, the hint said to train into models/default: over the
    shipped model. It names the folder, as --model's does."""
    monkeypatch.setenv("CLASSIFIER_MODEL", str(tmp_path / "nosuch"))
    result = run("suggest", ROOT / "examples" / "plain-text-media.txt")
    assert result.exit_code == 1
    assert result.stderr.rstrip().endswith(
        f"(train one: classifier train LABELLED_DATA --output {tmp_path / 'nosuch'})"
    )


def test_evaluate_takes_fields_by_their_notation_and_uri(tmp_path):
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:2]]
    rows[0]["labels"], rows[1]["labels"] = ["human-rights"], ["urn:osce-field-of-work:rule-of-law", "Elections"]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = run("evaluate", data, "--format", "json")
    assert result.exit_code == 0, result.stderr
    support = {label: metrics["support"] for label, metrics in json.loads(result.stdout)["per_label"].items()}
    assert (support["Human rights"], support["Rule of law"], support["Elections"]) == (1, 1, 1)
