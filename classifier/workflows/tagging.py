"""Batch-tag a corpus: one row per document, streamed to the output, in parallel, resumable."""

from __future__ import annotations

import collections
import contextlib
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.bundle.model import Model
from classifier.corpus.documents import Columns, DEFAULT_GLOB, Record, find_input, read_records, to_document
from classifier.errors import OutputExistsError
from classifier.workflows.runners import default_jobs, map_ordered
from classifier.io.tagfiles import encode_rows, format_for, open_tag_file
from classifier.io.textio import InputError

CHUNK_SIZE = 512


@dataclass
class TagSummary:
    """What a run did: documents tagged and failed in this run, rows already there from an earlier one."""

    tagged: int = 0
    failed: int = 0
    resumed: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return (self.tagged + self.failed) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        line = (
            f"{self.tagged} documents tagged, {self.failed} failed, "
            f"{self.seconds:.1f} s, {self.per_second:.0f} documents/s"
        )
        return line + (f" ({self.resumed} already in the output)" if self.resumed else "")


@dataclass(frozen=True)
class ChunkResult:
    """A tagged chunk, encoded for the output file."""

    payload: object
    rows: int
    failed: int
    last_id: str


def tag_rows(model: Model, records: Sequence[Record], columns: Columns = Columns()) -> list[dict]:
    """One row per record: id, accepted labels, every label's score (best first), the error if it failed,
    and the warning if its text was cut at the size limit."""
    import numpy as np

    documents = [to_document(record, columns) for record in records]
    good = [doc for doc in documents if not doc.error]
    if good:
        proba = model.predict_proba_documents(good)
        accepted = model.accept(proba)
        order = np.argsort(-proba, axis=1, kind="stable")
        rounded = np.round(proba, 4).tolist()
    labels = model.labels
    rows, i = [], 0
    for doc in documents:
        if doc.error:
            rows.append({"id": doc.id, "labels": [], "scores": {}, "error": doc.error, "warning": doc.warning or ""})
            continue
        ranked = order[i].tolist()
        rows.append(
            {
                "id": doc.id,
                "labels": [labels[j] for j in ranked if accepted[i, j]],
                "scores": {labels[j]: rounded[i][j] for j in ranked},
                "error": "",
                "warning": doc.warning or "",
            }
        )
        i += 1
    return rows


def tag_chunk(model, records: Sequence[Record], columns: Columns, fmt: str) -> ChunkResult:
    """Tag one chunk and encode it; runs in whichever process or worker got the chunk."""
    rows = tag_rows(model, records, columns)
    return ChunkResult(encode_rows(rows, fmt), len(rows), sum(1 for row in rows if row["error"]), rows[-1]["id"])


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
    on_progress: Callable[[int], None] | None = None,
) -> TagSummary:
    """Tag every document of `inputs` into `output`, chunk by chunk, in input order.

    The output holds whole rows after every chunk (Parquet: whole part files, joined at the end).
    With `resume`, the rows already in `output` are kept and tagging goes on after the last of them,
    so every input document ends up in the output exactly once. `jobs` worker processes (default: every
    core this process may use) tag the chunks, or a Dask cluster with `dask` (an address, or "local").
    """
    jobs = jobs or default_jobs()
    output = Path(output)
    fmt = format_for(output, format)
    if output.exists() and not (force or resume):
        raise OutputExistsError(f"{output}: already exists; pass --force to overwrite it or --resume to continue it")
    clash = find_input(output, inputs, glob)
    if clash is not None:
        raise InputError(f"{output}: the output is also an input ({clash}); write it somewhere else")
    start = time.perf_counter()
    target = open_tag_file(output, fmt, resume=resume)
    summary = TagSummary(resumed=target.done)
    records = _after(read_records(inputs, columns, glob), target.done, target.last_id, output)
    if jobs > 1 and not dask:
        # Starting worker processes costs seconds; an input of two chunks or less is quicker without them.
        head = list(itertools.islice(records, 2 * chunk_size))
        jobs = jobs if len(head) == 2 * chunk_size else 1
        records = itertools.chain(head, records)
    chunks = _chunks(records, chunk_size)
    # Closed on any exit, so that an interruption stops the workers before the interpreter waits for them.
    with contextlib.closing(map_ordered(_ChunkTask(columns, fmt), model, chunks, jobs=jobs, dask=dask)) as results:
        for result in results:
            target.append(result.payload, result.rows, result.last_id)
            summary.failed += result.failed
            summary.tagged += result.rows - result.failed
            if on_progress:
                on_progress(summary.tagged + summary.failed)
    target.close()
    summary.seconds = time.perf_counter() - start
    return summary


@dataclass(frozen=True)
class _ChunkTask:
    """tag_chunk with the run's settings bound; picklable, unlike a closure."""

    columns: Columns
    fmt: str

    def __call__(self, model, chunk) -> ChunkResult:
        return tag_chunk(model, chunk, self.columns, self.fmt)


def _after(records: Iterator[Record], done: int, last_id: str | None, output: Path) -> Iterator[Record]:
    """The records after the first `done`, checking that the output's last row is the last one skipped."""
    if not done:
        yield from records
        return
    collections.deque(itertools.islice(records, done - 1), maxlen=0)
    boundary = next(records, None)
    if boundary is None or boundary.id != last_id:
        found = "fewer inputs" if boundary is None else f"input {done} is '{boundary.id}'"
        raise InputError(
            f"{output}: cannot resume: it holds {done} rows ending with '{last_id}', but {found}; "
            "the inputs changed since it was written (use --force to start over)"
        )
    yield from records


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk

