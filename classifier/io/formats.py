"""Table formats by file suffix: one map for reading inputs and for writing tag output."""

from __future__ import annotations

from pathlib import Path

TABLE_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def table_format(path: str | Path) -> str | None:
    """The table format a file's suffix names ("jsonl", "csv" or "parquet"), or None for any other file."""
    return TABLE_SUFFIXES.get(Path(path).suffix.lower())
