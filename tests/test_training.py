"""Fast tests of `classifier.workflows.training` on the tiny made-up corpus of conftest (a fit takes about a second):
what a bundle's card records, the merge with a base bundle, the written examples, and each refusal."""

import gzip
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from classifier import __version__
from classifier.bundle.storage import FORMAT_VERSION, TRAINING_FILE, BundleError, check_bundle_target
from classifier.corpus.datasets import TrainingDataError, hash_inputs
from classifier.corpus.documents import Document
from classifier.evaluation.metrics import evaluate, evaluate_model
from classifier.taxonomy.fields import Taxonomy
from classifier.taxonomy.guide import FieldGuide
from classifier.workflows.training import (
    SettingsError,
    _plain,
    _without_removed_fields,
    check_enough_data,
    check_jobs,
    check_output,
    cross_validated_metrics,
    taxonomy_params,
    train,
    with_written_examples,
)

from conftest import TINY_LABELS, tiny_corpus_rows, write_jsonl

TINY_TAXONOMY = {
    "dimensions": {"d": "Dimension"},
    "fields": [
        {
            "name": "Elections",
            "id": "elections",
            "dimension": "d",
            "keywords": ["ballot", "voters"],
            "aliases": ["Polls"],
        },
        {"name": "Border management", "id": "border", "dimension": "d", "keywords": ["customs"]},
        {"name": "Media freedom and development", "id": "media", "dimension": "d", "keywords": ["press"]},
        {"name": "Youth", "id": "youth", "dimension": "d", "keywords": ["young people", "youth forum"]},
    ],
}
FAST = {"cv": 3, "min_examples": 5}  # three folds; a field with fewer than 5 examples is known by its keywords


def tiny_taxonomy(without=()):
    fields = [f for f in TINY_TAXONOMY["fields"] if f["name"] not in without]
    return Taxonomy.from_dict({**TINY_TAXONOMY, "fields": fields}, source="tiny.yaml")


def tiny_rows():
    texts, Y = tiny_corpus_rows()
    return [
        {
            "id": f"tiny-{i}",
            "title": text.split("\n")[0],
            "text": text.split("\n", 1)[1],
            "labels": [label for label, flag in zip(TINY_LABELS, row) if flag],
        }
        for i, (text, row) in enumerate(zip(texts, Y))
    ]


def stored_rows(bundle):
    raw = gzip.decompress((bundle / TRAINING_FILE).read_bytes())
    return raw, [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def test_check_enough_data_names_what_is_missing_at_its_bounds():
    check_enough_data(10, 2)  # the least that trains
    for documents, fields, said in (
        (9, 2, "9 distinct documents with 2 fields"),
        (10, 1, "10 distinct documents with 1 field"),
        (1, 0, "1 distinct document with 0 fields"),
    ):
        with pytest.raises(TrainingDataError) as caught:
            check_enough_data(documents, fields)
        assert str(caught.value) == (
            f"too little training data: {said}; training needs at least 10 documents (duplicates count once) "
            "labelled with at least 2 different fields"
        )


def test_written_examples_are_positives_of_their_field_and_unknown_for_the_others(tmp_path):
    guide_path = tmp_path / "guide.yaml"
    guide_path.write_text(
        "fields:\n  - name: Youth\n    examples: [Young people met.]\n"
        "  - name: Elections\n    examples: [Voters queued., Ballots were counted.]\n",
        encoding="utf-8",
    )
    guide = FieldGuide.from_yaml(guide_path, tiny_taxonomy())
    Y = np.array([[1, 0, 0, 0], [0, 1, 1, 0]], dtype=np.int8)
    texts, rows = with_written_examples(("First text", "Second text"), Y, guide, TINY_LABELS)
    assert texts == ["First text", "Second text", "Young people met.", "Voters queued.", "Ballots were counted."]
    assert rows.tolist() == [
        [1, 0, 0, 0],
        [0, 1, 1, 0],
        [-1, -1, -1, 1],
        [1, -1, -1, -1],
        [1, -1, -1, -1],
    ]
    assert rows.dtype == np.int8


def test_the_cross_validated_metrics_leave_out_the_rows_never_scored():
    Y = np.array([[1, 0], [0, 1], [1, 1], [-1, 1]], dtype=np.int8)
    proba = np.array([[0.9, 0.2], [0.6, 0.7], [0.8, 0.1], [0.1, 0.9]])
    accepted = proba >= 0.5
    fitted = SimpleNamespace(cv_results_={"fold": np.array([0, 1, 0, -1]), "proba": proba, "accepted": accepted})
    metrics = cross_validated_metrics(fitted, Y, ["A", "B"])
    assert metrics == evaluate(Y[:3], proba[:3], accepted[:3], ["A", "B"])
    assert metrics["micro"]["precision"] == pytest.approx(3 / 4)  # 3 right of 4 accepted; the written row left out


def test_the_taxonomy_gives_each_field_its_keyword_document_and_phrases():
    params = taxonomy_params(tiny_taxonomy())
    assert params["label_keywords"] == (
        "Elections\nballot. voters.",
        "Border management\ncustoms.",
        "Media freedom and development\npress.",
        "Youth\nyoung people. youth forum.",
    )
    assert params["label_phrases"] == (
        (["Elections", "Polls"], ["ballot", "voters"]),
        (["Border management"], ["customs"]),
        (["Media freedom and development"], ["press"]),
        (["Youth"], ["young people", "youth forum"]),
    )


GUIDE = (
    "fields:\n"
    "  - name: Youth\n    examples: [Young people met the mayor.]\n"
    "  - name: Space exploration\n    examples: [A rocket was launched.]\n"
    "  - name: Polls\n    examples: [Voters queued at dawn., Ballots were counted twice.]\n"  # an alias of Elections
    "  - name: Deep sea mining\n    examples: [A ship mapped the seabed.]\n"
)


def test_a_bundle_records_what_it_was_trained_on(tmp_path):
    rows = tiny_rows()
    unlabelled = {"id": "none", "title": "Untagged", "text": "A text without a field.", "labels": None}
    (tmp_path / "data").mkdir()
    data = write_jsonl(tmp_path / "data" / "tiny.jsonl", [*rows, unlabelled])  # found in its folder by the glob
    guide = tmp_path / "guide.yaml"
    guide.write_text(GUIDE, encoding="utf-8")
    heard, warnings = [], []
    model, metrics = train(
        [tmp_path / "data"],
        tmp_path / "bundle",
        glob="*.jsonl",
        seed=7,
        taxonomy=tiny_taxonomy(),
        field_guide=guide,
        on_warning=warnings.append,
        on_progress=lambda *stage: heard.append(stage),
        **FAST,
    )
    card = json.loads((tmp_path / "bundle" / "model.json").read_text(encoding="utf-8"))
    assert warnings == [
        f"{guide}: not fields of the taxonomy, their written examples left out: Space exploration, Deep sea mining",
        f"1 document has no labels (none given, or null), {data}:37: not trained on",
    ]
    assert heard == [
        ("reading", 0, None),
        ("fitting", 0, None),
        *(("fitting", done, 4) for done in (1, 2, 3, 4)),  # three folds and the final fit
        ("saving", 0, None),
    ]
    _, Y = tiny_corpus_rows()
    assert sorted(card) == [
        *["classifier_version", "cv_metrics", "format", "label_counts", "labels", "low_confidence_fields"],
        *["params", "payload_sha256", "probe", "probe_scored_by", "seed", "taxonomy_sha256", "training_data"],
        *["versions", "written_examples", "zero_shot_fields"],
    ]
    assert card["labels"] == TINY_LABELS and card["seed"] == 7 and card["params"]["random_state"] == 7
    assert (card["format"], card["classifier_version"]) == (FORMAT_VERSION, __version__)
    assert card["taxonomy_sha256"] == tiny_taxonomy().sha256 and set(card["low_confidence_fields"]) <= set(TINY_LABELS)
    assert card["label_counts"] == {label: int(n) for label, n in zip(TINY_LABELS, Y.sum(axis=0))}
    raw, stored = stored_rows(tmp_path / "bundle")
    assert [row["id"] for row in stored] == [row["id"] for row in rows]  # the unlabelled row is not stored
    assert {k: card["training_data"][k] for k in ("documents", "skipped_unlabelled", "documents_sha256")} == {
        "documents": 36,
        "skipped_unlabelled": 1,
        "documents_sha256": hashlib.sha256(raw).hexdigest(),
    }
    assert card["written_examples"] == {
        "file": "guide.yaml",
        "sha256": hashlib.sha256(guide.read_bytes()).hexdigest(),
        "examples": 3,
        "per_field": {"Youth": 1, "Elections": 2},
    }
    assert card["zero_shot_fields"] == ["Youth"] and "merge" not in card and "base" not in card
    params = card["params"]
    assert "n_jobs" not in params and "labels" not in params and (params["cv"], params["min_examples"]) == (3, 5)
    assert model.metadata["params"]["ngram_range"] == [1, 2]  # tuples kept as lists, as the saved card reads back
    assert params["label_keywords"] == list(taxonomy_params(tiny_taxonomy())["label_keywords"])
    assert card["cv_metrics"] == metrics and metrics["documents"] == 36  # the written examples are not scored
    assert model.location == tmp_path / "bundle" and model.labels == TINY_LABELS
    assert list(model.estimator.classes_) == TINY_LABELS  # the estimator names its columns too
    assert model.suggest("Election observers watched voters cast a ballot.").labels[0] == "Elections"


def test_a_model_trained_without_an_output_writes_nothing_and_is_trained_as_asked(tmp_path):
    (tmp_path / "data").mkdir()
    unlabelled = {"id": "none", "title": "Untagged", "text": "A text without a field.", "labels": None}
    write_jsonl(tmp_path / "data" / "tiny.jsonl", [*tiny_rows(), unlabelled])
    guide = tmp_path / "guide.yaml"
    guide.write_text(GUIDE, encoding="utf-8")
    heard, warnings = [], []
    model, _ = train(
        [tmp_path / "data"],
        seed=3,
        glob="*.jsonl",
        taxonomy=tiny_taxonomy(),
        field_guide=guide,
        on_warning=warnings.append,
        on_progress=lambda *stage: heard.append(stage[0]),
        **FAST,
    )
    assert model.location is None and (model.metadata["seed"], model.metadata["params"]["random_state"]) == (3, 3)
    assert model.metadata["written_examples"]["examples"] == 3 and len(warnings) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "guide.yaml"]
    assert heard[0] == "reading" and "saving" not in heard
    # With no bundle to read them from, the model holds what it was trained on: measured on two of its documents and
    # a new one, it says so.
    youth = {"id": "new-1", "title": "Youth forum met", "text": "Volunteers and young people met.", "labels": ["Youth"]}
    measured = write_jsonl(tmp_path / "measured.jsonl", [*tiny_rows()[:2], youth])
    metrics = evaluate_model(model, [measured], taxonomy=tiny_taxonomy(), on_warning=warnings.append)
    assert (metrics["documents"], metrics["trained_on"]) == (3, 2)
    model, _ = train([tmp_path / "data"], glob="*.jsonl", taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    assert model.metadata["written_examples"] is None


def test_an_output_that_holds_an_input_found_by_the_glob_is_refused_before_training(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    data = write_jsonl(tmp_path / "data" / "sub" / "tiny.jsonl", tiny_rows())
    refusal = (
        f"{tmp_path / 'data' / 'sub'}: is or holds the input {data}, which saving the bundle would replace; "
        "choose another output directory"
    )
    with pytest.raises(TrainingDataError) as caught:
        check_output([tmp_path / "data"], tmp_path / "data" / "sub", "*.jsonl")
    assert str(caught.value) == refusal
    with pytest.raises(TrainingDataError) as caught:
        train([tmp_path / "data"], tmp_path / "data" / "sub", glob="*.jsonl", taxonomy=tiny_taxonomy(), **FAST)
    assert str(caught.value) == refusal
    # An input not there yet is refused as well, by its name.
    with pytest.raises(TrainingDataError) as caught:
        check_output([tmp_path / "out" / "later.jsonl"], tmp_path / "out")
    assert str(caught.value).startswith(
        f"{tmp_path / 'out'}: is or holds the input {tmp_path / 'out' / 'later.jsonl'},"
    )
    # What the bundle's own check refuses is said in its words.
    (tmp_path / "notes.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(BundleError) as bundle_refusal:
        check_bundle_target(tmp_path / "notes.txt")
    with pytest.raises(TrainingDataError) as caught:
        check_output([data], tmp_path / "notes.txt")
    assert str(caught.value) == str(bundle_refusal.value)
    assert sorted(p.name for p in (tmp_path / "data" / "sub").iterdir()) == ["tiny.jsonl"]


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"min_df": 0.0}, "parameter 'min_df' must be a whole number of documents, or a share in (0, 1], not 0.0"),
        ({"min_examples": -3}, "parameter 'min_examples' must be a whole number, 0 or more, not -3"),
        ({"min_examples": "5"}, "parameter 'min_examples' must be a whole number, 0 or more, not \"5\""),
        ({"C": float("nan")}, "parameter 'C' must be a number above 0, at most 1,000,000, not nan"),
        ({"seed": -1}, "parameter 'seed' must be null or a whole number from 0 to 2**32 - 1, not -1"),
        # The seed is named as train names it; a value that reads like the estimator's name for it is shown as given.
        (
            {"seed": "'random_state'"},
            "parameter 'seed' must be null or a whole number from 0 to 2**32 - 1, not \"'random_state'\"",
        ),
        (
            {"ngram_range": (2, 1)},
            "parameter 'ngram_range' must be two whole numbers from 1 to 4, the first not above the second, not [2, 1]",
        ),
        ({"min_dff": 2}, "unknown setting 'min_dff'"),
        ({"n_jobs": 2}, "unknown setting 'n_jobs'"),
        ({"random_state": 5}, "unknown setting 'random_state' (the seed is seed=)"),
    ],
)
def test_a_setting_no_bundle_could_hold_is_refused_before_anything_is_read_or_replaced(tmp_path, settings, refusal):
    """Loading refuses a bundle whose model.json holds such a setting: saved, it would have replaced the bundle at
    the output with one no command loads. Refused first, in the loader's words, with the output untouched."""
    data = write_jsonl(tmp_path / "tiny.jsonl", tiny_rows())
    output = tmp_path / "bundle"
    output.mkdir()
    (output / "model.json").write_text("the bundle there before", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        train([data, tmp_path / "not read"], output, taxonomy=tiny_taxonomy(), **settings)
    assert str(caught.value) == f"train: {refusal}"
    assert isinstance(caught.value, ValueError) and caught.value.exit_code == 2
    assert [p.name for p in output.iterdir()] == ["model.json"]
    assert (output / "model.json").read_text(encoding="utf-8") == "the bundle there before"


@pytest.mark.parametrize("jobs", [0, 10**20, 1.5])
def test_a_number_of_processes_joblib_cannot_start_is_refused_before_anything_is_read(tmp_path, jobs):
    data = write_jsonl(tmp_path / "tiny.jsonl", tiny_rows())
    with pytest.raises(SettingsError) as caught:
        train([data, tmp_path / "not read"], tmp_path / "bundle", taxonomy=tiny_taxonomy(), jobs=jobs)
    assert str(caught.value) == (
        f"train: jobs {jobs!r}: expected a whole number of processes from 1 to 1,024, or -1 for every core"
    )
    assert caught.value.exit_code == 2 and not (tmp_path / "bundle").exists()


def test_settings_a_bundle_can_hold_train_as_given(tmp_path):
    data = write_jsonl(tmp_path / "tiny.jsonl", tiny_rows())
    model, _ = train([data], seed=0, taxonomy=tiny_taxonomy(), ngram_range=(1, 1), min_df=1, **FAST)
    assert (model.metadata["params"]["ngram_range"], model.metadata["params"]["random_state"]) == ([1, 1], 0)
    # numpy's numbers (a seed from an array, a setting from a grid) are the numbers they hold.
    model, _ = train([data], seed=np.int64(3), taxonomy=tiny_taxonomy(), min_df=np.int64(1), **FAST)
    assert (model.metadata["params"]["random_state"], model.metadata["params"]["min_df"]) == (3, 1)


def test_standard_input_is_no_file_an_output_could_hold(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    check_output(["-"], "bundle")  # "-" names no file of the working directory, where the bundle goes
    # The working folder, however it is written, is refused for what saving would do to it, not for "-".
    for output in (".", str(tmp_path / "empty"), "../empty", str(tmp_path)):
        with pytest.raises(TrainingDataError, match=r": names the working folder or one above it"):
            check_output(["-"], output)


def test_data_of_a_single_field_is_refused_and_two_fields_are_enough(tmp_path):
    rows = [{**row, "labels": ["Elections"]} for row in tiny_rows()[:12]]
    data = write_jsonl(tmp_path / "one.jsonl", rows)
    with pytest.raises(TrainingDataError) as caught:
        train([data], taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    assert str(caught.value).startswith("too little training data: 12 distinct documents with 1 field;")
    rows[-1] = {**rows[-1], "labels": ["Border management"]}  # one document of a second field
    model, _ = train([write_jsonl(data, rows)], taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    assert model.metadata["label_counts"] == {
        "Elections": 11,
        "Border management": 1,
        "Media freedom and development": 0,
        "Youth": 0,
    }


def tiny_base(tmp_path):
    data = write_jsonl(tmp_path / "base.jsonl", tiny_rows())
    train([data], tmp_path / "base", taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    return tmp_path / "base"


def test_retraining_on_a_base_merges_its_documents_with_the_new_ones_and_says_so(tmp_path):
    base = tiny_base(tmp_path)
    rows = tiny_rows()
    new = [
        rows[0],  # the same document again
        {**rows[1], "labels": ["Youth"]},  # the same document with other fields
        {"id": "new-1", "title": "Youth forum met", "text": "Volunteers and young people met.", "labels": ["Youth"]},
    ]
    (tmp_path / "new").mkdir()
    data = write_jsonl(tmp_path / "new" / "new.jsonl", new)  # found in its folder by the glob
    options = {"base": base, "glob": "*.jsonl", "taxonomy": tiny_taxonomy(), "written_examples": False, **FAST}
    model, _ = train([tmp_path / "new"], tmp_path / "again", **options)
    card = model.metadata
    assert card["merge"]["base_documents"] == 36 and card["merge"]["new_documents"] == 3
    assert (card["merge"]["duplicates"], card["merge"]["conflicts"]) == (2, 1)
    assert card["merge"]["conflict_details"] == [  # the newer fields are kept
        f"conflicting fields for '{rows[1]['title']}': {tmp_path / 'base.jsonl'}:2 (in {base}) [Border management] "
        f"vs {data}:2 [Youth]; kept {data}:2"
    ]
    assert card["training_data"]["documents"] == 37
    assert card["base"]["path"] == str(base) and card["base"]["documents"] == 36
    assert card["training_data"]["sha256"] == hash_inputs([base / TRAINING_FILE, tmp_path / "new"], "*.jsonl")["sha256"]
    _, stored = stored_rows(tmp_path / "again")
    assert [row["id"] for row in stored] == [row["id"] for row in rows] + ["new-1"]
    unsaved, _ = train([tmp_path / "new"], **options)
    assert unsaved.metadata["merge"] == card["merge"] and unsaved.metadata["base"] == card["base"]


def test_files_in_the_working_folder_are_recorded_relative_to_it_however_they_were_written(tmp_path, monkeypatch):
    """The bundle names the inputs, the base and the documents' origins from the working folder, written as absolute
    paths or not, so that the same data and seed give the same card wherever the folder lies (see spelled_once)."""
    monkeypatch.chdir(tmp_path)
    rows = tiny_rows()
    write_jsonl(tmp_path / "base.jsonl", rows)
    train(["base.jsonl"], "base", taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    (tmp_path / "new").mkdir()
    write_jsonl(tmp_path / "new" / "new.jsonl", [rows[0], {**rows[1], "labels": ["Youth"]}])
    heard = []
    options = {"glob": "*.jsonl", "taxonomy": tiny_taxonomy(), "written_examples": False, "on_warning": heard.append}
    model, _ = train([tmp_path / "new"], tmp_path / "again", base=tmp_path / "base", **options, **FAST)
    card = model.metadata
    assert card["training_data"]["files"] == [f"base/{TRAINING_FILE}", "new/new.jsonl"]
    assert card["base"]["path"] == "base"
    assert card["merge"]["conflict_details"] == [
        f"conflicting fields for '{rows[1]['title']}': base.jsonl:2 (in base) [Border management] "
        "vs new/new.jsonl:2 [Youth]; kept new/new.jsonl:2"
    ]
    _, stored = stored_rows(tmp_path / "again")
    assert [row["origin"] for row in stored[:3]] == ["base.jsonl:1", "new/new.jsonl:2", "base.jsonl:3"]
    relative, _ = train(["./new"], base="base", **options, **FAST)
    for key in ("training_data", "base", "merge"):
        assert relative.metadata[key] == card[key]


def test_a_field_the_taxonomy_no_longer_has_is_taken_off_the_base_documents(tmp_path):
    base = tiny_base(tmp_path)
    media = "Media freedom and development"
    rows = tiny_rows()
    kept = [(row["id"], [label for label in row["labels"] if label != media]) for row in rows]
    kept = [(doc_id, labels) for doc_id, labels in kept if labels]
    carrying = sum(media in row["labels"] for row in rows)
    warnings = []
    train(
        [],
        tmp_path / "own",
        base=base,
        taxonomy=tiny_taxonomy(without=[media]),
        written_examples=False,
        on_warning=warnings.append,
        **FAST,
    )
    assert warnings == [
        f"{base}: fields of its documents that tiny.yaml no longer has are left out: {media} ({carrying}); "
        f"{len(rows) - len(kept)} documents left with no field are not trained on"
    ]
    _, stored = stored_rows(tmp_path / "own")
    assert [(row["id"], row["labels"]) for row in stored] == kept
    card = json.loads((tmp_path / "own" / "model.json").read_text(encoding="utf-8"))
    assert card["merge"] == {  # recorded for a base even when nothing was merged
        "base_documents": len(kept),
        "new_documents": 0,
        "duplicates": 0,
        "conflicts": 0,
        "conflict_details": [],
    }


def test_the_fields_taken_off_are_counted_and_said_once():
    documents = [
        Document("a", labels=("Elections", "Fishing")),
        Document("b", labels=("Fishing", "Space", "Youth")),
        Document("c", labels=("Youth",)),
    ]
    warnings = []
    taxonomy = Taxonomy.from_dict(TINY_TAXONOMY, source="")  # no path to name
    kept = _without_removed_fields("base", documents, taxonomy, warnings.append)
    assert kept == [Document("a", labels=("Elections",)), Document("b", labels=("Youth",)), documents[2]]
    assert warnings == [
        "base: fields of its documents that the taxonomy no longer has are left out: Fishing (2), Space (1)"
    ]
    assert _without_removed_fields("base", documents[2:], taxonomy, None) == documents[2:]


def test_the_documents_left_with_no_field_are_counted_in_the_singular_and_the_plural():
    taxonomy = Taxonomy.from_dict(TINY_TAXONOMY, source="tiny.yaml")
    youth = Document("c", labels=("Youth",))
    for only_removed, said in (
        (["a"], "; 1 document left with no field is not trained on"),
        (["a", "b"], "; 2 documents left with no field are not trained on"),
    ):
        documents = [Document(doc_id, labels=("Fishing",)) for doc_id in only_removed] + [youth]
        warnings = []
        assert _without_removed_fields("old", documents, taxonomy, warnings.append) == [youth]
        removed = f"Fishing ({len(only_removed)})"
        assert warnings == [f"old: fields of its documents that tiny.yaml no longer has are left out: {removed}{said}"]


def test_a_file_name_that_is_not_utf8_is_kept_as_escapes_in_the_bundle_and_its_documents(tmp_path):
    """A name with a byte UTF-8 cannot read (`held\\xff.jsonl`) reaches Python as a lone surrogate: model.json, the
    card and the stored documents write it as `\\udcff` instead of failing once the fitting is done."""
    import os

    folder = os.fsencode(tmp_path)
    name = os.fsdecode(folder + b"/held\xff.jsonl")
    write_jsonl(Path(name), tiny_rows())
    model, _ = train([name], tmp_path / "bundle", taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    escaped = f"{tmp_path}/held\\udcff.jsonl"
    card = json.loads((tmp_path / "bundle" / "model.json").read_text(encoding="utf-8"))
    assert card["training_data"]["files"] == [escaped]
    assert f"labelled documents from `{escaped}`" in (tmp_path / "bundle" / "MODEL.md").read_text(encoding="utf-8")
    _, stored = stored_rows(tmp_path / "bundle")
    assert stored[0]["origin"] == f"{name}:1"  # the JSON escape reads back as the same name
    again, _ = train([name], base=tmp_path / "bundle", taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    assert again.metadata["base"]["path"] == str(tmp_path / "bundle") and again.fingerprint


def test_the_base_summary_records_its_data_renamed_fields_and_two_averages():
    from classifier.bundle.documents import base_summary
    from classifier.taxonomy.fields import default_taxonomy

    micro, macro = {"precision": 0.5, "recall": 0.5, "f1": 0.5}, {"precision": 0.2, "recall": 0.4, "f1": 0.3}
    metadata = {
        "labels": ["Elections", "Tolerance", "Old field"],  # "Tolerance" is an alias of a field's name now
        "training_data": {"documents": 3, "sha256": "inputs", "documents_sha256": "stored"},
        "label_counts": {"Elections": 2, "Tolerance": 1, "Old field": 1},
        "cv_metrics": {"micro": micro, "macro": macro, "samples": micro, "p@1": 0.5},
    }
    assert base_summary("models/old", metadata, default_taxonomy()) == {
        "path": "models/old",
        "documents": 3,
        "training_sha256": "stored",
        "labels": ["Elections", "Tolerance", "Old field"],
        "renamed": {"Tolerance": "Tolerance and non-discrimination"},
        "label_counts": {"Elections": 2, "Tolerance": 1, "Old field": 1},
        "cv_metrics": {"micro": micro, "macro": macro},
    }
    # A bundle from before its documents were stored names its inputs' hash; an older one records neither.
    older = {**metadata, "training_data": {"documents": 3, "sha256": "inputs"}}
    assert base_summary("b", older, default_taxonomy())["training_sha256"] == "inputs"
    oldest = base_summary("b", {"labels": ["Elections"]}, default_taxonomy())
    assert (oldest["documents"], oldest["training_sha256"], oldest["label_counts"], oldest["cv_metrics"]) == (
        None,
        None,
        {},
        {},
    )
    assert oldest["renamed"] == {}


def test_a_dataframe_given_as_inputs_is_refused_saying_what_to_pass_instead(tmp_path):
    pd = pytest.importorskip("pandas")
    texts, _ = tiny_corpus_rows()
    frame = pd.DataFrame({"text": texts, "labels": [[TINY_LABELS[0]]] * len(texts)})
    with pytest.raises(TypeError, match=r"^inputs is a pandas DataFrame, not paths .*orient='records', lines=True"):
        train(frame, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_the_caller_hears_a_document_given_twice_with_other_fields_and_the_command_line_says_it_once(tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    rows = tiny_rows()
    assert rows[1]["labels"] == ["Border management"]
    data = write_jsonl(tmp_path / "data.jsonl", [*rows, {**rows[1], "id": "again", "labels": ["Youth"]}])
    conflict = (
        f"conflicting fields for '{rows[1]['title']}': {data}:2 [Border management] vs {data}:37 [Youth]; "
        f"kept {data}:37"
    )
    heard = []
    model, _ = train([data], taxonomy=tiny_taxonomy(), written_examples=False, on_warning=heard.append, **FAST)
    assert heard == [conflict] and model.metadata["merge"]["conflict_details"] == [conflict]
    taxonomy = tmp_path / "tiny.yaml"
    taxonomy.write_text(json.dumps(TINY_TAXONOMY), encoding="utf-8")  # YAML holds JSON
    args = ["train", str(data), "--output", str(tmp_path / "bundle"), "--taxonomy", str(taxonomy)]
    result = CliRunner().invoke(app, [*args, "--no-written-examples", "--min-examples", "5"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("conflicting fields for ") == 1 and f"warning: {conflict}" in result.stderr.splitlines()


def test_the_number_of_processes_is_refused_past_its_bounds_and_kept_within_them():
    # -1 (every core), 1 and 1,024 (MAX_JOBS) are kept as given, and so is None (joblib's default).
    assert [check_jobs(jobs) for jobs in (-1, 1, 1024, None)] == [-1, 1, 1024, None]
    for jobs in (1025, True, 0, "2"):  # one past the bound; a bool is no number of processes
        with pytest.raises(SettingsError) as caught:
            check_jobs(jobs)
        assert str(caught.value) == (
            f"train: jobs {jobs!r}: expected a whole number of processes from 1 to 1,024, or -1 for every core"
        )


def test_a_numpy_number_is_the_python_number_it_holds_and_anything_else_is_left_as_it_is():
    for value, plain in ((np.int64(3), 3), (np.float32(0.5), 0.5), (np.bool_(True), True)):
        assert _plain(value) == plain and type(_plain(value)) is type(plain)
    row = np.array([1, 2])
    assert _plain(row) is row  # an array is not one number
    assert _plain((1, 2)) == (1, 2) and _plain(None) is None
    assert _plain(np.add) is np.add  # numpy's, and no number: no `ndim` to read


def test_a_base_that_is_not_a_path_is_refused_before_anything_is_read(tmp_path):
    data = write_jsonl(tmp_path / "tiny.jsonl", tiny_rows())
    model, _ = train([data], taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    for base, refusal in (
        (3, "base: expected the path of a bundle, not int"),
        (model, "base: expected the path of a bundle, not Model (a loaded Model: pass its path, model.path)"),
    ):
        with pytest.raises(TypeError) as caught:
            train([tmp_path / "not read.jsonl"], tmp_path / "bundle", base=base, taxonomy=tiny_taxonomy())
        assert str(caught.value) == refusal and not (tmp_path / "bundle").exists()


def test_a_base_a_killed_save_left_moved_aside_is_read_where_it_is_and_recorded_by_its_name(tmp_path):
    base = tiny_base(tmp_path)
    aside = tmp_path / ".base.old-999999999"  # a process id no process has
    base.rename(aside)
    model, _ = train([], base=base, taxonomy=tiny_taxonomy(), written_examples=False, **FAST)
    card = model.metadata
    assert card["base"]["path"] == str(base) and card["training_data"]["documents"] == 36
    assert card["training_data"]["files"] == [str(base / TRAINING_FILE)]
    assert card["training_data"]["sha256"] == hash_inputs([aside / TRAINING_FILE])["sha256"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".base.old-999999999", "base.jsonl"]  # nothing changed
