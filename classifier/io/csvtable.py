"""Read CSV records in bounded memory: cells cut at a limit, each record with its line, a stray quote costing one row.

The csv module would keep a whole cell (or, after a stray quote, the rest of the file) in memory and
gives no way back once a quote has swallowed the rows after it. This reader follows the same rules
(RFC 4180 with the csv module's leniency: a quote inside an unquoted cell is text, text after a
closing quote is kept) and adds a few: a cell keeps at most `max_chars` characters and a record at most
ROW_BUDGET(max_chars) in all; a record of more than MAX_CELLS cells is reported and skipped at the speed
of a regular expression, not cell by cell; and a record that spans several lines but does not fit the
header is reported, then reading resumes on the line after the one where it began.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_BYTES = 1 << 16
MAX_CELLS = 10_000  # a document table has a handful of columns; a row of millions of commas is not one
_UNQUOTED_END = re.compile(r"[,\r\n]")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_SKIP_UNQUOTED = re.compile(r'[^"\r\n]*')  # past the cells of a record that has too many: to a quote or a line end


def row_budget(max_chars: int) -> int:
    """The most characters kept from one record, all cells together: ids, titles and labels are short, so
    four texts' worth is room enough for any real document row (as for a JSONL line)."""
    return 4 * max_chars + 65536


def csv_encoding(handle: BinaryIO) -> str:
    """The encoding of a CSV stream: UTF-8 if all of it decodes, else Windows-1252, else Latin-1; leaves it at the start.

    One pass of C decoding, so a Windows export is read as its author wrote it instead of with U+FFFD
    in place of every accent.
    """
    found = "utf-8"
    for encoding in ("utf-8", "cp1252"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            found = encoding
            break
        except UnicodeDecodeError:
            found = "latin-1"
    handle.seek(0)
    return found


@dataclass(frozen=True)
class CsvRecord:
    """One record: its first line, its cells (None when malformed) and why, and whether a cell was cut."""

    line: int
    cells: list[str] | None
    error: str | None = None
    truncated: bool = False


@dataclass
class _Raw:
    line: int
    offset: int  # where the piece holding the record's first character starts in the file
    index: int  # that character's position in the piece
    cells: list[str]
    truncated: bool
    lines: int  # how many lines the record spans
    quote_then_text: bool  # a closing quote followed by text: a stray quote, if the record spans lines
    unclosed: bool
    overflow: bool = False  # more than MAX_CELLS cells: the cells after those were not kept


def read_csv_records(handle: BinaryIO, max_chars: int, encoding: str = "utf-8") -> Iterator[CsvRecord]:
    """The header record first, then every data record, of a CSV stream (undecodable bytes become U+FFFD)."""
    header_width = None
    position = (0, 0, 1, False)
    while position is not None:
        resume = None
        for raw in _records(handle, *position, max_chars, encoding):
            if raw.overflow:
                yield CsvRecord(raw.line, None, f"malformed CSV: more than {MAX_CELLS:,} cells in one row; skipped")
                continue
            if header_width is None:
                header_width = len(raw.cells)
                yield CsvRecord(raw.line, raw.cells, truncated=raw.truncated)
                continue
            problem = _problem(raw, header_width)
            if problem is None:
                yield CsvRecord(raw.line, raw.cells, truncated=raw.truncated)
                continue
            if raw.lines > 1 or raw.unclosed:
                yield CsvRecord(raw.line, None, f"malformed CSV: {problem} (a stray quote?); reading resumes on the next line")
                resume = (raw.offset, raw.index, raw.line, True)
                break
            yield CsvRecord(raw.line, None, f"malformed CSV: {problem}")
        position = resume


def _problem(raw: _Raw, width: int) -> str | None:
    if raw.unclosed:
        return "a quoted cell opened on this line is never closed"
    if len(raw.cells) != width:
        return f"{len(raw.cells)} cells where the header has {width}"
    if raw.quote_then_text and raw.lines > 1:
        return "text follows a closing quote"
    return None


def _records(
    handle: BinaryIO, offset: int, index: int, line: int, skip_line: bool, max_chars: int, encoding: str = "utf-8"
) -> Iterator[_Raw]:
    """Records from byte `offset`, character `index` of the piece there; with `skip_line`, from the next line."""
    handle.seek(offset)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    piece_offset = next_offset = offset
    text = ""
    pos = 0
    first_piece = True
    cells: list[str] = []
    kept: list[str] = []
    room = max_chars
    row_room = row_budget(max_chars)
    overflow = False
    record = (line, offset, index)  # line, piece offset and index of the current record's first character
    lines = 1
    truncated = quote_then_text = False
    state = "skip" if skip_line else "record"

    def add(run: str) -> None:
        nonlocal room, row_room, truncated
        space = min(room, row_room)
        if space > 0:
            kept.append(run[:space])
            row_room -= min(len(run), space)
        if len(run) > space:
            truncated = True
        room -= len(run)

    def end_cell() -> None:
        nonlocal room, overflow
        if len(cells) < MAX_CELLS:
            cells.append("".join(kept))
        else:
            overflow = True
        kept.clear()
        room = max_chars

    def new_record() -> None:
        nonlocal cells, lines, truncated, quote_then_text, state, row_room, overflow
        cells, lines, truncated, quote_then_text, state = [], 1, False, False, "record"
        row_room, overflow = row_budget(max_chars), False

    while True:
        if pos >= len(text):
            data = handle.readline(CHUNK_BYTES)
            if not data:
                break
            ended_in_cr = text.endswith("\r")
            piece_offset, next_offset = next_offset, next_offset + len(data)
            text = decoder.decode(data)
            pos = 0
            if first_piece:
                pos, first_piece = index, False
                if piece_offset == 0 and text.startswith("\ufeff"):
                    text = text[1:]
            elif ended_in_cr and text.startswith("\n") and state in ("record", "skip"):
                pos = 1  # the second half of a \r\n split between two reads
            continue
        if state == "skip":
            match = _LINE_BREAK.search(text, pos)
            if match is None:
                pos = len(text)
                continue
            pos = match.end()
            line += 1
            state = "record"
        elif state == "record":
            if text[pos] in "\r\n":
                pos += 2 if text.startswith("\r\n", pos) else 1
                line += 1
                continue
            record = (line, piece_offset, pos)
            state = "cell"
        elif state == "cell" and overflow and text[pos] != '"':
            # Too many cells already: jump over the rest of the unquoted ones in one match.
            end = _SKIP_UNQUOTED.match(text, pos).end()
            if end < len(text) and text[end] == '"' and text[end - 1:end] != ",":
                end += 1  # a quote inside an unquoted cell is text
                pos = end
                continue
            pos = end
            if pos < len(text) and text[pos] in "\r\n":
                pos += 2 if text.startswith("\r\n", pos) else 1
                yield _Raw(*record, cells, truncated, lines, quote_then_text, False, True)
                line += lines
                new_record()
        elif state == "cell":
            if text[pos] == '"':
                pos += 1
                state = "quoted"
            else:
                state = "unquoted"
        elif state == "unquoted":
            match = _UNQUOTED_END.search(text, pos)
            end = match.start() if match else len(text)
            add(text[pos:end])
            pos = end
            if match:
                end_cell()
                if text[end] == ",":
                    pos += 1
                    state = "cell"
                else:
                    pos += 2 if text.startswith("\r\n", end) else 1
                    yield _Raw(*record, cells, truncated, lines, quote_then_text, False, overflow)
                    line += lines
                    new_record()
        elif state == "quoted":
            end = text.find('"', pos)
            end = len(text) if end < 0 else end
            run = text[pos:end]
            add(run)
            lines += len(_LINE_BREAK.findall(run))
            pos = end
            if end < len(text):
                pos += 1
                state = "closing"
        elif state == "closing":  # after a quote inside a quoted cell: an escaped quote, or the cell's end
            char = text[pos]
            if char == '"':
                add('"')
                pos += 1
                state = "quoted"
            elif char == ",":
                end_cell()
                pos += 1
                state = "cell"
            elif char in "\r\n":
                end_cell()
                pos += 2 if text.startswith("\r\n", pos) else 1
                yield _Raw(*record, cells, truncated, lines, quote_then_text, False, overflow)
                line += lines
                new_record()
            else:
                quote_then_text = True
                state = "unquoted"
    if state in ("cell", "unquoted", "closing", "quoted"):
        end_cell()
        yield _Raw(*record, cells, truncated, lines, quote_then_text, state == "quoted", overflow)
