"""The labels file and the review queue, without a server."""

import json
import os
from collections import Counter
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

import classifier.serve.queue as queue_module
from classifier.errors import ClassifierError
from classifier.serve.queue import DecisionError, LabelsFile, QueueItem, ReviewQueue, resolve_labels

from conftest import ROOT, training_records, write_jsonl


def test_append_writes_whole_rows_and_counts_fields(tmp_path):
    path = tmp_path / "labelled.jsonl"
    labels = LabelsFile(path)
    labels.append([{"id": "a", "labels": ["Elections"]}, {"id": "b", "labels": ["Elections", "Youth"]}])
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == ["a", "b"]
    again = LabelsFile(path)
    assert again.ids == {"a", "b"} and again.rows == 2
    assert (again.counts["Elections"], again.counts["Youth"]) == (2, 1)


def test_a_file_without_its_final_newline_keeps_its_last_row_whole(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "old", "labels": ["Youth"]}', encoding="utf-8")
    LabelsFile(path).append([{"id": "new", "labels": ["Elections"]}])
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == ["old", "new"]


def test_a_failed_write_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "old", "labels": ["Youth"]}\n', encoding="utf-8")
    os.chmod(path, 0o640)
    labels = LabelsFile(path)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        labels.append([{"id": "new", "labels": ["Elections"]}])
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == '{"id": "old", "labels": ["Youth"]}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]
    assert "new" not in labels.ids
    labels.append([{"id": "new", "labels": ["Elections"]}])
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_unreadable_lines_are_counted_not_fatal(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "a", "labels": ["Youth"]}\n{"id": "b", "lab\n\n', encoding="utf-8")
    labels = LabelsFile(path)
    assert labels.ids == {"a"} and labels.unreadable_lines == 1


def test_a_line_nested_too_deeply_is_an_unreadable_line_and_kept(tmp_path):
    path = tmp_path / "labelled.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(f'{{"id": "a", "labels": ["Youth"]}}\n{deep}\n', encoding="utf-8")
    labels = LabelsFile(path)
    assert labels.ids == {"a"} and labels.unreadable_lines == 1 and labels.counts["Youth"] == 1
    labels.append([{"id": "b", "labels": ["Elections"]}])
    assert path.read_text(encoding="utf-8").splitlines()[1:] == [deep, '{"id": "b", "labels": ["Elections"]}']


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_utf16_labels_file_is_refused_before_a_utf8_row_is_added_to_it(tmp_path, encoding):
    """train reads such a file whole in its encoding: a decision appended as UTF-8 would be lost in it."""
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "a", "labels": ["Youth"]}\n{"id": "b", "labels": ["Elections"]}\n', encoding=encoding)
    before = path.read_bytes()
    with pytest.raises(ClassifierError) as refused:
        LabelsFile(path)
    assert str(refused.value) == (
        f"{path}: saved as UTF-16 or UTF-32 (it starts with their byte-order mark); decisions are added as UTF-8 "
        "lines, which no reader would find in it: save it as UTF-8, or name a new --labels file"
    )
    assert path.read_bytes() == before


def test_resolve_labels_takes_aliases_in_taxonomy_order(taxonomy):
    assert resolve_labels(["youth", "Elections"], taxonomy) == ["Elections", "Youth"]
    with pytest.raises(DecisionError, match="unknown fields"):
        resolve_labels(["Astrology"], taxonomy)
    with pytest.raises(DecisionError, match="at least one"):
        resolve_labels([], taxonomy)


def test_queue_skips_documents_already_labelled_and_puts_skipped_ones_last(tmp_path, taxonomy):
    from classifier.serve.queue import QueueItem

    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "b", "title": "title b", "text": "text", "labels": ["Youth"]}\n', encoding="utf-8")
    items = [QueueItem(doc_id, f"title {doc_id}", "text", "q.jsonl", ["Elections"], 0.5) for doc_id in "abcd"]
    queue = ReviewQueue(items, LabelsFile(path), taxonomy)
    assert [item.id for item in queue.pending()] == ["a", "c", "d"]
    queue.decide("a", None, skip=True)
    assert [item.id for item in queue.pending()] == ["c", "d", "a"]
    queue.decide("a", ["Elections"])
    progress = queue.progress()
    assert (progress["labelled"], progress["left"], progress["skipped"]) == (2, 2, 0)
    assert progress["field_counts"]["Elections"] == 1 and progress["field_counts"]["Youth"] == 1
    with pytest.raises(DecisionError) as refused:
        queue.decide("a", ["Elections"])
    assert refused.value.status == 409


def test_the_queue_orders_its_size_as_pick_would_and_leaves_labelled_documents_out(tmp_path, taxonomy):
    from classifier import load_model
    from classifier.corpus.documents import read_documents
    from classifier.workflows.picking import pick

    from serving import queue_rows, write_queue

    model = load_model()
    inputs = write_queue(tmp_path / "queue.jsonl", queue_rows(40))
    documents = list(read_documents([inputs]))
    order = [row["id"] for row in pick(model, documents, n=len(documents)).rows]
    labels = LabelsFile(tmp_path / "labelled.jsonl")
    first = next(doc for doc in documents if doc.id == order[0])
    labels.append([{"id": order[0], "title": first.title, "text": first.text, "labels": ["Elections"]}])
    # A row for another text under an id of the inputs is another document: the one with that id is still offered.
    labels.append([{"id": order[1], "title": "t", "text": "x", "labels": ["Elections"]}])
    queue = ReviewQueue.from_inputs(model, [str(inputs)], labels, taxonomy, size=10)
    rest = [row["id"] for row in pick(model, [d for d in documents if d.id != order[0]], n=10).rows]
    assert [item.id for item in queue.items] == rest
    progress = queue.progress()
    assert (progress["labelled"], progress["left"], progress["not_queued"]) == (
        1,
        10,
        40 - 1 - 10 - queue.near_duplicates,
    )


def test_a_document_labelled_under_another_path_is_known_by_its_title_and_text(tmp_path, taxonomy, monkeypatch):
    """A folder queued as `pages` and later as its absolute path: the ids (paths) differ, the documents do not."""
    from classifier import load_model

    pages = tmp_path / "pages"
    pages.mkdir()
    texts = {
        "a.txt": "Observers deployed\nODIHR observers followed the parliamentary elections in Bishkek.",
        "b.txt": "Police trained\nPolice officers trained on community policing in Osh.",
        "c.txt": "Journalists met\nJournalists discussed media freedom and the safety of reporters in Almaty.",
    }
    for name, text in texts.items():
        (pages / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    model, labels_path = load_model(), tmp_path / "labelled.jsonl"
    first = ReviewQueue.from_inputs(model, ["pages"], LabelsFile(labels_path), taxonomy)
    chosen = first.pending()[0]
    first.decide(chosen.id, ["Elections"])
    again = ReviewQueue.from_inputs(model, [str(pages.resolve())], LabelsFile(labels_path), taxonomy)
    assert again.progress()["labelled"] == 1 and len(again.pending()) == 2
    assert all(item.title != chosen.title for item in again.pending())
    assert not any(item.id == chosen.id for item in again.items)  # the ids differ: found by title and text


def test_a_decision_is_corrected_by_a_later_row_that_counts_and_training_keep(tmp_path, taxonomy, monkeypatch):
    """A mis-click corrected, in this run and after a restart: each correction is a row after the first, the
    counts follow the last one, and the training data read from the file holds the document once, corrected."""
    from classifier import load_model
    from classifier.corpus.datasets import load_training_set

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text("Observers deployed\nODIHR observers followed the elections in Osh.", encoding="utf-8")
    (pages / "b.txt").write_text("Police trained\nPolice officers trained on community policing.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    model, path = load_model(), tmp_path / "labelled.jsonl"
    queue = ReviewQueue.from_inputs(model, ["pages"], LabelsFile(path), taxonomy)
    doc_id = queue.pending()[0].id
    queue.decide(doc_id, ["Youth"])
    with pytest.raises(DecisionError, match='send "correct": true') as refused:
        queue.decide(doc_id, ["Elections"])
    assert refused.value.status == 409
    with pytest.raises(DecisionError, match="cannot skip"):
        queue.decide(doc_id, None, skip=True, correct=True)
    queue.decide(doc_id, ["Elections"], correct=True)
    counts = queue.progress()["field_counts"]
    assert (counts["Youth"], counts["Elections"], queue.progress()["labelled"]) == (0, 1, 1)
    # After a restart the document is no longer queued, and can still be corrected.
    again = ReviewQueue.from_inputs(model, ["pages"], LabelsFile(path), taxonomy)
    assert doc_id not in [item.id for item in again.pending()] and again.progress()["field_counts"]["Elections"] == 1
    again.decide(doc_id, ["Elections", "Human rights"], correct=True)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(row["labels"], row.get("corrects", False)) for row in rows] == [
        (["Youth"], False),
        (["Elections"], True),
        (["Elections", "Human rights"], True),
    ]
    assert LabelsFile(path).counts == {"Elections": 1, "Human rights": 1, "Youth": 0}
    training = load_training_set([path], taxonomy)
    assert len(training.documents) == 1
    assert [taxonomy.labels[j] for j in training.Y[0].nonzero()[0]] == ["Elections", "Human rights"]
    with pytest.raises(DecisionError, match="no document 'nope' in the queue or labelled from its inputs"):
        again.decide("nope", ["Elections"], correct=True)


# ---- exact rows, messages and counts (each checked against values written out here) ----

ELECTIONS_NOTE = ("Observers deployed", "ODIHR observers followed the parliamentary elections in Bishkek.")
POLICE_NOTE = ("Police trained", "Police officers trained on community policing in Osh.")
MEDIA_NOTE = ("Journalists met", "Journalists discussed media freedom and the safety of reporters in Almaty.")
DECIDED_AT = "2024-03-07T12:30:15Z"


class FixedClock(datetime):
    """`datetime` whose `now` is 2024-03-07 12:30:15.987654 UTC, in the zone asked for (naive when none is)."""

    @classmethod
    def now(cls, tz=None):
        moment = datetime(2024, 3, 7, 12, 30, 15, 987654, tzinfo=timezone.utc)
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(queue_module, "datetime", FixedClock)


def rows_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_labels_file_is_read_past_blank_lines_broken_lines_and_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(
        b'{"id": "a", "labels": ["Youth"]}\n'
        b"\n"
        b'{"id": "b", "lab\n'
        b'\xff{"id": "c", "labels": ["Youth"]}\n'
        b'{"id": "d",\r"labels": ["Elections"]}\n'  # a carriage return inside a row is JSON whitespace, not a line end
        b"[1, 2]\n"
        b'{"id": "e", "labels": ["Elections", "Youth"]}\n'
    )
    labels = LabelsFile(path)
    # The list is a JSON value and no row: unreadable, as train refuses it.
    assert (labels.ids, labels.rows, labels.unreadable_lines) == ({"a", "d", "e"}, 3, 3)
    assert labels.counts == Counter({"Youth": 2, "Elections": 2})
    # Said at start by the first, line 3, as train names it when it refuses the file for it.
    assert labels.unreadable_note == (
        f"{path}:3: not a JSON row (and 2 more); they are kept but not counted, and train refuses the file until they "
        "are fixed"
    )


def test_rows_without_a_usable_id_title_or_labels_are_counted_as_training_reads_them(tmp_path):
    path = tmp_path / "labelled.jsonl"
    rows = [
        {"id": "", "title": "Blank id", "text": "A row with an empty id.", "labels": ["Youth"]},
        {"id": "n", "title": 7, "text": "A row whose title is a number.", "labels": "Elections"},
        {"id": "m", "text": "A row without labels."},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    labels = LabelsFile(path)
    # Each document's fields by its title and text, as training merges rows (a blank id is still a document); a
    # labels cell of one name is that field, as training reads it; a row without labels is a document still to label.
    # A title that is a number is refused by training: a problem, not counted.
    assert (labels.ids, labels.decided, labels.rows) == ({"n", "m"}, {"blank id a row with an empty id": ["Youth"]}, 3)
    assert labels.counts == Counter({"Youth": 1})
    assert labels.problems == [f"{path}:2: column 'title' holds a number, not text"]
    assert not labels.holds(SimpleNamespace(id="x", title="", text="A row whose title is a number."))
    assert labels.holds(SimpleNamespace(id="y", title="Blank id", text="A row with an empty id."))
    assert not labels.holds(SimpleNamespace(id="m", title="", text="A row without labels."))


def test_a_document_or_queue_item_is_known_by_its_title_and_text_under_another_id(tmp_path):
    path = tmp_path / "labelled.jsonl"
    title, text = ELECTIONS_NOTE
    path.write_text(json.dumps({"id": "old", "title": title, "text": text, "labels": ["Elections"]}) + "\n", "utf-8")
    labels = LabelsFile(path)
    assert labels.holds(SimpleNamespace(id="new", title="OBSERVERS deployed!", text=text.rstrip(".")))
    assert labels.holds(QueueItem("new", title, text, "q.jsonl:1", [], 0.5))
    # The title is part of the document: the same text under no title is another one.
    assert not labels.holds(SimpleNamespace(id="new", title="", text=text))
    assert not labels.holds(QueueItem("new", "", text, "q.jsonl:1", [], 0.5))


def test_a_labels_file_that_cannot_be_read_is_one_error_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "a", "labels": ["Youth"]}\n', encoding="utf-8")

    def no_permission(*args, **kwargs):  # the tests run as root, who may read any file: a refusal is simulated
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(queue_module, "open", no_permission, raising=False)
    with pytest.raises(ClassifierError) as refused:
        LabelsFile(path)
    assert str(refused.value) == f"{path}: cannot read the labels file (Permission denied)"


def test_rows_are_written_as_utf8_json_lines_and_an_empty_file_gets_no_blank_line(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(b"")
    LabelsFile(path).append([{"id": "é", "title": "Übersicht – OSCE", "labels": ["Youth"]}])
    assert path.read_bytes() == '{"id": "é", "title": "Übersicht – OSCE", "labels": ["Youth"]}\n'.encode()


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (None, "'labels' must be a list of field names"),
        ("Elections", "'labels' must be a list of field names"),
        (["Elections", 5], "'labels' must be a list of field names"),
        ([], "give at least one field (every OSCE item has one), or skip the document"),
        (["Astrology", "Elections", "x" * 120], f"unknown fields: 'Astrology', '{'x' * 100}' (see GET /v1/taxonomy)"),
        (
            [f"nope{i}" for i in range(12)],
            "unknown fields: 'nope0', 'nope1', 'nope2', 'nope3', 'nope4', 'nope5', 'nope6', 'nope7', 'nope8', 'nope9' "
            "(see GET /v1/taxonomy)",
        ),
    ],
)
def test_labels_that_cannot_be_resolved_are_a_400_saying_why(taxonomy, labels, message):
    with pytest.raises(DecisionError) as refused:
        resolve_labels(labels, taxonomy)
    assert (str(refused.value), refused.value.status) == (message, 400)


def test_decisions_the_queue_cannot_take_are_refused_with_their_status_and_sentence(tmp_path, taxonomy):
    long_id = "L" * 250
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps({"id": long_id, "text": "text", "labels": ["Youth"]}) + "\n", encoding="utf-8")
    queue = ReviewQueue([QueueItem(long_id, "", "text", "q.jsonl:1", [], 0.5)], LabelsFile(path), taxonomy)
    cases = [
        (("M" * 250, ["Youth"]), {}, 404, f"no document '{'M' * 200}' in the queue or labelled from its inputs"),
        (
            (long_id, ["Youth"]),
            {},
            409,
            f"document '{'L' * 200}' is already labelled in labelled.jsonl; "
            'send "correct": true to replace its fields',
        ),
        ((long_id, None), {"skip": True, "correct": True}, 400, "a correction gives 'labels'; it cannot skip"),
    ]
    for args, options, status, message in cases:
        with pytest.raises(DecisionError) as refused:
            queue.decide(*args, **options)
        assert (refused.value.status, str(refused.value)) == (status, message)
    assert path.read_text(encoding="utf-8") == json.dumps({"id": long_id, "text": "text", "labels": ["Youth"]}) + "\n"


def test_each_decision_writes_one_exact_row_and_a_document_skipped_twice_comes_last_once(
    tmp_path, taxonomy, fixed_clock
):
    path = tmp_path / "labelled.jsonl"
    items = [
        QueueItem("a", *ELECTIONS_NOTE, "q.jsonl:1", ["Elections"], 0.9),
        QueueItem("b", "", POLICE_NOTE[1], "q.jsonl:2", [], 0.5),
        QueueItem("c", *MEDIA_NOTE, "q.jsonl:3", ["Media freedom and development"], 0.1),
    ]
    queue = ReviewQueue(items, LabelsFile(path), taxonomy)
    assert queue.next() is items[0]
    for doc_id in ("a", "b", "a"):
        queue.decide(doc_id, None, skip=True)
    assert ([item.id for item in queue.pending()], queue.skipped) == (["c", "b", "a"], ["b", "a"])
    assert queue.next() is items[2] and not path.exists()  # a skip writes nothing
    queue.decide("c", ["youth", "Media freedom and development"])  # an alias, and taxonomy order whatever is given
    queue.decide("a", ["Human rights", "Elections"], suggested=["Human rights"])  # fields another model suggested
    assert queue.next() is items[1] and queue.skipped == ["b"]
    queue.decide("b", ["Policing"])
    assert (queue.next(), queue.pending(), queue.skipped) == (None, [], [])
    decided = {"decided_at": DECIDED_AT}
    assert rows_of(path) == [
        {"id": "c", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1], "labels": ["Media freedom and development", "Youth"]}
        | {"origin": "q.jsonl:3", "suggested": ["Media freedom and development"]}
        | decided,
        {"id": "a", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1], "labels": ["Elections", "Human rights"]}
        | {"origin": "q.jsonl:1", "suggested": ["Human rights"]}
        | decided,
        {"id": "b", "title": "", "text": POLICE_NOTE[1], "labels": ["Policing"], "origin": "q.jsonl:2", "suggested": []}
        | decided,
    ]


def test_progress_counts_every_kind_of_document_and_every_field(tmp_path, taxonomy):
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps({"id": "b", "text": "text b", "labels": ["Youth", "Elections"]}) + "\n", "utf-8")
    items = [QueueItem(doc_id, "", f"text {doc_id}", "q.jsonl", [], 0.5) for doc_id in "abcd"]
    queue = ReviewQueue(items, LabelsFile(path), taxonomy, 3, 4, [], 5, 2)
    queue.decide("c", None, skip=True)
    queue.decide("a", ["Youth"])
    assert queue.progress() == {
        "labelled": 2 + 2,  # two before this start, and a and b of the queue
        "left": 2,
        "skipped": 1,
        "queue": 4,
        "not_queued": 5,
        "near_duplicates_left_out": 3,
        "already_trained_left_out": 4,
        "labels_file": "labelled.jsonl",  # its name only: the server's folders are not shown
        "labels_file_rows": 2,
        "field_counts": {label: 0 for label in taxonomy.labels} | {"Youth": 2, "Elections": 1},
    }


def test_the_queue_orders_by_the_strategy_asked_and_holds_exactly_its_size(tmp_path, taxonomy):
    from classifier import load_model
    from classifier.corpus.documents import read_documents
    from classifier.workflows.picking import pick

    from serving import queue_rows, write_queue

    model = load_model()
    inputs = write_queue(tmp_path / "queue.jsonl", queue_rows(6))
    documents = list(read_documents([inputs]))
    by_entropy = pick(model, documents, n=1, strategy="entropy").rows[0]
    assert by_entropy["id"] != pick(model, documents, n=1).rows[0]["id"]  # the two strategies differ on these
    queue = ReviewQueue.from_inputs(
        model, [str(inputs)], LabelsFile(tmp_path / "labelled.jsonl"), taxonomy, "entropy", 1
    )
    line = [row["id"] for row in queue_rows(6)].index(by_entropy["id"]) + 1
    assert [
        (item.id, item.title, item.text, item.origin, item.suggested, item.uncertainty) for item in queue.items
    ] == [
        # An input outside the working folder is named from it (the tests run in the checkout, tmp_path is elsewhere).
        (by_entropy["id"], by_entropy["title"], by_entropy["text"], f"{os.path.relpath(inputs)}:{line}")
        + (by_entropy["labels"],)
        + (by_entropy["uncertainty"],)
    ]


def test_the_queue_renames_a_repeated_id_and_leaves_out_copies_trained_and_labelled_documents(
    tmp_path, taxonomy, fixed_clock
):
    from classifier import load_model

    trained = training_records()[0]
    first = write_jsonl(
        tmp_path / "first.jsonl",
        [
            {"id": "a", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1]},
            {"id": "b", "title": POLICE_NOTE[0], "text": POLICE_NOTE[1]},
            {"id": "t", "title": trained["title"], "text": trained["text"]},  # what the shipped model was trained on
        ],
    )
    second = write_jsonl(
        tmp_path / "second.jsonl",
        [
            {"id": "a", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1]},  # another document with the same id
            {"id": "copy", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1]},  # the same document as a
        ],
    )
    path = tmp_path / "labelled.jsonl"
    write_jsonl(path, [{"id": "b", "title": POLICE_NOTE[0], "text": POLICE_NOTE[1], "labels": ["Policing"]}])
    queue = ReviewQueue.from_inputs(load_model(), [str(first), str(second)], LabelsFile(path), taxonomy)
    # Both documents with the id "a" are renamed, whichever input comes first.
    first, second = os.path.relpath(first), os.path.relpath(second)  # outside the working folder: named from it
    assert sorted(item.id for item in queue.items) == [f"a ({first}:1)", f"a ({second}:1)"]
    assert queue.find(f"a ({second}:1)").title == MEDIA_NOTE[0]
    progress = queue.progress()
    assert (progress["labelled"], progress["left"], progress["not_queued"]) == (1, 2, 0)
    assert (progress["near_duplicates_left_out"], progress["already_trained_left_out"]) == (1, 1)
    # A document labelled before this start is corrected with a row naming its input, and no suggested fields.
    queue.decide("b", ["Youth", "Policing"], correct=True)
    assert rows_of(path)[-1] == {
        "id": "b",
        "title": POLICE_NOTE[0],
        "text": POLICE_NOTE[1],
        "labels": ["Policing", "Youth"],
        "origin": f"{first}:2",
        "suggested": [],
        "decided_at": DECIDED_AT,
        "corrects": True,
    }


def test_serve_reads_a_queue_table_and_folder_by_the_columns_and_glob_given(tmp_path, monkeypatch):
    """`serve --queue` read tables by the default columns only and folders by *.txt only, as `pick` does without
    options: a CSV whose text is in "body" gave every row the error of a missing column, so nothing to review."""
    import pandas as pd
    from typer.testing import CliRunner

    import classifier.cli as cli

    from serving import queue_rows

    *rows, page = queue_rows(4)
    table = tmp_path / "queue.csv"
    frame = pd.DataFrame({"key": [r["id"] for r in rows], "headline": [r["title"] for r in rows]})
    frame.assign(body=[r["text"] for r in rows]).to_csv(table, index=False)
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "one.md").write_text(f"{page['title']}\n{page['text']}", encoding="utf-8")
    served = []
    monkeypatch.setattr(cli, "_serve_app", lambda service, *rest: served.append(service))
    common = ["serve", "--labels", str(tmp_path / "labels.jsonl"), "--queue-size", "10"]
    options = ["--id-column", "key", "--title-column", "headline", "--text-column", "body", "--glob", "*.md"]
    result = CliRunner().invoke(cli.app, [*common, "--queue", str(table), "--queue", str(folder), *options])
    assert result.exit_code == 0, result.output
    queue = served[0].state.queue
    assert queue.unreadable == [] and queue.near_duplicates == 0
    by_id = {item.id: item for item in queue.items}
    assert sorted(by_id) == sorted([r["id"] for r in rows] + [os.path.relpath(folder / "one.md")])
    assert (
        by_id[rows[1]["id"]].title == rows[1]["title"] and by_id[rows[1]["id"]].text.split() == rows[1]["text"].split()
    )
    # Without the options the table's rows cannot be read and the folder holds no *.txt.
    served.clear()
    result = CliRunner().invoke(cli.app, [*common, "--queue", str(table), "--queue", str(folder)])
    (queue,) = served
    assert queue.state.queue.items == [] and any("no column 'text'" in e for e in queue.state.queue.unreadable)


def test_a_server_whose_labels_lock_another_server_took_saves_nothing_and_says_so(tmp_path, caplog):
    """The labels file's lock is checked before each write (see test_outputs): a decision or learn call refused for
    it is a 409 naming the file and the cause, and the file keeps every row it had."""
    from fastapi.testclient import TestClient

    from classifier.io.outputs import lock_path, output_lock
    from classifier.serve.app import build_app

    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps({"id": "old", "text": "x", "labels": ["Youth"]}) + "\n", encoding="utf-8")
    document = {"text": "Observers followed the elections.", "subjects": [{"label": "Elections"}]}
    with output_lock(path) as held:
        client = TestClient(build_app(labels_path=path, labels_lock=held), raise_server_exceptions=False)
        assert client.post("/v1/projects/default/learn", json=[document]).status_code == 204
        lock_path(path).unlink()
        with output_lock(path), caplog.at_level("ERROR", logger="classifier.serve"):
            answer = client.post("/v1/projects/default/learn", json=[document])
        assert answer.status_code == 409 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"].startswith("labelled.jsonl: its lock (.labelled.jsonl.lock) was removed")
        # The log names the file by its whole path, the answer by its name only.
        reason = answer.json()["detail"].removeprefix("labelled.jsonl: ")
        assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
            ("classifier.serve", "ERROR", f"{path}: {reason}")
        ]
        assert len(path.read_text(encoding="utf-8").splitlines()) == 2  # the old row and the first call's
        assert client.post("/v1/projects/default/learn", json=[document]).status_code == 204  # the lock is free again
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


@pytest.mark.parametrize(
    "name, read_as", [("labels.csv", "a CSV table"), ("labels.parquet", "a PARQUET table"), ("labels.txt", "one text")]
)
def test_a_labels_file_train_would_not_read_as_rows_is_refused(tmp_path, name, read_as):
    """A CSV of labelled rows was taken as the labels file: its lines were "not JSON rows" (a warning), the first
    decision appended a JSON line to it, and train then stopped at that line ("11 cells where the header has 4"),
    so none of its rows could be used. Only a JSONL file is a labels file; nothing is written to another."""
    path = tmp_path / name
    path.write_text("id,title,text,labels\na,Vote,Observers followed the vote.,Elections\n", encoding="utf-8")
    with pytest.raises(ClassifierError) as refused:
        LabelsFile(path)
    assert str(refused.value).startswith(f"{path}: --labels names a JSONL file (.jsonl), the rows train reads")
    assert read_as in str(refused.value)
    assert path.read_text(encoding="utf-8").count("\n") == 2
    LabelsFile(tmp_path / "labels.ndjson")  # JSON lines by another name train knows


def test_a_jsonl_labels_file_without_one_json_row_is_refused(tmp_path):
    """A table saved under a .jsonl name: no line is a JSON row, so it is no labels file; one row among unreadable
    lines is (test_unreadable_lines_are_counted_not_fatal)."""
    path = tmp_path / "labels.jsonl"
    path.write_text("id,title,text,labels\na,Vote,Observers followed the vote.,Elections\n", encoding="utf-8")
    with pytest.raises(ClassifierError, match=r"labels.jsonl: none of its 2 lines is a JSON row"):
        LabelsFile(path)


def test_a_labels_file_removed_while_serving_is_said_and_counted_afresh(tmp_path, caplog):
    """Removed under a running server, the file was made again with the next decision alone, while the progress
    still counted its old rows, and nothing said they were gone."""
    import logging

    path = tmp_path / "labelled.jsonl"
    labels = LabelsFile(path)
    labels.append([{"id": "a", "labels": ["Elections"]}, {"id": "b", "labels": ["Youth"]}])
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="classifier.serve"):
        labels.append([{"id": "c", "labels": ["Policing"]}])
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == ["c"]
    assert (labels.rows, labels.ids, dict(labels.counts)) == (1, {"c"}, {"Policing": 1})
    assert f"{path}: removed while the server wrote to it; its 2 rows are gone" in caplog.text


def test_a_shared_id_means_one_document_whatever_the_order_of_the_inputs(tmp_path, taxonomy, fixed_clock):
    """Two inputs give the id "a" to two documents. The first start labels one; a start with the inputs the other way
    round must still offer the other: an id the server gave one document at one start never names another."""
    from classifier import load_model

    one = write_jsonl(tmp_path / "one.jsonl", [{"id": "a", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1]}])
    two = write_jsonl(tmp_path / "two.jsonl", [{"id": "a", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1]}])
    path = tmp_path / "labelled.jsonl"
    model = load_model()
    queue = ReviewQueue.from_inputs(model, [str(one), str(two)], LabelsFile(path), taxonomy)
    one, two = os.path.relpath(one), os.path.relpath(two)  # outside the working folder: named from it
    queue.decide(f"a ({one}:1)", ["Elections"])
    again = ReviewQueue.from_inputs(model, [str(two), str(one)], LabelsFile(path), taxonomy)
    assert [item.id for item in again.pending()] == [f"a ({two}:1)"]
    assert again.pending()[0].title == MEDIA_NOTE[0]
    assert (again.progress()["labelled"], again.progress()["left"]) == (1, 1)


def test_a_files_id_is_its_path_from_the_working_folder_however_it_was_typed(tmp_path, taxonomy, monkeypatch):
    """A folder of pages given as `pages` or as its absolute path: the same ids, with no folder above the working
    one in them; a correction after a start that typed the path otherwise replaces the fields it corrects."""
    from classifier import load_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pages").mkdir()
    for name in ("election-observation-kyrgyzstan.txt", "trafficking-training-serbia.txt"):
        (tmp_path / "pages" / name).write_text((ROOT / "examples" / name).read_text(encoding="utf-8"), encoding="utf-8")
    model = load_model()
    typed = ["pages", str(tmp_path / "pages"), "./pages/", f"{tmp_path}/pages/../pages"]
    ids = [
        sorted(
            item.id for item in ReviewQueue.from_inputs(model, [q], LabelsFile(tmp_path / "l.jsonl"), taxonomy).items
        )
        for q in typed
    ]
    expected = [
        os.path.join("pages", "election-observation-kyrgyzstan.txt"),
        os.path.join("pages", "trafficking-training-serbia.txt"),
    ]
    assert ids == [expected] * len(typed)
    path = tmp_path / "decisions.jsonl"
    ReviewQueue.from_inputs(model, ["pages"], LabelsFile(path), taxonomy).decide(expected[0], ["Youth"])
    queue = ReviewQueue.from_inputs(model, [str(tmp_path / "pages")], LabelsFile(path), taxonomy)
    queue.decide(expected[0], ["Elections"], correct=True)
    assert [row["id"] for row in rows_of(path)] == [expected[0]] * 2
    assert queue.progress()["field_counts"]["Elections"] == 1 and queue.progress()["field_counts"]["Youth"] == 0


def test_a_correction_under_another_id_replaces_the_fields_of_the_same_text(tmp_path):
    """Counted as training merges rows: by title and text. A labels file written by an older server, whose ids were
    paths as typed, holds a row for a text under one id and its correction under another."""
    path = write_jsonl(
        tmp_path / "labelled.jsonl",
        [
            {"id": "/srv/q/pages/x.txt", "title": POLICE_NOTE[0], "text": POLICE_NOTE[1], "labels": ["Youth"]},
            {"id": "pages/x.txt", "title": POLICE_NOTE[0], "text": POLICE_NOTE[1], "labels": ["Policing"]},
            {
                "id": "same-id",
                "title": MEDIA_NOTE[0],
                "text": MEDIA_NOTE[1],
                "labels": ["Media freedom and development"],
            },
            {"id": "no-text", "labels": ["Elections"]},
            {"id": "no-text", "labels": ["Gender equality"]},
        ],
    )
    labels = LabelsFile(path)
    assert labels.counts == Counter(
        {"Policing": 1, "Media freedom and development": 1, "Gender equality": 1, "Youth": 0, "Elections": 0}
    )
    assert labels.rows == 5


def test_an_id_labelled_in_an_earlier_batch_does_not_hide_another_document_with_that_id(tmp_path, taxonomy):
    """Ids are reused: each week's batch numbers its rows from 1. A labels file holding "1" for last week's text must
    not leave this week's "1" out; a row with no text is still known by its id alone."""
    from classifier import load_model

    model = load_model()
    path = tmp_path / "labelled.jsonl"
    week1 = write_jsonl(tmp_path / "week1.jsonl", [{"id": "1", "title": POLICE_NOTE[0], "text": POLICE_NOTE[1]}])
    ReviewQueue.from_inputs(model, [str(week1)], LabelsFile(path), taxonomy).decide("1", ["Policing"])
    week2 = write_jsonl(tmp_path / "week2.jsonl", [{"id": "1", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1]}])
    queue = ReviewQueue.from_inputs(model, [str(week2)], LabelsFile(path), taxonomy)
    assert [(item.id, item.title) for item in queue.pending()] == [("1", MEDIA_NOTE[0])]
    assert (queue.progress()["labelled"], queue.progress()["left"]) == (0, 1)
    # A row without a text, which train refuses, hides no document either; it is a problem said at start.
    untexted = LabelsFile(write_jsonl(tmp_path / "untexted.jsonl", [{"id": "1", "labels": ["Youth"]}]))
    assert not untexted.holds(SimpleNamespace(id="1", title=MEDIA_NOTE[0], text=MEDIA_NOTE[1]))
    assert untexted.problems == [f"{tmp_path / 'untexted.jsonl'}:1: no text in column 'text'"]


def test_an_input_outside_the_working_folder_is_named_from_it_not_by_the_servers_folders(
    tmp_path, taxonomy, monkeypatch
):
    from classifier import load_model

    (tmp_path / "data" / "pages").mkdir(parents=True)
    page = ROOT / "examples" / "trafficking-training-serbia.txt"
    (tmp_path / "data" / "pages" / page.name).write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "srv").mkdir()
    monkeypatch.chdir(tmp_path / "srv")
    for typed in ("../data/pages", str(tmp_path / "data" / "pages"), "../data/./pages/"):
        queue = ReviewQueue.from_inputs(load_model(), [typed], LabelsFile("labels.jsonl"), taxonomy)
        assert [(item.id, item.origin) for item in queue.items] == [(f"../data/pages/{page.name}",) * 2], typed


def test_build_app_serves_the_models_and_taxonomy_given_and_holds_the_queue_to_its_size(tmp_path):
    import shutil

    from fastapi.testclient import TestClient

    from classifier.serve.app import build_app

    from conftest import taxonomy_with_youth_renamed
    from serving import queue_rows, write_queue

    renamed = tmp_path / "taxonomy.yaml"
    renamed.write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    queue = write_queue(tmp_path / "queue.jsonl", queue_rows(5))
    shutil.copytree(ROOT / "models" / "default", tmp_path / "second")
    service = build_app(
        [None, tmp_path / "second"],
        queue_inputs=[str(queue)],
        labels_path=tmp_path / "labelled.jsonl",
        taxonomy_path=renamed,
        queue_size=2,
    )
    client = TestClient(service)
    assert [p["project_id"] for p in client.get("/v1/projects").json()["projects"]] == ["default", "second"]
    tree = client.get("/v1/taxonomy").json()
    names = [field["label"] for dimension in tree["dimensions"] for field in dimension["fields"]]
    assert "Young people" in names and "Youth" not in names
    progress = client.get("/v1/queue").json()["progress"]
    assert (progress["queue"], progress["left"], progress["not_queued"]) == (2, 2, 3)


def test_build_app_refuses_a_queue_without_labels_and_labels_a_queue_folder_would_read(tmp_path):
    from classifier.corpus.documents import InputError
    from classifier.errors import UsageError
    from classifier.serve.app import build_app

    folder = tmp_path / "pages"
    folder.mkdir()
    write_jsonl(folder / "pages.jsonl", [{"id": "a", "text": "Observers watched the vote."}])
    with pytest.raises(UsageError) as refused:
        build_app(queue_inputs=[str(folder)])
    assert str(refused.value) == "--queue needs --labels FILE: the file the decisions are written to"
    labels = folder / "labelled.jsonl"
    with pytest.raises(InputError) as refused:  # the folder's walk, by the glob given, would read the labels
        build_app(queue_inputs=[str(folder)], labels_path=labels, queue_glob="*.jsonl")
    assert str(refused.value) == f"{labels}: the output is also an input ({folder}); write it somewhere else"
    assert sorted(p.name for p in folder.iterdir()) == ["pages.jsonl"]


def test_a_labels_file_in_a_folder_that_does_not_exist_is_refused_before_serving(tmp_path):
    from classifier.serve.app import build_app

    labels = tmp_path / "missing" / "labelled.jsonl"
    with pytest.raises(ClassifierError) as refused:
        build_app(labels_path=labels)
    assert str(refused.value) == f"{labels}: cannot write the labels file there (No such file or directory)"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_labels_file_is_read_as_train_reads_it(tmp_path, taxonomy):
    """A row copied from a scraped page keeps a soft hyphen or a zero-width space that reading a document takes out:
    the queue's document is still known by it. Fields named by notation, URI, alias or as names joined by ";" count
    as the fields train reads; a later row without labels does not take a document's fields away (train keeps the
    labelled row); a field no taxonomy has is a problem, as train refuses it."""
    title, text = POLICE_NOTE
    rows = [
        {
            "id": "p",
            "title": title,
            "text": text.replace("police", "po\u00adlice").replace(" ", "\u200b ", 1),
            "labels": ["policing"],
        },
        {"id": "e", "text": ELECTIONS_NOTE[1], "labels": "Elections; urn:osce-field-of-work:human-rights"},
        {"id": "e", "text": ELECTIONS_NOTE[1]},
        {"id": "m", "text": MEDIA_NOTE[1], "labels": ["Safety of journalists"]},
        {"id": "x", "text": "Another text.", "labels": ["Astrology"]},
        {"id": "z", "text": "A text with an empty list.", "labels": []},
    ]
    labels = LabelsFile(write_jsonl(tmp_path / "labelled.jsonl", rows), taxonomy=taxonomy)
    assert labels.holds(QueueItem("p2", title, text, "q.jsonl:1", [], 0.5))
    assert labels.counts == Counter(
        {"Policing": 1, "Elections": 1, "Human rights": 1, "Media freedom and development": 1}
    )
    assert labels.problems == [
        f"{tmp_path / 'labelled.jsonl'}:5: unknown field 'Astrology' (see classifier taxonomy)",
        f"{tmp_path / 'labelled.jsonl'}:6: an empty list of labels (leave the key out for a document to label)",
    ]
    assert not labels.holds(SimpleNamespace(id="x", title="", text="Another text."))


def test_a_decision_read_back_from_the_labels_file_holds_its_document(tmp_path, taxonomy):
    """The row written for a page is read again as train reads it, its text parsed once more under its title, which
    can drop a line the first reading kept (a Source: line, a content type): the document is still the one labelled,
    not offered again, and a correction of it is taken."""
    from classifier import load_model

    (tmp_path / "pages").mkdir()
    pages = {
        "source.txt": "Police reform in Moldova\n\nSource: the OSCE Mission to Moldova, this week.\n"
        "The course covered human rights in policing for forty officers.\n",
        "report.txt": "Police training\nReport\nThe OSCE trained forty police officers in community policing.\n",
    }
    for name, text in pages.items():
        (tmp_path / "pages" / name).write_text(text, encoding="utf-8")
    rows = [{"id": "t", "text": "Observers watched the vote in every region and reported no incidents."}]
    table = write_jsonl(tmp_path / "untitled.jsonl", rows)
    path, inputs = tmp_path / "labelled.jsonl", [str(tmp_path / "pages"), str(table)]
    queue = ReviewQueue.from_inputs(load_model(), inputs, LabelsFile(path, taxonomy=taxonomy), taxonomy)
    ids = [item.id for item in queue.pending()]
    assert len(ids) == 3
    for doc_id in ids:
        queue.decide(doc_id, ["Policing"], digest=queue.find(doc_id).digest)
    assert queue.pending() == [] and queue.progress()["labelled"] == 3
    queue.decide(ids[0], ["Human rights"], correct=True)
    again = ReviewQueue.from_inputs(load_model(), inputs, LabelsFile(path, taxonomy=taxonomy), taxonomy)
    assert again.pending() == [] and again.progress()["labelled"] == 3 and len(rows_of(path)) == 4


def test_a_document_whose_row_would_read_back_as_nothing_is_left_out_and_an_emptied_row_counts_only_last(
    tmp_path, taxonomy
):
    """ "Statement" then "Press release": read first as a text of two words, but its row, read back as train reads it,
    holds a content type and no text; a decision would write a row train refuses. Such a document is left out at start,
    said as an input that could not be used. An empty list of labels is a problem only in a document's last row."""
    from classifier import load_model

    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "odd.txt").write_text("Statement\n\nPress release\n", encoding="utf-8")
    (tmp_path / "pages" / "ok.txt").write_text(f"{POLICE_NOTE[0]}\n\n{POLICE_NOTE[1]}\n", encoding="utf-8")
    queue = ReviewQueue.from_inputs(load_model(), [str(tmp_path / "pages")], LabelsFile(tmp_path / "l.jsonl"), taxonomy)
    assert [item.id.rsplit("/", 1)[-1] for item in queue.items] == ["ok.txt"]
    assert len(queue.unreadable) == 1 and queue.unreadable[0].endswith(
        "odd.txt: its text reads as no document once written as a row (a content type alone?): left out"
    )
    rows = [
        {"id": "e", "text": ELECTIONS_NOTE[1], "labels": []},
        {"id": "e", "text": ELECTIONS_NOTE[1], "labels": ["Elections"]},
        {"id": "m", "text": MEDIA_NOTE[1], "labels": ["Youth"]},
        {"id": "m", "text": MEDIA_NOTE[1], "labels": []},
    ]
    labels = LabelsFile(write_jsonl(tmp_path / "emptied.jsonl", rows), taxonomy=taxonomy)
    assert labels.problems == [
        f"{tmp_path / 'emptied.jsonl'}:4: an empty list of labels (leave the key out for a document to label)"
    ]


# ---- the rows read and written since the labels file is read as train reads it ----


def test_the_labels_files_fields_are_those_of_the_taxonomy_it_is_given(tmp_path):
    from classifier.taxonomy.fields import Taxonomy

    from conftest import taxonomy_with_youth_renamed

    renamed = tmp_path / "taxonomy.yaml"
    renamed.write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    rows = [
        {"id": "y", "text": "Young people met the mayor.", "labels": ["Young people"]},
        {"id": "o", "text": "A youth forum opened.", "labels": ["Youth"]},  # the old name, an alias now
    ]
    path = write_jsonl(tmp_path / "labelled.jsonl", rows)
    labels = LabelsFile(path, taxonomy=Taxonomy.from_yaml(renamed))
    assert (labels.counts, labels.problems) == (Counter({"Young people": 2}), [])
    # The shipped taxonomy knows no "Young people".
    assert LabelsFile(path).problems == [f"{path}:1: unknown field 'Young people' (see classifier taxonomy)"]


def test_problem_rows_are_said_whole_and_count_no_field(tmp_path, taxonomy):
    rows = [
        {"id": "", "labels": ["Youth"]},  # neither a text nor an id: nothing to count its fields by
        {"id": "u", "text": "A text.", "labels": ["y" * 150]},
        {"id": "e", "text": ELECTIONS_NOTE[1], "labels": []},
        {"id": "e", "text": ELECTIONS_NOTE[1], "labels": ["Elections"]},  # its last row labels it: no problem
        {"id": "p", "text": POLICE_NOTE[1], "labels": ["Policing"]},
        {"id": "p", "text": POLICE_NOTE[1], "labels": []},
        {"id": "m", "text": MEDIA_NOTE[1], "labels": []},
    ]
    path = write_jsonl(tmp_path / "labelled.jsonl", rows)
    labels = LabelsFile(path, taxonomy=taxonomy)
    assert labels.counts == Counter({"Elections": 1, "Policing": 1})
    empty = "an empty list of labels (leave the key out for a document to label)"
    assert labels.problems == [
        f"{path}:1: no text in column 'text'",
        f"{path}:2: unknown field '{'y' * 100}' (see classifier taxonomy)",  # cut at 100 characters
        f"{path}:6: {empty}",
        f"{path}:7: {empty}",
    ]


def test_a_row_the_server_wrote_is_named_so_where_it_is_a_problem(tmp_path):
    path = tmp_path / "labelled.jsonl"
    labels = LabelsFile(path)
    labels.append([{"id": "a", "labels": ["Youth"]}])
    assert labels.problems == [f"{path} (a row this server wrote): no text in column 'text'"]


def test_a_labels_file_removed_while_serving_is_said_in_one_exact_log_line(tmp_path, caplog):
    import logging

    path = tmp_path / "labelled.jsonl"
    labels = LabelsFile(path)
    labels.append([{"id": "a", "text": "A text.", "labels": ["Elections"]}])
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="classifier.serve"):
        labels.append([{"id": "b", "text": "Another text.", "labels": ["Youth"]}])
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            f"{path}: removed while the server wrote to it; its 1 rows are gone, and it is made again with the new "
            "ones",
        )
    ]


def test_a_decision_for_another_text_or_a_correction_of_nothing_is_a_412_with_the_id_cut(tmp_path, taxonomy):
    long_id = "L" * 250
    queue = ReviewQueue(
        [QueueItem(long_id, *POLICE_NOTE, "q.jsonl:1", [], 0.5)], LabelsFile(tmp_path / "labelled.jsonl"), taxonomy
    )
    shown = "L" * 200
    cases = [
        (
            {"digest": "0" * 16},
            f"document '{shown}' is not the text you were shown: the server now reads another text under that id "
            "(started again with other inputs?); nothing was saved: reload the queue",
        ),
        (
            {"correct": True},
            f"document '{shown}' is not labelled: nothing to correct (the server now reads another text under that "
            'id?); nothing was saved: send it without "correct" to label it',
        ),
    ]
    for options, message in cases:
        with pytest.raises(DecisionError) as refused:
            queue.decide(long_id, ["Policing"], **options)
        assert (refused.value.status, str(refused.value)) == (412, message)
    assert not (tmp_path / "labelled.jsonl").exists()


def test_a_row_is_known_as_the_document_it_reads_back_as_or_by_its_own_words(tmp_path):
    from classifier.serve.queue import row_error, row_key

    # A title with no text is a document; neither is nothing.
    assert row_error(POLICE_NOTE[0], "") is None
    assert row_error("", "").endswith("no text in column 'text'")
    # A content type alone reads back as no document: it is still known by its own words, case and spacing ignored.
    assert row_error("", "Press release").endswith("no text")
    assert row_key("", "PRESS RELEASE") == "press release"
    # Invisible characters a scraped page keeps inside its words are read out, as train reads the row.
    path = write_jsonl(tmp_path / "labelled.jsonl", [{"id": "p", "text": POLICE_NOTE[1], "labels": ["Policing"]}])
    scraped = POLICE_NOTE[1].replace("policing", "po\u00adlicing").replace("community", "com\u200bmunity")
    labels = LabelsFile(path)
    assert labels.holds(SimpleNamespace(id="x", title="", text=scraped))
    assert labels.holds(QueueItem("x", "", scraped, "q.jsonl:1", [], 0.5))


def test_one_file_given_twice_numbers_its_documents_again_and_an_id_of_its_own_is_kept():
    from classifier.corpus.documents import Document

    page = Document("pages/x.txt", *POLICE_NOTE, origin="pages/x.txt")
    row = Document("a", *MEDIA_NOTE, origin="q.jsonl:1")
    own = Document("b", *ELECTIONS_NOTE, origin="q.jsonl:2")
    apart = queue_module._apart([page, row, own, page, row, page, row])
    assert [doc.id for doc in apart] == [
        "pages/x.txt (pages/x.txt)",
        "a (q.jsonl:1)",
        "b",
        "pages/x.txt (pages/x.txt) #2",
        "a (q.jsonl:1) #2",
        "pages/x.txt (pages/x.txt) #3",
        "a (q.jsonl:1) #3",
    ]
    assert apart[2] == own and [doc.title for doc in apart[3:5]] == [POLICE_NOTE[0], MEDIA_NOTE[0]]


def test_a_labels_file_that_is_no_jsonl_file_is_refused_in_one_exact_sentence(tmp_path):
    text, table = tmp_path / "labels.txt", tmp_path / "labels.jsonl"
    for path, content, sentence in (
        (
            text,
            "Observers followed the vote.\n",
            f"{text}: --labels names a JSONL file (.jsonl), the rows train reads; train would read this file as one "
            "text document, and the decisions added to it would make it unreadable",
        ),
        (
            table,
            "id,title,text,labels\na,Vote,Observers followed the vote.,Elections\n",
            f"{table}: none of its 2 lines is a JSON row: it is no labels file (a table saved under a .jsonl name?); "
            "name a new --labels file, or convert it to JSON lines",
        ),
    ):
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ClassifierError) as refused:
            LabelsFile(path)
        assert str(refused.value) == sentence


def test_a_document_labelled_before_the_start_skipped_once_its_row_is_gone_leaves_the_queue_readable(
    tmp_path, taxonomy
):
    """The labels file removed while serving takes away the row of a document labelled before this start: a skip sent
    for it (its page still open in a tab) went on the list of skipped documents, and every reading of the queue after
    it failed on that document, which is in no queue (a 500 for GET /v1/queue and for every decision)."""
    path = write_jsonl(
        tmp_path / "labelled.jsonl",
        [{"id": "e", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1], "labels": ["Elections"]}],
    )
    before = QueueItem("e", *ELECTIONS_NOTE, "q.jsonl:1", [], 0.0)
    items = [
        QueueItem("p", *POLICE_NOTE, "q.jsonl:2", ["Policing"], 0.6),
        QueueItem("m", *MEDIA_NOTE, "q.jsonl:3", [], 0.4),
    ]
    queue = ReviewQueue(items, LabelsFile(path), taxonomy, labelled_before=1, labelled=[before])
    path.unlink()
    queue.decide("p", ["Policing"])  # the file made again with this row alone
    queue.decide("e", None, skip=True)
    assert [item.id for item in queue.pending()] == ["m"]
    assert (queue.progress()["left"], queue.progress()["skipped"]) == (1, 0)


def test_the_progress_counts_no_document_whose_row_went_with_a_removed_labels_file(tmp_path, taxonomy):
    """Two documents of the inputs were labelled before this start; the file removed while serving, then made again
    with one decision, holds one row: the progress still said 3 labelled."""
    rows = [
        {"id": "e", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1], "labels": ["Elections"]},
        {"id": "m", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1], "labels": ["Media freedom and development"]},
    ]
    path = write_jsonl(tmp_path / "labelled.jsonl", rows)
    before = [QueueItem("e", *ELECTIONS_NOTE, "q.jsonl:1", [], 0.0), QueueItem("m", *MEDIA_NOTE, "q.jsonl:3", [], 0.0)]
    items = [QueueItem("p", *POLICE_NOTE, "q.jsonl:2", ["Policing"], 0.6)]
    queue = ReviewQueue(items, LabelsFile(path), taxonomy, labelled_before=2, labelled=before)
    assert queue.progress()["labelled"] == 2
    path.unlink()
    queue.decide("p", ["Policing"])
    assert (queue.progress()["labelled"], queue.progress()["labels_file_rows"]) == (1, 1)


def test_a_row_giving_a_key_twice_is_a_problem_as_train_refuses_it(tmp_path, taxonomy):
    """A row corrected by hand with a second "labels" key: JSON keeps the last, so the server took the document for
    labelled with Policing and left it out of the queue, without a word, while train refuses the row (and the file)."""
    path = tmp_path / "labelled.jsonl"
    path.write_text(
        json.dumps({"id": "m", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1], "labels": ["Youth"]})
        + "\n"
        + f'{{"id": "p", "title": "{POLICE_NOTE[0]}", "text": "{POLICE_NOTE[1]}", "labels": ["Elections"], '
        '"labels": ["Policing"]}\n',
        encoding="utf-8",
    )
    labels = LabelsFile(path, taxonomy=taxonomy)
    assert labels.problems == [f"{path}:2: key 'labels' appears twice; keep one, so no value is silently dropped"]
    assert (labels.rows, labels.unreadable_lines, labels.counts) == (2, 0, Counter({"Youth": 1}))
    assert not labels.holds(QueueItem("p", *POLICE_NOTE, "q.jsonl:2", [], 0.5))
    assert labels.holds(QueueItem("m", *MEDIA_NOTE, "q.jsonl:3", [], 0.5))


def test_a_labels_file_changed_by_hand_while_serving_is_read_again_before_the_next_write(tmp_path, taxonomy, caplog):
    """Emptied by hand to start afresh, the file was made again with the next decision, while the counts, the progress
    and the queue still held its old rows: the document labelled before was never offered again. A row added by hand
    for a queue document was not known, and the queue offered it until the server was started again."""
    import logging

    path = tmp_path / "labelled.jsonl"
    items = [
        QueueItem("e", *ELECTIONS_NOTE, "q.jsonl:1", ["Elections"], 0.7),
        QueueItem("p", *POLICE_NOTE, "q.jsonl:2", ["Policing"], 0.6),
        QueueItem("m", *MEDIA_NOTE, "q.jsonl:3", [], 0.5),
    ]
    queue = ReviewQueue(items, LabelsFile(path, taxonomy=taxonomy), taxonomy)
    queue.decide("e", ["Elections"])
    path.write_text("", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="classifier.serve"):
        queue.decide("p", ["Policing"])
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == ["p"]
    assert [item.id for item in queue.pending()] == ["e", "m"]
    assert (queue.progress()["labelled"], queue.progress()["labels_file_rows"]) == (1, 1)
    assert dict(+queue.labels.counts) == {"Policing": 1}
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: changed by another program while the server wrote to it; its rows are read again"
    ]
    with path.open("a", encoding="utf-8") as out:  # labelled by hand, as train reads it
        out.write(json.dumps({"id": "m", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1], "labels": ["Youth"]}) + "\n")
    queue.decide("e", ["Elections", "Democratization"])
    assert [item.id for item in queue.pending()] == []
    assert dict(+queue.labels.counts) == {"Policing": 1, "Youth": 1, "Elections": 1, "Democratization": 1}


def test_a_labels_file_saved_as_utf16_while_serving_takes_no_utf8_row(tmp_path):
    """Saved again as UTF-16 by an editor, the file had the next decision added as UTF-8: a line no reader finds, and
    the decision lost. Nothing is written, and the next write is refused too."""
    from classifier.io.outputs import OutputError

    path = tmp_path / "labelled.jsonl"
    labels = LabelsFile(path)
    labels.append([{"id": "e", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1], "labels": ["Elections"]}])
    saved = path.read_text(encoding="utf-8").encode("utf-16")
    path.write_bytes(saved)
    for _ in range(2):
        with pytest.raises(OutputError) as refused:
            labels.append([{"id": "p", "title": POLICE_NOTE[0], "text": POLICE_NOTE[1], "labels": ["Policing"]}])
        assert str(refused.value).startswith(
            f"{path}: saved as UTF-16 or UTF-32 (it starts with their byte-order mark)"
        )
        assert path.read_bytes() == saved


def test_a_document_whose_row_was_taken_out_by_hand_is_labelled_without_being_called_labelled(tmp_path, taxonomy):
    """The file emptied by hand, a decision for a document labelled before was refused as "already labelled" (409):
    whether the file held it was asked of the rows read before, not of the file."""
    path = tmp_path / "labelled.jsonl"
    items = [QueueItem("e", *ELECTIONS_NOTE, "q.jsonl:1", ["Elections"], 0.7)]
    queue = ReviewQueue(items, LabelsFile(path, taxonomy=taxonomy), taxonomy)
    queue.decide("e", ["Elections"])
    path.write_text("", encoding="utf-8")
    queue.decide("e", ["Elections", "Human rights"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["labels"], "corrects" in row) for row in rows] == [
        ("e", ["Elections", "Human rights"], False)
    ]


def test_a_labels_file_read_again_keeps_its_counts_in_use_until_the_new_ones_are_whole(tmp_path, monkeypatch):
    """Reading a changed file again takes seconds for a large one; a queue asked meanwhile (without a lock) found no
    document labelled, and offered again the ones the file still holds."""
    path = tmp_path / "labelled.jsonl"
    labels = LabelsFile(path)
    labels.append([{"id": "e", "title": ELECTIONS_NOTE[0], "text": ELECTIONS_NOTE[1], "labels": ["Elections"]}])
    with path.open("a", encoding="utf-8") as out:  # a row added by hand
        out.write(json.dumps({"id": "m", "title": MEDIA_NOTE[0], "text": MEDIA_NOTE[1], "labels": ["Youth"]}) + "\n")
    elections = QueueItem("e", *ELECTIONS_NOTE, "q.jsonl:1", [], 0.5)
    seen_meanwhile = []
    count = LabelsFile._count

    def counted_while_asked(self, row, origin):
        seen_meanwhile.append((labels.holds(elections), labels.rows))
        count(self, row, origin)

    monkeypatch.setattr(LabelsFile, "_count", counted_while_asked)
    labels.refresh()
    assert seen_meanwhile == [(True, 1), (True, 1)]
    assert (labels.rows, labels.holds(elections), labels.counts) == (2, True, Counter({"Elections": 1, "Youth": 1}))
