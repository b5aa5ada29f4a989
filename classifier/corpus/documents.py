"""Read documents, labelled or not, from text files, directories, globs and JSONL/CSV/Parquet tables."""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import glob as globlib
import io
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from classifier.corpus.globbing import glob_paths, would_match
from classifier.corpus.release import (
    Release,
    nul_as_space,
    one_plain_line,
    parse_release,
    valid_text,
    without_format_characters,
)
from classifier.errors import ClassifierError, UsageError
from classifier.io.csvtable import csv_delimiter, csv_encoding, read_csv_records
from classifier.io.formats import MissingExtraError, is_missing, is_pandas_table, require_pyarrow, table_format
from classifier.io.jsonl import JsonInt, frozen_instance, read_json_lines
from classifier.io.textio import (
    MAX_TEXT_ENV,
    NOT_REGULAR,
    InputError,
    decode_text,
    max_text_chars,
    one_line,
    open_regular,
    read_text_file,
    text_lines,
    utf8_stream,
)
from classifier.options import GLOB_SEPARATOR, whole_number
from classifier.taxonomy.fields import Taxonomy, default_taxonomy

DEFAULT_GLOB = "*.txt"
STDIN = "-"
STDIN_NAME = "<stdin>"  # how messages and output rows name standard input
BLANK_LINE = "blank line"
LABEL_SEPARATOR = ";"  # between the labels of a table's cell that holds text, not a list


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
    # Its labels cell holds no field names (an object, true, 0.5): refused where labels are read (training,
    # evaluation), passed over where they are not (tagging, suggesting), as any column no command reads is.
    labels_error: str | None = None

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

    def __post_init__(self) -> None:
        for name in ("id", "title", "text", "labels"):
            value = getattr(self, name)
            if not isinstance(value, str):  # a number would fail deep in reading a table, an AttributeError
                raise TypeError(f"Columns({name}=...) takes a column's name as a str, not {type(value).__name__}")


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
    # The error or warning concerns a whole input (missing, not a file, unreadable table, a table piped to
    # standard input), not one document: it is said on stderr too.
    whole_input: bool = False


def as_inputs(inputs) -> list:
    """The inputs as a list: one path (a str, bytes or path object) is one input, not a sequence of characters
    (each a file name, and "/" a walk of the whole disk). What holds no paths (a pandas DataFrame, whose column names
    would be taken for file names; documents; numbers) is a TypeError saying what to pass instead."""
    if isinstance(inputs, bytes):
        return [os.fsdecode(inputs)]
    if isinstance(inputs, (str, os.PathLike)):
        return [inputs]
    kind = type(inputs)
    if is_pandas_table(inputs) and kind.__name__ == "DataFrame":  # a Series gives its values: paths, perhaps
        raise TypeError(
            f"inputs is a pandas {kind.__name__}, not paths of files, folders or globs: to suggest fields for its rows "
            "use Model.tag_frame; to train or evaluate on it, write it to a JSONL file first "
            "(frame.to_json(path, orient='records', lines=True)) and give that path"
        )
    if not isinstance(inputs, Iterable):
        raise TypeError(f"inputs is {kind.__name__}: expected paths of files, folders or globs (a list of str or Path)")
    inputs = list(inputs)
    for i, item in enumerate(inputs):
        if not isinstance(item, (str, bytes, os.PathLike)):
            hint = " (documents are scored by Model.suggest_documents)" if hasattr(item, "model_text") else ""
            raise TypeError(f"inputs[{i}] is {type(item).__name__}, not the path of a file, folder or glob{hint}")
    return [os.fsdecode(item) if isinstance(item, bytes) else item for item in inputs]


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
    for doc in reported(read_documents(inputs, columns, glob), on_problem):
        if doc.error:
            failed += 1
        else:
            documents.append(doc)
    return documents, failed


def reported(documents: Iterable[Document], on_problem: Callable[[str, str], None] | None) -> Iterator[Document]:
    """Every document, after `on_problem(kind, message)` has heard it if it failed ("error") or was read only in
    part ("warning")."""
    for doc in documents:
        if on_problem and (doc.error or doc.warning):
            on_problem("error" if doc.error else "warning", doc.error or doc.warning)
        yield doc


def read_releases(
    inputs: Sequence[str | Path], glob: str = DEFAULT_GLOB
) -> Iterator[tuple[str, Release | None, str | None]]:
    """(origin, parsed release, problem) for every page of `inputs`, read as `read_records` reads them: the
    release is None when the page could not be read (the problem is the error), and the problem is a
    warning when the text was cut at the limit. A table row is parsed from its title and text."""
    for record in read_records(inputs, glob=glob):
        document = to_document(record) if record.row is not None else None
        error = record.error or (document.error if document is not None else None)
        if error:  # the input or the row (a cell that is not text, say) could not be read
            yield record.origin, None, error
            continue
        page = record.page if document is None else document.model_text
        yield record.origin, parse_release(page or ""), record.warning


def read_records(
    inputs: Sequence[str | Path],
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    max_chars: int | None = None,
) -> Iterator[Record]:
    """Every record of every input, in order, unparsed; the ids are those `to_document` gives."""
    limit = _max_chars(max_chars)
    check_named_columns(inputs, columns, glob)
    for path, kind in expand_inputs(inputs, glob):
        if kind == "missing":
            yield Record(str(path), str(path), error=f"{path}: no such file or directory", whole_input=True)
        elif kind == "unmatched":
            shown = " or ".join(glob_patterns(glob))
            yield Record(
                str(path), str(path), error=f"{path}: a folder with no file matching {shown}", whole_input=True
            )
        elif kind == "special":
            yield Record(str(path), str(path), error=f"{path}: {NOT_REGULAR}", whole_input=True)
        elif kind == "unreadable":
            yield Record(
                str(path), str(path), error=f"{path}: cannot read the folder ({_listing_error(path)})", whole_input=True
            )
        elif kind == "stdin":
            yield _read_stdin(columns, limit)
        elif kind == "text":
            try:
                text, cut, note = read_text_file(path, limit)
                yield Record(str(path), str(path), page=text, warning=_warnings(note, path, limit, cut))
            except InputError as exc:  # the whole file (empty, binary, unreadable): said on stderr too
                yield Record(str(path), str(path), error=str(exc), whole_input=True)
        else:
            yield from _read_table(Path(path), kind, columns, limit)


def _read_stdin(columns: Columns, limit: int) -> Record:
    """Standard input as one text; when it plainly is a table, it is still one text, but said to be on stderr
    (`whole_input`) and in its row, so that a piped table does not silently become one document."""
    try:
        text, cut, note = decode_text(sys.stdin.buffer, STDIN_NAME, limit)
    except InputError as exc:
        return Record(STDIN_NAME, STDIN_NAME, error=str(exc))
    if not text or text.isspace():  # refused as a blank file is, for every command (`parse` printed an empty release)
        return Record(STDIN_NAME, STDIN_NAME, error=f"{STDIN_NAME}: no text")
    warning = _warnings(note, STDIN_NAME, limit, cut)
    table = table_shape(text, columns, cut)
    if table is None:
        return Record(STDIN_NAME, STDIN_NAME, page=text, warning=warning)
    said = (
        f"{STDIN_NAME}: standard input looks like a {table} table; it is read as one text. "
        f"Save it as a .{table.lower()} file and name that file to read its rows"
    )
    return Record(STDIN_NAME, STDIN_NAME, page=text, warning="; ".join(filter(None, [said, warning])), whole_input=True)


def table_shape(text: str, columns: Columns = Columns(), cut: bool = False) -> str | None:
    """ "JSONL" when the text's lines (two or more; the first 100, the last left out when the text was cut) are each
    a JSON object, "CSV" when its first line is a CSV header naming the title or text column, with rows below it;
    else None: a text that merely quotes a line of JSON or starts with a word like "Title" is a text."""
    lines = [line for line in text.splitlines() if line.strip()]
    head = lines[:100] if not cut or len(lines) > 100 else lines[:-1]
    if len(head) >= 2 and all(_is_json_object(line) for line in head):
        return "JSONL"
    if len(lines) >= 2 and len(lines[0]) <= _HEADER_CHARS:  # a header is short; csv refuses cells over 128 KiB
        delimiter = csv_delimiter(io.BytesIO(lines[0].encode("utf-8")))
        header = [cell.strip() for cell in next(csv.reader([lines[0]], delimiter=delimiter), [])]
        # Column names, not words of a sentence that happens to start with "text," or "title;".
        named = len(header) >= 2 and all(_COLUMN_NAME.fullmatch(cell) for cell in header)
        if named and {columns.title, columns.text} & set(header):
            return "CSV"
    return None


_HEADER_CHARS = 10_000
_COLUMN_NAME = re.compile(r"[\w.-]{1,100}")


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(_loads(line), dict)
    except ValueError:
        return False


def _warnings(note: str | None, name, limit: int, cut: bool) -> str | None:
    """A document's warnings: how its file was decoded, if not as UTF-8, and where it was cut, if it was."""
    return "; ".join(filter(None, [note, cut_warning(name, limit) if cut else None])) or None


def _listing_error(folder: str) -> str:
    try:
        os.listdir(folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    return "it could not be listed during the walk"


def count_records(inputs: Sequence[str | Path], columns: Columns = Columns(), glob: str = DEFAULT_GLOB) -> int | None:
    """How many records `read_records` will yield, for a progress bar's total; None when standard input is
    among the inputs (counting would consume it). Cheaper than reading: a JSONL line is counted, not parsed."""
    total = 0
    for path, kind in expand_inputs(inputs, glob):
        if kind == "stdin":
            return None
        if kind == "jsonl":
            try:
                with open_regular(path) as handle:
                    # an empty file is read as one record, its error
                    total += max(1, sum(1 for line in utf8_stream(handle) if line.strip()))
            except (InputError, OSError):
                total += 1  # read_records yields the one error
        elif kind in ("csv", "parquet"):
            total += sum(1 for _ in _read_table(Path(path), kind, columns, max_text_chars()))
        else:
            total += 1
    return total


def _max_chars(max_chars: int | None) -> int:
    """The characters a text is cut at: `max_chars`, or CLASSIFIER_MAX_TEXT where it is None or 0."""
    count = None if max_chars is None else whole_number(max_chars)
    if max_chars is not None and (count is None or count < 0):
        raise ValueError(f"max_chars {max_chars!r}: expected a whole number of characters (0 or None: the default)")
    return count or max_text_chars()


def read_line_records(inputs: Sequence[str | Path], max_chars: int | None = None) -> Iterator[Record]:
    """One record per line of each input (a text file, or `-` for standard input), as fastText's `predict`
    reads: the id is the line number, the origin `NAME:LINE`. Lines are read as they come (a pipe is
    answered line by line) and cut at `max_chars` characters (default: CLASSIFIER_MAX_TEXT). A blank line
    is a record whose error is `NAME:LINE: blank line` (see `is_blank_line`), so that an output can keep one
    row per input line."""
    inputs = as_inputs(inputs)
    limit = _max_chars(max_chars)
    for item in map(str, inputs):
        name = STDIN_NAME if item == STDIN else item
        try:
            stream = contextlib.nullcontext(sys.stdin.buffer) if item == STDIN else open_regular(item)
        except InputError as exc:
            yield Record(name, name, error=str(exc), whole_input=True)
            continue
        try:
            with stream as handle:
                for line in text_lines(utf8_stream(handle), name, limit):
                    origin = f"{name}:{line.number}"
                    if line.error or not line.text.strip():
                        yield Record(str(line.number), origin, error=line.error or f"{origin}: {BLANK_LINE}")
                    else:
                        warning = cut_warning(origin, limit) if line.cut else None
                        yield Record(str(line.number), origin, page=line.text, warning=warning)
        except OSError as exc:
            yield Record(name, name, error=f"{name}: cannot read: {exc.strerror or exc}", whole_input=True)


def is_blank_line(document: Document) -> bool:
    """Whether a document read by `read_line_records` is a blank line (reported, not a failure)."""
    return document.error == f"{document.origin}: {BLANK_LINE}"


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
    """(path, kind) for each file named, found in a directory (matching `glob`) or matched by a glob; a directory
    in which none matches is itself yielded, as "unmatched"."""
    inputs = as_inputs(inputs)
    for item in inputs:
        item = str(item)
        if item == STDIN:
            yield item, "stdin"
        elif os.path.isdir(item):
            found = False
            for path, unreadable in _walk(item, glob):
                found = True
                yield path, "unreadable" if unreadable else _kind(path)
            if not found:
                yield item, "unmatched"  # a folder holding no file the glob matches: said, not passed over
        elif os.path.exists(item) or os.path.islink(item):
            yield item, _kind(item)
        elif globlib.has_magic(item):
            matches = _glob_files(item)
            if not matches:
                yield item, "missing"
            for match in matches:
                yield match, _kind(match)
        else:
            yield item, "missing"


def _kind(path: str, default: str | None = None) -> str:
    """How to read an existing path: by its suffix, or "special" for a FIFO, device or socket, which is never opened."""
    try:
        mode = os.stat(path).st_mode  # stat never blocks, even on a FIFO
    except OSError:
        mode = None  # a dangling link or no permission: reading it reports why
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return "special"
    return default or table_format(path) or "text"


def find_input(path: str | Path, inputs: Iterable[str | Path], glob: str = DEFAULT_GLOB) -> str | None:
    """The input that names or would read `path` (the file itself, a glob matching it, or a directory
    holding it whose walk would reach it), else None: a job must not read its own output."""
    inputs = as_inputs(inputs)
    target = os.path.realpath(path)
    for item in inputs:
        item = str(item)
        if item == STDIN:
            continue
        if os.path.isdir(item):
            inside = os.path.commonpath([os.path.realpath(item), target]) == os.path.realpath(item)
            if inside and _matches(os.path.basename(target), _name_patterns(glob)):
                return item
        elif os.path.realpath(item) == target:
            return item
        elif globlib.has_magic(item) and (
            would_match(item, str(path)) or any(_same_file(m, target) for m in glob_paths(item))
        ):  # a new output its pattern would read, or a file it holds already
            return item
    return None


def _same_file(path: str, target: str) -> bool:
    """Whether `path` is the file whose real path is `target`: resolved only where it could be (the same name, or
    a link), since resolving every path of a large glob costs more than walking it."""
    if os.path.basename(path) != os.path.basename(target) and not os.path.islink(path):
        return False
    return os.path.realpath(path) == target


def check_not_an_input(output: str | Path, inputs: Iterable[str | Path], glob: str = DEFAULT_GLOB) -> None:
    """InputError, in one line, when writing `output` would replace one of `inputs` (`find_input`), --force or not."""
    clash = find_input(output, inputs, glob)
    if clash is not None:
        raise InputError(f"{output}: the output is also an input ({clash}); write it somewhere else")


def _walk(root: str, glob: str) -> Iterator[tuple[str, bool]]:
    """(path, False) for each file matching `glob` below `root`, and (folder, True) for each folder that cannot be
    listed (no permission), in the walk's order: a folder passed over is said, not lost."""
    # os.walk does not follow symlinked directories, so a symlink loop cannot trap the walk.
    unreadable: list[OSError] = []
    patterns = _name_patterns(glob)
    for directory, subdirs, files in os.walk(root, onerror=unreadable.append):
        while unreadable:
            yield unreadable.pop(0).filename, True
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and _matches(name, patterns):
                yield os.path.join(directory, name), False
    for error in unreadable:
        yield error.filename, True


def glob_patterns(glob: str | Sequence[str] | None) -> list[str]:
    """The file name patterns of `glob`: one, several joined by GLOB_SEPARATOR (`--glob` repeated), or a list or
    tuple of them, as a Python caller writes them; None is DEFAULT_GLOB. Anything else is a TypeError."""
    if glob is None:
        return [DEFAULT_GLOB]
    patterns = glob.split(GLOB_SEPARATOR) if isinstance(glob, str) else glob
    if not isinstance(patterns, (list, tuple)) or not all(isinstance(pattern, str) for pattern in patterns):
        raise TypeError(f"glob is {glob!r}: expected a file name pattern such as '*.txt', or a list of them")
    return list(patterns)


def _name_patterns(glob: str | Sequence[str] | None) -> list[str]:
    """`glob_patterns` in lower case, as `_matches` takes them: found once per walk, not once per file."""
    return [pattern.lower() for pattern in glob_patterns(glob)]


def _matches(name: str, patterns: list[str]) -> bool:
    """Whether a file name matches one of `patterns` (`_name_patterns`), in any case: a folder exported on Windows
    names its files `REPORT.TXT` as often as `report.txt`, and fnmatch would ignore case there only."""
    name = name.lower()
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _glob_files(pattern: str) -> list[str]:
    """The files a glob matches, sorted, each once even through a symlink loop (`glob_paths`)."""
    return [path for path in glob_paths(pattern) if not os.path.isdir(path)]


def _failed(origin: str, message: str, doc_id: str | None = None) -> Document:
    return Document(id=doc_id or origin, origin=origin, error=message)


def _from_page(
    doc_id: str,
    page: str,
    origin: str,
    title: str = "",
    labels: tuple[str, ...] | None = None,
    warning: str | None = None,
) -> Document:
    plain = one_plain_line(page)
    if plain:  # most table rows: the body parsing would give, and no header, title or fields
        return frozen_instance(
            Document,
            id=doc_id,
            title=title,
            text=plain,
            labels=labels,
            origin=origin,
            error=None,
            warning=warning,
            labels_error=None,
        )
    release = parse_release(page, plain_title=not title)
    body = release.body
    if not (title or release.title) and not body.strip():  # a cut that left only menus says it was the cut
        cut = f" before its {warning.removeprefix(f'{origin}: ')}" if warning else ""
        return _failed(origin, f"{origin}: no text{cut}", doc_id)
    if labels is None and (release.fields or release.unknown_fields):
        labels = release.fields + release.unknown_fields
    return Document(id=doc_id, title=title or release.title, text=body, labels=labels, origin=origin, warning=warning)


def _read_table(path: Path, kind: str, columns: Columns, limit: int) -> Iterator[Record]:
    try:
        rows = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[kind](path, columns, limit)
        for origin, row, cut in rows:
            if isinstance(row, str):
                yield Record(origin, origin, error=row)
            else:
                note = row.pop(_NOTE, None)
                doc_id = row.get(columns.id)
                if isinstance(doc_id, (bool, list, dict)):  # str() would make up an id such as "True" or "['1', '2']"
                    held = _kind_of(doc_id)
                    yield Record(
                        origin, origin, error=f"{origin}: column '{columns.id}' holds {held}, not text or a number"
                    )
                    continue
                doc_id = valid_text(str(doc_id)) if doc_id not in (None, "") else origin
                warning = _warnings(note, origin, limit, cut) if note or cut else None
                yield frozen_instance(
                    Record, id=doc_id, origin=origin, page=None, row=row, error=None, warning=warning, whole_input=False
                )
    except InputError as exc:
        yield Record(str(path), str(path), error=str(exc), whole_input=True)


def _from_row(row: dict, doc_id: str, origin: str, columns: Columns, warning: str | None = None) -> Document:
    title = row.get(columns.title)
    text = row.get(columns.text)
    for name, value in ((columns.title, title), (columns.text, text)):
        if value is not None and (not isinstance(value, str) or isinstance(value, JsonInt)):
            return Document(
                id=doc_id, origin=origin, error=f"{origin}: column '{name}' holds {_kind_of(value)}, not text"
            )
    title = without_format_characters(nul_as_space(valid_text(title))).strip() if title else ""  # as the text's are
    text = valid_text(text) if text else ""
    labels, labels_error = None, None
    try:
        labels = _labels_value(row.get(columns.labels))  # a missing cell is None: unlabelled
    except ValueError as exc:
        labels_error = f"{origin}: column '{columns.labels}' holds {exc}, not field names"
    if text.strip():
        doc = _from_page(doc_id, text, origin, title=title, labels=labels, warning=warning)
    elif title:
        doc = Document(id=doc_id, title=title, labels=labels, origin=origin, warning=warning)
    else:
        return Document(id=doc_id, origin=origin, error=f"{origin}: no text in column '{columns.text}'")
    return replace(doc, labels_error=labels_error) if labels_error and not doc.error else doc


def _kind_of(value) -> str:
    if isinstance(value, (bool, int, float, JsonInt)):
        return "a boolean" if isinstance(value, bool) else "a number"
    if isinstance(value, dict):  # a dict, or an object of a JSON line that gave a key twice
        return "an object"
    return {list: "a list"}.get(type(value), type(value).__name__)


def _loads(data: str | bytes):
    """json.loads that keeps integers as their digits (no int() limit to hit) and fails only with ValueError."""
    try:
        return json.loads(data, parse_int=str)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _labels_value(value) -> tuple[str, ...] | None:
    """The field names of a row's labels cell: a list, a JSON list in a string, or names joined by `;`; None when
    it is empty (None, NaN or pandas' NA: a missing cell). ValueError, saying what it holds, for a cell that is no
    field names (an object, whose keys are not a list of fields; true or false; a number with a fraction). A whole
    number (3, or 3.0 as a column with gaps holds it) is a field's notation, as a JSON line's number is read."""
    if is_missing(value):
        return None
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        value = value.item()  # a Parquet or pandas cell's numpy scalar, as the Python value it holds
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (bool, float, dict)):
        raise ValueError(_kind_of(value))
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            try:
                value = _loads(value)
            except ValueError:
                value = [value]
        else:
            value = [part for part in value.split(LABEL_SEPARATOR)]
    try:
        labels = tuple(valid_text(str(label).strip()) for label in value if str(label).strip())
    except TypeError:
        return None
    return labels


# Each table reader yields (origin, row as a dict or an error message, whether a cell was cut).
TableRows = Iterator[tuple[str, "dict | str", bool]]


def _open_binary(path: Path):
    return open_regular(path)


def _jsonl_rows(path: Path, columns: Columns, limit: int) -> TableRows:
    line = None
    with _open_binary(path) as handle:
        for line in read_json_lines(utf8_stream(handle), limit):
            origin = f"{path}:{line.number}"
            yield origin, f"{origin}: {line.error}" if line.error else line.value, line.truncated
    if line is None:  # as an empty text file is: an input that yields no document is said, not passed over
        raise InputError(f"{path}: empty file")


def _csv_records(file, limit: int) -> tuple[Iterator, str]:
    """A CSV file's records and the encoding they were read in: a UTF-16 file as UTF-8, with the rows and lines of its
    UTF-8 twin; any other by `csv_encoding`, its delimiter by its header."""
    handle = utf8_stream(file)
    encoding = "utf-8" if handle is not file else csv_encoding(handle)
    return read_csv_records(handle, limit, encoding, csv_delimiter(handle, encoding)), encoding


def _csv_rows(path: Path, columns: Columns, limit: int) -> TableRows:
    with _open_binary(path) as file:
        records, encoding = _csv_records(file, limit)
        names = _csv_header(path, records)
        _check_columns(path, names, columns)
        _check_unique(path, names)
        note = None if encoding == "utf-8" else f"{path}: not UTF-8; read as {ENCODING_NAMES[encoding]}"
        record = None
        for record in records:
            origin = f"{path}:{record.line}"
            if record.error:
                yield origin, f"{origin}: {record.error}", False
                continue
            row = dict(zip(names, record.cells))
            if note:  # told once, with the first row
                row[_NOTE], note = note, None
            yield origin, row, record.truncated
        if record is None:
            raise InputError(f"{path}: no rows below the header")


def _csv_header(path: Path, records: Iterator) -> list[str]:
    """The column names of a CSV file, its first record; InputError for none, a malformed one, or one holding NUL
    bytes, which no header of text has (a UTF-16 file without its byte-order mark, or binary data)."""
    header = next(records, None)
    if header is None:
        raise InputError(f"{path}: empty file")
    if header.cells is None:
        raise InputError(f"{path}:{header.line}: {header.error}")
    if any("\x00" in name for name in header.cells):
        raise InputError(
            f"{path}: NUL bytes in its header, not a CSV of text: binary data, or UTF-16 without its byte-order mark "
            "(save it as UTF-8)"
        )
    return header.cells


ENCODING_NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}
_NOTE = "\0note"  # a key no header can have: a warning about the whole file, carried by its first row


def _check_unique(path: Path, names: list[str]) -> None:
    seen: dict[str, int] = {}
    for number, name in enumerate(names, 1):
        if name in seen:
            raise InputError(
                f"{path}: column '{one_line(name)}' appears twice in the header (columns {seen[name]} and {number}); "
                "rename one, so no values are silently dropped"
            )
        seen[name] = number


SAMPLE_ROWS = 1000


def check_named_columns(inputs, columns: Columns, glob: str = DEFAULT_GLOB) -> None:
    """UsageError if a column named by an option (not a default) is in no table input: today every row
    would silently lose it (a wrong --text-column tags each row from its title alone). JSONL has no
    header, so its first SAMPLE_ROWS rows stand for it."""
    options = {"--text-column": (columns.text, "text"), "--title-column": (columns.title, "title")}
    options |= {"--id-column": (columns.id, "id")}
    named = {name: option for option, (name, default) in options.items() if name != default}
    for path, _, name, seen in tables_without(inputs, list(named), glob):
        raise missing_column(path, name, named[name], seen)


def missing_column(path: str, name: str, option: str, seen: str) -> UsageError:
    """The usage error of a column named by `option` that no row of the table at `path` has (`seen`: its columns)."""
    return UsageError(f"{path}: no row has the column '{one_line(name)}' named by {option} (columns: {seen})")


def tables_without(inputs, names: list[str], glob: str = DEFAULT_GLOB) -> Iterator[tuple[str, str, str, str]]:
    """(table, its kind, name, its columns shown) for each of `names` that no row of a table input has (of a JSONL
    file, none of its first SAMPLE_ROWS rows)."""
    if not names:
        return
    for path, kind in expand_inputs(as_inputs(inputs), glob):
        if kind not in ("jsonl", "csv", "parquet"):
            continue
        try:
            seen = _column_names(Path(path), kind)
        except (InputError, OSError, UnicodeDecodeError):
            continue  # reading it reports what is wrong
        if seen is None:
            continue
        shown = ", ".join(one_line(n, 40) for n in list(seen)[:20]) or "none"
        for name in names:
            if name not in seen:
                yield str(path), kind, name, shown


def _column_names(path: Path, kind: str) -> dict | None:
    """The column names of a table (for JSONL, the keys of its first rows); None when it has no rows."""
    with open_regular(path) as file:
        if kind == "csv":
            try:
                return dict.fromkeys(_csv_header(path, _csv_records(file, 1000)[0]))
            except InputError:
                return None  # reading it says what is wrong
        if kind == "parquet":
            import pyarrow.parquet as pq  # the parquet extra

            try:
                return dict.fromkeys(pq.ParquetFile(file).schema_arrow.names)
            except Exception:  # pyarrow raises several types for unreadable files
                return None
        seen: dict = {}
        rows = 0
        for line in read_json_lines(utf8_stream(file), 1 << 16):
            if line.value is not None:
                seen.update(dict.fromkeys(line.value))
                rows += 1
                if rows >= SAMPLE_ROWS:
                    break
        return seen if rows else None


def _check_columns(path: Path, names: list[str], columns: Columns) -> None:
    if columns.text not in names and columns.title not in names:
        raise InputError(f"{path}: no column '{columns.text}' (columns: {', '.join(one_line(name) for name in names)})")


def _parquet_rows(path: Path, columns: Columns, limit: int) -> TableRows:
    try:
        require_pyarrow(str(path))
    except MissingExtraError as exc:
        raise InputError(str(exc)) from None
    import pyarrow as pa  # the parquet extra
    import pyarrow.compute as pc  # the parquet extra
    import pyarrow.parquet as pq  # the parquet extra

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
        return
    if not row_number:
        raise InputError(f"{path}: no rows")


def _unknown_label_hint(spelling: str, taxonomy: Taxonomy) -> str:
    """Why a spelling is no field: several fields joined by commas (a spreadsheet's habit) get the separator to use
    instead, as the closest field would name only one of them; any other spelling gets the closest field."""
    parts = [part.strip() for part in spelling.split(",") if part.strip()]
    if len(parts) > 1 and all(taxonomy.resolve(part) for part in parts):
        joined = one_line(f"{LABEL_SEPARATOR} ".join(parts))
        return f"(several fields: labels in a cell are separated by '{LABEL_SEPARATOR}', as in '{joined}', or listed)"
    return f"(closest field: '{taxonomy.closest(spelling)}')"


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
                    f"{doc.origin}: unknown label '{one_line(spelling)}' {_unknown_label_hint(spelling, taxonomy)}"
                )
            elif label not in names:
                names.append(label)
        resolved.append(tuple(names))
    if problems:
        raise UnknownLabelsError(problems)
    return resolved


def spelled_once(path, relative_outside: bool = False) -> str:
    """A file as a bundle (in its documents' origins, its list of files, its base) and the review queue (in its
    documents' ids and origins) record it: the same however its path was written (`base.jsonl`, `./base.jsonl`, its
    absolute path), so that the same data and seed give the same bundle, hash included; relative to the working
    folder where it is in it, so that no one's folders above it are recorded. A file outside it is recorded whole,
    or with `relative_outside` from the working folder too (`../data/a.txt`: the queue's answers name no folder of
    the server's). Only what is recorded is spelled so: files are read, and named in errors, as the user wrote
    them."""
    absolute, here = os.path.abspath(path), os.getcwd()
    if os.path.commonpath([absolute, here]) == here:
        return os.path.relpath(absolute, here)
    # Typed through a symlink to the working folder ($PWD, where getcwd() gives the folder it points to).
    # Only its folder resolved: a file that is itself a link to elsewhere is still the one in the working folder.
    real = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))
    real_here = os.path.realpath(here)
    if os.path.commonpath([real, real_here]) == real_here:
        return os.path.relpath(real, real_here)
    return os.path.relpath(absolute, here) if relative_outside else absolute


def recorded_paths(inputs, glob: str, base=None, relative_outside: bool = False) -> Callable[[str], str]:
    """A function from a file or a document's origin as read (`NAME`, `NAME:LINE`, `NAME:row N`, NAME as the walk of
    `inputs` spelled it; a base document's `ORIGIN (in BASE)`) to the same with the file's name, or the base's,
    spelled once (`spelled_once`, with `relative_outside`); anything else unchanged."""
    spelled = {
        name: spelled_once(name, relative_outside) for name, kind in expand_inputs(inputs, glob) if kind != "stdin"
    }
    note = f" (in {Path(base)})" if base is not None else None  # as read_base_documents writes it

    def recorded(origin: str) -> str:
        if note is not None and origin.endswith(note):  # a base document's, its own origin recorded already
            return origin.removesuffix(note) + f" (in {spelled_once(base)})"
        if origin in spelled:
            return spelled[origin]
        name, colon, where = origin.rpartition(":")  # what follows a file's name (a line, a row) holds no colon
        return spelled[name] + colon + where if name in spelled else origin

    return recorded


def recorded_document(doc: Document, recorded: Callable[[str], str]) -> Document:
    """`doc` as a bundle stores it and the review queue names it: its origin's file spelled once, and so its id where
    the id is its origin (a page file's)."""
    origin = recorded(doc.origin)
    if origin == doc.origin:
        return doc
    return replace(doc, origin=origin, id=origin if doc.id == doc.origin else doc.id)
