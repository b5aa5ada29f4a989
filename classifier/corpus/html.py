"""A web page saved as HTML, read as the text a browser shows of its article: no markup, scripts or styles, and
none of the page's navigation, header, footer, side bars or link lists (menus name every field, so none may reach
the model).

Python's own HTML parser reads it (no dependency): it accepts any markup, however broken, and decodes entities.
The page is built into a tree first, because whether a block is a menu is known only once it is read whole (how
much of its text is links), and which part is the article only once the whole page is read (`<main>`, `<article>`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
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
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Words of an id or class that name a page's chrome: `<div id="menu">`, `<ul class="main-nav">`, "navbar" ...
_CHROME_NAMES = frozenset(
    "menu menus mainmenu topmenu submenu sidemenu menubar nav navs navigation mainnav topnav subnav sidenav navbar "
    "navlist breadcrumb breadcrumbs sidebar footer header masthead skip skiplink skiplinks skipnav".split()
)
# Inside an article, its own header holds its title and date: only the page's header is chrome.
_PAGE_ONLY = frozenset({"header", "masthead"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
# Blocks dropped when nearly all their text is links (a list of links is a menu, whatever its markup says).
_LINK_BLOCKS = frozenset("div ul ol dl table tbody thead tr td section p span center font".split())
LINK_SHARE = 0.8  # the share of a block's letters inside links from which it is a link list
MIN_LINKS = 3  # a paragraph with one or two links is prose
WRAPPER_PROSE = 600  # letters outside links, beside an <h1>, from which a block named as chrome holds an article
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
# A site's name after the title in <title>: "Observers meet | OSCE", "... - OSCE", "... :: OSCE Mission to Skopje".
_TITLE_SUFFIX = re.compile(r"^(?P<title>.+?)\s+(?P<sep>[|:»]{1,2}|[-–—])\s+(?P<site>[^|:»–—]{1,60})$")


@dataclass
class HtmlPage:
    """A page's article: its title (the article's first <h1>, else the page's <title> without the site's name),
    the lines before that <h1> (`lead`, empty without one), and the lines after it (`text`)."""

    title: str
    heading: bool
    lead: list[str]
    text: str


def html_text(page: str) -> str:
    """The text of an HTML page's article, one line per block (paragraph, heading, list item), list items as
    "- item", the skipped elements left out."""
    read = html_page(page)
    return "\n".join(read.lead + ([read.title] if read.heading else []) + ([read.text] if read.text else []))


def html_page(page: str) -> HtmlPage:
    """The article of an HTML page, its title and text (see `HtmlPage`)."""
    reader = _TreeBuilder()
    reader.feed(page)
    reader.close()
    before, heading, after = _render(_article(reader.root))
    heading = _line(heading or "")
    if not heading:  # no <h1>, or an empty one (a logo)
        return HtmlPage(_site_title(reader.title, reader.site_name), False, [], "\n".join(_lines(before + after)))
    return HtmlPage(heading, True, _lines(before), "\n".join(_lines(after)))


def _lines(parts: list[str]) -> list[str]:
    lines = (_line(line) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _line(text: str) -> str:
    return " ".join(text.split())


def _site_title(title: str, site_name: str) -> str:
    """The page's <title> without the site's name after it: cut after "|", "::" or "»" when that is at most
    four words, after a dash only when it is the site's name (`og:site_name`) or names the OSCE."""
    title = _line(title)
    match = _TITLE_SUFFIX.match(title)
    if match is None:
        return title
    site, sep = match["site"].strip(), match["sep"]
    is_site = site.casefold() == _line(site_name).casefold() or ("OSCE" in site.split() and len(site.split()) <= 8)
    if is_site or (sep[0] in "|:»" and len(site.split()) <= 4):
        return match["title"].strip()
    return title


@dataclass(eq=False)
class _Node:
    tag: str
    chrome: bool = False  # named as navigation (id, class, role), or hidden
    in_article: bool = False  # inside <main> or <article>
    children: list = field(default_factory=list)  # _Node or str
    chars: int = 0  # letters kept (not white space), its own and its kept children's
    link_chars: int = 0  # of those, inside <a>
    links: int = 0
    holds_article: bool = False  # a <main> or <article> is kept inside it
    holds_heading: bool = False  # an <h1> is kept inside it
    dropped: bool = False


def _names_chrome(attrs: list[tuple[str, str | None]], in_article: bool) -> bool:
    """Whether an element's attributes name it as a page's chrome: hidden, a navigation role, or an id or class
    with a word such as "menu" or "nav" (a class that only describes the page around it, "has-sidebar", does
    not)."""
    names = _CHROME_NAMES - _PAGE_ONLY if in_article else _CHROME_NAMES
    for name, value in attrs:
        if name == "hidden" or (name == "aria-hidden" and value == "true"):
            return True
        if name == "role" and value and value.strip().lower() in _CHROME_ROLES:
            return True
        if name in ("id", "class") and value:
            tokens = (token for token in value.split() if not token.lower().startswith(_DESCRIBING))
            if any(set(_WORDS.findall(_CAMEL.sub(r"\1 \2", token).lower())) & names for token in tokens):
                return True
    return False


# The page itself and its article are never chrome by name (`<html class="menu-open">`).
_NEVER_CHROME = frozenset({"html", "main", "article"})
_DESCRIBING = ("has-", "no-", "with-", "without-", "is-", "show-", "hide-")
_IMPLIED_DEPTH = 64
_LIST_SCOPE = frozenset("ul ol menu dl table".split())
_IMPLIED = {
    "li": (frozenset({"li"}), _LIST_SCOPE),
    "dt": (frozenset({"dt", "dd"}), _LIST_SCOPE),
    "dd": (frozenset({"dt", "dd"}), _LIST_SCOPE),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "p": (frozenset({"p"}), frozenset(_BLOCKS - {"p"})),
}


class _TreeBuilder(HTMLParser):
    """The page as a tree of `_Node`s, each block judged (chrome or not) when it ends."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.stack: list[_Node] = [self.root]
        self.open: Counter = Counter()  # tags open on the stack, so a stray end tag costs no walk down it
        self.title, self.site_name, self.in_title = "", "", False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self._close_to(1)  # the body is never inside the head, even where `</head>` was left out
            return
        if tag == "meta" and ("property", "og:site_name") in attrs:
            self.site_name = self.site_name or next((v or "" for k, v in attrs if k == "content"), "")
        self._implied_end(tag)
        parent = self.stack[-1]
        in_article = parent.in_article or parent.tag in ("main", "article")
        node = _Node(tag, tag not in _NEVER_CHROME and _names_chrome(attrs, in_article), in_article)
        if tag == "a":
            href = next((v or "" for k, v in attrs if k == "href"), "")
            node.chrome = node.chrome or href.startswith("#")  # "Skip to main content", "Back to top"
        parent.children.append(node)
        if tag not in _VOID:
            self.stack.append(node)
            self.open[tag] += 1
        self.in_title = tag == "title" and not self.title

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.open[tag]:
            for depth in range(len(self.stack) - 1, 0, -1):
                if self.stack[depth].tag == tag:
                    self._close_to(depth)
                    break
        self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        self.stack[-1].children.append(data)

    def close(self):
        super().close()
        self._close_to(1)
        _judge(self.root)

    def _implied_end(self, tag: str) -> None:
        if tag not in _IMPLIED:
            return
        ends, scope = _IMPLIED[tag]
        # Real markup leaves an element open a few levels down at most; looking no deeper keeps hostile nesting linear.
        for depth in range(len(self.stack) - 1, max(0, len(self.stack) - 1 - _IMPLIED_DEPTH), -1):
            open_tag = self.stack[depth].tag
            if open_tag in ends:
                self._close_to(depth)
                return
            if open_tag in scope:
                return

    def _close_to(self, depth: int) -> None:
        """Close every element from the innermost open one to the one at `depth`, judging each."""
        while len(self.stack) > depth:
            node = self.stack.pop()
            self.open[node.tag] -= 1
            _judge(node)


def _judge(node: _Node) -> None:
    """Count a closed element's kept letters and links, and drop it if it is chrome or a list of links."""
    chars = link_chars = links = 0
    for child in node.children:
        if isinstance(child, str):
            chars += len("".join(child.split()))
        elif not child.dropped:
            chars, link_chars, links = chars + child.chars, link_chars + child.link_chars, links + child.links
            node.holds_article = node.holds_article or child.holds_article or child.tag in ("main", "article")
            node.holds_heading = node.holds_heading or child.holds_heading or child.tag == "h1"
    if node.tag == "a":
        link_chars, links = chars, links + (chars > 0)
    node.chars, node.link_chars, node.links = chars, link_chars, links
    # A wrapper of the article is no chrome, whatever its name: `<div class="nav-open">` around <main>, the
    # `<form id="aspnetForm">` around a whole page of older sites, a `<div id="main-nav-content">` around its <h1>
    # and paragraphs (a page's own header may hold its logo in an <h1>, but no prose).
    wrapper = node.holds_article or (node.holds_heading and chars - link_chars >= WRAPPER_PROSE)
    if node.tag in _SKIPPED:
        wrapper = wrapper or (node.tag == "form" and node.holds_heading)
        node.dropped = not (wrapper or (node.tag == "header" and node.in_article))
    else:
        link_list = node.tag in _LINK_BLOCKS and links >= MIN_LINKS and link_chars >= LINK_SHARE * chars
        node.dropped = (node.chrome and not wrapper) or (link_list and not _names_fields(node))


# An article's own list of its fields ("Fields of work: Elections, Human rights, ..."), as links: the page parser
# reads its labels there, so it is no menu.
_FIELDS_KEY = re.compile(r"\b(?:fields of work|what we do)\s*:", re.IGNORECASE)


def _names_fields(node: _Node) -> bool:
    """Whether the text of `node` outside its links names the article's fields (looked for in its first 100
    elements: such a list is short, and a walk of each nested block in turn must not grow with their square)."""
    stack = [node]
    for _ in range(100):
        if not stack:
            break
        item = stack.pop()
        for child in item.children:
            if isinstance(child, str):
                if _FIELDS_KEY.search(child):
                    return True
            elif not child.dropped and child.tag != "a":
                stack.append(child)
    return False


def _article(root: _Node) -> _Node:
    """The page's <main> if it has one with text, else its <article> with the most text, else the whole page."""
    best, stack = None, [root]
    while stack:
        node = stack.pop()
        if node.tag == "main" and node.chars:
            return node
        if node.tag == "article" and node.chars and (best is None or node.chars > best.chars):
            best = node
        stack.extend(child for child in reversed(node.children) if isinstance(child, _Node) and not child.dropped)
    return best or root


def _render(root: _Node) -> tuple[list[str], str | None, list[str]]:
    """The text of `root` as parts that join into lines: those before its first <h1>, that <h1>'s text (None
    without one), and those after it."""
    before: list[str] = []
    parts, heading, heading_at = before, None, None
    stack: list = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(_SPACES.sub(" ", item))  # a line break in text: a space
        elif isinstance(item, tuple):  # the end of a block: (the block, where its parts start)
            parts.append("\n")
            if item[0] is heading_at:
                heading, parts = "".join(parts[item[1] :]), []
                del before[item[1] :]
        elif not item.dropped:
            if item.tag in _VOID:
                parts.append("\n" if item.tag in _BLOCKS else "")
                continue
            if item.tag == "h1" and heading_at is None and heading is None:
                heading_at = item
            if item.tag in _BLOCKS:
                parts.append("\n- " if item.tag == "li" else "\n")
                stack.append((item, len(parts)))
            stack.extend(reversed(item.children))
    # Without a heading `parts` is `before`: every part comes before it.
    return before, heading, (parts if heading is not None else [])
