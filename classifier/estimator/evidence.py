"""Taxonomy evidence for every field, and the stacker that weighs it against the linear scores.

The linear models learn a field from its examples only, so a field with few of them is rarely ranked
high even when a text names it outright ("youth councils", "counter-terrorism"). The taxonomy knows
better: each field has a name, aliases, sub-topics and keywords. For each text and field we count
which of the field's phrases the text contains (the name, aliases and sub-topics apart from the
keywords, and the title apart from the whole text), and a small logistic regression, the stacker,
combines these counts with the field's calibrated linear score. It is fitted on out-of-fold scores,
so it learns how far to trust the linear model on texts that model has not seen, and its weights are
shared by all fields (each field keeps its own offset): a rare field borrows what the common ones
show about keyword evidence.

Phrases and texts are compared word by word, lower case, accents stripped, each word cut to its first
STEM_CHARS characters (a crude stemmer that lets "elections" match "electoral" and "minorities" match
"minority"), and words left out whose cut form is that of an English stop word ("others", "becoming",
and also "international" and "systems", which share theirs with "interest" and "system"; measured on
both splits of benchmarks/quality.py, this matched slightly better than leaving out the stop words alone).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Sequence
from itertools import chain

import numpy as np
from scipy import sparse

from classifier.estimator.stopwords import ENGLISH_STOP_WORDS
from classifier.estimator.text import strip_accents

STEM_CHARS = 5
# "OSCE" is in nearly every text and in many phrases ("OSCE Border Management Staff College").
_IGNORED = frozenset(word[:STEM_CHARS] for word in ENGLISH_STOP_WORDS) | {"osce"}
_WORD = re.compile(r"[a-z0-9]+")
# In an ASCII text the words are found faster by making every other character a space and splitting.
_ASCII_SEPARATORS = {code: " " for code in range(128) if not re.fullmatch(_WORD, chr(code))}
WORDS_KEPT = 200_000  # words whose cut form, or exact tokens, are remembered, per process
# The stacker's inputs per text and field, in this order (see evidence_features).
EVIDENCE_FEATURES = ("names", "keywords", "share", "title_names", "title_keywords")
STACK_C = 1.0


def field_phrases(field) -> tuple[list[str], list[str]]:
    """A taxonomy field's (names, keywords): its name, aliases and sub-topics; its keywords."""
    return [field.name, *field.aliases, *field.subtopics], list(field.keywords)


def phrase_words(text: str) -> tuple[str, ...]:
    """The words a phrase or text is matched on (see the module docstring)."""
    return normalized_phrase_words(strip_accents(text.lower()))


class _Stems(dict):
    """Each word's cut form, or None for a word left out; filled as words are met, so that most look-ups are
    one dict look-up in C."""

    def __missing__(self, word: str) -> str | None:
        if len(self) > WORDS_KEPT:
            self.clear()
        stem = word[:STEM_CHARS]
        self[word] = found = None if stem in _IGNORED else stem
        return found


_STEMS = _Stems()


def normalized_phrase_words(text: str) -> tuple[str, ...]:
    """`phrase_words` of a text already in lower case with its accents stripped."""
    words = text.translate(_ASCII_SEPARATORS).split() if text.isascii() else _WORD.findall(text)
    return tuple(filter(None, map(_STEMS.__getitem__, words)))


class PhraseCounter:
    """Counts, per text and label, how many distinct phrases of the label's names and of its keywords occur.

    `label_phrases` has one (names, keywords) pair of phrase lists per label.
    """

    def __init__(self, label_phrases: Sequence[tuple[Sequence[str], Sequence[str]]]):
        self.n_labels = len(label_phrases)
        # phrase words -> the (label, kind) pairs it counts for; kind 0 = names, 1 = keywords
        self._owners: dict[tuple[str, ...], set[tuple[int, int]]] = {}
        for j, kinds in enumerate(label_phrases):
            if len(kinds) != 2:
                raise ValueError(f"label_phrases[{j}] must be a (names, keywords) pair")
            for kind, phrases in enumerate(kinds):
                for phrase in phrases:
                    words = phrase_words(str(phrase))
                    if words:
                        self._owners.setdefault(words, set()).add((j, kind))
        # A phrase of one word is found by intersecting sets; a longer one is searched for only where its first
        # word is. Each phrase found adds 1 to its (label, kind) cells of the flattened counts.
        self._single = frozenset(words[0] for words in self._owners if len(words) == 1)
        self._starting: dict[str, list[tuple[str, ...]]] = {}
        for words in sorted(self._owners):
            if len(words) > 1:
                self._starting.setdefault(words[0], []).append(words)
        self._cells = {words: [2 * j + kind for j, kind in owners] for words, owners in self._owners.items()}

    def counts(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        """Array (n_texts, n_labels, 2): distinct name phrases and distinct keyword phrases found; `normalized`
        when the texts are already in lower case with their accents stripped."""
        words_of = normalized_phrase_words if normalized else phrase_words
        starting, cells, width = self._starting, self._cells, 2 * self.n_labels
        found_cells: list[int] = []
        for i, text in enumerate(texts):
            words = words_of(text)
            found = [(word,) for word in self._single.intersection(words)]
            found.extend(
                {
                    phrase
                    for start, word in enumerate(words)
                    if word in starting
                    for phrase in starting[word]
                    if words[start : start + len(phrase)] == phrase
                }
            )
            found_cells.extend(i * width + cell for phrase in found for cell in cells[phrase])
        counts = np.bincount(np.asarray(found_cells, dtype=np.int64), minlength=len(texts) * width)
        return counts.astype(np.float64).reshape(len(texts), self.n_labels, 2)


class BulkPhraseCounter:
    """`PhraseCounter.counts` of a chunk of texts at once, from each word's cut forms kept per word with the
    features' own look-up of words (counting.WordTable, `of_word` its store of normalised words): a text's cut
    forms are its words', one after the other, so a chunk's are gathered with numpy as one sequence of ids (0 for
    a cut form in no phrase), and each phrase of n words is found where n ids in a row, packed in one integer, are
    its own. The same counts (tests compare them); None (`of` gives None) when a taxonomy's phrases have too many
    cut forms or words to pack."""

    def __init__(self, counter: PhraseCounter):
        phrases = sorted(counter._owners)
        stems = sorted({stem for words in phrases for stem in words})
        self.ids = {stem: i + 1 for i, stem in enumerate(stems)}
        self.bits = len(stems).bit_length()
        self.n_labels, self.n_phrases = counter.n_labels, len(phrases)
        self.lengths: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # phrase length -> (sorted keys, phrase index)
        for length in sorted({len(words) for words in phrases}):
            index = np.array([k for k, words in enumerate(phrases) if len(words) == length], dtype=np.int64)
            keys = np.array([self._key([self.ids[stem] for stem in phrases[k]]) for k in index], dtype=np.int64)
            order = np.argsort(keys)
            self.lengths[length] = (keys[order], index[order])
        cells = [sorted(2 * j + kind for j, kind in counter._owners[words]) for words in phrases]
        self.cell_starts = np.cumsum([0, *map(len, cells)])
        self.cells = np.fromiter(chain.from_iterable(cells), dtype=np.int64)

    @classmethod
    def of(cls, counter: PhraseCounter) -> BulkPhraseCounter | None:
        stems = {stem for words in counter._owners for stem in words}
        longest = max(map(len, counter._owners), default=1)
        return cls(counter) if len(stems).bit_length() * longest <= 62 else None

    def _key(self, ids) -> int:
        key = 0
        for stem_id in ids:
            key = (key << self.bits) | int(stem_id)
        return key

    def of_word(self, word: str) -> list[int]:
        """The ids of a normalised word's cut forms, stop words left out (0: in no phrase)."""
        get = self.ids.get
        return [get(stem, 0) for stem in normalized_phrase_words(word)]

    def counts(self, ids: np.ndarray, rows: np.ndarray, n_texts: int) -> np.ndarray:
        """Array (n_texts, n_labels, 2), as PhraseCounter.counts, from the texts' cut forms (`ids`, in order, from
        the text `rows`)."""
        width = 2 * self.n_labels
        found = []
        starts = np.flatnonzero(ids)  # a phrase starts at a cut form of some phrase
        for length, (keys, index) in self.lengths.items():
            at = starts[starts + length <= ids.size]
            if not at.size:
                continue
            key = np.zeros(at.size, dtype=np.int64)
            for offset in range(length):
                key = (key << self.bits) | ids[at + offset]
            place = np.minimum(np.searchsorted(keys, key), keys.size - 1)
            hit = (keys[place] == key) & (rows[at] == rows[at + length - 1])  # within one text
            found.append(rows[at[hit]] * self.n_phrases + index[place[hit]])
        pairs = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)  # each phrase once
        text, phrase = np.divmod(pairs, self.n_phrases)
        many = self.cell_starts[phrase + 1] - self.cell_starts[phrase]
        cells = self.cells[np.repeat(self.cell_starts[phrase] - np.cumsum(many) + many, many) + np.arange(many.sum())]
        counts = np.bincount(np.repeat(text, many) * width + cells, minlength=n_texts * width)
        return counts.astype(np.float64).reshape(n_texts, self.n_labels, 2)


# --- exact phrases: a field is also accepted when the text names it outright -----------------------------
#
# The stemmed counts above feed the stacker, which weighs them against the linear score; a field with few
# examples keeps a low score however plainly a text names it (Youth had 3 examples up to 2020 and 18 of 154
# items after). Two or more of a field's phrases found exactly (whole words, case and accents ignored, a
# plural s or es allowed) are precise enough to accept the field on their own: on both splits of
# benchmarks/quality.py this raised macro-F1 by 0.02-0.04 with micro-F1 no lower, where one phrase, or
# stemmed matching, accepted too much (README, How the model works). The default is PHRASE_ACCEPT.
_EXACT_TOKEN = re.compile(r"[\w-]+|[^\w\s-]")
_DASHES = re.compile(r"[\u2010-\u2015/]")


def exact_tokens(text: str) -> list[str]:
    """Lower case, accents stripped, dashes and slashes as "-": runs of word characters and hyphens, and
    every other character but spaces on its own (so "SSG/R" and "ssg/r" match, "youth-led" is not "youth")."""
    return _EXACT_TOKEN.findall(_DASHES.sub("-", strip_accents(text.lower())))


class _ExactTokensOfWord(dict):
    """`exact_tokens` of each word (a run of characters between white space) met, per process, or only those
    in `kept`: no token crosses white space, so a text's tokens are its words', one word after the other."""

    def __init__(self, kept: frozenset[str] | None = None):
        super().__init__()
        self.kept = kept
        # The words met, and those of them that have tokens, as sets: a set difference with a dict subclass
        # would go through all of its keys.
        self.seen: set[str] = set()
        self.with_tokens: set[str] = set()
        self.lock = threading.Lock()  # the REST API's threads: the table must not empty between fill and use

    def __reduce__(self):
        return (type(self), (self.kept,))  # a copy (sent to a worker) starts empty, with its own lock

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) > WORDS_KEPT:
            self.clear()
            self.seen.clear()
            self.with_tokens.clear()
        tokens = exact_tokens(word)
        self[word] = found = tuple(tokens if self.kept is None else (token for token in tokens if token in self.kept))
        self.seen.add(word)
        if found:
            self.with_tokens.add(word)
        return found

    def tokens_of_words(self, words: Sequence[str]) -> set[str]:
        """The tokens of these words, with set operations in C: few words of a text have tokens in `kept`, and
        most have been met before."""
        with self.lock:
            if not self.seen.issuperset(words):
                for word in words:
                    if word not in self:
                        self[word]
            return set(chain.from_iterable(map(self.__getitem__, self.with_tokens.intersection(words))))


_EXACT_TOKENS_OF_WORD = _ExactTokensOfWord()


# `exact_tokens` of one word (a run of characters between white space), found once per process: the table's own
# look-up, called per word on the hot path of tagging, with no Python function around it.
exact_tokens_of_word = _EXACT_TOKENS_OF_WORD.__getitem__


def exact_tokens_by_word(text: str) -> list[str]:
    """`exact_tokens(text)`, each word's tokens found once per process."""
    return list(chain.from_iterable(map(_EXACT_TOKENS_OF_WORD.__getitem__, text.split())))


def phrase_matches(starting: dict, tokens: Sequence[str], positions) -> list[tuple[int, int, int, int]]:
    """(start, end, label, phrase) of every phrase occurrence starting at one of `positions` of `tokens`, where
    `starting` maps a token to the (variant, label, phrase) that start with it (PhraseMatcher.starting)."""
    return [
        (start, start + len(variant), j, pid)
        for start in positions
        for variant, j, pid in starting.get(tokens[start], ())
        if tuple(tokens[start : start + len(variant)]) == variant
    ]


def distinct_phrases(matches: list[tuple[int, int, int, int]]) -> set[tuple[int, int]]:
    """(label, phrase) of the `matches`, an occurrence inside a longer one of the same label left out: "migration"
    inside "irregular migration" is one mention of the field, not two.

    Each label's occurrences are taken by start, the longer first at one start: an occurrence lies inside a longer
    one of its label exactly when an earlier span (another start or end) reaches as far as it does. One sort, not a
    comparison of every pair: a long report holds thousands of occurrences."""
    by_label: dict[int, list[tuple[int, int, int]]] = {}
    for start, end, j, pid in matches:
        by_label.setdefault(j, []).append((start, -end, pid))
    out = set()
    for j, found in by_label.items():
        found.sort()
        reach, span, inside = -1, None, False  # the furthest end of the spans before this one's
        for start, neg_end, pid in found:
            if span != (start, -neg_end):
                if span is not None:
                    reach = max(reach, span[1])
                span = (start, -neg_end)
                inside = reach >= span[1]
            if not inside:
                out.add((j, pid))
    return out


class PhraseMatcher:
    """Counts, per text and label, the distinct phrases of the label (names and keywords alike) that occur
    exactly, a plural s or es allowed on the last word; an occurrence inside a longer phrase of the same label
    ("migration" in "irregular migration") counts only as that longer phrase."""

    def __init__(self, label_phrases: Sequence[tuple[Sequence[str], Sequence[str]]]):
        self.n_labels = len(label_phrases)
        self._starting: dict[str, list[tuple[tuple[str, ...], int, int]]] = {}
        phrase_ids: dict[tuple[str, ...], int] = {}
        self._phrase_texts: dict[tuple[int, int], str] = {}  # (label, phrase): as the taxonomy first writes it
        for j, (names, keywords) in enumerate(label_phrases):
            for phrase in [*names, *keywords]:
                tokens = tuple(exact_tokens(str(phrase)))
                if not tokens:
                    continue
                pid = phrase_ids.setdefault(tokens, len(phrase_ids))
                self._phrase_texts.setdefault((j, pid), str(phrase))
                variants = {tokens}
                if tokens[-1][-1:].isalnum():
                    variants |= {tokens[:-1] + (tokens[-1] + end,) for end in ("s", "es")}
                for variant in variants:
                    self._starting.setdefault(variant[0], []).append((variant, j, pid))
        self._only: dict[bytes, PhraseMatcher] = {}  # restricted copies, by label mask

    @property
    def starting(self) -> dict:
        """Each token that starts a phrase, with the (variant, label, phrase) that start with it."""
        return self._starting

    def only(self, labels: np.ndarray) -> PhraseMatcher:
        """This matcher with the phrases of the labels in the mask `labels` only (the counts of the others
        are 0; a phrase inside a longer one matters only within the same label, so theirs are unchanged)."""
        key = np.asarray(labels, dtype=bool).tobytes()
        if key not in self._only:
            kept = copy.copy(self)
            kept._starting = {
                token: found
                for token, variants in self._starting.items()
                if (found := [variant for variant in variants if labels[variant[1]]])
            }
            kept._only = {}
            phrase_tokens = {
                token for variants in kept._starting.values() for variant in variants for token in variant[0]
            }
            kept._tokens_of_word = _ExactTokensOfWord(frozenset(phrase_tokens))
            self._only[key] = kept
        return self._only[key]

    def phrase_tokens(self, text: str) -> set[str]:
        """The text's exact tokens that are in some phrase of this matcher (one of `only`)."""
        return self.phrase_tokens_of_words(text.split())

    def phrase_tokens_of_words(self, words: Sequence[str]) -> set[str]:
        """`phrase_tokens` of a text given as its words (`text.split()`): a text's tokens are its words', so one
        split serves several matchers (and the scope checks, see bundle.model.Model.read)."""
        return self._tokens_of_word.tokens_of_words(words)

    def could_reach(self, tokens: set[str], minimums: np.ndarray) -> bool:
        """False when no label can have its minimum of phrases in a text of these tokens: counting, for each
        label, its phrases whose tokens all occur, in any order, bounds what `counts` finds."""
        found: dict[int, set[int]] = {}
        for token in self._starting.keys() & tokens:
            for variant, j, pid in self._starting[token]:
                if tokens.issuperset(variant):
                    found.setdefault(j, set()).add(pid)
        return any(len(pids) >= minimums[j] for j, pids in found.items())

    def named(self, text: str) -> dict[int, list[str]]:
        """Per label, the phrases of it that the text holds exactly, as the taxonomy writes them, in the order they
        first occur; a phrase inside a longer one of the same label is that one ("irregular migration", not also
        "migration"), as `counts` has it. What a field named outright was accepted on."""
        tokens = exact_tokens_by_word(text)
        matches = phrase_matches(self._starting, tokens, range(len(tokens)))
        kept = distinct_phrases(matches)
        out: dict[int, dict[str, None]] = {}  # per label, its phrases in order, each once
        for _, _, j, pid in sorted(matches):
            if (j, pid) in kept:
                out.setdefault(j, {})[self._phrase_texts[j, pid]] = None
        return {j: list(phrases) for j, phrases in out.items()}

    def counts(self, texts: Sequence[str], minimums: np.ndarray | None = None) -> np.ndarray:
        """Array (n_texts, n_labels): how many distinct phrases of each label each text contains. With
        `minimums`, a text where no label can reach its minimum (see could_reach) is left at 0."""
        out = np.zeros((len(texts), self.n_labels), dtype=np.int32)
        for i, text in enumerate(texts):
            tokens = exact_tokens_by_word(text)
            if minimums is not None and not self.could_reach(set(tokens), minimums):
                continue
            for j, _ in distinct_phrases(phrase_matches(self._starting, tokens, range(len(tokens)))):
                out[i, j] += 1
        return out


def phrase_minimums(low: np.ndarray, phrase_accept: int) -> np.ndarray:
    """How many of its phrases a text must hold for each label to be accepted outright (0: never): a label
    with few examples (`low`: low-confidence or zero-shot) `phrase_accept`; the others never, their scores
    already weigh their phrases."""
    return np.where(low, phrase_accept, 0).astype(np.float32)


def lead_phrase_minimums(minimums: np.ndarray, positives: np.ndarray, lead_accept: int, below: int) -> np.ndarray:
    """How many of its lead phrases (see lead_phrases) a lead (a title and the first span of its body) must
    hold for each label to be accepted outright: `lead_accept` for a label accepted on its phrases
    (`minimums` above 0) that has fewer than `below` examples (`positives`), 0 (no lead rule) for the others.
    A lead that names such a field is about it; anywhere on a whole page, one phrase accepted too much (a page
    mentions a field once in passing), and so did the one-word keywords ("integration", "attribution")."""
    rare = (minimums > 0) & (np.asarray(positives) < below)
    return np.where(rare, lead_accept, 0).astype(np.float32)


def window_phrase_minimums(minimums: np.ndarray, window_accept: int) -> np.ndarray:
    """How many of its phrases a window of a long text must hold for each label to be accepted outright: the
    label's own minimum where it has one (`minimums` above 0), `window_accept` for every other label. A window
    is a section of a report, 60 words: naming a field twice there makes the section about it, where on a
    whole page or in a lead the linear score already weighs the phrases."""
    return np.where(minimums > 0, np.minimum(minimums, window_accept), window_accept).astype(np.float32)


def lead_phrases(label_phrases: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[tuple[list[str], list[str]]]:
    """The phrases that name a label in a lead: its name, aliases and sub-topics, and those of its keywords
    that have two words or more ("young people", "labour migration", not "students")."""
    return [
        ([*names, *(keyword for keyword in keywords if len(str(keyword).split()) >= 2)], [])
        for names, keywords in label_phrases
    ]


def could_accept(
    matcher: PhraseMatcher | None, texts: Sequence[str], minimums: np.ndarray | None, words=None
) -> np.ndarray:
    """Per text, False where `phrase_accepted` can accept no label in the text nor in any part of it (any
    span of its words): no label's phrases can all be found in it (see PhraseMatcher.could_reach). `words`,
    each text's `text.split()`, saves splitting the texts again."""
    if matcher is None or minimums is None or not (minimums > 0).any():
        return np.zeros(len(texts), dtype=bool)
    matcher, minimums = matcher.only(minimums > 0), np.where(minimums > 0, minimums, np.inf)
    words = [text.split() for text in texts] if words is None else words
    reach, tokens_of = matcher.could_reach, matcher.phrase_tokens_of_words
    return np.fromiter((reach(tokens_of(text_words), minimums) for text_words in words), bool, len(texts))


_TOKEN_TABLES: dict[frozenset[str], _ExactTokensOfWord] = {}  # per set of phrase tokens, per process


def could_accept_any(rules, words: Sequence[Sequence[str]]) -> np.ndarray:
    """`could_accept` of several (matcher, minimums) pairs at once, or'ed, for texts given as their words
    (`text.split()`): each text's tokens are looked up once, among the tokens of all the matchers' phrases
    (could_reach looks only at those of its own matcher's, so the others' change nothing)."""
    active = [
        (matcher.only(minimums > 0), np.where(minimums > 0, minimums, np.inf))
        for matcher, minimums in rules
        if matcher is not None and minimums is not None and (minimums > 0).any()
    ]
    if not active:
        return np.zeros(len(words), dtype=bool)
    kept = frozenset().union(*(matcher._tokens_of_word.kept for matcher, _ in active))
    if kept not in _TOKEN_TABLES:
        _TOKEN_TABLES[kept] = _ExactTokensOfWord(kept)
    tokens = map(_TOKEN_TABLES[kept].tokens_of_words, words)
    found = (any(matcher.could_reach(text_tokens, minimums) for matcher, minimums in active) for text_tokens in tokens)
    return np.fromiter(found, bool, len(words))


class PhraseBound:
    """`could_accept_any` of a chunk of texts at once, from each word's phrase tokens kept per word with the
    features' own look-up of words (counting.WordTable, `of_word` its store): a text's tokens are its words', so
    those a chunk holds are gathered with numpy, and each label's phrases whose tokens all occur are counted in
    sparse products instead of a Python loop per text. The same bound (tests compare them)."""

    def __init__(self, rules):
        active = [
            (matcher.only(minimums > 0), np.where(minimums > 0, minimums, np.inf))
            for matcher, minimums in rules
            if matcher is not None and minimums is not None and (minimums > 0).any()
        ]
        # The rules side by side: their phrases' forms (variants), their phrases and, per rule, its labels.
        self.tokens: dict[str, int] = {}
        holders, variant_phrase, phrase_label, minimums, sizes = [], [], [], [], []
        for r, (matcher, rule_minimums) in enumerate(active):
            phrase_of: dict[tuple[int, int], int] = {}
            for tokens, j, pid in (variant for found in matcher.starting.values() for variant in found):
                if (j, pid) not in phrase_of:
                    phrase_of[j, pid] = len(phrase_label)
                    phrase_label.append(r * len(rule_minimums) + j)
                holders.extend((self.tokens.setdefault(token, len(self.tokens)), len(sizes)) for token in set(tokens))
                variant_phrase.append(phrase_of[j, pid])
                sizes.append(len(set(tokens)))
            minimums.extend(rule_minimums)
        self.active = bool(active)
        self.sizes, self.minimums = np.array(sizes, dtype=np.float64), np.array(minimums, dtype=np.float64)
        self.incidence = sparse.csr_array(  # token -> the forms holding it
            (np.ones(len(holders)), ([t for t, _ in holders], [v for _, v in holders])),
            shape=(len(self.tokens), len(sizes)),
        )
        self.to_phrase = sparse.csr_array(
            (np.ones(len(sizes)), (np.arange(len(sizes)), variant_phrase)), shape=(len(sizes), len(phrase_label))
        )
        self.to_label = sparse.csr_array(
            (np.ones(len(phrase_label)), (np.arange(len(phrase_label)), phrase_label)),
            shape=(len(phrase_label), len(minimums)),
        )

    def of_word(self, word: str) -> list[int]:
        """The ids of a word's (as the text has it) exact tokens that are in some phrase of the rules."""
        tokens = self.tokens
        return [tokens[token] for token in exact_tokens_of_word(word) if token in tokens]

    def of_word_in_place(self, word: str) -> list[int]:
        """The ids of all of a word's exact tokens, -1 for a token in no phrase of the rules (kept in place, so
        that the ids of a text are its tokens, renamed)."""
        get = self.tokens.get
        return [get(token, -1) for token in exact_tokens_of_word(word)]

    def could(self, rows: np.ndarray, token_ids: np.ndarray, n_texts: int) -> np.ndarray:
        """Per text, whether some label can reach its minimum, given the phrase tokens of the texts' words
        (`token_ids`, from the text `rows`)."""
        if not self.active or not token_ids.size:
            return np.zeros(n_texts, dtype=bool)
        held = sparse.csr_array((np.ones(token_ids.size), (rows, token_ids)), shape=(n_texts, len(self.tokens)))
        held.data[:] = 1.0  # present or not, however often
        hits = sparse.csr_array(held @ self.incidence)
        hits.data = (hits.data == self.sizes[hits.indices]).astype(np.float64)  # every token of the form
        phrases = sparse.csr_array(hits @ self.to_phrase)
        phrases.data = (phrases.data > 0).astype(np.float64)  # a phrase counts once, whatever its forms
        return np.asarray((phrases @ self.to_label).toarray() >= self.minimums).any(axis=1)


def phrase_accepted(
    matcher: PhraseMatcher | None, texts: Sequence[str], minimums: np.ndarray | None, n_labels: int
) -> np.ndarray:
    """0/1 matrix: the labels of which each text holds at least their minimum of phrases (see
    phrase_minimums; none without a matcher or minimums)."""
    if matcher is None or minimums is None or not (minimums > 0).any():
        return np.zeros((len(texts), n_labels), dtype=np.int8)
    # Only the labels with a minimum can be accepted: the others' phrases are not searched for, nor are the
    # texts in which no label can reach its minimum.
    counts = matcher.only(minimums > 0).counts(texts, np.where(minimums > 0, minimums, np.inf))
    return ((counts >= minimums) & (minimums > 0)).astype(np.int8)


def lead_accepted(
    lead_matcher: PhraseMatcher | None, texts: Sequence[str], lead_minimums: np.ndarray | None, leads, n_labels: int
) -> np.ndarray:
    """0/1 matrix: the labels that each text marked True in `leads` names by its lead phrases at least
    `lead_minimums` times (see lead_phrase_minimums); nothing for the other texts."""
    out = np.zeros((len(texts), n_labels), dtype=np.int8)
    if lead_matcher is None or lead_minimums is None or leads is None:
        return out
    rows = np.flatnonzero(np.asarray(leads, dtype=bool))
    if len(rows):
        # As in phrase_accepted: only the labels with a minimum, and only the leads where one can reach it.
        out[rows] = phrase_accepted(lead_matcher, [texts[i] for i in rows], lead_minimums, n_labels)
    return out


def evidence_features(counter: PhraseCounter, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
    """Array (n_texts, n_labels, len(EVIDENCE_FEATURES)) of keyword evidence; texts are 'title\\nbody',
    `normalized` when already in lower case with their accents stripped."""
    whole = counter.counts(texts, normalized)
    title = counter.counts([text.split("\n", 1)[0] for text in texts], normalized)
    return evidence_of_counts(whole, title)


def evidence_of_counts(whole: np.ndarray, title: np.ndarray) -> np.ndarray:
    """`evidence_features` from the phrase counts (PhraseCounter.counts) of the texts and of their titles."""
    found = whole.sum(axis=2)
    share = found / np.maximum(found.sum(axis=1, keepdims=True), 1)
    return np.stack(
        [np.log1p(whole[..., 0]), np.log1p(whole[..., 1]), share, np.log1p(title[..., 0]), np.log1p(title[..., 1])],
        axis=-1,
    )


def _logit(proba: np.ndarray) -> np.ndarray:
    proba = np.clip(proba, 1e-6, 1 - 1e-6)
    return np.log(proba / (1 - proba))


def _inputs(proba: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Per text and label: the linear model's calibrated logit, then the evidence features."""
    return np.concatenate([_logit(proba)[..., None], evidence], axis=-1)


def fit_stacker(
    proba: np.ndarray, evidence: np.ndarray, Y: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(weights shared by all labels, one offset per label) of the logistic stacker, fitted on the
    (text, label) pairs of the labels in the `labels` mask. `proba` should be out-of-fold."""
    from sklearn.linear_model import LogisticRegression  # fitting only

    columns = np.flatnonzero(labels)
    inputs = _inputs(proba[:, columns], evidence[:, columns])
    n_texts, n_columns, n_inputs = inputs.shape
    # One-hot label columns give each label its own offset (its base rate) next to the shared weights.
    design = np.concatenate([inputs.reshape(-1, n_inputs), np.tile(np.eye(n_columns), (n_texts, 1))], axis=1)
    fit = LogisticRegression(C=STACK_C, max_iter=5000).fit(design, Y[:, columns].ravel())
    weights = fit.coef_[0, :n_inputs].astype(np.float64)
    offsets = np.zeros(Y.shape[1], dtype=np.float64)
    offsets[columns] = fit.intercept_[0] + fit.coef_[0, n_inputs:]
    return weights, offsets


def stacked_proba(
    proba: np.ndarray, evidence: np.ndarray, weights: np.ndarray, offsets: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """`proba` with the labels in the `labels` mask replaced by the stacker's probability."""
    z = _inputs(proba, evidence) @ weights + offsets
    stacked = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
    return np.where(labels, stacked, proba)
