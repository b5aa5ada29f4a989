"""Allowed values of the choices a user makes, declared once and importable without numpy or scikit-learn.

The estimator, the workflows and the command line all read them from here, so a new value is one edit.
"""

import operator


def whole_number(value) -> int | None:
    """`value` as a plain int if it is a whole number (a Python or numpy integer, not a bool), else None: what every
    count a user gives (a limit, a number of documents, terms or workers) must be."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


# Which fields get their taxonomy keyword document as one extra training example (TopicClassifier).
KEYWORD_EXAMPLES = ("all", "rare", "none")
# What a bundle written before a parameter existed was trained with: without what the parameter turns on.
# How many of a field's taxonomy phrases a text must hold for the field to be accepted outright (0: off;
# classifier.estimator.evidence.PhraseMatcher).
PHRASE_ACCEPT = 2
# In a lead (a title and the first 60 words of its body), a field with fewer than LEAD_PHRASE_EXAMPLES examples
# needs only this many of its phrases (0: no lead rule).
LEAD_PHRASE_ACCEPT = 1
LEAD_PHRASE_EXAMPLES = 5
# In a window of a long text (classifier.estimator.windows), any field, however many examples it has, is
# accepted on this many of its phrases within the window (0, the default: only the fields of PHRASE_ACCEPT's
# rule). 2 raised micro-F1 on long documents by 0.005, but also accepted fields a report names in passing.
WINDOW_PHRASE_ACCEPT = 0
PARAMS_BEFORE_THEY_EXISTED = {
    "char_weight": 0.0,
    "top_ratio": 0.0,
    "keyword_examples": "rare",
    "phrase_accept": 0,
    "lead_phrase_accept": 0,
    "window_phrase_accept": 0,
    "tol": 1e-4,  # scikit-learn's LinearSVC default, which fitted every bundle before the parameter
}
# How `pick` ranks unlabelled documents (classifier.workflows.picking.uncertainty).
PICK_STRATEGIES = ("margin", "entropy")
# The most worker processes `tag --jobs` and `train --jobs` start: more than any machine here has cores, so a larger
# count is a typo, which would start that many processes at once (past 2**30, overflow the process pool's queue).
MAX_JOBS = 1024
# Formats of tables read as input and written by `tag`.
TABLE_FORMATS = ("jsonl", "csv", "parquet")
# Between the patterns of several --glob options, joined into the one value the readers take (no file name
# pattern typed on a command line holds a newline).
GLOB_SEPARATOR = "\n"
