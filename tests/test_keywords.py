import json

import numpy as np
import pytest

from classifier.estimator.keywords import (
    keyword_document,
    keyword_documents,
    keyword_margins,
    label_roles,
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
