"""Counting a chunk of texts' terms in bulk, for the scikit-learn-free predictor: each word of a text (split on
white space) is looked up once in a per-process table, for every feature block and rule at once; what a block takes
from a word (its character n-gram columns, its tokens' ids, its counts for the scope checks) is worked out the first
time the word is met and kept in flat arrays; a chunk's counts are then gathered with numpy instead of per-term
Python updates.

The table holds the words as the text has them. The features read a text normalised (`normalize`: lower case,
accents stripped), which can be done word by word: lower-casing looks no further than white space (the final-sigma
rule included), accents are marks that never cross it, and decomposing a character may make white space within a
word ("´" is a space and a mark), so a word normalised is one or more normalised words, split again. Word tokens
and character n-grams never cross white space, so a text's tokens are its words' tokens, one word after the other,
and its title's are those of the words before the first line break; the columns and counts are those the per-term
analyzers in `runtime` give (tests compare them). The rules that read words as they are (the phrases named
outright, the scope checks) take theirs from the same look-up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from itertools import chain, repeat

import numpy as np
from scipy import sparse

from classifier.estimator.text import PUNCTUATION, strip_accents

_TOKEN = re.compile(r"\w{2,}")  # scikit-learn's token pattern (?u)\b\w\w+\b, without its redundant \b


def normalize(text: str) -> str:
    """Lower case, then accents stripped: what the word, title, character and phrase features all read."""
    return strip_accents(text.lower())


def counts_matrix(rows: np.ndarray, columns: np.ndarray, n_rows: int, width: int):
    """CSR matrix (float32) counting each (row, column) pair, indices sorted in each row, as sum_duplicates
    leaves a matrix: one sort of the pairs as keys row * width + column (32-bit when they fit, which numpy
    sorts fastest), then each run of equal keys is one entry."""
    index = np.int32 if (n_rows + 1) * width < np.iinfo(np.int32).max else np.int64
    keys = rows.astype(index) * index(width) + columns.astype(index)
    keys.sort()
    starts = np.flatnonzero(np.diff(keys, prepend=-1))
    counts = np.diff(starts, append=keys.size).astype(np.float32)
    unique = keys[starts]
    indptr = np.searchsorted(unique, np.arange(n_rows + 1, dtype=index) * index(width)).astype(index)
    unique -= np.repeat(np.arange(n_rows, dtype=index) * index(width), np.diff(indptr))
    return sparse.csr_array((counts, unique, indptr), shape=(n_rows, width))


class Words:
    """The words of a chunk of texts (split on white space, as the texts have them): each occurrence's id in a
    WordTable and its text (row)."""

    def __init__(self, texts: Sequence[str], ids: np.ndarray, rows: np.ndarray):
        self.texts, self.ids, self.rows = texts, ids, rows
        self._titles: np.ndarray | None = None

    def per_text(self) -> np.ndarray:
        """How many words each text has."""
        return np.bincount(self.rows, minlength=len(self.texts))

    def title_lengths(self) -> np.ndarray:
        """How many words each text's first line (its title) has."""
        if self._titles is None:
            self._titles = np.fromiter(
                (len(text.split("\n", 1)[0].split()) for text in self.texts), np.int64, len(self.texts)
            )
        return self._titles

    def first_lines(self) -> Words:
        """The words of the texts' first lines (the titles): each text's first words, up to its line break."""
        in_title = self.title_lengths()
        starts = np.searchsorted(self.rows, np.arange(len(self.texts)))
        kept = np.arange(self.ids.size) - starts[self.rows] < in_title[self.rows]
        return Words(self.texts, self.ids[kept], self.rows[kept])


class WordStore:
    """What one feature block or rule takes from each word of a WordTable, as a run of ints per word in one flat
    array: `of_word` of each of the word's normalised words, one after the other, or of the word as the text has it
    (`raw`)."""

    def __init__(self, of_word: Callable[[str], list[int]], raw: bool = False):
        self.of_word = of_word
        self.raw = raw
        self.clear()

    def clear(self) -> None:
        self.values = np.zeros(1024, dtype=np.int32)  # columns and token ids; a vocabulary has under 2**31 terms
        self.used = 0
        self.words = 0
        # Where each word's values start, and where the last word's end (int32: what scipy's sparse products take).
        self.indptr = np.zeros(1025, dtype=np.int32)
        self._ones = np.ones(0, dtype=np.float32)

    def extend(self, new_words: list[str], normalized: list[list[str]]) -> None:
        """Store what the block takes from each new word (they get the next ids of the table, in order), given
        also as its normalised words."""
        of_word = self.of_word
        if self.raw:
            runs = [of_word(word) for word in new_words]
        else:
            runs = [
                of_word(words[0]) if len(words) == 1 else list(chain.from_iterable(map(of_word, words)))
                for words in normalized
            ]
        values = np.fromiter(chain.from_iterable(runs), dtype=np.int32)
        lengths = np.fromiter(map(len, runs), dtype=np.int64, count=len(runs))
        used, words = self.used + values.size, self.words + len(runs)
        if used > np.iinfo(np.int32).max:  # indptr is int32: it would wrap silently
            raise OverflowError(f"a word table's store would hold {used} values, more than int32 indexes")
        self.values = _fit(self.values, used)
        self.values[self.used : used] = values
        self.indptr = _fit(self.indptr, words + 1)
        self.indptr[self.words + 1 : words + 1] = self.used + np.cumsum(lengths)
        self.used, self.words = used, words

    def truncate(self, words: int) -> None:
        """Forget every word from id `words` on (WordTable.words undoing what an interruption left half-done)."""
        self.words = min(self.words, words)
        self.used = int(self.indptr[self.words])

    def __getstate__(self):
        return {"of_word": self.of_word, "raw": self.raw}

    def __setstate__(self, state):
        self.of_word, self.raw = state["of_word"], state.get("raw", False)
        self.clear()

    def counts(self, words: Words, width: int):
        """CSR matrix (float32): how often each text of `words` holds each value, the values being columns below
        `width`. One sparse product, of the texts' word occurrences by each stored word's values, sums them per text
        in compiled code instead of sorting every (text, value) pair as `counts_matrix` does: a row's indices come in
        the order its text first holds them (unsorted, the same for the same text in any chunk, with any table)."""
        if self._ones.size < max(self.used, words.ids.size):
            self._ones = np.ones(max(self.used, words.ids.size, 2 * self._ones.size), dtype=np.float32)
        # int32 indices throughout (a vocabulary, a table and a chunk's words are far below 2**31): scipy takes
        # them as they are, with no pass over them to see whether they fit.
        stored = sparse.csr_array(
            (self._ones[: self.used], self.values[: self.used], self.indptr[: self.words + 1]),
            shape=(self.words, width),
        )
        indptr = np.zeros(len(words.texts) + 1, dtype=np.int32)
        np.cumsum(words.per_text(), out=indptr[1:])
        occurrences = sparse.csr_array(
            (self._ones[: words.ids.size], words.ids.astype(np.int32), indptr), shape=(len(words.texts), self.words)
        )
        return occurrences @ stored

    def lengths_of(self, ids: np.ndarray) -> np.ndarray:
        """How many values each of these words (ids) has."""
        return self.indptr[ids + 1] - self.indptr[ids]

    def gather(self, words: Words, few: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The values of every word occurrence, one word after the other, and the row each came from. `few`:
        most words have none (a rule's phrase tokens), so those that have are picked out first."""
        if few:
            held = np.flatnonzero(self.lengths_of(words.ids))
            words = Words(words.texts, words.ids[held], words.rows[held])
        starts = self.indptr[words.ids]
        lengths = self.indptr[words.ids + 1] - starts
        ends = np.cumsum(lengths)
        offsets = np.repeat(starts - (ends - lengths), lengths)
        return self.values[np.arange(ends[-1] if ends.size else 0) + offsets], np.repeat(words.rows, lengths)


class WordRows:
    """What a rule takes from each word of a WordTable as the text has it: `width` ints per word, one row of a
    2-D array per word id, so that a chunk's are one look-up and each text's sums one reduction."""

    def __init__(self, of_word: Callable[[str], list[int]], width: int):
        self.of_word, self.width = of_word, width
        self.clear()

    def clear(self) -> None:
        self.values = np.zeros((1024, self.width), dtype=np.int64)
        self.words = 0

    def extend(self, new_words: list[str], normalized: list[list[str]]) -> None:
        rows = np.array([self.of_word(word) for word in new_words], dtype=np.int64).reshape(-1, self.width)
        words = self.words + len(rows)
        if words > len(self.values):
            grown = np.zeros((max(words, 2 * len(self.values)), self.width), dtype=np.int64)
            grown[: self.words] = self.values[: self.words]
            self.values = grown
        self.values[self.words : words] = rows
        self.words = words

    def truncate(self, words: int) -> None:
        """Forget every word from id `words` on (see WordStore.truncate)."""
        self.words = min(self.words, words)

    def __getstate__(self):
        return {"of_word": self.of_word, "width": self.width}

    def __setstate__(self, state):
        self.of_word, self.width = state["of_word"], state["width"]
        self.clear()

    def sums(self, words: Words) -> np.ndarray:
        """Array (n_texts, width): each text's sums of its words' rows (0 for a text without words): one sparse
        product of the texts' word occurrences by the rows, in integers, with no copy of each occurrence's row."""
        if not words.ids.size:
            return np.zeros((len(words.texts), self.width), dtype=np.int64)
        indptr = np.zeros(len(words.texts) + 1, dtype=np.int64)
        np.cumsum(words.per_text(), out=indptr[1:])
        occurrences = sparse.csr_array(
            (np.ones(words.ids.size, dtype=np.int64), words.ids, indptr), shape=(len(words.texts), self.words)
        )
        return np.asarray(occurrences @ self.values[: self.words], dtype=np.int64)


def _fit(array: np.ndarray, size: int) -> np.ndarray:
    """`array`, grown (doubled) to hold `size` items."""
    if size <= array.size:
        return array
    grown = np.zeros(max(size, 2 * array.size), dtype=array.dtype)
    grown[: array.size] = array
    return grown


class WordTable:
    """Every word met so far, per process, each with an id and with what each feature block takes from it (its
    WordStore); emptied when it passes `limit` words. Not pickled: a copy sent to a worker starts empty.

    Hold `lock` from `words` until the blocks have gathered what they need: threads (the REST API's) would
    otherwise add words or empty the table between the two."""

    def __init__(self, limit: int):
        self.limit = limit
        self.ids: dict[str, int] = {}
        self.stores: list[WordStore] = []
        self.lock = threading.RLock()

    def rows(self, of_word: Callable[[str], list[int]], width: int) -> WordRows:
        """A new rule's rows: `of_word(word)`, `width` ints, is what the rule takes from a word as the text has it."""
        rows = WordRows(of_word, width)
        rows.extend(list(self.ids), [])
        self.stores.append(rows)
        return rows

    def store(self, of_word: Callable[[str], list[int]], raw: bool = False) -> WordStore:
        """A new block's store: `of_word(word)` is what the block takes from a normalised word, or from a word as
        the text has it (`raw`)."""
        store = WordStore(of_word, raw)
        known = list(self.ids)
        store.extend(known, [normalize(word).split() for word in known])
        self.stores.append(store)
        return store

    def words(self, texts: Sequence[str]) -> Words:
        """The words of `texts` (as they are, not normalised), each given an id, new ones stored."""
        lists = [text.split() for text in texts]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        words = list(chain.from_iterable(lists))
        full = len(self.ids) > self.limit
        known = 0 if full else len(self.ids)
        try:
            if full:
                self.ids.clear()
                for store in self.stores:
                    store.clear()
            ids = np.fromiter(map(self.ids.get, words, repeat(-1)), dtype=np.int64, count=len(words))
            self._add(words, ids)
        except BaseException:  # Ctrl-C in a notebook, a MemoryError: the words added so far are taken back
            self._forget(known)
            raise
        return Words(texts, ids, np.repeat(np.arange(len(texts)), lengths))

    def _add(self, words: list[str], ids: np.ndarray) -> None:
        """Give the words whose id is -1 theirs, new ones the next ids, and store what each block takes from them."""
        new = []
        for at in np.flatnonzero(ids < 0).tolist():
            word = words[at]
            if word not in self.ids:
                self.ids[word] = len(self.ids)
                new.append(word)
            ids[at] = self.ids[word]
        if new:
            normalized = [normalize(word).split() for word in new]
            for store in self.stores:
                store.extend(new, normalized)

    def _forget(self, known: int) -> None:
        """Back to the table's first `known` words: an interrupted `words` left later ones in some stores and not
        in others (or in the ids and no store), and every later look-up would read past a store's end."""
        while len(self.ids) > known:
            self.ids.popitem()  # the last added first: the ids are given in order
        for store in self.stores:
            store.truncate(known)

    def __getstate__(self):
        return {"limit": self.limit, "ids": {}, "stores": self.stores}  # each store pickles empty

    def __setstate__(self, state):
        self.__dict__.update(state, lock=threading.RLock())


class WordGramCounter:
    """Word unigram and bigram columns: each word's tokens (stop words left out) stored as ids, bigrams found by
    their pair of ids (one int64 key, looked up with searchsorted in the sorted keys of the vocabulary's
    bigrams) instead of joined strings."""

    def __init__(self, vocabulary: dict[str, int], stop_words: frozenset, ngram_range, table: WordTable):
        self.unigrams, self.bigrams = ngram_range[0] == 1, ngram_range[1] >= 2
        self.width = len(vocabulary)
        self.stop_words = stop_words
        # Each word of the terms gets an id in the order the terms first hold it; the terms' ids are gathered with
        # numpy (a vocabulary has tens of thousands of terms, read at every start).
        words = [term.split(" ") for term in vocabulary]
        self.token_ids: dict[str, int] = {word: i for i, word in enumerate(dict.fromkeys(chain.from_iterable(words)))}
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        if (lengths > 2).any():
            raise ValueError("a word n-gram of more than two words in a vocabulary of unigrams and bigrams")
        ids = np.fromiter(map(self.token_ids.__getitem__, chain.from_iterable(words)), dtype=np.int64)
        firsts = np.cumsum(lengths) - lengths  # each term's first word among `ids`
        term_columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(words))
        self.unknown = len(self.token_ids)  # a token in no term: kept in place, so it breaks a bigram
        self.unigram_column = np.full(self.unknown + 1, -1, dtype=np.int64)
        self.unigram_column[ids[firsts[lengths == 1]]] = term_columns[lengths == 1]
        pairs = firsts[lengths == 2]
        keys = ids[pairs] * (self.unknown + 1) + ids[pairs + 1]
        order = np.argsort(keys)
        self.bigram_keys, self.bigram_columns = keys[order], term_columns[lengths == 2][order]
        self.store = table.store(self.tokens_of_word)

    def tokens_of_word(self, word: str) -> list[int]:
        """The ids of a word's tokens that are not stop words."""
        get, unknown = self.token_ids.get, self.unknown
        return [get(token, unknown) for token in _TOKEN.findall(word) if token not in self.stop_words]

    def count(self, words: Words):
        ids, rows = self.store.gather(words)
        ids = ids.astype(np.int64)  # bigram keys need 64 bits
        # Column of the unigram and of the bigram starting at each token (-1: none), side by side, so that
        # the rows stay in order.
        columns = np.full((ids.size, 2), -1, dtype=np.int64)
        if self.unigrams:
            columns[:, 0] = self.unigram_column[ids]
        if self.bigrams and ids.size > 1 and self.bigram_keys.size:
            keys = ids[:-1] * (self.unknown + 1) + ids[1:]
            at = np.minimum(np.searchsorted(self.bigram_keys, keys), self.bigram_keys.size - 1)
            known = (self.bigram_keys[at] == keys) & (rows[:-1] == rows[1:])
            columns[:-1, 1] = np.where(known, self.bigram_columns[at], -1)
        columns, rows = columns.ravel(), np.repeat(rows, 2)
        known = columns >= 0
        return counts_matrix(rows[known], columns[known], len(words.texts), self.width)


class CharGramCounter:
    """Character n-gram columns, word by word: each word's columns (none for a stop word) stored once."""

    def __init__(self, vocabulary: dict[str, int], grams: Callable, stop_words: frozenset, table: WordTable):
        self.vocabulary = vocabulary
        self.grams = grams
        self.stop_words = stop_words
        self.store = table.store(self.columns_of_word)

    def columns_of_word(self, word: str) -> list[int]:
        if word.strip(PUNCTUATION) in self.stop_words:
            return []
        vocabulary = self.vocabulary
        return [vocabulary[gram] for gram in self.grams(word) if gram in vocabulary]

    def count(self, words: Words):
        return self.store.counts(words, len(self.vocabulary))
