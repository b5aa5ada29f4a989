"""Read documents, labelled or not, from text files, directories, globs and JSONL/CSV/Parquet tables."""

from __future__ import annotations

import fnmatch
import glob as globlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.io.csvtable import read_csv_records
from classifier.io.jsonl import read_json_lines
from classifier.corpus.release import Release, parse_release
from classifier.taxonomy.fields import Taxonomy, default_taxonomy
from classifier.io.formats import table_format
from classifier.io.textio import MAX_TEXT_ENV, InputError, decode_head, max_text_chars, one_line, read_text_head
from classifier.errors import ClassifierError

DEFAULT_GLOB = "*.txt"
STDIN = "-"
STDIN_NAME = "<stdin>"  # how messages and output rows name standard input


@dataclass(frozen=True)
class Document:
    """One document as the model sees it; `labels` holds the spellings found in the input."""

    id: str
    title: str = ""
    text: str = ""
    labels: tuple[str, ...] | None = None
    origin: str = ""
    error: str | None = None
    warning: str | None = None  # the document was read, but not whole (its text was cut at the limit)

    @property
    def model_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Columns:
    """Column names of a table input."""

    id: str = "id"
    title: str = "title"
    text: str = "text"
    labels: str = "labels"


class UnknownLabelsError(ClassifierError, ValueError):
    """Labels not in the taxonomy; one line per unknown label with its place and the closest field."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Record:
    """One document as read, before parsing: a page's text or a table row, or the reason it failed.

    Reading records is cheap I/O; turning them into documents (`to_document`) parses pages, so a batch
    job can read in one process and parse in many.
    """

    id: str
    origin: str
    page: str | None = None
    row: dict | None = None
    error: str | None = None
    warning: str | None = None


def read_documents(
    inputs: Sequence[str | Path],
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    max_chars: int | None = None,
) -> Iterator[Document]:
    """Every document of every input, in order. A document that cannot be read is yielded with `error` set.

    A file, standard input or table cell longer than `max_chars` characters (default: `max_text_chars()`,
    set by CLASSIFIER_MAX_TEXT) is cut there and its document carries a `warning`; no more than that
    is read into memory, however large the input.
    """
    for record in read_records(inputs, columns, glob, max_chars):
        yield to_document(record, columns)


def read_readable_documents(
    inputs: Sequence[str | Path],
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    on_problem: Callable[[str, str], None] | None = None,
) -> tuple[list[Document], int]:
    """The documents of `inputs` that could be read, and how many could not.

    `on_problem(kind, message)` hears each document that failed ("error") and each one read only in part
    ("warning": its text was cut at the CLASSIFIER_MAX_TEXT limit), in input order.
    """
    documents, failed = [], 0
    for doc in read_documents(inputs, columns, glob):
        if doc.error:
            failed += 1
        else:
            documents.append(doc)
        if on_problem and (doc.error or doc.warning):
            on_problem("error" if doc.error else "warning", doc.error or doc.warning)
    return documents, failed


def read_releases(inputs: Sequence[str | Path], glob: str = DEFAULT_GLOB) -> Iterator[tuple[str, Release | None, str | None]]:
    """(origin, parsed release, problem) for every page of `inputs`, read as `read_records` reads them: the
    release is None when the page could not be read (the problem is the error), and the problem is a
    warning when the text was cut at the limit. A table row is parsed from its title and text."""
    for record in read_records(inputs, glob=glob):
        if record.error:
            yield record.origin, None, record.error
            continue
        page = record.page if record.row is None else to_document(record).model_text
        yield record.origin, parse_release(page or ""), record.warning


def read_records(
    inputs: Sequence[str | Path],
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    max_chars: int | None = None,
) -> Iterator[Record]:
    """Every record of every input, in order, unparsed; the ids are those `to_document` gives."""
    limit = max_chars or max_text_chars()
    for path, kind in expand_inputs(inputs, glob):
        if kind == "missing":
            yield Record(str(path), str(path), error=f"{path}: no such file or directory")
        elif kind == "stdin":
            try:
                text, cut = decode_head(sys.stdin.buffer, STDIN_NAME, limit)
                yield Record(STDIN_NAME, STDIN_NAME, page=text, warning=cut_warning(STDIN_NAME, limit) if cut else None)
            except InputError as exc:
                yield Record(STDIN_NAME, STDIN_NAME, error=str(exc))
        elif kind == "text":
            try:
                text, cut = read_text_head(path, limit)
                yield Record(str(path), str(path), page=text, warning=cut_warning(path, limit) if cut else None)
            except InputError as exc:
                yield Record(str(path), str(path), error=str(exc))
        else:
            yield from _read_table(Path(path), kind, columns, limit)


def cut_warning(origin, limit: int) -> str:
    """The warning a document carries when its text was cut at `limit` characters."""
    return f"{origin}: text cut at {limit:,} characters (the {MAX_TEXT_ENV} limit)"


def to_document(record: Record, columns: Columns = Columns()) -> Document:
    """The document a record holds: pages are parsed, so navigation menus never reach the model."""
    if record.error:
        return _failed(record.origin, record.error, record.id)
    if record.row is not None:
        return _from_row(record.row, record.id, record.origin, columns, record.warning)
    return _from_page(record.id, record.page or "", record.origin, warning=record.warning)


def expand_inputs(inputs: Iterable[str | Path], glob: str = DEFAULT_GLOB) -> Iterator[tuple[str, str]]:
    """(path, kind) for each file named, found in a directory (matching `glob`) or matched by a glob."""
    for item in inputs:
        item = str(item)
        if item == STDIN:
            yield item, "stdin"
        elif os.path.isdir(item):
            for path in _walk(item, glob):
                yield path, "text"
        elif os.path.exists(item) or os.path.islink(item):
            yield item, table_format(item) or "text"
        elif globlib.has_magic(item):
            matches = sorted(globlib.glob(item, recursive=True))
            if not matches:
                yield item, "missing"
            for match in matches:
                if os.path.isfile(match):
                    yield match, table_format(match) or "text"
        else:
            yield item, "missing"


def find_input(path: str | Path, inputs: Iterable[str | Path], glob: str = DEFAULT_GLOB) -> str | None:
    """The input that names or would read `path` (the file itself, a glob matching it, or a directory
    holding it whose walk would reach it), else None: a job must not read its own output."""
    target = os.path.realpath(path)
    for item in inputs:
        item = str(item)
        if item == STDIN:
            continue
        if os.path.isdir(item):
            inside = os.path.commonpath([os.path.realpath(item), target]) == os.path.realpath(item)
            if inside and fnmatch.fnmatch(os.path.basename(target), glob):
                return item
        elif os.path.realpath(item) == target:
            return item
        elif globlib.has_magic(item) and any(os.path.realpath(m) == target for m in globlib.iglob(item, recursive=True)):
            return item
    return None


def _walk(root: str, glob: str) -> Iterator[str]:
    # os.walk does not follow symlinked directories, so a symlink loop cannot trap the walk.
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and fnmatch.fnmatch(name, glob):
                yield os.path.join(directory, name)


def _failed(origin: str, message: str, doc_id: str | None = None) -> Document:
    return Document(id=doc_id or origin, origin=origin, error=message)


def _from_page(
    doc_id: str, page: str, origin: str, title: str = "", labels: tuple[str, ...] | None = None, warning: str | None = None
) -> Document:
    release = parse_release(page, plain_title=not title)
    body = release.body
    if not (title or release.title) and not body.strip():
        return _failed(origin, f"{origin}: no text")
    if labels is None and (release.fields or release.unknown_fields):
        labels = release.fields + release.unknown_fields
    return Document(
        id=doc_id, title=title or release.title, text=body, labels=labels, origin=origin, warning=warning
    )


def _read_table(path: Path, kind: str, columns: Columns, limit: int) -> Iterator[Record]:
    try:
        rows = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[kind](path, columns, limit)
        for origin, row, cut in rows:
            if isinstance(row, str):
                yield Record(origin, origin, error=row)
            else:
                doc_id = row.get(columns.id)
                doc_id = _valid_text(str(doc_id)) if doc_id not in (None, "") else origin
                yield Record(doc_id, origin, row=row, warning=cut_warning(origin, limit) if cut else None)
    except InputError as exc:
        yield Record(str(path), str(path), error=str(exc))


def _from_row(row: dict, doc_id: str, origin: str, columns: Columns, warning: str | None = None) -> Document:
    title = row.get(columns.title)
    title = _valid_text(title.strip()) if isinstance(title, str) else ""
    text = row.get(columns.text)
    text = _valid_text(text) if isinstance(text, str) else ""
    labels = _labels_value(row.get(columns.labels)) if columns.labels in row else None
    if text.strip():
        return _from_page(doc_id, text, origin, title=title, labels=labels, warning=warning)
    if title:
        return Document(id=doc_id, title=title, labels=labels, origin=origin, warning=warning)
    return Document(id=doc_id, origin=origin, error=f"{origin}: no text in column '{columns.text}'")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(text: str) -> str:
    """JSON can carry lone surrogates ("\\ud800"), which no UTF-8 output can hold: they become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _loads(data: str | bytes):
    """json.loads that keeps integers as their digits (no int() limit to hit) and fails only with ValueError."""
    try:
        return json.loads(data, parse_int=str)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _labels_value(value) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            try:
                value = _loads(value)
            except ValueError:
                value = [value]
        else:
            value = [part for part in value.split(";")]
    try:
        labels = tuple(_valid_text(str(label).strip()) for label in value if str(label).strip())
    except TypeError:
        return None
    return labels


# Each table reader yields (origin, row as a dict or an error message, whether a cell was cut).
TableRows = Iterator[tuple[str, "dict | str", bool]]


def _open_binary(path: Path):
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _jsonl_rows(path: Path, columns: Columns, limit: int) -> TableRows:
    with _open_binary(path) as handle:
        for line in read_json_lines(handle, limit):
            origin = f"{path}:{line.number}"
            yield origin, f"{origin}: {line.error}" if line.error else line.value, line.truncated


def _csv_rows(path: Path, columns: Columns, limit: int) -> TableRows:
    with _open_binary(path) as handle:
        records = read_csv_records(handle, limit)
        header = next(records, None)
        if header is None:
            raise InputError(f"{path}: empty file")
        names = header.cells
        _check_columns(path, names, columns)
        for record in records:
            origin = f"{path}:{record.line}"
            yield origin, f"{origin}: {record.error}" if record.error else dict(zip(names, record.cells)), record.truncated


def _check_columns(path: Path, names: list[str], columns: Columns) -> None:
    if columns.text not in names and columns.title not in names:
        raise InputError(f"{path}: no column '{columns.text}' (columns: {', '.join(one_line(name) for name in names)})")


def _parquet_rows(path: Path, columns: Columns, limit: int) -> TableRows:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise InputError(f"{path}: not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    names = parquet.schema_arrow.names
    _check_columns(path, names, columns)
    wanted = [c for c in (columns.id, columns.title, columns.text, columns.labels) if c in names]
    row_number = 0
    try:
        # Small batches: Arrow holds a batch's cells whole, so a few huge ones must not share it with thousands more.
        for batch in parquet.iter_batches(columns=wanted, batch_size=256):
            cut = [False] * batch.num_rows
            arrays = []
            for column in batch.columns:
                if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                    # Cut in Arrow, before Python strings exist: a 50 MB cell never becomes a 50 MB str.
                    too_long = pc.fill_null(pc.greater(pc.utf8_length(column), limit), False).to_pylist()
                    if any(too_long):
                        cut = [a or b for a, b in zip(cut, too_long)]
                        column = pc.utf8_slice_codeunits(column, 0, limit)
                arrays.append(column)
            rows = pa.RecordBatch.from_arrays(arrays, names=batch.schema.names).to_pylist()
            for row, was_cut in zip(rows, cut):
                row_number += 1
                yield f"{path}:row {row_number}", row, was_cut
    except (OSError, pa.ArrowException) as exc:  # a file damaged after its footer: the rows read so far stand
        origin = f"{path}:row {row_number + 1}"
        yield origin, f"{origin}: unreadable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", False


def resolve_labels(documents: Sequence[Document], taxonomy: Taxonomy | None = None) -> list[tuple[str, ...]]:
    """Each document's labels as taxonomy names; UnknownLabelsError lists every unknown label."""
    taxonomy = taxonomy or default_taxonomy()
    resolved: list[tuple[str, ...]] = []
    problems: list[str] = []
    for doc in documents:
        names: list[str] = []
        for spelling in doc.labels or ():
            label = taxonomy.resolve(spelling)
            if label is None:
                problems.append(
                    f"{doc.origin}: unknown label '{one_line(spelling)}' (closest field: '{taxonomy.closest(spelling)}')"
                )
            elif label not in names:
                names.append(label)
        resolved.append(tuple(names))
    if problems:
        raise UnknownLabelsError(problems)
    return resolved
