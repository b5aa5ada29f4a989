"""Benchmark: cold `classifier suggest` against `import sklearn` and Annif's `annif suggest`, and `classifier train`
on 2,000 records against a plain TF-IDF + one-vs-rest LogisticRegression baseline.

Run from the repository root with the project installed:
    python benchmarks/cli_and_training.py [--repeat 7] [--rounds 3] [--before REV] [--peers] [--skip-training]
        [--write benchmarks/README.md]
Numbers are medians of whole processes on this machine, the commands compared taking turns; compare the
ratios, not the seconds. `--before REV` also times `classifier train` as the commit REV had it (from
`git archive REV`) and checks that both write the same model.npz and vocabulary.json, byte for byte.
When the peers' environment (benchmarks/.venv-peers) exists, or with `--peers`, which creates it, `annif suggest`
on the same page takes turns with `classifier suggest`: Annif's omikuji project (the strongest single backend of
docs/benchmarks.md) trained on the labelled corpus as benchmarks/quality.py trains it, kept under benchmarks/.cache.
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

from report import byte_compiled, publish

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
WHOLE_PAGES = ROOT / "training" / "data" / "whole_pages.jsonl"


ANNIF_PROJECT = "annif-omikuji"  # the strongest single Annif backend on the quality benchmark (docs/benchmarks.md)
ANNIF_WORK = ROOT / "benchmarks" / ".cache" / "speed" / ANNIF_PROJECT  # git-ignored


def take_turns(commands: list[tuple[list[str], dict | None]], repeat: int) -> list[tuple[float, float]]:
    """Median (wall seconds, CPU seconds) of each (command, environment), each run a new process. The commands take
    turns, so a machine whose speed drifts during the runs slows them alike and their ratio holds."""
    times: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(repeat):
        for (command, env), runs in zip(commands, times):
            runs.append(measured(command, env, ROOT))
    return [(statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)) for runs in times]


def annif_suggest(create: bool) -> tuple[list[str], dict] | None:
    """The `annif suggest` command on the example page and its offline environment, after training its project on
    the labelled corpus (once; the job is kept in ANNIF_WORK); None without the peers' environment, unless `create`."""
    from peers import NLTK_DATA

    import quality

    if not create and not (quality.PEERS_VENV / "bin" / "annif").exists():
        return None
    quality.peers_python()
    quality.fit_peer_on_corpus("annif", ANNIF_PROJECT, ANNIF_WORK, [EXAMPLE.read_text(encoding="utf-8")])
    # The Punkt model is in NLTK_DATA (training wrote it), so Annif's analyzer finds it and never downloads.
    env = {
        **quality.PEERS_ENV,
        "ANNIF_PROJECTS": str(ANNIF_WORK / "projects.cfg"),
        "ANNIF_DATADIR": str(ANNIF_WORK / "data"),
        "NLTK_DATA": str(NLTK_DATA),
    }
    command = [str(quality.PEERS_VENV / "bin" / "annif"), "suggest", ANNIF_PROJECT, str(EXAMPLE)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    if "download" in done.stderr.lower() or "Elections" not in done.stdout:
        raise SystemExit(f"annif suggest did not run offline as expected:\n{done.stdout}\n{done.stderr}")
    return command, env


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
        byte_compiled(old)
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


def suggest_comparison(repeat: int, peers: bool, no_peers: bool) -> tuple[list[tuple], str]:
    """`classifier suggest` on one page against `import sklearn` (and Annif's suggest, where its environment is),
    as new processes taking turns: the table's rows and the note on Annif ("" without it)."""
    python = sys.executable
    suggest_rows, annif_note = [], ""
    cli = [python, "-m", "classifier", "suggest", str(EXAMPLE)]
    commands = [([python, "-c", "import sklearn"], None), (cli, None)]
    annif = None if no_peers else annif_suggest(peers)
    if annif:
        commands.append(annif)
    take_turns(commands, 1)  # warm the file cache and bytecode once; "cold" means a new process, as a user runs it
    medians = take_turns(commands, repeat)
    (import_wall, import_cpu), (suggest_wall, suggest_cpu) = medians[:2]
    suggest_rows += [
        ("`python -c 'import sklearn'` (floor)", f"{import_wall:.2f} s ({import_cpu:.2f} CPU s)", "1.00x"),
        (
            "`classifier suggest` one page, new process",
            f"{suggest_wall:.2f} s ({suggest_cpu:.2f} CPU s)",
            f"{suggest_wall / import_wall:.2f}x (aim <= 0.6x: predicting imports numpy and scipy only)",
        ),
    ]
    if annif:
        annif_wall, annif_cpu = medians[2]
        suggest_rows.append(
            (
                f"`annif suggest {ANNIF_PROJECT}` the same page, new process (Annif 1.4.3)",
                f"{annif_wall:.2f} s ({annif_cpu:.2f} CPU s)",
                f"ours / Annif: {suggest_cpu / annif_cpu:.2f}x CPU, {suggest_wall / annif_wall:.2f}x wall "
                "(aim <= 0.5x)",
            )
        )
        annif_note = (
            f" Annif: the `{ANNIF_PROJECT}` project, trained on the labelled corpus as benchmarks/quality.py "
            "trains it, run offline from the peers' environment, taking turns with the floor and ours."
        )
    return suggest_rows, annif_note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of the floor and suggest")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the training commands")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--before", help="also time training as this commit had it (a git revision)")
    parser.add_argument("--skip-suggest", action="store_true", help="time training only")
    peers = parser.add_mutually_exclusive_group()
    peers.add_argument("--peers", action="store_true", help="create the peers' environment if missing, time Annif")
    peers.add_argument("--no-peers", action="store_true", help="do not time Annif, even if its environment exists")
    parser.add_argument("--skip-training", action="store_true", help="time suggest only")
    parser.add_argument("--fit-baseline", type=Path, help=argparse.SUPPRESS)  # one baseline process
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    args = parser.parse_args()
    if args.fit_baseline:
        fit_baseline(args.fit_baseline)
        return
    byte_compiled()

    suggest_rows, annif_note = (
        suggest_comparison(args.repeat, args.peers, args.no_peers) if not args.skip_suggest else ([], "")
    )
    trained_rows = []
    if not args.skip_training:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "train.jsonl"
            data.write_text("".join(json.dumps(r) + "\n" for r in timing_set(args.records)), encoding="utf-8")
            medians, same = time_training(data, args.rounds, args.before, Path(tmp))
        trained_rows = training_rows(medians, args.records, args.before)
    else:
        same = None

    identical = ""
    if same is not None:
        identical = f" model.npz and vocabulary.json byte-identical to {args.before}'s: {'yes' if same else 'NO'}."
    machine = f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    machine += f", commit {commit()}"
    if suggest_rows:
        lines = [
            f"{machine}; whole processes taking turns ({args.repeat} runs of each); medians; CPU seconds are the "
            "process's user + system time." + annif_note,
            "",
            "| what | time | ratio |",
            "| --- | --- | --- |",
            *[f"| {a} | {b} | {c} |" for a, b, c in suggest_rows],
        ]
        publish("\n".join(lines), args.write, "cli_and_training_suggest")
    if trained_rows:
        lines = [
            f"{machine}; whole processes, the training commands taking turns ({args.rounds} rounds); medians. "
            f"Training set: {args.records} records built from the corpus (see `timing_set`: each item and its whole "
            "page, then repeats; for timing only)." + identical,
            "",
            "| what | time | ratio |",
            "| --- | --- | --- |",
            *[f"| {a} | {b} | {c} |" for a, b, c in trained_rows],
        ]
        publish("\n".join(lines), args.write, "cli_and_training")


def commit() -> str:
    """The checked-out commit, marked "+changes" when the work tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
