"""The fields a text names outright within one of its spans, with the text's phrases matched once, not once per span.

`windows.named_in_spans` makes each span's text (the title and a run of `window_words` words of the body,
see `windows.phrase_spans`) and matches it on its own: a short text's spans overlap by half, so every word's
tokens were looked up and matched twice, and the title's once per span. Here a text's exact tokens are found
once and every phrase occurrence in them once; each span then takes the occurrences that lie within it (the
title's, and those within its words), plus the few that run from the end of the title into its first words.
A span holds the same occurrences either way, so the same fields are accepted (tests compare the two).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from itertools import accumulate, chain

import numpy as np

from classifier.estimator.evidence import PhraseMatcher, distinct_phrases, exact_tokens_of_word, phrase_matches


def span_starts(n_words: int, window_words: int, stride: int) -> Sequence[int]:
    """The first body word of each span of a body of `n_words` words (see `windows.phrase_spans`): none past its
    last word, also when the stride is longer than a span."""
    return range(0, min(n_words - window_words + stride, n_words), stride) if n_words > window_words else [0]


class SpanRule:
    """One rule of naming outright: a matcher's phrases of the labels with a minimum (`minimums` above 0), each of
    which a span must hold that many distinct phrases of (see evidence.phrase_accepted); None if no label has."""

    def __init__(self, matcher: PhraseMatcher, minimums: np.ndarray):
        self.starting = matcher.only(minimums > 0).starting
        self.minimums = np.where(minimums > 0, minimums, np.inf)
        self.longest = max((len(v) for variants in self.starting.values() for v, _, _ in variants), default=1)

    @classmethod
    def of(cls, matcher: PhraseMatcher | None, minimums: np.ndarray | None) -> SpanRule | None:
        if matcher is None or minimums is None or not (minimums > 0).any():
            return None
        return cls(matcher, minimums)

    def renamed(self, ids: dict[str, int]) -> SpanRule:
        """This rule over token ids (`ids`, a token's id; every token of its phrases has one) instead of tokens."""
        renamed = copy.copy(self)
        renamed.starting = {
            ids[token]: [(tuple(ids[t] for t in variant), j, pid) for variant, j, pid in found]
            for token, found in self.starting.items()
        }
        return renamed

    def matches(self, tokens: Sequence[str], positions) -> list[tuple[int, int, int, int]]:
        """(start, end, label, phrase) of every phrase occurrence starting at one of `positions` of `tokens` (any
        position: those where no phrase starts are only skipped quicker when left out)."""
        return phrase_matches(self.starting, tokens, positions)

    def reaching(self, matches: list[tuple[int, int, int, int]]) -> list[int]:
        """The labels that have their minimum of distinct phrases among `matches` (none suppressed): those alone can
        be accepted in a span whose occurrences are some of them."""
        phrases: dict[int, set[int]] = {}
        for _, _, j, pid in matches:
            phrases.setdefault(j, set()).add(pid)
        return [j for j, found in phrases.items() if len(found) >= self.minimums[j]]

    def accepted(self, matches: list[tuple[int, int, int, int]], accepted: np.ndarray) -> None:
        """Set in `accepted` the labels of which one span's `matches` hold their minimum of distinct phrases,
        a phrase inside a longer one of the same label counting only as that one (as PhraseMatcher.counts)."""
        counts: dict[int, int] = {}
        for j, _ in distinct_phrases(matches):
            counts[j] = counts.get(j, 0) + 1
        for j, count in counts.items():
            if count >= self.minimums[j]:
                accepted[j] = True


class SpanMatches:
    """A rule over token ids (SpanRule.renamed) as arrays, to find the phrase occurrences of a chunk's texts at once
    (`find`): the same occurrences, in the same order, as `SpanRule.matches` finds text by text."""

    def __init__(self, rule: SpanRule, n_ids: int):
        # Each id's variants, in the order the rule lists them; the ids in order.
        variants = sorted(
            ((first, variant, j, pid) for first, found in rule.starting.items() for variant, j, pid in found),
            key=lambda item: item[0],
        )
        self.first = np.zeros(n_ids + 1, dtype=np.int64)  # where each id's variants start, and the last one's end
        np.cumsum(
            np.bincount(np.array([item[0] for item in variants], dtype=np.int64), minlength=n_ids), out=self.first[1:]
        )
        # Which ids start a variant (one more place, False, for the id -1 of a token in no phrase).
        self.starts = np.append(np.diff(self.first) > 0, False)
        longest = max((len(variant) for _, variant, _, _ in variants), default=1)
        self.tokens = np.full((len(variants), longest), -1, dtype=np.int64)
        for k, (_, variant, _, _) in enumerate(variants):
            self.tokens[k, : len(variant)] = variant
        self.lengths = np.array([len(variant) for _, variant, _, _ in variants], dtype=np.int64)
        self.labels = np.array([j for _, _, j, _ in variants], dtype=np.int64)
        self.phrases = np.array([pid for *_, pid in variants], dtype=np.int64)

    def find(self, ids: np.ndarray, at: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, ...]:
        """(start, end, label, phrase) arrays of every occurrence in `ids` (the tokens of texts one after the other,
        as ids) starting at one of `at` (ascending, each an id some variant starts with) and ending by `ends` (per
        place of `at`, where its text's tokens end): by place, then as the rule lists the variants."""
        firsts = ids[at]
        many = self.first[firsts + 1] - self.first[firsts]
        places = np.repeat(np.arange(at.size), many)
        variants = np.repeat(self.first[firsts] - np.cumsum(many) + many, many) + np.arange(many.sum())
        starts, lengths = at[places], self.lengths[variants]
        padded = np.concatenate([ids, np.full(self.tokens.shape[1], -2, dtype=ids.dtype)])
        hit = starts + lengths <= ends[places]
        for k in range(1, self.tokens.shape[1]):  # the first token is the variant's by its place; then each next one
            hit &= (lengths <= k) | (padded[starts + k] == self.tokens[variants, k])
        return starts[hit], (starts + lengths)[hit], self.labels[variants[hit]], self.phrases[variants[hit]]


def named_in_text(
    rule: SpanRule | None,
    lead_rule: SpanRule | None,
    text: str,
    window_words: int,
    stride: int,
    n_labels: int,
    words: list[str] | None = None,
) -> np.ndarray:
    """The labels (bool) `text` ("title\\nbody") names outright in one of its spans by `rule`, or in its lead
    (its first span) by `lead_rule`: what `windows.named_in_spans` gives with evidence.phrase_accepted and
    lead_accepted. `words`, the text's `text.split()`, saves splitting it again."""
    title, _, body = text.partition("\n")
    title_words = title.split()
    body_words = body.split() if words is None else words[len(title_words) :]
    tokens_of = exact_tokens_of_word
    title_tokens = list(chain.from_iterable(map(tokens_of, title_words)))
    body_tokens = list(map(tokens_of, body_words))
    # Where each body word's tokens start in the text's tokens, and where the last one's end.
    offsets = list(accumulate(map(len, body_tokens), initial=len(title_tokens)))
    tokens = title_tokens + list(chain.from_iterable(body_tokens))
    return named_in_tokens(rule, lead_rule, tokens, offsets, window_words, stride, n_labels)


def named_in_tokens(
    rule: SpanRule | None,
    lead_rule: SpanRule | None,
    tokens: list,
    offsets: list[int],
    window_words: int,
    stride: int,
    n_labels: int,
    matches: tuple[list, list] | None = None,
) -> np.ndarray:
    """`named_in_text` of a text given as its exact `tokens` (its title's, then its body's; or their ids, with rules
    of ids, see SpanRule.renamed) and `offsets`, where each body word's tokens start in them and where the last
    one's end. `matches`, if found already (SpanMatches), every occurrence of the phrases of `rule` and of
    `lead_rule` in the whole text, as `SpanRule.matches` gives them."""
    n_body = len(offsets) - 1
    accepted = np.zeros(n_labels, dtype=bool)
    for k, (span_rule, starts) in enumerate(((rule, span_starts(n_body, window_words, stride)), (lead_rule, [0]))):
        if span_rule is None:
            continue
        # The lead rule looks at the first span only.
        scanned = len(tokens) if span_rule is rule else offsets[min(window_words, n_body)]
        starting = span_rule.starting
        if matches is not None:
            every = matches[k] if scanned == len(tokens) else [match for match in matches[k] if match[1] <= scanned]
        else:
            at = [at for at, token in enumerate(tokens[:scanned]) if token in starting]
            every = span_rule.matches(tokens[:scanned], at)
        tail = range(max(offsets[0] - span_rule.longest + 1, 0), offsets[0])
        crossing = any(tokens[at] in starting for at in tail)  # may a phrase run from the title into a span?
        reaching = [] if crossing else span_rule.reaching(every)  # crossing: a span may hold more than these
        if not (crossing or reaching):
            continue  # a span's occurrences are some of the text's: fewer than a label needs in every span
        for start in starts:
            accept_in_span(span_rule, tokens, offsets, every, start, window_words, crossing, accepted)
            if not crossing and accepted[reaching].all():
                break  # every label the text's occurrences could give is accepted: later spans add none
    return accepted


def accept_in_span(
    rule: SpanRule,
    tokens: list[str],
    offsets: list[int],
    every: list,
    start: int,
    window_words: int,
    crossing: bool,
    accepted: np.ndarray,
) -> None:
    """Set in `accepted` the labels `rule` accepts in the span of body words from `start` (its tokens: the
    title's, then those of its words), from `every` occurrence in the whole text's `tokens` (and, if `crossing`,
    those running from the title into the span); positions as the span's own text has them."""
    in_title = offsets[0]
    begin, end = offsets[start], offsets[min(start + window_words, len(offsets) - 1)]
    shift = in_title - begin
    matches = [
        (s, e, j, pid) if s < in_title else (s + shift, e + shift, j, pid)
        for s, e, j, pid in every
        if e <= in_title or (begin <= s and e <= end) or (start == 0 and s < in_title and e <= end)
    ]
    if start > 0 and crossing:
        # Occurrences from the title's last tokens into the span's first words: the span's own text has them.
        tail = range(max(in_title - rule.longest + 1, 0), in_title)
        joined = tokens[:in_title] + tokens[begin : min(end, begin + rule.longest - 1)]
        across = rule.matches(joined, [at for at in tail if joined[at] in rule.starting])
        matches.extend(match for match in across if match[1] > in_title)
    rule.accepted(matches, accepted)
