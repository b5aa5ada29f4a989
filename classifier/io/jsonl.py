"""Read JSON Lines in bounded memory: one object per line, strings cut at a limit, broken lines reported by number."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from classifier.io.textio import one_line

CHUNK_BYTES = 1 << 16
MAX_DEPTH = 100  # a document row is an object of strings and lists; deeper nesting is not a document
_WHITESPACE = " \t\r\n"
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_NUMBER_CHARS = re.compile(r"[-+.eE0-9]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
_UNICODE_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def frozen_instance(cls, **fields):
    """`cls(**fields)` of a frozen dataclass, given every one of its fields: its __init__ sets them one by one through
    object.__setattr__, a microsecond or more per object where a batch makes a few per row; here the instance's dict
    is filled at once (tests check both make the same object)."""
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


class JsonInt(str):
    """An integer of a JSON line, kept as its digits (int() refuses more than 4,300 of them); a str, so
    an id may be a number, but a reader can tell it was not a JSON string."""


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line: its object, or why it has none; `truncated` when a string in it was cut."""

    number: int
    value: dict | None
    error: str | None = None
    truncated: bool = False


def read_json_lines(handle: BinaryIO, max_chars: int) -> Iterator[JsonLine]:
    """Every non-blank line of a binary JSONL stream. No string kept is longer than `max_chars`.

    A line of at most `max_chars` bytes cannot hold a longer string and is parsed whole by json;
    a longer one is parsed as it is read, keeping the first `max_chars` characters of each string,
    so a line of any length costs memory in proportion to the limit, not to the line.
    """
    number = 0
    while True:
        piece = handle.readline(max_chars + 1)
        if not piece:
            return
        number += 1
        if piece.endswith(b"\n") or len(piece) <= max_chars:
            if piece.strip():
                yield _parse_whole(number, piece)
        else:
            line = _StreamingLine(piece, handle, max_chars).parse(number)
            if line is not None:
                yield line


class _Repeated(dict):
    """An object that gave a key twice, holding what json keeps (the last value); `key`, the first key repeated."""

    key = ""


def _object(pairs: list) -> dict:
    # json keeps the last of a key given twice: {"text": "x", "text": "y"} would silently lose "x". This hook costs
    # about a microsecond a row (100,000 rows of 100 to 2,100 characters read in 0.54-0.64 s without it, 0.66-0.74 s
    # with it; tagging them takes some 30 s), less than a test of the raw line: one count() over it takes 2 us.
    row = dict(pairs)
    if len(row) == len(pairs):
        return row
    repeated = _Repeated(row)
    repeated.key = first_repeated(pairs)
    return repeated


def first_repeated(pairs: list) -> str:
    """The first key a JSON object's (key, value) pairs give a second time; "" if none does."""
    seen: set = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return ""


def repeated_key(key: str) -> str:
    """The error of a row that gives `key` twice."""
    return f"key '{one_line(key)}' appears twice; keep one, so no value is silently dropped"


# json.loads(line, parse_int=JsonInt, object_pairs_hook=_object) makes a decoder per call; this one is made once.
_DECODER = json.JSONDecoder(parse_int=JsonInt, object_pairs_hook=_object)


def _parse_whole(number: int, line: bytes) -> JsonLine:
    # A line opening with "{" and then no NUL is UTF-8 to json.detect_encoding (no BOM, not UTF-16 or 32): the
    # usual row, whose encoding needs no more looking for.
    encoding = "utf-8" if line[:1] == b"{" and line[1:2] != b"\0" else json.detect_encoding(line)
    try:
        # Integers stay digits: int() refuses more than 4,300 of them, and ids are text anyway.
        value = _DECODER.decode(line.decode(encoding, "surrogatepass"))  # json.loads(line, ...)
    except RecursionError:
        return JsonLine(number, None, "invalid JSON: nested too deeply")
    except UnicodeDecodeError as exc:
        return JsonLine(number, None, f"invalid JSON: not UTF-8 ({exc.reason})")
    except json.JSONDecodeError as exc:
        return JsonLine(number, None, f"invalid JSON: {exc.msg.removesuffix(' at')} at character {exc.pos + 1}")
    if value.__class__ is dict:  # the usual row: no need to look at how the line opens
        return frozen_instance(JsonLine, number=number, value=value, error=None, truncated=False)
    if isinstance(value, _Repeated):  # a key given twice in the row itself (one inside a value is the value's)
        return JsonLine(number, None, repeated_key(value.key))
    return _object_line(number, value, truncated=False)


def _object_line(number: int, value, truncated: bool) -> JsonLine:
    if not isinstance(value, dict):
        return JsonLine(number, None, f"expected a JSON object, got {_json_type(value)}")
    return JsonLine(number, value, truncated=truncated)


def _json_type(value) -> str:
    # An integer is a JsonInt (its digits), not a str: the default, "number".
    return {dict: "object", list: "array", str: "string", bool: "boolean", float: "number"}.get(
        type(value), "null" if value is None else "number"
    )


class _LineError(ValueError):
    pass


class _StreamingLine:
    """A recursive-descent JSON parser over one line, read in chunks; strings beyond the limit are skipped."""

    def __init__(self, first: bytes, handle: BinaryIO, max_chars: int):
        self.handle = handle
        self.max_chars = max_chars
        # Everything kept from the line (strings, numbers, items): ids, titles and labels are short,
        # so four texts' worth is room enough for any real document row.
        self.budget = 4 * max_chars + 65536
        self.truncated = False
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogatepass")
        self.ended = first.endswith(b"\n")
        self.buffer = self.decoder.decode(first, final=self.ended).lstrip("\ufeff")
        self.pos = 0
        self.repeated: str | None = None  # the first key the row gives twice

    def parse(self, number: int) -> JsonLine | None:
        """The line's object or error; None for a line of only whitespace."""
        try:
            self._skip_whitespace()
            first = self._peek()
            if not first:
                return None
            value = self._value(0)
            self._skip_whitespace()
            if self._peek():
                raise _LineError("extra data after the value")
        except _LineError as exc:
            self._skip_rest_of_line()
            return JsonLine(number, None, f"invalid JSON: {exc}")
        except UnicodeDecodeError as exc:
            self._skip_rest_of_line()
            return JsonLine(number, None, f"invalid JSON: not UTF-8 ({exc.reason})")
        if self.repeated is not None:
            return JsonLine(number, None, repeated_key(self.repeated))
        return _object_line(number, value, self.truncated)

    # Reading

    def _fill(self) -> bool:
        """Read more of the line into the buffer; False when the line has ended."""
        if self.ended:
            return False
        piece = self.handle.readline(CHUNK_BYTES)
        self.ended = not piece or piece.endswith(b"\n")
        self.buffer = self.buffer[self.pos :] + self.decoder.decode(piece, final=self.ended)
        self.pos = 0
        return True

    def _available(self, n: int) -> str:
        """The next `n` characters (fewer at the end of the line), without consuming them."""
        while len(self.buffer) - self.pos < n and self._fill():
            pass
        return self.buffer[self.pos : self.pos + n]

    def _peek(self) -> str:
        return self._available(1)

    def _skip_whitespace(self) -> None:
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer) or not self._fill():
                return

    def _expect(self, char: str) -> None:
        self._skip_whitespace()
        if self._peek() != char:
            raise _LineError(f"expecting {char!r}")
        self.pos += 1

    def _skip_rest_of_line(self) -> None:
        while not self.ended:
            piece = self.handle.readline(CHUNK_BYTES)
            self.ended = not piece or piece.endswith(b"\n")

    def _spend(self, n: int) -> None:
        self.budget -= n
        if self.budget < 0:
            raise _LineError(f"too large: more than four texts of {self.max_chars} characters besides the cut ones")

    # Grammar

    def _value(self, depth: int):
        if depth > MAX_DEPTH:
            raise _LineError("nested too deeply")
        self._skip_whitespace()
        char = self._peek()
        if char == "{":
            return self._object(depth)
        if char == "[":
            return self._array(depth)
        if char == '"':
            return self._string()
        if char == "-" or char.isdigit():
            if self._available(9) == "-Infinity":
                return self._literal()
            return self._number()
        if char:
            return self._literal()
        raise _LineError("expecting a value, found the end of the line")

    def _object(self, depth: int) -> dict:
        self.pos += 1
        result: dict = {}
        self._skip_whitespace()
        if self._peek() == "}":
            self.pos += 1
            return result
        while True:
            self._skip_whitespace()
            if self._peek() != '"':
                raise _LineError("expecting a property name in double quotes")
            key = self._string()
            self._expect(":")
            # A key as long as the limit may have been cut, and then meet another cut the same way: only shorter ones.
            if depth == 0 and key in result and self.repeated is None and len(key) < self.max_chars:
                self.repeated = key
            result[key] = self._value(depth + 1)
            self._spend(1)
            self._skip_whitespace()
            char = self._peek()
            self.pos += 1
            if char == "}":
                return result
            if char != ",":
                raise _LineError("expecting ',' or '}' in an object")

    def _array(self, depth: int) -> list:
        self.pos += 1
        result: list = []
        self._skip_whitespace()
        if self._peek() == "]":
            self.pos += 1
            return result
        while True:
            result.append(self._value(depth + 1))
            self._spend(1)
            self._skip_whitespace()
            char = self._peek()
            self.pos += 1
            if char == "]":
                return result
            if char != ",":
                raise _LineError("expecting ',' or ']' in an array")

    def _string(self) -> str:
        self.pos += 1
        kept: list[str] = []
        room = self.max_chars
        while True:
            run = _STRING_RUN.match(self.buffer, self.pos).group()
            self.pos += len(run)
            if room > 0:
                kept.append(run[:room])
            if len(run) > room:
                self.truncated = True
            room -= len(run)
            if self.pos == len(self.buffer):
                if not self._fill():
                    raise _LineError("unterminated string")
                continue
            char = self.buffer[self.pos]
            if char == '"':
                self.pos += 1
                break
            if char != "\\":
                raise _LineError(f"invalid control character {char!r} in a string")
            decoded = self._escape()
            if room > 0:
                kept.append(decoded)
            else:
                self.truncated = True
            room -= 1
        text = "".join(kept)
        self._spend(len(text))
        return text

    def _escape(self) -> str:
        """The character of the escape at the current position; a surrogate pair is one character, as in json."""
        escape = self._available(12)
        if escape[1:2] in _ESCAPES:
            self.pos += 2
            return _ESCAPES[escape[1]]
        if not _UNICODE_ESCAPE.match(escape):
            raise _LineError(f"invalid escape {escape[:2]!r}")
        code = int(escape[2:6], 16)
        self.pos += 6
        if 0xD800 <= code <= 0xDBFF and _UNICODE_ESCAPE.match(escape, 6):
            low = int(escape[8:12], 16)
            if 0xDC00 <= low <= 0xDFFF:
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        return chr(code)  # a lone half stays, as json.loads leaves it; Document text replaces it

    def _number(self):
        # Read on until the run of number characters ends: a read can stop inside "1.5e+16".
        while True:
            end = _NUMBER_CHARS.match(self.buffer, self.pos).end()
            if end - self.pos > self.budget:
                raise _LineError("number too long")
            if end < len(self.buffer) or not self._fill():
                break
        match = _NUMBER.match(self.buffer, self.pos)
        if match is None:
            raise _LineError("invalid number")
        self._spend(match.end() - self.pos)
        self.pos = match.end()
        return float(match.group()) if match.group(1) or match.group(2) else JsonInt(match.group())

    def _literal(self):
        ahead = self._available(9)
        for word, value in _LITERALS.items():
            if ahead.startswith(word):
                self.pos += len(word)
                return value
        raise _LineError(f"expecting a value at {ahead[:9]!r}")
