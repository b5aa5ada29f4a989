"""The character n-gram features equal scikit-learn's own TfidfVectorizer(analyzer="char_wb"), reached through
public scikit-learn API only."""

import pickle
import re
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from classifier.estimator import features
from classifier.estimator.features import CharNgramVectorizer, char_input

from conftest import ROOT, training_records

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)
ODD = ["Zürich\tÉlections  élections ÉLECTIONS", "", "the the the", "co-operation, OSCE's (ODIHR) 2024!", "ﬁnal Ⅻ"]


def both(ngram_range=(3, 5), min_df=2):
    """Ours, and the plain scikit-learn vectorizer whose features ours must give."""
    ours = CharNgramVectorizer(ngram_range=ngram_range, stop_words=STOP_WORDS, min_df=min_df, dtype=np.float32)
    plain = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=ngram_range,
        preprocessor=partial(char_input, stop_words=STOP_WORDS),
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
    )
    return ours, plain


def assert_same(got, expected):
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert (got != expected).nnz == 0


@pytest.fixture(scope="module")
def corpus():
    return [f"{r['title']}\n{r['text']}" for r in training_records()]


def test_vocabulary_and_matrix_equal_scikit_learns_on_the_training_corpus(corpus):
    ours, plain = both()
    assert_same(ours.fit_transform(corpus + ODD), plain.fit_transform(corpus + ODD))
    assert ours.vocabulary_ == plain.vocabulary_ and np.array_equal(ours.idf_, plain.idf_)
    assert list(ours.get_feature_names_out()) == list(plain.get_feature_names_out())
    ours.fit(corpus[:400]), plain.fit(corpus[:400])
    assert ours.vocabulary_ == plain.vocabulary_
    for batch in (corpus[400:450] + ODD, corpus[400:450] + ODD, corpus[450:]):  # word cache cold, warm, partly
        assert_same(ours.transform(batch), plain.transform(batch))
    assert ours.__dict__["_columns_of_word"]  # it did cache
    assert "_columns_of_word" not in pickle.loads(pickle.dumps(ours)).__dict__
    assert ours.__dict__["_columns_of_word"]  # pickling leaves the live cache alone
    # Refitted on other texts, it forgets the columns of the old vocabulary.
    ours.fit(corpus[300:]), plain.fit(corpus[300:])
    assert ours.vocabulary_ == plain.vocabulary_
    assert_same(ours.transform(corpus[:50] + ODD), plain.transform(corpus[:50] + ODD))


def test_a_vectorizer_rebuilt_from_its_vocabulary_and_idf_transforms_as_the_fitted_one(corpus):
    fitted, plain = both()
    fitted.fit(corpus[:200]), plain.fit(corpus[:200])
    rebuilt, _ = both()
    rebuilt.vocabulary_ = dict(fitted.vocabulary_)
    rebuilt.idf_ = np.asarray(fitted.idf_, dtype=np.float64)  # as a bundle stores it
    assert_same(rebuilt.transform(corpus[200:260] + ODD), plain.transform(corpus[200:260] + ODD))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200), max_size=6),
    st.sampled_from([(3, 5), (1, 2), (2, 4)]),
)
def test_any_texts_give_scikit_learns_vocabulary_and_matrix(texts, ngram_range):
    words = ["élection", "observers", "border", "the", "Roma", "co-operation,"]
    texts = texts + [" ".join(words[i % len(words)] for i in range(len(text) % 9)) + text for text in texts]
    ours, plain = both(ngram_range)
    try:
        expected = plain.fit_transform(texts)
    except ValueError:  # too few documents for min_df, or no n-gram left: ours must refuse too
        with pytest.raises(ValueError):
            ours.fit_transform(texts)
        return
    assert_same(ours.fit_transform(texts), expected)
    assert ours.vocabulary_ == plain.vocabulary_
    assert_same(ours.transform(texts[::-1] + ODD), plain.transform(texts[::-1] + ODD))


def test_no_module_uses_private_scikit_learn_api():
    """A private name (sklearn.x._y, or a method of a scikit-learn class starting with "_") may change in any
    release; the package reaches scikit-learn through public API only, so that one pin fits many versions."""
    private = re.compile(r"sklearn(\.\w+)*\._(?!_)\w|from sklearn[\w.]* import [^\n]*\b_\w|def _count_vocab|_align_api")
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "classifier").rglob("*.py"))
        if private.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.fixture(scope="module")
def allowed():
    """The corpus less the items published on days 1-5 of a month or from 2025 on, which tests leave out."""
    return [
        f"{r['title']}\n{r['text']}"
        for r in training_records()
        if int(r["published"][8:10]) > 5 and r["published"] < "2025-01-01"
    ]


def test_the_defaults_are_scikit_learns_char_wb_3_to_5_grams_in_two_documents_with_int32_indices(allowed):
    ours = CharNgramVectorizer(stop_words=STOP_WORDS)  # ngram_range, min_df and dtype as they are by default
    _, plain = both(ngram_range=(3, 5), min_df=2)
    got, expected = ours.fit_transform(allowed[:120] + ODD), plain.fit_transform(allowed[:120] + ODD)
    assert_same(got, expected)
    assert ours.vocabulary_ == plain.vocabulary_
    for matrix in (got, ours.transform(allowed[120:160] + ODD)):
        # scikit-learn's matrices index in 32 bits while they fit: half the memory of 64.
        assert matrix.indices.dtype == matrix.indptr.dtype == np.int32


def test_fitting_refuses_too_few_documents_and_documents_without_ngrams_by_name():
    with pytest.raises(ValueError, match=r"^min_df=3 is more than the 2 documents$"):
        CharNgramVectorizer(min_df=3).fit_transform(["Border management", "Elections"])
    with pytest.raises(
        ValueError, match=r"^no character n-gram is in min_df documents; perhaps the documents are empty$"
    ):
        CharNgramVectorizer().fit_transform(["", "  ", "\n"])


def test_a_vectorizer_half_rebuilt_is_not_fitted(allowed):
    """A bundle's arrays set the vocabulary and the idf one after the other: in between, it is not fitted."""
    vocabulary_only = CharNgramVectorizer(stop_words=STOP_WORDS)
    vocabulary_only.vocabulary_ = {"ele": 0, "lec": 1}
    with pytest.raises(NotFittedError):
        vocabulary_only.transform(["Elections"])
    idf_only = CharNgramVectorizer(stop_words=STOP_WORDS)
    idf_only.idf_ = np.ones(2)
    with pytest.raises(NotFittedError):
        idf_only.get_feature_names_out()


def test_feature_names_are_the_terms_in_column_order_as_objects():
    vectorizer = CharNgramVectorizer()
    vectorizer.vocabulary_ = {"lec": 0, "ele": 1, " el": 2}  # not in sorted order, as a hand-made vocabulary may be
    names = vectorizer.get_feature_names_out()
    assert names.dtype == object and names.tolist() == ["lec", "ele", " el"]


def test_the_word_cache_is_kept_between_calls_until_it_passes_its_limit(allowed, monkeypatch):
    ours, plain = both()
    ours.fit(allowed[:200]), plain.fit(allowed[:200])
    assert "_columns_of_word" not in ours.__dict__
    assert "_columns_of_word" not in pickle.loads(pickle.dumps(ours)).__dict__  # a vectorizer with no cache pickles
    ours.transform(allowed[200:220])
    cache = ours.__dict__["_columns_of_word"]
    size = len(cache)
    monkeypatch.setattr(features, "CACHE_LIMIT", size)
    assert_same(ours.transform(allowed[220:240]), plain.transform(allowed[220:240]))
    assert ours.__dict__["_columns_of_word"] is cache and len(cache) > size  # at its limit: kept, and grown
    monkeypatch.setattr(features, "CACHE_LIMIT", len(cache) - 1)
    assert_same(ours.transform(allowed[:5]), plain.transform(allowed[:5]))
    fresh = ours.__dict__["_columns_of_word"]
    assert fresh is not cache and 0 < len(fresh) < len(cache)  # past it: emptied, then filled by this call alone
