"""Benchmark: peak memory reading huge inputs with the text limit on and off, loading hostile bundles, and the bounded
readers' speed.

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
    """The hostile inputs: a 200 MB file, a 10 MB JSONL line, a 50 MB CSV and Parquet cell, a CSV row of 10M commas."""
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
        handle.write(
            json.dumps({"id": "huge", "title": "Huge", "text": SENTENCE * (10 * 1024 * 1024 // len(SENTENCE))}) + "\n"
        )
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
    paths["CSV row of 10M commas"] = folder / "commas.csv"
    with open(paths["CSV row of 10M commas"], "w", encoding="utf-8") as handle:
        handle.write("id,title,text\nwide,Wide," + "," * 10_000_000 + "\n")
        for r in normal[:100]:
            handle.write(f"{r['id']},,{json.dumps(r['text'][:200])}\n")
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


def build_bundles(folder: Path) -> dict[str, tuple[Path, str]]:
    """Hostile bundles (issue 15): each a copy of the shipped one with one thing changed and its checksums
    rewritten, as an attacker would. Returns name -> (bundle, what to do with it: "load" or "base")."""
    import gzip
    import hashlib
    import shutil
    import zipfile

    import numpy as np

    shipped = ROOT / "models" / "default"

    def copy(name: str) -> Path:
        bundle = folder / name
        shutil.copytree(shipped, bundle)
        return bundle

    def reseal(bundle: Path) -> None:
        meta = json.loads((bundle / "model.json").read_text())
        for name in meta["payload_sha256"]:
            meta["payload_sha256"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
        (bundle / "model.json").write_text(json.dumps(meta))

    bundles = {"the shipped bundle": (copy("shipped"), "load")}
    bomb = copy("zip-bomb")
    with zipfile.ZipFile(bomb / "model.npz", "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (400 << 17,)}
            )
            for _ in range(400):
                member.write(bytes(1 << 20))
    reseal(bomb)
    bundles["model.npz with an extra 400 MB zip-bomb member"] = (bomb, "load")
    inflated = copy("inflated-coef")
    with np.load(shipped / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    with zipfile.ZipFile(inflated / "model.npz", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                if name == "coef":  # declares 400 MB of zeros where 3.7 MB belong
                    np.lib.format.write_array_header_1_0(
                        member,
                        {
                            "descr": "<f4",
                            "fortran_order": False,
                            "shape": (len(arrays["intercept"]), (100 << 20) // len(arrays["intercept"])),
                        },
                    )
                    for _ in range(400):
                        member.write(bytes(1 << 20))
                else:
                    np.lib.format.write_array(member, array)
    reseal(inflated)
    bundles["model.npz whose coef declares 400 MB"] = (inflated, "load")
    ngrams = copy("ngram-range")
    meta = json.loads((ngrams / "model.json").read_text())
    meta["params"]["ngram_range"] = [1, 100000]
    (ngrams / "model.json").write_text(json.dumps(meta))
    bundles['params "ngram_range": [1, 100000]'] = (ngrams, "load")
    zero = copy("dev-zero")
    (zero / "model.json").unlink()
    (zero / "model.json").symlink_to("/dev/zero")
    bundles["model.json a symlink to /dev/zero"] = (zero, "load")
    gz = copy("gzip-bomb")
    with gzip.GzipFile(gz / "training.jsonl.gz", "wb", compresslevel=1) as stream:
        line = (
            json.dumps({"id": "x", "title": "", "text": SENTENCE * 20, "labels": ["Elections"], "origin": ""}) + "\n"
        ).encode()
        for _ in range((1100 << 20) // len(line)):
            stream.write(line)
    reseal(gz)
    bundles["training.jsonl.gz inflating to 1.1 GB (train --base)"] = (gz, "base")
    bundles["the shipped bundle's own training documents (train --base)"] = (bundles["the shipped bundle"][0], "base")
    return bundles


def bundle_child(path: str, action: str) -> None:
    """Load the bundle (or read its training documents) and report peak memory, time and the outcome."""
    import numpy  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    from classifier.bundle.documents import read_base_documents
    from classifier.bundle.storage import BundleError, load_model

    resident = memory_mb("VmRSS")
    start = time.perf_counter()
    try:
        if action == "base":
            read_base_documents(path)
        else:
            load_model(path)
        outcome = "loaded"
    except BundleError as exc:
        reason = str(exc).split("; retrain")[0].removeprefix(path).lstrip("/")
        outcome = "refused: " + (reason if len(reason) <= 100 else reason[:97].rsplit(" ", 1)[0] + " ...")
    seconds = time.perf_counter() - start
    print(json.dumps({"added_mb": memory_mb("VmHWM") - resident, "seconds": seconds, "outcome": outcome}))


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
    parser.add_argument("--bundle-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if args.bundle_child:
        bundle_child(*args.bundle_child)
        return

    from classifier.bundle.checks import MAX_ARRAY_BYTES, MAX_METADATA_BYTES, MAX_TRAINING_BYTES, MAX_VOCABULARY_BYTES
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
        bundle_rows = []
        for name, (bundle, action) in build_bundles(Path(tmp)).items():
            runs = []
            for _ in range(3):
                result = subprocess.run(
                    [sys.executable, __file__, "--bundle-child", str(bundle), action],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                runs.append(json.loads(result.stdout))
            run = sorted(runs, key=lambda run: run["added_mb"])[1]
            bundle_rows.append(f"| {name} | {run['outcome']} | {run['added_mb']:.0f} MB, {run['seconds']:.1f} s |")
            print(bundle_rows[-1], flush=True)
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
            f"Loading hostile bundles (median of 3 processes). The limit: model.json {MAX_METADATA_BYTES >> 20} MB, "
            f"vocabulary.json {MAX_VOCABULARY_BYTES >> 20} MB, the arrays of model.npz {MAX_ARRAY_BYTES >> 20} MB "
            "uncompressed "
            f"in all, training.jsonl.gz {MAX_TRAINING_BYTES >> 20} MB uncompressed (classifier/bundle/checks.py):",
            "",
            "| bundle | outcome | memory added, time |",
            "| --- | --- | --- |",
            *bundle_rows,
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
