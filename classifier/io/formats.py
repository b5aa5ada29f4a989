"""Table formats by file suffix: one map for reading inputs and for writing tag output."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from classifier.errors import ClassifierError


class MissingExtraError(ClassifierError):
    """A format or command needs a package of an extra that is not installed."""


TABLE_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def require_pyarrow(what: str) -> None:
    """MissingExtraError (one line saying what to install) unless pyarrow, which only Parquet needs, is installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            f"{what}: Parquet needs pyarrow: pip install 'osce-topic-classifier[parquet]'"
        ) from None


def table_format(path: str | Path) -> str | None:
    """The table format a file's suffix names ("jsonl", "csv" or "parquet"), or None for any other file."""
    return TABLE_SUFFIXES.get(Path(path).suffix.lower())


def is_pandas_table(value) -> bool:
    """Whether `value` is a pandas DataFrame or Series, told without importing pandas: iterated, a DataFrame gives
    its column names, which a function wanting paths or documents would take for them."""
    kind = type(value)
    return kind.__module__.partition(".")[0] == "pandas" and kind.__name__ in ("DataFrame", "Series")


def iterated_for_keys(value) -> str:
    """What `value` is, where iterating it gives its keys, not texts: a pandas DataFrame (its column names) or a
    mapping (its keys), with what to pass instead; "" for anything else. A function taking a list of texts would score
    the keys, without a word."""
    if is_pandas_table(value) and type(value).__name__ == "DataFrame":
        return "a pandas DataFrame, which gives its column names: pass one column (df['text']) or use Model.tag_frame"
    if isinstance(value, Mapping):
        return f"a {type(value).__name__}, which gives its keys: pass its values (list(d.values()))"
    return ""


def is_missing(value) -> bool:
    """Whether a table cell holds nothing: None, a NaN (Python's or numpy's), pandas' NA or NaT; told without
    importing numpy or pandas."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, float) or (type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0):
        try:
            return bool(value != value)  # NaN alone is not itself
        except (TypeError, ValueError):
            return False
    return False
