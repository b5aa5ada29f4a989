"""Active learning: pick the unlabelled documents whose fields the model is least sure of, near-duplicates apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from classifier.errors import UsageError
from classifier.options import PICK_STRATEGIES

DEFAULT_MAX_SIMILARITY = 0.8
SCORING_BATCH = 256  # documents scored at a time, so that progress can be shown


def uncertainty(proba: np.ndarray, thresholds: np.ndarray, strategy: str = "margin") -> np.ndarray:
    """How unsure the model is about each document's fields, in [0, 1] (1 = least sure).

    margin: 1 minus the distance of the closest call from its field's threshold, each distance scaled
    by the room on its side of the threshold, so 1 means some field sits exactly on its threshold.
    entropy: the mean binary entropy of the per-field probabilities over the fields, in bits.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if strategy == "margin":
        room = np.where(proba >= thresholds, 1.0 - thresholds, thresholds)
        distance = np.abs(proba - thresholds) / np.maximum(room, 1e-9)
        return 1.0 - np.clip(distance, 0.0, 1.0).min(axis=1)
    if strategy == "entropy":
        p = np.clip(proba, 1e-12, 1 - 1e-12)
        bits = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
        return bits.mean(axis=1)
    raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(PICK_STRATEGIES)})")


@dataclass
class Picked:
    """The documents to label next, best first, and what was passed over: `failed` holds the error of each
    document that could not be read (as `classifier pick` reports them), none of which is a candidate."""

    rows: list[dict]
    candidates: int
    near_duplicates: int
    already_trained: int
    failed: list[str] = field(default_factory=list)


def pick(
    model,
    documents: Iterable,
    n: int = 20,
    strategy: str = "margin",
    max_similarity: float = DEFAULT_MAX_SIMILARITY,
    top: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
) -> Picked:
    """The `n` documents the model is least sure of, none with a cosine similarity above `max_similarity`
    to one picked before it, and none the model was trained on; each as a template row for `train`:
    id, title, text, the model's accepted fields as `labels` to be corrected, its top suggestions, the input it
    came from and the model's hash. `documents` is any iterable of documents (`read_documents` gives one); one that
    failed to read is left out, its error in `failed`. `on_progress(done, total)` hears the documents scored so
    far."""
    from sklearn.preprocessing import normalize  # fitting only

    from classifier.bundle.documents import trained_keys  # on first use: keeps start-up light
    from classifier.bundle.model import Reading, document_list, is_whole  # on first use: keeps start-up light
    from classifier.corpus.datasets import document_key  # on first use: keeps start-up light

    if not is_whole(n, 1):  # -1, 2.5 or None would pick every document
        raise UsageError(f"n {n!r}: expected a whole number of documents to pick, 1 or more")

    if not 0 <= max_similarity <= 1:  # NaN too, which no similarity is above: near-duplicates would all be picked
        raise UsageError(f"max_similarity {max_similarity!r}: expected a cosine similarity from 0 to 1")
    documents = document_list(documents, "pick")
    failed = [doc.error for doc in documents if doc.error]
    readable = [doc for doc in documents if not doc.error]
    trained = trained_keys(model) or set()  # a bundle without stored documents: nothing to exclude
    fresh = [doc for doc in readable if document_key(doc) not in trained]
    if not fresh:
        return Picked([], 0, 0, len(readable), failed)
    texts = [doc.model_text for doc in fresh]
    readings = []
    for start in range(0, len(fresh), SCORING_BATCH):
        # Read as suggest reads (windows, fields named outright, abstaining), so the template's labels are its.
        readings.append(model.read_documents(fresh[start : start + SCORING_BATCH]))
        if on_progress:
            on_progress(min(start + SCORING_BATCH, len(fresh)), len(fresh))
    reading = Reading(
        np.vstack([r.proba for r in readings]),
        np.vstack([r.accepted for r in readings]),
        [flag for r in readings for flag in r.flags],
    )
    scores = uncertainty(reading.proba, model.thresholds, strategy)
    features = normalize(model.features(texts))
    suggestions = model.suggestions_from_reading(reading, [doc.title for doc in fresh])
    chosen: list[int] = []
    skipped = 0
    # Stable order: ties in uncertainty keep the input order, so the same inputs give the same picks.
    for i in sorted(range(len(fresh)), key=lambda i: (-scores[i], i)):
        if len(chosen) == n:
            break
        if chosen and (features[chosen] @ features[i].T).max() > max_similarity:
            skipped += 1
            continue
        chosen.append(i)
    rows = []
    for i in chosen:
        doc, suggestion = fresh[i], suggestions[i]
        rows.append(
            {
                "id": doc.id,
                "title": doc.title,
                "text": doc.text,
                "labels": suggestion.labels,
                "uncertainty": round(float(scores[i]), 4),
                "suggestions": suggestion.to_dict(top)["suggestions"],
                "origin": doc.origin,
                "model": model.fingerprint,
            }
        )
    return Picked(rows, len(fresh), skipped, len(readable) - len(fresh), failed)
