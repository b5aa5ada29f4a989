"""The documents a bundle was trained on, stored in it (training.jsonl.gz), so it can be retrained without the original
files.

Each line: id, title, text, fields, origin. `train NEW --base BUNDLE` reads them back and merges them with NEW.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

from classifier.bundle.checks import MAX_TRAINING_BYTES, BundleCheckError, read_bundle_bytes, read_gzip_lines
from classifier.bundle.storage import (
    METADATA_FILE,
    TRAINING_FILE,
    BundleError,
    current_labels,
    read_metadata,
    retrain_hint,
)
from classifier.corpus.datasets import document_key
from classifier.corpus.documents import Document
from classifier.io.jsonl import JsonInt
from classifier.io.tagfiles import json_line
from classifier.io.textio import interrupted_swap

# A base document's origin reads "releases.jsonl:12 (in models/default)"; the note is dropped when it
# is stored again, so origins do not grow with each generation of retraining.
_BASE_NOTE = re.compile(r" \(in [^()]*\)$")


def training_documents_file(documents: Sequence[Document], label_sets: Sequence[Sequence[str]]) -> tuple[bytes, str]:
    """The documents and their fields as gzipped JSONL, and the sha256 of the uncompressed JSONL."""
    # An id or origin from a file name with undecodable bytes holds lone surrogates, which UTF-8 cannot: they are
    # stored as their JSON escapes, which read back as the same name.
    lines = [
        json_line(
            {
                "id": doc.id,
                "title": doc.title,
                "text": doc.text,
                "labels": list(labels),
                "origin": _BASE_NOTE.sub("", doc.origin),
            }
        )
        for doc, labels in zip(documents, label_sets)
    ]
    raw = "".join(lines).encode("utf-8")
    # mtime=0: the same documents give the same bytes, so a rebuilt bundle is byte-identical.
    return gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()


def read_base_documents(path: str | Path) -> tuple[list[Document], dict]:
    """The documents a bundle was trained on (labels as stored) and its metadata; BundleError if it has none."""

    given = Path(path)
    # A bundle a killed save left moved aside is read where it is, as load_model reads it.
    path = interrupted_swap(given) or given
    metadata = read_metadata(path)
    stored = path / TRAINING_FILE
    expected = metadata["payload_sha256"].get(TRAINING_FILE)
    if expected is None:
        raise BundleError(
            f"{given}: the bundle carries no training documents (it predates {TRAINING_FILE}); "
            f"rebuild it from its data first: {retrain_hint(given)}"
        )
    if not os.path.lexists(stored):
        raise BundleError(
            f"{stored}: missing, though {METADATA_FILE} lists it: the bundle was shared or copied without the "
            f"documents it was trained on; copy the whole folder, or rebuild it from its data: {retrain_hint(given)}"
        )
    try:
        data = read_bundle_bytes(path, TRAINING_FILE, MAX_TRAINING_BYTES)
        if hashlib.sha256(data).hexdigest() != expected:
            raise BundleError(f"{stored}: checksum differs from {METADATA_FILE}: the file was changed or truncated")
        documents = [_base_document(line, stored, given) for line in read_gzip_lines(path, TRAINING_FILE)]
    except BundleCheckError as exc:
        raise BundleError(str(exc)) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise BundleError(f"{stored}: unreadable training documents ({type(exc).__name__})") from None
    return documents, metadata


def _base_document(line, stored: Path, bundle: Path) -> Document:
    where = f"{stored}:{line.number}"
    if line.error:
        raise BundleCheckError(f"{where}: {line.error}")
    row = line.value
    fields = {key: row.get(key) for key in ("id", "title", "text", "origin")}
    bad = [key for key, value in fields.items() if not _is_text(value)]
    labels = row.get("labels")
    if bad or not isinstance(labels, list) or not all(_is_text(label) for label in labels):
        raise BundleCheckError(
            f"{where}: '{(bad or ['labels'])[0]}' must be {'text' if bad else 'a list of field names'}"
        )
    if len(fields["id"]) > 1000:
        raise BundleCheckError(f"{where}: an id of {len(fields['id']):,} characters")
    return Document(
        id=fields["id"],
        title=fields["title"],
        text=fields["text"],
        labels=tuple(labels),
        origin=f"{fields['origin']} (in {bundle})",
    )


def _is_text(value) -> bool:
    """Whether a stored value is text: a JSON number is read as a JsonInt, a str that keeps its digits, and is not."""
    return isinstance(value, str) and not isinstance(value, JsonInt)


def base_summary(path: str | Path, metadata: dict, taxonomy) -> dict:
    """What `train --base` records about the base, for the model card's "changes" section."""

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


def trained_keys(model) -> set[str] | None:
    """The identities (`datasets.document_key`) of the documents a loaded model was trained on (those of a model
    trained in memory and not saved, as `train` gave it); None for a model held in memory without them, or whose
    bundle predates its stored documents. Read from where the bundle was loaded, whatever
    the working directory is now; a bundle that lists them but cannot give them (gone, changed) is a BundleError, and
    so is one saved over since the model was loaded from it: its documents are another model's."""
    location = getattr(model, "location", None)
    if location is None:
        held = getattr(model, "trained_on", None)  # a model trained in memory and not saved
        return set(held) if held is not None else None
    expected = (model.metadata.get("payload_sha256") or {}).get(TRAINING_FILE)
    if expected is None:
        return None  # saved before bundles stored their documents: nothing to read
    documents, metadata = read_base_documents(location)
    if metadata["payload_sha256"].get(TRAINING_FILE) != expected:
        raise BundleError(
            f"{location}: holds another model now, saved there after this one, so the documents this one was trained "
            "on are gone; load the bundle again to work with the model it holds"
        )
    return {document_key(doc) for doc in documents}
