"""Abstaining: a text in another language, or one that does not read like an OSCE policy text, gets no field.

Two cheap, deterministic checks, run on every text before its fields are accepted:

- `language`: the text is not in English. Most of its letters are not Latin (Cyrillic, Georgian,
  Armenian, Greek, ...), or it has almost no English function words ("the", "of", "and", ...) while
  it has those of another European language ("der", "les", "которые" needs no list: it is not Latin).
- `out-of-scope`: the text is in English but not about what the model knows. Its coverage, the share
  of its content words (the words the model's word features are made of: stop words, numbers and
  one-letter words left out) that are in the model's vocabulary, is below `min_coverage`; or below
  `weak_coverage` while no field reaches `weak_probability`. A recipe or a sports report shares a
  third of its words with OSCE news; real items, whole pages and plain policy texts share more than
  half (measured under cross-validation in docs/benchmarks.md, where the model's vocabulary never
  saw the text).

Texts with fewer than `min_words` content words are too short to judge and are never flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from classifier.estimator.stopwords import ENGLISH_STOP_WORDS
from classifier.estimator.text import strip_accents

LANGUAGE = "language"
OUT_OF_SCOPE = "out-of-scope"
SCOPE_FLAGS = (OUT_OF_SCOPE, LANGUAGE)

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F]")  # beyond Basic Latin to Latin Extended-B
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # the word features' tokens

# Function words: frequent in any English text, whatever its subject.
ENGLISH_FUNCTION_WORDS = frozenset(
    """the of and to in a an is are was were be been being for on that with by as at from it its this these
    those which who whom whose or not but their they them he she his her we our you your will would shall
    should can could may might must has have had there than into about after over between during under
    also other such more most all any each both some no only very one two new against upon within without
    while where when what how because if so then""".split()
)
# Function words of other languages of the OSCE area written in Latin script, none of them an English word.
FOREIGN_FUNCTION_WORDS = frozenset(
    """le les des du est une dans pour sur avec par qui sont aux ces cette leur été très
    der das und nicht mit dem von zu auf für eine einer einen sich wird werden auch bei nach
    el los las del es por para con que se su sus como más fue entre sobre
    il di che della delle dei degli gli nel nella alla sono è anche
    os dos das em um uma não são pelo pela ao
    het een niet zijn voor ook naar bij
    și în cu pe care din pentru este sau sunt unei unui
    je na za od sa koji koja koje što ili nije su će
    të në dhe për një nga është që
    ve bir bu için ile olarak olan daha
    się nie że jest oraz dla przez
    és hogy nem egy van meg""".split()
)


@dataclass(frozen=True)
class ScopeCheck:
    """Thresholds of the two checks; `flag` applies them to one text."""

    min_coverage: float = 0.45
    weak_coverage: float = 0.55
    weak_probability: float = 0.3
    min_words: int = 5

    def flag(self, text: str, best_probability: float, vocabulary) -> str | None:
        """LANGUAGE, OUT_OF_SCOPE or None for a text, given its best field's probability and the
        `vocabulary` (a container of words) the model knows."""
        lower = text.lower()
        if not reads_as_english(text, _WORD.findall(lower)):
            return LANGUAGE
        words = content_words(lower)
        if len(words) < self.min_words:
            return None
        coverage = vocabulary_coverage(words, vocabulary)
        if coverage < self.min_coverage or (coverage < self.weak_coverage and best_probability < self.weak_probability):
            return OUT_OF_SCOPE
        return None


def reads_as_english(text: str, words: list[str] | None = None) -> bool:
    """False when most letters are not Latin, or when the words are not English: almost no English
    function words, or more of another language's than of English's. Short texts pass. `words`, the
    text's words in lower case, saves finding them again."""
    if not text.isascii():  # an ASCII text has Latin letters only
        letters = len(_LETTER.findall(text))
        if letters >= 20 and len(_NON_LATIN_LETTER.findall(text)) > 0.5 * letters:
            return False
    words = _WORD.findall(text.lower()) if words is None else words
    if len(words) < 8:
        return True
    english = sum(1 for w in words if w in ENGLISH_FUNCTION_WORDS)
    foreign = sum(1 for w in words if w in FOREIGN_FUNCTION_WORDS)
    return english >= 0.05 * len(words) and not (foreign > 2 * english and english < 0.15 * len(words))


def content_words(text: str) -> list[str]:
    """The words the model's word features are made of: lower case, no stop words, numbers or one-letter
    words (accents are stripped when they are looked up, see `vocabulary_coverage`)."""
    return [w for w in _TOKEN.findall(text.lower()) if w not in ENGLISH_STOP_WORDS and not w.isdigit()]


def vocabulary_coverage(words: list[str], vocabulary) -> float:
    """Share of `words` in `vocabulary`, accents stripped as the word features strip them (1.0 for no words)."""
    if not words:
        return 1.0
    known = sum(1 for w in words if w in vocabulary or (not w.isascii() and strip_accents(w) in vocabulary))
    return known / len(words)


def word_vocabulary(estimator) -> frozenset[str]:
    """The single words among a fitted model's word features (TopicClassifier or LinearTopicModel)."""
    return frozenset(term for term in estimator.vocabularies["text"] if " " not in term)


def scope_flags(estimator, texts, proba, check: ScopeCheck = ScopeCheck()) -> list[str | None]:
    """The flag of each text (None where it is in scope), from its fields' probabilities `proba`."""
    vocabulary = word_vocabulary(estimator)
    best = np.asarray(proba).max(axis=1) if len(proba) else []
    return [check.flag(text, float(p), vocabulary) for text, p in zip(texts, best)]
