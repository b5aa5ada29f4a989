import gzip
import json

import pytest
from typer.testing import CliRunner

from classifier.bundle.documents import TRAINING_FILE, read_base_documents
from classifier.bundle.storage import BundleError
from classifier.cli import app
from classifier.corpus.datasets import merge_documents
from classifier.corpus.documents import Document
from classifier.workflows.training import train

from conftest import training_records, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("retrain")
    train([write_jsonl(root / "base.jsonl", training_records()[:120])], root / "base")
    return root / "base"


def stored_rows(bundle):
    return [json.loads(line) for line in gzip.decompress((bundle / TRAINING_FILE).read_bytes()).decode().splitlines()]


def test_a_bundle_stores_the_documents_it_was_trained_on(base):
    documents, metadata = read_base_documents(base)
    assert len(documents) == metadata["training_data"]["documents"] == 120
    first = training_records()[0]
    assert (documents[0].id, documents[0].title, documents[0].labels) == (
        first["id"],
        first["title"],
        tuple(first["labels"]),
    )
    assert documents[0].origin == f"{base.parent / 'base.jsonl'}:1 (in {base})"


def test_retraining_merges_duplicates_and_reports_conflicts_with_both_sources(base, tmp_path):
    rows = training_records()
    same = rows[5]
    relabelled = {**rows[7], "id": "corrected-7", "labels": ["Human rights"]}
    assert rows[7]["labels"] != ["Human rights"]
    new = write_jsonl(tmp_path / "new.jsonl", rows[120:140] + [same, relabelled])
    model, _ = train([new], tmp_path / "retrained", base=base)
    merge = model.metadata["merge"]
    assert {k: v for k, v in merge.items() if k != "conflict_details"} == {
        "base_documents": 120,
        "new_documents": 22,
        "duplicates": 2,
        "conflicts": 1,
    }
    [conflict] = merge["conflict_details"]
    assert conflict.startswith("conflicting fields for '")
    assert conflict.endswith(
        f": {base.parent / 'base.jsonl'}:8 (in {base}) [{', '.join(rows[7]['labels'])}] vs {new}:22 [Human rights]; "
        f"kept {new}:22"
    )
    assert f"vs {new}:22 [Human rights]" in merge["conflict_details"][0]
    assert model.metadata["training_data"]["documents"] == 140
    assert model.metadata["base"]["path"] == str(base) and model.metadata["base"]["documents"] == 120
    stored = stored_rows(tmp_path / "retrained")
    assert len(stored) == 140 and stored[7]["labels"] == ["Human rights"] and stored[7]["origin"] == f"{new}:22"
    # A base document's origin keeps its first source, however many generations of retraining follow.
    assert stored[0]["origin"] == f"{base.parent / 'base.jsonl'}:1"
    card = (tmp_path / "retrained" / "MODEL.md").read_text(encoding="utf-8")
    assert f"Base: `{base}` (120 documents" in card and "- documents: 120 -> 140" in card
    assert "2 duplicates merged, 1 with conflicting labels" in card


def test_merge_keeps_first_position_and_counts_exact_duplicates():
    docs = [
        Document("a", "Title", "Body text.", ("Elections",), "x:1"),
        Document("b", "title", "Body  text", ("Elections",), "y:1"),
    ]
    merged = merge_documents(docs, [("Elections",), ("Elections",)])
    assert [d.id for d in merged.documents] == ["a"] and merged.duplicates == 1 and merged.conflicts == []


def test_cli_retrains_on_the_base_alone_and_prints_the_merge(base, tmp_path):
    result = runner.invoke(app, ["train", "--base", str(base), "--output", str(tmp_path / "again")])
    assert result.exit_code == 0, result.stderr
    assert "120 documents from the base, 0 new: 0 duplicates merged, 0 with conflicting fields" in result.stderr
    assert json.loads((tmp_path / "again" / "model.json").read_text())["training_data"]["documents"] == 120
    assert runner.invoke(app, ["train", "--output", str(tmp_path / "x")]).exit_code == 2


def test_a_base_without_stored_documents_or_with_a_changed_file_is_refused(base, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(base, copy)
    data = (copy / TRAINING_FILE).read_bytes()
    (copy / TRAINING_FILE).write_bytes(data[:-10])
    with pytest.raises(BundleError, match="checksum differs"):
        read_base_documents(copy)
    (copy / TRAINING_FILE).unlink()
    result = runner.invoke(app, ["train", "--base", str(copy), "--output", str(tmp_path / "out")])
    # Listed but gone (shared without it): said so, not that the bundle predates the file.
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {copy / TRAINING_FILE}: missing, though model.json lists it: the bundle was shared or copied without "
        f"the documents it was trained on; copy the whole folder, or rebuild it from its data: classifier train "
        f"LABELLED_DATA --output {copy}\n",
    )
    assert not (tmp_path / "out").exists()
    metadata = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    del metadata["payload_sha256"][TRAINING_FILE]
    (copy / "model.json").write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(BundleError, match=r"copy: the bundle carries no training documents \(it predates"):
        read_base_documents(copy)


def test_a_base_a_killed_save_left_moved_aside_is_read_where_it_is(base, tmp_path, monkeypatch):
    """A kill between a save's two renames leaves the bundle at `.NAME.old-PID`, which suggest, evaluate and compare
    read; `train --base NAME` said the folder did not exist. It reads it there and records it by its name."""
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(base, tmp_path / ".bund.old-999999999")  # a process id no process has
    result = runner.invoke(app, ["train", "--base", "bund", "--output", "new"])
    assert result.exit_code == 0, result.stderr
    metadata = json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))
    assert metadata["base"]["path"] == "bund" and metadata["training_data"]["files"] == ["bund/training.jsonl.gz"]
    assert metadata["training_data"]["documents"] == 120
    assert stored_rows(tmp_path / "new") == stored_rows(base)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bund.old-999999999", "new"]  # reading changed nothing


def test_the_shipped_model_carries_the_training_corpus():
    from conftest import ROOT

    documents, metadata = read_base_documents(ROOT / "models" / "default")
    rows = training_records()
    assert [d.id for d in documents] == [r["id"] for r in rows]
    assert [list(d.labels) for d in documents] == [r["labels"] for r in rows]


def test_a_field_removed_from_the_taxonomy_is_taken_off_the_base_documents(base, tmp_path):
    """`taxonomy sync --remove` then `train --base --taxonomy`: the base's documents lose the removed field, said
    once; one left with no field is not trained on. The hint of the model that no longer loads says so too."""
    import yaml

    from classifier.bundle.storage import load_model
    from classifier.taxonomy.fields import Taxonomy

    from conftest import ROOT

    rows = stored_rows(base)
    removed = "Policing"
    carrying = [row for row in rows if removed in row["labels"]]
    alone = [row for row in carrying if row["labels"] == [removed]]
    assert carrying  # the case this is about
    data = yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))
    data["fields"] = [entry for entry in data["fields"] if entry["name"] != removed]
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(BundleError, match=f"--base {base} --taxonomy {own} --output own-model"):
        load_model(base, Taxonomy.from_yaml(own))
    result = runner.invoke(
        app, ["train", "--base", str(base), "--taxonomy", str(own), "--output", str(tmp_path / "own-model")]
    )
    assert result.exit_code == 0, result.stderr
    left = f"; {len(alone)} documents left with no field are not trained on" if len(alone) > 1 else ""
    left = "; 1 document left with no field is not trained on" if len(alone) == 1 else left
    assert (
        f"warning: {base}: fields of its documents that {own} no longer has are left out: {removed} "
        f"({len(carrying)}){left}"
    ) in result.stderr.splitlines()
    model = load_model(tmp_path / "own-model", Taxonomy.from_yaml(own))
    assert removed not in model.labels and model.metadata["training_data"]["documents"] == len(rows) - len(alone)
