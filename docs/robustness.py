"""Run every robustness case against the real command line and write docs/robustness.md.

    python docs/robustness.py            # runs every case (about two minutes), rewrites docs/robustness.md
    python docs/robustness.py --check    # re-runs every case; exits 1 if any outcome differs from docs/robustness.md,
                                         # a case has no row, a row no case, or an outcome is marked as a failure
                                         (**...**)

A case is one function under @case(area, name): it builds its input in a fresh temporary folder (its
working directory, so paths in messages are short and the same on every run), runs `classifier`,
and returns an Outcome: the input, what the tool did, and what was lost. Add one, then rerun.
"""

from __future__ import annotations

import argparse
import gzip
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
        # Timings ("0.4 s, 97 documents/s") and process ids would change the document on every run.
        if not lines:
            return "(nothing on stderr)"
        return re.sub(r"process \d+", "process PID", re.sub(r", [\d.]+ s, [\d.]+ documents/s", "", lines[0]))

    def json_rows(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def classifier(folder: Path, *args: str, env: dict | None = None) -> Result:
    """Run the command line in `folder`, as a user would."""
    process = subprocess.run(
        [sys.executable, "-m", "classifier", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
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
    """The rows `suggest --format json` printed: their paths and top field (given none, their flag; a failed
    input's row, its failure)."""
    rows = result.json_rows()

    def outcome(row: dict) -> str:
        if row.get("error"):
            return "failed"
        return row["labels"][0] if row["labels"] else f"no field ({row.get('flag')})"

    shown = ", ".join(f"{row['path']} → {outcome(row)}" for row in rows[:4])
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
        "the shipped bundle with an object array whose unpickling opens a file, valid checksums, and a `model.joblib` "
        "pickle beside it",
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
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle", "--format", "json", "--top", "1")
    return Outcome(
        "the shipped bundle claiming scikit-learn 1.4.2 (a bundle holds no pickle: its probe, not a version, decides)",
        did(result, suggested(result)),
        "nothing",
    )


@case("Model files", "a bundle whose probe scores differently")
def probe_differs(folder: Path) -> Outcome:
    from classifier.bundle.probe import PROBE_TEXTS

    bundle = copy_default_model(folder)
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    meta["probe"] = {"texts": list(PROBE_TEXTS), "proba": [[0.5] * len(meta["labels"]) for _ in PROBE_TEXTS]}
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    shutil.copy(EXAMPLE, folder / "page.txt")
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle")
    return Outcome(
        "the shipped bundle with a probe in `model.json` (its fixed texts, every probability 0.5) that its arrays "
        "do not reproduce",
        did(result),
        "nothing",
    )


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


@case("Pages and text", "a text of a few words")
def few_words(folder: Path) -> Outcome:
    return suggest_case(
        folder,
        {"hello.txt": b"hello world\n", "query.txt": b"police reform\n"},
        "`hello world` and `police reform`, each a file of its own",
    )


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
    return suggest_case(
        folder, {"mixed.txt": mixed.encode()}, "the example page with `\\r\\n`, `\\n` and `\\r` in turn"
    )


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


@case("Pages and text", "an HTML page whose menu is a div of links")
def html_menu_div(folder: Path) -> Outcome:
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    title = lines.index("Press release") + 1
    start = lines.index("Fields of work") + 1
    names = [line[2:] for line in lines[start : lines.index("-", start)]]  # the Fields of work menu's 25 items
    menu = "".join(f'<li><a href="/{name}">{name}</a></li>' for name in names)
    paragraphs = "".join(f"<p>{line}</p>" for line in lines[title + 9 :] if line.strip())
    page = (
        f'<html><head><title>{lines[title]} | OSCE</title></head><body><div id="menu"><h2>Fields of work</h2>'
        f"<ul>{menu}</ul></div><h1>{lines[title]}</h1>{paragraphs}</body></html>"
    )
    (folder / "menu.html").write_text(page, encoding="utf-8")
    result = classifier(folder, "suggest", "menu.html", "--format", "json")
    row = (result.json_rows() or [{}])[0]
    return Outcome(
        'the Kyrgyzstan example\'s article in an HTML page whose menu (a `<div id="menu">` of links) names every field',
        did(result, f"title `{row.get('title')}`; accepted: {', '.join(row.get('labels', [])) or 'none'}"),
        "nothing: no menu text reaches the model",
    )


@case("Pages and text", "a page whose line breaks were collapsed")
def collapsed_page(folder: Path) -> Outcome:
    page = EXAMPLE.read_text(encoding="utf-8")
    rows = [{"id": "page", "text": page}, {"id": "joined", "text": " ".join(page.split())}]
    write_jsonl(folder / "pages.jsonl", rows)
    result = classifier(folder, "suggest", "pages.jsonl", "--format", "json")
    shown = "; ".join(
        f"{row.get('id')}: title `{row.get('title')}`, accepted {', '.join(row.get('labels') or []) or 'none'}"
        for row in result.json_rows()
    )
    return Outcome(
        "a JSONL table holding the Kyrgyzstan example page, and the same page with its lines joined by spaces"
        ' (`" ".join(text.split())`, as a table cell often holds a scraped page): its menus name every field',
        did(result, shown),
        "nothing: no menu text reaches the model",
    )


@case("Pages and text", "a page copied from a browser, without dashes")
def page_without_dashes(folder: Path) -> Outcome:
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    copied = "\n".join(line[2:] if line.startswith("- ") else line for line in lines if line != "-")
    (folder / "scraped.txt").write_text("\n".join(lines), encoding="utf-8")
    (folder / "copied.txt").write_text(copied, encoding="utf-8")
    result = classifier(folder, "parse", "scraped.txt", "copied.txt")
    shown = "; ".join(
        f"{row['path']}: fields {', '.join(row['fields']) or 'none'}, date {row['date']},"
        f" body opens `{row['body'][:30]}`"
        for row in result.json_rows()
    )
    return Outcome(
        "the Kyrgyzstan example page, and the same page as a browser's copy gives it: its menus' and header's dashes"
        " gone (`Date:`, `Fields of work:` alone on their lines, each value on a line of its own)",
        did(result, shown),
        "nothing: the header is read, and neither it nor the menus reach the model",
    )


@case("Pages and text", "a symlink loop in a directory")
def symlink_loop(folder: Path) -> Outcome:
    (folder / "pages").mkdir()
    shutil.copy(EXAMPLE, folder / "pages" / "a.txt")
    os.symlink("..", folder / "pages" / "loop")
    result = classifier(folder, "suggest", "pages", "--format", "json", "--top", "1")
    return Outcome(
        "a directory holding a page and a symlink to its own parent", did(result, suggested(result)), "nothing"
    )


# Size limits


def cut_case(folder: Path, name: str, description: str) -> Outcome:
    result = classifier(folder, "suggest", name, "--format", "json", "--top", "1")
    return Outcome(
        description,
        did(result, suggested(result)),
        "the text after the first 2,000,000 characters of the cut document, as the warning says",
    )


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
    text = (
        'id,title,text\na,Count observed,"Observers watched\nthe count\nin Bishkek."\n'
        'b,Police trained,"Officers, in Skopje, trained."\n'
    )
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
    return table_case(
        folder,
        "docs.csv",
        text,
        "four rows; row b opens a quote it never closes",
        "row b only (reported with its line)",
    )


@case("Tables", "JSONL with a broken line")
def jsonl_broken_line(folder: Path) -> Outcome:
    rows = [json.dumps(row) for row in training_rows(3)]
    rows.insert(1, '{"id": "broken", "text": "cut off in the mid')
    (folder / "docs.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = classifier(folder, "suggest", "docs.jsonl", "--format", "json", "--top", "1")
    return Outcome(
        "four lines, the second cut off mid-string", did(result, suggested(result)), "line 2 only (reported by number)"
    )


@case("Tables", "Parquet with a missing column")
def parquet_missing_column(folder: Path) -> Outcome:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"id": ["a", "b"], "body": ["Observers watched the count.", "Officers trained."]}),
        folder / "docs.parquet",
    )
    result = classifier(folder, "suggest", "docs.parquet", "--format", "json")
    return Outcome(
        "a table whose text column is called `body`",
        did(result, suggested(result)),
        "nothing: `--text-column body` reads it",
    )


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
    return Outcome(
        "40 labelled rows, two with labels that are not fields",
        did(result, written),
        "nothing: no model is trained on misread labels",
    )


@case("Tables", "unknown labels, tag")
def unknown_labels_tag(folder: Path) -> Outcome:
    unknown_labels_table(folder)
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.jsonl")
    rows = (
        [json.loads(line) for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
        if (folder / "tags.jsonl").exists()
        else []
    )
    failed = sum(1 for row in rows if row["error"])
    return Outcome(
        "the same 40 rows",
        did(result, f"{len(rows)} rows in tags.jsonl, {failed} with an error"),
        "nothing: tagging ignores the labels column",
    )


# Paths


def train_into(folder: Path, data: str, output: str, precious: Path, description: str, kept: str, lost: str) -> Outcome:
    """`train DATA --output OUTPUT` in `folder` (DATA written there first), and whether `precious` (the data itself,
    or a file of the user's in OUTPUT) is as it was."""
    write_jsonl(folder / data, training_rows(60))
    before = precious.read_bytes()
    result = classifier(folder, "train", data, "--output", output)
    same = precious.exists() and precious.read_bytes() == before
    return Outcome(description, did(result), kept if same else f"**{lost}**")


@case("Paths", "train --output is the input's folder")
def train_output_is_input(folder: Path) -> Outcome:
    (folder / "data").mkdir()
    data, description = folder / "data" / "train.jsonl", "`train data/train.jsonl --output data`"
    return train_into(
        folder, "data/train.jsonl", "data", data, description, "nothing: the data is untouched", "the training data"
    )


@case("Paths", "train --output is a folder of other files")
def train_output_is_other_folder(folder: Path) -> Outcome:
    (folder / "Documents").mkdir()
    (folder / "Documents" / "notes.txt").write_text("precious", encoding="utf-8")
    description = "`train train.jsonl --output Documents`, a folder holding notes.txt"
    return train_into(
        folder,
        "train.jsonl",
        "Documents",
        folder / "Documents" / "notes.txt",
        description,
        "nothing",
        "Documents/notes.txt",
    )


@case("Paths", "train --output is a folder of files named as a bundle's")
def train_output_named_like_a_bundle(folder: Path) -> Outcome:
    (folder / "corpus").mkdir()
    corpus = gzip.compress("".join(json.dumps(row) + "\n" for row in training_rows(200)).encode("utf-8"), mtime=0)
    (folder / "corpus" / "training.jsonl.gz").write_bytes(corpus)
    description = (
        "`train train.jsonl --output corpus`, a folder holding only the user's corpus gzipped as training.jsonl.gz"
    )
    return train_into(
        folder,
        "train.jsonl",
        "corpus",
        folder / "corpus" / "training.jsonl.gz",
        description,
        "nothing",
        "corpus/training.jsonl.gz",
    )


@case("Paths", "train --output . in an empty folder")
def train_output_is_the_working_folder(folder: Path) -> Outcome:
    write_jsonl(folder / "train.jsonl", training_rows(60))
    (folder / "work").mkdir()
    result = classifier(folder / "work", "train", "../train.jsonl", "--output", ".")
    left = sorted(p.name for p in (folder / "work").iterdir())
    return Outcome(
        "`train ../train.jsonl --output .`, run in an empty folder",
        did(result),
        "nothing; nothing written" if not left and (folder / "work").is_dir() else f"**left: {', '.join(left)}**",
    )


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
    # Leftovers of the killed save stay until the next save to the same path: loading writes nothing.
    leftovers = sorted(
        re.sub(r"\.\d+\.[^.]+\.tmp$", ".PID.*.tmp", re.sub(r"old-\d+$", "old-PID", p.name))
        for p in folder.iterdir()
        if p.name.startswith(".bundle")
    )
    bundle, where = folder / "bundle", ""
    if not bundle.exists():  # loading is read-only: the bundle moved aside is read where it is
        bundle = next(iter(sorted(folder.glob(".bundle.old-*"))), bundle)
        where = " from where the killed save moved it (the next save puts it back)"
    documents = json.loads((bundle / "model.json").read_text(encoding="utf-8"))["training_data"]["documents"]
    which = "the previous bundle" if documents != 60 else "the new bundle"
    return f"nothing: {which} loads and suggests{where}{'; leftovers: ' + ', '.join(leftovers) if leftovers else ''}"


@case("Crash safety", "train killed between the two renames of the swap")
def train_killed_mid_swap(folder: Path) -> Outcome:
    copy_default_model(folder)
    shutil.copy(EXAMPLE, folder / "page.txt")
    write_jsonl(folder / "train.jsonl", training_rows(60))
    process = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, "train", "train.jsonl", "--output", "bundle"],
        cwd=folder,
        capture_output=True,
        text=True,
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
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = kill_when_building(process, folder)
    return Outcome(
        "`train` over an existing bundle, SIGKILLed by another process as soon as the new bundle's directory appears",
        f"killed (exit {process.returncode})" if killed else f"finished before the kill (exit {process.returncode})",
        previous_bundle_state(folder),
    )


def tag_corpus(folder: Path, n: int = 200) -> Path:
    write_jsonl(
        folder / "docs.jsonl", [{"id": r["id"], "title": r["title"], "text": r["text"]} for r in training_rows(n)]
    )
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
    command = [
        sys.executable,
        "-m",
        "classifier",
        "tag",
        "docs.jsonl",
        "--output",
        "tags.jsonl",
        "--chunk-size",
        "10",
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hit = kill_when_rows(process, folder / "tags.jsonl", 20_000)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = len((folder / "tags.jsonl").read_text(encoding="utf-8").splitlines())
    result = classifier(
        folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "1", "--resume"
    )
    return Outcome(
        "`tag` of 200 rows, SIGKILLed part way (chunks of 10), then the same command with `--resume`",
        f"killed {'after' if hit else 'before'} its first rows, leaving whole rows only "
        f"({'a multiple of 10' if before % 10 == 0 else 'not a multiple of 10'}); " + did(result),
        tag_rows_state(folder, 200),
    )


@case("Crash safety", "tag interrupted with Ctrl-C, then --resume")
def tag_interrupted(folder: Path) -> Outcome:
    tag_corpus(folder)
    command = [
        sys.executable,
        "-m",
        "classifier",
        "tag",
        "docs.jsonl",
        "--output",
        "tags.jsonl",
        "--chunk-size",
        "10",
        "--jobs",
        "2",
    ]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    kill_when_rows(process, folder / "tags.jsonl", 40_000)
    os.killpg(process.pid, signal.SIGINT)
    stderr = process.communicate()[1]
    first = Result(process.returncode, "", stderr)
    result = classifier(
        folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "2", "--resume"
    )
    # Where Ctrl-C lands in the run varies, and so do the two counts; their sum does not.
    resumed = re.sub(
        r"(\d+) documents tagged, (\d+) failed \((\d+) already in the output\)",
        lambda m: (
            f"K documents tagged, {m[2]} failed (200 - K already in the output)"
            if int(m[1]) + int(m[3]) == 200
            else m[0]
        ),
        did(result),
    )
    return Outcome(
        "`tag --jobs 2` of 200 rows, SIGINT to its process group (the command and its workers) part way, then "
        "`--resume`",
        f"{did(first)}; then {resumed}",
        tag_rows_state(folder, 200),
    )


@case("Paths", "tag --output is one of its inputs")
def tag_output_is_input(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    before = (folder / "docs.jsonl").read_bytes()
    result = classifier(folder, "tag", "docs.jsonl", "--output", "docs.jsonl", "--force")
    kept = (folder / "docs.jsonl").read_bytes() == before
    return Outcome(
        "`tag docs.jsonl --output docs.jsonl --force`",
        did(result),
        "nothing: the input is untouched" if kept else "**the input**",
    )


# Issue 15: hostile bundles


def reseal(bundle: Path) -> None:
    """Rewrite every checksum in model.json, as whoever changed the files would."""
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    for name in meta["payload_sha256"]:
        if (bundle / name).is_file() and not (bundle / name).is_symlink():
            meta["payload_sha256"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")


def edited_bundle(folder: Path, change) -> Path:
    bundle = copy_default_model(folder)
    meta = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    change(meta)
    (bundle / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return bundle


def suggest_with(
    folder: Path, description: str, lost: str = "nothing: no suggestion from a bundle that cannot be trusted"
) -> Outcome:
    shutil.copy(EXAMPLE, folder / "page.txt")
    result = classifier(folder, "suggest", "page.txt", "--model", "bundle", "--top", "1", "--format", "json")
    return Outcome(description, did(result, suggested(result) if result.code == 0 else ""), lost)


@case("Hostile bundles", "a zip-bomb member in model.npz")
def zip_bomb_member(folder: Path) -> Outcome:
    import zipfile

    bundle = copy_default_model(folder)
    with zipfile.ZipFile(bundle / "model.npz", "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.npy", "w", force_zip64=True) as member:
            for _ in range(400):
                member.write(bytes(1 << 20))
    reseal(bundle)
    return suggest_with(
        folder,
        "the shipped bundle plus an unused member of 400 MB of zeros (0.4 MB compressed), checksums rewritten",
        "nothing: the unused member is never read (peak memory in benchmarks/limits.py)",
    )


@case("Hostile bundles", "an array declaring more than its shape")
def inflated_array(folder: Path) -> Outcome:
    import zipfile

    import numpy as np

    bundle = copy_default_model(folder)
    with np.load(bundle / "model.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    with zipfile.ZipFile(bundle / "model.npz", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                if name == "intercept":
                    np.lib.format.write_array_header_1_0(
                        member, {"descr": "<f8", "fortran_order": False, "shape": (50 << 17,)}
                    )
                    for _ in range(50):
                        member.write(bytes(1 << 20))
                else:
                    np.lib.format.write_array(member, array)
    reseal(bundle)
    return suggest_with(folder, "`intercept` in model.npz replaced by 50 MB of zeros, checksums rewritten")


@case("Hostile bundles", "model.json a symlink to /dev/zero")
def metadata_dev_zero(folder: Path) -> Outcome:
    bundle = copy_default_model(folder)
    (bundle / "model.json").unlink()
    (bundle / "model.json").symlink_to("/dev/zero")
    return suggest_with(folder, "the shipped bundle with `model.json` linked to `/dev/zero`")


@case("Hostile bundles", "model.json a FIFO")
def metadata_fifo(folder: Path) -> Outcome:
    bundle = copy_default_model(folder)
    (bundle / "model.json").unlink()
    os.mkfifo(bundle / "model.json")
    return suggest_with(folder, "the shipped bundle with `model.json` a FIFO nobody writes to")


@case("Hostile bundles", "model.npz a symlink to /dev/urandom")
def arrays_urandom(folder: Path) -> Outcome:
    bundle = copy_default_model(folder)
    (bundle / "model.npz").unlink()
    (bundle / "model.npz").symlink_to("/dev/urandom")
    return suggest_with(folder, "the shipped bundle with `model.npz` linked to `/dev/urandom`")


@case("Hostile bundles", "a huge n-gram range")
def huge_ngram_range(folder: Path) -> Outcome:
    edited_bundle(folder, lambda meta: meta["params"].update(ngram_range=[1, 100000]))
    return suggest_with(folder, '`"ngram_range": [1, 100000]` in model.json\'s params')


@case("Hostile bundles", "a gzip bomb of training documents")
def gzip_bomb(folder: Path) -> Outcome:
    import gzip

    bundle = copy_default_model(folder)
    with gzip.GzipFile(bundle / "training.jsonl.gz", "wb", compresslevel=1) as stream:
        for _ in range(1100):
            stream.write(b" " * (1 << 20))
    reseal(bundle)
    write_jsonl(folder / "new.jsonl", training_rows(20))
    result = classifier(folder, "train", "new.jsonl", "--base", "bundle", "--output", "retrained")
    return Outcome(
        "`train new.jsonl --base bundle`, its `training.jsonl.gz` 1 MB inflating to 1.1 GB",
        did(result),
        "nothing: no bundle is written; decompression stopped at the limit"
        if not (folder / "retrained").exists()
        else "**a bundle was written**",
    )


MALFORMED = {
    "labels that are numbers": ('`"labels": [1, 2]`', lambda m: m.update(labels=[1, 2])),
    "versions an empty list": ('`"versions": []`', lambda m: m.update(versions=[])),
    "a version that is a number": (
        '`"versions": {"scikit-learn": 1.9}`',
        lambda m: m.update(versions={"scikit-learn": 1.9}),
    ),
    "a field list holding a list": (
        '`"low_confidence_fields": [["x"]]`',
        lambda m: m.update(low_confidence_fields=[["x"]]),
    ),
    "unknown stop words": ('`"stop_words": "klingon"` in params', lambda m: m["params"].update(stop_words="klingon")),
}


def malformed_case(key: str):
    description, change = MALFORMED[key]

    def run(folder: Path) -> Outcome:
        edited_bundle(folder, change)
        return suggest_with(folder, description)

    return run


for _name in MALFORMED:
    case("Hostile bundles", f"model.json: {_name}")(malformed_case(_name))


@case("Hostile bundles", "model.json: a 5,000-digit integer")
def huge_integer(folder: Path) -> Outcome:
    bundle = copy_default_model(folder)
    text = (bundle / "model.json").read_text(encoding="utf-8")
    (bundle / "model.json").write_text(re.sub(r'"seed": \d+', '"seed": ' + "7" * 5000, text), encoding="utf-8")
    return suggest_with(folder, "`seed` a 5,000-digit integer")


def training_line_case(folder: Path, line: str) -> Result:
    import gzip

    bundle = copy_default_model(folder)
    rows = gzip.decompress((bundle / "training.jsonl.gz").read_bytes()).splitlines(keepends=True)
    (bundle / "training.jsonl.gz").write_bytes(
        gzip.compress(b"".join(rows[:2]) + line.encode() + b"\n" + b"".join(rows[2:]))
    )
    reseal(bundle)
    write_jsonl(folder / "new.jsonl", training_rows(20))
    return classifier(folder, "train", "new.jsonl", "--base", "bundle", "--output", "retrained")


@case("Hostile bundles", "training documents nested 5,000 deep")
def deep_training_line(folder: Path) -> Outcome:
    result = training_line_case(folder, "[" * 5000 + "]" * 5000)
    return Outcome(
        "line 3 of `training.jsonl.gz` is 5,000 nested lists; `train --base`",
        did(result),
        "nothing: no bundle is written",
    )


@case("Hostile bundles", "a training document with a 5,000-digit id")
def huge_training_id(folder: Path) -> Outcome:
    result = training_line_case(
        folder, '{"id": ' + "7" * 5000 + ', "title": "", "text": "x", "labels": ["Elections"], "origin": ""}'
    )
    return Outcome(
        "line 3 of `training.jsonl.gz` has a 5,000-digit number as its id; `train --base`",
        did(result),
        "nothing: no bundle is written",
    )


def spoiled_array(folder: Path, name: str, change) -> None:
    import numpy as np

    bundle = copy_default_model(folder)
    with np.load(bundle / "model.npz") as stored:
        arrays = {key: stored[key] for key in stored.files}
    arrays[name] = change(arrays[name])
    np.savez_compressed(bundle / "model.npz", **arrays)
    reseal(bundle)


def with_value(array, value):
    array = array.copy()
    array.flat[0] = value
    return array


@case("Hostile bundles", "NaN in the coefficients")
def nan_coef(folder: Path) -> Outcome:
    spoiled_array(folder, "coef", lambda a: with_value(a, float("nan")))
    return suggest_with(folder, "one NaN in `coef`, checksums rewritten", "nothing: no `nan` score is ever printed")


@case("Hostile bundles", "infinite thresholds")
def inf_thresholds(folder: Path) -> Outcome:
    spoiled_array(folder, "thresholds", lambda a: with_value(a, float("inf")))
    return suggest_with(
        folder, "one `inf` in `thresholds`, checksums rewritten", "nothing: no field is silently never accepted"
    )


@case("Hostile bundles", "coefficients stored as strings")
def string_coef(folder: Path) -> Outcome:
    spoiled_array(folder, "coef", lambda a: a.astype("U12"))
    return suggest_with(
        folder,
        "`coef` saved as an array of strings, checksums rewritten",
        "nothing: no prediction from converted strings",
    )


@case("Hostile bundles", "title_weight NaN")
def nan_title_weight(folder: Path) -> Outcome:
    edited_bundle(folder, lambda meta: meta["params"].update(title_weight=float("nan")))
    return suggest_with(folder, '`"title_weight": NaN` in params')


@case("Hostile bundles", "suggest beside stale leftovers of a killed save")
def read_only_load(folder: Path) -> Outcome:
    copy_default_model(folder)
    dead = 4_194_000  # above the default pid range: no such process
    for name in (f".bundle.old-{dead}", f".bundle.{dead}.x1.tmp"):
        shutil.copytree(DEFAULT_MODEL, folder / name)
    before = sorted(p.name for p in folder.iterdir())
    outcome = suggest_with(
        folder, "`suggest --model bundle` with `.bundle.old-PID` and `.bundle.PID.x.tmp` of a dead process beside it"
    )
    after = sorted(p.name for p in folder.iterdir() if p.name != "page.txt")
    return Outcome(
        outcome.input,
        outcome.did,
        "nothing, and nothing changed: the leftovers are where they were"
        if after == before
        else "**a read-only command changed files**",
    )


# Issue 15: outputs, concurrent runs, resume


@case("Outputs", "tag --resume on a file no run wrote")
def resume_foreign_file(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    shutil.copy(ROOT / "README.md", folder / "notes.jsonl")
    result = classifier(folder, "tag", "docs.jsonl", "--output", "notes.jsonl", "--resume")
    same = (folder / "notes.jsonl").read_bytes() == (ROOT / "README.md").read_bytes()
    return Outcome(
        "`cp README.md notes.jsonl; tag docs.jsonl --output notes.jsonl --resume`",
        did(result),
        "nothing: notes.jsonl is byte for byte the same" if same else "**notes.jsonl was changed**",
    )


@case("Outputs", "tag --resume on the user's own JSONL")
def resume_own_jsonl(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    write_jsonl(folder / "mine.jsonl", training_rows(5))
    before = (folder / "mine.jsonl").read_bytes()
    result = classifier(folder, "tag", "docs.jsonl", "--output", "mine.jsonl", "--resume")
    same = (folder / "mine.jsonl").read_bytes() == before
    return Outcome(
        "`tag docs.jsonl --output mine.jsonl --resume`, mine.jsonl the user's own labelled rows",
        did(result),
        "nothing: mine.jsonl is unchanged" if same else "**mine.jsonl was changed**",
    )


@case("Outputs", "tag --resume with other inputs")
def resume_other_inputs(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    write_jsonl(folder / "more.jsonl", training_rows(30)[20:])
    classifier(folder, "tag", "docs.jsonl", "--output", "tags.jsonl")
    before = (folder / "tags.jsonl").read_bytes()
    result = classifier(folder, "tag", "more.jsonl", "--output", "tags.jsonl", "--resume")
    same = (folder / "tags.jsonl").read_bytes() == before
    return Outcome(
        "`tag docs.jsonl -o tags.jsonl`, then `tag more.jsonl -o tags.jsonl --resume`",
        did(result),
        "nothing: tags.jsonl is unchanged" if same else "**tags.jsonl was changed**",
    )


@case("Outputs", "tag --resume of a finished Parquet output, a document removed")
def resume_finished_parquet(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    classifier(folder, "tag", "docs.jsonl", "--output", "tags.parquet")
    before = (folder / "tags.parquet").read_bytes()
    write_jsonl(folder / "docs.jsonl", [{k: r[k] for k in ("id", "title", "text")} for r in training_rows(20)[1:]])
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.parquet", "--resume")
    kept = (folder / "tags.parquet").exists() and (folder / "tags.parquet").read_bytes() == before
    return Outcome(
        "`tag docs.jsonl -o tags.parquet`, the first document removed from docs.jsonl, then the same command with "
        "`--resume`",
        did(result),
        "nothing: tags.parquet is unchanged, at its name" if kept else "**tags.parquet was moved or changed**",
    )


@case("Outputs", "two tag runs on one output at once")
def two_tag_runs(folder: Path) -> Outcome:
    base = training_rows(400)
    rows = [
        {"id": f"{r['id']}-{i // len(base)}", "title": r["title"], "text": r["text"]} for i, r in enumerate(base * 10)
    ]
    write_jsonl(folder / "docs.jsonl", rows)
    command = [
        sys.executable,
        "-m",
        "classifier",
        "tag",
        "docs.jsonl",
        "--output",
        "tags.jsonl",
        "--force",
        "--chunk-size",
        "10",
        "--jobs",
        "1",
    ]
    first = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    kill_when_rows(first, folder / "tags.jsonl", 1)  # only waits for the first run's first rows
    second = classifier(
        folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--force", "--chunk-size", "10", "--jobs", "1"
    )
    first.communicate()
    ids = [json.loads(line)["id"] for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    whole = sorted(ids) == sorted(r["id"] for r in rows)
    return Outcome(
        f"two `tag docs.jsonl --output tags.jsonl --force` ({len(rows):,} rows), the second started once the first "
        "has written rows",
        f"first exit {first.returncode}; second {did(second)}",
        f"nothing: the first run's {len(rows):,} rows, each id once"
        if whole and second.code == 1
        else f"**{len(ids)} rows for {len(rows)} ids; second exit {second.code}**",
    )


def holding_lock(folder: Path, target: str) -> subprocess.Popen:
    """Another process writing `target`: it holds the target's lock until its stdin closes."""
    code = (
        f"from classifier.io.outputs import output_lock\nwith output_lock({target!r}): "
        "print('held', flush=True); input()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    holder.stdout.readline()
    return holder


@case("Outputs", "train, pick and evaluate while another run writes the same target")
def busy_targets(folder: Path) -> Outcome:
    write_jsonl(folder / "docs.jsonl", training_rows(40))
    shutil.copy(EXAMPLE, folder / "page.txt")
    seen = []
    for target, args in (
        ("bundle", ["train", "docs.jsonl", "--output", "bundle"]),
        ("pick.jsonl", ["pick", "page.txt", "--output", "pick.jsonl"]),
        ("report.html", ["evaluate", "docs.jsonl", "--report", "report.html"]),
    ):
        holder = holding_lock(folder, target)
        try:
            result = classifier(folder, *args)
        finally:
            holder.communicate("\n")
        seen.append(f"{args[0]}: exit {result.code}")
    written = [name for name in ("bundle", "pick.jsonl", "report.html") if (folder / name).exists()]
    return Outcome(
        "`train --output bundle`, `pick --output pick.jsonl`, `evaluate --report report.html`, each while another "
        "process holds that target's lock",
        "; ".join(seen) + f"; `{result.first_error()}`",
        "nothing: the other run's target is untouched" if not written else f"**{', '.join(written)} written**",
    )


@case("Outputs", "disk full part way through tag")
def disk_full(folder: Path) -> Outcome:
    import resource

    tag_corpus(folder, 200)

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "classifier",
            "tag",
            "docs.jsonl",
            "--output",
            "tags.jsonl",
            "--chunk-size",
            "10",
            "--jobs",
            "1",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    first = Result(process.returncode, process.stdout, process.stderr)
    result = classifier(
        folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "10", "--jobs", "1", "--resume"
    )
    return Outcome(
        "`tag` of 200 rows whose writes fail once the output passes 60 KB (a file size limit standing in for a full "
        "disk), then `--resume`",
        f"{did(first)}; then {did(result)}",
        tag_rows_state(folder, 200),
    )


@case("Outputs", "--output a directory")
def output_directory(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    (folder / "somedir.parquet").mkdir()
    result = classifier(folder, "tag", "docs.jsonl", "--output", "somedir.parquet", "--force")
    left = [p.name for p in folder.iterdir() if p.name.startswith(".somedir")]
    return Outcome(
        "`tag docs.jsonl --output somedir.parquet --force`, somedir.parquet a directory",
        did(result),
        "nothing: checked before tagging, no `.somedir.parquet.parts/` left"
        if not left
        else f"**left {', '.join(left)}**",
    )


@case("Outputs", "--output /dev/stdout")
def output_dev_stdout(folder: Path) -> Outcome:
    tag_corpus(folder, 5)
    before = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    result = classifier(folder, "tag", "docs.jsonl", "--output", "/dev/stdout", "--format", "jsonl", "--force")
    after = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    return Outcome(
        "`tag docs.jsonl --output /dev/stdout --format jsonl --force`",
        did(result),
        "nothing: /dev/stdout is still the symlink it was" if before == after else "**/dev/stdout was replaced**",
    )


@case("Outputs", "--output -")
def output_dash(folder: Path) -> Outcome:
    tag_corpus(folder, 5)
    result = classifier(folder, "tag", "docs.jsonl", "--output", "-")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return Outcome(
        "`tag docs.jsonl --output -`",
        did(result, f"{len(rows)} rows on stdout"),
        "nothing: no file named `-`, nothing renamed"
        if not (folder / "-").exists()
        else "**a file named - was written**",
    )


@case("Outputs", "an unknown output suffix")
def unknown_suffix(folder: Path) -> Outcome:
    tag_corpus(folder, 5)
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.xlsx")
    return Outcome(
        "`tag docs.jsonl --output tags.xlsx`",
        did(result),
        "nothing: no JSONL named .xlsx" if not (folder / "tags.xlsx").exists() else "**tags.xlsx written**",
    )


@case("Outputs", "tag --chunk-size 0")
def chunk_size_zero(folder: Path) -> Outcome:
    tag_corpus(folder, 5)
    result = classifier(folder, "tag", "docs.jsonl", "--output", "tags.jsonl", "--chunk-size", "0")
    written = sorted(p.name for p in folder.iterdir() if p.name != "docs.jsonl")
    return Outcome(
        "`tag docs.jsonl --output tags.jsonl --chunk-size 0`",
        did(result),
        "nothing: no output, no run record" if not written else f"**left {', '.join(written)}**",
    )


@case("Outputs", "pick --output in a new folder, the model missing")
def pick_new_folder(folder: Path) -> Outcome:
    tag_corpus(folder, 5)
    result = classifier(folder, "pick", "docs.jsonl", "--model", "nosuch", "--output", "new/picked.jsonl")
    return Outcome(
        "`pick docs.jsonl --model nosuch --output new/picked.jsonl`, new/ not there",
        did(result),
        "nothing: no folder new/ left" if not (folder / "new").exists() else "**an empty folder new/ left**",
    )


@case("Outputs", "compare --max-drop nan")
def compare_nan(folder: Path) -> Outcome:
    tag_corpus(folder, 5)
    result = classifier(folder, "compare", str(DEFAULT_MODEL), str(DEFAULT_MODEL), "docs.jsonl", "--max-drop", "nan")
    return Outcome(
        "`compare A A docs.jsonl --max-drop nan` (a gate no drop could fail)",
        did(result),
        "nothing: refused, not passed" if result.code == 2 else "**the gate passed or failed otherwise**",
    )


@case("Size limits", "CLASSIFIER_MAX_TEXT larger than any text")
def max_text_huge(folder: Path) -> Outcome:
    tag_corpus(folder, 3)
    result = classifier(folder, "suggest", "docs.jsonl", "--format", "json", env={"CLASSIFIER_MAX_TEXT": "9" * 23})
    rows = len(result.stdout.splitlines())
    return Outcome(
        "`CLASSIFIER_MAX_TEXT=99999999999999999999999 suggest docs.jsonl` (three rows)",
        did(result, f"{rows} documents suggested"),
        "nothing: read whole, as with no limit" if rows == 3 else "**rows lost**",
    )


# Issue 15: inputs


@case("Pages and text", "a FIFO named as input")
def fifo_input(folder: Path) -> Outcome:
    os.mkfifo(folder / "fifo.txt")
    shutil.copy(EXAMPLE, folder / "ok.txt")
    result = classifier(folder, "suggest", "fifo.txt", "ok.txt", "--format", "json", "--top", "1")
    return Outcome(
        "`mkfifo fifo.txt; suggest fifo.txt ok.txt`",
        did(result, suggested(result)),
        "nothing: the FIFO is skipped, never opened",
    )


@case("Pages and text", "a FIFO inside a tagged folder")
def fifo_in_folder(folder: Path) -> Outcome:
    (folder / "pages").mkdir()
    shutil.copy(EXAMPLE, folder / "pages" / "a.txt")
    os.mkfifo(folder / "pages" / "b.txt")
    shutil.copy(EXAMPLE, folder / "pages" / "c.txt")
    result = classifier(folder, "tag", "pages", "--output", "tags.jsonl")
    rows = [json.loads(line) for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    return Outcome(
        "`tag pages --output tags.jsonl`, pages holding a.txt, a FIFO b.txt and c.txt",
        did(result, f"{len(rows)} rows, {sum(bool(r['error']) for r in rows)} with an error"),
        "nothing: a.txt and c.txt tagged, b.txt's row says why",
    )


@case("Pages and text", "a file name that is not UTF-8")
def undecodable_name(folder: Path) -> Outcome:
    (folder / "pages").mkdir()
    shutil.copy(EXAMPLE, folder / "pages" / "a.txt")
    shutil.copy(EXAMPLE, folder / "pages" / os.fsdecode(b"bad\xff.txt"))
    shutil.copy(EXAMPLE, folder / "pages" / "c.txt")
    result = classifier(folder, "tag", "pages", "--output", "tags.jsonl", "--chunk-size", "1", "--jobs", "1")
    ids = [json.loads(line)["id"] for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    back = os.fsdecode(b"pages/bad\xff.txt") in ids
    return Outcome(
        "`tag pages --output tags.jsonl`, pages holding a file named `bad\\xff.txt`",
        did(result, f"{len(ids)} rows"),
        "nothing: its id `pages/bad\\udcff.txt` reads back as the same bytes"
        if back and len(ids) == 3
        else "**rows missing**",
    )


@case("Pages and text", "binary data after the first 8 KB")
def late_binary(folder: Path) -> Outcome:
    page = EXAMPLE.read_bytes()
    return suggest_case(
        folder,
        {"late.txt": page * 4 + b"\x00\x01" * 64 + page, "ok.txt": page},
        "the example page four times, then NUL and control bytes, then text; next to a clean copy",
    )


@case("Tables", "a row of 10 million commas")
def wide_csv_row(folder: Path) -> Outcome:
    with open(folder / "docs.csv", "w", encoding="utf-8") as handle:
        handle.write(
            "id,text\nwide," + "," * 10_000_000 + "\nok,Observers watched the election count in every district\n"
        )
    start = time.perf_counter()
    result = classifier(folder, "suggest", "docs.csv", "--format", "json", "--top", "1")
    seconds = time.perf_counter() - start
    return Outcome(
        "a CSV whose row 2 is 10,000,000 commas, then a normal row",
        did(result, suggested(result)),
        "row 2 only (reported with its line)" + ("" if seconds < 15 else f" **after {seconds:.0f} s**"),
    )


@case("Tables", "a Windows-1252 CSV")
def latin_csv(folder: Path) -> Outcome:
    (folder / "docs.csv").write_bytes(
        'id,text\ngeneva,"Élection à Genève: observers watched the vote count"\n'.encode("cp1252")
    )
    result = classifier(folder, "suggest", "docs.csv", "--format", "json", "--top", "1")
    return Outcome(
        "a CSV saved as Windows-1252 (`É`, `à`, `è`)",
        did(result, suggested(result)),
        "nothing: accents read as written, not U+FFFD",
    )


WIDE_ROWS = [
    {"id": "osh", "title": "Wahlbeobachtung", "text": "Observers watched the vote count in Osh."},
    {"id": "tirana", "title": "Judges met", "text": "Judges and prosecutors met in Tirana."},
]


@case("Tables", "a JSONL and a CSV saved as UTF-16")
def utf16_tables(folder: Path) -> Outcome:
    jsonl = "".join(json.dumps(row) + "\n" for row in WIDE_ROWS)
    csv = "id,title,text\n" + "".join(f"{r['id']},{r['title']},{r['text']}\n" for r in WIDE_ROWS)
    (folder / "docs.jsonl").write_text(jsonl, encoding="utf-16")  # a byte-order mark, then UTF-16-LE
    (folder / "docs.csv").write_text(csv, encoding="utf-16")
    result = classifier(folder, "suggest", "docs.jsonl", "docs.csv", "--format", "json", "--top", "1")
    return Outcome(
        "two rows as JSONL and as CSV, each written by Python's `encoding=\"utf-16\"` (as PowerShell's Out-File "
        "writes)",
        did(result, suggested(result)),
        "nothing: every row read as from the UTF-8 file, with its line number",
    )


@case("Tables", "--lines on a UTF-16 file")
def utf16_lines(folder: Path) -> Outcome:
    (folder / "lines.txt").write_text("".join(row["text"] + "\n" for row in WIDE_ROWS), encoding="utf-16")
    result = classifier(folder, "suggest", "--lines", "lines.txt", "--format", "json", "--top", "1")
    return Outcome(
        "two lines written with a UTF-16 byte-order mark",
        did(result, suggested(result)),
        "nothing: one answer per line, no line made up at the end",
    )


@case("Tables", "--lines on a file with old Mac line ends")
def lone_cr_lines(folder: Path) -> Outcome:
    lines = [SENTENCE, "", "Police officers were trained in community policing in Skopje."]
    (folder / "lines.txt").write_bytes("\r".join(lines).encode() + b"\r")
    result = classifier(folder, "suggest", "--lines", "lines.txt", "--format", "json", "--top", "1")
    return Outcome(
        "three lines, the second blank, each ended by a lone `\\r`",
        did(result, suggested(result)),
        "nothing: one answer per line, numbered as the file's lines",
    )


@case("Tables", "a CSV header naming a column twice")
def duplicate_columns(folder: Path) -> Outcome:
    return table_case(
        folder,
        "docs.csv",
        "id,text,text\na,first text,second text\n",
        "header `id,text,text`",
        "nothing: no column silently dropped; rename one and rerun",
    )


@case("Tables", "a JSONL title that is a number")
def numeric_title(folder: Path) -> Outcome:
    rows = (
        json.dumps({"id": "a", "title": 12, "text": SENTENCE}) + "\n" + json.dumps({"id": "b", "text": SENTENCE}) + "\n"
    )
    return table_case(
        folder, "docs.jsonl", rows, '`{"id": "a", "title": 12, ...}` and a normal row', "row a only (reported by line)"
    )


@case("Tables", "a JSONL id that is a list or a boolean")
def structured_id(folder: Path) -> Outcome:
    rows = "".join(json.dumps({"id": i, "text": SENTENCE}) + "\n" for i in ([1, 2], True, 17))
    return table_case(
        folder,
        "docs.jsonl",
        rows,
        '`{"id": [1, 2], ...}`, `{"id": true, ...}` and a row whose id is 17',
        "rows 1 and 2 only (reported by line; no id made up from them)",
    )


@case("Tables", "a JSONL row giving a key twice")
def repeated_key(folder: Path) -> Outcome:
    rows = (
        json.dumps({"id": "a", "text": SENTENCE})
        + "\n"
        + '{"id": "b", "text": "Police reform.", "text": '
        + json.dumps(SENTENCE)
        + "}\n"
    )
    return table_case(
        folder,
        "docs.jsonl",
        rows,
        '`{"id": "b", "text": "Police reform.", "text": "Observers ..."}` after a normal row',
        "row b only (reported by line and key, not tagged from one of its two texts)",
    )


@case("Tables", "an empty JSONL and a CSV of a header alone")
def empty_tables(folder: Path) -> Outcome:
    (folder / "empty.jsonl").write_text("", encoding="utf-8")
    (folder / "header.csv").write_text("id,title,text\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    result = classifier(folder, "tag", "empty.jsonl", "header.csv", "empty.txt", "--output", "tags.jsonl")
    rows = [json.loads(line) for line in (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    failed = sum(1 for row in rows if row["error"])
    return Outcome(
        "`tag empty.jsonl header.csv empty.txt --output tags.jsonl`: an empty JSONL, a CSV of only `id,title,text`, "
        "an empty text file",
        did(result, f"{len(rows)} rows, {failed} with an error"),
        "nothing: each input that holds no document is named on stderr and in its row, as an empty text file is",
    )


@case("Tables", "a --text-column no row has")
def wrong_text_column(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    result = classifier(folder, "tag", "docs.jsonl", "--text-column", "body", "--output", "tags.jsonl")
    return Outcome(
        "`tag docs.jsonl --text-column body --output tags.jsonl`",
        did(result),
        "nothing: no output started"
        if not (folder / "tags.jsonl").exists()
        else "**tags.jsonl written from titles alone**",
    )


@case("Tables", "a missing input among others")
def missing_input(folder: Path) -> Outcome:
    tag_corpus(folder, 20)
    result = classifier(folder, "tag", "nosuch.jsonl", "docs.jsonl", "--output", "tags.jsonl")
    rows = (folder / "tags.jsonl").read_text(encoding="utf-8").splitlines()
    return Outcome(
        "`tag nosuch.jsonl docs.jsonl --output tags.jsonl`",
        did(result, f"{len(rows)} rows"),
        "nothing: docs.jsonl tagged; nosuch.jsonl named on stderr and in its row",
    )


@case("Training data", "one document")
def one_document(folder: Path) -> Outcome:
    write_jsonl(folder / "one.jsonl", training_rows(1))
    result = classifier(folder, "train", "one.jsonl", "--output", "bundle")
    return Outcome("`train one.jsonl`, a single labelled row", did(result), "nothing: no bundle written")


@case("Training data", "60 copies of one document")
def copies_of_one(folder: Path) -> Outcome:
    row = training_rows(1)[0]
    write_jsonl(folder / "copies.jsonl", [{**row, "id": f"copy-{i}"} for i in range(60)])
    result = classifier(folder, "train", "copies.jsonl", "--output", "bundle")
    return Outcome("`train copies.jsonl`, one row under 60 ids", did(result), "nothing: no bundle written")


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
        "Every case ends in a result or in a one-line error naming the input, never in a traceback or a hang;",
        "the last column says what is kept, and what, if anything, did not make it through.",
        "`python docs/robustness.py --check` runs every case again and fails if any outcome differs from this page.",
    ]
    area = None
    first = {}
    for index, (case_, _) in enumerate(outcomes):
        first.setdefault(case_.area, index)
    # One section per area, in the order areas first appear, cases in their order within it.
    for case_, outcome in sorted(outcomes, key=lambda pair: first[pair[0].area]):
        if case_.area != area:
            area = case_.area
            lines += [
                "",
                f"## {area}",
                "",
                "| case | input or fault | what the user sees | what is kept |",
                "| --- | --- | --- | --- |",
            ]
        lines.append(
            f"| {cell(case_.name)} | {cell(outcome.input)} | {cell(outcome.did)} | {cell(kept(outcome.lost))} |"
        )
    return "\n".join(lines) + "\n"


def kept(lost: str) -> str:
    """An outcome's "lost" note as what is kept: "nothing: x" means everything is kept."""
    if lost.startswith("**"):
        return lost
    if lost.startswith("nothing"):
        return "everything" + lost[len("nothing") :]
    return f"everything else; lost: {lost}"


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
    parser.add_argument(
        "--check",
        action="store_true",
        help="Run every case again; exit 1 if any outcome differs from docs/robustness.md.",
    )
    parser.add_argument(
        "--rows",
        action="store_true",
        help="Only check that every case has a row and every row a case (runs nothing; --check implied).",
    )
    parser.add_argument(
        "--only", help="Run only the cases whose name contains this text, and print them (with --check: check them)."
    )
    args = parser.parse_args()
    registered = {(c.area, c.name) for c in CASES}
    if args.check or args.rows:
        documented = rows_in(OUTPUT.read_text(encoding="utf-8")) if OUTPUT.exists() else set()
        for area, name in sorted(registered - documented):
            print(f"no row for case '{name}' ({area}): run python docs/robustness.py", file=sys.stderr)
        for area, name in sorted(documented - registered):
            print(f"row '{name}' ({area}) has no case any more: run python docs/robustness.py", file=sys.stderr)
        if registered != documented or args.rows:
            sys.exit(1 if registered != documented else 0)
    outcomes = []
    for case_ in CASES:
        if args.only and args.only not in case_.name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            outcome = case_.run(Path(tmp))
        print(
            f"{case_.area} / {case_.name} ({time.perf_counter() - start:.1f} s): {outcome.did} → lost: {outcome.lost}",
            flush=True,
        )
        outcomes.append((case_, outcome))
    if args.check:
        sys.exit(check(outcomes, args.only))
    if not args.only:
        OUTPUT.write_text(render(outcomes), encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")


def check(outcomes: list[tuple[Case, Outcome]], only: str | None) -> int:
    """1 if a re-run outcome is a failure or differs from its row in docs/robustness.md, else 0."""
    documented = {
        line
        for line in OUTPUT.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith(("| case |", "| --- |"))
    }
    failed = 0
    for case_, outcome in outcomes:
        line = render([(case_, outcome)]).splitlines()[-1]
        if "**" in kept(outcome.lost):
            print(f"FAILED {case_.area} / {case_.name}: {kept(outcome.lost)}", file=sys.stderr)
            failed = 1
        elif line not in documented:
            print(f"CHANGED {case_.area} / {case_.name}: now\n  {line}", file=sys.stderr)
            failed = 1
    if not failed:
        print(f"all {len(outcomes)} cases{' matching ' + repr(only) if only else ''} ran as documented")
    return failed


if __name__ == "__main__":
    main()
