"""The Python API of a loaded model: many texts at once, DataFrames, and what a notebook shows."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from classifier.bundle.storage import load_model
from classifier.corpus.documents import read_documents
from classifier.corpus.release import parse_release

from conftest import ROOT

PAGE = (ROOT / "examples" / "trafficking-training-serbia.txt").read_text(encoding="utf-8")
KYRGYZSTAN_PAGE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
TEXTS = [PAGE, "Observers from ODIHR followed the parliamentary elections and the counting of votes.", ""]

# Run from the copy mutmut makes (mutants/), whose functions are each called through a wrapper.
UNDER_MUTATION = "mutants" in Path(__file__).resolve().parts


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
    assert list(tagged.columns) == ["labels", "flag", "error", "warning", "model"] + [
        f"score: {label}" for label in model.labels
    ]
    assert tagged["model"].tolist() == [model.fingerprint] * 2  # the model named, as tag's rows name it
    assert tagged["flag"].tolist() == ["", ""] and tagged["error"].tolist() == ["", ""] == tagged["warning"].tolist()
    # The heading is the title of a plain text; a page without one keeps its own, and its menus never count.
    expected = model.predict_proba(["Vote\n" + TEXTS[1], PAGE])
    np.testing.assert_allclose(
        tagged.drop(columns=["labels", "flag", "error", "warning", "model"]).to_numpy(dtype=float), expected
    )
    accepted = model.accept(expected)
    for row, labels in zip(range(2), tagged["labels"]):
        assert set(labels) == {model.labels[j] for j in np.flatnonzero(accepted[row])}
        assert [expected[row][model.labels.index(label)] for label in labels] == sorted(
            (expected[row][model.labels.index(label)] for label in labels), reverse=True
        )
    with pytest.raises(KeyError, match="no column 'text'"):
        model.tag_frame(frame)
    twice = pd.DataFrame([[TEXTS[1], PAGE, "Vote"]], columns=["body", "body", "heading"])
    with pytest.raises(ValueError) as caught:
        model.tag_frame(twice, text="body")
    assert str(caught.value) == "column 'body' is in the frame 2 times: keep one"
    with pytest.raises(ValueError, match="^column 'heading' is in the frame 3 times: keep one$"):
        model.tag_frame(
            pd.DataFrame([["a", "b", "c", "d"]], columns=["text", "heading", "heading", "heading"]), title="heading"
        )
    assert model.tag_frame(twice.iloc[:, 1:], text="body", title="heading")["error"].tolist() == [""]  # one kept
    assert model.tag_frame(frame.iloc[:0], text="body").shape == (0, 5 + len(model.labels))


def tagged_and_framed(model, rows: list[dict], tmp_path):
    """`rows` (id, headline, body) tagged by `tag` as a JSONL table and read by `tag_frame` as a DataFrame:
    (the table, tag's rows, the frame)."""
    pd = pytest.importorskip("pandas")
    from classifier.corpus.documents import Columns
    from classifier.workflows.tagging import tag

    table = tmp_path / "rows.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "tagged.jsonl"
    tag(model, [table], out, columns=Columns(text="body", title="headline"), jobs=1)
    tagged_rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return table, tagged_rows, model.tag_frame(pd.DataFrame(rows).set_index("id"), text="body", title="headline")


def test_tag_frame_reads_each_row_as_tag_reads_a_table_row(model, tmp_path):
    """A page with a title column: its menus never reach the model, and the row gets what `classifier tag` gives
    the same row of a JSONL table, failures included (a number, an empty cell, nothing but a title)."""
    page = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
    rows = [
        {"id": "page", "headline": "Kyrgyz parliamentary elections", "body": page},
        {"id": "number", "headline": "Vote", "body": 5},
        {"id": "empty", "headline": None, "body": ""},
        {"id": "title only", "headline": "Observers watch the vote count in Bishkek", "body": None},
    ]
    _, tagged_rows, frame = tagged_and_framed(model, rows, tmp_path)
    assert frame["labels"].tolist() == [row["labels"] for row in tagged_rows]
    assert frame["flag"].tolist() == [row["flag"] for row in tagged_rows]
    assert frame["warning"].tolist() == [row["warning"] for row in tagged_rows] == [""] * 4
    assert [bool(error) for error in frame["error"]] == [bool(row["error"]) for row in tagged_rows]
    assert frame["model"].tolist() == [row["model"] for row in tagged_rows]  # failed rows too
    assert frame["labels"].tolist()[0] == ["Elections"]  # no menu entry ("Migration", "Youth") reached the model
    assert frame["error"].tolist()[1:3] == [
        "row number: column 'body' holds a number, not text",
        "row empty: no text in column 'body'",
    ]
    scored = frame.drop(columns=["labels", "flag", "error", "warning", "model"])
    for (_, scores), row in zip(scored.iterrows(), tagged_rows):
        if row["error"]:
            assert scores.isna().all()
        else:
            assert scores.to_dict() == pytest.approx({f"score: {k}": v for k, v in row["scores"].items()}, abs=5e-5)


ELECTION = "Observers from ODIHR followed the parliamentary elections and the counting of votes."  # 84 characters
TRAFFICKING = (
    " Police and prosecutors were trained to identify victims of human trafficking and forced labour and to "
    "protect them."
)


def test_a_text_over_the_max_text_limit_is_cut_and_named_as_the_command_line_cuts_a_file(model, tmp_path, monkeypatch):
    """Whole, the text is about elections and trafficking; cut at 84 characters, about elections alone."""
    assert model.suggest(ELECTION + TRAFFICKING).labels == ["Combating trafficking in human beings", "Elections"]
    from classifier.corpus.documents import read_documents

    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "84")
    path = tmp_path / "long.txt"
    path.write_text(ELECTION + TRAFFICKING, encoding="utf-8")
    (document,) = read_documents([path])
    assert document.warning == f"{path}: text cut at 84 characters (the CLASSIFIER_MAX_TEXT limit)"
    (from_file,) = model.suggest_documents([document])
    with pytest.warns(UserWarning) as caught:
        suggestion = model.suggest(ELECTION + TRAFFICKING)
    assert [str(w.message) for w in caught] == ["text: text cut at 84 characters (the CLASSIFIER_MAX_TEXT limit)"]
    # The warning points at the caller's line; in a mutation run, a wrapper around each function is the caller.
    assert caught[0].filename == __file__ or UNDER_MUTATION
    assert suggestion.labels == from_file.labels == ["Elections"] and suggestion.scores == from_file.scores
    with pytest.warns(UserWarning) as caught:
        many = model.suggest_many([ELECTION, ELECTION + TRAFFICKING])
        proba = model.predict_proba([ELECTION + TRAFFICKING, ELECTION])
    assert [str(w.message) for w in caught] == [
        "texts[1]: text cut at 84 characters (the CLASSIFIER_MAX_TEXT limit)",
        "texts[0]: text cut at 84 characters (the CLASSIFIER_MAX_TEXT limit)",
    ]
    # predict_proba's pointed at its own line in the package, not the caller's.
    assert [w.filename for w in caught] == [__file__] * 2 or UNDER_MUTATION
    assert [s.labels for s in many] == [["Elections"], ["Elections"]]
    np.testing.assert_array_equal(proba[0], proba[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a text of exactly the limit is whole: no warning
        assert model.suggest(ELECTION).scores == suggestion.scores


def test_tag_frame_cuts_a_cell_over_the_max_text_limit_and_warns_in_its_row_as_tag_does(model, tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "84")
    rows = [
        {"id": "whole", "headline": "", "body": ELECTION},
        {"id": "long text", "headline": "", "body": ELECTION + TRAFFICKING},
        {"id": "long title", "headline": ELECTION + TRAFFICKING, "body": ELECTION},
    ]
    table, tagged_rows, frame = tagged_and_framed(model, rows, tmp_path)
    cut = "text cut at 84 characters (the CLASSIFIER_MAX_TEXT limit)"
    assert [row["warning"] for row in tagged_rows] == ["", f"{table}:2: {cut}", f"{table}:3: {cut}"]
    assert frame["warning"].tolist() == ["", f"row long text: {cut}", f"row long title: {cut}"]
    assert frame["labels"].tolist() == [row["labels"] for row in tagged_rows]
    assert frame["labels"].tolist()[:2] == [["Elections"], ["Elections"]]
    scored = frame.drop(columns=["labels", "flag", "error", "warning", "model"])
    for (_, scores), row in zip(scored.iterrows(), tagged_rows):
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
    # Explained, a flagged text says what the scope checks read in it (its 40 words less the number), and nothing
    # of fields it does not get; an unflagged one has no such reading.
    from classifier.estimator.scope import scope_reading

    recipe_read, observed = model.suggest_many([recipe, TEXTS[1]], explain=True)
    assert (recipe_read.flag, recipe_read.labels, recipe_read.evidence, recipe_read.named) == (
        "out-of-scope",
        [],
        {},
        {},
    )
    assert recipe_read.scope == scope_reading(model.estimator, parse_release(recipe).model_text)
    assert (recipe_read.scope["words"], recipe_read.scope["non_latin_letters"]) == (39, 0.0)
    assert observed.flag is None and observed.scope is None and observed.labels == many[1].labels


def test_a_file_name_given_as_the_text_is_scored_with_a_warning_saying_how_to_read_the_file(model, tmp_path):
    """`model.suggest("report.pdf")` scored the two words and accepted a field, without a word that no file was read."""
    page = tmp_path / "page"  # a file's path without an extension
    page.write_text("Observers watched the vote.", encoding="utf-8")
    said = r"looks like a file's name, not its text; to read a file: classifier\.read_documents, then "
    said += r"Model\.suggest_documents$"
    with pytest.warns(UserWarning, match=rf"^text: 'report\.pdf' {said}") as caught:
        model.suggest("report.pdf")
    assert caught[0].filename == __file__ or UNDER_MUTATION  # the user's line (mutmut calls through its own module)
    with pytest.warns(UserWarning, match=rf"^texts\[1\]: '{page}' {said}"):
        model.suggest_many(["Observers watched the vote.", f" {page}\n"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.suggest_many(["U.S.", "N/A", "e.g. the OSCE", "The OSCE Mission to Serbia.", "report.pdf and more"])
        model.suggest_many(["www.osce.org", "https://www.osce.org/odihr.html", "info@osce.org"])


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
    # The limit counts accepted fields only: a better field the model does not accept (0.9) takes no place.
    passed_over = np.array([[1, 0, 1, 0], [0, 0, 1, 1]])
    assert apply_cutoffs(proba, passed_over, limit=1).tolist() == [[0, 0, 1, 0], [0, 0, 1, 0]]
    assert apply_cutoffs(proba, passed_over, limit=2).tolist() == [[1, 0, 1, 0], [0, 0, 1, 1]]
    assert apply_cutoffs(proba, accepted, limit=1, threshold=0.3).tolist() == [[0, 1, 0, 0], [0, 0, 0, 0]]


def test_a_limit_of_one_keeps_the_one_field_accepted_under_a_better_refused_one(model):
    """An unlabelled item of the real corpus (published 2002-04-19): the model accepts Democratization (0.198)
    and not Conflict prevention, which scores higher (0.207); `limit=1` keeps Democratization."""
    text = (
        "OSCE Presence in Albania issues statement\nTirana, 19 April 2002: Regarding changes to co-operation "
        "structures, for instance the Friends of Albania Group, the Presence reiterated what Ambassador "
        "Geert-Hinrich Ahrens said at a Tirana press conference the previous day."
    )
    suggestion = model.suggest(text)
    assert [label for label, _ in suggestion.scores[:2]] == ["Conflict prevention and resolution", "Democratization"]
    assert suggestion.labels == ["Democratization"]
    assert model.suggest(text, limit=1).labels == ["Democratization"]
    assert model.suggest(text, limit=0).labels == []
    # A text of three content words, too short to judge, that the model's rule gives a field: a user's cutoff that
    # takes it away does not make the text "too-short" (that says why the model itself accepts none).
    short = "Observers followed the elections."
    assert (model.suggest(short).labels, model.suggest(short).flag) == (["Elections"], None)
    for cutoffs in ({"limit": 0}, {"threshold": 1.0}):
        assert (model.suggest(short, **cutoffs).labels, model.suggest(short, **cutoffs).flag) == ([], None)


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
    with pytest.raises(UsageError, match=f"^{next(iter(cutoffs))} "):  # though no text is scored
        model.suggest_many(["", " \n "], **cutoffs)


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
        with pytest.raises(TypeError, match="^texts: expected a list of texts, not one text"):
            call(TEXTS[1])  # read character by character, it gave one row per character
    for call in (model.explain, model.features):  # explain gave 84 results, features 84 rows: one per character
        with pytest.raises(TypeError, match=r"^model_texts: expected a list of texts, not one text \(Model.sugg"):
            call(TEXTS[1])
        with pytest.raises(TypeError, match=r"^model_texts\[1\] is NoneType, not text$"):
            call([TEXTS[1], None])
    assert len(model.explain([TEXTS[1]])) == 1 and model.features((TEXTS[1], TEXTS[0])).shape[0] == 2
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


# The tests below pin down what each public method of Model passes on and gives back, by values written out by
# hand or by the same result reached another way (docs/mutation.md).


def test_a_missing_cell_of_any_kind_is_absent_and_a_present_one_kept():
    pd = pytest.importorskip("pandas")
    from classifier.bundle.model import _cell

    for missing in (None, float("nan"), np.float32("nan"), pd.NA, pd.NaT):
        assert _cell(missing) is None
    for present in ("text", "", 0, 0.0, False):
        assert _cell(present) is present


def test_a_frame_cell_that_pandas_holds_as_missing_fails_as_an_empty_cell_does(model):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"body": pd.array([TEXTS[1], pd.NA, None], dtype=object)}, index=["a", "b", "c"])
    tagged = model.tag_frame(frame, text="body")
    assert tagged["error"].tolist() == ["", "row b: no text in column 'body'", "row c: no text in column 'body'"]
    assert tagged["labels"].tolist()[0] and tagged["labels"].tolist()[1:] == [[], []]


def test_a_bundle_without_checksums_is_named_by_its_labels_and_one_with_them_by_model_json_as_saved():
    import hashlib

    from classifier.bundle.model import model_fingerprint

    def sha(value):
        return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()

    assert model_fingerprint({"labels": ["Élections", "Media"], "params": {"a": 1}}) == sha(["Élections", "Media"])
    assert model_fingerprint({"params": {"a": 1}}) == model_fingerprint({"labels": None}) == sha([])
    saved = {"payload_sha256": "ab", "labels": ["Old"], "params": {"a": 1}}
    assert model_fingerprint(saved) == sha(saved)
    # A field renamed by the taxonomy since: the bundle is still the one saved with the old name.
    renamed = {"payload_sha256": "ab", "labels": ["New"], "labels_as_trained": ["Old"], "params": {"a": 1}}
    assert model_fingerprint(renamed) == model_fingerprint(saved)


def test_read_pages_cuts_as_read_does(model):
    model_texts = [parse_release(text).model_text for text in TEXTS]
    default = model.read_pages(TEXTS)
    for cutoffs in ({"limit": 0}, {"threshold": 0.05}, {"limit": 2, "threshold": 0.0}):
        cut = model.read_pages(TEXTS, **cutoffs)
        assert cut.accepted.tolist() == model.read(model_texts, **cutoffs).accepted.tolist()
        assert cut.accepted.tolist() != default.accepted.tolist()
    assert model.read_pages(TEXTS, threshold=0.0).accepted[:2].all()
    assert model.read_pages(TEXTS, limit=1, threshold=0.0).accepted[:2].sum(axis=1).tolist() == [1, 1]


def test_documents_are_scored_suggested_and_explained_as_their_texts_are(model):
    from classifier.corpus.documents import Document

    documents = [
        Document(id="a", title="Shelters", text=PAGE.split("\n", 1)[1]),
        Document(id="b", title="Vote", text=TEXTS[1]),
    ]
    texts = [doc.model_text for doc in documents]
    np.testing.assert_array_equal(model.predict_proba_documents(documents), model.read(texts).proba)
    plain = model.suggest_documents(documents)
    assert [s.title for s in plain] == ["Shelters", "Vote"] and all(s.evidence is None for s in plain)
    assert plain == model.suggestions_from_reading(model.read(texts), ["Shelters", "Vote"])
    explained = model.suggest_documents(documents, explain=True)
    assert explained == model.with_evidence(plain, texts)
    assert all(s.evidence and set(s.evidence) == set(s.labels) for s in explained)
    for cutoffs in ({"limit": 0}, {"threshold": 0.0}, {"limit": 2, "threshold": 0.0}):
        expected = model.read(texts, **cutoffs).accepted
        assert [s.labels for s in model.suggest_documents(documents, **cutoffs)] == [
            [label for label, _ in s.scores if row[model.labels.index(label)]] for s, row in zip(plain, expected)
        ]
    assert [len(s.labels) for s in model.suggest_documents(documents, limit=2, threshold=0.0)] == [2, 2]
    assert model.suggest_documents([]) == []


def test_a_document_that_failed_to_read_gets_a_suggestion_carrying_its_error_not_scores(model, tmp_path):
    from classifier.bundle.suggestion import Suggestion
    from classifier.corpus.documents import read_documents
    from classifier.errors import UsageError

    missing = tmp_path / "missing.txt"
    documents = list(read_documents([missing, KYRGYZSTAN_PAGE]))
    failed, read = model.suggest_documents(iter(documents))
    assert failed == Suggestion("", [], [], error=f"{missing}: no such file or directory")
    assert failed.to_dict() == {
        "title": "",
        "labels": [],
        "suggestions": [],
        "error": f"{missing}: no such file or directory",
    }
    assert read == model.suggest_documents(documents[1:])[0] and read.labels == ["Elections"] and read.error is None
    assert model.suggest_documents(documents[:1], explain=True, limit=1) == [failed]
    for cutoffs in ({"limit": -1}, {"threshold": 1.5}):  # refused whether or not a document is scored
        with pytest.raises(UsageError, match=f"^{next(iter(cutoffs))} "):
            model.suggest_documents(documents[:1], **cutoffs)


def test_suggest_many_explains_as_suggest_does(model):
    assert all(s.evidence is None and s.named is None for s in model.suggest_many(TEXTS))
    assert model.suggest_many([PAGE], explain=True) == [model.suggest(PAGE, explain=True)]
    many = model.suggest_many(TEXTS[:2], explain=True)
    assert [set(s.evidence) for s in many] == [set(s.labels) for s in many] and many[0].evidence
    assert many[0].flags == model.flags


def test_suggestions_from_probabilities_accept_by_the_models_rule_best_first_ties_in_taxonomy_order(model):
    from classifier.bundle.model import Reading

    n = len(model.labels)
    proba = np.full((2, n), 0.01)
    proba[0, [3, 5, 1]] = [0.99, 0.99, 0.5]
    proba[1, n - 1] = 0.98
    suggestions = model.suggestions_from_proba(proba, ["one", "two"])
    accepted = model.accept(proba)
    assert [s.title for s in suggestions] == ["one", "two"] and [s.flag for s in suggestions] == [None, None]
    first = [model.labels[j] for j in (3, 5, 1)]
    assert [label for label, _ in suggestions[0].scores][:3] == first
    assert [label for label, _ in suggestions[0].scores][3:] == [
        label for j, label in enumerate(model.labels) if j not in (1, 3, 5)
    ]
    assert [score for _, score in suggestions[0].scores][:4] == [0.99, 0.99, 0.5, 0.01]
    assert suggestions[0].labels == [label for label in first if accepted[0, model.labels.index(label)]]
    assert suggestions[1].labels == [model.labels[n - 1]] * int(accepted[1, n - 1])
    assert suggestions[0].flags == model.flags and suggestions[0].flags
    assert suggestions == model.suggestions_from_reading(Reading(proba, accepted, [None, None]), ["one", "two"])
    # A model with no flagged field gives suggestions with no flags at all, not an empty dict.
    from classifier.bundle.model import Model

    plain = Model(model.estimator, {**model.metadata, "low_confidence_fields": [], "zero_shot_fields": []})
    assert plain.flags == {} and plain.suggestions_from_proba(proba, ["one", "two"])[0].flags is None


def test_with_evidence_gives_the_top_terms_of_each_accepted_field_and_keeps_the_rest(model):
    plain = model.suggest(PAGE)
    explained = model.with_evidence([plain], [parse_release(PAGE).model_text])[0]
    assert explained.labels == plain.labels and explained.scores == plain.scores
    assert explained.flags == plain.flags == model.flags and explained.flag is None and explained.scope is None
    assert [len(terms) for terms in explained.evidence.values()] == [5] * len(plain.labels)
    fewer = model.with_evidence([plain], [parse_release(PAGE).model_text], top=2)[0]
    (by_default,) = model.explain([parse_release(PAGE).model_text])  # five terms unless asked otherwise
    assert max(map(len, by_default)) == 5 and {
        label: by_default[model.labels.index(label)] for label in plain.labels
    } == (explained.evidence)
    assert {label: terms[:2] for label, terms in explained.evidence.items()} == fewer.evidence


def test_a_frame_is_cut_by_limit_and_threshold_as_suggestions_are(model):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": [PAGE, TEXTS[1]]})
    for cutoffs in ({"limit": 0}, {"threshold": 0.05}, {"limit": 2, "threshold": 0.0}):
        assert model.tag_frame(frame, **cutoffs)["labels"].tolist() == [
            s.labels for s in model.suggest_many([PAGE, TEXTS[1]], **cutoffs)
        ]
    # Every field accepted: ranked best first.
    everything = model.tag_frame(frame, threshold=0.0)
    assert everything["labels"].tolist() == [[label for label, _ in s.scores] for s in model.suggest_many(frame.text)]
    with pytest.raises(KeyError, match=r"no column 'body' in the frame \(columns: text, 7\)"):
        model.tag_frame(frame.assign(**{"7": 1}).rename(columns={"7": 7}), text="body")


def test_a_frame_ranks_tied_fields_in_taxonomy_order(model, monkeypatch):
    pd = pytest.importorskip("pandas")
    from classifier.bundle.model import Model, Reading

    n = len(model.labels)
    proba = np.array([[0.5, 0.9] * (n // 2) + [0.5] * (n % 2)])
    tied = Model(model.estimator, model.metadata, model.path)
    monkeypatch.setattr(tied, "read_documents", lambda documents, limit, threshold: Reading(proba, proba > 0, [None]))
    labels = tied.tag_frame(pd.DataFrame({"text": [TEXTS[1]]}))["labels"].tolist()[0]
    assert labels == [model.labels[j] for j in range(1, n, 2)] + [model.labels[j] for j in range(0, n, 2)]


def test_a_long_text_explains_a_field_by_the_window_that_scored_it_higher_than_the_whole_text():
    from classifier.bundle.model import Model
    from classifier.estimator.windows import split_windows

    class Estimator:
        """Two fields by hand: a text of more than 100 words (the whole report) scores them 0.3 and 0.5; a shorter
        one holding "alpha" 0.9 and 0.5, any other 0.1 and 0.5. The first field is explained by the text's first
        word after its title, the second by its number of words, each with the weight `top`."""

        def predict_proba(self, texts):
            return np.array(
                [[0.3 if len(text.split()) > 100 else 0.9 if "alpha" in text.split() else 0.1, 0.5] for text in texts]
            )

        def explain(self, texts, top=5):
            return [[[(text.split()[1], float(top))], [(str(len(text.split())), float(top))]] for text in texts]

    model = Model(Estimator(), {"labels": ["A", "B"]})
    words = [f"w{i}" for i in range(400)]
    words[200] = "alpha"
    report = "Report\n" + " ".join(words)
    windows = split_windows(report)
    holding = [window for window in windows if "alpha" in window.split()]
    assert len(windows) > 2 and holding
    short = "Note\nbrief text"
    explained = model.explain([short, report], top=2)
    assert explained[0] == [[("brief", 2.0)], [("3", 2.0)]]
    # The first field by the first window that holds "alpha"; the second, which no window scores higher than the
    # whole report (every window ties with it), by the whole report.
    assert explained[1] == [[(holding[0].split()[1], 2.0)], [(str(len(report.split())), 2.0)]]
    assert model.explain([report], top=2)[0] == explained[1]


def test_suggest_stream_scores_batch_by_batch_and_gives_its_error_for_a_document_that_failed(model, monkeypatch):
    from classifier.bundle.model import Model
    from classifier.bundle.suggestion import Suggestion
    from classifier.corpus.documents import Document

    batches, options_seen = [], []

    def suggest_documents(documents, **options):
        batches.append([doc.id for doc in documents])
        options_seen.append(options)
        return [f"suggestion of {doc.id}" for doc in documents]

    stream = Model(model.estimator, model.metadata, model.path)
    monkeypatch.setattr(stream, "suggest_documents", suggest_documents)
    documents = [
        Document(id=str(i), title="t", text="words", error=f"{i}: unreadable" if i % 3 == 1 else None) for i in range(8)
    ]
    assert list(stream.suggest_stream(documents, batch_size=3, explain=True, limit=2)) == [
        (doc, Suggestion("t", [], [], error=f"{doc.id}: unreadable") if doc.error else f"suggestion of {doc.id}")
        for doc in documents
    ]
    assert batches == [["0", "2"], ["3", "5"], ["6"]] and options_seen == [{"explain": True, "limit": 2}] * 3
    batches.clear()
    assert len(list(stream.suggest_stream(iter(documents[:1] * 257)))) == 257
    assert [len(batch) for batch in batches] == [256, 1]  # 256 at a time by default
    batches.clear()
    assert len(list(stream.suggest_stream(documents[:2], batch_size=1))) == 2 and batches == [["0"], []]
    for size in (0, -1, 1.0, "2", True, np.int64(0)):
        with pytest.raises(ValueError, match=r"^batch_size must be a whole number of documents, at least 1 \(got "):
            list(stream.suggest_stream(documents, batch_size=size))
    batches.clear()  # a numpy whole number, as `limit` takes one
    assert len(list(stream.suggest_stream(documents[:2], batch_size=np.int64(1)))) == 2 and batches == [["0"], []]
    with pytest.raises(
        TypeError, match=r"^suggest_stream takes documents \(from read_documents\); for texts, use suggest_many$"
    ):
        list(stream.suggest_stream([documents[0], TEXTS[1]]))


def test_suggest_stream_gives_what_suggest_documents_gives(model):
    from classifier.corpus.documents import Document

    documents = [Document(id="a", title="Vote", text=TEXTS[1]), Document(id="b", error="gone")]
    streamed = list(model.suggest_stream(documents, explain=True))
    assert streamed == list(zip(documents, model.suggest_documents(documents, explain=True)))
    assert streamed[1][1].error == "gone" and streamed[0][1].labels == ["Elections"]


def test_a_model_describes_itself_in_one_line_and_as_a_table(model):
    from pathlib import Path

    from classifier.bundle.model import Model

    class Thresholds:
        thresholds_ = np.array([0.5, 0.125])

    metadata = {
        "labels": ["Arms & <control>", "Media"],
        "training_data": {"documents": 12},
        "cv_metrics": {"micro": {"f1": 0.81251}},
        "label_counts": {"Arms & <control>": 3},
        "low_confidence_fields": ["Arms & <control>"],
    }
    described = Model(Thresholds(), metadata, Path("bundles/m"))
    assert (
        repr(described) == "<Model from bundles/m: 2 fields, trained on 12 documents, cross-validated micro-F1 0.813>"
    )
    assert repr(Model(Thresholds(), {"labels": ["A"]})) == "<Model: 1 fields, trained on ? documents>"
    assert described._repr_html_() == (
        "<p>&lt;Model from bundles/m: 2 fields, trained on 12 documents, cross-validated micro-F1 0.813&gt;</p>"
        "<table><thead><tr><th>field</th><th>examples</th><th>threshold</th><th>flag</th></tr></thead><tbody>"
        "<tr><td>Arms &amp; &lt;control&gt;</td><td>3</td><td>0.50</td><td>low-confidence</td></tr>"
        "<tr><td>Media</td><td></td><td>0.12</td><td></td></tr></tbody></table>"
    )
    # A bundle whose model.json counts no examples: the column is left empty.
    assert (
        Model(Thresholds(), {"labels": ["A"]})
        ._repr_html_()
        .endswith("<tbody><tr><td>A</td><td></td><td>0.50</td><td></td></tr></tbody></table>")
    )
    documents, micro = model.metadata["training_data"]["documents"], model.metadata["cv_metrics"]["micro"]["f1"]
    assert repr(model) == (
        f"<Model from {model.path}: 23 fields, trained on {documents} documents, cross-validated micro-F1 {micro:.3f}>"
    )


def test_cutoffs_at_their_bounds_are_taken_and_past_them_refused_in_one_line_naming_the_value():
    from classifier.bundle.model import apply_cutoffs, check_cutoffs
    from classifier.errors import UsageError

    for limit in (0, 1, np.int64(2), 10**9):
        check_cutoffs(limit=limit)
    for threshold in (0, 0.0, 1, 1.0, np.float32(0.5), np.int8(1)):
        check_cutoffs(threshold=threshold)
    check_cutoffs()
    refused = {
        (-1, None): "limit -1: expected a whole number of fields, 0 or more",
        (2.0, None): "limit 2.0: expected a whole number of fields, 0 or more",
        (False, None): "limit False: expected a whole number of fields, 0 or more",
        ("1", None): "limit '1': expected a whole number of fields, 0 or more",
        (None, -0.01): "threshold -0.01: expected a score from 0 to 1",
        (None, 1.01): "threshold 1.01: expected a score from 0 to 1",
        (None, 2): "threshold 2: expected a score from 0 to 1",
        (None, False): "threshold False: expected a score from 0 to 1, as an int or float",
        (None, "0.5"): "threshold '0.5': expected a score from 0 to 1, as an int or float",
        (None, None.__class__): "threshold <class 'NoneType'>: expected a score from 0 to 1, as an int or float",
    }
    for (limit, threshold), message in refused.items():
        with pytest.raises(UsageError) as caught:
            check_cutoffs(limit, threshold)
        assert str(caught.value) == message
        with pytest.raises(UsageError):
            apply_cutoffs(np.zeros((1, 2)), np.zeros((1, 2)), limit, threshold)
    with pytest.raises(UsageError, match="^limit "):
        check_cutoffs(np.int64(-1))
    assert apply_cutoffs(np.zeros((0, 3)), np.zeros((0, 3)), limit=1).shape == (0, 3)
    assert apply_cutoffs([[0.5, 0.25]], [[1, 1]], limit=1).tolist() == [[1, 0]]
    # A limit keeps only fields the model accepted, however well the others score, and a better field refused
    # takes no place among them; 0/1 given as floats or booleans alike.
    for accepted in ([[0, 1]], [[0.0, 1.0]], [[False, True]]):
        assert apply_cutoffs([[0.5, 0.25]], accepted, limit=1).tolist() == [[0, 1]]
        assert apply_cutoffs([[0.5, 0.25]], accepted, limit=2).tolist() == [[0, 1]]
        assert apply_cutoffs([[0.5, 0.25]], accepted, limit=0).tolist() == [[0, 0]]
    # Ties go to the field first in taxonomy order however many fields there are (numpy's default sort is not
    # stable past 16 elements).
    proba = np.array([[0.5, 0.9] * 11 + [0.5]])
    kept = apply_cutoffs(proba, np.ones_like(proba), limit=13)[0]
    assert np.flatnonzero(kept).tolist() == sorted([0, 2, *range(1, 23, 2)])  # the 11 of 0.9, then the first two
    assert apply_cutoffs([[0.5, 0.25]], [[True, False]]).dtype == np.int8


SUGGEST_DOCS = "Model.suggest_documents)"


def test_suggest_refuses_what_is_not_a_text_naming_the_argument_and_its_type(model, tmp_path):
    """A path, bytes or None used to reach the page parser and fail there with a TypeError of `re`."""
    path = tmp_path / "page.txt"
    path.write_text(TEXTS[1], encoding="utf-8")
    refused = [
        (path, f"text is {type(path).__name__}, not text (a file: classifier.read_documents, then " + SUGGEST_DOCS),
        (b"Elections observed", "text is bytes, not text (decode it first)"),
        (bytearray(b"Elections"), "text is bytearray, not text (decode it first)"),
        (None, "text is NoneType, not text"),
        (["Elections observed"], "text is list, not text"),
    ]
    for wrong, message in refused:
        with pytest.raises(TypeError) as caught:
            model.suggest(wrong)
        assert str(caught.value) == message


def test_one_text_or_bytes_where_texts_are_wanted_is_refused_in_one_line(model):
    from classifier.bundle.model import _text_list

    for one in ("a text", b"a text", ""):
        with pytest.raises(TypeError) as caught:
            _text_list(one)
        assert str(caught.value) == "texts: expected a list of texts, not one text (Model.suggest reads one)"
    with pytest.raises(TypeError) as caught:
        _text_list(("a", "b", 3.5))
    assert str(caught.value) == "texts[2] is float, not text"
    assert _text_list(iter(("a", ""))) == ["a", ""] and _text_list([]) == []


def test_cutoffs_out_of_range_are_refused_before_the_texts_are_even_read(model):
    from classifier.errors import UsageError

    for cutoffs in ({"limit": -1}, {"threshold": 2}):
        with pytest.raises(UsageError, match=f"^{next(iter(cutoffs))} "):
            model.read([TEXTS[1], None], **cutoffs)  # the texts would be refused too, after


def test_a_model_whose_estimator_scores_without_the_facts_reads_as_its_estimator_scores(tiny_corpus):
    from classifier.bundle.model import Model

    from conftest import TINY_LABELS, fit_tiny_model

    estimator = fit_tiny_model()
    assert not hasattr(estimator, "predict_proba_and_facts")  # the scikit-learn estimator, not the runtime's
    texts = tiny_corpus[0][:6]
    reading = Model(estimator, {"labels": TINY_LABELS}).read(texts)
    np.testing.assert_allclose(reading.proba, estimator.predict_proba(texts))
    assert reading.accepted.tolist() == estimator.accept(reading.proba).tolist() and reading.flags == [None] * 6


def test_a_threshold_is_held_against_the_score_as_every_output_rounds_it(model):
    """A score shown as 0.1028 reaches threshold 0.1028 and not 0.10281, whatever its digits beyond the fourth:
    no output shows an accepted score below the threshold, or leaves out one that reaches it."""
    from classifier.bundle.model import apply_cutoffs

    proba = np.array([[0.10279, 0.10284, 0.5, 0.00004]])
    assert apply_cutoffs(proba, threshold=0.1028).tolist() == [[1, 1, 1, 0]]
    assert apply_cutoffs(proba, threshold=0.10281).tolist() == [[0, 0, 1, 0]]
    assert apply_cutoffs(proba, threshold=0.0).tolist() == [[1, 1, 1, 1]]
    # On the model's own scores: each field's rounded score as the threshold accepts it, on every surface.
    text = KYRGYZSTAN_PAGE.read_text(encoding="utf-8")
    scores = dict(model.suggest(text).scores)
    for label, score in scores.items():
        shown = round(score, 4)
        if shown == score or shown == 0:
            continue
        accepted = model.suggest(text, threshold=shown).labels
        assert label in accepted, (label, score)
        assert all(round(scores[other], 4) >= shown for other in accepted)


def test_tag_frame_without_pandas_says_what_to_install(model, monkeypatch):
    import sys

    from classifier.io.formats import MissingExtraError

    monkeypatch.setitem(sys.modules, "pandas", None)  # as if the pandas extra were not installed
    with pytest.raises(MissingExtraError) as missing:
        model.tag_frame(object())
    assert str(missing.value) == "tag_frame needs pandas: pip install 'osce-topic-classifier[pandas]'"


def test_a_field_renamed_since_training_shows_the_examples_counted_under_its_old_name():
    from classifier.bundle.model import Model

    class Thresholds:
        thresholds_ = np.array([0.5, 0.25])

    # Trained as "Youth" with 7 examples; the taxonomy has renamed it "Young people" since (its old name an alias).
    metadata = {
        "labels": ["Media", "Young people"],
        "labels_as_trained": ["Media", "Youth"],
        "label_counts": {"Media": 3, "Youth": 7},
    }
    rows = Model(Thresholds(), metadata)._repr_html_().split("<tbody>")[1]
    assert rows == (
        "<tr><td>Media</td><td>3</td><td>0.50</td><td></td></tr>"
        "<tr><td>Young people</td><td>7</td><td>0.25</td><td></td></tr></tbody></table>"
    )


def test_texts_or_a_dataframe_given_for_documents_are_refused_saying_what_to_pass_instead(model):
    from classifier.corpus.documents import Document

    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["1"], "text": [TEXTS[1]]})
    for name in ("suggest_documents", "read_documents", "predict_proba_documents"):
        wanted = f"^{name} takes documents \\(from read_documents\\), not "
        with pytest.raises(TypeError, match=wanted + r"str \(documents\[0\]\); for texts, use Model.suggest_many$"):
            getattr(model, name)([TEXTS[1]])
        with pytest.raises(TypeError, match=wanted + "a pandas DataFrame; for a DataFrame, use Model.tag_frame$"):
            getattr(model, name)(frame)
        with pytest.raises(TypeError, match=wanted + "one text; for a text, use Model.suggest$"):
            getattr(model, name)(TEXTS[1])
    with pytest.raises(TypeError, match="^suggest_stream takes documents .*, not a pandas DataFrame; .*tag_frame$"):
        list(model.suggest_stream(frame))
    with pytest.raises(TypeError, match=r"^suggest_documents takes .*, not int \(documents\[1\]\); read files with"):
        model.suggest_documents([Document("1", "", TEXTS[1], None, "a.txt"), 5])
    # A parsed page has a model text but no error: it is not a document read (or failed) by read_documents.
    with pytest.raises(TypeError, match=r"^suggest_documents takes .*, not Release \(documents\[0\]\); read files"):
        model.suggest_documents([parse_release(PAGE)])


def test_a_text_with_nothing_to_read_gets_the_error_the_command_line_gives_not_scores(model, tmp_path, monkeypatch):
    """The Kyrgyzstan page's first 3,000 characters are the site's menus: `classifier suggest` reads no text in them."""
    from typer.testing import CliRunner

    from classifier.bundle.suggestion import Suggestion
    from classifier.cli import app

    menus = KYRGYZSTAN_PAGE.read_text(encoding="utf-8")[:3000]
    (tmp_path / "menus.txt").write_text(menus, encoding="utf-8")
    result = CliRunner().invoke(app, ["suggest", str(tmp_path / "menus.txt")])
    assert result.exit_code == 1 and result.stderr == f"error: {tmp_path / 'menus.txt'}: no text\n"
    for text in ("", "  \n\n ", menus):
        suggestion = model.suggest(text, explain=True)
        assert (suggestion.error, suggestion.labels, suggestion.scores, suggestion.flag) == (
            "text: no text",
            [],
            [],
            None,
        )
    many = model.suggest_many(["", TEXTS[1], menus], explain=True)
    assert [s.error for s in many] == ["texts[0]: no text", None, "texts[2]: no text"]
    assert many[1].labels == model.suggest(TEXTS[1]).labels == ["Elections"] and len(many[1].scores) == 23
    assert many[1].evidence == model.suggest(TEXTS[1], explain=True).evidence
    # tag_frame fails such a row as tag does; predict_proba still gives every text a row, an empty text's scores.
    assert model.tag_frame(pytest.importorskip("pandas").DataFrame({"text": [menus]}))["error"].tolist() == [
        "row 0: no text"
    ]
    proba = model.predict_proba(["", menus, TEXTS[1]])
    assert proba.shape == (3, 23)
    np.testing.assert_array_equal(proba[1], proba[0])
    np.testing.assert_array_equal(proba[2], model.predict_proba([TEXTS[1]])[0])
    # A cut that leaves only menus says it was the cut, as the command line says it of a file.
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "3000")
    whole = KYRGYZSTAN_PAGE.read_text(encoding="utf-8")
    (tmp_path / "page.txt").write_text(whole, encoding="utf-8")
    result = CliRunner().invoke(app, ["suggest", str(tmp_path / "page.txt")])
    said = result.stderr.splitlines()[-1].removeprefix(f"error: {tmp_path / 'page.txt'}")
    assert said == ": no text before its text cut at 3,000 characters (the CLASSIFIER_MAX_TEXT limit)"
    with pytest.warns(UserWarning, match="text cut at 3,000"):
        assert model.suggest(whole).error == "text" + said
    # The menus alone, exactly as long as the limit, are read whole: nothing was cut. A failed text has no title.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.suggest(menus) == Suggestion("", [], [], error="text: no text")


@pytest.mark.parametrize(
    "name, change",
    [
        ("soft hyphens inside words", lambda text: re.sub(r"\b(\w{3})(\w{4,})", "\\1\u00ad\\2", text)),
        ("a zero-width space after each word", lambda text: text.replace(" ", "\u200b ")),
        ("a zero-width joiner after each word", lambda text: text.replace(" ", "\u200d ")),
        ("a word joiner and direction marks", lambda text: text.replace(" ", "\u2060 \u200e")),
    ],
)
def test_invisible_format_characters_change_no_suggestion(name, change, tmp_path):
    """A reader sees none of them, but in a word they made one the model never saw: with soft hyphens the Serbian
    trafficking release was out-of-scope with no field, with zero-width spaces it got eleven fields. As a text, a
    file, a table row and an HTML page (&shy; as an entity), it reads as without them."""
    model = load_model()
    text = (ROOT / "examples" / "trafficking-training-serbia.txt").read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text
    expected = model.suggest(text)
    assert expected.labels == ["Combating trafficking in human beings"]
    got = model.suggest(changed)
    assert (got.title, got.labels, got.scores, got.flag) == (expected.title, expected.labels, expected.scores, None)
    release = parse_release(text)
    title, body = change(release.title), change(release.body)
    row = tmp_path / "rows.jsonl"
    row.write_text(json.dumps({"id": "a", "title": title, "text": body}) + "\n", encoding="utf-8")
    (document,) = read_documents([row])
    assert (document.title, document.text.split()) == (release.title, release.body.split())
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    page = page.replace("\u00ad", "&shy;")
    assert model.suggest(page).labels == expected.labels and model.suggest(page).title == expected.title


def test_a_dataframe_or_dict_given_for_texts_is_refused_not_scored_by_its_keys():
    """Iterated, a DataFrame gives its column names and a dict its keys: `suggest_many(df)` gave one suggestion,
    for the word "text", to a frame of three rows, without a word. Each is a TypeError saying what to pass."""
    import pandas as pd

    model = load_model()
    frame = pd.DataFrame({"text": ["ODIHR observers will follow the elections.", "Police officers trained."]})
    calls = {
        "suggest_many": model.suggest_many,
        "predict_proba": model.predict_proba,
        "read": model.read,
        "explain": model.explain,
        "features": model.features,
        "estimator": model.estimator.predict_proba,
    }
    for name, call in calls.items():
        with pytest.raises(TypeError, match=r"not a pandas DataFrame, which gives its column names: pass one column"):
            call(frame)
        with pytest.raises(TypeError, match=r"not a dict, which gives its keys: pass its values"):
            call({"doc-1": "ODIHR observers will follow the elections."})
    # A column is a list of texts.
    assert [s.labels[0] for s in model.suggest_many(frame["text"])] == ["Elections", "Policing"]


@pytest.mark.parametrize("n", [-1, 0, 2.5, None, "3", True])
def test_pick_refuses_a_number_of_documents_that_is_not_a_whole_one_from_1(n):
    """pick stopped when it had picked `n`: -1, 2.5 or None never matched, and every candidate was picked."""
    from classifier.errors import UsageError
    from classifier.workflows.picking import pick

    documents = list(read_documents([ROOT / "training" / "data" / "unlabelled.jsonl"]))[:5]
    with pytest.raises(UsageError, match=rf"^n {re.escape(repr(n))}: expected a whole number of documents to pick"):
        pick(load_model(), documents, n=n)
    assert len(pick(load_model(), documents, n=np.int64(2)).rows) == 2


@pytest.mark.parametrize("top", [0, -1, 1.5, None, True])
def test_explain_refuses_a_number_of_terms_that_is_not_a_whole_one_from_1(top):
    """top=-1 gave every term but one, top=1.5 a TypeError from deep inside."""
    from classifier.errors import UsageError

    with pytest.raises(UsageError, match=rf"^top {re.escape(repr(top))}: expected a whole number of terms, 1 or more$"):
        load_model().explain(["Observers followed the elections."], top=top)
    (explained,) = load_model().explain(["Observers followed the elections."], top=np.int64(2))
    assert max(len(terms) for terms in explained) == 2
    (best,) = load_model().explain(["Observers followed the elections."], top=1)  # the least there is to ask
    assert [terms[:1] for terms in explained] == best and max(len(terms) for terms in best) == 1


def test_python_arguments_of_the_wrong_kind_are_refused_in_one_line_saying_what_to_pass(tmp_path):
    """Each was a raw error from deep inside, a misleading one, or no error at all."""
    from decimal import Decimal

    import pandas as pd

    from classifier.errors import ClassifierError, UsageError
    from classifier.evaluation.comparison import compare_models
    from classifier.workflows.taxonomy_sync import sync_taxonomy
    from classifier.workflows.training import train

    model = load_model()
    frame = pd.DataFrame({"body": ["Observers followed the elections."]})
    with pytest.raises(TypeError, match=r"^tag_frame: text names a column of the frame \(a str\), not None$"):
        model.tag_frame(frame, text=None)  # was a bare KeyError: None
    with pytest.raises(TypeError, match=r"^tag_frame: title names a column of the frame \(a str\), not 3$"):
        model.tag_frame(frame, text="body", title=3)
    with pytest.raises(UsageError, match=r"^threshold Decimal\('0.5'\): expected a score from 0 to 1, as an int or"):
        model.suggest("Observers followed the elections.", threshold=Decimal("0.5"))  # "from 0 to 1" alone misled
    with pytest.raises(TypeError, match=r"^base: expected the path of a bundle, not Model \(a loaded Model: pass its"):
        train([ROOT / "examples" / "retraining" / "base.jsonl"], base=model)  # was: expected str, bytes or PathLike
    with pytest.raises(ValueError, match=r"^max_chars -1: expected a whole number of characters"):
        list(read_documents([ROOT / "examples" / "retraining" / "base.jsonl"], max_chars=-1))  # "cut at -1 characters"
    page = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
    before = ROOT / "examples" / "retraining" / "taxonomy-before.yaml"
    with pytest.raises(TypeError, match=r"^renames: expected a dict of old name to new name, not str$"):
        sync_taxonomy(page, before, renames="Gender=Gender equality")  # was: 'str' object has no attribute 'items'
    with pytest.raises(ClassifierError, match=r"'Youth' is still in the site's menu"):
        sync_taxonomy(page, before, removals="Youth")  # one name, not its letters ("'Y' is not a field")
    held_out = str(ROOT / "examples" / "retraining" / "held_out.jsonl")
    # One path is one input: the error named the characters of its name ("e, x, a, m, p, l, e, s, /, ...").
    with pytest.raises(ClassifierError, match=rf"^{re.escape(held_out)}: every one of the 68 documents was trained"):
        compare_models(model, ROOT / "models" / "default", held_out)
