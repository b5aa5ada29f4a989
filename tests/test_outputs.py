"""Outputs: one writer at a time, only plain files as targets, and a failed write that keeps what it wrote."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.errors import ClassifierError
from classifier.io.outputs import OutputError, check_file_target, lock_path, output_lock

from conftest import ROOT, TRAINING

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    output = tmp_path / "tags.jsonl"
    with output_lock(output):
        with pytest.raises(OutputError, match=r"another run \(process \d+\) is writing it"):
            with output_lock(output):
                pass
    assert not lock_path(output).exists()  # removed when the run ends
    with output_lock(output):  # and free again
        pass


def test_a_run_that_fails_leaves_no_folder_it_created_for_its_output(tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        json.dumps({"id": "a", "text": "Observers followed the vote.", "labels": ["Climate"]}) + "\n", encoding="utf-8"
    )
    result = run("evaluate", labelled, "--report", tmp_path / "new" / "sub" / "report.html")
    assert result.exit_code == 1 and "unknown label 'Climate'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]  # before: new/sub/, empty
    result = run("pick", labelled, "--model", tmp_path / "no-bundle", "--output", tmp_path / "new" / "pick.jsonl")
    assert result.exit_code == 1 and "no-bundle: no such folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]
    with output_lock(tmp_path / "kept" / "out.jsonl"):
        (tmp_path / "kept" / "out.jsonl").write_text("{}\n", encoding="utf-8")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["out.jsonl"]  # a folder holding the output stays


def test_a_failed_run_from_python_leaves_no_folder_it_created_either(tmp_path):
    """The command line took away the folders its lock made for an output it never wrote; a Python caller's failed
    `train` (and any run under the lock that raises, Ctrl-C included) left them: the lock takes them away itself."""
    from classifier.workflows.training import train

    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        json.dumps({"id": "a", "text": "Observers followed the vote.", "labels": ["Climate"]}) + "\n", encoding="utf-8"
    )
    with pytest.raises(ClassifierError, match="unknown label 'Climate'"):
        train([labelled], tmp_path / "new" / "q" / "r", on_warning=lambda line: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]  # before: new/q/, empty
    with pytest.raises(KeyboardInterrupt), output_lock(tmp_path / "other" / "tags.jsonl"):
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]
    (tmp_path / "mine").mkdir()
    with pytest.raises(ValueError), output_lock(tmp_path / "mine" / "tags.jsonl"):
        raise ValueError("stopped")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl", "mine"]  # a folder it did not make stays


def test_the_lock_holds_across_processes(tmp_path):
    output = tmp_path / "tags.jsonl"
    code = (
        f"from classifier.io.outputs import output_lock\nwith output_lock({str(output)!r}): "
        "print('held', flush=True); input()"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match=f"process {holder.pid}"):
            with output_lock(output):
                pass
    finally:
        holder.communicate("\n")
    with output_lock(output):
        pass


@pytest.mark.parametrize(
    "command",
    [
        ["tag", EXAMPLE, "--output", "{out}/tags.jsonl", "--force"],
        ["tag", EXAMPLE, "--output", "{out}/tags.jsonl", "--resume"],
        ["train", TRAINING, "--output", "{out}/bundle"],
        ["pick", EXAMPLE, "--output", "{out}/pick.jsonl"],
        ["evaluate", TRAINING, "--report", "{out}/report.html"],
    ],
    ids=["tag --force", "tag --resume", "train --output", "pick --output", "evaluate --report"],
)
def test_every_writing_command_refuses_a_second_writer(tmp_path, command):
    args = [str(a).replace("{out}", str(tmp_path)) for a in command]
    target = args[args.index("--output") + 1] if "--output" in args else args[args.index("--report") + 1]
    with output_lock(target):
        result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {target}: another run (process {os.getpid()}) is writing it; wait for it to end or write elsewhere"
    ]
    assert not os.path.exists(target)


def test_two_tag_runs_at_once_give_each_id_once(tmp_path):
    table = tmp_path / "items.jsonl"
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:300]
    table.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows), encoding="utf-8")
    output = tmp_path / "tags.jsonl"
    command = [
        sys.executable,
        "-m",
        "classifier",
        "tag",
        str(table),
        "--output",
        str(output),
        "--force",
        "--jobs",
        "1",
        "--chunk-size",
        "20",
    ]
    first, second = (subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2))
    results = [(p.wait(timeout=300), p.stderr.read()) for p in (first, second)]
    ids = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(r["id"] for r in rows)  # each once, whoever won
    codes = sorted(code for code, _ in results)
    if codes == [0, 1]:  # they overlapped: the second was refused in one line
        refused = next(err for code, err in results if code == 1)
        assert "another run" in refused and "Traceback" not in refused


@pytest.mark.parametrize("kind", ["directory", "symlink", "fifo", "device"])
def test_targets_that_are_not_plain_files_are_refused_before_anything_runs(tmp_path, kind):
    target = tmp_path / "out.jsonl"
    if kind == "directory":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "real.jsonl").write_text("keep\n")
        target.symlink_to(tmp_path / "real.jsonl")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = "/dev/null"
    with pytest.raises(OutputError):
        check_file_target(target)
    result = run("tag", EXAMPLE, "--output", target, "--format", "jsonl", "--force")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {target}: ")
    if kind == "symlink":
        assert os.path.islink(target) and (tmp_path / "real.jsonl").read_text() == "keep\n"
    assert not list(tmp_path.glob(".out.jsonl.*"))


def test_dev_stdout_is_never_replaced(tmp_path):
    link = tmp_path / "stdout"
    link.symlink_to("/dev/stdout")
    result = run("tag", EXAMPLE, "--output", link, "--format", "jsonl", "--force")
    assert result.exit_code == 1 and "is a symlink" in result.stderr
    assert os.readlink(link) == "/dev/stdout"


def test_output_dash_streams_rows_to_stdout(tmp_path):
    result = run("tag", EXAMPLE, ROOT / "examples" / "plain-text-media.txt", "--output", "-")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["labels"][0] for row in rows] == ["Elections", "Media freedom and development"]
    assert not (ROOT / "-").exists()
    result = run("tag", EXAMPLE, "--output", "-", "--format", "csv")
    assert result.stdout.splitlines()[0] == "id,labels,scores,error,warning,flag,model"
    assert run("tag", EXAMPLE, "--output", "-", "--resume").exit_code == 2


def test_unknown_output_suffix_is_a_usage_error(tmp_path):
    result = run("tag", EXAMPLE, "--output", tmp_path / "tags.xlsx")
    assert result.exit_code == 2 and "unknown output suffix .xlsx" in result.stderr
    assert not (tmp_path / "tags.xlsx").exists()
    assert run("tag", EXAMPLE, "--output", tmp_path / "tags.xlsx", "--format", "csv").exit_code == 0


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS])
def test_a_failed_write_keeps_whole_rows_and_says_resume_finishes_it(tmp_path, monkeypatch, fmt, error):
    from classifier.io import tagfiles

    table = tmp_path / "items.jsonl"
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:60]
    table.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows), encoding="utf-8")
    output = tmp_path / f"tags.{fmt}"
    cls = {"jsonl": tagfiles.JsonlTagFile, "csv": tagfiles.CsvTagFile, "parquet": tagfiles.ParquetTagFile}[fmt]
    real_append = cls.append
    calls = []

    def failing_append(self, payload, rows, last_id):
        calls.append(rows)
        if len(calls) == 3:
            raise OSError(error, os.strerror(error))
        return real_append(self, payload, rows, last_id)

    monkeypatch.setattr(cls, "append", failing_append)
    result = run("tag", table, "--output", output, "--chunk-size", "10", "--jobs", "1")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: {output}: cannot write: {os.strerror(error)}; 20 whole rows are kept; make room or fix it, "
        "then run the same command with --resume to finish"
    ]
    monkeypatch.setattr(cls, "append", real_append)
    result = run("tag", table, "--output", output, "--chunk-size", "10", "--jobs", "1", "--resume")
    assert result.exit_code == 0, result.stderr
    assert "(20 already in the output)" in result.stderr
    assert not (tmp_path / f".tags.{fmt}.parts").exists()


def test_a_failed_parquet_run_with_no_rows_leaves_no_parts_folder(tmp_path, monkeypatch):
    from classifier.io import tagfiles

    def failing_append(self, payload, rows, last_id):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tagfiles.ParquetTagFile, "append", failing_append)
    result = run("tag", EXAMPLE, "--output", tmp_path / "tags.parquet")
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert not (tmp_path / ".tags.parquet.parts").exists()


def test_a_read_only_folder_is_refused_before_tagging(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = run("tag", EXAMPLE, "--output", folder / "tags.jsonl")
        assert result.exit_code == 1 and "cannot write in" in result.stderr
    finally:
        folder.chmod(0o700)


def test_a_lock_in_a_folder_that_does_not_exist_yet_creates_it(tmp_path):
    target = tmp_path / "new" / "deeper" / "bundle"
    with output_lock(target):
        assert lock_path(target).exists()
    assert not lock_path(target).exists() and target.parent.is_dir()


def test_a_chunk_cut_short_by_a_full_disk_is_taken_back(tmp_path, monkeypatch):
    from classifier.io import tagfiles

    output = tmp_path / "tags.jsonl"
    target = tagfiles.open_tag_file(output, "jsonl")
    row = {"id": "a", "labels": [], "scores": {}, "error": "", "warning": "", "flag": ""}
    target.append(tagfiles.encode_rows([row, {**row, "id": "b"}], "jsonl"), 2, "b")
    whole = output.read_bytes()
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 10:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tagfiles.os, "write", half_then_full)
    with pytest.raises(OSError):
        target.append(tagfiles.encode_rows([{**row, "id": "c"}, {**row, "id": "d"}], "jsonl"), 2, "d")
    assert output.read_bytes() == whole and target.done == 2


def test_a_read_only_file_system_is_named_before_tagging(tmp_path, monkeypatch):
    from classifier.io import outputs

    monkeypatch.setattr(outputs.os, "access", lambda path, mode: False)
    monkeypatch.setattr(outputs, "_read_only", lambda folder: True)
    result = run("tag", EXAMPLE, "--output", tmp_path / "tags.jsonl")
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'tags.jsonl'}: cannot write in {tmp_path} (read-only file system)\n"
    assert os.listdir(tmp_path) == []


def test_a_write_refused_at_the_start_says_nothing_was_tagged(tmp_path, monkeypatch):
    from classifier.workflows import tagging

    def refuse(path, record):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tagging, "write_run_record", refuse)
    result = run("tag", EXAMPLE, "--output", tmp_path / "tags.jsonl")
    assert result.exit_code == 1
    assert (
        result.stderr == f"error: {tmp_path / 'tags.jsonl'}: cannot write: Read-only file system; nothing was tagged\n"
    )
    assert not (tmp_path / "tags.jsonl").exists()


def test_the_lock_is_a_hidden_file_named_after_the_target_beside_it():
    assert lock_path("/data/out/tags.jsonl") == Path("/data/out/.tags.jsonl.lock")
    assert lock_path(Path("bundle")) == Path(".bundle.lock")


def test_a_folder_named_without_a_name_of_its_own_is_locked_by_its_real_name(tmp_path, monkeypatch):
    """`train --output .` or `--output out/..` writes the working folder: its lock is the one `--output` naming it
    in full takes, so the two runs exclude each other; the root, with no name at all, holds its lock inside."""
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    monkeypatch.chdir(work)
    for target in (".", "", "out/..", Path("out/.."), work / "out" / "..", work):
        assert lock_path(target) == tmp_path / ".work.lock", target
    assert lock_path("/") == Path("/.root.lock")
    with output_lock("."):
        assert (tmp_path / ".work.lock").read_text(encoding="ascii") == str(os.getpid())
        with pytest.raises(OutputError, match="another run"):
            with output_lock(work):
                pass
    assert not (tmp_path / ".work.lock").exists()


def test_a_folder_named_through_a_link_and_dot_dot_is_locked_beside_the_folder_written(tmp_path, monkeypatch):
    """`link/..` is the folder above the link's target, as the system reads the path (not the folder holding the
    link): its lock is the one a run naming that folder takes, in the folder that holds it."""
    work = tmp_path.resolve() / "work"
    (work / "reports" / "2024").mkdir(parents=True)
    (work / "latest").symlink_to(work / "reports" / "2024")
    monkeypatch.chdir(work)
    assert lock_path("latest/..") == lock_path(work / "reports") == work / ".reports.lock"
    with output_lock("latest/.."):
        with pytest.raises(OutputError, match="another run"):
            with output_lock(work / "reports"):
                pass


def test_the_lock_file_holds_exactly_the_pid_of_its_holder_even_over_a_stale_longer_one(tmp_path):
    output = tmp_path / "tags.jsonl"
    lock_path(output).write_text("123456789012345678901234567890\n")  # left, unlocked, by a killed run
    with output_lock(output):
        assert lock_path(output).read_text() == str(os.getpid())
    assert not lock_path(output).exists()
    fresh = tmp_path / "bundle"
    with output_lock(fresh):  # a new lock file: readable by all, written by its owner only
        assert oct(lock_path(fresh).stat().st_mode & 0o777) == oct(0o644 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("content", [b"starting", "démarrage".encode("cp1252")])  # not ASCII: no pid either
def test_a_lock_held_by_a_run_that_wrote_no_pid_is_refused_without_naming_a_process(tmp_path, content):
    import fcntl

    output = tmp_path / "tags.jsonl"
    lock_path(output).write_bytes(content)
    with open(lock_path(output), "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a second open file: conflicts even in this process
        with pytest.raises(OutputError) as caught:
            with output_lock(output):
                pass
    assert str(caught.value) == f"{output}: another run is writing it; wait for it to end or write elsewhere"
    assert lock_path(output).read_bytes() == content  # the holder's file is left as it is


def test_a_lock_that_fails_for_another_reason_says_why(tmp_path, monkeypatch):
    import fcntl

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    output = tmp_path / "tags.jsonl"
    with pytest.raises(OutputError) as caught:
        with output_lock(output):
            pass
    assert str(caught.value) == f"{output}: cannot lock it (No locks available)"


def test_a_lock_file_removed_before_it_was_locked_is_opened_again(tmp_path, monkeypatch):
    # The previous holder removes the lock file between our open and our lock: we must hold a lock on the
    # file that is at the path, where the next run will look, not on the removed one.
    import fcntl

    output = tmp_path / "tags.jsonl"
    real_flock, calls = fcntl.flock, []

    def removed_first(fd, operation):
        calls.append(operation)
        if len(calls) == 1:
            os.unlink(lock_path(output))
        return real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", removed_first)
    with output_lock(output):
        assert len(calls) == 2
        assert lock_path(output).read_text() == str(os.getpid())
        monkeypatch.setattr(fcntl, "flock", real_flock)
        with pytest.raises(OutputError, match="another run"):
            with output_lock(output):
                pass


def test_a_lock_where_no_folder_can_be_made_names_the_target(tmp_path):
    (tmp_path / "file.txt").write_text("a file, not a folder\n")
    target = tmp_path / "file.txt" / "sub" / "tags.jsonl"
    with pytest.raises(OutputError) as caught:
        with output_lock(target):
            pass
    assert str(caught.value) == f"{target}: cannot write there (Not a directory)"


def test_a_lock_file_that_is_a_symlink_is_not_followed(tmp_path):
    output = tmp_path / "tags.jsonl"
    (tmp_path / "elsewhere").write_text("keep\n")
    lock_path(output).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError) as caught:
        with output_lock(output):
            pass
    assert str(caught.value) == f"{output}: cannot write there ({os.strerror(errno.ELOOP)})"
    assert (tmp_path / "elsewhere").read_text() == "keep\n"


def test_each_kind_of_target_that_is_not_a_plain_file_gets_its_own_message(tmp_path):
    folder, link, fifo = tmp_path / "folder", tmp_path / "link", tmp_path / "fifo"
    folder.mkdir()
    link.symlink_to(tmp_path / "missing")
    os.mkfifo(fifo)
    expected = {
        folder: "is a directory; name a file to write",
        link: "is a symlink; writing would replace the link, so name its target instead",
        fifo: "is not a regular file (a device, FIFO or socket); name a file to write, or - for stdout",
        tmp_path / "file.txt" / "out.jsonl": "cannot write there (Not a directory)",
    }
    (tmp_path / "file.txt").write_text("x\n")
    for target, message in expected.items():
        with pytest.raises(OutputError) as caught:
            check_file_target(target)
        assert str(caught.value) == f"{target}: {message}"


def test_a_plain_file_or_a_new_name_in_new_folders_is_a_fine_target(tmp_path):
    (tmp_path / "old.jsonl").write_text("x\n")
    check_file_target(tmp_path / "old.jsonl")
    check_file_target(tmp_path / "new.jsonl")
    check_file_target(tmp_path / "a" / "b" / "new.jsonl")


def test_a_folder_that_cannot_be_written_is_named_with_the_reason(tmp_path, monkeypatch):
    from classifier.io import outputs

    seen = []
    monkeypatch.setattr(outputs.os, "access", lambda path, mode: seen.append((Path(path), mode)) or False)
    target = tmp_path / "a" / "b" / "tags.jsonl"
    with pytest.raises(OutputError) as caught:
        check_file_target(target)
    assert str(caught.value) == f"{target}: cannot write in {tmp_path} (permission denied)"
    assert seen == [(tmp_path, os.W_OK | os.X_OK)]  # the nearest folder that exists


def test_a_read_only_file_system_is_told_from_its_flags(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from classifier.io import outputs

    assert outputs._read_only(tmp_path) is False
    monkeypatch.setattr(outputs.os, "statvfs", lambda folder: SimpleNamespace(f_flag=os.ST_RDONLY | os.ST_NOSUID))
    assert outputs._read_only(tmp_path) is True
    monkeypatch.setattr(outputs.os, "statvfs", lambda folder: SimpleNamespace(f_flag=os.ST_NOSUID))
    assert outputs._read_only(tmp_path) is False

    def fails(folder):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(outputs.os, "statvfs", fails)
    assert outputs._read_only(tmp_path) is False


def test_a_failed_write_is_one_line_with_the_reason_and_what_was_kept():
    from classifier.io.outputs import write_error

    full = write_error("out/tags.csv", OSError(errno.ENOSPC, "No space left on device"), "12 whole rows are kept")
    assert isinstance(full, OutputError)
    assert str(full) == "out/tags.csv: cannot write: No space left on device; 12 whole rows are kept"
    assert str(write_error("t.csv", OSError("disk gone"), "nothing was tagged")) == (
        "t.csv: cannot write: disk gone; nothing was tagged"
    )


def test_a_lock_file_removed_while_held_is_taken_again_before_the_next_write(tmp_path):
    """A clean-up of hidden files removed a server's lock: nothing noticed, and a second server could start on the
    same labels file. The holder's check before a write takes the lock file again while no other run has."""
    output = tmp_path / "labelled.jsonl"
    with output_lock(output) as held:
        lock_path(output).unlink()
        held.check()
        assert lock_path(output).read_text(encoding="ascii") == str(os.getpid())
        with pytest.raises(OutputError, match="another run"):  # held again: a second run is refused
            with output_lock(output):
                pass
    assert not lock_path(output).exists()


def test_a_run_whose_lock_another_run_took_writes_nothing_and_leaves_that_lock(tmp_path):
    """Two servers on one labels file, the first's lock file removed before the second started: each renamed its
    copy of the file over the other's rows, and 100 acknowledged rows became 63. The first's next write is refused,
    naming the other run, and the first ending leaves the second's lock file in place."""
    output = tmp_path / "labelled.jsonl"
    first = output_lock(output)
    held = first.__enter__()
    lock_path(output).unlink()
    with output_lock(output):  # the second run
        with pytest.raises(OutputError) as refused:
            held.check()
        assert str(refused.value) == (
            f"{output}: its lock (.labelled.jsonl.lock) was removed while this run wrote it, and another run (process "
            f"{os.getpid()}) writes it now; nothing was written: stop one of them"
        )
        first.__exit__(None, None, None)
        assert lock_path(output).exists()  # the second run's
    assert not lock_path(output).exists()


def test_a_lock_still_in_place_is_kept_by_every_check(tmp_path):
    """A server checks its lock before each write; while its file is in place each check lets the write go on."""
    output = tmp_path / "labelled.jsonl"
    with output_lock(output) as held:
        for _ in range(3):
            held.check()
        assert lock_path(output).read_text(encoding="ascii") == str(os.getpid())
        with pytest.raises(OutputError, match="another run"):
            with output_lock(output):
                pass
    assert not lock_path(output).exists()


def test_a_lock_file_replaced_by_a_link_is_not_held_any_more(tmp_path):
    """The lock is the plain file at its path, as the next run opens it (never through a link): a link put there,
    even to the held file, is refused at the next check and left at the end."""
    output = tmp_path / "tags.jsonl"
    moved = tmp_path / "moved.lock"
    with output_lock(output) as held:
        lock_path(output).rename(moved)
        lock_path(output).symlink_to(moved)
        with pytest.raises(OutputError) as caught:
            held.check()
        assert str(caught.value) == f"{output}: cannot write there ({os.strerror(errno.ELOOP)})"
    assert lock_path(output).is_symlink() and moved.read_text(encoding="ascii") == str(os.getpid())


def test_a_lock_file_that_cannot_be_removed_at_the_end_is_left_for_the_next_run(tmp_path, monkeypatch):
    """Its folder made read-only during the run (refused here by hand: root may remove it anyway): the run still
    ends as it would, and its lock file, unlocked, is taken by the next run."""
    output = tmp_path / "tags.jsonl"
    real_unlink = os.unlink

    def refused(path, *args, **kwargs):
        if Path(path) == lock_path(output):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_unlink(path, *args, **kwargs)

    with output_lock(output):
        monkeypatch.setattr(os, "unlink", refused)
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert lock_path(output).read_text(encoding="ascii") == str(os.getpid())
    with output_lock(output):
        pass
    assert not lock_path(output).exists()
