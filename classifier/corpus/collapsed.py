"""Read a scraped page whose line breaks were collapsed (its lines joined by spaces or tabs) as the lines it had."""

from __future__ import annotations

import re
from collections.abc import Iterator

from classifier.corpus.pageparts import BULLETS, CONTENT_TYPES, FIELDS_KEYS, HEADER_KEYS, MONTHS
from classifier.taxonomy.fields import Taxonomy, default_taxonomy

# Joined into one line, a page's menus are runs of " - Item": each dash (or bullet) with white space on both sides
# stood at the start of a line. A menu group's lone "-" and its heading read as one more item.
_SEPARATOR = re.compile(rf"[-{re.escape(BULLETS)}](?<!\S.)(?!\S)")  # the mark first: the scan looks for it alone
_HEAD_CHARS = 30_000  # the menus, title and header come before this (the site's take about 5,000 characters)
_MENU_ITEMS = 12  # menus hold at least this many items,
_MENU_FIELDS = 5  # naming at least this many fields of work: a plain text's own dash list is no menu
_ITEM_WORDS = 20  # a menu item or a header value is short and no sentence
_ITEM_CHARS = 300  # and no longer than this (the site's longest is 95 characters)
# What may come before the menus ("Skip to main content", the site's name in full: 11 words), as much as one line of
# chrome holds for the line parser (release._CHROME_WORDS).
_CHROME_WORDS = 20
_TITLE_PARTS = 3  # a title may hold dashes: its content type is in one of the last segments before the header
_TITLE_CHARS = 300
_FIELD_WORDS = 12  # the longest spelling of a field, in words
_PLACE_WORDS = 8  # the longest place of a dateline, in words
_REPEAT_CHARS = 100  # a run of sentences this long that comes twice is the scrape repeating a block
_TYPE = re.compile(r"(?<=\s)(" + "|".join(map(re.escape, CONTENT_TYPES)) + r")(?=\s|$)", re.IGNORECASE)
_KEY = re.compile(r"\s*(" + "|".join(HEADER_KEYS) + r")\s*:", re.IGNORECASE)
_DATELINE_DATE = re.compile(rf",\s*\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}}\s*[-–—:]", re.IGNORECASE)
_DATE_VALUE = re.compile(rf"\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’»)]*\s+")
_WORD = re.compile(r"\S+")
# The site's menus end with this item; on a page without a content type, the title follows it in the same segment.
_NEXT_WORD = re.compile(r"\s*(\S)")
_LAST_ITEM = re.compile(r"\s*(about us)\s+(?=\S)", re.IGNORECASE)


def opens_with_menus(text: str) -> bool:
    """Whether a one-line text opens with a site's menus joined into it (" - Our work - Fields of work - Arms
    control - ..."): after at most a few words, at least _MENU_ITEMS short items naming _MENU_FIELDS fields, one of
    them a menu's heading (_MENU_HEADINGS), which a text's own list of fields does not hold. Each look for the next
    dash is bounded, so that a long text with a dash early costs no scan of it."""
    at = _SEPARATOR.search(text, 0, _ITEM_CHARS)
    if at is None or not _is_chrome(text[: at.start()].strip()):
        return False
    items, fields, heading, taxonomy = 0, set(), False, default_taxonomy()
    while at is not None:
        following = _SEPARATOR.search(text, at.end(), at.end() + _ITEM_CHARS)
        if following is None and at.end() + _ITEM_CHARS < len(text):
            return False  # an item too long for a menu's
        item = text[at.end() : following.start() if following else len(text)].strip()
        if _KEY.match(item) or not _is_short(item):
            return False
        items += 1
        fields.add(taxonomy.resolve(item))
        heading = heading or item.casefold() in _MENU_HEADINGS
        if heading and items >= _MENU_ITEMS and len(fields - {None}) >= _MENU_FIELDS:
            return True
        at = following
    return False


# The headings of the site's menu groups, one of which its menus always hold ("-", "Our work", "- Fields of work").
_MENU_HEADINGS = frozenset(
    (
        "our work",
        "fields of work",
        "what we do",
        "where we are",
        "countries",
        "participating states",
        "structures and institutions",
        "field operations",
        "meetings and conferences",
        "about us",
        "newsroom",
    )
)


def page_lines(text: str, taxonomy: Taxonomy | None = None) -> tuple[str, int] | None:
    """The lines of a one-line text that opens with a site's menus (`opens_with_menus`), as the page had them:
    its menus, content type, title, header and body, for the page parser to read; and how many repeated runs of
    its body were left out (the parser drops a repeated paragraph). None for any other text."""
    if not opens_with_menus(text):
        return None
    spans = list(_segments(text, 0, min(len(text), _HEAD_CHARS), len(text)))
    if _tab_joined(text, spans):  # the tabs were the line breaks: the page's own lines, exactly
        return text.replace("\t", "\n"), 0
    segs = [text[start:end].strip() for start, end in spans]
    stop = next((i for i in range(1, len(segs)) if _KEY.match(segs[i]) or not _is_short(segs[i])), len(segs))
    header = _header_index(segs, stop)
    typed = _content_type(text, spans, header if header is not None else stop, header is None)
    lines = [segs[0]] if segs[0] else []
    if typed is not None:
        index, match = typed
        lines += (
            ["-"] + [f"- {item}" for item in segs[1:index]] + [f"- {text[spans[index][0] : match.start()].strip()}"]
        )
        lines.append(match[1])
        rest = match.end()
    elif header is not None:  # no content type: the title is the last segment before the header
        last, rest = _last_item(text, spans[header - 1])
        lines += ["-"] + [f"- {item}" for item in segs[1 : header - 1] + last]
    elif stop == len(segs):  # nothing but menus
        return "\n".join(lines + ["-"] + [f"- {item}" for item in segs[1:]]), 0
    else:  # neither a content type nor a header: the title and body start at the last short segment, or after
        # the menus' last item where the title shares its segment (its own, or the body's first)
        items = next((k for k in (stop - 1, stop) if _LAST_ITEM.match(text, *spans[k])), None)
        last, rest = _last_item(text, spans[items]) if items is not None else ([], spans[stop - 1][0])
        lines += ["-"] + [f"- {item}" for item in segs[1 : stop - 1 if items is None else items] + last]
    if header is not None:
        lines.append(text[rest : spans[header - 1][1]].strip())
        header_lines, rest = _header_lines(text, spans, segs, header, taxonomy or default_taxonomy())
        lines += header_lines
    else:
        title, rest = _title_before_body(text, rest)
        lines.append(title)
    body, tail = _tail_lines(text[rest:].strip())
    body, dropped = _without_repeats(body)
    return "\n".join(lines + [body] + tail), dropped


def _last_item(text: str, span: tuple[int, int]) -> tuple[list[str], int]:
    """([the menus' last item], where the title starts) when the segment `span` opens with the site's last menu
    item and goes on ("About us Observers open a mission ..."): on a page without a content type the two share a
    segment, as no dash separates them. ([], the segment's start) otherwise."""
    matched = _LAST_ITEM.match(text, *span)
    return ([matched[1]], matched.end()) if matched else ([], span[0])


def _segments(text: str, start: int, end: int, last: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each segment that the separators cut `text[start:end]` into; the last runs to `last` (to
    `end` if not given)."""
    for match in _SEPARATOR.finditer(text, start, end):
        yield start, match.start()
        start = match.end()
    yield start, end if last is None else last


def _few_words(segment: str, most: int) -> bool:
    """At most `most` words and no sentence: a menu item, a header value, the chrome before menus."""
    return len(segment.split(None, most)) <= most and not segment.endswith((".", "!", "?"))


def _is_short(segment: str) -> bool:
    return _few_words(segment, _ITEM_WORDS)


def _is_title(segment: str) -> bool:
    return len(segment) <= _TITLE_CHARS and not segment.endswith((".", "!", "?"))


def _is_chrome(segment: str) -> bool:
    return _few_words(segment, _CHROME_WORDS)


def _tab_joined(text: str, spans: list[tuple[int, int]]) -> bool:
    """Whether the menus' dashes each follow a tab (or open the text): lines joined by tabs, which split them again."""
    dashes = [end for _, end in spans[: _MENU_ITEMS + 1]][:-1]
    return all(at == 0 or text[at - 1] == "\t" for at in dashes)


def _header_index(segs: list[str], stop: int) -> int | None:
    """Index of the header's first key (`Date:`, ...): the segment where the menus' run stopped, or one of the next
    few when a title too long for a menu item stopped it."""
    for i in range(stop, min(stop + _TITLE_PARTS, len(segs))):
        if _KEY.match(segs[i]):
            return i
        if len(segs[i]) > _TITLE_CHARS:
            break
    return None


def _content_type(text: str, spans, anchor: int, into_anchor: bool) -> tuple[int, re.Match] | None:
    """(segment, match) of the content type ("Press release") that follows the menus' last item in one of the last
    segments before `anchor` (the header, or the first long segment, which may hold it too when `into_anchor`):
    a content type's line follows an item's, so one at a segment's start is an item itself ("- News"); and a title
    starts with a capital or a digit, so a word in lower case after it makes it the title's first word ("News media
    in Skopje ...")."""
    candidates = list(range(anchor - 1, max(0, anchor - 1 - _TITLE_PARTS), -1))
    for index in candidates + ([anchor] if into_anchor and anchor < len(spans) else []):
        start, end = spans[index]
        for match in _TYPE.finditer(text, start, end):
            following = _NEXT_WORD.match(text, match.end(), end)
            if (
                match[1][0].isupper()
                and text[start : match.start()].strip()
                and not (following and following[1].islower())
            ):
                return index, match
    return None


def _header_lines(text: str, spans, segs: list[str], header: int, taxonomy: Taxonomy) -> tuple[list[str], int]:
    """The header's lines, from its first key on, and where the body starts: the header's last value and the
    body's first words share a segment."""
    end = next((i for i in range(header, len(segs)) if not (_KEY.match(segs[i]) or _is_short(segs[i]))), None)
    end = len(segs) - 1 if end is None else end
    last = max(i for i in range(header, end + 1) if _KEY.match(segs[i]))
    lines, places, key = [], [], ""
    for segment in segs[header:last]:
        matched = _KEY.match(segment)
        key = matched[1].casefold() if matched else key
        if key == "place" and not matched:
            places.append(segment)
        lines.append(f"- {segment}")
    matched = _KEY.match(text, spans[last][0])
    start = matched.end()
    body = _body_start(text, start, spans[end][1], matched[1].casefold(), places, taxonomy)
    lines.append(f"- {text[spans[last][0] : start].strip()}")
    lines += [f"- {text[a:b].strip()}" for a, b in _segments_between(text, start, body)]
    return lines, body


def _segments_between(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-empty segments of `text[start:end]`."""
    return [(a, b) for a, b in _segments(text, start, end) if text[a:b].strip()]


def _body_start(text: str, start: int, end: int, key: str, places: list[str], taxonomy: Taxonomy) -> int:
    """Where the body starts after the header's last key, found in `text[start:end]`: after the last field of work
    it names, at the dateline ("NEW YORK, 23 September 2004 -"), after a date or an upper-case place; at the
    key's value when none tells (the value is read as the body's first words: no text is lost)."""
    if key in FIELDS_KEYS:
        at = _after_fields(text, start, end, taxonomy)
        if at is not None:
            return at
    at = _dateline_start(text, start, end, places)
    if at is not None:
        return at
    values = _segments_between(text, start, end)
    if not values:
        return end
    first = _WORD.search(text, *values[0]).start()  # the body never starts with a dash: it would read as a value
    if key == "date":
        matched = _DATE_VALUE.match(text, first, end)
        return matched.end() if matched else first
    if key == "place":
        words = _caps_run(list(_WORD.finditer(text, first, values[0][1])))
        return words.end() if words is not None and words.end() < values[0][1] else first
    return first


def _all_fields(value: str, taxonomy: Taxonomy) -> bool:
    parts = [part.strip() for part in value.split(",")]
    return all(part and taxonomy.resolve(part) for part in parts)


def _after_fields(text: str, start: int, end: int, taxonomy: Taxonomy) -> int | None:
    """Where the body starts after the fields of work that follow `start`; None when not one is a field."""
    found = False
    for a, b in _segments_between(text, start, end):
        if _all_fields(text[a:b], taxonomy):
            found = True
            continue
        words = list(_WORD.finditer(text, a, b))
        for k in range(min(len(words) - 1, _FIELD_WORDS), 0, -1):
            if _all_fields(text[a : words[k - 1].end()], taxonomy):
                return words[k].start()
        return a if found else None
    return end if found else None


def _caps_run(words: list[re.Match]) -> re.Match | None:
    """The last of the upper-case words that open `words` ("NEW YORK" of "NEW YORK The ..."), None if none does."""
    last = None
    for word in words:
        if not _is_caps(word[0]):
            break
        last = word
    return last


def _is_caps(word: str) -> bool:
    return word.upper() == word and word.lower() != word


def _dateline_start(text: str, start: int, end: int, places: list[str], title: bool = False) -> int | None:
    """Where a dateline ("BELGRADE, 24 November 2016 –") starts in `text[start:end]`: its place is the header's,
    or upper-case words; the words before it (the header's last value, or the `title` of a page without a header,
    which may be longer) are few and no sentence. None if none."""
    matched = _DATELINE_DATE.search(text, start, end)
    if matched is None:
        return None
    # The place and the header's value before it are a few words: looking further back made a long run of capitals
    # cost the square of its length.
    start = max(start, matched.start() - _TITLE_CHARS)
    before = text[start : matched.start()]
    at = next((len(before) - len(place) for place in places if place and before.endswith(place)), None)
    if at is None:
        words = list(_WORD.finditer(before))
        k = len(words)
        while k > 0 and _is_caps(words[k - 1][0]):
            k -= 1
        names = [word[0] for word in words]
        for size in range(1, min(_PLACE_WORDS, (len(words) - k) // 2) + 1):  # "- Place: - NEW YORK NEW YORK, 23 ..."
            if names[len(names) - 2 * size : len(names) - size] == names[len(names) - size :]:
                k = len(words) - size
                break
        at = words[k].start() if k < len(words) else None
    if at is None:
        return None
    value = list(_segments_between(before, 0, at))
    if value and not (_is_title if title else _is_short)(before[value[-1][0] : value[-1][1]].strip()):
        return None
    return start + at


def _title_before_body(text: str, start: int) -> tuple[str, int]:
    """(title, where the body starts) of a page without a header: the title is what comes before the body's
    dateline, else its first sentence."""
    dateline = _dateline_start(text, start, min(len(text), start + _TITLE_CHARS), [], title=True)
    if dateline is not None and text[start:dateline].strip():
        return text[start:dateline].strip(), dateline
    sentence = _SENTENCE_END.search(text, start)
    end = sentence.end() if sentence else len(text)
    return text[start:end].strip(), end


def _tail_lines(body: str) -> tuple[str, list[str]]:
    """The body without the menus or header block (`- Fields of work: - Elections`) that close the page, and those
    as lines: a run of short segments after its last sentence, with a header key or naming _MENU_FIELDS fields."""
    spans = list(_segments(body, 0, len(body)))
    k = len(spans) - 1
    while k > 0 and _is_short(body[spans[k][0] : spans[k][1]].strip()):
        k -= 1
    run = [body[a:b].strip() for a, b in spans[k + 1 :]]
    taxonomy = default_taxonomy()
    fields = {taxonomy.resolve(item) for item in run} - {None}
    if run and _KEY.match(run[0]):
        return body[: spans[k][1]].rstrip(), [f"- {item}" for item in run]
    if len(run) >= _MENU_ITEMS and len(fields) >= _MENU_FIELDS:
        return body[: spans[k][1]].rstrip(), ["-"] + [f"- {item}" for item in run]
    return body, []


def _without_repeats(body: str) -> tuple[str, int]:
    """The body without the runs of sentences that repeat an earlier run (a scrape repeating a block of paragraphs,
    which the parser drops line by line where the lines are kept), and how many runs were left out."""
    cuts = [0] + [match.end() for match in _SENTENCE_END.finditer(body)] + [len(body)]
    units = [body[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    keys = [" ".join(unit.casefold().split()) for unit in units]
    first: dict[str, int] = {}
    kept, dropped, i = [], 0, 0
    while i < len(units):
        j = first.get(keys[i])
        if j is not None:
            length = 0
            while i + length < len(units) and j + length < i and keys[i + length] == keys[j + length]:
                length += 1
            if sum(len(keys[k]) for k in range(i, i + length)) >= _REPEAT_CHARS:
                dropped, i = dropped + 1, i + length
                continue
        first.setdefault(keys[i], i)
        kept.append(units[i])
        i += 1
    return "".join(kept).strip(), dropped
