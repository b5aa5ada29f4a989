"""What the model's rules need to know of each text, taken from the features' own look-up of its words.

Besides its scores, a text's fields are decided by rules that read its words as the text has them: a field named
outright (evidence, spans), the `language` and `out-of-scope` checks (scope) and the check that sends a long text
to be read window by window (windows). The scikit-learn-free predictor looks each word up once, in its table of
words (counting.WordTable), for every feature block; the stores here keep in the same table what each rule takes
from a word, the first time the word is met, so that a chunk's facts are gathered with numpy while its features
are counted (LinearTopicModel.predict_proba_and_facts) instead of each text being split and looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classifier.estimator.counting import Words, WordTable
from classifier.estimator.evidence import PhraseBound
from classifier.estimator.scope import WordCounts, letter_counts, reads_latin_by_counts
from classifier.estimator.spans import SpanMatches, SpanRule
from classifier.estimator.windows import LONG_TEXT_WORDS


@dataclass(frozen=True)
class TextFacts:
    """What the model's rules need to know of each text, found with its features (LinearTopicModel
    `predict_proba_and_facts`): its words (split on white space) and its title's, whether it could name a label
    outright (the bound of evidence.could_accept_any), its scope counts (scope.WordCounts, per text the six of
    `of_words`; `checked`: whether the specificity is checked) and, for a text the bound lets through and that is
    read whole, its tokens as RuleStores.span_rules read them."""

    words: np.ndarray
    title_words: np.ndarray
    could_name: np.ndarray
    scope: np.ndarray
    checked: bool
    tokens: list | None = None  # per text it lets through, what spans.named_in_tokens reads (None for the others)
    latin: np.ndarray | None = None  # per text, whether it reads as Latin script (scope.reads_latin_by_counts)

    @classmethod
    def joined(cls, blocks: list[TextFacts]) -> TextFacts:
        if len(blocks) == 1:
            return blocks[0]
        return cls(
            *(
                np.concatenate([getattr(block, name) for block in blocks])
                for name in ("words", "title_words", "could_name")
            ),
            np.concatenate([block.scope for block in blocks]).reshape(-1, 6),
            blocks[0].checked,
            None if blocks[0].tokens is None else [found for block in blocks for found in block.tokens],
            None if blocks[0].latin is None else np.concatenate([block.latin for block in blocks]),
        )


class RuleStores:
    """What the rules take from each word, stored in one table of words for one model: its phrase tokens (for the
    bound, PhraseBound), its scope counts, and all its exact tokens as ids of the rules' tokens (-1 for the others),
    for the rule of naming a field outright, renamed to those ids (`span_rules`: the phrase rule and the lead
    rule, each None where no label has a minimum). `rules` are the (matcher, minimums) pairs of both."""

    def __init__(self, table: WordTable, rules, counts: WordCounts):
        self.table = table
        self.bound = PhraseBound(rules)
        self.phrase_tokens = table.store(self.bound.of_word, raw=True)
        self.checked, self.scope = counts.checked, table.rows(counts.of_word, 6)
        self.letters = table.rows(letter_counts, 2)  # for the Latin script check, a text's letters looked at once
        self.in_place = table.store(self.bound.of_word_in_place, raw=True)
        # The rule of naming a field outright over tokens (for a text whose tokens were not taken out) and over ids.
        self.text_rules = [SpanRule.of(matcher, minimums) for matcher, minimums in rules]
        self.span_rules = [None if rule is None else rule.renamed(self.bound.tokens) for rule in self.text_rules]
        self.matches = [None if rule is None else SpanMatches(rule, len(self.bound.tokens)) for rule in self.span_rules]

    def facts(self, words: Words) -> TextFacts:
        """The facts of a block of texts, given as their `words` in the table (whose lock the caller holds)."""
        token_ids, rows = self.phrase_tokens.gather(words, few=True)
        could_name = self.bound.could(rows, token_ids, len(words.texts))
        titles = words.title_lengths()
        tokens = self._span_tokens(words, could_name, titles)
        letters, other = self.letters.sums(words).T
        latin = reads_latin_by_counts(letters, other)
        return TextFacts(words.per_text(), titles, could_name, self.scope.sums(words), self.checked, tokens, latin)

    def _span_tokens(self, words: Words, could_name: np.ndarray, titles: np.ndarray) -> list:
        """For each text that could name a label outright and is read whole (None for the others), what
        spans.named_in_tokens reads: its tokens as ids, where each body word's tokens start (and where the last
        one's end), and every occurrence of each rule's phrases in it (SpanMatches)."""
        out: list = [None] * len(words.texts)
        # Only the texts read whole: a longer one is read window by window (windows.read_windowed).
        candidates = np.flatnonzero(could_name & (words.per_text() - titles <= LONG_TEXT_WORDS))
        if not candidates.size:
            return out
        held = np.zeros(len(words.texts), dtype=bool)
        held[candidates] = True
        held = held[words.rows]
        chosen = Words(words.texts, words.ids[held], words.rows[held])
        ids, _ = self.in_place.gather(chosen)
        starts = np.concatenate([[0], np.cumsum(self.in_place.lengths_of(chosen.ids))])  # each word's first token
        first = np.searchsorted(chosen.rows, candidates)
        last = np.searchsorted(chosen.rows, candidates, side="right")
        low, high = starts[first], starts[last]  # each text's tokens
        # Each word's first token within its own text.
        within = (starts[:-1] - np.repeat(low, last - first)).tolist()
        found = [self._occurrences(table, ids, low, high) for table in self.matches]
        ids_list, size = ids.tolist(), (high - low).tolist()
        rows = zip(candidates.tolist(), first.tolist(), last.tolist(), low.tolist(), high.tolist(), size)
        for k, (i, begin, end, low_at, high_at, count) in enumerate(rows):
            matches = tuple(every[lows[k] : highs[k]] for every, lows, highs in found)
            out[i] = (ids_list[low_at:high_at], within[begin + int(titles[i]) : end] + [count], matches)
        return out

    @staticmethod
    def _occurrences(table, ids: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple:
        """One rule's phrase occurrences in the texts whose tokens (`ids`) run from `low` to `high`: (start, end,
        label, phrase) tuples, positions within their own text, one text after the other; and where each text's
        begin and end among them."""
        at = np.flatnonzero(table.starts[ids]) if table is not None else ids[:0]
        if not at.size:
            return [], [0] * low.size, [0] * low.size
        # A text's tokens come after the texts before it: the first text ending past a token holds it.
        start, end, label, phrase = table.find(ids, at, high[np.searchsorted(high, at, side="right")])
        shift = low[np.searchsorted(high, start, side="right")]
        every = list(zip((start - shift).tolist(), (end - shift).tolist(), label.tolist(), phrase.tolist()))
        return every, np.searchsorted(start, low).tolist(), np.searchsorted(start, high).tolist()
