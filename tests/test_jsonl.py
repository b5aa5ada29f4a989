import io
import json
import math

from hypothesis import example, given, strategies as st

from classifier.io.jsonl import read_json_lines

import hostile


def lines_of(data: bytes, max_chars: int):
    return list(read_json_lines(io.BytesIO(data), max_chars))


def cut_strings(value, limit):
    """What the reader should keep of a value: every string cut at `limit`, integers as their digits."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [cut_strings(v, limit) for v in value]
    return {cut_strings(k, limit): cut_strings(v, limit) for k, v in value.items()}


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


# Surrogate pairs are one character once decoded, and lone halves become U+FFFD only on the
# streaming path, so the comparison leaves them out; test_corpus covers them end to end.
plain_text = st.text(alphabet=st.characters(categories=["L", "N", "P", "Z", "Cc", "So"]), max_size=40)
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | plain_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(plain_text, plain_values, max_size=5), st.integers(1, 60), st.booleans())
@example({"𫃯#": [3.0309092751132884e16]}, 30, False)  # the first read ends inside the number, after its "e"
def test_a_long_line_is_read_as_json_reads_it_with_strings_cut(row, limit, ascii_only):
    line = json.dumps(row, ensure_ascii=ascii_only).encode("utf-8")
    (read,) = lines_of(line + b"\n", limit)
    assert read.error is None
    assert same(read.value, cut_strings(row, limit))
    assert read.truncated == (cut_strings(row, limit) != cut_strings(row, 10**9))


def test_a_10_mb_line_keeps_its_other_fields_and_the_lines_around_it():
    text = "word " * 2_000_000
    data = b"\n".join(
        json.dumps(row).encode()
        for row in (
            {"id": "before", "text": "short"},
            {"id": "big", "title": "Huge", "text": text, "labels": ["Elections", "Youth"]},
            {"id": "after", "text": "short again"},
        )
    )
    before, big, after = lines_of(data, 1000)
    assert (before.value["id"], after.value["id"]) == ("before", "after")
    assert big.truncated and big.value["text"] == text[:1000]
    assert big.value["labels"] == ["Elections", "Youth"] and big.value["title"] == "Huge"


def test_broken_long_lines_are_reported_by_number_and_reading_goes_on():
    long = "x" * 500
    data = "\n".join(
        [
            f'{{"text": "{long}"',  # never closed
            f'{{"text": "{long}"}} trailing',
            f'["{long}"]',
            f'{{"text": "{long}\\q"}}',
            '{"text": "fine"}',
            "   " * 100,  # a long blank line is skipped like a short one
            '{"text": "' + "\\ud83d\\ude00" * 60 + '"}',
        ]
    ).encode()
    result = lines_of(data, 100)
    assert [(line.number, line.error) for line in result] == [
        (1, "invalid JSON: expecting ',' or '}' in an object"),
        (2, "invalid JSON: extra data after the value"),
        (3, "expected a JSON object, got array"),
        (4, "invalid JSON: invalid escape '\\\\q'"),
        (5, None),
        (7, None),
    ]
    assert result[-1].value["text"] == "😀" * 60


def test_nesting_and_huge_numbers_fail_their_line_only():
    deep = "[" * 5000 + "]" * 5000
    data = "\n".join([f'{{"a": {deep}}}', '{"id": ' + "9" * 300 + "}", '{"text": "ok"}']).encode()
    short = lines_of(data, 10**6)
    streamed = lines_of(data, 100)
    for result in (short, streamed):
        assert "nested too deeply" in result[0].error
        assert result[2].value == {"text": "ok"}
    assert short[1].value == streamed[1].value == {"id": "9" * 300}
    (huge,) = lines_of(b'{"id": ' + b"9" * 500_000 + b"}", 100)  # more digits than the line's budget
    assert huge.error == "invalid JSON: number too long"


@given(st.lists(hostile.jsonl_lines, max_size=4), st.integers(1, 80))
def test_any_line_gives_an_object_or_an_error_at_any_limit(lines, limit):
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    for line in lines_of(data, limit):
        assert (line.value is None) != (line.error is None)
        assert line.error is None or "\n" not in line.error


class Recording(io.BytesIO):
    """A stream that remembers the longest piece one readline handed over."""

    longest = 0

    def readline(self, size=-1):
        piece = super().readline(size)
        self.longest = max(self.longest, len(piece))
        return piece


def test_a_long_line_broken_early_is_skipped_in_chunks_and_the_next_line_is_read():
    data = b'{"a": nope, "text": "' + b"x" * 500_000 + b'"}\n{"id": "next"}\n'
    stream = Recording(data)
    first, second = read_json_lines(stream, 100)
    assert first.number == 1 and first.error.startswith("invalid JSON: expecting a value")
    assert (second.number, second.value) == (2, {"id": "next"})
    assert stream.longest <= 65536
