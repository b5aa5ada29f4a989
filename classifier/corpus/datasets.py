"""Labelled data sets: documents and their fields read from any input, duplicates merged, as an indicator matrix.

The same document given twice is merged; given with different fields, the later source wins and the
conflict is reported with both sources (`train NEW --base BUNDLE` relies on it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.corpus.documents import (
    DEFAULT_GLOB,
    SAMPLE_ROWS,
    Columns,
    Document,
    expand_inputs,
    missing_column,
    read_documents,
    resolve_labels,
    tables_without,
)
from classifier.errors import ClassifierError
from classifier.io.textio import open_regular
from classifier.taxonomy.fields import Taxonomy


def document_key(doc: Document) -> str:
    """Identity of a document across sources: its title and text, case, spacing and punctuation ignored."""
    return text_key(doc.title, doc.text)


def text_key(title: str, text: str) -> str:
    """`document_key` of a document's title and text (as a document's `model_text` joins them)."""
    return re.sub(r"\W+", " ", f"{title}\n{text}" if title else text).strip().casefold()


@dataclass(frozen=True)
class Conflict:
    """One document given with different fields by two sources."""

    title: str
    first_origin: str
    first_labels: tuple[str, ...]
    later_origin: str
    later_labels: tuple[str, ...]

    def line(self) -> str:
        return (
            f"conflicting fields for '{_short(self.title)}': {self.first_origin} [{', '.join(self.first_labels)}] "
            f"vs {self.later_origin} [{', '.join(self.later_labels)}]; kept {self.later_origin}"
        )


@dataclass
class Merged:
    documents: list[Document]
    label_sets: list[tuple[str, ...]]
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    same_id: list[tuple[str, str, str]] = field(default_factory=list)  # (new row, base document, their id)


def merge_documents(documents: Sequence[Document], label_sets: Sequence[tuple[str, ...]], base: int = 0) -> Merged:
    """Each distinct document once, at its first position; a later copy with other fields replaces them.

    Documents are the same by their title and text (`document_key`), never by id alone: one id may name several
    texts (a release's lead and its whole page). Where a new row has the id of one of the first `base` documents
    (a base bundle's) and another title or text, both are kept and `same_id` says so (origins and id)."""
    position: dict[str, int] = {}
    base_ids: dict[str, str] = {}
    merged = Merged([], [])
    for n, (doc, labels) in enumerate(zip(documents, label_sets)):
        key = document_key(doc)
        if n < base:
            base_ids.setdefault(doc.id, doc.origin)
        elif key not in position and doc.id in base_ids and doc.id != doc.origin:
            merged.same_id.append((doc.origin, base_ids[doc.id], doc.id))
        if key not in position:
            position[key] = len(merged.documents)
            merged.documents.append(doc)
            merged.label_sets.append(tuple(labels))
            continue
        i = position[key]
        merged.duplicates += 1
        if set(labels) != set(merged.label_sets[i]):
            earlier = merged.documents[i]
            merged.conflicts.append(
                Conflict(doc.title or doc.text, earlier.origin, merged.label_sets[i], doc.origin, tuple(labels))
            )
            merged.documents[i] = Document(earlier.id, earlier.title, earlier.text, doc.labels, doc.origin)
            merged.label_sets[i] = tuple(labels)
    return merged


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


SAME_ID_SHOWN = 10  # rows named by the warning that a new row has a base document's id with another text


class TrainingDataError(ClassifierError, ValueError):
    """The training data cannot be used; the message has one line per problem."""


@dataclass
class TrainingSet:
    documents: list[Document]
    Y: np.ndarray
    labels: list[str]
    skipped_unlabelled: int = 0
    data_hash: dict = field(default_factory=dict)
    merged: Merged | None = None
    first_unlabelled: str | None = None  # where the first document with no fields given was read


def load_training_set(
    inputs: Sequence[str | Path],
    taxonomy: Taxonomy,
    columns: Columns = Columns(),
    glob: str = DEFAULT_GLOB,
    base_documents: Sequence[Document] = (),
    on_warning: Callable[[str], None] | None = None,
    report_unlabelled: bool = True,
) -> TrainingSet:
    """Labelled documents and their indicator matrix; unreadable inputs and unknown labels stop it.

    `base_documents` (a base bundle's) come first; a document given twice is kept once (see merge_documents).
    `on_warning` hears about documents read only in part (text cut at the CLASSIFIER_MAX_TEXT limit), a text column
    no row has, and, with `report_unlabelled`, the documents left out for having no labels.
    """
    _check_table_columns(inputs, columns, glob, on_warning)
    documents, errors, unlabelled, read = list(base_documents), [], [], 0
    for doc in read_documents(inputs, columns, glob):
        read += 1
        if doc.warning and on_warning:
            on_warning(doc.warning)
        if doc.error or doc.labels_error:
            errors.append(doc.error or doc.labels_error)
        elif doc.labels is None:
            unlabelled.append(doc.origin)
        else:
            documents.append(doc)
    if errors:
        raise TrainingDataError("\n".join(errors))
    if not read and not base_documents:
        if not inputs:
            raise TrainingDataError("no training data given: name a labelled file or folder, or a base bundle")
        raise TrainingDataError(f"no documents in {', '.join(map(str, inputs))}: no rows, pages or texts")
    if not documents:
        raise TrainingDataError(
            f"no labelled documents in {', '.join(map(str, inputs))}: a table needs a '{columns.labels}' column "
            "(another name: --labels-column), a page a 'Fields of work' block"
        )
    if unlabelled and on_warning and report_unlabelled:
        which = "1 document has" if len(unlabelled) == 1 else f"{len(unlabelled)} documents have"
        first = "" if len(unlabelled) == 1 else " the first"
        on_warning(f"{which} no labels (none given, or null),{first} {unlabelled[0]}: not trained on")
    merged = merge_documents(documents, resolve_labels(documents, taxonomy), base=len(base_documents))
    for new_row, base_row, doc_id in merged.same_id[:SAME_ID_SHOWN] if on_warning else ():
        on_warning(
            f"{new_row}: the id {doc_id!r} of a base document ({base_row}) with another title or text: both are "
            "trained on; to change the base document's fields, give its title and text as they are"
        )
    if on_warning and len(merged.same_id) > SAME_ID_SHOWN:
        on_warning(f"... and {len(merged.same_id) - SAME_ID_SHOWN} more rows with the id of a base document")
    documents, label_sets = merged.documents, merged.label_sets
    labels = taxonomy.labels
    index = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(documents), len(labels)), dtype=np.int8)
    for i, names in enumerate(label_sets):
        for name in names:
            Y[i, index[name]] = 1
    empty = [doc.origin for doc, row in zip(documents, Y) if not row.any()]
    if empty:
        raise TrainingDataError("\n".join(f"{origin}: empty label list" for origin in empty))
    return TrainingSet(
        documents, Y, labels, len(unlabelled), hash_inputs(inputs, glob), merged, unlabelled[0] if unlabelled else None
    )


def _check_table_columns(inputs, columns: Columns, glob: str, on_warning) -> None:
    """One look at each table's columns (the --text, --title and --id-column checks are `read_records`'): a labels
    column named by --labels-column that a table with a header has not is a usage error (JSONL rows may leave
    their fields out: they are unlabelled); a table without the default text column is said to `on_warning`, its
    documents being read from their titles alone."""
    labels_named, text_named = columns.labels != "labels", columns.text != "text"
    for path, kind, name, seen in tables_without(inputs, [columns.text, columns.labels], glob):
        if name == columns.labels and labels_named:
            if kind != "jsonl":
                raise missing_column(path, name, "--labels-column", seen)
        elif name == columns.text and not text_named and on_warning:
            rows = f"none of its first {SAMPLE_ROWS:,} rows" if kind == "jsonl" else "no row"
            on_warning(
                f"{path}: {rows} has a '{name}' column (columns: {seen}): its documents are read from their "
                "titles alone; --text-column names another"
            )


def hash_inputs(inputs: Sequence[str | Path], glob: str = DEFAULT_GLOB) -> dict:
    digest = hashlib.sha256()
    size = 0
    files = []
    for path, kind in expand_inputs(inputs, glob):
        if kind in ("missing", "unmatched", "stdin", "special", "unreadable"):
            continue
        with open_regular(path) as handle:
            data = handle.read()
        digest.update(hashlib.sha256(data).digest())
        size += len(data)
        files.append(str(path))
    return {"sha256": digest.hexdigest(), "bytes": size, "files": files}


def load_measured_set(
    inputs: Sequence[str | Path], taxonomy: Taxonomy, columns: Columns, glob: str, on_warning, counted: str
) -> TrainingSet:
    """`load_training_set` for measuring a model (`evaluate`, `compare`): `on_warning` also hears how documents
    given twice were `counted`, and not about unlabelled ones, which the caller counts."""
    data = load_training_set(inputs, taxonomy, columns, glob, on_warning=on_warning, report_unlabelled=False)
    for line in merge_warnings(data.merged, counted) if on_warning else ():
        on_warning(line)
    return data


def merge_warnings(merged: Merged, counted: str) -> list[str]:
    """What merging documents given twice did, for a warning: how many, and each conflict (`Conflict.line`)."""
    if not merged.duplicates:
        return []
    lines = [conflict.line() for conflict in merged.conflicts]
    rows = "1 row repeats" if merged.duplicates == 1 else f"{merged.duplicates} rows repeat"
    return lines + [
        f"{rows} a document given before (same title and text), {counted} once; {len(merged.conflicts)} with "
        "other fields (the later row's kept)"
    ]
