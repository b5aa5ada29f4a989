"""Retraining on a base bundle: the documents a bundle was trained on, and merging them with new data.

A bundle stores its training documents (training.jsonl.gz: id, title, text, fields, origin), so
`train NEW --base BUNDLE` can retrain on the base's data plus the new data without the original files.
The same document given twice is merged; given with different fields, the later source wins and the
conflict is reported with both sources.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifier.corpus.documents import Document

TRAINING_FILE = "training.jsonl.gz"
# A base document's origin reads "releases.jsonl:12 (in models/default)"; the note is dropped when it
# is stored again, so origins do not grow with each generation of retraining.
_BASE_NOTE = re.compile(r" \(in [^()]*\)$")


def training_documents_file(documents: Sequence[Document], label_sets: Sequence[Sequence[str]]) -> tuple[bytes, str]:
    """The documents and their fields as gzipped JSONL, and the sha256 of the uncompressed JSONL."""
    lines = [
        json.dumps(
            {"id": doc.id, "title": doc.title, "text": doc.text, "labels": list(labels), "origin": _BASE_NOTE.sub("", doc.origin)},
            ensure_ascii=False,
        )
        for doc, labels in zip(documents, label_sets)
    ]
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0: the same documents give the same bytes, so a rebuilt bundle is byte-identical.
    return gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()


def read_base_documents(path: str | Path) -> tuple[list[Document], dict]:
    """The documents a bundle was trained on (labels as stored) and its metadata; BundleError if it has none."""
    from classifier.bundle.storage import METADATA_FILE, RETRAIN_HINT, BundleError, read_metadata

    path = Path(path)
    metadata = read_metadata(path)
    stored = path / TRAINING_FILE
    expected = (metadata.get("payload_sha256") or {}).get(TRAINING_FILE)
    if expected is None or not stored.is_file():
        raise BundleError(
            f"{path}: the bundle carries no training documents (it predates {TRAINING_FILE}); "
            f"rebuild it from its data first: {RETRAIN_HINT}"
        )
    data = stored.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected:
        raise BundleError(f"{stored}: checksum differs from {METADATA_FILE}: the file was changed or truncated")
    try:
        lines = gzip.decompress(data).decode("utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        documents = [
            Document(
                id=row["id"], title=row["title"], text=row["text"], labels=tuple(row["labels"]),
                origin=f"{row['origin']} (in {path})",
            )
            for row in rows
        ]
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise BundleError(f"{stored}: unreadable training documents ({type(exc).__name__})") from None
    return documents, metadata


def document_key(doc: Document) -> str:
    """Identity of a document across sources: its title and text, case, spacing and punctuation ignored."""
    return re.sub(r"\W+", " ", doc.model_text).strip().casefold()


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


def merge_documents(documents: Sequence[Document], label_sets: Sequence[tuple[str, ...]]) -> Merged:
    """Each distinct document once, at its first position; a later copy with other fields replaces them."""
    position: dict[str, int] = {}
    merged = Merged([], [])
    for doc, labels in zip(documents, label_sets):
        key = document_key(doc)
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


def base_summary(path: str | Path, metadata: dict, taxonomy) -> dict:
    """What `train --base` records about the base, for the model card's "changes" section."""
    from classifier.bundle.storage import current_labels

    trained = metadata["labels"]
    now = current_labels(trained, taxonomy)
    data = metadata.get("training_data", {})
    return {
        "path": str(path),
        "documents": data.get("documents"),
        "training_sha256": data.get("documents_sha256") or data.get("sha256"),
        "labels": trained,
        "renamed": {old: new for old, new in zip(trained, now) if new is not None and new != old},
        "label_counts": metadata.get("label_counts", {}),
        "cv_metrics": {k: metadata["cv_metrics"][k] for k in ("micro", "macro") if k in metadata.get("cv_metrics", {})},
    }


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
