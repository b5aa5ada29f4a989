"""Hostile inputs: FIFOs, devices, undecodable file names, huge CSV rows, inputs that would be silently misread (issue
15, cases 4, 5, 9, 10, 11)."""

import csv
import io
import json
import os
import time

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from classifier.cli import app
from classifier.corpus.documents import read_documents
from classifier.io.csvtable import MAX_CELLS, read_csv_records, row_budget
from classifier.io.textio import InputError, decode_head

from conftest import ROOT, TRAINING
from hostile import no_hang

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
PAGE = EXAMPLE.read_bytes()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


# Case 4: FIFOs and devices are reported and skipped, never opened


def test_a_fifo_named_on_the_command_line_is_reported_not_read(tmp_path):
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "ok.txt").write_bytes(PAGE)
    with no_hang():
        result = run("suggest", tmp_path / "fifo.txt", tmp_path / "ok.txt", "--top", "1")
    assert result.exit_code == 1
    refused = "not a regular file (a FIFO, device or socket; name - to read standard input); skipped"
    assert f"error: {tmp_path / 'fifo.txt'}: {refused}" in result.stderr
    assert "Elections" in result.stdout


@pytest.mark.parametrize("command", ["suggest", "tag"])
def test_a_fifo_in_a_directory_is_skipped_and_the_batch_goes_on(tmp_path, command):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.txt").write_bytes(PAGE)
    os.mkfifo(folder / "b.txt")
    (folder / "c.txt").write_bytes(PAGE)
    extra = ["--output", tmp_path / "tags.jsonl"] if command == "tag" else []
    with no_hang():
        result = run(command, folder, *extra)
    assert result.exit_code == 1 and "b.txt: not a regular file" in result.stderr
    if command == "tag":
        rows = [json.loads(line) for line in (tmp_path / "tags.jsonl").read_text().splitlines()]
        assert [r["id"].rsplit("/", 1)[1] for r in rows] == ["a.txt", "b.txt", "c.txt"]
        assert rows[1]["error"] and not rows[2]["error"]


def test_a_device_and_a_fifo_table_are_never_read(tmp_path):
    os.mkfifo(tmp_path / "rows.jsonl")
    (tmp_path / "null.txt").symlink_to("/dev/zero")
    with no_hang():
        docs = list(read_documents([str(tmp_path / "rows.jsonl"), str(tmp_path / "null.txt")]))
    assert all("not a regular file" in doc.error for doc in docs)


def test_training_on_a_fifo_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "data.jsonl")
    with no_hang():
        result = run("train", tmp_path / "data.jsonl", "--output", tmp_path / "bundle")
    assert result.exit_code == 1 and "not a regular file" in result.stderr


# Case 5: a file name that is not UTF-8


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_undecodable_file_name_round_trips_and_the_batch_goes_on(tmp_path, fmt):
    folder = tmp_path / "pages"
    folder.mkdir()
    names = [b"a.txt", b"bad\xff.txt", b"\xe9t\xe9.txt", b"z.txt"]
    for name in names:
        (folder / os.fsdecode(name)).write_bytes(PAGE)
    output = tmp_path / f"tags.{fmt}"
    result = run("tag", folder, "--output", output, "--chunk-size", "1", "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    if fmt == "jsonl":
        ids = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
        assert sorted(os.fsencode(os.path.basename(i)) for i in ids) == sorted(names)  # the exact bytes come back
    elif fmt == "csv":
        with open(output, newline="", encoding="utf-8") as handle:
            ids = [row["id"] for row in csv.DictReader(handle)]
        assert any(i.endswith("bad\\udcff.txt") for i in ids) and len(ids) == 4
    else:
        ids = pq.read_table(output).column("id").to_pylist()
        assert any(i.endswith("bad\\udcff.txt") for i in ids) and len(ids) == 4
    # and the run resumes over them
    assert run("tag", folder, "--output", output, "--resume").exit_code == 0


def test_suggest_and_pick_print_undecodable_names(tmp_path):
    (tmp_path / os.fsdecode(b"bad\xff.txt")).write_bytes(PAGE)
    result = run("suggest", tmp_path, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["path"].endswith("bad\udcff.txt")
    result = run("pick", tmp_path, "--output", tmp_path / "pick.jsonl")
    assert result.exit_code == 0, result.stderr


# Case 10: CSV cost bounded per row


def test_a_row_of_millions_of_commas_is_one_error_in_bounded_time(tmp_path):
    table = tmp_path / "wide.csv"
    with open(table, "w") as handle:
        handle.write("id,text\n1," + "," * 3_000_000 + "\n2,Observers watched the election count\n")
    start = time.perf_counter()
    docs = list(read_documents([str(table)]))
    assert time.perf_counter() - start < 5
    assert f"more than {MAX_CELLS:,} cells" in docs[0].error and docs[0].origin.endswith(":2")
    assert docs[1].text == "Observers watched the election count"


@given(st.integers(MAX_CELLS - 2, MAX_CELLS + 3), st.sampled_from(["", "x", '"q"', '"a,b"']))
def test_rows_around_the_cell_limit(cells, cell):
    data = ("a,b\n" + ",".join([cell] * cells) + "\r\nx,y\n").encode()
    records = list(read_csv_records(io.BytesIO(data), 1000))
    assert records[-1].cells == ["x", "y"]
    if cells > MAX_CELLS:
        assert "more than" in records[1].error


def test_a_row_keeps_at_most_its_budget(tmp_path):
    limit = 100
    data = ("a,b,c,d,e,f\n" + ",".join(["x" * 100] * 6) + "\n").encode()
    record = list(read_csv_records(io.BytesIO(data), limit))[1]
    kept = sum(len(cell) for cell in record.cells)
    assert kept == 600 <= row_budget(limit)
    data = ("a\n" + ",".join(["x" * 100] * 9000) + "\n").encode()
    record = list(read_csv_records(io.BytesIO(data), limit))[1]
    assert sum(len(cell) for cell in record.cells or []) <= row_budget(limit)


# Case 11: inputs that would be silently misread


def test_binary_data_after_the_first_8_kb_is_refused():
    data = PAGE * 4 + b"\x00\x01" * 100 + b"more"
    assert len(PAGE * 4) > 8192
    with pytest.raises(InputError, match="binary file, not text"):
        decode_head(io.BytesIO(data), "late.txt")
    noise = bytes(range(256)) * 200
    with pytest.raises(InputError, match="binary file"):
        decode_head(io.BytesIO(PAGE * 4 + noise), "noise.txt")


def test_a_windows_1252_csv_is_read_as_such_with_a_warning(tmp_path):
    table = tmp_path / "latin.csv"
    table.write_bytes('id,text\n1,"Élection à Genève, observers watched the vote"\n'.encode("cp1252"))
    docs = list(read_documents([str(table)]))
    assert docs[0].text.startswith("Élection à Genève") and "\ufffd" not in docs[0].text
    assert docs[0].warning == f"{table}: not UTF-8; read as Windows-1252"


def test_duplicate_csv_columns_are_refused(tmp_path):
    table = tmp_path / "dup.csv"
    table.write_text("id,text,text\n1,first,second\n")
    docs = list(read_documents([str(table)]))
    assert docs[0].error == (
        f"{table}: column 'text' appears twice in the header (columns 2 and 3); "
        "rename one, so no values are silently dropped"
    )


@pytest.mark.parametrize("title", [12, 1.5, True, ["a"], {"a": 1}])
def test_a_jsonl_title_that_is_not_text_is_a_row_error(tmp_path, title):
    table = tmp_path / "rows.jsonl"
    table.write_text(
        json.dumps({"id": "a", "title": title, "text": "Observers watched the vote"})
        + "\n"
        + json.dumps({"id": "b", "text": "Observers watched the vote"})
        + "\n"
    )
    docs = list(read_documents([str(table)]))
    assert "column 'title' holds" in docs[0].error and docs[0].error.startswith(f"{table}:1: ")
    assert not docs[1].error


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_named_column_no_row_has_is_a_usage_error(tmp_path, kind):
    table = tmp_path / f"rows.{kind}"
    if kind == "jsonl":
        table.write_text(json.dumps({"id": "a", "title": "Vote", "text": "Observers watched the vote"}) + "\n")
    else:
        table.write_text("id,title,text\na,Vote,Observers watched the vote\n")
    output = tmp_path / "tags.jsonl"
    result = run("tag", table, "--text-column", "body", "--output", output)
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {table}: no row has the column 'body' named by --text-column (columns: id, title, text)\n"
    )
    assert not output.exists() and not list(tmp_path.glob(".tags*"))


def test_a_missing_input_is_named_on_stderr(tmp_path):
    table = tmp_path / "rows.jsonl"
    table.write_text(json.dumps({"id": "a", "text": "Observers watched the vote"}) + "\n")
    result = run("tag", tmp_path / "nosuch.jsonl", table, "--output", tmp_path / "tags.jsonl")
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nosuch.jsonl'}: no such file or directory" in result.stderr.splitlines()


# Case 9: too little training data


@pytest.mark.parametrize("copies", [1, 60])
def test_tiny_training_data_says_how_much_is_needed(tmp_path, copies):
    row = json.loads(TRAINING.read_text(encoding="utf-8").splitlines()[0])
    data = tmp_path / "tiny.jsonl"
    data.write_text("".join(json.dumps({**row, "id": f"x{i}"}) + "\n" for i in range(copies)))
    result = run("train", data, "--output", tmp_path / "bundle")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == (
        "error: too little training data: 1 distinct document with 1 field; training needs at least 10 documents "
        "(duplicates count once) labelled with at least 2 different fields\n"
    )
    assert not (tmp_path / "bundle").exists()


@given(st.binary(min_size=1, max_size=30).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_file_name_encodes_in_every_output_format(name):
    from classifier.io.tagfiles import encode_rows

    doc_id = os.fsdecode(b"pages/" + name)
    row = {
        "id": doc_id,
        "labels": [],
        "scores": {},
        "error": f"{doc_id}: empty file",
        "warning": "",
        "flag": "",
        "model": "",
    }
    line = encode_rows([row], "jsonl")
    line.encode("utf-8")
    assert os.fsencode(json.loads(line)["id"]) == b"pages/" + name  # JSONL gives back the exact bytes
    encode_rows([row], "csv").encode("utf-8")
    assert encode_rows([row], "parquet").num_rows == 1


def test_a_fifo_as_taxonomy_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "taxonomy.yaml")
    with no_hang():
        result = run("taxonomy", "--taxonomy", tmp_path / "taxonomy.yaml")
    assert result.exit_code == 1 and "not a regular file" in result.stderr


def _locked(monkeypatch, folder):
    """`folder` as a folder this user may not list (chmod 000 binds no root, so the refusal is made here)."""
    scandir, listdir = os.scandir, os.listdir

    def refuse(real):
        def call(path=".", *args):
            if os.path.realpath(path) == os.path.realpath(folder):
                raise PermissionError(13, "Permission denied", str(path))
            return real(path, *args)

        return call

    monkeypatch.setattr(os, "scandir", refuse(scandir))
    monkeypatch.setattr(os, "listdir", refuse(listdir))


def test_a_folder_that_cannot_be_listed_is_a_failed_row_where_it_lies_not_passed_over(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("Observers watched the vote.", encoding="utf-8")
    (tmp_path / "b-locked").mkdir()
    (tmp_path / "b-locked" / "inside.txt").write_text("Police training.", encoding="utf-8")
    (tmp_path / "c.txt").write_text("A youth forum.", encoding="utf-8")
    _locked(monkeypatch, tmp_path / "b-locked")
    documents = list(read_documents([tmp_path]))
    assert [(doc.origin, doc.error) for doc in documents] == [
        (str(tmp_path / "a.txt"), None),
        (str(tmp_path / "c.txt"), None),
        (str(tmp_path / "b-locked"), f"{tmp_path / 'b-locked'}: cannot read the folder (Permission denied)"),
    ]
    locked_alone = list(read_documents([tmp_path / "b-locked"]))
    assert [doc.error for doc in locked_alone] == [
        f"{tmp_path / 'b-locked'}: cannot read the folder (Permission denied)"
    ]


def test_tag_counts_and_names_a_folder_it_cannot_list(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Observers watched the vote.", encoding="utf-8")
    (tmp_path / "in" / "locked").mkdir()
    _locked(monkeypatch, tmp_path / "in" / "locked")
    result = CliRunner().invoke(app, ["tag", str(tmp_path / "in"), "--output", str(tmp_path / "tags.jsonl")])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'in' / 'locked'}: cannot read the folder (Permission denied)" in result.stderr
    assert "\n1 documents tagged, 1 failed" in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == [str(tmp_path / "in" / "a.txt"), str(tmp_path / "in" / "locked")]
    assert rows[1]["error"].endswith("cannot read the folder (Permission denied)")


def test_tables_found_in_a_folder_are_read_as_tables(tmp_path):
    (tmp_path / "catalogue.csv").write_text(
        "id,title,text\nr1,Observers,They watched the vote.\nr2,Police,A training course.\n", encoding="utf-8"
    )
    (tmp_path / "more.jsonl").write_text('{"id": "r3", "text": "A youth forum."}\n', encoding="utf-8")
    (tmp_path / "page.txt").write_text("A plain page.", encoding="utf-8")
    documents = list(read_documents([tmp_path], glob="*"))
    assert [(doc.id, doc.title, doc.error) for doc in documents] == [
        ("r1", "Observers", None),
        ("r2", "Police", None),
        ("r3", "", None),
        (str(tmp_path / "page.txt"), "", None),
    ]


def test_a_recursive_glob_reads_each_file_once_through_a_symlink_loop(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "page.txt").write_text("Observers watched the vote.", encoding="utf-8")
    (tmp_path / "a" / "up").symlink_to("..")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a" / "page.txt")  # a link named by itself still counts
    documents = list(read_documents([str(tmp_path / "**" / "*.txt")]))
    assert [doc.origin for doc in documents] == [str(tmp_path / "a" / "page.txt"), str(tmp_path / "b.txt")]


def test_several_globs_each_add_their_files_and_a_folder_matching_none_names_them_all(tmp_path):
    (tmp_path / "a.txt").write_text("Observers watched the vote.", encoding="utf-8")
    (tmp_path / "b.md").write_text("A police training course.", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id,text\nr1,A youth forum.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["suggest", str(tmp_path), "--glob", "*.txt", "--glob", "*.md", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["path"] for line in result.stdout.splitlines()] == [
        str(tmp_path / "a.txt"),
        str(tmp_path / "b.md"),
    ]
    result = CliRunner().invoke(app, ["suggest", str(tmp_path), "--glob", "*.pdf", "--glob", "*.doc"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path}: a folder with no file matching *.pdf or *.doc"
    output = tmp_path.parent / f"{tmp_path.name}-tags.jsonl"
    command = ["tag", str(tmp_path), "--glob", "*.md", "--glob", "*.csv", "--output", str(output)]
    assert CliRunner().invoke(app, command).exit_code == 0
    assert [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()] == [
        str(tmp_path / "b.md"),
        "r1",
    ]
    assert CliRunner().invoke(app, [*command, "--resume"]).exit_code == 0  # the run record holds both globs
