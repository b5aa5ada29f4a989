from classifier.bundle.card import render_card

from conftest import ROOT


def shipped_metadata():
    import json

    return json.loads((ROOT / "models" / "default" / "model.json").read_text(encoding="utf-8"))


def test_card_of_the_shipped_model_lists_data_fields_metrics_and_versions():
    import numpy as np

    meta = shipped_metadata()
    with np.load(ROOT / "models" / "default" / "model.npz") as arrays:
        thresholds = dict(zip(meta["labels"], arrays["thresholds"].tolist()))
    card = render_card(meta, "default", thresholds)
    assert card == (ROOT / "models" / "default" / "MODEL.md").read_text(encoding="utf-8")
    assert card.split("---\n", 2)[2].startswith("\n# Model card: default\n")
    assert f"- {meta['training_data']['documents']} labelled documents from `training/data/releases.jsonl`" in card
    for label, count in meta["label_counts"].items():
        threshold = thresholds[label]
        f1 = meta["cv_metrics"]["per_label"][label]["f1"]
        assert f"| {label} | {count} | {threshold:.2f} |" in card and f"| {f1:.3f} |" in card
    assert f"| micro | {meta['cv_metrics']['micro']['precision']:.3f} |" in card
    assert f"scikit-learn {meta['versions']['scikit-learn']}" in card
    assert "None: trained from scratch" in card


def test_card_says_what_changed_against_the_base():
    meta = shipped_metadata()
    base = {
        "path": "models/old",
        "documents": 500,
        "training_sha256": "abc",
        "labels": [label for label in meta["labels"] if label != "Youth"] + ["Old field"],
        "label_counts": {**meta["label_counts"], "Elections": 100},
        "cv_metrics": {"micro": {"f1": 0.6}, "macro": {"f1": 0.5}},
        "renamed": {},
    }
    card = render_card({**meta, "base": base}, "new")
    assert "Base: `models/old` (500 documents" in card
    assert f"- documents: 500 -> {meta['training_data']['documents']}" in card
    assert "- new fields: Youth" in card and "- removed fields: Old field" in card
    micro = meta["cv_metrics"]["micro"]["f1"]
    assert f"- cross-validated micro F1: 0.600 -> {micro:.3f} ({micro - 0.6:+.3f})" in card
    assert f"Elections 100 -> {meta['label_counts']['Elections']}" in card


def test_card_says_which_fields_were_trained_on_their_keywords():
    meta = shipped_metadata()
    every = "Each field with examples is also trained on its taxonomy keywords"
    rare = "The low-confidence fields are also trained on their taxonomy keywords"
    assert every in render_card(meta, "default")
    assert rare in render_card({**meta, "params": {**meta["params"], "keyword_examples": "rare"}}, "default")
    without = render_card({**meta, "params": {**meta["params"], "keyword_examples": "none"}}, "default")
    assert every not in without and rare not in without
    # A bundle from before the setting existed gave its keywords to the low-confidence fields only.
    old = {key: value for key, value in meta["params"].items() if key != "keyword_examples"}
    assert rare in render_card({**meta, "params": old}, "default")


def test_card_gives_each_field_its_basis():
    meta = shipped_metadata()
    low, frequent = meta["low_confidence_fields"][0], "Elections"
    assert low != frequent and frequent not in meta["low_confidence_fields"]
    expected = {
        "all": ("examples + keywords (low confidence)", "examples + keywords"),
        "rare": ("examples + keywords (low confidence)", "examples"),
        "none": ("examples (low confidence)", "examples"),
    }
    for mode, (low_basis, frequent_basis) in expected.items():
        card = render_card({**meta, "params": {**meta["params"], "keyword_examples": mode}}, "default")
        rows = {
            row.split(" | ")[0].lstrip("| "): row.rsplit(" | ", 1)[1].rstrip(" |")
            for row in card.splitlines()
            if row.startswith("| ")
        }
        assert (rows[low], rows[frequent]) == (low_basis, frequent_basis), mode


def test_the_card_opens_with_front_matter_that_model_hubs_read():
    import yaml

    meta = shipped_metadata()
    card = render_card(meta, "default")
    assert card.startswith("---\n")
    front = yaml.safe_load(card.split("---\n")[1])
    assert (front["license"], front["language"], front["library_name"], front["pipeline_tag"]) == (
        "mit",
        ["en"],
        "scikit-learn",
        "text-classification",
    )
    metrics = {m["name"]: m["value"] for m in front["model-index"][0]["results"][0]["metrics"]}
    cv = meta["cv_metrics"]
    assert metrics == {
        "micro-F1": cv["micro"]["f1"],
        "macro-F1": cv["macro"]["f1"],
        "samples-F1": cv["samples"]["f1"],
        "P@1": cv["p@1"],
        "nDCG@3": cv["ndcg@3"],
    }
    assert card.split("---\n", 2)[2].lstrip().startswith("# Model card: default")


def test_card_says_when_fields_named_outright_are_accepted():
    meta = shipped_metadata()
    sentence = "also accepted, whatever its score, when a text holds 2 or more of its taxonomy phrases"
    assert sentence in render_card(meta, "default")
    assert "holds 3 or more" in render_card({**meta, "params": {**meta["params"], "phrase_accept": 3}}, "default")
    off = {**meta, "params": {**meta["params"], "phrase_accept": 0}}
    before = {**meta, "params": {k: v for k, v in meta["params"].items() if k != "phrase_accept"}}
    assert "taxonomy phrases within" not in render_card(off, "default") + render_card(before, "default")


def test_card_says_when_a_window_of_a_long_text_names_a_field():
    meta = shipped_metadata()
    sentence = "any field is accepted when the window holds 2 or more of its phrases"
    with_rule = {**meta, "params": {**meta["params"], "window_phrase_accept": 2}}
    assert sentence in render_card(with_rule, "default")
    off = {**meta, "params": {**meta["params"], "window_phrase_accept": 0}}
    no_phrases = {**with_rule, "params": {**with_rule["params"], "phrase_accept": 0}}
    assert "window holds" not in render_card(off, "default") + render_card(no_phrases, "default")


def test_a_card_speaks_of_a_base_only_where_there_is_one():
    meta = shipped_metadata()
    merge = {"base_documents": 0, "new_documents": 155, "duplicates": 2, "conflicts": 1, "conflict_details": []}
    alone = render_card({**meta, "merge": merge}, "mine", {})
    assert "- 2 duplicates merged, 1 with conflicting labels (the later source kept)" in alone
    assert "from the base" not in alone and "OSCE news items" not in alone  # anyone's own data
    based = render_card(
        {**meta, "base": {"path": "models/default"}, "merge": {**merge, "base_documents": 629}}, "m", {}
    )
    assert "- merged from the base's 629 documents and 155 new ones: 2 duplicates merged" in based


def test_card_says_which_written_examples_are_not_used_by_fields_scored_from_keywords():
    """A field with no real example is scored from its taxonomy keywords alone: the card counts its written
    examples out, instead of claiming each is a positive the model learnt from."""
    meta = shipped_metadata()
    assert "not used" not in render_card(meta, "default")  # every shipped field has real examples
    zero_shot = {**meta, "zero_shot_fields": ["Gender equality", "Youth"]}
    assert (
        "  - 16 of them are not used: those of fields with no real example, which are scored from their keywords "
        "alone (zero-shot): Gender equality (8), Youth (8)\n"
    ) in render_card(zero_shot, "default")
