"""Batch tagging: streamed output, parallel and Dask runs equal to the plain one, resume after any interruption."""

import contextlib
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import load_model
from classifier.corpus.documents import Columns
from classifier.errors import UsageError
from classifier.io.tagfiles import ResumeError, run_record_path
from classifier.io.textio import InputError
from classifier.workflows.tagging import tag

from conftest import TRAINING

FORMATS = ["jsonl", "csv", "parquet"]


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A table of real (paraphrased) OSCE items, a directory of pages with one empty file, and a broken row."""
    root = tmp_path_factory.mktemp("corpus")
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    rows = [json.dumps({"id": r["id"], "title": r["title"], "text": r["text"]}) for r in records[:150]]
    rows.insert(40, "{not json")
    (root / "items.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    pages = root / "pages"
    pages.mkdir()
    for r in records[150:160]:
        (pages / f"{r['id']}.txt").write_text(f"{r['title']}\n\n{r['text']}\n", encoding="utf-8")
    (pages / "empty.txt").write_text("", encoding="utf-8")
    return [str(root / "items.jsonl"), str(pages)]


def read_rows(path, fmt):
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as handle:
            return [
                {**r, "labels": r["labels"].split(";") if r["labels"] else [], "scores": json.loads(r["scores"])}
                for r in csv.DictReader(handle)
            ]
    import pyarrow.parquet as pq

    return [{**r, "scores": {k: round(v, 4) for k, v in r["scores"]}} for r in pq.read_table(path).to_pylist()]


@pytest.fixture(scope="module")
def reference(model, corpus, tmp_path_factory):
    """The plain run: one process, default chunks."""
    out = {}
    for fmt in FORMATS:
        path = tmp_path_factory.mktemp("reference") / f"tags.{fmt}"
        summary = tag(model, corpus, path)
        assert (summary.tagged, summary.failed) == (160, 2)
        out[fmt] = path
    return out


def test_rows_follow_input_order_and_record_each_failure(reference):
    rows = read_rows(reference["jsonl"], "jsonl")
    assert len(rows) == 162
    assert rows[40]["id"].endswith("items.jsonl:41") and "invalid JSON" in rows[40]["error"]
    empty = [row for row in rows if row["id"].endswith("empty.txt")]
    assert len(empty) == 1 and "empty file" in empty[0]["error"] and empty[0]["labels"] == []
    good = [row for row in rows if not row["error"]]
    assert all(row["labels"] and len(row["scores"]) == 23 for row in good)
    assert all(list(row["scores"].values()) == sorted(row["scores"].values(), reverse=True) for row in good)


@pytest.mark.parametrize("fmt", FORMATS)
def test_formats_hold_the_same_rows(reference, fmt):
    assert read_rows(reference[fmt], fmt) == read_rows(reference["jsonl"], "jsonl")


# CSV goes through the same appends as JSONL (and the same encoder as the one-process run, checked by
# test_formats_hold_the_same_rows): two processes are tried on the two ways of writing, text and parts.
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_two_processes_write_the_same_file(model, corpus, reference, tmp_path, fmt):
    output = tmp_path / f"tags.{fmt}"
    tag(model, corpus, output, jobs=2, chunk_size=16)
    assert read_rows(output, fmt) == read_rows(reference[fmt], fmt)
    if fmt != "parquet":  # parquet row groups follow the chunks; the rows are what must match
        assert output.read_bytes() == reference[fmt].read_bytes()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_output_holds_whole_rows_after_every_chunk(model, corpus, tmp_path, fmt):
    output = tmp_path / f"tags.{fmt}"
    seen = []

    def check(count):
        seen.append(count)
        assert len(read_rows(output, fmt)) == count

    tag(model, corpus, output, chunk_size=25, on_progress=check)
    assert seen == [25, 50, 75, 100, 125, 150, 162]


class Stop(Exception):
    pass


def interrupt_after(chunks):
    def stop(count):
        if count >= chunks * 20:
            raise Stop

    return stop


@pytest.mark.parametrize("fmt", FORMATS)
def test_resume_completes_an_interrupted_run_exactly_once(model, corpus, reference, tmp_path, fmt):
    output = tmp_path / f"tags.{fmt}"
    with pytest.raises(Stop):
        tag(model, corpus, output, chunk_size=20, on_progress=interrupt_after(3))
    if fmt == "parquet":
        assert not output.exists()  # unfinished parquet lives in part files until the end
    else:
        assert len(read_rows(output, fmt)) == 60
    summary = tag(model, corpus, output, chunk_size=20, resume=True)
    assert summary.resumed == 60 and summary.tagged + summary.failed == 102
    assert read_rows(output, fmt) == read_rows(reference[fmt], fmt)
    assert not output.with_name(f".{output.name}.parts").exists()


def test_a_parquet_run_interrupted_is_kept_from_a_rerun_without_resume_or_force(model, corpus, reference, tmp_path):
    """An interrupted Parquet run keeps its chunks in a hidden folder until it ends; no file is at the output's name,
    so a rerun without --resume or --force started over, deleting them (hours of tagging), where a JSONL or CSV
    output is refused as existing. The rerun is refused, the chunks kept, and --resume goes on from them."""
    from classifier.errors import OutputExistsError

    output = tmp_path / "tags.parquet"
    with pytest.raises(Stop):
        tag(model, corpus, output, chunk_size=20, on_progress=interrupt_after(3))
    parts = output.with_name(".tags.parquet.parts")
    kept = {path.name: path.read_bytes() for path in parts.iterdir()}
    assert kept and not output.exists()
    with pytest.raises(OutputExistsError) as refused:
        tag(model, corpus, output, chunk_size=20)
    assert str(refused.value) == (
        f"{output}: an interrupted run's chunks are in .tags.parquet.parts; pass resume=True to continue it or "
        "force=True to start over"
    )
    assert {path.name: path.read_bytes() for path in parts.iterdir()} == kept
    assert tag(model, corpus, output, chunk_size=20, resume=True).resumed == 60
    assert read_rows(output, "parquet") == read_rows(reference["parquet"], "parquet")


def small_table(path, records):
    path.write_text("".join(json.dumps({k: r[k] for k in ("id", "title", "text")}) + "\n" for r in records))
    return path


def test_a_finished_parquet_output_whose_resume_is_refused_stays_at_its_name(model, tmp_path):
    """A finished Parquet output, resumed after a document was removed from the inputs: refused, as the README
    says, without a change. It was moved into the hidden parts folder before the inputs were checked, so its name
    held no file and a rerun with --force deleted it."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:6]]
    docs = small_table(tmp_path / "docs.jsonl", records)
    output = tmp_path / "tags.parquet"
    tag(model, [docs], output, jobs=1)
    finished = output.read_bytes()
    small_table(docs, records[1:])
    with pytest.raises(InputError, match="cannot resume: it holds 6 rows ending with"):
        tag(model, [docs], output, jobs=1, resume=True)
    assert output.read_bytes() == finished and not output.with_name(".tags.parquet.parts").exists()


def test_a_run_that_cannot_start_over_leaves_the_record_of_the_rows_there(model, tmp_path, monkeypatch):
    """An output tagged at --threshold 0.3, then started over at 0.5 with force, the start failing (the disk full):
    the run record said 0.5 over the rows of 0.3, and a resume at 0.5 took them for its own, mixing the two."""
    import errno

    from classifier.io.outputs import OutputError
    from classifier.workflows import tagging

    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:6]]
    docs = small_table(tmp_path / "docs.jsonl", records)
    output = tmp_path / "tags.jsonl"
    tag(model, [docs], output, jobs=1, threshold=0.3)
    kept = output.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(tagging, "open_tag_file", full_disk)
        with pytest.raises(OutputError, match="No space left on device; nothing was tagged"):
            tag(model, [docs], output, jobs=1, threshold=0.5, force=True)
    with pytest.raises(ResumeError, match="written by a run with another --limit or --threshold"):
        tag(model, [docs], output, jobs=1, threshold=0.5, resume=True)
    assert output.read_bytes() == kept


def test_an_output_another_run_wrote_before_the_lock_was_taken_is_not_overwritten(model, tmp_path, monkeypatch):
    """Two runs of one command without force: the second found no output, then the first wrote it and ended before
    the second took the lock. The second emptied the first's output and tagged it again; it is refused as existing,
    the output as the first run left it."""
    from classifier.errors import OutputExistsError
    from classifier.workflows import tagging

    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:6]]
    docs = small_table(tmp_path / "docs.jsonl", records)
    output = tmp_path / "tags.jsonl"
    first = tmp_path / "first.jsonl"
    tag(model, [docs], first, jobs=1)
    locked = tagging.output_lock

    @contextlib.contextmanager
    def first_run_ends_meanwhile(target):
        output.write_bytes(first.read_bytes())
        with locked(target) as held:
            yield held

    monkeypatch.setattr(tagging, "output_lock", first_run_ends_meanwhile)
    with pytest.raises(OutputExistsError, match="tags.jsonl: already exists"):
        tag(model, [docs], output, jobs=1)
    assert output.read_bytes() == first.read_bytes()


def test_a_resume_refused_names_the_ids_in_one_line(model, tmp_path):
    """The refusal quotes the output's last id and the input's at its place: an id holding a line break (a file's
    name, an id cell) split the message over two lines, the second printed as an error of its own, and an id of
    thousands of characters was quoted whole."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:4]]
    records[1] = {**records[1], "id": "Vienna\nsecond line"}
    records[2] = {**records[2], "id": "Warsaw " + "x" * 5000}
    docs = small_table(tmp_path / "docs.jsonl", records)
    output = tmp_path / "tags.jsonl"
    tag(model, [docs], output, jobs=1, chunk_size=1)
    output.write_text("".join(output.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    small_table(docs, records[:1] + records[2:])  # the second document removed
    with pytest.raises(InputError) as refused:
        tag(model, [docs], output, jobs=1, chunk_size=1, resume=True)
    assert str(refused.value) == (
        f"{output}: cannot resume: it holds 2 rows ending with 'Vienna\\nsecond line', but input 2 is 'Warsaw "
        + "x" * 110
        + "...'; the inputs changed since it was written (use --force to start over)"
    )


def test_cutoffs_given_as_numpy_numbers_are_recorded_as_the_numbers_they_hold(model, tmp_path):
    """A limit and threshold taken from a numpy array (np.int64(2), np.float32(0.5)), which the checks accept: the run
    record could not be written ("Object of type int64 is not JSON serializable"), a traceback, after the output
    was begun. They are recorded as 2 and 0.5, and the same run given plain numbers resumes it."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:6]]
    docs = small_table(tmp_path / "docs.jsonl", records)
    output = tmp_path / "tags.jsonl"
    tag(model, [docs], output, jobs=1, limit=np.int64(2), threshold=np.float32(0.5))
    stored = json.loads(run_record_path(output).read_text(encoding="utf-8"))
    assert stored["cutoffs"] == {"limit": 2, "threshold": 0.5}
    assert all(len(row["labels"]) <= 2 for row in read_rows(output, "jsonl"))
    assert tag(model, [docs], output, jobs=1, limit=2, threshold=0.5, resume=True).resumed == 6


def test_resume_with_the_fields_named_by_another_taxonomy_is_refused(model, corpus, tmp_path):
    """A run interrupted, the taxonomy renamed a field (taxonomy sync), and the run resumed with it: the rows before
    said Youth and the rows after Young people, under the same model hash. The run record keeps the fields' names;
    a record from before it did matches any."""
    from classifier.bundle.storage import load_model
    from classifier.io.tagfiles import ResumeError, run_record_path
    from classifier.taxonomy.fields import Taxonomy

    from conftest import taxonomy_with_youth_renamed

    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    other = load_model(taxonomy=Taxonomy.from_yaml(renamed))
    assert other.fingerprint == model.fingerprint and "Young people" in other.labels
    output = tmp_path / "tags.jsonl"
    with pytest.raises(Stop):
        tag(model, corpus, output, chunk_size=20, on_progress=interrupt_after(1))
    with pytest.raises(ResumeError, match=r"written by a run with other names for the model's fields \(another --tax"):
        tag(other, corpus, output, chunk_size=20, resume=True)
    record = json.loads(run_record_path(output).read_text(encoding="utf-8"))
    record.pop("fields")  # as a run before the names were kept wrote it
    run_record_path(output).write_text(json.dumps(record), encoding="utf-8")
    assert tag(model, corpus, output, chunk_size=20, resume=True).resumed == 20


def test_resume_of_a_folder_read_in_any_case_goes_on_with_the_same_files_in_order(model, tmp_path):
    pages = tmp_path / "export"
    pages.mkdir()
    for name in ("A.TXT", "b.txt", "C.Txt", "d.TXT", "notes.md"):
        (pages / name).write_text(f"Observers followed the elections in {name}.\n", encoding="utf-8")
    output = tmp_path / "tags.jsonl"

    def stop(count):
        raise Stop

    with pytest.raises(Stop):
        tag(model, [str(pages)], output, chunk_size=2, on_progress=stop)
    assert [row["id"] for row in read_rows(output, "jsonl")] == [str(pages / "A.TXT"), str(pages / "C.Txt")]
    summary = tag(model, [str(pages)], output, chunk_size=2, resume=True)
    assert (summary.resumed, summary.tagged, summary.failed) == (2, 2, 0)
    ids = [str(pages / name) for name in ("A.TXT", "C.Txt", "b.txt", "d.TXT")]  # sorted as before: capitals first
    assert [row["id"] for row in read_rows(output, "jsonl")] == ids


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_cuts_a_torn_last_row(model, corpus, reference, tmp_path, fmt):
    output = tmp_path / f"tags.{fmt}"
    with pytest.raises(Stop):
        tag(model, corpus, output, chunk_size=20, on_progress=interrupt_after(2))
    whole = reference[fmt].read_bytes()
    written = output.read_bytes()
    assert whole.startswith(written)
    # A kill in the middle of a write leaves part of the next row behind.
    output.write_bytes(whole[: len(written) + 37])
    summary = tag(model, corpus, output, chunk_size=20, resume=True)
    assert summary.resumed == 40
    assert output.read_bytes() == whole


def test_resume_of_a_finished_run_changes_nothing(model, corpus, reference, tmp_path):
    output = tmp_path / "tags.parquet"
    tag(model, corpus, output)
    summary = tag(model, corpus, output, resume=True)
    assert (summary.resumed, summary.tagged, summary.failed) == (162, 0, 0)
    assert read_rows(output, "parquet") == read_rows(reference["parquet"], "parquet")


def test_resume_refuses_output_of_other_inputs(model, corpus, reference, tmp_path):
    output = tmp_path / "tags.jsonl"
    tag(model, corpus, output)
    with pytest.raises(InputError, match="cannot resume: it was written by a run with other inputs"):
        tag(model, corpus[1:], output, resume=True)
    assert output.read_bytes() == reference["jsonl"].read_bytes()


def test_existing_output_needs_force_or_resume(model, corpus, tmp_path):
    output = tmp_path / "tags.jsonl"
    output.write_text("precious\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="force=True .* resume=True"):
        tag(model, corpus, output)
    assert output.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize(
    ("batching", "refusal"),
    [
        ({"chunk_size": 0}, "chunk_size 0: expected a whole number of documents, 1 or more"),  # tagged nothing
        ({"chunk_size": -1}, "chunk_size -1: expected a whole number of documents, 1 or more"),
        ({"chunk_size": 2.5}, "chunk_size 2.5: expected a whole number of documents, 1 or more"),
        ({"jobs": 10**20}, "jobs 100000000000000000000: expected a whole number of worker processes, at most 1,024"),
        ({"jobs": "2"}, "jobs '2': expected a whole number of worker processes, at most 1,024"),
    ],
)
def test_a_chunk_size_or_jobs_that_cannot_tag_is_refused_before_the_output_exists(
    model, corpus, tmp_path, batching, refusal
):
    output = tmp_path / "tags.jsonl"
    with pytest.raises(UsageError) as caught:
        tag(model, corpus, output, **batching)
    assert str(caught.value) == refusal
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("chunk_size", [np.int64(7), None])
def test_a_numpy_chunk_size_is_its_number_and_none_is_one_chunk(model, corpus, reference, tmp_path, chunk_size):
    output = tmp_path / "tags.jsonl"
    summary = tag(model, corpus, output, chunk_size=chunk_size, jobs=np.int64(1))
    assert (summary.tagged, summary.failed) == (160, 2)
    assert output.read_bytes() == reference["jsonl"].read_bytes()


def test_a_chunk_larger_than_any_input_tags_it_all_in_one_chunk(model, corpus, reference, tmp_path):
    output = tmp_path / "tags.jsonl"
    summary = tag(model, corpus, output, chunk_size=10**20, jobs=2)  # past what islice takes: a ValueError before
    assert (summary.tagged, summary.failed) == (160, 2)
    assert output.read_bytes() == reference["jsonl"].read_bytes()


def test_output_that_is_an_input_is_refused(model, corpus, tmp_path):
    table = tmp_path / "items.jsonl"
    table.write_bytes(open(corpus[0], "rb").read())
    with pytest.raises(InputError, match="the output is also an input"):
        tag(model, [str(table)], table, force=True)
    with pytest.raises(InputError, match="the output is also an input"):
        tag(model, [str(tmp_path)], tmp_path / "sub" / "out.txt", format="jsonl", glob="*.txt")
    assert table.read_bytes() == open(corpus[0], "rb").read()


@pytest.mark.parametrize("pattern", ["d/*.jsonl", "d/**/*.jsonl", "./d/*"])
def test_an_output_a_glob_input_would_read_is_refused_before_it_exists(model, corpus, tmp_path, monkeypatch, pattern):
    """A glob was compared with the files it matched before the run, not with the output about to be written: the
    output, once made, was read as an input while it grew, and `tag 'd/*.jsonl' --output d/tags.jsonl` wrote 830,000
    failed rows in a minute, till the disk was full. It is refused before anything is written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl").write_bytes(open(corpus[0], "rb").read())
    with pytest.raises(InputError, match=rf"^d/tags.jsonl: the output is also an input \({re.escape(pattern)}\)"):
        tag(model, [pattern], "d/tags.jsonl")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["a.jsonl"]
    tag(model, ["d/*.jsonl"], "d/sub/tags.jsonl")  # a folder the pattern does not read
    tag(model, ["d/*.jsonl"], "d/.tags.jsonl")  # a hidden name, which * does not match


def test_text_cut_at_the_size_limit_is_tagged_with_a_warning(model, tmp_path, monkeypatch):
    table = tmp_path / "long.jsonl"
    text = "Election observers watched the vote count at polling stations. " * 50
    table.write_text(
        json.dumps({"id": "long", "text": text}) + "\n" + json.dumps({"id": "short", "text": text[:200]}) + "\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "1000")
    tag(model, [str(table)], tmp_path / "out.csv")
    long, short = read_rows(tmp_path / "out.csv", "csv")
    assert long["warning"] == f"{table}:1: text cut at 1,000 characters (the CLASSIFIER_MAX_TEXT limit)"
    assert long["error"] == "" and long["labels"][0] == "Elections"
    assert short["warning"] == ""


def test_table_columns_can_be_renamed(model, tmp_path):
    table = tmp_path / "renamed.csv"
    table.write_text(
        'ref,body\nA-1,"Election observers watched the vote count at polling stations."\n', encoding="utf-8"
    )
    tag(model, [str(table)], tmp_path / "out.jsonl", columns=Columns(id="ref", text="body"))
    (row,) = read_rows(tmp_path / "out.jsonl", "jsonl")
    assert row["id"] == "A-1" and row["labels"][0] == "Elections"


def test_dask_cluster_writes_the_same_rows(model, corpus, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        output = tmp_path / "tags.jsonl"
        tag(model, corpus, output, dask=cluster.scheduler_address, chunk_size=16)
    assert output.read_bytes() == reference["jsonl"].read_bytes()


def wait_for_output(process, output, size):
    """Return once `output` passes `size` bytes, or the process has ended, or a minute has passed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if output.exists() and output.stat().st_size > size:
            return
        time.sleep(0.005)


def test_killed_run_resumes_to_every_document_once(corpus, reference, tmp_path):
    """kill -9 in the middle of a real `classifier tag`, then --resume."""
    output = tmp_path / "tags.jsonl"
    command = [
        sys.executable,
        "-m",
        "classifier",
        "tag",
        *corpus,
        "--output",
        str(output),
        "--chunk-size",
        "4",
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    wait_for_output(process, output, 5000)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = len(output.read_text(encoding="utf-8").splitlines())
    assert 0 < partial < 162, "the run should have been killed part way"
    finished = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert finished.returncode == 1  # two documents of the corpus fail to read
    assert "already in the output" in finished.stderr
    rows = read_rows(output, "jsonl")
    assert [row["id"] for row in rows] == [row["id"] for row in read_rows(reference["jsonl"], "jsonl")]
    assert output.read_bytes() == reference["jsonl"].read_bytes()


KILLING_WORKERS = """
import os, signal
from classifier.cli import main
from classifier.workflows import tagging

parent, tag_chunk = os.getpid(), tagging.tag_chunk

def killed_in_a_worker(*args):
    if os.getpid() != parent:  # the command tags the first chunk itself, then forks its workers
        os.kill(os.getpid(), signal.SIGKILL)  # as the system's out-of-memory killer ends a process
    return tag_chunk(*args)

tagging.tag_chunk = killed_in_a_worker
main()
"""


def test_a_worker_killed_is_one_line_saying_what_is_kept_and_resume_finishes(corpus, reference, tmp_path):
    """A worker killed in the middle of `tag --jobs 2` (the system out of memory): the command ended with a
    traceback of the pool's error, saying nothing of the output. One line says what happened, what is kept and
    how to finish, and --resume finishes."""
    output = tmp_path / "tags.jsonl"
    options = ["tag", *corpus, "--output", str(output), "--chunk-size", "4", "--jobs", "2"]
    killed = subprocess.run([sys.executable, "-c", KILLING_WORKERS, *options], capture_output=True, text=True)
    assert killed.returncode == 1
    assert killed.stderr == (
        f"error: {output}: a worker process ended in the middle of the run (exit SIGKILL(-9)): killed (the system "
        "kills one when memory runs out) or crashed; 4 whole rows are kept; run the same command with --resume to "
        "finish\n"
    )
    finished = subprocess.run([sys.executable, "-m", "classifier", *options, "--resume"], capture_output=True)
    assert finished.returncode == 1  # two documents of the corpus fail to read
    assert output.read_bytes() == reference["jsonl"].read_bytes()
    options[options.index(str(output))] = "-"
    streamed = subprocess.run([sys.executable, "-c", KILLING_WORKERS, *options], capture_output=True, text=True)
    assert streamed.returncode == 1 and streamed.stderr.endswith(
        "or crashed; the rows printed so far are whole; run it again to tag them all\n"
    )
    assert streamed.stdout.splitlines() == reference["jsonl"].read_text(encoding="utf-8").splitlines()[:4]


def _interruptible_run(corpus, tmp_path, *options):
    """`classifier tag` with two workers on three copies of the table, then standard input, which the test holds
    open: were the command to end before the interruption (the test's process stalled on a loaded machine), it
    would exit 1 with every row written and the test would blame the interruption. (A FIFO would do the same,
    but inputs that are not regular files are refused, never read.) Returned some way in, both workers past
    starting up, so none can print an import's traceback: the process, its command, output and table."""
    table = Path(corpus[0]).read_text(encoding="utf-8")
    big = tmp_path / "big.jsonl"
    big.write_text(table * 3, encoding="utf-8")
    output = tmp_path / "tags.jsonl"
    command = [sys.executable, "-m", "classifier", "tag", str(big), "-", "--output", str(output)]
    command += ["--chunk-size", "4", "--jobs", "2", *options]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    wait_for_output(process, output, 25_000)
    assert process.poll() is None, f"the command ended before it could be interrupted: {process.communicate()[1]}"
    return process, command, output, big


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def _gone(pids: set[int], seconds: float = 30) -> bool:
    """Whether every one of `pids` has ended within `seconds` (the pool's resource trackers take a moment to see
    that the command is gone)."""
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(pids)


def _alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 0)
            left.add(pid)
    return left


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "ctrl-c on dask"])
def test_ctrl_c_or_sigterm_stops_cleanly_and_resume_finishes(corpus, tmp_path, how):
    """Ctrl-C reaches the whole process group (the command and its workers, a local Dask cluster's too); SIGTERM,
    from a scheduler or `kill`, the command alone. Each: one line, exit 130, whole rows, no lock, no worker left."""
    from classifier.corpus.documents import read_records

    if how.endswith("dask"):
        pytest.importorskip("distributed", reason="the dask extra is not installed")
    process, command, output, big = _interruptible_run(corpus, tmp_path, *(["--dask", "local"] * how.endswith("dask")))
    workers = _children(process.pid)
    if how.startswith("ctrl-c"):
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGTERM)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith(f"interrupted: {output} holds whole rows so far")
    assert not list(tmp_path.glob(".*.lock"))
    assert _gone(workers)
    partial = read_rows(output, "jsonl")
    expected = [record.id for record in read_records([str(big)])] + ["<stdin>"]
    assert 0 < len(partial) < len(expected)
    subprocess.run([*command, "--resume"], input="Observers watched the vote count.", capture_output=True, text=True)
    assert [row["id"] for row in read_rows(output, "jsonl")] == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_workers_die_with_a_command_killed_outright(corpus, tmp_path):
    """SIGKILL (or the out-of-memory killer) leaves the command no moment to stop its workers: they die with it."""
    process, _, _, _ = _interruptible_run(corpus, tmp_path)
    workers = _children(process.pid)
    assert len(workers) >= 2  # the two workers (and the pool's resource trackers)
    process.kill()
    process.communicate(timeout=60)
    assert _gone(workers)


# --resume proves the output is this run's before it touches a byte (issue 15, case 1)


def test_resume_refuses_a_file_that_no_run_wrote_and_changes_nothing(model, corpus, tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_bytes()
    notes = tmp_path / "notes.jsonl"
    notes.write_bytes(readme)
    with pytest.raises(ResumeError, match="cannot resume: nothing records it as the output of a tag run"):
        tag(model, corpus, notes, resume=True)
    assert notes.read_bytes() == readme
    assert not run_record_path(notes).exists()


def test_resume_refuses_a_users_own_jsonl_even_with_a_run_record(model, corpus, tmp_path):
    own = tmp_path / "mine.jsonl"
    tag(model, corpus, own, chunk_size=50)
    precious = "".join(json.dumps({"id": f"n{i}", "text": "my notes"}) + "\n" for i in range(5)) + '{"id": "torn'
    own.write_text(precious, encoding="utf-8")  # the user wrote over it; the record of the old run is still there
    with pytest.raises(ResumeError, match="first row is not a tag row"):
        tag(model, corpus, own, resume=True)
    assert own.read_text(encoding="utf-8") == precious


def test_resume_refuses_a_whole_row_that_is_not_a_tag_row(model, corpus, reference, tmp_path):
    output = tmp_path / "tags.jsonl"
    tag(model, corpus, output)
    mixed = reference["jsonl"].read_bytes() + b'{"id": "x", "text": "a user line"}\n'
    output.write_bytes(mixed)
    with pytest.raises(ResumeError, match="row 163 is not a tag row"):
        tag(model, corpus, output, resume=True)
    assert output.read_bytes() == mixed


@pytest.mark.parametrize("change", ["model", "columns", "format"])
def test_resume_refuses_the_output_of_another_run(model, corpus, tmp_path, change):
    output = tmp_path / "tags.csv"
    tag(model, corpus, output, format="csv")
    before = output.read_bytes()
    other_model = type(model)(
        model.estimator, {**model.metadata, "payload_sha256": {"model.npz": "0" * 64}}, model.path
    )
    kwargs = {
        "model": dict(model=other_model),
        "columns": dict(columns=Columns(id="title")),
        "format": dict(format="jsonl"),
    }[change]
    with pytest.raises(ResumeError, match=f"cannot resume: it was written by a run with (another|other) {change}"):
        tag(kwargs.pop("model", model), corpus, output, resume=True, **{"format": "csv", **kwargs})
    assert output.read_bytes() == before


@settings(max_examples=40)
@given(content=st.binary(max_size=300), with_record=st.booleans())
def test_resume_never_changes_a_file_it_cannot_prove(model, tmp_path_factory, content, with_record):
    folder = tmp_path_factory.mktemp("resume")
    table = folder / "items.jsonl"
    table.write_text(json.dumps({"id": "a", "text": "Observers watched the elections."}) + "\n", encoding="utf-8")
    output = folder / "tags.jsonl"
    if with_record:
        tag(model, [str(table)], output)
    output.write_bytes(content)
    try:
        tag(model, [str(table)], output, resume=True)
    except InputError:
        assert output.read_bytes() == content  # refused: not a byte changed
    else:
        # accepted only as an unfinished output of this very run: what it kept is a prefix of the content
        assert with_record
        rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
        assert [row["id"] for row in rows] == ["a"]


def test_without_pyarrow_parquet_is_refused_in_one_line_and_other_formats_still_work(
    model, corpus, tmp_path, monkeypatch
):
    from classifier.corpus.documents import read_documents
    from classifier.io.formats import MissingExtraError

    parquet_input = tmp_path / "in.parquet"
    parquet_input.write_bytes(b"PAR1 not really")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the parquet extra were not installed
    with pytest.raises(
        MissingExtraError, match=r"out.parquet: Parquet needs pyarrow: pip install 'osce-topic-classifier\[parquet\]'"
    ):
        tag(model, corpus, tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()
    (doc,) = read_documents([parquet_input])
    assert doc.error == f"{parquet_input}: Parquet needs pyarrow: pip install 'osce-topic-classifier[parquet]'"
    tag(model, corpus, tmp_path / "out.jsonl")
    assert (tmp_path / "out.jsonl").stat().st_size > 0


def test_without_dask_a_dask_run_is_refused_before_its_output_exists(model, corpus, tmp_path, monkeypatch):
    from classifier.workflows.runners import RunnerError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    output = tmp_path / "out.jsonl"
    with pytest.raises(RunnerError) as refused:
        tag(model, corpus, output, dask="local")
    assert str(refused.value) == "--dask needs Dask's distributed scheduler: pip install 'osce-topic-classifier[dask]'"
    assert sorted(tmp_path.iterdir()) == []  # no output and no run record: the same command without --dask runs
    tag(model, corpus, output, jobs=1)
    assert output.stat().st_size > 0


def test_a_dask_address_without_a_port_is_refused_before_the_output_exists(model, corpus, tmp_path):
    """`--dask localhost` printed a traceback from the scheduler's client ("missing port number") and left an empty
    output, which the same command without --dask then refused as existing."""
    from classifier.workflows.runners import RunnerError

    pytest.importorskip("distributed")
    with pytest.raises(RunnerError, match=r"^--dask 'localhost': expected a scheduler's address with its port"):
        tag(model, corpus, tmp_path / "out.jsonl", dask="localhost")
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_scheduler_that_cannot_be_reached_leaves_no_output(model, corpus, tmp_path, monkeypatch, fmt):
    """Unreachable (refused, or a name Dask cannot read), the scheduler was said in one line, but the output was
    made already, empty: the rerun without --dask was refused as "already exists"."""
    from classifier.workflows.runners import RunnerError

    distributed = pytest.importorskip("distributed")

    def unreachable(address, timeout):
        raise OSError(f"Timed out trying to connect to {address} after {timeout} s")

    monkeypatch.setattr(distributed, "Client", unreachable)
    output = tmp_path / f"out.{fmt}"
    with pytest.raises(RunnerError, match=r"^cannot reach the Dask scheduler at tcp://127.0.0.1:1: Timed out"):
        tag(model, corpus, output, dask="tcp://127.0.0.1:1")
    assert sorted(tmp_path.iterdir()) == []
    tag(model, corpus, output, jobs=1)
    assert output.stat().st_size > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_carry_the_flag_of_texts_given_no_field(model, tmp_path, fmt):
    examples = [
        json.loads(line)
        for line in (Path(__file__).parent / "fixtures" / "out_of_scope.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:2]
    table = tmp_path / "mixed.jsonl"
    table.write_text(
        "".join(json.dumps({k: r[k] for k in ("id", "title", "text")}) + "\n" for r in examples + records),
        encoding="utf-8",
    )
    tag(model, [table], tmp_path / f"tags.{fmt}")
    rows = read_rows(tmp_path / f"tags.{fmt}", fmt)
    assert [row["flag"] for row in rows] == [e["expected"] for e in examples] + ["", ""]
    assert [bool(row["labels"]) for row in rows] == [False] * len(examples) + [True, True]


def test_every_row_and_the_run_record_name_the_model(model, reference):
    import hashlib

    # The bundle's hash: the sha256 of its model.json as saved (which holds its other files' checksums).
    stored = json.loads((model.path / "model.json").read_text(encoding="utf-8"))
    expected = hashlib.sha256(json.dumps(stored, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    for fmt in FORMATS:
        assert {row["model"] for row in read_rows(reference[fmt], fmt)} == {expected}
    assert json.loads(run_record_path(reference["jsonl"]).read_text(encoding="utf-8"))["model"] == expected


def without_model_column(path, fmt):
    """The file as a run before rows named their model wrote it."""
    if fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "model"}) + "\n" for r in rows))
    elif fmt == "csv":
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(row[:-1] for row in rows)
    else:
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(path).drop_columns(["model"]), path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_resume_of_an_output_written_before_rows_named_their_model_says_so_and_changes_nothing(
    model, corpus, tmp_path, fmt
):
    output = tmp_path / f"tags.{fmt}"
    tag(model, corpus, output)
    without_model_column(output, fmt)
    before = output.read_bytes()
    with pytest.raises(ResumeError) as error:
        tag(model, corpus, output, resume=True)
    assert str(error.value) == (
        f"{output}: cannot resume: it was written before tag rows named their model (no 'model' column); "
        "use --force to start over"
    )
    assert output.read_bytes() == before


def test_threshold_and_limit_choose_the_labels_of_every_row(model, corpus, reference, tmp_path):
    output = tmp_path / "tags.jsonl"
    tag(model, corpus, output, threshold=0.05, limit=2)
    rows, plain = read_rows(output, "jsonl"), read_rows(reference["jsonl"], "jsonl")
    assert [row["scores"] for row in rows] == [row["scores"] for row in plain]
    checked = 0
    for row in rows:
        scores = sorted(row["scores"].items(), key=lambda item: -item[1])
        if row["error"] or row["flag"] or any(abs(score - 0.05) < 1e-4 for _, score in scores):
            continue  # a score rounded in the row could sit on either side of the threshold
        assert row["labels"] == [label for label, score in scores if score >= 0.05][:2]
        checked += 1
    assert checked > 100
    assert any(len(row["labels"]) == 2 for row in rows) and any(len(row["labels"]) < 2 for row in rows if row["labels"])
    with pytest.raises(ResumeError, match="written by a run with another --limit or --threshold"):
        tag(model, corpus, output, resume=True, threshold=0.1, limit=2)
    assert tag(model, corpus, output, resume=True, threshold=0.05, limit=2).resumed == 162


def test_jsonl_rows_written_from_a_chunks_arrays_are_the_row_encoders_text(model, corpus, tmp_path):
    from classifier.bundle.model import Reading
    from classifier.corpus.documents import read_records
    from classifier.io.tagfiles import encode_rows
    from classifier.workflows.tagging import jsonl_lines, tag_chunk, tag_rows

    # The corpus (a broken row, an empty file), a text in another language and one out of scope (flags), ids
    # that JSON escapes, and a file name that is not UTF-8 (a lone surrogate in the id).
    odd = tmp_path / "odd"
    odd.mkdir()
    rows = [
        {"id": 'quote " and \\ back\tslash', "title": "Выборы", "text": "Наблюдение за выборами в регионе " * 9},
        {"id": "Genève ☃", "title": "Chocolate cake", "text": "Mix the flour, butter and sugar, then bake. " * 6},
    ]
    table = tmp_path / "rows.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (odd / os.fsdecode(b"caf\xe9.txt")).write_text("Elections\n\nObservers watched the vote count.", encoding="utf-8")
    records = list(read_records([*corpus, str(table), str(odd)], Columns(), "*"))
    assert any(record.error for record in records) and len(records) == 165
    for cutoffs in ({}, {"limit": 1}, {"threshold": 0.2}):
        expected = encode_rows(tag_rows(model, records, Columns(), **cutoffs), "jsonl")
        assert tag_chunk(model, records, Columns(), "jsonl", **cutoffs).payload == expected
    assert '"flag": "language"' in expected and '"flag": "out-of-scope"' in expected and "\\udce9" in expected
    # A score that is no rounded probability (NaN) is left to the general encoder.
    proba = model.predict_proba(["Elections observed"])
    proba[0, 0] = float("nan")
    assert jsonl_lines(model, [], Reading(proba, model.accept(proba), [None]), model.fingerprint) is None


def _written_so_far(output: Path) -> dict:
    """The bytes of an interrupted output: the file, or Parquet's part files."""
    parts = output.with_name(f".{output.name}.parts")
    files = sorted(parts.iterdir()) if parts.is_dir() else [output]
    return {path.name: path.read_bytes() for path in files}


@pytest.mark.parametrize("fmt", FORMATS)
def test_resume_refuses_inputs_that_changed_before_the_last_row_written(model, tmp_path, fmt):
    """The folder's second file removed and a new one added in its place after an interruption: the last row
    written still meets an input of the same number and id, but the rows before it are not the inputs' any more."""
    folder = tmp_path / "pages"
    folder.mkdir()
    texts = ["Observers watched the vote.", "Police training.", "A youth forum.", "Border guards met.", "Media."]
    for name, text in zip("abcde", texts):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    whole = tmp_path / f"whole.{fmt}"
    tag(model, [folder], whole, chunk_size=1)
    output = tmp_path / f"tags.{fmt}"

    def stop_after_three(count):
        if count >= 3:
            raise Stop

    with pytest.raises(Stop):
        tag(model, [folder], output, chunk_size=1, on_progress=stop_after_three)
    before = _written_so_far(output)
    (folder / "b.txt").unlink()
    (folder / "b2.txt").write_text("A new page.", encoding="utf-8")  # input 3 is c.txt again, as row 3 says
    with pytest.raises(InputError, match=r"cannot resume: its 3 rows are not the documents of the first 3 inputs"):
        tag(model, [folder], output, chunk_size=1, resume=True)
    assert _written_so_far(output) == before
    (folder / "b2.txt").unlink()
    (folder / "b.txt").write_text("Police training.", encoding="utf-8")
    summary = tag(model, [folder], output, chunk_size=1, resume=True)  # the same inputs again: it resumes
    assert summary.resumed == 3 and read_rows(output, fmt) == read_rows(whole, fmt)


def test_ctrl_c_while_the_workers_start_is_one_line_too(corpus, tmp_path):
    """Ctrl-C in the moment the pool starts its workers: each printed its own KeyboardInterrupt traceback, or the
    pool, interrupted while starting one, failed with another error. The workers are forked once the first chunk
    is done in the command's own process, so the signal is sent as soon as it has a child."""
    big = tmp_path / "big.jsonl"
    big.write_text(Path(corpus[0]).read_text(encoding="utf-8") * 3, encoding="utf-8")
    output = tmp_path / "tags.jsonl"
    command = [sys.executable, "-m", "classifier", "tag", str(big), "-", "--output", str(output)]
    command += ["--chunk-size", "4", "--jobs", "2"]  # and standard input held open: it cannot end before Ctrl-C
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and not _children(process.pid):
        time.sleep(0.002)
    assert process.poll() is None, "the command ended before its workers started"
    assert _children(process.pid), "no worker started within 60 s"  # else the signal would test something else
    os.killpg(process.pid, signal.SIGINT)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "failed with traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted: ")


def test_ctrl_c_in_a_submit_waits_for_its_end_and_reaches_the_processes_started_in_it_blocked():
    from classifier.workflows.runners import _sigint_held

    with pytest.raises(KeyboardInterrupt):
        with _sigint_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # would be interrupted here, were the signal not held
            status = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True).stdout
            reached = True
    assert reached
    blocked = int(next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1], 16)
    assert blocked & (1 << (signal.SIGINT - 1))
    with _sigint_held():  # nothing pending: nothing raised, and SIGINT is back as it was
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_a_dataframe_given_as_inputs_is_refused_before_any_row_is_written(model, tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["1"], "published": ["2024-03-01"], "text": ["ODIHR observers will follow."]})
    output = tmp_path / "t.jsonl"
    with pytest.raises(TypeError, match=r"^inputs is a pandas DataFrame, not paths .* use Model\.tag_frame"):
        tag(model, frame, output)
    assert not output.exists()  # no rows "id: no such file or directory", one per column


def test_a_glob_of_another_type_is_refused_before_the_output_exists(model, corpus, tmp_path):
    output = tmp_path / "tags.jsonl"
    with pytest.raises(TypeError, match="^glob is 5: "):  # an AttributeError once the output and its record existed
        tag(model, corpus, output, glob=5)
    assert list(tmp_path.iterdir()) == []
    summary = tag(model, [corpus[1]], output, glob=["*.txt"])
    assert (summary.tagged, summary.failed) == (10, 1)  # the pages folder: ten pages and an empty file


def test_a_run_given_its_glob_as_a_tuple_resumes_with_the_same_tuple_or_string(model, corpus, tmp_path):
    """The run record holds one spelling of the patterns: a tuple read back from JSON is a list, and the run would
    have been refused as one with another --glob."""
    output = tmp_path / "tags.jsonl"
    tag(model, [corpus[1]], output, glob=("*.txt",))
    lines = output.read_text(encoding="utf-8").splitlines(keepends=True)
    for spelled in (("*.txt",), "*.txt"):
        output.write_text(lines[0], encoding="utf-8")  # as if interrupted after its first row
        summary = tag(model, [corpus[1]], output, glob=spelled, resume=True)
        assert summary.tagged + summary.failed == len(lines) - 1
        assert output.read_text(encoding="utf-8").splitlines(keepends=True) == lines


@pytest.mark.parametrize("inputs", [[], (), iter([])])
def test_tagging_no_inputs_from_python_is_refused_and_writes_nothing(tmp_path, inputs):
    """As `classifier tag --output x` with no input is a usage error: an empty output and its run record would read as
    a corpus of no documents, and block the run that was meant."""
    with pytest.raises(UsageError, match="^no inputs: give the files, folders or globs to tag$"):
        tag(load_model(), inputs, tmp_path / "out.jsonl")
    assert list(tmp_path.iterdir()) == []
