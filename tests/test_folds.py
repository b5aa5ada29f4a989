"""Cross-validation features counted once give each fold the matrix its own fitted vectorizer gives, and the
linear models fitted on several workers are those fitted on one."""

import numpy as np
import pytest
from joblib.externals.loky import get_reusable_executor
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifier.estimator.features import CharNgramVectorizer
from classifier.estimator.folds import CountedTexts
from classifier.estimator.keywords import keyword_document
from classifier.estimator.linear import field_groups
from classifier.estimator.model import TopicClassifier

from conftest import training_records

ODD = ["Zürich\tÉlections  élections ÉLECTIONS", "", "the the the", "co-operation, OSCE's (ODIHR) 2024!", "ﬁnal Ⅻ"]


@pytest.fixture(scope="module")
def texts(taxonomy):
    corpus = [f"{r['title']}\n{r['text']}" for r in training_records()[:300]]
    return corpus + ODD + [keyword_document(field) for field in taxonomy.fields]


def assert_identical(got, expected):
    """Value for value, in the same order: what a linear model reads."""
    got, expected = got.tocsr(), expected.tocsr()
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"min_df": 2, "max_df": 0.5, "title_weight": 0.0},
        {"min_df": 0.01, "ngram_range": (1, 3), "char_weight": 0.0, "stop_words": None},
        {"max_df": 40, "char_ngram_range": (2, 4), "char_weight": 0.5, "title_weight": 1.0},
    ],
)
def test_a_fold_gets_the_matrix_of_a_vectorizer_fitted_on_it(texts, params):
    model = TopicClassifier(**params)
    counted = CountedTexts(model._features(), texts)
    rng = np.random.default_rng(1)
    for _ in range(2):
        fit_rows = np.sort(rng.choice(len(texts), 250, replace=False))
        others = np.setdiff1d(np.arange(len(texts)), fit_rows)
        fold = counted.fold(fit_rows)
        vectorizer = model._features().fit([texts[i] for i in fit_rows])
        for rows in (fit_rows, others, others[::-1], np.r_[others[:3], fit_rows[:3]]):
            assert_identical(fold.transform(rows), vectorizer.transform([texts[i] for i in rows]))


def test_a_fold_no_vectorizer_could_fit_is_left_to_the_vectorizer_which_says_why(texts, taxonomy):
    model = TopicClassifier(min_df=0.9, max_df=0.1)
    assert CountedTexts(model._features(), texts).fold(np.arange(100)) is None
    Y = np.zeros((len(texts), len(taxonomy.labels)), dtype=np.int8)
    Y[::2, 0] = Y[1::2, 1] = 1
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        model.fit(texts, Y)


def test_each_field_is_in_one_group_whatever_the_workers():
    for workers in (1, 2, 3, 8, 64):
        groups = field_groups(23, workers)
        assert np.array_equal(np.concatenate(groups), np.arange(23))
        most = 23 if workers == 1 else -(-23 // (2 * workers))  # about two groups per worker
        assert max(len(group) for group in groups) == most


def test_two_workers_fit_the_model_one_fits(taxonomy):
    records = training_records()[:200]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in taxonomy.labels] for r in records], dtype=np.int8)
    Y[-10:, 2:] = -1  # rows with unknown labels train their known labels only, in every fold
    one, two = (TopicClassifier(n_jobs=jobs, random_state=5).fit(texts, Y) for jobs in (1, 2))
    get_reusable_executor().shutdown(wait=True)  # joblib keeps its workers for the next call: not in a test
    arrays_one, terms_one = one.to_arrays()
    arrays_two, terms_two = two.to_arrays()
    assert terms_one == terms_two and arrays_one.keys() == arrays_two.keys()
    for name in arrays_one:
        np.testing.assert_array_equal(arrays_one[name], arrays_two[name])
    np.testing.assert_array_equal(one.cv_results_["proba"], two.cv_results_["proba"])


@pytest.fixture(scope="module")
def allowed():
    """120 texts of the corpus, less the items published on days 1-5 of a month or from 2025 on."""
    records = [r for r in training_records() if int(r["published"][8:10]) > 5 and r["published"] < "2025-01-01"]
    return [f"{r['title']}\n{r['text']}" for r in records[:120]]


def union(*parts, weights=None):
    return FeatureUnion([(f"block{i}", part) for i, part in enumerate(parts)], transformer_weights=weights)


def assert_as_scikit_learn(features, texts, fit_rows, rows):
    """The fold's matrix of `rows` is that of scikit-learn's own union fitted on `fit_rows`, indices in 32 bits."""
    fold = CountedTexts(features, texts).fold(fit_rows)
    expected = clone(features).fit([texts[i] for i in fit_rows]).transform([texts[i] for i in rows])
    got = fold.transform(rows)
    assert_identical(got, expected)
    assert got.indices.dtype == expected.indices.dtype == np.int32
    return fold


def test_a_fold_without_the_last_counted_terms_and_with_unweighted_blocks(allowed):
    """The fold leaves out the last texts, so the terms first counted there are in none of its rows; the union has
    no weights, and a pipeline of two steps before its vectorizer (the title line, then its first three words)."""
    title_words = Pipeline(
        [
            ("title", FunctionTransformer(lambda texts: [text.split("\n")[0] for text in texts])),
            ("three", FunctionTransformer(lambda texts: [" ".join(text.split()[:3]) for text in texts])),
            ("tfidf", TfidfVectorizer(min_df=1)),
        ]
    )
    texts = allowed + ["Zyzzyva quokka xylophone\nunheard-of words only"]
    features = union(TfidfVectorizer(min_df=1), title_words, CharNgramVectorizer(min_df=2))
    assert_as_scikit_learn(features, texts, np.arange(100), np.arange(90, len(texts)))


def test_a_fold_keeps_the_terms_at_exactly_min_df_and_max_df(allowed):
    for min_df, max_df in ((2, 2), (3, 5), (0.0, 1.0), (0.05, 0.5)):
        features = union(TfidfVectorizer(min_df=min_df, max_df=max_df), weights={"block0": 0.5})
        assert_as_scikit_learn(features, allowed, np.arange(0, 120, 2), np.arange(1, 120, 2))


def test_rows_and_folds_given_as_lists_and_an_empty_fold(allowed):
    features = union(TfidfVectorizer(min_df=1))
    assert_as_scikit_learn(features, allowed, list(range(60)), list(range(60, 70)))
    assert CountedTexts(features, allowed).fold([]) is None  # no term in an empty fold: the vectorizer says why


def test_a_fold_with_no_term_left_is_left_to_the_vectorizer():
    texts = ["election observers", "border guards", "media freedom", ""]
    assert CountedTexts(union(TfidfVectorizer(min_df=2)), texts).fold([0, 1, 2]) is None  # no word in two texts
    assert CountedTexts(union(TfidfVectorizer()), ["", " "]).fold([0, 1]) is None  # no word at all
    with pytest.raises(ValueError):
        TfidfVectorizer(min_df=2).fit(texts[:3])


@pytest.mark.parametrize(
    "part, name",
    [
        (TfidfVectorizer(binary=True), "TfidfVectorizer"),
        (TfidfVectorizer(max_features=10), "TfidfVectorizer"),
        (TfidfVectorizer(vocabulary=["border", "election"]), "TfidfVectorizer"),
        (CountVectorizer(), "CountVectorizer"),
    ],
)
def test_only_plain_tfidf_and_character_vectorizers_are_counted(part, name):
    message = f"cannot count for {name}: only TfidfVectorizer and CharNgramVectorizer"
    with pytest.raises(TypeError, match=f"^{message}$"):
        CountedTexts(union(part), ["election observers", "border guards"])


def test_the_counts_are_indexed_in_32_bits_while_they_fit(allowed):
    """The counts of every text are held for the whole cross-validation: 32-bit indices take half the memory."""
    counted = CountedTexts(union(TfidfVectorizer(min_df=1), CharNgramVectorizer()), allowed)
    for block in counted.blocks:
        assert block.counts.indices.dtype == block.counts.indptr.dtype == np.int32
