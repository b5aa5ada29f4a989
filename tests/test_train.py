import json
import os
import re
from pathlib import Path

import pytest

from classifier.corpus.datasets import TrainingDataError
from classifier.workflows.training import check_output, train

from conftest import TRAINING


def small_corpus(folder, rows=120):
    path = folder / "train.jsonl"
    path.write_text(
        "".join(line + "\n" for line in TRAINING.read_text(encoding="utf-8").splitlines()[:rows]), encoding="utf-8"
    )
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
    with pytest.raises(TrainingDataError, match=r"Documents: holds notes\.txt, which is not a file of a model bundle"):
        train([data], documents)
    with pytest.raises(TrainingDataError, match=r"file: exists and is not a directory"):
        train([data], tmp_path / "file")
    assert (documents / "notes.txt").read_text(encoding="utf-8") == "precious"
    (tmp_path / "empty").mkdir()
    check_output([data], tmp_path / "empty")  # a new or empty directory is fine


def test_a_folder_with_a_model_json_and_other_files_is_not_a_bundle_and_is_kept(tmp_path):
    """A model.json among a project's files does not make the folder a bundle: saving would delete the rest."""
    from typer.testing import CliRunner

    from classifier.cli import app

    data = small_corpus(tmp_path, rows=60)
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    files = {"model.json": "{}\n", "src/main.py": "x\n", "thesis.docx": "y\n"}
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["train", str(data), "--output", str(project), "--jobs", "1"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {project}: holds src/, which is not a file of a model bundle; saving replaces the whole folder: "
        "choose a new or empty directory\n"
    )
    left = {str(p.relative_to(project)) for p in project.rglob("*")}
    assert left == {"model.json", "src", "src/main.py", "thesis.docx"}
    assert {name: (project / name).read_text(encoding="utf-8") for name in files} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj", "train.jsonl"]


@pytest.mark.parametrize("output", [".", "", "sub/..", "WORK", "../work"])
def test_an_output_naming_the_working_folder_is_refused_before_training(tmp_path, monkeypatch, output):
    """`--output .` in an empty folder trained for the whole run, then stopped with a traceback (a path with no name
    has no place beside it for the new bundle or the lock); its save would have moved the working folder aside."""
    from typer.testing import CliRunner

    from classifier.cli import app

    data = small_corpus(tmp_path, rows=60)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub").rmdir()
    monkeypatch.chdir(work)
    output = str(work) if output == "WORK" else output  # its absolute path, as $PWD gives it
    result = CliRunner().invoke(app, ["train", str(data), "--output", output, "--jobs", "1"])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {Path(output)}: names the working folder or one above it, which saving would replace whole; name "
        "the bundle's own folder (a new or empty one, or an existing bundle)\n",
    )
    assert "fitting" not in result.output and list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl", "work"]


def test_retraining_over_a_bundle_replaces_it_and_each_model_is_named_by_its_bundle(tmp_path):
    from classifier.bundle.storage import load_model

    data = small_corpus(tmp_path)
    bundle = tmp_path / "bundle"
    first, _ = train([data], bundle, seed=1)
    first_saved = load_model(bundle).fingerprint
    second, _ = train([data], bundle, seed=2)
    assert json.loads((bundle / "model.json").read_text(encoding="utf-8"))["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "train.jsonl"]
    # A model is named by its bundle's files, as loading it names it, saved or not: two models, two names.
    assert (first.fingerprint, second.fingerprint) == (first_saved, load_model(bundle).fingerprint)
    assert first.fingerprint != second.fingerprint
    unsaved, _ = train([data], None, seed=2)
    assert unsaved.fingerprint == second.fingerprint and unsaved.path is None


# Runs `classifier train` and SIGKILLs it at one moment of saving the bundle, named by KILL_AT.
KILL_HOOK = r"""
import os, pathlib, shutil, signal, sys

moment = os.environ["KILL_AT"]
bundle = os.path.abspath(os.environ["BUNDLE"])


def die():
    sys.stderr.write(f"killed at {moment}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


real_write_bytes = pathlib.Path.write_bytes


def half_written_arrays(path, data):
    if path.name != "model.npz":
        return real_write_bytes(path, data)
    real_write_bytes(path, data[: len(data) // 2])
    die()


real_replace, real_rmtree = os.replace, shutil.rmtree


def replace(src, dst):
    if moment == "before-swap" and os.path.abspath(src) == bundle:
        die()
    if moment == "between-renames" and os.path.abspath(dst) == bundle:
        die()
    return real_replace(src, dst)


def rmtree(path, *args, **kwargs):
    if moment == "removing-old" and ".old-" in str(path):
        die()
    return real_rmtree(path, *args, **kwargs)


if moment == "writing-arrays":
    pathlib.Path.write_bytes = half_written_arrays
os.replace, shutil.rmtree = replace, rmtree
from classifier.cli import main

sys.argv[0] = "classifier"
main()
"""

MOMENTS = ["writing-arrays", "before-swap", "between-renames", "removing-old", "from-outside"]


def test_killing_train_at_any_moment_leaves_a_loadable_bundle(tmp_path):
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from classifier.bundle.storage import load_model, save_bundle
    from classifier.io.outputs import output_lock

    from conftest import ROOT

    data = small_corpus(tmp_path, rows=60)
    previous = load_model(ROOT / "models" / "default").metadata["training_data"]["documents"]
    runs = {}
    for moment in MOMENTS:
        bundle = tmp_path / moment / "bundle"
        shutil.copytree(ROOT / "models" / "default", bundle)
        env = {**os.environ, "KILL_AT": moment, "BUNDLE": str(bundle)}
        command = [sys.executable, "-c", KILL_HOOK, "train", str(data), "--output", str(bundle), "--seed", "3"]
        if moment == "from-outside":
            command = [sys.executable, "-m", "classifier", "train", str(data), "--output", str(bundle)]
        runs[moment] = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Another process kills the plain `classifier train` once its new bundle starts to appear. Where
    # exactly the kill lands cannot be chosen from outside, so only the outcome below is checked.
    outside = runs.pop("from-outside")
    deadline = time.monotonic() + 300
    while outside.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(".bundle.") for p in (tmp_path / "from-outside").iterdir()):
            outside.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    outside.communicate(timeout=300)
    for moment, process in runs.items():
        stderr = process.communicate(timeout=300)[1]
        assert process.returncode == -signal.SIGKILL, (moment, stderr)
        assert stderr.endswith(f"killed at {moment}\n"), stderr
    # The window the fix closes: the old bundle moved aside, the new one not yet in place.
    assert not (tmp_path / "between-renames" / "bundle").exists()

    for moment in MOMENTS:
        bundle = tmp_path / moment / "bundle"
        before = sorted(os.listdir(tmp_path / moment))
        documents = load_model(bundle).metadata["training_data"]["documents"]
        assert sorted(os.listdir(tmp_path / moment)) == before, moment  # loading moved or deleted nothing
        # Killed once the new bundle was in place, the new one stays; otherwise the previous one is back.
        if moment == "from-outside":
            assert documents in (previous, 60)
        else:
            assert documents == (60 if moment == "removing-old" else previous), moment
        # Loading wrote nothing; the next save to the same target puts the bundle back in place and
        # leaves nothing beside it (the unlocked lock file of a killed run included).
        loaded = load_model(bundle)
        with output_lock(bundle):  # as `train --output` writes it
            save_bundle(loaded.estimator, loaded.metadata, bundle)
        assert os.listdir(tmp_path / moment) == ["bundle"], moment
        assert load_model(bundle).metadata["training_data"]["documents"] == documents


# Runs `classifier train` and sends it SIGINT (as Ctrl-C does) at one moment, named by INTERRUPT_AT.
INTERRUPT_HOOK = r"""
import os, pathlib, shutil, signal, sys

from classifier.estimator.model import TopicClassifier

moment = os.environ["INTERRUPT_AT"]


def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


real_fit, real_write_bytes, real_rmtree = TopicClassifier.fit, pathlib.Path.write_bytes, shutil.rmtree


def fit(self, *args, **kwargs):
    if moment == "fitting":
        ctrl_c()
    return real_fit(self, *args, **kwargs)


def write_bytes(path, data):
    written = real_write_bytes(path, data)
    if moment == "writing-arrays" and path.name == "model.npz":
        ctrl_c()
    return written


def rmtree(path, *args, **kwargs):
    if moment == "removing-old" and ".old-" in str(path):
        ctrl_c()
    return real_rmtree(path, *args, **kwargs)


TopicClassifier.fit, pathlib.Path.write_bytes, shutil.rmtree = fit, write_bytes, rmtree
from classifier.cli import main

sys.argv[0] = "classifier"
main()
"""


@pytest.mark.parametrize("moment", ["fitting", "writing-arrays", "removing-old"])
def test_ctrl_c_during_train_says_in_one_line_what_was_written(tmp_path, moment):
    """Before the new bundle is swapped in, nothing was written (not even the folders --output names); after it,
    the new bundle is whole, and the line says so. Exit 130 either way, no traceback."""
    import shutil
    import subprocess
    import sys

    from classifier.bundle.storage import load_model

    from conftest import ROOT

    small_corpus(tmp_path, rows=60)  # train.jsonl
    output = "new/deep/bundle" if moment == "fitting" else "bundle"
    if moment != "fitting":
        shutil.copytree(ROOT / "models" / "default", tmp_path / "bundle")
    before = {p.name: p.read_bytes() for p in (tmp_path / "bundle").iterdir()} if moment != "fitting" else None
    command = [sys.executable, "-c", INTERRUPT_HOOK, "train", "train.jsonl", "--output", output, "--jobs", "1"]
    env = {**os.environ, "INTERRUPT_AT": moment}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 130, result.stderr
    if moment == "removing-old":
        assert result.stderr == f"interrupted: training had finished; {output} holds the new model in full\n"
        assert load_model(tmp_path / "bundle").metadata["training_data"]["documents"] == 60
        return
    assert result.stderr == f"interrupted: training stopped and nothing was written; {output} is as it was\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["train.jsonl"] + ["bundle"] * (before is not None))
    if before is not None:
        assert {p.name: p.read_bytes() for p in (tmp_path / "bundle").iterdir()} == before


def test_written_examples_train_the_model_but_are_neither_stored_nor_counted(tmp_path, taxonomy):
    import gzip

    from classifier.bundle.card import render_card
    from classifier.taxonomy.guide import FieldGuide

    from conftest import ROOT

    data = small_corpus(tmp_path)
    guide = FieldGuide.from_yaml(ROOT / "field_guide.yaml", taxonomy)
    with_guide, metrics = train([data], tmp_path / "with", seed=0)
    without, plain_metrics = train([data], tmp_path / "without", seed=0, written_examples=False)
    written = with_guide.metadata["written_examples"]
    assert written["examples"] == len(guide.written_examples()) and written["sha256"] == guide.sha256
    assert written["per_field"]["Youth"] == len(next(e for e in guide.entries if e.field == "Youth").examples)
    assert without.metadata["written_examples"] is None
    # Metrics and counts are of the 120 real documents only.
    assert metrics["documents"] == plain_metrics["documents"] == 120
    assert with_guide.metadata["label_counts"] == without.metadata["label_counts"]
    stored = gzip.decompress((tmp_path / "with" / "training.jsonl.gz").read_bytes()).decode("utf-8")
    assert len(stored.splitlines()) == 120
    assert f"also {written['examples']} written example sentences" in render_card(with_guide.metadata)
    # They are trained on: a sentence of the guide scores its field higher with them than without.
    example, field = guide.written_examples()[0]
    j = taxonomy.labels.index(field)
    assert with_guide.predict_proba([example])[0, j] > without.predict_proba([example])[0, j]


@pytest.mark.parametrize(
    "window_phrase_accept, minimum", [(None, None), ("0", None), ("2", [2.0]), ("3", [3.0]), ("1", [1.0])]
)
def test_the_window_rule_is_set_on_the_command_line_and_stored(tmp_path, window_phrase_accept, minimum):
    import numpy as np
    from typer.testing import CliRunner

    from classifier.cli import app

    data, bundle = small_corpus(tmp_path), tmp_path / "bundle"
    option = [] if window_phrase_accept is None else ["--window-phrase-accept", window_phrase_accept]
    result = CliRunner().invoke(app, ["train", str(data), "--output", str(bundle), *option])
    assert result.exit_code == 0, result.output
    params = json.loads((bundle / "model.json").read_text(encoding="utf-8"))["params"]
    assert params["window_phrase_accept"] == (0 if window_phrase_accept is None else int(window_phrase_accept))
    arrays = np.load(bundle / "model.npz")
    if minimum is None:
        assert "window_phrase_minimum" not in arrays.files
    else:  # a field with a minimum of its own (a rare one: 2) keeps it where lower; every other field asks N
        own = arrays["phrase_minimum"]
        assert (own > 0).any() and (own == 0).any()
        expected = np.where(own > 0, np.minimum(own, minimum[0]), minimum[0])
        np.testing.assert_array_equal(arrays["window_phrase_minimum"], expected)


def test_stopped_while_its_metrics_are_printed_train_says_the_new_bundle_is_saved(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import classifier.cli

    data = small_corpus(tmp_path)

    def stopped(*args):
        raise KeyboardInterrupt  # a SIGTERM's handler raises it: the bundle is saved, the metrics not yet shown

    monkeypatch.setattr(classifier.cli, "_print_training", stopped)
    bundle = tmp_path / "bundle"
    result = CliRunner().invoke(classifier.cli.app, ["train", str(data), "--output", str(bundle)])
    assert result.exit_code == 130
    assert result.stderr == f"interrupted: training had finished; {bundle} holds the new model in full\n"
    assert (bundle / "model.json").is_file()


def test_a_sigterm_while_python_exits_after_a_command_changes_nothing_and_prints_nothing():
    """After the command, Python's exit can take a second (workers joined, files closed); a SIGTERM then printed a
    KeyboardInterrupt traceback and exited 0, or ended the process by the signal without a word."""
    import subprocess
    import sys

    code = (
        "import atexit, os, signal, sys\n"
        "atexit.register(lambda: os.kill(os.getpid(), signal.SIGTERM))  # lands while Python exits\n"
        "sys.argv = ['classifier', '--version']\n"
        "from classifier.cli import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("classifier ")


def test_train_from_python_warns_of_the_rows_it_leaves_out_unless_told_where_to(tmp_path):
    """Without `on_warning`, train said nothing of the documents it left out: half a file without labels was
    dropped in silence. Each warning the command line prints is a UserWarning by default."""
    import warnings

    from conftest import ROOT, write_jsonl

    rows = [json.loads(line) for line in (ROOT / "examples" / "retraining" / "base.jsonl").open(encoding="utf-8")]
    for row in rows[1::2]:
        row.pop("labels")
    half = write_jsonl(tmp_path / "half.jsonl", rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, _ = train([half])
    skipped = model.metadata["training_data"]["skipped_unlabelled"]
    assert skipped == len(rows) // 2
    said = [str(w.message) for w in caught if w.category is UserWarning]
    assert any(f"{skipped} documents have no labels" in message for message in said), said
    heard = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train([half], on_warning=heard.append)
    assert [w for w in caught if w.category is UserWarning] == [] and heard


def test_an_output_under_a_file_or_with_too_long_a_name_is_refused_naming_why(tmp_path):
    """Both were found before training, but said "cannot write there (File exists)" under a file, and from Python a
    name too long was a raw OSError."""
    from classifier.errors import ClassifierError

    from conftest import ROOT

    data = ROOT / "examples" / "retraining" / "base.jsonl"
    inputs = tmp_path / "base.jsonl"
    inputs.write_bytes(data.read_bytes())
    with pytest.raises(
        ClassifierError, match=rf"^{re.escape(str(inputs))}/sub: cannot write there \(.*base.jsonl is a file, not a"
    ):
        train([inputs], inputs / "sub", on_warning=lambda line: None)
    with pytest.raises(ClassifierError, match=r": cannot write there \(File name too long\)$"):
        train([inputs], tmp_path / ("m" * 300), on_warning=lambda line: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.jsonl"]


def test_the_same_data_and_seed_give_the_same_bundle_however_its_path_is_written(tmp_path, monkeypatch):
    """The bundle records where its documents came from: `base.jsonl`, `./base.jsonl` and its absolute path gave three
    bundle hashes for the same arrays, so `tag --resume` with one of them refused the others' outputs, and a bundle
    trained from an absolute path carried the trainer's folders. A page file's id is its path: recorded the same way.
    Only what is recorded changes: a problem still names the file as it was written."""
    from classifier.bundle.documents import read_base_documents
    from classifier.bundle.storage import load_model

    from conftest import ROOT

    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.jsonl").write_bytes((ROOT / "examples" / "retraining" / "base.jsonl").read_bytes())
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "kyrgyzstan.txt").write_bytes(
        (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_bytes()
    )
    spellings = {
        "plain": ["base.jsonl", "pages"],
        "dotted": ["./base.jsonl", "./pages/"],
        "absolute": [str(tmp_path / "base.jsonl"), str(tmp_path / "pages")],
    }
    for name, spelled in spellings.items():
        train(spelled, tmp_path / name, seed=3, on_warning=lambda line: None)
    fingerprints = {name: load_model(tmp_path / name).fingerprint for name in spellings}
    assert len(set(fingerprints.values())) == 1, fingerprints
    absolute = load_model(tmp_path / "absolute").metadata["training_data"]["files"]
    assert absolute == ["base.jsonl", "pages/kyrgyzstan.txt"]
    documents, _ = read_base_documents(tmp_path / "absolute")
    assert documents[0].origin == "base.jsonl:1 (in " + str(tmp_path / "absolute") + ")"
    page = [doc for doc in documents if "kyrgyzstan" in doc.origin]
    assert [(doc.id, doc.origin.split(" (in ")[0]) for doc in page] == [("pages/kyrgyzstan.txt",) * 2]
    # A base given by its absolute path is recorded as the inputs are, and so are the base's documents' file.
    train(["base.jsonl"], tmp_path / "again", seed=3, base=str(tmp_path / "plain"), on_warning=lambda line: None)
    metadata = load_model(tmp_path / "again").metadata
    assert metadata["base"]["path"] == "plain"
    assert metadata["training_data"]["files"] == ["plain/training.jsonl.gz", "base.jsonl"]
    (tmp_path / "bad.jsonl").write_text('{"title": "x"\n', encoding="utf-8")
    with pytest.raises(TrainingDataError, match="^" + re.escape(str(tmp_path / "bad.jsonl")) + ":1: "):
        train([str(tmp_path / "bad.jsonl")], tmp_path / "bad", on_warning=lambda line: None)


def test_the_same_retraining_gives_the_same_bundle_however_the_base_and_the_folder_are_reached(tmp_path, monkeypatch):
    """A conflict with a base document is recorded with the base's name: a base given by its absolute path put the
    trainer's folders in it, and another hash. So did an input typed through a symlink to the working folder ($PWD
    there names the link; the working folder is where it points)."""
    from classifier.bundle.storage import load_model

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    rows = TRAINING.read_text(encoding="utf-8").splitlines()[:60]
    (real / "base.jsonl").write_text("".join(line + "\n" for line in rows), encoding="utf-8")
    first = json.loads(rows[0])
    changed = {**first, "labels": ["Youth"] if "Youth" not in first["labels"] else ["Elections"]}
    (real / "new.jsonl").write_text(json.dumps(changed) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "link")
    quiet = {"seed": 2, "on_warning": lambda line: None}
    train(["base.jsonl"], "base", **quiet)
    spellings = {"plain": ("new.jsonl", "base"), "absolute": (str(tmp_path / "link" / "new.jsonl"), str(real / "base"))}
    for name, (data, base) in spellings.items():
        train([data], name, base=base, **quiet)
    metadata = {name: load_model(real / name).metadata for name in spellings}
    assert metadata["plain"]["merge"]["conflicts"] == 1
    assert metadata["absolute"]["merge"]["conflict_details"] == metadata["plain"]["merge"]["conflict_details"]
    assert "(in base)" in metadata["plain"]["merge"]["conflict_details"][0]
    assert metadata["absolute"]["training_data"]["files"] == ["base/training.jsonl.gz", "new.jsonl"]
    assert load_model(real / "absolute").fingerprint == load_model(real / "plain").fingerprint


def test_a_file_that_is_a_link_is_recorded_by_its_name_in_the_working_folder(tmp_path, monkeypatch):
    """Typed through a symlink to the working folder ($PWD), a file that is itself a link to data elsewhere was
    recorded by its absolute path (the file's own link was followed too, out of the folder): another bundle hash."""
    from classifier.corpus.documents import spelled_once as _spelled_once

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "work" / "sub").mkdir(parents=True)
    (tmp_path / "work" / "sub" / "f.jsonl").symlink_to(tmp_path / "data" / "f.jsonl")
    (tmp_path / "link").symlink_to(tmp_path / "work", target_is_directory=True)
    monkeypatch.chdir(tmp_path / "work")
    typed = [
        "sub/f.jsonl",
        "./sub/f.jsonl",
        str(tmp_path / "work" / "sub" / "f.jsonl"),
        str(tmp_path / "link/sub/f.jsonl"),
    ]
    assert [_spelled_once(path) for path in typed] == ["sub/f.jsonl"] * 4
    assert _spelled_once(str(tmp_path / "data" / "f.jsonl")) == str(tmp_path / "data" / "f.jsonl")  # outside: whole
