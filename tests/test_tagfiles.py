"""Tag output files: formats, appends, and what `--resume` keeps of a file an interrupted run left."""

import csv
import json

import pytest

from classifier.io.tagfiles import COLUMNS, encode_rows, format_for, open_tag_file
from classifier.io.textio import InputError

from conftest import ROOT


def row(n, labels=("Elections",), error="", warning="", flag=""):
    return {
        "id": f"doc-{n}",
        "labels": list(labels),
        "scores": {"Elections": 0.9, "Youth": 0.1},
        "error": error,
        "warning": warning,
        "flag": flag,
        "model": "ab" * 32,
    }


def written(path, fmt, rows, chunk=2):
    """A tag file holding `rows`, appended `chunk` at a time as a run does."""
    tags = open_tag_file(path, fmt)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        tags.append(encode_rows(part, fmt), len(part), part[-1]["id"])
    return tags


@pytest.mark.parametrize(
    "path, requested, fmt",
    [
        ("tags.csv", None, "csv"),
        ("TAGS.CSV", None, "csv"),
        ("t.parquet", None, "parquet"),
        ("t.pq", None, "parquet"),
        ("t.jsonl", None, "jsonl"),
        ("t.ndjson", None, "jsonl"),
        ("-", None, "jsonl"),
        ("t.txt", "jsonl", "jsonl"),
        ("t.csv", "jsonl", "jsonl"),
        ("t.jsonl", "parquet", "parquet"),
    ],
)
def test_format_for(path, requested, fmt):
    assert format_for(path, requested) == fmt


@pytest.mark.parametrize("path", ["t.txt", "t", "tags.xlsx"])
def test_an_unknown_output_suffix_without_a_format_is_a_usage_error(path):
    from classifier.errors import UsageError

    with pytest.raises(UsageError, match="unknown output suffix"):
        format_for(path)


@pytest.mark.parametrize("requested", ["xlsx", "JSONL", "json"])
def test_an_unknown_format_asked_for_is_a_usage_error_and_nothing_is_written(tmp_path, requested):
    from classifier import load_model, tag
    from classifier.errors import UsageError

    output = tmp_path / "tags.out"
    with pytest.raises(UsageError) as caught:  # a KeyError, after the run record was written beside the output
        tag(load_model(), [ROOT / "examples" / "plain-text-media.txt"], output, format=requested)
    assert str(caught.value) == f"{output}: unknown output format {requested!r}; choose jsonl, csv, parquet"
    assert list(tmp_path.iterdir()) == []


def test_jsonl_and_csv_rows_as_written():
    rows = [
        row(1, labels=("Elections", "Youth"), warning="text cut"),
        row(2, labels=(), error="empty file"),
        row(3, labels=(), flag="out-of-scope"),
    ]
    rows[0]["id"] = "Genève"
    assert encode_rows(rows, "jsonl").splitlines() == [json.dumps(r, ensure_ascii=False) for r in rows]
    assert encode_rows(rows, "csv") == (
        f'Genève,Elections;Youth,"{{""Elections"": 0.9, ""Youth"": 0.1}}",,text cut,,{"ab" * 32}\r\n'
        f'doc-2,,"{{""Elections"": 0.9, ""Youth"": 0.1}}",empty file,,,{"ab" * 32}\r\n'
        f'doc-3,,"{{""Elections"": 0.9, ""Youth"": 0.1}}",,,out-of-scope,{"ab" * 32}\r\n'
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_new_file_holds_the_header_and_then_whole_chunks(tmp_path, fmt):
    path = tmp_path / f"tags.{fmt}"
    tags = open_tag_file(path, fmt)
    assert path.read_bytes() == (b"id,labels,scores,error,warning,flag,model\r\n" if fmt == "csv" else b"")
    assert (tags.done, tags.last_id) == (0, None)
    tags = written(path, fmt, [row(n) for n in range(5)])
    assert (tags.done, tags.last_id) == (5, "doc-4")
    header = "id,labels,scores,error,warning,flag,model\r\n" if fmt == "csv" else ""
    assert path.read_bytes() == (header + encode_rows([row(n) for n in range(5)], fmt)).encode("utf-8")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_without_resume_an_existing_file_starts_again(tmp_path, fmt):
    path = tmp_path / f"tags.{fmt}"
    written(path, fmt, [row(n) for n in range(3)])
    tags = open_tag_file(path, fmt)
    assert tags.done == 0 and len(path.read_bytes()) == (len(",".join(COLUMNS)) + 2 if fmt == "csv" else 0)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_of_a_missing_file_starts_it(tmp_path, fmt):
    tags = open_tag_file(tmp_path / "new" / f"tags.{fmt}", fmt, resume=True)
    assert tags.done == 0 and (tmp_path / "new" / f"tags.{fmt}").exists()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_counts_the_whole_rows(tmp_path, fmt):
    path = tmp_path / f"tags.{fmt}"
    written(path, fmt, [row(n) for n in range(5)])
    size = path.stat().st_size
    tags = open_tag_file(path, fmt, resume=True)
    assert (tags.done, tags.last_id) == (5, "doc-4") and path.stat().st_size == size
    tags.append(encode_rows([row(5)], fmt), 1, "doc-5")
    assert open_tag_file(path, fmt, resume=True).done == 6


def resumed(path, fmt, data: bytes):
    path.write_bytes(data)
    tags = open_tag_file(path, fmt, resume=True)
    return tags.done, tags.last_id, path.read_bytes()


JSONL_GOOD = encode_rows([row(1), row(2)], "jsonl").encode("utf-8")


@pytest.mark.parametrize(
    "tail",
    [
        b'{"id": "doc-3"}',  # torn at a point where it happens to be valid JSON: no line end, so torn
        b'{"id": "doc-3", "labe',
        b'{"id": "doc-3", "labels": ["Elections"], "scores": {"Elections": 0.9',
    ],
)
def test_jsonl_resume_cuts_a_torn_last_row(tmp_path, tail):
    path = tmp_path / "tags.jsonl"
    done, last_id, data = resumed(path, "jsonl", JSONL_GOOD + tail)
    assert (done, last_id, data) == (2, "doc-2", JSONL_GOOD)


@pytest.mark.parametrize(
    "tail",
    [
        b"[1, 2]\n",  # JSON, but not a row
        b'{"labels": []}\n',  # an object without an id
        b'{"id": "\xff"}\n',  # not UTF-8
        b"not json\n",
    ],
)
def test_jsonl_resume_refuses_a_whole_row_that_is_not_a_tag_row_and_changes_nothing(tmp_path, tail):
    from classifier.io.tagfiles import ResumeError

    path = tmp_path / "tags.jsonl"
    later = encode_rows([row(9)], "jsonl").encode("utf-8")
    path.write_bytes(JSONL_GOOD + tail + later)
    with pytest.raises(ResumeError, match="is not a tag row; nothing was changed"):
        open_tag_file(path, "jsonl", resume=True)
    assert path.read_bytes() == JSONL_GOOD + tail + later


def test_jsonl_resume_of_an_empty_file(tmp_path):
    assert resumed(tmp_path / "tags.jsonl", "jsonl", b"") == (0, None, b"")


CSV_HEADER = b"id,labels,scores,error,warning,flag,model\r\n"


def FAILED(n):  # noqa: N802 - a row maker, as `row`
    """A failed document's row: no labels, no scores, an error without a comma or a quote."""
    return {**row(n, labels=(), error=f"doc-{n}.txt: no text"), "scores": {}}


CSV_GOOD = CSV_HEADER + encode_rows([row(1), row(2)], "csv").encode("utf-8")


@pytest.mark.parametrize(
    "tail",
    [
        encode_rows([row(3)], "csv").encode("utf-8")[:-2],  # the last row without its line end
        encode_rows([row(3)], "csv").encode("utf-8")[:-1],  # half of its line end
        encode_rows([row(3)], "csv").encode("utf-8")[:25],  # cut inside the quoted scores
        b'doc-3,Elections,"{""Elections"": 0.9',  # an open quote to the end of the file
        b'"report\r\n',  # cut right after a line break inside a quoted id (a file name holding one)
        b'doc-3,Elections,"{""Elections"": 0.9}","bad\r\n',  # after a line break inside a quoted error
    ],
)
def test_csv_resume_cuts_a_torn_last_row(tmp_path, tail):
    done, last_id, data = resumed(tmp_path / "tags.csv", "csv", CSV_GOOD + tail)
    assert (done, last_id, data) == (2, "doc-2", CSV_GOOD)


@pytest.mark.parametrize(
    "tail",
    [
        b'my notes: checked by "Anna on 2026-12-01\r\n' + encode_rows([row(3)], "csv").encode("utf-8"),  # a note
        b'"my notes, then rows\r\n' + encode_rows([row(3), row(4)], "csv").encode("utf-8"),  # an open quote first
        # ... before failed rows, whose cells hold no quote to close it: still whole rows after the note
        b'"my notes, then rows\r\n' + encode_rows([FAILED(3), FAILED(4)], "csv").encode("utf-8"),
        b'x,"my notes\r\n' + encode_rows([FAILED(3)], "csv").encode("utf-8"),
        b"doc-3,Elections\r\n",  # too few cells
        b"doc-3,Elections,not scores,,\r\n",  # scores that are not an object
        b'doc-3,Elections,"[0.9]",,\r\n',
    ],
)
def test_csv_resume_refuses_a_whole_row_that_is_not_a_tag_row_and_changes_nothing(tmp_path, tail):
    from classifier.io.tagfiles import ResumeError

    path = tmp_path / "tags.csv"
    path.write_bytes(CSV_GOOD + tail)
    with pytest.raises(ResumeError, match="is not a tag row; nothing was changed"):
        open_tag_file(path, "csv", resume=True)
    assert path.read_bytes() == CSV_GOOD + tail


def test_csv_resume_keeps_rows_with_quotes_commas_and_line_breaks(tmp_path):
    rows = [row(1, error='bad "quote", and\na line break'), {**row(2), "id": "Genève, Prishtinë"}]
    data = CSV_HEADER + encode_rows(rows, "csv").encode("utf-8")
    assert resumed(tmp_path / "tags.csv", "csv", data) == (2, "Genève, Prishtinë", data)


@pytest.mark.parametrize(
    "data",
    [
        b"",  # nothing: not even the header
        b"id,title,text\r\ndoc-1,A title,Some text\r\n",  # an input table, not tag output
        b"id,labels,scores,error\r\n",  # an older or foreign header
        b'"id,labels\r\n',
        b"\xff\xfe\x00",
    ],
)
def test_csv_resume_refuses_a_file_that_is_not_tag_output(tmp_path, data):
    path = tmp_path / "tags.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as error:
        open_tag_file(path, "csv", resume=True)
    assert str(error.value) == (
        f"{path}: not a tag output (its first row is not id,labels,scores,error,warning,flag,model); cannot resume it"
    )
    assert path.read_bytes() == data  # left as it was


def test_parquet_parts_resume_and_join(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "tags.parquet"
    tags = written(path, "parquet", [row(n) for n in range(5)])
    parts = tmp_path / ".tags.parquet.parts"
    assert sorted(p.name for p in parts.iterdir()) == [
        "part-000000.parquet",
        "part-000001.parquet",
        "part-000002.parquet",
    ]
    assert not path.exists()
    again = open_tag_file(path, "parquet", resume=True)
    assert (again.done, again.last_id) == (5, "doc-4")
    again.close()
    assert not parts.exists()
    assert pq.read_table(path).column("id").to_pylist() == [f"doc-{n}" for n in range(5)]
    # A finished file resumed stays in place until a chunk follows it, then becomes the first part.
    finished = open_tag_file(path, "parquet", resume=True)
    assert (finished.done, finished.last_id) == (5, "doc-4") and path.exists()
    finished.append(encode_rows([row(5)], "parquet"), 1, "doc-5")
    finished.close()
    table = pq.read_table(path)
    assert table.column("id").to_pylist() == [f"doc-{n}" for n in range(6)]
    # The scores as JSONL and CSV write them, the same numbers.
    assert table.slice(0, 1).to_pylist()[0]["scores"] == [("Elections", 0.9), ("Youth", 0.1)]
    assert tags.done == 5


def test_parquet_parts_left_beside_the_output_they_were_joined_into_are_not_read_twice(tmp_path):
    """A run stopped after `close` joined its parts into the output and before it removed them: the output holds
    every row, and the parts are the same rows again. Resumed, the output was moved over the first part and the
    other parts counted too: 8 rows of 5 documents, and the run refused as its inputs changed."""
    import shutil

    import pyarrow.parquet as pq

    path = tmp_path / "tags.parquet"
    parts = tmp_path / ".tags.parquet.parts"
    tags = written(path, "parquet", [row(n) for n in range(5)])
    shutil.copytree(parts, tmp_path / "copy")
    tags.close()
    shutil.copytree(tmp_path / "copy", parts)  # as if the removal of the parts never ran
    again = open_tag_file(path, "parquet", resume=True)
    assert (again.done, again.last_id) == (5, "doc-4")
    again.append(encode_rows([row(5)], "parquet"), 1, "doc-5")
    again.close()
    assert pq.read_table(path).column("id").to_pylist() == [f"doc-{n}" for n in range(6)]
    assert not parts.exists()


def test_a_parquet_run_started_over_removes_the_finished_output_it_replaces(tmp_path):
    """A finished output started over (force) and the new run stopped after two rows: the old output stayed at its
    name beside the new run's parts, and a resume moved it over the new run's first part, counting the old run's 5
    rows as this run's."""
    path = tmp_path / "tags.parquet"
    written(path, "parquet", [row(n) for n in range(5)]).close()
    written(path, "parquet", [row(n) for n in range(10, 12)])  # started over, stopped before its end
    assert not path.exists()
    again = open_tag_file(path, "parquet", resume=True)
    assert (again.done, again.last_id) == (2, "doc-11")


def test_parquet_parts_of_a_run_begun_with_float32_scores_join_the_rest(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "tags.parquet"
    written(path, "parquet", [row(n) for n in range(2)])
    parts = tmp_path / ".tags.parquet.parts"
    first = sorted(parts.iterdir())[0]
    old = pq.read_table(first)
    schema = old.schema.set(
        old.schema.get_field_index("scores"), pa.field("scores", pa.map_(pa.string(), pa.float32()))
    )
    pq.write_table(old.cast(schema), first)  # as an earlier version wrote it
    again = open_tag_file(path, "parquet", resume=True)
    again.append(encode_rows([row(2)], "parquet"), 1, "doc-2")
    again.close()
    table = pq.read_table(path)
    assert table.column("id").to_pylist() == ["doc-0", "doc-1", "doc-2"]
    assert table.schema.field("scores").type == pa.map_(pa.string(), pa.float64())
    assert table.slice(2, 1).to_pylist()[0]["scores"] == [("Elections", 0.9), ("Youth", 0.1)]


def test_parquet_without_resume_starts_again_and_an_unreadable_part_is_named(tmp_path):
    path = tmp_path / "tags.parquet"
    written(path, "parquet", [row(n) for n in range(3)])
    fresh = open_tag_file(path, "parquet")
    assert fresh.done == 0 and list((tmp_path / ".tags.parquet.parts").iterdir()) == []
    (tmp_path / ".tags.parquet.parts" / "part-000000.parquet").write_bytes(b"PAR1 torn")
    with pytest.raises(
        InputError, match="part-000000.parquet: unreadable part of an interrupted run .*delete it to resume"
    ):
        open_tag_file(path, "parquet", resume=True)


def test_csv_rows_read_back_as_written(tmp_path):
    path = tmp_path / "tags.csv"
    rows = [row(1, labels=("Elections", "Youth")), row(2, labels=(), error="no text")]
    written(path, "csv", rows)
    with open(path, newline="", encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert [r["labels"] for r in read] == ["Elections;Youth", ""]
    assert json.loads(read[0]["scores"]) == rows[0]["scores"] and read[1]["error"] == "no text"
    assert list(read[0]) == list(COLUMNS)


def test_csv_resume_keeps_rows_with_line_ends_inside_cells(tmp_path):
    # Read back with newline translation, a CRLF or a lone CR inside a cell would change length and the
    # cut would land inside a row.
    rows = [row(1, error="line one\r\nline two"), row(2, warning="lone\rcarriage return"), row(3)]
    data = CSV_HEADER + encode_rows(rows, "csv").encode("utf-8")
    assert resumed(tmp_path / "tags.csv", "csv", data + b"doc-4,Ele") == (3, "doc-3", data)


def test_scores_keep_non_ascii_field_names_as_they_are():
    scores = {"Genève field": 0.5}
    assert '"{""Genève field"": 0.5}"' in encode_rows([{**row(1), "scores": scores}], "csv")
    assert '"Genève field"' in encode_rows([{**row(1), "scores": scores}], "jsonl")


def test_parquet_output_has_the_tag_columns_and_remembers_the_last_id(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "deep" / "er" / "tags.parquet"  # folders made as needed
    tags = written(path, "parquet", [row(n) for n in range(3)])
    assert (tags.done, tags.last_id) == (3, "doc-2")
    tags.close()
    table = pq.read_table(path)
    assert table.schema.names == list(COLUMNS)
    assert table.to_pylist()[0]["labels"] == ["Elections"] and table.to_pylist()[0]["warning"] == ""


# What --resume checks before it changes a byte: the run record beside the output, then the output's first row.


def recorded(tmp_path, name="tags.jsonl", **changes):
    """An output's path and the record of the run that wrote it (two inputs, no cutoffs, four fields), written beside
    it, with `changes` made to the record as written."""
    from classifier.corpus.documents import Columns
    from classifier.io.tagfiles import run_record, write_run_record

    path = tmp_path / name
    record = run_record("ab" * 32, ["/data/a.jsonl", "/data/b"], "jsonl", Columns(), "*.txt", None, ["E", "B"])
    write_run_record(path, {**record, **changes})
    return path, record


def resume_refusal(path, fmt, record):
    from classifier.io.tagfiles import ResumeError, check_resumable

    with pytest.raises(ResumeError) as error:
        check_resumable(path, fmt, record)
    return str(error.value)


def test_the_run_record_holds_what_makes_two_runs_the_same(tmp_path, monkeypatch):
    from classifier.corpus.documents import Columns
    from classifier.io.tagfiles import run_record, run_record_path, write_run_record

    monkeypatch.chdir(tmp_path)
    record = run_record("f" * 64, ["in.jsonl", "-"], "csv", Columns(id="ref", text="body"), "*.md", None, None)
    assert record == {
        "inputs": [str(tmp_path / "in.jsonl"), "-"],  # absolute, standard input as it is
        "glob": "*.md",
        "columns": {"id": "ref", "title": "title", "text": "body"},
        "format": "csv",
        "model": "f" * 64,
    }
    with_all = run_record("f" * 64, ["caf\udce9"], "csv", Columns(), "*.md", {"limit": 2, "threshold": None}, ("E",))
    assert with_all["inputs"] == [str(tmp_path / "caf\\udce9")]  # an undecodable byte as its escape
    assert with_all["cutoffs"] == {"limit": 2} and with_all["fields"] == ["E"]
    assert "cutoffs" not in run_record("f", ["a"], "csv", Columns(), "*", {"limit": None, "threshold": None})
    assert run_record("f", ["a"], "csv", Columns(), "*", {"threshold": 0.0})["cutoffs"] == {"threshold": 0.0}
    write_run_record("tags.csv", with_all)
    assert run_record_path("tags.csv").read_text(encoding="utf-8") == json.dumps(with_all, indent=1) + "\n"
    assert run_record_path(tmp_path / "sub" / "t.jsonl") == tmp_path / "sub" / ".t.jsonl.run.json"


def test_resume_refuses_an_output_no_run_record_proves_is_this_runs(tmp_path):
    from classifier.io.tagfiles import run_record_path

    path, record = recorded(tmp_path)
    missing = tmp_path / "other.jsonl"
    assert resume_refusal(missing, "jsonl", record) == (
        f"{missing}: cannot resume: nothing records it as the output of a tag run (.other.jsonl.run.json is missing "
        "or unreadable); use --force to start over, or write elsewhere"
    )
    run_record_path(path).write_text('{"inputs": [', encoding="utf-8")
    assert "(.tags.jsonl.run.json is missing or unreadable)" in resume_refusal(path, "jsonl", record)
    run_record_path(path).write_text("[1, 2]", encoding="utf-8")  # JSON, but no record: every setting differs
    assert resume_refusal(path, "jsonl", record) == (
        f"{path}: cannot resume: it was written by a run with other inputs, another --glob, other columns, another "
        "format, another model, another --limit or --threshold, other names for the model's fields (another "
        "--taxonomy); run that command again, or use --force to start over"
    )


@pytest.mark.parametrize(
    ("changes", "what"),
    [
        ({"inputs": ["/data/a.jsonl"]}, "other inputs"),
        ({"glob": "*.md", "model": "cd" * 32}, "another --glob, another model"),
        (
            {"columns": {"id": "ref", "title": "title", "text": "text"}, "format": "csv"},
            "other columns, another format",
        ),
        ({"cutoffs": {"limit": 1}}, "another --limit or --threshold"),
        ({"fields": ["E", "Borders"]}, "other names for the model's fields (another --taxonomy)"),
        ({"note": "a key no run writes"}, "other settings"),
    ],
)
def test_resume_says_which_settings_differ_from_the_runs_record(tmp_path, changes, what):
    path, record = recorded(tmp_path, **changes)
    assert resume_refusal(path, "jsonl", record) == (
        f"{path}: cannot resume: it was written by a run with {what}; run that command again, or use --force to "
        "start over"
    )


def test_a_record_written_before_the_fields_were_kept_matches_any(tmp_path):
    from classifier.io.tagfiles import check_resumable, run_record_path, write_run_record

    path, record = recorded(tmp_path)
    write_run_record(path, {key: value for key, value in record.items() if key != "fields"})
    check_resumable(path, "jsonl", record)  # no output yet: nothing else to check
    check_resumable(path, "jsonl", {**record, "fields": ["Other", "Names"]})
    assert "another model" in resume_refusal(path, "jsonl", {**record, "model": "cd" * 32})
    assert "fields" not in json.loads(run_record_path(path).read_text(encoding="utf-8"))


def test_a_run_record_of_many_inputs_is_read_whole(tmp_path):
    """A run given 15,000 files (a shell's glob) records them all: 1.3 MB, which --resume must read to the end."""
    from classifier.corpus.documents import Columns
    from classifier.io.tagfiles import check_resumable, run_record, run_record_path, write_run_record

    inputs = [f"/data/corpus/press-releases/item-{i:05d}-with-a-rather-long-descriptive-name.txt" for i in range(15000)]
    record = run_record("ab" * 32, inputs, "jsonl", Columns(), "*.txt", None, ["E"])
    path = tmp_path / "tags.jsonl"
    write_run_record(path, record)
    assert run_record_path(path).stat().st_size > 1 << 20
    check_resumable(path, "jsonl", record)


def test_resume_checks_the_first_row_of_a_jsonl_or_csv_output(tmp_path):
    from classifier.io.tagfiles import check_resumable

    path, record = recorded(tmp_path)
    path.write_bytes(JSONL_GOOD)
    check_resumable(path, "jsonl", record)
    for data in (b"", b'{"id": "doc-1", "lab'):  # nothing written yet, or a torn first row: the run was cut then
        path.write_bytes(data)
        check_resumable(path, "jsonl", record)
    old = {key: value for key, value in row(1).items() if key != "model"}
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    assert resume_refusal(path, "jsonl", record) == (
        f"{path}: cannot resume: it was written before tag rows named their model (no 'model' column); use --force "
        "to start over"
    )
    not_a_row = (
        f"{path}: cannot resume: its first row is not a tag row (id, labels, scores, error, warning, flag, model); "
        "nothing was changed"
    )
    names = json.dumps(list(COLUMNS)).encode("ascii")  # the columns' names, but in a list, not a row
    for data in (b'{"id": "n1", "text": "my notes"}\n', names + b"\n", b"5\n", b"my notes\n", b'{"id": "x",\n'):
        path.write_bytes(data + JSONL_GOOD)
        assert resume_refusal(path, "jsonl", record) == not_a_row
        assert path.read_bytes() == data + JSONL_GOOD
    csv_path, csv_record = recorded(tmp_path, "tags.csv", format="csv")
    csv_record = {**csv_record, "format": "csv"}
    csv_path.write_bytes(CSV_GOOD)
    check_resumable(csv_path, "csv", csv_record)
    csv_path.write_bytes(b"id,labels,scores,error,warning,flag\r\n")
    assert "written before tag rows named their model" in resume_refusal(csv_path, "csv", csv_record)
    csv_path.write_bytes(b"model,flag,warning,error,scores,labels,id\n")  # the names in any order: a tag header
    check_resumable(csv_path, "csv", csv_record)
    for header in (
        b"id,title,text\r\n",
        b"caf\xc3\xa9,title\r\n",
        CSV_HEADER[:-2] + b" \r\n",
        CSV_HEADER[:-2] + b"XX\r\n",
    ):
        csv_path.write_bytes(header)  # another table's, one outside ASCII, "model " or "modelXX" for "model"
        assert "its first row is not a tag row" in resume_refusal(csv_path, "csv", csv_record)
    # A Parquet output is a file only once finished, and its parts are checked as they are read.
    parquet, parquet_record = recorded(tmp_path, "tags.parquet", format="parquet")
    parquet.write_bytes(b"not parquet\n")
    check_resumable(parquet, "parquet", {**parquet_record, "format": "parquet"})


def test_resume_counts_the_failed_rows_already_there(tmp_path):
    pytest.importorskip("pyarrow")
    rows = [row(1), row(2, labels=(), error="doc-2: no text"), row(3), FAILED(4)]
    for fmt in ("jsonl", "csv", "parquet"):
        path = tmp_path / f"tags.{fmt}"
        written(path, fmt, rows, chunk=3)
        tags = open_tag_file(path, fmt, resume=True)
        assert (tags.done, tags.failed, tags.last_id) == (4, 2, "doc-4")


def test_parquet_resume_refuses_a_file_or_part_that_is_not_this_runs_tag_output(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from classifier.io.tagfiles import ResumeError

    path = tmp_path / "tags.parquet"
    before_model = (
        f"{path}: cannot resume: it was written before tag rows named their model (no 'model' column); use --force "
        "to start over"
    )
    written(path, "parquet", [row(1), row(2)]).close()
    pq.write_table(pq.read_table(path).drop_columns(["model"]), path)  # a finished output of an earlier version
    with pytest.raises(ResumeError) as error:
        open_tag_file(path, "parquet", resume=True)
    assert str(error.value) == before_model and not (tmp_path / ".tags.parquet.parts").exists()
    for data in (pa.table({"id": ["n1"], "text": ["my notes"]}), None):
        if data is None:
            path.write_bytes(b"PAR1 not parquet")
        else:
            pq.write_table(data, path)
        kept = path.read_bytes()
        with pytest.raises(ResumeError) as error:
            open_tag_file(path, "parquet", resume=True)
        assert str(error.value) == (
            f"{path}: cannot resume: not a Parquet tag output (id, labels, scores, error, warning, flag, model); "
            "nothing was changed"
        )
        assert path.read_bytes() == kept and not (tmp_path / ".tags.parquet.parts").exists()
    path.unlink()
    written(path, "parquet", [row(1), row(2), row(3)])  # an interrupted run: parts alone
    first = tmp_path / ".tags.parquet.parts" / "part-000001.parquet"
    pq.write_table(pq.read_table(first).drop_columns(["model"]), first)
    with pytest.raises(ResumeError) as error:
        open_tag_file(path, "parquet", resume=True)
    assert str(error.value) == before_model


@pytest.mark.parametrize(("fmt", "good"), [("jsonl", JSONL_GOOD), ("csv", CSV_GOOD)])
def test_a_whole_row_that_is_not_a_tag_row_is_named_by_its_number(tmp_path, fmt, good):
    from classifier.io.tagfiles import ResumeError

    path = tmp_path / f"tags.{fmt}"
    path.write_bytes(good + b"my notes, no tag row\n")  # the header is no row: rows 1 and 2 are tag rows
    with pytest.raises(ResumeError) as error:
        open_tag_file(path, fmt, resume=True)
    assert str(error.value) == f"{path}: cannot resume: row 3 is not a tag row; nothing was changed"


def test_csv_resume_reads_a_row_of_seven_cells_only_with_scores_that_read_as_an_object(tmp_path):
    from classifier.io.tagfiles import ResumeError

    path = tmp_path / "tags.csv"
    path.write_bytes(CSV_GOOD + b"doc-3,Elections,not scores,,,,model\r\n")
    with pytest.raises(ResumeError, match="row 3 is not a tag row; nothing was changed"):
        open_tag_file(path, "csv", resume=True)


@pytest.mark.parametrize(
    "tail",
    [
        b'"report\r\nsecond line\r\n',  # a quoted id holding two line breaks, cut after the second
        b'"report\r\na,b,c,d,e,f,g\r\n',  # a line of seven cells, but no scores: not a whole tag row
        b'doc-3,Elections,"{""Elections"": 0.9}","caf\xe9\r\n',  # a byte that is not UTF-8 in the open cell
    ],
)
def test_csv_resume_cuts_a_row_torn_inside_a_quoted_cell_whatever_its_lines_hold(tmp_path, tail):
    assert resumed(tmp_path / "tags.csv", "csv", CSV_GOOD + tail) == (2, "doc-2", CSV_GOOD)


def test_csv_resume_reads_cells_over_the_csv_modules_limit(tmp_path):
    """A cell over the csv module's default limit (131,072 characters), which the writer does not have: a whole row
    with such an id was refused as no tag row ("row 2 is not a tag row"), where JSONL resumed it, and a row torn
    inside such a quoted cell was refused where a short one is cut. Both now read as any other, and the limit the
    process had is put back."""
    import csv

    long_id = "Observers' note, " + "x" * 140_000
    rows = [row(1), {**row(2), "id": long_id}]
    data = CSV_HEADER + encode_rows(rows, "csv").encode("utf-8")
    torn = encode_rows([{**row(3), "id": long_id + "\r\nend"}], "csv").encode("utf-8")[:140_010]
    before = csv.field_size_limit()
    assert resumed(tmp_path / "tags.csv", "csv", data) == (2, long_id, data)
    assert resumed(tmp_path / "torn.csv", "csv", data + torn) == (2, long_id, data)
    assert csv.field_size_limit() == before


def test_every_string_of_a_value_has_its_undecodable_bytes_escaped():
    from classifier.io.tagfiles import escape_surrogates_in

    value = {"caf\udce9": ["x\udcff", ("a", "\udce9")], "n": 3, "plain": "Genève"}
    assert escape_surrogates_in(value) == {"caf\\udce9": ["x\\udcff", ["a", "\\udce9"]], "n": 3, "plain": "Genève"}
    assert escape_surrogates_in("\udce9") == "\\udce9" and escape_surrogates_in(None) is None


def test_jsonl_resume_refuses_a_line_that_opens_a_quote_as_a_csv_cell_would(tmp_path):
    """Only CSV reads a line end inside an open quote as a row torn in its cell: in JSONL it is a whole line."""
    from classifier.io.tagfiles import ResumeError

    path = tmp_path / "tags.jsonl"
    path.write_bytes(JSONL_GOOD + b'"my notes\n')
    with pytest.raises(ResumeError, match="row 3 is not a tag row; nothing was changed"):
        open_tag_file(path, "jsonl", resume=True)
    assert path.read_bytes() == JSONL_GOOD + b'"my notes\n'


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_chunk_cut_short_by_a_full_disk_is_taken_off_again(tmp_path, monkeypatch, fmt):
    import errno
    import os

    from classifier.io import tagfiles

    path = tmp_path / f"tags.{fmt}"
    tags = written(path, fmt, [row(1), row(2)])
    kept = path.read_bytes()

    real_write, sizes = os.write, []

    def half_then_full(fd, data):
        sizes.append(os.fstat(fd).st_size)
        if len(sizes) == 1:  # the first call writes ten bytes, the next finds the disk full
            return real_write(fd, data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tagfiles.os, "write", half_then_full)
    with pytest.raises(OSError, match="No space left on device"):
        tags.append(encode_rows([row(3)], fmt), 1, "doc-3")
    assert sizes == [len(kept), len(kept) + 10]  # ten bytes of the chunk were written, then taken off
    assert path.read_bytes() == kept and (tags.done, tags.last_id) == (2, "doc-2")


@pytest.mark.parametrize(("path", "suffix"), [("t.txt", ".txt"), ("tags", "(none)"), ("t.XLSX", ".XLSX")])
def test_an_unknown_output_suffix_is_named_with_what_to_do(path, suffix):
    from classifier.errors import UsageError

    with pytest.raises(UsageError) as error:
        format_for(path)
    assert str(error.value) == (
        f"{path}: unknown output suffix {suffix}; name it .jsonl, .csv or .parquet, or give its format (--format; "
        "format= from Python)"
    )


def test_a_parquet_row_holds_an_undecodable_byte_of_a_name_as_its_escape():
    pytest.importorskip("pyarrow")
    table = encode_rows([{**row(1), "id": "caf\udce9.txt", "warning": "caf\udce9.txt: cut"}], "parquet")
    assert table.to_pylist()[0]["id"] == "caf\\udce9.txt" and table.to_pylist()[0]["warning"] == "caf\\udce9.txt: cut"
