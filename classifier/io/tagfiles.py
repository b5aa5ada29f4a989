"""Tag output files written as they go: whole rows after every chunk, and resumable after any interruption.

JSONL and CSV grow in place, one write per chunk, so the file holds complete rows at every moment
after the first chunk; a write cut short by a kill or a power loss leaves at most one torn row at the
end, which `--resume` cuts off before it carries on. Parquet cannot be read before its footer is
written, so its chunks go to complete part files in a hidden folder beside the output and are joined
into the output atomically at the end; `--resume` picks up the parts.

Beside the output, `.NAME.run.json` records the run that writes it (its inputs, model, columns and
format): `--resume` continues only an output this record proves to be the same run's, and refuses,
changing nothing, anything else (a user's own file, another run's output).

A file name that is not valid UTF-8 (Python holds its odd bytes as lone surrogates) is written with
each such byte as the escape `\\udcXX`: in JSONL a JSON escape that reads back as the same name, in
CSV and Parquet the six characters themselves.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import sys
from pathlib import Path

from classifier.errors import UsageError
from classifier.io.formats import table_format
from classifier.io.textio import InputError, atomic_write
from classifier.options import TABLE_FORMATS

COLUMNS = ("id", "labels", "scores", "error", "warning", "flag", "model")
# The rows of outputs written before each row named its model: refused by --resume with one line saying so.
COLUMNS_BEFORE_MODEL = COLUMNS[:-1]
BEFORE_MODEL = "it was written before tag rows named their model (no 'model' column); use --force to start over"
STDOUT = "-"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ResumeError(InputError):
    """An output that `--resume` cannot prove to be this run's: refused before a byte of it changes."""


def format_for(path: str | Path, requested: str | None = None) -> str:
    """The output format: the one asked for, else the file suffix's (JSONL for stdout); an unknown suffix is a usage
    error, as is a format asked for that is not one of TABLE_FORMATS."""
    if requested:
        if requested not in TABLE_FORMATS:  # refused before the run record or the output is written
            raise UsageError(f"{path}: unknown output format {requested!r}; choose {', '.join(TABLE_FORMATS)}")
        return requested
    if str(path) == STDOUT:
        return "jsonl"
    found = table_format(path)
    if found is None:
        suffix = Path(path).suffix
        raise UsageError(
            f"{path}: unknown output suffix {suffix or '(none)'}; name it .jsonl, .csv or .parquet, or give its "
            "format (--format; format= from Python)"
        )
    return found


def escape_surrogates(text: str) -> str:
    """A name's undecodable bytes (lone surrogates, from surrogateescape) as the text `\\udcXX`, which UTF-8 can
    hold."""
    if text.isascii():  # most ids and names: nothing to look for
        return text
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def escape_surrogates_in(value):
    """`value` (strings, lists, dicts of them) with `escape_surrogates` applied to every string, keys included."""
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, dict):
        return {escape_surrogates_in(key): escape_surrogates_in(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape_surrogates_in(item) for item in value]
    return value


def json_line(value) -> str:
    """One JSON line that UTF-8 can hold: a lone surrogate (an undecodable byte of a file name) becomes its JSON
    escape."""
    return escape_surrogates(json.dumps(value, ensure_ascii=False)) + "\n"


def parts_folder(path: str | Path) -> Path:
    """Where a Parquet output's chunks are kept until it is finished: `.NAME.parts` beside it."""
    path = Path(path)
    return path.with_name(f".{path.name}.parts")


def run_record_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.run.json")


def run_record(
    model_hash: str, inputs, fmt: str, columns, glob: str, cutoffs: dict | None = None, fields: list | None = None
) -> dict:
    """What makes two runs the same: inputs (absolute), glob, columns, format, the model's hash (`Model.fingerprint`)
    and, when given, the `--limit` and `--threshold` that choose the labels (absent otherwise, so that a record
    written before they existed still matches a run without them) and the names the rows give the model's fields
    (another taxonomy may rename them; a record written before it was kept matches any)."""
    record = {
        "inputs": [item if item == STDOUT else escape_surrogates(os.path.abspath(item)) for item in map(str, inputs)],
        "glob": glob,
        "columns": {"id": columns.id, "title": columns.title, "text": columns.text},
        "format": fmt,
        "model": model_hash,
    }
    cutoffs = {key: value for key, value in (cutoffs or {}).items() if value is not None}
    record = {**record, "cutoffs": cutoffs} if cutoffs else record
    return {**record, "fields": list(fields)} if fields is not None else record


def write_run_record(path: str | Path, record: dict) -> None:
    with atomic_write(run_record_path(path)) as handle:
        handle.write(json.dumps(record, indent=1) + "\n")


_WHAT = {
    "inputs": "other inputs",
    "glob": "another --glob",
    "columns": "other columns",
    "format": "another format",
    "model": "another model",
    "cutoffs": "another --limit or --threshold",
    "fields": "other names for the model's fields (another --taxonomy)",
}


def check_resumable(path: str | Path, fmt: str, record: dict) -> None:
    """Refuse, before anything is changed, an output that is not an unfinished output of the run `record` describes."""
    path = Path(path)
    stored_path = run_record_path(path)
    try:
        with open(stored_path, "rb") as handle:  # read whole: it lists every input, 1 MB or more for 10,000 files
            stored = json.loads(handle.read())
    except (OSError, ValueError):
        raise ResumeError(
            f"{path}: cannot resume: nothing records it as the output of a tag run ({stored_path.name} is missing or "
            "unreadable); use --force to start over, or write elsewhere"
        ) from None
    if isinstance(stored, dict) and "fields" not in stored:  # written before the fields' names were kept
        record = {key: value for key, value in record.items() if key != "fields"}
    if not isinstance(stored, dict) or stored != record:
        differ = [_WHAT[key] for key in _WHAT if not isinstance(stored, dict) or stored.get(key) != record.get(key)]
        raise ResumeError(
            f"{path}: cannot resume: it was written by a run with {', '.join(differ) or 'other settings'}; "
            "run that command again, or use --force to start over"
        )
    if fmt != "parquet" and path.exists():
        _check_first_row(path, fmt)


def _check_first_row(path: Path, fmt: str) -> None:
    with open(path, "rb") as handle:
        first = handle.readline(1 << 20)
    if not first.endswith(b"\n"):
        return  # empty, or one torn row: the run was cut during its first write
    if fmt == "csv":
        names = first.rstrip(b"\r\n").decode("ascii", "replace").split(",")
    else:
        try:
            row = json.loads(first)
            names = list(row) if isinstance(row, dict) else []
        except ValueError:
            names = []
    if set(names) == set(COLUMNS_BEFORE_MODEL):
        raise ResumeError(f"{path}: cannot resume: {BEFORE_MODEL}")
    if set(names) != set(COLUMNS):
        raise ResumeError(
            f"{path}: cannot resume: its first row is not a tag row ({', '.join(COLUMNS)}); nothing was changed"
        )


def _cut_torn_tail(path: Path, good: int, row: int, quoted: bool = False) -> int:
    """`good` if what follows it is a torn last write (no line end; or, with `quoted` (CSV), a line end inside an open
    quote, where a cell holding a line break was cut), else a ResumeError: a whole row that is not a tag row."""
    with open(path, "rb") as handle:
        handle.seek(good)
        tail = handle.read()
    if tail.endswith(b"\n") and not (quoted and _one_open_record(tail)):
        raise ResumeError(f"{path}: cannot resume: row {row} is not a tag row; nothing was changed")
    return good


def _one_open_record(tail: bytes) -> bool:
    """Whether a CSV file's tail is one record cut inside a quoted cell (a write torn after a line break in it): it
    reads as one record, and the quote that opens its last cell is never closed. A line a user added, with a quote
    in its text, or whole rows after it, are not (`--resume` then refuses, changing nothing)."""
    text = tail.decode("utf-8", "replace")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return False
    try:
        list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:  # strict reading stops at the end of the file inside an open quote, and says so
        # A torn write leaves part of one row: a whole tag row among the open cell's lines was written after it.
        return len(records) == 1 and "unexpected end of data" in str(exc) and not _holds_a_tag_row(text)
    return False


def _holds_a_tag_row(text: str) -> bool:
    """Whether a line after the first of `text`, read alone, is a whole tag row (its cells, scores that read)."""
    for line in text.splitlines()[1:]:
        try:
            cells = next(csv.reader([line]), [])
        except csv.Error:
            continue
        if len(cells) == len(COLUMNS) and _plausible_scores(cells[2]):
            return True
    return False


def encode_rows(rows: list[dict], fmt: str):
    """A chunk of rows as the output format holds it: text for JSONL and CSV, an Arrow table for Parquet."""
    if fmt == "jsonl":
        return "".join(json_line(row) for row in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([escape_surrogates(field) for field in _csv_fields(row)])
        return buffer.getvalue()
    import pyarrow as pa  # the parquet extra

    return pa.Table.from_pylist(
        [
            {
                **{key: escape_surrogates(value) if isinstance(value, str) else value for key, value in row.items()},
                "scores": list(row["scores"].items()),
            }
            for row in rows
        ],
        schema=_arrow_schema(),
    )


def open_tag_file(path: str | Path, fmt: str, *, resume: bool = False) -> "TagFile":
    """A tag file ready to take chunks: new and empty, or, with `resume`, holding the rows already there."""
    return {"jsonl": JsonlTagFile, "csv": CsvTagFile, "parquet": ParquetTagFile}[fmt](Path(path), resume)


def ids_digest():
    """A running hash of a sequence of ids, each as every format writes it (`escape_surrogates`)."""
    return hashlib.sha256()


def add_id(digest, doc_id: str) -> None:
    digest.update(escape_surrogates(doc_id).encode("utf-8", "surrogatepass") + b"\0")


class TagFile:
    """An output file of tag rows; `done` rows are already in it, the last with id `last_id`, and `ids` hashes
    the ids of all of them in order (see `add_id`), for a resumed run to check it meets the same inputs."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.done = 0
        self.last_id: str | None = None
        self.ids = ids_digest()
        self.failed = 0  # rows already there that hold an error
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

    def discard(self) -> None:
        """Remove what a run that wrote no row left (Parquet's parts folder)."""


class _TextTagFile(TagFile):
    header = ""

    def _start(self) -> None:
        with atomic_write(self.path, newline="") as handle:
            handle.write(self.header)

    def append(self, payload: str, rows: int, last_id: str) -> None:
        data = payload.encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            size = os.fstat(fd).st_size
            # One write per chunk: a kill leaves whole chunks plus at most one torn tail, never a gap.
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            # A full disk took part of the chunk: cut it off, so the file holds exactly the whole rows
            # reported (shrinking a file needs no space; if even that fails, --resume cuts it).
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
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
                except ValueError:
                    break
                if not isinstance(row, dict) or set(row) != set(COLUMNS) or not isinstance(row["id"], str):
                    break
                good += len(line)
                self.done += 1
                self.last_id = row["id"]
                add_id(self.ids, row["id"])
                self.failed += bool(row["error"])
        self._truncate(_cut_torn_tail(self.path, good, self.done + 1))


class CsvTagFile(_TextTagFile):
    header = ",".join(COLUMNS) + "\r\n"

    def _recover(self) -> None:
        with _cells_of_any_size():
            self._read_back()

    def _read_back(self) -> None:
        size = self.path.stat().st_size
        with open(self.path, newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.reader(handle)
            try:
                first = next(reader, None)
            except csv.Error:
                first = None
            if first != list(COLUMNS):
                raise InputError(
                    f"{self.path}: not a tag output (its first row is not {','.join(COLUMNS)}); cannot resume it"
                )
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
                    add_id(self.ids, fields[0])
                    self.failed += bool(fields[COLUMNS.index("error")])
            except csv.Error:
                pass
        self._truncate(_cut_torn_tail(self.path, good, self.done + 1, quoted=True))


class ParquetTagFile(TagFile):
    """Chunks go to `.NAME.parts/part-NNNNNN.parquet`, each written atomically; `close` joins them."""

    whole = False  # resumed from a finished output, at its name until a chunk follows it

    @property
    def parts(self) -> Path:
        return parts_folder(self.path)

    def _exists(self) -> bool:
        return self.parts.is_dir() or self.path.exists()

    def _start(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)
        # An earlier run's finished output (force) goes now, as a JSONL or CSV output is emptied: left beside this
        # run's parts, a resume could not tell it from the output this run's end joins from them.
        self.path.unlink(missing_ok=True)
        self.parts.mkdir()

    def _recover(self) -> None:
        import pyarrow.parquet as pq  # the parquet extra

        # A finished output stays where it is until a chunk follows it (`append`): a resume that is refused (inputs
        # changed) leaves it in place. Parts beside it are those it was joined from, left by a run stopped before it
        # removed them (a finished output of a run before it is removed when a run starts over).
        self.whole = self.path.exists()
        if self.whole:
            try:
                names = pq.ParquetFile(self.path).schema_arrow.names
            except Exception:  # pyarrow raises several types for unreadable files
                names = None
            if names == list(COLUMNS_BEFORE_MODEL):
                raise ResumeError(f"{self.path}: cannot resume: {BEFORE_MODEL}")
            if names != list(COLUMNS):
                raise ResumeError(
                    f"{self.path}: cannot resume: not a Parquet tag output ({', '.join(COLUMNS)}); nothing was changed"
                )
        files = [self.path] if self.whole else self._part_files()
        for part in files:
            try:
                parquet = pq.ParquetFile(part)
                self.done += parquet.metadata.num_rows
            except Exception as exc:  # pyarrow raises several types for unreadable files
                raise InputError(
                    f"{part}: unreadable part of an interrupted run ({exc}); delete it to resume"
                ) from None
            if parquet.schema_arrow.names == list(COLUMNS_BEFORE_MODEL):
                raise ResumeError(f"{self.path}: cannot resume: {BEFORE_MODEL}")
        for part in files:  # one part at a time: memory stays that of a chunk
            table = pq.read_table(part, columns=["id", "error"])
            for doc_id, error in zip(table.column("id").to_pylist(), table.column("error").to_pylist()):
                add_id(self.ids, doc_id)
                self.last_id = doc_id
                self.failed += bool(error)

    def discard(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)

    def _part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet"))

    def append(self, payload, rows: int, last_id: str) -> None:
        import pyarrow.parquet as pq  # the parquet extra

        if self.whole:  # a finished output resumed: it becomes the first part, and the chunk follows it
            shutil.rmtree(self.parts, ignore_errors=True)
            self.parts.mkdir()
            os.replace(self.path, self.parts / "part-000000.parquet")
            self.whole = False
        number = len(self._part_files())
        with atomic_write(self.parts / f"part-{number:06d}.parquet", mode="wb") as handle:
            pq.write_table(payload, handle)
        self.done += rows
        self.last_id = last_id

    def close(self) -> None:
        import pyarrow.parquet as pq  # the parquet extra

        if self.whole:  # a finished output resumed and nothing added: it is the output as it is
            shutil.rmtree(self.parts, ignore_errors=True)
            return
        with atomic_write(self.path, mode="wb") as handle:
            with pq.ParquetWriter(handle, _arrow_schema()) as writer:
                for part in self._part_files():
                    parquet = pq.ParquetFile(part)
                    for group in range(parquet.num_row_groups):
                        # cast: parts of a run begun before the scores were float64 join the rest
                        writer.write_table(parquet.read_row_group(group).cast(_arrow_schema()))
        shutil.rmtree(self.parts, ignore_errors=True)


@contextlib.contextmanager
def _cells_of_any_size():
    """The csv module's limit on a cell (131,072 characters) lifted while a CSV output is read back, as the writer
    has none: a whole row with a longer id (from an id column) or scores (a taxonomy of thousands of fields) read as
    a row that is not a tag row, and the output could not be resumed. The limit is the process's: put back after."""
    previous = csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a C long, 32 bits on Windows
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv_fields(row: dict) -> list[str]:
    return [
        row["id"],
        ";".join(row["labels"]),
        json.dumps(row["scores"], ensure_ascii=False),
        row["error"],
        row["warning"],
        row["flag"],
        row["model"],
    ]


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
    import pyarrow as pa  # the parquet extra

    return pa.schema(
        [
            ("id", pa.string()),
            ("labels", pa.list_(pa.string())),
            # float64: the scores JSONL and CSV write, rounded to four places, read back as the same numbers
            # (as float32, 0.1028 read back as 0.10279999673366547, under a threshold of 0.1028)
            ("scores", pa.map_(pa.string(), pa.float64())),
            ("error", pa.string()),
            ("warning", pa.string()),
            ("flag", pa.string()),
            ("model", pa.string()),
        ]
    )
