"""Run every robustness case against the real command line and write docs/robustness.md.

    python docs/robustness.py            # runs every case (about two minutes), rewrites docs/robustness.md
    python docs/robustness.py --check    # exits 1 if a case has no row in docs/robustness.md, or a row no case

A case is one function under @case(area, name): it builds its input in a fresh temporary folder (its
working directory, so paths in messages are short and the same on every run), runs `classifier`,
and returns an Outcome: the input, what the tool did, and what was lost. Add one, then rerun.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUTPUT = HERE / "robustness.md"
DEFAULT_MODEL = ROOT / "models" / "default"
EXAMPLE = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
SENTENCE = "Observers followed the vote count in every district and reported few irregularities. "


@dataclass(frozen=True)
class Outcome:
    input: str
    did: str
    lost: str


@dataclass(frozen=True)
class Case:
    area: str
    name: str
    run: Callable[[Path], Outcome]


CASES: list[Case] = []


def case(area: str, name: str):
    def register(function: Callable[[Path], Outcome]) -> Callable[[Path], Outcome]:
        CASES.append(Case(area, name, function))
        return function

    return register


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    def first_error(self) -> str:
        lines = self.stderr.strip().splitlines()
        # Timings ("0.4 s, 97 documents/s") would change the document on every run.
        return re.sub(r", [\d.]+ s, [\d.]+ documents/s", "", lines[0]) if lines else "(nothing on stderr)"

    def json_rows(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def classifier(folder: Path, *args: str, env: dict | None = None) -> Result:
    """Run the command line in `folder`, as a user would."""
    process = subprocess.run(
        [sys.executable, "-m", "classifier", *args],
        cwd=folder, capture_output=True, text=True, env={**os.environ, **(env or {})},
    )
    return Result(process.returncode, process.stdout, process.stderr)


def did(result: Result, rows: str = "") -> str:
    parts = [f"exit {result.code}"]
    if result.stderr.strip():
        parts.append(f"`{result.first_error()}`")
        extra = len(result.stderr.strip().splitlines()) - 1
        if extra:
            parts.append(f"(+{extra} more stderr line{'s' if extra > 1 else ''})")
    if rows:
        parts.append(rows)
    return "; ".join(parts)


def suggested(result: Result) -> str:
    """The rows `suggest --format json` printed: their paths and top field."""
    rows = result.json_rows()
    shown = ", ".join(f"{row['path']} → {row['labels'][0]}" for row in rows[:4])
    more = f", … ({len(rows)} in all)" if len(rows) > 4 else ""
    return f"{len(rows)} suggestion row{'s' if len(rows) != 1 else ''}" + (f": {shown}{more}" if rows else "")


def training_rows(n: int) -> list[dict]:
    return [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()[:n]]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


# Model files


class WritesAFile:
    """Unpickling this calls open(target, "w"): a stand-in for any code a pickle can run."""

    def __init__(self, target: str):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def copy_default_model(folder: Path) -> Path:
    bundle = folder / "bundle"
    shutil.copytree(DEFAULT_MODEL, bundle)
    return bundle


def fix_checksum(bundle: Path, name: str) -> None:
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    meta["payload_sha256"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")


@case("Model files", "a bundle carrying pickled code")
def pickled_code(folder: Path) -> Outcome:
    import numpy as np

    bundle = copy_default_model(folder)
    marker = folder / "pwned"
    with np.load(bundle / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    payload = np.empty(1, dtype=object)
    payload[0] = WritesAFile(str(marker))
    arrays["coef"] = payload
    np.savez(bundle / "model.npz", **arrays, allow_pickle=True)
    (bundle / "model.joblib").write_bytes(pickle.dumps(WritesAFile(str(marker))))
    fix_checksum(bundle, "model.npz")  # the attacker controls the checksums too
    shutil.copy(EXAMPLE, folder / "page.txt")
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle")
    return Outcome(
        "the shipped bundle with an object array whose unpickling opens a file, valid checksums, and a `model.joblib` pickle beside it",
        did(result),
        "nothing: the payload's file was never created" if not marker.exists() else "**the payload ran**",
    )


@case("Model files", "a truncated model.npz")
def truncated_arrays(folder: Path) -> Outcome:
    bundle = copy_default_model(folder)
    data = (bundle / "model.npz").read_bytes()
    (bundle / "model.npz").write_bytes(data[: len(data) // 2])
    shutil.copy(EXAMPLE, folder / "page.txt")
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle")
    return Outcome("the shipped bundle with `model.npz` cut to half its size", did(result), "nothing")


@case("Model files", "a bundle from another program")
def foreign_bundle(folder: Path) -> Outcome:
    bundle = folder / "bundle"
    bundle.mkdir()
    (bundle / "model.json").write_text(json.dumps({"name": "some other tool", "version": 3}), encoding="utf-8")
    (bundle / "weights.bin").write_bytes(os.urandom(256))
    shutil.copy(EXAMPLE, folder / "page.txt")
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle")
    return Outcome("a directory with another tool's `model.json` and a binary file", did(result), "nothing")


@case("Model files", "a bundle built with another scikit-learn")
def other_sklearn(folder: Path) -> Outcome:
    bundle = copy_default_model(folder)
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    meta["versions"]["scikit-learn"] = "1.4.2"
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    shutil.copy(EXAMPLE, folder / "page.txt")
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle")
    return Outcome("the shipped bundle claiming scikit-learn 1.4.2", did(result), "nothing")


# Pages and text


def suggest_case(folder: Path, files: dict[str, bytes], description: str, *extra: str) -> Outcome:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    result = classifier(folder, "suggest", *files, "--format", "json", "--top", "1", *extra)
    return Outcome(description, did(result, suggested(result)), "nothing")


MENUS = "-\nFields of work\n- Elections\n- Policing\n-\nWhere we are\n- Vienna\n- Skopje\n"


@case("Pages and text", "menus without a body")
def menus_only(folder: Path) -> Outcome:
    return suggest_case(folder, {"menus.txt": MENUS.encode()}, "a scraped page that is only navigation menus")


@case("Pages and text", "a body without menus")
def body_only(folder: Path) -> Outcome:
    body = "Judges and prosecutors met in Tirana to discuss the new criminal procedure code.\n"
    return suggest_case(folder, {"body.txt": body.encode()}, "one paragraph of plain text, no title, no menus")


@case("Pages and text", "NUL bytes")
def nul_bytes(folder: Path) -> Outcome:
    page = EXAMPLE.read_bytes()
    return suggest_case(
        folder,
        {"nul.txt": page[:400] + b"\x00\x00" + page[400:], "ok.txt": page},
        "a page with two NUL bytes in it, next to a clean copy",
    )


@case("Pages and text", "mixed line endings")
def mixed_endings(folder: Path) -> Outcome:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    mixed = "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(lines))
    return suggest_case(folder, {"mixed.txt": mixed.encode()}, "the example page with `\\r\\n`, `\\n` and `\\r` in turn")


@case("Pages and text", "mixed encodings")
def mixed_encodings(folder: Path) -> Outcome:
    data = "Élections à Genève\n".encode("utf-8") + "Observers in Genève – the count was calm.\n".encode("cp1252")
    return suggest_case(folder, {"mixed.txt": data}, "a UTF-8 line followed by a Windows-1252 line")


@case("Pages and text", "a binary file")
def binary_file(folder: Path) -> Outcome:
    return suggest_case(
        folder,
        {"image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64), "ok.txt": EXAMPLE.read_bytes()},
        "PNG bytes named `.txt`, next to a real page",
    )


@case("Pages and text", "a symlink loop in a directory")
def symlink_loop(folder: Path) -> Outcome:
    (folder / "pages").mkdir()
    shutil.copy(EXAMPLE, folder / "pages" / "a.txt")
    os.symlink("..", folder / "pages" / "loop")
    result = classifier(folder, "suggest", "pages", "--format", "json", "--top", "1")
    return Outcome("a directory holding a page and a symlink to its own parent", did(result, suggested(result)), "nothing")


# Size limits


def cut_case(folder: Path, name: str, description: str) -> Outcome:
    result = classifier(folder, "suggest", name, "--format", "json", "--top", "1")
    return Outcome(description, did(result, suggested(result)), "the text after the first 2,000,000 characters of the cut document, as the warning says")


@case("Size limits", "a 200 MB text file")
def huge_file(folder: Path) -> Outcome:
    with open(folder / "huge.txt", "w", encoding="utf-8") as handle:
        handle.write(EXAMPLE.read_text(encoding="utf-8"))
        paragraph = SENTENCE * 20 + "\n"
        for _ in range(200 * 1024 * 1024 // len(paragraph)):
            handle.write(paragraph)
    return cut_case(folder, "huge.txt", "the example page followed by 200 MB of paragraphs")


@case("Size limits", "a 10 MB JSONL line")
def huge_line(folder: Path) -> Outcome:
    rows = training_rows(3)
    rows.insert(1, {"id": "huge", "title": "Count observed", "text": SENTENCE * (10 * 1024 * 1024 // len(SENTENCE))})
    write_jsonl(folder / "docs.jsonl", rows)
    return cut_case(folder, "docs.jsonl", "four rows, the second with a 10 MB text")


@case("Size limits", "a 50 MB CSV cell")
def huge_csv_cell(folder: Path) -> Outcome:
    import csv

    with open(folder / "docs.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text"])
        writer.writerow(["huge", "Count observed", SENTENCE * (50 * 1024 * 1024 // len(SENTENCE))])
        writer.writerows([row["id"], row["title"], row["text"]] for row in training_rows(2))
    return cut_case(folder, "docs.csv", "three rows, the first with a 50 MB text cell")


@case("Size limits", "a 50 MB Parquet cell")
def huge_parquet_cell(folder: Path) -> Outcome:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": "huge", "title": "Count observed", "text": SENTENCE * (50 * 1024 * 1024 // len(SENTENCE))}]
    rows += [{"id": row["id"], "title": row["title"], "text": row["text"]} for row in training_rows(2)]
    pq.write_table(pa.Table.from_pylist(rows), folder / "docs.parquet")
    return cut_case(folder, "docs.parquet", "three rows, the first with a 50 MB text cell")


# Tables


def table_case(folder: Path, name: str, text: str, description: str, lost: str) -> Outcome:
    (folder / name).write_text(text, encoding="utf-8")
    result = classifier(folder, "suggest", name, "--format", "json", "--top", "1")
    return Outcome(description, did(result, suggested(result)), lost)


@case("Tables", "CSV with quoted newlines")
def csv_quoted_newlines(folder: Path) -> Outcome:
    text = 'id,title,text\na,Count observed,"Observers watched\nthe count\nin Bishkek."\nb,Police trained,"Officers, in Skopje, trained."\n'
    return table_case(folder, "docs.csv", text, "two rows whose quoted text spans lines and holds commas", "nothing")


@case("Tables", "CSV with a stray quote")
def csv_stray_quote(folder: Path) -> Outcome:
    text = (
        "id,title,text\n"
        "a,Count observed,Observers watched the count.\n"
        'b,Police trained,"Officers trained in Skopje.\n'
        "c,Judges met,Judges met in Tirana.\n"
        "d,Youth forum,A youth forum opened in Vienna.\n"
    )
    return table_case(folder, "docs.csv", text, "four rows; row b opens a quote it never closes", "row b only (reported with its line)")


@case("Tables", "JSONL with a broken line")
def jsonl_broken_line(folder: Path) -> Outcome:
    rows = [json.dumps(row) for row in training_rows(3)]
    rows.insert(1, '{"id": "broken", "text": "cut off in the mid')
    (folder / "docs.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = classifier(folder, "suggest", "docs.jsonl", "--format", "json", "--top", "1")
    return Outcome("four lines, the second cut off mid-string", did(result, suggested(result)), "line 2 only (reported by number)")


@case("Tables", "Parquet with a missing column")
def parquet_missing_column(folder: Path) -> Outcome:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", "b"], "body": ["Observers watched the count.", "Officers trained."]}), folder / "docs.parquet")
    result = classifier(folder, "suggest", "docs.parquet", "--format", "json")
    return Outcome("a table whose text column is called `body`", did(result, suggested(result)), "nothing: `--text-column body` reads it")


def unknown_labels_table(folder: Path) -> None:
    rows = training_rows(40)
    rows[3]["labels"] = ["Elections", "Climate"]
    rows[7]["labels"] = ["Cyber crime"]
    write_jsonl(folder / "docs.jsonl", rows)


@case("Tables", "unknown labels, train")
def unknown_labels_train(folder: Path) -> Outcome:
    unknown_labels_table(folder)
    result = classifier(folder, "train", "docs.jsonl", "--output", "bundle")
    written = "a bundle was written" if (folder / "bundle").exists() else "no bundle written"
    return Outcome("40 labelled rows, two with labels that are not fields", did(result, written), "nothing: no model is trained on misread labels")


@case("Tables", "unknown labels, tag")
def unknown_labels_tag(folder: Path) -> Outcome:
    unknown_labels_table(folder)
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.jsonl")
    rows = [json.loads(line) for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()] if (folder / "tags.jsonl").exists() else []
    failed = sum(1 for row in rows if row["error"])
    return Outcome("the same 40 rows", did(result, f"{len(rows)} rows in tags.jsonl, {failed} with an error"), "nothing: tagging ignores the labels column")


# Paths


@case("Paths", "train --output is the input's folder")
def train_output_is_input(folder: Path) -> Outcome:
    (folder / "data").mkdir()
    write_jsonl(folder / "data" / "train.jsonl", training_rows(60))
    before = (folder / "data" / "train.jsonl").read_bytes()
    result = classifier(folder, "train", "data/train.jsonl", "--output", "data")
    kept = (folder / "data" / "train.jsonl").read_bytes() == before
    return Outcome("`train data/train.jsonl --output data`", did(result), "nothing: the data is untouched" if kept else "**the training data**")


@case("Paths", "train --output is a folder of other files")
def train_output_is_other_folder(folder: Path) -> Outcome:
    write_jsonl(folder / "train.jsonl", training_rows(60))
    (folder / "Documents").mkdir()
    (folder / "Documents" / "notes.txt").write_text("precious", encoding="utf-8")
    result = classifier(folder, "train", "train.jsonl", "--output", "Documents")
    kept = (folder / "Documents" / "notes.txt").exists()
    return Outcome("`train train.jsonl --output Documents`, a folder holding notes.txt", did(result), "nothing" if kept else "**Documents/notes.txt**")


# Crash safety


KILL_BETWEEN_RENAMES = r"""
import os, signal, sys
real_replace = os.replace
def replace(src, dst):
    if os.path.abspath(dst) == os.path.abspath("bundle"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst)
os.replace = replace
from classifier.cli import main
sys.argv[0] = "classifier"
main()
"""


def previous_bundle_state(folder: Path) -> str:
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle", "--format", "json", "--top", "1")
    if result.code != 0:
        return f"**the bundle does not load**: `{result.first_error()}`"
    leftovers = sorted(p.name for p in folder.iterdir() if p.name.startswith(".bundle"))
    documents = json.loads((folder / "bundle" / "model.json").read_text(encoding="utf-8"))["training_data"]["documents"]
    which = "the previous bundle" if documents != 60 else "the new bundle"
    return f"nothing: {which} loads and suggests{'; leftovers: ' + ', '.join(leftovers) if leftovers else ''}"


@case("Crash safety", "train killed between the two renames of the swap")
def train_killed_mid_swap(folder: Path) -> Outcome:
    copy_default_model(folder)
    shutil.copy(EXAMPLE, folder / "page.txt")
    write_jsonl(folder / "train.jsonl", training_rows(60))
    process = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, "train", "train.jsonl", "--output", "bundle"],
        cwd=folder, capture_output=True, text=True,
    )
    gone = "the bundle path was empty" if not (folder / "bundle").exists() else "the bundle path was still there"
    return Outcome(
        "`train` over an existing bundle, SIGKILLed after moving the old bundle aside and before moving the new one in",
        f"killed (exit {process.returncode}); {gone}",
        previous_bundle_state(folder),
    )


def kill_when_building(process: subprocess.Popen, folder: Path, timeout: float = 300) -> bool:
    """SIGKILL `process` as soon as its new bundle starts to appear beside the old one; False if it ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if any(p.name.endswith(".tmp") for p in folder.iterdir() if p.name.startswith(".bundle.")):
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.wait()
    return False


@case("Crash safety", "train killed from outside while saving")
def train_killed_from_outside(folder: Path) -> Outcome:
    copy_default_model(folder)
    shutil.copy(EXAMPLE, folder / "page.txt")
    write_jsonl(folder / "train.jsonl", training_rows(60))
    process = subprocess.Popen(
        [sys.executable, "-m", "classifier", "train", "train.jsonl", "--output", "bundle"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    killed = kill_when_building(process, folder)
    return Outcome(
        "`train` over an existing bundle, SIGKILLed by another process as soon as the new bundle's directory appears",
        f"killed (exit {process.returncode})" if killed else f"finished before the kill (exit {process.returncode})",
        previous_bundle_state(folder),
    )


def tag_corpus(folder: Path, n: int = 200) -> Path:
    write_jsonl(folder / "docs.jsonl", [{"id": r["id"], "title": r["title"], "text": r["text"]} for r in training_rows(n)])
    return folder / "docs.jsonl"


def tag_rows_state(folder: Path, n: int) -> str:
    """Whether tags.jsonl holds every input document exactly once, in input order."""
    rows = [json.loads(line) for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    ids = [row["id"] for row in rows]
    expected = [r["id"] for r in training_rows(n)]
    if ids == expected:
        return f"nothing: all {n} documents once each, in input order"
    missing, doubled = len(set(expected) - set(ids)), len(ids) - len(set(ids))
    return f"**{missing} documents missing, {doubled} doubled**"


def kill_when_rows(process: subprocess.Popen, output: Path, size: int, timeout: float = 120) -> bool:
    """Signal `process` (its whole process group, as a terminal does) once `output` passes `size` bytes."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if output.exists() and output.stat().st_size > size:
            return True
        time.sleep(0.005)
    return False


@case("Crash safety", "tag killed with SIGKILL, then --resume")
def tag_killed(folder: Path) -> Outcome:
    tag_corpus(folder)
    command = [sys.executable, "-m", "classifier", "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "1"]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hit = kill_when_rows(process, folder / "tags.jsonl", 20_000)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = len((folder / "tags.jsonl").read_text(encoding="utf-8").splitlines())
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "1", "--resume")
    return Outcome(
        "`tag` of 200 rows, SIGKILLed part way (chunks of 10), then the same command with `--resume`",
        f"killed {'after' if hit else 'before'} its first rows, leaving whole rows only ({'a multiple of 10' if before % 10 == 0 else 'not a multiple of 10'}); "
        + did(result),
        tag_rows_state(folder, 200),
    )


@case("Crash safety", "tag interrupted with Ctrl-C, then --resume")
def tag_interrupted(folder: Path) -> Outcome:
    tag_corpus(folder)
    command = [sys.executable, "-m", "classifier", "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "2"]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    kill_when_rows(process, folder / "tags.jsonl", 40_000)
    os.killpg(process.pid, signal.SIGINT)
    stderr = process.communicate()[1]
    first = Result(process.returncode, "", stderr)
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "2", "--resume")
    return Outcome(
        "`tag --jobs 2` of 200 rows, SIGINT to its process group (the command and its workers) part way, then `--resume`",
        f"{did(first)}; then {did(result)}",
        tag_rows_state(folder, 200),
    )


@case("Paths", "tag --output is one of its inputs")
def tag_output_is_input(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    before = (folder / "docs.jsonl").read_bytes()
    result = classifier(folder, "tag", "docs.jsonl", "--output", "docs.jsonl", "--force")
    kept = (folder / "docs.jsonl").read_bytes() == before
    return Outcome("`tag docs.jsonl --output docs.jsonl --force`", did(result), "nothing: the input is untouched" if kept else "**the input**")


# The document


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render(outcomes: list[tuple[Case, Outcome]]) -> str:
    lines = [
        "# Robustness: what the tool does with hostile inputs, broken files and kills",
        "",
        "*Generated by `python docs/robustness.py`, which builds each input in a temporary folder and runs the real",
        "command line on it; edit the script, not this file. Paths are relative to that folder.*",
        "",
        "Every case ends in a result or in a one-line error naming the input, never in a traceback; the last",
        "column says what, if anything, did not make it through.",
    ]
    area = None
    for case_, outcome in outcomes:
        if case_.area != area:
            area = case_.area
            lines += ["", f"## {area}", "", "| case | input | what the tool did | lost |", "| --- | --- | --- | --- |"]
        lines.append(f"| {cell(case_.name)} | {cell(outcome.input)} | {cell(outcome.did)} | {cell(outcome.lost)} |")
    return "\n".join(lines) + "\n"


def rows_in(markdown: str) -> set[tuple[str, str]]:
    """(area, case name) of every row of a generated document."""
    found, area = set(), None
    for line in markdown.splitlines():
        if line.startswith("## "):
            area = line[3:]
        elif line.startswith("| ") and not line.startswith(("| case |", "| --- |")):
            found.add((area, line[2:].split(" | ", 1)[0].replace("\\|", "|")))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Exit 1 if docs/robustness.md and the cases differ.")
    parser.add_argument("--only", help="Run only the cases whose name contains this text, and print them.")
    args = parser.parse_args()
    registered = {(c.area, c.name) for c in CASES}
    if args.check:
        documented = rows_in(OUTPUT.read_text(encoding="utf-8")) if OUTPUT.exists() else set()
        for area, name in sorted(registered - documented):
            print(f"no row for case '{name}' ({area}): run python docs/robustness.py", file=sys.stderr)
        for area, name in sorted(documented - registered):
            print(f"row '{name}' ({area}) has no case any more: run python docs/robustness.py", file=sys.stderr)
        sys.exit(1 if registered != documented else 0)
    outcomes = []
    for case_ in CASES:
        if args.only and args.only not in case_.name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            outcome = case_.run(Path(tmp))
        print(f"{case_.area} / {case_.name} ({time.perf_counter() - start:.1f} s): {outcome.did} → lost: {outcome.lost}", flush=True)
        outcomes.append((case_, outcome))
    if not args.only:
        OUTPUT.write_text(render(outcomes), encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
