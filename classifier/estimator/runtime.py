"""Predicting with numpy and scipy alone: a bundle's features, linear models, calibration and stacker computed
as TopicClassifier computes them, without importing scikit-learn, which costs most of a cold start.

Only fitting needs scikit-learn. A bundle is plain arrays and vocabularies, so the same TF-IDF (word
n-grams of the text, words of the title, character n-grams within words), the same linear scores and the
same calibration can be computed directly; tests check the scores equal TopicClassifier's on the corpus,
on whole pages and on generated texts.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Sequence
from functools import partial

import numpy as np
from scipy import sparse

from classifier.estimator.counting import CharGramCounter, WordGramCounter, Words, WordTable, normalize
from classifier.estimator.evidence import (
    BulkPhraseCounter,
    PhraseCounter,
    PhraseMatcher,
    could_accept_any,
    evidence_features,
    evidence_of_counts,
    lead_accepted,
    lead_phrases,
    phrase_accepted,
    stacked_proba,
)
from classifier.estimator.facts import RuleStores, TextFacts
from classifier.estimator.keywords import keyword_margins
from classifier.estimator.scope import word_counts
from classifier.estimator.spans import SpanRule, named_in_text, named_in_tokens
from classifier.estimator.stopwords import ENGLISH_STOP_WORDS
from classifier.estimator.text import PUNCTUATION, char_input
from classifier.estimator.thresholds import accept_labels, sigmoid
from classifier.estimator.windows import WINDOW_STRIDE, WINDOW_WORDS
from classifier.io.formats import iterated_for_keys
from classifier.options import LEAD_PHRASE_ACCEPT, PARAMS_BEFORE_THEY_EXISTED, PHRASE_ACCEPT, WINDOW_PHRASE_ACCEPT

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")
# Texts counted at once: a larger call is counted (and scored) block by block, which keeps the counting's
# arrays small (a block's keys fit in 32 bits) and never holds the features of a whole large batch.
BLOCK_ROWS = 1024
CACHE_LIMIT = 500_000  # words whose n-gram columns and tokens are remembered, per process
# The fitted per-label minimums of phrases that name a label outright (see evidence): each an optional array
# of a bundle, read and written by these names alone.
PHRASE_MINIMUM_ARRAYS = ("phrase_minimum", "lead_phrase_minimum", "window_phrase_minimum")


def _stop_words(stop_words) -> frozenset:
    if stop_words == "english":
        return ENGLISH_STOP_WORDS
    return frozenset(stop_words or ())


class WordTfidf:
    """TF-IDF of word n-grams (TfidfVectorizer with lower case, accents stripped, stop words removed before
    the n-grams are formed, sublinear tf, l2 norm), over the whole text or its first line only."""

    def __init__(
        self, terms: Sequence[str], idf, ngram_range=(1, 1), stop_words=None, first_line_only=False, table=None
    ):
        self.vocabulary = {term: column for column, term in enumerate(terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.ngram_range = tuple(ngram_range)
        self.stop_words = _stop_words(stop_words)
        self.first_line_only = first_line_only
        self.table = WordTable(CACHE_LIMIT) if table is None else table
        # Unigrams and bigrams, the n-grams of every shipped model, are counted in bulk; longer ones term by term.
        self._counter = None
        if self.ngram_range[1] <= 2:
            self._counter = WordGramCounter(self.vocabulary, self.stop_words, self.ngram_range, self.table)

    def analyze(self, text: str) -> list[str]:
        if self.first_line_only:
            text = text.split("\n", 1)[0]
        return self.grams(self.tokens(normalize(text)))

    def tokens(self, text: str) -> list[str]:
        """The words of a normalised text, stop words left out."""
        return [word for word in _TOKEN.findall(text) if word not in self.stop_words]

    def grams(self, tokens: list[str]) -> list[str]:
        low, high = self.ngram_range
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def transform(self, texts: Sequence[str]):
        with self.table.lock:
            return self.transform_words(self.table.words(texts))

    def transform_words(self, words: Words):
        """TF-IDF of texts, given as their words in `self.table` (see counting)."""
        if self._counter is not None:
            return _weighted(self._counter.count(words.first_lines() if self.first_line_only else words), self.idf)
        texts = [text.split("\n", 1)[0] for text in words.texts] if self.first_line_only else words.texts
        vocabulary = self.vocabulary
        columns, indptr = [], [0]
        for text in texts:
            grams = self.grams(self.tokens(normalize(text)))
            columns.extend(vocabulary[gram] for gram in grams if gram in vocabulary)
            indptr.append(len(columns))
        return _tfidf(columns, indptr, len(vocabulary), self.idf)


class CharNgrams:
    """Character n-grams within words, as scikit-learn's analyzer "char_wb" takes them from `char_input`, counted
    word by word: a 1 KB text has about 2,000 n-grams but few words not seen before, so each word's columns are
    looked up once. `grams` is the one definition of a word's n-grams, for fitting and predicting alike; `count`
    counts them for fitting (CharNgramVectorizer), CharTfidf in bulk (counting.CharGramCounter)."""

    def __init__(self, ngram_range=(3, 5), stop_words=frozenset()):
        self.ngram_range = tuple(ngram_range)
        self.stop_words = frozenset(stop_words)

    def preprocess(self, text: str) -> str:
        return char_input(text, self.stop_words)

    def grams(self, word: str) -> list[str]:
        """The n-grams of one word, padded with a space at each end (as scikit-learn's "char_wb" pads them)."""
        low, high = self.ngram_range
        padded = f" {word} "
        grams = []
        for n in range(low, high + 1):
            grams.extend(padded[offset : offset + n] for offset in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:  # a short word counts once
                break
        return grams

    def analyze(self, text: str) -> list[str]:
        """The n-grams of a text, in the order scikit-learn's "char_wb" analyzer gives them."""
        return [gram for word in _WHITE_SPACES.sub(" ", self.preprocess(text)).split() for gram in self.grams(word)]

    def count(self, texts: Sequence[str], vocabulary: dict, cache: dict, grow: bool = False):
        """The column of each n-gram of each text, as CSR `(columns, indptr)`. With `grow`, an n-gram not in
        `vocabulary` gets the next column; without, it is left out. `cache` maps a word to its columns: keep it
        only as long as `vocabulary` does not change."""
        columns, indptr = [], [0]
        for text in texts:
            for word in self.preprocess(text).split():
                found = cache.get(word)
                if found is None:
                    grams = self.grams(word)
                    if grow:
                        found = [vocabulary.setdefault(gram, len(vocabulary)) for gram in grams]
                    else:
                        found = [vocabulary[gram] for gram in grams if gram in vocabulary]
                    cache[word] = found
                columns.extend(found)
            indptr.append(len(columns))
        return columns, indptr


class CharTfidf:
    """TF-IDF of character n-grams within words (analyzer "char_wb" over `char_input`), each word's columns
    looked up once per process, in the table of words the blocks share (see counting)."""

    def __init__(self, terms: Sequence[str], idf, ngram_range=(3, 5), stop_words=None, table=None):
        self.vocabulary = {term: column for column, term in enumerate(terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.ngrams = CharNgrams(ngram_range, _stop_words(stop_words))
        self.table = WordTable(CACHE_LIMIT) if table is None else table
        self._counter = CharGramCounter(self.vocabulary, self.ngrams.grams, self.ngrams.stop_words, self.table)

    def transform(self, texts: Sequence[str]):
        with self.table.lock:
            return self.transform_words(self.table.words(texts))

    def transform_words(self, words: Words):
        """TF-IDF of texts, given as their words in `self.table` (see counting)."""
        return _weighted(self._counter.count(words), self.idf)


def _tfidf(columns: list[int], indptr: list[int], width: int, idf: np.ndarray):
    """Counts -> 1 + log(count) -> times idf -> unit rows, in float32 as TfidfVectorizer(dtype=float32) does."""
    index = np.int32 if len(columns) <= np.iinfo(np.int32).max else np.int64
    X = sparse.csr_array(
        (np.ones(len(columns), dtype=np.float32), np.asarray(columns, dtype=index), np.asarray(indptr, dtype=index)),
        shape=(len(indptr) - 1, width),
        dtype=np.float32,
    )
    X.sum_duplicates()
    return _weighted(X, idf)


def _weighted(X, idf: np.ndarray):
    """`_tfidf` of a matrix of counts (float32, duplicates summed, indices sorted)."""
    np.log(X.data, X.data)
    X.data += 1.0
    X.data *= idf[X.indices]
    lengths = np.diff(X.indptr)
    filled = lengths > 0
    norms = np.ones(X.shape[0])
    if X.nnz:
        squares = np.add.reduceat((X.data * X.data).astype(np.float64), X.indptr[:-1][filled])
        norms[filled] = np.sqrt(squares)
        norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, lengths)
    return X


class LinearTopicModel:
    """A fitted TopicClassifier's prediction, rebuilt from a bundle's arrays: same features, scores,
    probabilities, accepted labels and explanations, with numpy and scipy only."""

    def __init__(self, params: dict, parts: list[tuple[str, object, float]], arrays: dict, vocabularies: dict):
        self.params = params
        self.parts = parts
        self.arrays = arrays
        self.vocabularies = vocabularies
        self.ensure_one = params.get("ensure_one", True)
        self.top_ratio = params.get("top_ratio", 0.5)
        self.label_phrases = params.get("label_phrases")
        set_fitted_arrays(self, arrays, sum(len(terms) for terms in vocabularies.values()))
        # Scores are features @ coef.T; a C-ordered copy of the transpose is not rebuilt on every call.
        self._coef_t = np.ascontiguousarray(self.coef_.T)
        self._phrases = None
        self._matcher = self._lead_matcher = None
        self._rule_stores: RuleStores | None = None  # what the rules take from each word, made on first use
        self._evidence_store = None  # and of the words' cut forms, for the stacker's evidence

    @classmethod
    def from_arrays(cls, params: dict, arrays: dict, vocabularies: dict[str, list[str]]) -> LinearTopicModel:
        """Rebuild from a bundle: its parameters, arrays and vocabularies (what TopicClassifier.to_arrays gives)."""
        params = {**_DEFAULTS, **PARAMS_BEFORE_THEY_EXISTED, **params}
        table = WordTable(CACHE_LIMIT)
        parts = []
        for name in vocabularies:
            if f"idf_{name}" not in arrays:
                raise ValueError(f"vocabulary '{name}' has no idf_{name} weights")
            terms, idf = vocabularies[name], arrays[f"idf_{name}"]
            if len(terms) != len(idf):
                raise ValueError(f"vocabulary '{name}' has {len(terms)} terms but {len(idf)} weights")
            if name == "text":
                part, weight = WordTfidf(terms, idf, params["ngram_range"], params["stop_words"], table=table), 1.0
            elif name == "title":
                part = WordTfidf(terms, idf, (1, 1), params["stop_words"], first_line_only=True, table=table)
                weight = float(params["title_weight"])
            elif name == "chars":
                part = CharTfidf(terms, idf, params["char_ngram_range"], params["stop_words"], table=table)
                weight = float(params["char_weight"])
            else:
                raise ValueError(f"unknown feature block '{name}'")
            parts.append((name, part, weight))
        return cls(params, parts, arrays, vocabularies)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        return dict(self.arrays), dict(self.vocabularies)

    def idf(self, name: str) -> np.ndarray:
        """The idf weights of feature block `name`, in the column order of `vocabularies[name]`."""
        return self.arrays[f"idf_{name}"]

    def transform(self, texts: Sequence[str]):
        """The feature matrix (CSR, float32): each block's TF-IDF times its weight, side by side."""
        return self._features(as_texts(texts))

    def _features(self, texts: list[str], facts: list | None = None, evidence: list | None = None):
        """The features of `texts`; with `facts`, what the rules need of each block of texts is added to it (see
        `predict_proba_and_facts`), and with `evidence`, the stacker's evidence of each block, from the same
        look-up of their words."""
        if len(texts) > BLOCK_ROWS:
            blocks = [
                self._features(texts[i : i + BLOCK_ROWS], facts, evidence) for i in range(0, len(texts), BLOCK_ROWS)
            ]
            return sparse.vstack(blocks, format="csr", dtype=np.float32)
        blocks = [block * weight if weight != 1.0 else block for block, weight in self._blocks(texts, facts, evidence)]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def _blocks(self, texts: list[str], facts: list | None, evidence: list | None) -> list[tuple[object, float]]:
        """Each feature block of `texts` (CSR, float32) and its weight, in the order of the features; `facts` and
        `evidence` as in `_features`."""
        words_in: dict[int, Words] = {}  # the blocks share one table of words: each text is split once
        blocks = []
        with contextlib.ExitStack() as held:
            for _, part, weight in self.parts:
                if id(part.table) not in words_in:
                    held.enter_context(part.table.lock)
                    words_in[id(part.table)] = part.table.words(texts)
                blocks.append((part.transform_words(words_in[id(part.table)]), weight))
            table = self.parts[0][1].table
            if facts is not None:
                facts.append(self._facts(table, words_in[id(table)]))
            if evidence is not None:
                evidence.append(self._evidence(table, words_in[id(table)]))
        return blocks

    def _evidence(self, table: WordTable, words: Words) -> np.ndarray:
        """The stacker's evidence of a block of texts (evidence_features), given as their `words` in `table`
        (whose lock is held): their phrases counted in bulk from each word's cut forms (BulkPhraseCounter)."""
        if self._phrases is None:
            self._phrases = PhraseCounter(self.label_phrases)
        if self._evidence_store is None or self._evidence_store[0] is not table:
            bulk = BulkPhraseCounter.of(self._phrases)
            self._evidence_store = (table, bulk, None if bulk is None else table.store(bulk.of_word))
        _, bulk, store = self._evidence_store
        if bulk is None:  # phrases too many or too long to pack: text by text
            return evidence_features(self._phrases, [normalize(text) for text in words.texts], normalized=True)
        n_texts = len(words.texts)
        whole = bulk.counts(*store.gather(words), n_texts)
        return evidence_of_counts(whole, bulk.counts(*store.gather(words.first_lines()), n_texts))

    def _facts(self, table: WordTable, words: Words) -> TextFacts:
        """What the rules need of a block of texts, given as their `words` in `table` (whose lock is held)."""
        if self._rule_stores is None or self._rule_stores.table is not table:
            matcher, lead_matcher = self._matchers()
            rules = ((matcher, self.phrase_minimum_), (lead_matcher, self.lead_phrase_minimum_))
            self._rule_stores = RuleStores(table, rules, word_counts(self))
        return self._rule_stores.facts(words)

    def decision_function(self, X):
        """Linear score of each label; a zero-shot label's is its keyword margin."""
        return self._scores(as_texts(X))

    def _scores(self, texts: list[str], facts: list | None = None, evidence: list | None = None):
        if len(texts) > BLOCK_ROWS:  # each row's scores are its own: the whole matrix is never needed
            blocks = [
                self._scores(texts[i : i + BLOCK_ROWS], facts, evidence) for i in range(0, len(texts), BLOCK_ROWS)
            ]
            return np.concatenate(blocks)
        if self.prototypes_ is not None:  # the keyword margins need the whole feature vector
            features = self._features(texts, facts, evidence)
            scores = np.asarray(features @ self._coef_t, dtype=np.float64) + self.intercept_
            scores[:, self.zero_shot_] = keyword_margins(features, self.prototypes_)[:, self.zero_shot_]
            return scores
        # Block by block: the blocks are neither copied side by side nor copied to be weighted, the products are.
        scores = np.zeros((len(texts), self._coef_t.shape[1]), dtype=np.float64)
        start = 0
        for block, weight in self._blocks(texts, facts, evidence):
            product = np.asarray(block @ self._coef_t[start : start + block.shape[1]], dtype=np.float64)
            scores += product * weight if weight != 1.0 else product
            start += block.shape[1]
        return scores + self.intercept_

    def predict_proba(self, X):
        return self._proba(as_texts(X))

    def predict_proba_and_facts(self, X) -> tuple[np.ndarray, TextFacts]:
        """`predict_proba`, and what the model's rules need to know of each text (TextFacts), taken from the
        features' own look-up of each word: the texts are not split again for the rules."""
        facts: list[TextFacts] = []
        proba = self._proba(as_texts(X), facts)
        return proba, TextFacts.joined(facts)

    def _proba(self, texts: list[str], facts: list | None = None):
        evidence: list | None = None if self.stacked_ is None else []
        proba = sigmoid(self._scores(texts, facts, evidence), self.calibration_)
        if evidence is None:
            return proba
        evidence_array = np.concatenate(evidence)
        return stacked_proba(proba, evidence_array, self.stack_weights_, self.stack_offsets_, self.stacked_)

    def predict(self, X):
        return self.accept(self.predict_proba(X))

    def _matchers(self) -> tuple[PhraseMatcher | None, PhraseMatcher | None]:
        """The label phrases and the lead phrases, ready to match (built on first use)."""
        if self._matcher is None and self.label_phrases is not None:
            # The lead matcher first: a thread that finds the matcher set (or a Ctrl-C between the two) finds both.
            lead_matcher = PhraseMatcher(lead_phrases(self.label_phrases))
            matcher = PhraseMatcher(self.label_phrases)
            self._lead_matcher = lead_matcher
            self._matcher = matcher
        return self._matcher, self._lead_matcher

    def phrase_accepted(self, X, leads=None, windows=False) -> np.ndarray:
        """0/1 matrix of the labels each text names outright (see TopicClassifier.phrase_accepted)."""
        matcher, lead_matcher = self._matchers()
        texts = as_texts(X)
        minimums = self.window_phrase_minimum_ if windows and self.window_phrase_minimum_ is not None else None
        named = phrase_accepted(matcher, texts, self.phrase_minimum_ if minimums is None else minimums, self.n_labels_)
        return named | lead_accepted(lead_matcher, texts, self.lead_phrase_minimum_, leads, self.n_labels_)

    def named_phrases(self, X) -> list[dict[int, list[str]]]:
        """For each text, per label, its taxonomy phrases the text holds (see TopicClassifier.named_phrases)."""
        matcher, _ = self._matchers()
        return [matcher.named(text) if matcher is not None else {} for text in as_texts(X)]

    def could_name_outright(self, X, words=None) -> np.ndarray:
        """Per text, False where neither it nor any part of it can name a label outright, by its phrases or
        by its lead phrases (a bound, cheaper than `phrase_accepted`; see evidence.could_accept). `words`, each
        text's `text.split()`, saves splitting the texts again."""
        matcher, lead_matcher = self._matchers()
        texts = as_texts(X)
        words = [text.split() for text in texts] if words is None else words
        rules = ((matcher, self.phrase_minimum_), (lead_matcher, self.lead_phrase_minimum_))
        return could_accept_any(rules, words)  # one split, and one look-up of its words, for both matchers

    def named_in_spans(
        self, X, words=None, window_words=WINDOW_WORDS, stride=WINDOW_STRIDE, could_name=None, tokens=None
    ) -> np.ndarray:
        """0/1 matrix of the labels each text, read whole, names outright within one of its spans: what
        windows.named_in_spans gives from `phrase_accepted` and `could_name_outright`, with each text's phrases
        matched once rather than once per span (see spans). `words` as in `could_name_outright`; `could_name`,
        the bound found already (TextFacts), saves finding it again, and `tokens` (TextFacts.tokens), the tokens
        of each text it lets through."""
        texts = as_texts(X)
        out = np.zeros((len(texts), self.n_labels_), dtype=np.int8)
        if tokens is not None:  # found with the features: the rules over ids
            (rule, lead_rule), (id_rule, id_lead_rule) = self._rule_stores.text_rules, self._rule_stores.span_rules
            for i, found in enumerate(tokens):
                if found is not None:
                    ids, offsets, matches = found
                    out[i] = named_in_tokens(
                        id_rule, id_lead_rule, ids, offsets, window_words, stride, self.n_labels_, matches=matches
                    )
                elif could_name[i]:  # a long text, read whole here: its tokens were not taken out
                    out[i] = named_in_text(rule, lead_rule, texts[i], window_words, stride, self.n_labels_)
            return out
        matcher, lead_matcher = self._matchers()
        rule, lead_rule = (
            SpanRule.of(matcher, self.phrase_minimum_),
            SpanRule.of(lead_matcher, self.lead_phrase_minimum_),
        )
        if rule is None and lead_rule is None:
            return out
        if could_name is None:
            could_name = self.could_name_outright(texts, words)
        for i in np.flatnonzero(could_name).tolist():
            text_words = None if words is None else words[i]
            out[i] = named_in_text(rule, lead_rule, texts[i], window_words, stride, self.n_labels_, text_words)
        return out

    def accept(self, proba, thresholds=None, ensure_one=None):
        fallback = ~self.zero_shot_ if self.zero_shot_.any() else None
        thresholds = self.thresholds_ if thresholds is None else thresholds
        ensure_one = self.ensure_one if ensure_one is None else ensure_one
        return accept_labels(proba, thresholds, ensure_one, self.top_ratio, fallback)

    def explain(self, X, top: int = 5) -> list[list[list[tuple[str, float]]]]:
        """For each document and each label, the terms that raised the label's score most (see
        TopicClassifier.explain and `explain_features`)."""
        texts = as_texts(X)
        chars = next((part.ngrams for name, part, _ in self.parts if name == "chars"), None)
        return explain_features(
            self.transform(texts), texts, self.coef_, self.vocabularies, partial(words_of_char_ngrams, chars), top
        )


_DEFAULTS = {
    "ngram_range": (1, 2),
    "stop_words": "english",
    "title_weight": 0.5,
    "char_ngram_range": (3, 5),
    "char_weight": 1.0,
    "ensure_one": True,
    "top_ratio": 0.5,
    "label_phrases": None,
    "phrase_accept": PHRASE_ACCEPT,
    "lead_phrase_accept": LEAD_PHRASE_ACCEPT,
    "window_phrase_accept": WINDOW_PHRASE_ACCEPT,
}


def set_fitted_arrays(model, arrays: dict, n_features: int) -> None:
    """Set a model's fitted attributes from a bundle's arrays (coefficients, calibration, thresholds,
    zero-shot prototypes, stacker), checking their shapes fit together; `model` has `label_phrases`.
    Shared by TopicClassifier.from_arrays and LinearTopicModel."""
    model.coef_ = np.asarray(arrays["coef"], dtype=np.float32)
    model.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64)
    model.calibration_ = np.asarray(arrays["calibration"], dtype=np.float64)
    model.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
    n_labels = model.n_labels_ = len(model.intercept_)
    model.prototypes_ = None
    model.zero_shot_ = np.zeros(n_labels, dtype=bool)
    if "prototypes" in arrays:
        model.prototypes_ = np.asarray(arrays["prototypes"], dtype=np.float32)
        model.zero_shot_ = np.asarray(arrays["zero_shot"], dtype=bool)
    for name in PHRASE_MINIMUM_ARRAYS:
        minimum = None
        if name in arrays:
            minimum = np.asarray(arrays[name], dtype=np.float64)
            if not (np.isfinite(minimum).all() and (minimum >= 0).all()):
                raise ValueError(f"{name} holds a value that is not a count")
        setattr(model, f"{name}_", minimum)
    model.stack_weights_ = model.stack_offsets_ = model.stacked_ = None
    if "stacked" in arrays:
        model.stack_weights_ = np.asarray(arrays["stack_weights"], dtype=np.float64)
        model.stack_offsets_ = np.asarray(arrays["stack_offsets"], dtype=np.float64)
        model.stacked_ = np.asarray(arrays["stacked"], dtype=bool)
        if model.label_phrases is None:
            raise ValueError("the model has stacker weights but no label_phrases to compute its evidence")
    if model.label_phrases is not None and len(model.label_phrases) != n_labels:
        raise ValueError(f"label_phrases has {len(model.label_phrases)} fields' phrases, but the model has {n_labels}")
    shapes_fit = (
        model.coef_.shape == (n_labels, n_features)
        and model.calibration_.shape == (n_labels, 2)
        and model.thresholds_.shape == (n_labels,)
    )
    if model.prototypes_ is not None:
        shapes_fit = (
            shapes_fit and model.prototypes_.shape == model.coef_.shape and model.zero_shot_.shape == (n_labels,)
        )
    for name in PHRASE_MINIMUM_ARRAYS:
        minimum = getattr(model, f"{name}_")
        shapes_fit = shapes_fit and (minimum is None or minimum.shape == (n_labels,))
    if not shapes_fit:
        raise ValueError("array shapes do not fit together")


def explain_features(features, texts, coef, vocabularies: dict, words_of, top: int):
    """For each text and label, the `top` terms with the largest positive share of the linear score: a
    term's TF-IDF value times the label's coefficient, a character n-gram's share given to the words it
    was taken from (`words_of(text)`: n-gram -> {word: count}), by how often each holds it. Ties in
    alphabetical order. Shared by both models' `explain`."""
    terms = [term for name in vocabularies for term in vocabularies[name]]
    char_columns = np.concatenate([np.full(len(vocabularies[name]), name == "chars") for name in vocabularies])
    explanations = []
    for i, text in enumerate(texts):
        start, end = features.indptr[i], features.indptr[i + 1]
        columns, values = features.indices[start:end], features.data[start:end]
        holders = words_of(text) if char_columns[columns].any() else {}
        names, spread = _term_spread(columns, terms, char_columns, holders)
        # Each label's weight of each term at once: (labels x columns) shares, spread over the terms.
        weights = np.asarray((coef[:, columns] * values).astype(np.float64) @ spread)
        explanations.append([_ranked(row, names, top) for row in weights])
    return explanations


def _term_spread(columns, terms, char_columns, holders) -> tuple[list[str], sparse.csr_matrix]:
    """The text's terms in alphabetical order, and the (columns x terms) matrix of each column's share of each:
    a word or title column's all to its own term, a character n-gram's to the words holding it, by count."""
    rows, keys, shares = [], [], []
    for row, column in enumerate(columns.tolist()):
        if char_columns[column]:
            counts = holders.get(terms[column], {})
            total = sum(counts.values())
            for word, count in counts.items():
                rows.append(row)
                keys.append(word)
                shares.append(count / total)
        else:
            rows.append(row)
            keys.append(terms[column])
            shares.append(1.0)
    names = sorted(set(keys))
    index = {name: k for k, name in enumerate(names)}
    spread = sparse.csr_matrix(
        (shares, (rows, [index[key] for key in keys])), shape=(len(columns), len(names)), dtype=np.float64
    )
    return names, spread


def _ranked(weights, names: list[str], top: int) -> list[tuple[str, float]]:
    """The `top` terms of positive weight, heaviest first (the names are in alphabetical order: a stable sort
    leaves ties so)."""
    positive = np.flatnonzero(weights > 0)
    best = positive[np.argsort(-weights[positive], kind="stable")][:top]
    return [(names[k], round(float(weights[k]), 4)) for k in best]


def words_of_char_ngrams(chars: CharNgrams, text: str) -> dict[str, dict[str, int]]:
    """Each character n-gram of `text`, with the words it comes from and how often. Each distinct token's n-grams
    are taken once, and count as often as the token occurs (a report repeats its words thousands of times)."""
    holders: dict[str, dict[str, int]] = {}
    for token, times in Counter(chars.preprocess(text).split()).items():
        word = token.strip(PUNCTUATION) or token
        for gram in chars.analyze(token):
            counts = holders.setdefault(gram, {})
            counts[word] = counts.get(word, 0) + times
    return holders


def as_texts(X) -> list[str]:
    """The documents as strings; a single string is refused (it would be read as a list of characters)."""
    if isinstance(X, str):
        raise TypeError("X must be a sequence of documents, not a single string")
    not_texts = iterated_for_keys(X)
    if not_texts:
        raise TypeError(f"X must be a sequence of documents, not {not_texts}")
    return [str(x) for x in X]
