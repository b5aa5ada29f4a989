"""The quality page's per-field intervals: ours minus the keyword matcher's F1 per field, resampled in pairs."""

import sys

import numpy as np

from conftest import ROOT

sys.path.append(str(ROOT / "benchmarks"))
import quality_page  # noqa: E402 (a script of benchmarks/, found on the path above)


def _store(folder, name, Y, accepted):
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / f"{name}.npz", Y=Y, scores=accepted.astype(float), accepted=accepted)


def test_per_field_intervals_hold_the_difference_and_are_paired(tmp_path, monkeypatch):
    monkeypatch.setattr(quality_page, "CACHE", tmp_path)
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (60, 3)).astype(np.int8)
    ours = Y.copy()
    ours[:, 2] = 0  # ours never finds the third field
    matcher = Y.copy()
    matcher[:30, 0] = 1 - matcher[:30, 0]  # the matcher gets the first field wrong half the time
    _store(tmp_path / "time", "ours", Y, ours)
    _store(tmp_path / "time", "keywords", Y, matcher)
    intervals = quality_page.per_field_intervals("time", ["a", "b", "c"])
    low, high = intervals["a"]
    assert 0 < low <= high < 1  # ours is better on "a" in every resample, by less than all
    assert intervals["b"] == (0.0, 0.0)  # the same answers: the same F1 on every resample
    assert intervals["c"] == (-1.0, -1.0)  # ours 0, the matcher 1 on every resample
    assert quality_page.per_field_intervals("cv5", ["a", "b", "c"]) is None  # nothing stored


def test_a_run_of_ours_alone_says_no_other_system_was_measured(tmp_path, monkeypatch):
    """In a fresh checkout `--systems ours` has no peer to compare with: the page says so instead of failing."""
    monkeypatch.setattr(quality_page, "CACHE", tmp_path)
    Y = np.eye(3, dtype=np.int8)
    _store(tmp_path / "time", "ours", Y, Y.astype(bool))
    _store(tmp_path / "time", "ours-whole", Y, Y.astype(bool))
    rows = {"ours": {"micro_f1": 1.0}, "ours-whole": {"micro_f1": 1.0}}
    assert quality_page.uncertainty_lines("time", rows) == [
        "No other system was measured in this run: `--systems all` measures them.",
        "",
    ]
    _store(tmp_path / "time", "keywords", Y, np.zeros((3, 3), bool))
    rows["keywords"] = {"micro_f1": 0.0, "macro_f1": 0.0, "p@1": 0.0}
    rows["ours"] |= {"macro_f1": 1.0, "p@1": 1.0}
    assert quality_page.uncertainty_lines("time", rows)[-4].startswith("- micro-F1: +1.000 against keyword matcher")
