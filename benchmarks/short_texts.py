"""Benchmark: texts of a few words, with and without a field forced on them.

A text of fewer than five content words is too short for the scope checks to judge (`classifier.estimator.scope`).
The model's at-least-one-field rule used to accept its best field anyway, however low it scored: "test" got
Democratization at 0.14, "football" Human rights. Now such a text gets a field only where one reaches its
threshold (or is named outright), and the flag `too-short` where none does. This script measures both rules with
the models of `quality.py`'s splits (the time split's model and the five cross-validation models, each trained as
`classifier train` trains it), on:

- the written short texts (`training/written/short_texts.jsonl`, written by us, never real items): 30 that
  should get no field ("test", "hello world", "Privacy policy", ...) and 32 short queries on one field each
  ("human trafficking", "judicial reform", ...), scored by each of the six models;
- the corpus titles of fewer than five content words, read alone, by the model that never trained on them;
- the corpus leads, to show that they are not touched (their metrics the same under both rules).

Run from the repository root (about a minute):

    python benchmarks/short_texts.py --write benchmarks/README.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import quality
from report import publish

SHORT_TEXTS = quality.ROOT / "training" / "written" / "short_texts.jsonl"


def readings(model, texts):
    """(accepted under the rule before, accepted now, flags now) of `texts` ("title\\nbody") by `model`."""
    from classifier.estimator.scope import scope_flags
    from classifier.estimator.windows import read_windowed

    estimator = model.estimator
    before = read_windowed(estimator, texts)  # the at-least-one rule for every text, as before
    flagged = [i for i, flag in enumerate(scope_flags(estimator, texts, before.proba)) if flag]
    accepted_before = np.asarray(before.accepted, dtype=np.int8).copy()
    accepted_before[flagged] = 0
    now = model.read(texts)
    return accepted_before, np.asarray(now.accepted, dtype=np.int8), now.flags


def tally(accepted, gold) -> dict:
    """Right and wrong fields accepted, and texts given none, of rows with `gold` fields (None: none is right)."""
    given = accepted.sum(axis=1) > 0
    if gold is None:
        return {"texts": len(accepted), "given a field": int(given.sum()), "fields": int(accepted.sum())}
    return {
        "texts": len(accepted),
        "right": int((accepted & gold).sum()),
        "wrong": int((accepted & (1 - gold)).sum()),
        "given none": int((~given).sum()),
    }


def add(total: dict, part: dict) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()

    from classifier.bundle.model import Model
    from classifier.corpus.release import parse_release
    from classifier.estimator.model import TopicClassifier
    from classifier.estimator.scope import content_words
    from classifier.evaluation.metrics import evaluate
    from classifier.taxonomy.fields import default_taxonomy
    from classifier.taxonomy.guide import FieldGuide
    from classifier.workflows.training import taxonomy_params, with_written_examples

    records, texts, Y, labels = quality.load_corpus()
    taxonomy = default_taxonomy()
    params = taxonomy_params(taxonomy)
    guide = FieldGuide.from_yaml(taxonomy=taxonomy)
    rows = [json.loads(line) for line in SHORT_TEXTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    written = {
        kind: (
            [parse_release(r["text"]).model_text for r in rows if r["kind"] == kind],
            np.array([[int(label in r.get("labels", [])) for label in labels] for r in rows if r["kind"] == kind]),
        )
        for kind in ("off-topic", "on-topic")
    }
    totals: dict = {}
    leads: dict = {}
    for split, parts in quality.splits(records, Y).items():
        pooled = {"gold": [], "proba": [], "before": [], "now": []}
        for train, test in parts:
            train_texts, Y_train = with_written_examples([texts[i] for i in train], Y[train], guide, labels)
            estimator = TopicClassifier(random_state=quality.SEED, **params).fit(train_texts, Y_train)
            model = Model(estimator, {"labels": labels})
            titles = [parse_release(records[i]["title"]).model_text for i in test]
            short = [k for k, title in enumerate(titles) if len(content_words(title.lower())) < 5]
            sets = {**written, "titles": ([titles[k] for k in short], Y[test][short])}
            for name, (set_texts, gold) in sets.items():
                if not set_texts:
                    continue
                before, now, flags = readings(model, set_texts)
                gold = None if name == "off-topic" else gold
                add(totals.setdefault((name, "before"), {}), tally(before, gold))
                add(totals.setdefault((name, "now"), {}), tally(now, gold))
                add(totals.setdefault((name, "now"), {}), {"too-short": sum(flag == "too-short" for flag in flags)})
            lead_texts = [texts[i] for i in test]
            before, now, _ = readings(model, lead_texts)
            pooled["gold"].append(Y[test])
            pooled["proba"].append(model.read(lead_texts).proba)
            pooled["before"].append(before)
            pooled["now"].append(now)
        gold, proba = np.vstack(pooled["gold"]), np.vstack(pooled["proba"])
        leads[split] = {
            rule: evaluate(gold, proba, np.vstack(pooled[rule]), labels)["micro"]["f1"] for rule in ("before", "now")
        }
        leads[split]["same"] = bool((np.vstack(pooled["before"]) == np.vstack(pooled["now"])).all())
    publish(table(totals, leads), args.write, "short-texts")


def table(totals: dict, leads: dict) -> str:
    names = {
        "off-topic": "written, should get no field (30 texts x 6 models)",
        "on-topic": "written short queries on one field (32 texts x 6 models)",
        "titles": "corpus titles of fewer than five content words, read alone (each by the model not trained on it)",
    }
    lines = [
        "Each text scored by the time split's model and the five cross-validation models (`quality.py`'s splits), "
        'pooled; "before": the best field accepted whatever it scores, "now": only a field reaching its '
        "threshold or named outright.",
        "",
        "| texts | rule | texts scored | given a field | right fields | wrong fields | given none | flagged too-short"
        " |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, title in names.items():
        for rule in ("before", "now"):
            t = totals.get((name, rule))
            if t is None:
                continue
            given = t.get("given a field", t["texts"] - t.get("given none", 0))
            right = t.get("right", "")
            wrong = t.get("wrong", t.get("fields", ""))
            none = t["texts"] - given
            lines.append(
                f"| {title} | {rule} | {t['texts']} | {given} | {right} | {wrong} | {none} | {t.get('too-short', '')} |"
            )
    lines.append("")
    for split, f1 in leads.items():
        same = "the same accepted fields" if f1["same"] else "**different accepted fields**"
        lines.append(
            f"Corpus leads, {split}: micro-F1 {f1['before']:.4f} before, {f1['now']:.4f} now ({same} for every lead)."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
