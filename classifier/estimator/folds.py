"""Cross-validation features from texts counted once: each fold's matrix as a vectorizer fitted on the fold gives it.

TopicClassifier fits a fresh copy of its features (a FeatureUnion of TF-IDF blocks) in every cross-validation
fold and once more on all the data; each fit and each transform tokenised every text again. Here every text
is counted once, per block, over all the terms of all the texts. A fold's vectorizer would keep the terms
found in enough of the texts it is fitted on (min_df and max_df of that block), in sorted order, and weigh
them with an idf learned from those texts: so the fold takes those columns of the counts, in that order, and
fits scikit-learn's own TfidfTransformer on its rows. The matrices are the same, value for value, as the
fold's own fitted vectorizer gives (tests/test_folds.py); only the tokenising is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import Pipeline

from classifier.estimator.features import CharNgramVectorizer


@dataclass
class _Block:
    """One feature block: its counts of every text (columns in the order the terms were first seen)."""

    counts: sparse.csr_array
    by_term: np.ndarray  # the columns in the sorted order of their terms
    min_df: float
    max_df: float
    tfidf: dict  # TfidfTransformer's parameters, as the block's vectorizer sets them
    weight: float | None


class CountedTexts:
    """The counts of `texts` in each block of `union` (a FeatureUnion of TfidfVectorizer, a Pipeline ending in
    one, or CharNgramVectorizer, as TopicClassifier._features builds it). `fold(fit_rows)` gives the features
    that a copy of `union` fitted on those rows of `texts` would give, or None where such a fit would fail
    (no term left, min_df above max_df): the caller then fits the real vectorizer, which says why."""

    def __init__(self, union, texts):
        weights = union.transformer_weights or {}
        self.blocks = [_count_block(part, list(texts), weights.get(name)) for name, part in union.transformer_list]

    def fold(self, fit_rows) -> FoldFeatures | None:
        fit_rows = np.asarray(fit_rows, dtype=np.intp)
        fitted = []
        for block in self.blocks:
            counts = block.counts[fit_rows]
            documents = np.bincount(counts.indices, minlength=counts.shape[1])
            high = block.max_df if isinstance(block.max_df, Integral) else block.max_df * len(fit_rows)
            low = block.min_df if isinstance(block.min_df, Integral) else block.min_df * len(fit_rows)
            if high < low:
                return None
            keep = (documents > 0) & (documents >= low) & (documents <= high)
            columns = block.by_term[keep[block.by_term]]
            if len(columns) == 0:
                return None
            tfidf = TfidfTransformer(**block.tfidf).fit(_columns(counts, columns))
            fitted.append((block, columns, tfidf))
        return FoldFeatures(fitted)


class FoldFeatures:
    """The features of one fold: `transform(rows)` is the matrix of those rows of the counted texts."""

    def __init__(self, fitted):
        self._fitted = fitted

    def transform(self, rows):
        rows = np.asarray(rows, dtype=np.intp)
        parts = []
        for block, columns, tfidf in self._fitted:
            matrix = tfidf.transform(_columns(block.counts[rows], columns), copy=False)
            parts.append(matrix if block.weight is None else matrix * block.weight)  # as FeatureUnion weighs
        return sparse.hstack(parts).tocsr()


def _columns(counts, columns):
    """Those columns of `counts`, in that order, indices sorted (as a vectorizer's counts come)."""
    out = counts[:, columns]
    out.sort_indices()
    return out


def _count_block(part, texts: list[str], weight) -> _Block:
    if isinstance(part, Pipeline):  # the steps before the vectorizer choose what it reads (the title line)
        for _, step in part.steps[:-1]:
            texts = step.fit_transform(texts)
        part = part.steps[-1][1]
    if isinstance(part, CharNgramVectorizer):
        vocabulary: dict[str, int] = {}
        columns, indptr = part.ngrams().count(texts, vocabulary, {}, grow=True)
        counts = _csr(columns, indptr, len(vocabulary), part.dtype)
        return _Block(counts, _by_term(vocabulary), part.min_df, 1.0, {"sublinear_tf": True}, weight)
    if (
        not isinstance(part, TfidfVectorizer)
        or part.vocabulary is not None
        or part.max_features is not None
        or part.binary
    ):
        raise TypeError(f"cannot count for {type(part).__name__}: only TfidfVectorizer and CharNgramVectorizer")
    analyze = part.build_analyzer()
    vocabulary = {}
    columns, indptr = [], [0]
    for text in texts:
        columns.extend(vocabulary.setdefault(term, len(vocabulary)) for term in analyze(text))
        indptr.append(len(columns))
    counts = _csr(columns, indptr, len(vocabulary), part.dtype)
    names = ("norm", "use_idf", "smooth_idf", "sublinear_tf")
    tfidf = {name: getattr(part, name) for name in names}
    return _Block(counts, _by_term(vocabulary), part.min_df, part.max_df, tfidf, weight)


def _csr(columns: list[int], indptr: list[int], width: int, dtype) -> sparse.csr_array:
    """Counts: one entry per occurrence, summed (sum_duplicates also sorts each row's columns)."""
    index = np.int32 if len(columns) <= np.iinfo(np.int32).max else np.int64
    counts = sparse.csr_array(
        (np.ones(len(columns), dtype=dtype), np.asarray(columns, dtype=index), np.asarray(indptr, dtype=index)),
        shape=(len(indptr) - 1, width),
        dtype=dtype,
    )
    counts.sum_duplicates()
    return counts


def _by_term(vocabulary: dict[str, int]) -> np.ndarray:
    return np.array([vocabulary[term] for term in sorted(vocabulary)], dtype=np.intp)
