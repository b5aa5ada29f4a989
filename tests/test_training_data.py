"""The training corpus and every dated fixture obey the data rules."""

import datetime as dt
import json
import re
from collections import Counter

import pytest

from conftest import ROOT

DATA = ROOT / "training" / "data"
RECORD_FILES = [DATA / "releases.jsonl", DATA / "unlabelled.jsonl"]
KEYS = {"id", "published", "title", "text", "where", "content_type", "source_url"}


def is_reserved(day: dt.date) -> bool:
    """Items from days 1-5 of any month, or from 2025 on, are kept for independent evaluation."""
    return day.day <= 5 or day >= dt.date(2025, 1, 1)


def records(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_records_have_the_schema(path):
    for number, record in enumerate(records(path), 1):
        where = f"{path.name}:{number}"
        assert KEYS <= set(record), where
        assert re.fullmatch(r"osce-[0-9a-f]{16}", record["id"]), where
        assert record["title"].strip() and len(record["text"].split()) >= 3, where
        assert record["source_url"].startswith("https://"), where
        assert isinstance(record["where"], list), where


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_no_reserved_item_is_in_training_data(path):
    reserved = [r["published"] for r in records(path) if is_reserved(dt.date.fromisoformat(r["published"]))]
    assert reserved == []


def test_every_dated_file_under_training_tests_and_examples_respects_the_reserved_rule():
    pattern = re.compile(r'"published"\s*:\s*"(\d{4}-\d{2}-\d{2})"')
    found = 0
    for folder in ("training", "tests", "examples"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".jsonl", ".json", ".csv", ".txt"}:
                for day in pattern.findall(path.read_text(encoding="utf-8", errors="replace")):
                    found += 1
                    assert not is_reserved(dt.date.fromisoformat(day)), f"{path}: {day}"
    assert found > 0


def test_example_and_fixture_pages_are_not_reserved():
    from classifier.corpus.release import parse_release

    pages = list((ROOT / "examples").glob("*.txt")) + list((ROOT / "tests" / "fixtures").glob("*.txt"))
    for page in pages:
        release = parse_release(page.read_text(encoding="utf-8"))
        if release.date:
            assert not is_reserved(release.date), page


def test_labels_are_taxonomy_names_and_items_are_unique(taxonomy):
    labelled = records(DATA / "releases.jsonl")
    for record in labelled:
        assert record["labels"] and set(record["labels"]) <= set(taxonomy.labels), record["id"]
    all_records = labelled + records(DATA / "unlabelled.jsonl")
    ids = Counter(r["id"] for r in all_records)
    assert [i for i, n in ids.items() if n > 1] == []
    texts = Counter((r["title"].casefold(), r["published"]) for r in all_records)
    assert [t for t, n in texts.items() if n > 1] == []


def test_unlabelled_items_carry_no_labels():
    assert all("labels" not in r for r in records(DATA / "unlabelled.jsonl"))


def test_items_with_long_label_lists_are_marked():
    for record in records(DATA / "releases.jsonl"):
        assert record.get("many_labels", False) == (len(record["labels"]) >= 8), record["id"]


def test_data_card_is_generated_from_the_current_data():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "training" / "datacard.py"), "--check"])
    assert result.returncode == 0, "training/DATA.md is stale: run python training/datacard.py"


def test_whole_pages_are_corpus_items_with_the_same_facts_and_a_longer_text():
    corpus = {record["id"]: record for record in records(DATA / "releases.jsonl")}
    pages = records(DATA / "whole_pages.jsonl")
    assert len(pages) >= 150 and len({page["id"] for page in pages}) == len(pages)
    for number, page in enumerate(pages, 1):
        where = f"whole_pages.jsonl:{number}"
        lead = corpus[page["id"]]
        for key in ("published", "title", "labels", "where", "source_url"):
            assert page[key] == lead[key], f"{where}: {key}"
        assert 150 <= len(page["text"].split()) <= 300, where
        assert len(page["text"]) > len(lead["text"]), where
        assert page["page_url"].startswith(("http://", "https://")), where
        assert not is_reserved(dt.date.fromisoformat(page["published"])), where
