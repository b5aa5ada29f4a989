"""The labels file and the review queue, without a server."""

import json
import os

import pytest

from classifier.serve.queue import DecisionError, LabelsFile, ReviewQueue, resolve_labels


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


def test_resolve_labels_takes_aliases_in_taxonomy_order(taxonomy):
    assert resolve_labels(["youth", "Elections"], taxonomy) == ["Elections", "Youth"]
    with pytest.raises(DecisionError, match="unknown fields"):
        resolve_labels(["Astrology"], taxonomy)
    with pytest.raises(DecisionError, match="at least one"):
        resolve_labels([], taxonomy)


def test_queue_skips_documents_already_labelled_and_puts_skipped_ones_last(tmp_path, taxonomy):
    from classifier.serve.queue import QueueItem

    path = tmp_path / "labelled.jsonl"
    path.write_text('{"id": "b", "labels": ["Youth"]}\n', encoding="utf-8")
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
    labels.append([{"id": order[0], "title": "t", "text": "x", "labels": ["Elections"]}])
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
