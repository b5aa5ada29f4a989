import codecs
import errno
import io
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from classifier.corpus.documents import (
    SAMPLE_ROWS,
    Columns,
    Document,
    Record,
    UnknownLabelsError,
    check_named_columns,
    count_records,
    expand_inputs,
    find_input,
    is_blank_line,
    read_documents,
    read_line_records,
    read_readable_documents,
    read_records,
    read_releases,
    resolve_labels,
    to_document,
)
from classifier.errors import ClassifierError, UsageError
from classifier.io.textio import SettingError

import hostile
from conftest import FIXTURES, ROOT, collapsed_forms, pages_with_menus


def test_directory_of_pages_reads_labels_from_fields_block_and_records_bad_files(tmp_path):
    (tmp_path / "a.txt").write_text((FIXTURES / "page_two_fields.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text((FIXTURES / "plain.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sub" / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "sub" / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "notes.md").write_text("not matched by the glob", encoding="utf-8")
    docs = list(read_documents([tmp_path]))
    by_name = {os.path.basename(d.id): d for d in docs}
    assert sorted(by_name) == ["a.txt", "b.txt", "binary.txt", "empty.txt"]
    assert by_name["a.txt"].labels == ("Policing", "Youth")
    assert by_name["a.txt"].title.startswith("Community policing forum")
    assert by_name["b.txt"].labels is None and by_name["b.txt"].error is None
    assert by_name["empty.txt"].error.endswith("empty.txt: empty file")
    assert by_name["binary.txt"].error.endswith("binary.txt: binary file, not text")


def test_encodings_are_decoded(tmp_path):
    text = "Élections à Chișinău: observers praise the count"
    (tmp_path / "latin1.txt").write_bytes("Élections à Genève\nLe décompte a été rapide.".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "utf8bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    docs = {os.path.basename(d.id): d for d in read_documents([tmp_path])}
    assert docs["latin1.txt"].title == "Élections à Genève"
    assert docs["utf16.txt"].text == text
    assert docs["utf8bom.txt"].text == text


def test_missing_file_and_empty_glob_are_reported_not_raised(tmp_path):
    docs = list(read_documents([tmp_path / "nope.txt", str(tmp_path / "*.none"), FIXTURES / "plain.txt"]))
    assert [d.error is not None for d in docs] == [True, True, False]
    assert "nope.txt: no such file or directory" in docs[0].error


def test_a_folder_with_no_file_the_glob_matches_is_reported_and_the_others_still_read(tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "items.jsonl").write_text('{"text": "Border guards met in Osh."}\n', encoding="utf-8")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "one.txt").write_text("Training ends\nBorder guards met in Osh.", encoding="utf-8")
    docs = list(read_documents([tables, tmp_path / "pages"]))
    assert [d.error for d in docs] == [f"{tables}: a folder with no file matching *.txt", None]
    assert docs[0].id == str(tables) and docs[1].title == "Training ends"
    assert [d.error for d in read_documents([tables], glob="*.jsonl")] == [None]  # the glob chooses what is read
    assert list(read_documents([tmp_path / "pages"])) == docs[1:]  # a folder with a match says nothing more


def test_one_path_given_alone_is_one_input_not_a_sequence_of_characters(tmp_path, monkeypatch):
    from classifier import load_model
    from classifier.corpus.datasets import load_training_set
    from classifier.taxonomy.fields import default_taxonomy
    from classifier.workflows.tagging import tag

    monkeypatch.chdir(tmp_path)  # a character of the path read as a file name would be looked for here
    table = tmp_path / "items.jsonl"
    table.write_text('{"id": "a", "text": "Observers followed the vote.", "labels": ["Elections"]}\n', encoding="utf-8")
    for path in (str(table), table, os.fsencode(table)):
        assert [(d.id, d.error) for d in read_documents(path)] == [("a", None)]
    missing = tmp_path / "none.jsonl"
    assert [d.error for d in read_documents(str(missing))] == [f"{missing}: no such file or directory"]
    assert len(load_training_set(str(table), default_taxonomy()).documents) == 1
    summary = tag(load_model(), str(table), tmp_path / "out.jsonl", jobs=1)
    assert (summary.tagged, summary.failed) == (1, 0)


def test_a_csv_saved_with_semicolons_is_read_by_its_header(tmp_path):
    """A spreadsheet saved as CSV where the comma is the decimal mark: cells separated by ';', a cell holding ';'
    (the labels) or a comma quoted, as such programs write them."""
    table = tmp_path / "items.csv"
    table.write_bytes(
        "\ufeffkey;headline;body;fields\r\n"
        'a;Vote counted;"Turnout was 61,5% in Osh; observers watched";"Elections;Human rights"\r\n'
        "b;Police trained;Officers trained in Bishkek.;Policing\r\n".encode("utf-8")
    )
    columns = Columns(id="key", title="headline", text="body", labels="fields")
    docs = list(read_documents([table], columns))
    assert [(d.id, d.title, d.text, d.labels, d.error) for d in docs] == [
        ("a", "Vote counted", "Turnout was 61,5% in Osh; observers watched", ("Elections", "Human rights"), None),
        ("b", "Police trained", "Officers trained in Bishkek.", ("Policing",), None),
    ]
    check_named_columns([table], columns)  # the header's names are found: no usage error
    # A comma-separated table whose text holds semicolons is read as before.
    plain = tmp_path / "plain.csv"
    plain.write_text('id,text\nc,"One; two, three"\n', encoding="utf-8")
    assert [(d.id, d.text) for d in read_documents([plain])] == [("c", "One; two, three")]


def test_a_csv_saved_with_semicolons_and_old_mac_line_ends_is_read_by_its_header(tmp_path):
    """Excel for Mac's "CSV (Macintosh)" ends lines with "\r" alone, as the reader allows: the header is its first
    line, not the whole file, so a comma in a text does not make the table comma-separated."""
    table = tmp_path / "items.csv"
    table.write_bytes(b"id;title;text\ra;Vote counted;Turnout was 61,5% in Osh.\rb;Police;Officers trained.\r")
    docs = list(read_documents([table]))
    assert [(d.id, d.title, d.text, d.error) for d in docs] == [
        ("a", "Vote counted", "Turnout was 61,5% in Osh.", None),
        ("b", "Police", "Officers trained.", None),
    ]


def test_a_csv_with_blank_lines_before_its_header_is_read_alike_with_commas_or_semicolons(tmp_path):
    """The reader skips blank lines before the header; the delimiter is read off that header, not off a blank line."""
    for sep in ",;":
        table = tmp_path / "items.csv"
        table.write_text(f"\r\n\r\nid{sep}title{sep}text\r\na{sep}Vote{sep}Seats.\r\n", encoding="utf-8")
        assert [(d.id, d.title, d.text, d.error) for d in read_documents([table])] == [("a", "Vote", "Seats.", None)]


def test_glob_input(tmp_path):
    for name in ("x1.txt", "x2.txt", "y.txt"):
        (tmp_path / name).write_text(f"Title {name}\nBody of {name}.", encoding="utf-8")
    assert [os.path.basename(d.id) for d in read_documents([str(tmp_path / "x*.txt")])] == ["x1.txt", "x2.txt"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_loop_in_directory_does_not_hang(tmp_path):
    (tmp_path / "a.txt").write_text("A title\nSome text.", encoding="utf-8")
    os.symlink(tmp_path, tmp_path / "loop")
    assert len(list(read_documents([tmp_path]))) == 1


def test_a_nul_in_a_jsonl_string_reads_as_a_space_between_words(tmp_path):
    """`classifier suggest` and `tag` read it as the service does: "\\u0000" is no NUL byte, so the line is text."""
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "Vote\\u0000count\\nObservers\\u0000watched \\u0000 it."}\n', "utf-8")
    assert [d.model_text for d in read_documents([path])] == ["Vote count\nObservers watched it."]
    titled = tmp_path / "titled.jsonl"  # a title column reads its NULs as the text column does
    titled.write_text('{"id": "b", "title": "Vote\\u0000count ", "text": "Observers\\u0000watched"}\n', "utf-8")
    (doc,) = read_documents([titled])
    assert (doc.title, doc.model_text) == ("Vote count", "Vote count\nObservers watched")


def test_an_invisible_character_opening_a_one_line_text_hides_nothing_it_comes_before(tmp_path):
    """A zero-width space, or a byte order mark after a space, before a row's content type, header line or HTML tag
    (text pasted from a web page): the row is read as the same text without it, which the parser reads."""
    rows = [
        ("a", "\u200bPress release"),
        ("b", " \ufeffPress release"),
        ("c", "\u200b<p>Observers met in <b>Osh</b>.</p>"),
        ("d", "\u2060- Fields of work: Elections"),
        ("e", "\u200bObservers met in Osh."),
    ]
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": id_, "text": text}) + "\n" for id_, text in rows), "utf-8")
    read = [(d.title, d.text, d.labels, d.error) for d in read_documents([path])]
    assert read == [
        ("", "", None, f"{path}:1: no text"),
        ("", "", None, f"{path}:2: no text"),
        ("", "Observers met in Osh.", None, None),
        ("", "", None, f"{path}:4: no text"),
        ("", "Observers met in Osh.", None, None),
    ]
    page = tmp_path / "page.html"  # a page saved on one line reads the same
    page.write_text("\u200b<html><body><h1>Talks end</h1><p>Talks ended in Vienna.</p></body></html>", "utf-8")
    (doc,) = read_documents([page])
    assert (doc.title, doc.text) == ("Talks end", "Talks ended in Vienna.")


def test_jsonl_with_a_broken_line_keeps_the_others(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [
        json.dumps({"id": "a", "title": "Vote count", "text": "Observers watched the count.", "labels": ["Elections"]}),
        '{"id": "b", "text": ',
        json.dumps({"id": "c", "text": "Police trained.", "labels": []}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "No id or labels here."}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    docs = list(read_documents([path]))
    assert [d.id for d in docs] == ["a", f"{path}:2", "c", f"{path}:4", f"{path}:5"]
    assert docs[0].labels == ("Elections",) and docs[0].model_text == "Vote count\nObservers watched the count."
    assert docs[1].error.startswith(f"{path}:2: invalid JSON")
    assert docs[2].labels == ()
    assert docs[3].error == f"{path}:4: expected a JSON object, got array"
    assert docs[4].labels is None and docs[4].error is None


def test_csv_semicolon_labels_quoted_newlines_and_line_numbers(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text(
        "doc,headline,body,fields\n"
        'a,Count,"Observers watched\nthe count.",Elections;Human rights\n'
        'b,Police,"Officers trained.",Policing\n'
        "c,,,\n",
        encoding="utf-8",
    )
    columns = Columns(id="doc", title="headline", text="body", labels="fields")
    docs = list(read_documents([path], columns))
    assert docs[0].labels == ("Elections", "Human rights")
    assert docs[0].text == "Observers watched\nthe count."
    assert docs[1].origin == f"{path}:4"
    assert docs[2].error == f"{path}:5: no text in column 'body'"


def test_csv_without_text_column_names_the_columns(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    (doc,) = read_documents([path])
    assert doc.error == f"{path}: no column 'text' (columns: a, b)"


def test_parquet_table_with_list_labels(tmp_path):
    path = tmp_path / "docs.parquet"
    table = pa.table(
        {
            "id": ["p1", "p2"],
            "title": ["Border guards", "Hate crime"],
            "text": ["Training at the crossing point.", "Prosecutors learn to record bias motives."],
            "labels": [["Border management"], ["Tolerance and non-discrimination", "Rule of law"]],
        }
    )
    pq.write_table(table, path)
    docs = list(read_documents([path]))
    assert [d.id for d in docs] == ["p1", "p2"]
    assert docs[1].labels == ("Tolerance and non-discrimination", "Rule of law")


def test_menus_inside_a_table_cell_are_stripped(tmp_path, menu_lines):
    path = tmp_path / "docs.jsonl"
    page = "\n".join(menu_lines) + "\nPress release\nCourt reform\nJudges met in Tirana to discuss the new law."
    path.write_text(json.dumps({"id": "x", "text": page}) + "\n", encoding="utf-8")
    (doc,) = read_documents([path])
    assert doc.title == "Court reform"
    assert "Liechtenstein" not in doc.model_text and "Arms control" not in doc.model_text


@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_table_cell_holding_a_page_whose_line_breaks_were_collapsed_reads_as_the_page_file(tmp_path, path):
    """A page kept in a table with its lines joined (pandas after `" ".join(text.split())`): the document of the
    page's file, its menus left out, its Fields of work as its labels."""
    (expected,) = read_documents([path])
    page = path.read_text(encoding="utf-8")
    table = tmp_path / "pages.jsonl"
    rows = [{"id": form, "text": text} for form, text in collapsed_forms(page).items()]
    table.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    for doc in read_documents([table]):
        assert (doc.title, doc.text.split(), doc.labels) == (expected.title, expected.text.split(), expected.labels)
        assert "Liechtenstein" not in doc.model_text and "Court of Conciliation" not in doc.model_text


def test_unknown_labels_are_listed_with_place_and_closest_field(tmp_path, taxonomy):
    path = tmp_path / "docs.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "x y", "labels": ["Electons", "Youth"]})
        + "\n"
        + json.dumps({"id": "b", "text": "x y", "labels": ["Climate change", "Cyber security "]})
        + "\n"
        + json.dumps({"id": "c", "text": "x y", "labels": ["Polcing"]})
        + "\n",
        encoding="utf-8",
    )
    docs = list(read_documents([path]))
    with pytest.raises(UnknownLabelsError) as error:
        resolve_labels(docs, taxonomy)
    assert error.value.lines == [
        f"{path}:1: unknown label 'Electons' (closest field: 'Elections')",
        f"{path}:3: unknown label 'Polcing' (closest field: 'Policing')",
    ]
    assert resolve_labels(docs[1:2], taxonomy) == [("Environmental activities", "Cyber/ICT Security")]


def assert_well_formed(docs, path):
    """Every document is usable text, or an error of one line that names the input."""
    for doc in docs:
        if doc.error:
            assert doc.error.startswith(str(path)) and "\n" not in doc.error, doc.error
        else:
            assert doc.model_text.strip()
        for value in (doc.id, doc.model_text, *(doc.labels or ())):
            value.encode("utf-8")  # no lone surrogates: the text can be written out


def written(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@given(hostile.page_bytes)
def test_any_text_file_gives_one_document_or_one_error(tmp_path_factory, data):
    path = written(tmp_path_factory.mktemp("txt"), "page.txt", data)
    docs = list(read_documents([path]))
    assert len(docs) == 1
    assert_well_formed(docs, path)


@given(st.lists(hostile.jsonl_lines, max_size=6), st.sampled_from(["\n", "\r\n"]))
@example(['{"id": "a", "text": "lone \\ud800 surrogate"}'], "\n")
@example(["[" * 100_000, '{"text": "after the deep line"}'], "\n")
@example(['{"id": ' + "7" * 5000 + ', "text": "an id too long for int()"}'], "\n")
@example(['{"text": "x y", "labels": "' + "[" * 100_000 + '"}'], "\n")
def test_any_jsonl_gives_one_row_per_non_blank_line(tmp_path_factory, lines, ending):
    path = written(tmp_path_factory.mktemp("jsonl"), "docs.jsonl", ending.join(lines).encode("utf-8", "surrogatepass"))
    docs = list(read_documents([path]))
    numbers = [n for n, line in enumerate(path.read_bytes().split(b"\n"), 1) if line.strip()]
    # A file of no such line is one error naming it, as an empty text file is.
    assert [doc.origin for doc in docs] == ([f"{path}:{n}" for n in numbers] or [str(path)])
    assert_well_formed(docs, path)


@given(hostile.csv_bodies)
@example('"-\n"\n')  # a line break in a column name must not split the "no column" message
@example('id,text,labels\na,some text,"' + "[" * 100_000 + '"\n')
def test_any_csv_gives_documents_or_errors_naming_the_line(tmp_path_factory, body):
    path = written(tmp_path_factory.mktemp("csv"), "docs.csv", body.encode("utf-8", "surrogatepass"))
    assert_well_formed(list(read_documents([path])), path)


parquet_columns = st.dictionaries(
    st.sampled_from(["id", "title", "text", "labels", "other"]),
    st.sampled_from([pa.string(), pa.int64(), pa.list_(pa.string()), pa.null(), pa.float64()]),
    max_size=5,
)


@given(parquet_columns, st.data())
def test_any_parquet_table_gives_documents_or_errors(tmp_path_factory, types, data):
    values = {
        pa.string(): hostile.pages | st.none(),
        pa.int64(): st.integers(-(2**63), 2**63 - 1) | st.none(),
        pa.list_(pa.string()): st.lists(hostile.pages | st.none(), max_size=3) | st.none(),
        pa.null(): st.none(),
        pa.float64(): st.floats() | st.none(),
    }
    rows = data.draw(st.integers(0, 4))
    table = pa.table(
        {name: pa.array([data.draw(values[kind]) for _ in range(rows)], type=kind) for name, kind in types.items()}
    )
    path = tmp_path_factory.mktemp("pq") / "docs.parquet"
    pq.write_table(table, path)
    docs = list(read_documents([path]))
    assert_well_formed(docs, path)
    if "text" in types or "title" in types:
        assert len(docs) == max(rows, 1)  # a table of no rows is one error naming it


@given(st.binary(max_size=300))
def test_any_bytes_named_parquet_give_one_error(tmp_path_factory, data):
    path = written(tmp_path_factory.mktemp("pq"), "docs.parquet", data)
    (doc,) = read_documents([path])
    assert doc.error and doc.error.startswith(f"{path}: ")


@given(hostile.page_bytes)
@example(b"\x89PNG\r\n\x1a\n\x00\x00")  # binary data on stdin is an error document, not an exception
def test_any_stdin_gives_one_document_or_one_error(data):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
        docs = list(read_documents(["-"]))
    assert len(docs) == 1
    assert_well_formed(docs, "<stdin>")


LONG_BODY = "Observers followed the vote count in every district of the country. " * 40  # 2,760 characters


def test_every_reader_cuts_long_text_at_the_limit_and_says_so(tmp_path):
    (tmp_path / "page.txt").write_text("Long report\n" + LONG_BODY, encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text(
        json.dumps({"id": "j", "title": "Long", "text": LONG_BODY, "labels": ["Elections"]})
        + "\n"
        + json.dumps({"id": "short", "text": "A short one."})
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "docs.csv").write_text(f'id,title,text,labels\nc,Long,"{LONG_BODY}",Elections\n', encoding="utf-8")
    pq.write_table(
        pa.table({"id": ["p"], "title": ["Long"], "text": [LONG_BODY], "labels": [["Elections"]]}),
        tmp_path / "docs.parquet",
    )
    docs = {
        doc.id: doc
        for doc in read_documents(
            [tmp_path / "page.txt", tmp_path / "docs.jsonl", tmp_path / "docs.csv", tmp_path / "docs.parquet"],
            max_chars=500,
        )
    }
    assert docs["short"].warning is None and docs["short"].text == "A short one."
    for doc_id, origin in [
        (str(tmp_path / "page.txt"), tmp_path / "page.txt"),
        ("j", f"{tmp_path / 'docs.jsonl'}:1"),
        ("c", f"{tmp_path / 'docs.csv'}:2"),
        ("p", f"{tmp_path / 'docs.parquet'}:row 1"),
    ]:
        doc = docs[doc_id]
        assert doc.warning == f"{origin}: text cut at 500 characters (the CLASSIFIER_MAX_TEXT limit)"
        assert LONG_BODY.startswith(doc.text) and 400 < len(doc.text) <= 500
        assert doc.error is None
    assert docs["j"].labels == docs["c"].labels == docs["p"].labels == ("Elections",)


def test_stdin_is_cut_at_the_limit(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(LONG_BODY.encode("utf-16"))))
    (doc,) = read_documents(["-"], max_chars=300)
    assert doc.warning == "<stdin>: text cut at 300 characters (the CLASSIFIER_MAX_TEXT limit)"
    assert LONG_BODY.startswith(doc.model_text.replace("\n", " ")[:200])


ROWS = [{"id": "a", "title": "Vote count", "text": "Observers watched."}, {"id": "b", "text": "Police trained."}]
PIPED_TABLES = {
    "JSONL": "".join(json.dumps(row) + "\n" for row in ROWS),
    "CSV": "id,title,text\na,Vote count,Observers watched.\nb,,Police trained.\n",
    "CSV;": "id;headline;text\na;Vote count;Observers watched.\n",  # as spreadsheets save it where "," is decimal
}
NOT_TABLES = [
    "Vote count\nObservers watched the count.\n",
    "Title, text and more\nA page whose first line has commas.\n",  # no column named exactly title or text
    json.dumps(ROWS[0]) + "\nA page quoting one row of JSON, then prose.\n",
    json.dumps(ROWS[0]) + "\n",  # one object alone: a text that is a JSON object
    "title,text\n",  # a header and no rows
    "text, images and video were shared.\nObservers noted it.\n",  # a sentence, not column names
    "title; text of the law\nIt was adopted.\n",
    "Observers watched " * 8000 + "\nA first line longer than any CSV cell may be.\n",
    "[" * 200_000 + "\nA first line nested deeper than Python's JSON reader goes.\n",
]


@pytest.mark.parametrize("shape", PIPED_TABLES)
def test_a_table_piped_to_stdin_is_one_text_and_said_to_be_a_table(monkeypatch, shape):
    """Read as a table it was not: every row one document, silently. Still one text, but said on stderr and in its
    row, with what to do to read its rows."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(PIPED_TABLES[shape].encode("utf-8"))))
    (record,) = read_records(["-"], Columns(title="headline") if shape == "CSV;" else Columns())
    kind = shape.rstrip(";")
    assert (record.id, record.page, record.whole_input) == ("<stdin>", PIPED_TABLES[shape], True)
    assert record.warning == (
        f"<stdin>: standard input looks like a {kind} table; it is read as one text. Save it as a "
        f".{kind.lower()} file and name that file to read its rows"
    )


@pytest.mark.parametrize("text", NOT_TABLES)
def test_a_text_piped_to_stdin_is_read_without_a_word(monkeypatch, text):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    (record,) = read_records(["-"])
    assert (record.page, record.warning, record.whole_input) == (text, None, False)


def test_the_limit_comes_from_the_environment(monkeypatch, tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(LONG_BODY, encoding="utf-8")
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "1_000")
    (doc,) = read_documents([path])
    assert len(doc.model_text) <= 1000 and doc.warning.endswith(
        "cut at 1,000 characters (the CLASSIFIER_MAX_TEXT limit)"
    )
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "lots")
    with pytest.raises(
        SettingError, match=r"^CLASSIFIER_MAX_TEXT='lots': expected a positive whole number of characters$"
    ):
        list(read_documents([path]))


def test_parquet_with_missing_columns(tmp_path):
    titles_only = tmp_path / "titles.parquet"
    pq.write_table(
        pa.table({"title": ["Border guards trained", None], "labels": [["Border management"], None]}), titles_only
    )
    first, second = read_documents([titles_only])
    # No id column: the row is its id; no text column: the title is the text.
    assert (first.id, first.title, first.text, first.labels) == (
        f"{titles_only}:row 1",
        "Border guards trained",
        "",
        ("Border management",),
    )
    assert second.error == f"{titles_only}:row 2: no text in column 'text'"
    no_labels = tmp_path / "nolabels.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": ["Police officers trained."]}), no_labels)
    (doc,) = read_documents([no_labels])
    assert doc.labels is None and doc.error is None
    neither = tmp_path / "neither.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["Police officers trained."]}), neither)
    (doc,) = read_documents([neither])
    assert doc.error == f"{neither}: no column 'text' (columns: id, body)"
    (doc,) = read_documents([neither], Columns(text="body"))
    assert doc.model_text == "Police officers trained."


def test_csv_stray_quote_costs_one_row_and_names_its_line(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text(
        "id,text,labels\n"
        'a,"Observers watched\nthe count.",Elections\n'
        'b,"Officers trained, and then,Policing\n'
        "c,Judges met in Tirana.,Rule of law\n"
        "d,Youth forum held.,Youth\n",
        encoding="utf-8",
    )
    docs = list(read_documents([path]))
    assert [doc.id for doc in docs] == ["a", f"{path}:4", "c", "d"]
    assert docs[1].error == (
        f"{path}:4: malformed CSV: a quoted cell opened on this line is never closed (a stray quote?); "
        "reading resumes on the next line"
    )
    assert docs[2].labels == ("Rule of law",) and docs[3].labels == ("Youth",)


@given(st.lists(hostile.json_text | hostile.pages, min_size=1, max_size=4))
@example(["Elect\nons"])  # a line break inside a label must not split its message
def test_any_label_spelling_resolves_or_gives_one_line_per_unknown_label(spellings):
    from classifier.taxonomy.fields import default_taxonomy

    doc = Document(id="x", text="t", labels=tuple(spellings), origin="docs.jsonl:1")
    try:
        resolve_labels([doc], default_taxonomy())
    except UnknownLabelsError as exc:
        assert all(line.startswith("docs.jsonl:1: unknown label '") and "\n" not in line for line in exc.lines)


def test_labels_are_split_on_semicolons_or_read_as_a_json_list(tmp_path):
    table = written(
        tmp_path,
        "labels.csv",
        b"id,text,labels\n"
        b'a,Observers met.," Elections; Youth ;;"\n'
        b'b,Observers met.,"[""Elections"", "" Rule of law "", """"]"\n'
        b'c,Observers met.,"[not json"\n'
        b"d,Observers met.,\n"
        b'e,Observers met.,"[1, 2]"\n',
    )
    assert [doc.labels for doc in read_documents([table])] == [
        ("Elections", "Youth"),
        ("Elections", "Rule of law"),
        ("[not json",),
        (),
        ("1", "2"),
    ]
    rows = [
        {"labels": ["Youth", " ", "", 7]},
        {"labels": None},
        {},
        {"labels": 5},
        {"labels": 1.5},
        {"labels": "Y;\ud800"},
        {"labels": True},
        {"labels": {"Elections": 0, "Youth": 1}},
    ]
    lines = "".join(json.dumps({"text": "Observers met.", **row}) + "\n" for row in rows)
    jsonl = written(tmp_path, "labels.jsonl", lines.encode())
    documents = list(read_documents([jsonl]))
    assert [doc.labels for doc in documents] == [("Youth", "7"), None, None, ("5",), None, ("Y", "\ufffd"), None, None]
    # A cell that holds no field names is said of the row (refused where labels are read: training, evaluation),
    # not an unlabelled row (a warning) nor an object's keys read as its fields (Elections, whose value said 0, was
    # trained on). The row is still a document to tag: tagging reads no labels.
    assert not any(doc.error for doc in documents) and all(doc.text == "Observers met." for doc in documents)
    assert [doc.labels_error for doc in documents if doc.labels_error] == [
        f"{jsonl}:{n}: column 'labels' holds {kind}, not field names"
        for n, kind in ((5, "a number"), (7, "a boolean"), (8, "an object"))
    ]


def test_a_labels_cell_from_pandas_or_parquet_reads_as_its_python_value():
    """A numpy scalar (a Parquet or DataFrame cell) and pandas' NA read as the Python values they hold, and a whole
    float (3.0, as a column of notations with a gap holds it) as a notation: np.bool_(True) was unlabelled where
    True is refused, and 3.0 was refused where 3 is a notation."""
    import numpy as np
    import pandas as pd

    from classifier.corpus.documents import _labels_value

    assert [_labels_value(v) for v in (np.int64(3), 3.0, np.float64(3.0), 3, None, float("nan"), pd.NA)] == [
        ("3",),
        ("3",),
        ("3",),
        ("3",),
        None,
        None,
        None,
    ]
    for value, kind in ((np.bool_(True), "a boolean"), (True, "a boolean"), (np.float32(0.5), "a number")):
        with pytest.raises(ValueError, match=f"^{kind}$"):
            _labels_value(value)
    assert _labels_value(np.array(["Elections", "Youth"], dtype=object)) == ("Elections", "Youth")


def test_a_cell_that_is_not_text_is_named_by_its_kind(tmp_path):
    values = ["7", "1.5", "true", "[1]", '{"a": 1}', "7" * 5000]
    kinds = ["a number", "a number", "a boolean", "a list", "an object", "a number"]
    table = written(tmp_path, "kinds.jsonl", "".join(f'{{"text": {v}}}\n' for v in values).encode())
    assert [doc.error for doc in read_documents([table])] == [
        f"{table}:{n}: column 'text' holds {kind}, not text" for n, kind in enumerate(kinds, 1)
    ]


def test_ids_titles_and_texts_of_table_rows(tmp_path):
    rows = [
        {"id": "", "title": "  Border guards trained  ", "text": "Officers met."},
        {"id": 12, "title": "Title \ud800 only"},
        {"id": "x\ud800", "title": "", "text": "Lone \udfff surrogate."},
        {"id": "n", "title": "", "text": "  "},
        {"id": "m", "text": "One\nOSCE fields: Elections; Youth"},
    ]
    table = written(tmp_path, "rows.jsonl", "".join(json.dumps(row) + "\n" for row in rows).encode())
    docs = list(read_documents([table]))
    assert [(d.id, d.title, d.text, d.error) for d in docs[:4]] == [
        (f"{table}:1", "Border guards trained", "Officers met.", None),
        ("12", "Title \ufffd only", "", None),
        ("x\ufffd", "", "Lone \ufffd surrogate.", None),
        ("n", "", "", f"{table}:4: no text in column 'text'"),
    ]
    assert docs[4].labels is None and docs[4].error is None


def test_an_id_that_is_a_list_an_object_or_a_boolean_fails_its_row_and_numbers_stay_ids(tmp_path):
    ids = ["[1, 2]", '{"n": 1}', "true", "false", '"x"', "12", "1.5", "7" * 30, "null"]
    table = written(tmp_path, "ids.jsonl", "".join(f'{{"id": {i}, "text": "Observers met."}}\n' for i in ids).encode())
    docs = list(read_documents([table]))
    assert [(doc.id, doc.error) for doc in docs] == [
        (f"{table}:1", f"{table}:1: column 'id' holds a list, not text or a number"),
        (f"{table}:2", f"{table}:2: column 'id' holds an object, not text or a number"),
        (f"{table}:3", f"{table}:3: column 'id' holds a boolean, not text or a number"),
        (f"{table}:4", f"{table}:4: column 'id' holds a boolean, not text or a number"),
        ("x", None),
        ("12", None),
        ("1.5", None),
        ("7" * 30, None),
        (f"{table}:9", None),
    ]


def test_a_jsonl_row_giving_a_key_twice_fails_naming_its_file_line_and_key(tmp_path):
    table = written(
        tmp_path, "rows.jsonl", b'{"id": "a", "text": "x", "text": "y"}\n{"id": "b", "text": "Judges met."}\n'
    )
    docs = list(read_documents([table]))
    assert [(doc.id, doc.error) for doc in docs] == [
        (f"{table}:1", f"{table}:1: key 'text' appears twice; keep one, so no value is silently dropped"),
        ("b", None),
    ]
    (kind,) = {doc.error for doc in read_documents([written(tmp_path, "kinds.jsonl", b'{"text": {"a": 1, "a": 2}}\n')])}
    assert kind.endswith(":1: column 'text' holds an object, not text")


def test_a_csv_header_that_cannot_be_read_is_one_error_for_the_file(tmp_path):
    empty = written(tmp_path, "empty.csv", b"")
    wide = written(tmp_path, "wide.csv", b"," * 20_000 + b"\na,b\n")
    assert [doc.error for doc in read_documents([empty, wide])] == [
        f"{empty}: empty file",
        f"{wide}:1: malformed CSV: more than 10,000 cells in one row; skipped",
    ]


def test_a_table_of_no_rows_is_one_error_for_the_file_and_counted_as_one_record(tmp_path):
    blank = written(tmp_path, "blank.jsonl", b"\n  \n")
    header = written(tmp_path, "header.csv", b"id,text\n")
    parquet = tmp_path / "none.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), parquet)
    records = list(read_records([blank, header, parquet]))
    assert [(r.id, r.error, r.whole_input) for r in records] == [
        (str(blank), f"{blank}: empty file", True),
        (str(header), f"{header}: no rows below the header", True),
        (str(parquet), f"{parquet}: no rows", True),
    ]
    assert count_records([blank, header, parquet]) == 3


def test_a_csv_not_in_utf8_says_so_once_with_the_first_row(tmp_path):
    body = "Élection observée à Genève. " * 30  # 840 characters
    cp1252 = written(tmp_path, "cp1252.csv", f'id,text\na,"{body}"\nb,\u201cShort\u201d one.\n'.encode("cp1252"))
    docs = list(read_documents([cp1252], max_chars=500))
    assert docs[0].warning == (
        f"{cp1252}: not UTF-8; read as Windows-1252; {cp1252}:2: text cut at 500 characters (the CLASSIFIER_MAX_TEXT "
        "limit)"
    )
    assert docs[1].warning is None and docs[1].text == "\u201cShort\u201d one."
    latin1 = written(tmp_path, "latin1.csv", b"id,text\na,Caf\xe9 \x81 count\n")
    (doc,) = read_documents([latin1])
    assert doc.warning == f"{latin1}: not UTF-8; read as Latin-1" and doc.text == "Caf\xe9 \x81 count"


def test_a_row_whose_text_parses_to_nothing_keeps_its_id(tmp_path):
    # Its record has the row's id, so the document must too: a tag run's output names the row by it,
    # and --resume checks the output's last id against the records'.
    rows = [{"id": "a", "text": "Press release"}, {"id": "b", "text": "-\n-"}, {"text": "Press release"}]
    table = written(tmp_path, "rows.jsonl", "".join(json.dumps(row) + "\n" for row in rows).encode())
    assert [(doc.id, doc.origin, doc.error) for doc in read_documents([table])] == [
        ("a", f"{table}:1", f"{table}:1: no text"),
        ("b", f"{table}:2", f"{table}:2: no text"),
        (f"{table}:3", f"{table}:3", f"{table}:3: no text"),
    ]
    assert [record.id for record in read_records([table])] == ["a", "b", f"{table}:3"]


def test_unknown_labels_make_one_message_of_one_line_each(taxonomy):
    docs = [Document(id="a", text="t", labels=("Electons", "Polcing"), origin="docs.csv:2")]
    with pytest.raises(UnknownLabelsError) as error:
        resolve_labels(docs, taxonomy)
    assert str(error.value) == (
        "docs.csv:2: unknown label 'Electons' (closest field: 'Elections')\n"
        "docs.csv:2: unknown label 'Polcing' (closest field: 'Policing')"
    )


def test_fields_joined_by_commas_in_a_csv_cell_are_told_the_separator_not_a_closest_field(tmp_path, taxonomy):
    table = written(
        tmp_path,
        "comma.csv",
        b'id,text,labels\na,x y,"Democratization, Elections"\nb,x y,"Electons, Youth"\n'
        b'c,x y,"Democratization; Elections"\n',
    )
    docs = list(read_documents([table]))
    with pytest.raises(UnknownLabelsError) as error:
        resolve_labels(docs, taxonomy)
    assert error.value.lines == [
        f"{table}:2: unknown label 'Democratization, Elections' (several fields: labels in a cell are separated by "
        "';', as in 'Democratization; Elections', or listed)",
        f"{table}:3: unknown label 'Electons, Youth' (closest field: 'Elections')",  # a part that is no field
    ]
    assert resolve_labels(docs[2:], taxonomy) == [("Democratization", "Elections")]


def test_records_of_rows_and_tables_that_fail_carry_their_place_as_id(tmp_path):
    broken = written(tmp_path, "broken.jsonl", b'{"id": "a", "text": "Observers met."}\n{"id": "b", \n')
    no_text = written(tmp_path, "no_text.csv", b"a,b\n1,2\n")
    records = list(read_records([broken, no_text]))
    assert [(r.id, r.origin, r.whole_input) for r in records] == [
        ("a", f"{broken}:1", False),
        (f"{broken}:2", f"{broken}:2", False),
        (str(no_text), str(no_text), True),
    ]
    assert records[2].error == f"{no_text}: no column 'text' (columns: a, b)"


def test_a_row_with_only_a_title_keeps_its_warning(tmp_path):
    table = written(tmp_path, "titles.jsonl", json.dumps({"id": "t", "title": "Border guards " * 20}).encode() + b"\n")
    (doc,) = read_documents([table], max_chars=100)
    assert (doc.title, doc.text) == (("Border guards " * 20)[:100].strip(), "")
    assert doc.warning == f"{table}:1: text cut at 100 characters (the CLASSIFIER_MAX_TEXT limit)"


def test_a_parquet_cell_of_bytes_is_named_by_its_type(tmp_path):
    path = tmp_path / "bytes.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": pa.array([b"Observers met."], pa.binary())}), path)
    (doc,) = read_documents([path])
    assert doc.error == f"{path}:row 1: column 'text' holds bytes, not text"


def test_a_json_list_of_labels_keeps_numbers_of_any_length_as_digits(tmp_path):
    digits = "7" * 5000  # more than int() reads
    table = written(tmp_path, "labels.csv", f'id,text,labels\na,Observers met.,"[{digits}, 12]"\n'.encode())
    (doc,) = read_documents([table])
    assert doc.labels == (digits, "12")


def test_readable_documents_are_kept_and_each_problem_is_heard_once(tmp_path):
    (tmp_path / "a.md").write_text("Vote count\nObservers watched the count.", encoding="utf-8")
    (tmp_path / "b.md").write_text("", encoding="utf-8")
    (tmp_path / "c.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "d.md").write_text("Police\n" + "Officers trained. " * 20, encoding="utf-8")
    (tmp_path / "e.txt").write_text("Not matched by the glob.", encoding="utf-8")
    heard = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLASSIFIER_MAX_TEXT", "100")
        documents, failed = read_readable_documents([tmp_path], glob="*.md", on_problem=lambda *a: heard.append(a))
        assert read_readable_documents([tmp_path / "b.md"])[1] == 1  # no listener: counted all the same
    assert [os.path.basename(doc.id) for doc in documents] == ["a.md", "d.md"] and failed == 2
    assert heard == [
        ("error", f"{tmp_path / 'b.md'}: empty file"),
        ("error", f"{tmp_path / 'c.md'}: empty file"),
        ("warning", f"{tmp_path / 'd.md'}: text cut at 100 characters (the CLASSIFIER_MAX_TEXT limit)"),
    ]


def test_a_record_with_an_empty_page_or_a_title_over_no_body(tmp_path):
    assert to_document(Record("a", "a.txt", page="")).error == "a.txt: no text"
    table = written(
        tmp_path, "t.jsonl", json.dumps({"id": "t", "title": "Vote count", "text": "Press release"}).encode()
    )
    (doc,) = read_documents([table])
    assert (doc.id, doc.title, doc.text, doc.error) == ("t", "Vote count", "", None)


def test_parquet_cuts_and_warns_only_for_the_columns_it_reads(tmp_path):
    path = tmp_path / "rows.parquet"
    table = {
        "id": ["a", "b"],
        "title": [None, "Only a title"],
        "text": ["Observers met.", None],
        "notes": ["n" * 500, None],  # no column the reader uses
    }
    pq.write_table(pa.table(table), path)
    docs = list(read_documents([path], max_chars=100))
    assert [(d.id, d.title, d.text, d.warning) for d in docs] == [
        ("a", "", "Observers met.", None),
        ("b", "Only a title", "", None),
    ]


def test_a_file_that_is_not_parquet_is_named_with_pyarrows_reason(tmp_path):
    path = written(tmp_path, "bad.parquet", b"id,text\na,Observers met.\n")
    (doc,) = read_documents([path])
    assert doc.error.startswith(f"{path}: not a readable Parquet file: ") and "magic bytes" in doc.error


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": ["Observers met."]}), path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the parquet extra were not installed
    (doc,) = read_documents([path])
    assert doc.error == f"{path}: Parquet needs pyarrow: pip install 'osce-topic-classifier[parquet]'"


def test_line_records_are_one_per_line_with_blank_lines_kept_as_such(tmp_path):
    path = written(tmp_path, "lines.txt", b"Observers met.\n\n  \n" + b"Officers trained. " * 10 + b"\n")
    records = list(read_line_records([path, tmp_path / "missing.txt"], max_chars=50))
    assert [(r.id, r.origin, r.error, r.whole_input) for r in records] == [
        ("1", f"{path}:1", None, False),
        ("2", f"{path}:2", f"{path}:2: blank line", False),
        ("3", f"{path}:3", f"{path}:3: blank line", False),
        ("4", f"{path}:4", None, False),
        (str(tmp_path / "missing.txt"), str(tmp_path / "missing.txt"), records[4].error, True),
    ]
    assert records[4].error.startswith(f"{tmp_path / 'missing.txt'}: ")
    assert records[0].page == "Observers met." and records[0].warning is None
    assert records[3].page.startswith("Officers trained.") and len(records[3].page) <= 50
    assert records[3].warning == f"{path}:4: text cut at 50 characters (the CLASSIFIER_MAX_TEXT limit)"
    docs = [to_document(r) for r in records]
    assert [is_blank_line(d) for d in docs] == [False, True, True, False, False]
    assert [d.id for d in docs[:4]] == ["1", "2", "3", "4"]


def test_line_records_of_a_file_with_old_mac_line_ends_are_one_per_line(tmp_path):
    path = written(tmp_path, "lines.txt", b"Observers met.\rJudges met.\r\r\xffPolice trained.\rYouth met.\r")
    records = list(read_line_records([path]))
    assert [(r.id, r.page, r.error) for r in records] == [
        ("1", "Observers met.", None),
        ("2", "Judges met.", None),
        ("3", None, f"{path}:3: blank line"),
        ("4", None, f"{path}:4: not valid UTF-8 (invalid start byte at byte 0)"),
        ("5", "Youth met.", None),
    ]


def test_line_records_from_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"First line\nSecond line\n")))
    records = list(read_line_records(["-"]))
    assert [(r.id, r.origin, r.page) for r in records] == [
        ("1", "<stdin>:1", "First line"),
        ("2", "<stdin>:2", "Second line"),
    ]


def test_records_are_counted_as_they_will_be_read(tmp_path):
    page = written(tmp_path, "page.txt", b"Vote count\nObservers watched the count.\n")
    jsonl = written(tmp_path, "rows.jsonl", b'{"text": "a"}\n\n  \n{"text": "b"}\nnot json\n')
    csv_table = written(tmp_path, "rows.csv", b"id,text\na,x\nb,y\n")
    parquet = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"]}), parquet)
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "gone.jsonl")  # cannot be opened: one error record
    inputs = [page, jsonl, csv_table, parquet, tmp_path / "missing.txt", tmp_path / "dangling.jsonl"]
    assert count_records(inputs) == 1 + 3 + 2 + 2 + 1 + 1 == len(list(read_records(inputs)))
    assert count_records([page, "-"]) is None


def test_releases_are_read_from_pages_and_rows_with_their_problems(tmp_path):
    page = written(tmp_path, "page.txt", b"Vote count\nObservers watched the count.\n")
    table = written(tmp_path, "rows.jsonl", b'{"title": "Police", "text": "Officers trained."}\n')
    got = [
        (origin, release and (release.title, release.body), problem)
        for origin, release, problem in read_releases([page, table, tmp_path / "missing.txt"])
    ]
    assert got == [
        (str(page), ("Vote count", "Observers watched the count."), None),
        (f"{table}:1", ("Police", "Officers trained."), None),
        (str(tmp_path / "missing.txt"), None, f"{tmp_path / 'missing.txt'}: no such file or directory"),
    ]
    # A row whose text cell is not text is an error naming its file and line, not an empty release.
    bad = written(tmp_path, "bad.jsonl", b'{"title": "Police", "text": "Officers trained."}\n{"text": 5}\n')
    problems = [(origin, release is None, problem) for origin, release, problem in read_releases([bad])]
    assert problems[0] == (f"{bad}:1", False, None)
    assert problems[1][:2] == (f"{bad}:2", True) and problems[1][2].startswith(f"{bad}:2: ")
    assert "number" in problems[1][2]


def test_a_job_finds_the_input_that_would_read_its_own_output(tmp_path):
    out = written(tmp_path, "tags.jsonl", b"")
    other = written(tmp_path, "other.jsonl", b"")
    (tmp_path / "sub").mkdir()
    assert find_input(out, ["-", out]) == str(out)
    assert find_input(out, ["-", other]) is None
    assert find_input(out, [str(tmp_path / "*.jsonl")]) == str(tmp_path / "*.jsonl")
    assert find_input(out, [str(tmp_path / "*.csv")]) is None
    assert find_input(out, [tmp_path], glob="*.jsonl") == str(tmp_path)
    assert find_input(out, [tmp_path]) is None  # the walk reads *.txt only
    assert find_input(out, [tmp_path / "sub"], glob="*.jsonl") is None  # a folder that does not hold it


def test_hidden_files_and_folders_are_not_walked(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.txt").write_text("Hidden folder.\n", encoding="utf-8")
    (tmp_path / ".draft.txt").write_text("Hidden file.\n", encoding="utf-8")
    (tmp_path / "page.txt").write_text("Vote count\nObservers watched the count.\n", encoding="utf-8")
    assert [doc.id for doc in read_documents([tmp_path])] == [str(tmp_path / "page.txt")]


def test_a_named_column_is_looked_for_in_the_header_or_the_first_rows(tmp_path):
    body = Columns(text="body")
    parquet = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": ["Observers met."]}), parquet)
    with pytest.raises(UsageError, match=r"rows.parquet: no row has the column 'body' named by --text-column"):
        check_named_columns([parquet], body)
    pq.write_table(pa.table({"id": ["a"], "body": ["Observers met."]}), parquet)
    check_named_columns([parquet], body)
    cp1252 = written(tmp_path, "cp1252.csv", "id,Résumé\na,Observers met.\n".encode("cp1252"))
    check_named_columns([cp1252], Columns(text="Résumé"))
    # A table with no header or no rows to look in is left for reading to report.
    empty = written(tmp_path, "empty.csv", b"")
    wide = written(tmp_path, "wide.csv", b"," * 20_000 + b"\n")
    broken = written(tmp_path, "broken.jsonl", b"not json\n[1]\n")
    check_named_columns([empty, wide, broken], body)
    assert [r.error for r in read_records([empty], body)] == [f"{empty}: empty file"]
    # JSONL has no header: its first SAMPLE_ROWS rows stand for one.
    rows = [json.dumps({"text": "Observers met."})] * (SAMPLE_ROWS - 1) + [json.dumps({"body": "Officers trained."})]
    jsonl = written(tmp_path, "rows.jsonl", "\n".join(rows).encode() + b"\n")
    check_named_columns([jsonl], body)
    jsonl.write_text("\n".join([rows[0], *rows]) + "\n", encoding="utf-8")  # now row SAMPLE_ROWS + 1
    with pytest.raises(UsageError, match=r"no row has the column 'body' named by --text-column \(columns: text\)"):
        check_named_columns([jsonl], body)


def test_inputs_that_cannot_be_read_are_one_record_each_named_by_their_path(tmp_path):
    missing, fifo = tmp_path / "missing.txt", tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.md").write_text("Vote count\nObservers watched the count.\n", encoding="utf-8")
    records = list(read_records([missing, fifo, tmp_path / "pages"], Columns(text="body"), glob="*.md"))
    assert [(r.id, r.origin, r.whole_input) for r in records] == [
        (str(missing), str(missing), True),
        (str(fifo), str(fifo), True),
        (str(tmp_path / "pages" / "a.md"), str(tmp_path / "pages" / "a.md"), False),
    ]
    assert records[0].error == f"{missing}: no such file or directory"
    assert records[1].error.startswith(f"{fifo}: ") and records[2].page.startswith("Vote count")


def test_pages_from_files_and_standard_input_carry_a_warning_only_when_cut(tmp_path, monkeypatch):
    page = written(tmp_path, "page.txt", b"Vote count\nObservers watched the count.\n")
    empty = written(tmp_path, "empty.txt", b"")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"Vote count\nObservers met.\n")))
    records = list(read_records([page, empty, "-"]))
    assert [(r.id, r.origin, r.error, r.warning) for r in records] == [
        (str(page), str(page), None, None),
        (str(empty), str(empty), f"{empty}: empty file", None),
        ("<stdin>", "<stdin>", None, None),
    ]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00")))
    (record,) = read_records(["-"])
    assert (record.id, record.origin, record.error) == ("<stdin>", "<stdin>", "<stdin>: binary file, not text")


def test_a_folder_walk_reads_pages_and_a_glob_reaches_into_subfolders(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    deep = written(tmp_path / "a" / "b", "deep.txt", b"Deep\nA page two folders down.\n")
    table = written(tmp_path, "rows.jsonl", b'{"text": "Observers met."}\n')
    # --glob picks which files of a folder are read; each is read as its suffix says, a table as a table.
    assert list(expand_inputs([tmp_path], glob="*.jsonl")) == [(str(table), "jsonl")]
    assert list(expand_inputs([str(tmp_path / "**" / "*.txt")])) == [(str(deep), "text")]


@pytest.mark.parametrize("name", ["id", "title", "text", "labels"])
def test_a_column_named_by_anything_but_a_str_is_a_type_error_at_once(tmp_path, name):
    """From Python, `Columns(id=5)` (a column's position, as pandas would take it) failed only once a table was read,
    with an AttributeError deep in the reader."""
    with pytest.raises(TypeError, match=rf"^Columns\({name}=\.\.\.\) takes a column's name as a str, not int$"):
        Columns(**{name: 5})
    assert getattr(Columns(**{name: "headline"}), name) == "headline"


def test_each_option_naming_a_missing_column_is_named_in_its_message(tmp_path):
    page = written(tmp_path, "page.txt", b"Vote count\nObservers watched the count.\n")
    broken = written(tmp_path, "broken.jsonl", b"not json\n")
    table = written(tmp_path, "rows.csv", b"id,text\na,Observers met.\n")
    for columns, option in [(Columns(title="headline"), "--title-column"), (Columns(id="doc"), "--id-column")]:
        name = columns.title if option == "--title-column" else columns.id
        with pytest.raises(UsageError) as error:
            check_named_columns([page, broken, table], columns)  # the inputs before the table do not stop the check
        assert str(error.value) == f"{table}: no row has the column '{name}' named by {option} (columns: id, text)"


def test_the_glob_picks_the_files_of_a_folder_for_counting_and_releases(tmp_path):
    (tmp_path / "a.md").write_text("Vote count\nObservers watched the count.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Police\nOfficers trained.\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Courts\nJudges met.\n", encoding="utf-8")
    assert count_records([tmp_path], glob="*.md") == 1
    assert [(release.title, problem) for _, release, problem in read_releases([tmp_path], glob="*.md")] == [
        ("Vote count", None)
    ]


def test_line_records_name_the_input_of_a_bad_line_and_of_a_failed_read(tmp_path, monkeypatch):
    from classifier.corpus import documents

    path = written(tmp_path, "lines.txt", b"Observers met.\n\xff\xfe not UTF-8\n")
    records = list(read_line_records([tmp_path / "missing.txt", path]))  # a missing input does not stop the rest
    assert [(r.id, r.origin) for r in records] == [
        (str(tmp_path / "missing.txt"),) * 2,
        ("1", f"{path}:1"),
        ("2", f"{path}:2"),
    ]
    assert records[2].error.startswith(f"{path}:2: ")
    real_lines = documents.text_lines

    for failure, reason in [
        (OSError(errno.EIO, os.strerror(errno.EIO)), os.strerror(errno.EIO)),
        (OSError("gone"), "gone"),
    ]:

        def failing(handle, name, limit, failure=failure):
            yield next(real_lines(handle, name, limit))
            raise failure

        monkeypatch.setattr(documents, "text_lines", failing)
        first, failed = read_line_records([path])
        assert first.page == "Observers met."
        assert (failed.id, failed.origin, failed.error, failed.whole_input) == (
            str(path),
            str(path),
            f"{path}: cannot read: {reason}",
            True,
        )


def test_a_missing_column_message_shows_at_most_20_columns_of_40_characters(tmp_path):
    names = ["c" * 41] + [f"col{n}" for n in range(2, 22)]  # 21 columns, the first of 41 characters
    wide = written(tmp_path, "wide.csv", (",".join(names) + "\n" + ",".join(["x"] * 21) + "\n").encode())
    with pytest.raises(UsageError) as error:
        check_named_columns([wide], Columns(text="body"))
    shown = ", ".join(["c" * 37 + "..."] + [f"col{n}" for n in range(2, 21)])  # col21 is the 21st: left out
    assert str(error.value) == f"{wide}: no row has the column 'body' named by --text-column (columns: {shown})"
    blank = written(tmp_path, "blank.csv", b'""\nx\n')  # a header of one empty name
    with pytest.raises(UsageError, match=r"\(columns: none\)$"):
        check_named_columns([blank], Columns(text="body"))


def test_an_output_is_found_only_by_a_glob_that_matches_it(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    out = written(tmp_path / "sub" / "deeper", "tags.jsonl", b"")
    written(tmp_path, "other.jsonl", b"")
    assert find_input(out, [str(tmp_path / "oth*.jsonl")]) is None  # matches another file only
    assert find_input(out, [str(tmp_path / "**" / "*.jsonl")]) == str(tmp_path / "**" / "*.jsonl")


# Tables and lists of lines saved as UTF-16 (Windows PowerShell's Out-File, Python's encoding="utf-16"): the mark
# first, then two bytes (or a surrogate pair of four) per character, in either order.
UTF16_FORMS = {
    "utf-16 (Python, with its mark)": lambda text: text.encode("utf-16"),
    "utf-16-le with a mark": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be with a mark": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
}


def read_as(tmp_path, name: str, text: str, encode) -> list[Document]:
    """The documents of `text` written to `name` in the given encoding (the same path each time)."""
    path = written(tmp_path, name, encode(text))
    return list(read_documents([path]))


@pytest.mark.parametrize("form", UTF16_FORMS)
def test_a_utf16_jsonl_reads_as_its_utf8_twin(tmp_path, form):
    text = (
        json.dumps({"id": "ü-1", "title": "Wahlbeobachtung in Österreich", "text": "Observers met 🗳 voters."}) + "\n"
        "\n"
        '{"id": "broken", "text": \n'
        + json.dumps({"id": "ж-4", "text": "Наблюдатели OSCE", "labels": ["Elections"]}, ensure_ascii=False)
        + "\r\n"
    )
    twin = read_as(tmp_path, "rows.jsonl", text, lambda t: t.encode("utf-8"))
    docs = read_as(tmp_path, "rows.jsonl", text, UTF16_FORMS[form])
    assert docs == twin
    path = tmp_path / "rows.jsonl"
    assert [doc.id for doc in docs] == ["ü-1", f"{path}:3", "ж-4"]  # no row lost at the top, none made up at the end
    assert docs[0].model_text == "Wahlbeobachtung in Österreich\nObservers met 🗳 voters."
    assert docs[1].error.startswith(f"{path}:3: invalid JSON: ")
    assert docs[2].text == "Наблюдатели OSCE" and docs[2].labels == ("Elections",)
    assert count_records([path]) == 3


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_csv_without_its_mark_is_named_as_such_not_read_as_columns_with_nul_bytes(tmp_path, encoding):
    """Without its byte-order mark a UTF-16 CSV decodes as UTF-8 with a NUL between letters: training warned that
    it had no 'text' column, then stopped on "no column 'text' (columns: i d , t i t l e ...)"."""
    from classifier.corpus.datasets import load_training_set
    from classifier.taxonomy.fields import Taxonomy

    text = "id,title,text,labels\r\na,Observers,Observers watched the vote.,Elections\r\n"
    path = written(tmp_path, "rows.csv", text.encode(encoding))
    message = (
        f"{path}: NUL bytes in its header, not a CSV of text: binary data, or UTF-16 without its byte-order mark "
        "(save it as UTF-8)"
    )
    assert [doc.error for doc in read_documents([path])] == [message]
    heard = []
    with pytest.raises(ClassifierError) as refused:
        load_training_set([path], Taxonomy.from_yaml(ROOT / "taxonomy.yaml"), on_warning=heard.append)
    assert (str(refused.value), heard) == (message, [])


@pytest.mark.parametrize("form", UTF16_FORMS)
def test_a_utf16_csv_reads_as_its_utf8_twin_with_the_same_lines_in_its_messages(tmp_path, form):
    text = (
        "id,title,text,labels\r\n"
        'a,Wahl in Österreich,"Observers watched\r\nthe count.",Elections\r\n'
        "b,too,many,cells,here\r\n"
        'c,Police,"Officers trained, and then,Policing\r\n'  # a stray quote: reading goes back to the next line
        "d,Judges,Judges met in Tirana – a first.,Rule of law\r\n"
    )
    twin = read_as(tmp_path, "rows.csv", text, lambda t: t.encode("utf-8"))
    docs = read_as(tmp_path, "rows.csv", text, UTF16_FORMS[form])
    assert docs == twin
    path = tmp_path / "rows.csv"
    assert [doc.id for doc in docs] == ["a", f"{path}:4", f"{path}:5", "d"]
    assert docs[0].model_text == "Wahl in Österreich\nObservers watched\nthe count."
    assert docs[1].error == f"{path}:4: malformed CSV: 5 cells where the header has 4"
    assert docs[2].error.startswith(f"{path}:5: malformed CSV: a quoted cell opened on this line is never closed")
    assert docs[3].text == "Judges met in Tirana – a first." and docs[3].labels == ("Rule of law",)
    assert docs[0].warning is None  # read as written: no "not UTF-8" note
    assert count_records([path]) == 4


@pytest.mark.parametrize("form", UTF16_FORMS)
def test_utf16_lines_read_as_their_utf8_twin_from_a_file_or_standard_input(tmp_path, form, monkeypatch):
    text = "Observers met in Osh.\n\nПолиция обучена 🚓.\r\nJudges met.\n"
    path = written(tmp_path, "lines.txt", UTF16_FORMS[form](text))
    records = list(read_line_records([path]))
    assert [(r.id, r.page, r.error) for r in records] == [
        ("1", "Observers met in Osh.", None),
        ("2", None, f"{path}:2: blank line"),
        ("3", "Полиция обучена 🚓.", None),
        ("4", "Judges met.", None),
    ]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(UTF16_FORMS[form](text))))
    from_stdin = list(read_line_records(["-"]))
    assert [(r.origin, r.page) for r in from_stdin] == [(f"<stdin>:{r.id}", r.page) for r in records]


def test_a_dataframe_or_what_is_no_path_is_refused_saying_what_to_pass_instead(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["1"], "published": ["2024-03-01"], "text": ["ODIHR observers will follow."]})
    with pytest.raises(TypeError, match=r"^inputs is a pandas DataFrame, not paths .* use Model\.tag_frame; .*to_json"):
        list(read_documents(frame))
    document = Document("1", "", "A text.", None, "a.txt")
    with pytest.raises(TypeError, match=r"^inputs\[1\] is Document, not the path .* Model\.suggest_documents\)$"):
        list(read_documents([tmp_path, document]))
    with pytest.raises(TypeError, match=r"^inputs\[0\] is int, not the path of a file, folder or glob$"):
        list(expand_inputs([3]))
    # Paths as str, bytes or path objects are read as before.
    (tmp_path / "a.txt").write_text("Observers deployed.", encoding="utf-8")
    for path in (tmp_path / "a.txt", [str(tmp_path / "a.txt")], [os.fsencode(tmp_path / "a.txt")]):
        assert [doc.text for doc in read_documents(path)] == ["Observers deployed."]
    # A Series gives its values, not an index or column names: a column of paths is read as a list of them.
    assert [doc.text for doc in read_documents(pd.Series([str(tmp_path / "a.txt")]))] == ["Observers deployed."]


def test_a_table_rows_record_and_document_are_those_their_classes_make(tmp_path):
    """The rows of a table are made without the frozen dataclasses' __init__ (`frozen_instance`, quicker): each record,
    document and JSON line is the object its class makes of the same fields, frozen as it is."""
    import dataclasses
    import pickle

    from classifier.corpus.documents import Document, Record, read_records, to_document
    from classifier.io.jsonl import JsonLine, read_json_lines

    table = tmp_path / "rows.jsonl"
    table.write_text(json.dumps({"id": "d1", "title": "Border", "text": "Guards met.", "labels": ["Youth"]}) + "\n")
    (record,) = read_records([table])
    document = to_document(record)
    (line,) = read_json_lines(io.BytesIO(table.read_bytes()), 100)
    expected = (
        Record("d1", f"{table}:1", row={"id": "d1", "title": "Border", "text": "Guards met.", "labels": ["Youth"]}),
        Document("d1", "Border", "Guards met.", ("Youth",), f"{table}:1"),
        JsonLine(1, record.row),
    )
    for made, own in zip((record, document, line), expected):
        assert type(made) is type(own) and made == own and repr(made) == repr(own) and vars(made) == vars(own)
        assert list(vars(made)) == [field.name for field in dataclasses.fields(own)]  # every field, in order
        assert pickle.loads(pickle.dumps(made)) == own
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.error = "changed"
    assert hash(document) != hash(Document("d2", "Border", "Guards met.", ("Youth",), f"{table}:1"))


def test_a_folder_glob_matches_file_names_in_any_case_in_the_same_order(tmp_path):
    for name in ("a.md", "b.MD", "c.TXT", "d.Txt", "e.txt"):
        (tmp_path / name).write_text(f"Observers followed the elections in {name}.\n", encoding="utf-8")
    # As a Windows export names them: before, only e.txt was read by default, and *.md passed over b.MD.
    assert [os.path.basename(d.id) for d in read_documents([tmp_path])] == ["c.TXT", "d.Txt", "e.txt"]
    assert [os.path.basename(d.id) for d in read_documents([tmp_path], glob="*.md")] == ["a.md", "b.MD"]
    assert [os.path.basename(d.id) for d in read_documents([tmp_path], glob="*.MD")] == ["a.md", "b.MD"]
    assert [os.path.basename(d.id) for d in read_documents([tmp_path], glob=["[ab].md", "*.txt"])] == [
        "a.md",
        "b.MD",
        "c.TXT",
        "d.Txt",
        "e.txt",
    ]
    assert find_input(tmp_path / "c.TXT", [tmp_path]) == str(tmp_path)  # tag refuses to write over it


def test_a_glob_from_python_may_be_a_list_of_patterns_or_none_and_nothing_else(tmp_path):
    for name in ("a.txt", "b.md", "c.rst"):
        (tmp_path / name).write_text(f"Observers followed the elections in {name}.\n", encoding="utf-8")
    # A list reads as the command line's repeated --glob; None as the default, *.txt. Before, both an AttributeError.
    assert [os.path.basename(d.id) for d in read_documents([tmp_path], glob=["*.md", "*.txt"])] == ["a.txt", "b.md"]
    assert [os.path.basename(d.id) for d in read_documents([tmp_path], glob=("*.rst",))] == ["c.rst"]
    assert [os.path.basename(d.id) for d in read_documents([tmp_path], glob=None)] == ["a.txt"]
    with pytest.raises(
        TypeError, match=r"^glob is 5: expected a file name pattern such as '\*.txt', or a list of them$"
    ):
        list(read_documents([tmp_path], glob=5))


def test_rows_whose_labels_cell_holds_no_field_names_are_tagged_and_refused_for_training(tmp_path):
    """Tagging reads no labels: rows with `"labels": 0.9`, true or an object were tagged before the labels check
    came, and failed with it; they are tagged again. Training still refuses them, naming the file and line."""
    from typer.testing import CliRunner

    from classifier.cli import app

    text = "ODIHR observers followed the vote."
    rows = [{"id": str(n), "title": "Observers deployed", "text": text} for n in range(4)]
    for row, labels in zip(rows, (0.9, True, {"Elections": 1}, ["Elections"])):
        row["labels"] = labels
    data = written(tmp_path, "rows.jsonl", "".join(json.dumps(row) + "\n" for row in rows).encode())
    result = CliRunner().invoke(app, ["tag", str(data), "--output", str(tmp_path / "tags.jsonl")])
    assert result.exit_code == 0, result.stderr
    tagged = [json.loads(line) for line in (tmp_path / "tags.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["error"], row["labels"][:1]) for row in tagged] == [
        (str(n), "", ["Elections"]) for n in range(4)
    ]
    result = CliRunner().invoke(app, ["train", str(data), "--output", str(tmp_path / "model")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: {data}:1: column 'labels' holds a number, not field names"
    assert not (tmp_path / "model").exists()


# ---- standard input that looks like a table, and the releases of pages ----


def _piped(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_a_piped_table_cut_at_the_limit_is_still_said_to_be_a_table_with_both_warnings(monkeypatch):
    rows = [json.dumps({"id": str(i), "text": f"Observers watched polling station {i}."}) for i in range(3)]
    data = "".join(row + "\n" for row in rows)
    limit = len(rows[0]) + len(rows[1]) + 2 + 10  # ten characters into the third row
    _piped(monkeypatch, data.encode("utf-8"))
    (record,) = read_records(["-"], max_chars=limit)
    assert (record.id, record.origin, record.page, record.whole_input) == ("<stdin>", "<stdin>", data[:limit], True)
    assert record.warning == (
        "<stdin>: standard input looks like a JSONL table; it is read as one text. Save it as a .jsonl file and name "
        f"that file to read its rows; <stdin>: text cut at {limit} characters (the CLASSIFIER_MAX_TEXT limit)"
    )


def test_standard_input_or_a_file_not_in_utf8_says_how_it_was_read(monkeypatch, tmp_path):
    text = "Élections à Genève\nLe décompte a été rapide.\n"
    _piped(monkeypatch, text.encode("cp1252"))
    (record,) = read_records(["-"])
    assert (record.page, record.warning) == (text, "<stdin>: not UTF-8; read as Windows-1252")
    page = written(tmp_path, "page.txt", text.encode("cp1252"))
    (record,) = read_records([page])
    assert (record.page, record.warning) == (text, f"{page}: not UTF-8; read as Windows-1252")


def _jsonl_lines(count: int) -> list[str]:
    return [json.dumps({"id": str(i), "text": "Observers watched."}) for i in range(count)]


def test_a_text_is_a_table_by_its_first_hundred_lines_and_never_by_a_cut_last_one():
    from classifier.corpus.documents import table_shape

    two = "\n".join(_jsonl_lines(2)) + "\n"
    assert table_shape(two) == "JSONL"  # not cut, unless the caller says so
    assert table_shape(two, cut=True) is None  # one whole line is left: a text quoting a row
    cut_third = "\n".join(_jsonl_lines(3)) + '\n{"id": "3", "te'
    assert table_shape(cut_third, cut=True) == "JSONL"
    assert table_shape(cut_third) is None  # whole, its last line is no row
    # The first 100 lines decide; a line past them or a cut last line among 100 does not.
    hundred_then_prose = "\n".join(_jsonl_lines(100)) + "\nA line of prose.\n"
    assert table_shape(hundred_then_prose) == "JSONL" and table_shape(hundred_then_prose, cut=True) == "JSONL"
    cut_hundredth = "\n".join(_jsonl_lines(99)) + '\n{"id": "99", "te'
    assert table_shape(cut_hundredth, cut=True) == "JSONL"


def test_a_text_is_a_csv_table_by_a_header_of_column_names_naming_its_title_or_text():
    from classifier.corpus.documents import table_shape

    assert table_shape("title,text\nVote count,Observers watched.\n") == "CSV"  # two columns are enough
    assert table_shape("id,headline\na,Vote count\n") is None  # neither the title nor the text column
    assert table_shape("id,headline\na,Vote count\n", Columns(title="headline")) == "CSV"
    # The delimiter is the header's, whatever the rows hold.
    assert table_shape("id;title;text\na;Vote count, first round;Observers watched.\n") == "CSV"
    # A header of up to 10,000 characters is read; a longer first line is a text's.
    header = "title,text" + ("," + "c" * 99) * 99 + "," + "d" * 89
    assert len(header) == 10_000
    assert table_shape(header + "\nrow\n") == "CSV"
    assert table_shape(header + "d\nrow\n") is None


def test_the_releases_are_those_of_the_pages_as_written_and_an_unreadable_input_stops_none(tmp_path):
    page = written(tmp_path, "page.txt", (FIXTURES / "page_two_fields.txt").read_bytes())
    got = [
        (origin, release and (release.title, release.fields), problem)
        for origin, release, problem in read_releases([tmp_path / "missing.txt", page])
    ]
    assert got == [
        (str(tmp_path / "missing.txt"), None, f"{tmp_path / 'missing.txt'}: no such file or directory"),
        # Its fields block, below its text, is read from the page itself.
        (
            str(page),
            (
                "Community policing forum brings young people and police officers together in Dushanbe",
                ("Policing", "Youth"),
            ),
            None,
        ),
    ]


def test_a_parquet_file_damaged_after_its_footer_keeps_the_rows_read_before_the_damage(tmp_path):
    """pyarrow opens the file by its footer and fails only on the row group it cannot decode: the rows of the batches
    before it stand, and the rest of the file is one error row naming the first row not read."""
    path = tmp_path / "rows.parquet"
    texts = [f"Observers watched polling station {i} in the capital." for i in range(512)]
    table = pa.table({"id": [str(i) for i in range(512)], "text": texts})
    pq.write_table(table, path, row_group_size=256, compression="gzip")
    chunk = pq.ParquetFile(path).metadata.row_group(1).column(1)  # the second row group's texts
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    middle = start + chunk.total_compressed_size // 2
    data[middle : middle + 32] = b"\xff" * 32
    path.write_bytes(bytes(data))
    records = list(read_records([path]))
    assert [(r.id, r.row["text"]) for r in records[:-1]] == [(str(i), texts[i]) for i in range(256)]
    last = records[-1]
    assert (last.id, last.origin, last.row, last.whole_input) == (f"{path}:row 257", f"{path}:row 257", None, False)
    with pytest.raises((OSError, pa.ArrowException)) as failed:  # pyarrow's own words for the damage
        pq.read_table(path)
    assert last.error == f"{path}:row 257: unreadable: {str(failed.value).splitlines()[0]}"
    assert str(failed.value).splitlines()[0]


def test_a_parquet_error_without_words_is_named_by_its_type(tmp_path, monkeypatch):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["Observers met.", "Officers trained."]}), path)
    real = pq.ParquetFile.iter_batches

    def failing(self, *args, **kwargs):
        yield from real(self, *args, **kwargs)
        raise pa.ArrowInvalid()

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", failing)
    records = list(read_records([path]))
    assert [r.id for r in records[:2]] == ["a", "b"]
    assert records[2].error == f"{path}:row 3: unreadable: ArrowInvalid"


def test_a_folder_that_could_not_be_listed_is_said_in_the_walks_order(tmp_path, monkeypatch):
    """The tests run as root, who may list any folder: the walk's refusals are simulated."""
    import classifier.corpus.documents as documents

    (tmp_path / "a.txt").write_text("Observers watched the count.\n", encoding="utf-8")
    locked = [tmp_path / "locked", tmp_path / "sealed"]
    real_walk = os.walk

    def walk(root, onerror):
        for folder in locked:
            onerror(PermissionError(13, "Permission denied", str(folder)))
        yield from real_walk(root, onerror=onerror)

    monkeypatch.setattr(documents.os, "walk", walk)
    assert list(expand_inputs([tmp_path])) == [
        (str(locked[0]), "unreadable"),
        (str(locked[1]), "unreadable"),
        (str(tmp_path / "a.txt"), "text"),
    ]
    # Why, asked again when the record is made: the folder's own error, or that it can be listed now.
    assert list(read_records([tmp_path]))[:2] == [
        Record(
            str(folder),
            str(folder),
            error=f"{folder}: cannot read the folder (No such file or directory)",
            whole_input=True,
        )
        for folder in locked
    ]
    assert documents._listing_error(str(tmp_path)) == "it could not be listed during the walk"

    def refused(folder):
        raise OSError("the share went away")

    monkeypatch.setattr(documents.os, "listdir", refused)
    assert documents._listing_error(str(tmp_path)) == "the share went away"


def test_a_glob_finds_the_output_it_holds_through_a_linked_folder_or_under_another_name(tmp_path):
    (tmp_path / "out").mkdir()
    out = written(tmp_path / "out", "tags.jsonl", b"")
    (tmp_path / "via").symlink_to(tmp_path / "out")
    # The same file, spelled through a linked folder: the pattern does not name it, its match is it.
    assert find_input(tmp_path / "via" / "tags.jsonl", [str(tmp_path / "out" / "*.jsonl")]) == str(
        tmp_path / "out" / "*.jsonl"
    )
    # A link under another name to the output is the output.
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "alias.jsonl").symlink_to(out)
    written(tmp_path / "inputs", "other.jsonl", b"")
    assert find_input(out, [str(tmp_path / "inputs" / "*.jsonl")]) == str(tmp_path / "inputs" / "*.jsonl")
    # A file of the same name elsewhere is another file.
    (tmp_path / "copy").mkdir()
    written(tmp_path / "copy", "tags.jsonl", b"")
    assert find_input(out, [str(tmp_path / "copy" / "*.jsonl")]) is None


def test_unknown_labels_are_resolved_in_the_taxonomy_given_and_hinted_by_the_closest_field(tmp_path):
    from classifier.taxonomy.fields import Taxonomy

    from conftest import taxonomy_with_youth_renamed

    renamed = tmp_path / "taxonomy.yaml"
    renamed.write_text(taxonomy_with_youth_renamed(), encoding="utf-8")
    docs = [Document("a", text="x", labels=("Young people",), origin="a.jsonl:1")]
    assert resolve_labels(docs, Taxonomy.from_yaml(renamed)) == [("Young people",)]
    # A field with a stray comma is one unknown spelling: the closest field, not "several fields".
    with pytest.raises(UnknownLabelsError) as refused:
        resolve_labels([Document("b", text="x", labels=("Elections,",), origin="b.jsonl:1")])
    assert refused.value.lines == ["b.jsonl:1: unknown label 'Elections,' (closest field: 'Elections')"]


def test_an_output_is_refused_where_an_input_reads_it_or_its_pattern_would(tmp_path):
    from classifier.corpus.documents import check_not_an_input
    from classifier.io.textio import InputError

    folder = tmp_path / "rows"
    folder.mkdir()
    out = written(folder, "tags.jsonl", b"")
    with pytest.raises(InputError) as refused:
        check_not_an_input(out, [folder], glob="*.jsonl")
    assert str(refused.value) == f"{out}: the output is also an input ({folder}); write it somewhere else"
    check_not_an_input(out, [folder])  # the walk reads *.txt only
    # An output not written yet is refused where a pattern among the inputs would read it.
    new, pattern = folder / "new.jsonl", str(folder / "*.jsonl")
    assert find_input(new, [pattern]) == pattern
    with pytest.raises(InputError) as refused:
        check_not_an_input(new, [pattern])
    assert str(refused.value) == f"{new}: the output is also an input ({pattern}); write it somewhere else"


def test_a_row_with_a_title_and_no_text_keeps_its_origin_and_a_failed_row_has_one_problem():
    titled = to_document(Record("a", "t.jsonl:1", row={"title": "Vote count", "labels": True}))
    assert (titled.title, titled.text, titled.origin, titled.error, titled.labels_error) == (
        "Vote count",
        "",
        "t.jsonl:1",
        None,
        "t.jsonl:1: column 'labels' holds a boolean, not field names",
    )
    # A text that reads as no document fails: its labels cell is not said besides.
    failed = to_document(Record("b", "t.jsonl:2", row={"text": "PRESS RELEASE", "labels": True}))
    assert (failed.error, failed.labels_error) == ("t.jsonl:2: no text", None)


def test_glob_patterns_are_split_on_line_breaks_only_and_a_bad_id_cell_keeps_the_rows_place(tmp_path):
    from classifier.corpus.documents import glob_patterns

    # --glob repeated joins its patterns by line breaks; a pattern may hold spaces, as file names do.
    assert glob_patterns("* notes.txt\n*.md") == ["* notes.txt", "*.md"]
    assert glob_patterns(None) == ["*.txt"] and glob_patterns(("*.txt", "*.md")) == ["*.txt", "*.md"]
    table = written(tmp_path, "rows.jsonl", b'{"id": true, "text": "Observers met."}\n')
    (record,) = read_records([table])
    assert (record.id, record.origin, record.error) == (
        f"{table}:1",
        f"{table}:1",
        f"{table}:1: column 'id' holds a boolean, not text or a number",
    )


def test_a_page_cut_before_its_text_says_it_was_the_cut_and_named_columns_are_checked_in_a_folders_tables(tmp_path):
    page = written(tmp_path, "page.txt", (FIXTURES / "page_two_fields.txt").read_bytes())  # menus first
    (doc,) = read_documents([page], max_chars=200)
    assert doc.error == f"{page}: no text before its text cut at 200 characters (the CLASSIFIER_MAX_TEXT limit)"
    folder = tmp_path / "rows"
    folder.mkdir()
    written(folder, "a.jsonl", b'{"id": "a", "text": "Observers met."}\n')
    with pytest.raises(UsageError) as refused:
        list(read_records([folder], Columns(text="body"), glob="*.jsonl"))
    assert str(refused.value) == (
        f"{folder / 'a.jsonl'}: no row has the column 'body' named by --text-column (columns: id, text)"
    )


def test_a_folder_with_no_file_the_glob_matches_is_one_record_of_the_whole_input(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    written(folder, "notes.pdf", b"%PDF-1.4\n")
    (record,) = read_records([folder], glob="*.txt\n*.md")
    assert record == Record(
        str(folder), str(folder), error=f"{folder}: a folder with no file matching *.txt or *.md", whole_input=True
    )


def test_max_chars_is_a_whole_number_of_zero_or_more_and_a_file_that_is_no_text_is_a_whole_input(tmp_path, monkeypatch):
    page = written(tmp_path, "page.txt", b"Vote count\nObservers watched the count.\n")
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT", "10")
    for default in (None, 0):  # the CLASSIFIER_MAX_TEXT limit
        (doc,) = read_documents([page], max_chars=default)
        assert doc.warning == f"{page}: text cut at 10 characters (the CLASSIFIER_MAX_TEXT limit)"
    for wrong in (-1, "lots", 2.5):
        with pytest.raises(ValueError) as refused:
            list(read_documents([page], max_chars=wrong))
        assert str(refused.value) == (
            f"max_chars {wrong!r}: expected a whole number of characters (0 or None: the default)"
        )
    empty = written(tmp_path, "empty.txt", b"")
    assert list(read_records([empty])) == [
        Record(str(empty), str(empty), error=f"{empty}: empty file", whole_input=True)
    ]


def test_recorded_paths_spell_each_file_once_by_the_glob_read_and_a_base_documents_bundle_too(tmp_path, monkeypatch):
    from classifier.corpus.documents import recorded_paths

    (tmp_path / "work").mkdir()
    folder = tmp_path / "pages"
    folder.mkdir()
    written(folder, "a.md", b"Vote count\nObservers watched the count.\n")
    monkeypatch.chdir(tmp_path / "work")
    # Outside the working folder: recorded whole, or from the working folder where asked (the queue's answers).
    assert recorded_paths([str(folder)], "*.md")(str(folder / "a.md")) == str(folder / "a.md")
    recorded = recorded_paths([str(folder)], "*.md", relative_outside=True)
    assert recorded(str(folder / "a.md")) == "../pages/a.md"
    assert recorded("-") == "-" and recorded("<stdin>") == "<stdin>"
    # A file's name may hold a colon; what follows its last one is the line.
    table = written(folder, "notes: 2024.jsonl", b'{"text": "Observers met."}\n')
    assert recorded_paths([str(table)], "*.txt", relative_outside=True)(f"{table}:1") == "../pages/notes: 2024.jsonl:1"
    # A base document's origin names its bundle, spelled once too.
    base = tmp_path / "work" / "base"
    recorded = recorded_paths([], "*.txt", base=base)
    assert recorded(f"old.jsonl:3 (in {base})") == "old.jsonl:3 (in base)"


def test_a_fifo_named_as_input_is_never_opened_and_said_to_be_no_regular_file(tmp_path):
    from classifier.io.textio import NOT_REGULAR

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    table = tmp_path / "pipe.jsonl"
    os.mkfifo(table)
    assert list(read_records([fifo, table])) == [
        Record(str(path), str(path), error=f"{path}: {NOT_REGULAR}", whole_input=True) for path in (fifo, table)
    ]


def test_a_named_column_is_looked_for_past_a_table_that_cannot_be_opened(tmp_path):
    gone = tmp_path / "a.jsonl"
    gone.symlink_to(tmp_path / "gone.jsonl")  # cannot be opened: reading it says so
    rows = written(tmp_path, "b.jsonl", b'{"id": "b", "text": "Observers met."}\n')
    with pytest.raises(UsageError) as refused:
        check_named_columns([gone, rows], Columns(text="body"))
    assert str(refused.value) == f"{rows}: no row has the column 'body' named by --text-column (columns: id, text)"


def test_a_dataframe_given_as_inputs_is_refused_in_one_exact_sentence():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError) as refused:
        list(read_documents(pd.DataFrame({"text": ["ODIHR observers will follow."]})))
    assert str(refused.value) == (
        "inputs is a pandas DataFrame, not paths of files, folders or globs: to suggest fields for its rows use "
        "Model.tag_frame; to train or evaluate on it, write it to a JSONL file first "
        "(frame.to_json(path, orient='records', lines=True)) and give that path"
    )
    with pytest.raises(TypeError) as refused:
        list(read_documents(3))
    assert str(refused.value) == "inputs is int: expected paths of files, folders or globs (a list of str or Path)"
