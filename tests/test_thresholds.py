"""The acceptance rule, the F1-best cut and the threshold tuning, against values worked out by hand."""

import math

import numpy as np
import pytest

from classifier.estimator.thresholds import (
    PRIOR_WEIGHT,
    THRESHOLD_PRIOR,
    accept_labels,
    best_f1_threshold,
    platt,
    sigmoid,
    tune_thresholds,
)


def test_by_default_every_label_at_its_threshold_is_accepted():
    proba = np.array([[0.9, 0.5, 0.2]])
    assert accept_labels(proba, np.array([0.3, 0.5, 0.3])).tolist() == [[1, 1, 0]]


def test_top_ratio_is_measured_against_each_row_own_best_and_includes_the_bound():
    thresholds = np.array([0.2, 0.2, 0.2])
    # 0.4 is exactly half of 0.8: "at least top_ratio times the best" keeps it.
    assert accept_labels(np.array([[0.8, 0.4, 0.3]]), thresholds, top_ratio=0.5).tolist() == [[1, 1, 0]]
    # Row 2's best is 0.4, so 0.3 >= 0.7 * 0.4 passes there although it is far below row 1's best.
    proba = np.array([[0.9, 0.5, 0.1], [0.4, 0.3, 0.1]])
    assert accept_labels(proba, thresholds, top_ratio=0.7).tolist() == [[1, 0, 0], [1, 1, 0]]


def test_a_row_with_no_label_gets_its_best_fallback_label():
    proba = np.array([[0.3, 0.1, 0.2], [0.9, 0.1, 0.2]])
    thresholds = np.array([0.5, 0.5, 0.5])
    assert accept_labels(proba, thresholds).tolist() == [[1, 0, 0], [1, 0, 0]]
    # Column 0 is not a fallback: the best of the others (0.2, column 2) is taken instead.
    fallback = np.array([False, True, True])
    assert accept_labels(proba, thresholds, fallback=fallback).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert accept_labels(proba, thresholds, ensure_one=False).tolist() == [[0, 0, 0], [1, 0, 0]]


def test_no_texts_or_no_fields_give_an_empty_matrix():
    assert accept_labels(np.zeros((0, 3)), np.full(3, 0.5), top_ratio=0.5).shape == (0, 3)
    assert accept_labels(np.zeros((2, 0)), np.zeros(0), ensure_one=False).shape == (2, 0)


@pytest.mark.parametrize(
    ("y", "p", "cut"),
    [
        # F1 of keeping the top 1..5: 2/4, 4/5, 4/6, 4/7, 6/8: keep two, cut between 0.8 and 0.7.
        ([1, 1, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5], 0.75),
        # 2/4, 4/5, 4/6, 6/7, 6/8: keep four, the third positive is worth the negative kept before it.
        ([1, 1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.1], 0.35),
        # 2/3, 2/4, 4/5: keeping all is best; the cut is midway to 0.
        ([1, 0, 1], [0.9, 0.8, 0.7], 0.35),
        # 2/3, 4/4, 4/5: keep all but the last, cut midway between 0.8 and 0.2.
        ([1, 1, 0], [0.9, 0.8, 0.2], 0.5),
        # Keeping two (F1 1) would split the tie at 0.6; of 2/3, 4/5 and 4/6 keeping three is best.
        ([1, 1, 0, 0], [0.9, 0.6, 0.6, 0.1], 0.35),
        ([1, 0, 1, 0], [0.9, 0.6, 0.6, 0.1], 0.35),
    ],
)
def test_best_f1_threshold_cuts_where_f1_is_highest_between_distinct_scores(y, p, cut):
    assert best_f1_threshold(np.array(y), np.array(p)) == pytest.approx(cut)


def test_tuned_thresholds_are_shrunk_towards_the_prior_then_kept_within_floor_and_ceiling():
    y = np.array([1] * 90 + [0] * 10)
    low = np.r_[np.full(90, 0.04), np.zeros(10)]  # best cut 0.02, shrunk to (90 * 0.02 + 10 * 0.35) / 100
    high = np.r_[np.ones(90), np.full(10, 0.98)]  # best cut 0.99, shrunk to (90 * 0.99 + 10 * 0.35) / 100
    assert PRIOR_WEIGHT == 10 and THRESHOLD_PRIOR == 0.35
    Y, proba = np.c_[y, y], np.c_[low, high]
    np.testing.assert_allclose(tune_thresholds(Y, proba), [0.1, 0.9])
    np.testing.assert_allclose(tune_thresholds(Y, proba, floor=0.05, ceiling=0.95), [0.053, 0.926])


def test_sigmoid_applies_each_label_calibration():
    scores = np.array([[math.log(3) / 2, 1.0], [0.0, 1.0 + math.log(3)]])
    calibration = np.array([[2.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(sigmoid(scores, calibration), [[0.75, 0.5], [0.5, 0.75]])


def test_sigmoid_of_extreme_scores_stays_within_floating_point_range():
    with np.errstate(over="raise", under="raise"):
        proba = sigmoid(np.array([[-1000.0, 1000.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert 0 < proba[0, 0] < 1e-20 and proba[0, 1] == 1.0


def test_platt_fits_the_observed_frequencies_of_two_scores():
    # Two distinct scores: the fitted sigmoid gives each its share of positives, 1/4 at -1 and 3/4 at 1,
    # so slope ln 3 and intercept 0 (the barely regularised fit is within 1e-3 of that).
    scores = np.array([-1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0])
    y = np.array([0, 1, 0, 0, 1, 1, 0, 1])
    slope, intercept = platt(scores, y)
    assert slope == pytest.approx(math.log(3), abs=1e-3) and intercept == pytest.approx(0.0, abs=1e-3)
    assert platt(scores, np.ones(8)) == (1.0, 0.0) and platt(scores, np.zeros(8)) == (1.0, 0.0)
