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
        ('{"id": "a", "title": "", "text": "x", "labels": "Elections", "origin": ""}', "'labels' must be a list of"),
        ('{"id": "' + "a" * 1001 + '", "title": "", "text": "x", "labels": [], "origin": ""}', "an id of 1,001 char"),
        ('{"id": "a", "title": "", "text": "x", "labels": ["Elections", 3], "origin": ""}', "'labels' must be a list"),
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


def test_a_stored_training_document_with_an_id_of_1000_characters_is_read(tmp_path):
    bundle = copy_bundle(tmp_path)
    good = gzip.decompress((bundle / "training.jsonl.gz").read_bytes())
    line = '{"id": "' + "a" * 1000 + '", "title": "", "text": "x", "labels": [], "origin": "o"}\n'
    (bundle / "training.jsonl.gz").write_bytes(gzip.compress(good + line.encode()))
    reseal(bundle)
    assert read_base_documents(bundle)[0][-1].id == "a" * 1000


def test_stored_training_documents_are_the_same_bytes_whenever_written_and_carry_no_bundle_note(monkeypatch):
    """A bundle rebuilt from the same data is byte-identical: its gzipped documents hold no time (the gzip header's
    modification time, bytes 4-7, is zero) and are compressed at the highest level (byte 8, XFL, is 2); a document
    read from a base bundle is stored under its own origin, without the "(in BUNDLE)" note that reading added."""
    import time

    from classifier.bundle.documents import training_documents_file
    from classifier.corpus.documents import Document

    docs = [Document(id="1", title="T", text="Observers watched the vote.", origin="data.jsonl:3 (in models/base)")]
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    first, digest = training_documents_file(docs, [["Elections"]])
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)
    assert training_documents_file(docs, [["Elections"]]) == (first, digest)
    assert first[4:8] == b"\0\0\0\0" and first[8] == 2
    raw = gzip.decompress(first)
    assert json.loads(raw)["origin"] == "data.jsonl:3" and digest == hashlib.sha256(raw).hexdigest()


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


# The checks one by one, on small files made here: each refusal's message in full, and the values at each bound


def least_metadata(**changes):
    """The least model.json the checks accept, with `changes`."""
    return {"labels": ["A", "B"], "versions": {"scikit-learn": "1.6.1"}, "params": {}, "payload_sha256": {}, **changes}


def refusal(call, *args):
    with pytest.raises(checks.BundleCheckError) as info:
        call(*args)
    return str(info.value)


WHERE = "b/model.json"


@pytest.mark.parametrize("key", ["labels", "versions", "params", "payload_sha256"])
def test_model_json_without_a_required_key_is_refused_by_name(key):
    metadata = least_metadata()
    del metadata[key]
    assert refusal(checks.check_metadata, metadata, WHERE) == f"{WHERE}: no '{key}'"


# Per parameter: values at and inside its bounds, values just past them, and the words of its message.
PARAMETER_BOUNDS = {
    "ngram_range": (
        [[1, 1], [1, 4], [4, 4]],
        [[0, 1], [1, 5], [2, 1], [1], [1, 2, 3], [1.0, 2], [True, 2], "1,2"],
        "two whole numbers from 1 to 4, the first not above the second",
    ),
    "char_ngram_range": (
        [[1, 10], [10, 10]],
        [[0, 3], [1, 11]],
        "two whole numbers from 1 to 10, the first not above the second",
    ),
    "stop_words": (
        [None, "english", [], ["a"] * 100_000],
        ["klingon", [1], ["a"] * 100_001],
        '"english", null or a list of words',
    ),
    "min_df": (
        [1, 10**9, 1.0, 1e-9],
        [0, 10**9 + 1, 0.0, 1.0001, True, -1, "1"],
        "a whole number of documents, or a share in (0, 1]",
    ),
    "max_df": ([1, 0.5], [0.0, 2.0], "a whole number of documents, or a share in (0, 1]"),
    "title_weight": (
        [0, 0.0, 100, 100.0],
        [-0.1, 100.1, float("nan"), float("inf"), True, "1"],
        "a number from 0 to 100",
    ),
    "char_weight": ([0.0, 100], [-1e-9, 101], "a number from 0 to 100"),
    "C": ([1e-9, 1e6], [0, 0.0, 1e6 + 1, -1], "a number above 0, at most 1,000,000"),
    "class_weight": ([None, "balanced"], ["Balanced", 1], '"balanced" or null'),
    "tol": ([1e-9, 1e3], [0.0, 1000.5], "a number above 0, at most 1,000"),
    "cv": ([2, 100], [1, 101, True, 2.0], "a whole number from 2 to 100"),
    "ensure_one": ([True, False], [1, None], "true or false"),
    "top_ratio": ([0, 1], [-0.01, 1.01], "a number from 0 to 1"),
    "phrase_accept": ([0, 1000], [-1, 1001, True, 1.0], "a whole number from 0 to 1000 (0: off)"),
    "lead_phrase_accept": ([0, 1000], [-1, 1001], "a whole number from 0 to 1000 (0: off)"),
    "window_phrase_accept": ([0, 1000], [-1, 1001], "a whole number from 0 to 1000 (0: off)"),
    "label_keywords": (
        [None, [], ["x" * 1_000_000]],
        ["x", [1], ["x" * 1_000_001], ["x"] * 1001],
        "null or one text per field",
    ),
    "label_phrases": (
        [None, [], [[[], []]], [[["a"] * 10_000, ["x" * 1000]]]],
        [
            [[["a"]]],
            [[["a"], "b"]],
            [[["a"], ["b"], []]],
            [[[1], []]],
            [[["x" * 1001], []]],
            [[["a"] * 10_001, []]],
            [[[], []]] * 1001,
            "x",
        ],
        "null or one [names, keywords] pair of phrase lists per field",
    ),
    "min_examples": ([0, 10**9], [-1, 10**9 + 1], "a whole number, 0 or more"),
    "keyword_examples": (["all", "rare", "none"], ["some", None], '"all", "rare" or "none"'),
    "random_state": ([None, 0, 2**32 - 1], [-1, 2**32, 1.0], "null or a whole number from 0 to 2**32 - 1"),
    "n_jobs": ([None, -1000, 1000], [-1001, 1001, 1.5], "null or a whole number"),
}


@pytest.mark.parametrize("key", sorted(PARAMETER_BOUNDS))
def test_each_parameter_is_checked_at_its_bounds(key):
    accepted, refused, expected = PARAMETER_BOUNDS[key]
    for value in accepted:
        checks.check_metadata(least_metadata(params={key: value}), WHERE)
    for value in refused:
        message = refusal(checks.check_metadata, least_metadata(params={key: value}), WHERE)
        assert message.startswith(f"{WHERE}: parameter '{key}' must be {expected}, not "), (value, message)


def test_range_number_and_object_checks_hold_at_their_bounds():
    """The checks PARAMETERS and METADATA build once, at import, built here again."""
    pair = checks._range(2, 5)
    pairs = ([2, 5], [2, 2], [5, 5], [1, 5], [2, 6], [3, 2], [2], [2, 3, 4], [2.0, 3], [True, 3], (2, 3))
    assert [pair(value) for value in pairs] == [True] * 3 + [False] * 8
    closed, above = checks._number(1.0, 2.0), checks._number(1.0, 2.0, above_low=True)
    numbers = (1.0, 1, 2.0, 1.5, 0.99, 2.01, float("nan"), float("-inf"), True, "1.5")
    assert [closed(value) for value in numbers] == [True] * 4 + [False] * 6
    assert [above(value) for value in numbers] == [False, False, True, True] + [False] * 6
    ones = checks._dict_of(lambda value: value == 1)
    assert ones({}) and ones({"a": 1, "b": 1}) and ones({str(i): 1 for i in range(100_000)})
    assert not any(ones(value) for value in ({"a": 2}, {1: 1}, [("a", 1)], {str(i): 1 for i in range(100_001)}))


# Per key of model.json: values it takes, values it refuses, and the words of its message.
METADATA_BOUNDS = {
    "labels": (
        [["A"], ["x" * 1000, "B"], [str(i) for i in range(1000)]],
        [[], ["A", "A"], [""], ["x" * 1001], [str(i) for i in range(1001)], "A", [1]],
        "a list of 1 to 1,000 distinct field names",
    ),
    "versions": (
        [{"scikit-learn": "x" * 100}, {"scikit-learn": "1", **{str(i): "1" for i in range(99_999)}}],
        [{"scikit-learn": "x" * 101}, {"scikit-learn": 1}, [], {str(i): "1" for i in range(100_001)}],
        "an object of version strings",
    ),
    "params": ([{}], [[], None], "an object of parameters"),
    "payload_sha256": (
        [{"model.npz": "0" * 64}],
        [{"model.npz": "0" * 63}, {"model.npz": "0" * 65}, {"model.npz": None}, "abc"],
        "an object of sha256 hex digests",
    ),
    "zero_shot_fields": ([[], ["A"]], [[1], "A"], "a list of field names"),
    "low_confidence_fields": ([["B"]], [[None]], "a list of field names"),
    "label_counts": ([{"A": 0, "B": 7}], [{"A": -1}, {"A": 1.0}, {"A": True}, []], "an object of counts"),
    "thresholds": ([{"A": 0.5, "B": 1}], [{"A": float("nan")}, {"A": "0.5"}, {"A": None}], "an object of numbers"),
    "training_data": ([{}], [[]], "an object"),
    "cv_metrics": ([{"f1": 0.5}], ["good"], "an object"),
    "probe": (
        [{"texts": ["a"], "proba": [[0.5, 0.25]]}],
        [{"texts": ["a"]}, []],
        "an object of texts and one row of probabilities per text",
    ),
}


@pytest.mark.parametrize("key", sorted(METADATA_BOUNDS))
def test_each_key_of_model_json_is_checked(key):
    accepted, refused, expected = METADATA_BOUNDS[key]
    for value in accepted:
        checks.check_metadata(least_metadata(**{key: value}), WHERE)
    for value in refused:
        message = refusal(checks.check_metadata, least_metadata(**{key: value}), WHERE)
        assert message.startswith(f"{WHERE}: '{key}' must be {expected}, not "), (value, message)


def test_model_json_messages_show_the_value_cut_to_sixty_characters():
    message = refusal(checks.check_metadata, least_metadata(labels="é" * 60), WHERE)
    assert message == f"{WHERE}: 'labels' must be a list of 1 to 1,000 distinct field names, not \"{'é' * 56}..."
    message = refusal(checks.check_metadata, least_metadata(labels="é" * 59), WHERE)  # 61 characters: cut
    assert message.endswith(f', not "{"é" * 56}...')
    message = refusal(checks.check_metadata, least_metadata(labels=["A"] * 12), WHERE)  # 60 characters: shown whole
    assert message.endswith(f", not {json.dumps(['A'] * 12)}") and len(json.dumps(["A"] * 12)) == 60
    message = refusal(checks.check_metadata, least_metadata(params={"C": 1e300}), WHERE)
    assert message == f"{WHERE}: parameter 'C' must be a number above 0, at most 1,000,000, not 1e+300"
    assert refusal(checks.check_metadata, least_metadata(params={"cv": "2"}), WHERE).endswith(', not "2"')
    versions = {"numpy": "2.0"}
    assert refusal(checks.check_metadata, least_metadata(versions=versions), WHERE) == (
        f"{WHERE}: 'versions' has no 'scikit-learn' version string"
    )
    long = "p" * 100
    assert refusal(checks.check_metadata, least_metadata(params={long: 1}), WHERE) == (
        f"{WHERE}: 'params' holds an unknown parameter '{'p' * 80}'"
    )
    # The first key that fails is named, in the order of the schema.
    assert "'labels'" in refusal(checks.check_metadata, least_metadata(labels=[], thresholds=[]), WHERE)


def test_json_of_a_bundle_is_bounded_and_its_errors_name_the_file():
    where = "b/x.json"
    assert checks.load_json(b'{"n": -' + b"9" * 20 + b', "m": ' + b"9" * 20 + b"}", where) == {
        "n": -int("9" * 20),
        "m": int("9" * 20),
    }
    assert refusal(checks.load_json, b"[" + b"1" * 21 + b"]", where) == f"{where}: unreadable (an integer of 21 digits)"
    # The sign is no digit (it was counted as one).
    assert refusal(checks.load_json, b"-" + b"1" * 21, where) == f"{where}: unreadable (an integer of 21 digits)"
    assert refusal(checks.load_json, b"[" * 100_000, where) == f"{where}: unreadable (nested too deeply)"
    assert refusal(checks.load_json, b'"\xff"', where) == f"{where}: unreadable (not UTF-8: invalid start byte)"
    assert refusal(checks.load_json, b"{\n", where) == (
        f"{where}: unreadable (Expecting property name enclosed in double quotes: line 2 column 1 (char 2))"
    )


def test_bundle_files_are_refused_with_the_reason_in_one_line(tmp_path):
    (tmp_path / "plain").write_bytes(b"12345")
    assert checks.read_bundle_bytes(tmp_path, "plain", 5) == b"12345"
    assert refusal(checks.read_bundle_bytes, tmp_path, "plain", 4) == (
        f"{tmp_path / 'plain'}: 5 bytes, more than the 4 a bundle's plain may have"
    )
    (tmp_path / "big").write_bytes(bytes(1234))
    assert refusal(checks.open_bundle_file, tmp_path, "big", 1000) == (
        f"{tmp_path / 'big'}: 1,234 bytes, more than the 1,000 a bundle's big may have"
    )
    with pytest.raises(FileNotFoundError) as missing:
        checks.open_bundle_file(tmp_path, "absent", 10)
    assert str(missing.value) == str(tmp_path / "absent")
    assert refusal(checks.open_bundle_file, tmp_path, "plain/inside", 10) == (
        f"{tmp_path / 'plain' / 'inside'}: cannot read: Not a directory"
    )
    (tmp_path / "folder").mkdir()
    assert refusal(checks.open_bundle_file, tmp_path, "folder", 10) == (
        f"{tmp_path / 'folder'}: not a regular file (a FIFO, device or directory); a bundle holds plain files"
    )
    (tmp_path / "loop").symlink_to("loop")  # inside the bundle, but it leads nowhere
    assert refusal(checks.open_bundle_file, tmp_path, "loop", 10) == (
        f"{tmp_path / 'loop'}: cannot read: Too many levels of symbolic links"
    )
    (tmp_path / "out").symlink_to("../elsewhere")
    assert refusal(checks.open_bundle_file, tmp_path, "out", 10) == (
        f"{tmp_path / 'out'}: a symlink leaving the bundle (to ../elsewhere); a bundle holds its own files"
    )
    (tmp_path / "link").symlink_to("plain")
    with checks.open_bundle_file(tmp_path, "link", 5) as handle:
        assert handle.read() == b"12345"


class _Grown(io.BytesIO):
    """A file that grew after its size was checked, noting how much each read asks for."""

    def __init__(self, size: int):
        super().__init__(b"x" * size)
        self.asked: list[int] = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)


def test_a_bundle_file_that_grew_after_its_check_is_refused(tmp_path, monkeypatch):
    grown = _Grown(10**6)
    monkeypatch.setattr(checks, "open_bundle_file", lambda bundle, name, max_bytes: grown)
    assert refusal(checks.read_bundle_bytes, tmp_path, "model.json", 1000) == (
        f"{tmp_path / 'model.json'}: more than the 1,000 bytes a bundle's model.json may have"
    )
    assert grown.asked == [1001]  # one byte past the limit tells, however large the file grew
    monkeypatch.setattr(checks, "open_bundle_file", lambda bundle, name, max_bytes: io.BytesIO(b"x" * 1000))
    assert checks.read_bundle_bytes(tmp_path, "model.json", 1000) == b"x" * 1000


def npz(path, members: dict, version=None):
    """A .npz of `members` (name: array, or raw bytes of a member), .npy headers of the given version."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in members.items():
            with archive.open(f"{name}.npy", "w") as member:
                if isinstance(array, bytes):
                    member.write(array)
                else:
                    np.lib.format.write_array(member, array, version=version)
    return path


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_arrays_are_read_as_declared_in_either_order_and_header_version(tmp_path, version):
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    npz(tmp_path / "m.npz", {"w": np.asfortranarray(weights), "b": np.array([True, False]), "extra": weights}, version)
    arrays = checks.read_arrays(
        tmp_path, "m.npz", {"w": ((2, 3), "f"), "b": ((2,), "b"), "gone": ((1,), "f")}, optional={"gone"}
    )
    assert sorted(arrays) == ["b", "w"] and arrays["w"].tolist() == weights.tolist()
    assert arrays["w"].dtype == np.float32 and arrays["b"].tolist() == [True, False]


def test_arrays_are_refused_with_the_member_named(tmp_path):
    where = f"{tmp_path / 'm.npz'}: array 'w'"
    shape = {"w": ((2,), "f")}

    def refused(members, expected=shape):
        npz(tmp_path / "m.npz", members)
        return refusal(checks.read_arrays, tmp_path, "m.npz", expected, set())

    assert refused({"v": np.zeros(2)}) == f"{tmp_path / 'm.npz'}: no array 'w'"
    assert refused({"w": np.zeros(2, np.float16)}) == f"{where}: stored as float16, expected float32 or float64"
    assert refused({"w": np.zeros(2, np.int64)}) == f"{where}: stored as int64, expected float32 or float64"
    assert refused({"w": np.zeros(2)}, {"w": ((2,), "b")}) == f"{where}: stored as float64, expected bool"
    assert refused({"w": np.zeros(2, np.int8)}, {"w": ((2,), "b")}) == f"{where}: stored as int8, expected bool"
    assert refused({"w": np.zeros(3)}) == f"{where}: shape (3,), but model.json and vocabulary.json give (2,)"
    assert refused({"w": np.zeros((2, 1))}) == f"{where}: shape (2, 1), but model.json and vocabulary.json give (2,)"
    assert refused({"w": np.array([1.0, -np.inf])}) == f"{where}: holds NaN or infinite values"
    assert refused({"w": np.array([np.nan, 1.0], np.float32)}) == f"{where}: holds NaN or infinite values"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2,)})
    assert refused({"w": header.getvalue() + bytes(12)}) == f"{where}: cut short (12 of 16 bytes)"
    assert refused({"w": b"\x93NUMPY\x03\x00"}) == f"{where}: unreadable (ValueError: unknown .npy version (3, 0))"
    assert refused({"w": b"\x93NUMPY"}).startswith(f"{where}: unreadable (")
    assert refused({"w": b""}) == f"{where}: unreadable (ValueError: EOF: reading magic string, expected 8 bytes got 0)"
    assert refused({"w": bytes(16 + 4096 + 1)}) == f"{where}: 4,113 bytes uncompressed, more than its shape (2,) needs"
    npz(tmp_path / "m.npz", {"w": bytes(16 + 4096)})  # the most a member of two numbers may hold: read
    assert refusal(checks.read_arrays, tmp_path, "m.npz", shape, set()).startswith(f"{where}: unreadable (ValueError")
    (tmp_path / "m.npz").write_bytes(b"not a zip")
    assert refusal(checks.read_arrays, tmp_path, "m.npz", shape, set()) == (
        f"{tmp_path / 'm.npz'}: not a readable .npz (File is not a zip file)"
    )


@pytest.mark.parametrize("version", [1, 2])
def test_an_npy_header_longer_than_4096_bytes_is_refused(tmp_path, version):
    """numpy's own limit is 10,000 bytes; a member's header is read before its size is known to fit."""

    def member(header_bytes):
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }".ljust(header_bytes - 1) + "\n"
        length = len(header).to_bytes(2 if version == 1 else 4, "little")
        return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + np.ones(1000, "<f4").tobytes()

    npz(tmp_path / "m.npz", {"w": member(4096)})
    assert checks.read_arrays(tmp_path, "m.npz", {"w": ((1000,), "f")}, set())["w"].sum() == 1000
    npz(tmp_path / "m.npz", {"w": member(4097)})
    message = refusal(checks.read_arrays, tmp_path, "m.npz", {"w": ((1000,), "f")}, set())
    assert message.startswith(f"{tmp_path / 'm.npz'}: array 'w': unreadable (ValueError: Header info length (4097)")
    assert "\n" not in message


def test_bytes_past_an_arrays_data_are_never_read(tmp_path):
    data = io.BytesIO()
    np.lib.format.write_array(data, np.array([1.5, 2.5], np.float32))
    npz(tmp_path / "m.npz", {"w": data.getvalue() + b"trailing"})
    assert checks.read_arrays(tmp_path, "m.npz", {"w": ((2,), "f")}, set())["w"].tolist() == [1.5, 2.5]


def test_a_failure_without_a_message_is_still_one_line_naming_the_array(tmp_path, monkeypatch):
    def fail(member):
        raise EOFError

    npz(tmp_path / "m.npz", {"w": np.zeros(2)})
    monkeypatch.setattr(np.lib.format, "read_magic", fail)
    assert refusal(checks.read_arrays, tmp_path, "m.npz", {"w": ((2,), "f")}, set()) == (
        f"{tmp_path / 'm.npz'}: array 'w': unreadable (EOFError: )"
    )


def test_arrays_too_large_together_are_refused_before_the_file_is_opened(tmp_path):
    fits = {"a": ((checks.MAX_ARRAY_BYTES // 16,), "f"), "b": ((checks.MAX_ARRAY_BYTES // 16,), "f")}
    npz(tmp_path / "m.npz", {"a": np.zeros(0)})
    assert "shape (0,)" in refusal(checks.read_arrays, tmp_path, "m.npz", fits, set())  # within the limit: read
    fits["b"] = ((checks.MAX_ARRAY_BYTES // 16 + 1,), "f")
    total = checks.MAX_ARRAY_BYTES + 8
    assert refusal(checks.read_arrays, tmp_path, "absent.npz", fits, set()) == (
        f"{tmp_path}: its arrays would take {total:,} bytes, more than the limit of {checks.MAX_ARRAY_BYTES:,}"
    )


def test_training_documents_are_read_up_to_the_limit_uncompressed(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "MAX_TRAINING_BYTES", 60)
    (tmp_path / "t.jsonl.gz").write_bytes(gzip.compress(b'{"id": "x"}\n' * 5))  # 60 bytes
    assert [line.value for line in checks.read_gzip_lines(tmp_path, "t.jsonl.gz")] == [{"id": "x"}] * 5
    (tmp_path / "t.jsonl.gz").write_bytes(gzip.compress(b'{"id": "x"}\n' * 5 + b"\n"))
    with pytest.raises(checks.BundleCheckError) as info:
        list(checks.read_gzip_lines(tmp_path, "t.jsonl.gz"))
    assert str(info.value) == (
        f"{tmp_path / 't.jsonl.gz'}: more than 60 bytes uncompressed, the limit for a bundle's training documents"
    )
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "10")  # a longer line is read in pieces, its strings cut
    (tmp_path / "t.jsonl.gz").write_bytes(gzip.compress(b'{"text": "' + b"x" * 30 + b'"}\n'))
    [line] = checks.read_gzip_lines(tmp_path, "t.jsonl.gz")
    assert line.value == {"text": "x" * 10} and line.truncated


def test_a_bundle_file_is_read_in_pieces_never_asking_for_its_whole_bound_at_once(tmp_path, monkeypatch):
    """Reading a 16 KB file under a 256 MiB bound asked for 256 MiB at once: a process under a memory limit
    (`ulimit -v`) failed with MemoryError on the smallest bundle file."""
    small = _Grown(16_000)
    monkeypatch.setattr(checks, "open_bundle_file", lambda bundle, name, max_bytes: small)
    assert checks.read_bundle_bytes(tmp_path, "training.jsonl.gz", 256 * 2**20) == b"x" * 16_000
    assert max(small.asked) <= 2**20
    grown = _Grown(3 * 2**20)  # grew past a bound of two pieces and a half: found, reading one byte past it
    monkeypatch.setattr(checks, "open_bundle_file", lambda bundle, name, max_bytes: grown)
    bound = 5 * 2**19
    assert refusal(checks.read_bundle_bytes, tmp_path, "x", bound) == (
        f"{tmp_path / 'x'}: more than the {bound:,} bytes a bundle's x may have"
    )
    assert grown.asked == [2**20, 2**20, 2**19 + 1]
    # A file of more than one piece is read whole, its pieces joined; one that grew past a bound of exactly one piece
    # is found by the byte read past it.
    monkeypatch.setattr(checks, "open_bundle_file", lambda bundle, name, max_bytes: io.BytesIO(b"x" * (2**20 + 10)))
    assert checks.read_bundle_bytes(tmp_path, "x", 2**21) == b"x" * (2**20 + 10)
    grown = _Grown(2**20 + 10)
    monkeypatch.setattr(checks, "open_bundle_file", lambda bundle, name, max_bytes: grown)
    assert refusal(checks.read_bundle_bytes, tmp_path, "x", 2**20).startswith(f"{tmp_path / 'x'}: more than the")
    assert grown.asked == [2**20, 1]
