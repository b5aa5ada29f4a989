from classifier.card import render_card

from conftest import ROOT


def shipped_metadata():
    import json

    return json.loads((ROOT / "models" / "default" / "model.json").read_text(encoding="utf-8"))


def test_card_of_the_shipped_model_lists_data_fields_metrics_and_versions():
    meta = shipped_metadata()
    card = render_card(meta, "default")
    assert card.startswith("# Model card: default\n")
    assert f"- {meta['training_data']['documents']} labelled documents from `training/data/releases.jsonl`" in card
    for label, count in meta["label_counts"].items():
        threshold = meta["thresholds"][label]
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
