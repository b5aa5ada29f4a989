"""The retraining loop end to end on a small corpus: a new field appears on the site, is synced into a
copy of the taxonomy, is suggested zero-shot from its keywords, gets labelled examples, and the model
retrained from its base proposes it and passes the comparison gate on the old fields."""

import json

from typer.testing import CliRunner

from classifier.cli import app

from conftest import FIXTURES, ROOT, TRAINING, write_jsonl

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
NEW_FIELD = "Energy security"
ENERGY_TEXT = (
    "Protecting power stations and gas pipelines\n"
    "Grid operators and energy regulators agreed to share warnings about threats to electricity supply, "
    "gas transit pipelines and other critical energy infrastructure."
)
DESCRIPTION = (
    "Work with participating States on a reliable and secure supply of energy: protecting power plants, "
    "grids and pipelines, and co-operation on transit and diversified supply."
)
KEYWORDS = [
    "energy security",
    "critical energy infrastructure",
    "power grid",
    "electricity",
    "gas pipelines",
    "energy supply",
    "power plants",
    "energy transit",
    "renewable energy",
    "energy efficiency",
]


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result


def site_page_with_new_field(path):
    """The example page, its Fields of work menu now listing the new field after Economic activities."""
    page = EXAMPLE.read_text(encoding="utf-8").replace(
        "- Economic activities\n", f"- Economic activities\n- {NEW_FIELD}\n", 1
    )
    path.write_text(page, encoding="utf-8")
    return path


def describe_new_field(taxonomy_path):
    """What a person does after sync marks the new entry: write its description and keywords."""
    text = taxonomy_path.read_text(encoding="utf-8")
    start = text.index(f"  - name: {NEW_FIELD}")
    end = text.index("\n\n", start)
    entry = text[start:end]
    described = entry.replace("description: ''", f"description: {json.dumps(DESCRIPTION)}").replace(
        "keywords: []", "keywords: [" + ", ".join(KEYWORDS) + "]"
    )
    taxonomy_path.write_text(text[:start] + described + text[end:], encoding="utf-8")


def test_add_a_field_label_it_retrain_from_the_base_and_compare(tmp_path):
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    energy = [
        json.loads(line) for line in (FIXTURES / "energy_security.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    base_data = write_jsonl(tmp_path / "base.jsonl", rows[:200])
    held_out = write_jsonl(tmp_path / "held_out.jsonl", rows[-150:] + energy[8:])
    labelled = write_jsonl(tmp_path / "labelled.jsonl", energy[:8])
    base = tmp_path / "base"
    run("train", base_data, "--output", base)

    # 1. The site adds a field: sync it into a copy of the taxonomy, then describe it.
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    page = site_page_with_new_field(tmp_path / "page.txt")
    assert run("taxonomy", "sync", page, "--taxonomy", taxonomy).stdout.splitlines()[1] == f"+ added:   {NEW_FIELD}"
    run("taxonomy", "sync", page, "--taxonomy", taxonomy, "--write")
    describe_new_field(taxonomy)

    # 2. Before anyone labels it, retraining on the base alone makes it a zero-shot field.
    zero_shot = tmp_path / "zero-shot"
    result = run("train", "--base", base, "--output", zero_shot, "--taxonomy", taxonomy)
    zero_shot_line = next(line for line in result.stdout.splitlines() if line.startswith("zero-shot (no examples"))
    assert NEW_FIELD in zero_shot_line.split(": ", 1)[1].split(", ")
    result = runner.invoke(
        app,
        ["suggest", "-", "--model", str(zero_shot), "--taxonomy", str(taxonomy), "--format", "json"],
        input=ENERGY_TEXT,
    )
    suggested = json.loads(result.stdout)
    assert suggested["labels"][0] == NEW_FIELD
    assert suggested["suggestions"][0] == {**suggested["suggestions"][0], "label": NEW_FIELD, "flag": "zero-shot"}

    # 3. Label examples and retrain from the base: the new field is learned, with few examples flagged.
    retrained = tmp_path / "retrained"
    result = run("train", labelled, "--base", base, "--output", retrained, "--taxonomy", taxonomy)
    assert f"{NEW_FIELD} (8)" in result.stdout.split("low confidence", 1)[1]
    meta = json.loads((retrained / "model.json").read_text(encoding="utf-8"))
    assert meta["training_data"]["documents"] == 208 and meta["label_counts"][NEW_FIELD] == 8
    card = (retrained / "MODEL.md").read_text(encoding="utf-8")
    assert f"- new fields: {NEW_FIELD}" in card and "- documents: 200 -> 208" in card

    result = runner.invoke(
        app,
        ["suggest", "-", "--model", str(retrained), "--taxonomy", str(taxonomy), "--format", "json"],
        input=ENERGY_TEXT,
    )
    assert NEW_FIELD in json.loads(result.stdout)["labels"]
    old_example = runner.invoke(
        app, ["suggest", str(EXAMPLE), "--model", str(retrained), "--taxonomy", str(taxonomy), "--format", "json"]
    )
    assert (
        json.loads(old_example.stdout)["labels"][0] == "Elections"
        and NEW_FIELD not in json.loads(old_example.stdout)["labels"]
    )

    # 4. Compare on held-out data: the field is new in B, and no old field with support fell by > 0.02.
    result = runner.invoke(
        app,
        [
            "compare",
            str(base),
            str(retrained),
            str(held_out),
            "--taxonomy",
            str(taxonomy),
            "--max-drop",
            "0.02",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    row = report["per_label"][NEW_FIELD]
    assert row["status"] == "new" and row["a"] is None and row["support"] == 4 and row["b"]["recall"] > 0
    assert report["regressions"] == []
    assert report["averages"]["micro"]["f1_delta"] > 0
