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


def everything_a_card_can_say() -> dict:
    """Metadata that sets every part of the card: a zero-shot and a low-confidence field, every rule, written
    examples of a zero-shot field, a merge with a base that had a field renamed and another removed."""
    return {
        "labels": ["Alpha", "Beta", "Gamma", "Delta"],
        "zero_shot_fields": ["Delta"],
        "low_confidence_fields": ["Gamma"],
        "label_counts": {"Alpha": 40, "Beta": 25, "Gamma": 5},
        "params": {
            "min_examples": 20,
            "keyword_examples": "all",
            "label_phrases": [["alpha"], ["beta"], ["gamma"], ["delta"]],
            "phrase_accept": 2,
            "lead_phrase_accept": 1,
            "window_phrase_accept": 3,
        },
        "training_data": {
            "files": ["a.jsonl", "b.csv"],
            "documents": 70,
            "bytes": 1234,
            "sha256": "f00",
            "documents_sha256": "d0c",
            "skipped_unlabelled": 3,
        },
        "written_examples": {
            "examples": 12,
            "file": "guide.yaml",
            "sha256": "9e1",
            "per_field": {"Alpha": 7, "Delta": 5},
        },
        "merge": {"duplicates": 2, "conflicts": 1, "base_documents": 60, "new_documents": 12},
        "base": {
            "path": "models/old",
            "documents": 60,
            "training_sha256": "0ld",
            "labels": ["Alpha", "Beta old", "Gamma", "Epsilon"],
            "renamed": {"Beta old": "Beta"},
            "label_counts": {"Alpha": 38, "Beta old": 25, "Gamma": 4},
            "cv_metrics": {"micro": {"f1": 0.5}, "macro": {"f1": 0.25}},
        },
        "cv_metrics": {
            "documents": 70,
            "micro": {"precision": 0.8, "recall": 0.6, "f1": 0.6857},
            "macro": {"precision": 0.5, "recall": 0.4, "f1": 0.4444},
            "p@1": 0.9,
            "r@3": 0.75,
            "ndcg@3": 0.8126,
            "per_label": {"Alpha": {"precision": 1.0, "recall": 0.5, "f1": 0.6667}},
        },
        "classifier_version": "9.9",
        "versions": {"python": "3.11", "numpy": "2.0"},
        "seed": 7,
        "taxonomy_sha256": "7a4",
    }


# Written out by hand from the metadata above, not from a run of the code.
EVERYTHING_CARD = """---
license: mit
language:
- en
library_name: scikit-learn
pipeline_tag: text-classification
tags:
- multi-label
- tf-idf
- subject-indexing
- osce
model-index:
- name: "trial"
  results:
  - task:
      type: text-classification
      name: Multi-label text classification
    dataset:
      type: labelled-documents
      name: 70 labelled documents (5-fold cross-validation)
    metrics:
    - type: micro-f1
      name: micro-F1
      value: 0.6857
    - type: macro-f1
      name: macro-F1
      value: 0.4444
    - type: p_at_1
      name: P@1
      value: 0.9
    - type: ndcg_at_3
      name: nDCG@3
      value: 0.8126
---

# Model card: trial

Generated by `classifier train` from `model.json`; do not edit by hand.

Suggests 4 OSCE fields of work. A TF-IDF and linear model, one calibrated linear SVM per field with a \
per-field threshold tuned by cross-validation.

Fields suggested from their taxonomy keywords alone (zero-shot, no training examples): Delta. Fields with \
fewer than 20 examples (low confidence): Gamma.

Each field with examples is also trained on its taxonomy keywords (name, keywords, description) as one extra \
example.

Each field's calibrated score is combined with the field's taxonomy phrases found in the text (name, aliases \
and sub-topics; keywords; in the title and in the whole text) by a logistic stacker fitted on out-of-fold scores.

A zero-shot or low-confidence field is also accepted, whatever its score, when a text holds 2 or more of its \
taxonomy phrases within 60 words (whole words, a plural allowed).

In a lead (a title and the first 60 words of its body), a field with fewer than 5 examples is also accepted on 1 \
of the phrases that name it (name, aliases, sub-topics, keywords of two words or more): Delta.

In a window of a long text (over 350 words, read in windows of 60), any field is accepted when the window holds \
3 or more of its phrases.

## Training data

- 70 labelled documents from `a.jsonl`, `b.csv`
- inputs: 1234 bytes, sha256 `f00`
- the documents as trained on are stored in the bundle: sha256 `d0c`
- 3 unlabelled documents skipped
- also 12 written example sentences from `guide.yaml` (sha256 `9e1`), each a positive of its field only: \
written by the project, not real items, never counted in the metrics
  - 5 of them are not used: those of fields with no real example, which are scored from their keywords alone \
(zero-shot): Delta (5)
- merged from the base's 60 documents and 12 new ones: 2 duplicates merged, 1 with conflicting labels (the later \
source kept)

## Fields

Cross-validated precision, recall and F1 per field (out-of-fold: each fold scored by models, a calibration, a \
stacker and thresholds fitted on the other folds only).

| field | examples | threshold | precision | recall | F1 | basis |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
| Alpha | 40 | 0.25 | 1.000 | 0.500 | 0.667 | examples + keywords |
| Beta | 25 | 0.50 | - | - | - | examples + keywords |
| Gamma | 5 | 0.13 | - | - | - | examples + keywords (low confidence) |
| Delta | 0 | 0.00 | - | - | - | keywords only (zero-shot) |

## Metrics

| average | precision | recall | F1 |
| --- | ---: | ---: | ---: |
| micro | 0.800 | 0.600 | 0.686 |
| macro | 0.500 | 0.400 | 0.444 |
| samples | - | - | - |

Ranking: P@1 0.900, R@3 0.750, nDCG@3 0.813.

## Changes against its base

Base: `models/old` (60 documents, training data sha256 `0ld`).

- documents: 60 -> 70
- new fields: Delta
- removed fields: Epsilon
- renamed fields: Beta old -> Beta
- cross-validated micro F1: 0.500 -> 0.686 (+0.186)
- cross-validated macro F1: 0.250 -> 0.444 (+0.194)
- examples per field: Alpha 38 -> 40, Gamma 4 -> 5

Cross-validated numbers of two models come from different data; compare both on the same held-out data with \
`classifier compare BASE NEW DATA` before shipping.

## Versions

classifier 9.9; python 3.11, numpy 2.0; seed 7; taxonomy.yaml sha256 `7a4`.
"""


def test_a_card_says_everything_its_metadata_holds_word_for_word():
    thresholds = {"Alpha": 0.25, "Beta": 0.5, "Gamma": 0.13}  # Delta has none: shown as 0.00
    assert render_card(everything_a_card_can_say(), "trial", thresholds) == EVERYTHING_CARD


def test_a_card_of_a_bundle_that_recorded_almost_nothing_says_what_it_does_not_know():
    """A bundle from an early version recorded its labels and little else: the card marks each unknown with
    "?" and each missing number with "-", and still reads as sentences."""
    card = render_card({"labels": ["Alpha"]}, "old")
    assert "      name: ? labelled documents (5-fold cross-validation)\n    metrics:\n---\n" in card
    assert "Suggests 1 OSCE field of work." in card
    assert "zero-shot" not in card and "low confidence" not in card
    # Bundles from before the setting existed gave their keywords to the low-confidence fields only.
    assert "The low-confidence fields are also trained on their taxonomy keywords" in card
    assert "logistic stacker" not in card and "phrases" not in card
    assert "- ? labelled documents from (none recorded)\n- inputs: ? bytes, sha256 `?`\n\n## Fields" in card
    assert "| Alpha | 0 | 0.00 | - | - | - | examples |\n\n## Changes against its base" in card
    assert "## Metrics" not in card
    assert "None: trained from scratch (no `--base`)." in card
    assert card.endswith("## Versions\n\nclassifier ?; seed ?; taxonomy.yaml sha256 `?`.\n")
    based = render_card({"labels": ["Alpha"], "base": {"labels": ["Alpha"]}}, "old")
    assert "Base: `?` (? documents, training data sha256 `?`).\n\n- documents: ? -> ?\n" in based
    assert "- new fields: none\n- removed fields: none\n- renamed fields: none\n" in based
    assert "- examples per field: unchanged\n" in based and "cross-validated" not in based


def test_the_lead_rule_names_only_fields_with_fewer_than_five_examples():
    meta = everything_a_card_can_say()
    meta["label_counts"]["Gamma"] = 4  # a low-confidence field below five now
    assert "keywords of two words or more): Gamma, Delta.\n" in render_card(meta, "trial")
    meta["low_confidence_fields"] = []
    assert "keywords of two words or more): Delta.\n" in render_card(meta, "trial")


def test_a_card_reads_metadata_that_lacks_the_parts_later_versions_added():
    """Metadata written before some keys existed (no `min_examples`, no label counts, written examples without
    their count per field, no zero-shot list, no metrics of its own) still gives a card, saying "?" for
    what it does not know."""
    meta = everything_a_card_can_say()
    del meta["params"]["min_examples"], meta["label_counts"], meta["written_examples"]["per_field"]
    del meta["cv_metrics"]
    card = render_card(meta, "trial")
    assert "Fields with fewer than ? examples (low confidence): Gamma." in card
    # With no counts every rare field is below five examples: the lead rule names Gamma and Delta.
    assert "keywords of two words or more): Gamma, Delta.\n" in card
    assert "- also 12 written example sentences" in card and "not used" not in card
    assert "cross-validated" not in card and "- documents: 60 -> 70\n" in card
    meta["written_examples"]["per_field"] = {"Alpha": 12}
    del meta["zero_shot_fields"]
    assert "- also 12 written example sentences" in render_card(meta, "trial") and "not used" not in card


def test_the_lead_rule_is_stated_only_when_the_model_applies_it():
    meta = everything_a_card_can_say()
    sentence = "In a lead (a title and the first 60 words of its body)"
    assert sentence in render_card(meta, "trial")
    for key in ("label_phrases", "phrase_accept", "lead_phrase_accept"):
        assert sentence not in render_card({**meta, "params": {**meta["params"], key: 0}}, "trial"), key
    no_rare = {**meta, "zero_shot_fields": [], "low_confidence_fields": []}
    assert sentence not in render_card(no_rare, "trial")


def test_a_card_lists_every_renamed_field_and_is_named_model_by_default():
    meta = everything_a_card_can_say()
    meta["base"]["renamed"] = {"Beta old": "Beta", "Gamma old": "Gamma"}
    card = render_card(meta)
    assert "- renamed fields: Beta old -> Beta, Gamma old -> Gamma\n" in card
    assert "# Model card: model\n" in card and '- name: "model"\n' in card
