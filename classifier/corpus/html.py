"""A web page saved as HTML, read as the text a browser shows of its article: no markup, scripts or styles, and
none of the page's navigation, header, footer or side bars (menus name every field, so none may reach the model).

Python's own HTML parser reads it (no dependency): it accepts any markup, however broken, and decodes entities.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never the article: code, styles, the document head, and a page's chrome.
_SKIPPED = frozenset(
    "script style noscript template head title svg nav header footer aside form button select iframe".split()
)
# Elements that end a line (a paragraph, a heading, a list item, a table row ...).
_BLOCKS = frozenset(
    "address article blockquote br dd div dl dt figcaption h1 h2 h3 h4 h5 h6 hr li main ol p pre section table "
    "td th tr ul".split()
)
_SPACES = re.compile(r"\s+")


def html_text(page: str) -> str:
    """The text of an HTML page, one line per block (paragraph, heading, list item), list items as "- item",
    the skipped elements left out."""
    reader = _TextReader()
    reader.feed(page)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).split("\n"))
    return "\n".join(line for line in lines if line)


class _TextReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the open skipped elements, innermost last

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.skipping.clear()  # the body is never inside the head, even where `</head>` was left out
        elif tag in _SKIPPED:
            self.skipping.append(tag)
        elif not self.skipping and tag in _BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_startendtag(self, tag, attrs):
        if not self.skipping and tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.skipping:
            if tag in self.skipping:  # closes it and any element left open inside it
                del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag) :]
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(_SPACES.sub(" ", data))  # a line break in text is a space
