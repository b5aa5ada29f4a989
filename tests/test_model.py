import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_validate

from classifier.estimator.model import TopicClassifier
from classifier.estimator.thresholds import THRESHOLD_PRIOR, tune_thresholds

from conftest import TRAINING


@pytest.fixture(scope="module")
def small_corpus(taxonomy):
    """The first 240 labelled training records: real texts, all fields that occur in them."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:240]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in taxonomy.labels] for r in records], dtype=np.int8)
    return texts, Y


def test_same_data_and_seed_give_the_same_scores(small_corpus):
    texts, Y = small_corpus
    a = TopicClassifier(random_state=3).fit(texts, Y)
    b = TopicClassifier(random_state=3).fit(texts, Y)
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)


def test_probabilities_are_calibrated_per_label_and_one_label_is_always_accepted(small_corpus):
    texts, Y = small_corpus
    model = TopicClassifier().fit(texts, Y)
    proba = model.predict_proba(["Observers praised the count at polling stations in the parliamentary elections."])
    assert proba.shape == (1, Y.shape[1])
    assert ((proba >= 0) & (proba <= 1)).all()
    assert model.predict(["zzz qqq"]).sum() == 1
    # Out-of-fold probabilities are calibrated: among documents scored above 0.5 for a
    # label, most truly carry it, and below 0.1 few do.
    high, low = model.cv_results_["proba"] >= 0.5, model.cv_results_["proba"] < 0.1
    assert Y[high].mean() > 0.6
    assert Y[low].mean() < 0.1


def test_learns_fields_from_real_texts(small_corpus, taxonomy):
    texts, Y = small_corpus
    model = TopicClassifier().fit(texts, Y)
    proba = model.predict_proba(["ODIHR deployed an election observation mission ahead of the presidential election."])[
        0
    ]
    assert taxonomy.labels[int(np.argmax(proba))] == "Elections"


def test_a_label_without_examples_is_never_accepted(small_corpus):
    texts, Y = small_corpus
    Y = np.hstack([Y, np.zeros((len(Y), 1), dtype=np.int8)])
    model = TopicClassifier().fit(texts, Y)
    proba = model.predict_proba(texts[:20])
    assert (proba[:, -1] < 0.01).all()
    assert model.predict(texts[:20])[:, -1].sum() == 0


def test_is_a_scikit_learn_estimator(small_corpus):
    texts, Y = small_corpus
    estimator = TopicClassifier(C=0.3, cv=3, title_weight=0.5)
    assert clone(estimator).get_params() == estimator.get_params()
    scores = cross_validate(estimator, np.array(texts, dtype=object), Y, cv=KFold(3), scoring="f1_micro")
    assert scores["test_score"].mean() > 0.3


def test_rejects_a_single_string_and_misshaped_labels(small_corpus):
    texts, Y = small_corpus
    with pytest.raises(ValueError, match="indicator matrix"):
        TopicClassifier().fit(texts, Y[:10])
    model = TopicClassifier().fit(texts, Y)
    with pytest.raises(TypeError, match="not a single string"):
        model.predict_proba("one text")


def test_thresholds_maximise_f1_and_shrink_for_rare_labels():
    y = np.array([1] * 40 + [0] * 60)
    p = np.r_[np.linspace(0.6, 0.9, 40), np.linspace(0.0, 0.5, 60)]
    (threshold,) = tune_thresholds(y[:, None], p[:, None])
    best = (0.6 + 0.5) / 2
    assert threshold == pytest.approx((40 * best + 10 * THRESHOLD_PRIOR) / 50)
    rare_y, rare_p = np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.1, 0.1])
    (rare,) = tune_thresholds(rare_y[:, None], rare_p[:, None])
    assert abs(rare - THRESHOLD_PRIOR) < abs(0.5 - THRESHOLD_PRIOR)
    (never,) = tune_thresholds(np.zeros((5, 1)), np.full((5, 1), 0.2))
    assert never == 0.9


def test_explanations_name_terms_of_the_text_that_raise_the_score(small_corpus, taxonomy):
    texts, Y = small_corpus
    model = TopicClassifier().fit(texts, Y)
    text = "Observers of the election observation mission visited polling stations during the parliamentary elections"
    elections = taxonomy.labels.index("Elections")
    (per_label,) = model.explain([text], top=3)
    evidence = per_label[elections]
    assert 1 <= len(evidence) <= 3
    weights = [weight for _, weight in evidence]
    assert weights == sorted(weights, reverse=True) and weights[0] > 0
    for term, _ in evidence:
        assert term in text.lower()
    top_term = evidence[0][0]
    without = text.lower().replace(top_term, " ")
    assert model.decision_function([without])[0, elections] < model.decision_function([text])[0, elections]


def test_explanations_credit_character_ngrams_to_the_words_they_come_from(small_corpus, taxonomy):
    texts, Y = small_corpus
    with_chars = TopicClassifier().fit(texts, Y)
    words_only = TopicClassifier(char_weight=0).fit(texts, Y)
    text = "Electoral observers watched the vote counting"
    elections = taxonomy.labels.index("Elections")
    (per_label,) = with_chars.explain([text], top=10)
    (words_per_label,) = words_only.explain([text], top=10)
    terms = dict(per_label[elections])
    # Whole words only, never fragments such as "ctor"; and the character n-grams add to them.
    assert set(terms) <= set(text.lower().split()) | {"vote counting"}
    assert sum(terms.values()) > sum(weight for _, weight in words_per_label[elections])


def test_top_ratio_keeps_only_labels_near_the_best():
    from classifier.estimator.thresholds import accept_labels

    proba = np.array([[0.9, 0.4, 0.5], [0.2, 0.1, 0.05]])
    thresholds = np.array([0.3, 0.3, 0.3])
    assert accept_labels(proba, thresholds, top_ratio=0.0).tolist() == [[1, 1, 1], [1, 0, 0]]
    assert accept_labels(proba, thresholds, top_ratio=0.5).tolist() == [[1, 0, 1], [1, 0, 0]]


def test_label_keywords_give_a_rare_label_its_words(small_corpus, taxonomy):
    texts, Y = small_corpus
    education = taxonomy.labels.index("Education")
    assert Y[:, education].sum() == 3  # rare here: its keyword document becomes a fourth example
    keywords = [f"{label}\n" for label in taxonomy.labels]
    keywords[education] = "Education\ncurriculum. schoolteachers. textbooks"
    plain = TopicClassifier().fit(texts, Y)
    informed = TopicClassifier(label_keywords=tuple(keywords)).fit(texts, Y)
    text = ["A new curriculum and textbooks for schoolteachers"]
    assert informed.predict_proba(text)[0, education] > 2 * plain.predict_proba(text)[0, education]
    with pytest.raises(ValueError, match="label_keywords has 2 entries for 23 labels"):
        TopicClassifier(label_keywords=("a", "b")).fit(texts, Y)


def test_a_model_saved_before_char_ngrams_and_top_ratio_loads_without_them(small_corpus):
    texts, Y = small_corpus
    old = TopicClassifier(char_weight=0, top_ratio=0).fit(texts, Y)
    arrays, vocabularies = old.to_arrays()
    params = {k: v for k, v in old.get_params().items() if k not in ("char_weight", "top_ratio", "char_ngram_range")}
    loaded = TopicClassifier.from_arrays(params, arrays, vocabularies)
    assert loaded.char_weight == 0 and loaded.top_ratio == 0
    np.testing.assert_allclose(loaded.predict_proba(texts[:20]), old.predict_proba(texts[:20]))
    np.testing.assert_array_equal(loaded.predict(texts[:20]), old.predict(texts[:20]))


def test_suggesting_does_not_import_what_only_training_needs():
    """Start-up time matters for `classifier suggest`: loading and predicting leave scikit-learn's SVM and
    linear-model packages (fitting only) unimported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from classifier import load_model\n"
        "load_model().suggest('Observers follow the parliamentary elections')\n"
        "print(sorted(name for name in ('sklearn.svm', 'sklearn.linear_model') if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unknown_label_is_left_out_of_that_label_and_the_row_is_never_scored(small_corpus, taxonomy):
    """Rows that are Elections texts, marked positive for Human rights and unknown (-1) for the rest: if
    unknown were read as 0 they would teach Elections that these very texts are not about it."""
    texts, Y = small_corpus
    elections, rights = taxonomy.labels.index("Elections"), taxonomy.labels.index("Human rights")
    election_texts = [text for text, row in zip(texts, Y) if row[elections]][:40]
    partial = np.full((len(election_texts), Y.shape[1]), -1, dtype=np.int8)
    partial[:, rights] = 1
    plain = TopicClassifier().fit(texts, Y)
    more = TopicClassifier().fit(texts + election_texts, np.vstack([Y, partial]))
    assert more.predict_proba(election_texts)[:, elections].mean() > 0.8
    assert (
        more.decision_function(election_texts)[:, rights].mean()
        > plain.decision_function(election_texts)[:, rights].mean() + 0.5
    )
    # Never scored: calibration and thresholds come from the fully labelled rows only.
    results = more.cv_results_
    assert np.isnan(results["proba"][len(texts) :]).all() and (results["fold"][len(texts) :] == -1).all()
    assert not results["accepted"][len(texts) :].any()
    assert not np.isnan(results["proba"][: len(texts)]).any() and (results["fold"][: len(texts)] >= 0).all()
    with pytest.raises(ValueError, match="no fully labelled row"):
        TopicClassifier().fit(election_texts, partial)
    with pytest.raises(ValueError, match=r"only hold 1 .*, 0 .* and -1"):
        TopicClassifier().fit(texts, Y * 2)


def test_label_phrases_raise_a_field_the_text_names_and_survive_saving(small_corpus, taxonomy):
    from classifier.estimator.evidence import field_phrases

    texts, Y = small_corpus
    phrases = tuple(field_phrases(field) for field in taxonomy.fields)
    plain = TopicClassifier().fit(texts, Y)
    stacked = TopicClassifier(label_phrases=phrases).fit(texts, Y)
    assert stacked.stacked_.sum() == (Y.sum(axis=0) > 0).sum()  # every field with examples
    # Two rare fields here (2 examples each), each named by a text: the phrases lift them up the ranking.
    for label, text in [
        ("Gender equality", "Gender equality workshop on violence against women for police officers"),
        (
            "Reform and co-operation in the security sector",
            "Security sector reform: parliamentary oversight of the armed forces discussed",
        ),
    ]:
        j = taxonomy.labels.index(label)
        before, after = plain.predict_proba([text])[0], stacked.predict_proba([text])[0]
        assert after[j] > 5 * before[j] and (after > after[j]).sum() < (before > before[j]).sum()
    arrays, vocabularies = stacked.to_arrays()
    loaded = TopicClassifier.from_arrays(stacked.get_params(), arrays, vocabularies)
    np.testing.assert_array_equal(loaded.predict_proba(texts[:30]), stacked.predict_proba(texts[:30]))
    again = TopicClassifier(label_phrases=phrases).fit(texts, Y)
    np.testing.assert_array_equal(again.predict_proba(texts[:30]), stacked.predict_proba(texts[:30]))
