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


# Fast tests on the tiny synthetic corpus of conftest (`tiny_corpus`, `tiny_model`): every expected value is
# computed here from scikit-learn, iterstrat or the thresholds module directly, never from the estimator's code.


def test_cross_validation_state_is_that_of_stratified_folds_and_fold_tuned_thresholds(tiny_model, tiny_corpus):
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    from classifier.estimator.thresholds import accept_labels, sigmoid

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    results = tiny_model.cv_results_
    expected_fold = np.full(len(texts), -1)
    for k, (_, test) in enumerate(
        MultilabelStratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(np.zeros((len(Y), 1)), Y)
    ):
        expected_fold[test] = k
    np.testing.assert_array_equal(results["fold"], expected_fold)
    assert results["fold"].dtype == np.int32 and tiny_model.classes_.dtype == object
    proba = results["proba"]
    assert proba.shape == Y.shape and not np.isnan(proba).any()
    # Youth, zero-shot, has no linear model in the folds: its out-of-fold score is the constant -10.
    np.testing.assert_allclose(proba[:, 3], 1 / (1 + np.exp(10.0)))
    for k in range(3):
        inside = expected_fold == k
        thresholds = tune_thresholds(Y[~inside], proba[~inside])
        expected = accept_labels(proba[inside], thresholds, True, 0.5, np.array([True, True, True, False]))
        np.testing.assert_array_equal(results["accepted"][inside], expected)
    # The model's thresholds are tuned on the out-of-fold scores through its own calibration (fitted on every fold).
    oof = _out_of_fold_scores(texts, Y, results["fold"], cv=3, label_keywords=TINY_KEYWORDS, min_examples=5)
    np.testing.assert_allclose(results["scores"][:, :3], oof[:, :3], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        tiny_model.thresholds_[:3], tune_thresholds(Y, sigmoid(oof, tiny_model.calibration_))[:3]
    )
    assert 0.5 <= tiny_model.thresholds_[3] <= 1.0  # a zero-shot field's own, never below 0.5
    assert tiny_model.zero_shot_.tolist() == [False, False, False, True]
    assert not tiny_model.low_confidence_.any() and tiny_model.n_labels_ == 4
    assert tiny_model.classes_.tolist() == ["Elections", "Border management", "Media freedom and development", "Youth"]
    assert tiny_model.phrase_minimum_ is None and tiny_model.stacked_ is None


def _out_of_fold_scores(texts, Y, folds, **params) -> np.ndarray:
    """Each row's linear scores from a model fitted on the other folds' rows only."""
    scores = np.zeros(Y.shape)
    for fold in np.unique(folds):
        inside = folds == fold
        fold_model = TopicClassifier(**params).fit([t for t, i in zip(texts, inside) if not i], Y[~inside])
        scores[inside] = fold_model.decision_function([t for t, i in zip(texts, inside) if i])
    return scores


def test_out_of_fold_scores_come_from_models_and_a_calibration_that_never_saw_the_fold(tiny_model, tiny_corpus):
    from classifier.estimator.thresholds import platt, sigmoid

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    folds = tiny_model.cv_results_["fold"]
    scores = _out_of_fold_scores(texts, Y, folds, cv=3, label_keywords=TINY_KEYWORDS, min_examples=5)
    outside = folds != 0
    calibration = np.array([platt(scores[outside, j], Y[outside, j]) for j in range(3)])
    expected = sigmoid(scores[~outside, :3], calibration)
    np.testing.assert_allclose(tiny_model.cv_results_["proba"][~outside, :3], expected, rtol=1e-6)
    # The model's own calibration saw fold 0 too: it differs from the one the fold is scored with.
    assert not np.allclose(tiny_model.calibration_[:3], calibration)


def test_each_linear_model_is_a_linear_svc_on_the_texts_and_keyword_documents(tiny_model, tiny_corpus):
    from sklearn.svm import LinearSVC

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    # keyword_examples="all": each field with examples gets its keyword document as one more positive.
    features = tiny_model.transform(texts + list(TINY_KEYWORDS[:3]))
    Y_more = np.vstack([Y, np.eye(3, 4, dtype=np.int8)])
    for j in range(3):
        svm = LinearSVC(C=0.5, class_weight="balanced", tol=1e-2, random_state=0).fit(features, Y_more[:, j])
        np.testing.assert_allclose(tiny_model.coef_[j], svm.coef_[0], rtol=1e-5, atol=1e-6)
        assert tiny_model.intercept_[j] == pytest.approx(svm.intercept_[0], rel=1e-6)
    # The zero-shot field's coefficients are its keyword document's unit vector.
    keyword_vector = tiny_model.transform([TINY_KEYWORDS[3]]).toarray()[0]
    np.testing.assert_allclose(tiny_model.coef_[3], keyword_vector / np.linalg.norm(keyword_vector), rtol=1e-5)
    assert tiny_model.intercept_[3] == 0.0
    np.testing.assert_array_equal(tiny_model.prototypes_[3], tiny_model.coef_[3])


def test_scores_and_probabilities_by_hand(tiny_model):
    texts = ["Voters at the polling stations", "Customs guards at the border", "Young people at a youth forum", "zz"]
    features = tiny_model.transform(texts)
    assert features.dtype == np.float32 and features.shape == (4, tiny_model.coef_.shape[1])
    dense, protos = features.toarray().astype(np.float64), tiny_model.prototypes_.astype(np.float64)
    linear = dense @ tiny_model.coef_.T.astype(np.float64) + tiny_model.intercept_
    cosines = dense @ protos.T
    linear[:, 3] = cosines[:, 3] - cosines[:, :3].max(axis=1)  # Youth's keyword margin
    scores = tiny_model.decision_function(texts)
    np.testing.assert_allclose(scores, linear, rtol=1e-5, atol=1e-6)
    slope, intercept = tiny_model.calibration_[:, 0], tiny_model.calibration_[:, 1]
    expected = 1 / (1 + np.exp(-np.clip(scores * slope + intercept, -50, 50)))
    np.testing.assert_allclose(tiny_model.predict_proba(texts), expected, rtol=1e-12)
    accepted = tiny_model.predict(texts)
    assert accepted[:2].tolist() == [[1, 0, 0, 0], [0, 1, 0, 0]] and accepted[2, 3] == 1


def test_accepting_by_hand():
    model = TopicClassifier(top_ratio=0.5)
    model.thresholds_ = np.array([0.5, 0.5, 0.3])
    model.zero_shot_ = np.array([False, False, True])
    proba = np.array([[0.9, 0.6, 0.2], [0.9, 0.4, 0.3], [0.2, 0.1, 0.25], [0.3, 0.1, 0.9]])
    # Row 2 passes its threshold in field 2 but is below half the best; row 3 reaches no threshold and gets
    # its best field that is not zero-shot (field 0, not field 2).
    assert model.accept(proba).tolist() == [[1, 1, 0], [1, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert model.accept(proba, np.array([0.95, 0.95, 0.95])).tolist() == [[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]]
    # A caller's ensure_one overrides the model's (a window of a long text may get none).
    assert model.accept(proba, ensure_one=False).tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1]]
    model.zero_shot_ = np.array([False, False, False])
    assert model.accept(proba)[2].tolist() == [0, 0, 1]
    model.ensure_one, model.top_ratio = False, 0.0
    assert model.accept(proba).tolist() == [[1, 1, 0], [1, 0, 1], [0, 0, 0], [0, 0, 1]]


def test_a_field_in_no_text_or_in_every_text_scores_a_constant_and_is_not_stacked(tiny_corpus):
    texts, Y = tiny_corpus
    one = np.zeros(len(Y), dtype=np.int8)
    one[5] = 1
    Y3 = np.c_[Y[:, 0], np.ones(len(Y), dtype=np.int8), np.zeros(len(Y), dtype=np.int8), one]
    phrases = ((["election"], ["ballot", "voters"]), (["capital"], []), (["youth"], []), (["press"], []))
    steps = []
    model = TopicClassifier(cv=2, char_weight=0, label_phrases=phrases).fit(
        texts, Y3, on_step=lambda *s: steps.append(s)
    )
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert model.intercept_[1:3].tolist() == [10.0, -10.0] and not model.coef_[1:3].any()
    assert model.calibration_[1:3].tolist() == [[1.0, 0.0], [1.0, 0.0]]
    proba = model.predict_proba(["Ballot voters", "nothing here"])
    np.testing.assert_allclose(proba[:, 1:3], [[1 / (1 + np.exp(-10.0)), 1 / (1 + np.exp(10.0))]] * 2, rtol=1e-12)
    assert model.stacked_.tolist() == [True, False, False, True] and model.stack_weights_.shape == (6,)
    assert model.thresholds_[2] == 0.9  # no positive: the ceiling
    # No keywords, so no field is rare or zero-shot: none is accepted on its phrases alone.
    assert model.phrase_minimum_.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert model.classes_.tolist() == [0, 1, 2, 3]


def test_a_field_without_enough_examples_is_accepted_when_the_text_names_two_of_its_phrases(tiny_corpus):
    from classifier.estimator.thresholds import accept_labels

    from conftest import TINY_KEYWORDS, TINY_PHRASES

    texts, Y = tiny_corpus
    # "capital" is in every text, "officials" in some: Elections is named outright in those texts.
    phrases = ((["election"], ["capital", "officials"]), *TINY_PHRASES[1:])
    model = TopicClassifier(cv=2, char_weight=0, label_keywords=TINY_KEYWORDS, label_phrases=phrases, min_examples=20)
    model.fit(texts, Y)
    assert model.phrase_minimum_.tolist() == [2.0, 2.0, 2.0, 2.0]  # rare (15 < 20) or zero-shot
    named = np.array(["officials" in text.lower().split() or "officials" in text.lower() for text in texts])
    results = model.cv_results_
    by_score = np.zeros_like(Y)
    for k in (0, 1):
        inside = results["fold"] == k
        thresholds = tune_thresholds(Y[~inside], results["proba"][~inside])
        by_score[inside] = accept_labels(results["proba"][inside], thresholds, True, 0.5, ~model.zero_shot_)
    expected = by_score.copy()
    expected[named, 0] = 1
    expected[[i for i, t in enumerate(texts) if "press" in t.lower() and "media" in t.lower()], 2] = 1
    expected[[i for i, t in enumerate(texts) if "border" in t.lower() and "customs" in t.lower()], 1] = 1
    np.testing.assert_array_equal(results["accepted"], expected)
    assert model.phrase_accepted(["Young people at a youth forum", "Young people"]).tolist() == [
        [0, 0, 0, 1],
        [0, 0, 0, 0],
    ]
    # In a lead, Youth (no examples, fewer than 5) is accepted on one phrase; the fields with 15 examples are not.
    assert model.lead_phrase_minimum_.tolist() == [0.0, 0.0, 0.0, 1.0]
    leads = ["Young people", "Young people", "Officials at the press office"]
    assert model.phrase_accepted(leads, leads=[True, False, True]).tolist() == [
        [0, 0, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    off = TopicClassifier(cv=2, char_weight=0, label_phrases=phrases, phrase_accept=0).fit(texts, Y)
    assert off.phrase_minimum_ is None and off.lead_phrase_minimum_ is None
    no_lead = TopicClassifier(cv=2, char_weight=0, label_phrases=phrases, lead_phrase_accept=0).fit(texts, Y)
    assert no_lead.lead_phrase_minimum_ is None
    assert no_lead.phrase_accepted(leads, leads=[True, True, True]).tolist() == [[0, 0, 0, 0]] * 3


def test_in_a_window_of_a_long_text_any_field_is_named_outright_by_two_of_its_phrases(tiny_corpus, monkeypatch):
    from classifier.estimator.runtime import LinearTopicModel
    from classifier.estimator.windows import read_windowed

    from conftest import TINY_KEYWORDS, TINY_PHRASES

    texts, Y = tiny_corpus  # Youth has no examples
    params = dict(cv=2, char_weight=0, label_keywords=TINY_KEYWORDS, label_phrases=TINY_PHRASES, min_examples=5)
    model = TopicClassifier(**params, window_phrase_accept=2).fit(texts, Y)
    # Media has 15 examples, so a text or a lead naming it twice is read by its score; a window needs two phrases.
    assert model.phrase_minimum_.tolist() == [0.0, 0.0, 0.0, 2.0]
    assert model.window_phrase_minimum_.tolist() == [2.0, 2.0, 2.0, 2.0]
    named = ["Officials at the press office met the media", "Officials met the media"]
    assert model.phrase_accepted(named).tolist() == [[0, 0, 0, 0], [0, 0, 0, 0]]
    assert model.phrase_accepted(named, windows=True).tolist() == [[0, 0, 1, 0], [0, 0, 0, 0]]
    runtime = LinearTopicModel.from_arrays(model.get_params(), *model.to_arrays())
    expected = model.phrase_accepted(named, windows=True)
    np.testing.assert_array_equal(runtime.phrase_accepted(named, windows=True), expected)
    # A long report is read window by window with the window rule; a short text, whole, without it.
    calls = []
    accepted = model.phrase_accepted

    def spy(X, leads=None, windows=False):
        calls.append((len(X), windows))
        return accepted(X, leads, windows)

    monkeypatch.setattr(model, "phrase_accepted", spy)
    filler = " ".join(["The committee discussed the annual budget and the schedule of meetings."] * 20)
    report = f"Annual report\n{filler}\n\nOfficials at the press office met the media.\n\n{filler}"
    reading = read_windowed(model, [report, named[0]], words=[report.split(), named[0].split()])
    assert reading.n_windows.tolist() == [14, 1]
    assert (14, True) in calls and all(not windows for n, windows in calls if n != 14)
    # Without the window rule (the default, and bundles from before it), windows are read as any text.
    old = TopicClassifier(**params).fit(texts, Y)
    assert old.window_phrase_minimum_ is None
    np.testing.assert_array_equal(old.phrase_accepted(named, windows=True), old.phrase_accepted(named))
    assert LinearTopicModel.from_arrays(old.get_params(), *old.to_arrays()).window_phrase_minimum_ is None


def test_a_row_with_an_unknown_label_trains_only_the_labels_it_knows_and_is_never_scored(tiny_corpus):
    from sklearn.svm import LinearSVC

    from classifier.estimator.thresholds import sigmoid

    texts, Y = tiny_corpus
    extra = ["Ballot observers at the border checkpoint", "Voters crossing the border"]
    partial = np.array([[1, -1, -1, -1], [1, -1, -1, -1]], dtype=np.int8)
    model = TopicClassifier(cv=2, char_weight=0, title_weight=0).fit(texts + extra, np.vstack([Y, partial]))
    features = model.transform(texts + extra)
    for j, rows in ((0, slice(None)), (1, slice(0, len(texts)))):  # Border management never sees the two rows
        svm = LinearSVC(C=0.5, class_weight="balanced", tol=1e-2, random_state=0)
        svm.fit(features[rows], np.vstack([Y, partial])[rows, j])
        np.testing.assert_allclose(model.coef_[j], svm.coef_[0], rtol=1e-5, atol=1e-6)
    results = model.cv_results_
    assert np.isnan(results["proba"][-2:]).all() and results["fold"][-2:].tolist() == [-1, -1]
    assert not results["accepted"][-2:].any() and set(results["fold"][:-2]) == {0, 1}
    assert np.isnan(results["scores"][-2:]).all() and not np.isnan(results["scores"][:-2]).any()
    tuned_on = sigmoid(results["scores"][:-2], model.calibration_)
    np.testing.assert_allclose(model.thresholds_[:3], tune_thresholds(Y, tuned_on)[:3])
    assert model.thresholds_[3] == 0.9


def test_one_label_is_split_by_stratified_folds_and_few_rows_by_at_least_two(tiny_corpus):
    from sklearn.model_selection import StratifiedKFold

    texts, Y = tiny_corpus
    for rows, cv, n_splits in ((12, 10, 6), (12, 4, 4), (5, 3, 2)):
        y = np.arange(rows)[:, None] % 2
        model = TopicClassifier(cv=cv, char_weight=0, random_state=7).fit(texts[:rows], y)
        expected = np.full(rows, -1)
        for k, (_, test) in enumerate(
            StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=7).split(np.zeros((rows, 1)), y[:, 0])
        ):
            expected[test] = k
        np.testing.assert_array_equal(model.cv_results_["fold"], expected)


@pytest.mark.parametrize(
    "Y, message",
    [
        (None, "TopicClassifier requires y to be passed, but the target y is None"),
        (np.ones(36), r"Y must be an indicator matrix of shape \(36, n_labels\), got \(36,\)"),
        (np.ones((35, 2)), r"Y must be an indicator matrix of shape \(36, n_labels\), got \(35, 2\)"),
        (np.full((36, 2), 0.5), r"Y may only hold 1 \(the label applies\), 0 \(it does not\) and -1 \(unknown\)"),
        (np.full((36, 2), 2), r"Y may only hold 1 \(the label applies\), 0 \(it does not\) and -1 \(unknown\)"),
        (np.full((36, 2), -1), r"Y has no fully labelled row: every row has an unknown \(-1\) entry"),
    ],
)
def test_misshaped_labels_are_refused_before_fitting(tiny_corpus, Y, message):
    texts, _ = tiny_corpus
    with pytest.raises(ValueError, match=f"^{message}$"):
        TopicClassifier().fit(texts, Y)


def test_label_names_and_keyword_examples_are_checked(tiny_corpus):
    texts, Y = tiny_corpus
    for labels in (["a", "b", "c"], ["a", "b", "c", "c"]):
        with pytest.raises(ValueError, match=r"^labels must name each of the 4 columns of Y once, got \d names$"):
            TopicClassifier(labels=labels).fit(texts, Y)
    with pytest.raises(ValueError, match=r"^keyword_examples must be one of all, rare, none, got 'some'$"):
        TopicClassifier(keyword_examples="some").fit(texts, Y)
    with pytest.raises(TypeError, match="not a single string"):
        TopicClassifier().fit("one text", Y[:1])


@pytest.mark.parametrize("keyword_examples, extra", [("rare", [0, 2]), ("none", [])])
def test_keyword_examples_rare_or_none(tiny_corpus, keyword_examples, extra):
    """Elections (19 examples) and Media (15) are rare here (fewer than 20), and Border management would be but has
    no keyword document."""
    from sklearn.svm import LinearSVC

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    keywords = (TINY_KEYWORDS[0], "", TINY_KEYWORDS[2], "")
    model = TopicClassifier(
        cv=2, char_weight=0, title_weight=0, label_keywords=keywords, keyword_examples=keyword_examples, min_examples=20
    ).fit(texts, Y)
    assert model.low_confidence_.tolist() == [True, False, True, False] and not model.zero_shot_.any()
    assert model.prototypes_ is None and "prototypes" not in model.to_arrays()[0]  # no zero-shot field
    features = model.transform(texts + [keywords[j] for j in extra])
    Y_more = np.vstack([Y, np.eye(4, dtype=np.int8)[extra]])
    for j in range(3):
        svm = LinearSVC(C=0.5, class_weight="balanced", tol=1e-2, random_state=0).fit(features, Y_more[:, j])
        np.testing.assert_allclose(model.coef_[j], svm.coef_[0], rtol=1e-5, atol=1e-6)


NEW_TEXTS = [
    "Électión observers counted ballots\nThe voters and candidates met the press.",
    "Border guards\nCustoms officers patrolled the crossing; journalists reported on smuggling.",
    "Young people\nA youth forum of volunteers in the capital.",
    "nothing known here",
    "The ballot and the ballot in the capital\nBallot ballot voters voters voters at the polling stations.",
]


def test_to_arrays_holds_the_fitted_state_and_from_arrays_rebuilds_the_same_model(tiny_model):
    arrays, vocabularies = tiny_model.to_arrays()
    names = ["coef", "intercept", "calibration", "thresholds", "prototypes", "zero_shot"]
    assert set(arrays) == {*names, "idf_text", "idf_title", "idf_chars"}
    for name in names[:-1]:
        np.testing.assert_array_equal(arrays[name], getattr(tiny_model, f"{name}_"))
    assert arrays["zero_shot"].dtype == bool and arrays["zero_shot"].tolist() == [False, False, False, True]
    blocks = dict(tiny_model.vectorizer_.transformer_list)
    words, title, chars = blocks["text"], blocks["title"][-1], blocks["chars"]
    assert vocabularies["text"] == sorted(words.vocabulary_, key=words.vocabulary_.get)
    assert vocabularies["title"] == sorted(title.vocabulary_, key=title.vocabulary_.get)
    assert vocabularies["chars"] == sorted(chars.vocabulary_, key=chars.vocabulary_.get)
    assert list(vocabularies) == ["text", "title", "chars"] and vocabularies == tiny_model.vocabularies
    np.testing.assert_array_equal(arrays["idf_text"], words.idf_)
    np.testing.assert_array_equal(arrays["idf_title"], title.idf_)
    np.testing.assert_array_equal(arrays["idf_chars"], chars.idf_)
    loaded = TopicClassifier.from_arrays(tiny_model.get_params(), arrays, vocabularies)
    np.testing.assert_array_equal(loaded.predict_proba(NEW_TEXTS), tiny_model.predict_proba(NEW_TEXTS))
    np.testing.assert_array_equal(loaded.predict(NEW_TEXTS), tiny_model.predict(NEW_TEXTS))
    assert loaded.classes_.tolist() == tiny_model.classes_.tolist()
    assert loaded.explain(NEW_TEXTS, top=3) == tiny_model.explain(NEW_TEXTS, top=3)
    # Terms in an order other than the alphabet's, with their weights and columns: the same model, which names and
    # saves them in that order.
    sizes = [len(terms) for terms in vocabularies.values()]
    columns = np.concatenate([start + np.arange(n)[::-1] for start, n in zip(np.cumsum([0, *sizes[:-1]]), sizes)])
    turned_arrays = {**arrays, "coef": arrays["coef"][:, columns], "prototypes": arrays["prototypes"][:, columns]}
    turned_arrays.update({f"idf_{name}": arrays[f"idf_{name}"][::-1] for name in vocabularies})
    turned_terms = {name: terms[::-1] for name, terms in vocabularies.items()}
    turned = TopicClassifier.from_arrays(tiny_model.get_params(), turned_arrays, turned_terms)
    np.testing.assert_allclose(turned.predict_proba(NEW_TEXTS), tiny_model.predict_proba(NEW_TEXTS), rtol=1e-4)
    assert turned.to_arrays()[1] == turned_terms
    assert turned.get_feature_names_out()[0] == f"text__{vocabularies['text'][-1]}"
    # (The word blocks' scikit-learn vectorizers refuse such idf weights themselves.)
    short = {**vocabularies, "chars": vocabularies["chars"][:-1]}
    count = len(vocabularies["chars"])
    with pytest.raises(ValueError, match=f"^vocabulary 'chars' has {count - 1} terms but {count} weights$"):
        TopicClassifier.from_arrays(tiny_model.get_params(), arrays, short)


def test_idf_weights_are_smoothed_over_the_texts_and_keyword_documents(tiny_model):
    """36 texts and 4 keyword documents: "capital" is in every text (37 of 41 with scikit-learn's smoothing),
    "youth" only in Youth's keyword document, in its body and in its title."""
    terms = tiny_model.vocabularies
    assert tiny_model.idf("text")[terms["text"].index("capital")] == pytest.approx(np.log(41 / 37) + 1)
    assert tiny_model.idf("text")[terms["text"].index("youth")] == pytest.approx(np.log(41 / 2) + 1)
    assert tiny_model.idf("title")[terms["title"].index("youth")] == pytest.approx(np.log(41 / 2) + 1)


def test_an_unfitted_model_has_no_arrays():
    from sklearn.exceptions import NotFittedError

    for method in (
        lambda m: m.to_arrays(),
        lambda m: m.get_feature_names_out(),
        lambda m: m.decision_function(["x"]),
        lambda m: m.idf("text"),
    ):
        with pytest.raises(NotFittedError):
            method(TopicClassifier())


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"stop_words": ["the", "in", "and"], "ngram_range": (1, 3), "char_ngram_range": (2, 4), "title_weight": 0.7},
        {"stop_words": None, "char_weight": 0.3, "title_weight": 0, "min_df": 2, "max_df": 0.5},
    ],
)
def test_the_runtime_model_scores_as_the_estimator(tiny_corpus, params):
    """LinearTopicModel computes the features without scikit-learn: lower case, accents stripped, stop words,
    sublinear tf, title and character blocks and their weights must all be the estimator's."""
    from classifier.estimator.runtime import LinearTopicModel

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    model = TopicClassifier(cv=2, label_keywords=TINY_KEYWORDS, **params).fit(texts, Y)
    longest = max(len(term.split()) for term in model.vocabularies["text"])
    assert longest == params.get("ngram_range", (1, 2))[1]
    runtime = LinearTopicModel.from_arrays(model.get_params(), *model.to_arrays())
    np.testing.assert_allclose(
        runtime.predict_proba(NEW_TEXTS + texts), model.predict_proba(NEW_TEXTS + texts), atol=1e-6
    )
    np.testing.assert_array_equal(runtime.predict(NEW_TEXTS), model.predict(NEW_TEXTS))
    assert runtime.explain(NEW_TEXTS, top=4) == model.explain(NEW_TEXTS, top=4)


def test_min_df_max_df_and_stop_words_choose_the_word_vocabulary(tiny_corpus):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    texts, Y = tiny_corpus
    model = TopicClassifier(cv=2, char_weight=0, title_weight=0, min_df=2, max_df=0.5, ngram_range=(1, 1)).fit(texts, Y)
    documents = [set(text.lower().replace(".", " ").split()) for text in texts]
    counts = {word: sum(word in d for d in documents) for d in documents for word in d}
    # In 2 to 18 of the 36 texts, not a stop word ("in", "the"); the numbers in titles are each in one text.
    expected = sorted(w for w, n in counts.items() if 2 <= n <= 18 and w not in ENGLISH_STOP_WORDS)
    assert sorted(model.vocabularies["text"]) == expected and "capital" not in expected and "week" in expected
    assert list(model.vocabularies) == ["text"]


def test_feature_names_are_block_and_term_in_column_order(tiny_model):
    names = tiny_model.get_feature_names_out()
    vocabularies = tiny_model.vocabularies
    assert names.dtype == object and len(names) == tiny_model.coef_.shape[1]
    expected = [f"{block}__{term}" for block in ("text", "title", "chars") for term in vocabularies[block]]
    assert names.tolist() == expected
    column = tiny_model.transform(["ballot"]).indices
    assert "text__ballot" in names[column].tolist()


def test_explanations_are_each_terms_share_of_the_score(tiny_corpus):
    texts, Y = tiny_corpus
    model = TopicClassifier(cv=2, char_weight=0, title_weight=0).fit(texts, Y)
    text = "Voters and observers at the border checkpoint"
    row = model.transform([text]).tocsr()
    terms = model.vocabularies["text"]
    for j, explained in enumerate(model.explain([text], top=2)[0]):
        shares = {terms[c]: float(model.coef_[j, c]) * float(v) for c, v in zip(row.indices, row.data)}
        best = sorted((item for item in shares.items() if item[1] > 0), key=lambda item: -item[1])[:2]
        assert [term for term, _ in explained] == [term for term, _ in best]
        assert [weight for _, weight in explained] == pytest.approx([round(w, 4) for _, w in best], abs=1e-4)
    long_text = "Election ballot voters polling candidates observers campaign turnout"
    assert len(model.explain([long_text])[0][0]) == 5  # of 8 terms raising Elections


def test_explanations_add_each_columns_share_to_its_terms_as_a_plain_loop_does(tiny_corpus):
    """Every term's weight, summed column by column in plain Python: a word's column is all its own, a character
    n-gram's is shared among the words it was taken from by how often each holds it; ties in alphabetical order."""
    from functools import partial

    from classifier.estimator.runtime import words_of_char_ngrams

    texts, Y = tiny_corpus
    model = TopicClassifier(cv=2).fit(texts, Y)
    names = [(block, term) for block in model.vocabularies for term in model.vocabularies[block]]
    words_of = partial(words_of_char_ngrams, model.vectorizer_.named_transformers["chars"].ngrams())
    new = [*texts[:12], "Voters, voters and VOTERS: a ballot for the border", "Candidates campaign; turnout rose"]
    rows = model.transform(new).tocsr()
    for i, explained in enumerate(model.explain(new, top=4)):
        holders = words_of(new[i])
        for j, terms in enumerate(explained):
            weights: dict[str, float] = {}
            for column, value in zip(rows[i].indices, rows[i].data):
                share = float(model.coef_[j, column]) * float(value)
                block, term = names[column]
                counts = holders.get(term, {}) if block == "chars" else {term: 1}
                for word, count in counts.items():
                    weights[word] = weights.get(word, 0.0) + share * count / sum(counts.values())
            best = sorted((item for item in weights.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))
            assert [term for term, _ in terms] == [term for term, _ in best[:4]]
            assert [weight for _, weight in terms] == pytest.approx([round(w, 4) for _, w in best[:4]], abs=1e-4)
    assert any(terms for explained in model.explain(new) for terms in explained)


def test_a_pickled_model_leaves_its_phrase_caches_behind_and_a_refit_reads_new_phrases(tiny_corpus):
    import pickle

    texts, Y = tiny_corpus
    first = ((["election"], ["ballot"]), (["border"], ["customs"]), (["media"], ["press"]), (["youth"], []))
    second = ((["capital"], ["officials"]), (["week"], []), (["training"], []), (["youth"], []))
    from conftest import TINY_KEYWORDS

    options = {"cv": 2, "char_weight": 0, "label_keywords": TINY_KEYWORDS, "min_examples": 20}
    model = TopicClassifier(label_phrases=first, **options).fit(texts, Y)
    before = model.predict_proba(NEW_TEXTS)
    model.phrase_accepted(NEW_TEXTS)
    caches = {"_phrase_counter_cache", "_phrase_matcher_cache", "_lead_matcher_cache"}
    assert caches <= set(model.__dict__) and not caches & set(model.__getstate__())
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(NEW_TEXTS), before)
    model.set_params(label_phrases=second).fit(texts, Y)
    fresh = TopicClassifier(label_phrases=second, **options).fit(texts, Y)
    assert fresh.phrase_accepted(texts).any()
    np.testing.assert_array_equal(model.predict_proba(NEW_TEXTS), fresh.predict_proba(NEW_TEXTS))
    np.testing.assert_array_equal(model.phrase_accepted(texts), fresh.phrase_accepted(texts))
    # A refit without phrases keeps no matcher of the old ones.
    model.set_params(label_phrases=None).fit(texts, Y)
    assert not caches & set(model.__dict__) and model.named_phrases(["Ballot at the border"]) == [{}]


def test_the_stacker_round_trips_through_arrays_and_the_runtime(tiny_corpus):
    from classifier.estimator.runtime import LinearTopicModel

    from conftest import TINY_KEYWORDS, TINY_PHRASES

    texts, Y = tiny_corpus
    phrases = TINY_PHRASES
    model = TopicClassifier(cv=2, label_keywords=TINY_KEYWORDS, label_phrases=phrases, min_examples=20).fit(texts, Y)
    arrays, vocabularies = model.to_arrays()
    assert arrays["stacked"].tolist() == [True, True, True, False] and arrays["stack_weights"].shape == (6,)
    np.testing.assert_array_equal(arrays["stack_offsets"], model.stack_offsets_)
    np.testing.assert_array_equal(arrays["stack_weights"], model.stack_weights_)
    assert arrays["phrase_minimum"].dtype == np.float32 and arrays["phrase_minimum"].tolist() == [2.0] * 4
    loaded = TopicClassifier.from_arrays(model.get_params(), arrays, vocabularies)
    np.testing.assert_array_equal(loaded.predict_proba(NEW_TEXTS), model.predict_proba(NEW_TEXTS))
    runtime = LinearTopicModel.from_arrays(model.get_params(), arrays, vocabularies)
    np.testing.assert_allclose(runtime.predict_proba(NEW_TEXTS), model.predict_proba(NEW_TEXTS), atol=1e-6)
    np.testing.assert_array_equal(runtime.phrase_accepted(NEW_TEXTS), model.phrase_accepted(NEW_TEXTS))


def test_a_zero_shot_field_is_calibrated_on_the_fields_with_enough_examples(tiny_corpus):
    """Media keeps one of its examples: with min_examples=15 the calibration of Youth's keyword margins comes from
    Elections (19) and Border management (15) only; with 20, none has enough, so from every field with examples,
    Media's one included."""
    from classifier.estimator.keywords import keyword_margins, zero_shot_calibration

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    Y = Y.copy()
    Y[np.flatnonzero(Y[:, 2])[1:], 2] = 0
    assert Y.sum(axis=0).tolist() == [19, 15, 1, 0]
    for min_examples, reference in ((15, [True, True, False, False]), (20, [True, True, True, False])):
        model = TopicClassifier(
            cv=2, char_weight=0, label_keywords=TINY_KEYWORDS, keyword_examples="none", min_examples=min_examples
        ).fit(texts, Y)
        margins = keyword_margins(model.transform(texts), model.prototypes_)
        slope, intercept, threshold = zero_shot_calibration(margins, Y, np.array(reference))
        np.testing.assert_allclose(model.calibration_[3], [slope, intercept], rtol=1e-9)
        assert model.thresholds_[3] == pytest.approx(threshold)
        assert model.zero_shot_.tolist() == [False, False, False, True]


def test_out_of_fold_probabilities_of_the_stacker_combine_fold_scores_and_phrases(tiny_corpus):
    from classifier.estimator.evidence import PhraseCounter, evidence_features, fit_stacker, stacked_proba
    from classifier.estimator.thresholds import platt, sigmoid

    texts, Y = tiny_corpus
    phrases = ((["election"], ["ballot"]), (["border"], ["customs"]), (["media"], ["press"]), (["youth"], []))
    model = TopicClassifier(cv=2, char_weight=0, label_phrases=phrases).fit(texts, Y)
    folds = model.cv_results_["fold"]
    scores = _out_of_fold_scores(texts, Y, folds, cv=2, char_weight=0)
    evidence = evidence_features(PhraseCounter(phrases), texts)
    # The model's calibration and stacker, fitted on both folds, give the probabilities its thresholds are tuned on.
    linear = sigmoid(scores, model.calibration_)
    tuned_on = stacked_proba(linear, evidence, model.stack_weights_, model.stack_offsets_, model.stacked_)
    np.testing.assert_allclose(model.thresholds_[:3], tune_thresholds(Y, tuned_on)[:3])
    # The cross-validated metrics read each fold calibrated and stacked by what the other fold alone gives.
    outside = folds != 0
    calibration = np.array([platt(scores[outside, j], Y[outside, j]) for j in range(Y.shape[1])])
    weights, offsets = fit_stacker(sigmoid(scores[outside], calibration), evidence[outside], Y[outside], model.stacked_)
    expected = stacked_proba(
        sigmoid(scores[~outside], calibration), evidence[~outside], weights, offsets, model.stacked_
    )
    np.testing.assert_allclose(model.cv_results_["proba"][~outside], expected, rtol=1e-6, atol=1e-12)
    assert not np.allclose(weights, model.stack_weights_)
    assert model._phrase_counter() is model._phrase_counter()  # built once, then reused
    model.phrase_accepted(texts[:1])
    matcher = model.__dict__["_phrase_matcher_cache"]
    model.phrase_accepted(texts[:1])
    assert model.__dict__["_phrase_matcher_cache"] is matcher
    # The phrases a text names, per field, as the phrases are written; a model without phrases names none.
    named = model.named_phrases(["Ballot boxes reached the border and the press", "Weather"])
    assert named == [{0: ["ballot"], 1: ["border"], 2: ["press"]}, {}]
    assert TopicClassifier(cv=2, char_weight=0).fit(texts, Y).named_phrases(["Ballot and border"]) == [{}]


def test_a_fold_too_small_for_min_df_is_refused_with_the_vectorizers_reason(tiny_corpus):
    """min_df 20 is more texts than a fold's 18 training texts: the fold's features cannot be made, and the error
    says why in scikit-learn's words rather than failing on what is missing."""
    texts, Y = tiny_corpus
    with pytest.raises(ValueError, match="^max_df corresponds to < documents than min_df$"):
        TopicClassifier(cv=2, char_weight=0, min_df=20).fit(texts, Y)


def test_a_field_is_stacked_in_a_folds_metrics_only_where_the_other_folds_hold_examples_of_it_and_texts_without(
    tiny_corpus,
):
    """Youth given one example: the fold holding it is scored by what the other fold alone gives, where Youth has
    none, so no stacker can learn it there: it keeps its calibrated probability. In the other fold, whose outside holds
    that one example, it is stacked. Media is on every text but one: where the outside is all Media, it is not
    stacked either."""
    from classifier.estimator.evidence import PhraseCounter, evidence_features, fit_stacker, stacked_proba
    from classifier.estimator.thresholds import platt, sigmoid

    texts, Y = tiny_corpus
    Y = Y.copy()
    Y[5, 3] = 1  # a text on Border management and Media (i % 3 == 2, i % 4 == 1): now on Youth too
    Y[1:, 2] = 1  # Media on all but the first text
    phrases = ((["election"], ["ballot"]), (["border"], ["customs"]), (["media"], ["press"]), (["youth"], []))
    model = TopicClassifier(cv=2, char_weight=0, label_phrases=phrases).fit(texts, Y)
    assert model.stacked_.tolist() == [True, True, True, True]
    folds, scores = model.cv_results_["fold"], model.cv_results_["scores"]
    evidence = evidence_features(PhraseCounter(phrases), texts)
    for fold in (0, 1):
        inside = folds == fold
        calibration = np.array([platt(scores[~inside, j], Y[~inside, j]) for j in range(4)])
        linear = sigmoid(scores[inside], calibration)
        youth, media = Y[~inside, 3].any(), not Y[~inside, 2].all()
        assert youth == (fold != folds[5]) and media == (fold != folds[0])
        learnable = np.array([True, True, media, youth])
        weights, offsets = fit_stacker(sigmoid(scores[~inside], calibration), evidence[~inside], Y[~inside], learnable)
        expected = stacked_proba(linear, evidence[inside], weights, offsets, learnable)
        np.testing.assert_allclose(model.cv_results_["proba"][inside], expected, rtol=1e-6, atol=1e-12)


def test_without_phrases_nothing_is_accepted_on_phrases_and_the_estimator_pickles(tiny_model):
    import pickle

    assert tiny_model.phrase_accepted(NEW_TEXTS).tolist() == [[0, 0, 0, 0]] * len(NEW_TEXTS)
    assert pickle.loads(pickle.dumps(TopicClassifier(cv=4))).get_params() == TopicClassifier(cv=4).get_params()
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(tiny_model)).predict_proba(NEW_TEXTS), tiny_model.predict_proba(NEW_TEXTS)
    )


def test_declares_itself_a_multi_label_text_classifier_to_scikit_learn():
    tags = TopicClassifier().__sklearn_tags__()
    assert (tags.input_tags.two_d_array, tags.input_tags.string) == (False, True)
    assert (tags.target_tags.required, tags.target_tags.single_output) == (True, False)
    assert (tags.target_tags.multi_output, tags.target_tags.two_d_labels) == (True, True)
    assert (tags.classifier_tags.multi_class, tags.classifier_tags.multi_label) == (False, True)
    assert tags.transformer_tags.preserves_dtype == []


def test_defaults_and_parameters_are_stored_unchanged():
    defaults = {
        "ngram_range": (1, 2), "stop_words": "english", "min_df": 1, "max_df": 1.0, "title_weight": 0.5,
        "char_ngram_range": (3, 5), "char_weight": 1.0, "C": 0.5, "class_weight": "balanced", "tol": 1e-2, "cv": 5,
        "ensure_one": True, "top_ratio": 0.5, "label_keywords": None, "min_examples": 20, "keyword_examples": "all",
        "label_phrases": None, "phrase_accept": 2, "lead_phrase_accept": 1, "window_phrase_accept": 0, "labels": None,
        "random_state": 0, "n_jobs": None,
    }  # fmt: skip
    assert TopicClassifier().get_params() == defaults
    chosen = {
        "ngram_range": (1, 3), "stop_words": ["a"], "min_df": 2, "max_df": 0.9, "title_weight": 0.1,
        "char_ngram_range": (2, 4), "char_weight": 0.2, "C": 2.0, "class_weight": None, "tol": 1e-3, "cv": 3,
        "ensure_one": False, "top_ratio": 0.1, "label_keywords": ("x",), "min_examples": 3, "keyword_examples": "rare",
        "label_phrases": (([], []),), "phrase_accept": 3, "lead_phrase_accept": 2, "window_phrase_accept": 4,
        "labels": ["x"], "random_state": 5, "n_jobs": 2,
    }  # fmt: skip
    assert TopicClassifier(**chosen).get_params() == chosen


def test_character_ngrams_are_those_of_at_least_two_texts(tiny_corpus):
    from classifier.estimator.runtime import CharNgrams

    from conftest import TINY_KEYWORDS

    texts, Y = tiny_corpus
    model = TopicClassifier(cv=2, title_weight=0, char_ngram_range=(2, 3), label_keywords=TINY_KEYWORDS).fit(texts, Y)
    counter = CharNgrams((2, 3), model._vectorizers()["chars"].stop_words)
    in_texts = {}
    for text in texts + list(TINY_KEYWORDS):
        for gram in set(counter.analyze(text)):
            in_texts[gram] = in_texts.get(gram, 0) + 1
    assert sorted(model.vocabularies["chars"]) == sorted(gram for gram, n in in_texts.items() if n >= 2)
