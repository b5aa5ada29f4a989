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
_LINE_BREAK = re.compile(r"\r\n?|\n")
_SKIP_UNQUOTED = re.compile(r'[^"\r\n]*')  # past the cells of a record that has too many: to a quote or a line end


def row_budget(max_chars: int) -> int:
    """The most characters kept from one record, all cells together: ids, titles and labels are short, so
    four texts' worth is room enough for any real document row (as for a JSONL line)."""
    return 4 * max_chars + 65536


def csv_encoding(handle: BinaryIO) -> str:
    """The encoding of a CSV stream: UTF-8 if all of it decodes, else Windows-1252, else Latin-1; leaves it at the
    start.

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


def read_csv_records(
    handle: BinaryIO, max_chars: int, encoding: str = "utf-8", delimiter: str = ","
) -> Iterator[CsvRecord]:
    """The header record first, then every data record, of a CSV stream (undecodable bytes become U+FFFD); cells
    separated by `delimiter` ("," or ";", see `csv_delimiter`)."""
    header_width = None
    position = (0, 0, 1, False)
    while position is not None:
        resume = None
        for raw in _Scanner(handle, *position, max_chars, encoding, delimiter).records():
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
                yield CsvRecord(
                    raw.line, None, f"malformed CSV: {problem} (a stray quote?); reading resumes on the next line"
                )
                resume = (raw.offset, raw.index, raw.line, True)
                break
            yield CsvRecord(raw.line, None, f"malformed CSV: {problem}")
        position = resume


def csv_delimiter(handle: BinaryIO, encoding: str = "utf-8") -> str:
    """ "," or ";": a spreadsheet saved as CSV where the comma is the decimal mark (much of Europe) separates cells
    with semicolons. Read off the header line (its first 64 KiB), quoted names left out: ";" where it has a
    semicolon and no comma, and names two or more columns, none empty. Leaves the stream at its start."""
    start = handle.tell()
    first = _header_line(handle, encoding)
    handle.seek(start)
    outside = first.split('"')[::2]  # the parts between quoted names
    if any("," in part for part in outside) or not any(";" in part for part in outside):
        return ","
    names = first.split(";")
    return ";" if len(names) >= 2 and all(name.strip() for name in names) else ","  # a header of column names


def _header_line(handle: BinaryIO, encoding: str) -> str:
    """The line the reader takes for the header, within the first 64 KiB ("" if none): past a byte order mark and
    blank lines, to its first line end of any kind (a binary readline stops at a line feed only, and a carriage
    return alone ends lines too: Excel for Mac writes them)."""
    room, first_read = 1 << 16, True
    while room > 0 and (data := handle.readline(room)):
        room -= len(data)
        text = data.decode(encoding, errors="replace")
        lines = _LINE_BREAK.split(text.removeprefix("\ufeff") if first_read else text)
        first_read = False
        if line := next((line for line in lines if line), ""):
            return line
    return ""


def _problem(raw: _Raw, width: int) -> str | None:
    if raw.unclosed:
        return "a quoted cell opened on this line is never closed"
    if len(raw.cells) != width:
        return f"{len(raw.cells)} cells where the header has {width}"
    if raw.quote_then_text and raw.lines > 1:
        return "text follows a closing quote"
    return None


class _Scanner:
    """A CSV reader as a state machine over pieces of text read a line (at most CHUNK_BYTES) at a time.

    States: "skip" (to the next line), "record" (between records), "cell" (at a cell's first character),
    "unquoted", "quoted" and "closing" (just after a quote inside a quoted cell). Each state's method
    consumes a run of text at `pos` and returns a finished record, if that run ended one.
    """

    def __init__(
        self,
        handle: BinaryIO,
        offset: int,
        index: int,
        line: int,
        skip_line: bool,
        max_chars: int,
        encoding: str,
        delimiter: str = ",",
    ):
        self.delimiter = delimiter
        self.unquoted_end = re.compile(f"[{re.escape(delimiter)}\r\n]")  # compiled once per pattern by `re`
        handle.seek(offset)
        self.handle, self.max_chars = handle, max_chars
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.piece_offset = self.next_offset = offset
        self.index, self.first_piece = index, True
        self.text, self.pos, self.line = "", 0, line
        self.record = (line, offset, index)  # line, piece offset and index of the current record's first character
        self.kept: list[str] = []
        self._new_record()
        self.state = "skip" if skip_line else "record"

    def records(self) -> Iterator[_Raw]:
        steps = {
            "skip": self._skip,
            "record": self._between_records,
            "cell": self._cell_start,
            "unquoted": self._unquoted,
            "quoted": self._quoted,
            "closing": self._closing,
        }
        while self._fill():
            finished = steps[self.state]()
            if finished is not None:
                yield finished
        if self.state in ("cell", "unquoted", "closing", "quoted"):
            self._end_cell()
            yield self._raw(unclosed=self.state == "quoted")

    def _fill(self) -> bool:
        """Make sure there is text at `pos`: read the next piece when this one is used up; False at the end."""
        while self.pos >= len(self.text):
            data = self.handle.readline(CHUNK_BYTES)
            if not data:
                return False
            ended_in_cr = self.text.endswith("\r")
            self.piece_offset, self.next_offset = self.next_offset, self.next_offset + len(data)
            self.text, self.pos = self.decoder.decode(data), 0
            if self.first_piece:
                self.pos, self.first_piece = self.index, False
                if self.piece_offset == 0 and self.text.startswith("\ufeff"):
                    self.text = self.text[1:]
            elif ended_in_cr and self.text.startswith("\n") and self.state in ("record", "skip"):
                self.pos = 1  # the second half of a \r\n split between two reads
            elif ended_in_cr and self.text.startswith("\n") and self.state == "quoted":
                self.lines -= 1  # the cell keeps the \n, but its \r was counted as the line break already
        return True

    # --- the cells of the record being read ---

    def _new_record(self) -> None:
        self.cells: list[str] = []
        self.lines, self.truncated, self.quote_then_text, self.overflow = 1, False, False, False
        self.room, self.row_room = self.max_chars, row_budget(self.max_chars)
        self.state = "record"

    def _add(self, run: str) -> None:
        space = min(self.room, self.row_room)
        if space > 0:
            self.kept.append(run[:space])
            self.row_room -= min(len(run), space)
        if len(run) > space:
            self.truncated = True
        self.room -= len(run)

    def _end_cell(self) -> None:
        if len(self.cells) < MAX_CELLS:
            self.cells.append("".join(self.kept))
        else:
            self.overflow = True
        self.kept.clear()
        self.room = self.max_chars

    def _raw(self, unclosed: bool = False) -> _Raw:
        return _Raw(*self.record, self.cells, self.truncated, self.lines, self.quote_then_text, unclosed, self.overflow)

    def _end_record(self) -> _Raw:
        """The record that a line break at `pos` ends; reading goes on after the line break."""
        self.pos += 2 if self.text.startswith("\r\n", self.pos) else 1
        finished = self._raw()
        self.line += self.lines
        self._new_record()
        return finished

    # --- one method per state ---

    def _skip(self) -> None:
        match = _LINE_BREAK.search(self.text, self.pos)
        if match is None:
            self.pos = len(self.text)
            return
        self.pos = match.end()
        self.line += 1
        self.state = "record"

    def _between_records(self) -> None:
        if self.text[self.pos] in "\r\n":  # a blank line
            self.pos += 2 if self.text.startswith("\r\n", self.pos) else 1
            self.line += 1
            return
        self.record = (self.line, self.piece_offset, self.pos)
        self.state = "cell"

    def _cell_start(self) -> _Raw | None:
        if self.overflow and self.text[self.pos] != '"':
            return self._skip_overflowing_cells()
        if self.text[self.pos] == '"':
            self.pos += 1
            self.state = "quoted"
        else:
            self.state = "unquoted"
        return None

    def _skip_overflowing_cells(self) -> _Raw | None:
        """Too many cells already: jump over the rest of the unquoted ones in one match."""
        text = self.text
        end = _SKIP_UNQUOTED.match(text, self.pos).end()
        if end < len(text) and text[end] == '"' and text[end - 1 : end] != self.delimiter:
            self.pos = end + 1  # a quote inside an unquoted cell is text
            return None
        self.pos = end
        if self.pos < len(text) and text[self.pos] in "\r\n":
            return self._end_record()
        return None

    def _unquoted(self) -> _Raw | None:
        match = self.unquoted_end.search(self.text, self.pos)
        end = match.start() if match else len(self.text)
        self._add(self.text[self.pos : end])
        self.pos = end
        if not match:
            return None
        self._end_cell()
        if self.text[end] == self.delimiter:
            self.pos += 1
            self.state = "cell"
            return None
        return self._end_record()

    def _quoted(self) -> None:
        end = self.text.find('"', self.pos)
        end = len(self.text) if end < 0 else end
        run = self.text[self.pos : end]
        self._add(run)
        self.lines += len(_LINE_BREAK.findall(run))
        self.pos = end
        if end < len(self.text):
            self.pos += 1
            self.state = "closing"

    def _closing(self) -> _Raw | None:
        """After a quote inside a quoted cell: an escaped quote, or the cell's end."""
        char = self.text[self.pos]
        if char == '"':
            self._add('"')
            self.pos += 1
            self.state = "quoted"
        elif char == self.delimiter:
            self._end_cell()
            self.pos += 1
            self.state = "cell"
        elif char in "\r\n":
            self._end_cell()
            return self._end_record()
        else:
            self.quote_then_text = True
            self.state = "unquoted"
        return None
