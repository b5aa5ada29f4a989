"""From linear scores to accepted labels: Platt calibration, per-label F1 thresholds, and the acceptance rule."""

from __future__ import annotations

import numpy as np


def accept_labels(proba, thresholds, ensure_one=True, top_ratio=0.0, fallback=None):
    """0/1 matrix of the labels at or above their threshold and at least `top_ratio` times the row's best
    probability; with `ensure_one`, a row with none gets its best label, among the `fallback` ones if given
    (a zero-shot label's borrowed calibration is not trusted to win by default)."""
    proba = np.asarray(proba)
    accepted = (proba >= thresholds).astype(np.int8)
    if top_ratio and len(proba):
        accepted &= (proba >= top_ratio * proba.max(axis=1, keepdims=True)).astype(np.int8)
    if ensure_one and len(proba):
        empty = accepted.sum(axis=1) == 0
        candidates = proba[empty] if fallback is None else np.where(fallback, proba[empty], -1.0)
        accepted[empty, np.argmax(candidates, axis=1)] = 1
    return accepted


def platt(scores, y):
    """(slope, intercept) of a sigmoid mapping a label's scores to probabilities."""
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        return (1.0, 0.0)
    from sklearn.linear_model import LogisticRegression  # fitting only, like LinearSVC

    model = LogisticRegression(C=1e4)
    model.fit(scores.reshape(-1, 1), y)
    return (float(model.coef_[0, 0]), float(model.intercept_[0]))


def sigmoid(scores, calibration):
    """Probabilities from scores, one (slope, intercept) per label column."""
    z = scores * calibration[:, 0] + calibration[:, 1]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


# A label's F1-best threshold is noisy when it has few positives: it is pulled towards PRIOR
# as if PRIOR_WEIGHT more positives had voted for it. For calibrated probabilities the F1-optimal
# threshold is half the attainable F1, so 0.35 fits a label that reaches F1 around 0.7.
THRESHOLD_PRIOR = 0.35
PRIOR_WEIGHT = 10


def tune_thresholds(Y, proba, floor=0.1, ceiling=0.9):
    """Per label, the probability threshold that maximises F1 on (Y, proba), shrunk for rare labels."""
    Y = np.asarray(Y)
    thresholds = np.full(Y.shape[1], THRESHOLD_PRIOR)
    for j in range(Y.shape[1]):
        positives = int(Y[:, j].sum())
        if positives:
            best = best_f1_threshold(Y[:, j], proba[:, j])
            thresholds[j] = (positives * best + PRIOR_WEIGHT * THRESHOLD_PRIOR) / (positives + PRIOR_WEIGHT)
        else:
            thresholds[j] = ceiling
    return np.clip(thresholds, floor, ceiling)


def best_f1_threshold(y, p):
    """The probability cut that maximises F1 for one label: midway between the last kept and the first dropped score."""
    positives = int(y.sum())
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    true_pos = np.cumsum(y_sorted)
    predicted = np.arange(1, len(p) + 1)
    f1 = 2 * true_pos / (predicted + positives)
    # Only cut between distinct probabilities: a threshold cannot split tied scores.
    distinct = np.r_[p_sorted[1:] < p_sorted[:-1], True]
    f1 = np.where(distinct, f1, -1)
    best = int(np.argmax(f1))
    below = p_sorted[best + 1] if best + 1 < len(p) else 0.0
    return float((p_sorted[best] + below) / 2)
