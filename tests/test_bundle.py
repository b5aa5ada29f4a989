import hashlib
import json
import shutil

import numpy as np
import pytest

from classifier.bundle.storage import BundleError, load_model, save_bundle
from classifier.taxonomy.fields import Taxonomy
from classifier.workflows.training import train

from conftest import ROOT, SEED_ELECTIONS, SEED_UNTAGGED, TRAINING, needs_seeds

DEFAULT = ROOT / "models" / "default"
EXAMPLES = sorted((ROOT / "examples").glob("*.txt"))


@pytest.fixture(scope="module")
def shipped():
    return load_model(DEFAULT)


def test_shipped_model_matches_taxonomy_and_describes_itself(shipped, taxonomy):
    assert shipped.labels == taxonomy.labels
    meta = shipped.metadata
    assert meta["taxonomy_sha256"] == taxonomy.sha256
    assert meta["training_data"]["documents"] == len(TRAINING.read_text(encoding="utf-8").splitlines())
    assert set(meta["label_counts"]) == set(taxonomy.labels)
    assert "thresholds" not in meta  # stored once, in model.npz
    assert (
        shipped.thresholds.shape == (len(taxonomy.labels),)
        and ((shipped.thresholds > 0) & (shipped.thresholds < 1)).all()
    )
    assert meta["versions"]["scikit-learn"] and meta["seed"] == 0
    assert 0 < meta["cv_metrics"]["micro"]["f1"] <= 1


@pytest.mark.slow
def test_rebuilding_the_shipped_model_gives_the_same_predictions(shipped, tmp_path):
    texts = [path.read_text(encoding="utf-8") for path in EXAMPLES]
    rebuilt, _ = train([TRAINING], tmp_path / "rebuilt", seed=shipped.metadata["seed"])
    np.testing.assert_allclose(rebuilt.predict_proba(texts), shipped.predict_proba(texts), atol=1e-6)
    assert (
        load_model(tmp_path / "rebuilt").metadata["training_data"]["sha256"]
        == shipped.metadata["training_data"]["sha256"]
    )


def test_examples_get_their_fields(shipped):
    expected = {
        "election-observation-kyrgyzstan.txt": "Elections",
        "trafficking-training-serbia.txt": "Combating trafficking in human beings",
        "plain-text-media.txt": "Media freedom and development",
    }
    for path in EXAMPLES:
        suggestion = shipped.suggest(path.read_text(encoding="utf-8"))
        assert suggestion.labels[0] == expected[path.name], path.name


@needs_seeds
def test_seed_pages_get_sensible_suggestions(shipped):
    elections = shipped.suggest(SEED_ELECTIONS.read_text(encoding="utf-8"))
    assert "Elections" in elections.labels
    untagged = shipped.suggest(SEED_UNTAGGED.read_text(encoding="utf-8"))
    # A Chairperson's visit to the Mission in Kosovo: politics, reconciliation and governance, not weapons.
    top3 = [label for label, _ in untagged.scores[:3]]
    assert not {"Arms control", "Cyber/ICT Security", "Border management"} & set(top3)


def test_predict_proba_parses_pages_so_menus_do_not_count(shipped, menu_lines):
    body = "Press release\nJudges trained\nJudges in Tirana were trained on fair trial standards."
    with_menus = shipped.predict_proba(["\n".join(menu_lines) + "\n" + body])
    without = shipped.predict_proba([body])
    np.testing.assert_allclose(with_menus, without)


def copy_bundle(tmp_path):
    target = tmp_path / "bundle"
    shutil.copytree(DEFAULT, target)
    return target


def test_bundle_with_other_fields_than_taxonomy_is_refused(tmp_path):
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8").replace("  - name: Youth\n", "  - name: Young people\n")
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BundleError) as error:
        load_model(DEFAULT, Taxonomy.from_yaml(tmp_path / "t.yaml"))
    message = str(error.value)
    assert "new in taxonomy: Young people; not in taxonomy: Youth" in message
    assert "classifier train" in message and "\n" not in message


def test_a_field_renamed_since_training_loads_by_its_alias_and_answers_with_the_new_name(tmp_path):
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    youth = text.index("  - name: Youth\n")
    renamed = text[:youth] + text[youth:].replace("  - name: Youth\n", "  - name: Young people\n", 1).replace(
        "aliases: []", "aliases: [Youth]", 1
    )
    (tmp_path / "t.yaml").write_text(renamed, encoding="utf-8")
    model = load_model(DEFAULT, Taxonomy.from_yaml(tmp_path / "t.yaml"))
    assert model.labels[-1] == "Young people" and model.metadata["labels_as_trained"][-1] == "Youth"
    suggestion = model.suggest(
        "Young people from five countries met at a youth forum to discuss youth participation and volunteering."
    )
    assert suggestion.labels[0] == "Young people"


def test_a_field_added_since_training_asks_for_a_retrain_on_the_base(tmp_path):
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    extra = (
        "  - name: Water security\n    id: water-security\n    dimension: economic-environmental\n"
        "    description: Shared rivers.\n\n"
    )
    (tmp_path / "t.yaml").write_text(text.replace("  - name: Youth\n", extra + "  - name: Youth\n"), encoding="utf-8")
    wider = Taxonomy.from_yaml(tmp_path / "t.yaml")
    with pytest.raises(BundleError) as error:
        load_model(DEFAULT, wider)
    assert str(error.value).endswith(
        f"(new in taxonomy: Water security); retrain it: classifier train --base {DEFAULT} --output {DEFAULT}"
    )
    assert "Water security" not in load_model(DEFAULT, wider, allow_new_fields=True).labels


def test_a_bundle_from_another_scikit_learn_loads_and_answers_the_same(tmp_path, shipped):
    """A bundle holds no pickle: the scikit-learn that fitted it does not decide whether it loads."""
    bundle = copy_bundle(tmp_path)
    meta = json.loads((bundle / "model.json").read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    (bundle / "model.json").write_text(json.dumps(meta))
    texts = [path.read_text(encoding="utf-8") for path in EXAMPLES]
    np.testing.assert_array_equal(load_model(bundle).predict_proba(texts), shipped.predict_proba(texts))


def test_a_saved_bundle_carries_a_probe_of_fixed_texts_and_their_probabilities(tmp_path, shipped, taxonomy):
    from classifier.bundle.probe import PROBE_TEXTS

    save_bundle(shipped.estimator, shipped.metadata, tmp_path / "copy")
    probe = json.loads((tmp_path / "copy" / "model.json").read_text())["probe"]
    assert probe["texts"] == list(PROBE_TEXTS)
    proba = np.array(probe["proba"])
    assert proba.shape == (len(PROBE_TEXTS), len(taxonomy.labels)) and ((proba > 0) & (proba < 1)).all()
    # The probabilities are the model's own: each written text's field scores highest.
    best = [taxonomy.labels[j] for j in proba.argmax(axis=1)]
    assert best[:3] == ["Elections", "Border management", "Media freedom and development"]
    assert load_model(tmp_path / "copy").labels == shipped.labels


@pytest.mark.parametrize("change, refused", [(1e-4, True), (-2e-6, True), (4e-7, False)])
def test_a_bundle_whose_probe_is_not_reproduced_is_refused_in_one_line(tmp_path, shipped, change, refused):
    bundle = tmp_path / "copy"
    save_bundle(shipped.estimator, shipped.metadata, bundle)
    meta = json.loads((bundle / "model.json").read_text())
    meta["probe"]["proba"][1][9] += change
    (bundle / "model.json").write_text(json.dumps(meta))
    if not refused:  # rounding, as another numpy may give, is tolerated
        assert load_model(bundle).labels == shipped.labels
        return
    with pytest.raises(BundleError) as error:
        load_model(bundle)
    message = str(error.value)
    assert message.startswith(f"{bundle}: scores its probe texts differently here than when it was saved (by up to ")
    assert "\n" not in message and message.endswith(f"retrain: classifier train LABELLED_DATA --output {bundle}")


def test_changed_arrays_with_resealed_checksums_are_caught_by_the_probe(tmp_path, shipped):
    """Whoever changes model.npz can rewrite its checksum, but not make it score the probe as before."""
    bundle = tmp_path / "copy"
    save_bundle(shipped.estimator, shipped.metadata, bundle)
    with np.load(bundle / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["intercept"] = arrays["intercept"] + 0.01
    np.savez_compressed(bundle / "model.npz", **arrays)
    meta = json.loads((bundle / "model.json").read_text())
    meta["payload_sha256"]["model.npz"] = hashlib.sha256((bundle / "model.npz").read_bytes()).hexdigest()
    (bundle / "model.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="scores its probe texts differently"):
        load_model(bundle)


@pytest.mark.parametrize("damage", ["truncate", "remove", "metadata", "vocabulary"])
def test_damaged_bundles_are_refused_in_one_line(tmp_path, damage):
    bundle = copy_bundle(tmp_path)
    if damage == "truncate":
        data = (bundle / "model.npz").read_bytes()
        (bundle / "model.npz").write_bytes(data[: len(data) // 2])
    elif damage == "remove":
        (bundle / "model.npz").unlink()
    elif damage == "metadata":
        (bundle / "model.json").write_text("{not json")
    else:
        (bundle / "vocabulary.json").write_text('{"text": ["tampered"]}')
    with pytest.raises(BundleError) as error:
        load_model(bundle)
    assert str(error.value).startswith(str(bundle)) and "\n" not in str(error.value)


class WritesAFile:
    """Unpickling this runs code: it creates the file named in `target`."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_bundle_carrying_a_pickle_payload_cannot_run_it(tmp_path):
    import hashlib
    import pickle

    bundle = copy_bundle(tmp_path)
    marker = tmp_path / "pwned"
    # The attacker controls every file, checksums included: an object array in the .npz and a
    # pickle where older tools kept the estimator.
    payload = np.empty(1, dtype=object)
    payload[0] = WritesAFile(marker)
    with np.load(bundle / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["coef"] = payload
    np.savez(bundle / "model.npz", **arrays, allow_pickle=True)
    (bundle / "model.joblib").write_bytes(pickle.dumps(WritesAFile(marker)))
    meta = json.loads((bundle / "model.json").read_text())
    meta["payload_sha256"]["model.npz"] = hashlib.sha256((bundle / "model.npz").read_bytes()).hexdigest()
    (bundle / "model.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="array .coef.: stored as object"):
        load_model(bundle)
    assert not marker.exists()


def test_a_failed_save_leaves_the_previous_bundle_intact(tmp_path, shipped):
    bundle = copy_bundle(tmp_path)
    before = (bundle / "model.json").read_bytes()

    class FailsHalfway:
        """Its arrays are written, then its vocabulary cannot be: the save fails midway."""

        def to_arrays(self):
            arrays, _ = shipped.estimator.to_arrays()
            return arrays, {"text": [object()]}

    with pytest.raises(TypeError):
        save_bundle(FailsHalfway(), shipped.metadata, bundle)
    assert (bundle / "model.json").read_bytes() == before
    assert load_model(bundle).labels == shipped.labels
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_a_saved_bundle_carries_its_model_card(tmp_path, shipped):
    from classifier.bundle.card import render_card

    save_bundle(shipped.estimator, shipped.metadata, tmp_path / "copy")
    card = (tmp_path / "copy" / "MODEL.md").read_text(encoding="utf-8")
    thresholds = dict(zip(shipped.labels, shipped.thresholds.tolist()))
    assert card == render_card(json.loads((tmp_path / "copy" / "model.json").read_text()), "copy", thresholds)
    assert f"| Arms control | 7 | {thresholds['Arms control']:.2f} |" in card
    assert "## Fields" in card and "## Changes against its base" in card


def test_save_never_replaces_something_that_is_not_a_bundle(tmp_path, shipped):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8 not a model")
    with pytest.raises(BundleError, match=r"photos: exists and is not a model bundle"):
        save_bundle(shipped.estimator, shipped.metadata, folder)
    assert (folder / "holiday.jpg").read_bytes() == b"\xff\xd8 not a model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_advice_to_retrain_a_bundle_names_its_own_path_never_the_default_model(tmp_path):
    import shutil

    from classifier.bundle.storage import RETRAIN_HINT, retrain_hint
    from classifier.paths import default_model_path

    assert retrain_hint(default_model_path()) == RETRAIN_HINT  # the model in use by default: rebuilt as shipped
    bundle = tmp_path / "mine"
    shutil.copytree(DEFAULT, bundle)
    (bundle / "model.json").write_text("{}", encoding="utf-8")
    with pytest.raises(BundleError) as error:
        load_model(bundle)
    assert str(error.value).endswith(f"retrain: classifier train LABELLED_DATA --output {bundle}")
    assert "models/default" not in str(error.value)


def test_a_bundle_with_fields_this_taxonomy_lacks_is_told_about_taxonomy(tmp_path):
    import shutil

    bundle = tmp_path / "custom"
    shutil.copytree(DEFAULT, bundle)
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    meta["labels"] = ["Water security" if label == "Youth" else label for label in meta["labels"]]
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError) as error:
        load_model(bundle)
    message = str(error.value)
    assert "not in taxonomy: Water security" in message and f"--output {bundle}" in message
    assert message.endswith("(or load it with the taxonomy it was trained with: --taxonomy FILE)")
