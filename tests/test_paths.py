"""Where the taxonomy, field guide and model are found: the package's installed copies first, the checkout's after,
and CLASSIFIER_TAXONOMY or CLASSIFIER_MODEL over both."""

from pathlib import Path

import pytest

import classifier.paths as paths

# What each finder looks for: its place in an installed package, and in a source checkout (beside the package).
PLACES = [
    ("shipped_taxonomy_path", "data/taxonomy.yaml", "taxonomy.yaml"),
    ("default_field_guide_path", "data/field_guide.yaml", "field_guide.yaml"),
    ("shipped_model_path", "data/models/default", "models/default"),
]


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    """A package folder of our own, `site/classifier`, with nothing in it or beside it yet."""
    folder = tmp_path / "site" / "classifier"
    folder.mkdir(parents=True)
    monkeypatch.setattr(paths, "_PACKAGE", folder)
    for name in ("CLASSIFIER_TAXONOMY", "CLASSIFIER_MODEL", "classifier_taxonomy", "classifier_model"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _make(path: Path) -> Path:
    """`path` made: a folder for a model bundle, a file for the rest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix:
        path.write_text("x\n", encoding="utf-8")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("finder, installed, checkout", PLACES, ids=[place[0] for place in PLACES])
def test_the_installed_copy_is_found_before_the_checkouts(package, finder, installed, checkout):
    """Installed with `pip install .`, the package's own copy under data/ is the one used, even with a copy beside
    the package (a name or folder misspelt there would fall through to the other copy, or to none)."""
    expected = _make(package / installed)
    _make(package.parent / checkout)
    assert getattr(paths, finder)() == expected


@pytest.mark.parametrize("finder, installed, checkout", PLACES, ids=[place[0] for place in PLACES])
def test_a_checkout_without_installed_copies_uses_its_own(package, finder, installed, checkout):
    expected = _make(package.parent / checkout)
    assert getattr(paths, finder)() == expected


@pytest.mark.parametrize("finder, installed, checkout", PLACES, ids=[place[0] for place in PLACES])
def test_with_no_copy_anywhere_the_installed_place_is_named(package, finder, installed, checkout):
    """A package installed without its data: the error that follows names where the file should be in the package,
    not a path beside site-packages."""
    assert getattr(paths, finder)() == package / installed


@pytest.mark.parametrize(
    "variable, finder, shipped",
    [
        ("CLASSIFIER_TAXONOMY", "default_taxonomy_path", "shipped_taxonomy_path"),
        ("CLASSIFIER_MODEL", "default_model_path", "shipped_model_path"),
    ],
)
def test_the_environment_names_the_default_taxonomy_and_model(package, monkeypatch, variable, finder, shipped):
    """The variable, spelt in capitals as the README gives it, wins over the shipped copy; set empty, or only in
    lower case, it is not set."""
    _make(package / "data" / "taxonomy.yaml")
    _make(package / "data" / "models" / "default")
    monkeypatch.setenv(variable, "/elsewhere/mine")
    assert getattr(paths, finder)() == Path("/elsewhere/mine")
    monkeypatch.setenv(variable, "")
    assert getattr(paths, finder)() == getattr(paths, shipped)()
    monkeypatch.delenv(variable)
    monkeypatch.setenv(variable.lower(), "/elsewhere/mine")
    assert getattr(paths, finder)() == getattr(paths, shipped)()


def test_the_shipped_model_ignores_the_environment(package, monkeypatch):
    """`shipped_model_path` is the package's bundle whatever CLASSIFIER_MODEL says: a broken bundle is told to be
    retrained into its own folder unless it is the shipped one."""
    bundle = _make(package / "data" / "models" / "default")
    monkeypatch.setenv("CLASSIFIER_MODEL", "/elsewhere/mine")
    assert paths.shipped_model_path() == bundle
