"""The keyword matcher of benchmarks/quality.py: taxonomy.yaml's words for each field, looked up in the text.

No training. A field's phrases are its name, aliases, subtopics and keywords; a field is suggested
when at least one of them occurs in the text (whole words, case and accents ignored, a plural s or es
allowed). Its score, for ranking, is the number of its distinct phrases found plus the share of its
description's content words that occur in the text (below 1, so it orders fields but never accepts one).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

_CONTENT = re.compile(r"[a-z][a-z'-]{3,}")
_SKIP = frozenset(
    """this that with from their they them have been which also such other into about over under were will
    would through between within among across where when while osce's osce field fields work including""".split()
)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\u2010-\u2015/]", "-", text).split())


class KeywordMatcher:
    """Scores every field of `taxonomy` for texts from its own words; `accept` keeps fields with a phrase found."""

    def __init__(self, taxonomy):
        self.labels = list(taxonomy.labels)
        self.patterns, self.description_words = [], []
        for field in taxonomy.fields:
            phrases = {
                normalize(p) for p in [field.name, *field.aliases, *field.subtopics, *field.keywords] if p.strip()
            }
            self.patterns.append(
                [re.compile(r"(?<![\w-])" + re.escape(p) + r"(?:s|es)?(?![\w-])") for p in sorted(phrases)]
            )
            words = set(_CONTENT.findall(normalize(field.description))) - _SKIP
            self.description_words.append(words)

    def scores(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels)))
        for i, text in enumerate(texts):
            text = normalize(text)
            words = set(_CONTENT.findall(text))
            for j, patterns in enumerate(self.patterns):
                found = sum(1 for pattern in patterns if pattern.search(text))
                described = self.description_words[j]
                out[i, j] = found + (len(described & words) / len(described) if described else 0.0)
        return out

    @staticmethod
    def accept(scores) -> np.ndarray:
        return (np.asarray(scores) >= 1).astype(np.int8)
