"""Tag output files written as they go: whole rows after every chunk, and resumable after any interruption.

JSONL and CSV grow in place, one write per chunk, so the file holds complete rows at every moment
after the first chunk; a write cut short by a kill or a power loss leaves at most one torn row at the
end, which `--resume` cuts off before it carries on. Parquet cannot be read before its footer is
written, so its chunks go to complete part files in a hidden folder beside the output and are joined
into the output atomically at the end; `--resume` picks up the parts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

from classifier.io.formats import table_format
from classifier.io.textio import InputError, atomic_write

COLUMNS = ("id", "labels", "scores", "error", "warning")


def format_for(path: str | Path, requested: str | None = None) -> str:
    """The output format: the one asked for, else the file suffix's, else JSONL."""
    return requested or table_format(path) or "jsonl"


def encode_rows(rows: list[dict], fmt: str):
    """A chunk of rows as the output format holds it: text for JSONL and CSV, an Arrow table for Parquet."""
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(_csv_fields(row))
        return buffer.getvalue()
    import pyarrow as pa

    return pa.Table.from_pylist([{**row, "scores": list(row["scores"].items())} for row in rows], schema=_arrow_schema())


def open_tag_file(path: str | Path, fmt: str, *, resume: bool = False) -> "TagFile":
    """A tag file ready to take chunks: new and empty, or, with `resume`, holding the rows already there."""
    return {"jsonl": JsonlTagFile, "csv": CsvTagFile, "parquet": ParquetTagFile}[fmt](Path(path), resume)


class TagFile:
    """An output file of tag rows; `done` rows are already in it, the last with id `last_id`."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.done = 0
        self.last_id: str | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self._exists():
            self._recover()
        else:
            self._start()

    def _exists(self) -> bool:
        return self.path.exists()

    def _start(self) -> None:
        raise NotImplementedError

    def _recover(self) -> None:
        raise NotImplementedError

    def append(self, payload, rows: int, last_id: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file; after an interruption it is not called and the file stays resumable."""


class _TextTagFile(TagFile):
    header = ""

    def _start(self) -> None:
        with atomic_write(self.path, newline="") as handle:
            handle.write(self.header)

    def append(self, payload: str, rows: int, last_id: str) -> None:
        data = payload.encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            # One write per chunk: a kill leaves whole chunks plus at most one torn tail, never a gap.
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        self.done += rows
        self.last_id = last_id

    def _truncate(self, size: int) -> None:
        if self.path.stat().st_size != size:
            with open(self.path, "r+b") as handle:
                handle.truncate(size)


class JsonlTagFile(_TextTagFile):
    def _recover(self) -> None:
        good = 0
        with open(self.path, "rb") as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                try:
                    row = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    break
                if not isinstance(row, dict) or "id" not in row:
                    break
                good += len(line)
                self.done += 1
                self.last_id = row["id"]
        self._truncate(good)


class CsvTagFile(_TextTagFile):
    header = ",".join(COLUMNS) + "\r\n"

    def _recover(self) -> None:
        size = self.path.stat().st_size
        with open(self.path, newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.reader(handle)
            try:
                first = next(reader, None)
            except csv.Error:
                first = None
            if first != list(COLUMNS):
                raise InputError(f"{self.path}: not a tag output (its first row is not {','.join(COLUMNS)}); cannot resume it")
            # A row counts only if it ends inside the file: re-encoding what was read gives its exact length.
            good = len(self.header.encode("utf-8"))
            try:
                for fields in reader:
                    end = good + len(_csv_line(fields).encode("utf-8"))
                    if len(fields) != len(COLUMNS) or end > size or not _plausible_scores(fields[2]):
                        break
                    good = end
                    self.done += 1
                    self.last_id = fields[0]
            except csv.Error:
                pass
        self._truncate(good)


class ParquetTagFile(TagFile):
    """Chunks go to `.NAME.parts/part-NNNNNN.parquet`, each written atomically; `close` joins them."""

    @property
    def parts(self) -> Path:
        return self.path.with_name(f".{self.path.name}.parts")

    def _exists(self) -> bool:
        return self.parts.is_dir() or self.path.exists()

    def _start(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir()

    def _recover(self) -> None:
        import pyarrow.parquet as pq

        self.parts.mkdir(exist_ok=True)
        if self.path.exists():
            # A finished output becomes the first part again, so more rows can follow it.
            os.replace(self.path, self.parts / "part-000000.parquet")
        for part in self._part_files():
            try:
                self.done += pq.ParquetFile(part).metadata.num_rows
            except Exception as exc:  # pyarrow raises several types for unreadable files
                raise InputError(f"{part}: unreadable part of an interrupted run ({exc}); delete it to resume") from None
        if self.done:
            ids = pq.read_table(self._part_files()[-1], columns=["id"]).column("id")
            self.last_id = ids[len(ids) - 1].as_py()

    def _part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet"))

    def append(self, payload, rows: int, last_id: str) -> None:
        import pyarrow.parquet as pq

        number = len(self._part_files())
        with atomic_write(self.parts / f"part-{number:06d}.parquet", mode="wb") as handle:
            pq.write_table(payload, handle)
        self.done += rows
        self.last_id = last_id

    def close(self) -> None:
        import pyarrow.parquet as pq

        with atomic_write(self.path, mode="wb") as handle:
            with pq.ParquetWriter(handle, _arrow_schema()) as writer:
                for part in self._part_files():
                    parquet = pq.ParquetFile(part)
                    for group in range(parquet.num_row_groups):
                        writer.write_table(parquet.read_row_group(group))
        shutil.rmtree(self.parts, ignore_errors=True)


def _csv_fields(row: dict) -> list[str]:
    return [row["id"], ";".join(row["labels"]), json.dumps(row["scores"], ensure_ascii=False), row["error"], row["warning"]]


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(fields)
    return buffer.getvalue()


def _plausible_scores(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


def _arrow_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("labels", pa.list_(pa.string())),
            ("scores", pa.map_(pa.string(), pa.float32())),
            ("error", pa.string()),
            ("warning", pa.string()),
        ]
    )
