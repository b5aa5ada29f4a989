"""A trained model on disk: arrays, vocabularies and model.json, saved atomically and checked on load.

A bundle is data, never code: numbers in an .npz read with allow_pickle=False, terms in JSON, and the
estimator rebuilt from its parameters. Loading a shared bundle cannot run anything from it.
"""

from __future__ import annotations

from classifier.errors import ClassifierError

import hashlib
import json
import platform
from pathlib import Path

from classifier.bundle.card import CARD_FILE, render_card
from classifier.bundle.model import Model
from classifier.paths import default_model_path
from classifier.taxonomy.fields import Taxonomy, default_taxonomy
from classifier.io.textio import atomic_directory, settle_directory

FORMAT_VERSION = 2
ARRAYS_FILE = "model.npz"
VOCABULARY_FILE = "vocabulary.json"
METADATA_FILE = "model.json"
RETRAIN_HINT = "classifier train training/data/releases.jsonl --output models/default"


class BundleError(ClassifierError, RuntimeError):
    """A model bundle is missing, broken or does not fit this installation; one line saying what to do."""


def check_bundle_target(path: str | Path) -> None:
    """Refuse a target that saving would destroy: an existing file, or a directory that is not a bundle.

    Saving replaces the whole directory, so `--output ~/Documents` must fail, not empty the folder.
    """
    path = Path(path)
    if path.is_dir():
        if (path / METADATA_FILE).is_file() or not any(path.iterdir()):
            return
        raise BundleError(
            f"{path}: exists and is not a model bundle (no {METADATA_FILE}); saving would replace it: "
            "choose a new or empty directory"
        )
    if path.exists() or path.is_symlink():
        raise BundleError(f"{path}: exists and is not a directory; saving would replace it: choose a new or empty directory")


def save_bundle(estimator, metadata: dict, path: str | Path, extra_files: dict[str, bytes] | None = None) -> Path:
    """Write the bundle to a directory beside `path`, then swap it in: a crash leaves the old one intact.

    `extra_files` (name to bytes, such as the training documents) are written and checksummed with it.
    """
    import numpy as np

    path = Path(path)
    check_bundle_target(path)
    arrays, vocabularies = estimator.to_arrays()
    extra_files = extra_files or {}
    with atomic_directory(path) as tmp:
        np.savez_compressed(tmp / ARRAYS_FILE, **arrays)
        (tmp / VOCABULARY_FILE).write_text(json.dumps(vocabularies, ensure_ascii=False), encoding="utf-8")
        for name, data in extra_files.items():
            (tmp / name).write_bytes(data)
        payload = {name: _sha256(tmp / name) for name in (ARRAYS_FILE, VOCABULARY_FILE, *extra_files)}
        metadata = {**metadata, "format": FORMAT_VERSION, "payload_sha256": payload}
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        thresholds = {label: float(t) for label, t in zip(metadata["labels"], arrays["thresholds"])}
        (tmp / CARD_FILE).write_text(render_card(metadata, path.name, thresholds), encoding="utf-8")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def runtime_versions() -> dict:
    import numpy
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": numpy.__version__}


def load_model(path: str | Path | None = None, taxonomy: Taxonomy | None = None, allow_new_fields: bool = False) -> Model:
    """Load a bundle (the shipped default when `path` is None) and check it fits this taxonomy and scikit-learn.

    A field renamed in the taxonomy since training is found by its old name among the aliases, and the
    model answers with the new name. `allow_new_fields` accepts a model that lacks fields added since
    (it never suggests them), for comparing an older model with a newer one.
    """
    path = Path(path) if path is not None else default_model_path()
    settle_directory(path)  # a save killed mid-swap left the previous bundle beside `path`: put it back
    metadata = read_metadata(path)
    taxonomy = taxonomy or default_taxonomy()
    current = current_labels(metadata["labels"], taxonomy)
    missing = [label for label in taxonomy.labels if label not in current]
    in_order = [label for label in taxonomy.labels if label in current]
    if None in current or current != in_order or (missing and not allow_new_fields):
        only_added = None not in current and current == in_order
        hint = f"classifier train --base {path} --output {path}" if only_added else RETRAIN_HINT
        raise BundleError(
            f"{path}: the model's fields differ from {taxonomy.path} ({_label_change(metadata['labels'], taxonomy.labels)}); "
            f"retrain it: {hint}"
        )
    if current != metadata["labels"]:
        metadata = {**metadata, "labels": current, "labels_as_trained": metadata["labels"]}
    import sklearn

    built = metadata.get("versions", {}).get("scikit-learn", "")
    if _minor(built) != _minor(sklearn.__version__):
        raise BundleError(
            f"{path}: built with scikit-learn {built or 'unknown'}, but {sklearn.__version__} is installed; "
            f"run `pip install 'scikit-learn~={_minor(built)}.0'` or retrain: {RETRAIN_HINT}"
        )
    estimator = _read_estimator(path, metadata)
    return Model(estimator, metadata, path)


def _read_estimator(path: Path, metadata: dict):
    import numpy as np

    from classifier.estimator.model import TopicClassifier

    expected = metadata.get("payload_sha256") or {}
    for name in (ARRAYS_FILE, VOCABULARY_FILE):
        if not (path / name).is_file():
            raise BundleError(f"{path}: no {name} in the bundle; retrain: {RETRAIN_HINT}")
        if _sha256(path / name) != expected.get(name):
            raise BundleError(f"{path / name}: checksum differs from {METADATA_FILE}: the file was changed or truncated; retrain: {RETRAIN_HINT}")
    try:
        with np.load(path / ARRAYS_FILE, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        vocabularies = json.loads((path / VOCABULARY_FILE).read_text(encoding="utf-8"))
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in metadata["params"].items()}
        estimator = TopicClassifier.from_arrays(params, arrays, vocabularies)
    except Exception as exc:  # a foreign or inconsistent bundle can fail in many ways; none may crash the caller
        raise BundleError(f"{path}: not a usable bundle ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); retrain: {RETRAIN_HINT}") from None
    if estimator.n_labels_ != len(metadata["labels"]):
        raise BundleError(f"{path}: {ARRAYS_FILE} has {estimator.n_labels_} fields but {METADATA_FILE} lists {len(metadata['labels'])}; retrain: {RETRAIN_HINT}")
    return estimator


def read_metadata(path: Path) -> dict:
    meta_path = path / METADATA_FILE
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{path}: not a model bundle (no {METADATA_FILE}); train one: {RETRAIN_HINT}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{meta_path}: unreadable ({exc}); retrain: {RETRAIN_HINT}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_VERSION or "labels" not in metadata:
        raise BundleError(f"{meta_path}: not a bundle of format {FORMAT_VERSION}; retrain: {RETRAIN_HINT}")
    return metadata


def current_labels(trained: list[str], taxonomy: Taxonomy) -> list[str | None]:
    """Each label a model was trained with, as the taxonomy names it now (None if it is gone)."""
    return [label if label in taxonomy.labels else taxonomy.resolve(label) for label in trained]


def _label_change(model_labels: list[str], taxonomy_labels: list[str]) -> str:
    added = [label for label in taxonomy_labels if label not in model_labels]
    removed = [label for label in model_labels if label not in taxonomy_labels]
    parts = []
    if added:
        parts.append(f"new in taxonomy: {', '.join(added)}")
    if removed:
        parts.append(f"not in taxonomy: {', '.join(removed)}")
    return "; ".join(parts) or "same fields in another order"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
