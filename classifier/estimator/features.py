"""Text features: the title line, and character n-grams counted through a per-process word cache."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.estimator.text import PUNCTUATION, char_input, first_line  # noqa: F401 (the features' text rules)


class CharNgramVectorizer(TfidfVectorizer):
    """TfidfVectorizer(analyzer="char_wb") that looks each word's n-gram columns up once.

    Character n-grams within words are taken word by word, and words repeat: a 1 KB text has about
    2,000 n-grams but few words not seen before. Counting through a word -> columns cache gives the
    same vocabulary and matrix as the plain vectorizer (a test checks they are equal) at a fraction of
    the time. Fitting caches per call (the vocabulary is being built); transforming keeps a per-process
    cache on the fitted vectorizer, which is not pickled and is emptied when it grows past a limit.
    """

    _CACHE_LIMIT = 500_000

    def _count_vocab(self, raw_documents, fixed_vocab):
        if self.analyzer != "char_wb":
            return super()._count_vocab(raw_documents, fixed_vocab)

        from scipy import sparse  # loads with a model, not at start-up
        from sklearn.utils._sparse import _align_api_if_sparse  # fitting only

        if fixed_vocab:
            vocabulary = self.vocabulary_
            cache = self.__dict__.get("_columns_of_word")
            if cache is None or len(cache) > self._CACHE_LIMIT:
                cache = self.__dict__["_columns_of_word"] = {}
        else:
            self.__dict__.pop("_columns_of_word", None)  # columns of an earlier vocabulary
            vocabulary = defaultdict()
            vocabulary.default_factory = vocabulary.__len__  # a new n-gram takes the next column
            cache = {}
        preprocess, decode, ngrams = self.build_preprocessor(), self.decode, self._char_wb_ngrams
        columns, indptr = [], [0]
        for document in raw_documents:
            for word in preprocess(decode(document)).split():
                found = cache.get(word)
                if found is None:
                    grams = ngrams(word)
                    found = cache[word] = [vocabulary[gram] for gram in grams if not fixed_vocab or gram in vocabulary]
                columns.extend(found)
            indptr.append(len(columns))
        if not fixed_vocab:
            vocabulary = dict(vocabulary)
            if not vocabulary:
                raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        index = np.int32 if len(columns) <= np.iinfo(np.int32).max else np.int64
        X = sparse.csr_array(
            (
                np.ones(len(columns), dtype=self.dtype),
                np.asarray(columns, dtype=index),
                np.asarray(indptr, dtype=index),
            ),
            shape=(len(indptr) - 1, len(vocabulary)),
            dtype=self.dtype,
        )
        X.sum_duplicates()
        return vocabulary, _align_api_if_sparse(X)

    def __getstate__(self):
        state = dict(super().__getstate__())  # on Python 3.11 that may be the live __dict__ itself
        state.pop("_columns_of_word", None)
        return state
