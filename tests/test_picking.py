import json

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.corpus.datasets import load_training_set
from classifier.corpus.documents import Document, read_documents
from classifier.workflows.picking import pick, uncertainty

from conftest import ROOT, TRAINING

UNLABELLED = ROOT / "training" / "data" / "unlabelled.jsonl"
runner = CliRunner()


@pytest.fixture(scope="module")
def shipped():
    return load_model(ROOT / "models" / "default")


@pytest.fixture(scope="module")
def unlabelled():
    return list(read_documents([UNLABELLED]))


def test_margin_is_highest_on_the_threshold_and_entropy_at_one_half():
    thresholds = np.array([0.3, 0.6])
    proba = np.array([[0.3, 0.0], [0.0, 1.0], [0.15, 0.0], [0.65, 0.7]])
    # The closest call decides; a distance is scaled by the room on its side of the threshold.
    np.testing.assert_allclose(uncertainty(proba, thresholds, "margin"), [1.0, 0.0, 0.5, 1 - 0.1 / 0.4])
    entropy = uncertainty(np.array([[0.5, 0.5], [0.0, 1.0]]), thresholds, "entropy")
    np.testing.assert_allclose(entropy, [1.0, 0.0], atol=1e-9)
    with pytest.raises(ValueError, match="unknown strategy"):
        uncertainty(proba, thresholds, "random")


@pytest.mark.parametrize("strategy", ["margin", "entropy"])
def test_picks_are_the_least_sure_documents_best_first(shipped, unlabelled, strategy):
    picked = pick(shipped, unlabelled, n=10, strategy=strategy)
    assert len(picked.rows) == 10 and picked.candidates == len(unlabelled)
    scores = [row["uncertainty"] for row in picked.rows]
    assert scores == sorted(scores, reverse=True)
    everyone = uncertainty(shipped.predict_proba_documents(unlabelled), shipped.estimator.thresholds_, strategy)
    assert min(scores) >= np.percentile(everyone, 90) - 1e-4
    first = picked.rows[0]
    assert first["labels"] == [s["label"] for s in first["suggestions"] if s["label"] in first["labels"]]
    assert pick(shipped, unlabelled, n=10, strategy=strategy).rows == picked.rows  # deterministic


def test_near_duplicates_are_not_picked_together(shipped, unlabelled):
    best = pick(shipped, unlabelled, n=1).rows[0]
    original = next(doc for doc in unlabelled if doc.id == best["id"])
    copy = Document(id="copy", title=original.title, text=original.text + " The office said so.", origin="copy")
    candidates = [original, copy] + [doc for doc in unlabelled[:50] if doc.id != original.id]
    # Asked for every candidate, so the copy's rank does not matter: only its likeness can keep it out.
    picked = pick(shipped, candidates, n=len(candidates))
    ids = [row["id"] for row in picked.rows]
    assert ids[0] == original.id and "copy" not in ids and picked.near_duplicates >= 1
    assert len(ids) + picked.near_duplicates == len(candidates)
    loose = pick(shipped, candidates, n=len(candidates), max_similarity=1.0)
    assert "copy" in [row["id"] for row in loose.rows] and loose.near_duplicates == 0


def test_documents_the_model_was_trained_on_are_never_picked(shipped, unlabelled):
    trained = list(read_documents([TRAINING]))[:30]
    picked = pick(shipped, trained + unlabelled[:20], n=50)
    assert picked.already_trained == 30 and picked.candidates == 20
    assert {row["id"] for row in picked.rows} == {doc.id for doc in unlabelled[:20]}


def test_the_template_feeds_train_unchanged(tmp_path, taxonomy):
    output = tmp_path / "to_label.jsonl"
    result = runner.invoke(app, ["pick", str(UNLABELLED), "--n", "4", "--output", str(output)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"picked 4 of {len(UNLABELLED.read_text().splitlines())} documents by margin;")
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    data = load_training_set([output], taxonomy)
    assert [doc.id for doc in data.documents] == [row["id"] for row in rows]
    assert [(doc.title, doc.text) for doc in data.documents] == [(row["title"], row["text"]) for row in rows]
    assert [sorted(taxonomy.labels[j] for j in np.flatnonzero(y)) for y in data.Y] == [
        sorted(r["labels"]) for r in rows
    ]
    again = runner.invoke(app, ["pick", str(UNLABELLED), "--n", "4", "--output", str(output)])
    assert again.exit_code == 1 and "already exists; pass --force" in again.stderr
    stdout = runner.invoke(app, ["pick", str(UNLABELLED), "--n", "4"]).stdout
    assert [json.loads(line) for line in stdout.splitlines()] == rows


def test_the_template_labels_are_what_suggest_gives(shipped, unlabelled):
    naming = Document(
        id="named",
        title="Election training",
        text="The ministry of defence and the armed forces learned how polling stations work.",
        origin="named",
    )
    german = Document(
        id="german",
        title="Wahlen",
        text="Die Beobachter der OSZE haben heute die Wahlen in Kirgisistan begleitet und einen Bericht verfasst.",
        origin="german",
    )
    candidates = [naming, german] + unlabelled[:20]
    rows = {row["id"]: row for row in pick(shipped, candidates, n=len(candidates), max_similarity=1.0).rows}
    for doc in (naming, german, unlabelled[0]):
        assert rows[doc.id]["labels"] == shipped.suggest(f"{doc.title}\n\n{doc.text}").labels, doc.id
    # A field named outright is in the template; a text the model abstains on gets no field.
    assert "Reform and co-operation in the security sector" in rows["named"]["labels"]
    assert rows["german"]["labels"] == []
