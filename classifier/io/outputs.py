"""Guard an output before writing it: one writer at a time (an advisory lock), and only a plain file or a new name as
the target."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from classifier.errors import ClassifierError


class OutputError(ClassifierError):
    """An output cannot be written (busy, not a plain file, a full or read-only disk); one line naming it."""


def lock_path(target: str | Path) -> Path:
    """The hidden `.NAME.lock` beside `target` (a path with no name of its own, `.` or `dir/..`, by its real one)."""
    target = Path(target)
    if target.name in ("", ".", ".."):
        target = Path(os.path.realpath(target))  # `link/..` is above the link's target, as the system reads it
    return target.with_name(f".{target.name}.lock") if target.name else target / ".root.lock"  # "/": in it


@contextlib.contextmanager
def output_lock(target: str | Path):
    """Hold an advisory lock on `target` for the whole run; a second run writing it is refused at once. Yields the
    HeldLock, whose `check` a long run (a server) calls before each write: a lock file removed meanwhile is taken
    again, or the write is refused if another run took it.

    The lock is a hidden `.NAME.lock` beside the target, removed when the run ends (a killed run leaves
    it, unlocked, for the next run to take). Without fcntl (Windows) runs are not locked.
    """
    try:
        import fcntl  # only where it is used
    except ImportError:  # pragma: no cover - not on POSIX
        yield HeldLock(Path(target), None, None)
        return
    path = lock_path(target)
    created = missing_folders(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # the target's folder, which writing it would create anyway
    except OSError as exc:
        remove_empty(created)
        raise OutputError(f"{target}: cannot write there ({exc.strerror})") from None
    try:
        held = HeldLock(Path(target), path, _take(target, path, fcntl))
    except BaseException:
        remove_empty(created)
        raise
    try:
        yield held
    except BaseException:  # refused data, an interrupt: nothing written, so not the folders made for it either
        held.release()
        remove_empty(created)
        raise
    finally:
        held.release()


def missing_folders(path: str | Path) -> list[Path]:
    """The folders above `path` that do not exist yet, nearest first: writing it creates them."""
    missing, parent = [], Path(path).absolute().parent
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders a run created above its output (`missing_folders`), nearest first, each only if empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _take(target: str | Path, path: Path, fcntl, again: bool = False) -> int:
    """An open descriptor of the lock file at `path`, locked and holding this process's id; OutputError if another
    run holds it (`again`: this run held it before, and its file was removed meanwhile)."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write there ({os.strerror(exc.errno)})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                who = f" (process {holder})" if holder.isdigit() else ""
                if again:
                    raise OutputError(
                        f"{target}: its lock ({path.name}) was removed while this run wrote it, and another run{who} "
                        "writes it now; nothing was written: stop one of them"
                    ) from None
                raise OutputError(
                    f"{target}: another run{who} is writing it; wait for it to end or write elsewhere"
                ) from None
            raise OutputError(f"{target}: cannot lock it ({os.strerror(exc.errno)})") from None
        # The previous holder may have removed the file between our open and our lock: lock the file
        # that is at the path now, or two runs would each hold a lock on a different file.
        if _is_at(fd, path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            return fd
        os.close(fd)


def _is_at(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is the one at `path` now (not removed, nor replaced by another)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False


class HeldLock:
    """The lock `output_lock` holds on a target."""

    def __init__(self, target: Path, path: Path | None, fd: int | None):
        self.target, self.path, self.fd = target, path, fd

    def check(self) -> None:
        """Before a write: the lock is still this run's. Its file removed (a clean-up of hidden files) lets a second
        run start and write the target too, each renaming its copy over the other's rows: the file is taken again
        if no other run has it, and OutputError (nothing written) if one has."""
        if self.fd is None or _is_at(self.fd, self.path):
            return
        import fcntl  # there since the lock was taken

        fd = _take(self.target, self.path, fcntl, again=True)
        os.close(self.fd)
        self.fd = fd

    def release(self) -> None:
        """Remove the lock file, if it is still this run's (another run's, taken since, stays), and let it go."""
        if self.fd is None:
            return
        if _is_at(self.fd, self.path):
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        os.close(self.fd)
        self.fd = None


def check_file_target(path: str | Path) -> None:
    """Refuse a target that writing a file there would misuse: a directory, a symlink, a device or a FIFO.

    Output files are written beside the target and renamed over it; renaming over `/dev/stdout` (a
    symlink) or a device would replace it with a plain file. A missing parent folder is fine (created).
    """
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write there ({exc.strerror})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{path}: is a directory; name a file to write")
        if stat.S_ISLNK(info.st_mode):
            raise OutputError(f"{path}: is a symlink; writing would replace the link, so name its target instead")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(
                f"{path}: is not a regular file (a device, FIFO or socket); name a file to write, or - for stdout"
            )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        reason = "read-only file system" if _read_only(parent) else "permission denied"
        raise OutputError(f"{path}: cannot write in {parent} ({reason})")


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def write_error(path: str | Path, exc: OSError, kept: str) -> OutputError:
    """The one-line error for a write that failed part way (disk full, read-only, I/O error)."""
    reason = exc.strerror or str(exc)
    return OutputError(f"{path}: cannot write: {reason}; {kept}")
