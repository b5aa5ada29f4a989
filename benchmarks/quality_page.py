"""docs/benchmarks.md from the results of benchmarks/quality.py: tables, paired bootstrap intervals, per-field F1."""

from __future__ import annotations

import os
import platform

import numpy as np
from quality_systems import CACHE, SEED, SYSTEMS

from quality_sets import LONG_DOCUMENT_ITEMS, LONG_DOCUMENTS_PER_FOLD, THEME_DOCUMENT_ITEMS, THEME_MIN_ITEMS

COLUMNS = [
    ("micro_f1", "micro-F1"),
    ("macro_f1", "macro-F1"),
    ("samples_f1", "samples-F1"),
    ("p@1", "P@1"),
    ("ndcg@3", "nDCG@3"),
]
SPLIT_TITLES = {
    "time": "Time split: trained on items up to 2020 ({train} items), tested on 2021-2024 ({test} items)",
    "cv5": "5-fold multi-label stratified cross-validation ({total} items; pooled out-of-fold predictions)",
}
SPLIT_NAMES = {"time": "time split", "cv5": "5-fold CV"}
NOT_PEERS = {"ours", "ours-whole", "ours-no-guide"}
SHORT_NAMES = {
    "ours-whole": "ours read whole",
    "keywords": "keyword matcher",
    "fasttext": "fastText",
    "annif-tfidf": "Annif tfidf",
    "annif-omikuji": "Annif omikuji",
    "annif-ensemble": "Annif ensemble",
}  # what ours is compared against: every other system
BOOTSTRAP_RESAMPLES = 2000


def markdown(stored: dict, split_sets, n_items: int) -> str:
    lines = [
        "# Quality benchmark: classifier against Annif, fastText, a keyword matcher and a scikit-learn baseline",
        "",
        "*Written by `python benchmarks/quality.py` (see [benchmarks/README.md](../benchmarks/README.md)); "
        "rerun it, do not edit by hand.*",
        "",
        f"Same corpus (`training/data/releases.jsonl`, {n_items} labelled items, 23 fields), same splits, same "
        "metrics (`classifier.evaluation.metrics.evaluate`) for every system. Each system tunes only on its training "
        "part: ours its per-field thresholds by internal cross-validation; each peer its limit and threshold "
        "(and the ensemble its weights) on a stratified fifth of the training part, after which it is retrained "
        "on the whole training part. The scikit-learn baseline is untuned (0.5); the keyword matcher is not trained "
        "(it reads `taxonomy.yaml` only). Ours is built as `classifier train` builds it (with `taxonomy.yaml`'s "
        "keyword document of each field as an extra example) and reads texts as `classifier suggest` does: a text "
        "longer than 350 words window by window, a text in another language or out of scope given no field "
        "(`classifier.estimator.windows`, `classifier.estimator.scope`); the row 'read whole' is the same model "
        "reading every text whole and always accepting one field, as before. Macro-F1 averages all 23 fields "
        "(a field absent from a test set counts as 0 for every system alike). Training seconds: one fit on a "
        "training part (ours includes its internal 5-fold calibration; the peers' tuning runs are not counted); "
        "documents per second: suggestions for the test documents in one batch. "
        f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Ours, the keyword matcher, the baseline and standalone fastText (one thread, seeded) give the same numbers "
        "on every run; Annif's fasttext (12 threads) and its ensemble (weights from `annif hyperopt`, whose search "
        "is not seeded) do not, and the ensemble moves by several points between runs (see benchmarks/README.md).",
        "",
    ]
    for split_name in ("time", "cv5"):
        rows = stored.get(split_name, {}).get("lead")
        if not rows:
            continue
        train, test = split_sets[split_name][0]
        lines += ["## " + SPLIT_TITLES[split_name].format(train=len(train), test=len(test), total=n_items), ""]
        lines += metric_table(rows, timing=True)
        lines += uncertainty_lines(split_name, rows)
        chosen = [
            f"{SYSTEMS[name]}: {_chosen_text(rows[name]['chosen'])}"
            for name in SYSTEMS
            if name in rows and any(rows[name]["chosen"])
        ]
        if chosen:
            lines += [
                "Chosen on the validation fifth of each training part (limit, threshold, other settings; fastText "
                "settings whose training diverged, 'Encountered NaN' on every try, are skipped and named):",
                "",
            ]
            lines += [f"- {text}" for text in chosen] + [""]
    lines += whole_page_section(stored, split_sets)
    lines += long_document_section(stored)
    lines += abstention_section(stored)
    lines += per_field_section(stored)
    lines += field_guide_section(stored)
    lines += learning_curve_section(stored.get("learning_curve", {}))
    return "\n".join(lines)


def metric_table(rows: dict, timing: bool = False, extra=()) -> list[str]:
    head = "| system | " + " | ".join(title for _, title in COLUMNS) + "".join(f" | {title}" for _, title, _ in extra)
    head += " | training s | docs/s |" if timing else " |"
    lines = [head, "| --- |" + " ---: |" * (len(COLUMNS) + len(extra) + (2 if timing else 0))]
    best = {key: max(row[key] for row in rows.values()) for key, _ in COLUMNS}
    for name in SYSTEMS:
        if name not in rows or "micro_f1" not in rows[name]:
            continue
        row = rows[name]
        cells = [f"**{row[key]:.3f}**" if row[key] == best[key] else f"{row[key]:.3f}" for key, _ in COLUMNS]
        cells += [form.format(row[key]) for key, _, form in extra]
        tail = f" | {row['train_seconds']:.2f} | {row['docs_per_second']:,.0f} |" if timing else " |"
        lines.append(f"| {SYSTEMS[name]} | " + " | ".join(cells) + tail)
    return lines + [""]


def whole_page_section(stored, split_sets) -> list[str]:
    lines = []
    for split_name in ("time", "cv5"):
        rows = stored.get(split_name, {}).get("page")
        if not rows or not any("micro_f1" in r for r in rows.values()):
            continue
        n = next(iter(rows.values()))["documents"]
        if not lines:
            lines += [
                "## Whole pages",
                "",
                "The corpus holds leads; users give whole pages. `training/data/whole_pages.jsonl` holds corpus items "
                "as "
                "whole releases (150-300 words, in our own words, same ids and fields). Each is scored only by a model "
                "that never trained on its item: in cross-validation by the fold model whose test part holds it, in "
                "the "
                "time split only items of 2021-2024. Ours reads every whole page whole (they are below 350 words), so "
                "its two rows agree.",
                "",
            ]
        lines += [f"### {SPLIT_NAMES[split_name]}: {n} whole pages", ""]
        lines += metric_table(rows, extra=[("fields_per_document", "fields/doc", "{:.2f}")])
    return lines


def long_document_section(stored) -> list[str]:
    low, high = LONG_DOCUMENT_ITEMS
    theme_low, theme_high = THEME_DOCUMENT_ITEMS
    lines = []
    for set_name, heading, intro, what in (
        (
            "long",
            "## Long documents",
            f"Reports made by joining {low} to {high} real items of different fields from a test part (each item's "
            "whole page where there is one, else its lead, under its title as a section heading; the gold fields are "
            f"the union of the items'), {LONG_DOCUMENTS_PER_FOLD['time']} for the time split and "
            f"{LONG_DOCUMENTS_PER_FOLD['cv5']} per CV fold, the same on every run (`benchmarks/quality_sets.py`). "
            "Scored by the models of that split or fold, which never trained on those items.",
            "long documents",
        ),
        (
            "long_theme",
            "## Long documents on one theme",
            f"Reports joined the same way from {theme_low} to {theme_high} real items that share one field (a field "
            f"with at least {THEME_MIN_ITEMS} items in the test part), as many as above: fewer gold fields per report, "
            "so that a rule that accepts more fields shows what it costs in precision.",
            "reports on one theme",
        ),
    ):
        started = False
        for split_name in ("time", "cv5"):
            rows = stored.get(split_name, {}).get(set_name)
            if not rows or not any("micro_f1" in r for r in rows.values()):
                continue
            first = next(iter(rows.values()))
            if not started:
                lines += [heading, "", intro, ""]
                started = True
            lines += [
                f"### {SPLIT_NAMES[split_name]}: {first['documents']} {what}, {first['gold_per_document']:.1f} "
                "gold fields each on average",
                "",
            ]
            lines += metric_table(
                rows,
                extra=[
                    ("micro_p", "micro-P", "{:.3f}"),
                    ("micro_r", "micro-R", "{:.3f}"),
                    ("fields_per_document", "fields/doc", "{:.2f}"),
                ],
            )
    return lines


def abstention_section(stored) -> list[str]:
    lines = [
        "## Abstaining: texts in other languages and out of scope",
        "",
        "Ours gives no field to a text it flags `language` (not English) or `out-of-scope` (not an OSCE-like policy "
        "text); the other systems have no such check, so for them the count is of texts given no field by their "
        "own threshold. False abstentions are real items, whole pages and long documents given no field. The "
        "settings of ours' checks were chosen on the real items (no false abstention under cross-validation) and on "
        "the written sets marked tuning and on the first off-topic set; the held-out set was written after they were "
        "chosen and has never been used to choose anything, so its rate is the one to expect on new texts. A dash: "
        "that system's last run predates the set.",
        "",
    ]
    lines += [
        "| split | check set | documents | ours: flagged language | ours: flagged out-of-scope | "
        + " | ".join(f"{SHORT_NAMES[n]}: given no field" for n in SHORT_NAMES)
        + " |",
        "| --- | --- |" + " ---: |" * (3 + len(SHORT_NAMES)),
    ]
    for split_name in ("time", "cv5"):
        for set_name, title in (
            ("lead", "corpus leads (real items)"),
            ("page", "whole pages (real items)"),
            ("long", "long documents (real items)"),
            ("long_theme", "long documents on one theme (real items)"),
            ("on_topic_plain", "plain policy texts on OSCE topics (written)"),
            ("on_topic_tuning", "plain policy texts on OSCE topics, tuning (written)"),
            ("on_topic_heldout", "plain policy texts on OSCE topics, held out (written; never used to choose)"),
            ("off_topic", "off-topic and non-English texts (written)"),
            ("off_topic_tuning", "off-topic texts, tuning (written)"),
            ("off_topic_heldout", "off-topic and non-English texts, held out (written; never used to choose)"),
        ):
            rows = stored.get(split_name, {}).get(set_name, {})
            if "ours" not in rows:
                continue
            ours = rows["ours"]
            others = [f"{rows[n]['documents'] - rows[n]['given_a_field']}" if n in rows else "-" for n in SHORT_NAMES]
            lines.append(
                f"| {SPLIT_NAMES[split_name]} | {title} | {ours['documents']} | {ours['flags'].get('language', 0)} | "
                f"{ours['flags'].get('out-of-scope', 0)} | " + " | ".join(others) + " |"
            )
    lines.append("")
    for set_name, which in (
        ("off_topic", "Off-topic texts"),
        ("off_topic_tuning", "Off-topic tuning texts"),
        ("off_topic_heldout", "Held-out off-topic texts"),
    ):
        for split_name in ("time", "cv5"):
            off = stored.get(split_name, {}).get(set_name, {}).get("ours")
            if off and "by_kind" in off:
                models = (
                    "the time split's model"
                    if split_name == "time"
                    else "each of the 5 CV fold models (counts add up over the five)"
                )
                kinds = ", ".join(f"{kind} {given}/{total}" for kind, (given, total) in off["by_kind"].items())
                lines += [f"{which} given no field by ours, by kind, with {models}: {kinds}.", ""]
    for split_name in ("time", "cv5"):
        rows = stored.get(split_name, {}).get("on_topic_plain")
        if rows and any("micro_f1" in r for r in rows.values()):
            n = next(iter(rows.values()))["documents"]
            lines += [
                f"### Plain policy texts on OSCE topics ({n} written texts; {SPLIT_NAMES[split_name]} models)",
                "",
            ]
            lines += metric_table(rows, extra=[("fields_per_document", "fields/doc", "{:.2f}")])
    return lines


def per_field_section(stored) -> list[str]:
    lines = []
    for split_name in ("time", "cv5"):
        rows = stored.get(split_name, {}).get("lead", {})
        if "ours" not in rows or "keywords" not in rows:
            continue
        ours, matcher = rows["ours"], rows["keywords"]
        intervals = per_field_intervals(split_name, list(ours["per_field_f1"]))
        if not lines:
            lines += [
                "## Per field: ours against the keyword matcher (corpus leads)",
                "",
                "F1 of each field; **below** marks a field where ours is below the keyword matcher. The interval is "
                f"the 95% interval of the difference from {BOOTSTRAP_RESAMPLES:,} paired bootstrap resamples of the "
                "test documents: on the time split most fields have fewer than 20 test items, so one document more "
                "or less moves a field's F1 by several hundredths.",
                "",
            ]
        lines += [
            f"### {SPLIT_NAMES[split_name]}",
            "",
            "| field | support | ours | keyword matcher | difference | 95% interval |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        below, clearly = 0, 0
        for label, f1 in ours["per_field_f1"].items():
            other = matcher["per_field_f1"][label]
            mark = " **below**" if f1 < other else ""
            below += bool(mark)
            interval = ""
            if intervals is not None:
                low, high = intervals[label]
                interval = f"{low:+.3f} to {high:+.3f}"
                clearly += bool(mark) and high < 0
            lines.append(
                f"| {label} | {ours['per_field_support'][label]} | {f1:.3f} | {other:.3f} | {f1 - other:+.3f}{mark} "
                f"| {interval} |"
            )
        summary = f"Ours is below the keyword matcher on {below} of {len(ours['per_field_f1'])} fields"
        if intervals is not None:
            summary += f"; for {clearly} of them the whole interval is below zero"
        lines += ["", summary + ".", ""]
    return lines


def per_field_intervals(split_name: str, labels: list[str]) -> dict[str, tuple[float, float]] | None:
    """Per field, the 2.5th and 97.5th percentiles of ours minus the keyword matcher's F1 over paired bootstrap
    resamples of the test documents (both systems on the same resample); None without the stored arrays."""
    paths = [CACHE / split_name / f"{name}.npz" for name in ("ours", "keywords")]
    if not all(path.exists() for path in paths):
        return None
    ours, matcher = (dict(np.load(path)) for path in paths)
    Y = ours["Y"].astype(bool)
    accepted = ours["accepted"].astype(bool), matcher["accepted"].astype(bool)

    def difference(rows: np.ndarray) -> np.ndarray:
        f1 = []
        for chosen in accepted:
            gold, found = Y[rows], chosen[rows]
            true_pos = (gold & found).sum(axis=0)
            denominator = 2 * true_pos + (found & ~gold).sum(axis=0) + (gold & ~found).sum(axis=0)
            f1.append(np.where(denominator > 0, 2 * true_pos / np.maximum(denominator, 1), 0.0))
        return f1[0] - f1[1]

    rng = np.random.default_rng(SEED)
    samples = np.array([difference(rng.integers(0, len(Y), len(Y))) for _ in range(BOOTSTRAP_RESAMPLES)])
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    return {label: (float(low[j]), float(high[j])) for j, label in enumerate(labels)}


def field_guide_section(stored) -> list[str]:
    """Ours with and without the field guide's written examples: every check set of real items, per field on leads."""
    lines = []
    for split_name in ("time", "cv5"):
        by_set = stored.get(split_name, {})
        if "ours-no-guide" not in by_set.get("lead", {}):
            continue
        if not lines:
            lines += [
                "## What the field guide adds",
                "",
                "`field_guide.yaml` holds sentences written by us, each a positive example of its own field only "
                "(never of another's, never a test item); `classifier train` adds them unless told "
                "`--no-written-examples`. Ours with them against ours without them, on the real items of each check "
                "set (micro-F1 / macro-F1 / P@1):",
                "",
            ]
        lines += [
            f"### {SPLIT_NAMES[split_name]}",
            "",
            "| check set | with the field guide | without | difference |",
            "| --- | --- | --- | --- |",
        ]
        for set_name, title in (("lead", "corpus leads"), ("page", "whole pages"), ("long", "long documents")):
            rows = by_set.get(set_name, {})
            if "ours" not in rows or "ours-no-guide" not in rows:
                continue
            keys = ("micro_f1", "macro_f1", "p@1")
            with_, without = rows["ours"], rows["ours-no-guide"]
            cells = [" / ".join(f"{row[k]:.3f}" for k in keys) for row in (with_, without)]
            difference = " / ".join(f"{with_[k] - without[k]:+.3f}" for k in keys)
            lines.append(f"| {title} | {cells[0]} | {cells[1]} | {difference} |")
        lines.append("")
        lines += _guide_interval(split_name)
        lead = by_set["lead"]
        changed = [
            (label, f1, lead["ours-no-guide"]["per_field_f1"][label])
            for label, f1 in lead["ours"]["per_field_f1"].items()
            if round(f1, 3) != round(lead["ours-no-guide"]["per_field_f1"][label], 3)
        ]
        if changed:
            parts = [f"{label} {without:.2f} → {f1:.2f}" for label, f1, without in changed]
            lines += [f"Fields whose F1 on the leads changes (without → with): {'; '.join(parts)}.", ""]
        else:
            lines += ["No field's F1 on the leads changes.", ""]
    return lines


def _guide_interval(split_name: str) -> list[str]:
    stored = [CACHE / split_name / f"{name}.npz" for name in ("ours", "ours-no-guide")]
    if not all(path.exists() for path in stored):
        return []
    ours, without = (dict(np.load(path)) for path in stored)
    parts = [
        f"{title} {difference:+.3f} ({low:+.3f} to {high:+.3f})"
        for title, (difference, low, high) in zip(("micro-F1", "macro-F1", "P@1"), paired_bootstrap(ours, without))
    ]
    return [
        f"On the leads, with minus without, 95% interval from {BOOTSTRAP_RESAMPLES:,} paired bootstrap resamples: "
        + "; ".join(parts)
        + ".",
        "",
    ]


def learning_curve_section(curve: dict) -> list[str]:
    if not curve:
        return []
    lines = [
        "## Learning curve of the shipped recipe",
        "",
        "Ours trained on a random share (seed 0) of each training part, tested on the same test leads.",
        "",
        "| split | share of the training part | training documents | micro-F1 | macro-F1 | P@1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for split_name, points in curve.items():
        for fraction, row in points.items():
            lines.append(
                f"| {SPLIT_NAMES[split_name]} | {float(fraction):.0%} | {row['training_documents']} | "
                f"{row['micro_f1']:.3f} | {row['macro_f1']:.3f} | {row['p@1']:.3f} |"
            )
    return lines + [""]


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
        samples.append(
            fast_metrics(Y[rows], ours["scores"][rows], a_acc[rows])
            - fast_metrics(Y[rows], peer["scores"][rows], b_acc[rows])
        )
    low, high = np.percentile(np.array(samples), [2.5, 97.5], axis=0)
    return [(float(d), float(lo), float(hi)) for d, lo, hi in zip(observed, low, high)]


def uncertainty_lines(split_name: str, rows: dict) -> list[str]:
    """Ours against the best other system on micro-F1, macro-F1 and P@1, with 95% paired bootstrap intervals."""
    stored = {name: CACHE / split_name / f"{name}.npz" for name in rows}
    if "ours" not in rows or not all(path.exists() for path in stored.values()):
        return []
    if not any(name not in NOT_PEERS for name in rows):  # a checkout where only ours was measured
        return ["No other system was measured in this run: `--systems all` measures them.", ""]
    arrays = {name: dict(np.load(path)) for name, path in stored.items()}
    lines = [
        f"Ours minus the best other system, with a 95% interval from {BOOTSTRAP_RESAMPLES:,} paired bootstrap "
        "resamples of the test documents:",
        "",
    ]
    for k, (key, title) in enumerate([("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("p@1", "P@1")]):
        peer = max((name for name in rows if name not in NOT_PEERS), key=lambda name: rows[name][key])
        difference, low, high = paired_bootstrap(arrays["ours"], arrays[peer])[k]
        lines.append(f"- {title}: {difference:+.3f} against {SYSTEMS[peer]} ({low:+.3f} to {high:+.3f})")
    lines.append("")
    return lines


def _chosen_text(per_fold: list[dict]) -> str:
    def one(fold: dict) -> str:
        text = ", ".join(f"{k}={v}" for k, v in fold.items() if k != "skipped, diverged")
        return text + (f" (skipped, diverged: {fold['skipped, diverged']})" if "skipped, diverged" in fold else "")

    return "; ".join(one(fold) for fold in per_fold)
