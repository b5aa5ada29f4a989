import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.io.csvtable import CHUNK_BYTES, MAX_CELLS, csv_delimiter, csv_encoding, read_csv_records, row_budget

import hostile


def records(text: str, max_chars: int = 10**6, delimiter: str = ","):
    return list(read_csv_records(io.BytesIO(text.encode("utf-8")), max_chars, delimiter=delimiter))


def written(rows, line_ending="\r\n", quoting=csv.QUOTE_MINIMAL, delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=line_ending, quoting=quoting, delimiter=delimiter).writerows(rows)
    return out.getvalue()


cells = st.text(alphabet=st.sampled_from('ab ,;"\n\r\t-éЖ😀'), max_size=12)


@given(
    st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(cells, min_size=n, max_size=n), min_size=1, max_size=6)),
    st.sampled_from([("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL)]),
    st.integers(1, 8),
    st.sampled_from(",;"),
)
def test_reads_back_what_csv_writer_wrote_with_cells_cut_at_the_limit(rows, style, limit, delimiter):
    # A row of one empty cell is written as an empty line, which CSV cannot tell from no row.
    # (With "\n" endings csv.writer leaves a lone "\r" unquoted, so those rows are written fully quoted.)
    # Semicolons separate the cells of a spreadsheet saved where the comma is the decimal mark: commas are then text.
    rows = [row for row in rows if row != [""]]
    text = written(rows, *style, delimiter=delimiter)
    assert [r.cells for r in records(text, delimiter=delimiter)] == rows
    cut = records(text, limit, delimiter)
    assert [r.cells for r in cut] == [[cell[:limit] for cell in row] for row in rows]
    assert [r.truncated for r in cut] == [any(len(cell) > limit for cell in row) for row in rows]


def test_line_numbers_count_the_lines_inside_quoted_cells():
    text = 'id,text\r\na,"one\ntwo\r\nthree"\nb,plain\rc,"x"\n'
    assert [(r.line, r.cells) for r in records(text)] == [
        (1, ["id", "text"]),
        (2, ["a", "one\ntwo\r\nthree"]),
        (5, ["b", "plain"]),
        (6, ["c", "x"]),
    ]


def test_a_stray_quote_costs_its_own_row_only():
    text = (
        "id,text,labels\n"
        'a,"He said ""yes"" twice",Elections\n'
        'b,"a quote that never closes,Policing\n'
        "c,next row,Youth\n"
        'd,"opens here\n'
        'e,"and closes here",Youth\n'
        "f,last,Youth\n"
    )
    result = [(r.line, r.cells[0] if r.cells else r.error) for r in records(text)][1:]
    assert result == [
        (2, "a"),
        # The quote opened on line 3 closes on line 5, leaving a record of 2 cells.
        (3, "malformed CSV: 2 cells where the header has 3 (a stray quote?); reading resumes on the next line"),
        (4, "c"),
        (5, "malformed CSV: text follows a closing quote (a stray quote?); reading resumes on the next line"),
        (6, "e"),
        (7, "f"),
    ]


def test_rows_with_too_few_or_too_many_cells_are_reported_on_their_line():
    result = records("id,text\na,fine\nb\nc,x,extra\n")
    assert [(r.line, r.error) for r in result[2:]] == [
        (3, "malformed CSV: 1 cells where the header has 2"),
        (4, "malformed CSV: 3 cells where the header has 2"),
    ]


def test_a_50_mb_cell_is_cut_while_it_is_read():
    big = "Observers followed the count in every district. " * 1_100_000  # 53 MB
    text = f'id,text,labels\na,"{big}",Elections\nb,small,Youth\n'
    header, a, b = records(text, 1000)
    assert a.cells == ["a", big[:1000], "Elections"] and a.truncated
    assert b.cells == ["b", "small", "Youth"] and not b.truncated


def test_a_quote_left_open_at_the_end_is_reported():
    result = records('id,text\na,"never closed\nb,more\n')
    assert [(r.line, r.error or r.cells) for r in result[1:]] == [
        (
            2,
            "malformed CSV: a quoted cell opened on this line is never closed (a stray quote?); reading resumes on "
            "the next line",
        ),
        (3, ["b", "more"]),
    ]


def test_byte_order_mark_and_blank_lines():
    assert [r.cells for r in records("\ufeffid,text\n\n\r\na,b\n")] == [["id", "text"], ["a", "b"]]
    assert records("") == []


@given(hostile.csv_bodies, st.integers(1, 30))
def test_any_text_gives_records_or_one_line_errors_and_terminates(body, limit):
    for record in records(body, limit):
        assert (record.cells is None) != (record.error is None)
        assert record.error is None or "\n" not in record.error
        assert all(len(cell) <= limit for cell in record.cells or ())


def test_the_encoding_is_utf8_if_all_of_it_decodes_else_windows_1252_else_latin1():
    cases = [
        ("id,text\n1,Élection à Genève\n".encode("utf-8"), "utf-8"),
        (b"", "utf-8"),
        ("id,text\n1,\u201cquoted\u201d café\n".encode("cp1252"), "cp1252"),
        (b"\xe9cole,x\n", "cp1252"),  # the only non-UTF-8 byte is the very first
        (b"id,text\n1,caf\xc3", "cp1252"),  # UTF-8 cut inside its last character is not UTF-8
        (b"id,text\n1,\x81 is not in Windows-1252\n", "latin-1"),
    ]
    for data, expected in cases:
        handle = io.BytesIO(data)
        handle.seek(5)
        assert csv_encoding(handle) == expected, data
        assert handle.tell() == 0  # left at the start, for the reader


def test_cells_past_the_cell_limit_are_skipped_by_the_rules_of_quotes():
    # After MAX_CELLS cells the rest of the record is skipped, but still by CSV's rules: a quote inside an
    # unquoted cell is text, a quote opening a cell makes a quoted cell (here spanning a line), and the
    # record ends at the first line end outside quotes.
    extra = 'in"side,"quoted\nover two lines",last"'
    text = "a,b\n" + '"first",' + ",".join(["x"] * MAX_CELLS) + "," + extra + "\nc,d\n"
    assert [(r.line, r.cells, r.error) for r in records(text)] == [
        (1, ["a", "b"], None),
        (2, None, "malformed CSV: more than 10,000 cells in one row; skipped"),
        (4, ["c", "d"], None),
    ]


def test_text_after_a_closing_quote_on_one_line_is_kept_as_the_csv_module_keeps_it():
    text = 'id,text\na,"quoted"Xtail\nb,"x"Y,\n'
    header, first, second = csv.reader(io.StringIO(text))
    assert first == ["a", "quotedXtail"] and second == ["b", "xY", ""]  # the csv module's reading
    assert [(r.cells, r.error) for r in records(text)] == [
        (header, None),
        (first, None),
        (None, "malformed CSV: 3 cells where the header has 2"),
    ]


def test_a_record_keeps_four_cells_worth_and_64_kib_in_all():
    assert row_budget(10) == 4 * 10 + 65536
    # 7000 cells of 10 characters: 6557 whole cells (65,570 characters), 6 of the next, and then nothing.
    header = ",".join(f"c{n}" for n in range(7000))
    (_, record) = records(header + "\n" + ",".join(["abcdefghij"] * 7000) + "\n", max_chars=10)
    assert record.cells[:6557] == ["abcdefghij"] * 6557
    assert record.cells[6557:] == ["abcdef"] + [""] * 442
    assert record.truncated


def test_bytes_that_do_not_decode_become_replacement_characters():
    data = b"id,text\na,caf\xe9 \xff\nb,fine\n"
    assert [r.cells for r in read_csv_records(io.BytesIO(data), 100)] == [
        ["id", "text"],
        ["a", "caf\ufffd \ufffd"],
        ["b", "fine"],
    ]


def test_the_last_record_needs_no_line_break_after_it():
    for text in ("id,text\na,b", "id,text\na,", 'id,text\na,"b"', 'id,text\na,"b"""'):
        assert [r.cells for r in records(text)] == list(csv.reader(io.StringIO(text))), text


def test_a_line_break_split_between_two_reads_is_one_line_break():
    # Lines are read at most CHUNK_BYTES at a time: here a "\r\n" falls across the end of the first read.
    long = "x" * (CHUNK_BYTES - len("a,") - 1)  # "a," + long + "\r" fills the first read of that line exactly
    text = "id,text\na," + long + "\r\nb,y\n"
    assert [(r.line, r.cells) for r in records(text)] == [(1, ["id", "text"]), (2, ["a", long]), (3, ["b", "y"])]
    # In a quoted cell that began a line earlier: the cell keeps the "\r\n", which is one line break.
    quoted = 'id,text\na,"one\n' + "x" * (CHUNK_BYTES - 1) + '\r\nstill the cell"\nb,y\n'
    assert [(r.line, r.cells) for r in records(quoted)] == [
        (1, ["id", "text"]),
        (2, ["a", "one\n" + "x" * (CHUNK_BYTES - 1) + "\r\nstill the cell"]),
        (5, ["b", "y"]),
    ]
    # Old Mac line ends: a lone "\r" ends the first read, and the next one starts with a record.
    mac = "id,text\ra," + "x" * (CHUNK_BYTES - len("id,text\ra,\r")) + "\rb,y\rc,z\r"
    assert [(r.line, r.cells[0]) for r in records(mac)] == [(1, "id"), (2, "a"), (3, "b"), (4, "c")]


def test_reading_resumes_after_a_stray_quote_in_a_record_that_starts_mid_read():
    # "\r" line ends put several records in one read; the stray quote's record starts 8 characters in.
    text = 'id,text\rq,"open\rc,d\ne,f\n'
    assert [(r.line, r.cells or r.error) for r in records(text)] == [
        (1, ["id", "text"]),
        (
            2,
            "malformed CSV: a quoted cell opened on this line is never closed (a stray quote?); reading resumes on "
            "the next line",
        ),
        (3, ["c", "d"]),
        (4, ["e", "f"]),
    ]


def test_a_long_line_is_read_in_bounded_memory():
    import tracemalloc

    data = io.BytesIO(b"id,text\na," + b"Observers counted the votes. " * 300_000 + b"\nb,c\n")  # an 8.7 MB line
    tracemalloc.start()
    try:
        result = [r.cells[0] for r in read_csv_records(data, 1000)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result == ["id", "a", "b"]
    assert peak < 2_000_000  # a few reads of CHUNK_BYTES, never the whole line


def test_blank_lines_of_every_line_end_count_one_line_each():
    # Line 1 "id,text" (ends \r), 2 blank (\r\n), 3 blank (\r), 4 "XY,z" (\r\n), 5 blank (\r\n), 6 "ab,c".
    text = "id,text\r\r\n\rXY,z\r\n\r\nab,c\n"
    assert [(r.line, r.cells) for r in records(text)] == [(1, ["id", "text"]), (4, ["XY", "z"]), (6, ["ab", "c"])]


@pytest.mark.parametrize(
    "header, delimiter",
    [
        ("id;title;text\r\n", ";"),
        ("id,title,text\n", ","),
        ('"a,b";text\n', ";"),  # a comma inside a quoted name is no separator
        ("id,title;x,text\n", ","),  # any comma outside quotes: commas
        (";\n", ","),  # no names: a one-column table named ";"
        ("a;\n", ","),
        ("text\n", ","),
        ("", ","),
        ("X;Y\n", ";"),  # names read as they are written
        ("id;title;text\ra;Vote;Seats, then votes\r", ";"),  # "\r" line ends (Excel for Mac): the first line only
        ("\r\n\nid;title;text\n", ";"),  # the header is the first line that is not blank, as the reader finds it
        ("\ufeff\r\nid;title;text\n", ";"),  # a byte order mark, then a blank line
        ("\n\ufeff\nid;title;text\n", ","),  # a mark after the first line is a cell: the reader's header is that line
        ("\n" * 70_000 + "id;title;text\n", ","),  # in the first 64 KiB
        ("id;" + "x" * 70_000 + ",z\n", ";"),  # only the first 64 KiB of a line are read
    ],
)
def test_the_delimiter_is_read_off_the_header(header, delimiter):
    stream = io.BytesIO(header.encode("utf-8") + b"x;y,z\n")
    assert csv_delimiter(stream) == delimiter and stream.tell() == 0


def test_the_delimiter_of_a_header_in_windows_1252_is_read_in_its_encoding():
    """A French export: read as UTF-8 (a caller that did not look for the encoding), its accents are U+FFFD and its
    names still name columns; a name that is only a non-breaking space (0xA0 in Windows-1252) is blank."""
    french = "Intitulé;Résumé;Thèmes\n".encode("cp1252")
    assert csv_delimiter(io.BytesIO(french)) == csv_delimiter(io.BytesIO(french), "cp1252") == ";"
    assert csv_delimiter(io.BytesIO(b"id;\xa0;text\n"), "cp1252") == ","
