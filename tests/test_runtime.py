"""The scikit-learn-free predictor gives exactly what the fitted TopicClassifier gives, and predicting never imports
scikit-learn."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from test_counting import TEXTS

from classifier.bundle.storage import load_model
from classifier.estimator.model import TopicClassifier
from classifier.estimator.runtime import CharNgrams, LinearTopicModel, WordTfidf, explain_features, words_of_char_ngrams

from conftest import ROOT, TRAINING


@pytest.fixture(scope="module")
def both():
    """The shipped bundle rebuilt twice: as the scikit-learn estimator and as the runtime predictor."""
    model = load_model()
    arrays, vocabularies = model.estimator.to_arrays()
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in model.metadata["params"].items()}
    return TopicClassifier.from_arrays(params, arrays, vocabularies), LinearTopicModel.from_arrays(
        params, arrays, vocabularies
    )


def corpus_texts():
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    pages = ROOT / "training" / "data" / "whole_pages.jsonl"
    rows += [json.loads(line) for line in pages.read_text(encoding="utf-8").splitlines()]
    return [f"{row['title']}\n{row['text']}" for row in rows]


def test_the_shipped_model_loads_as_the_runtime_predictor():
    assert isinstance(load_model().estimator, LinearTopicModel)


def test_features_scores_and_explanations_equal_the_estimators_on_the_corpus_and_whole_pages(both):
    estimator, runtime = both
    texts = corpus_texts() + ["", "x", "Genève  naïve\n\n  ÉLECTIONS à Priština", "the and of", "ﬁnal Ⅻ"]
    texts += TEXTS  # the edges of counting in bulk: one-character words, titles, white space, stop words
    assert (estimator.transform(texts) != runtime.transform(texts)).nnz == 0
    _same_scores(estimator.predict_proba(texts), runtime.predict_proba(texts))
    np.testing.assert_array_equal(estimator.predict(texts), runtime.predict(texts))
    assert estimator.explain(texts[:60]) == runtime.explain(texts[:60])
    assert estimator.vocabularies == runtime.vocabularies


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300), min_size=1, max_size=4
    )
)
def test_any_text_gets_the_same_scores(both, texts):
    estimator, runtime = both
    words = ["election", "observers", "police", "border", "trafficking", "Roma", "media", "rule", "law", "youth"]
    texts = texts + [" ".join(words[i % len(words)] for i in range(len(text))) + text for text in texts]
    assert (estimator.transform(texts) != runtime.transform(texts)).nnz == 0  # the same features, exactly
    _same_scores(estimator.predict_proba(texts), runtime.predict_proba(texts))


def _same_scores(expected, found):
    """The same probabilities up to the order in which float32 sums a text's features: the runtime's character
    block holds a text's n-grams in the order the text first has them, scikit-learn's sorted (the features
    themselves are equal). The order moves a probability by a few millionths at most (6.4e-6 over 21,000 texts),
    well below the 4 places the outputs give."""
    np.testing.assert_allclose(found, expected, rtol=0, atol=2e-5)


def test_the_stop_words_and_accent_stripping_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, strip_accents_unicode

    from classifier.estimator.stopwords import ENGLISH_STOP_WORDS as OURS
    from classifier.estimator.text import strip_accents

    assert OURS == ENGLISH_STOP_WORDS
    for text in ["Genève", "Prishtinë", "ﬁne", "Ａ", "naïve café", "Приштина", "plain", "", "Ⅻ"]:
        assert strip_accents(text) == strip_accents_unicode(text)


def test_suggesting_never_imports_scikit_learn():
    code = (
        "import sys; sys.argv = ['classifier', 'suggest', 'examples/election-observation-kyrgyzstan.txt', '--explain'];"
        "from classifier.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if any(name == 'sklearn' or name.startswith('sklearn.') for name in sys.modules) else 'FREE')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "* Elections" in result.stdout and result.stdout.rstrip().endswith("FREE")


def test_fields_named_outright_are_the_same_for_both(both):
    estimator, runtime = both
    texts = corpus_texts()
    named = estimator.phrase_accepted(texts)
    np.testing.assert_array_equal(named, runtime.phrase_accepted(texts))
    assert named.sum() > 50  # the shipped model has the rule on, and the corpus names its fields
    leads = np.arange(len(texts)) % 2 == 0
    in_leads = estimator.phrase_accepted(texts, leads=leads)
    np.testing.assert_array_equal(in_leads, runtime.phrase_accepted(texts, leads=leads))
    np.testing.assert_array_equal(in_leads[~leads], named[~leads])  # texts that are not leads: as before
    assert in_leads.sum() > named.sum()
    # The phrases shown for them (with --explain) are the same too, and a text that names a field outright by
    # the rule holds at least its minimum of them.
    phrases = estimator.named_phrases(texts)
    assert phrases == runtime.named_phrases(texts)
    minimums = estimator.phrase_minimum_
    assert all(len(phrases[i].get(j, [])) >= minimums[j] for i, j in zip(*np.nonzero(named)))


def test_a_bundle_from_before_the_lead_rule_keeps_its_behaviour(both):
    estimator, _ = both
    arrays, vocabularies = estimator.to_arrays()
    del arrays["lead_phrase_minimum"]
    params = estimator.get_params()
    text = ["Regional workshop\nOfficials discussed cybersecurity."]
    assert estimator.phrase_accepted(text, leads=[True]).sum() == 1
    for old in (
        TopicClassifier.from_arrays(params, arrays, vocabularies),
        LinearTopicModel.from_arrays(params, arrays, vocabularies),
    ):
        assert old.phrase_accepted(text, leads=[True]).sum() == 0


def test_a_bundle_from_before_the_phrase_rule_keeps_its_behaviour(both):
    estimator, _ = both
    arrays, vocabularies = estimator.to_arrays()
    assert "phrase_minimum" in arrays
    del arrays["phrase_minimum"], arrays["lead_phrase_minimum"]
    params = estimator.get_params()
    text = ["Election training\nThe ministry of defence and the armed forces learned how polling stations work."]
    assert estimator.phrase_accepted(text).sum() == 1
    for old in (
        TopicClassifier.from_arrays(params, arrays, vocabularies),
        LinearTopicModel.from_arrays(params, arrays, vocabularies),
    ):
        assert old.phrase_accepted(text).sum() == 0


# A model written out by hand, so that its features, scores and explanations can be too: a word block (stop word
# "the"), a title block weighed 0.5 and a character block of 3-grams weighed 0.25, and two fields.
HAND_PARAMS = {"ngram_range": (1, 1), "stop_words": ["the"], "title_weight": 0.5, "char_ngram_range": (3, 3)}
HAND_VOCABULARIES = {"text": ["border", "the", "voter"], "title": ["border"], "chars": ["er "]}


def _hand_model(vocabularies=HAND_VOCABULARIES, params=(), **arrays) -> LinearTopicModel:
    width = sum(len(terms) for terms in vocabularies.values())
    idf = {"text": [1.0, 1.0, 2.0], "title": [3.0], "chars": [1.0]}
    given = {
        "coef": np.arange(2 * width, dtype=np.float32).reshape(2, width) / 4,
        "intercept": np.array([-0.5, 0.25]),
        "calibration": np.array([[2.0, 0.0], [1.0, -1.0]]),
        "thresholds": np.array([0.5, 0.9]),
        **{f"idf_{name}": np.array(idf[name]) for name in vocabularies},
        **arrays,
    }
    return LinearTopicModel.from_arrays({**HAND_PARAMS, "char_weight": 0.25, **dict(params)}, given, dict(vocabularies))


def test_features_scores_and_probabilities_of_a_model_written_by_hand():
    model = _hand_model()
    texts = ["Border\nthe voter voter", "voter", "The"]
    # Text 0: "border" once (tf 1, idf 1), "voter" twice (tf 1 + ln 2, idf 2), "the" a stop word; its title
    # "border" (idf 3, alone: 1 once normalised, times 0.5); "er " in border, voter, voter (alone: 1, times 0.25).
    voter = (1 + np.log(2)) * 2
    norm = np.sqrt(1 + voter**2)
    expected = np.array([[1 / norm, 0, voter / norm, 0.5, 0.25], [0, 0, 1, 0, 0.25], [0, 0, 0, 0, 0]])
    features = model.transform(texts)
    assert features.dtype == np.float32 and features.shape == (3, 5)
    np.testing.assert_allclose(features.toarray(), expected, rtol=1e-6)
    coef = np.arange(10).reshape(2, 5) / 4
    scores = expected @ coef.T + [-0.5, 0.25]
    np.testing.assert_allclose(model.decision_function(texts), scores, rtol=1e-6)
    proba = 1 / (1 + np.exp(-(scores * [2.0, 1.0] + [0.0, -1.0])))
    np.testing.assert_allclose(model.predict_proba(texts), proba, rtol=1e-6)
    assert proba.round(3).tolist() == [[0.77, 0.945], [0.622, 0.827], [0.269, 0.321]]
    # Thresholds 0.5 and 0.9 (no share of the row's best asked: an old bundle's parameters), one field at least.
    assert model.predict(texts).tolist() == [[1, 1], [1, 0], [0, 1]]
    assert model.accept(proba, thresholds=np.array([0.9, 0.95])).tolist() == [[0, 1], [0, 1], [0, 1]]
    strict = LinearTopicModel(
        {**model.params, "top_ratio": 0.9, "ensure_one": False}, model.parts, model.arrays, model.vocabularies
    )
    # Built without parameters: one field at least, and none under half the row's best.
    bare = LinearTopicModel({}, model.parts, model.arrays, model.vocabularies)
    rows = np.array([[0.3, 0.7], [0.6, 0.7], [0.1, 0.15]])
    assert bare.accept(rows, thresholds=np.array([0.2, 0.2])).tolist() == [[0, 1], [1, 1], [0, 1]]
    assert strict.predict(texts).tolist() == [[0, 1], [0, 0], [0, 0]]  # 0.77, 0.622: under 0.9 of the best
    # One field at least, or not, asked of this call rather than of the model (as the windows' reading asks).
    assert model.accept(proba, ensure_one=False).tolist() == [[1, 1], [1, 0], [0, 0]]
    assert strict.accept(proba, ensure_one=True).tolist() == [[0, 1], [0, 1], [0, 1]]


def test_a_model_without_phrases_or_character_block_names_nothing_and_explains_its_words():
    model = _hand_model({"text": ["border", "the", "voter"]})
    assert model.label_phrases is None
    assert model.named_phrases(["border voter", ""]) == [{}, {}]
    assert model.phrase_accepted(["border voter"]).tolist() == [[0, 0]]
    # coef [[0, 0.25, 0.5], [0.75, 1, 1.25]]: "voter" weighs more than "border" in each field.
    voter = (1 + np.log(2)) * 2 / np.sqrt(1 + ((1 + np.log(2)) * 2) ** 2)
    border = 1 / np.sqrt(1 + ((1 + np.log(2)) * 2) ** 2)
    assert model.explain(["border voter voter"]) == [
        [[("voter", round(0.5 * voter, 4))], [("voter", round(1.25 * voter, 4)), ("border", round(0.75 * border, 4))]]
    ]


def test_explanations_give_a_character_ngrams_share_to_its_words_by_their_counts():
    vocabularies = {"text": ["voter", "border"], "chars": ["er ", "vot"]}
    # Text 0 holds every column, text 1 "border" only (so its words' n-grams are never asked for).
    features = sparse.csr_array(np.array([[0.25, 0.5, 0.75, 0.5], [0, 1.0, 0, 0]], dtype=np.float32))
    coef = np.array([[1, 1, 1, 0], [-1, 0.25, 0, 1], [0, 0, 0, 2 / 3]])
    holders = {"t0": {"er ": {"border": 1, "voter": 2}, "vot": {"voter": 1, "votes": 1}}}
    found = explain_features(features, ["t0", "t1"], coef, vocabularies, holders.__getitem__, 5)
    assert found == [
        [
            # border 0.5 + 0.75 · 1/3, voter 0.25 + 0.75 · 2/3: a tie, in the terms' order
            [("border", 0.75), ("voter", 0.75)],
            # voter -0.25 + 0.5 · 1/2 = 0 is left out; votes 0.5 · 1/2 before border 0.5 · 0.25
            [("votes", 0.25), ("border", 0.125)],
            [("voter", 0.1667), ("votes", 0.1667)],  # 0.5 · 2/3 halved, border's 0 left out
        ],
        [[("border", 1.0)], [("border", 0.25)], []],
    ]
    top_one = explain_features(features, ["t0", "t1"], coef, vocabularies, holders.__getitem__, 1)
    assert [row[0] for row in top_one] == [[("border", 0.75)], [("border", 1.0)]]
    # A word of the text block and of the title block: one term, its shares added.
    both = sparse.csr_array(np.array([[0.5, 0.25]], dtype=np.float32))
    found = explain_features(both, ["t"], np.array([[1.0, 2.0]]), {"text": ["border"], "title": ["border"]}, None, 5)
    assert found == [[[("border", 1.0)]]]


def test_terms_of_equal_weight_are_ranked_alphabetically_among_many():
    """Ties come in alphabetical order among twenty terms as among two: a sort that is not stable keeps the order of
    equal weights for a few terms only."""
    words = "turnout ballot observer candidate polling recount campaign mandate district voter registry quorum"
    words = (words + " election tally runoff abstention constituency franchise incumbent nominee").split()
    features = sparse.csr_array(np.full((1, len(words)), 0.5, dtype=np.float32))
    coef = np.array([[(1.0, 0.5, 0.25)[i % 3] for i in range(len(words))]])  # turnout 1, ballot 0.5, observer 0.25...
    found = explain_features(features, ["t"], coef, {"text": words}, None, len(words))
    expected = sorted(((word, weight * 0.5) for word, weight in zip(words, coef[0])), key=lambda t: (-t[1], t[0]))
    assert found == [[expected]] and [term for term, _ in found[0][0][:3]] == ["abstention", "campaign", "candidate"]
    assert explain_features(features, ["t"], coef, {"text": words}, None, 3) == [[expected[:3]]]


def test_a_character_ngram_that_no_word_holds_gives_its_share_to_no_term():
    vocabularies = {"text": ["voter", "border"], "chars": ["er ", "vot"]}
    features = sparse.csr_array(np.array([[0.25, 0.5, 0.75, 0.5]], dtype=np.float32))
    # The words of the text hold "er " (border once, voter twice) but not "vot": its 0.5 goes to no one.
    holders = {"t": {"er ": {"border": 1, "voter": 2}}}
    coef = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]])
    found = explain_features(features, ["t"], coef, vocabularies, holders.__getitem__, 5)
    # border 0.5 + 0.75 · 1/3, voter 0.25 + 0.75 · 2/3; the second field weighs "vot" alone.
    assert found == [[[("border", 0.75), ("voter", 0.75)], []]]


def test_the_words_a_character_ngram_comes_from():
    chars = CharNgrams((3, 3), frozenset({"the"}))
    found = words_of_char_ngrams(chars, "The voter, the “voter” and -- Border")
    # "voter," and "“voter”" are the word "voter", punctuation and all in their n-grams; "--" is its own word.
    assert found[" vo"] == {"voter": 1} and found["vot"] == {"voter": 2} and found["er "] == {"border": 1}
    assert found["“vo"] == {"voter": 1} and found["r, "] == {"voter": 1} and found[" an"] == {"and": 1}
    assert found[" --"] == {"--": 1} and found["-- "] == {"--": 1} and " th" not in found
    assert sum(sum(counts.values()) for counts in found.values()) == 6 + 7 + 3 + 2 + 6  # each word's n-grams


def test_the_ngrams_of_a_word_and_of_a_text():
    assert CharNgrams((3, 5)).grams("ab") == [" ab", "ab ", " ab "]  # the padded word is 4 long: no 5-gram
    assert CharNgrams((3, 5)).grams("a") == [" a "]
    assert CharNgrams((2, 3)).grams("abc") == [" a", "ab", "bc", "c ", " ab", "abc", "bc "]
    assert CharNgrams((3, 3), {"of"}).analyze("Café  of\tRoma") == [
        " ca",
        "caf",
        "afe",
        "fe ",
        " ro",
        "rom",
        "oma",
        "ma ",
    ]
    vocabulary: dict = {}
    cache: dict = {}
    assert CharNgrams((3, 3)).count(["ab ab", "b"], vocabulary, cache, grow=True) == ([0, 1, 0, 1, 2], [0, 4, 5])
    assert vocabulary == {" ab": 0, "ab ": 1, " b ": 2} and cache == {"ab": [0, 1], "b": [2]}
    assert CharNgrams((3, 3)).count(["ab b"], vocabulary, {"ab": [7]}) == ([7, 2], [0, 2])  # a word's cached columns
    assert CharNgrams((3, 3)).count(["b ba"], vocabulary, {}) == ([2], [0, 1])


def test_word_ngrams_longer_than_two_are_those_of_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    terms = ["human rights police", "human", "rights police", "police", "human rights", "reform"]
    idf = np.array([1.5, 1.0, 2.0, 3.0, 1.25, 2.5])
    texts = ["Human rights police reform\nthe police, the police", "rights of the police", "", "reform"]
    part = WordTfidf(terms, idf, (1, 3), "english")
    assert part._counter is None
    sklearn = TfidfVectorizer(
        ngram_range=(1, 3), stop_words="english", strip_accents="unicode", sublinear_tf=True, vocabulary=terms
    ).fit(["x"])
    sklearn.idf_ = idf
    np.testing.assert_allclose(part.transform(texts).toarray(), sklearn.transform(texts).toarray(), rtol=1e-6)
    title = WordTfidf(terms, idf, (1, 3), "english", first_line_only=True)
    three_lines = ["Human rights\npolice reform\nthe police"]
    np.testing.assert_allclose(title.transform(three_lines).toarray(), sklearn.transform(["Human rights"]).toarray())
    assert title.analyze(three_lines[0]) == ["human", "rights", "human rights"]
    assert WordTfidf([], [], (1, 2)).grams(["a", "b", "c"]) == ["a", "b", "c", "a b", "b c"]
    assert WordTfidf([], [], (2, 3)).grams(["a", "b"]) == ["a b"]


HAND_PHRASES = ((["border"], ["customs", "border guards"]), (["voter"], []))


def test_fields_named_outright_by_a_model_written_by_hand():
    """Field 0 is named by two of its phrases (one in a window, in a lead), field 1 never (minimum 0)."""
    texts = ["Border customs", "the border", "", "voter voter"]
    model = _hand_model(
        params={"label_phrases": HAND_PHRASES},
        phrase_minimum=np.array([2.0, 0.0]),
        window_phrase_minimum=np.array([1.0, 0.0]),
    )
    assert model.named_phrases(texts) == [{0: ["border", "customs"]}, {0: ["border"]}, {}, {1: ["voter"]}]
    assert model.phrase_accepted(texts).tolist() == [[1, 0], [0, 0], [0, 0], [0, 0]]
    assert model.phrase_accepted(texts, windows=True).tolist() == [[1, 0], [1, 0], [0, 0], [0, 0]]
    assert model.phrase_accepted(texts, leads=[True] * 4).tolist() == [[1, 0], [0, 0], [0, 0], [0, 0]]  # no lead rule
    assert model.could_name_outright(texts).tolist() == [True, False, False, False]
    assert model.named_in_spans(texts).tolist() == [[1, 0], [0, 0], [0, 0], [0, 0]]
    # Without a minimum for windows, a window is read as a whole text.
    arrays, vocabularies = model.to_arrays()
    del arrays["window_phrase_minimum"]
    plain = LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    assert plain.phrase_accepted(texts, windows=True).tolist() == [[1, 0], [0, 0], [0, 0], [0, 0]]
    # With the lead rule alone: one lead phrase names field 0 in a lead, and in the first span of any text.
    leads_only = _hand_model(params={"label_phrases": HAND_PHRASES}, lead_phrase_minimum=np.array([1.0, 0.0]))
    assert leads_only.phrase_accepted(texts).tolist() == [[0, 0]] * 4
    assert leads_only.phrase_accepted(texts, leads=[True, False, True, True]).tolist() == [
        [1, 0],
        [0, 0],
        [0, 0],
        [0, 0],
    ]
    assert leads_only.could_name_outright(texts).tolist() == [True, True, False, False]
    assert leads_only.named_in_spans(texts).tolist() == [[1, 0], [1, 0], [0, 0], [0, 0]]
    # A text too long to be given its tokens with the facts is read from its text, by the lead rule too.
    long = ["Border\n" + " ".join(["voter"] * 400)]
    _, facts = leads_only.predict_proba_and_facts(long)
    assert facts.tokens == [None] and facts.could_name.tolist() == [True]
    assert leads_only.named_in_spans(long, could_name=facts.could_name, tokens=facts.tokens).tolist() == [[1, 0]]


def test_a_bundle_whose_weights_do_not_fit_its_vocabularies_is_refused():
    model = _hand_model()
    arrays, vocabularies = model.to_arrays()
    del arrays["idf_title"]
    with pytest.raises(ValueError, match="^vocabulary 'title' has no idf_title weights$"):
        LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    arrays, vocabularies = model.to_arrays()
    arrays["idf_text"] = arrays["idf_text"][:2]
    with pytest.raises(ValueError, match="^vocabulary 'text' has 3 terms but 2 weights$"):
        LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    arrays, vocabularies = model.to_arrays()
    vocabularies["words"], arrays["idf_words"] = vocabularies.pop("title"), arrays.pop("idf_title")
    with pytest.raises(ValueError, match="^unknown feature block 'words'$"):
        LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    for minimum in ([1.0, -1.0], [np.nan, 1.0], [np.inf, 1.0]):
        with pytest.raises(ValueError, match="^phrase_minimum holds a value that is not a count$"):
            _hand_model(phrase_minimum=np.array(minimum))


def test_the_title_block_takes_single_words_without_stop_words():
    model = _hand_model({"text": ["border", "the", "voter"], "title": ["the", "border voter"]}, idf_title=[3.0, 3.0])
    features = model.transform(["The border voter\nguards"]).toarray()
    assert features[0, :3].tolist() == [pytest.approx(1 / np.sqrt(1 + 4)), 0, pytest.approx(2 / np.sqrt(1 + 4))]
    assert features[0, 3:].tolist() == [0, 0]  # "the" a stop word, "border voter" two words
    assert _hand_model(params={"title_weight": 2.0}).transform(["Border"]).toarray()[0, 3] == 2.0  # any weight


@pytest.mark.parametrize(
    "arrays",
    [
        {"coef": np.zeros((2, 6), dtype=np.float32)},  # a column more than the vocabularies' terms
        {"calibration": np.zeros((2, 3))},
        {"thresholds": np.zeros(3)},
        {"prototypes": np.zeros((2, 4), dtype=np.float32), "zero_shot": np.zeros(2, dtype=bool)},
        {"prototypes": np.zeros((2, 5), dtype=np.float32), "zero_shot": np.zeros(3, dtype=bool)},
        # coefficients and prototypes alike, both a column too wide
        {"coef": np.zeros((2, 6), dtype=np.float32), "prototypes": np.zeros((2, 6)), "zero_shot": np.zeros(2)},
        {"phrase_minimum": np.ones(3)},
        {"lead_phrase_minimum": np.ones(1)},
    ],
)
def test_arrays_whose_shapes_do_not_fit_are_refused(arrays):
    with pytest.raises(ValueError, match="^array shapes do not fit together$"):
        _hand_model(**arrays)


def test_phrases_for_another_number_of_fields_are_refused():
    with pytest.raises(ValueError, match="^label_phrases has 1 fields' phrases, but the model has 2$"):
        _hand_model(params={"label_phrases": HAND_PHRASES[:1]})


def test_a_row_with_no_field_gets_its_best_field_that_is_not_zero_shot():
    zero_shot = _hand_model(prototypes=np.zeros((2, 5), dtype=np.float32), zero_shot=np.array([False, True]))
    proba = np.array([[0.2, 0.4], [0.95, 0.1]])
    assert zero_shot.accept(proba).tolist() == [[1, 0], [1, 0]]  # field 1 is zero-shot: never chosen by default
    assert _hand_model().accept(proba).tolist() == [[0, 1], [1, 0]]


def test_a_stacked_model_counts_its_evidence_once_per_table_as_text_by_text():
    from classifier.estimator.evidence import PhraseCounter, evidence_features, stacked_proba
    from classifier.estimator.thresholds import sigmoid

    model = _hand_model(
        params={"label_phrases": HAND_PHRASES},
        stack_weights=np.array([0.5, 1.0, 1.5, -1.0, 2.0, 0.25]),
        stack_offsets=np.array([-1.0, 0.5]),
        stacked=np.array([True, False]),
    )
    texts = ["Border guards\nat the border customs", "voter voter", "", "customs"]
    evidence = evidence_features(PhraseCounter(HAND_PHRASES), texts)
    assert (evidence[0, 0, :2] > 0).all() and evidence[3, 0, 0] == 0 < evidence[3, 0, 1]  # names, keywords
    proba = sigmoid(model.decision_function(texts), model.calibration_)
    expected = stacked_proba(proba, evidence, model.stack_weights_, model.stack_offsets_, model.stacked_)
    assert not np.allclose(expected[:, 0], proba[:, 0]) and np.array_equal(expected[:, 1], proba[:, 1])
    np.testing.assert_array_equal(model.predict_proba(texts), expected)
    store = model._evidence_store
    np.testing.assert_array_equal(model.predict_proba(texts[::-1]), expected[::-1])
    assert model._evidence_store is store  # made once for the model's table of words


def test_a_model_with_a_zero_shot_field_reads_its_facts_and_evidence_as_any_model():
    """A zero-shot field's score is its keyword margin, from the whole feature vector: such a model scores a chunk
    from its features side by side, not block by block, and must still take the rules' facts and the stacker's
    evidence from that same look-up of the words."""
    from classifier.estimator.evidence import PhraseCounter, evidence_features, stacked_proba
    from classifier.estimator.thresholds import sigmoid

    stacking = {
        "stack_weights": np.array([0.5, 1.0, 1.5, -1.0, 2.0, 0.25]),
        "stack_offsets": np.array([-1.0, 0.5]),
        "stacked": np.array([True, False]),
    }
    params = {"label_phrases": HAND_PHRASES}
    plain = _hand_model(params=params, **stacking)
    prototypes = np.array([[0, 0, 0, 0, 0], [0, 0, 1, 0, 1]], dtype=np.float32)  # field 1: "voter" and "er "
    zero_shot = _hand_model(params=params, prototypes=prototypes, zero_shot=np.array([False, True]), **stacking)
    texts = ["Border guards\nat the border customs", "voter voter", "", "customs"]
    proba, facts = zero_shot.predict_proba_and_facts(texts)
    scores = zero_shot.decision_function(texts)
    assert scores[:, 0].tolist() == plain.decision_function(texts)[:, 0].tolist()  # the other field as before
    # The zero-shot field's margin: its cosine with the texts (their "voter" and "er " features: "border" twice,
    # "voter" twice, nothing, nothing), less field 0's (0, its keyword document is empty).
    np.testing.assert_allclose(scores[:, 1], [0.25, 1.25, 0, 0], rtol=1e-6)
    evidence = evidence_features(PhraseCounter(HAND_PHRASES), texts)
    unstacked = sigmoid(scores, zero_shot.calibration_)
    expected = stacked_proba(
        unstacked, evidence, zero_shot.stack_weights_, zero_shot.stack_offsets_, zero_shot.stacked_
    )
    np.testing.assert_array_equal(proba, expected)
    assert not np.allclose(proba[:, 0], unstacked[:, 0])  # the evidence moved the stacked field
    _, expected_facts = plain.predict_proba_and_facts(texts)
    assert facts.words.tolist() == expected_facts.words.tolist() == [6, 2, 0, 1]
    assert facts.title_words.tolist() == expected_facts.title_words.tolist()
    assert facts.scope.tolist() == expected_facts.scope.tolist()


def test_a_single_string_is_refused_and_a_term_weighted_zero_gives_zeros():
    with pytest.raises(TypeError, match="^X must be a sequence of documents, not a single string$"):
        _hand_model().predict(["Border"][0])
    with pytest.raises(TypeError, match="^X must be a sequence of documents, not a dict, which gives its keys: pass "):
        _hand_model().predict_proba({"doc-1": "Border guards at the border"})  # scored, it would be "doc-1"
    zero = _hand_model({"text": ["border", "the", "voter"]}, idf_text=[0.0, 1.0, 2.0])
    assert zero.transform(["border border", "voter"]).toarray().tolist() == [[0, 0, 0], [0, 0, 1]]


def _interrupt_once(monkeypatch, owner, name: str, after: int = 0) -> list:
    """`owner.name` raises KeyboardInterrupt (Ctrl-C, a notebook's "interrupt kernel") at its call number `after`
    + 1, then behaves; the list returned holds the calls made."""
    real, calls = getattr(owner, name), []

    def interrupted(*args, **options):
        calls.append(name)
        if len(calls) == after + 1:
            raise KeyboardInterrupt
        return real(*args, **options)

    monkeypatch.setattr(owner, name, interrupted)
    return calls


@pytest.mark.parametrize(
    "owner, name, after",
    [
        ("counting", "normalize", 0),  # the new words had ids, no block had stored them
        ("WordStore", "extend", 1),  # one block had stored them, the others not
        ("WordRows", "extend", 0),  # the blocks had, a rule's rows not
    ],
)
def test_a_model_interrupted_while_it_reads_new_words_reads_as_before(monkeypatch, owner, name, after):
    """Ctrl-C while a model met new words left them in its table of words and in some of its stores only: every
    later text was read past a store's end (an IndexError, wrong scores, or a crash of the process). The words added
    are taken back: the model gives every text what a model loaded afresh gives it."""
    import classifier.estimator.counting as counting

    owners = {"counting": counting, "WordStore": counting.WordStore, "WordRows": counting.WordRows}
    texts = [json.loads(line)["text"] for line in (ROOT / "examples" / "retraining" / "held_out.jsonl").open()][:20]
    expected = load_model().predict_proba(texts)
    model = load_model()
    model.predict_proba(texts[:2])  # the table holds some words already
    calls = _interrupt_once(monkeypatch, owners[owner], name, after)
    with pytest.raises(KeyboardInterrupt):
        model.predict_proba(texts[2:])
    assert len(calls) == after + 1
    monkeypatch.undo()
    assert np.array_equal(model.predict_proba(texts), expected)
    assert np.array_equal(model.read(texts).accepted, load_model().read(texts).accepted)


def test_short_texts_read_the_same_through_either_estimator(both):
    """Model.read counts a text's content words from the features' look-up (the runtime predictor) or by its own
    split (the scikit-learn estimator): texts too short to judge get no forced field either way."""
    from classifier.bundle.model import Model

    texts = ["\ntest", "\nfootball", "\npolice reform", "\nhello world", "\nasdf", corpus_texts()[0], "\nElections"]
    readings = [Model(estimator, {"labels": load_model().labels}).read(texts) for estimator in both]
    assert (
        readings[0].flags
        == readings[1].flags
        == ["too-short", "too-short", None, "too-short", "out-of-scope", None, None]
    )
    np.testing.assert_array_equal(readings[0].accepted, readings[1].accepted)
    assert readings[0].accepted[[0, 1, 3, 4]].sum() == 0 and readings[0].accepted[[2, 5, 6]].sum(axis=1).min() >= 1
