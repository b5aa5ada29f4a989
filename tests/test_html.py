"""An HTML page is read as its article: no menu, however it is marked up, and the right title."""

import pytest

from classifier.bundle.storage import load_model
from classifier.corpus.html import HtmlPage, html_page, html_text
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


def test_the_text_is_the_lead_the_title_and_the_text_one_line_each():
    body = f"<main><p>Press release</p><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</main>"
    assert html_text(page("", body)) == "\n".join(["Press release", ARTICLE_TITLE] + ARTICLE_TEXT)
    assert html_page(page("", body)) == HtmlPage(ARTICLE_TITLE, True, ["Press release"], "\n".join(ARTICLE_TEXT))
    # A page that is only its heading has no empty line after it.
    assert html_text(page("", f"<h1>{ARTICLE_TITLE}</h1>")) == ARTICLE_TITLE
    # Without an <h1> the title is the page's, and the text is every line.
    no_h1 = html_page(page("", ARTICLE, "Observers open a mission | OSCE"))
    assert no_h1 == HtmlPage("Observers open a mission", False, [], "\n".join(ARTICLE_TEXT))
    assert no_h1.heading is False


def test_a_line_break_in_the_markup_between_inline_elements_is_a_space():
    body = (
        '<p>The <a href="/odihr">ODIHR</a>\n<a href="/observers">observers</a> met in\n<b>Bishkek</b>\n'
        "<i>on Monday</i>.</p>\n<p>Polls\nclose at 19:00.</p>"
    )
    assert html_text(page("", body)) == "The ODIHR observers met in Bishkek on Monday.\nPolls close at 19:00."


def test_an_image_in_a_sentence_is_no_line_break_and_xhtml_self_closed_tags_are_read():
    body = (
        '<div id="sidebar"/><a name="top"/><p>The mission<img src="/flags/kg.png" alt=""> deployed observers.<br/>'
        'They arrive on Monday.<br />Polls close at 19:00.<a id="end"></a></p>'
    )
    assert html_page(page("", body, "Vote | OSCE")) == HtmlPage(
        "Vote", False, [], "The mission deployed observers.\nThey arrive on Monday.\nPolls close at 19:00."
    )


def test_only_a_chrome_name_a_chrome_role_or_a_hidden_mark_makes_a_block_chrome():
    body = (
        '<div aria-hidden="true">Share on Facebook</div>'
        f'<div class="banner" aria-hidden="false"><h1>{ARTICLE_TITLE}</h1></div>'
        '<div class="page has-sidebar" data-expanded="true"><table><tr><td valign="top" nowrap>'
        f'<p class="lead">{ARTICLE_TEXT[0]}</p>'
        '<p>See the <a href="/odihr/elections/menu-of-reports">earlier reports</a>.</p>'
        "</td></tr></table></div>"
    )
    expected = HtmlPage(ARTICLE_TITLE, True, [], f"{ARTICLE_TEXT[0]}\nSee the earlier reports.")
    assert html_page(page("", body)) == expected


@pytest.mark.parametrize("article", ["article", "main"])
def test_a_header_inside_the_article_or_main_holds_its_title_and_date(article):
    own = f'<div class="article-header"><h1>{ARTICLE_TITLE}</h1><p>18 September 2015</p></div>'
    for header in (own, f"<header><h1>{ARTICLE_TITLE}</h1><p>18 September 2015</p></header>"):
        body = f'<div class="header">OSCE</div><{article}>{header}{ARTICLE}</{article}>'
        expected = HtmlPage(ARTICLE_TITLE, True, [], "\n".join(["18 September 2015"] + ARTICLE_TEXT))
        assert html_page(page("", body)) == expected, header


@pytest.mark.parametrize(
    "title, expected",
    [
        # After a dash, a name of up to eight words with "OSCE" in it is the site's; a longer phrase is the title's.
        (
            "Observers open a mission - OSCE Office for Democratic Institutions and Human Rights",
            "Observers open a mission",
        ),
        (
            "Elections in Kyrgyzstan - what the OSCE observers will watch on election day",
            "Elections in Kyrgyzstan - what the OSCE observers will watch on election day",
        ),
        # After a bar, up to four words are the site's name.
        ("Kyrgyzstan votes | observers watch polling stations", "Kyrgyzstan votes"),
        (
            "Kyrgyzstan votes | observers watch the polling stations",
            "Kyrgyzstan votes | observers watch the polling stations",
        ),
        # A bare "<" (malformed markup) is part of the title.
        ("Turnout < 50% in the vote | OSCE", "Turnout < 50% in the vote"),
    ],
)
def test_the_sites_name_is_cut_from_the_title_by_its_length(title, expected):
    assert html_page(page("", ARTICLE, title)) == HtmlPage(expected, False, [], "\n".join(ARTICLE_TEXT))


SITE_NAME = '<meta property="og:site_name" content="Election Watch">'


@pytest.mark.parametrize(
    "metas, expected",
    [
        # Other meta tags name no site.
        ('<meta name="viewport" content="width=device-width">' + SITE_NAME, "Vote counted"),
        # A site name without content is none; the first one given counts.
        ('<meta property="og:site_name">', "Vote counted - Election Watch"),
        ('<meta property="og:site_name">' + SITE_NAME, "Vote counted"),
        ('<meta property="og:site_name" content="">' + SITE_NAME, "Vote counted"),
        (SITE_NAME + '<meta property="og:site_name" content="Archive">', "Vote counted"),
    ],
)
def test_the_site_name_is_the_first_og_site_name_with_content(metas, expected):
    html = f"<html><head>{metas}<title>Vote counted - Election Watch</title></head><body>{ARTICLE}</body></html>"
    assert html_page(html) == HtmlPage(expected, False, [], "\n".join(ARTICLE_TEXT))


def test_the_title_is_the_title_elements_text_alone():
    html = (
        "<!DOCTYPE html>\n<html>\n<head>\n<script>window.dataLayer = [];</script>\n<title>Vote counted</title>"
        "</head><body>Observers <b>watched</b> the count.</body></html>"
    )
    assert html_page(html) == HtmlPage("Vote counted", False, [], "Observers watched the count.")


def test_a_page_saved_without_its_html_element_and_cut_short_in_its_footer():
    html = (
        "<head><title>Border guards meet | OSCE</title><body><h1>Border guards meet</h1>"
        '<p>Border guards met in Osh.</p><div id="footer">Migration | Cyber/ICT Security | Cookies'
    )
    assert html_page(html) == HtmlPage("Border guards meet", True, [], "Border guards met in Osh.")
    release = parse_release(html)
    assert (release.title, release.body) == ("Border guards meet", "Border guards met in Osh.")


LINK_LINE = '<a href="/a">Arms control</a> | <a href="/m">Migration</a> | <a href="/c">Cyber/ICT Security</a>'


@pytest.mark.parametrize("menu", [f"<p>{LINK_LINE}", f'<p><font size="2">{LINK_LINE}'])
def test_a_paragraph_left_open_ends_where_the_next_one_starts(menu):
    # Older pages leave <p> open: the line of links is a paragraph of its own, and a menu.
    html = f"<body>{menu}<p>{ARTICLE_TEXT[0]}<p>{ARTICLE_TEXT[1]}</body>"
    assert html_page(html) == HtmlPage("", False, [], "\n".join(ARTICLE_TEXT))


@pytest.mark.parametrize("depth, closed", [(63, True), (64, False)])
def test_an_element_left_open_is_looked_for_64_levels_down(depth, closed):
    # Looking no deeper keeps hostile nesting linear: a <p> under 64 open elements is not ended by the next.
    html = f"<body><p>{LINK_LINE}{'<span>' * depth}<p>{ARTICLE_TEXT[0]}</body>"
    links = [] if closed else ["Arms control | Migration | Cyber/ICT Security"]
    assert html_page(html) == HtmlPage("", False, [], "\n".join(links + ARTICLE_TEXT[:1]))


def test_an_end_tag_closes_its_element_however_the_blocks_nest_or_are_left_open():
    for chrome in (
        f'<div id="menu"><div class="inner"><ul>{LINKS}</ul></div></div>',
        '<div class="breadcrumb"><a href="/">Home</a> &gt; <span>News</div>',  # the <span> left open
    ):
        assert html_page(page(chrome)) == HtmlPage(ARTICLE_TITLE, True, [], "\n".join(ARTICLE_TEXT)), chrome


def test_stray_end_tags_under_deep_open_elements_are_read_past():
    """20,000 end tags of an element not open, under 20,000 open ones: each is dropped without walking down the open
    elements (a walk per tag takes minutes here, which the mutation run's time limit catches; no timing is asserted)."""
    html = f"<html><body><span></span>{'<div>' * 20000}{'</span>' * 20000}<p>Observers met.</p></body></html>"
    assert html_page(html) == HtmlPage("", False, [], "Observers met.")


def test_a_wrapper_of_the_article_at_any_depth_is_no_chrome_and_an_empty_main_no_article():
    for body in (
        f'<div class="nav-open"><div class="container"><main><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</main></div></div>',
        f'<div class="nav-open"><article><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</article></div>',
        f'<main id="app"></main><article><h1>{ARTICLE_TITLE}</h1>{ARTICLE}</article>',
    ):
        assert html_page(page("", body)) == HtmlPage(ARTICLE_TITLE, True, [], "\n".join(ARTICLE_TEXT)), body


def test_links_without_text_count_for_no_link_and_a_one_letter_link_counts():
    # An article's attachments: an icon link and two named ones are no menu ...
    files = (
        '<p><a href="/files/report.pdf"><img src="/icons/pdf.png" alt=""></a> '
        '<a href="/files/report.pdf">Final report</a> | <a href="/files/annex.pdf">Annex</a></p>'
    )
    # ... while pages numbered 1 to 3 are.
    pages = '<div class="pager"><a href="?page=1">1</a> <a href="?page=2">2</a> <a href="?page=3">3</a></div>'
    body = f"<h1>{ARTICLE_TITLE}</h1>{ARTICLE}{files}{pages}"
    assert html_page(page("", body)) == HtmlPage(
        ARTICLE_TITLE, True, [], "\n".join(ARTICLE_TEXT + ["Final report | Annex"])
    )


def test_a_block_is_a_link_list_from_80_percent_of_its_letters_in_three_links():
    # "Share:" is 6 letters, the links 24: exactly 80%.
    share = '<p>Share: <a href="/fb">Facebook</a> <a href="/ig">Instagram</a> <a href="/tw">Twitter</a></p>'
    prose = (
        '<p>The <a href="/odihr">ODIHR</a> deployed <a href="/observers">observers</a> to '
        '<a href="/kg">Kyrgyzstan</a> for the vote.</p>'
    )
    body = f"<h1>{ARTICLE_TITLE}</h1>{prose}{share}"
    assert html_page(page("", body)) == HtmlPage(
        ARTICLE_TITLE, True, [], "The ODIHR deployed observers to Kyrgyzstan for the vote."
    )


def test_a_sidebar_with_an_h1_and_link_headlines_is_chrome_and_600_letters_of_prose_hold_an_article():
    headlines = "".join(
        f'<p><a href="/news/{i}">Observers publish their interim report on the vote in Kyrgyzstan</a><br>'
        f"Published on {i} May 2015</p>"
        for i in range(10, 20)
    )
    # 550 letters in links, 211 outside them: no list of links, and too little prose for an article.
    sidebar = f'<div id="sidebar"><h1>Related news</h1>{headlines}</div>'
    assert html_page(page(sidebar, title="Vote | OSCE")).title == ARTICLE_TITLE
    # "Observers watched the count." is 25 letters (white space is not counted): the heading and 23 of them are
    # 600 letters, which hold an article; one letter fewer does not.
    sentence = "Observers watched the count."
    for kept in (True, False):
        prose = " ".join([sentence] * 22 + [sentence if kept else sentence[:-1]])
        html = page("", f'<div id="nav-and-content"><h1>{sentence}</h1><p>{prose}</p></div>', "Vote | OSCE")
        expected = HtmlPage(sentence, True, [], prose) if kept else HtmlPage("Vote", False, [], "")
        assert html_page(html) == expected


@pytest.mark.parametrize("items", [98, 99])
def test_an_articles_list_of_fields_is_looked_for_in_its_first_100_elements(items):
    # The <ul>, then its items from the last: with 98 fields "Fields of work:" is the 100th element looked at.
    fields = "".join(f'<li><a href="/f{i}">Field {i}</a></li>' for i in range(items))
    html = page("", f"<h1>{ARTICLE_TITLE}</h1><ul><li>Fields of work:</li>{fields}</ul>")
    listed = ["- Fields of work:"] + [f"- Field {i}" for i in range(items)] if items == 98 else []
    assert html_page(html) == HtmlPage(ARTICLE_TITLE, True, [], "\n".join(listed))


def test_a_menus_own_heading_or_link_naming_fields_makes_it_no_list_of_the_articles_fields():
    for menu in (
        f'<ul><li class="menu-heading">What we do:</li>{LINKS}</ul>',
        f'<ul><li><a href="/what-we-do">What we do: an overview</a></li>{LINKS}</ul>',
    ):
        assert html_page(page(menu)) == HtmlPage(ARTICLE_TITLE, True, [], "\n".join(ARTICLE_TEXT)), menu


def test_the_first_of_two_articles_as_long_is_the_article_and_a_second_h1_is_a_line():
    first = "<article><h1>Observers arrive in Skopje</h1><p>They meet the authorities.</p></article>"
    second = "<article><h1>Observers arrive in Warsaw</h1><p>They meet the authorities.</p></article>"
    assert html_page(page("", first + second)) == HtmlPage(
        "Observers arrive in Skopje", True, [], "They meet the authorities."
    )
    background = "<h1>Background</h1><p>Kyrgyzstan joined the OSCE in 1992.</p>"
    body = f"<main><h1>{ARTICLE_TITLE}</h1>{ARTICLE}{background}</main>"
    assert html_page(page("", body)) == HtmlPage(
        ARTICLE_TITLE, True, [], "\n".join(ARTICLE_TEXT + ["Background", "Kyrgyzstan joined the OSCE in 1992."])
    )
