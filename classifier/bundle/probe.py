"""A bundle's probe: a few fixed texts and the probabilities its model gave them when saved, checked on load.

A bundle holds no pickle, so it does not depend on the scikit-learn that fitted it; what could still go
wrong is that this installation (numpy, scipy, our features) scores its arrays differently. The probe
tests exactly that: loading scores the texts again and refuses the bundle if any probability moved by more
than PROBE_TOLERANCE. A bundle saved before probes existed loads unchecked.
"""

from __future__ import annotations

import math

# Short texts that reach every feature block: word and title n-grams, character n-grams of inflected and
# accented words, taxonomy phrases for the stacker, and a text with no known word at all.
PROBE_TEXTS = (
    "Observers follow the parliamentary elections\nThe election observation mission of ODIHR deployed "
    "long-term observers to follow the vote count and the campaign.",
    "Border guards trained\nPolice officers and border guards learned to identify victims of trafficking "
    "in human beings and to protect migrants.",
    "Médias: journalists' safety\nThe Representative on Freedom of the Media called on the authorities of "
    "Priština and Genève to protect journalists and broadcasters.",
    "Qwzx plorf\nzzyzx vrrk.",
)
# Two installations computing the same features differ by rounding only (~1e-7 on a probability); a changed
# feature, weight or calibration moves probabilities far more. A bundle marked PROBE_BY_PREDICTOR had its probe
# scored by the predictor that loading builds, and is held to PROBE_TOLERANCE. An older bundle's probe was scored
# by scikit-learn's estimator, whose sorted features float32 sums in another order than the predictor (a few
# millionths apart at most on long texts; 3.4e-7 on the shipped model's probe): it is held to
# ESTIMATOR_PROBE_TOLERANCE, and so is the predictor against the fitted estimator when a bundle is saved.
PROBE_TOLERANCE = 1e-6
ESTIMATOR_PROBE_TOLERANCE = 1e-5
PROBE_BY_PREDICTOR = "predictor"  # model.json's "probe_scored_by"
MAX_PROBE_TEXTS = 100
MAX_PROBE_TEXT_CHARS = 10_000


def probe_of(estimator) -> dict:
    """The probe to store in a bundle's model.json: PROBE_TEXTS and `estimator`'s probabilities for them."""
    proba = estimator.predict_proba(list(PROBE_TEXTS))
    return {"texts": list(PROBE_TEXTS), "proba": [[float(p) for p in row] for row in proba]}


def is_probe(value) -> bool:
    """Whether a model.json "probe" has the right form: texts, and one row of finite numbers per text."""
    return (
        isinstance(value, dict)
        and set(value) == {"texts", "proba"}
        and isinstance(value["texts"], list)
        and 0 < len(value["texts"]) <= MAX_PROBE_TEXTS
        and all(isinstance(text, str) and len(text) <= MAX_PROBE_TEXT_CHARS for text in value["texts"])
        and isinstance(value["proba"], list)
        and len(value["proba"]) == len(value["texts"])
        and all(
            isinstance(row, list)
            and all(isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) for p in row)
            for row in value["proba"]
        )
    )


def probe_difference(estimator, probe: dict) -> float:
    """The largest difference between the probabilities `estimator` gives the probe's texts and the stored
    ones (infinite if their shapes differ)."""
    import numpy as np  # loads with a model, not at start-up

    expected = np.asarray(probe["proba"], dtype=np.float64)
    got = np.asarray(estimator.predict_proba(probe["texts"]), dtype=np.float64)
    if got.shape != expected.shape:
        return math.inf
    return float(np.max(np.abs(got - expected), initial=0.0))
