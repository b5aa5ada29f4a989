"""Field keywords as evidence: zero-shot scoring for fields without examples, an extra example for the others.

Each field in taxonomy.yaml has a name, a description and keywords. Written together they make one
"keyword document" per field. A field with no training examples is scored zero-shot by its keyword
margin: the cosine between a text's TF-IDF vector and the field's keyword document, minus the text's
highest cosine with any other field's keyword document. The margin is positive only where the field's
keyword document is the nearest, so a text that is close to every keyword document (as character
n-grams make most texts) does not take every zero-shot field. It is turned into a probability by one
sigmoid fitted on the margins of the fields that do have examples, so it is calibrated on real data.
A field with examples gets its keyword document as one extra training example: the taxonomy's wording
does not drift with the years the examples come from, and a rare field gains most from it.
"""

from __future__ import annotations

import numpy as np

from classifier.estimator.thresholds import best_f1_threshold

# A zero-shot field must clear at least this probability: its calibration is borrowed from other
# fields, so it is held to a stricter bar than their tuned thresholds and does not flood suggestions.
ZERO_SHOT_MIN_THRESHOLD = 0.5
# (slope, intercept, threshold) where the keyword margins say nothing on the training data (no field to fit them
# on, or a fit in which a higher margin means less likely): every text scores sigmoid(-10), 0.00005, and none
# reaches the threshold, so zero-shot fields are neither accepted nor ranked above fields with examples.
NO_KEYWORD_EVIDENCE = (0.0, -10.0, 1.0)


def keyword_document(field) -> str:
    """A field's name (as the title line), keywords and description, as one text the model can read."""
    keywords = ". ".join(field.keywords)
    return f"{field.name}\n{keywords}. {field.description}".strip()


def keyword_documents(label_keywords, n_labels: int) -> list[str]:
    """One keyword document per label ('' where there is none)."""
    if not label_keywords:
        return [""] * n_labels
    if len(label_keywords) != n_labels:
        raise ValueError(f"label_keywords has {len(label_keywords)} entries for {n_labels} labels")
    return [str(text or "") for text in label_keywords]


def has_keyword_document(documents: list[str]) -> np.ndarray:
    """Mask of the labels that have a keyword document."""
    return np.array([bool(text) for text in documents], dtype=bool)


def label_roles(Y: np.ndarray, documents: list[str], min_examples: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the zero-shot labels (no positives, a keyword document) and of the low-confidence ones
    (fewer than `min_examples` positives, a keyword document)."""
    positives = np.asarray(Y).sum(axis=0)
    has_document = has_keyword_document(documents)
    zero_shot = (positives == 0) & has_document
    low = (positives > 0) & (positives < min_examples) & has_document
    return zero_shot, low


def with_keyword_examples(X: list[str], Y: np.ndarray, documents: list[str], labels: np.ndarray):
    """X and Y with one extra example per label in the `labels` mask: its keyword document, positive for it alone."""
    extra = [j for j in np.flatnonzero(labels)]
    if not extra:
        return X, Y
    rows = np.zeros((len(extra), Y.shape[1]), dtype=Y.dtype)
    rows[np.arange(len(extra)), extra] = 1
    return list(X) + [documents[j] for j in extra], np.vstack([Y, rows])


def prototypes(vectorizer, documents: list[str]) -> np.ndarray:
    """Unit-length feature vectors of the keyword documents (zero rows where there is none)."""
    from sklearn.preprocessing import normalize  # fitting only

    rows = vectorizer.transform([text or " " for text in documents])
    dense = normalize(rows).toarray().astype(np.float32)
    dense[~has_keyword_document(documents)] = 0
    return dense


def keyword_margins(features, protos: np.ndarray) -> np.ndarray:
    """Per text and label: the cosine with the label's keyword document minus the text's highest cosine
    with another label's (positive where the label's keyword document is the nearest; 0 on a tie)."""
    cosines = np.asarray(features @ protos.T, dtype=np.float64)
    if cosines.shape[1] < 2:
        return cosines
    ranked = np.sort(cosines, axis=1)
    best, second = ranked[:, -1:], ranked[:, -2:-1]
    return cosines - np.where(cosines >= best, second, best)


def zero_shot_calibration(margins: np.ndarray, Y: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """(slope, intercept, threshold) mapping a keyword margin to a probability, fitted on the labels in `reference`.

    The pairs (margin of document i for label j, whether i carries j) of every reference label are
    pooled into one logistic fit; the threshold is the F1-best one on the same pairs, never below
    ZERO_SHOT_MIN_THRESHOLD. Where the fit is not possible, or finds that a higher margin makes a label less
    likely (a few training documents can), the margins are not evidence: NO_KEYWORD_EVIDENCE.
    """
    from sklearn.linear_model import LogisticRegression  # fitting only

    columns = np.flatnonzero(reference)
    if len(columns) == 0:
        return NO_KEYWORD_EVIDENCE
    scores = np.asarray(margins)[:, columns].ravel()
    truth = np.asarray(Y)[:, columns].ravel()
    if truth.min() == truth.max():
        return NO_KEYWORD_EVIDENCE
    fit = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), truth)
    slope, intercept = float(fit.coef_[0, 0]), float(fit.intercept_[0])
    if slope <= 0:
        return NO_KEYWORD_EVIDENCE
    proba = 1.0 / (1.0 + np.exp(-(slope * scores + intercept)))
    threshold = max(best_f1_threshold(truth, proba), ZERO_SHOT_MIN_THRESHOLD)
    return slope, intercept, float(threshold)
