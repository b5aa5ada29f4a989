import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier.bundle.storage import BundleError, check_bundle_target, load_model, save_bundle
from classifier.paths import default_taxonomy_path
from classifier.taxonomy.fields import Taxonomy
from classifier.workflows.training import train

from conftest import (
    ROOT,
    SEED_ELECTIONS,
    SEED_UNTAGGED,
    TRAINING,
    collapsed_forms,
    needs_seeds,
    pages_with_menus,
    taxonomy_with_youth_renamed,
)

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


@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_page_whose_line_breaks_were_collapsed_gets_the_fields_of_the_page(shipped, path):
    """Joined into one line (a table cell), a page's menus named every field; not one may be accepted for it."""
    pd = pytest.importorskip("pandas")
    page = path.read_text(encoding="utf-8")
    expected = shipped.suggest(page)
    forms = collapsed_forms(page)
    for form, text in forms.items():
        suggestion = shipped.suggest(text)
        assert (suggestion.title, suggestion.labels) == (expected.title, expected.labels), form
        np.testing.assert_allclose([s for _, s in suggestion.scores], [s for _, s in expected.scores], atol=0.02)
    tagged = shipped.tag_frame(pd.DataFrame({"text": [page, *forms.values()]}))
    assert all(labels == expected.labels for labels in tagged["labels"])


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
    (tmp_path / "t.yaml").write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
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
    # A taxonomy of one's own: a model of its own, from this one's documents, never written over the shipped one.
    assert str(error.value).endswith(
        f"(new in taxonomy: Water security); retrain it: classifier train --base {DEFAULT} --taxonomy "
        f"{tmp_path / 't.yaml'} --output t-model (or load it with the taxonomy it was trained with: --taxonomy FILE)"
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


def test_a_failed_save_leaves_the_previous_bundle_intact(tmp_path, shipped, monkeypatch):
    import classifier.bundle.storage

    bundle = copy_bundle(tmp_path)
    before = (bundle / "model.json").read_bytes()

    class Unsaveable:
        """Its vocabulary cannot be written: the save fails before a byte is."""

        def to_arrays(self):
            arrays, _ = shipped.estimator.to_arrays()
            return arrays, {"text": [object()]}

    with pytest.raises(TypeError):
        save_bundle(Unsaveable(), shipped.metadata, bundle)
    assert (bundle / "model.json").read_bytes() == before

    def card_fails(*args):  # the card is written last: arrays, vocabulary and model.json are in place by then
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(classifier.bundle.storage, "render_card", card_fails)
    with pytest.raises(OSError, match="No space left"):
        save_bundle(shipped.estimator, shipped.metadata, bundle)
    assert (bundle / "model.json").read_bytes() == before
    assert load_model(bundle).labels == shipped.labels
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_a_saved_bundle_carries_its_model_card(tmp_path, shipped):
    from classifier.bundle.card import render_card

    save_bundle(shipped.estimator, shipped.metadata, tmp_path / "copy")
    # Saved again, its vocabulary is the same file byte for byte: terms outside ASCII ("utøya") as they are.
    assert (tmp_path / "copy" / "vocabulary.json").read_bytes() == (DEFAULT / "vocabulary.json").read_bytes()
    card = (tmp_path / "copy" / "MODEL.md").read_text(encoding="utf-8")
    thresholds = dict(zip(shipped.labels, shipped.thresholds.tolist()))
    assert card == render_card(json.loads((tmp_path / "copy" / "model.json").read_text()), "copy", thresholds)
    assert f"| Arms control | 7 | {thresholds['Arms control']:.2f} |" in card
    assert "## Fields" in card and "## Changes against its base" in card


def test_save_never_replaces_something_that_is_not_a_bundle(tmp_path, shipped):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8 not a model")
    with pytest.raises(BundleError, match=r"photos: holds holiday\.jpg, which is not a file of a model bundle"):
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
    # A field it lacks and one it has that the taxonomy lacks: trained on other fields, so rebuilt from labelled data.
    assert message.endswith(
        f"(new in taxonomy: Youth; not in taxonomy: Water security); retrain it: classifier train LABELLED_DATA "
        f"--output {bundle} "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )
    # Only fields added since (Youth, here): trained on this taxonomy's older self, so retrained on its own documents.
    meta["labels"] = [label for label in meta["labels"] if label != "Water security"]
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError) as error:
        load_model(bundle)
    shipped = default_taxonomy_path()  # the checkout's, or the installed copy under the package's data/
    assert shipped.read_bytes() == (ROOT / "taxonomy.yaml").read_bytes()
    assert str(error.value) == (
        f"{bundle}: the model's fields differ from {shipped} (new in taxonomy: Youth); retrain it: "
        f"classifier train --base {bundle} --output {bundle} "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )


# Fast tests on a bundle of the tiny model of conftest (four fields, one zero-shot), under a taxonomy of those
# four fields: saving, loading and every refusal, each message one line that names the file and what to do.


def tiny_taxonomy(names=None, aliases=None) -> Taxonomy:
    """A taxonomy of the fields `names` (the tiny corpus's by default); `aliases` maps a name to its aliases."""
    from conftest import TINY_LABELS

    names = TINY_LABELS if names is None else names
    fields = [
        {"name": name, "id": f"field-{i}", "dimension": "human", "aliases": (aliases or {}).get(name, [])}
        for i, name in enumerate(names)
    ]
    return Taxonomy.from_dict({"dimensions": {"human": "Human"}, "fields": fields}, source="tiny.yaml")


def tiny_metadata(model) -> dict:
    from classifier.bundle.storage import runtime_versions

    from conftest import TINY_LABELS

    params = {k: list(v) if isinstance(v, tuple) else v for k, v in model.get_params().items()}
    params = {k: v for k, v in params.items() if k not in ("n_jobs", "labels")}
    return {"labels": TINY_LABELS, "versions": runtime_versions(), "params": params, "note": "Sécurité"}


@pytest.fixture(scope="module")
def tiny_bundle(shared_tiny_model, tmp_path_factory):
    """The tiny model saved with a training file; tests that change it copy it first (`tiny_copy`)."""
    path = tmp_path_factory.mktemp("tiny") / "bundle"
    model = shared_tiny_model
    save_bundle(model, tiny_metadata(model), path, {"training.jsonl.gz": b"\x1f\x8b not really"})
    return path


@pytest.fixture
def tiny_copy(tiny_bundle, tmp_path):
    target = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, target)
    return target


def reseal(bundle, arrays=None, vocabularies=None, **changes):
    """Rewrite the bundle's arrays, vocabularies or model.json keys, with checksums that fit: as an attacker
    or a foreign tool could, so that the checks after the checksums are reached."""
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    if arrays is not None:
        np.savez_compressed(bundle / "model.npz", **arrays)
    if vocabularies is not None:
        (bundle / "vocabulary.json").write_text(json.dumps(vocabularies), encoding="utf-8")
    for name in ("model.npz", "vocabulary.json"):
        meta["payload_sha256"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    meta.update(changes)
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")


def stored_arrays(bundle) -> dict:
    with np.load(bundle / "model.npz") as stored:
        return {name: stored[name] for name in stored.files}


def refusal(bundle, taxonomy=None) -> str:
    with pytest.raises(BundleError) as error:
        load_model(bundle, taxonomy or tiny_taxonomy())
    message = str(error.value)
    assert "\n" not in message
    return message


def retrain(bundle) -> str:
    return f"retrain: classifier train LABELLED_DATA --output {bundle}"


def test_a_saved_bundle_holds_checksummed_files_and_loads_as_the_model_it_was(tiny_bundle, shared_tiny_model):
    from test_model import NEW_TEXTS

    from conftest import TINY_LABELS

    meta_text = (tiny_bundle / "model.json").read_text(encoding="utf-8")
    meta = json.loads(meta_text)
    assert meta_text == json.dumps(meta, indent=2, ensure_ascii=False) + "\n" and '"note": "Sécurité"' in meta_text
    assert meta["format"] == 2 and meta["labels"] == TINY_LABELS
    import platform

    import sklearn

    versions = {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__}
    assert meta["versions"] == versions
    for name in ("model.npz", "vocabulary.json", "training.jsonl.gz"):
        assert meta["payload_sha256"][name] == hashlib.sha256((tiny_bundle / name).read_bytes()).hexdigest()
    assert (tiny_bundle / "training.jsonl.gz").read_bytes() == b"\x1f\x8b not really"
    vocabularies = json.loads((tiny_bundle / "vocabulary.json").read_bytes().decode("utf-8"))
    assert vocabularies == shared_tiny_model.vocabularies
    assert "\\u" not in (tiny_bundle / "vocabulary.json").read_text(encoding="utf-8")
    arrays = stored_arrays(tiny_bundle)
    for name, array in shared_tiny_model.to_arrays()[0].items():
        np.testing.assert_array_equal(arrays[name], array)
    model = load_model(tiny_bundle, tiny_taxonomy())
    # The probe is the model's own scores, as loading gives them (float32 sums the features in another order than
    # scikit-learn's: a few hundred-millionths apart here).
    probe = np.array(meta["probe"]["proba"])
    np.testing.assert_array_equal(probe, model.estimator.predict_proba(meta["probe"]["texts"]))
    np.testing.assert_allclose(probe, shared_tiny_model.predict_proba(meta["probe"]["texts"]), rtol=0, atol=1e-6)
    assert model.path == tiny_bundle and model.labels == TINY_LABELS and "labels_as_trained" not in model.metadata
    np.testing.assert_allclose(model.predict_proba(NEW_TEXTS), shared_tiny_model.predict_proba(NEW_TEXTS), atol=1e-6)
    assert model.estimator.zero_shot_.tolist() == [False, False, False, True]
    card = (tiny_bundle / "MODEL.md").read_text(encoding="utf-8")
    from classifier.bundle.card import render_card

    assert card == render_card(meta, "bundle", dict(zip(TINY_LABELS, shared_tiny_model.thresholds_.tolist())))
    assert f"| Youth | 0 | {shared_tiny_model.thresholds_[3]:.2f} |" in card


def test_a_bundle_saved_where_a_bundle_is_replaces_it_and_a_failed_save_leaves_it_intact(
    tiny_copy, shared_tiny_model, monkeypatch
):
    from classifier.bundle import storage

    files = {p.name: p.read_bytes() for p in tiny_copy.iterdir()}
    metadata = {**tiny_metadata(shared_tiny_model), "note": "second"}

    def card_fails(*args):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "render_card", card_fails)
    with pytest.raises(OSError, match="disk full"):
        save_bundle(shared_tiny_model, metadata, tiny_copy)
    assert {p.name: p.read_bytes() for p in tiny_copy.iterdir()} == files
    assert sorted(p.name for p in tiny_copy.parent.iterdir()) == ["bundle"]
    monkeypatch.undo()
    save_bundle(shared_tiny_model, metadata, tiny_copy)
    assert json.loads((tiny_copy / "model.json").read_text(encoding="utf-8"))["note"] == "second"
    assert not (tiny_copy / "training.jsonl.gz").exists()  # the whole directory was replaced
    assert sorted(p.name for p in tiny_copy.parent.iterdir()) == ["bundle"]


@pytest.mark.parametrize(
    "extra, named",
    [
        ("notes.txt", "notes.txt"),  # a note kept beside the model
        ("experiments/run1.log", "experiments/"),  # a folder inside the bundle
        (".DS_Store", ".DS_Store"),  # hidden files count too
    ],
)
def test_a_bundle_folder_holding_anything_else_is_not_replaced(tiny_copy, shared_tiny_model, extra, named):
    (tiny_copy / extra).parent.mkdir(exist_ok=True)
    (tiny_copy / extra).write_text("mine", encoding="utf-8")
    before = {p.relative_to(tiny_copy): p.read_bytes() for p in tiny_copy.rglob("*") if p.is_file()}
    with pytest.raises(BundleError) as error:
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tiny_copy)
    assert str(error.value) == (
        f"{tiny_copy}: holds {named}, which is not a file of a model bundle; saving replaces the whole folder: "
        "choose a new or empty directory"
    )
    assert {p.relative_to(tiny_copy): p.read_bytes() for p in tiny_copy.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tiny_copy.parent.iterdir()) == ["bundle"]


def test_a_link_to_a_bundle_is_refused_as_the_output_and_both_are_kept(tiny_copy, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    link = tmp_path / "current"
    link.symlink_to("bundle")
    files = {p.name: p.read_bytes() for p in tiny_copy.iterdir()}
    data = ROOT / "examples" / "retraining" / "base.jsonl"
    result = CliRunner().invoke(app, ["train", str(data), "--output", str(link), "--jobs", "1"])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {link}: is a symlink; saving would replace the link with a folder, so name its target instead\n",
    )
    assert os.readlink(link) == "bundle" and {p.name: p.read_bytes() for p in tiny_copy.iterdir()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "current"]


def test_a_bundle_file_name_that_is_a_folder_or_a_link_is_not_a_bundle_file(tiny_copy, shared_tiny_model, tmp_path):
    (tiny_copy / "MODEL.md").unlink()
    (tiny_copy / "MODEL.md").mkdir()
    with pytest.raises(BundleError, match=r"holds MODEL\.md/, which is not a file of a model bundle"):
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tiny_copy)
    (tiny_copy / "MODEL.md").rmdir()
    (tmp_path / "elsewhere.md").write_text("mine", encoding="utf-8")
    (tiny_copy / "MODEL.md").symlink_to(tmp_path / "elsewhere.md")
    with pytest.raises(BundleError, match=r"holds MODEL\.md, which is not a file of a model bundle"):
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tiny_copy)
    (tiny_copy / "MODEL.md").unlink()
    (tiny_copy / "data").symlink_to(tmp_path, target_is_directory=True)  # a link, to a folder: named as a link
    with pytest.raises(BundleError, match=r"holds data, which is not a file of a model bundle"):
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tiny_copy)


def test_save_refuses_a_file_or_a_link_and_takes_an_empty_directory(tmp_path, shared_tiny_model):
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(BundleError) as error:
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), target)
    assert str(error.value) == (
        f"{target}: exists and is not a directory; saving would replace it: choose a new or empty directory"
    )
    assert target.read_text(encoding="utf-8") == "keep me"
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    with pytest.raises(BundleError, match=r"link: is a symlink; saving would replace the link with a folder"):
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tmp_path / "link")
    assert (tmp_path / "link").is_symlink() and not (tmp_path / "nowhere").exists()
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"jpg")
    with pytest.raises(BundleError) as error:
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), folder)
    assert str(error.value) == (
        f"{folder}: holds a.jpg, which is not a file of a model bundle; saving replaces the whole folder: "
        "choose a new or empty directory"
    )
    (tmp_path / "empty").mkdir()
    save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tmp_path / "empty")
    assert (tmp_path / "empty" / "model.json").is_file()


def test_model_json_that_is_missing_or_not_a_bundle_is_refused_in_one_line(tiny_copy):
    meta_path = tiny_copy / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for broken in ([1, 2], {**meta, "format": 1}, {k: v for k, v in meta.items() if k != "labels"}):
        meta_path.write_text(json.dumps(broken), encoding="utf-8")
        assert refusal(tiny_copy) == f"{meta_path}: not a bundle of format 2; {retrain(tiny_copy)}"
    meta_path.write_text(json.dumps({**meta, "params": {**meta["params"], "colour": "red"}}), encoding="utf-8")
    assert refusal(tiny_copy) == f"{meta_path}: 'params' holds an unknown parameter 'colour'; {retrain(tiny_copy)}"
    meta_path.write_text("[1, 2", encoding="utf-8")
    message = refusal(tiny_copy)
    assert message.startswith(f"{meta_path}: unreadable (") and message.endswith(retrain(tiny_copy))
    meta_path.unlink()
    assert refusal(tiny_copy) == (
        f"{tiny_copy}: not a model bundle (no model.json); train one: "
        f"classifier train LABELLED_DATA --output {tiny_copy}"
    )
    missing = tiny_copy.parent / "no-such-model"
    assert refusal(missing) == (
        f"{missing}: no such folder; a model bundle is a folder with model.json in it "
        f"(train one: classifier train LABELLED_DATA --output {missing})"
    )
    a_file = tiny_copy.parent / "README.md"
    a_file.write_text("# not a model\n", encoding="utf-8")
    assert refusal(a_file) == f"{a_file}: is a file, not a model bundle (a folder with model.json in it)"


def test_a_bundle_path_that_cannot_be_looked_at_is_refused_in_one_line_naming_it(tmp_path):
    # A name longer than a file system allows (255 bytes) is not "no such folder": the system refuses to look.
    too_long = tmp_path / ("m" * 300)
    assert refusal(too_long) == (
        f"{too_long}: cannot read it (File name too long); a model bundle is a folder with model.json in it"
    )


def test_payload_files_that_are_missing_changed_or_not_plain_files_are_refused(tiny_copy, tmp_path, monkeypatch):
    from classifier.bundle import storage

    vocabulary = tiny_copy / "vocabulary.json"
    (tiny_copy / "model.npz").rename(tmp_path / "model.npz")
    assert refusal(tiny_copy) == f"{tiny_copy}: no model.npz in the bundle; {retrain(tiny_copy)}"
    (tmp_path / "model.npz").rename(tiny_copy / "model.npz")
    original = vocabulary.read_bytes()
    vocabulary.write_bytes(original.replace(b'"', b'"x', 2))
    assert refusal(tiny_copy) == (
        f"{vocabulary}: checksum differs from model.json: the file was changed or truncated; {retrain(tiny_copy)}"
    )
    # The checksum reads the file as untrusted: not through a link leaving the bundle, and within its limit.
    (tmp_path / "outside.json").write_bytes(original)
    vocabulary.unlink()
    vocabulary.symlink_to(tmp_path / "outside.json")
    message = refusal(tiny_copy)
    assert message.startswith(f"{vocabulary}: a symlink leaving the bundle") and message.endswith(retrain(tiny_copy))
    vocabulary.unlink()
    vocabulary.write_bytes(original)
    monkeypatch.setattr(storage, "MAX_ARRAY_BYTES", 100)
    size = (tiny_copy / "model.npz").stat().st_size
    assert refusal(tiny_copy) == (
        f"{tiny_copy / 'model.npz'}: {size:,} bytes, more than the 100 a bundle's model.npz may have; "
        f"{retrain(tiny_copy)}"
    )


@pytest.mark.parametrize(
    "change, found",
    [
        (lambda v: {"text": v["text"], "chars": v["chars"]}, "found text, chars"),
        (lambda v: ["text", "title", "chars"], "found list"),
        (lambda v: {}, "found none"),
        (lambda v: {**v, "extra": []}, "found text, title, chars, extra"),
    ],
)
def test_a_vocabulary_without_the_blocks_of_its_parameters_is_refused(tiny_copy, shared_tiny_model, change, found):
    reseal(tiny_copy, vocabularies=change(shared_tiny_model.vocabularies))
    assert refusal(tiny_copy) == (
        f"{tiny_copy / 'vocabulary.json'}: expected the vocabularies text, title, chars, {found}; {retrain(tiny_copy)}"
    )


def test_vocabulary_terms_must_be_distinct_short_strings_and_not_too_many(tiny_copy, shared_tiny_model, monkeypatch):
    from classifier.bundle import storage

    where = tiny_copy / "vocabulary.json"
    vocabularies = shared_tiny_model.vocabularies
    terms = vocabularies["title"]
    wrong = f"{where}: vocabulary 'title' must be a list of terms of at most 1000 characters; {retrain(tiny_copy)}"
    for bad in ("one string", [*terms[:-1], 7], [*terms[:-1], "x" * 1001]):
        reseal(tiny_copy, vocabularies={**vocabularies, "title": bad})
        assert refusal(tiny_copy) == wrong
    reseal(tiny_copy, vocabularies={**vocabularies, "title": [*terms[:-1], terms[0]]})
    assert refusal(tiny_copy) == f"{where}: vocabulary 'title' repeats a term; {retrain(tiny_copy)}"
    # A term of exactly 1000 characters is allowed (it differs from the probe's words, which still score the same).
    reseal(tiny_copy, vocabularies={**vocabularies, "title": [*terms[:-1], "x" * 1000]})
    assert load_model(tiny_copy, tiny_taxonomy()).labels
    total = sum(len(terms) for terms in vocabularies.values())
    monkeypatch.setattr(storage, "MAX_FEATURES", total)
    assert load_model(tiny_copy, tiny_taxonomy()).labels
    monkeypatch.setattr(storage, "MAX_FEATURES", total - 1)
    assert refusal(tiny_copy) == (
        f"{where}: more than {total - 1:,} terms, the limit for a bundle; {retrain(tiny_copy)}"
    )


@pytest.mark.parametrize("params", [{"char_weight": 0}, {"title_weight": 0, "char_weight": 0.5}])
def test_the_vocabularies_expected_follow_the_parameters_and_their_old_defaults(tiny_corpus, tmp_path, params):
    """A bundle saved before title_weight or char_weight were stored was trained with title words (0.5) and no
    character n-grams: without those parameters it loads as such."""
    from test_model import NEW_TEXTS

    from classifier.estimator.model import TopicClassifier

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    model = TopicClassifier(cv=2, label_keywords=TINY_KEYWORDS, **params).fit(texts, Y)
    save_bundle(model, tiny_metadata(model), tmp_path / "b")
    loaded = load_model(tmp_path / "b", tiny_taxonomy())
    assert list(loaded.estimator.vocabularies) == list(model.vocabularies)
    np.testing.assert_allclose(loaded.predict_proba(NEW_TEXTS), model.predict_proba(NEW_TEXTS), atol=1e-6)
    if params == {"char_weight": 0}:
        meta = json.loads((tmp_path / "b" / "model.json").read_text(encoding="utf-8"))
        for name in ("char_weight", "title_weight", "char_ngram_range"):
            del meta["params"][name]
        (tmp_path / "b" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
        np.testing.assert_allclose(
            load_model(tmp_path / "b", tiny_taxonomy()).predict_proba(NEW_TEXTS),
            model.predict_proba(NEW_TEXTS),
            atol=1e-6,
        )


def test_arrays_that_do_not_fit_together_are_refused(tiny_copy, shared_tiny_model):
    arrays = stored_arrays(tiny_copy)
    npz = tiny_copy / "model.npz"
    for dropped in ("prototypes", "zero_shot"):
        reseal(tiny_copy, arrays={k: v for k, v in arrays.items() if k != dropped})
        assert refusal(tiny_copy) == (
            f"{npz}: holds one of 'prototypes' and 'zero_shot' without the other; {retrain(tiny_copy)}"
        )
    for kept in (["stack_weights"], ["stack_weights", "stacked"]):
        stacker = {"stack_weights": np.zeros(6), "stack_offsets": np.zeros(4), "stacked": np.zeros(4, dtype=bool)}
        reseal(tiny_copy, arrays={**arrays, **{k: stacker[k] for k in kept}})
        assert refusal(tiny_copy) == (
            f"{npz}: holds only some of the stacker's arrays (stack_offsets, stack_weights, stacked); "
            f"{retrain(tiny_copy)}"
        )
    reseal(tiny_copy, arrays={**arrays, **stacker, "stack_offsets": np.zeros(4)})
    assert refusal(tiny_copy) == (
        f"{tiny_copy}: not a usable bundle (ValueError: the model has stacker weights but no label_phrases to compute "
        f"its evidence); {retrain(tiny_copy)}"
    )
    reseal(tiny_copy, arrays={**arrays, "zero_shot": arrays["zero_shot"].astype(np.float64)})
    assert "'zero_shot'" in refusal(tiny_copy) and refusal(tiny_copy).endswith(retrain(tiny_copy))


@pytest.mark.parametrize(
    "error, shown", [(ValueError("first line\nsecond"), "ValueError: first line"), (KeyError(), "KeyError: ")]
)
def test_a_bundle_the_runtime_cannot_rebuild_is_refused_in_one_line(tiny_bundle, monkeypatch, error, shown):
    from classifier.estimator.runtime import LinearTopicModel

    def fails(*args):
        raise error

    monkeypatch.setattr(LinearTopicModel, "from_arrays", fails)
    assert refusal(tiny_bundle) == f"{tiny_bundle}: not a usable bundle ({shown}); {retrain(tiny_bundle)}"


def test_arrays_for_another_number_of_fields_than_model_json_lists_are_refused(tiny_bundle, monkeypatch):
    from classifier.estimator.runtime import LinearTopicModel

    rebuild = LinearTopicModel.from_arrays

    def three_fields(*args):
        model = rebuild(*args)
        model.n_labels_ = 3
        return model

    monkeypatch.setattr(LinearTopicModel, "from_arrays", three_fields)
    assert refusal(tiny_bundle) == (
        f"{tiny_bundle}: model.npz has 3 fields but model.json lists 4; {retrain(tiny_bundle)}"
    )


def test_a_model_with_phrase_acceptance_and_a_stacker_loads_with_them(tiny_corpus, tmp_path):
    from test_model import NEW_TEXTS

    from classifier.estimator.model import TopicClassifier

    from conftest import TINY_KEYWORDS, TINY_PHRASES

    texts, Y = tiny_corpus
    phrases = TINY_PHRASES
    model = TopicClassifier(
        cv=2, label_keywords=TINY_KEYWORDS, label_phrases=phrases, min_examples=20, window_phrase_accept=2
    ).fit(texts, Y)
    save_bundle(model, tiny_metadata(model), tmp_path / "b")
    loaded = load_model(tmp_path / "b", tiny_taxonomy()).estimator
    assert loaded.phrase_minimum_.tolist() == [2.0] * 4 and loaded.stacked_.tolist() == [True, True, True, False]
    assert loaded.lead_phrase_minimum_.tolist() == [0.0, 0.0, 0.0, 1.0]  # Youth: zero-shot, fewer than 5
    np.testing.assert_array_equal(loaded.phrase_accepted(NEW_TEXTS), model.phrase_accepted(NEW_TEXTS))
    leads = [True] * len(NEW_TEXTS)
    np.testing.assert_array_equal(loaded.phrase_accepted(NEW_TEXTS, leads), model.phrase_accepted(NEW_TEXTS, leads))
    assert loaded.window_phrase_minimum_.tolist() == model.window_phrase_minimum_.tolist() == [2.0] * 4
    windows = loaded.phrase_accepted(NEW_TEXTS, windows=True)
    np.testing.assert_array_equal(windows, model.phrase_accepted(NEW_TEXTS, windows=True))
    np.testing.assert_allclose(loaded.predict_proba(NEW_TEXTS), model.predict_proba(NEW_TEXTS), atol=1e-6)


def test_fields_renamed_reordered_added_or_removed_since_training(tiny_bundle):
    from conftest import TINY_LABELS

    elections, border, media, youth = TINY_LABELS
    renamed = tiny_taxonomy([elections, border, media, "Young people"], {"Young people": ["Youth"]})
    model = load_model(tiny_bundle, renamed)
    assert model.labels == [elections, border, media, "Young people"]
    assert model.metadata["labels_as_trained"] == TINY_LABELS
    where = f"{tiny_bundle}: the model's fields differ from tiny.yaml"
    # tiny.yaml is a taxonomy of one's own: each hint trains a model of its own from this one's documents.
    retrain = f"retrain it: classifier train --base {tiny_bundle} --taxonomy tiny.yaml --output tiny-model"
    assert refusal(tiny_bundle, tiny_taxonomy([border, elections, media, youth])) == (
        f"{where} (same fields in another order); {retrain}"
    )
    assert refusal(tiny_bundle, tiny_taxonomy([elections, border])) == (
        f"{where} (not in taxonomy: Media freedom and development, Youth); {retrain} "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )
    wider = tiny_taxonomy([elections, "Arms control", border, media, youth, "Water"])
    # A model trained before fields were added: most often one trained with an older taxonomy, such as a base kept
    # to compare with (retraining it in its place would lose it).
    assert refusal(tiny_bundle, wider) == (
        f"{where} (new in taxonomy: Arms control, Water); {retrain} "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )
    assert load_model(tiny_bundle, wider, allow_new_fields=True).labels == TINY_LABELS
    mixed = tiny_taxonomy([elections, border, media, "Water"])
    assert refusal(tiny_bundle, mixed) == (
        f"{where} (new in taxonomy: Water; not in taxonomy: Youth); {retrain} "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )


def test_a_probe_reproduced_within_the_tolerance_loads_and_one_that_cannot_be_scored_is_refused(tiny_copy, monkeypatch):
    from classifier.bundle import storage

    meta = json.loads((tiny_copy / "model.json").read_text(encoding="utf-8"))
    stored = meta["probe"]["proba"][0][0]
    meta["probe"]["proba"][0][0] = stored + 1e-3
    (tiny_copy / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    difference = abs(stored - (stored + 1e-3))  # as probe_difference computes it, in float64
    monkeypatch.setattr(storage, "PROBE_TOLERANCE", difference)
    assert load_model(tiny_copy, tiny_taxonomy()).labels  # exactly at the tolerance
    monkeypatch.setattr(storage, "PROBE_TOLERANCE", difference * 0.999)
    assert "scores its probe texts differently" in refusal(tiny_copy)

    def fails(*args):
        raise KeyError("texts")

    monkeypatch.setattr(storage, "probe_difference", fails)
    assert refusal(tiny_copy) == f"{tiny_copy}: cannot score its probe texts (KeyError); {retrain(tiny_copy)}"


def test_the_probe_is_what_loading_scores_byte_for_byte_and_a_probe_within_the_tolerance_loads(tiny_copy):
    from classifier.bundle.probe import ESTIMATOR_PROBE_TOLERANCE, PROBE_TOLERANCE, probe_difference

    meta = json.loads((tiny_copy / "model.json").read_text(encoding="utf-8"))
    loaded = load_model(tiny_copy, tiny_taxonomy())
    assert probe_difference(loaded.estimator, meta["probe"]) == 0.0  # scored as loading scores it, not by scikit-learn
    assert meta["probe_scored_by"] == "predictor"
    meta["probe"]["proba"][0][0] += 5e-6  # more than PROBE_TOLERANCE, within ESTIMATOR_PROBE_TOLERANCE
    (tiny_copy / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    assert "scores its probe texts differently" in refusal(tiny_copy)
    # A bundle saved before (no mark) had its probe scored by scikit-learn's estimator, whose sorted features float32
    # sums in another order: it is held to the looser tolerance.
    del meta["probe_scored_by"]
    (tiny_copy / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    assert PROBE_TOLERANCE < 5e-6 < ESTIMATOR_PROBE_TOLERANCE and load_model(tiny_copy, tiny_taxonomy()).labels
    meta["probe"]["proba"][0][0] += ESTIMATOR_PROBE_TOLERANCE
    (tiny_copy / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    assert "more than 1e-05" in refusal(tiny_copy)


def test_a_probe_mark_other_than_the_predictor_is_refused(tiny_copy):
    reseal(tiny_copy, probe_scored_by="estimator")  # it would choose the looser tolerance for a new bundle
    assert '\'probe_scored_by\' must be "predictor", not "estimator"' in refusal(tiny_copy)


def test_a_vocabulary_that_is_not_json_is_refused_naming_it(tiny_copy):
    (tiny_copy / "vocabulary.json").write_text('{"text": ["ballot",', encoding="utf-8")
    reseal(tiny_copy)
    message = refusal(tiny_copy)
    assert message.startswith(f"{tiny_copy / 'vocabulary.json'}: unreadable (") and message.endswith(retrain(tiny_copy))


def test_a_loaded_model_or_what_is_no_path_is_refused_in_one_line_saying_a_path_is_wanted(shipped):
    with pytest.raises(TypeError) as error:
        load_model(shipped)
    assert str(error.value) == (
        "load_model takes the path of a bundle, not a Model: this one is loaded already (use it as it is, or "
        "load_model(model.path, taxonomy) to load its bundle again)"
    )
    for value, kind in ((42, "int"), (b"models/default", "bytes"), (["models/default"], "list")):
        with pytest.raises(TypeError, match=rf"^load_model takes the path of a bundle \(str or Path\), not {kind}$"):
            load_model(value)
    assert load_model(str(DEFAULT)).fingerprint == load_model(DEFAULT).fingerprint == shipped.fingerprint


def test_a_bundle_whose_predictor_scores_otherwise_than_the_estimator_is_not_saved(tmp_path, shipped, monkeypatch):
    from classifier.estimator import counting
    from classifier.estimator.model import TopicClassifier

    arrays, vocabularies = shipped.estimator.to_arrays()
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in shipped.metadata["params"].items()}
    fitted = TopicClassifier.from_arrays(params, arrays, vocabularies)  # scikit-learn's, as training gives it
    save_bundle(fitted, shipped.metadata, tmp_path / "fine")  # the predictor agrees with it: saved
    counts = counting.WordStore.counts

    def one_count_more(self, words, width):  # a predictor's bug: the first n-gram of each text counted twice
        matrix = counts(self, words, width)
        matrix.data[matrix.indptr[:-1][np.diff(matrix.indptr) > 0]] += 1.0
        return matrix

    monkeypatch.setattr(counting.WordStore, "counts", one_count_more)
    with pytest.raises(ValueError, match="scores the probe texts differently from the fitted estimator"):
        save_bundle(fitted, shipped.metadata, tmp_path / "copy")


@pytest.mark.parametrize(
    "files",
    [
        {"training.jsonl.gz": gzip.compress(b'{"id": "1", "title": "my corpus", "labels": ["Elections"]}\n')},
        {"model.json": b'{"my": "own project settings"}', "MODEL.md": b"# My notes\n"},
        {"model.json": b"not json at all", "model.npz": b"mine"},
        {"MODEL.md": b"# Only a card\n"},
        {"model.json": b'{"name": "my annotation project", "labels": ["Elections", "Youth"]}'},
        {"model.json": b'["format", "labels"]'},
    ],
    ids=[
        "a corpus named training.jsonl.gz",
        "a project's model.json",
        "model.json not JSON",
        "no model.json",
        "labels but no format",
        "a list naming the keys",
    ],
)
def test_save_never_replaces_a_folder_whose_files_are_only_named_as_a_bundles(tmp_path, shared_tiny_model, files):
    """Files with a bundle's names are not a bundle: a user's corpus gzipped as training.jsonl.gz, or a project's own
    model.json, was deleted by the save that replaced the folder. A real bundle (its model.json a bundle's) is
    still replaced."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with pytest.raises(BundleError) as error:
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), folder)
    assert str(error.value) == (
        f"{folder}: holds files named as a bundle's but its model.json is not a bundle's; saving replaces the whole "
        "folder: choose a new or empty directory"
    )
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tmp_path / "bundle")
    save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tmp_path / "bundle")  # a bundle is replaced
    assert json.loads((tmp_path / "bundle" / "model.json").read_text(encoding="utf-8"))["format"] == 2


@pytest.mark.parametrize("written", [".", "", "sub/..", "HERE", "../here", "ABOVE", ".."])
def test_a_target_naming_the_working_folder_or_one_above_it_is_refused_and_left_as_it_is(
    tmp_path, monkeypatch, written
):
    """A save swaps the whole folder: the working folder, however it is written, would be moved aside under the
    shell that is in it. A folder beside it, or below it, is a target like any other."""
    from classifier.bundle.storage import check_bundle_target

    here = tmp_path / "here"
    (here / "sub").mkdir(parents=True)
    (here / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(here)
    target = {"HERE": str(here), "ABOVE": str(tmp_path)}.get(written, written)
    with pytest.raises(BundleError) as error:
        check_bundle_target(target)
    assert str(error.value) == (
        f"{Path(target)}: names the working folder or one above it, which saving would replace whole; name the "
        "bundle's own folder (a new or empty one, or an existing bundle)"
    )
    assert (here / "notes.txt").read_text(encoding="utf-8") == "mine"
    for beside_or_below in ("../there", "sub/bundle", "new", str(tmp_path / "there")):
        check_bundle_target(beside_or_below)
    # A path ending in ".." has no name of its own, wherever it leads: no place beside it for the new bundle. (Refused
    # in the same words, though it names neither folder.)
    (tmp_path / "there" / "sub").mkdir(parents=True)
    with pytest.raises(BundleError, match=r"^\.\./there/sub/\.\.: names the working folder or one above it, "):
        check_bundle_target("../there/sub/..")


def test_a_target_under_a_file_or_with_too_long_a_name_is_refused_naming_why(tmp_path):
    from classifier.bundle.storage import check_bundle_target

    notes = tmp_path / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    for under in (notes / "bundle", notes / "deeper" / "bundle"):
        with pytest.raises(BundleError) as error:
            check_bundle_target(under)
        assert str(error.value) == f"{under}: cannot write there ({notes} is a file, not a folder)"
    too_long = tmp_path / ("m" * 300)
    with pytest.raises(BundleError) as error:
        check_bundle_target(too_long)
    assert str(error.value) == f"{too_long}: cannot write there (File name too long)"
    loop = tmp_path / "loop"  # resolving it fails: it holds no working folder, and is refused as the link it is
    loop.symlink_to("loop")
    with pytest.raises(BundleError, match=r"loop: is a symlink; saving would replace the link with a folder"):
        check_bundle_target(loop)
    loop.unlink()
    assert notes.read_text(encoding="utf-8") == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_bundle_or_taxonomy_path_that_is_a_symlink_loop_is_refused_in_one_line(tiny_bundle, tmp_path, monkeypatch):
    """Python 3.11 and 3.12 resolve a symlink loop with a RuntimeError, not an OSError: the advice to retrain, which
    resolves the bundle's path to tell the shipped model from one's own, ended in that traceback, and so did telling
    whether a taxonomy is the default one."""
    from conftest import TINY_LABELS

    loop, dangling = tmp_path / "current", tmp_path / "dangling"
    loop.symlink_to("current")
    dangling.symlink_to(tmp_path / "gone")
    # Not "train one: --output LINK": a save refuses to replace a link.
    for link in (loop, dangling):
        assert refusal(link) == (
            f"{link}: is a symlink to no folder; a model bundle is a folder with model.json in it (point the link at "
            "one, or train one under another name)"
        )
        with pytest.raises(BundleError, match=rf"^{link}: is a symlink; saving would replace the link"):
            check_bundle_target(link)
    monkeypatch.setenv("CLASSIFIER_MODEL", str(loop))
    with pytest.raises(BundleError, match=rf"^{loop}: is a symlink to no folder; "):
        load_model(taxonomy=tiny_taxonomy())
    # A taxonomy whose path cannot be resolved is not shown to be the default one: the model it asks for is its own.
    fields = [{"name": name, "id": f"field-{i}", "dimension": "human"} for i, name in enumerate(TINY_LABELS[:3])]
    looped = Taxonomy.from_dict({"dimensions": {"human": "Human"}, "fields": fields}, source=str(loop))
    assert refusal(tiny_bundle, looped) == (
        f"{tiny_bundle}: the model's fields differ from {loop} (not in taxonomy: Youth); retrain it: classifier train "
        f"--base {tiny_bundle} --taxonomy {loop} --output current-model "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )
    monkeypatch.setenv("CLASSIFIER_TAXONOMY", str(loop))  # the default taxonomy cannot be resolved either
    assert refusal(tiny_bundle, tiny_taxonomy(TINY_LABELS[:3])).endswith(
        f"--base {tiny_bundle} --taxonomy tiny.yaml --output tiny-model "
        "(or load it with the taxonomy it was trained with: --taxonomy FILE)"
    )


def test_a_bundle_whose_model_json_an_editor_rewrote_is_still_one_and_an_outsized_one_is_not(tiny_copy, tmp_path):
    """A model.json saved again with a byte order mark (as some editors write UTF-8) loads, so a save replaces its
    folder; one larger than a bundle's model.json may be is no bundle's, and its folder is kept."""
    from classifier.bundle.checks import MAX_METADATA_BYTES
    from classifier.bundle.storage import check_bundle_target

    meta_path = tiny_copy / "model.json"
    meta_path.write_bytes(b"\xef\xbb\xbf" + meta_path.read_bytes())
    assert load_model(tiny_copy, tiny_taxonomy()).metadata["note"] == "Sécurité"
    check_bundle_target(tiny_copy)
    for size, is_a_bundle in ((MAX_METADATA_BYTES, True), (MAX_METADATA_BYTES + 2, False)):
        start = b'{"format": 2, "labels": [], "padding": "'
        meta_path.write_bytes(start + b"x" * (size - len(start) - 2) + b'"}')
        assert meta_path.stat().st_size == size
        if is_a_bundle:
            check_bundle_target(tiny_copy)
            continue
        with pytest.raises(BundleError, match=r"holds files named as a bundle's but its model\.json is not"):
            check_bundle_target(tiny_copy)


def test_a_target_folder_that_cannot_be_listed_is_refused_naming_why(tmp_path, monkeypatch):
    """Root lists every folder, so the refusal of one that cannot be listed is reached by a listing that fails."""
    from classifier.bundle import storage

    folder = tmp_path / "locked"
    folder.mkdir()

    def cannot_list(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(storage.os, "scandir", cannot_list)
    with pytest.raises(BundleError) as error:
        storage.check_bundle_target(folder)
    assert str(error.value) == f"{folder}: cannot list it (Permission denied); choose a new or empty directory"


def test_a_predictor_that_scores_the_probe_exactly_within_the_tolerance_is_saved(
    tmp_path, shared_tiny_model, monkeypatch
):
    from classifier.bundle import storage
    from classifier.bundle.probe import ESTIMATOR_PROBE_TOLERANCE

    monkeypatch.setattr(storage, "probe_difference", lambda estimator, probe: ESTIMATOR_PROBE_TOLERANCE)
    save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tmp_path / "at")
    beyond = np.nextafter(ESTIMATOR_PROBE_TOLERANCE, 1.0)
    monkeypatch.setattr(storage, "probe_difference", lambda estimator, probe: beyond)
    with pytest.raises(
        ValueError, match=rf"\(by up to {beyond:.2g}, more than {ESTIMATOR_PROBE_TOLERANCE:g}\): not saved$"
    ):
        save_bundle(shared_tiny_model, tiny_metadata(shared_tiny_model), tmp_path / "beyond")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["at"]


def test_a_vocabulary_block_with_no_terms_is_read_and_its_arrays_checked_against_it(tiny_copy, shared_tiny_model):
    vocabularies = shared_tiny_model.vocabularies
    text, title = len(vocabularies["text"]), len(vocabularies["title"])
    arrays = stored_arrays(tiny_copy)
    # The arrays as they were, the title words gone from the vocabulary only: a block of no terms is checked like any.
    reseal(tiny_copy, vocabularies={**vocabularies, "title": []})
    assert refusal(tiny_copy) == (
        f"{tiny_copy / 'model.npz'}: array 'coef': shape (4, {text + title + len(vocabularies['chars'])}), but "
        f"model.json and vocabulary.json give (4, {text + len(vocabularies['chars'])}); {retrain(tiny_copy)}"
    )
    # Its columns gone too, the bundle is whole again: read as far as its probe, which scored the title words.
    columns = [i for i in range(arrays["coef"].shape[1]) if not text <= i < text + title]
    reseal(
        tiny_copy,
        arrays={
            **arrays,
            "coef": arrays["coef"][:, columns],
            "prototypes": arrays["prototypes"][:, columns],
            "idf_title": arrays["idf_title"][:0],
        },
        vocabularies={**vocabularies, "title": []},
    )
    assert refusal(tiny_copy).startswith(f"{tiny_copy}: scores its probe texts differently here than when it was saved")
