"""Hostile inputs for tests: hypothesis strategies for broken pages, mixed encodings and line endings, broken
tables; and a guard against reads that block."""

import json
import signal
from contextlib import contextmanager

from hypothesis import strategies as st

# Pieces of real pages (menus, header lines, field names) mixed with arbitrary text, so generated
# inputs reach the parser's menu and header branches instead of being plain noise.
PAGE_PIECES = [
    "-",
    "- ",
    "-\n",
    "- Elections\n",
    "Fields of work\n",
    "What we do\n",
    "- Date: 3 May 2020\n",
    "- Place: Vienna\n",
    "- Source: OSCE Mission to Serbia\n",
    "- Fields of work:\n",
    "- Fields of work: Policing, Youth\n",
    "Press release\n",
    "Vienna, 12 March 2021 - ",
    "31 February 2020",
    "9999-99-99",
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\ufeff",
    "\t",
    ",",
    ";",
    '"',
    '""',
    "'",
    "[",
    "]",
    "{",
    "}",
    "\\",
    "Élections à Genève",
    "Приштина",
    "😀",
]
LINE_ENDINGS = ["\n", "\r\n", "\r"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1"]

pages = st.lists(st.one_of(st.sampled_from(PAGE_PIECES), st.text(max_size=12)), max_size=40).map("".join)


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


# A page in one encoding, several pages each in its own encoding glued together, or any bytes at all.
encoded_page = st.builds(_encode, pages, st.sampled_from(ENCODINGS))
page_bytes = st.one_of(
    encoded_page,
    st.lists(encoded_page, min_size=2, max_size=3).map(b"".join),
    st.binary(max_size=200),
)

# Lone surrogates are valid in JSON ("\ud800") but not in UTF-8 output.
json_text = st.text(alphabet=st.characters(categories=["L", "N", "P", "Z", "Cc", "Cs"]), max_size=15)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), json_text, st.sampled_from(PAGE_PIECES))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=8,
)
COLUMNS = ["id", "title", "text", "labels"]
json_rows = st.dictionaries(st.sampled_from(COLUMNS) | json_text, json_values | pages, max_size=5)

# Lines a JSONL file should never contain, but a crawler can produce.
broken_json = st.one_of(
    st.integers(1, 3000).map(lambda n: "[" * n),
    st.integers(1, 3000).map(lambda n: '{"text": "x", "labels": ' + "[" * n + "]" * n + "}"),
    st.integers(4000, 6000).map(lambda n: '{"id": ' + "7" * n + ', "text": "big id"}'),
    st.sampled_from(['{"text": "cut', '{"text": "a"} trailing', "NaN", '"just a string"', "[1, 2]", "\ufeff{}"]),
)
jsonl_lines = st.one_of(json_rows.map(json.dumps), json_values.map(json.dumps), broken_json, pages)

# CSV bodies: real-looking cells, quoted or not, with stray quotes, commas and line breaks inside.
csv_cell = st.one_of(
    pages,
    pages.map(lambda t: '"' + t.replace('"', '""') + '"'),
    st.sampled_from(['"', '""', '"unclosed', 'stray " quote', '"a"b', "Elections;Policing", '["Youth"]', "[" * 2000]),
)
csv_rows = st.lists(csv_cell, min_size=0, max_size=6).map(",".join)
csv_bodies = st.builds(
    lambda header, rows, ending: header + ending + ending.join(rows),
    st.sampled_from(["id,title,text,labels", "text", "title,labels", "a,b", ""]),
    st.lists(csv_rows, max_size=6),
    st.sampled_from(LINE_ENDINGS),
)


@contextmanager
def no_hang(seconds=30):
    """Fail instead of hanging when a read blocks (a FIFO nobody writes to)."""

    def stop(signum, frame):
        raise AssertionError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
