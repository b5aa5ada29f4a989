"""Read text files of unknown encoding, and write output files atomically."""

from __future__ import annotations

import bisect
import codecs
import contextlib
import io
import math
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from classifier.errors import ClassifierError, UsageError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Documents longer than this are cut, so one huge file, line or cell cannot exhaust memory.
# A long OSCE report is ~200,000 characters; a whole book ~1-3 million.
DEFAULT_MAX_TEXT_CHARS = 2_000_000
MAX_TEXT_ENV = "CLASSIFIER_MAX_TEXT"
# A higher CLASSIFIER_MAX_TEXT means no limit (no machine holds so much text) and is read as this one: the readers
# pass up to 4 bytes a character plus a chunk to readline, which refuses a count past sys.maxsize.
MAX_TEXT_CEILING = sys.maxsize // 8
SNIFF_BYTES = 8192
CHUNK_BYTES = 1 << 16


class TextLine(NamedTuple):
    """One line of a stream read by `text_lines`: its number (from 1), its text, whether it was cut at the
    limit, and why it could not be read (None if it could)."""

    number: int
    text: str
    cut: bool
    error: str | None


class InputError(ClassifierError, ValueError):
    """One input could not be read; the message is a single line naming it."""


class SettingError(UsageError, ValueError):
    """An environment setting has a value the tool cannot use; the message names it."""


def one_line(value: str, max_chars: int | None = 120) -> str:
    """A value from the input shown inside a one-line message: line breaks escaped, long values shortened (unless
    `max_chars` is None)."""
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if max_chars is None or len(value) <= max_chars else value[: max_chars - 3] + "..."


def max_text_chars() -> int:
    """The most characters read per document: CLASSIFIER_MAX_TEXT if set, else DEFAULT_MAX_TEXT_CHARS."""
    value = os.environ.get(MAX_TEXT_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_TEXT_CHARS
    try:
        limit = int(value.replace("_", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise SettingError(f"{MAX_TEXT_ENV}={value!r}: expected a positive whole number of characters")
    return min(limit, MAX_TEXT_CEILING)


def decode_head(stream: BinaryIO, name: str, max_chars: int | None = None) -> tuple[str, bool]:
    """The first `max_chars` characters of a byte stream, decoded by BOM, else UTF-8, else Windows-1252/Latin-1 (binary
    data refused), and whether more followed (`decode_text`, without its note).

    Reads about `max_chars` characters' worth of bytes plus one chunk, never the whole stream.
    """
    return decode_text(stream, name, max_chars)[:2]


def decode_text(stream: BinaryIO, name: str, max_chars: int | None = None) -> tuple[str, bool, str | None]:
    """`decode_head`, and a note naming the stream when it was not read as the UTF-8 (or byte-order mark) it should
    be: a text of UTF-8 with a few bytes that are not is read as UTF-8, those bytes as U+FFFD (read as
    Windows-1252, each of its accented letters would be two wrong ones); any other as Windows-1252 (or Latin-1)."""
    head = _read_up_to(stream, SNIFF_BYTES)
    marked = next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)
    # NUL bytes are text in UTF-16 and UTF-32; in UTF-8, with its mark or without, they are binary data.
    if marked in (None, "utf-8-sig") and _looks_binary(head):
        raise InputError(f"{name}: binary file, not text")
    try:
        return _decode_sniffed(bytearray(head), stream, name, max_chars, marked)
    except _BinaryData:
        raise InputError(
            f"{name}: binary file, not text (binary data after the first {SNIFF_BYTES // 1024} KB)"
        ) from None


def _decode_sniffed(
    raw: bytearray, stream: BinaryIO, name: str, max_chars: int | None, marked: str | None
) -> tuple[str, bool, str | None]:
    """`decode_text` of a stream whose head, `raw`, passed the binary check: in the encoding of its byte-order
    mark (`marked`), else UTF-8, mostly UTF-8 or Windows-1252 (or Latin-1). `raw` gathers every byte read, to
    decode again in the next encoding; _BinaryData when a chunk read after the head is not text."""
    if marked is not None:
        try:
            return (*_decode(raw, stream, marked, max_chars), None)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not valid {marked} despite its byte-order mark ({exc.reason})") from None
    try:
        return (*_decode(raw, stream, "utf-8", max_chars), None)
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(raw):
        note = f"{name}: not valid UTF-8 in places; read as UTF-8, with U+FFFD for the bytes that are not"
        return (*_decode(raw, stream, "utf-8", max_chars, errors="replace"), note)
    try:
        return (*_decode(raw, stream, "cp1252", max_chars), f"{name}: not UTF-8; read as Windows-1252")
    except UnicodeDecodeError:
        return (*_decode(raw, stream, "latin-1", max_chars), f"{name}: not UTF-8; read as Latin-1")


def _mostly_utf8(raw: bytearray) -> bool:
    """Whether bytes that are not all UTF-8 hold more UTF-8 sequences of two bytes or more than bytes that are not
    UTF-8 (a UTF-8 text with a stray byte, not a Windows-1252 one)."""
    text = bytes(raw).decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return sum(1 for char in text if char > "\x7f") - bad > bad


class _BinaryData(Exception):
    """NUL bytes or mostly control characters in a chunk read after the sniffed head."""


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data or _control_ratio(data) > 0.1


def utf8_stream(stream: BinaryIO) -> BinaryIO:
    """`stream` as UTF-8 bytes, for the readers of tables and lines (which split at b"\\n", then decode): a stream
    that starts with a UTF-16 or UTF-32 byte-order mark (as Windows PowerShell and Python's encoding="utf-16"
    write) is decoded, its mark dropped, so that it reads as its UTF-8 twin would, line for line. Any other
    stream is returned as it is. Needs a stream that can `peek` (an open file, standard input)."""
    if hasattr(stream, "peek"):
        head = stream.peek(4)[:4]
    elif stream.seekable():  # an in-memory stream
        head = stream.read(4)
        stream.seek(-len(head), io.SEEK_CUR)
    else:
        return stream
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            stream.read(len(bom))
            return io.BufferedReader(_Transcoded(stream, encoding), CHUNK_BYTES)
    return stream


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class _Transcoded(io.RawIOBase):
    """A UTF-16 or UTF-32 stream read as UTF-8, a chunk at a time (what cannot be decoded becomes U+FFFD).

    Seekable when the stream is: a position in the UTF-8 bytes is found again from the last chunk boundary
    before it that fell between two characters (a CSV read goes back to the line where a stray quote began).
    """

    def __init__(self, stream: BinaryIO, encoding: str):
        super().__init__()
        self.stream, self.encoding = stream, encoding
        start = stream.tell() if stream.seekable() else 0
        self.checkpoints = [(0, start)]  # (position in the UTF-8 bytes, position in the stream), increasing
        self._restart(*self.checkpoints[0])

    def _restart(self, position: int, offset: int) -> None:
        if self.stream.seekable():
            self.stream.seek(offset)
        self.decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        self.position = self.produced = position  # bytes handed out; bytes decoded (the rest is `pending`)
        self.offset, self.pending, self.ended = offset, b"", False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.stream.seekable()

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        while not self.pending and not self.ended:
            chunk = self.stream.read(CHUNK_BYTES)
            self.offset += len(chunk)
            self.ended = not chunk
            self.pending = self.decoder.decode(chunk, final=self.ended).encode("utf-8")
            self.produced += len(self.pending)
            if not self.decoder.getstate()[0] and self.produced > self.checkpoints[-1][0]:
                self.checkpoints.append((self.produced, self.offset))
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.position += size
        return size

    def seek(self, position: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            position += self.position
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("seek from the end of a decoded stream")
        if not self.seekable():
            raise io.UnsupportedOperation("seek on a stream that cannot seek")
        self._restart(*self.checkpoints[bisect.bisect_right(self.checkpoints, (position, math.inf)) - 1])
        while self.position < position and self.readinto(
            memoryview(bytearray(min(position - self.position, CHUNK_BYTES)))
        ):
            pass
        return self.position


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _decode(
    raw: bytearray, stream: BinaryIO, encoding: str, max_chars: int | None, errors: str = "strict"
) -> tuple[str, bool]:
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    parts = [decoder.decode(bytes(raw))]
    count = len(parts[0])
    while max_chars is None or count <= max_chars:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            parts.append(decoder.decode(b"", final=True))
            break
        raw += chunk
        if not encoding.startswith("utf-16") and not encoding.startswith("utf-32") and _looks_binary(chunk):
            raise _BinaryData  # the head looked like text, but the binary check must hold for the whole file
        parts.append(decoder.decode(chunk))
        count += len(parts[-1])
    text = "".join(parts)
    if max_chars is not None and len(text) > max_chars:
        return text[:max_chars], True
    return text, False


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    controls = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(data)


def text_lines(stream: BinaryIO, name: str, max_chars: int | None = None) -> Iterator[TextLine]:
    """Each line of a byte stream as fastText's `predict` reads its input: one document per line, UTF-8 (a
    byte-order mark at the start skipped), the line end dropped; `\\n`, `\\r\\n` and a lone `\\r` (old Mac files) each
    end a line, as Python's universal newlines. A line that is not UTF-8 text comes with an error naming `name` and
    the line, and the lines after it are still read. Reads one line at a time, and no more than about `max_chars`
    characters of one: the rest of a longer line is skipped and it is `cut`."""
    max_bytes = 4 * max_chars + 4 if max_chars else -1  # 4 bytes hold any UTF-8 character
    for number, (raw, cut) in enumerate(_raw_lines(stream, max_bytes), 1):
        raw = raw[len(codecs.BOM_UTF8) :] if number == 1 and raw.startswith(codecs.BOM_UTF8) else raw
        if b"\x00" in raw:
            yield TextLine(number, "", False, f"{name}:{number}: binary data, not text")
            continue
        try:
            # A cut line may end inside a character: the incremental decoder leaves that part out.
            text = codecs.getincrementaldecoder("utf-8")().decode(raw, final=not cut)
        except UnicodeDecodeError as exc:
            yield TextLine(number, "", False, f"{name}:{number}: not valid UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        if max_chars is not None and len(text) > max_chars:
            text, cut = text[:max_chars], True
        yield TextLine(number, text, cut, None)


def _raw_lines(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[bytes, bool]]:
    """Each line of a byte stream without its end, and whether more of it was skipped: no more than `max_bytes` of
    a line are kept (-1: no limit). Read with readline, so that a pipe is answered line by line; readline ends a
    piece at b"\\n" only, so a piece holding a lone b"\\r" is split here and what follows it kept for the next line.
    The lines of a piece are taken from where the last one ended (`at`), not by copying the rest of it each time: a
    file ending its lines with b"\\r" alone is one piece of up to `max_bytes`, read in linear time."""
    data, at, newline = b"", 0, -1  # newline: where data's b"\\n" is (a piece holds one, at its end), -1 if none
    after_cr = False  # the last line ended with the last byte read, a b"\\r": a b"\\n" next is part of that end
    while True:
        end = _end_of_line(data, at, newline)
        while end is None and (max_bytes < 0 or len(data) - at < max_bytes):
            piece = stream.readline(max_bytes - (len(data) - at) if max_bytes >= 0 else -1)
            if after_cr and piece.startswith(b"\n"):
                piece = piece[1:]
                after_cr = False
                if not piece:
                    continue
            after_cr = False
            if not piece:
                break
            data, at = data[at:] + piece, 0
            newline = data.find(b"\n")
            end = _end_of_line(data, at, newline)
        if end is None:
            if at == len(data):
                return
            if max_bytes < 0 or len(data) - at < max_bytes:  # the last line, with no line end
                yield data[at:], False
                return
            kept = data[at:]
            cut, rest, after_cr = _skip_line(stream)
            yield kept, cut
            if rest is None:  # the stream ended in the cut line: a read past its end would wait at a terminal
                return
            data, at, newline = rest, 0, rest.find(b"\n")
            continue
        line, at = data[at:end], end
        if newline != -1 and newline < at:
            newline = data.find(b"\n", at)
        after_cr = at == len(data) and line.endswith(b"\r")
        yield line[:-2] if line.endswith(b"\r\n") else line[:-1], False


def _end_of_line(data: bytes, at: int = 0, newline: int | None = None) -> int | None:
    """Where the first line of `data[at:]` ends, its end (b"\\n", b"\\r\\n" or a lone b"\\r") included; None if none.
    `newline`, where the first b"\\n" from `at` is (-1: none), if known."""
    newline = data.find(b"\n", at) if newline is None else newline
    cr = data.find(b"\r", at, newline if newline >= 0 else len(data))
    if cr < 0:
        return None if newline < 0 else newline + 1
    return cr + 2 if cr + 1 == newline else cr + 1


def _skip_line(stream: BinaryIO) -> tuple[bool, bytes | None, bool]:
    """Read past the rest of a line cut at the limit, a chunk at a time: whether it held more than its end, what
    followed its end in the last piece read (None if the stream ended first), and whether that end was a b"\\r"
    ending the piece (`after_cr`)."""
    more = False
    while piece := stream.readline(CHUNK_BYTES):
        end = _end_of_line(piece)
        if end is None:
            more = True
            continue
        more = more or bool(piece[:end].rstrip(b"\r\n"))
        return more, piece[end:], end == len(piece) and piece.endswith(b"\r")
    return more, None, False


def read_text(path: str | Path) -> str:
    """A text file's contents, decoded; InputError (one line naming the file) when it cannot be."""
    return read_text_head(path)[0]


def read_text_head(path: str | Path, max_chars: int | None = None) -> tuple[str, bool]:
    """The first `max_chars` characters of a text file and whether it has more; reads no more than it keeps."""
    return read_text_file(path, max_chars)[:2]


def read_text_file(path: str | Path, max_chars: int | None = None) -> tuple[str, bool, str | None]:
    """`read_text_head`, and the note of `decode_text` when the file is not read as UTF-8."""
    path = Path(path)
    handle = open_regular(path)
    try:
        with handle:
            text, truncated, note = decode_text(handle, str(path), max_chars)
    except OSError as exc:  # e.g. a directory on systems where open() succeeds, or an I/O error mid-read
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not text.strip():
        raise InputError(f"{path}: empty file")
    return text, truncated, note


NOT_REGULAR = "not a regular file (a FIFO, device or socket; name - to read standard input); skipped"


def open_regular(path: str | Path) -> BinaryIO:
    """`path` opened for binary reading if it is a regular file; InputError (one line naming it) otherwise.

    Opened non-blocking and checked on the open descriptor, so a FIFO or a device is refused, never read
    (reading a FIFO nobody writes to would wait forever).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"{path}: is a directory" if stat.S_ISDIR(mode) else f"{path}: {NOT_REGULAR}")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _permissions(path: Path, default: int) -> int:
    """The mode a replacement for `path` gets: the old one's if it exists, else what `open` would give
    (`default` less the umask). The temporary files and folders we build in are private (0600, 0700)
    until we set this."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return default & ~umask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Write to a temporary file beside `path`, then rename it into place: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _permissions(path, 0o666))
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        _name_the_output(exc, path)
        raise


@contextlib.contextmanager
def atomic_directory(path: str | Path):
    """Build a directory beside `path`, then swap it into place; the old one survives any failure, or a kill.

    The swap is two renames, old away and new in: no portable system call swaps two directories at
    once. A kill between them leaves the old directory at `.NAME.old-PID` and nothing at `path`;
    `settle_directory`, which every writer runs first, puts it back (readers use it where it is). (Making
    `path` a symlink to swap with one rename would close the gap too, but would turn a bundle into a
    link, which wheels, Windows and `cp -r` handle badly.)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    settle_directory(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent))
    old = None
    try:
        os.chmod(tmp, _permissions(path, 0o777))
        yield tmp
        _fsync_files(tmp)
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException as exc:
        if old is not None and not os.path.lexists(path):
            os.replace(old, path)
        shutil.rmtree(tmp, ignore_errors=True)
        _name_the_output(exc, path)
        raise
    fsync_directory(path.parent)
    if old is not None:
        _remove(old)


def _name_the_output(exc: BaseException, path: Path) -> None:
    """A write that failed without naming its file (a full disk: `write` and `fsync` name none) names the output
    it was for, so its one-line error says which."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.filename is None:
        exc.filename = str(path)


def _remove(path: Path) -> None:
    """Delete a leftover of a swap: a folder with what it holds, or a link or file itself (rmtree leaves those)."""
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def settle_directory(path: str | Path) -> None:
    """Finish what a killed `atomic_directory` left beside `path`, if the process that left it is gone.

    A previous directory moved aside (`.NAME.old-PID`) goes back to `path` when nothing is there; one
    that was replaced, and a half-built new one (`.NAME.PID.*.tmp`), are removed.
    """
    path = Path(path)
    leftover = re.compile(rf"\.{re.escape(path.name)}\.(?:old-(?P<old>\d+)|(?P<tmp>\d+)\.[^./]+\.tmp)")
    try:
        entries = sorted(path.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        match = leftover.fullmatch(entry.name)
        if match is None or _running(int(match["old"] or match["tmp"])):
            continue
        if match["old"] and not os.path.lexists(path):
            with contextlib.suppress(OSError):
                os.rename(entry, path)
            continue  # restored, or left where it is: never delete the only copy
        _remove(entry)


def interrupted_swap(path: str | Path) -> Path | None:
    """The previous directory a killed `atomic_directory` left beside `path` when nothing is at `path`, else None.

    For readers: they use it where it is and change nothing; the next writer's `settle_directory` puts it back.
    """
    path = Path(path)
    if os.path.lexists(path):
        return None
    leftover = re.compile(rf"\.{re.escape(path.name)}\.old-(\d+)")
    try:
        entries = sorted(path.parent.iterdir())
    except OSError:
        return None
    for entry in entries:
        match = leftover.fullmatch(entry.name)
        if match is not None and not _running(int(match[1])) and entry.is_dir():
            return entry
    return None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, under another user; or we cannot tell, so leave its files alone
    return True


def _fsync_files(folder: Path) -> None:
    # Renaming makes the swap atomic for readers; fsync makes it so after a power cut too.
    for entry in folder.iterdir():
        if entry.is_file():
            with open(entry, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_directory(folder)


def fsync_directory(folder: Path) -> None:
    """Make renames in `folder` durable: a power cut must not bring a replaced file back."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # directories cannot be opened on some systems (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
