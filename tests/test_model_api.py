"""The Python API of a loaded model: many texts at once, DataFrames, and what a notebook shows."""

import json

import numpy as np
import pytest

from classifier.bundle.storage import load_model

from conftest import ROOT

PAGE = (ROOT / "examples" / "trafficking-training-serbia.txt").read_text(encoding="utf-8")
KYRGYZSTAN_PAGE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
TEXTS = [PAGE, "Observers from ODIHR followed the parliamentary elections and the counting of votes.", ""]


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_suggest_many_gives_what_suggest_gives_one_by_one(model):
    many = model.suggest_many(TEXTS)
    assert [s.labels for s in many] == [model.suggest(text).labels for text in TEXTS]
    for s, text in zip(many, TEXTS):
        assert [label for label, _ in s.scores] == [label for label, _ in model.suggest(text).scores]
        np.testing.assert_allclose([v for _, v in s.scores], [v for _, v in model.suggest(text).scores])
    assert many[0].labels[0] == "Combating trafficking in human beings" and many[1].labels[0] == "Elections"
    assert model.suggest_many([]) == []
    with pytest.raises(TypeError):
        model.suggest_many("one text, not a list")


def test_tag_frame_has_the_labels_and_one_score_column_per_field_on_the_same_index(model):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"heading": ["Vote", None], "body": [TEXTS[1], PAGE]}, index=["a", "b"])
    tagged = model.tag_frame(frame, text="body", title="heading")
    assert list(tagged.index) == ["a", "b"]
    assert list(tagged.columns) == ["labels", "flag", "error"] + [f"score: {label}" for label in model.labels]
    assert tagged["flag"].tolist() == ["", ""] and tagged["error"].tolist() == ["", ""]
    # The heading is the title of a plain text; a page without one keeps its own, and its menus never count.
    expected = model.predict_proba(["Vote\n" + TEXTS[1], PAGE])
    np.testing.assert_allclose(tagged.drop(columns=["labels", "flag", "error"]).to_numpy(dtype=float), expected)
    accepted = model.accept(expected)
    for row, labels in zip(range(2), tagged["labels"]):
        assert set(labels) == {model.labels[j] for j in np.flatnonzero(accepted[row])}
        assert [expected[row][model.labels.index(label)] for label in labels] == sorted(
            (expected[row][model.labels.index(label)] for label in labels), reverse=True
        )
    with pytest.raises(KeyError, match="no column 'text'"):
        model.tag_frame(frame)
    assert model.tag_frame(frame.iloc[:0], text="body").shape == (0, 3 + len(model.labels))


def test_tag_frame_reads_each_row_as_tag_reads_a_table_row(model, tmp_path):
    """A page with a title column: its menus never reach the model, and the row gets what `classifier tag` gives
    the same row of a JSONL table, failures included (a number, an empty cell, nothing but a title)."""
    pd = pytest.importorskip("pandas")
    from classifier.workflows.tagging import tag

    page = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
    rows = [
        {"id": "page", "headline": "Kyrgyz parliamentary elections", "body": page},
        {"id": "number", "headline": "Vote", "body": 5},
        {"id": "empty", "headline": None, "body": ""},
        {"id": "title only", "headline": "Observers watch the vote count in Bishkek", "body": None},
    ]
    table = tmp_path / "rows.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    from classifier.corpus.documents import Columns

    out = tmp_path / "tagged.jsonl"
    tag(model, [table], out, columns=Columns(text="body", title="headline"), jobs=1)
    tagged_rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    frame = model.tag_frame(pd.DataFrame(rows).set_index("id"), text="body", title="headline")
    assert frame["labels"].tolist() == [row["labels"] for row in tagged_rows]
    assert frame["flag"].tolist() == [row["flag"] for row in tagged_rows]
    assert [bool(error) for error in frame["error"]] == [bool(row["error"]) for row in tagged_rows]
    assert frame["labels"].tolist()[0] == ["Elections"]  # no menu entry ("Migration", "Youth") reached the model
    assert frame["error"].tolist()[1:3] == [
        "row number: column 'body' holds a number, not text",
        "row empty: no text in column 'body'",
    ]
    for (_, scores), row in zip(frame.drop(columns=["labels", "flag", "error"]).iterrows(), tagged_rows):
        if row["error"]:
            assert scores.isna().all()
        else:
            assert scores.to_dict() == pytest.approx({f"score: {k}": v for k, v in row["scores"].items()}, abs=5e-5)


def test_a_notebook_shows_the_model_and_its_suggestions(model):
    assert repr(model).startswith(f"<Model from {model.path}: 23 fields, trained on ")
    html = model._repr_html_()
    assert html.count("<tr><td>") == len(model.labels) and "Youth" in html
    suggestion = model.suggest(PAGE, explain=True)
    assert repr(suggestion).startswith(
        "<Suggestion 'Prosecutors and police in Serbia"
    ) and "accepted ['Combating" in repr(suggestion)
    shown = suggestion._repr_html_()
    assert "&#10003;" in shown and "trafficking" in shown


def test_a_frame_row_out_of_scope_gets_no_field_and_its_flag(model):
    pd = pytest.importorskip("pandas")
    recipe = (
        "Mix 500 g of strong flour with salt and dried yeast, pour in warm water and knead the dough for ten "
        "minutes. Leave it to rise for an hour, shape a loaf and bake it until the crust is golden."
    )
    tagged = model.tag_frame(pd.DataFrame({"text": [recipe, TEXTS[1]]}))
    assert tagged["flag"].tolist() == ["out-of-scope", ""]
    assert tagged["labels"].tolist()[0] == [] and tagged["labels"].tolist()[1]
    many = model.suggest_many([recipe, TEXTS[1]])
    assert [s.flag for s in many] == ["out-of-scope", None] and "(out-of-scope)" in repr(many[0])


def test_cutoffs_by_hand():
    from classifier.bundle.model import apply_cutoffs

    proba = np.array([[0.2, 0.9, 0.5, 0.5], [0.1, 0.1, 0.1, 0.0]])
    accepted = np.array([[0, 1, 1, 0], [1, 0, 0, 0]])
    assert apply_cutoffs(proba, accepted).tolist() == accepted.tolist()
    # A threshold replaces the model's choice: every field at or above it, the model's own choice ignored.
    assert apply_cutoffs(proba, accepted, threshold=0.5).tolist() == [[0, 1, 1, 1], [0, 0, 0, 0]]
    assert apply_cutoffs(proba, accepted, threshold=0.0).tolist() == [[1, 1, 1, 1], [1, 1, 1, 1]]
    # A limit keeps the best of what is accepted; a tie goes to the field first in taxonomy order.
    assert apply_cutoffs(proba, accepted, limit=1).tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]
    assert apply_cutoffs(proba, accepted, limit=2, threshold=0.1).tolist() == [[0, 1, 1, 0], [1, 1, 0, 0]]
    assert apply_cutoffs(proba, accepted, limit=0).tolist() == [[0, 0, 0, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize(
    "cutoffs",
    [
        {"limit": -1},
        {"limit": 1.5},
        {"limit": True},
        {"limit": "1"},
        {"threshold": 1.5},
        {"threshold": float("nan")},
        {"threshold": "0.05"},  # a string, as `limit="1"` is: refused alike
        {"threshold": True},
    ],
)
def test_cutoffs_out_of_range_are_a_usage_error_before_any_scoring(model, cutoffs):
    from classifier.errors import UsageError

    with pytest.raises(UsageError, match=f"^{next(iter(cutoffs))} "):
        model.suggest_many(TEXTS, **cutoffs)


def test_threshold_and_limit_choose_the_accepted_fields_of_every_suggestion(model):
    default = model.suggest(PAGE)
    cut = model.suggest(PAGE, threshold=0.05)
    # The ranking is the model's either way; only which fields are accepted changes.
    assert cut.scores == default.scores
    assert cut.labels == [label for label, score in default.scores if score >= 0.05]
    assert len(cut.labels) >= 2 and len(default.labels) == 1  # the page's second field is below its own threshold
    assert model.suggest(PAGE, threshold=0.05, limit=1).labels == default.labels[:1]
    assert [s.labels for s in model.suggest_many(TEXTS, threshold=0.05)] == [
        model.suggest(text, threshold=0.05).labels for text in TEXTS
    ]
    # A text the model abstains on accepts nothing, whatever the threshold.
    recipe = "Mix flour with salt and yeast, knead the dough for ten minutes, leave it to rise and bake the loaf."
    assert model.suggest(recipe, threshold=0.0).labels == []


def test_fingerprint_names_the_bundle_as_saved_its_settings_included(model, tmp_path):
    import hashlib
    import shutil

    from classifier.errors import ClassifierError
    from classifier.workflows.tagging import tag

    copy = tmp_path / "copy"
    shutil.copytree(model.path, copy)
    stored = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    expected = hashlib.sha256(json.dumps(stored, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    assert load_model(copy).fingerprint == model.fingerprint == expected  # where it lies does not name it
    # A setting edited in model.json (no checksum can cover the file that holds the checksums) changes what the
    # model accepts, and so its name: outputs never mix two models under one name.
    stored["params"]["top_ratio"] = 0.95
    (copy / "model.json").write_text(json.dumps(stored, indent=2), encoding="utf-8")
    edited = load_model(copy)
    assert edited.fingerprint != model.fingerprint
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(TEXTS[:2])))
    out = tmp_path / "tags.jsonl"
    tag(edited, [texts], out, jobs=1)
    with pytest.raises(ClassifierError, match="cannot resume: it was written by a run with another model"):
        tag(model, [texts], out, jobs=1, resume=True)


BORDER_TRAINING = (
    "The Ministry of Interior and the OSCE Programme Office trained 40 border guards on detecting forged travel "
    "documents and identifying victims of trafficking at crossing points along the northern frontier."
)


def test_explain_shows_the_taxonomy_phrases_a_field_was_named_by(model, taxonomy):
    suggestion = model.suggest(BORDER_TRAINING, explain=True)
    # Migration has few examples, so its score stays low; "travel documents", one of its keywords in
    # taxonomy.yaml, in the lead is what accepts it, and what the suggestion shows for it.
    migration = taxonomy.field("Migration")
    assert "travel documents" in migration.keywords
    score = dict(suggestion.scores)["Migration"]
    assert "Migration" in suggestion.labels and score < model.thresholds[model.labels.index("Migration")]
    assert suggestion.named["Migration"] == ["travel documents"]
    # Every phrase shown is one of its field's taxonomy phrases, found in the text; only accepted fields have any.
    for label, phrases in suggestion.named.items():
        field = taxonomy.field(label)
        assert label in suggestion.labels
        assert all(p in [field.name, *field.aliases, *field.subtopics, *field.keywords] for p in phrases)
        assert all(p.lower() in BORDER_TRAINING.lower() for p in phrases)
    entries = {entry["label"]: entry for entry in suggestion.to_dict()["suggestions"]}
    assert entries["Migration"]["named"] == ["travel documents"]
    assert all("named" not in entry for label, entry in entries.items() if label not in suggestion.labels)
    assert "      named in the text: travel documents\n" in suggestion.to_text("page")
    assert "named: travel documents" in suggestion._repr_html_()
    assert model.suggest(BORDER_TRAINING).named is None  # without explain: no evidence of any kind


def test_one_text_where_a_list_is_wanted_and_items_that_are_not_text_are_refused_by_name(model):
    for call in (model.predict_proba, model.read, model.suggest_many, model.read_pages):
        with pytest.raises(TypeError, match="expected a list of texts, not one text"):
            call(TEXTS[1])  # read character by character, it gave one row per character
    for bad, kind in ((None, "NoneType"), (b"elections", "bytes"), (5, "int"), (float("nan"), "float")):
        with pytest.raises(TypeError, match=f"texts\\[1\\] is {kind}, not text"):
            model.suggest_many([TEXTS[1], bad])
    assert len(model.suggest_many(np.array([TEXTS[1], TEXTS[0]]))) == 2  # numpy's strings are text
    with pytest.raises(TypeError, match="suggest_stream takes documents"):
        list(model.suggest_stream([TEXTS[1]]))
    with pytest.raises(ValueError, match="batch_size must be a whole number of documents, at least 1"):
        list(model.suggest_stream([], batch_size=0))  # it used to give nothing, silently


def test_a_path_where_a_loaded_model_is_wanted_is_a_clear_type_error(model, tmp_path):
    pd = pytest.importorskip("pandas")
    from classifier.evaluation.metrics import evaluate_model
    from classifier.workflows.tagging import tag

    with pytest.raises(TypeError, match=r"expected a loaded Model \(classifier.load_model\(PATH\)\), not str"):
        tag("models/default", [KYRGYZSTAN_PAGE], tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(TypeError, match="expected a loaded Model"):
        evaluate_model("models/default", ROOT / "examples" / "retraining" / "held_out.jsonl")
    with pytest.raises(TypeError, match="tag_frame takes a DataFrame, not Series"):
        model.tag_frame(pd.Series([TEXTS[1]]))
    # A taxonomy named by its path loads, as the command line's --taxonomy does.
    assert load_model(taxonomy=ROOT / "taxonomy.yaml").labels == model.labels
    assert load_model(taxonomy=str(ROOT / "taxonomy.yaml")).fingerprint == model.fingerprint
