"""Where the shipped taxonomy and default model live, installed or in a source checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def default_taxonomy_path() -> Path:
    """CLASSIFIER_TAXONOMY, else the shipped taxonomy (`shipped_taxonomy_path`)."""
    if os.environ.get("CLASSIFIER_TAXONOMY"):
        return Path(os.environ["CLASSIFIER_TAXONOMY"])
    return shipped_taxonomy_path()


def shipped_taxonomy_path() -> Path:
    """The taxonomy shipped with the package: the copy installed in it, else the checkout's taxonomy.yaml."""
    return _first_existing(_PACKAGE / "data" / "taxonomy.yaml", _PACKAGE.parent / "taxonomy.yaml")


def default_field_guide_path() -> Path:
    """The field guide with written examples: the copy installed in the package, else the checkout's
    field_guide.yaml."""
    return _first_existing(_PACKAGE / "data" / "field_guide.yaml", _PACKAGE.parent / "field_guide.yaml")


def default_model_path() -> Path:
    """CLASSIFIER_MODEL, else the bundle installed in the package, else the checkout's models/default."""
    if os.environ.get("CLASSIFIER_MODEL"):
        return Path(os.environ["CLASSIFIER_MODEL"])
    return shipped_model_path()


def shipped_model_path() -> Path:
    """The model shipped with the package, whatever CLASSIFIER_MODEL says: the bundle installed in it, else the
    checkout's models/default."""
    return _first_existing(_PACKAGE / "data" / "models" / "default", _PACKAGE.parent / "models" / "default")


def in_installed_package(path: str | Path) -> bool:
    """Whether `path` is a file installed with the package (its taxonomy or default model under site-packages),
    which a reinstall replaces and which no command should edit."""
    return (_PACKAGE / "data") in Path(path).resolve().parents
