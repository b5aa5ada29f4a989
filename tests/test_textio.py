import io
import os
import subprocess
import sys

import pytest
from hypothesis import example, given

from classifier.io.textio import (
    InputError, atomic_directory, atomic_write, decode_head, read_text, read_text_head, settle_directory,
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
