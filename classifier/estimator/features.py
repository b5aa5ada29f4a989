"""Text features: the title line, and TF-IDF of character n-grams counted through a per-process word cache."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils.validation import check_is_fitted

from classifier.estimator.runtime import CACHE_LIMIT, CharNgrams, as_texts
from classifier.estimator.text import PUNCTUATION, char_input, first_line  # noqa: F401 (the features' text rules)


class CharNgramVectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF of character n-grams within words: the vocabulary and matrix of
    `TfidfVectorizer(analyzer="char_wb", preprocessor=partial(char_input, stop_words=stop_words),
    ngram_range=ngram_range, min_df=min_df, sublinear_tf=True, dtype=dtype)` (a test checks they are equal),
    at a fraction of the time.

    The n-grams are counted by CharNgrams, the counting the scikit-learn-free predictor uses too, and
    weighted by scikit-learn's TfidfTransformer. Fitting caches each word's columns per call (the
    vocabulary is being built); transforming keeps a per-process cache on the fitted vectorizer, which is
    not pickled and is emptied when it grows past a limit.
    """

    def __init__(self, *, ngram_range=(3, 5), stop_words=frozenset(), min_df=2, dtype=np.float32):
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.min_df = min_df
        self.dtype = dtype

    def ngrams(self) -> CharNgrams:
        """What the n-grams are taken from and how they are counted."""
        return CharNgrams(self.ngram_range, self.stop_words)

    def _counts(self, columns: list[int], indptr: list[int], width: int):
        index = np.int32 if len(columns) <= np.iinfo(np.int32).max else np.int64
        counts = sparse.csr_array(
            (
                np.ones(len(columns), dtype=self.dtype),
                np.asarray(columns, dtype=index),
                np.asarray(indptr, dtype=index),
            ),
            shape=(len(indptr) - 1, width),
            dtype=self.dtype,
        )
        counts.sum_duplicates()
        return counts

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        texts = as_texts(X)
        if self.min_df > len(texts):
            raise ValueError(f"min_df={self.min_df} is more than the {len(texts)} documents")
        self.__dict__.pop("_columns_of_word", None)  # columns of an earlier vocabulary
        seen: dict[str, int] = {}
        counts = self._counts(*self.ngrams().count(texts, seen, {}, grow=True), len(seen))
        # As CountVectorizer: the n-grams in at least min_df documents, in sorted order.
        in_documents = np.bincount(counts.indices, minlength=len(seen))
        terms = sorted(term for term, column in seen.items() if in_documents[column] >= self.min_df)
        if not terms:
            raise ValueError("no character n-gram is in min_df documents; perhaps the documents are empty")
        counts = counts[:, np.array([seen[term] for term in terms])]
        self.vocabulary_ = {term: column for column, term in enumerate(terms)}
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        return self.tfidf_.transform(counts)

    def transform(self, X):
        check_is_fitted(self, "tfidf_")
        cache = self.__dict__.get("_columns_of_word")
        if cache is None or len(cache) > CACHE_LIMIT:
            cache = self.__dict__["_columns_of_word"] = {}
        columns, indptr = self.ngrams().count(as_texts(X), self.vocabulary_, cache)
        return self.tfidf_.transform(self._counts(columns, indptr, len(self.vocabulary_)))

    @property
    def idf_(self):
        return self.tfidf_.idf_

    @idf_.setter
    def idf_(self, idf):
        """Set with `vocabulary_` when a model is rebuilt from a bundle's arrays."""
        self.__dict__.pop("_columns_of_word", None)
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        self.tfidf_.idf_ = idf

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_")
        return np.asarray(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)

    def __getstate__(self):
        state = dict(super().__getstate__())  # on Python 3.11 that may be the live __dict__ itself
        state.pop("_columns_of_word", None)
        return state
