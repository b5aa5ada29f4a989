import json
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.estimator.keywords import (
    has_keyword_document,
    keyword_document,
    keyword_documents,
    keyword_margins,
    label_roles,
    prototypes,
    with_keyword_examples,
    zero_shot_calibration,
)
from classifier.estimator.model import TopicClassifier

from conftest import TRAINING

ELECTION_TEXT = (
    "Observers from ODIHR deployed to follow the presidential election\n"
    "The observation mission will watch voting, the count and the tabulation of results at polling stations, "
    "and assess the campaign and voter registration against election commitments."
)
MEDIA_TEXT = (
    "Representative on Freedom of the Media raises concern over attacks on journalists\n"
    "Reporters covering protests were beaten and their equipment seized; the safety of journalists must be guaranteed."
)


def test_a_keyword_document_is_the_name_as_title_then_keywords_and_description(taxonomy):
    field = taxonomy.field("Elections")
    text = keyword_document(field)
    title, body = text.split("\n", 1)
    assert title == "Elections"
    assert body.startswith(". ".join(field.keywords[:2])) and body.endswith(field.description)


def test_label_roles_split_zero_shot_and_low_count_labels():
    Y = np.array([[1, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1]])
    zero, low = label_roles(Y, ["a", "b", "c", ""], min_examples=2)
    assert zero.tolist() == [False, True, False, False]  # no positives and a keyword document
    assert low.tolist() == [False, False, True, False]  # 1 < 2 positives; the last has no document
    X, Y2 = with_keyword_examples(["x1", "x2", "x3"], Y, ["a", "b", "c", ""], low)
    assert X[-1] == "c" and Y2[-1].tolist() == [0, 0, 1, 0] and len(Y2) == 4
    with pytest.raises(ValueError, match="2 entries for 4 labels"):
        keyword_documents(("a", "b"), 4)


@pytest.fixture(scope="module")
def hidden_elections(taxonomy):
    """240 real records with the Elections field removed: the model knows it only from taxonomy.yaml."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:240]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in taxonomy.labels] for r in records], dtype=np.int8)
    j = taxonomy.labels.index("Elections")
    Y[:, j] = 0
    keep = Y.sum(axis=1) > 0
    keywords = tuple(keyword_document(f) for f in taxonomy.fields)
    model = TopicClassifier(label_keywords=keywords).fit([t for t, k in zip(texts, keep) if k], Y[keep])
    return model, j


def test_a_field_without_examples_is_suggested_from_its_keywords(hidden_elections):
    model, j = hidden_elections
    assert model.zero_shot_[j] and not model.low_confidence_[j]
    accepted = model.predict([ELECTION_TEXT, MEDIA_TEXT])
    assert accepted[0, j] == 1 and accepted[1, j] == 0
    proba = model.predict_proba([ELECTION_TEXT, MEDIA_TEXT])
    assert proba[0, j] >= model.thresholds_[j] >= 0.5 > proba[1, j]


def test_zero_shot_does_not_flood_suggestions(hidden_elections):
    """On the training texts (none labelled Elections here), the zero-shot field is accepted only
    for texts that are about elections."""
    model, j = hidden_elections
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][240:440]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    truth = np.array(["Elections" in r["labels"] for r in records])
    accepted = model.predict(texts)[:, j] == 1
    assert accepted.sum() <= truth.sum()
    assert truth[accepted].mean() >= 0.6  # most zero-shot acceptances are right (measured: see benchmarks)


def test_fields_are_trained_with_their_keywords_as_keyword_examples_says(taxonomy):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:240]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in taxonomy.labels] for r in records], dtype=np.int8)
    keywords = tuple(keyword_document(f) for f in taxonomy.fields)
    models = {
        mode: TopicClassifier(label_keywords=keywords, min_examples=20, keyword_examples=mode, cv=2).fit(texts, Y)
        for mode in ("all", "rare", "none")
    }
    counts = Y.sum(axis=0)
    for model in models.values():
        # The low-confidence flag counts real examples only, whatever the keywords do.
        assert model.low_confidence_.tolist() == [bool(0 < n < 20) for n in counts]
    # A field trained on its keyword document as a positive example scores it near the SVM margin (+1).
    own = {mode: np.diag(model.decision_function(list(keywords))) for mode, model in models.items()}
    missed = [j for j in range(len(counts)) if counts[j] > 0 and own["none"][j] < 0.5]
    frequent = [j for j in missed if counts[j] >= 20]
    assert frequent and len(frequent) < len(missed)
    assert [j for j in missed if own["rare"][j] >= 0.5] == [j for j in missed if counts[j] < 20]
    assert [j for j in missed if own["all"][j] >= 0.5] == missed


def test_an_unknown_keyword_examples_mode_is_refused_by_name(taxonomy):
    keywords = tuple(keyword_document(f) for f in taxonomy.fields)
    Y = np.zeros((4, len(keywords)), dtype=np.int8)
    Y[:2, 0] = 1
    with pytest.raises(ValueError, match="keyword_examples must be one of all, rare, none, got 'some'"):
        TopicClassifier(label_keywords=keywords, keyword_examples="some", cv=2).fit([ELECTION_TEXT, MEDIA_TEXT] * 2, Y)


def test_keyword_margins_are_positive_only_for_the_nearest_keyword_document():
    protos = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0]])
    features = np.array([[0.9, 0.1, 0.0], [0.0, 0.0, 1.0]])
    margins = keyword_margins(features, protos)
    # First text: cosines 0.9, 0.1, 0.62; the first label leads the next best by 0.28.
    assert margins[0].tolist() == pytest.approx([0.28, -0.8, -0.28])
    # A text near none of them ties at 0 everywhere: no label is ahead.
    assert margins[1].tolist() == [0.0, 0.0, 0.0]


def test_the_field_accepted_by_default_is_a_trained_one_not_the_zero_shot_one(hidden_elections):
    """A text on which no field reaches its threshold gets its best trained field, not the zero-shot one,
    even where the zero-shot field's borrowed probability is the highest."""
    model, j = hidden_elections
    proba = np.full((1, model.n_labels_), 0.01)
    proba[0, j], proba[0, (j + 1) % model.n_labels_] = 0.45, 0.02
    assert model.thresholds_[j] > 0.45
    accepted = model.accept(proba)
    assert accepted[0].tolist() == [int(k == (j + 1) % model.n_labels_) for k in range(model.n_labels_)]


def test_keyword_margins_that_point_the_wrong_way_are_not_evidence():
    """Fitted on few documents, a higher margin can go with a label less often: the calibration would then score
    a zero-shot field the higher the less its keywords fit (a 40-document model accepted 17 fields that way).
    Such margins count for nothing: every text scores sigmoid(-10) and none reaches the threshold."""
    # Two reference labels over four documents: each label is carried where its margin is the lowest.
    margins = np.array([[0.4, -0.3], [0.3, -0.2], [-0.2, 0.3], [-0.3, 0.4]])
    Y = np.array([[0, 1], [0, 1], [1, 0], [1, 0]])
    assert zero_shot_calibration(margins, Y, np.array([True, True])) == (0.0, -10.0, 1.0)
    # The same margins pointing the right way are evidence: a positive slope, a threshold from 0.5 up.
    slope, intercept, threshold = zero_shot_calibration(margins, 1 - Y, np.array([True, True]))
    assert slope > 0 and 0.5 <= threshold < 1.0
    # No reference label, or reference labels every document carries: nothing to fit on.
    assert zero_shot_calibration(margins, Y, np.array([False, False])) == (0.0, -10.0, 1.0)
    assert zero_shot_calibration(margins, np.ones((4, 2), int), np.array([True, True])) == (0.0, -10.0, 1.0)


def test_a_keyword_document_is_written_out_in_full():
    field = SimpleNamespace(name="Elections", keywords=("election", "ballot"), description="Voting and its count.\n")
    assert keyword_document(field) == "Elections\nelection. ballot. Voting and its count."
    bare = SimpleNamespace(name="Roma and Sinti", keywords=(), description="")
    assert keyword_document(bare) == "Roma and Sinti\n."


def test_keyword_documents_are_one_text_per_label_empty_where_there_is_none():
    assert keyword_documents((), 3) == ["", "", ""]
    assert keyword_documents(None, 2) == ["", ""]
    assert keyword_documents(("Elections\nballot", None, ""), 3) == ["Elections\nballot", "", ""]
    with pytest.raises(ValueError, match=r"^label_keywords has 2 entries for 4 labels$"):
        keyword_documents(("a", "b"), 4)
    mask = has_keyword_document(["Elections\nballot", "", " "])
    assert mask.dtype == bool and mask.tolist() == [True, False, True]
    assert has_keyword_document([]).dtype == bool  # a mask even with no label (numpy would make [] float)


def test_a_label_with_exactly_min_examples_positives_is_not_low_confidence():
    # Positives per label: 0, 1, 2, 3 and 0 (the last without a keyword document).
    Y = [[0, 1, 1, 1, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 0]]
    zero, low = label_roles(Y, ["a", "b", "c", "d", ""], min_examples=2)
    assert zero.tolist() == [True, False, False, False, False]
    assert low.tolist() == [False, True, False, False, False]


def test_with_no_label_to_add_the_examples_are_left_as_they_are():
    X, Y = ["x1", "x2"], np.array([[1, 0], [0, 1]], dtype=np.int8)
    same_X, same_Y = with_keyword_examples(X, Y, ["a", "b"], np.array([False, False]))
    assert same_X is X and same_Y is Y
    more_X, more_Y = with_keyword_examples(X, Y, ["a", "b"], np.array([True, True]))
    assert more_X == ["x1", "x2", "a", "b"] and X == ["x1", "x2"]
    assert more_Y.dtype == np.int8 and more_Y.tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]


def test_prototypes_are_unit_rows_of_the_keyword_documents_and_zero_without_one():
    # Raw counts over the words ballot, border, voters: the rows are those counts made unit length.
    counts = TfidfVectorizer(use_idf=False, norm=None).fit(["ballot border voters"])
    protos = prototypes(counts, ["voters ballot voters", "", "border"])
    assert protos.dtype == np.float32
    np.testing.assert_allclose(protos, [[1 / 5**0.5, 0, 2 / 5**0.5], [0, 0, 0], [0, 1, 0]], rtol=1e-6)


def test_keyword_margins_of_two_labels_and_of_one():
    features = np.array([[0.9, 0.1], [0.5, 0.5]])
    # Two labels: each cosine less the other's, a tie at 0.
    np.testing.assert_allclose(keyword_margins(features, np.eye(2)), [[0.8, -0.8], [0.0, 0.0]])
    # One label: nothing to compare with, the cosine itself.
    assert keyword_margins(features[:, :1], np.eye(1)).tolist() == [[0.9], [0.5]]
    # Two labels tied ahead of a third: both at 0, the third behind by the gap.
    tied = keyword_margins(np.array([[0.5, 0.5, 0.1]]), np.eye(3))
    np.testing.assert_allclose(tied, [[0.0, 0.0, -0.4]])
    # The model's float32 features give margins in float64, the precision the calibration fits them in.
    single = keyword_margins(np.array([[0.75, 0.25]], dtype=np.float32), np.eye(2, dtype=np.float32))
    assert single.dtype == np.float64 and single.tolist() == [[0.5, -0.5]]


def test_zero_shot_calibration_is_the_logistic_fit_of_the_pooled_reference_margins():
    """Margins 0 and 1 only: the (nearly unpenalised) logistic fit gives each its share of positives,
    3 of 10 at margin 0 and 9 of 10 at margin 1, so intercept = ln(3/7) and slope = ln(9) - ln(3/7).
    F1 is best accepting margin 1 only (18/22 against 24/32 for all): the cut is midway, (0.9 + 0.3) / 2."""
    margins = np.zeros((10, 3))
    margins[5:, 0] = margins[5:, 1] = 1.0
    margins[:, 2] = np.linspace(-1, 1, 10)  # not a reference label: its margins must not count
    Y = np.zeros((10, 3), dtype=int)
    Y[[0], 0] = Y[[0, 1], 1] = 1  # 3 of the 10 pairs at margin 0 are positive
    Y[5:, 0] = 1
    Y[5:9, 1] = 1  # 9 of the 10 pairs at margin 1
    Y[:5, 2] = 1
    slope, intercept, threshold = zero_shot_calibration(margins, Y, np.array([True, True, False]))
    assert intercept == pytest.approx(np.log(3 / 7), abs=2e-3)
    assert slope == pytest.approx(np.log(9) - np.log(3 / 7), abs=2e-3)
    assert threshold == pytest.approx(0.6, abs=1e-3)
    assert all(type(value) is float for value in (slope, intercept, threshold))
    # With 6 of 10 positive at margin 0 (and 9 of 10 at margin 1), accepting all is best for F1 (30/35 against
    # 18/25): the cut would be midway between 0.6 and 0, and is raised to 0.5.
    Y[:3, :2] = 1
    assert zero_shot_calibration(margins, Y, np.array([True, True, False]))[2] == 0.5


def test_a_weak_positive_slope_is_still_evidence():
    """4 of 10 positive at margin 0 and 6 of 10 at margin 1: intercept ln(4/6), slope ln(6/4) - ln(4/6) = 0.81,
    below 1 but positive. F1 is best accepting all (20/30 against 12/20): that cut, 0.2, is raised to 0.5."""
    margins = np.r_[np.zeros(10), np.ones(10)].reshape(-1, 1)
    Y = np.r_[np.ones(4), np.zeros(6), np.ones(6), np.zeros(4)].astype(int).reshape(-1, 1)
    slope, intercept, threshold = zero_shot_calibration(margins, Y, np.array([True]))
    assert slope == pytest.approx(2 * np.log(1.5), abs=2e-3)
    assert intercept == pytest.approx(np.log(4 / 6), abs=2e-3)
    assert threshold == 0.5


def test_margins_that_are_all_equal_are_not_evidence():
    """The same margin everywhere fits a slope of exactly 0: the margins do not tell labels apart."""
    Y = np.array([[1, 0], [0, 1], [0, 0], [1, 1]])
    assert zero_shot_calibration(np.zeros((4, 2)), Y, np.array([True, True])) == (0.0, -10.0, 1.0)
    assert zero_shot_calibration(np.zeros((4, 2)), np.zeros((4, 2), int), np.array([True, True])) == (0.0, -10.0, 1.0)
