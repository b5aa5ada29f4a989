"""A trained model on disk: arrays, vocabularies and model.json, saved atomically and checked on load.

A bundle is data, never code: numbers in an .npz read with allow_pickle=False, terms in JSON, and the
estimator rebuilt from its parameters. Loading a shared bundle cannot run anything from it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
from itertools import repeat
from pathlib import Path

from classifier.bundle.card import CARD_FILE, render_card
from classifier.bundle.checks import (
    MAX_ARRAY_BYTES,
    MAX_FEATURES,
    MAX_METADATA_BYTES,
    MAX_TERM_CHARS,
    MAX_VOCABULARY_BYTES,
    BundleCheckError,
    check_metadata,
    load_json,
    open_bundle_file,
    read_arrays,
    read_bundle_bytes,
)
from classifier.bundle.model import Model
from classifier.bundle.probe import (
    ESTIMATOR_PROBE_TOLERANCE,
    PROBE_BY_PREDICTOR,
    PROBE_TOLERANCE,
    probe_difference,
    probe_of,
)
from classifier.errors import ClassifierError
from classifier.io.textio import atomic_directory, interrupted_swap, one_line
from classifier.paths import default_model_path, default_taxonomy_path, shipped_model_path
from classifier.taxonomy.fields import Taxonomy, as_taxonomy

FORMAT_VERSION = 2
ARRAYS_FILE = "model.npz"
VOCABULARY_FILE = "vocabulary.json"
METADATA_FILE = "model.json"
TRAINING_FILE = "training.jsonl.gz"
# Every file a saved bundle holds: a folder holding anything else is not replaced by a save.
BUNDLE_FILES = (METADATA_FILE, ARRAYS_FILE, VOCABULARY_FILE, TRAINING_FILE, CARD_FILE)
RETRAIN_HINT = "classifier train training/data/releases.jsonl --output models/default"


def _same_path(path: str | Path, other: Path) -> bool:
    """Whether both name one file or folder once resolved; False where `path` cannot be resolved (a symlink loop:
    RuntimeError before Python 3.13, OSError after)."""
    try:
        return Path(path).resolve() == other.resolve()
    except (OSError, RuntimeError):
        return False


def _is_default_taxonomy(taxonomy: Taxonomy) -> bool:
    return not taxonomy.path or _same_path(taxonomy.path, default_taxonomy_path())


def own_taxonomy_hint(bundle: str | Path, taxonomy_path: str | Path) -> str:
    """The command that trains a model for a taxonomy of one's own from `bundle`'s documents, into a folder named
    after the taxonomy, never over the bundle."""
    return f"classifier train --base {bundle} --taxonomy {taxonomy_path} --output {Path(taxonomy_path).stem}-model"


def retrain_hint(path: str | Path | None = None) -> str:
    """The command that rebuilds the bundle at `path`: into that path, so that following the advice for
    a bundle of one's own never overwrites the shipped default model."""
    if path is None:
        return RETRAIN_HINT
    if _same_path(path, shipped_model_path()):  # not CLASSIFIER_MODEL's, which is the user's
        return RETRAIN_HINT
    return f"classifier train LABELLED_DATA --output {path}"


class BundleError(ClassifierError, RuntimeError):
    """A model bundle is missing, broken or does not fit this installation; one line saying what to do."""


def check_bundle_target(path: str | Path) -> None:
    """Refuse a target that saving would destroy: an existing file, a symlink, or a directory holding anything
    but a bundle's own files (`BUNDLE_FILES`).

    Saving replaces the whole directory, so `--output ~/Documents`, or a bundle folder that also holds notes or
    a subfolder, must fail, not lose them. So must a path with no name of its own (`.`, `..`, `dir/..`): the save
    would move the working folder, or one above it, aside.
    """
    path = Path(path)
    if path.name in ("", ".", "..") or _holds_the_working_folder(path):
        raise BundleError(
            f"{path}: names the working folder or one above it, which saving would replace whole; name the bundle's "
            "own folder (a new or empty one, or an existing bundle)"
        )
    try:
        os.lstat(path)
    except FileNotFoundError:
        return
    except NotADirectoryError:  # a file where a folder of the path should be
        parent = next(folder for folder in path.parents if folder.exists())
        raise BundleError(f"{path}: cannot write there ({parent} is a file, not a folder)") from None
    except OSError as exc:  # a name too long, no permission to look
        raise BundleError(f"{path}: cannot write there ({exc.strerror})") from None
    if path.is_symlink():  # even one to a bundle: the swap would put a folder where the link was
        raise BundleError(
            f"{path}: is a symlink; saving would replace the link with a folder, so name its target instead"
        )
    if path.is_dir():
        unexpected = _not_a_bundle_file(path)
        if unexpected is None and not _named_like_a_bundle_only(path):
            return
        if unexpected is None:
            raise BundleError(
                f"{path}: holds files named as a bundle's but its {METADATA_FILE} is not a bundle's; saving replaces "
                "the whole folder: choose a new or empty directory"
            )
        raise BundleError(
            f"{path}: holds {unexpected}, which is not a file of a model bundle; saving replaces the whole folder: "
            "choose a new or empty directory"
        )
    if path.exists():
        raise BundleError(
            f"{path}: exists and is not a directory; saving would replace it: choose a new or empty directory"
        )


def _holds_the_working_folder(path: Path) -> bool:
    """Whether `path` is the working folder or a folder above it, however it is written (`$PWD`, `../here`): the
    swap would move the folder the process and its shell are in aside, leaving them in a deleted folder."""
    try:
        return Path.cwd().resolve().is_relative_to(path.resolve())
    except (OSError, RuntimeError):  # no working folder any more, or a symlink loop: nothing of it to replace
        return False


def _named_like_a_bundle_only(folder: Path) -> bool:
    """Whether a folder of bundle-file names only (`_not_a_bundle_file`) holds something, but no `model.json` that a
    save wrote (a JSON object with a bundle's format and labels, of any version): a user's corpus saved as
    training.jsonl.gz, or a project's own model.json, which a save would delete."""
    if not any(folder.iterdir()):
        return False
    try:
        with open(folder / METADATA_FILE, "rb") as handle:
            metadata = json.loads(handle.read(MAX_METADATA_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return True
    return not (isinstance(metadata, dict) and "format" in metadata and "labels" in metadata)


def _not_a_bundle_file(folder: Path) -> str | None:
    """The first entry of `folder` that is not one of a bundle's files as a save writes them (a plain file of one
    of the `BUNDLE_FILES` names), shown as a one-line name (a folder ends in /); None if there is none."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        raise BundleError(f"{folder}: cannot list it ({exc.strerror}); choose a new or empty directory") from None
    for entry in entries:
        if entry.name not in BUNDLE_FILES or not entry.is_file(follow_symlinks=False):
            return one_line(entry.name) + ("/" if entry.is_dir(follow_symlinks=False) else "")
    return None


def save_bundle(estimator, metadata: dict, path: str | Path, extra_files: dict[str, bytes] | None = None) -> Path:
    """Write the bundle to a directory beside `path`, then swap it in: a crash leaves the old one intact.

    model.json gets the probe: the estimator's probabilities for a few fixed texts, checked on load.

    `extra_files` (name to bytes, such as the training documents) are written and checksummed with it.
    """
    path = Path(path)
    check_bundle_target(path)
    saved, files = bundle_contents(estimator, metadata, extra_files)
    return write_bundle(path, saved, files)


def write_bundle(path: str | Path, saved: dict, files: dict[str, bytes]) -> Path:
    """Write a bundle's contents (`bundle_contents`) to a directory beside `path`, then swap it in."""
    import numpy as np  # loads with a model, not at start-up

    path = Path(path)
    check_bundle_target(path)
    with atomic_directory(path) as tmp:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        (tmp / METADATA_FILE).write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        with np.load(tmp / ARRAYS_FILE) as arrays:
            thresholds = {label: float(t) for label, t in zip(saved["labels"], arrays["thresholds"])}
        (tmp / CARD_FILE).write_text(render_card(saved, path.name, thresholds), encoding="utf-8")
    return path


def bundle_contents(estimator, metadata: dict, extra_files: dict[str, bytes] | None = None) -> tuple[dict, dict]:
    """The metadata a bundle of the estimator is saved with (its format, its files' checksums, its probe), and its
    files' bytes by name: what `save_bundle` writes, and what names a model trained but not saved
    (`Model.fingerprint`, the same as the saved bundle's)."""
    import numpy as np  # loads with a model, not at start-up

    arrays, vocabularies = estimator.to_arrays()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    files = {
        ARRAYS_FILE: buffer.getvalue(),
        VOCABULARY_FILE: json.dumps(vocabularies, ensure_ascii=False).encode("utf-8"),
        **(extra_files or {}),
    }
    payload = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    loaded = _as_loaded(metadata, arrays, vocabularies)
    probe = probe_of(loaded)
    if type(estimator) is not type(loaded):
        # The probe is the loaded predictor's own scores, so loading alone can no longer tell whether it computes
        # what the fitted estimator computes: check that here, once, as loading checked a probe the estimator scored.
        difference = probe_difference(estimator, probe)
        if not difference <= ESTIMATOR_PROBE_TOLERANCE:
            raise ValueError(
                f"the predictor rebuilt from the bundle's arrays scores the probe texts differently from the fitted "
                f"estimator (by up to {difference:.2g}, more than {ESTIMATOR_PROBE_TOLERANCE:g}): not saved"
            )
    saved = {
        **metadata,
        "format": FORMAT_VERSION,
        "payload_sha256": payload,
        "probe": probe,
        "probe_scored_by": PROBE_BY_PREDICTOR,
    }
    return saved, files


def _as_loaded(metadata: dict, arrays: dict, vocabularies: dict):
    """The predictor that loading the bundle gives (see _read_estimator): the probe is what it scores, in the order
    in which it sums each text's features, which scikit-learn's sorted features do not keep."""
    from classifier.estimator.runtime import LinearTopicModel  # loads with a model, not at start-up

    # As model.json gives them back to _read_estimator (nested tuples become lists), not as they are in memory.
    stored = json.loads(json.dumps(metadata["params"], ensure_ascii=False))
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()}
    return LinearTopicModel.from_arrays(params, arrays, vocabularies)


def _sha256(path: Path, max_bytes: int) -> str:
    """sha256 of a bundle file read as untrusted (see bundle.checks): a regular file within `max_bytes`."""
    digest = hashlib.sha256()
    with open_bundle_file(path.parent, path.name, max_bytes) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def runtime_versions() -> dict:
    import numpy  # loads with a model, not at start-up
    import sklearn  # fitting only

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": numpy.__version__}


def load_model(
    path: str | Path | None = None, taxonomy: Taxonomy | None = None, allow_new_fields: bool = False
) -> Model:
    """Load a bundle (the shipped default when `path` is None) and check it fits this taxonomy and still scores
    its probe texts as it did when saved (see bundle.probe).

    A field renamed in the taxonomy since training is found by its old name among the aliases, and the
    model answers with the new name. `allow_new_fields` accepts a model that lacks fields added since
    (it never suggests them), for comparing an older model with a newer one.

    `path` is a str or Path; a Model is refused with a TypeError (it is loaded already: use it as it is, or load
    `model.path` again to check it against another taxonomy), as is anything else that is not a path.
    """
    _check_bundle_path(path)
    path = Path(path) if path is not None else default_model_path()
    # A save killed mid-swap left the previous bundle beside `path`: read it where it is. Loading writes
    # nothing; the next save to `path` puts it back.
    path = interrupted_swap(path) or path
    metadata = read_metadata(path)
    taxonomy = as_taxonomy(taxonomy)
    current = current_labels(metadata["labels"], taxonomy)
    missing = [label for label in taxonomy.labels if label not in current]
    in_order = [label for label in taxonomy.labels if label in current]
    if None in current or current != in_order or (missing and not allow_new_fields):
        only_added = None not in current and current == in_order
        hint = f"classifier train --base {path} --output {path}" if only_added else retrain_hint(path)
        if not _is_default_taxonomy(taxonomy):  # a taxonomy of one's own: a model of its own, never over this one
            hint = own_taxonomy_hint(path, taxonomy.path)
        if None in current or only_added:  # fields one taxonomy lacks: perhaps it was trained with another one
            hint += " (or load it with the taxonomy it was trained with: --taxonomy FILE)"
        raise BundleError(
            f"{path}: the model's fields differ from {taxonomy.path} "
            f"({label_change(metadata['labels'], taxonomy.labels)}); "
            f"retrain it: {hint}"
        )
    if current != metadata["labels"]:
        metadata = {**metadata, "labels": current, "labels_as_trained": metadata["labels"]}

    estimator = _read_estimator(path, metadata)
    if "probe" in metadata:  # a bundle saved before probes existed has none
        try:
            difference = probe_difference(estimator, metadata["probe"])
        except Exception as exc:  # as in _read_estimator: a foreign bundle may fail in many ways, in one line
            raise BundleError(
                f"{path}: cannot score its probe texts ({type(exc).__name__}); retrain: {retrain_hint(path)}"
            ) from None
        tolerance = (
            PROBE_TOLERANCE if metadata.get("probe_scored_by") == PROBE_BY_PREDICTOR else ESTIMATOR_PROBE_TOLERANCE
        )
        if not difference <= tolerance:
            raise BundleError(
                f"{path}: scores its probe texts differently here than when it was saved (by up to "
                f"{difference:.2g}, more than {tolerance:g}): this installation computes other features or "
                f"scores; retrain: {retrain_hint(path)}"
            )
    return Model(estimator, metadata, path)


def _check_bundle_path(path) -> None:
    """TypeError, in one line, unless `path` is None or a path (str or path object); a Model is loaded already."""
    if path is None or isinstance(path, (str, os.PathLike)):
        return
    if isinstance(path, Model):
        raise TypeError(
            "load_model takes the path of a bundle, not a Model: this one is loaded already (use it as it is, or "
            "load_model(model.path, taxonomy) to load its bundle again)"
        )
    raise TypeError(f"load_model takes the path of a bundle (str or Path), not {type(path).__name__}")


def _read_estimator(path: Path, metadata: dict):
    # Predicting needs numpy and scipy only: scikit-learn, most of a cold start, is imported for fitting.
    from classifier.estimator.runtime import PHRASE_MINIMUM_ARRAYS, LinearTopicModel  # on first use: start-up

    expected = metadata["payload_sha256"]
    for name, limit in ((ARRAYS_FILE, MAX_ARRAY_BYTES), (VOCABULARY_FILE, MAX_VOCABULARY_BYTES)):
        try:
            if _sha256(path / name, limit) != expected.get(name):
                raise BundleError(
                    f"{path / name}: checksum differs from {METADATA_FILE}: the file was changed or truncated; "
                    f"retrain: {retrain_hint(path)}"
                )
        except FileNotFoundError:
            raise BundleError(f"{path}: no {name} in the bundle; retrain: {retrain_hint(path)}") from None
        except BundleCheckError as exc:
            raise BundleError(f"{exc}; retrain: {retrain_hint(path)}") from None
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in metadata["params"].items()}
    from classifier.estimator.evidence import EVIDENCE_FEATURES  # on first use: keeps start-up light

    try:
        vocabularies = _read_vocabularies(path, params)
        n_labels, n_features = len(metadata["labels"]), sum(len(terms) for terms in vocabularies.values())
        shapes = {
            "coef": ((n_labels, n_features), "f"),
            "intercept": ((n_labels,), "f"),
            "calibration": ((n_labels, 2), "f"),
            "thresholds": ((n_labels,), "f"),
            **{f"idf_{name}": ((len(terms),), "f") for name, terms in vocabularies.items()},
            "prototypes": ((n_labels, n_features), "f"),
            "zero_shot": ((n_labels,), "b"),
            "stack_weights": ((len(EVIDENCE_FEATURES) + 1,), "f"),
            "stack_offsets": ((n_labels,), "f"),
            "stacked": ((n_labels,), "b"),
            **{name: ((n_labels,), "f") for name in PHRASE_MINIMUM_ARRAYS},
        }
        stacker = {"stack_weights", "stack_offsets", "stacked"}
        optional = {"prototypes", "zero_shot", *PHRASE_MINIMUM_ARRAYS} | stacker
        arrays = read_arrays(path, ARRAYS_FILE, shapes, optional=optional)
        if ("prototypes" in arrays) != ("zero_shot" in arrays):
            raise BundleCheckError(f"{path / ARRAYS_FILE}: holds one of 'prototypes' and 'zero_shot' without the other")
        if 0 < len(stacker & arrays.keys()) < len(stacker):
            raise BundleCheckError(
                f"{path / ARRAYS_FILE}: holds only some of the stacker's arrays ({', '.join(sorted(stacker))})"
            )
    except BundleCheckError as exc:
        raise BundleError(f"{exc}; retrain: {retrain_hint(path)}") from None
    try:
        estimator = LinearTopicModel.from_arrays(params, arrays, vocabularies)
    except Exception as exc:  # a foreign or inconsistent bundle can fail in many ways; none may crash the caller
        raise BundleError(
            f"{path}: not a usable bundle ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            f"retrain: {retrain_hint(path)}"
        ) from None
    if estimator.n_labels_ != len(metadata["labels"]):
        raise BundleError(
            f"{path}: {ARRAYS_FILE} has {estimator.n_labels_} fields but {METADATA_FILE} lists "
            f"{len(metadata['labels'])}; retrain: {retrain_hint(path)}"
        )
    return estimator


def _read_vocabularies(path: Path, params: dict) -> dict[str, list[str]]:
    """vocabulary.json, checked: one list of distinct short terms per feature part the parameters turn on."""
    where = path / VOCABULARY_FILE
    vocabularies = load_json(read_bundle_bytes(path, VOCABULARY_FILE, MAX_VOCABULARY_BYTES), where)
    wanted = (
        ["text"]
        + (["title"] if params.get("title_weight", 0.5) else [])
        + (["chars"] if params.get("char_weight", 0.0) else [])
    )
    if not isinstance(vocabularies, dict) or sorted(vocabularies) != sorted(wanted):
        found = ", ".join(map(str, vocabularies)) if isinstance(vocabularies, dict) else type(vocabularies).__name__
        raise BundleCheckError(f"{where}: expected the vocabularies {', '.join(wanted)}, found {found or 'none'}")
    for name, terms in vocabularies.items():
        # Types, then lengths, each in one pass in C: a vocabulary has tens of thousands of terms, read at every start.
        if not (isinstance(terms, list) and all(map(isinstance, terms, repeat(str)))) or (
            max(map(len, terms), default=0) > MAX_TERM_CHARS
        ):
            raise BundleCheckError(
                f"{where}: vocabulary '{name}' must be a list of terms of at most {MAX_TERM_CHARS} characters"
            )
        if len(set(terms)) != len(terms):
            raise BundleCheckError(f"{where}: vocabulary '{name}' repeats a term")
    if sum(len(terms) for terms in vocabularies.values()) > MAX_FEATURES:
        raise BundleCheckError(f"{where}: more than {MAX_FEATURES:,} terms, the limit for a bundle")
    return {name: vocabularies[name] for name in wanted}


def read_metadata(path: Path) -> dict:
    """model.json, read as untrusted data: a regular file within its size limit, checked against the schema."""
    meta_path = path / METADATA_FILE
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:  # a name too long, a folder above it that cannot be searched
        raise BundleError(
            f"{path}: cannot read it ({exc.strerror}); a model bundle is a folder with {METADATA_FILE} in it"
        ) from None
    if not is_dir:
        if not exists:
            if path.is_symlink():  # a link to nothing, or a loop: `train --output` will not save through it
                raise BundleError(
                    f"{path}: is a symlink to no folder; a model bundle is a folder with {METADATA_FILE} in it (point "
                    "the link at one, or train one under another name)"
                )
            raise BundleError(
                f"{path}: no such folder; a model bundle is a folder with {METADATA_FILE} in it "
                f"(train one: {retrain_hint(path)})"
            )
        raise BundleError(f"{path}: is a file, not a model bundle (a folder with {METADATA_FILE} in it)")
    try:
        metadata = load_json(read_bundle_bytes(path, METADATA_FILE, MAX_METADATA_BYTES), meta_path)
    except FileNotFoundError:
        raise BundleError(f"{path}: not a model bundle (no {METADATA_FILE}); train one: {retrain_hint(path)}") from None
    except BundleCheckError as exc:
        raise BundleError(f"{exc}; retrain: {retrain_hint(path)}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_VERSION or "labels" not in metadata:
        raise BundleError(f"{meta_path}: not a bundle of format {FORMAT_VERSION}; retrain: {retrain_hint(path)}")
    try:
        check_metadata(metadata, meta_path)
    except BundleCheckError as exc:
        raise BundleError(f"{exc}; retrain: {retrain_hint(path)}") from None
    return metadata


def current_labels(trained: list[str], taxonomy: Taxonomy) -> list[str | None]:
    """Each label a model was trained with, as the taxonomy names it now (None if it is gone)."""
    return [label if label in taxonomy.labels else taxonomy.resolve(label) for label in trained]


def label_change(model_labels: list[str], taxonomy_labels: list[str]) -> str:
    added = [label for label in taxonomy_labels if label not in model_labels]
    removed = [label for label in model_labels if label not in taxonomy_labels]
    parts = []
    if added:
        parts.append(f"new in taxonomy: {', '.join(added)}")
    if removed:
        parts.append(f"not in taxonomy: {', '.join(removed)}")
    return "; ".join(parts) or "same fields in another order"
