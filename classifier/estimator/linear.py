"""The per-field linear models (LinearSVC), fitted a group of fields at a time so that workers share the fits."""

from __future__ import annotations

import numpy as np

# A label seen in no (or every) training document gets a constant score this far from the boundary.
CONSTANT_SCORE = 10.0


def fit_fields(features, Y, fields, C, class_weight, tol, random_state) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) of the `fields` (column numbers of Y), one LinearSVC each; a field has
    `features.shape[1]` coefficients. A -1 in Y is unknown: that row is left out of that field's fit."""
    from sklearn.svm import LinearSVC  # fitting only: loading and predicting never import it

    coef = np.zeros((len(fields), features.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(fields), dtype=np.float64)
    features = features.tocsr().astype(np.float64)  # liblinear's type: converted once, not once per fit
    for row, j in enumerate(fields):
        known = np.flatnonzero(Y[:, j] >= 0)
        positives = int(Y[known, j].sum())
        if positives == 0 or positives == len(known):
            intercept[row] = CONSTANT_SCORE if positives else -CONSTANT_SCORE
            continue
        svm = LinearSVC(C=C, class_weight=class_weight, tol=tol, random_state=random_state)
        svm.fit(features if len(known) == len(Y) else features[known], Y[known, j])
        coef[row] = svm.coef_[0]
        intercept[row] = svm.intercept_[0]
    return coef, intercept


def field_groups(n_fields: int, workers: int) -> list[np.ndarray]:
    """The fields in groups, about two per worker (one group when there is one worker): fits of unequal
    length then even out across the workers, and each group sends its fold's matrix to a worker once."""
    if workers <= 1:
        return [np.arange(n_fields)]
    size = max(1, -(-n_fields // (2 * workers)))
    return [np.arange(start, min(start + size, n_fields)) for start in range(0, n_fields, size)]
