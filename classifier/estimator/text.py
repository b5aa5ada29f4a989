"""How the features read a text, in plain Python: lower case, accents stripped, the title line, the words
the character n-grams come from. Shared by the scikit-learn estimator and the scikit-learn-free predictor."""

from __future__ import annotations

import re
import string
import unicodedata

PUNCTUATION = string.punctuation + "\u201c\u201d\u2018\u2019\u00ab\u00bb"
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def strip_accents(text: str) -> str:
    """`text` with its accents removed (NFKD, combining marks dropped), as scikit-learn's
    strip_accents_unicode does; an ASCII text is returned as it is."""
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    # Only the few distinct characters beyond ASCII are tested, and each mark is removed in one pass, instead of
    # a Python test of every character of the text.
    for char in set(_NOT_ASCII.findall(normalized)):
        if unicodedata.combining(char):
            normalized = normalized.replace(char, "")
    return normalized


def first_line(texts):
    """The title of each document: documents are passed as 'title\\nbody'."""
    return [text.split("\n", 1)[0] for text in texts]


def char_input(text: str, stop_words=frozenset()) -> str:
    """What the character n-grams are taken from: the words, lower case, accents stripped, stop words left out."""
    words = strip_accents(text.lower()).split()
    return " ".join(word for word in words if word.strip(PUNCTUATION) not in stop_words)
