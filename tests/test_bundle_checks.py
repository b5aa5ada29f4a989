"""Hostile bundles: whoever shares a bundle controls every byte of it, checksums included (issue 15, cases 3, 4, 7, 8,
12)."""

import gzip
import hashlib
import io
import json
import os
import shutil
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from classifier.bundle import checks
from classifier.bundle.documents import read_base_documents
from classifier.bundle.storage import BundleError, load_model
from classifier.cli import app

from conftest import ROOT
from hostile import no_hang

DEFAULT = ROOT / "models" / "default"
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
# Feature columns of the shipped model, counted in its vocabulary.json (they change when it is retrained).
N_FEATURES = sum(len(terms) for terms in json.loads((DEFAULT / "vocabulary.json").read_text(encoding="utf-8")).values())
runner = CliRunner()


def copy_bundle(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(DEFAULT, bundle)
    return bundle


def reseal(bundle):
    """Rewrite model.json's checksums, as an attacker would."""
    meta = json.loads((bundle / "model.json").read_text())
    for name in meta["payload_sha256"]:
        if (bundle / name).is_file():
            meta["payload_sha256"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "model.json").write_text(json.dumps(meta))


def edit_metadata(bundle, change):
    meta = json.loads((bundle / "model.json").read_text())
    change(meta)
    (bundle / "model.json").write_text(json.dumps(meta))


def write_arrays(bundle, change):
    with np.load(bundle / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    np.savez_compressed(bundle / "model.npz", **arrays)
    reseal(bundle)


def one_line_error(bundle, match):
    with pytest.raises(BundleError) as info:
        load_model(bundle)
    message = str(info.value)
    assert "\n" not in message and "retrain" in message
    assert match in message, message
    return message


# Case 3: memory


def test_an_unused_zip_bomb_member_is_never_read(tmp_path, monkeypatch):
    bundle = copy_bundle(tmp_path)
    with zipfile.ZipFile(bundle / "model.npz", "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.npy", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB compressed
                member.write(block)
    reseal(bundle)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name)) or real_open(self, name, *a, **k),
    )
    model = load_model(bundle)
    assert model.suggest(EXAMPLE.read_text()).labels[0] == "Elections"
    assert "bomb.npy" not in opened


def test_a_bomb_in_an_expected_member_is_refused_before_it_is_decompressed(tmp_path):
    bundle = copy_bundle(tmp_path)
    with np.load(bundle / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            if name == "intercept":
                with archive.open("intercept.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array_header_1_0(
                        member, {"descr": "<f8", "fortran_order": False, "shape": (40_000_000,)}
                    )
                    for _ in range(320):
                        member.write(bytes(1 << 20))
            else:
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array)
    (bundle / "model.npz").write_bytes(buffer.getvalue())
    reseal(bundle)
    one_line_error(bundle, "array 'intercept': 335,544,448 bytes uncompressed, more than its shape (23,) needs")


@pytest.mark.parametrize(
    "params, key",
    [
        ({"ngram_range": [1, 100000]}, "ngram_range"),
        ({"char_ngram_range": [1, 5000]}, "char_ngram_range"),
        ({"title_weight": float("nan")}, "title_weight"),
        ({"C": -1}, "C"),
        ({"stop_words": "klingon"}, "stop_words"),
        ({"cv": True}, "cv"),
        ({"evil": 1}, "evil"),
    ],
)
def test_parameters_outside_the_allow_list_are_refused(tmp_path, params, key):
    bundle = copy_bundle(tmp_path)
    edit_metadata(bundle, lambda meta: meta["params"].update(params))
    one_line_error(bundle, f"'{key}'")


def test_a_gzip_bomb_of_training_documents_is_stopped_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "MAX_TRAINING_BYTES", 8 << 20)
    bundle = copy_bundle(tmp_path)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as stream:
        for _ in range(64):
            stream.write(b" " * (1 << 20))
    (bundle / "training.jsonl.gz").write_bytes(buffer.getvalue())
    reseal(bundle)
    with pytest.raises(BundleError, match="more than 8,388,608 bytes uncompressed"):
        read_base_documents(bundle)


# Case 4 (bundles) and the symlinks of case 3: never a FIFO, device or a link out of the bundle


@pytest.mark.parametrize("name", ["model.json", "model.npz", "vocabulary.json"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom", "outside"])
def test_bundle_files_that_are_not_plain_files_inside_it_are_refused_without_blocking(tmp_path, name, kind):
    bundle = copy_bundle(tmp_path)
    (bundle / name).unlink()
    if kind == "fifo":
        os.mkfifo(bundle / name)
    elif kind == "outside":
        (tmp_path / "elsewhere").write_bytes((DEFAULT / name).read_bytes())
        (bundle / name).symlink_to(tmp_path / "elsewhere")
    else:
        (bundle / name).symlink_to(kind)
    with no_hang():
        message = one_line_error(bundle, name)
    assert ("not a regular file" if kind == "fifo" else "a symlink leaving the bundle") in message


def test_a_symlink_inside_the_bundle_is_followed(tmp_path):
    bundle = copy_bundle(tmp_path)
    (bundle / "vocabulary.json").rename(bundle / "terms.json")
    (bundle / "vocabulary.json").symlink_to("terms.json")
    assert load_model(bundle).labels


# Case 7: malformed model.json, one line naming the key


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda m: m.update(labels=[1, 2]), "'labels'"),
        (lambda m: m.update(versions=[]), "'versions'"),
        (lambda m: m.update(versions={"scikit-learn": 1.9}), "'versions'"),
        (lambda m: m.update(low_confidence_fields=[["x"]]), "'low_confidence_fields'"),
        (lambda m: m["params"].update(stop_words="klingon"), "'stop_words'"),
        (lambda m: m.update(payload_sha256="abc"), "'payload_sha256'"),
        (lambda m: m.pop("params"), "'params'"),
        (lambda m: m.update(label_counts={"Elections": -3}), "'label_counts'"),
        (lambda m: m.update(probe={"texts": ["a"], "proba": [[float("nan")]]}), "'probe'"),
        (lambda m: m.update(probe={"texts": ["a", "b"], "proba": [[0.5]]}), "'probe'"),
    ],
)
def test_malformed_metadata_is_one_line_naming_the_key(tmp_path, change, key):
    bundle = copy_bundle(tmp_path)
    edit_metadata(bundle, change)
    one_line_error(bundle, key)


def test_a_huge_integer_or_deep_nesting_in_model_json_is_one_line(tmp_path):
    bundle = copy_bundle(tmp_path)
    text = (bundle / "model.json").read_text()
    (bundle / "model.json").write_text(text.replace('"seed": 0', '"seed": ' + "7" * 5000))
    one_line_error(bundle, "an integer of 5,000 digits")
    (bundle / "model.json").write_text(text.replace('"seed": 0', '"seed": ' + "[" * 100_000 + "]" * 100_000))
    one_line_error(bundle, "nested too deeply")


@pytest.mark.parametrize(
    "line, problem",
    [
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"id": ' + "7" * 5000 + ', "title": "", "text": "x", "labels": [], "origin": ""}', "'id' must be text"),
        ('{"id": "a", "title": 3, "text": "x", "labels": [], "origin": ""}', "'title' must be text"),
        ("not json", "invalid JSON"),
    ],
)
def test_malformed_training_documents_are_one_line_naming_the_line(tmp_path, line, problem):
    bundle = copy_bundle(tmp_path)
    good = gzip.decompress((bundle / "training.jsonl.gz").read_bytes()).splitlines(keepends=True)
    (bundle / "training.jsonl.gz").write_bytes(
        gzip.compress(b"".join(good[:3]) + line.encode() + b"\n" + b"".join(good[3:]))
    )
    reseal(bundle)
    with pytest.raises(BundleError) as info:
        read_base_documents(bundle)
    assert "training.jsonl.gz:4: " in str(info.value) and problem in str(info.value) and "\n" not in str(info.value)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
KEYS = [
    "labels",
    "versions",
    "params",
    "payload_sha256",
    "zero_shot_fields",
    "low_confidence_fields",
    "format",
    "label_counts",
    "probe",
]
PARAMS = [
    "ngram_range",
    "char_ngram_range",
    "stop_words",
    "title_weight",
    "char_weight",
    "top_ratio",
    "ensure_one",
    "label_keywords",
    "keyword_examples",
    "C",
]


@settings(max_examples=60)
@given(
    where=st.sampled_from(["top", "params"]),
    top=st.sampled_from(KEYS),
    param=st.sampled_from(PARAMS),
    value=json_values,
)
def test_any_value_in_model_json_loads_or_is_one_line(tmp_path_factory, where, top, param, value):
    bundle = copy_bundle(tmp_path_factory.mktemp("meta"))
    edit_metadata(
        bundle,
        lambda m: (m["params"] if where == "params" else m).__setitem__(param if where == "params" else top, value),
    )
    try:
        load_model(bundle)
    except BundleError as exc:
        assert "\n" not in str(exc)


# Case 8: silently wrong answers


@pytest.mark.parametrize("array", ["coef", "intercept", "thresholds", "calibration", "idf_text", "phrase_minimum"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_arrays_are_refused(tmp_path, array, bad):
    bundle = copy_bundle(tmp_path)

    def spoil(arrays):
        arrays[array] = arrays[array].copy()
        arrays[array].flat[0] = bad

    write_arrays(bundle, spoil)
    one_line_error(bundle, f"array '{array}': holds NaN or infinite values")


@pytest.mark.parametrize("dtype", ["U32", "int64", "complex128", "float16"])
def test_arrays_that_are_not_floats_are_refused(tmp_path, dtype):
    bundle = copy_bundle(tmp_path)
    write_arrays(bundle, lambda arrays: arrays.__setitem__("coef", arrays["coef"].astype(dtype)))
    message = one_line_error(bundle, "array 'coef': ")
    assert (
        "stored as" in message or f"more than its shape (23, {N_FEATURES}) needs" in message
    )  # wider types fail on size first


def test_title_weight_nan_is_refused(tmp_path):
    bundle = copy_bundle(tmp_path)
    edit_metadata(bundle, lambda meta: meta["params"].update(title_weight=float("nan")))
    one_line_error(bundle, "parameter 'title_weight' must be a number from 0 to 100, not nan")


def test_a_shape_that_does_not_fit_the_vocabulary_is_refused_before_reading(tmp_path):
    bundle = copy_bundle(tmp_path)
    write_arrays(bundle, lambda arrays: arrays.__setitem__("coef", arrays["coef"][:, :-1]))
    one_line_error(
        bundle,
        f"array 'coef': shape (23, {N_FEATURES - 1}), but model.json and vocabulary.json give (23, {N_FEATURES})",
    )


# Case 12: a read-only command writes nothing


def test_suggest_never_renames_or_deletes_beside_its_model(tmp_path):
    bundle = copy_bundle(tmp_path)
    dead = 2**22 + 12345  # above any pid this system hands out by default
    stale = [tmp_path / f".bundle.old-{dead}", tmp_path / f".bundle.{dead}.abc.tmp"]
    for folder in stale:
        shutil.copytree(DEFAULT, folder)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["suggest", str(EXAMPLE), "--model", str(bundle)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_bundle_moved_aside_by_a_killed_save_is_read_where_it_is(tmp_path):
    dead = 2**22 + 12345
    aside = tmp_path / f".bundle.old-{dead}"
    shutil.copytree(DEFAULT, aside)
    result = runner.invoke(app, ["suggest", str(EXAMPLE), "--model", str(tmp_path / "bundle"), "--top", "1"])
    assert result.exit_code == 0, result.stderr
    assert "Elections" in result.stdout
    assert aside.is_dir() and not (tmp_path / "bundle").exists()


def test_label_phrases_that_are_not_pairs_of_phrase_lists_are_refused(tmp_path):
    bundle = copy_bundle(tmp_path)
    edit_metadata(bundle, lambda meta: meta["params"].update(label_phrases=[["Elections", ["voters"]]] * 23))
    one_line_error(
        bundle, "parameter 'label_phrases' must be null or one [names, keywords] pair of phrase lists per field"
    )


def test_a_stacker_with_an_array_missing_is_refused(tmp_path):
    bundle = copy_bundle(tmp_path)
    write_arrays(bundle, lambda arrays: arrays.pop("stack_offsets"))
    one_line_error(bundle, "holds only some of the stacker's arrays (stack_offsets, stack_weights, stacked)")


def test_a_negative_phrase_minimum_is_refused(tmp_path):
    bundle = copy_bundle(tmp_path)

    def spoil(arrays):
        arrays["phrase_minimum"] = arrays["phrase_minimum"].copy()
        arrays["phrase_minimum"][0] = -1.0  # would accept the field for every text

    write_arrays(bundle, spoil)
    one_line_error(bundle, "phrase_minimum holds a value that is not a count")


def test_phrases_for_another_number_of_fields_are_refused(tmp_path):
    bundle = copy_bundle(tmp_path)
    # Five fields' phrases for a model of 23: counts would be broadcast to the wrong fields, or fail later.
    edit_metadata(bundle, lambda meta: meta["params"].update(label_phrases=meta["params"]["label_phrases"][:5]))
    one_line_error(bundle, "label_phrases has 5 fields' phrases, but the model has 23")
