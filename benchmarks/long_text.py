"""Benchmark: `classifier suggest` on one long text (a report of 200 KB and one of 2 MB, the default
CLASSIFIER_MAX_TEXT) against the same command on one lead, whole processes, peak memory and time.

Run from the repository root with the project installed:
    python benchmarks/long_text.py [--write benchmarks/README.md]
A long text is scored whole and window by window (classifier/estimator/windows.py), so its cost grows with
its length; the question is whether memory stays bounded. The commands take turns, 5 rounds; medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import publish

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
LEAD = ROOT / "examples" / "plain-text-media.txt"
SIZES = {"report of 200 KB": 200_000, "report of 2 MB": 2_000_000}
ROUNDS = 5
# The command as `classifier suggest FILE` runs it, then the process's own peak resident memory (VmHWM).
CHILD = """
import sys
from pathlib import Path
from classifier.cli import main
sys.argv = ["classifier", "suggest", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    if stop.code:
        raise
peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
print("PEAK", int(peak.split()[1]) / 1024, file=sys.stderr)
"""


def build_report(path: Path, size: int, seed: int = 0) -> int:
    """A report of about `size` characters under one title, its paragraphs each two corpus leads in a numbered
    section (no paragraph repeats: a page's repeated paragraphs are read once). Returns its words."""
    texts = [json.loads(line)["text"] for line in TRAINING.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    paragraphs, length = [], 0
    while length < size - 2_000:
        paragraph = f"Section {len(paragraphs) + 1}. {rng.choice(texts)} {rng.choice(texts)}"
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    text = "Annual report of the field operations\n\n" + "\n\n".join(paragraphs)
    path.write_text(text, encoding="utf-8")
    return len(text.split())


def run(path: Path, *options: str) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of `classifier suggest path [options]` in a new process."""
    start = time.perf_counter()
    command = [sys.executable, "-c", CHILD, str(path), *options]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    assert "*" in result.stdout, result.stdout  # a field was accepted: the text was read
    peak = next(line for line in result.stderr.splitlines() if line.startswith("PEAK "))
    return seconds, float(peak.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="replace this benchmark's table in a markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inputs, words = {"one lead (examples/plain-text-media.txt)": (LEAD, ())}, {}
        words[LEAD] = len(LEAD.read_text(encoding="utf-8").split())
        for name, size in SIZES.items():
            path = Path(tmp) / f"report-{size}.txt"
            words[path] = build_report(path, size)
            inputs[name] = (path, ())
            inputs[f"{name}, `--explain`"] = (path, ("--explain",))
        sizes = {path: path.stat().st_size for path, _ in inputs.values()}
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in inputs}
        for _ in range(ROUNDS):
            for name, (path, options) in inputs.items():
                runs[name].append(run(path, *options))
    lead_seconds = statistics.median(seconds for seconds, _ in runs[next(iter(inputs))])
    lead_peak = statistics.median(peak for _, peak in runs[next(iter(inputs))])
    rows = []
    for name, (path, _) in inputs.items():
        seconds = statistics.median(s for s, _ in runs[name])
        peak = statistics.median(p for _, p in runs[name])
        rows.append(
            f"| {name} | {sizes[path]:,} | {words[path]:,} | {seconds:.2f} s | {seconds / lead_seconds:.2f}x "
            f"| {peak:.0f} MB | {peak / lead_peak:.2f}x |"
        )
        print(rows[-1], flush=True)
    table = "\n".join(
        [
            f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"`classifier suggest FILE` (and with `--explain`) in a new process, the inputs taking turns ({ROUNDS} "
            "rounds, medians).",
            "",
            "| input | bytes | words | wall time | vs one lead | peak memory | vs one lead |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
        ]
    )
    publish(table, args.write, "long_text")


if __name__ == "__main__":
    main()
