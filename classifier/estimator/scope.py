"""Abstaining: a text in another language, or one that does not read like an OSCE policy text, gets no field.

Two cheap, deterministic checks, run on every text before its fields are accepted:

- `language`: the text is not in English. Most of its letters are not Latin (Cyrillic, Georgian,
  Armenian, Greek, ...), or it has almost no English function words ("the", "of", "and", ...) while
  it has those of another European language ("der", "les", "которые" needs no list: it is not Latin)
  or few words the model knows (a headline has no function words either, but its words are known).
- `out-of-scope`: the text is in English but not about what the model knows. Its coverage, the share
  of its content words (the words the model's word features are made of: stop words, numbers and
  one-letter words left out) that are in the model's vocabulary, is below `min_coverage`; or below
  `weak_coverage` while no field reaches `weak_probability`. A recipe or a sports report shares a
  third of its words with OSCE news; real items, whole pages and plain policy texts share more than
  half (measured under cross-validation in docs/benchmarks.md, where the model's vocabulary never
  saw the text). Or its specificity, how typical of the training texts its content words are on
  average, is below `weak_specificity` while no field reaches `weak_probability`. Coverage alone
  lets through an earnings report or a parking notice, whose words are mostly known but rare in OSCE
  news: "revenue" and "deadline" count for little, "mission" and "rights" for much. A word's specificity
  comes from its document frequency in the training texts, on the log scale of the word features' idf:
  0 for a word unknown or in as few training texts as a word can be (`min_df`), 1 for a word in all of
  them (see `word_specificity`). Plain policy texts not written the OSCE's way can be as untypical as
  an off-topic text; their best field then scores higher, hence the probability in the rule.

Texts with fewer than `min_words` content words are too short to judge, unless the model knows not one of
their words ("", ".", "1234", "asdf"): those are out of scope. Nor is a field forced on them: a text of a
few words ("test", "hello world", "football") gets a field only where one reaches its threshold, and where
none does, the flag `too-short` (`short_flags`) says why it has none.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from classifier.estimator.stopwords import ENGLISH_STOP_WORDS
from classifier.estimator.text import strip_accents

LANGUAGE = "language"
OUT_OF_SCOPE = "out-of-scope"
TOO_SHORT = "too-short"
SCOPE_FLAGS = (OUT_OF_SCOPE, LANGUAGE, TOO_SHORT)

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F]")  # beyond Basic Latin to Latin Extended-B
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # the word features' tokens
WORDS_KEPT = 200_000  # words whose counts are remembered, per process
SPECIFICITY_SCALE = 1000  # a word's specificity is kept in thousandths, so that sums of them are exact
# Below this many training texts few words reach a high specificity, and the check abstained on plain policy
# texts too often: on models fitted on a quarter of the corpus (about 330 texts with the field guide's), it
# flagged 8 more of 450 than coverage alone; on 700, none more.
SPECIFICITY_MIN_TEXTS = 400

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
    weak_specificity: float = 0.12
    min_words: int = 5

    def flag(self, text: str, best_probability: float, vocabulary) -> str | None:
        """LANGUAGE, OUT_OF_SCOPE or None for a text, given its best field's probability and the
        `vocabulary` the model knows: a mapping of each word to its specificity in thousandths (see
        `word_specificity`), or a container of words, which leaves specificity unchecked."""
        lower = text.lower()
        if not text.isascii() and not _reads_latin(text):
            return LANGUAGE
        found = _WORD.findall(lower)
        english = sum(1 for w in found if w in ENGLISH_FUNCTION_WORDS)
        foreign = sum(1 for w in found if w in FOREIGN_FUNCTION_WORDS)
        words = content_words(lower)
        known = _known(words, vocabulary)
        if _in_another_language(len(found), english, foreign, len(words), known):
            return LANGUAGE
        total = _specificity(words, vocabulary) if isinstance(vocabulary, Mapping) else None
        return self._scope_flag(len(words), known, best_probability, total)

    def _scope_flag(self, n_words: int, known: int, best_probability: float, specificity: int | None) -> str | None:
        """`specificity`: the sum of the content words' specificities in thousandths, or None (unchecked)."""
        if not known:  # not one word the model knows ("", ".", "1234", "asdf"): nothing to find a field in
            return OUT_OF_SCOPE
        if n_words < self.min_words:
            return None
        coverage = known / n_words if n_words else 1.0
        if coverage < self.min_coverage:
            return OUT_OF_SCOPE
        weak = coverage < self.weak_coverage or (
            specificity is not None and specificity < self.weak_specificity * SPECIFICITY_SCALE * n_words
        )
        return OUT_OF_SCOPE if weak and best_probability < self.weak_probability else None

    def flags(self, texts: Sequence[str], best_probabilities, counts: WordCounts, words=None) -> list[str | None]:
        """`flag` of each text, from the counts its words add up to (see WordCounts): the same flags. `words`,
        each text's `text.split()`, saves splitting the texts again."""
        split = [text.split() for text in texts] if words is None else words
        totals = [counts.of_words(text_words) for text_words in split]
        return self.flags_of_counts(texts, best_probabilities, totals, counts.checked)

    def flags_of_counts(
        self, texts: Sequence[str], best_probabilities, totals, checked: bool, latin=None
    ) -> list[str | None]:
        """`flags` from each text's counts (`totals`: per text, the six of WordCounts.of_words, its words' sums);
        `checked`: whether the specificity is checked (see WordCounts). The rules of `_in_another_language` and
        `_scope_flag` for every text at once, in numpy (the same comparisons of the same numbers). `latin`, per text
        whether it reads as Latin script (`reads_latin_by_counts` of its words' `letter_counts`), if found already;
        otherwise a text beyond ASCII has its letters looked at here."""
        if not len(texts):
            return []
        n_words, english, foreign, content, known, specificity = np.asarray(totals, dtype=np.int64).reshape(-1, 6).T
        best = np.asarray(best_probabilities, dtype=np.float64)
        by_counts = (english >= 0.05 * n_words) & ~((foreign > 2 * english) & (english < 0.15 * n_words))
        language = (n_words >= 8) & ~by_counts & ((foreign >= 2) | (known < 0.5 * content))
        if latin is not None:
            language |= ~np.asarray(latin, dtype=bool)
        else:
            language[[i for i, text in enumerate(texts) if not text.isascii() and not _reads_latin(text)]] = True
        coverage = known / np.maximum(content, 1)  # a text without content words has no known one: flagged
        weak = coverage < self.weak_coverage
        if checked:
            weak |= specificity < self.weak_specificity * SPECIFICITY_SCALE * content
        out_of_scope = (known == 0) | (
            (content >= self.min_words) & ((coverage < self.min_coverage) | (weak & (best < self.weak_probability)))
        )
        flags = np.where(language, 1, np.where(out_of_scope, 2, 0)).tolist()
        return [(None, LANGUAGE, OUT_OF_SCOPE)[flag] for flag in flags]


_FIELD = 1 << 32  # each count of WordCounts takes 32 bits of one Python integer


class WordCounts(dict):
    """For each word met (a run of characters between white space), per process and vocabulary: its words,
    English and foreign function words, content words, content words in `vocabulary` and their specificity
    in thousandths (where `vocabulary` maps words to it), packed in one integer, so that a text's counts are
    one sum (the last count, unbounded, takes the integer's top bits). No word the checks count crosses white
    space, so a text's counts are the sums of its words'. The checks read a text in lower case; lower-casing
    word by word gives the same words (no character's lower case is or holds white space, and the final-sigma
    rule looks no further than white space), so a text split once serves the checks and the phrase bound
    alike."""

    def __init__(self, vocabulary):
        super().__init__()
        self.vocabulary = vocabulary

    def __reduce__(self):
        return (type(self), (self.vocabulary,))  # a copy (sent to a worker) starts empty

    def __missing__(self, key: str) -> int:
        if len(self) > WORDS_KEPT:
            self.clear()
        word = key.lower()
        words = _WORD.findall(word)
        english = sum(1 for w in words if w in ENGLISH_FUNCTION_WORDS)
        foreign = sum(1 for w in words if w in FOREIGN_FUNCTION_WORDS)
        content = content_words(word)
        known = _known(content, self.vocabulary)
        specificity = _specificity(content, self.vocabulary) if isinstance(self.vocabulary, Mapping) else 0
        self[key] = packed = sum(
            n * _FIELD**i for i, n in enumerate((len(words), english, foreign, len(content), known, specificity))
        )
        return packed

    def of_words(self, words: Sequence[str]) -> tuple[int, int, int, int, int, int]:
        """The counts of a text given as its words (`text.split()`)."""
        packed = sum(map(self.__getitem__, words))
        return (*((packed >> (32 * i)) & (_FIELD - 1) for i in range(5)), packed >> (32 * 5))

    def of_word(self, word: str) -> list[int]:
        """The six counts of one word (as the text has it), for a table of words (counting.WordStore)."""
        return list(self.of_words([word]))

    @property
    def checked(self) -> bool:
        """Whether the specificity is checked: the vocabulary maps words to it."""
        return isinstance(self.vocabulary, Mapping)


def reads_as_english(text: str, words: list[str] | None = None) -> bool:
    """False when most letters are not Latin, or when the words are not English: almost no English
    function words, or more of another language's than of English's. Short texts pass. `words`, the
    text's words in lower case, saves finding them again."""
    if not text.isascii() and not _reads_latin(text):  # an ASCII text has Latin letters only
        return False
    words = _WORD.findall(text.lower()) if words is None else words
    if len(words) < 8:
        return True
    english = sum(1 for w in words if w in ENGLISH_FUNCTION_WORDS)
    foreign = sum(1 for w in words if w in FOREIGN_FUNCTION_WORDS)
    return _english_by_counts(len(words), english, foreign)


def letter_counts(word: str) -> list[int]:
    """A word's letters and, of them, those of another script than Latin: what `_reads_latin` counts, word by word
    (white space is no letter, so a text's counts are its words' sums)."""
    if word.isascii():  # its letters are A-Z and a-z: the bytes left once the others are deleted
        return [len(word.encode("ascii").translate(None, _ASCII_NOT_LETTERS)), 0]
    return [len(_LETTER.findall(word)), len(_NON_LATIN_LETTER.findall(word))]


_ASCII_NOT_LETTERS = bytes(code for code in range(128) if not re.fullmatch(_LETTER, chr(code)))


def reads_latin_by_counts(letters: np.ndarray, other: np.ndarray) -> np.ndarray:
    """`_reads_latin` of texts from their `letter_counts` summed: no more than half of 20 letters or more are of
    another script (no ASCII character is one, so an ASCII text reads as Latin, as `_reads_latin` reads it)."""
    return ~((letters >= 20) & (other > 0.5 * letters))


def _reads_latin(text: str) -> bool:
    # Most texts beyond ASCII have curly quotes, not Cyrillic; no ASCII character is a non-Latin letter, so only
    # the text's few distinct others are tested (a plain range, which the regex engine scans far faster).
    if not any(map(_NON_LATIN_LETTER.match, set(_NOT_ASCII.findall(text)))):
        return True
    letters = len(_LETTER.findall(text))
    return not (letters >= 20 and len(_NON_LATIN_LETTER.findall(text)) > 0.5 * letters)


def _in_another_language(words: int, english: int, foreign: int, content: int, known: int) -> bool:
    """The function-word rule of `reads_as_english` fails, and the text holds the function words of another
    language, or less than half of its content words are ones the model knows. A headline leaves out the
    function words, in English as elsewhere, but its words are English ones."""
    if words < 8 or _english_by_counts(words, english, foreign):
        return False
    return foreign >= 2 or known < 0.5 * content


def _english_by_counts(words: int, english: int, foreign: int) -> bool:
    return english >= 0.05 * words and not (foreign > 2 * english and english < 0.15 * words)


def content_words(text: str) -> list[str]:
    """The words the model's word features are made of: lower case, no stop words, numbers or one-letter
    words (accents are stripped when they are looked up, see `vocabulary_coverage`)."""
    return [w for w in _TOKEN.findall(text.lower()) if w not in ENGLISH_STOP_WORDS and not w.isdigit()]


def vocabulary_coverage(words: list[str], vocabulary) -> float:
    """Share of `words` in `vocabulary`, accents stripped as the word features strip them (1.0 for no words)."""
    if not words:
        return 1.0
    return _known(words, vocabulary) / len(words)


def _known(words: list[str], vocabulary) -> int:
    return sum(1 for w in words if w in vocabulary or (not w.isascii() and strip_accents(w) in vocabulary))


def _specificity(words: list[str], specificity: Mapping[str, int]) -> int:
    """The sum of `words`' specificities in thousandths, accents stripped as `_known` strips them (0 if unknown)."""
    get = specificity.get
    return sum(get(w, 0) if w.isascii() else get(w) or get(strip_accents(w), 0) for w in words)


def word_specificity(estimator) -> dict[str, int]:
    """Each single word of a fitted model's word features, with its specificity in thousandths: how many
    training texts hold it, on the log scale of its idf, from 0 (as few texts as a word kept can be in:
    `min_df`, one by default) to 1000 (every text). The idf of a word in df of n texts is
    ln((1 + n) / (1 + df)) + 1, so (top - idf) / (top - 1), with `top` the idf of a word in min_df texts,
    is log((1 + df) / (1 + min_df)) / log((1 + n) / (1 + min_df)). A field with no training example (a
    zero-shot field) has no texts to make its words frequent: the words of its description (its name,
    keywords and description in the model's `label_keywords`) count 1000, so that a text on a field just
    added is not out of scope. The other fields' descriptions are words like "trade" and "investment",
    which say little about a text unless the training texts hold them often; they count by their idf. A word of a
    field's name, aliases, sub-topics or keywords (the model's `label_phrases`) that no training text holds counts
    1000 too: a text naming a field in the taxonomy's own words ("Democratisation", an alias) is not out of scope."""
    idf = np.asarray(estimator.idf("text"), dtype=np.float64)
    top = float(idf.max()) if len(idf) else 1.0  # the idf of the rarest words kept: in min_df texts
    scaled = np.rint(SPECIFICITY_SCALE * (top - idf) / (top - 1.0)) if top > 1.0 else np.zeros(len(idf))
    described = _zero_shot_words(estimator)
    specificity = {
        term: SPECIFICITY_SCALE if term in described else int(value)
        for term, value in zip(estimator.vocabularies["text"], np.clip(scaled, 0, SPECIFICITY_SCALE))
        if " " not in term
    }
    for word in _phrase_words(estimator):
        specificity.setdefault(word, SPECIFICITY_SCALE)
    return specificity


def _phrase_words(estimator) -> frozenset[str]:
    """The content words of the fields' taxonomy phrases (TopicClassifier's `label_phrases`, a bundle's params'):
    per field, a list of phrase lists (its names, aliases and sub-topics; its keywords)."""
    phrases = getattr(estimator, "label_phrases", None)
    if phrases is None:
        phrases = getattr(estimator, "params", {}).get("label_phrases")
    return frozenset(
        strip_accents(word)
        for groups in phrases or ()
        for group in groups
        for phrase in group
        for word in content_words(str(phrase).lower())
    )


def _zero_shot_words(estimator) -> frozenset[str]:
    """The content words of the zero-shot fields' descriptions (TopicClassifier's `label_keywords`, a bundle's
    params')."""
    zero_shot = getattr(estimator, "zero_shot_", None)
    documents = getattr(estimator, "label_keywords", None)
    if documents is None:
        documents = getattr(estimator, "params", {}).get("label_keywords")
    if zero_shot is None or documents is None:
        return frozenset()
    return frozenset(
        strip_accents(word)
        for text, unseen in zip(documents, zero_shot)
        if unseen
        for word in content_words(str(text or ""))
    )


def scope_flags(estimator, texts, proba, check: ScopeCheck = ScopeCheck(), words=None) -> list[str | None]:
    """The flag of each text (None where it is in scope), from its fields' probabilities `proba`; `words`, each
    text's `text.split()`, saves splitting the texts again."""
    best = np.asarray(proba).max(axis=1) if len(proba) else []
    return check.flags(texts, best, word_counts(estimator), words)


def scope_flags_of_counts(
    texts, proba, totals, checked: bool, check: ScopeCheck = ScopeCheck(), latin=None
) -> list[str | None]:
    """`scope_flags` from each text's counts found already (`totals` and `latin`, see ScopeCheck.flags_of_counts)."""
    best = np.asarray(proba).max(axis=1) if len(proba) else []
    return check.flags_of_counts(texts, best, totals, checked, latin)


def judged_texts(totals, check: ScopeCheck = ScopeCheck()) -> np.ndarray:
    """Per text, whether it is long enough to judge: `check.min_words` content words or more, by its counts
    (`totals`, as ScopeCheck.flags_of_counts reads them). A model's at-least-one-field rule applies to these
    alone: a text of a few words gets a field only where one reaches its threshold."""
    content = np.asarray(totals, dtype=np.int64).reshape(-1, 6)[:, 3]
    return content >= check.min_words


def short_flags(flags: list[str | None], judged, accepted) -> list[str | None]:
    """`flags` with TOO_SHORT for each text left unflagged that is too short to judge (not `judged`, see
    `judged_texts`) and has no field `accepted` (0/1 rows: by the model's rule, or by a user's threshold): why it
    has none."""
    empty = ~np.asarray(judged, dtype=bool) & (np.asarray(accepted).sum(axis=1) == 0)
    return [TOO_SHORT if flag is None and short else flag for flag, short in zip(flags, empty.tolist())]


_COUNTS: dict[int, tuple[object, object, WordCounts]] = {}  # id(estimator): (estimator, its words' idf, counts)
COUNTS_KEPT = 4  # models whose counts are kept per process (a server may serve several)
_COUNTS_LOCK = threading.Lock()


def word_counts(estimator) -> WordCounts:
    """The WordCounts of the model's words and their specificities, made once per model and kept for the last
    COUNTS_KEPT models read (a model read again counts as read last). A model fitted again has new idf weights, hence
    new counts, which take its place. A model fitted on fewer than SPECIFICITY_MIN_TEXTS texts gets its words
    without specificities: the check is skipped for it."""
    idf = estimator.idf("text")
    with _COUNTS_LOCK:  # the server reads from several threads
        kept = _COUNTS.pop(id(estimator), None)
        if kept is not None and kept[0] is estimator and kept[1] is idf:
            _COUNTS[id(estimator)] = kept  # put back last: the model read longest ago goes first
            return kept[2]
    specificity = word_specificity(estimator)
    enough = fitted_texts(idf, _min_df(estimator)) >= SPECIFICITY_MIN_TEXTS
    kept = (estimator, idf, WordCounts(specificity if enough else frozenset(specificity)))
    with _COUNTS_LOCK:
        _COUNTS.pop(id(estimator), None)  # made meanwhile by another thread: replaced, not counted twice
        while len(_COUNTS) >= COUNTS_KEPT:
            _COUNTS.pop(next(iter(_COUNTS)))
        _COUNTS[id(estimator)] = kept
    return kept[2]


def _min_df(estimator) -> int:
    """The word features' min_df when it is a number of texts (1 otherwise: a share, or not known)."""
    min_df = getattr(estimator, "min_df", None)
    if min_df is None:
        min_df = getattr(estimator, "params", {}).get("min_df", 1)
    return int(min_df) if isinstance(min_df, int) and not isinstance(min_df, bool) and min_df >= 1 else 1


def scope_reading(estimator, text: str) -> dict:
    """What the checks read in a text ("title\nbody"), to tell why it was flagged: the share of its letters that
    are not Latin, its words, English and other languages' function words among them, its content words, and
    their coverage and mean specificity (None where the model's check skips it, or the text has no content
    word)."""
    counts = word_counts(estimator)
    n_words, english, foreign, content, known, specificity = counts.of_words(text.split())
    checked = counts.checked and content
    letters = len(_LETTER.findall(text))
    return {
        "non_latin_letters": round(len(_NON_LATIN_LETTER.findall(text)) / letters, 3) if letters else 0.0,
        "words": n_words,
        "english_function_words": english,
        "foreign_function_words": foreign,
        "content_words": content,
        "coverage": round(known / content, 3) if content else None,
        "specificity": round(specificity / (SPECIFICITY_SCALE * content), 3) if checked else None,
    }


def fitted_texts(idf, min_df: int = 1) -> int:
    """How many texts the word features were fitted on, read off their idf: a word in min_df texts of n, the
    fewest a word kept can be in, has the highest, ln((1 + n) / (1 + min_df)) + 1 (0 when there are no words)."""
    idf = np.asarray(idf, dtype=np.float64)
    return int(round((1 + min_df) * np.exp(idf.max() - 1) - 1)) if len(idf) else 0
