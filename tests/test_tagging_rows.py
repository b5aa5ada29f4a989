"""Fast tests of batch tagging (classifier/workflows/tagging.py): the rows, chunks, failures, resume, standard output
and summary of a run, on a model whose reading of each text is written out by hand, so that every row is known
before the run. tests/test_tagging.py runs the shipped model on real items, in worker processes and on Dask."""

import errno
import json
import os

import numpy as np
import pytest

from classifier.bundle.model import Model, Reading, apply_cutoffs
from classifier.corpus.documents import Columns, Record
from classifier.errors import OutputExistsError, UsageError
from classifier.io.tagfiles import ResumeError, run_record_path
from classifier.io.textio import InputError
from classifier.workflows import tagging
from classifier.workflows.tagging import TagSummary, tag, tag_chunk, tag_rows

from conftest import TINY_LABELS

# Each text's reading, by the text's first word: its probabilities in the order of TINY_LABELS (Elections, Border
# management, Media freedom and development, Youth) and its flag. The model accepts a field from 0.5 up.
READINGS = {
    "Alpha": ([0.9, 0.2, 0.61234, 0.0], None),
    "Beta": ([0.1, 0.7, 0.7, 0.3], None),  # a tie: the taxonomy's order ranks Border management first
    "Gamma": ([0.8, 0.0, 0.0, 0.45], "language"),  # flagged: no field accepted, whatever its scores
    "Delta": ([0.05, 0.0, 0.55, 0.99996], None),  # 0.99996 rounds to 1.0
    "Omega": ([0.35, 0.1, 0.0, 0.0], None),  # no field accepted by the model, Elections from a threshold of 0.3
}


class HandModel(Model):
    """A loaded model that reads each text as READINGS says, and cuts as `Model.read` cuts (`apply_cutoffs`, flagged
    texts accept nothing). `calls` keeps how many texts each reading was given."""

    def __init__(self, readings=READINGS, labels=TINY_LABELS):
        super().__init__(None, {"labels": list(labels)})
        self.readings = readings
        self.calls = []

    def read(self, model_texts, limit=None, threshold=None):
        self.calls.append(len(model_texts))
        proba = np.array([self.readings[text.split()[0]][0] for text in model_texts], dtype=np.float64)
        flags = [self.readings[text.split()[0]][1] for text in model_texts]
        accepted = apply_cutoffs(proba, proba >= 0.5, limit, threshold)
        accepted[[i for i, flag in enumerate(flags) if flag]] = 0
        return Reading(proba, accepted, flags)


@pytest.fixture
def model():
    return HandModel()


E, B, M, Y = TINY_LABELS


def good(doc_id, word, warning=None):
    return Record(
        doc_id, "t.jsonl", row={"id": doc_id, "text": f"{word} observers met in the capital."}, warning=warning
    )


def failed(doc_id):
    return Record(doc_id, "t.jsonl", error=f"t.jsonl:{doc_id}: invalid JSON")


RECORDS = [good("a", "Alpha"), failed("2"), good("b", "Beta", warning="t.jsonl:3: text cut"), good("g", "Gamma")]


def row(doc_id, labels, scores, model, error="", warning="", flag=""):
    return {
        "id": doc_id,
        "labels": labels,
        "scores": scores,
        "error": error,
        "warning": warning,
        "flag": flag,
        "model": model.fingerprint,
    }


def expected_rows(model, alpha=(E, M), beta=(B, M)):
    return [
        row("a", list(alpha), {E: 0.9, M: 0.6123, B: 0.2, Y: 0.0}, model),
        row("2", [], {}, model, error="t.jsonl:2: invalid JSON"),
        row("b", list(beta), {B: 0.7, M: 0.7, Y: 0.3, E: 0.1}, model, warning="t.jsonl:3: text cut"),
        row("g", [], {E: 0.8, Y: 0.45, B: 0.0, M: 0.0}, model, flag="language"),
    ]


def test_a_row_holds_the_accepted_fields_and_every_score_best_first(model):
    rows = tag_rows(model, RECORDS)
    assert rows == expected_rows(model)
    assert [list(r["scores"]) for r in rows] == [[E, M, B, Y], [], [B, M, Y, E], [E, Y, B, M]]  # the order too
    assert model.calls == [3]  # the failed record is never read
    assert tag_rows(model, [failed("1")]) == [row("1", [], {}, model, error="t.jsonl:1: invalid JSON")]
    assert model.calls == [3]


def test_limit_and_threshold_choose_the_labels_of_each_row(model):
    assert [r["labels"] for r in tag_rows(model, RECORDS, limit=1)] == [[E], [], [B], []]
    assert [r["labels"] for r in tag_rows(model, RECORDS, threshold=0.3)] == [[E, M], [], [B, M, Y], []]
    assert tag_rows(model, RECORDS, threshold=0.3, limit=2)[2]["labels"] == [B, M]


def test_a_row_of_a_table_with_renamed_columns_is_read_from_them(model):
    record = Record("r", "t.csv", row={"ref": "r", "body": "Delta notes.", "text": "Alpha notes."})
    (tagged,) = tag_rows(model, [record], Columns(id="ref", text="body"))
    assert tagged["labels"] == [Y, M] and tagged["scores"] == {Y: 1.0, M: 0.55, E: 0.05, B: 0.0}


JSONL = (
    '{{"id": "a", "labels": ["Elections", "Media freedom and development"], "scores": {{"Elections": 0.9, '
    '"Media freedom and development": 0.6123, "Border management": 0.2, "Youth": 0.0}}, "error": "", "warning": "", '
    '"flag": "", "model": "{fp}"}}\n'
    '{{"id": "2", "labels": [], "scores": {{}}, "error": "t.jsonl:2: invalid JSON", "warning": "", "flag": "", '
    '"model": "{fp}"}}\n'
    '{{"id": "b", "labels": ["Border management", "Media freedom and development"], "scores": {{"Border management": '
    '0.7, "Media freedom and development": 0.7, "Youth": 0.3, "Elections": 0.1}}, "error": "", "warning": '
    '"t.jsonl:3: text cut", "flag": "", "model": "{fp}"}}\n'
    '{{"id": "g", "labels": [], "scores": {{"Elections": 0.8, "Youth": 0.45, "Border management": 0.0, '
    '"Media freedom and development": 0.0}}, "error": "", "warning": "", "flag": "language", "model": "{fp}"}}\n'
)

CSV = (
    'a,Elections;Media freedom and development,"{{""Elections"": 0.9, ""Media freedom and development"": 0.6123, '
    '""Border management"": 0.2, ""Youth"": 0.0}}",,,,{fp}\r\n'
    "2,,{{}},t.jsonl:2: invalid JSON,,,{fp}\r\n"
    'b,Border management;Media freedom and development,"{{""Border management"": 0.7, ""Media freedom and '
    'development"": 0.7, ""Youth"": 0.3, ""Elections"": 0.1}}",,t.jsonl:3: text cut,,{fp}\r\n'
    'g,,"{{""Elections"": 0.8, ""Youth"": 0.45, ""Border management"": 0.0, ""Media freedom and development"": 0.0}}"'
    ",,,language,{fp}\r\n"
)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_chunk_is_encoded_and_counted(model, fmt):
    result = tag_chunk(model, RECORDS, Columns(), fmt)
    assert result.payload == {"jsonl": JSONL, "csv": CSV}[fmt].format(fp=model.fingerprint)
    assert (result.rows, result.failed, result.last_id) == (4, 1, "g")
    last_failed = tag_chunk(model, RECORDS[:2], Columns(), fmt, limit=0)
    assert (last_failed.rows, last_failed.failed, last_failed.last_id) == (2, 1, "2")


def test_a_chunk_is_encoded_for_parquet_with_its_cutoffs(model):
    pytest.importorskip("pyarrow")
    result = tag_chunk(model, [*RECORDS, good("o", "Omega")], Columns(), "parquet", threshold=0.3, limit=1)
    table = result.payload.to_pylist()
    assert [r["labels"] for r in table] == [[E], [], [B], [], [E]]
    assert [(k, round(v, 4)) for k, v in table[0]["scores"]] == [(E, 0.9), (M, 0.6123), (B, 0.2), (Y, 0.0)]  # float32
    assert (result.rows, result.failed, result.last_id) == (5, 1, "o")


def test_the_jsonl_rows_written_from_a_chunks_arrays_are_the_row_encoders_text(model):
    odd = [
        Record('q " \\ \t', "t.jsonl", row={"id": "x", "text": "Alpha"}, warning="t.jsonl:1: cut \u2603"),
        Record("caf\udce9", "caf\udce9", page="Delta notes", warning=""),
        Record("", "t.jsonl", row={"id": "", "text": "Beta"}),
        failed("\udce9"),
    ]
    expected = tagging.encode_rows(tag_rows(model, odd), "jsonl")
    assert tag_chunk(model, odd, Columns(), "jsonl").payload == expected
    assert '"id": "q \\" \\\\ \\t"' in expected and '"warning": "t.jsonl:1: cut \u2603"' in expected
    assert '"id": "caf\\udce9"' in expected and '"id": ""' in expected and '"Youth": 1.0' in expected


@pytest.mark.parametrize("score", [float("nan"), float("inf"), -0.25, 1.25, -0.00001])
def test_a_score_that_is_no_rounded_probability_is_written_by_the_row_encoder(score, model):
    model = HandModel({**READINGS, "Alpha": ([score, 0.2, 0.61234, 0.0], None)})
    expected = tagging.encode_rows(tag_rows(model, RECORDS), "jsonl")
    assert tag_chunk(model, RECORDS, Columns(), "jsonl").payload == expected
    assert expected.count("\n") == 4


def test_a_chunk_of_failures_alone_reads_nothing(model):
    result = tag_chunk(model, [failed("1"), failed("2")], Columns(), "jsonl")
    assert result.payload == (
        f'{{"id": "1", "labels": [], "scores": {{}}, "error": "t.jsonl:1: invalid JSON", "warning": "", "flag": "", '
        f'"model": "{model.fingerprint}"}}\n'
        f'{{"id": "2", "labels": [], "scores": {{}}, "error": "t.jsonl:2: invalid JSON", "warning": "", "flag": "", '
        f'"model": "{model.fingerprint}"}}\n'
    )
    assert (result.rows, result.failed, result.last_id) == (2, 2, "2") and model.calls == []


def test_the_summary_line_says_what_the_run_did():
    assert TagSummary(tagged=7, failed=1, seconds=4.0).line() == "7 documents tagged, 1 failed, 4.0 s, 2 documents/s"
    resumed = TagSummary(tagged=3, failed=0, resumed=5, seconds=0.25).line()
    assert resumed == "3 documents tagged, 0 failed, 0.2 s, 12 documents/s (5 already in the output)"
    assert TagSummary(tagged=3, failed=2).per_second == 0.0
    assert TagSummary(tagged=3, failed=2, seconds=2).per_second == 2.5
    assert TagSummary().line() == "0 documents tagged, 0 failed, 0.0 s, 0 documents/s"


# Whole runs on a table of five rows: a, b, a broken line, g, d.

TABLE_LINES = [
    '{"id": "a", "text": "Alpha observers met."}',
    '{"id": "b", "text": "Beta observers met."}',
    "{not json",
    '{"id": "g", "text": "Gamma observers met."}',
    '{"id": "d", "text": "Delta observers met."}',
]


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(TABLE_LINES) + "\n", encoding="utf-8")
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_run_writes_one_row_per_document_chunk_by_chunk(model, table, tmp_path):
    output = tmp_path / "out" / "tags.jsonl"
    progress, starts = [], []

    def check(count):
        progress.append(count)
        assert len(read_jsonl(output)) == count  # whole rows after every chunk

    summary = tag(model, [table], output, chunk_size=2, jobs=1, on_progress=check, on_start=starts.append)
    rows = read_jsonl(output)
    assert [r["id"] for r in rows] == ["a", "b", f"{table}:3", "g", "d"]
    assert rows[0] == row("a", [E, M], {E: 0.9, M: 0.6123, B: 0.2, Y: 0.0}, model)
    assert rows[2]["error"].startswith(f"{table}:3: ") and rows[2]["labels"] == []
    assert rows[4] == row("d", [Y, M], {Y: 1.0, M: 0.55, E: 0.05, B: 0.0}, model)
    assert (summary.tagged, summary.failed, summary.resumed) == (4, 1, 0) and summary.seconds > 0
    assert progress == [2, 4, 5] and starts == [0]
    assert model.calls == [2, 1, 1]  # a chunk's failure is not read
    assert json.loads(run_record_path(output).read_text(encoding="utf-8")) == {
        "inputs": [str(table)],
        "glob": "*.txt",
        "columns": {"id": "id", "title": "title", "text": "text"},
        "format": "jsonl",
        "model": model.fingerprint,
        "fields": [E, B, M, Y],  # the names its rows give the fields, in the model's order
    }


def test_a_run_with_cutoffs_records_them_and_resumes_only_with_the_same(model, tmp_path):
    table = tmp_path / "items.jsonl"
    table.write_text('{"id": "a", "text": "Alpha met."}\n{"id": "o", "text": "Omega met."}\n', encoding="utf-8")
    output = tmp_path / "tags.csv"
    tag(model, [table], output, limit=1, threshold=0.3, jobs=1)
    # Alpha: Elections and Media from 0.3, the best one kept; Omega: Elections from 0.3.
    lines = output.read_bytes().decode("utf-8").split("\r\n")
    assert [line.split(",")[:2] for line in lines[1:3]] == [["a", "Elections"], ["o", "Elections"]]
    assert json.loads(run_record_path(output).read_text(encoding="utf-8"))["cutoffs"] == {"limit": 1, "threshold": 0.3}
    with pytest.raises(ResumeError, match="another --limit or --threshold"):
        tag(model, [table], output, limit=2, threshold=0.3, resume=True)
    assert tag(model, [table], output, limit=1, threshold=0.3, resume=True).resumed == 2


class Stop(Exception):
    pass


def stop_after(rows):
    def stop(count):
        if count >= rows:
            raise Stop

    return stop


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_resume_goes_on_after_the_last_row_kept(model, table, tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    whole = tmp_path / f"whole.{fmt}"
    tag(model, [table], whole, chunk_size=2, jobs=1)
    output = tmp_path / f"tags.{fmt}"
    with pytest.raises(Stop):
        tag(model, [table], output, chunk_size=2, jobs=1, on_progress=stop_after(2))
    model.calls.clear()
    progress, starts = [], []
    summary = tag(
        model, [table], output, chunk_size=2, jobs=1, resume=True, on_progress=progress.append, on_start=starts.append
    )
    assert (summary.tagged, summary.failed, summary.resumed) == (2, 1, 2)
    assert starts == [2] and progress == [2, 3] and model.calls == [1, 1]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(output).to_pylist() == pq.read_table(whole).to_pylist()
    else:
        assert output.read_bytes() == whole.read_bytes()


def test_resume_of_an_output_not_yet_begun_starts_it(model, table, tmp_path):
    output = tmp_path / "tags.jsonl"
    summary = tag(model, [table], output, jobs=1, resume=True)
    assert (summary.tagged, summary.failed, summary.resumed) == (4, 1, 0) and len(read_jsonl(output)) == 5


def test_resume_refuses_inputs_that_changed_under_the_same_name(model, table, tmp_path):
    output = tmp_path / "tags.jsonl"
    with pytest.raises(Stop):
        tag(model, [table], output, chunk_size=2, jobs=1, on_progress=stop_after(2))
    kept = output.read_bytes()
    table.write_text("\n".join([TABLE_LINES[0], TABLE_LINES[3], TABLE_LINES[1]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        tag(model, [table], output, chunk_size=2, jobs=1, resume=True)
    assert str(error.value) == (
        f"{output}: cannot resume: it holds 2 rows ending with 'b', but input 2 is 'g'; "
        "the inputs changed since it was written (use --force to start over)"
    )
    table.write_text(TABLE_LINES[0] + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        tag(model, [table], output, chunk_size=2, jobs=1, resume=True)
    assert str(error.value) == (
        f"{output}: cannot resume: it holds 2 rows ending with 'b', but fewer inputs; "
        "the inputs changed since it was written (use --force to start over)"
    )
    assert output.read_bytes() == kept


def _written(*ids, last_id="unset"):
    """What a recovered output tells `_after`: its rows, its last id and the hash of all its ids."""
    from types import SimpleNamespace

    from classifier.io.tagfiles import add_id, ids_digest

    digest = ids_digest()
    for doc_id in ids:
        add_id(digest, doc_id)
    last = (ids[-1] if ids else None) if last_id == "unset" else last_id
    return SimpleNamespace(done=len(ids), last_id=last, ids=digest)


def test_the_records_after_those_done_follow_the_rows_kept():
    records = [Record(i, "t") for i in ("a", "caf\udce9", "c")]
    assert [r.id for r in tagging._after(iter(records), _written(), "out")] == ["a", "caf\udce9", "c"]
    assert [r.id for r in tagging._after(iter(records), _written("a"), "out")] == ["caf\udce9", "c"]
    # The output holds an undecodable byte of a name as its escape.
    assert [r.id for r in tagging._after(iter(records), _written("a", "caf\\udce9"), "out")] == ["c"]
    assert list(tagging._after(iter(records), _written("a", "caf\udce9", "c"), "out")) == []
    with pytest.raises(InputError, match="it holds 1 rows ending with 'None', but input 1 is 'a'"):
        list(tagging._after(iter(records), _written("a", last_id=None), "out"))
    with pytest.raises(InputError, match="it holds 4 rows ending with 'c', but fewer inputs"):
        list(tagging._after(iter(records), _written("a", "b", "x", "c"), "out"))
    with pytest.raises(InputError, match="its 3 rows are not the documents of the first 3 inputs in order"):
        list(tagging._after(iter(records), _written("b", "caf\udce9", "c"), "out"))
    with pytest.raises(InputError, match="its 2 rows are not the documents of the first 2 inputs in order"):
        list(tagging._after(iter(records), _written("caf\udce9", "caf\udce9"), "out"))


def test_an_existing_output_needs_force_or_resume(model, table, tmp_path):
    output = tmp_path / "tags.jsonl"
    output.write_text("precious\n", encoding="utf-8")
    with pytest.raises(OutputExistsError) as error:
        tag(model, [table], output, jobs=1)
    assert (
        str(error.value) == f"{output}: already exists; pass force=True to overwrite it or resume=True to continue it"
    )
    assert error.value.command_line == (
        f"{output}: already exists; pass --force to overwrite it or --resume to continue it"
    )  # what `classifier tag` says
    assert output.read_text(encoding="utf-8") == "precious\n" and model.calls == []
    assert tag(model, [table], output, jobs=1, force=True).tagged == 4 and len(read_jsonl(output)) == 5


def test_an_output_that_is_also_an_input_is_refused(model, table, tmp_path):
    with pytest.raises(InputError) as error:
        tag(model, [table], table, force=True, jobs=1)
    assert str(error.value) == f"{table}: the output is also an input ({table}); write it somewhere else"
    assert table.read_text(encoding="utf-8") == "\n".join(TABLE_LINES) + "\n" and model.calls == []


def test_an_input_that_cannot_be_read_at_all_is_reported_and_given_its_row(model, table, tmp_path):
    missing = tmp_path / "missing.jsonl"
    heard = []
    summary = tag(model, [missing, table], tmp_path / "tags.jsonl", jobs=1, on_input_error=heard.append)
    assert heard == [f"{missing}: no such file or directory"]  # the broken line of the table is not a whole input
    rows = read_jsonl(tmp_path / "tags.jsonl")
    assert rows[0] == row(str(missing), [], {}, model, error=f"{missing}: no such file or directory")
    assert (summary.tagged, summary.failed) == (4, 2)


@pytest.mark.parametrize("missing_first", [True, False])
def test_a_resumed_run_reports_only_the_inputs_it_reads(model, table, tmp_path, missing_first):
    """An input that could not be read is said by the run that writes its row: resumed after that row, the run does
    not say it again (it printed an error for a document it did not read, beside "0 failed"); before it, it does."""
    missing, output = tmp_path / "missing.jsonl", tmp_path / "tags.jsonl"
    inputs = [missing, table] if missing_first else [table, missing]
    tag(model, inputs, output, jobs=1, chunk_size=2)
    rows = output.read_text(encoding="utf-8").splitlines(keepends=True)
    output.write_text("".join(rows[:2]), encoding="utf-8")  # interrupted after its first chunk
    heard = []
    summary = tag(model, inputs, output, jobs=1, chunk_size=2, resume=True, on_input_error=heard.append)
    assert heard == ([] if missing_first else [f"{missing}: no such file or directory"])
    assert summary.resumed == 2 and [r["id"] for r in read_jsonl(output)] == [json.loads(r)["id"] for r in rows]


def test_rows_stream_to_standard_output(model, table, tmp_path, capsysbinary):
    progress = []
    summary = tag(model, [table], "-", format="csv", chunk_size=3, jobs=1, on_progress=progress.append)
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith("id,labels,scores,error,warning,flag,model\r\na,Elections;Media freedom and development,")
    assert out.count("\r\n") == 6 and f"\r\n{table}:3,,{{}}," in out
    assert (summary.tagged, summary.failed, summary.resumed) == (4, 1, 0) and summary.seconds > 0
    assert progress == [3, 5] and model.calls == [2, 2]
    tag(model, [table], "-", jobs=1)
    lines = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b", f"{table}:3", "g", "d"]
    assert json.loads(lines[1]) == row("b", [B, M], {B: 0.7, M: 0.7, Y: 0.3, E: 0.1}, model)
    assert not list(tmp_path.glob(".*"))  # no run record, no lock


def test_standard_output_cannot_be_resumed_nor_take_parquet(model, table, capsysbinary):
    with pytest.raises(UsageError) as error:
        tag(model, [table], "-", resume=True)
    assert str(error.value) == ("--resume continues an output file; --output - streams to stdout and cannot be resumed")
    with pytest.raises(UsageError) as error:
        tag(model, [table], "-", format="parquet")
    assert str(error.value) == (
        "--output -: Parquet cannot be streamed; write it to a file, or choose --format jsonl or csv"
    )
    assert capsysbinary.readouterr().out == b"" and model.calls == []


def full_disk_after(appends):
    """An append that fails, as on a full disk, once `appends` chunks have been written."""
    from classifier.io import tagfiles

    def append(self, payload, rows, last_id):
        if len(written) == appends:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(rows)
        original[type(self)](self, payload, rows, last_id)

    written, original = [], {}
    for cls in (tagfiles.JsonlTagFile, tagfiles.ParquetTagFile):
        original[cls] = cls.append
    return append


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_full_disk_says_how_many_whole_rows_are_kept(model, table, tmp_path, monkeypatch, fmt):
    from classifier.io import tagfiles
    from classifier.io.outputs import OutputError

    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    cls = {"jsonl": tagfiles.JsonlTagFile, "parquet": tagfiles.ParquetTagFile}[fmt]
    output = tmp_path / f"tags.{fmt}"
    monkeypatch.setattr(cls, "append", full_disk_after(1))
    with pytest.raises(OutputError) as error:
        tag(model, [table], output, chunk_size=2, jobs=1)
    assert str(error.value) == (
        f"{output}: cannot write: No space left on device; 2 whole rows are kept; make room or fix it, then run the "
        "same command with --resume to finish"
    )
    if fmt == "parquet":
        assert tagging.parts_folder(output).is_dir()  # its first part is kept for --resume
    else:
        assert [r["id"] for r in read_jsonl(output)] == ["a", "b"]


def test_a_parquet_run_that_kept_no_row_leaves_no_parts_behind(model, table, tmp_path, monkeypatch):
    from classifier.io import tagfiles
    from classifier.io.outputs import OutputError

    pytest.importorskip("pyarrow")
    output = tmp_path / "tags.parquet"
    monkeypatch.setattr(tagfiles.ParquetTagFile, "append", full_disk_after(0))
    with pytest.raises(OutputError, match="; 0 whole rows are kept; make room"):
        tag(model, [table], output, chunk_size=2, jobs=1)
    assert not tagging.parts_folder(output).exists() and not output.exists()


def test_workers_start_only_for_more_than_two_chunks():
    records, jobs = tagging._worth_workers(iter(range(4)), 3, None, 2)  # two chunks exactly: no workers
    assert jobs == 1 and list(records) == [0, 1, 2, 3]
    records, jobs = tagging._worth_workers(iter(range(5)), 3, None, 2)
    assert jobs == 3 and list(records) == [0, 1, 2, 3, 4]
    records, jobs = tagging._worth_workers(iter(range(5)), 2, None, 2)
    assert jobs == 2 and list(records) == [0, 1, 2, 3, 4]
    records, jobs = tagging._worth_workers(iter(range(3)), 3, None, 2)
    assert jobs == 1 and list(records) == [0, 1, 2]
    records, jobs = tagging._worth_workers(iter(range(3)), 2, None, 2)
    assert jobs == 1 and list(records) == [0, 1, 2]
    records, jobs = tagging._worth_workers(iter(range(3)), 3, "tcp://127.0.0.1:8786", 2)  # a cluster is there
    assert jobs == 3 and list(records) == [0, 1, 2]
    records, jobs = tagging._worth_workers(iter(range(3)), 1, None, 2)
    assert jobs == 1 and list(records) == [0, 1, 2]


def test_chunks_hold_size_items_and_the_rest():
    assert list(tagging._chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(tagging._chunks(range(6), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(tagging._chunks([], 3)) == []


def test_the_tiny_model_tags_its_own_fields(tiny_model, tmp_path):
    """The real reading (windows, scope, thresholds) of a model fitted on the tiny corpus, in both JSONL writers."""
    model = Model(tiny_model, {"labels": list(TINY_LABELS)})
    table = tmp_path / "items.jsonl"
    texts = [
        "Election observers\nBallot voters polling candidates observers campaign turnout election in the capital.",
        "Border guards\nCustoms checkpoint crossing guards smuggling patrol migrants border in the capital.",
    ]
    table.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)), "utf-8")
    tag(model, [table], tmp_path / "tags.jsonl", jobs=1)
    tag(model, [table], tmp_path / "tags.csv", jobs=1)
    rows = read_jsonl(tmp_path / "tags.jsonl")
    assert [r["labels"][:1] for r in rows] == [[E], [B]]
    assert [next(iter(r["scores"])) for r in rows] == [E, B] and all(len(r["scores"]) == 4 for r in rows)
    csv_text = (tmp_path / "tags.csv").read_text(encoding="utf-8")
    assert csv_text.splitlines()[1].startswith("0,Elections") and csv_text.splitlines()[2].startswith("1,Border")


def test_the_jsonl_writer_makes_its_score_texts_on_first_use_and_writes_labels_as_they_are(monkeypatch):
    """A process's first chunk makes the table of rounded scores' JSON (an empty table here); labels outside ASCII
    (a taxonomy of one's own) are written as the row encoder writes them, not as escapes."""
    monkeypatch.setattr(tagging, "_SCORE_TEXTS", [])
    model = HandModel()
    model.metadata = {"labels": ["Élections", "Border management", "Médias", "Youth"]}
    payload = tag_chunk(model, [good("d", "Delta")], Columns(), "jsonl").payload
    assert payload == (
        '{"id": "d", "labels": ["Youth", "Médias"], "scores": {"Youth": 1.0, "Médias": 0.55, "Élections": 0.05, '
        f'"Border management": 0.0}}, "error": "", "warning": "", "flag": "", "model": "{model.fingerprint}"}}\n'
    )
    assert len(tagging._SCORE_TEXTS) == 10_001 and tagging._SCORE_TEXTS[:3] == ["0.0", "0.0001", "0.0002"]
    assert tagging._SCORE_TEXTS[-1] == "1.0" and tagging._SCORE_TEXTS[5000] == "0.5"


def test_fields_of_equal_score_rank_in_taxonomy_order_among_all_23(taxonomy):
    """Beyond 16 fields numpy's default sort is not stable: the taxonomy's order must still break ties."""
    labels = taxonomy.labels
    model = HandModel({"Zeta": ([0.1, 0.0] * 11 + [0.3], None)}, labels)
    (tagged,) = tag_rows(model, [good("z", "Zeta")])
    # Field 23 (0.3), then fields 1, 3, ..., 21 (0.1), then fields 2, 4, ..., 22 (0.0).
    expected = [labels[22]] + labels[0:22:2] + labels[1:22:2]
    assert list(tagged["scores"]) == expected and tagged["labels"] == []
    line = json.loads(tag_chunk(model, [good("z", "Zeta")], Columns(), "jsonl").payload)
    assert list(line["scores"]) == expected


def test_cutoffs_out_of_range_are_refused_before_the_output_exists(model, table, tmp_path):
    output = tmp_path / "tags.jsonl"
    with pytest.raises(UsageError, match="limit -1: expected a whole number of fields, 0 or more"):
        tag(model, [table], output, limit=-1, jobs=1)
    with pytest.raises(UsageError, match="threshold 2: expected a score from 0 to 1"):
        tag(model, [table], output, threshold=2, jobs=1)
    assert list(tmp_path.iterdir()) == [table] and model.calls == []


def test_parquet_without_pyarrow_is_refused_before_the_output_exists(model, table, tmp_path, monkeypatch):
    import sys

    from classifier.io.formats import MissingExtraError

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the parquet extra were not installed
    output = tmp_path / "tags.parquet"
    with pytest.raises(MissingExtraError) as error:
        tag(model, [table], output, jobs=1)
    assert str(error.value) == f"{output}: Parquet needs pyarrow: pip install 'osce-topic-classifier[parquet]'"
    assert list(tmp_path.iterdir()) == [table] and model.calls == []
    assert tag(model, [table], tmp_path / "tags.jsonl", jobs=1).tagged == 4  # the other formats need no pyarrow


@pytest.fixture
def folder(tmp_path):
    """A folder of two pages: a.md and b.txt."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text("Alpha notes\n\nObservers met.\n", encoding="utf-8")
    (folder / "b.txt").write_text("Beta notes\n\nObservers met.\n", encoding="utf-8")
    return folder


def test_the_glob_chooses_the_pages_of_a_folder_read_and_refused_as_output(model, folder, tmp_path, capsys):
    output = tmp_path / "tags.jsonl"
    tag(model, [folder], output, glob="*.md", jobs=1)
    assert [(r["id"], r["labels"]) for r in read_jsonl(output)] == [(str(folder / "a.md"), [E, M])]
    assert json.loads(run_record_path(output).read_text(encoding="utf-8"))["glob"] == "*.md"
    tag(model, [folder], "-", glob="*.md", jobs=1)
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == [str(folder / "a.md")]
    with pytest.raises(InputError) as error:
        tag(model, [folder], folder / "tags.md", format="jsonl", glob="*.md", jobs=1)
    assert str(error.value) == (
        f"{folder / 'tags.md'}: the output is also an input ({folder}); write it somewhere else"
    )
    assert not (folder / "tags.md").exists()
    tag(model, [folder], folder / "tags.jsonl", glob="*.md", jobs=1)  # not a page this glob reads
    assert len(read_jsonl(folder / "tags.jsonl")) == 1
    # A column named by an option is looked for in tables only: a folder's files are pages.
    tag(model, [folder], tmp_path / "named.jsonl", glob="*.md", columns=Columns(text="body"), jobs=1)
    assert [r["id"] for r in read_jsonl(tmp_path / "named.jsonl")] == [str(folder / "a.md")]


def test_an_input_that_cannot_be_read_is_reported_when_streaming_too(model, table, tmp_path, capsys):
    missing = tmp_path / "missing.jsonl"
    heard = []
    summary = tag(model, [missing, table], "-", jobs=1, on_input_error=heard.append)
    assert heard == [f"{missing}: no such file or directory"] and (summary.tagged, summary.failed) == (4, 2)
    assert json.loads(capsys.readouterr().out.splitlines()[0])["error"] == f"{missing}: no such file or directory"


def runner_that_records(calls):
    """A runner (`map_ordered`) that keeps the jobs and cluster each run asks for and tags in this process."""

    def map_ordered(func, shared, chunks, *, jobs=1, dask=None):
        calls.append((jobs, dask))
        return (func(shared, chunk) for chunk in chunks)

    return map_ordered


@pytest.mark.parametrize("output", ["tags.jsonl", "-"])
def test_the_run_asks_the_runner_for_workers_only_for_more_than_two_chunks(
    model, table, tmp_path, monkeypatch, capsys, output
):
    calls = []
    monkeypatch.setattr(tagging, "map_ordered", runner_that_records(calls))
    target = output if output == "-" else tmp_path / output
    tag(model, [table], target, jobs=3, chunk_size=2, force=True)  # 5 documents: more than two chunks of 2
    tag(model, [table], target, jobs=3, chunk_size=3, force=True)  # two chunks of 3 at most
    tag(model, [table], target, jobs=3, chunk_size=3, force=True, dask="tcp://127.0.0.1:8786")
    assert calls == [(3, None), (1, None), (3, "tcp://127.0.0.1:8786")]


def test_a_write_refused_at_the_start_says_nothing_was_tagged(model, table, tmp_path, monkeypatch):
    from classifier.io.outputs import OutputError

    def refuse(path, record):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tagging, "write_run_record", refuse)
    output = tmp_path / "tags.jsonl"
    with pytest.raises(OutputError) as error:
        tag(model, [table], output, jobs=1)
    assert str(error.value) == f"{output}: cannot write: Read-only file system; nothing was tagged"
    assert not output.exists() and model.calls == []


# A run that writes no row at all cannot happen: every input gives a row, its error if nothing else, and tag() refuses
# no inputs.
@pytest.mark.parametrize(("fmt", "lines", "kept"), [("jsonl", TABLE_LINES, 5), ("parquet", TABLE_LINES, 5)])
def test_a_failure_to_finish_the_output_says_how_many_rows_are_kept(model, tmp_path, monkeypatch, fmt, lines, kept):
    from classifier.io import tagfiles
    from classifier.io.outputs import OutputError

    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    table = tmp_path / "items.jsonl"
    table.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def full_disk(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr({"jsonl": tagfiles.JsonlTagFile, "parquet": tagfiles.ParquetTagFile}[fmt], "close", full_disk)
    output = tmp_path / f"tags.{fmt}"
    with pytest.raises(OutputError) as error:
        tag(model, [table], output, jobs=1)  # an empty input: a run that writes no row
    assert str(error.value) == (
        f"{output}: cannot write: No space left on device; {kept} whole rows are kept; make room or fix it, then run "
        "the same command with --resume to finish"
    )
    assert tagging.parts_folder(output).exists() == (fmt == "parquet" and kept > 0)  # no empty parts left behind


class Clock:
    """`time.perf_counter` read at the start and the end of a run: 100 s, then 102.5 s."""

    def __init__(self):
        self.readings = iter([100.0, 102.5])

    def perf_counter(self):
        return next(self.readings)


@pytest.mark.parametrize("output", ["tags.jsonl", "-"])
def test_the_summary_holds_the_seconds_the_run_took(model, table, tmp_path, monkeypatch, capsys, output):
    monkeypatch.setattr(tagging, "time", Clock())
    summary = tag(model, [table], output if output == "-" else tmp_path / output, jobs=1)
    assert summary.seconds == 2.5 and summary.line() == "4 documents tagged, 1 failed, 2.5 s, 2 documents/s"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_run_hashes_the_models_metadata_once_not_per_chunk_nor_per_failed_row(monkeypatch, tmp_path, fmt):
    """`Model.fingerprint` hashes the model's metadata (a millisecond or more for a shipped bundle's): a run finds it
    once, and every row of every chunk, failed ones included, names the model by it."""
    import csv

    import classifier.bundle.model as bundle_model

    calls = []
    fingerprint = bundle_model.model_fingerprint
    monkeypatch.setattr(bundle_model, "model_fingerprint", lambda metadata: calls.append(1) or fingerprint(metadata))
    model = HandModel()
    table = tmp_path / "rows.jsonl"
    rows = [
        json.dumps({"id": str(i), "text": f"{word} observers met."}) for i, word in enumerate(["Alpha", "Beta"] * 3)
    ]
    table.write_text("\n".join([*rows[:3], "{broken", *rows[3:], "{broken too"]) + "\n", encoding="utf-8")
    output = tmp_path / f"tags.{fmt}"
    summary = tag(model, [table], output, chunk_size=3, jobs=1)
    assert (summary.tagged, summary.failed) == (6, 2) and len(calls) == 1
    text = output.read_text(encoding="utf-8")
    written = (
        [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else list(csv.DictReader(text.splitlines()))
    )
    assert len(written) == 8 and {row["model"] for row in written} == {fingerprint(model.metadata)}


def unreachable_scheduler(func, shared, chunks, *, jobs=1, dask=None):
    """A runner (`map_ordered`) whose scheduler cannot be reached: it fails before the first chunk is tagged."""
    from classifier.workflows.runners import RunnerError

    raise RunnerError("cannot reach the Dask scheduler at tcp://10.0.0.9:8786: timed out")
    yield  # a generator, as the runner's results are


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_scheduler_that_cannot_be_reached_leaves_no_output_begun(model, table, tmp_path, monkeypatch, fmt):
    """Else the same command, run again, would be refused: the output exists already."""
    from classifier.workflows.runners import RunnerError

    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(tagging, "map_ordered", unreachable_scheduler)
    output = tmp_path / "out" / f"tags.{fmt}"
    with pytest.raises(RunnerError, match="cannot reach the Dask scheduler at tcp://10.0.0.9:8786"):
        tag(model, [table], output, jobs=1)
    assert list(tmp_path.iterdir()) == [table]  # no output, no run record, no parts, no lock, not even their folder
    monkeypatch.undo()
    assert tag(model, [table], output, jobs=1).tagged == 4


def test_a_scheduler_that_cannot_be_reached_leaves_a_resumed_output_as_it_was(model, table, tmp_path, monkeypatch):
    from classifier.workflows.runners import RunnerError

    output = tmp_path / "tags.jsonl"
    with pytest.raises(Stop):
        tag(model, [table], output, chunk_size=2, jobs=1, on_progress=stop_after(2))
    kept, record = output.read_bytes(), run_record_path(output).read_bytes()
    monkeypatch.setattr(tagging, "map_ordered", unreachable_scheduler)
    with pytest.raises(RunnerError):
        tag(model, [table], output, chunk_size=2, jobs=1, resume=True)
    assert output.read_bytes() == kept and run_record_path(output).read_bytes() == record
    # A run stopped before its first chunk left an empty output: resumed, it is kept too.
    monkeypatch.undo()
    empty = tmp_path / "empty.jsonl"

    def stop(rows):
        raise Stop

    with pytest.raises(Stop):
        tag(model, [table], empty, jobs=1, on_start=stop)
    monkeypatch.setattr(tagging, "map_ordered", unreachable_scheduler)
    with pytest.raises(RunnerError):
        tag(model, [table], empty, jobs=1, resume=True)
    assert empty.read_bytes() == b"" and run_record_path(empty).exists()


def test_the_summary_line_says_how_many_rows_already_there_had_failed():
    resumed = TagSummary(tagged=3, failed=1, resumed=5, resumed_failed=2, seconds=2.0)
    assert (
        resumed.line()
        == "3 documents tagged, 1 failed, 2.0 s, 2 documents/s (5 already in the output, 2 of them failed)"
    )


def test_an_interrupted_parquet_runs_chunks_need_force_or_resume(model, table, tmp_path):
    """No file is at a Parquet output's name until its run ends: its chunks wait in a hidden folder beside it."""
    pytest.importorskip("pyarrow")
    output = tmp_path / "tags.parquet"
    with pytest.raises(Stop):
        tag(model, [table], output, chunk_size=2, jobs=1, on_progress=stop_after(2))
    parts = sorted(p.name for p in (tmp_path / ".tags.parquet.parts").iterdir())
    with pytest.raises(OutputExistsError) as error:
        tag(model, [table], output, chunk_size=2, jobs=1)
    assert str(error.value) == (
        f"{output}: an interrupted run's chunks are in .tags.parquet.parts; pass resume=True to continue it or "
        "force=True to start over"
    )
    assert error.value.command_line == (
        f"{output}: an interrupted run's chunks are in .tags.parquet.parts; pass --resume to continue it or --force "
        "to start over"
    )
    assert sorted(p.name for p in (tmp_path / ".tags.parquet.parts").iterdir()) == parts == ["part-000000.parquet"]
    assert tag(model, [table], output, chunk_size=2, jobs=1, resume=True).resumed == 2


def test_no_inputs_are_refused_before_the_output_exists(model, tmp_path):
    with pytest.raises(UsageError) as error:
        tag(model, [], tmp_path / "tags.jsonl", jobs=1)
    assert str(error.value) == "no inputs: give the files, folders or globs to tag"
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_refused_as_the_output_and_a_folder_named_dash_is_no_output(model, table, tmp_path, monkeypatch):
    from classifier.io.outputs import OutputError

    folder = tmp_path / "tags.jsonl"
    folder.mkdir()
    with pytest.raises(OutputError) as error:
        tag(model, [table], folder, jobs=1)
    assert str(error.value) == f"{folder}: is a directory; name a file to write"
    assert list(folder.iterdir()) == [] and model.calls == []
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").mkdir()  # "-" is standard output, whatever the working folder holds
    assert tag(model, [table], "-", jobs=1).tagged == 4


def test_the_check_of_batching_takes_whole_numbers_in_range():
    from classifier.workflows.tagging import check_batching

    assert check_batching(None, 1) == (None, 1)
    assert check_batching(np.int64(3), np.int64(7)) == (3, 7) and type(check_batching(np.int64(3), 7)[0]) is int
    assert check_batching(1024, 512) == (1024, 512)
    assert check_batching(None, None)[1] >= 10**18  # the whole input in one chunk
    for chunk_size in (0, -1, 2.5, "3"):
        with pytest.raises(UsageError) as error:
            check_batching(None, chunk_size)
        assert str(error.value) == f"chunk_size {chunk_size!r}: expected a whole number of documents, 1 or more"
    for jobs in (1025, "2", 1.0, True):
        with pytest.raises(UsageError) as error:
            check_batching(jobs, 512)
        assert str(error.value) == f"jobs {jobs!r}: expected a whole number of worker processes, at most 1,024"


def test_only_a_whole_inputs_error_or_warning_is_heard_beside_its_row():
    errors, warnings = [], []
    records = [
        Record("a", "t.jsonl", row={"id": "a", "text": "Alpha"}, warning="t.jsonl:1: text cut"),
        Record("t.jsonl:2", "t.jsonl", error="t.jsonl:2: invalid JSON"),
        Record("p.txt", "p.txt", page="Alpha notes"),
        Record("m", "m", error="m: no such file or directory", whole_input=True),
        Record("<stdin>", "<stdin>", page="id,text", warning="<stdin>: looks like a CSV table", whole_input=True),
    ]
    assert list(tagging._reported(iter(records), errors.append, warnings.append)) == records
    assert errors == ["m: no such file or directory"] and warnings == ["<stdin>: looks like a CSV table"]
    assert list(tagging._reported(iter(records), None, None)) == records


class AnyText(dict):
    def __missing__(self, word):
        return ([0.1, 0.0, 0.0, 0.0], None)


@pytest.mark.parametrize("output", ["tags.jsonl", "-"])
def test_a_table_piped_to_standard_input_is_heard_as_a_warning(tmp_path, monkeypatch, capsys, output):
    import io
    import sys
    from types import SimpleNamespace

    model = HandModel(AnyText(READINGS))
    piped = b'{"id": "a", "text": "Alpha met."}\n{"id": "b", "text": "Beta met."}\n'
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(piped)))
    heard = []
    target = output if output == "-" else tmp_path / output
    assert tag(model, ["-"], target, jobs=1, on_input_warning=heard.append).tagged == 1
    assert len(heard) == 1 and heard[0].startswith("<stdin>: standard input looks like a JSONL table; it is read as")


def test_a_resumed_run_counts_the_failed_rows_already_there(model, table, tmp_path):
    output = tmp_path / "tags.jsonl"
    with pytest.raises(Stop):
        tag(model, [table], output, chunk_size=3, jobs=1, on_progress=stop_after(3))  # a, b and the broken line
    summary = tag(model, [table], output, chunk_size=3, jobs=1, resume=True)
    assert (summary.tagged, summary.failed, summary.resumed, summary.resumed_failed) == (2, 0, 3, 1)
    assert summary.line().endswith(" (3 already in the output, 1 of them failed)")


def test_resume_of_rows_whose_ids_differ_before_the_last_says_so_in_full():
    records = [Record(i, "t") for i in ("a", "b", "c")]
    with pytest.raises(InputError) as error:
        list(tagging._after(iter(records), _written("x", "b"), "out.jsonl"))
    assert str(error.value) == (
        "out.jsonl: cannot resume: its 2 rows are not the documents of the first 2 inputs in order (a file added, "
        "removed or renamed among them, or another folder to run from); the inputs changed since it was written (use "
        "--force to start over)"
    )
