"""The package itself (classifier/__init__.py): its public names, each imported on first use, are listed."""

import subprocess
import sys

from conftest import ROOT

# The names the README's Python API section says are importable from `classifier` itself.
README_NAMES = [
    "load_model",
    "Model",
    "Suggestion",
    "parse_release",
    "read_documents",
    "Taxonomy",
    "train",
    "tag",
    "evaluate_model",
    "ClassifierError",
]


def fresh_interpreter(code: str) -> str:
    """What `code` prints in a new interpreter: nothing of the package is imported before it runs."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout


def test_dir_lists_the_public_names_before_any_is_used():
    listed = fresh_interpreter("import classifier; print(' '.join(dir(classifier)))").split()
    assert set(README_NAMES) <= set(listed)
    assert "__version__" in listed and listed == sorted(listed)


def test_help_shows_the_public_names():
    shown = fresh_interpreter("import classifier, pydoc; print(pydoc.render_doc(classifier, renderer=pydoc.plaintext))")
    for name in README_NAMES:
        assert f"\n    {name}" in shown or f" {name}(" in shown, name
