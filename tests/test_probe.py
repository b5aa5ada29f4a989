"""A bundle's probe: the form model.json's "probe" must have (at the bounds of its number of texts and of a text's
length), and the largest difference between stored and scored probabilities."""

import math

import numpy as np
import pytest

from classifier.bundle.probe import MAX_PROBE_TEXT_CHARS, MAX_PROBE_TEXTS, is_probe, probe_difference


def _probe(texts: list) -> dict:
    return {"texts": texts, "proba": [[0.5, 0.25] for _ in texts]}


@pytest.mark.parametrize(
    "texts, expected",
    [
        (["a"], True),
        ([], False),  # no text: nothing would be checked on load
        (["a"] * MAX_PROBE_TEXTS, True),
        (["a"] * (MAX_PROBE_TEXTS + 1), False),
        (["a" * MAX_PROBE_TEXT_CHARS], True),
        (["a" * (MAX_PROBE_TEXT_CHARS + 1)], False),
        ([["a"]], False),  # a short list is no text
        ([7], False),
    ],
    ids=["one text", "no text", "most texts", "one text too many", "longest text", "text too long", "list", "number"],
)
def test_a_probe_holds_one_to_100_texts_of_at_most_10000_characters(texts, expected):
    assert (MAX_PROBE_TEXTS, MAX_PROBE_TEXT_CHARS) == (100, 10_000)
    assert is_probe(_probe(texts)) is expected


class _Scores:
    """An estimator whose probabilities are given."""

    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, texts):
        return np.asarray(self.proba, dtype=np.float32)[: len(texts)]


def test_the_difference_is_the_largest_over_all_texts_and_fields():
    probe = {"texts": ["a", "b"], "proba": [[0.5, 0.25], [1, 0.0]]}
    assert probe_difference(_Scores([[0.5, 0.25], [0.75, 0.0]]), probe) == 0.25
    assert probe_difference(_Scores([[0.5, 0.25]]), probe) == math.inf  # a text missing


def test_a_probe_of_no_fields_differs_by_nothing():
    """Rows without a probability (a model of no field) have no largest difference: 0, not a numpy error."""
    probe = {"texts": ["a", "b"], "proba": [[], []]}
    assert probe_difference(_Scores(np.zeros((2, 0))), probe) == 0.0
