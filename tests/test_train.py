import json
import os

import pytest

from classifier.train import TrainingDataError, check_output, train

from conftest import TRAINING


def small_corpus(folder, rows=120):
    path = folder / "train.jsonl"
    path.write_text("".join(line + "\n" for line in TRAINING.read_text(encoding="utf-8").splitlines()[:rows]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "output",
    [
        "data/train.jsonl",  # the input file itself
        "data",  # the directory holding it
        ".",  # an ancestor of that directory
        "link-to-data",  # the same directory through a symlink
    ],
)
def test_an_output_that_is_or_holds_an_input_is_refused_before_training(tmp_path, monkeypatch, output):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    data = small_corpus(tmp_path / "data")
    os.symlink(tmp_path / "data", tmp_path / "link-to-data")
    before = data.read_bytes()
    with pytest.raises(TrainingDataError) as error:
        train(["data/train.jsonl"], output)
    assert str(error.value) == (
        f"{output}: is or holds the input data/train.jsonl, which saving the bundle would replace; "
        "choose another output directory"
    )
    assert data.read_bytes() == before


def test_inputs_found_by_walking_or_globbing_count_too(tmp_path):
    pages = tmp_path / "pages" / "2024"
    pages.mkdir(parents=True)
    (pages / "a.txt").write_text("A title\nSome text.", encoding="utf-8")
    for inputs in ([tmp_path / "pages"], [str(tmp_path / "pages" / "**" / "*.txt")]):
        with pytest.raises(TrainingDataError, match=r"is or holds the input .*a\.txt"):
            check_output(inputs, pages)
    check_output([tmp_path / "pages"], tmp_path / "pages" / "model")  # beside the inputs is fine


def test_an_existing_folder_that_is_not_a_bundle_is_never_replaced(tmp_path):
    data = small_corpus(tmp_path)
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "notes.txt").write_text("precious", encoding="utf-8")
    (tmp_path / "file").write_text("also precious", encoding="utf-8")
    with pytest.raises(TrainingDataError, match=r"Documents: exists and is not a model bundle \(no model\.json\)"):
        train([data], documents)
    with pytest.raises(TrainingDataError, match=r"file: exists and is not a directory"):
        train([data], tmp_path / "file")
    assert (documents / "notes.txt").read_text(encoding="utf-8") == "precious"
    (tmp_path / "empty").mkdir()
    check_output([data], tmp_path / "empty")  # a new or empty directory is fine


def test_retraining_over_a_bundle_replaces_it(tmp_path):
    data = small_corpus(tmp_path)
    bundle = tmp_path / "bundle"
    train([data], bundle, seed=1)
    train([data], bundle, seed=2)
    assert json.loads((bundle / "model.json").read_text(encoding="utf-8"))["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "train.jsonl"]
