import io
import os
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from classifier.io.textio import (
    InputError,
    atomic_directory,
    atomic_write,
    decode_head,
    read_text,
    read_text_head,
    settle_directory,
)

import hostile


def decode_bytes(data: bytes, name: str) -> str:
    """The whole of `data` decoded as files are."""
    return decode_head(io.BytesIO(data), name)[0]


def test_decodes_by_bom_then_utf8_then_windows_1252():
    assert decode_bytes("Приштина".encode("utf-16"), "x") == "Приштина"
    assert decode_bytes(b"\xef\xbb\xbfVienna", "x") == "Vienna"
    assert decode_bytes("Genève".encode("utf-8"), "x") == "Genève"
    assert decode_bytes("Genève – “quoted”".encode("cp1252"), "x") == "Genève – “quoted”"
    # 0x81 is undefined in Windows-1252: Latin-1 takes over.
    assert decode_bytes(b"a\x81b", "x") == "a\x81b"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "doc.txt: binary file, not text"),
        (b"\xff\xfe\x00\xd8", "doc.txt: not valid utf-16 despite its byte-order mark (unexpected end of data)"),
    ],
)
def test_binary_and_broken_bom_files_are_refused_in_one_line(data, message):
    with pytest.raises(InputError) as error:
        decode_bytes(data, "doc.txt")
    assert str(error.value) == message


REPORT_LINE = "Košice and Prešov: observers met the election commission.\n"


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode(), id="utf-8"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="utf-8 with its mark"),
        pytest.param(lambda text: text.encode().replace(b"met", b"\x96met", 1), id="utf-8 with a stray byte"),
        pytest.param(lambda text: text.encode("cp1252"), id="windows-1252"),
    ],
)
def test_binary_data_anywhere_is_refused_in_one_line_whatever_the_text_encoding(encode):
    """NUL bytes in the first 8 KB of a text, or after them (past the first chunk of 64 KB, which decided the
    encoding), refuse it in one line naming it: a byte-order mark or a fallback encoding make it no more text."""
    head, report = REPORT_LINE * 3, REPORT_LINE * 2000  # about 120 KB
    assert "Prešov" in decode_bytes(encode(report), "scan.txt")
    with pytest.raises(InputError) as early:
        decode_bytes(encode(head) + b"\x00\x00\x00\x01 IHDR" + encode(report)[-100:], "scan.txt")
    assert str(early.value) == "scan.txt: binary file, not text"
    with pytest.raises(InputError) as late:
        decode_bytes(encode(report) + b"\x00" * 64, "scan.txt")
    assert str(late.value) == "scan.txt: binary file, not text (binary data after the first 8 KB)"


@given(hostile.page_bytes)
@example(b"\xff\xfe\x00\xd8")  # UTF-16 byte-order mark, then a lone surrogate
@example("Genève".encode("utf-8") + "Genève".encode("cp1252"))  # two encodings in one file
def test_any_bytes_decode_or_fail_with_one_line_naming_the_input(data):
    try:
        text = decode_bytes(data, "page.txt")
    except InputError as exc:
        assert str(exc).startswith("page.txt: ") and "\n" not in str(exc)
    else:
        text.encode("utf-8")  # always valid text: no lone surrogates


def test_read_text_names_the_file_in_every_failure(tmp_path):
    (tmp_path / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    messages = []
    for name in ("missing.txt", "blank.txt", "."):
        with pytest.raises(InputError) as error:
            read_text(tmp_path / name)
        messages.append(str(error.value))
    assert messages == [
        f"{tmp_path / 'missing.txt'}: no such file",
        f"{tmp_path / 'blank.txt'}: empty file",
        f"{tmp_path}: is a directory",
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_a_long_stream_is_read_only_a_chunk_past_the_limit(encoding):
    page = "Genève – Observers followed the count.\n" * 150_000  # 6 million characters
    stream = io.BytesIO(page.encode(encoding))
    text, cut = decode_head(stream, "big.txt", max_chars=1000)
    assert cut and text == page[:1000]
    assert stream.tell() < 200_000


def test_a_cut_never_splits_a_character(tmp_path):
    path = tmp_path / "cyrillic.txt"
    path.write_bytes(("Ж" * 5000).encode("utf-8"))  # two bytes each: a byte limit would cut one in half
    assert read_text_head(path, 999) == ("Ж" * 999, True)
    assert read_text_head(path, 5000) == ("Ж" * 5000, False)


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_settle_puts_back_a_directory_left_aside_by_a_killed_swap(tmp_path):
    pid = dead_pid()
    old = tmp_path / f".bundle.old-{pid}"
    old.mkdir()
    (old / "model.json").write_text("previous", encoding="utf-8")
    half_built = tmp_path / f".bundle.{pid}.x1y2.tmp"
    half_built.mkdir()
    settle_directory(tmp_path / "bundle")
    assert (tmp_path / "bundle" / "model.json").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_settle_removes_a_replaced_copy_and_leaves_running_processes_alone(tmp_path):
    (tmp_path / "bundle").mkdir()
    replaced = tmp_path / f".bundle.old-{dead_pid()}"
    replaced.mkdir()
    ours = tmp_path / f".bundle.{os.getpid()}.abcd.tmp"  # a save in progress in this very process
    ours.mkdir()
    (tmp_path / ".bundle.notes").mkdir()  # not a name atomic_directory makes
    settle_directory(tmp_path / "bundle")
    assert sorted(p.name for p in tmp_path.iterdir()) == [ours.name, ".bundle.notes", "bundle"]


def test_a_failed_swap_puts_the_old_directory_back(tmp_path, monkeypatch):
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "model.json").write_text("previous", encoding="utf-8")
    real_replace = os.replace

    def failing_second_rename(src, dst):
        if str(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr("os.replace", failing_second_rename)
    with pytest.raises(OSError, match="No space left"):
        with atomic_directory(target) as tmp:
            (tmp / "model.json").write_text("new", encoding="utf-8")
    assert (target / "model.json").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_atomic_writes_get_the_permissions_a_plain_write_would(tmp_path):
    """The temporary file or folder is private while it is built; what lands at the path gets the umask's
    mode when new, and keeps the old mode when it replaces a file."""
    old_umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new.jsonl") as handle:
            handle.write("{}\n")
        with atomic_directory(tmp_path / "bundle") as folder:
            (folder / "model.json").write_text("{}")
        kept = tmp_path / "kept.csv"
        kept.write_text("old")
        os.chmod(kept, 0o640)
        with atomic_write(kept) as handle:
            handle.write("new")
    finally:
        os.umask(old_umask)
    assert (tmp_path / "new.jsonl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "bundle").stat().st_mode & 0o777 == 0o755
    assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_text() == "new"


# Safety paths, each through its failure: the write that fails, the process we cannot see, the stray byte.

import codecs  # noqa: E402

from classifier.io.textio import (  # noqa: E402
    DEFAULT_MAX_TEXT_CHARS,
    SettingError,
    _running,
    max_text_chars,
    one_line,
)


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "tags.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk gone"):
        with atomic_write(target) as handle:
            handle.write("half of the new")
            raise RuntimeError("disk gone")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["tags.jsonl"]


@pytest.mark.parametrize("failing", ["os.fsync", "os.replace"])
def test_a_failed_flush_or_rename_leaves_no_temporary_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "out" / "tags.csv"  # the folder is made too

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, fail)
    with pytest.raises(OSError, match="No space left"):
        with atomic_write(target, mode="wb") as handle:
            handle.write(b"id,labels\r\n")
    assert listing(tmp_path / "out") == []


def test_atomic_write_replaces_and_keeps_bytes_as_given(tmp_path):
    target = tmp_path / "a.csv"
    with atomic_write(target, newline="") as handle:
        handle.write("a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\n"
    with atomic_write(target, mode="wb") as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01" and listing(tmp_path) == ["a.csv"]


def test_a_directory_swap_settles_what_a_killed_swap_left_before_it_starts(tmp_path):
    pid = dead_pid()
    (tmp_path / f".bundle.old-{pid}").mkdir()
    (tmp_path / f".bundle.old-{pid}" / "model.json").write_text("previous", encoding="utf-8")
    (tmp_path / f".bundle.{pid}.x1y2.tmp").mkdir()
    with atomic_directory(tmp_path / "bundle") as folder:
        # The previous bundle is back in place before the new one is built.
        assert (tmp_path / "bundle" / "model.json").read_text(encoding="utf-8") == "previous"
        assert listing(tmp_path) == [folder.name, "bundle"]
        (folder / "model.json").write_text("new", encoding="utf-8")
    assert (tmp_path / "bundle" / "model.json").read_text(encoding="utf-8") == "new"
    assert listing(tmp_path) == ["bundle"]


def test_a_failure_while_building_a_directory_keeps_the_old_one_and_removes_the_new(tmp_path):
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "model.json").write_text("previous", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target) as folder:
            (folder / "model.json").write_text("half", encoding="utf-8")
            raise KeyboardInterrupt
    assert (target / "model.json").read_text(encoding="utf-8") == "previous"
    assert listing(tmp_path) == ["bundle"]


def test_a_swap_over_a_link_leaves_no_copy_of_the_link_behind_and_its_target_alone(tmp_path):
    """Saving refuses a link (bundle.check_bundle_target); a swap reached some other way replaces it cleanly."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "model.json").write_text("previous", encoding="utf-8")
    (tmp_path / "link").symlink_to("real")
    pid = dead_pid()
    (tmp_path / f".other.old-{pid}").symlink_to("real")  # a link a killed swap left aside, replaced since
    (tmp_path / "other").mkdir()
    with atomic_directory(tmp_path / "link") as folder:
        (folder / "model.json").write_text("new", encoding="utf-8")
    settle_directory(tmp_path / "other")
    assert listing(tmp_path) == ["link", "other", "real"]
    assert not (tmp_path / "link").is_symlink() and (tmp_path / "link" / "model.json").read_text() == "new"
    assert (tmp_path / "real" / "model.json").read_text(encoding="utf-8") == "previous"


def test_a_new_directory_lands_with_its_files(tmp_path):
    with atomic_directory(tmp_path / "deep" / "bundle") as folder:
        (folder / "a.txt").write_text("a", encoding="utf-8")
        (folder / "sub").mkdir()
    assert listing(tmp_path / "deep") == ["bundle"]
    assert listing(tmp_path / "deep" / "bundle") == ["a.txt", "sub"]


@pytest.mark.parametrize(
    "error, alive",
    [
        (ProcessLookupError(3, "No such process"), False),
        (PermissionError(1, "Operation not permitted"), True),  # another user's process
        (OSError(22, "Invalid argument"), True),  # cannot tell: treated as alive
        (None, True),
    ],
)
def test_a_process_is_alive_unless_it_is_known_to_be_gone(monkeypatch, error, alive):
    def kill(pid, signal):
        assert signal == 0  # only asks; never sends anything
        if error is not None:
            raise error

    monkeypatch.setattr("os.kill", kill)
    assert _running(os.getpid() + 1) is alive
    assert _running(os.getpid()) is True


@pytest.mark.parametrize("error", [PermissionError(1, "Operation not permitted"), OSError(22, "Invalid argument")])
def test_settle_leaves_the_files_of_a_process_it_cannot_see_alone(tmp_path, monkeypatch, error):
    (tmp_path / ".bundle.old-12345").mkdir()
    (tmp_path / ".bundle.12345.abcd.tmp").mkdir()

    def kill(pid, signal):
        raise error

    monkeypatch.setattr("os.kill", kill)
    settle_directory(tmp_path / "bundle")
    assert listing(tmp_path) == [".bundle.12345.abcd.tmp", ".bundle.old-12345"]


def test_settle_never_deletes_the_only_copy(tmp_path, monkeypatch):
    pid = dead_pid()
    aside = tmp_path / f".bundle.old-{pid}"
    aside.mkdir()
    (tmp_path / "bundle").write_text("a file in the way", encoding="utf-8")
    settle_directory(tmp_path / "bundle")  # the current bundle exists: the copy aside was replaced
    assert listing(tmp_path) == ["bundle"]
    aside.mkdir()
    (tmp_path / "bundle").unlink()

    def refuse(src, dst):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr("os.rename", refuse)
    settle_directory(tmp_path / "bundle")  # cannot restore it: leave it where it is
    assert listing(tmp_path) == [aside.name]


def test_settle_of_a_missing_folder_does_nothing(tmp_path):
    settle_directory(tmp_path / "missing" / "bundle")


def test_a_reader_finds_the_directory_a_killed_swap_left_aside_only_when_nothing_is_in_its_place(tmp_path):
    from classifier.io.textio import interrupted_swap

    pid = dead_pid()
    bundle = tmp_path / "my.bundle"  # a dot in the name: matched as a dot, not as any character
    assert interrupted_swap(bundle) is None  # nothing anywhere
    for name in (f".my.bundle.old-{pid}x", f".myxbundle.old-{pid}", f".my.bundles.old-{pid}", f"my.bundle.old-{pid}"):
        (tmp_path / name).mkdir()
    (tmp_path / f".my.bundle.old-{os.getpid()}").mkdir()  # a swap still under way
    (tmp_path / f".my.bundle.old-{pid + 1}").write_text("not a folder", encoding="utf-8")
    assert interrupted_swap(bundle) is None
    (tmp_path / f".my.bundle.old-{pid}").mkdir()
    assert interrupted_swap(str(bundle)) == tmp_path / f".my.bundle.old-{pid}"
    bundle.mkdir()  # the swap was finished, or the copy put back: the reader uses the bundle itself
    assert interrupted_swap(bundle) is None
    assert interrupted_swap(tmp_path / "missing" / "my.bundle") is None


def test_settle_matches_only_its_own_names(tmp_path):
    pid = dead_pid()
    for name in (
        f".bundle.old-{pid}x",
        f".bundle.{pid}.tmp",
        f".bundles.old-{pid}",
        f".bundle.{pid}.a.tmp.bak",
        f"bundle.old-{pid}",
        f".other.old-{pid}",
    ):
        (tmp_path / name).mkdir()
    (tmp_path / "bundle").mkdir()
    before = listing(tmp_path)
    settle_directory(tmp_path / "bundle")
    assert listing(tmp_path) == before


def test_one_nul_byte_in_the_first_block_marks_a_binary_file():
    with pytest.raises(InputError, match="binary file"):
        decode_bytes(b"A long enough line of plain text. " * 100 + b"\x00" + b"more text", "x.txt")


@pytest.mark.parametrize("controls, refused", [(10, False), (11, True)])
def test_more_than_one_control_byte_in_ten_marks_a_binary_file(controls, refused):
    data = b"\x01" * controls + b"a" * (100 - controls)
    if refused:
        with pytest.raises(InputError, match="binary file"):
            decode_bytes(data, "x.txt")
    else:
        assert decode_bytes(data, "x.txt") == data.decode("ascii")


def test_tabs_line_ends_and_form_feeds_are_text():
    data = b"\t\n\r\x0c" * 50 + b"text"
    assert decode_bytes(data, "x.txt") == data.decode("ascii")


@pytest.mark.parametrize("encoding", ["utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"])
def test_every_byte_order_mark_is_read(encoding):
    bom = {
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
    }[encoding]
    assert decode_bytes(bom + "Приштина\n".encode(encoding), "x") == "Приштина\n"
    # Past the first 8 KB too: the NUL bytes of UTF-16 and UTF-32 are text in every chunk, not binary data.
    long = "Observers met in Приштина.\n" * 3000
    assert decode_bytes(bom + long.encode(encoding), "x") == long


def test_a_file_of_exactly_the_limit_is_not_cut():
    assert decode_head(io.BytesIO(b"abcde"), "x", max_chars=5) == ("abcde", False)
    assert decode_head(io.BytesIO(b"abcdef"), "x", max_chars=5) == ("abcde", True)
    assert decode_head(io.BytesIO(b"abcdef"), "x") == ("abcdef", False)
    assert decode_head(io.BytesIO(b""), "x") == ("", False)


def test_the_limit_applies_past_the_first_block():
    data = b"a" * (70_000) + b"b" * 200_000
    text, cut = decode_head(io.BytesIO(data), "x", max_chars=150_000)
    assert cut and text == "a" * 70_000 + "b" * 80_000


def test_a_short_read_stream_is_read_to_its_end():
    class Trickle(io.RawIOBase):
        """A pipe that hands over three bytes at a time."""

        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def read(self, size=-1):
            piece, self.data = self.data[:3], self.data[3:]
            return piece

    text = "Genève " * 3000
    assert decode_head(Trickle(text.encode("utf-8")), "pipe") == (text, False)


def test_one_line_escapes_line_breaks_and_shortens():
    assert one_line("a\r\nb") == "a\\r\\nb"
    assert one_line("x" * 120) == "x" * 120
    assert one_line("x" * 121) == "x" * 117 + "..."
    assert one_line("abcdef", max_chars=5) == "ab..."


@pytest.mark.parametrize(
    "value, limit",
    [
        (None, DEFAULT_MAX_TEXT_CHARS),
        ("", DEFAULT_MAX_TEXT_CHARS),
        ("  ", DEFAULT_MAX_TEXT_CHARS),
        ("1", 1),
        (" 20_000 ", 20_000),
    ],
)
def test_max_text_setting(monkeypatch, value, limit):
    if value is None:
        monkeypatch.delenv("CLASSIFIER_MAX_TEXT", raising=False)
    else:
        monkeypatch.setenv("CLASSIFIER_MAX_TEXT", value)
    assert max_text_chars() == limit


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1.5"])
def test_a_max_text_setting_that_is_not_a_positive_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", value)
    with pytest.raises(SettingError) as error:
        max_text_chars()
    assert str(error.value) == f"CLASSIFIER_MAX_TEXT={value!r}: expected a positive whole number of characters"


def test_a_read_error_is_one_line_naming_the_file(tmp_path, monkeypatch):
    path = tmp_path / "page.txt"
    path.write_text("text", encoding="utf-8")
    os.chmod(path, 0)
    try:
        if os.geteuid() == 0:  # root reads anything: make opening itself fail instead

            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr("builtins.open", refuse)
            monkeypatch.setattr(os, "open", refuse)
        with pytest.raises(InputError) as error:
            read_text(path)
    finally:
        os.chmod(path, 0o644)
    assert str(error.value) == f"{path}: cannot read: Permission denied"


def test_read_text_gives_the_decoded_text(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes("Genève – OSCE".encode("cp1252"))
    assert read_text(path) == "Genève – OSCE"
    assert read_text_head(path, 3) == ("Gen", True)


def test_a_stream_is_read_in_chunks_only_as_far_as_the_limit_needs():
    page = "Observers followed the count. " * 200_000  # 6 million characters
    stream = io.BytesIO(page.encode("ascii"))
    text, cut = decode_head(stream, "big.txt", max_chars=100_000)
    assert cut and text == page[:100_000]
    # 8 KiB sniffed, then 64 KiB chunks until past the limit: two chunks.
    assert stream.tell() == 8192 + 2 * 65536


def test_a_text_exactly_one_block_long_still_says_whether_more_follows():
    data = b"a" * 8192 + b"b"
    assert decode_head(io.BytesIO(data), "x", max_chars=8192) == ("a" * 8192, True)
    assert decode_head(io.BytesIO(data[:8192]), "x", max_chars=8192) == ("a" * 8192, False)


def test_windows_1252_found_after_the_first_chunk_decodes_the_whole_file():
    # Valid UTF-8 (plain ASCII) for the first 100,000 bytes, then a Windows-1252 byte: every byte read so
    # far is decoded again as Windows-1252, not only the last chunk.
    data = b"a" * 100_000 + "Genève".encode("cp1252") + b" end"
    assert decode_bytes(data, "x") == "a" * 100_000 + "Genève end"


def test_the_latin_1_fallback_is_cut_at_the_limit_too():
    data = b"\x81" + b"a" * 20_000  # 0x81 is undefined in Windows-1252
    assert decode_head(io.BytesIO(data), "x", max_chars=10) == ("\x81" + "a" * 9, True)
    assert decode_head(io.BytesIO(data), "x") == ("\x81" + "a" * 20_000, False)


@pytest.mark.parametrize(
    "error, shown", [(OSError(5, "Input/output error"), "Input/output error"), (OSError("device gone"), "device gone")]
)
def test_an_error_while_reading_is_one_line_naming_the_file(tmp_path, monkeypatch, error, shown):
    path = tmp_path / "page.txt"
    path.write_text("text", encoding="utf-8")

    class Failing(io.BytesIO):
        def read(self, size=-1):
            raise error

    def failing(fd, *args, **kwargs):  # the file opens (a regular file), then reading it fails
        os.close(fd)
        return Failing()

    monkeypatch.setattr("builtins.open", lambda *args, **kwargs: Failing())
    monkeypatch.setattr(os, "fdopen", failing)
    with pytest.raises(InputError) as caught:
        read_text(path)
    assert str(caught.value) == f"{path}: cannot read: {shown}"


def test_the_sniffed_head_is_exactly_8_kib_even_from_a_pipe_that_trickles():
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self.data = data
            self.position = 0

        def readable(self):
            return True

        def read(self, size=-1):
            piece = self.data[self.position : self.position + min(3, size if size >= 0 else 3)]
            self.position += len(piece)
            return piece

    stream = Trickle(b"word " * 10_000)
    assert decode_head(stream, "pipe", max_chars=10) == ("word word ", True)
    assert stream.position == 8192


def test_settle_restores_one_copy_and_still_clears_the_others(tmp_path):
    first, second = sorted([dead_pid(), dead_pid()], key=str)
    for pid in (first, second):
        (tmp_path / f".bundle.old-{pid}").mkdir()
        (tmp_path / f".bundle.old-{pid}" / "model.json").write_text(str(pid), encoding="utf-8")
    settle_directory(tmp_path / "bundle")
    # The first in name order goes back; the other was replaced by then and is removed.
    assert listing(tmp_path) == ["bundle"]
    assert (tmp_path / "bundle" / "model.json").read_text(encoding="utf-8") == str(first)


def test_settle_never_fails_because_a_leftover_cannot_be_removed(tmp_path, monkeypatch):
    (tmp_path / "bundle").mkdir()
    leftover = tmp_path / f".bundle.{dead_pid()}.abcd.tmp"
    leftover.mkdir()
    (leftover / "model.json").write_text("half", encoding="utf-8")
    replaced = tmp_path / f".bundle.old-{dead_pid()}"  # a leftover that is a file, not a folder
    replaced.write_text("old", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("os.unlink", refuse)
    monkeypatch.setattr("os.rmdir", refuse)
    settle_directory(tmp_path / "bundle")  # nothing raised: the save goes on
    monkeypatch.undo()
    assert leftover.exists() and replaced.exists()


def test_text_lines_as_fasttext_reads_them():
    import io

    from classifier.io.textio import TextLine, text_lines

    data = "\ufeffone\r\ntwo é\n\nfour".encode() + b"\nfive\x00\nsix"
    assert list(text_lines(io.BytesIO(data), "in.txt")) == [
        TextLine(1, "one", False, None),
        TextLine(2, "two é", False, None),
        TextLine(3, "", False, None),
        TextLine(4, "four", False, None),
        TextLine(5, "", False, "in.txt:5: binary data, not text"),
        TextLine(6, "six", False, None),  # read on after it
    ]


def test_text_lines_cuts_a_long_line_and_reads_on_after_it():
    import io

    from classifier.io.textio import text_lines

    long = "é" * 50  # 100 bytes: past the 4 * 10 + 4 bytes read of a line limited to 10 characters
    lines = list(text_lines(io.BytesIO(f"{long}\nshort\n{'x' * 10}\n".encode()), "in.txt", max_chars=10))
    assert [(line.text, line.cut) for line in lines] == [("é" * 10, True), ("short", False), ("x" * 10, False)]


def test_text_lines_end_at_a_lone_cr_as_universal_newlines_do():
    import io

    from classifier.io.textio import text_lines

    data = b"one\rtwo\r\nthree\n\rfive\r" + b"x" * 100 + b"\rseven\r"  # old Mac line ends, mixed with the others
    lines = list(text_lines(io.BytesIO(data), "in.txt", max_chars=10))
    assert [(line.number, line.text, line.cut) for line in lines] == [
        (1, "one", False),
        (2, "two", False),
        (3, "three", False),
        (4, "", False),
        (5, "five", False),
        (6, "x" * 10, True),  # cut, and the line after it still read
        (7, "seven", False),
    ]
    assert [line.text for line in lines[:5]] == data.decode().splitlines()[:5]


LINE_LETTERS = "aé€𝄞 "  # characters of one to four bytes


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(st.tuples(st.text(LINE_LETTERS, max_size=30), st.sampled_from(["\n", "\r", "\r\n"])), max_size=8),
    last=st.text(LINE_LETTERS, max_size=12),
    max_chars=st.sampled_from([None, 1, 2, 3, 5]),
    chunk=st.sampled_from([1, 2, 3, 64 * 1024]),
    mark=st.booleans(),
)
# A line's "\r\n" split between two reads (its "\r" the last of the 8 bytes read of a line limited to 1 character),
# then a blank line: only the first "\n" is part of that line's end.
@example(lines=[("abcdefg", "\r\n"), ("", "\n")], last="z", max_chars=1, chunk=64 * 1024, mark=False)
# A line cut at the limit whose end comes with the rest of it, then a blank line: the blank line is kept.
@example(lines=[("abcdefghij", "\n"), ("", "\n")], last="z", max_chars=1, chunk=64 * 1024, mark=False)
def test_text_lines_are_the_lines_universal_newlines_read_cut_at_the_limit(lines, last, max_chars, chunk, mark):
    """Whatever the line ends and lengths, and however small the chunks a long line is skipped in, the lines are
    those Python's text mode reads (a byte-order mark dropped), each cut to `max_chars` characters and said cut
    when it had more; a line after a cut one is read whole."""
    from unittest import mock

    from classifier.io.textio import text_lines

    pieces = "".join(text + end for text, end in lines) + last
    data = (b"\xef\xbb\xbf" if mark and pieces else b"") + pieces.encode()  # a mark alone: one empty line
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=None).read()
    read_lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []
    expected = [(line[:max_chars], max_chars is not None and len(line) > max_chars) for line in read_lines]
    with mock.patch.object(textio, "CHUNK_BYTES", chunk):
        read = list(text_lines(io.BytesIO(data), "in.txt", max_chars))
    assert [(line.text, line.cut) for line in read] == expected
    assert [(line.number, line.error) for line in read] == [(number, None) for number in range(1, len(expected) + 1)]


class WatchedStream(io.BytesIO):
    """A stream that records the size each `readline` asked for, what it handed back, and how often it was read
    again after it had said it ended (a terminal would wait there for more input)."""

    def __init__(self, data):
        super().__init__(data)
        self.asked, self.pieces, self.reads_after_end = [], [], 0

    def readline(self, size=-1):
        self.reads_after_end += bool(self.pieces) and self.pieces[-1] == b""
        piece = super().readline(size)
        self.asked.append(size)
        self.pieces.append(piece)
        return piece


def test_text_lines_read_a_stream_a_line_at_a_time_and_a_long_line_a_chunk_at_a_time():
    """A pipe is answered line by line: the first line comes before the second is read. A line of 1 MB limited
    to 10 characters is never held whole: no read asks for more than the 44 bytes of the limit, or a chunk, even
    for what follows a line ended by a lone carriage return in the same read."""
    from classifier.io.textio import text_lines

    stream = WatchedStream(b"first line\n" + b"Vienna\r" + b"x" * 1_000_000 + b"\r\nlast line")
    lines = text_lines(stream, "in.txt", max_chars=10)
    assert next(lines).text == "first line" and stream.tell() == len(b"first line\n")
    assert [(line.text, line.cut) for line in lines] == [("Vienna", False), ("x" * 10, True), ("last line", False)]
    assert all(0 < size <= 44 or size == 64 * 1024 for size in stream.asked), stream.asked


def test_text_lines_with_no_limit_read_each_line_in_one_read():
    from classifier.io.textio import text_lines

    stream = WatchedStream(b"one\ntwo\r\nthree\rfour\n" + "Genève ".encode() * 10_000 + b"\n")
    lines = [line.text for line in text_lines(stream, "in.txt")]
    assert lines == ["one", "two", "three", "four", "Genève " * 10_000]
    assert stream.pieces == [b"one\n", b"two\r\n", b"three\rfour\n", "Genève ".encode() * 10_000 + b"\n", b""]


@pytest.mark.parametrize(
    "data, max_chars, read",
    [
        (b"Vienna\rBern", None, ["Vienna", "Bern"]),
        (b"Vienna\rBern", 2, ["Vi", "Be"]),
        (b"Vienna\rBern and Geneva", 2, ["Vi", "Be"]),  # the last line past the 12 bytes read of it
    ],
)
def test_text_lines_read_nothing_more_once_a_stream_has_ended(data, max_chars, read):
    """Typed at a terminal, the input ends when the user says so (Ctrl-D): a read after it would wait for more.
    So too when the last line has no line end, follows one ended by a lone carriage return, or is cut."""
    from classifier.io.textio import text_lines

    stream = WatchedStream(data)
    assert [line.text for line in text_lines(stream, "in.txt", max_chars)] == read
    assert stream.reads_after_end == 0


def test_a_line_not_utf8_is_reported_with_its_byte_and_the_lines_after_it_are_read():
    from classifier.io.textio import TextLine, text_lines

    data = "Vienna\nGen\xe8ve\n".encode("cp1252") + "Genève\n".encode() + b"\xe2\x82" * 40 + b"\nGen\xc3\n"
    data += b"Observers met in Geneva\xc3\nend"  # that letter as the last of the 24 bytes read of a line: no more
    assert list(text_lines(io.BytesIO(data), "in.txt", max_chars=5)) == [
        TextLine(1, "Vienn", True, None),
        TextLine(2, "", False, "in.txt:2: not valid UTF-8 (invalid continuation byte at byte 3)"),
        TextLine(3, "Genèv", True, None),
        TextLine(4, "", False, "in.txt:4: not valid UTF-8 (invalid continuation byte at byte 0)"),
        TextLine(5, "", False, "in.txt:5: not valid UTF-8 (unexpected end of data at byte 3)"),  # a letter half-written
        TextLine(6, "", False, "in.txt:6: not valid UTF-8 (unexpected end of data at byte 23)"),
        TextLine(7, "end", False, None),
    ]


from classifier.io import textio  # noqa: E402
from classifier.io.textio import utf8_stream  # noqa: E402

WIDE_TEXT = 'id,text\nж,Наблюдатели 🗳 met.\nb,"Officers\ntrained" ü\n' * 3


@pytest.mark.parametrize(
    "data",
    [
        WIDE_TEXT.encode("utf-16"),
        codecs.BOM_UTF16_BE + WIDE_TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + WIDE_TEXT.encode("utf-32-le"),
    ],
)
def test_a_wide_stream_reads_and_seeks_as_its_utf8_bytes(tmp_path, monkeypatch, data):
    # Chunks of 5 bytes end inside characters and inside the emoji's surrogate pair.
    monkeypatch.setattr(textio, "CHUNK_BYTES", 5)
    expected = WIDE_TEXT.encode("utf-8")
    (tmp_path / "wide.csv").write_bytes(data)
    with open(tmp_path / "wide.csv", "rb") as file:
        stream = utf8_stream(file)
        assert stream is not file and list(stream) == expected.splitlines(keepends=True)
        # Back to any byte, as the CSV reader goes back to the line where a stray quote began.
        for position in (0, 1, 9, 30, len(expected) // 2, len(expected) - 3, len(expected)):
            assert stream.seek(position) == position and stream.tell() == position
            assert stream.read() == expected[position:], position
    with open(tmp_path / "plain.csv", "wb+") as file:  # UTF-8, with its mark or not, is read as it is
        assert utf8_stream(file) is file


def test_a_wide_stream_seeks_from_where_it_is_but_not_from_its_end(tmp_path, monkeypatch):
    monkeypatch.setattr(textio, "CHUNK_BYTES", 5)  # a buffer of 5 bytes: a seek back past it reaches the decoder
    expected = WIDE_TEXT.encode("utf-8")
    (tmp_path / "wide.csv").write_bytes(WIDE_TEXT.encode("utf-16"))
    with open(tmp_path / "wide.csv", "rb") as file:
        stream = utf8_stream(file)
        assert stream.read() == expected
        assert stream.seek(-20, io.SEEK_CUR) == len(expected) - 20 and stream.read() == expected[-20:]
        with pytest.raises(io.UnsupportedOperation, match="^seek from the end of a decoded stream$"):
            stream.seek(0, io.SEEK_END)


def test_a_long_wide_stream_is_answered_a_chunk_at_a_time(tmp_path):
    """A UTF-16 file of 2 MB gives its first line having read no more than a chunk or so of it (a pipe would
    otherwise be read to its end first), and then the rest, line for line as its UTF-8 twin."""
    text = "id,text\n" + "ж,Наблюдатели met the commission in Приштина.\n" * 40_000
    (tmp_path / "wide.csv").write_bytes(text.encode("utf-16"))
    with open(tmp_path / "wide.csv", "rb") as file:
        stream = utf8_stream(file)
        assert stream.readline() == b"id,text\n"
        assert file.tell() <= 4 * 64 * 1024
        assert stream.read() == text.encode()[len("id,text\n") :]


def test_a_wide_stream_that_cannot_seek_is_still_read_line_by_line():
    read, write = os.pipe()
    with os.fdopen(write, "wb") as sink:
        sink.write(codecs.BOM_UTF16_LE + "a\nб\n".encode("utf-16-le") + b"\x00")  # an odd byte at the end
    with os.fdopen(read, "rb") as source:
        assert list(utf8_stream(source)) == [b"a\n", "б\n".encode(), "\ufffd".encode()]


def test_a_text_is_decoded_as_what_most_of_it_is_and_a_note_says_how_when_not_utf8():
    from classifier.io.textio import decode_text

    utf8 = "Košice and Prešov: observers met in Košice.\n".encode()
    stray = utf8 + b"A dash \x96 from another editor.\n"  # one Windows-1252 byte in a UTF-8 text
    assert decode_text(io.BytesIO(utf8), "a.txt") == (utf8.decode(), False, None)
    assert decode_text(io.BytesIO(stray), "b.txt") == (
        utf8.decode() + "A dash \ufffd from another editor.\n",
        False,
        "b.txt: not valid UTF-8 in places; read as UTF-8, with U+FFFD for the bytes that are not",
    )
    windows = "Košice and Prešov \u2013 observers met.\n".encode("cp1252")
    assert decode_text(io.BytesIO(windows), "c.txt") == (
        "Košice and Prešov \u2013 observers met.\n",
        False,
        "c.txt: not UTF-8; read as Windows-1252",
    )
    assert decode_text(io.BytesIO(b"caf\xe9 \x81"), "d.txt")[2] == "d.txt: not UTF-8; read as Latin-1"
    # decode_head is the same reading without its note.
    assert decode_head(io.BytesIO(stray), "b.txt") == decode_text(io.BytesIO(stray), "b.txt")[:2]


@pytest.mark.parametrize(
    "data, text, note",
    [
        # One letter of UTF-8 and one byte that is not (DEL, 0x7F, is ASCII: it counts for neither): as many of
        # each, read as Windows-1252.
        (b"Gen\xc3\xa8ve \x96 Vienna", "GenÃ¨ve \u2013 Vienna", "x.txt: not UTF-8; read as Windows-1252"),
        (b"Gen\xc3\xa8ve\x7f \x96 Vienna", "GenÃ¨ve\x7f \u2013 Vienna", "x.txt: not UTF-8; read as Windows-1252"),
        # Three letters of UTF-8 to the one byte: read as UTF-8.
        (
            b"Gen\xc3\xa8ve \xc3\xa9t\xc3\xa9 \x96",
            "Genève été \ufffd",
            "x.txt: not valid UTF-8 in places; read as UTF-8, with U+FFFD for the bytes that are not",
        ),
    ],
)
def test_a_text_is_read_as_utf8_only_when_its_utf8_letters_outnumber_its_other_bytes(data, text, note):
    from classifier.io.textio import decode_text

    assert decode_text(io.BytesIO(data), "x.txt") == (text, False, note)
    assert decode_text(io.BytesIO(data), "x.txt", max_chars=8) == (text[:8], True, note)  # cut at the limit too


def test_a_file_read_otherwise_than_as_utf8_says_so_in_its_documents_warning(tmp_path):
    from classifier.corpus.documents import read_documents

    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(
        "Observers met in Košice\nThe mission met officers in Prešov \x96 and judges.\n".encode().replace(b"\xc2", b"")
    )
    (doc,) = read_documents([mixed])
    assert doc.warning == f"{mixed}: not valid UTF-8 in places; read as UTF-8, with U+FFFD for the bytes that are not"
    assert doc.title == "Observers met in Košice" and "\ufffd" in doc.text
    plain = tmp_path / "plain.txt"
    plain.write_text("Observers met in Košice\nThe mission met officers.\n", encoding="utf-8")
    assert next(read_documents([plain])).warning is None


def test_a_full_disk_under_an_atomic_write_names_the_output_and_leaves_nothing(tmp_path):
    """`write` and `fsync` raise ENOSPC naming no file: the error names the file or folder being written, so
    `train --output` and `evaluate --report` say which, as `tag` does."""
    import errno

    from classifier.io.textio import atomic_directory, atomic_write

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    for target, writing in ((tmp_path / "r.html", atomic_write), (tmp_path / "bundle", atomic_directory)):
        with pytest.raises(OSError) as caught:
            with writing(target):
                full()
        assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(target))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OSError) as named:  # a file named already keeps its name
        with atomic_write(tmp_path / "r.html"):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", "elsewhere.txt")
    assert named.value.filename == "elsewhere.txt"


def test_a_regular_file_is_handed_back_blocking_and_kept_from_child_processes(tmp_path):
    """The file is opened non-blocking (a FIFO must not hang the open), then handed back as a plain open would
    give it: blocking, and not inherited by the worker processes the tool starts."""
    from classifier.io.textio import open_regular

    path = tmp_path / "page.txt"
    path.write_bytes("Genève – OSCE\n".encode())
    with open_regular(path) as handle:
        assert os.get_blocking(handle.fileno())
        assert not os.get_inheritable(handle.fileno())
        assert handle.read() == "Genève – OSCE\n".encode()


def test_a_directory_is_told_so_whether_the_system_opens_it_or_refuses(tmp_path, monkeypatch):
    """Linux opens a directory for reading (the open descriptor then says what it is); a system that refuses
    it at once says EISDIR. Either way the one-line message is the same."""
    from classifier.io.textio import open_regular

    def refuse(path, *args, **kwargs):
        raise IsADirectoryError(21, "Is a directory", str(path))

    messages = []
    for patch in (False, True):
        if patch:
            monkeypatch.setattr(os, "open", refuse)
        with pytest.raises(InputError) as error:
            open_regular(tmp_path)
        messages.append(str(error.value))
    assert messages == [f"{tmp_path}: is a directory"] * 2
