"""Benchmark: where `classifier tag --jobs 1` spends its CPU besides the model's floor, part by part, as ratios.

`batch.py` times `tag` against the floor of a bare `predict_proba` as whole processes. This script says what the
difference is made of: in one process, chunk by chunk (512 documents, as `tag` reads them), the CPU seconds of each
part of tagging a generated JSONL corpus (the one `batch.py` makes), each against the floor of the same chunks:

- reading the records (JSONL lines decoded to rows) and making each row a document (parsed as a page);
- the floor: `predict_proba` of the documents' model texts, the estimator alone;
- the features with the rules' facts (`predict_proba_and_facts`: the floor plus what the rules need of each word);
- the rules that read the text (`read_windowed`: fields named outright, long texts by windows) and the scope checks;
- `Model.read` whole (the reference row of `batch.py`: all of the above but reading and documents);
- writing the chunk's rows as JSON lines.

Each part is run `--rounds` times over the corpus, taking turns part by part within each chunk, and the table
gives the median round. The model's tables of words are filled by a first chunk, untimed, as a run's first chunk
fills them; after the first round every word is in them. Run:

    python benchmarks/tag_parts.py --size 20000 --write benchmarks/README.md
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from batch import generate

from report import byte_compiled, publish

CHUNK = 512


def parts(model, columns):
    """(name, function of a chunk's records and what the parts before made of it) for each timed part, in order;
    each returns what the parts after it need."""
    from classifier.corpus.documents import to_document
    from classifier.estimator.scope import scope_flags_of_counts
    from classifier.estimator.windows import read_windowed
    from classifier.workflows.tagging import jsonl_lines

    def documents(made):
        made["documents"] = [to_document(record, columns) for record in made["records"]]
        made["texts"] = [doc.model_text for doc in made["documents"]]

    def floor(made):
        model.estimator.predict_proba(made["texts"])

    def facts(made):
        made["read"] = model.estimator.predict_proba_and_facts(made["texts"])

    def rules(made):
        texts, read = made["texts"], made["read"]
        windowed = read_windowed(model.estimator, texts, read=read)
        scope_flags_of_counts(texts, windowed.proba, read[1].scope, read[1].checked, latin=read[1].latin)

    def whole(made):
        made["reading"] = model.read(made["texts"])

    def rows(made):
        jsonl_lines(model, made["documents"], made["reading"], model.fingerprint)

    return [
        ("documents: each row parsed as a page", documents),
        ("the floor: `predict_proba`", floor),
        ("features with the rules' facts (`predict_proba_and_facts`)", facts),
        ("the rules on the text and the scope checks (`read_windowed`, `scope_flags_of_counts`)", rules),
        ("`Model.read` whole (the two above)", whole),
        ("rows written as JSON lines", rows),
    ]


def measure(corpus: Path, rounds: int) -> tuple[int, dict[str, list[float]]]:
    """The number of documents, and the CPU seconds of each part (and of reading the records) in each round."""
    from classifier import load_model
    from classifier.corpus.documents import Columns, read_records

    model, columns = load_model(), Columns()
    timed = parts(model, columns)
    seconds: dict[str, list[float]] = {"reading: JSONL lines to rows": []}
    seconds.update({name: [] for name, _ in timed})
    records = list(read_records([corpus], columns))
    first = {"records": records[:CHUNK]}
    for _, part in timed:  # fills the tables of words and the matchers, as a run's first chunk does
        part(first)
    for _ in range(rounds):
        start = time.process_time()
        records = list(read_records([corpus], columns))
        seconds["reading: JSONL lines to rows"].append(time.process_time() - start)
        totals = dict.fromkeys((name for name, _ in timed), 0.0)
        for at in range(0, len(records), CHUNK):
            made = {"records": records[at : at + CHUNK]}
            for name, part in timed:
                start = time.process_time()
                part(made)
                totals[name] += time.process_time() - start
        for name, total in totals.items():
            seconds[name].append(total)
    return len(records), seconds


def table(n: int, seconds: dict[str, list[float]]) -> str:
    """The parts' median CPU seconds, documents per CPU second and ratio to the floor, with tag's parts summed."""
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    floor = medians["the floor: `predict_proba`"]
    lines = [
        f"{n:,} documents of about 1 KB, chunks of {CHUNK}, one process; CPU seconds, the median of "
        f"{len(next(iter(seconds.values())))} rounds.",
        "",
        "| part | CPU s | documents per CPU s | against the floor |",
        "| --- | --- | --- | --- |",
    ]
    for name, value in medians.items():
        lines.append(f"| {name} | {value:.2f} | {n / value:,.0f} | {value / floor:.2f}x |")
    tag = sum(medians[name] for name in medians if name.startswith(("reading", "documents", "`Model", "rows")))
    read = medians["`Model.read` whole (the two above)"]
    lines += [
        "",
        f"`tag`'s parts together (reading, documents, `Model.read`, rows): {tag:.2f} CPU s: per CPU second they go "
        f"{floor / tag:.2f}x as fast as the floor, `Model.read` alone {floor / read:.2f}x.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="documents in the generated corpus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    byte_compiled()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / f"corpus-{args.size}.jsonl"
        generate(corpus, args.size)
        n, seconds = measure(corpus, args.rounds)
    publish(table(n, seconds), args.write, "tag-parts")


if __name__ == "__main__":
    main()
