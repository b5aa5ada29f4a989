"""Parse a scraped OSCE page (or plain text) into a Release: metadata, labels and a clean body."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from classifier.taxonomy.fields import Taxonomy, default_taxonomy

# A page's menus are lone "-" lines, each followed by a group heading, and "- item" lines
# ("-", "Fields of work", "- Arms control", ...); the article starts at the first line that is
# none of these. Menus always open with a lone "-", so a plain text's leading bullet list is kept.
CONTENT_TYPES = ("press release", "news", "feature", "statement", "speech", "report", "story", "op-ed", "interview")
_LONGEST_TYPE = max(map(len, CONTENT_TYPES))
_META_KEYS = {"date": "date", "place": "place", "source": "source", "fields of work": "fields", "what we do": "fields"}
_META_LINE = re.compile(r"^-?\s*(date|place|source|fields of work|what we do)\s*:\s*(.*)$", re.IGNORECASE)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATELINE = re.compile(
    rf"^(?P<place>[^\n,]{{2,80}}?),\s*(?P<date>\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}})\s*[-–—:]",
    re.IGNORECASE,
)
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTHS})\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
TITLE_MAX_CHARS = 200


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
    (for texts whose title is known from elsewhere, such as a table's title column).
    """
    plain = one_plain_line(text)
    if plain:  # most table rows: nothing to parse, and the same Release as parsing gives
        title, body, header, content_type, had_menus, dropped = "", plain, {}, None, False, 0
    else:
        title, body, header, content_type, had_menus, dropped = _parse_lines(text, plain_title)
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
    line = text.strip()
    # casefold never shortens a text: a line longer than every content type is none of them.
    if line == "-" or (len(line) <= _LONGEST_TYPE and line.casefold() in CONTENT_TYPES) or _META_LINE.match(line):
        return ""
    return line


def _parse_lines(text: str, plain_title: bool) -> tuple[str, str, dict[str, list[str]], str | None, bool, int]:
    """(title, body, header, content type, whether menus were removed, repeats dropped) of a page."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")]
    start = _skip_menus(lines)
    had_menus = start > 0
    lines = lines[start:]
    while lines and not lines[0]:
        lines.pop(0)

    content_type = None
    if lines and lines[0].casefold() in CONTENT_TYPES:
        content_type = lines.pop(0)
    header_follows = len(lines) > 1 and _META_LINE.match(lines[1]) is not None
    title = ""
    if lines and (header_follows or content_type or had_menus or (plain_title and _looks_like_title(lines))):
        title = lines.pop(0)
    header, lines = _read_header(lines)

    paragraphs, dropped = _unique_paragraphs(lines)
    return title, "\n".join(paragraphs), header, content_type, had_menus, dropped


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


def menu_groups(text: str) -> list[tuple[str, list[str]]]:
    """The page's navigation menus as (heading, items) in page order, e.g. ("Fields of work", [...])."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
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


def _read_header(lines: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Read `- Date:` / `- Place:` / `- Source:` / `- Fields of work:` lines and their `- value` lines."""
    header: dict[str, list[str]] = {}
    i = 0
    key = None
    while i < len(lines):
        line = lines[i]
        match = _META_LINE.match(line)
        if match:
            key = _META_KEYS[match[1].casefold()]
            header.setdefault(key, [])
            if match[2].strip():
                header[key].append(match[2].strip())
        elif key is not None and line.startswith("- "):
            header[key].append(line[2:].strip())
        elif key is not None and line == "-":
            pass
        else:
            break
        i += 1
    return header, lines[i:]


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
