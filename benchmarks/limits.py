"""Benchmark: peak memory reading huge inputs with the text limit on and off, and the bounded readers' speed.

Run from the repository root with the project installed:
    python benchmarks/limits.py [--write benchmarks/README.md]
Each measurement runs in a new process; "added" is its peak resident memory minus the peak it had
after imports, so it is what reading the input cost. Compare the ratios, not the megabytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import publish

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
SENTENCE = "Observers followed the vote count in every district and reported few irregularities. "
NO_LIMIT = 10**12


def build_inputs(folder: Path) -> dict[str, Path]:
    """The issue's four hostile inputs: a 200 MB file, a 10 MB JSONL line, a 50 MB CSV and Parquet cell."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = {}
    paths["200 MB text file"] = folder / "huge.txt"
    with open(paths["200 MB text file"], "w", encoding="utf-8") as handle:
        handle.write("A very long report\n")
        paragraph = (SENTENCE * 20) + "\n"
        for _ in range(200 * 1024 * 1024 // len(paragraph)):
            handle.write(paragraph)
    normal = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:200]
    paths["10 MB JSONL line"] = folder / "line.jsonl"
    with open(paths["10 MB JSONL line"], "w", encoding="utf-8") as handle:
        for row in normal[:100]:
            handle.write(json.dumps(row) + "\n")
        handle.write(json.dumps({"id": "huge", "title": "Huge", "text": SENTENCE * (10 * 1024 * 1024 // len(SENTENCE))}) + "\n")
        for row in normal[100:]:
            handle.write(json.dumps(row) + "\n")
    big_cell = SENTENCE * (50 * 1024 * 1024 // len(SENTENCE))
    paths["50 MB CSV cell"] = folder / "cell.csv"
    with open(paths["50 MB CSV cell"], "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text"])
        writer.writerows([r["id"], r["title"], r["text"]] for r in normal[:100])
        writer.writerow(["huge", "Huge", big_cell])
    paths["50 MB Parquet cell"] = folder / "cell.parquet"
    rows = [{"id": r["id"], "title": r["title"], "text": r["text"]} for r in normal[:100]]
    rows.append({"id": "huge", "title": "Huge", "text": big_cell})
    pq.write_table(pa.Table.from_pylist(rows), paths["50 MB Parquet cell"])
    return paths


def child(path: str, limit: int) -> None:
    """Read every document of `path` and report peak memory and time as JSON on stdout."""
    import pyarrow.compute  # noqa: F401  (imported here so that only reading counts, not importing)
    import pyarrow.parquet  # noqa: F401

    from classifier.corpus.documents import read_documents

    resident = memory_mb("VmRSS")
    start = time.perf_counter()
    documents = sum(1 for _ in read_documents([path], max_chars=limit))
    seconds = time.perf_counter() - start
    print(json.dumps({"added_mb": memory_mb("VmHWM") - resident, "seconds": seconds, "documents": documents}))


def memory_mb(field: str) -> float:
    # VmHWM is this process's peak resident memory. (getrusage's ru_maxrss is not: Linux carries
    # the parent's peak over into a child, which would hide everything below it.)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def measure(path: Path, limit: int, repeat: int = 3) -> dict:
    """The median run of `repeat`, each in a new process."""
    runs = []
    for _ in range(repeat):
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(path), str(limit)], check=True, capture_output=True, text=True
        )
        runs.append(json.loads(result.stdout))
    return sorted(runs, key=lambda run: run["added_mb"])[len(runs) // 2]


def reader_speed(folder: Path, rows: int = 20_000) -> list[tuple[str, float, float]]:
    """Seconds to read `rows` ordinary records: our bounded readers against csv.reader and json.loads."""
    from classifier.io.csvtable import read_csv_records
    from classifier.io.jsonl import read_json_lines

    base = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    records = [base[i % len(base)] for i in range(rows)]
    csv_path, jsonl_path = folder / "speed.csv", folder / "speed.jsonl"
    with open(csv_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text", "labels"])
        writer.writerows([r["id"], r["title"], r["text"], ";".join(r.get("labels", []))] for r in records)
    jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    def best(fn) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    def with_csv_module():
        with open(csv_path, newline="", encoding="utf-8") as handle:
            for _ in csv.reader(handle):
                pass

    def with_csvtable():
        with open(csv_path, "rb") as handle:
            for _ in read_csv_records(handle, 2_000_000):
                pass

    def with_json_loads():
        with open(jsonl_path, "rb") as handle:
            for line in handle:
                json.loads(line)

    def with_jsonl():
        with open(jsonl_path, "rb") as handle:
            for _ in read_json_lines(handle, 2_000_000):
                pass

    megabytes = csv_path.stat().st_size / 1e6
    return [
        (f"CSV, {rows:,} rows ({megabytes:.0f} MB)", best(with_csv_module), best(with_csvtable)),
        (f"JSONL, {rows:,} rows ({jsonl_path.stat().st_size / 1e6:.0f} MB)", best(with_json_loads), best(with_jsonl)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return

    from classifier.io.textio import DEFAULT_MAX_TEXT_CHARS

    memory_rows, speed_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in build_inputs(Path(tmp)).items():
            limited = measure(path, DEFAULT_MAX_TEXT_CHARS)
            whole = measure(path, NO_LIMIT)
            assert limited["documents"] == whole["documents"]
            memory_rows.append(
                f"| {name} | {limited['added_mb']:.0f} MB, {limited['seconds']:.1f} s "
                f"| {whole['added_mb']:.0f} MB, {whole['seconds']:.1f} s "
                f"| {limited['added_mb'] / max(whole['added_mb'], 1):.2f}x |"
            )
            print(memory_rows[-1], flush=True)
        for name, stdlib, ours in reader_speed(Path(tmp)):
            speed_rows.append(f"| {name} | {stdlib:.2f} s | {ours:.2f} s | {ours / stdlib:.2f}x |")
            print(speed_rows[-1], flush=True)

    table = "\n".join(
        [
            f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"memory is the peak added by reading every document of the input (median of 3 processes).",
            "",
            f"| input | limit {DEFAULT_MAX_TEXT_CHARS:,} characters (default) | no limit | memory ratio |",
            "| --- | --- | --- | --- |",
            *memory_rows,
            "",
            "Reading ordinary tables (records only, no page parsing), best of 3:",
            "",
            "| input | csv.reader / json.loads | csvtable / jsonl (bounded) | ratio |",
            "| --- | --- | --- | --- |",
            *speed_rows,
        ]
    )
    publish(table, args.write, "limits")


if __name__ == "__main__":
    main()
