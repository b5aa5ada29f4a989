"""The check sets of benchmarks/quality.py beyond the corpus leads: whole pages, long documents, written texts.

- Whole pages (training/data/whole_pages.jsonl): corpus items as whole releases, in our own words, same
  ids and fields as the corpus. A whole page is scored only by a model that did not train on its item:
  in cross-validation by the fold model whose test part holds the item, in the time split only for
  items of the test years.
- Long documents: several real items of different fields joined into one report (each item's whole
  page where there is one, else its lead; its title as the section heading), gold fields the union of
  theirs. Built from a fold's test part only, deterministically from the fold's number.
- Reports on one theme: several real items that share one field joined the same way, so that a report has
  fewer gold fields (about 4.5, against 10 above) and a rule that accepts more shows what it costs.
- Written texts (training/written/): off-topic texts and texts in other languages, which should get no
  field, and plain policy texts on OSCE topics not written by the OSCE, which should. Written by us,
  kept apart from the corpus and never counted as real items.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WHOLE_PAGES = ROOT / "training" / "data" / "whole_pages.jsonl"
WRITTEN = ROOT / "training" / "written"
OFF_TOPIC = WRITTEN / "off_topic.jsonl"
ON_TOPIC_PLAIN = WRITTEN / "on_topic_plain.jsonl"
# Harder texts, written to choose the specificity check's settings with (training/written/README.md).
ON_TOPIC_TUNING = WRITTEN / "on_topic_tuning.jsonl"
# Written after every setting of the checks was chosen: false abstentions to expect on new policy texts.
ON_TOPIC_HELDOUT = WRITTEN / "on_topic_heldout.jsonl"
# The texts that should get no field. The held-out set was written after every setting of the checks was
# chosen and has never been used to choose anything: its rate is the honest one.
OFF_TOPIC_SETS = {
    "off_topic": OFF_TOPIC,
    "off_topic_tuning": WRITTEN / "off_topic_tuning.jsonl",
    "off_topic_heldout": WRITTEN / "off_topic_heldout.jsonl",
}

LONG_DOCUMENTS_PER_FOLD = {"time": 60, "cv5": 30}
LONG_DOCUMENT_ITEMS = (3, 12)  # items joined per long document, at least and at most
LONG_DOCUMENT_TITLE = "Activity report"
THEME_DOCUMENT_ITEMS = (3, 8)  # items sharing a field joined per report on one theme
THEME_MIN_ITEMS = 3  # a theme is a field with at least this many items in the test part
THEME_SEED = 100  # added to the fold's number, so that themes are drawn apart from the long documents


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def whole_pages() -> dict[str, dict]:
    """The whole-page check set by item id."""
    return {record["id"]: record for record in read_jsonl(WHOLE_PAGES)}


def page_text(record: dict) -> str:
    """A record as the model reads it: title line, then the text."""
    return f"{record['title']}\n{record['text']}"


def long_documents(records: list[dict], Y: np.ndarray, items, pages: dict[str, dict], seed: int, n: int):
    """`n` long documents joined from `items` (indices into records), each item bringing a field the
    document does not have yet: a list of (text as the model reads it, gold indicator row, item indices)."""
    rng = random.Random(seed)
    items = sorted(int(i) for i in items)
    documents = []
    for _ in range(n):
        size = rng.randint(*LONG_DOCUMENT_ITEMS)
        order = items[:]
        rng.shuffle(order)
        chosen, fields = [], set()
        for i in order:
            new = set(np.flatnonzero(Y[i]).tolist()) - fields
            if new:
                chosen.append(i)
                fields |= new
            if len(chosen) == size:
                break
        gold = np.zeros(Y.shape[1], dtype=np.int8)
        gold[sorted(fields)] = 1
        documents.append((joined(records, chosen, pages), gold, chosen))
    return documents


def theme_documents(records: list[dict], Y: np.ndarray, items, pages: dict[str, dict], seed: int, n: int):
    """`n` reports on one theme: a field with at least THEME_MIN_ITEMS of `items`, and THEME_DOCUMENT_ITEMS of
    the items carrying it joined as `long_documents` joins them; the gold fields are the union of the items'."""
    rng = random.Random(THEME_SEED + seed)
    items = sorted(int(i) for i in items)
    themes = [j for j in range(Y.shape[1]) if Y[items, j].sum() >= THEME_MIN_ITEMS]
    documents = []
    for _ in range(n):
        theme = rng.choice(themes)
        pool = [i for i in items if Y[i, theme]]
        rng.shuffle(pool)
        chosen = pool[: rng.randint(*THEME_DOCUMENT_ITEMS)]
        gold = (Y[chosen].sum(axis=0) > 0).astype(np.int8)
        documents.append((joined(records, chosen, pages), gold, chosen))
    return documents


def joined(records: list[dict], chosen: list[int], pages: dict[str, dict]) -> str:
    """One report from the `chosen` items: each item's whole page where there is one, else its lead, under its
    title as a section heading."""
    sections = []
    for i in chosen:
        source = pages.get(records[i]["id"], records[i])
        sections.append(f"{source['title']}\n\n{source['text']}")
    return f"{LONG_DOCUMENT_TITLE}\n" + "\n\n".join(sections)
