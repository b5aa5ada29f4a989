"""Read a bundle as untrusted data: bounded sizes, plain files inside it, a checked model.json, only the arrays it
declares.

A shared bundle may be hostile, and its checksums prove nothing (whoever changed a file rewrites them).
So every file is opened without following a symlink out of the bundle and refused unless it is a
regular file within its size limit; model.json must fit a schema and its parameters an allow-list of
types and ranges; and from model.npz only the expected members are read, each after its declared
shape, dtype and size were checked against model.json and vocabulary.json, and never more bytes than
that shape needs. Memory for loading any bundle is thereby bounded by the limits below.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from classifier.bundle.probe import is_probe
from classifier.errors import ClassifierError

# Limits, about a hundred times what the shipped bundle needs (23 fields, 40,501 features, 26 KB of
# model.json, 0.5 MB of vocabulary, 4 MB of arrays, 0.3 MB of training documents).
MAX_LABELS = 1_000
MAX_FEATURES = 5_000_000
MAX_METADATA_BYTES = 16 << 20
MAX_VOCABULARY_BYTES = 256 << 20
MAX_ARRAY_BYTES = 1 << 30  # every array of model.npz together, uncompressed
MAX_TRAINING_BYTES = 256 << 20  # training.jsonl.gz, uncompressed: ~100,000 documents; they are all held in memory
MAX_TERM_CHARS = 1_000
_NPY_HEADER_BYTES = 4096


class BundleCheckError(ClassifierError):
    """What is wrong with one file or key of a bundle; storage.BundleError adds what to do."""


def open_bundle_file(bundle: Path, name: str, max_bytes: int) -> BinaryIO:
    """`bundle/name` opened for reading, if it is a regular file inside the bundle no larger than `max_bytes`.

    Opened non-blocking and checked on the open descriptor: a FIFO or a device never blocks the read,
    and a file swapped for a link after the check is still caught.
    """
    path = bundle / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise FileNotFoundError(path) from None
    except OSError as exc:
        raise BundleCheckError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        inside = os.path.realpath(bundle)
        if os.path.commonpath([inside, os.path.realpath(path)]) != inside:
            raise BundleCheckError(
                f"{path}: a symlink leaving the bundle (to {os.readlink(path)}); a bundle holds its own files"
            )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BundleCheckError(f"{path}: cannot read: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise BundleCheckError(f"{path}: not a regular file (a FIFO, device or directory); a bundle holds plain files")
    if info.st_size > max_bytes:
        os.close(fd)
        raise BundleCheckError(
            f"{path}: {info.st_size:,} bytes, more than the {max_bytes:,} a bundle's {name} may have"
        )
    return os.fdopen(fd, "rb")


_READ_PIECE = 1 << 20


def read_bundle_bytes(bundle: Path, name: str, max_bytes: int) -> bytes:
    # In pieces: `read(max_bytes + 1)` asks for the whole bound at once (256 MiB to read a 16 KB file), which a
    # process under a memory limit (`ulimit -v`) cannot have.
    chunks, size = [], 0
    with open_bundle_file(bundle, name, max_bytes) as handle:
        while size <= max_bytes:
            chunk = handle.read(min(_READ_PIECE, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # it grew after the check
        raise BundleCheckError(f"{bundle / name}: more than the {max_bytes:,} bytes a bundle's {name} may have")
    return data


def _bounded_int(digits: str) -> int:
    length = len(digits.lstrip("-"))  # the sign is no digit
    if length > 20:
        raise ValueError(f"an integer of {length:,} digits")
    return int(digits)


def load_json(data: bytes, where: Path):
    """JSON from a bundle: integers of at most 20 digits, bounded nesting; BundleCheckError naming the file
    otherwise."""
    try:
        return json.loads(data, parse_int=_bounded_int)
    except RecursionError:
        raise BundleCheckError(f"{where}: unreadable (nested too deeply)") from None
    except UnicodeDecodeError as exc:
        raise BundleCheckError(f"{where}: unreadable (not UTF-8: {exc.reason})") from None
    except ValueError as exc:
        raise BundleCheckError(f"{where}: unreadable ({str(exc).splitlines()[0]})") from None


# model.json


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _str_list(value, max_items: int = MAX_LABELS) -> bool:
    return isinstance(value, list) and len(value) <= max_items and all(isinstance(item, str) for item in value)


def _range(low: int, high: int):
    def check(value) -> bool:
        return (
            isinstance(value, list)
            and len(value) == 2
            and all(_is_int(v) for v in value)
            and low <= value[0] <= value[1] <= high
        )

    return check


def _number(low: float, high: float, *, above_low: bool = False):
    def check(value) -> bool:
        return _is_number(value) and (value > low if above_low else value >= low) and value <= high

    return check


def _df(value) -> bool:
    return (_is_int(value) and 1 <= value <= 10**9) or (isinstance(value, float) and 0.0 < value <= 1.0)


# Every parameter a bundle may carry, with what it may hold: anything else is refused, not passed on.
PARAMETERS = {
    "ngram_range": (_range(1, 4), "two whole numbers from 1 to 4, the first not above the second"),
    "char_ngram_range": (_range(1, 10), "two whole numbers from 1 to 10, the first not above the second"),
    "stop_words": (
        lambda v: v is None or v == "english" or _str_list(v, 100_000),
        '"english", null or a list of words',
    ),
    "min_df": (_df, "a whole number of documents, or a share in (0, 1]"),
    "max_df": (_df, "a whole number of documents, or a share in (0, 1]"),
    "title_weight": (_number(0.0, 100.0), "a number from 0 to 100"),
    "char_weight": (_number(0.0, 100.0), "a number from 0 to 100"),
    "C": (_number(0.0, 1e6, above_low=True), "a number above 0, at most 1,000,000"),
    "class_weight": (lambda v: v in (None, "balanced"), '"balanced" or null'),
    "tol": (_number(0.0, 1e3, above_low=True), "a number above 0, at most 1,000"),
    "cv": (lambda v: _is_int(v) and 2 <= v <= 100, "a whole number from 2 to 100"),
    "ensure_one": (lambda v: isinstance(v, bool), "true or false"),
    "top_ratio": (_number(0.0, 1.0), "a number from 0 to 1"),
    "phrase_accept": (lambda v: _is_int(v) and 0 <= v <= 1000, "a whole number from 0 to 1000 (0: off)"),
    "lead_phrase_accept": (lambda v: _is_int(v) and 0 <= v <= 1000, "a whole number from 0 to 1000 (0: off)"),
    "window_phrase_accept": (lambda v: _is_int(v) and 0 <= v <= 1000, "a whole number from 0 to 1000 (0: off)"),
    "label_keywords": (
        lambda v: v is None or (_str_list(v) and all(len(text) <= 1_000_000 for text in v)),
        "null or one text per field",
    ),
    "label_phrases": (
        lambda v: (
            v is None
            or (
                isinstance(v, list)
                and len(v) <= MAX_LABELS
                and all(
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(_str_list(kind, 10_000) and all(len(x) <= 1_000 for x in kind) for kind in pair)
                    for pair in v
                )
            )
        ),
        "null or one [names, keywords] pair of phrase lists per field",
    ),
    "min_examples": (lambda v: _is_int(v) and 0 <= v <= 10**9, "a whole number, 0 or more"),
    "keyword_examples": (lambda v: v in ("all", "rare", "none"), '"all", "rare" or "none"'),
    "random_state": (
        lambda v: v is None or (_is_int(v) and 0 <= v < 2**32),
        "null or a whole number from 0 to 2**32 - 1",
    ),
    "n_jobs": (lambda v: v is None or (_is_int(v) and -1000 <= v <= 1000), "null or a whole number"),
}


def _dict_of(check):
    return lambda v: (
        isinstance(v, dict) and len(v) <= 100_000 and all(isinstance(k, str) and check(x) for k, x in v.items())
    )


# The keys loading, suggesting and retraining read; the model card only shows the others.
METADATA = {
    "labels": (
        lambda v: (
            _str_list(v) and 0 < len(v) and len(set(v)) == len(v) and all(0 < len(x) <= MAX_TERM_CHARS for x in v)
        ),
        f"a list of 1 to {MAX_LABELS:,} distinct field names",
    ),
    "versions": (_dict_of(lambda x: isinstance(x, str) and len(x) <= 100), "an object of version strings"),
    "params": (lambda v: isinstance(v, dict), "an object of parameters"),
    "payload_sha256": (_dict_of(lambda x: isinstance(x, str) and len(x) == 64), "an object of sha256 hex digests"),
    "zero_shot_fields": (_str_list, "a list of field names"),
    "low_confidence_fields": (_str_list, "a list of field names"),
    "label_counts": (_dict_of(lambda x: _is_int(x) and x >= 0), "an object of counts"),
    "thresholds": (_dict_of(_is_number), "an object of numbers"),
    "training_data": (lambda v: isinstance(v, dict), "an object"),
    "cv_metrics": (lambda v: isinstance(v, dict), "an object"),
    "probe": (is_probe, "an object of texts and one row of probabilities per text"),
    "probe_scored_by": (lambda v: v == "predictor", '"predictor"'),
}
REQUIRED = ("labels", "versions", "params", "payload_sha256")


def check_metadata(metadata: dict, where: Path) -> None:
    """Refuse model.json whose keys hold the wrong types or values; the message names the first such key."""
    for key in REQUIRED:
        if key not in metadata:
            raise BundleCheckError(f"{where}: no '{key}'")
    for key, (check, expected) in METADATA.items():
        if key in metadata and not check(metadata[key]):
            raise BundleCheckError(f"{where}: '{key}' must be {expected}, not {_shown(metadata[key])}")
    if not isinstance(metadata["versions"].get("scikit-learn"), str):
        raise BundleCheckError(f"{where}: 'versions' has no 'scikit-learn' version string")
    for key, value in metadata["params"].items():
        if key not in PARAMETERS:
            raise BundleCheckError(f"{where}: 'params' holds an unknown parameter '{key[:80]}'")
        problem = parameter_problem(key, value)
        if problem:
            raise BundleCheckError(f"{where}: {problem}")


def parameter_problem(key: str, value) -> str | None:
    """Why a bundle may not hold `value` (as model.json stores it: JSON) for the known parameter `key`; None if
    it may. Training asks this of its settings before it starts, so it never saves a bundle loading refuses."""
    check, expected = PARAMETERS[key]
    return None if check(value) else f"parameter '{key}' must be {expected}, not {_shown(value)}"


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# model.npz


def read_arrays(bundle: Path, name: str, expected: dict[str, tuple[tuple[int, ...], str]], optional: set[str]) -> dict:
    """The arrays `expected` names (shape, dtype kind: "f" float, "b" bool), read from the .npz and checked.

    Each member's .npy header is read first; its dtype, shape and the member's declared size must
    match before its data is read, and no more bytes than the shape needs are ever decompressed.
    Members not named are never read. Floats must be finite.
    """
    import numpy as np  # loads with a model, not at start-up

    total = sum(math.prod(shape) * 8 for shape, _ in expected.values())
    if total > MAX_ARRAY_BYTES:
        raise BundleCheckError(
            f"{bundle}: its arrays would take {total:,} bytes, more than the limit of {MAX_ARRAY_BYTES:,}"
        )
    arrays = {}
    with open_bundle_file(bundle, name, MAX_ARRAY_BYTES) as handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise BundleCheckError(f"{bundle / name}: not a readable .npz ({exc})") from None
        members = {info.filename: info for info in archive.infolist()}
        for key, (shape, kind) in expected.items():
            info = members.get(f"{key}.npy")
            if info is None:
                if key in optional:
                    continue
                raise BundleCheckError(f"{bundle / name}: no array '{key}'")
            where = f"{bundle / name}: array '{key}'"
            most = math.prod(shape) * 8 + _NPY_HEADER_BYTES
            if info.file_size > most:
                raise BundleCheckError(
                    f"{where}: {info.file_size:,} bytes uncompressed, more than its shape {shape} needs"
                )
            try:
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        stored_shape, fortran, dtype = np.lib.format.read_array_header_1_0(
                            member, max_header_size=_NPY_HEADER_BYTES
                        )
                    elif version == (2, 0):
                        stored_shape, fortran, dtype = np.lib.format.read_array_header_2_0(
                            member, max_header_size=_NPY_HEADER_BYTES
                        )
                    else:
                        raise ValueError(f"unknown .npy version {version}")
                    if dtype.hasobject or dtype.kind != kind or dtype.itemsize not in ((1,) if kind == "b" else (4, 8)):
                        want = "bool" if kind == "b" else "float32 or float64"
                        raise BundleCheckError(f"{where}: stored as {dtype}, expected {want}")
                    if tuple(stored_shape) != shape:
                        raise BundleCheckError(
                            f"{where}: shape {tuple(stored_shape)}, but model.json and vocabulary.json give {shape}"
                        )
                    size = math.prod(shape) * dtype.itemsize
                    data = member.read(size)
            except BundleCheckError:
                raise
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
                raise BundleCheckError(
                    f"{where}: unreadable ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
                ) from None
            if len(data) != size:
                raise BundleCheckError(f"{where}: cut short ({len(data):,} of {size:,} bytes)")
            array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
            if kind == "f" and not np.isfinite(array).all():
                raise BundleCheckError(f"{where}: holds NaN or infinite values")
            arrays[key] = array
    return arrays


# training.jsonl.gz


def read_gzip_lines(bundle: Path, name: str) -> Iterator:
    """The JSON lines of a gzipped file in the bundle, decompressing at most MAX_TRAINING_BYTES."""
    from classifier.io.jsonl import read_json_lines  # on first use: keeps start-up light
    from classifier.io.textio import max_text_chars  # on first use: keeps start-up light

    with open_bundle_file(bundle, name, MAX_TRAINING_BYTES) as handle:
        with gzip.GzipFile(fileobj=handle) as stream:
            yield from read_json_lines(_Bounded(stream, MAX_TRAINING_BYTES, bundle / name), max_text_chars())


class _Bounded:
    """A binary stream that fails once more than `limit` bytes were read from it (a decompression bomb)."""

    def __init__(self, stream, limit: int, where: Path):
        self.stream, self.left, self.where = stream, limit, where

    def readline(self, size: int = -1) -> bytes:
        piece = self.stream.readline(size)
        self.left -= len(piece)
        if self.left < 0:
            raise BundleCheckError(
                f"{self.where}: more than {MAX_TRAINING_BYTES:,} bytes uncompressed, the limit for a bundle's "
                "training documents"
            )
        return piece
