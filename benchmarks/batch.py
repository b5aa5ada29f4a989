"""Benchmark: `classifier tag` throughput and peak memory against the floor of a bare predict_proba.

Run from the repository root with the project installed (with the `dask` extra for the Dask rows):
    python benchmarks/batch.py [--sizes 10000 100000 1000000] [--rounds 3] [--before REV]
        [--peers | --peers-only] [--write benchmarks/README.md]

Each size is a generated JSONL corpus of ~1 KB documents (sentences of the training corpus, shuffled). The floors
are the same model's `predict_proba` in one process with no reading, parsing or writing: called once on all texts,
and in chunks of 512 as `tag` calls it. "Per core" divides documents by the CPU seconds a run used (all its
processes), which holds steady when other work shares the machine; wall-clock documents per second are shown too.
`--before REV` also measures both floors as the commit REV had them (from `git archive REV`), taking turns with this
checkout's, and checks that all floors give the same probabilities (a digest of every row's); and `tag` with --jobs 1
and 2 as REV had it, each run after this checkout's. Every run of a size takes its turn in each of `--rounds` rounds
(3): the table shows medians, and a line each `tag` run against the chunked floor of its own round. A reference row,
not a floor, measures the model's whole reading in one process (`Model.read` in chunks of 512: the floor plus the
rules that accept a field named outright and the scope checks), so that `tag`'s distance from it is its reading,
parsing and writing.

When the peers' environment (benchmarks/.venv-peers) exists, or with `--peers`, which creates it, the chunked floor
also takes turns (`--peer-rounds`) with fastText's `predict` of the same documents in one process of that
environment: a supervised one-vs-all model trained on the labelled corpus as benchmarks/peers.py trains it (one
thread, seeded; its settings chosen on a fifth), kept under benchmarks/.cache. Its own table (the `batch_fasttext`
section); `--peers-only` measures that comparison alone.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import byte_compiled, publish

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
FLOOR_LIMIT = 100_000  # the one-call floor holds every text and its features in memory at once

FLOOR = """
import json, resource, sys, time
from classifier import load_model
model = load_model()
texts = []
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        row = json.loads(line)
        texts.append(row["title"] + "\\n" + row["text"])
size = int(sys.argv[2]) or len(texts)
digest = __import__("hashlib").sha256()
start_cpu, start = time.process_time(), time.perf_counter()
for i in range(0, len(texts), size):
    proba = model.estimator.predict_proba(texts[i:i + size])  # the floor: the estimator alone, no parsing
    digest.update(proba.tobytes())
cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
print(json.dumps({"cpu": cpu, "wall": wall, "digest": digest.hexdigest()}))
"""
CHUNK = 512  # tag's default --chunk-size
# fastText's prediction of the floor's texts, run in the peers' environment: argv is the corpus, the model, the folder
# of peers.py and the chunk size. Every text is made one line as peers.py makes fastText's input (fasttext_tokens:
# lower case, punctuation split off, whitespace and newlines one space). Two timed loops: `predict` alone on those
# lines, and the same with the making of the lines in it (ours tokenizes inside `predict_proba`). k=-1 and threshold
# 0 return every label's probability, as `predict_proba` does.
FASTTEXT = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
import fasttext
from peers import fasttext_tokens
model = fasttext.load_model(sys.argv[2])
texts = []
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        row = json.loads(line)
        texts.append(row["title"] + "\\n" + row["text"])
size = int(sys.argv[4])
lines = [fasttext_tokens(text) for text in texts]
found = {}
start_cpu, start = time.process_time(), time.perf_counter()
for i in range(0, len(lines), size):
    labels, probs = model.predict(lines[i:i + size], k=-1, threshold=0.0)
found["predict"] = {"cpu": time.process_time() - start_cpu, "wall": time.perf_counter() - start}
start_cpu, start = time.process_time(), time.perf_counter()
for i in range(0, len(texts), size):
    labels, probs = model.predict([fasttext_tokens(text) for text in texts[i:i + size]], k=-1, threshold=0.0)
found["tokens and predict"] = {"cpu": time.process_time() - start_cpu, "wall": time.perf_counter() - start}
found["labels"] = min(len(names) for names in labels)
found["model labels"] = len(model.get_labels())
print(json.dumps(found))
"""
FASTTEXT_WORK = ROOT / "benchmarks" / ".cache" / "speed" / "fasttext"  # git-ignored
# Not a floor: the model's whole reading of each text in one process (`Model.read`, the rules that accept a field
# named outright and the scope checks included), with no reading, parsing or writing; where `tag` stands against it
# says how much of `tag`'s cost is reading, parsing and writing rather than the model's rules.
READ = FLOOR.replace(
    "proba = model.estimator.predict_proba(texts[i:i + size])  # the floor: the estimator alone, no parsing",
    "proba = model.read(texts[i:i + size]).proba  # the model's whole reading, the rules included",
)


def generate(path: Path, n: int, seed: int = 0) -> None:
    """n documents of about 1 KB: a real title and sentences drawn from the whole corpus."""
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    sentences = [s for r in records for s in re.split(r"(?<=[.!?])\s+", r["text"]) if len(s) > 20]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            parts, size = [], 0
            while size < 1000:
                sentence = rng.choice(sentences)
                parts.append(sentence)
                size += len(sentence) + 1
            title = rng.choice(records)["title"]
            handle.write(json.dumps({"id": f"doc-{i}", "title": title, "text": " ".join(parts)}) + "\n")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


def measure(command: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Wall seconds, CPU seconds of the whole process tree, and peak resident memory of the tree."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {err.decode()[-500:]}")
    return {"wall": wall, "peak": peak, "stdout": out.decode(), "stderr": err.decode()}


def run_cpu(command: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """`measure`, plus the CPU seconds of the tree from the children's resource usage."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = measure(command, env, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


@functools.cache  # once per run: every round and configuration runs the same extracted, compiled copy
def checkout(rev: str, workdir: Path) -> dict:
    """The environment that runs the package as commit `rev` had it (extracted once with `git archive`)."""
    path = workdir / f"before-{rev}"
    if not path.exists():
        path.mkdir()
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
    byte_compiled(path)
    return {**os.environ, "PYTHONPATH": str(path)}


def floor_rows(corpus: Path, n: int, before: str | None, workdir: Path) -> tuple[list[tuple], set[str]]:
    """Both floors of this checkout (and of `before`, taking turns with them): the table's rows and the digests
    of the probabilities they computed."""
    python, rows, digests = sys.executable, [], set()
    env = checkout(before, workdir) if before else None
    for size, name in ((0, "one call on all texts"), (CHUNK, f"in chunks of {CHUNK}")):
        for label, run_env in (("floor", None), (f"before ({before})", env)):
            if label != "floor" and not before:
                continue
            # Run outside the checkout: `python -c` puts the working directory first on the path, which would
            # import this checkout's package over the one of `before` on PYTHONPATH.
            floor = run_cpu([python, "-c", FLOOR, str(corpus), str(size)], env=run_env, cwd=workdir)
            inner = json.loads(floor["stdout"])
            digests.add(inner["digest"])
            row = (n, f"{label}: `predict_proba` {name}, 1 process, no I/O", inner["wall"], n / inner["wall"])
            rows.append((*row, n / inner["cpu"], floor["peak"]))
            print(rows[-1], flush=True)
    reading = run_cpu([python, "-c", READ, str(corpus), str(CHUNK)], cwd=workdir)
    inner = json.loads(reading["stdout"])
    name = f"reference, not a floor: `Model.read` (the rules included) in chunks of {CHUNK}, 1 process, no I/O"
    rows.append((n, name, inner["wall"], n / inner["wall"], n / inner["cpu"], reading["peak"]))
    print(rows[-1], flush=True)
    return rows, digests


def fasttext_model(create: bool) -> tuple[Path, dict] | None:
    """The peers' interpreter and fastText's model trained on the labelled corpus (once; the job is kept in
    FASTTEXT_WORK) with the settings peers.py chose; None without the peers' environment, unless `create`."""
    import quality

    if not create and not (quality.PEERS_VENV / "bin" / "python").exists():
        return None
    python = quality.peers_python()
    fitted = quality.fit_peer_on_corpus("fasttext", "fasttext", FASTTEXT_WORK, ["A first text.", "A second text."])
    return python, {k: v for k, v in fitted.chosen.items() if k not in ("limit", "threshold")}


def fasttext_rows(corpus: Path, n: int, rounds: int, peer: Path, workdir: Path) -> list[tuple]:
    """Our chunked floor and fastText's prediction of the same texts, taking turns for `rounds` rounds: rows of
    (documents, run, wall seconds, documents per wall second, documents per CPU second, peak RSS), medians of the
    timed loops (the peak: the highest)."""
    python, floor, fast = sys.executable, [], {"predict": [], "tokens and predict": []}
    model = FASTTEXT_WORK / "model.bin"
    for _ in range(rounds):
        result = run_cpu([python, "-c", FLOOR, str(corpus), str(CHUNK)], cwd=workdir)
        floor.append({**json.loads(result["stdout"]), "peak": result["peak"]})
        command = [str(peer), "-c", FASTTEXT, str(corpus), str(model), str(ROOT / "benchmarks"), str(CHUNK)]
        result = run_cpu(command, cwd=workdir)
        inner = json.loads(result["stdout"])
        if inner["labels"] != inner["model labels"]:
            raise SystemExit(f"fastText returned {inner['labels']} of {inner['model labels']} labels for a document")
        for kind, runs in fast.items():
            runs.append({**inner[kind], "peak": result["peak"]})

    def row(name: str, runs: list[dict]) -> tuple:
        wall, cpu = statistics.median(r["wall"] for r in runs), statistics.median(r["cpu"] for r in runs)
        return n, name, wall, n / wall, n / cpu, max(r["peak"] for r in runs)

    rows = [
        row(f"ours, the floor: `predict_proba` in chunks of {CHUNK}", floor),
        row(f"fastText `predict`, k=-1, in chunks of {CHUNK}, its lines made beforehand", fast["predict"]),
        row(f"fastText making its lines and `predict`, k=-1, in chunks of {CHUNK}", fast["tokens and predict"]),
    ]
    for found in rows:
        print(found, flush=True)
    return rows


def fasttext_table(rows: list[tuple], settings: dict, rounds: int) -> str:
    """The table of our chunked floor against fastText's prediction, and the line with their ratios, size by size."""
    ours = {n: per_cpu for n, name, _, _, per_cpu, _ in rows if name.startswith("ours")}
    lines = [
        f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. Each run is "
        f"one process with no reading, parsing or writing in its timed loop; the two processes take turns for {rounds} "
        "rounds; medians of the timed loops. Per CPU second: documents per CPU second of the timed loop (the "
        "process's own CPU time), on which the ratio is taken. fastText: supervised, one-vs-all loss, dim 100, "
        f"minCount 1, one thread, seed 0, {', '.join(f'{k}={v}' for k, v in settings.items())} (chosen by "
        "benchmarks/peers.py on a fifth of the labelled corpus, then trained on all of it); k=-1 and threshold 0 "
        "return every label's probability; its lines are made as peers.py makes them (`fasttext_tokens`).",
        "",
        "| documents | run | wall s | documents/s | per CPU second | ours / this, per CPU second | peak RSS |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, name, wall, rate, per_cpu, peak in rows:
        lines.append(
            f"| {n:,} | {name} | {wall:.2f} | {rate:,.0f} | {per_cpu:,.0f} | {ours[n] / per_cpu:.2f}x | "
            f"{peak / 2**20:,.0f} MB |"
        )
    ratios = [
        f"{ours[n] / per_cpu:.2f}x against {'`predict` alone' if 'beforehand' in name else 'its lines and `predict`'} "
        f"at {n:,}"
        for n, name, _, _, per_cpu, _ in rows
        if name.startswith("fastText")
    ]
    lines += ["", f"Our floor against fastText's prediction, per CPU second (aim: >= 0.40x): {', '.join(ratios)}."]
    return "\n".join(lines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--full-at",
        type=int,
        default=100_000,
        help="Largest size at which every configuration runs; above it only --jobs 2.",
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "classifier-batch-bench")
    parser.add_argument("--before", help="also measure the floors as this commit had them (a git revision)")
    peers = parser.add_mutually_exclusive_group()
    peers.add_argument("--peers", action="store_true", help="create the peers' environment if missing, time fastText")
    peers.add_argument("--no-peers", action="store_true", help="do not time fastText, even if its environment exists")
    peers.add_argument("--peers-only", action="store_true", help="time only our chunked floor against fastText")
    parser.add_argument("--rounds", type=int, default=3, help="rounds in which every run of a size takes its turn")
    parser.add_argument("--peer-rounds", type=int, default=3, help="rounds of our chunked floor and fastText")
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    if args.rounds < 1:
        raise SystemExit("--rounds: expected 1 or more")
    args.workdir.mkdir(parents=True, exist_ok=True)
    byte_compiled()
    peer = None if args.no_peers else fasttext_model(args.peers or args.peers_only)

    rows, same, peer_rows, rounds = [], True, [], []
    for n in args.sizes:
        corpus = args.workdir / f"corpus-{n}.jsonl"
        if not corpus.exists():
            generate(corpus, n)
        if peer and n <= FLOOR_LIMIT:
            peer_rows += fasttext_rows(corpus, n, args.peer_rounds, peer[0], args.workdir)
        if args.peers_only:
            continue
        # Every run of this size takes its turn in each round: a machine whose speed drifts over minutes moves
        # the floor and the runs compared with it alike, round by round.
        found = []
        for _ in range(args.rounds):
            floors, digests = floor_rows(corpus, n, args.before, args.workdir) if n <= FLOOR_LIMIT else ([], set())
            found.append(floors + tag_rows(corpus, n, args))
            same = same and len(digests) <= 1
        rows += medians(found)
        rounds.append(found)

    if peer_rows:
        publish(fasttext_table(peer_rows, peer[1], args.peer_rounds), args.write, "batch_fasttext")
    if args.peers_only:
        return
    publish(_table(rows, args.before, same, rounds), args.write, "batch")


def tag_rows(corpus: Path, n: int, args: argparse.Namespace) -> list[tuple]:
    """One run of each `tag` configuration on `corpus` (and of `tag` as `args.before` had it, right after this
    checkout's): rows of (documents, run, wall seconds, documents per wall second, per CPU second, peak RSS)."""
    configs = [
        ("`tag --jobs 1`", ["--jobs", "1"]),
        ("`tag --jobs 2`", ["--jobs", "2"]),
        ("`tag --dask local --jobs 2`", ["--dask", "local", "--jobs", "2"]),
    ]
    if n > args.full_at:
        configs = configs[1:2]
    rows = []
    for name, options in configs:
        # With --before, `tag` as that commit had it takes turns with this checkout's (not for Dask).
        runs = [(name, None, None)]
        if args.before and "--dask" not in options:
            runs.append((f"before ({args.before}): {name}", checkout(args.before, args.workdir), args.workdir))
        for label, env, cwd in runs:
            output = args.workdir / "tags.jsonl"
            command = [sys.executable, "-m", "classifier", "tag", str(corpus), "--output", str(output), "--force"]
            result = run_cpu([*command, *options], env=env, cwd=cwd)
            rows.append((n, label, result["wall"], n / result["wall"], n / result["cpu"], result["peak"]))
            print(rows[-1], result["stderr"].strip().splitlines()[-1], flush=True)
            output.unlink()
    return rows


def medians(rounds: list[list[tuple]]) -> list[tuple]:
    """One row per run, in the order of the first round: the median of its rounds' wall seconds and rates, and
    the highest of their peaks."""
    out = []
    for k, (n, name, *_) in enumerate(rounds[0]):
        runs = [found[k] for found in rounds]
        wall, per_core = statistics.median(run[2] for run in runs), statistics.median(run[4] for run in runs)
        out.append((n, name, wall, n / wall, per_core, max(run[5] for run in runs)))  # the rate of the median wall
    return out


def _table(rows: list[tuple], before: str | None, same: bool, rounds: list[list[list[tuple]]]) -> str:
    """The results as a Markdown table with its notes: per-core rates against both floors (medians of the rounds),
    and each `tag` run against the chunked floor of its own round."""
    lines = [
        (
            f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            "Per core: documents per CPU second of all the run's processes. The two floors are the same model's "
            "`predict_proba` in one process with no reading, parsing or writing: in one call on every text (what the "
            f"issue set as the floor), and in chunks of {CHUNK} as `tag` calls it. Each ratio of the table compares a "
            "run's median per-core "
            f"rate with a floor's (measured up to {FLOOR_LIMIT:,} documents; larger sizes use the {FLOOR_LIMIT:,} "
            "floors). "
            "Times include starting Python, loading the model and, for Dask, starting the cluster. The reference row "
            "is not a floor: it is the model's whole reading (`Model.read`, the rules included) in one process. "
            f"Every run of a size took its turn in each of {len(rounds[0]) if rounds else 0} rounds; the table shows "
            "the medians of the rounds (the peak: the highest)."
        ),
        "",
        "| documents | run | wall s | documents/s | per core | vs one-call floor | vs chunked floor | peak RSS |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    floors: dict[str, dict[int, float]] = {"one call": {}, "in chunks": {}}
    for n, name, wall, rate, per_core, peak in rows:
        for kind, by_size in floors.items():
            if name.startswith("floor") and kind in name:
                by_size[n] = per_core
    for n, name, wall, rate, per_core, peak in rows:
        ratios = []
        for by_size in floors.values():
            reference = by_size.get(n) or by_size.get(max((k for k in by_size if k <= n), default=0))
            ratios.append(f"{per_core / reference:.2f}x" if reference else "")
        lines.append(
            f"| {n:,} | {name} | {wall:.1f} | {rate:,.0f} | {per_core:,.0f} | {ratios[0]} | {ratios[1]} | "
            f"{peak / 2**20:,.0f} MB |"
        )
    lines += ["", _reference_line(rows), "", _rounds_line(rounds)]
    if before:
        lines += ["", _before_line(rows, before, same)]
    return "\n".join(lines)


def _rounds_line(rounds: list[list[list[tuple]]]) -> str:
    """Each `tag` run of this checkout against the chunked floor of the same round, per core, round by round."""
    parts = []
    for by_round in rounds:
        floors = [_chunked_floor(found) for found in by_round]
        if None in floors:
            continue
        for k, (n, name, *_) in enumerate(by_round[0]):
            if name.startswith("`tag"):
                ratios = [found[k][4] / floor for found, floor in zip(by_round, floors)]
                listed = ", ".join(f"{ratio:.2f}x" for ratio in ratios)
                parts.append(f"{name.strip('`')} at {n:,}: {listed} (median {statistics.median(ratios):.2f}x)")
    listed = "; ".join(parts) or f"none (the floors are measured up to {FLOOR_LIMIT:,} documents)"
    return f"Against the chunked floor of the same round, per core, round by round: {listed}."


def _chunked_floor(found: list[tuple]) -> float | None:
    """The chunked floor's documents per CPU second among one round's rows (None: none measured)."""
    return next((row[4] for row in found if row[1].startswith("floor") and "chunks" in row[1]), None)


def _reference_line(rows: list[tuple]) -> str:
    """`tag`'s per-core rate against the model's whole reading in one process (the reference row), size by size."""
    reference = {n: rate for n, name, _, _, rate, _ in rows if name.startswith("reference")}
    ratios = [
        f"{name.strip('`')} {rate / reference[n]:.2f}x at {n:,}"
        for n, name, _, _, rate, _ in rows
        if name.startswith("`tag --jobs") and n in reference
    ]
    return (
        "Tagging against the reference (`Model.read` in one process, the rules included; not the issue's floor), "
        f"per core: {', '.join(ratios) or f'none (it is measured up to {FLOOR_LIMIT:,} documents)'}."
    )


def _before_line(rows: list[tuple], before: str, same: bool) -> str:
    """The floors' and `tag`'s speed-up over `before`'s, size by size, and whether all the floors computed the same
    numbers."""
    per_core = {(n, name): rate for n, name, _, _, rate, _ in rows}
    ratios = []
    for (n, name), rate in per_core.items():
        if name.startswith("floor"):
            old = per_core[(n, name.replace("floor", f"before ({before})", 1))]
            kind = "in chunks" if "chunks" in name else "one call"
            ratios.append(f"{rate / old:.2f}x at {n:,} ({kind})")
    tags = [
        f"{name.strip('`')} {rate / per_core[(n, f'before ({before}): {name}')]:.2f}x at {n:,}"
        for (n, name), rate in per_core.items()
        if (n, f"before ({before}): {name}") in per_core
    ]
    tagged = f" Tagging against {before}'s, per core: {', '.join(tags)}." if tags else ""
    return (
        f"Floors against {before}'s, per core: {', '.join(ratios)}.{tagged} Every floor of this run, this checkout's "
        f"and {before}'s, computed the same probabilities for every document: {'yes' if same else 'NO'}."
    )


if __name__ == "__main__":
    main()
