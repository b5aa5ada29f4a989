"""Long texts read window by window: a field strong in one section of a report is a field of the report.

The model learns from news leads of 20-150 words. A whole text is one TF-IDF vector of unit length, so
in a 5,000-word report covering ten fields each field's terms are a small share of it and every field
scores low. A text longer than `long_text_words` is therefore also read in windows of about a lead's
length (`window_words`, overlapping by half), taken within its sections (paragraphs; a heading joins the
paragraph after it), each headed by the text's title. A field's probability is its highest over the
windows and the whole text, and a field is accepted where it is accepted in the whole text or in a
window by the estimator's own rule (its threshold, the ratio to that window's best field, at least one
field); a window's at-least-one field counts only from `window_floor` times its threshold up, so that a
section about nothing in particular adds nothing. A field that reaches `window_floor` times its threshold
in `agreeing` windows is accepted too, though no window accepts it: sections that each come close to a
field add up (windows overlap by half, so a passage read in two of them counts). A zero-shot field (no
examples, a calibration borrowed from the others) is trusted at its threshold only, so it takes no part in
this. Texts up to `long_text_words` are read whole, exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import numpy as np

from classifier.estimator.spans import span_starts

# Whole pages (150-300 words) read best whole; the windows pay off from reports upward (measured in
# docs/benchmarks.md). On the long documents of both splits, windows of 60 words with a 30-word stride
# read best among 40-300 words for their precision, and letting a window's best field count from half
# its threshold raised micro-F1 by 0.02-0.04 (40-word windows gained a little more recall for more
# precision lost).
LONG_TEXT_WORDS = 350
WINDOW_WORDS = 60
WINDOW_STRIDE = 30
WINDOW_CHUNK = 512  # windows scored per call (see score_in_chunks)
WINDOW_FLOOR = 0.5
# Windows in which a field reaching WINDOW_FLOOR times its threshold is a field of the text. Measured on the long
# documents of both splits and on documents joined from items sharing one field (fewer gold fields each): 2
# windows raised micro-F1 by 0.006-0.015 and macro-F1 by 0.009-0.037 in all four; 3 windows gained less on the
# latter (0.003 in cross-validation), a floor of 0.4 nothing there, and counting only windows two apart no more.
WINDOWS_AGREEING = 2
# A paragraph this short without closing punctuation is a heading: it is read with the paragraph after it.
_HEADING_WORDS = 15
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class WindowedReading:
    """Per text: each field's probability (the highest over its windows), the accepted fields (0/1) and
    how many windows it was read in (1: read whole)."""

    proba: np.ndarray
    accepted: np.ndarray
    n_windows: np.ndarray


def sections(body: str) -> list[str]:
    """The paragraphs of `body`, whitespace collapsed; a heading is joined to the paragraph after it."""
    out, heading = [], ""
    for paragraph in _PARAGRAPH_BREAK.split(body):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if len(paragraph.split()) < _HEADING_WORDS and not paragraph.endswith((".", "!", "?", ":", ";", '"', "\u201d")):
            heading = f"{heading} {paragraph}".strip()
            continue
        out.append(f"{heading} {paragraph}" if heading else paragraph)
        heading = ""
    if heading:
        out.append(heading)
    return out


def split_windows(
    model_text: str,
    window_words: int = WINDOW_WORDS,
    stride: int = WINDOW_STRIDE,
    long_text_words: int = LONG_TEXT_WORDS,
) -> list[str]:
    """The windows a text ("title\\nbody") is read in, each as "title\\nwindow"; [model_text] if it is short."""
    title, body = title_and_body(model_text)
    if len(body.split()) <= long_text_words:
        return [model_text]
    chunks: list[list[str]] = []
    for section in sections(body):
        words = section.split()
        start = 0
        while True:
            chunks.append(words[start : start + window_words])
            if start + window_words >= len(words):
                break
            start += stride
    merged: list[list[str]] = []
    for chunk in chunks:  # a short section goes with its neighbour rather than alone
        if (
            merged
            and len(merged[-1]) + len(chunk) <= window_words
            and min(len(merged[-1]), len(chunk)) < window_words // 3
        ):
            merged[-1] = merged[-1] + chunk
        else:
            merged.append(chunk)
    return [f"{title}\n{' '.join(chunk)}" for chunk in merged]


def title_and_body(model_text: str) -> tuple[str, str]:
    """A text's title (its first line) and body; a text of one line is all body, with no title: a report in a table
    cell, its line breaks collapsed, is as long as it was (read by windows), not one title of thousands of words."""
    if "\n" not in model_text:
        return "", model_text
    title, _, body = model_text.partition("\n")
    return title, body


def phrase_spans(model_text: str, window_words: int = WINDOW_WORDS, stride: int = WINDOW_STRIDE) -> list[str]:
    """The spans of a text read whole in which a field must be named: its title with each run of
    `window_words` words of its body (overlapping by `window_words - stride`); a lead fits in one. A whole
    page that names a field once here and once three paragraphs on does not name it outright."""
    title, _, body = model_text.partition("\n")
    tokens = body.split()
    starts = span_starts(len(tokens), window_words, stride)
    return [f"{title}\n{' '.join(tokens[start : start + window_words])}" for start in starts]


def named_in_spans(named, texts, could_name=None, **span_options) -> np.ndarray:
    """0/1 matrix of the fields each text names outright within one of its spans (`phrase_spans`), where
    `named(span_texts, leads=mask)` gives the fields each span names, the first span of each text being its
    lead: all spans are scored in one call. `could_name(texts)`, if given, is False for a text none of whose
    spans can name a field: its spans are not made."""
    spans, owner, leads = [], [], []
    candidates = could_name(texts) if could_name is not None else np.ones(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if not candidates[i]:
            continue
        parts = phrase_spans(text, **span_options)
        spans.extend(parts)
        owner.extend([i] * len(parts))
        leads.extend([True] + [False] * (len(parts) - 1))
    found = np.asarray(named(spans, leads=np.asarray(leads, dtype=bool)), dtype=np.int8)
    out = np.zeros((len(texts), found.shape[1]), dtype=np.int8)
    np.maximum.at(out, np.asarray(owner, dtype=np.intp), found)
    return out


def _named_whole(estimator, named, texts, words, short, window_options, facts=None) -> np.ndarray:
    """`named_in_spans` of the texts read whole (`short`, their indices in `words` or `facts`): by the
    estimator's own one-pass matching of each text's spans where it has one (the scikit-learn-free predictor),
    otherwise span by span."""
    spans = {key: window_options[key] for key in ("window_words", "stride") if key in window_options}
    short_words = [words[i] for i in short] if words is not None else None  # split already
    one_pass = getattr(estimator, "named_in_spans", None)
    if one_pass is not None and facts is not None:
        tokens = None if facts.tokens is None else [facts.tokens[i] for i in short]
        return one_pass(texts, could_name=facts.could_name[short], tokens=tokens, **spans).astype(np.int8)
    if one_pass is not None:
        return one_pass(texts, words=short_words, **spans).astype(np.int8)
    could_name = getattr(estimator, "could_name_outright", None)
    if could_name is not None and short_words is not None:
        could_name = partial(could_name, words=short_words)
    return named_in_spans(named, texts, could_name, **spans)


def score_in_chunks(score, n_windows: int) -> np.ndarray:
    """`score(rows)` for slices of WINDOW_CHUNK rows of `n_windows` windows, stacked: the features of a 2 MB
    report's thousands of windows never exist at once (benchmarks/long_text.py)."""
    chunks = (slice(start, start + WINDOW_CHUNK) for start in range(0, n_windows, WINDOW_CHUNK))
    return np.vstack([np.asarray(score(rows)) for rows in chunks])


def read_windowed(
    estimator,
    texts,
    window_floor: float = WINDOW_FLOOR,
    words=None,
    read=None,
    agreeing: int = WINDOWS_AGREEING,
    at_least_one=None,
    **window_options,
) -> WindowedReading:
    """Probabilities and accepted fields of each text, long ones read window by window.

    `estimator` is a fitted multi-label estimator with `predict_proba`, `accept` and `thresholds_`. In a
    window, the fields the estimator accepts count if they reach `window_floor` times their threshold:
    its at-least-one-field rule adds a window's best field only when that field is close to its
    threshold; a field reaching it in `agreeing` windows counts though no window accepts it (not a zero-shot
    field). `window_options` go to `split_windows`. `words`, each text's `text.split()`, saves splitting the
    texts again; `read`, the texts' (probabilities, TextFacts) as the estimator's `predict_proba_and_facts`
    gives them, saves scoring them and splitting them. `at_least_one`, per text whether the estimator's
    at-least-one-field rule applies to it (all texts when None); where it does not, a field must reach its
    threshold (or be named outright).
    """
    texts = list(texts)
    facts = None
    long_text_words = window_options.get("long_text_words", LONG_TEXT_WORDS)
    if read is not None:
        proba, facts = np.asarray(read[0]), read[1]
        body_words = facts.words - facts.title_words
        for i in np.flatnonzero((body_words <= long_text_words) & (facts.words > long_text_words)).tolist():
            if "\n" not in texts[i]:  # one line: all body (title_and_body), however its words were counted
                body_words[i] = facts.words[i]
    else:
        proba = np.asarray(estimator.predict_proba(texts))
    accepted = np.asarray(estimator.accept(proba)).copy()
    unjudged = np.zeros(len(texts), dtype=bool) if at_least_one is None else ~np.asarray(at_least_one, dtype=bool)
    if unjudged.any():  # texts too short to judge: no field forced on them
        rows = np.flatnonzero(unjudged)
        accepted[rows] = estimator.accept(proba[rows], ensure_one=False)
    named = getattr(estimator, "phrase_accepted", None)  # fields a text names outright are accepted
    n_windows = np.ones(len(texts), dtype=np.int64)
    windows, owner, short, leads = [], [], [], []
    for i, text in enumerate(texts):
        # A text's words are its title's and then its body's: a body this short is read whole (split_windows). So is
        # a text too short to judge, however many words it has (numbers, stop words): each window would force a field.
        if unjudged[i] or facts is not None and body_words[i] <= long_text_words:
            short.append(i)
            continue
        if words is not None and len(words[i]) - len(title_and_body(text)[0].split()) <= long_text_words:
            short.append(i)
            continue
        parts = split_windows(text, **window_options)
        if len(parts) > 1:
            windows.extend(parts)
            owner.extend([i] * len(parts))
            leads.extend([True] + [False] * (len(parts) - 1))
            n_windows[i] = len(parts)
        else:
            short.append(i)
    if named is not None and short:
        short_texts = [texts[i] for i in short]
        accepted[short] |= _named_whole(estimator, named, short_texts, words, short, window_options, facts)
    if windows:
        owner = np.asarray(owner)
        window_proba = score_in_chunks(lambda rows: estimator.predict_proba(windows[rows]), len(windows))
        near = window_proba >= window_floor * np.asarray(estimator.thresholds_)
        window_accepted = np.asarray(estimator.accept(window_proba)) & near
        zero_shot = getattr(estimator, "zero_shot_", None)
        agree = near & ~np.asarray(zero_shot, dtype=bool) if zero_shot is not None else near
        if named is not None:
            leads = np.asarray(leads, dtype=bool)  # a text's first window is its lead
            window_named = score_in_chunks(
                lambda rows: named(windows[rows], leads=leads[rows], windows=True), len(windows)
            )
            window_accepted = window_accepted | window_named.astype(window_accepted.dtype)
        proba = proba.copy()
        for i in np.unique(owner):
            rows = owner == i
            proba[i] = np.maximum(proba[i], window_proba[rows].max(axis=0))
            accepted[i] = np.maximum(accepted[i], window_accepted[rows].max(axis=0))
            accepted[i] |= (agree[rows].sum(axis=0) >= agreeing).astype(accepted.dtype)
    return WindowedReading(proba, accepted, n_windows)
