"""Benchmark: how much a field's taxonomy keywords give when it has no examples, or only a few.

Run from the repository root with the project installed:
    python benchmarks/keywords.py [--write benchmarks/README.md]

One fixed split of the labelled corpus: 80% to train, 20% held out. For each field:
- zero-shot: the field is hidden from the training split (its label removed; documents left with no
  field dropped), so the model knows it only from taxonomy.yaml. Measured on the held-out split:
  precision, recall and F1 of the field, and the share of its documents that rank it in the top 3,
  next to the F1 of the model trained with the field's labels.
- few examples: the training split keeps only 5 of the field's documents; F1 on the held-out split
  with the keyword documents as extra examples (keyword_examples="all", the default) and without ("none").
- all examples: the field's F1 with every training document, with and without the keyword documents.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from report import publish

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
FEW = 5


def field_scores(model, texts, Y, j):
    from sklearn.metrics import precision_recall_fscore_support

    proba = model.predict_proba(texts)
    accepted = model.predict(texts)
    p, r, f, _ = precision_recall_fscore_support(Y[:, j], accepted[:, j], average="binary", zero_division=0)
    top3 = np.argsort(-proba, axis=1, kind="stable")[:, :3]
    positives = Y[:, j] == 1
    in_top3 = float((top3[positives] == j).any(axis=1).mean()) if positives.any() else 0.0
    return {"precision": p, "recall": r, "f1": f, "top3": in_top3, "accepted": int(accepted[:, j].sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--min-count", type=int, default=20, help="Fields with at least this many documents are measured."
    )
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    args = parser.parse_args()

    from classifier.estimator.keywords import keyword_document
    from classifier.estimator.model import TopicClassifier
    from classifier.taxonomy.fields import default_taxonomy

    taxonomy = default_taxonomy()
    labels = taxonomy.labels
    keywords = tuple(keyword_document(field) for field in taxonomy.fields)
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in labels] for r in records], dtype=np.int8)
    order = np.random.default_rng(0).permutation(len(records))
    cut = int(len(records) * 0.8)
    train, test = order[:cut], order[cut:]
    X_train, X_test = [texts[i] for i in train], [texts[i] for i in test]
    Y_train, Y_test = Y[train], Y[test]

    full = TopicClassifier(label_keywords=keywords).fit(X_train, Y_train)
    full_without = TopicClassifier(label_keywords=keywords, keyword_examples="none").fit(X_train, Y_train)
    measured = [j for j in range(len(labels)) if Y[:, j].sum() >= args.min_count and Y_test[:, j].sum() >= 3]
    rows = []
    for j in measured:
        supervised = field_scores(full, X_test, Y_test, j)
        supervised_without = field_scores(full_without, X_test, Y_test, j)
        hidden = Y_train.copy()
        hidden[:, j] = 0
        keep = hidden.sum(axis=1) > 0
        zero = TopicClassifier(label_keywords=keywords).fit([x for x, k in zip(X_train, keep) if k], hidden[keep])
        assert zero.zero_shot_[j]
        zero_shot = field_scores(zero, X_test, Y_test, j)

        positives = np.flatnonzero(Y_train[:, j])
        drop = set(positives[FEW:].tolist())
        few_rows = [i for i in range(len(X_train)) if i not in drop]
        few_X, few_Y = [X_train[i] for i in few_rows], Y_train[few_rows]
        with_kw = TopicClassifier(label_keywords=keywords).fit(few_X, few_Y)
        without = TopicClassifier(label_keywords=keywords, keyword_examples="none").fit(few_X, few_Y)
        rows.append(
            (
                labels[j],
                int(Y_test[:, j].sum()),
                supervised,
                zero_shot,
                field_scores(with_kw, X_test, Y_test, j),
                field_scores(without, X_test, Y_test, j),
                supervised_without,
            )
        )
        print(labels[j], "done", flush=True)

    def mean(index, key):
        return float(np.mean([row[index][key] for row in rows]))

    lines = [
        f"Measured on {platform.machine()}, Python {platform.python_version()}; {len(train)} training and "
        f"{len(test)} held-out documents; fields with at least {args.min_count} documents.",
        "",
        "| field | held-out docs | F1 with labels + keywords | F1 with labels only | zero-shot P | zero-shot R "
        f"| zero-shot F1 | zero-shot in top 3 | F1, {FEW} examples + keywords | F1, {FEW} examples only |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, support, sup, zero, kw, plain, sup_plain in rows:
        lines.append(
            f"| {name} | {support} | {sup['f1']:.2f} | {sup_plain['f1']:.2f} | {zero['precision']:.2f} | "
            f"{zero['recall']:.2f} "
            f"| {zero['f1']:.2f} | {zero['top3']:.2f} | {kw['f1']:.2f} | {plain['f1']:.2f} |"
        )
    lines.append(
        f"| **mean** | | {mean(2, 'f1'):.2f} | {mean(6, 'f1'):.2f} | {mean(3, 'precision'):.2f} | "
        f"{mean(3, 'recall'):.2f} "
        f"| {mean(3, 'f1'):.2f} | {mean(3, 'top3'):.2f} | {mean(4, 'f1'):.2f} | {mean(5, 'f1'):.2f} |"
    )
    table = "\n".join(lines)
    publish(table, args.write, "keywords")


if __name__ == "__main__":
    main()
