"""Batch-tag a corpus: one row per document, streamed to the output, in parallel, resumable."""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.bundle.model import Model, check_cutoffs, check_loaded
from classifier.corpus.documents import (
    DEFAULT_GLOB,
    Columns,
    Record,
    as_inputs,
    check_named_columns,
    check_not_an_input,
    glob_patterns,
    read_records,
    to_document,
)
from classifier.errors import OutputExistsError, UsageError
from classifier.io.formats import require_pyarrow
from classifier.io.outputs import check_file_target, output_lock, write_error
from classifier.io.tagfiles import (
    STDOUT,
    add_id,
    check_resumable,
    encode_rows,
    escape_surrogates,
    format_for,
    ids_digest,
    json_line,
    open_tag_file,
    parts_folder,
    run_record,
    run_record_path,
    write_run_record,
)
from classifier.io.textio import InputError, one_line
from classifier.options import GLOB_SEPARATOR, MAX_JOBS, whole_number
from classifier.workflows.runners import (
    RunnerError,
    WorkerLostError,
    check_dask,
    check_dask_address,
    default_jobs,
    map_ordered,
)

CHUNK_SIZE = 512


@dataclass
class TagSummary:
    """What a run did: documents tagged and failed in this run, rows already there from an earlier one."""

    tagged: int = 0
    failed: int = 0
    resumed: int = 0
    resumed_failed: int = 0  # of the rows already there, those that hold an error
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return (self.tagged + self.failed) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        line = (
            f"{self.tagged} documents tagged, {self.failed} failed, "
            f"{self.seconds:.1f} s, {self.per_second:.0f} documents/s"
        )
        failed_before = f", {self.resumed_failed} of them failed" if self.resumed_failed else ""
        return line + (f" ({self.resumed} already in the output{failed_before})" if self.resumed else "")


@dataclass(frozen=True)
class ChunkResult:
    """A tagged chunk, encoded for the output file."""

    payload: object
    rows: int
    failed: int
    last_id: str


def tag_rows(
    model: Model,
    records: Sequence[Record],
    columns: Columns = Columns(),
    limit: int | None = None,
    threshold: float | None = None,
) -> list[dict]:
    """One row per record: id, accepted labels, every label's score (best first), the error if it failed,
    the warning if its text was cut at the size limit, the flag if no field was accepted because the
    text is not in English ("language"), not an OSCE-like policy text ("out-of-scope") or too short to judge
    with no field reaching its threshold ("too-short"), and the model's
    hash (`Model.fingerprint`). `limit` and `threshold` choose the labels as in `Model.read`."""
    return _rows(model, *_read_chunk(model, records, columns, limit, threshold), model.fingerprint)


def _read_chunk(model: Model, records: Sequence[Record], columns: Columns, limit, threshold) -> tuple[list, object]:
    """The records' documents, and the model's reading of those that did not fail (None if all did)."""
    documents = [to_document(record, columns) for record in records]
    good = [doc for doc in documents if not doc.error]
    # Documents made here: read as they are, without read_documents' check of what the caller passed.
    return documents, model.read([doc.model_text for doc in good], limit, threshold) if good else None


def _rows(model: Model, documents: list, reading, fingerprint: str) -> list[dict]:
    """`tag_rows` of documents read already (`_read_chunk`); `fingerprint`, the model's."""
    import numpy as np  # loads with a model, not at start-up

    if reading is not None:
        proba, accepted = reading.proba, reading.accepted
        order = np.argsort(-proba, axis=1, kind="stable")
        rounded = np.round(proba, 4).tolist()
    labels = model.labels
    rows, i = [], 0
    for doc in documents:
        if doc.error:
            rows.append(_failed_row(doc, fingerprint))
            continue
        ranked = order[i].tolist()
        rows.append(
            {
                "id": doc.id,
                "labels": [labels[j] for j in ranked if accepted[i, j]],
                "scores": {labels[j]: rounded[i][j] for j in ranked},
                "error": "",
                "warning": doc.warning or "",
                "flag": reading.flags[i] or "",
                "model": fingerprint,
            }
        )
        i += 1
    return rows


def _failed_row(doc, fingerprint: str) -> dict:
    return {
        "id": doc.id,
        "labels": [],
        "scores": {},
        "error": doc.error,
        "warning": doc.warning or "",
        "flag": "",
        "model": fingerprint,
    }


def tag_chunk(
    model,
    records: Sequence[Record],
    columns: Columns,
    fmt: str,
    limit: int | None = None,
    threshold: float | None = None,
    fingerprint: str | None = None,
) -> ChunkResult:
    """Tag one chunk and encode it; runs in whichever process or worker got the chunk. `fingerprint`, the model's
    (`Model.fingerprint`), if found already: a run finds it once, not once per chunk (it hashes the model's
    metadata, a millisecond or more)."""
    fingerprint = fingerprint or model.fingerprint
    documents, reading = _read_chunk(model, records, columns, limit, threshold)
    payload = jsonl_lines(model, documents, reading, fingerprint) if fmt == "jsonl" else None
    if payload is None:
        payload = encode_rows(_rows(model, documents, reading, fingerprint), fmt)
    failed = sum(1 for doc in documents if doc.error)
    return ChunkResult(payload, len(documents), failed, documents[-1].id)


_SCORE_TEXTS: list[str] = []  # the JSON text of each score k / 10**4, as rows round them


def jsonl_lines(model: Model, documents: list, reading, fingerprint: str) -> str | None:
    """`encode_rows(_rows(...), "jsonl")`, the same text, written from the arrays of the whole chunk: each label's
    JSON key and each of the 10,001 rounded scores' JSON number are made once, not once per row, and the rows'
    pieces are picked from them with numpy (`_read_lines`). None where a score is not one of those (not a number
    from 0 to 1), for the general encoder to write."""
    import numpy as np  # loads with a model, not at start-up

    if not _SCORE_TEXTS:
        # json.dumps writes a float as its repr. Made whole, then put in at once: a list interrupted half-way (Ctrl-C)
        # would be taken for made.
        _SCORE_TEXTS[:] = [repr(k / 10**4) for k in range(10**4 + 1)]
    read: list[str] = []
    if reading is not None:
        rounded = np.round(reading.proba, 4)
        steps = np.rint(rounded * 10**4)
        if not (np.isfinite(steps).all() and (steps / 10**4 == rounded).all()) or not rounded.shape[1]:
            return None
        if np.signbit(rounded).any() or (steps > 10**4).any():  # below 0 (JSON writes -0.0 so) or above 1
            return None
        order = np.argsort(-reading.proba, axis=1, kind="stable")
        ranked_steps = np.take_along_axis(steps.astype(np.intp), order, axis=1)
        ranked_accepted = np.take_along_axis(reading.accepted, order, axis=1).astype(bool)
        good = [doc for doc in documents if not doc.error]
        read = _read_lines(model, good, reading.flags, order, ranked_steps, ranked_accepted, fingerprint)
    if len(read) == len(documents):
        return "".join(read)
    lines = iter(read)
    return "".join(json_line(_failed_row(doc, fingerprint)) if doc.error else next(lines) for doc in documents)


def _read_lines(
    model: Model, documents: list, flags: list, order, ranked_steps, ranked_accepted, fingerprint: str
) -> list[str]:
    """The JSON lines of documents read (`jsonl_lines`), given each one's fields best first (`order`), their
    rounded scores in steps of 1 / 10**4 and whether each is accepted, in that order: a line's pieces (its opening,
    its accepted labels' keys, its scores' keys and numbers, commas included, its end) are laid side by side in an
    object array, picked from the labels' and scores' texts by numpy, and joined once per line."""
    import numpy as np  # loads with a model, not at start-up

    keys = [escape_surrogates(json.dumps(label, ensure_ascii=False)) for label in model.labels]
    n_rows, n_labels = order.shape
    rows = np.arange(n_rows)
    # Columns: the opening; a piece per label ("" where not accepted, a comma before all but the first accepted);
    # the scores' opening; each label's key (a comma before all but the first) and score; the end.
    pieces = np.empty((n_rows, 3 * n_labels + 3), dtype=object)
    labels = pieces[:, 1 : n_labels + 1]
    chosen = np.where(ranked_accepted, order, n_labels)  # n_labels: the "" of a field not accepted
    labels[:] = np.array([f", {key}" for key in keys] + [""], dtype=object)[chosen]
    first = ranked_accepted.argmax(axis=1)
    labels[rows, first] = np.array([*keys, ""], dtype=object)[chosen[rows, first]]
    pieces[:, n_labels + 1] = '], "scores": {'
    score_keys = pieces[:, n_labels + 2 : -1 : 2]
    score_keys[:] = np.array([f", {key}: " for key in keys], dtype=object)[order]
    score_keys[:, 0] = np.array([f"{key}: " for key in keys], dtype=object)[order[:, 0]]
    pieces[:, n_labels + 3 : -1 : 2] = np.array(_SCORE_TEXTS, dtype=object)[ranked_steps]
    pieces[:, 0] = [f'{{"id": {_json_text(doc.id)}, "labels": [' for doc in documents]
    fingerprint = json.dumps(fingerprint)
    pieces[:, -1] = [
        f'}}, "error": "", "warning": {_json_text(doc.warning or "")}, "flag": {_json_text(flag or "")}, '
        f'"model": {fingerprint}}}\n'
        for doc, flag in zip(documents, flags)
    ]
    return list(map("".join, pieces.tolist()))


_JSON_STRING = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), made once


def _json_text(value: str) -> str:
    """A string as `json_line` writes it: JSON, and a lone surrogate as its escape."""
    return escape_surrogates(_JSON_STRING(value)) if value else '""'


def tag(
    model: Model,
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    format: str | None = None,
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    force: bool = False,
    resume: bool = False,
    jobs: int | None = None,
    dask: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    limit: int | None = None,
    threshold: float | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_input_error: Callable[[str], None] | None = None,
    on_input_warning: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> TagSummary:
    """Tag every document of `inputs` into `output`, chunk by chunk, in input order.

    The output holds whole rows after every chunk (Parquet: whole part files, joined at the end).
    With `resume`, the rows already in `output` are kept and tagging goes on after the last of them,
    so every input document ends up in the output exactly once. `jobs` worker processes (default: every
    core this process may use) tag the chunks, or a Dask cluster with `dask` (an address, or "local").
    `on_input_error` hears, besides the row, about each input that could not be read at all (missing,
    not a regular file, not a table), and `on_input_warning` about each read as the user may not expect
    (a table piped to standard input, read as one text). `limit` and `threshold` choose each row's labels
    as Annif's do (see `Model.read`); by default the model's per-field thresholds do. Every row names the
    model (`model`).
    `on_start(rows)` hears, before the first chunk, how many rows an output being resumed holds already;
    `on_progress(documents)` then hears how many this run has tagged, after each chunk.
    """
    inputs = as_inputs(inputs)
    if not inputs:  # as the command line refuses it: an empty output would read as a corpus of no documents
        raise UsageError("no inputs: give the files, folders or globs to tag")
    check_loaded(model)
    check_cutoffs(limit, threshold)
    jobs, chunk_size = check_batching(jobs, chunk_size)
    # One spelling of the patterns (a list, a tuple, None): the run record compares it when the run resumes. A glob of
    # another type is a TypeError now, not once the output exists.
    glob = GLOB_SEPARATOR.join(glob_patterns(glob))
    jobs = jobs or default_jobs()
    if str(output) != STDOUT:  # before any tagging: a directory or a device fails now, not after hours, and a
        check_file_target(output)  # directory is refused as one, whatever its name's suffix
    fmt = format_for(output, format)
    fingerprint = model.fingerprint  # once: it hashes the model's metadata
    task = _ChunkTask(columns, fmt, limit, threshold, fingerprint)
    if fmt == "parquet":
        require_pyarrow(str(output))  # before any tagging, not at the first chunk
    if dask:
        check_dask()  # before the output is created: a rerun without --dask is not refused as "already exists"
        check_dask_address(dask)
    check_named_columns(inputs, columns, glob)  # a wrong --text-column is a usage error before the output exists
    if str(output) == STDOUT:
        _check_streamable(fmt, resume)
        records = _reported(read_records(inputs, columns, glob), on_input_error, on_input_warning)
        return _tag_to_stdout(model, records, task, jobs, dask, chunk_size, on_progress)
    output = Path(output)
    if not (force or resume):
        _check_not_begun(output, fmt)  # at once, before the inputs are globbed; again under the lock
    check_not_an_input(output, inputs, glob)
    start = time.perf_counter()
    record = run_record(fingerprint, inputs, fmt, columns, glob, _recorded(limit, threshold), list(model.labels))
    with output_lock(output):
        if not (force or resume):  # another run may have written it since the check above, and ended
            _check_not_begun(output, fmt)
        if resume and (output.exists() or parts_folder(output).is_dir()):
            check_resumable(output, fmt, record)  # proves the output is this run's before a byte of it changes
        else:
            resume = False
        target = _opened(output, fmt, record, resume)
        summary = TagSummary(resumed=target.done, resumed_failed=target.failed)
        if on_start:
            on_start(target.done)
        # Said of the inputs this run reads: those the rows kept hold were said by the run that wrote them.
        records = _reported(
            _after(read_records(inputs, columns, glob), target, output), on_input_error, on_input_warning
        )
        records, jobs = _worth_workers(records, jobs, dask, chunk_size)
        try:
            _tag_chunks(
                model, task, _chunks(records, chunk_size), jobs, dask, (target, output, fmt), summary, on_progress
            )
        except RunnerError as exc:
            _runner_failed(exc, target, output, fmt, resume)
        _written(target, output, fmt, target.close)
    summary.seconds = time.perf_counter() - start
    return summary


def _recorded(limit, threshold) -> dict:
    """The cut-offs as the run record holds them: as the numbers they are, a numpy integer or float (taken, as by
    Model.read) being no JSON."""
    return {
        "limit": None if limit is None else whole_number(limit),
        "threshold": None if threshold is None else float(threshold),
    }


def _opened(output: Path, fmt: str, record: dict, resume: bool):
    """The output opened for this run (`open_tag_file`), then the run recorded beside it. In that order: a run started
    over that fails to empty the output (a full disk) must not leave the rows of the run before under a record of
    this one, which a resume would take for this run's. An output begun whose record cannot be written goes again,
    so that a rerun is not refused as existing."""
    try:
        target = open_tag_file(output, fmt, resume=resume)
    except OSError as exc:
        raise write_error(output, exc, "nothing was tagged") from None
    try:
        write_run_record(output, record)
    except OSError as exc:
        if not resume:
            _unmade(target, output, fmt)
        raise write_error(output, exc, "nothing was tagged") from None
    return target


def _runner_failed(exc: RunnerError, target, output: Path, fmt: str, resume: bool) -> None:
    """Raise what a runner's failure leaves: no scheduler to reach, or a worker lost. An output begun and empty would
    refuse the rerun as existing, so it goes; a lost worker is said with the rows the output keeps."""
    if not resume and not target.done:
        _unmade(target, output, fmt)
    if isinstance(exc, WorkerLostError):
        kept = (
            f"{target.done} whole rows are kept; run the same command with --resume to finish"
            if resume or target.done
            else "nothing was written; run the same command again"
        )
        raise WorkerLostError(f"{output}: {exc}; {kept}") from None
    raise exc


def _check_not_begun(output: Path, fmt: str) -> None:
    """OutputExistsError where a run without force or resume would replace what is there: the output, or an
    interrupted Parquet run's chunks, which live in a hidden folder until the run ends (no file is at the output's
    name: a rerun started over and deleted them)."""
    if output.exists():
        raise OutputExistsError(
            f"{output}: already exists; pass force=True to overwrite it or resume=True to continue it",
            f"{output}: already exists; pass --force to overwrite it or --resume to continue it",
        )
    if fmt == "parquet" and parts_folder(output).is_dir():
        parts = parts_folder(output).name
        raise OutputExistsError(
            f"{output}: an interrupted run's chunks are in {parts}; pass resume=True to continue it or force=True to "
            "start over",
            f"{output}: an interrupted run's chunks are in {parts}; pass --resume to continue it or --force to start "
            "over",
        )


def _tag_chunks(model, task, chunks, jobs, dask, written: tuple, summary: TagSummary, on_progress) -> None:
    """Tag the chunks and append each one's rows to the output (`written`: the open TagFile, its path and format),
    counting them in `summary`."""
    target, output, fmt = written
    # Closed on any exit, so that an interruption stops the workers before the interpreter waits for them.
    with contextlib.closing(map_ordered(task, model, chunks, jobs=jobs, dask=dask)) as results:
        for result in results:
            _written(target, output, fmt, target.append, result.payload, result.rows, result.last_id)
            summary.failed += result.failed
            summary.tagged += result.rows - result.failed
            if on_progress:
                on_progress(summary.tagged + summary.failed)


def _unmade(target, output: Path, fmt: str) -> None:
    """Remove the output this run began and wrote no row to, and its run record."""
    if fmt == "parquet":
        target.discard()
    with contextlib.suppress(OSError):
        output.unlink(missing_ok=True)
        run_record_path(output).unlink(missing_ok=True)


def _check_streamable(fmt: str, resume: bool) -> None:
    if resume:
        raise UsageError("--resume continues an output file; --output - streams to stdout and cannot be resumed")
    if fmt == "parquet":
        raise UsageError("--output -: Parquet cannot be streamed; write it to a file, or choose --format jsonl or csv")


def _written(target, output: Path, fmt: str, action, *args) -> None:
    """`action(*args)` on the output; a write error (disk full, read-only) becomes one line saying what is kept."""
    try:
        action(*args)
    except OSError as exc:
        if fmt == "parquet" and not target.done:
            target.discard()  # nothing to resume: leave no hidden parts folder behind
        raise write_error(
            output,
            exc,
            f"{target.done} whole rows are kept; make room or fix it, then run the same command with --resume to "
            "finish",
        ) from None


def check_batching(jobs, chunk_size) -> tuple[int | None, int]:
    """(jobs, chunk_size) as plain ints (a numpy integer is taken as the number it holds; a chunk size of None is the
    whole input in one chunk, as is any size past sys.maxsize // 2); refused in one line, a `chunk_size` that is not
    a whole number from 1 (a chunk of no documents would tag none, and say nothing) or a `jobs` above MAX_JOBS."""
    size = sys.maxsize // 2 if chunk_size is None else whole_number(chunk_size)
    if size is None or size < 1:
        raise UsageError(f"chunk_size {chunk_size!r}: expected a whole number of documents, 1 or more")
    count = None if jobs is None else whole_number(jobs)
    if jobs is not None and (count is None or count > MAX_JOBS):
        raise UsageError(f"jobs {jobs!r}: expected a whole number of worker processes, at most {MAX_JOBS:,}")
    return count, min(size, sys.maxsize // 2)


def _tag_to_stdout(model, records, task, jobs, dask, chunk_size, on_progress) -> TagSummary:
    """Stream the rows to standard output as each chunk is tagged: no file, so no atomic rename and no resume."""
    from classifier.io.tagfiles import CsvTagFile  # on first use: keeps start-up light

    start = time.perf_counter()
    summary = TagSummary()
    stream = sys.stdout.buffer
    if task.fmt == "csv":
        stream.write(CsvTagFile.header.encode("utf-8"))
    records, jobs = _worth_workers(records, jobs, dask, chunk_size)
    with contextlib.closing(map_ordered(task, model, _chunks(records, chunk_size), jobs=jobs, dask=dask)) as results:
        try:
            for result in results:
                stream.write(result.payload.encode("utf-8"))
                stream.flush()
                summary.failed += result.failed
                summary.tagged += result.rows - result.failed
                if on_progress:
                    on_progress(summary.tagged + summary.failed)
        except WorkerLostError as exc:
            raise WorkerLostError(f"{exc}; the rows printed so far are whole; run it again to tag them all") from None
    summary.seconds = time.perf_counter() - start
    return summary


@dataclass(frozen=True)
class _ChunkTask:
    """tag_chunk with the run's settings bound; picklable, unlike a closure."""

    columns: Columns
    fmt: str
    limit: int | None = None
    threshold: float | None = None
    fingerprint: str | None = None  # the model's, found once for the run

    def __call__(self, model, chunk) -> ChunkResult:
        return tag_chunk(model, chunk, self.columns, self.fmt, self.limit, self.threshold, self.fingerprint)


def _reported(
    records: Iterator[Record],
    on_input_error: Callable[[str], None] | None,
    on_input_warning: Callable[[str], None] | None = None,
) -> Iterator[Record]:
    for record in records:
        if record.whole_input and record.error and on_input_error:
            on_input_error(record.error)
        elif record.whole_input and record.warning and on_input_warning:
            on_input_warning(record.warning)
        yield record


def _worth_workers(
    records: Iterator[Record], jobs: int, dask: str | None, chunk_size: int
) -> tuple[Iterator[Record], int]:
    """The records, and the jobs to tag them with: starting worker processes costs seconds, so an input
    of two chunks or less is quicker without them."""
    if jobs > 1 and not dask:
        head = list(itertools.islice(records, 2 * chunk_size + 1))
        jobs = jobs if len(head) > 2 * chunk_size else 1
        records = itertools.chain(head, records)
    return records, jobs


def _after(records: Iterator[Record], target, output: Path) -> Iterator[Record]:
    """The records after the first `target.done`, checking that the output's rows are those records' in order:
    its last row the last one skipped, and all of its ids those of the records skipped (`target.ids`)."""
    done, last_id = target.done, target.last_id
    if not done:
        yield from records
        return
    skipped = ids_digest()
    for record in itertools.islice(records, done - 1):
        add_id(skipped, record.id)
    boundary = next(records, None)
    if boundary is None or escape_surrogates(boundary.id) != escape_surrogates(last_id or ""):
        # Ids as one line each: a file's name or an id cell may hold a line break, or run to thousands of characters.
        found = "fewer inputs" if boundary is None else f"input {done} is '{one_line(boundary.id)}'"
        raise InputError(
            f"{output}: cannot resume: it holds {done} rows ending with '{one_line(str(last_id))}', but {found}; "
            "the inputs changed since it was written (use --force to start over)"
        )
    add_id(skipped, boundary.id)
    if skipped.digest() != target.ids.digest():
        raise InputError(
            f"{output}: cannot resume: its {done} rows are not the documents of the first {done} inputs in order "
            "(a file added, removed or renamed among them, or another folder to run from); the inputs changed since "
            "it was written (use --force to start over)"
        )
    yield from records


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
