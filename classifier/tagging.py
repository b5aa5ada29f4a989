"""Batch-tag a corpus: suggest fields for every document and write one row per document."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.bundle import Model
from classifier.corpus import Columns, DEFAULT_GLOB, Document, read_documents
from classifier.textio import atomic_write

CHUNK_SIZE = 256


@dataclass
class TagSummary:
    tagged: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return (self.tagged + self.failed) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.tagged} documents tagged, {self.failed} failed, "
            f"{self.seconds:.1f} s, {self.per_second:.0f} documents/s"
        )


def format_for(path: str | Path, requested: str | None = None) -> str:
    if requested:
        return requested
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"csv": "csv", "parquet": "parquet", "pq": "parquet"}.get(suffix, "jsonl")


def tag_rows(model: Model, documents: Iterable[Document], chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """One row per document: id, accepted labels, every label's score, and the error if it failed."""
    for chunk in _chunks(documents, chunk_size):
        good = [doc for doc in chunk if not doc.error]
        suggestions = iter(
            model.suggestions_from_proba(model.predict_proba_documents(good), [doc.title for doc in good]) if good else []
        )
        for doc in chunk:
            if doc.error:
                yield {"id": doc.id, "labels": [], "scores": {}, "error": doc.error}
            else:
                suggestion = next(suggestions)
                scores = {label: round(score, 4) for label, score in suggestion.scores}
                yield {"id": doc.id, "labels": suggestion.labels, "scores": scores, "error": ""}


def tag(
    model: Model,
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    format: str | None = None,
    columns: Columns = Columns(),
    pattern: str = DEFAULT_GLOB,
    force: bool = False,
    on_row: Callable[[dict], None] | None = None,
) -> TagSummary:
    """Tag every document of `inputs` into `output`; the file appears whole or not at all."""
    output = Path(output)
    if output.exists() and not force:
        raise FileExistsError(f"{output}: already exists; pass --force to overwrite it")
    fmt = format_for(output, format)
    summary = TagSummary()
    start = time.perf_counter()

    def counted(rows):
        for row in rows:
            if row["error"]:
                summary.failed += 1
            else:
                summary.tagged += 1
            if on_row:
                on_row(row)
            yield row

    rows = counted(tag_rows(model, read_documents(inputs, columns, pattern)))
    {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[fmt](rows, output, model.labels)
    summary.seconds = time.perf_counter() - start
    return summary


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_jsonl(rows, output: Path, labels) -> None:
    with atomic_write(output) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_csv(rows, output: Path, labels) -> None:
    with atomic_write(output, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "labels", "scores", "error"])
        for row in rows:
            writer.writerow([row["id"], ";".join(row["labels"]), json.dumps(row["scores"], ensure_ascii=False), row["error"]])


def _write_parquet(rows, output: Path, labels) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("id", pa.string()),
            ("labels", pa.list_(pa.string())),
            ("scores", pa.map_(pa.string(), pa.float32())),
            ("error", pa.string()),
        ]
    )
    with atomic_write(output, mode="wb") as handle:
        with pq.ParquetWriter(handle, schema) as writer:
            for chunk in _chunks(rows, 4096):
                table = pa.Table.from_pylist(
                    [{**row, "scores": list(row["scores"].items())} for row in chunk], schema=schema
                )
                writer.write_table(table)
