"""Expand a glob as Python's `glob` does, entering each folder once: symlink loops neither trap nor double it."""

from __future__ import annotations

import fnmatch
import glob as globlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

RECURSIVE = "**"


@dataclass
class _Walk:
    """One expansion: the pattern's parts below its root, what has been entered and what has been found."""

    parts: list[str]
    entered: set[tuple[str, int]] = field(default_factory=set)  # (a folder's real path, the part it was matched at)
    links: list[tuple[str, int, bool]] = field(default_factory=list)  # symlinked folders, entered after the others
    found: list[str] = field(default_factory=list)


def glob_paths(pattern: str) -> list[str]:
    """The paths `glob.glob(pattern, recursive=True)` gives, sorted, each once, without following a symlink round.

    Each folder is entered once for each part of the pattern it can match (its real path decides), so `**` over a
    symlink to a folder above it stops instead of going round till the path is too long. Folders reached without a
    symlinked folder on the way are entered first, so a file is found under its own path rather than through a link
    to its folder, whatever the names sort as; a symlinked folder leading somewhere new is still followed. A file
    reached through a symlinked folder is left out when its real path was found already; a link to a file named by
    the pattern itself is kept, as glob keeps it. Hidden names match as glob matches them: only a part starting with
    "." matches them, and `**` never does.
    """
    root, parts = _split(pattern)
    if not parts:  # no wildcard: the path itself, if there is one
        return [pattern] if os.path.lexists(pattern) else []
    walk = _Walk(parts)
    _enter(walk, (root, 0, False))
    found = set(walk.found)
    # Only needed once a symlinked folder was met: most of the walk's time on a large tree otherwise.
    real = {os.path.realpath(path) for path in found} if walk.links else set()
    while walk.links:  # then the symlinked folders met, nearest first: each may lead to more
        pending, walk.links, walk.found = sorted(walk.links), [], []
        for link in pending:
            _enter(walk, link)
        for path in sorted(walk.found):
            if os.path.realpath(path) not in real:
                real.add(os.path.realpath(path))
                found.add(path)
    return sorted(found)


def _split(pattern: str) -> tuple[str, list[str]]:
    """The pattern's root (its leading parts free of wildcards, "" for the current folder) and its other parts."""
    root, parts = pattern, []
    while globlib.has_magic(root):
        root, part = os.path.split(root)
        parts.append(part)
    return root, parts[::-1]


def _enter(walk: _Walk, start: tuple[str, int, bool]) -> None:
    """Match the parts below a folder (its path, the part to match there, whether `**` led into it), entering each
    (real folder, part) once; symlinked folders met are put aside in `walk.links`."""
    stack = [start]
    while stack:
        folder, index, recursed = stack.pop()
        key = (os.path.realpath(folder), index)
        if key in walk.entered:
            continue
        walk.entered.add(key)
        for path, next_index, is_folder, is_link in _matched(folder, walk.parts, index, recursed):
            if next_index == len(walk.parts):
                walk.found.append(path)
            elif is_folder:
                (walk.links if is_link else stack).append((path, next_index, next_index == index))


def _matched(folder: str, parts: list[str], index: int, recursed: bool) -> Iterator[tuple[str, int, bool, bool]]:
    """(path, the part to match next below it, whether it is a folder, whether it is a symlink) for each name of
    `folder` that part `index` matches; for `**`, each folder below it, to match `**` again, and the folder itself,
    to match the next part (`**` stands for no folder too)."""
    part = parts[index]
    if part == RECURSIVE:
        last = index + 1 == len(parts)
        itself = os.path.join(folder, "")  # `a/**/x` names `a/x`, and `a/**` names `a/` (but `**` names no "")
        if not (last and (recursed or not itself)):
            yield itself, index + 1, True, False
        for name, is_folder, is_link in _listed(folder):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            if is_folder:
                yield path, index, True, is_link
            if last:  # `a/**` names every file and folder below `a`, as glob does
                yield path, index + 1, is_folder, is_link
    elif globlib.has_magic(part):
        for name, is_folder, is_link in _listed(folder):
            if (part.startswith(".") or not name.startswith(".")) and fnmatch.fnmatch(name, part):
                yield os.path.join(folder, name), index + 1, is_folder, is_link
    else:
        path = os.path.join(folder, part)
        if os.path.lexists(path):
            yield path, index + 1, os.path.isdir(path), os.path.islink(path)


def _listed(folder: str) -> list[tuple[str, bool, bool]]:
    """(name, whether it is a folder or a link to one, whether it is a symlink) for each entry; none when it cannot
    be listed, as glob passes over it."""
    try:
        with os.scandir(folder or os.curdir) as entries:
            return [(entry.name, _is_folder(entry), entry.is_symlink()) for entry in entries]
    except OSError:
        return []


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def would_match(pattern: str, path: str) -> bool:
    """Whether `glob_paths(pattern)` would give `path` were it there (it need not be yet: an output about to be
    written), matched part by part as the walk matches: a wildcard within one part, `**` for any number of parts, a
    hidden name only by a part that starts with "." (and never by `**`)."""
    return _parts_match(os.path.abspath(pattern).split(os.sep), os.path.abspath(path).split(os.sep))


def _parts_match(parts: list[str], names: list[str]) -> bool:
    if not parts:
        return not names
    part, rest = parts[0], parts[1:]
    if part == RECURSIVE:
        for taken in range(len(names) + 1):
            if taken and names[taken - 1].startswith("."):
                return False
            if _parts_match(rest, names[taken:]):
                return True
        return False
    if not names or not fnmatch.fnmatchcase(names[0], part):
        return False
    if names[0].startswith(".") and globlib.has_magic(part) and not part.startswith("."):
        return False
    return _parts_match(rest, names[1:])
