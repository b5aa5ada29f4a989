"""Benchmark: cold `classifier suggest` against `import sklearn`, and training time on 2,000 records.

Run from the repository root with the project installed:
    python benchmarks/cli_and_training.py [--repeat 7] [--write benchmarks/README.md]
Numbers are medians of wall-clock seconds on this machine; compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import publish

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
TRAINING = ROOT / "training" / "data" / "releases.jsonl"


def wall(commands: list[list[str]], repeat: int) -> list[float]:
    """Median wall-clock seconds of each command. The commands take turns, so a machine whose speed
    drifts during the runs slows them alike and their ratio holds."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for command, runs in zip(commands, times):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            runs.append(time.perf_counter() - start)
    return [statistics.median(runs) for runs in times]


def training_records(n: int) -> list[dict]:
    """n records: the corpus, cycled with a per-copy suffix so the vocabulary grows as with new data."""
    base = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    out = []
    for i in range(n):
        record = dict(base[i % len(base)])
        record["id"] = f"{record['id']}-{i}"
        record["text"] = f"{record['text']} copy{i // len(base)}"
        out.append(record)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    args = parser.parse_args()

    python = sys.executable
    cli = [python, "-m", "classifier", "suggest", str(EXAMPLE)]
    wall([cli], 1)  # warm the file cache and bytecode once; "cold" means a new process, as a user runs it
    import_sklearn, suggest = wall([[python, "-c", "import sklearn"], cli], args.repeat)

    from classifier.workflows.training import train

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in training_records(args.records)), encoding="utf-8")
        start = time.perf_counter()
        train([data], Path(tmp) / "bundle", jobs=os.cpu_count())
        train_seconds = time.perf_counter() - start
        start = time.perf_counter()
        train([data], Path(tmp) / "bundle1", jobs=1)
        train_seconds_1 = time.perf_counter() - start

    rows = [
        ("`python -c 'import sklearn'` (floor)", f"{import_sklearn:.2f} s", "1.00x"),
        (
            "`classifier suggest` one page, new process",
            f"{suggest:.2f} s",
            f"{suggest / import_sklearn:.2f}x (aim <= 0.6x: predicting imports numpy and scipy only)",
        ),
        (
            f"`train` {args.records} records, CV + thresholds, {os.cpu_count()} processes",
            f"{train_seconds:.1f} s",
            f"{train_seconds / 60:.2f}x of the 60 s budget",
        ),
        (
            f"`train` {args.records} records, 1 process",
            f"{train_seconds_1:.1f} s",
            f"{train_seconds_1 / train_seconds:.2f}x the {os.cpu_count()}-process time",
        ),
    ]
    table = "\n".join(
        [
            f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"median of {args.repeat} runs, the floor and suggest taking turns.",
            "",
            "| what | time | ratio |",
            "| --- | --- | --- |",
            *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        ]
    )
    publish(table, args.write, "cli_and_training")


if __name__ == "__main__":
    main()
