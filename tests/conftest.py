"""Shared paths, helpers and fixtures for the tests."""

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests run a fixed set of examples: same examples on every machine, no time limit per
# example (CI machines are slow and shared), nothing stored between runs. HYPOTHESIS_PROFILE=thorough
# searches longer and at random, to hunt for new failures locally.
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
SEED_ELECTIONS = SEEDS / "004_e25e08ca74735e5d.txt"
SEED_UNTAGGED = SEEDS / "000_249344e3ceadf321.txt"


def training_records() -> list[dict]:
    """The labelled corpus, one dict per item."""
    return [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# Tests that train a model on real data take seconds each. They are marked `slow` so that the mutation run
# (docs/mutation.md), which runs the tests that reach each mutant again for every mutant, can leave them out.
TRAINING_FIXTURES = {"small_corpus", "models", "model_on_first_300"}


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the checkout")


@pytest.fixture(scope="session")
def taxonomy():
    from classifier.taxonomy.fields import Taxonomy

    return Taxonomy.from_yaml(ROOT / "taxonomy.yaml")


@pytest.fixture(scope="session")
def menu_lines():
    """Every line of the site's navigation menus, as in the example pages."""
    page = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
    return page[: page.index("Press release")].splitlines()


@pytest.fixture(scope="session")
def model_on_first_300(tmp_path_factory):
    """The model trained on the first 300 corpus items, trained once for every test that needs it:
    (bundle path, loaded model). Tests only read it; one that changes a model copies it first."""
    from classifier.workflows.training import train

    root = tmp_path_factory.mktemp("first_300")
    model, _ = train([write_jsonl(root / "first_300.jsonl", training_records()[:300])], root / "bundle")
    return root / "bundle", model
