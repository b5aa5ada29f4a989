"""Parse a scraped OSCE page (or plain text) into a Release: metadata, labels and a clean body."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from classifier.corpus.pageparts import BULLETS, CONTENT_TYPES, HEADER_KEYS, MONTHS
from classifier.taxonomy.fields import Taxonomy, default_taxonomy

# A page's menus are lone "-" lines, each followed by a group heading, and "- item" lines
# ("-", "Fields of work", "- Arms control", ...); the article starts at the first line that is
# none of these. Menus always open with a lone "-", so a plain text's leading bullet list is kept.
_LONGEST_TYPE = max(map(len, CONTENT_TYPES))
_META_KEYS = {"date": "date", "place": "place", "source": "source", "fields of work": "fields", "what we do": "fields"}
_META_LINE = re.compile(rf"^-?\s*({'|'.join(HEADER_KEYS)})\s*:\s*(.*)$", re.IGNORECASE)
_OPENING = re.compile(rf"-|\s*(?:{'|'.join(HEADER_KEYS)})\s*:", re.IGNORECASE)  # what `one_plain_line` looks into
_DATELINE = re.compile(
    rf"^(?P<place>[^\n,]{{2,80}}?),\s*(?P<date>\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}})\s*[-–—:]",
    re.IGNORECASE,
)
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({MONTHS})\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
TITLE_MAX_CHARS = 200
BOM = "\ufeff"
# An HTML document opens (after a byte order mark, white space, an XML declaration and comments) with a doctype or
# a tag of a page's structure: <html>, <head>, <body>, or, in a page saved without them, one of the elements that
# open a page's head or its body. A comment ends at its first "-->": were it free to run on to a later one, a text
# opening with comments and then no tag would be tried in every way of grouping them (twice the time every two).
_HTML_TAGS = (
    "html|head|body|meta|title|link|base|style|script|noscript|nav|header|main|article|section|aside|div|h[1-6]|p|ul|ol"
    "|table|form|img|span"
)
_HTML_START = re.compile(
    rf"\ufeff?\s*(?:<\?xml\b[^>]*\?>\s*)?(?:<!--(?:(?!-->).)*-->\s*)*<(?:!doctype\s+html|(?:{_HTML_TAGS})[\s/>])",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Release:
    title: str
    body: str
    date: dt.date | None = None
    place: str | None = None
    source: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    content_type: str | None = None
    unknown_fields: tuple[str, ...] = ()
    had_menus: bool = False
    dropped_repeats: int = 0

    @property
    def model_text(self) -> str:
        """What the model reads: title and body, nothing from menus or metadata."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "place": self.place,
            "source": list(self.source),
            "fields": list(self.fields),
            "unknown_fields": list(self.unknown_fields),
            "content_type": self.content_type,
            "body": self.body,
        }


def parse_release(text: str, taxonomy: Taxonomy | None = None, plain_title: bool = True) -> Release:
    """Parse one page. Navigation menus are removed; a page without menus is read as plain text.

    In plain text, a short first line is taken as the title unless `plain_title` is False
    (for texts whose title is known from elsewhere, such as a table's title column). `text` is a str; anything
    else (None, a missing cell's NaN, bytes) is a TypeError saying so.
    """
    if not isinstance(text, str):
        hint = " (decode it first: text.decode('utf-8'))" if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"parse_release takes the text of a page as a str, not {type(text).__name__}{hint}")
    text = without_format_characters(text.removeprefix(BOM))  # a file's mark read as text: no part of its first line
    html = looks_like_html(text)
    if html:
        text = without_format_characters(_html_lines(text, plain_title))  # &shy; is one once its entity is read
    plain = one_plain_line(text)
    if plain:  # most table rows: nothing to parse, and the same Release as parsing gives
        title, body, header, content_type, had_menus, dropped = "", plain, {}, None, False, 0
    else:
        collapsed = _collapsed_lines(text, taxonomy)  # a page whose lines were joined: its lines again
        text, repeats = collapsed or (text, 0)
        # An HTML page's line ends are its blocks' ends, never a wrap: no word is broken across them.
        title, body, header, content_type, had_menus, dropped = _parse_lines(
            text, plain_title, wrapped=not html, taxonomy=taxonomy
        )
        dropped += repeats
    date = _parse_date(" ".join(header.get("date", [])))
    place = ", ".join(header.get("place", [])) or None
    dateline = _DATELINE.match(body)
    if dateline:
        date = date or _parse_date(dateline["date"])
        place = place or dateline["place"].strip()
    sources = _split_list(header.get("source", []))
    fields, unknown = _resolve_fields(_split_list(header.get("fields", [])), taxonomy)
    return Release(
        title=title,
        body=body,
        date=date,
        place=place,
        source=sources,
        fields=fields,
        content_type=content_type,
        unknown_fields=unknown,
        had_menus=had_menus,
        dropped_repeats=dropped,
    )


def one_plain_line(text: str) -> str:
    """The text, stripped, when it is one line that parsing would keep whole as the body (no line break,
    menu dash, content type or header line); "" otherwise."""
    if "\n" in text or "\r" in text or "\x00" in text:
        return ""
    # Read as `parse_release` reads it: a zero-width space or a byte order mark hides no content type, header or tag.
    text = without_format_characters(text)
    if looks_like_html(text):
        return ""
    line = _as_dash(text.strip())
    size = len(line)
    # casefold never shortens a text: a line longer than every content type is none of them.
    if size <= _LONGEST_TYPE and (line == "-" or line.casefold() in CONTENT_TYPES):
        return ""
    if _OPENING.match(line):  # a header line, or a dash first: menus, if the page's line breaks were collapsed
        if _META_LINE.match(line) or _opens_with_joined_menus(line):
            return ""
    elif size > _MENU_CHARS and _opens_with_joined_menus(line):  # a few words, then the menus
        return ""
    return text.strip()


# A page whose line breaks were collapsed (a table cell made by `" ".join(text.split())` or BeautifulSoup's
# `get_text(" ")`) opens with its menus ("- Item - Item ..."), or with a few words and them: a dash with white space
# around it within its first characters. A line that does not open with a dash is looked into only when it is as
# long as menus are (the site's are 4,000 characters), where the look costs little beside the rest of its reading.
# The dash is looked for as far as the collapsed reader looks for it: after up to 20 words of chrome.
_MENU_OPENING = 300
_MENU_CHARS = 1_000


# An item's mark between two joined lines, after a space (and before one) or after a tab: " - ", "\t-", " * ", ...
_JOINED_MARKS = tuple(joined for mark in "-" + BULLETS for joined in (f" {mark} ", f"\t{mark}"))


def _early_mark(line: str) -> bool:
    """Whether a line (stripped, its first bullet read as a dash) has a menu item's mark where joined menus would:
    first, or, in a line as long as menus are, among its first characters. Cheap, to spare most lines the look."""
    head = line[:_MENU_OPENING]
    # A mark within the head; five substring searches are a quarter of one regular expression's over 300 characters.
    return head[:1] == "-" or (len(line) > _MENU_CHARS and any(mark in head for mark in _JOINED_MARKS))


def _opens_with_joined_menus(line: str) -> bool:
    """Whether a line (stripped, its first bullet read as a dash) opens with a page's menus joined into it."""
    if not _early_mark(line):
        return False
    from classifier.corpus.collapsed import opens_with_menus  # only for lines with an early dash: start-up stays light

    return opens_with_menus(line)


def _collapsed_lines(text: str, taxonomy: Taxonomy | None) -> tuple[str, int] | None:
    """The lines of a one-line page that opens with its menus, and the repeats left out of its body
    (classifier.corpus.collapsed, which tells the menus); None for any other text."""
    if "\n" in text or "\r" in text or not _early_mark(_as_dash(text.strip())):
        return None
    from classifier.corpus.collapsed import page_lines  # only for one-line pages: start-up stays light

    return page_lines(nul_as_space(text).strip(), taxonomy)


# A NUL, with the spaces and tabs around it: one space. Where a text holds one (a form, a JSON string, a table cell)
# it stands between two words, which deleting it would join ("observers\x00police" is two words, not one).
_NUL = re.compile("[ \t]*\x00+[ \t]*")


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """JSON can carry lone surrogates ("\\ud800"), which no UTF-8 output can hold: they become U+FFFD."""
    if text.isascii():  # an ASCII text has none
        return text
    try:
        # Encoding fails on a lone surrogate and on nothing else: a fifth of the time of looking for one (a
        # regular expression over every character), for the text of most tag rows (names with accents).
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def nul_as_space(text: str) -> str:
    """The text with each run of NUL characters read as one space (the spaces and tabs around it folded in)."""
    return _NUL.sub(" ", text) if "\x00" in text else text


# Unicode's format characters (category Cf): a soft hyphen (HTML's &shy;), zero-width spaces and joiners, direction
# marks, a byte order mark inside a text. A reader sees none of them, but in a word they made one the model never saw:
# "BEL\xadGRADE", or "elections\u200b" after every word, read as another language or as eleven fields.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
    (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
_FORMAT = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _FORMAT_RANGES) + "]+")
# The same characters as UTF-8 bytes: most texts hold none, and a bytes pattern of their few sequences finds that
# in a quarter of the time the characters' class takes (7 against 31 us for 1 KB, the encoding included).
_FORMAT_BYTES = re.compile(
    b"|".join(re.escape(chr(code).encode()) for low, high in _FORMAT_RANGES for code in range(low, high + 1))
)


def without_format_characters(text: str) -> str:
    """The text without Unicode's invisible format characters (see _FORMAT); an ASCII text has none, nor has a
    printable one (Python counts every character of Unicode's "Other" categories unprintable, format ones among them:
    one pass in compiled code, where most lines of a table have no tab or line break)."""
    if text.isascii() or text.isprintable() or _FORMAT_BYTES.search(text.encode("utf-8", "surrogatepass")) is None:
        return text
    return _FORMAT.sub("", text)


def looks_like_html(text: str) -> bool:
    """Whether `text` is an HTML document (read as the text of its article, classifier.corpus.html); a text that
    merely mentions a tag is not."""
    return _HTML_START.match(text, 0, 4096) is not None


def _html_lines(page: str, plain_title: bool) -> str:
    """An HTML page's article as the lines `_parse_lines` reads, its title first: the article's first <h1>
    (after the content type just before it, if any; the other lines before it follow it), else the page's
    <title> (unless the text starts with it, or with a content type, whose next line is the title)."""
    from classifier.corpus.html import html_page  # only for HTML: keeps its parser out of start-up

    read = html_page(page)
    lines = read.text.split("\n") if read.text else []
    if read.heading:
        lead = read.lead
        typed = lead[-1:] if lead and lead[-1].casefold() in CONTENT_TYPES else []
        return "\n".join(typed + [read.title] + lead[: len(lead) - len(typed)] + lines)
    first = lines[0].casefold() if lines else ""
    if plain_title and read.title and first != read.title.casefold() and first not in CONTENT_TYPES:
        lines.insert(0, read.title)
    return "\n".join(lines)


def _parse_lines(
    text: str, plain_title: bool, wrapped: bool = True, taxonomy: Taxonomy | None = None
) -> tuple[str, str, dict[str, list[str]], str | None, bool, int]:
    """(title, body, header, content type, whether menus were removed, repeats dropped) of a page; `wrapped`: its
    lines may be a wrap of longer ones, with words broken across them (not an HTML page's blocks). `taxonomy` tells
    the fields listed one a line after a `Fields of work:` alone on its line from the text's first lines."""
    raw = [line.strip() for line in nul_as_space(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [_as_dash(line) for line in raw]  # the page's structure, whatever its bullets; its text is `raw`'s
    start = max(_skip_menus(lines), _article_start(lines), _menus_after_chrome(lines))
    if wrapped:
        raw, lines = _unbroken_words(raw, lines, start)
    had_menus = start > 0
    i, n = start, len(lines)
    while i < n and not lines[i]:
        i += 1

    content_type = None
    if i < n and lines[i].casefold() in CONTENT_TYPES:
        content_type = raw[i]
        i += 1
    header_follows = i + 1 < n and _META_LINE.match(lines[i + 1]) is not None
    title = ""
    # After a content type, the next line is the title if it could be one: "Report" opening a memo is no page's.
    typed_title = content_type is not None and i < n and 0 < len(lines[i]) <= TITLE_MAX_CHARS
    if i < n and (header_follows or typed_title or had_menus or (plain_title and _looks_like_title(lines[i:]))):
        title = _MARKDOWN_HEADING.sub("", raw[i])  # a Markdown file's "# Title": the title without its marks
        i += 1

    def is_field(name: str) -> bool:
        return (taxonomy or default_taxonomy()).resolve(name) is not None

    header, read = _read_header(lines[i:], is_field)
    end = _menus_at_end(lines, i + read)
    end, footer = _header_at_end(lines, i + read, end, is_field)
    for key, values in footer.items():  # a page whose date or fields follow its text
        header.setdefault(key, values)

    paragraphs, dropped = _unique_paragraphs(raw[i + read : end])
    return title, "\n".join(paragraphs), header, content_type, had_menus or end < len(lines), dropped


_SUSPENDED = {"and", "or", "to", "nor"}  # a hyphen left hanging before them ("short- and long-term") is a word's


def _suspended(raw: list[str], k: int) -> bool:
    """Whether the hyphen ending line k - 1 hangs before a conjunction and a hyphenated word right after it ("pre-"
    then "and post-election", the conjunction alone on its line or not): a word's own, not a break ("de fac-" then
    "to authorities" is one, and so is "to authorities' long-term", whose hyphenated word is not the next)."""
    words = " ".join(raw[k : k + 2]).split()[:2]
    return len(words) == 2 and words[0] in _SUSPENDED and "-" in words[1]


def _unbroken_words(raw: list[str], lines: list[str], start: int) -> tuple[list[str], list[str]]:
    """A page's lines (`raw`, and `lines` as `_parse_lines` reads them) with each word its article (from `start`)
    hyphenated across a line break whole again, as a report's text copied from a PDF or a hard-wrapped e-mail
    breaks them: a line ending with a lower-case letter and a hyphen, the next starting with a lower-case letter,
    are one line ("pro-" and "grammes. It was": "programmes. It was"; a title's "elec-" and "tions" too). A hyphen
    before or after a capital ("anti-" and "OSCE campaign") or a digit is the text's own: kept, and its break; so is
    a suspended one, before "and", "or", "to" or "nor" and a hyphenated word ("pre-" and "and post-election")."""
    broken = [
        k
        for k in range(start, len(raw) - 1)
        if raw[k][-1:] in ("-", "\u2010")
        and raw[k][-2:-1].islower()
        and raw[k + 1][:1].islower()
        and not _suspended(raw, k + 1)
    ]
    if not broken:
        return raw, lines
    raw, lines = raw[:], lines[:]
    for k in reversed(broken):  # from the end, so that a line broken twice joins all three
        raw[k : k + 2] = [raw[k][:-1] + raw[k + 1]]
        lines[k : k + 2] = [_as_dash(raw[k])]
    return raw, lines


def _menus_at_end(lines: list[str], start: int) -> int:
    """Index where navigation menus that close the page begin, after `start` (a page saved with its menus
    below the article, or with a footer of menus): every line from there on is a menu's lone "-", the heading
    after one, an item ("- ...") or empty, and they hold at least three items. len(lines) when there are none."""
    i, first, items = len(lines), None, 0
    while i > start:
        line = lines[i - 1]
        if not line:
            i -= 1
        elif line == "-":
            first, i = i - 1, i - 1
        elif line.startswith("- ") and not _META_LINE.match(line):
            items, i = items + 1, i - 1
        elif i - 2 >= start and lines[i - 2] == "-" and items:  # a group's heading, after a lone dash
            first, i = i - 2, i - 2
        else:
            break
    return first if first is not None and items >= _CHROME_LINES else len(lines)


def _header_at_end(
    lines: list[str], start: int, end: int, is_field: Callable[[str], bool]
) -> tuple[int, dict[str, list[str]]]:
    """Where a header block that ends the text begins (`- Fields of work:` and its values after the body), and
    that header; (end, {}) when the text does not end with one. `is_field` as in `_read_header`."""
    last = end
    while last > start and not lines[last - 1]:
        last -= 1
    at = next((k for k in range(last - 1, start - 1, -1) if _META_LINE.match(lines[k])), None)
    if at is None or at == start:
        return end, {}
    header, read = _read_header(lines[at:last], is_field)
    return (at, header) if at + read == last else (end, {})


_MARKDOWN_HEADING = re.compile(r"^#{1,6}[ \t]+")
_BULLETS = tuple(f"{mark}{space}" for space in " \t" for mark in BULLETS)  # a tab after one too: a page joined by tabs


def _as_dash(line: str) -> str:
    """A line with its bullet (`*`, `•`, `·`) read as the site's dash, which marks menu items and header values."""
    if len(line) == 1 and line in BULLETS:
        return "-"
    return "- " + line[2:] if line.startswith(_BULLETS) else line


def _skip_menus(lines: list[str]) -> int:
    """Index of the first line after the leading navigation menus (0 when there are none)."""
    i = 0
    n = len(lines)
    saw_menu = False
    while i < n:
        line = lines[i]
        if not line:
            i += 1
        elif line == "-":
            # A lone dash opens a menu group; the next line is its heading.
            saw_menu = True
            i += 2 if i + 1 < n and lines[i + 1] and not lines[i + 1].startswith("- ") else 1
        elif saw_menu and line.startswith("- ") and not _META_LINE.match(line):
            i += 1
        else:
            break
    return i if saw_menu else 0


# Lines of a site's chrome (menus, "Skip to main content"): short, and no sentence.
_CHROME_WORDS = 20
_CHROME_LINES = 3


def _article_start(lines: list[str]) -> int:
    """Index of the article's first line (its content type, or its title) where a page's chrome is not the
    menus `_skip_menus` reads (a line before them, menus cut at the top, other bullets): the first header line
    (`Date:`, `Place:`, ...) follows the title, which follows the content type if any, and every one of the
    (at least three) lines before them is short and no sentence. 0 otherwise."""
    header = next((i for i, line in enumerate(lines) if _META_LINE.match(line)), None)
    if header is None:
        return 0
    before = [i for i in range(header) if lines[i]]
    if len(before) < _CHROME_LINES + 1:
        return 0
    start = before[-1]  # the title
    if len(before) > 1 and lines[before[-2]].casefold() in CONTENT_TYPES:
        start = before[-2]
    chrome = [lines[i] for i in before if i < start]
    if len(chrome) < _CHROME_LINES or any(_is_sentence(line) for line in chrome):
        return 0
    return start


def _menus_after_chrome(lines: list[str]) -> int:
    """Index of the first line after the menus where one or two short lines come before them ("Skip to main
    content", the site's name) and the page has no header to start from (see `_article_start`): the menus must
    hold at least three items. 0 otherwise."""
    firsts = [i for i, line in enumerate(lines[:8]) if line][:3]
    for k in (1, 2):
        if len(firsts) > k and lines[firsts[k]] == "-" and not any(_is_sentence(lines[i]) for i in firsts[:k]):
            rest = lines[firsts[k] :]
            end = _skip_menus(rest)
            if sum(1 for line in rest[:end] if line.startswith("- ")) >= _CHROME_LINES:
                return firsts[k] + end
    return 0


def _is_sentence(line: str) -> bool:
    return len(line.split()) > _CHROME_WORDS or line.endswith((".", "!", "?"))


def menu_groups(text: str) -> list[tuple[str, list[str]]]:
    """The page's navigation menus as (heading, items) in page order, e.g. ("Fields of work", [...])."""
    lines = [_as_dash(line.strip()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    groups: list[tuple[str, list[str]]] = []
    i, end = 0, _skip_menus(lines)
    while i < end:
        line = lines[i]
        if line == "-" and i + 1 < end and lines[i + 1] and not lines[i + 1].startswith("- ") and lines[i + 1] != "-":
            groups.append((lines[i + 1], []))
            i += 2
        elif line.startswith("- ") and groups:
            groups[-1][1].append(line[2:].strip())
            i += 1
        else:
            i += 1
    return groups


def _looks_like_title(lines: list[str]) -> bool:
    first = lines[0]
    return len(lines) > 1 and 0 < len(first) <= TITLE_MAX_CHARS and not first.endswith((".", ":", ";", ","))


def _read_header(lines: list[str], is_field: Callable[[str], bool]) -> tuple[dict[str, list[str]], int]:
    """Read `- Date:` / `- Place:` / `- Source:` / `- Fields of work:` lines and their `- value` lines; the header,
    and how many lines it took. A page copied from a browser has no dashes: a key alone on its line (`Date:`) is
    followed by its value on the next (`Place:` then `Vienna`), and `Fields of work:` by one field a line, as far
    as the lines name fields (`is_field(name)`: the taxonomy knows it), so that the text's first line is not
    taken for one."""
    header: dict[str, list[str]] = {}
    i = 0
    key, bare = None, False
    while i < len(lines):
        line = lines[i]
        match = _META_LINE.match(line)
        if match:
            key = _META_KEYS[match[1].casefold()]
            header.setdefault(key, [])
            value = match[2].strip()
            if value:
                header[key].append(value)
            bare = not value and not line.startswith("-")
        elif key is not None and line.startswith("- "):
            header[key].append(line[2:].strip())
        elif key is not None and line == "-" and not _opens_a_group(lines, i):
            pass
        elif bare and _bare_value(line, key, header[key], is_field):
            header[key].append(line)
        else:
            break
        i += 1
    return header, i


def _bare_value(line: str, key: str, values: list[str], is_field: Callable[[str], bool]) -> bool:
    """Whether a line after a key alone on its line is the key's value: for the fields, a line of fields (commas
    between them); for a date, place or source, one short line that is no sentence (the text's first line may be
    as short as a second one)."""
    if not line or line == "-" or _is_sentence(line):
        return False
    if key == "fields":
        names = [name.strip() for name in line.split(",")]
        return all(name and is_field(name) for name in names)
    return not values


def _opens_a_group(lines: list[str], i: int) -> bool:
    """Whether the lone dash at `i` opens a menu group: a heading follows it (a line that is neither an item, a
    header line nor another dash), and an item follows the heading."""
    heading, item = (lines[i + 1 : i + 3] + ["", ""])[:2]
    if not heading or heading == "-" or heading.startswith("- ") or _META_LINE.match(heading):
        return False
    return item.startswith("- ") and not _META_LINE.match(item)


def _unique_paragraphs(lines: list[str]) -> tuple[list[str], int]:
    """Non-empty paragraphs in order, each kept once: scraping sometimes repeats whole blocks."""
    seen: set[str] = set()
    kept: list[str] = []
    dropped = 0
    for line in lines:
        if not line:
            continue
        # Copies differ in case and spacing; ignoring punctuation as well took a regular expression
        # over every paragraph, half of the parser's time when tagging (benchmarks/batch.py).
        key = " ".join(line.casefold().split())
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        kept.append(line)
    return kept, dropped


def _split_list(values: list[str]) -> tuple[str, ...]:
    items: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in items:
                items.append(part)
    return tuple(items)


def _parse_date(text: str) -> dt.date | None:
    if not text:
        return None
    match = _ISO_DATE.search(text)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        match = _DATE.search(text)
        if match:
            return dt.datetime.strptime(f"{match[1]} {match[2].title()} {match[3]}", "%d %B %Y").date()
    except ValueError:
        return None
    return None


def _resolve_fields(names: tuple[str, ...], taxonomy: Taxonomy | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not names:
        return (), ()
    taxonomy = taxonomy or default_taxonomy()
    fields: list[str] = []
    unknown: list[str] = []
    for name in names:
        label = taxonomy.resolve(name)
        if label is None:
            unknown.append(name)
        elif label not in fields:
            fields.append(label)
    return tuple(fields), tuple(unknown)
