import io
import json
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from classifier.io.jsonl import first_repeated, read_json_lines

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


def test_a_key_given_twice_fails_its_row_read_whole_or_streamed_and_the_next_row_is_read():
    repeated = "key 'text' appears twice; keep one, so no value is silently dropped"
    data = (
        b'{"id": "a", "text": "first", "title": "T", "text": "second"}\n'
        b'{"id": "b", "text" :"x", "\\u0074ext": "y"}\n'  # the same key, spaced and escaped
        b'{"id": "c", "meta": {"k": 1, "k": 2}, "text": "ok"}\n'  # a value's own keys are the value's business
    )
    for limit in (10**6, 10):  # each line parsed whole by json, or streamed in pieces (its strings cut)
        first, second, third = lines_of(data, limit)
        assert (first.number, first.value, first.error) == (1, None, repeated)
        assert (second.number, second.value, second.error) == (2, None, repeated)
        assert third.error is None and third.value["id"] == "c" and third.value["meta"] == {"k": "2"}


def test_two_long_keys_cut_to_one_are_not_taken_for_a_key_given_twice():
    """Cut at the limit, two keys that differ after it read as one; that is a cut (the row marked truncated, as for a
    long text), not the author's key given twice: only a key shorter than the limit, read whole, is known repeated."""
    line = b'{"id": "a", "title_of_the_report": "T", "title_of_the_release": "R", "text": "' + b"x" * 40 + b'"}\n'
    (read,) = lines_of(line, 10)
    assert (read.error, read.value, read.truncated) == (None, {"id": "a", "title_of_t": "R", "text": "x" * 10}, True)
    (repeated,) = lines_of(b'{"id": "a", "title_of_": "T", "title_of_": "R", "text": "' + b"x" * 40 + b'"}\n', 10)
    assert repeated.error == "key 'title_of_' appears twice; keep one, so no value is silently dropped"


def test_the_first_key_given_a_second_time_is_named():
    """The error names the key whose second coming is met first, not the first key that comes back later."""
    pairs = [("id", "a"), ("text", "x"), ("title", "T"), ("text", "y"), ("id", "b")]
    assert first_repeated(pairs) == "text"
    assert first_repeated(pairs[:3]) == "" and first_repeated([]) == ""
    (read,) = lines_of(b'{"id": "a", "text": "x", "title": "T", "text": "y", "id": "b"}\n', 1000)
    assert read.error == "key 'text' appears twice; keep one, so no value is silently dropped"


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


# The streaming parser's edges, each against json.loads or an exact message. A line longer than the
# limit is streamed; a short one goes to json.loads whole: both must agree.


def both_ways(text: str | bytes, limit=8):
    """The line read whole (a limit above its length) and streamed (a limit below it)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    (whole,) = lines_of(data + b"\n", 10**6)
    (streamed,) = lines_of(data + b"\n", limit)
    return whole, streamed


@pytest.mark.parametrize(
    "line, kind",
    [
        ("[1, 2]", "array"),
        ('"text here"', "string"),
        ("true", "boolean"),
        ("null", "null"),
        ("1.5e3", "number"),
        ("   7000000000", "number"),
        ("-Infinity", "number"),
        (' "text"', "string"),
        ('\ufeff"text"', "string"),
    ],
)
def test_a_line_that_is_not_an_object_names_its_type(line, kind):
    for read in both_ways(line, limit=4):
        assert (read.number, read.value, read.error) == (1, None, f"expected a JSON object, got {kind}")


@pytest.mark.parametrize(
    "escapes",
    [
        "\\ud800\\udc00",
        "\\udbff\\udfff",
        "\\ud83d\\ude00a",
        "\\udc00\\udc00",
        "\\ud800\\ue000",
        "\\ud800x",
        "\\udbff\\udbff",
    ],
)
def test_surrogate_escapes_pair_as_json_loads_pairs_them(escapes):
    line = '{"text": "' + escapes + '", "pad": "' + "p" * 40 + '"}'
    whole, streamed = both_ways(line, limit=60)
    assert whole.value == streamed.value == json.loads(line)


def test_raw_surrogate_bytes_are_kept_as_json_loads_keeps_them():
    line = b'{"text": "a\xed\xa0\x80b", "pad": "' + b"p" * 40 + b'"}'
    whole, streamed = both_ways(line, limit=60)
    assert whole.value == streamed.value == {"text": "a\ud800b", "pad": "p" * 40}


def test_a_byte_order_mark_before_a_long_line_is_skipped():
    whole, streamed = both_ways('\ufeff{"id": "x", "text": "' + "y" * 50 + '"}', limit=10)
    assert whole.value == {"id": "x", "text": "y" * 50}
    assert streamed.value == {"id": "x", "text": "y" * 10} and streamed.truncated


@pytest.mark.parametrize(
    "line, error",
    [
        (b'{"text": "\xff' + b"y" * 30 + b'"}', "invalid JSON: not UTF-8 (invalid start byte)"),
        (b'{"a" 1, "text": "' + b"y" * 30 + b'"}', "invalid JSON: expecting ':'"),
        (b'{"a": nope, "text": "' + b"y" * 30 + b'"}', "invalid JSON: expecting a value at 'nope, \"te'"),
        (b'{"a": -x, "text": "' + b"y" * 30 + b'"}', "invalid JSON: invalid number"),
        (b'{"a": 1 "text": "' + b"y" * 30 + b'"}', "invalid JSON: expecting ',' or '}' in an object"),
        (b'{"a": [1 2], "text": "' + b"y" * 30 + b'"}', "invalid JSON: expecting ',' or ']' in an array"),
        (b'{1: 2, "text": "' + b"y" * 30 + b'"}', "invalid JSON: expecting a property name in double quotes"),
        (b'{"text": "' + b"y" * 30 + b'\x01"}', "invalid JSON: invalid control character '\\x01' in a string"),
        (b'{"text": "' + b"y" * 30, "invalid JSON: invalid control character '\\n' in a string"),
        (b'{"text": ' + b" " * 30, "invalid JSON: expecting a value, found the end of the line"),
    ],
)
def test_streamed_errors_name_what_was_wrong(line, error):
    (read,) = lines_of(line + b"\n" + b'{"id": "next"}\n', 8)[:1]
    assert (read.number, read.value, read.error) == (1, None, error)
    assert lines_of(line + b"\n" + b'{"id": "next"}\n', 8)[1].value == {"id": "next"}


@pytest.mark.parametrize(
    "line, error",
    [
        (b'{"text": "' + b"y" * 30 + b'"}\xc3', "invalid JSON: not UTF-8 (unexpected end of data)"),
        (b'{"text": "' + b"y" * 30, "invalid JSON: unterminated string"),
    ],
)
def test_streamed_errors_at_the_end_of_the_file(line, error):
    (read,) = lines_of(line, 8)  # no line end: the file stops here
    assert (read.number, read.value, read.error) == (1, None, error)


def test_no_space_after_a_colon_or_a_comma():
    whole, streamed = both_ways('{"a":1,"b":[true,false,null],"c":{"d":"' + "e" * 20 + '"}}', limit=8)
    assert whole.value == {"a": "1", "b": [True, False, None], "c": {"d": "e" * 20}}
    assert streamed.value == {"a": "1", "b": [True, False, None], "c": {"d": "e" * 8}}


@pytest.mark.parametrize("depth, ok", [(100, True), (101, False)])
def test_nesting_up_to_100_levels_below_the_row(depth, ok):
    line = ('{"a": ' + "[" * depth + "]" * depth + ', "text": "' + "y" * 30 + '"}').encode()
    (read,) = lines_of(line, 8)
    if ok:
        assert read.error is None and read.value["text"] == "y" * 8
    else:
        assert read.error == "invalid JSON: nested too deeply"


def test_the_budget_of_a_streamed_line_is_four_texts_of_the_limit_and_64_kib():
    # With a limit of 10 the budget is 4 * 10 + 65,536 = 65,576: here the key "a" (1), the member (1),
    # 5,961 ten-character strings and a last one of `last` characters (11 each with their item).
    def line(last):
        items = ['"' + "x" * 10 + '"'] * 5961 + ['"' + "y" * last + '"']
        return ('{"a": [' + ", ".join(items) + "]}").encode()

    (exact,) = lines_of(line(2), 10)
    assert exact.error is None and len(exact.value["a"]) == 5962
    (over,) = lines_of(line(3), 10)
    assert over.error == "invalid JSON: too large: more than four texts of 10 characters besides the cut ones"


def test_a_number_late_in_a_long_line_costs_its_digits_only():
    # The number sits some 60,000 characters into the second 64 KiB read of the line.
    line = ('{"text": "' + "x" * 125_000 + '", "n": 12345, "f": -1.5e3}').encode()
    (read,) = lines_of(line, 10)
    assert read.value == {"text": "x" * 10, "n": "12345", "f": -1500.0}
    stream = Recording(line)
    assert next(read_json_lines(stream, 10)).value["n"] == "12345"
    assert stream.longest <= 65536  # read in chunks, never the rest of the line at once
    (alone,) = lines_of(b"9" * 65_576, 10)  # a number of exactly the budget's digits is a number
    assert alone.error == "expected a JSON object, got number"


def test_a_string_cut_just_before_an_escape_is_marked_truncated():
    (read,) = lines_of(b'{"t": "12345678\\n", "pad": "12345678"}', 8)
    assert read.value == {"t": "12345678", "pad": "12345678"} and read.truncated
    (read,) = lines_of(b'{"t": "1234567\\n", "pad": "12345678"}', 8)
    assert read.value == {"t": "1234567\n", "pad": "12345678"} and not read.truncated


@pytest.mark.parametrize(
    "line, error",
    [
        (b'{"a": "abc', "invalid JSON: Unterminated string starting at character 7"),  # the file's last line
        (b"{not json}\n", "invalid JSON: Expecting property name enclosed in double quotes at character 2"),
        (b'{"a" 1}\n', "invalid JSON: Expecting ':' delimiter at character 6"),
        (b"[" * 5000 + b"]" * 5000 + b"\n", "invalid JSON: nested too deeply"),
        ('{"title": "Café"}\n'.encode("cp1252"), "invalid JSON: not UTF-8 (invalid continuation byte)"),
    ],
)
def test_short_line_errors_exactly(line, error):
    (read,) = lines_of(line, 10**6)
    assert (read.number, read.value, read.error) == (1, None, error)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_line_in_utf_16_or_32_without_a_byte_order_mark_is_read_as_json_reads_it(encoding):
    """json.loads tells these from the NUL bytes around the first character; so does the reader (a file's last line,
    as a file in them is not split at its line ends by bytes)."""
    line = '{"id": "a", "title": "Café"}'.encode(encoding)
    (read,) = lines_of(line, 10**6)
    assert (read.value, read.error) == (json.loads(line), None) == ({"id": "a", "title": "Café"}, None)


def test_a_long_line_that_starts_with_garbage_is_an_error():
    (read,) = lines_of(('X{"text": "' + "y" * 30 + '"}').encode(), 8)
    assert read.error == "invalid JSON: expecting a value at 'X{\"text\":'"
