"""The character n-gram features equal scikit-learn's own TfidfVectorizer(analyzer="char_wb"), reached through
public scikit-learn API only."""

import pickle
import re
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

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
