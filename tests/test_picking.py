import json
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import sparse
from typer.testing import CliRunner

from classifier.bundle.model import Model, Reading
from classifier.bundle.storage import load_model
from classifier.cli import app
from classifier.corpus.datasets import load_training_set
from classifier.corpus.documents import Document, read_documents
from classifier.errors import UsageError
from classifier.workflows.picking import Picked, pick, uncertainty

from conftest import ROOT, TINY_LABELS, TRAINING

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


def test_documents_that_failed_to_read_are_left_out_and_named_as_the_command_line_does(shipped, tmp_path):
    """A folder of two example pages and a binary file, and a file that does not exist, read lazily: pick leaves the
    two failures out and names them, and picks what `classifier pick` picks on the same inputs."""
    for name in ("election-observation-kyrgyzstan.txt", "trafficking-training-serbia.txt"):
        (tmp_path / name).write_bytes((ROOT / "examples" / name).read_bytes())
    (tmp_path / "binary.txt").write_bytes(b"a\0b")
    missing = tmp_path / "missing.txt"
    picked = pick(shipped, read_documents([tmp_path, missing]), n=10)  # a generator, not a list
    assert picked.failed == [
        f"{tmp_path / 'binary.txt'}: binary file, not text",
        f"{missing}: no such file or directory",
    ]
    assert (picked.candidates, picked.near_duplicates, picked.already_trained) == (2, 0, 0)
    pages = {str(tmp_path / "election-observation-kyrgyzstan.txt"), str(tmp_path / "trafficking-training-serbia.txt")}
    assert {row["id"] for row in picked.rows} == pages and all(row["text"] for row in picked.rows)
    result = runner.invoke(app, ["pick", str(tmp_path), str(missing), "--n", "10"])
    assert result.exit_code == 1
    assert [json.loads(line) for line in result.stdout.splitlines()] == picked.rows
    assert pick(shipped, [Document(id="x", origin="x", error="x: unreadable")]) == Picked(
        [], 0, 0, 0, ["x: unreadable"]
    )


def test_a_model_loaded_by_a_relative_path_knows_its_training_documents_after_a_change_of_directory(
    unlabelled, tmp_path, monkeypatch
):
    """Loaded as models/default from the checkout, then used elsewhere: it still passes over the 30 documents it
    was trained on, and evaluating it on its own 629 training documents still says it was trained on them all."""
    from pathlib import Path

    from classifier import evaluate_model

    monkeypatch.chdir(ROOT)
    relative = load_model("models/default")
    monkeypatch.chdir(tmp_path)
    assert relative.path == Path("models/default")  # shown as it was given
    trained = list(read_documents([TRAINING]))[:30]
    picked = pick(relative, trained + unlabelled[:20], n=50)
    assert (picked.already_trained, picked.candidates) == (30, 20)
    metrics = evaluate_model(relative, [TRAINING])
    assert (metrics["documents"], metrics["trained_on"]) == (629, 629)


def test_a_bundle_whose_stored_documents_cannot_be_read_is_said_not_taken_for_one_without_them(tmp_path):
    import shutil

    from classifier.bundle.documents import trained_keys
    from classifier.bundle.storage import BundleError

    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "models" / "default", bundle)
    copy = load_model(bundle)
    assert len(trained_keys(copy)) == 629
    stored = bundle / "training.jsonl.gz"
    stored.write_bytes(stored.read_bytes()[:-100])
    with pytest.raises(BundleError, match="training.jsonl.gz: checksum differs from model.json"):
        pick(copy, list(read_documents([UNLABELLED]))[:3])
    stored.unlink()
    with pytest.raises(BundleError, match="training.jsonl.gz: missing, though model.json lists it"):
        trained_keys(copy)
    assert trained_keys(Model(copy.estimator, copy.metadata)) is None  # held in memory: nothing stored to read
    metadata = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    del metadata["payload_sha256"]["training.jsonl.gz"]
    (bundle / "model.json").write_text(json.dumps(metadata), encoding="utf-8")
    assert trained_keys(load_model(bundle)) is None  # a bundle saved before bundles stored their documents


def test_a_bundle_saved_over_since_the_model_was_loaded_is_not_taken_for_its_own(tmp_path):
    """Another model saved where this one was loaded from (a notebook cell run again with other data): its training
    documents are the other model's, and counting them as this one's hid the documents this one was trained on."""
    import gzip
    import hashlib
    import shutil

    from classifier.bundle.documents import trained_keys
    from classifier.bundle.storage import BundleError

    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "models" / "default", bundle)
    first = load_model(bundle)
    stored = bundle / "training.jsonl.gz"
    lines = gzip.decompress(stored.read_bytes()).splitlines(keepends=True)
    stored.write_bytes(gzip.compress(b"".join(lines[:100]), mtime=0))  # the next model, trained on 100 of them
    metadata = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    metadata["payload_sha256"]["training.jsonl.gz"] = hashlib.sha256(stored.read_bytes()).hexdigest()
    (bundle / "model.json").write_text(json.dumps(metadata), encoding="utf-8")
    assert len(trained_keys(load_model(bundle))) == 100  # the model the bundle holds now
    with pytest.raises(BundleError) as caught:
        trained_keys(first)
    assert str(caught.value) == (
        f"{bundle}: holds another model now, saved there after this one, so the documents this one was trained on "
        "are gone; load the bundle again to work with the model it holds"
    )
    with pytest.raises(BundleError, match="holds another model now"):
        pick(first, list(read_documents([UNLABELLED]))[:3])


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


# Fast tests of `pick` on a model whose readings and feature vectors are written out by hand, so that each document's
# uncertainty, rank and likeness to the others is known before the pick. Thresholds 0.4, 0.5, 0.5 and 0.8: a
# distance is scaled by the room on its side (0.6 or 0.4, 0.5, 0.5, 0.2 or 0.8), and the closest call decides.

PICK_THRESHOLDS = np.array([0.4, 0.5, 0.5, 0.8])
# title: (probabilities, feature vector); the margin uncertainty worked out by hand in the comment.
PICK_READINGS = {
    "Alpha": ([0.7, 0.0, 0.1, 0.0], [1, 0, 0, 0, 0, 0, 0]),  # 1 - 0.3 / 0.6 = 0.5
    "Beta": ([0.1, 0.45, 0.0, 0.0], [0, 3, 4, 0, 0, 0, 0]),  # 1 - 0.05 / 0.5 = 0.9
    "Gamma": ([0.0, 0.0, 0.0, 0.9], [0, 0, 0, 1, 0, 0, 0]),  # 1 - 0.1 / 0.2 = 0.5
    "Delta": ([0.3, 0.0, 0.0, 0.0], [0, 0, 0, 0, 1, 0, 0]),  # 1 - 0.1 / 0.4 = 0.75
    "Epsilon": ([1.0, 1.0, 0.0, 0.0], [0, 0, 0, 0, 0, 1, 0]),  # every call as far as it can be: 0
    "Zeta": ([0.6, 0.25, 0.5, 0.2], [0, 0, 0, 0, 0, 0, 1]),  # one field on its threshold: 1
    "Eta": ([0.1, 0.45, 0.0, 0.0], [0, 4, 3, 0, 0, 0, 0]),  # Beta's reading; its vector's cosine with Beta's is 0.96
}


class HandPickModel(Model):
    """A loaded model that reads each document as PICK_READINGS says, by its title, and accepts a field from its
    threshold up; `path` a bundle whose stored documents it was trained on. `calls` keeps how many documents each
    reading was given."""

    def __init__(self, path=None, readings=PICK_READINGS, thresholds=PICK_THRESHOLDS, labels=TINY_LABELS):
        from classifier.bundle.storage import read_metadata

        # As a loaded model, it carries its bundle's checksums, which name the documents it was trained on.
        checksums = {"payload_sha256": read_metadata(path)["payload_sha256"]} if path is not None else {}
        super().__init__(SimpleNamespace(thresholds_=thresholds), {"labels": list(labels), **checksums}, path)
        self.readings = readings
        self.calls = []

    def read_documents(self, documents, limit=None, threshold=None):
        self.calls.append(len(documents))
        proba = np.array([self.readings[doc.title][0] for doc in documents])
        return Reading(proba, (proba >= self.thresholds).astype(np.int8), [None] * len(documents))

    def features(self, model_texts):
        return sparse.csr_matrix(np.array([self.readings[text.split()[0]][1] for text in model_texts], dtype=float))


def pick_documents() -> list[Document]:
    return [
        Document(id=f"d{i}", title=title, text=f"{title} observers met.", origin=f"in.jsonl:{i + 1}")
        for i, title in enumerate(PICK_READINGS)
    ]


def test_picks_are_the_least_sure_first_ties_in_input_order_near_duplicates_apart():
    model = HandPickModel()
    picked = pick(model, pick_documents(), n=3)
    # Ranked: Zeta 1, Beta 0.9, Eta 0.9 (after Beta, its tie), Delta 0.75, Alpha 0.5, Gamma 0.5, Epsilon 0.
    assert [row["title"] for row in picked.rows] == ["Zeta", "Beta", "Delta"]  # Eta is too like Beta
    assert (picked.candidates, picked.near_duplicates, picked.already_trained) == (7, 1, 0)
    assert [row["uncertainty"] for row in picked.rows] == [1.0, 0.9, 0.75]
    assert picked.rows[0] == {
        "id": "d5",
        "title": "Zeta",
        "text": "Zeta observers met.",
        "labels": ["Elections", "Media freedom and development"],
        "uncertainty": 1.0,
        "suggestions": [
            {"label": "Elections", "score": 0.6},
            {"label": "Media freedom and development", "score": 0.5},
            {"label": "Border management", "score": 0.25},
            {"label": "Youth", "score": 0.2},
        ],
        "origin": "in.jsonl:6",
        "model": model.fingerprint,
    }
    two = pick(model, pick_documents(), n=2)  # stops before it meets Eta
    assert [row["id"] for row in two.rows] == ["d5", "d1"] and two.near_duplicates == 0
    every = pick(model, pick_documents(), n=7)
    assert [row["title"] for row in every.rows] == ["Zeta", "Beta", "Delta", "Alpha", "Gamma", "Epsilon"]
    assert every.near_duplicates == 1
    # A cosine of 0.96 is not above a bound of 0.96.
    loose = pick(model, pick_documents(), n=3, max_similarity=0.96)
    assert [row["title"] for row in loose.rows] == ["Zeta", "Beta", "Eta"] and loose.near_duplicates == 0


def test_entropy_ranks_by_the_mean_bits_and_top_chooses_the_suggestions_shown():
    picked = pick(HandPickModel(), pick_documents(), n=1, strategy="entropy", top=1)
    (row,) = picked.rows
    # Zeta: the binary entropies of 0.6, 0.25, 0.5 and 0.2 are 0.97095, 0.81128, 1 and 0.72193 bits; mean 0.87604.
    assert row["title"] == "Zeta" and row["uncertainty"] == 0.876
    assert row["suggestions"] == [
        {"label": "Elections", "score": 0.6},
        {"label": "Media freedom and development", "score": 0.5},  # accepted, so shown below the top one
    ]


def test_documents_are_scored_in_batches_and_progress_is_heard_after_each(monkeypatch):
    from classifier.workflows import picking

    monkeypatch.setattr(picking, "SCORING_BATCH", 3)
    model, heard = HandPickModel(), []
    picked = pick(model, pick_documents(), n=7, on_progress=lambda done, total: heard.append((done, total)))
    assert heard == [(3, 7), (6, 7), (7, 7)] and model.calls == [3, 3, 1]
    assert [row["title"] for row in picked.rows] == ["Zeta", "Beta", "Delta", "Alpha", "Gamma", "Epsilon"]
    assert picked.rows[1]["labels"] == [] and picked.rows[3]["labels"] == ["Elections"]


@pytest.fixture(scope="module")
def bundle_trained_on_alpha_and_delta(shared_tiny_model, tmp_path_factory):
    """A bundle that stores Alpha and Delta as the documents it was trained on."""
    from test_bundle import tiny_metadata

    from classifier.bundle.documents import training_documents_file
    from classifier.bundle.storage import save_bundle

    path = tmp_path_factory.mktemp("picking") / "bundle"
    trained = [doc for doc in pick_documents() if doc.title in ("Alpha", "Delta")]
    stored, _ = training_documents_file(trained, [["Elections"], ["Elections"]])
    save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), path, {"training.jsonl.gz": stored})
    return path


def test_documents_the_bundle_was_trained_on_are_passed_over(bundle_trained_on_alpha_and_delta):
    model = HandPickModel(bundle_trained_on_alpha_and_delta)
    picked = pick(model, pick_documents(), n=7)
    assert [row["title"] for row in picked.rows] == ["Zeta", "Beta", "Gamma", "Epsilon"]
    assert (picked.candidates, picked.near_duplicates, picked.already_trained) == (5, 1, 2)
    assert model.calls == [5]
    trained_only = [doc for doc in pick_documents() if doc.title in ("Alpha", "Delta")]
    assert pick(model, trained_only) == Picked([], 0, 0, 2) and model.calls == [5]


def test_margin_is_the_default_strategy_and_an_unknown_one_is_named_with_those_known():
    proba = np.array([[0.7, 0.0, 0.1, 0.0], [0.3, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(uncertainty(proba, PICK_THRESHOLDS), [0.5, 0.75])
    with pytest.raises(ValueError) as error:
        uncertainty(proba, PICK_THRESHOLDS, "random")
    assert str(error.value) == "unknown strategy 'random' (known: margin, entropy)"


def test_every_near_duplicate_passed_over_is_counted():
    model = HandPickModel()
    beta_and_two_likes = [doc for doc in pick_documents() if doc.title in ("Beta", "Eta")]
    beta_and_two_likes.append(Document(id="d7", title="Eta", text="Eta observers met again.", origin="in.jsonl:8"))
    picked = pick(model, beta_and_two_likes, n=3)
    assert [row["id"] for row in picked.rows] == ["d1"] and picked.near_duplicates == 2


def test_twenty_documents_are_picked_and_five_suggestions_shown_by_default():
    # Seven fields; every document alike in features, so only a bound of 1.0 lets them all be picked.
    readings = {"Alpha": ([0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4], [1, 0])}
    model = HandPickModel(readings=readings, thresholds=np.full(7, 0.95), labels=[f"Field {i}" for i in range(1, 8)])
    documents = [Document(id=f"a{i}", title="Alpha", text=f"Alpha text {i}.", origin="in") for i in range(25)]
    picked = pick(model, documents, max_similarity=1.0)
    assert [row["id"] for row in picked.rows] == [f"a{i}" for i in range(20)] and picked.candidates == 25
    shown = [s["label"] for s in picked.rows[0]["suggestions"]]
    assert shown == ["Field 1", "Field 2", "Field 3", "Field 4", "Field 5"]
    assert picked.rows[0]["labels"] == [] and picked.rows[0]["uncertainty"] == 0.9474  # 1 - (0.95 - 0.9) / 0.95


def test_entropy_of_float32_probabilities_is_that_of_their_float64_values():
    # A float32 probability of 1.0 clipped in float32 stays 1.0 (1 - 1e-12 rounds to it), and its entropy is NaN.
    proba = np.array([[1.0, 0.0], [0.5, 0.5]], dtype=np.float32)
    np.testing.assert_allclose(uncertainty(proba, np.array([0.5, 0.5]), "entropy"), [0.0, 1.0], atol=1e-9)


def test_texts_or_a_dataframe_given_for_documents_are_refused_saying_what_to_pass_instead(shipped, unlabelled):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": [doc.text for doc in unlabelled[:3]]})
    with pytest.raises(TypeError, match=r"^pick takes documents \(from read_documents\), not str \(documents\[0\]\); "):
        pick(shipped, frame.text.tolist())
    with pytest.raises(TypeError, match=r"^pick takes documents \(from read_documents\), not a pandas DataFrame; "):
        pick(shipped, frame)


@pytest.mark.parametrize("max_similarity", [float("nan"), -0.1, 1.5])
def test_a_similarity_bound_no_cosine_can_pass_is_refused_before_anything_is_scored(max_similarity):
    # With NaN, no cosine is above it: Eta, a near-duplicate of Beta (0.96), was picked beside it, said nowhere.
    with pytest.raises(UsageError) as caught:
        pick(HandPickModel(), pick_documents(), n=7, max_similarity=max_similarity)
    assert str(caught.value) == f"max_similarity {max_similarity!r}: expected a cosine similarity from 0 to 1"
    result = runner.invoke(app, ["pick", "in.jsonl", "--max-similarity", "nan"], prog_name="classifier")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--max-similarity': nan is not a number")
