"""Benchmark: cold `classifier suggest` against `import sklearn`, and `classifier train` on 2,000 records
against a plain TF-IDF + one-vs-rest LogisticRegression baseline.

Run from the repository root with the project installed:
    python benchmarks/cli_and_training.py [--repeat 7] [--rounds 3] [--before REV] [--write benchmarks/README.md]
Numbers are medians of whole processes on this machine, the commands compared taking turns; compare the
ratios, not the seconds. `--before REV` also times `classifier train` as the commit REV had it (from
`git archive REV`) and checks that both write the same model.npz and vocabulary.json, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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
WHOLE_PAGES = ROOT / "training" / "data" / "whole_pages.jsonl"


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


def timing_set(n: int) -> list[dict]:
    """n records for timing training: each labelled corpus item, followed by its whole page where
    training/data/whole_pages.jsonl has one (629 items and 207 pages: 836 distinct documents), then the
    same again with " copy1", " copy2"... appended to each text (and id), until there are n. The repeats
    make it a timing set only, never a quality set: a model trained on it learns nothing more than from the
    836 documents; they only give the cross-validation and the linear models 2,000 rows of realistic length
    (the leads are short, the pages long) and a vocabulary that grows a little with every copy."""
    pages = {row["id"]: row for row in map(json.loads, WHOLE_PAGES.read_text(encoding="utf-8").splitlines())}
    distinct = []
    for item in map(json.loads, TRAINING.read_text(encoding="utf-8").splitlines()):
        distinct.append(item)
        if item["id"] in pages:
            distinct.append({**pages[item["id"]], "id": f"{item['id']}-page"})
    records = []
    for i in range(n):
        record, copy = dict(distinct[i % len(distinct)]), i // len(distinct)
        if copy:
            record["id"], record["text"] = f"{record['id']}-copy{copy}", f"{record['text']} copy{copy}"
        records.append(record)
    return records


def fit_baseline(data: Path) -> None:
    """The baseline, as one process: TfidfVectorizer + OneVsRestClassifier(LogisticRegression()) with their
    defaults (as benchmarks/quality.py's scikit-learn baseline), fitted once on the same records, no
    cross-validation, nothing written."""
    import warnings

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    from classifier.taxonomy.fields import default_taxonomy

    labels = default_taxonomy().labels
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in labels] for r in records], dtype=np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a field with no example gets a constant predictor
        make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LogisticRegression())).fit(texts, Y)


def measured(command: list[str], env: dict | None, cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a command run as a new process, its worker processes included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
    wall_seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall_seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_training(data: Path, rounds: int, before: str | None, tmp: Path) -> tuple[dict, bool | None]:
    """Median (wall, CPU) of each training command, the commands taking turns in each round; and whether the
    bundles of this checkout and of `before` hold the same model.npz and vocabulary.json (None: no `before`)."""
    python = sys.executable
    commands = {"baseline": ([python, str(Path(__file__).resolve()), "--fit-baseline", str(data)], None)}
    for jobs in (2, 1):
        commands[f"train --jobs {jobs}"] = ([python, "-m", "classifier", "train", str(data), "--jobs", str(jobs)], None)
    if before:
        old = tmp / "before"
        old.mkdir()
        archive = subprocess.run(["git", "archive", before], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": str(old)}
        for jobs in (2, 1):
            command = [python, "-m", "classifier", "train", str(data), "--jobs", str(jobs)]
            commands[f"train --jobs {jobs} at {before}"] = (command, env)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for k in range(rounds):
        for name, (command, env) in commands.items():
            output = [] if name == "baseline" else ["--output", str(tmp / f"{k}-{name.replace(' ', '_')}")]
            # Run outside the checkout: `python -m` puts the working directory first on the path, which
            # would import this checkout's package over the one of `before` on PYTHONPATH.
            runs[name].append(measured(command + output, env, tmp))
    same = None
    if before:
        ours, theirs = tmp / "0-train_--jobs_2", tmp / f"0-train_--jobs_2_at_{before}"
        same = all(
            (ours / name).read_bytes() == (theirs / name).read_bytes() for name in ("model.npz", "vocabulary.json")
        )
    medians = {
        name: (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
        for name, times in runs.items()
    }
    return medians, same


def training_rows(medians: dict, records: int, before: str | None) -> list[tuple[str, str, str]]:
    base_wall, base_cpu = medians["baseline"]
    rows = [
        (
            f"baseline: TF-IDF + one-vs-rest LogisticRegression, {records} records, 1 process",
            f"{base_wall:.1f} s ({base_cpu:.1f} CPU s)",
            "1.00x",
        )
    ]
    for name, (wall_seconds, cpu) in medians.items():
        if name == "baseline":
            continue
        note = f"; {wall_seconds / 60:.2f}x of the 60 s budget" if name == "train --jobs 2" else ""
        if before and name in ("train --jobs 2", "train --jobs 1"):
            old_wall, old_cpu = medians[f"{name} at {before}"]
            note += f"; {wall_seconds / old_wall:.2f}x the wall, {cpu / old_cpu:.2f}x the CPU of {before}"
        rows.append(
            (
                f"`{name}` {records} records, CV + thresholds + stacker",
                f"{wall_seconds:.1f} s ({cpu:.1f} CPU s)",
                f"{wall_seconds / base_wall:.1f}x wall, {cpu / base_cpu:.1f}x CPU{note}",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of the floor and suggest")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the training commands")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--before", help="also time training as this commit had it (a git revision)")
    parser.add_argument("--skip-suggest", action="store_true", help="time training only")
    parser.add_argument("--fit-baseline", type=Path, help=argparse.SUPPRESS)  # one baseline process
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    args = parser.parse_args()
    if args.fit_baseline:
        fit_baseline(args.fit_baseline)
        return

    python = sys.executable
    rows = []
    if not args.skip_suggest:
        cli = [python, "-m", "classifier", "suggest", str(EXAMPLE)]
        wall([cli], 1)  # warm the file cache and bytecode once; "cold" means a new process, as a user runs it
        import_sklearn, suggest = wall([[python, "-c", "import sklearn"], cli], args.repeat)
        rows += [
            ("`python -c 'import sklearn'` (floor)", f"{import_sklearn:.2f} s", "1.00x"),
            (
                "`classifier suggest` one page, new process",
                f"{suggest:.2f} s",
                f"{suggest / import_sklearn:.2f}x (aim <= 0.6x: predicting imports numpy and scipy only)",
            ),
        ]

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in timing_set(args.records)), encoding="utf-8")
        medians, same = time_training(data, args.rounds, args.before, Path(tmp))
    rows += training_rows(medians, args.records, args.before)

    identical = ""
    if same is not None:
        identical = f" model.npz and vocabulary.json byte-identical to {args.before}'s: {'yes' if same else 'NO'}."
    table = "\n".join(
        [
            f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"commit {commit()}; whole processes, the floor and suggest taking turns ({args.repeat} runs), the "
            f"training commands taking turns ({args.rounds} rounds); medians. Training set: {args.records} records "
            "built from the corpus (see `timing_set`: each item and its whole page, then repeats; for timing only)."
            + identical,
            "",
            "| what | time | ratio |",
            "| --- | --- | --- |",
            *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        ]
    )
    publish(table, args.write, "cli_and_training")


def commit() -> str:
    """The checked-out commit, marked "+changes" when the work tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
