"""Labelled data sets: a document's identity, duplicates merged with the later source winning, the indicator matrix
in the taxonomy's order, and each refusal of data `train` cannot use. Small files written here, values by hand."""

import hashlib
import json

import numpy as np
import pytest

from classifier.corpus.datasets import (
    Conflict,
    TrainingDataError,
    document_key,
    hash_inputs,
    load_measured_set,
    load_training_set,
    merge_documents,
    merge_warnings,
    text_key,
)
from classifier.corpus.documents import Columns, Document
from classifier.taxonomy.fields import default_taxonomy

ELECTIONS, POLICING, YOUTH = 9, 17, 22  # the fields' columns: the taxonomy's alphabetical order


@pytest.fixture(scope="module")
def taxonomy():
    return default_taxonomy()


def write_rows(path, rows) -> str:
    path.write_text("".join(row if isinstance(row, str) else json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_the_fields_columns_are_where_this_file_says(taxonomy):
    assert [taxonomy.labels[j] for j in (ELECTIONS, POLICING, YOUTH)] == ["Elections", "Policing", "Youth"]


@pytest.mark.parametrize(
    "title, text, key",
    [
        ("Observers Arrive", "The vote, on  Sunday!", "observers arrive the vote on sunday"),
        ("", "  The vote...  ", "the vote"),
        ("Straße", "naïve—café", "strasse naïve café"),
        ("a_b", "c\td", "a_b c d"),  # "_" is a word character
    ],
)
def test_a_documents_identity_ignores_case_spacing_and_punctuation(title, text, key):
    assert text_key(title, text) == key
    assert document_key(Document("id", title, text)) == key


def test_title_and_text_are_joined_as_one_so_a_title_moved_into_the_text_is_the_same_document():
    assert text_key("Observers arrive", "The vote.") == text_key("", "Observers arrive\nThe vote.")
    assert text_key("Observers", "arrive") != text_key("", "Observersarrive")


def test_merging_keeps_each_document_once_at_its_first_place_and_the_later_fields():
    docs = [
        Document("a", "Observers", "They watched the vote.", ("Elections",), "old.jsonl:1"),
        Document("b", "Police", "A training course.", ("Policing",), "old.jsonl:2"),
        Document("a2", "OBSERVERS", "They watched the vote", ("Policing",), "new.jsonl:1"),
        Document("a3", "observers", "they watched, the vote", ("Policing",), "new.jsonl:2"),
        Document("b2", "Police", "A training course.", ("Youth", "Policing"), "new.jsonl:3"),
        Document("b3", "Police", "A training course.", ("Policing", "Youth"), "new.jsonl:4"),
    ]
    merged = merge_documents(docs, [doc.labels for doc in docs])
    assert [(d.id, d.title, d.labels, d.origin) for d in merged.documents] == [
        ("a", "Observers", ("Policing",), "new.jsonl:1"),
        ("b", "Police", ("Youth", "Policing"), "new.jsonl:3"),
    ]
    assert merged.label_sets == [("Policing",), ("Youth", "Policing")]
    assert merged.duplicates == 4  # a copy with the same fields in another order is a duplicate, not a conflict
    assert merged.conflicts == [
        Conflict("OBSERVERS", "old.jsonl:1", ("Elections",), "new.jsonl:1", ("Policing",)),  # the later's title
        Conflict("Police", "old.jsonl:2", ("Policing",), "new.jsonl:3", ("Youth", "Policing")),
    ]
    assert merged.conflicts[1].line() == (
        "conflicting fields for 'Police': old.jsonl:2 [Policing] vs new.jsonl:3 [Youth, Policing]; kept new.jsonl:3"
    )


def test_a_new_row_with_a_base_documents_id_and_another_text_is_kept_and_named():
    """One id may name several texts (a release's lead and its whole page share theirs): documents are never joined
    by id. A new row with the id of a base document and another title or text is kept beside it, and named, so that
    a correction meant to replace the base document is seen not to."""
    docs = [
        Document("osce-1", "Observers arive", "They watched the vote.", ("Elections",), "lead.jsonl:1 (in base)"),
        Document("osce-2", "Youth forum", "A lead.", ("Youth",), "lead.jsonl:2 (in base)"),
        Document("osce-1", "Observers arrive", "They watched the vote.", ("Youth",), "fix.jsonl:1"),
        Document("osce-2", "Youth forum", "The whole page of it.", ("Youth",), "pages.jsonl:1"),
        Document("osce-2", "Youth forum", "A lead.", ("Youth", "Education"), "fix.jsonl:2"),
        Document("new.csv:2", "Police", "A training course.", ("Policing",), "new.csv:2"),
    ]
    merged = merge_documents(docs, [doc.labels for doc in docs], base=2)
    assert [(d.id, d.text, d.origin) for d in merged.documents] == [
        ("osce-1", "They watched the vote.", "lead.jsonl:1 (in base)"),
        ("osce-2", "A lead.", "fix.jsonl:2"),  # the same title and text: its fields replaced
        ("osce-1", "They watched the vote.", "fix.jsonl:1"),
        ("osce-2", "The whole page of it.", "pages.jsonl:1"),
        ("new.csv:2", "A training course.", "new.csv:2"),
    ]
    assert merged.same_id == [
        ("fix.jsonl:1", "lead.jsonl:1 (in base)", "osce-1"),
        ("pages.jsonl:1", "lead.jsonl:2 (in base)", "osce-2"),
    ]
    assert merged.duplicates == 1 and len(merged.conflicts) == 1
    assert merge_documents(docs, [doc.labels for doc in docs]).same_id == []  # no base: nothing to name


def test_a_conflict_names_an_untitled_document_by_its_text_cut_to_sixty_characters():
    text = "An   untitled  note " + "about the vote " * 10
    docs = [Document("a", "", text, ("Elections",), "x:1"), Document("b", "", text, ("Youth",), "y:1")]
    line = merge_documents(docs, [("Elections",), ("Youth",)]).conflicts[0].line()
    assert line == (
        "conflicting fields for 'An untitled note about the vote about the vote about the ...': "
        "x:1 [Elections] vs y:1 [Youth]; kept y:1"
    )
    sixty = "x" * 60
    docs = [Document("a", sixty, "", ("Elections",), "x:1"), Document("b", sixty, "", ("Youth",), "y:1")]
    assert f"'{sixty}'" in merge_documents(docs, [("Elections",), ("Youth",)]).conflicts[0].line()


def test_a_training_set_is_the_labelled_rows_as_a_matrix_in_the_taxonomys_order(taxonomy, tmp_path):
    path = write_rows(
        tmp_path / "rows.jsonl",
        [
            {"id": "a", "title": "Observers", "text": "They watched the vote.", "labels": ["Youth", "Elections"]},
            {"id": "u", "title": "Unlabelled", "text": "No fields given."},
            {"id": "b", "title": "Police", "text": "A training course.", "labels": ["policing"]},
            {"id": "v", "title": "Also unlabelled", "text": "Still none."},
        ],
    )
    data = load_training_set([path], taxonomy)
    assert [doc.id for doc in data.documents] == ["a", "b"]
    assert data.labels == taxonomy.labels and data.Y.dtype == np.int8 and data.Y.shape == (2, 23)
    assert np.flatnonzero(data.Y[0]).tolist() == [ELECTIONS, YOUTH]
    assert np.flatnonzero(data.Y[1]).tolist() == [POLICING]  # a field's name in another case is that field
    assert data.skipped_unlabelled == 2
    assert (data.merged.duplicates, data.merged.conflicts) == (0, [])


def test_base_documents_come_first_and_a_newer_row_replaces_their_fields(taxonomy, tmp_path):
    base = [Document("old", "Observers", "They watched the vote.", ("Elections",), "base.jsonl:1")]
    path = write_rows(
        tmp_path / "new.jsonl",
        [
            {"id": "n", "title": "Police", "text": "A training course.", "labels": ["Policing"]},
            {"id": "same", "title": "Observers", "text": "They watched the vote.", "labels": ["Youth"]},
        ],
    )
    data = load_training_set([path], taxonomy, base_documents=base)
    assert [(doc.id, doc.origin) for doc in data.documents] == [("old", f"{path}:2"), ("n", f"{path}:1")]
    assert np.flatnonzero(data.Y[0]).tolist() == [YOUTH] and np.flatnonzero(data.Y[1]).tolist() == [POLICING]
    assert len(data.merged.conflicts) == 1


def test_every_unreadable_row_is_named_and_nothing_is_trained(taxonomy, tmp_path):
    path = write_rows(
        tmp_path / "rows.jsonl",
        [{"id": "a", "title": "T", "text": "Fine.", "labels": ["Elections"]}, "not json\n", "{\n"],
    )
    with pytest.raises(TrainingDataError) as refused:
        load_training_set([path], taxonomy)
    assert str(refused.value).splitlines() == [
        f"{path}:2: invalid JSON: Expecting value at character 1",
        f"{path}:3: invalid JSON: Expecting property name enclosed in double quotes at character 3",
    ]


def test_no_labelled_row_and_an_empty_label_list_are_refused_in_words(taxonomy, tmp_path):
    none = write_rows(tmp_path / "none.jsonl", [{"id": "u", "title": "T", "text": "No fields."}])
    with pytest.raises(TrainingDataError) as refused:
        load_training_set([none], taxonomy)
    assert str(refused.value) == (
        f"no labelled documents in {none}: a table needs a 'labels' column (another name: --labels-column), "
        "a page a 'Fields of work' block"
    )
    empty = write_rows(
        tmp_path / "empty.jsonl",
        [
            {"id": "a", "title": "T", "text": "Fine.", "labels": ["Elections"]},
            {"id": "b", "title": "U", "text": "Nothing.", "labels": []},
            {"id": "c", "title": "V", "text": "Nothing either.", "labels": []},
        ],
    )
    with pytest.raises(TrainingDataError) as refused:
        load_training_set([empty], taxonomy)
    assert str(refused.value) == f"{empty}:2: empty label list\n{empty}:3: empty label list"


def test_a_text_cut_at_the_size_limit_is_kept_and_reported(taxonomy, tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "1000")
    path = write_rows(
        tmp_path / "rows.jsonl",
        [{"id": "long", "title": "T", "text": "vote " * 400, "labels": ["Elections"]}],
    )
    heard = []
    data = load_training_set([path], taxonomy, on_warning=heard.append)
    assert len(heard) == 1 and heard[0].startswith(f"{path}:1") and len(data.documents) == 1
    assert len(data.documents[0].text) <= 1000


def test_the_data_hash_is_of_each_files_hash_in_order(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b'{"id": 1}\n')
    second.write_bytes(b"x")
    expected = hashlib.sha256(hashlib.sha256(b'{"id": 1}\n').digest() + hashlib.sha256(b"x").digest()).hexdigest()
    assert hash_inputs([first, second]) == {"sha256": expected, "bytes": 11, "files": [str(first), str(second)]}
    assert hash_inputs([second, first])["sha256"] != expected
    assert hash_inputs([first, tmp_path / "missing.jsonl"])["files"] == [str(first)]


def test_training_with_a_base_warns_of_each_new_row_with_a_base_documents_id(taxonomy, tmp_path):
    base = [
        Document(f"osce-{i}", f"Lead {i}", "Observers watched the vote.", ("Elections",), f"b:{i}") for i in range(12)
    ]
    pages = [
        {"id": f"osce-{i}", "title": f"Lead {i}", "text": "The whole page.", "labels": ["Youth"]} for i in range(12)
    ]
    path = write_rows(tmp_path / "pages.jsonl", pages)
    heard = []
    data = load_training_set([path], taxonomy, base_documents=base, on_warning=heard.append)
    assert len(data.documents) == 24  # nothing joined by id
    assert heard[0] == (
        f"{path}:1: the id 'osce-0' of a base document (b:0) with another title or text: both are trained on; to "
        "change the base document's fields, give its title and text as they are"
    )
    assert len(heard) == 11 and heard[-1] == "... and 2 more rows with the id of a base document"


def test_a_labels_column_given_late_in_a_jsonl_file_is_read(taxonomy, tmp_path):
    """Rows may leave out their fields (they are unlabelled), so a JSONL file whose first 1,000 rows have no
    `tags` is no usage error: its later rows with `tags` are the labelled documents."""
    from classifier.corpus.documents import Columns

    rows = [{"id": f"u{i}", "text": f"Unlabelled note number {i}."} for i in range(1000)]
    rows += [{"id": f"l{i}", "text": f"Observers watched vote number {i}.", "tags": ["Elections"]} for i in range(5)]
    path = write_rows(tmp_path / "late.jsonl", rows)
    data = load_training_set([path], taxonomy, Columns(labels="tags"))
    assert [doc.id for doc in data.documents] == [f"l{i}" for i in range(5)] and data.skipped_unlabelled == 1000


def test_a_copy_with_other_fields_keeps_the_first_copys_id_title_and_text():
    docs = [
        Document("a", "Observers", "They watched the vote.", ("Elections",), "old.jsonl:1"),
        Document("a2", "OBSERVERS", "they watched, the vote", ("Policing",), "new.jsonl:1"),
    ]
    merged = merge_documents(docs, [doc.labels for doc in docs])
    assert merged.documents == [Document("a", "Observers", "They watched the vote.", ("Policing",), "new.jsonl:1")]


def test_a_folders_tables_are_read_checked_and_hashed_by_the_glob_given(taxonomy, tmp_path):
    from classifier.corpus.documents import Columns
    from classifier.errors import UsageError

    folder = tmp_path / "rows"
    folder.mkdir()
    row = {"id": "r1", "title": "Youth forum in Vienna", "fields": ["Youth"]}
    titles = write_rows(folder / "titles.jsonl", [row])
    (folder / "note.txt").write_text("A note on the forum.\n", encoding="utf-8")  # a page the default glob reads
    heard = []
    data = load_training_set([folder], taxonomy, Columns(labels="fields"), "*.jsonl", on_warning=heard.append)
    assert [(doc.id, doc.title, doc.text) for doc in data.documents] == [("r1", "Youth forum in Vienna", "")]
    assert heard == [
        f"{titles}: none of its first 1,000 rows has a 'text' column (columns: id, title, fields): its documents are "
        "read from their titles alone; --text-column names another"
    ]
    assert data.data_hash["files"] == [titles]
    # A labels column is checked against a table's header: a CSV's (JSONL rows may leave their fields out).
    table = folder / "titles.csv"
    table.write_text("id,title,fields\nr1,Youth forum in Vienna,Youth\n", encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        load_training_set([folder], taxonomy, Columns(labels="tags"), "*.csv")
    assert str(refused.value) == (
        f"{table}: no row has the column 'tags' named by --labels-column (columns: id, title, fields)"
    )


def test_the_first_unlabelled_row_is_the_one_said(taxonomy, tmp_path):
    path = write_rows(
        tmp_path / "rows.jsonl",
        [
            {"id": "1", "text": "Observers watched the vote."},
            {"id": "2", "text": "Police trained in Skopje.", "labels": None},
            {"id": "3", "text": "A youth forum met.", "labels": ["Youth"]},
        ],
    )
    heard = []
    data = load_training_set([path], taxonomy, on_warning=heard.append)
    assert (data.skipped_unlabelled, data.first_unlabelled) == (2, f"{path}:1")
    assert heard == [f"2 documents have no labels (none given, or null), the first {path}:1: not trained on"]


def test_inputs_with_no_document_or_no_labelled_one_are_named_each(taxonomy, tmp_path):
    first, second = write_rows(tmp_path / "a.jsonl", []), write_rows(tmp_path / "b.jsonl", [])
    with pytest.raises(TrainingDataError) as refused:
        load_training_set([first, second], taxonomy)
    assert str(refused.value) == f"{first}: empty file\n{second}: empty file"
    first = write_rows(tmp_path / "a.jsonl", [{"id": "0", "text": "Police officers were trained."}])
    second = write_rows(tmp_path / "b.jsonl", [{"id": "1", "text": "Observers watched the vote."}])
    with pytest.raises(TrainingDataError) as refused:
        load_training_set([first, second], taxonomy)
    assert str(refused.value) == (
        f"no labelled documents in {first}, {second}: a table needs a 'labels' column "
        "(another name: --labels-column), a page a 'Fields of work' block"
    )


def test_a_row_with_a_base_documents_id_and_an_edited_title_is_kept_beside_it(taxonomy, tmp_path):
    base = [Document("osce-1", "Observers arive", "They watched the vote.", ("Elections",), "base:1")]
    fix = write_rows(
        tmp_path / "fix.jsonl",
        [{"id": "osce-1", "title": "Observers arrive", "text": "They watched the vote.", "labels": ["Youth"]}],
    )
    heard = []
    data = load_training_set([fix], taxonomy, base_documents=base, on_warning=heard.append)
    assert [(doc.id, doc.title, doc.origin) for doc in data.documents] == [
        ("osce-1", "Observers arive", "base:1"),
        ("osce-1", "Observers arrive", f"{fix}:1"),
    ]
    assert [row.nonzero()[0].tolist() for row in data.Y] == [[ELECTIONS], [YOUTH]]
    assert len(heard) == 1 and heard[0].startswith(f"{fix}:1: the id 'osce-1' of a base document (base:1)")


def test_the_data_hash_passes_over_what_is_no_regular_file(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()  # no file the glob matches: "unmatched"
    data = tmp_path / "a.jsonl"
    data.write_bytes(b'{"id": 1}\n')
    expected = hashlib.sha256(hashlib.sha256(b'{"id": 1}\n').digest()).hexdigest()
    assert hash_inputs([tmp_path / "missing.jsonl", empty, "-", "/dev/null", data]) == {
        "sha256": expected,
        "bytes": 10,
        "files": [str(data)],
    }


def test_the_fields_are_read_by_the_taxonomy_given(tmp_path):
    from classifier.taxonomy.fields import Taxonomy

    water = Taxonomy.from_dict(
        {
            "dimensions": {"economic-environmental": "Economic and environmental dimension"},
            "fields": [
                {
                    "name": "Water security",
                    "id": "water-security",
                    "dimension": "economic-environmental",
                    "description": "Shared rivers.",
                    "aliases": ["water"],
                },
            ],
        }
    )
    path = write_rows(tmp_path / "rows.jsonl", [{"id": "1", "text": "A shared river basin.", "labels": ["water"]}])
    data = load_training_set([path], water)
    assert (data.labels, data.Y.tolist()) == (["Water security"], [[1]])


def test_one_unlabelled_row_is_said_in_the_singular(taxonomy, tmp_path):
    path = write_rows(
        tmp_path / "rows.jsonl",
        [
            {"id": "1", "text": "Police trained in Skopje.", "labels": ["Policing"]},
            {"id": "2", "text": "Observers watched the vote."},
            {"id": "3", "text": "A youth forum met.", "labels": ["Youth"]},
        ],
    )
    heard = []
    load_training_set([path], taxonomy, on_warning=heard.append)
    assert heard == [f"1 document has no labels (none given, or null), {path}:2: not trained on"]


def test_a_measured_set_says_each_conflict_and_how_repeated_rows_were_counted_but_not_the_unlabelled(
    taxonomy, tmp_path
):
    folder = tmp_path / "measured"
    folder.mkdir()
    path = write_rows(
        folder / "a.jsonl",
        [
            {"id": "1", "title": "Observers", "text": "They watched the vote.", "labels": ["Elections", "Youth"]},
            {"id": "2", "title": "Police", "text": "A training course.", "labels": ["Policing"]},
            {"id": "3", "text": "No fields given."},
            {"id": "4", "title": "observers", "text": "They watched the vote", "labels": ["Youth"]},
            {"id": "5", "title": "Police", "text": "A training course.", "labels": ["policing"]},
        ],
    )
    titles = write_rows(folder / "b.jsonl", [{"id": "6", "title": "Youth forum in Vienna", "labels": ["Youth"]}])
    (folder / "note.txt").write_text("A note the default glob would read.\n", encoding="utf-8")
    heard = []
    data = load_measured_set([folder], taxonomy, Columns(), "*.jsonl", heard.append, "scored")
    assert [doc.id for doc in data.documents] == ["1", "2", "6"] and data.skipped_unlabelled == 1
    assert heard == [
        f"{titles}: none of its first 1,000 rows has a 'text' column (columns: id, title, labels): its documents "
        "are read from their titles alone; --text-column names another",
        f"conflicting fields for 'observers': {path}:1 [Elections, Youth] vs {path}:4 [Youth]; kept {path}:4",
        "2 rows repeat a document given before (same title and text), scored once; 1 with other fields "
        "(the later row's kept)",
    ]
    assert load_measured_set([folder], taxonomy, Columns(), "*.jsonl", None, "scored").Y.tolist() == data.Y.tolist()
    once = merge_documents(data.documents[:1] * 2, data.merged.label_sets[:1] * 2)
    assert merge_warnings(once, "counted") == [
        "1 row repeats a document given before (same title and text), counted once; 0 with other fields "
        "(the later row's kept)"
    ]
    assert merge_warnings(merge_documents(data.documents, data.merged.label_sets), "counted") == []


def test_tables_in_the_default_layout_may_lack_the_labels_or_the_text_column(taxonomy, tmp_path):
    """Without --labels-column, a table with no labels column is unlabelled rows, not a usage error; a CSV with no
    text column is said, its documents read from their titles."""
    labelled = tmp_path / "a.csv"
    labelled.write_text("id,title,text,labels\n1,Observers,They watched the vote.,Elections\n", encoding="utf-8")
    unlabelled = tmp_path / "b.csv"
    unlabelled.write_text("id,title,text\n2,Police,A training course.\n", encoding="utf-8")
    titles = tmp_path / "c.csv"
    titles.write_text("id,title,labels\n3,Youth forum in Vienna,Youth\n", encoding="utf-8")
    heard = []
    data = load_training_set([labelled, unlabelled, titles], taxonomy, on_warning=heard.append)
    assert [(doc.id, doc.text) for doc in data.documents] == [("1", "They watched the vote."), ("3", "")]
    assert heard == [
        f"{titles}: no row has a 'text' column (columns: id, title, labels): its documents are read from their "
        "titles alone; --text-column names another",
        f"1 document has no labels (none given, or null), {unlabelled}:2: not trained on",
    ]


def test_no_inputs_are_refused_unless_a_base_gives_the_documents(taxonomy):
    with pytest.raises(TrainingDataError) as refused:
        load_training_set([], taxonomy)
    assert str(refused.value) == "no training data given: name a labelled file or folder, or a base bundle"
    base = [Document("b1", "Observers", "They watched the vote.", ("Elections",), "base:1")]
    data = load_training_set([], taxonomy, base_documents=base)
    assert [doc.id for doc in data.documents] == ["b1"] and np.flatnonzero(data.Y[0]).tolist() == [ELECTIONS]


def test_rows_with_a_base_documents_id_are_named_up_to_the_limit_and_only_to_a_listener(taxonomy, tmp_path):
    base = [Document(f"osce-{i}", f"Lead {i}", "Observers watched.", ("Elections",), f"b:{i}") for i in range(10)]
    pages = [{"id": f"osce-{i}", "title": f"Lead {i}", "text": "The page.", "labels": ["Youth"]} for i in range(10)]
    path = write_rows(tmp_path / "pages.jsonl", pages)
    heard = []
    load_training_set([path], taxonomy, base_documents=base, on_warning=heard.append)
    assert len(heard) == 10 and heard[-1].startswith(f"{path}:10: the id 'osce-9' of a base document (b:9)")
    assert len(load_training_set([path], taxonomy, base_documents=base).documents) == 20  # and none to a listener
