"""An HTML page is read as its article: no menu, however it is marked up, and the right title."""

import pytest

from classifier.bundle.storage import load_model
from classifier.corpus.html import html_page, html_text
from classifier.corpus.release import parse_release

from conftest import ROOT

ARTICLE_TITLE = "Observers open a mission to follow Kyrgyzstan's parliamentary elections"
ARTICLE = (
    "<p>BISHKEK, 18 September 2015 – Following an invitation from the authorities, the OSCE Office for Democratic "
    "Institutions and Human Rights (ODIHR) has deployed an election observation mission for the 4 October "
    "parliamentary elections in Kyrgyzstan.</p>\n<p>ODIHR has asked participating States to send short-term "
    "observers, who will watch the opening of polling stations, the vote itself and the counting of ballots on "
    "election day.</p>"
)
ARTICLE_TEXT = [
    "BISHKEK, 18 September 2015 – Following an invitation from the authorities, the OSCE Office for Democratic "
    "Institutions and Human Rights (ODIHR) has deployed an election observation mission for the 4 October "
    "parliamentary elections in Kyrgyzstan.",
    "ODIHR has asked participating States to send short-term observers, who will watch the opening of polling "
    "stations, the vote itself and the counting of ballots on election day.",
]
LINKS = '<li><a href="/arms">Arms control</a></li><li><a href="/migration">Migration</a></li>'
LINKS += '<li><a href="/cyber">Cyber/ICT Security</a></li>'


def page(chrome: str, body: str = "", title: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{chrome}\n"
        f"{body or f'<h1>{ARTICLE_TITLE}</h1>{ARTICLE}'}</body></html>"
    )


def field_names() -> list[str]:
    import yaml  # only here: the field names come from the taxonomy file itself

    return [field["name"] for field in yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))["fields"]]


def kyrgyzstan_page(menu_open: str, menu_close: str) -> str:
    """The Kyrgyzstan example's lead in a page whose menu lists every field as a link."""
    lines = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8").split("\n")
    lead = lines[lines.index(ARTICLE_TITLE) + 9 :]
    items = "".join(f'<li><a href="/{n.lower().replace(" ", "-")}">{n}</a></li>' for n in field_names())
    paragraphs = "".join(f"<p>{line}</p>\n" for line in lead if line.strip())
    menu = f"{menu_open}<h2>Fields of work</h2><ul>{items}</ul>{menu_close}"
    return page(menu, f"<h1>{ARTICLE_TITLE}</h1>\n{paragraphs}", f"{ARTICLE_TITLE} | OSCE")


@pytest.mark.parametrize("menu", [('<div id="menu">', "</div>"), ("<nav>", "</nav>")])
def test_a_menu_in_a_div_is_left_out_like_one_in_nav(menu):
    html = kyrgyzstan_page(*menu)
    release = parse_release(html)
    assert release.title == ARTICLE_TITLE
    assert release.body.startswith("BISHKEK, 18 September 2015 – Following an invitation")
    assert release.body.endswith("a final report with recommendations follows some weeks later.")
    lines = release.model_text.split("\n")
    assert "Fields of work" not in lines and not set(field_names()) & set(lines)
    # With the menu left out the model reads the article alone: Elections, and no field the menu named.
    suggestion = load_model().suggest(html)
    assert suggestion.labels == ["Elections"]


# One menu (three field names as links) in each form older pages use; the article must come out alone.
MENU_FORMS = {
    "div id=menu": f'<div id="menu"><ul>{LINKS}</ul></div>',
    "div class=navigation": f'<div class="navigation"><ul>{LINKS}</ul></div>',
    "ul class=menu": f'<ul class="menu">{LINKS}</ul>',
    "camelCase id": f'<div id="mainMenu">Go to: <ul>{LINKS}</ul></div>',
    "navbar": f'<div class="navbar navbar-default">Site <ul class="x">{LINKS}</ul></div>',
    "breadcrumb": '<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/news">News</a></div>',
    "sidebar": '<div id="sidebar"><h3>Related</h3><p>Read about Migration.</p></div>',
    "footer id": '<div id="footer">Migration | Cyber/ICT Security | Cookies</div>',
    "header id": '<div id="header">OSCE Arms control</div>',
    "skip link": '<a class="skip-link" href="/x">Skip to main content</a>',
    "anchor link": '<a href="#content">Skip to main content</a>',
    "role navigation": f'<div role="navigation"><ul>{LINKS}</ul></div>',
    "role banner": '<div role="banner">OSCE Migration</div>',
    "role contentinfo": '<div role="contentinfo">Arms control and Migration</div>',
    "hidden": "<div hidden>Arms control and Migration</div>",
    "table of links": (
        '<table><tr><td><a href="/a">Arms control</a></td><td><a href="/m">Migration</a></td></tr>'
        '<tr><td><a href="/c">Cyber/ICT Security</a></td></tr></table>'
    ),
    "unnamed list of links": f"<ul>{LINKS}</ul>",
    "div of links with separators": (
        '<div><a href="/a">Arms control</a> | <a href="/m">Migration</a> | <a href="/c">Cyber/ICT Security</a></div>'
    ),
    "nav in header": f"<header><nav><ul>{LINKS}</ul></nav></header>",
}


@pytest.mark.parametrize("form", MENU_FORMS)
def test_a_menu_in_any_form_is_left_out(form):
    release = parse_release(page(MENU_FORMS[form], title="Ignored since the article has an h1"))
    assert release.title == ARTICLE_TITLE
    assert release.body.split("\n") == ARTICLE_TEXT
    # The same menu after the article (where a footer would be) is left out as well.
    after = parse_release(page("", f"<h1>{ARTICLE_TITLE}</h1>{ARTICLE}{MENU_FORMS[form]}"))
    assert after.body.split("\n") == ARTICLE_TEXT


def test_prose_with_a_link_or_two_is_kept_and_a_wrapper_named_like_a_menu_is_no_menu():
    prose = '<p>The <a href="/odihr">ODIHR</a> sent observers to <a href="/kg">Kyrgyzstan</a>.</p>'
    assert html_text(page("", prose)) == "The ODIHR sent observers to Kyrgyzstan."
    # A class describing the layout around the article, and a wrapper of <main> named "nav-open", hold the article.
    for wrapper in ('<div class="content has-sidebar">', '<div class="nav-open">'):
        wrapped = page("", f"{wrapper}<main><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</main></div>")
        assert parse_release(wrapped).body.split("\n") == ARTICLE_TEXT, wrapper
    # Older sites wrap a whole page in one form: it is read, a search form is not.
    aspnet = f'<form id="aspnetForm"><form><input name="q"> Search</form><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</form>'
    release = parse_release(page("", aspnet))
    assert release.title == ARTICLE_TITLE and release.body.split("\n") == ARTICLE_TEXT


def test_main_or_the_longest_article_is_the_article():
    teaser = "<article><h1>Other news</h1><p>Short.</p></article>"
    outside = "<div><p>Cookies are used on this site to improve it.</p></div>"
    for body in (
        f"{outside}<main><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</main>{teaser}",
        f"{outside}{teaser}<article><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</article>",
    ):
        release = parse_release(page("", body))
        assert release.title == ARTICLE_TITLE and release.body.split("\n") == ARTICLE_TEXT, body
    # An article's own <header> holds its title; its <footer> (tags, share links) is left out.
    own = f"<article><header><h1>{ARTICLE_TITLE}</h1></header>{ARTICLE}<footer>Tags: Migration</footer></article>"
    release = parse_release(page('<div class="header">OSCE</div>', own))
    assert release.title == ARTICLE_TITLE and release.body.split("\n") == ARTICLE_TEXT


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Observers open a mission | OSCE", "Observers open a mission"),
        ("Observers open a mission – OSCE", "Observers open a mission"),
        ("Observers open a mission - OSCE Office for Democratic Institutions", "Observers open a mission"),
        ("Observers open a mission :: Archive", "Observers open a mission"),
        # A dash that is the title's own stays; so does what follows a bar when it is a long phrase.
        ("Kyrgyzstan - parliamentary elections", "Kyrgyzstan - parliamentary elections"),
        ("Vote | what observers will watch on election day", "Vote | what observers will watch on election day"),
        ("News &amp; views", "News & views"),
    ],
)
def test_without_an_h1_the_title_is_the_pages_title_without_the_sites_name(title, expected):
    release = parse_release(page("", ARTICLE, title))
    assert release.title == expected
    assert release.body.split("\n") == ARTICLE_TEXT


def test_the_sites_own_name_is_cut_and_an_empty_h1_is_no_title():
    named = (
        '<html><head><meta property="og:site_name" content="Election Watch"><title>Vote counted - Election Watch'
        f"</title></head><body><h1><img src=logo.png></h1>{ARTICLE}</body></html>"
    )
    assert html_page(named).title == "Vote counted" and not html_page(named).heading
    assert parse_release(named).title == "Vote counted"


def test_lines_before_the_h1_follow_it_unless_one_is_the_content_type():
    body = f"<main><p>Press release</p><p>18 September 2015</p><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</main>"
    release = parse_release(page("", body))
    assert (release.content_type, release.title) == (None, ARTICLE_TITLE)
    assert release.body.split("\n") == ["Press release", "18 September 2015"] + ARTICLE_TEXT
    body = f"<main><p>18 September 2015</p><p>Press release</p><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</main>"
    release = parse_release(page("", body))
    assert (release.content_type, release.title) == ("Press release", ARTICLE_TITLE)
    assert release.body.split("\n") == ["18 September 2015"] + ARTICLE_TEXT


def test_a_block_named_as_chrome_around_the_whole_article_is_kept_but_a_logo_heading_is_not():
    article = kyrgyzstan_page("<nav>", "</nav>")
    body = article[article.index("<h1>") : article.index("</body>")]
    expected = parse_release(page("", body))
    assert expected.title == ARTICLE_TITLE
    assert len(expected.body.replace(" ", "")) > 600  # the article's prose: more than a header ever holds
    for wrapper in ('<div id="nav-and-content">', '<div class="sidebar-layout">'):
        release = parse_release(page("", f"{wrapper}{body}</div>"))
        assert (release.title, release.body) == (expected.title, expected.body), wrapper
    # The page itself is no menu, whatever its class says, however short its article.
    menu_open = f'<html class="menu-open"><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</html>'  # no <head> or <body>
    assert parse_release(menu_open).body.split("\n") == ARTICLE_TEXT
    logo = '<div id="header"><h1><a href="/">OSCE</a></h1>Organization for Security and Co-operation in Europe</div>'
    release = parse_release(page(logo, body))
    assert (release.title, release.body) == (expected.title, expected.body)


def test_an_articles_own_list_of_its_fields_is_no_menu_though_it_is_links():
    fields = "".join(f'<li><a href="/f{i}">{name}</a></li>' for i, name in enumerate(field_names()[9:14]))
    header = f"<ul><li>Date: 18 September 2015</li></ul><ul><li>Fields of work:</li>{fields}</ul>"
    release = parse_release(page("", f"<p>Press release</p><h1>{ARTICLE_TITLE}</h1>{header}{ARTICLE}"))
    assert release.title == ARTICLE_TITLE and release.body.split("\n") == ARTICLE_TEXT
    assert release.fields == (
        "Elections",
        "Environmental activities",
        "Gender equality",
        "Good governance",
        "Human rights",
    )


def test_a_line_break_in_the_markup_between_inline_elements_is_a_space():
    body = (
        '<p>The <a href="/odihr">ODIHR</a>\n<a href="/observers">observers</a> met in\n<b>Bishkek</b>\n'
        "<i>on Monday</i>.</p>\n<p>Polls\nclose at 19:00.</p>"
    )
    assert html_text(page("", body)) == "The ODIHR observers met in Bishkek on Monday.\nPolls close at 19:00."
