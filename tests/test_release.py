import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from classifier.corpus.release import one_plain_line, parse_release

import hostile
from conftest import FIXTURES, ROOT, SEED_ELECTIONS, SEED_UNTAGGED, collapsed_forms, needs_seeds, pages_with_menus

# The site's menus with their line breaks collapsed, as a table cell holds them.
MENUS = " ".join((ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8").split())
MENUS = MENUS[: MENUS.index(" Press release ")]


def menu_only_words(menu_lines, body_words):
    """Menu entries (fields, countries, offices) whose words never occur in the article itself."""
    return [line[2:] for line in menu_lines if line.startswith("- ") and line[2:].lower() not in body_words]


@needs_seeds
def test_seed_004_elections_page():
    release = parse_release(SEED_ELECTIONS.read_text(encoding="utf-8"))
    assert release.title == "OSCE Chairman urges Kosovo Serbs to take part in October elections"
    assert release.fields == ("Elections",)
    assert release.date == dt.date(2004, 9, 23)
    assert release.place == "NEW YORK"
    assert release.source == ("OSCE Chairpersonship", "OSCE Mission in Kosovo")
    assert release.content_type == "Press release"
    # The page repeats its five paragraphs after the first five: each is kept once.
    assert release.dropped_repeats == 5
    assert len(release.body.split("\n")) == 6
    assert release.body.count("It is essential that all sections") == 1


@needs_seeds
def test_seed_000_untagged_page_body_starts_at_dateline():
    release = parse_release(SEED_UNTAGGED.read_text(encoding="utf-8"))
    assert release.fields == ()
    assert release.date == dt.date(2019, 6, 21)
    assert release.body.startswith("PRISHTINË/PRIŠTINA, 21 June 2019 – The OSCE Chairperson-in-Office")
    assert release.source == ("OSCE Chairpersonship",)
    assert release.title.startswith("OSCE Chairperson Lajčák wraps up trip")


@needs_seeds
def test_no_menu_entry_reaches_the_model_text(menu_lines):
    for seed in (SEED_ELECTIONS, SEED_UNTAGGED):
        page = seed.read_text(encoding="utf-8")
        article = parse_release(page).model_text.lower()
        # The page as it is, and with its line breaks collapsed (a table cell, a scraper's text).
        for form, variant in {"the page": page, **collapsed_forms(page)}.items():
            text = parse_release(variant).model_text
            for entry in (
                "Liechtenstein",
                "Andorra",
                "Court of Conciliation and Arbitration",
                "Roma and Sinti",
                "Cyber/ICT Security",
                "Arms control",
                "Documentation Centre in Prague",
                "Summit meetings",
            ):
                assert entry not in text, (seed.name, form)
            assert not any(line in ("-", "Our work", "Fields of work") for line in text.splitlines())
            # Not one country, office, meeting or field named by the menus and not by the article itself.
            reached = [entry for entry in menu_only_words(menu_lines, article) if entry.lower() in text.lower()]
            assert reached == [], (seed.name, form)


def test_fixture_with_two_fields_header_date_and_repeat():
    release = parse_release((FIXTURES / "page_two_fields.txt").read_text(encoding="utf-8"))
    assert release.fields == ("Policing", "Youth")
    assert release.date == dt.date(2013, 5, 14)
    assert release.place == "DUSHANBE"
    assert release.dropped_repeats == 1
    assert release.body.count("community policing approach") == 1
    assert "Arms control" not in release.model_text


def test_subtopics_map_to_their_field_and_unknown_fields_are_kept_apart():
    release = parse_release((FIXTURES / "page_subtopic.txt").read_text(encoding="utf-8"))
    assert release.content_type == "News"
    assert release.fields == ("Environmental activities",)
    assert release.unknown_fields == ("Tourism",)
    assert release.date == dt.date(2018, 7, 12)
    assert release.place == "ALMATY"


def test_plain_text_short_first_line_is_title():
    release = parse_release((FIXTURES / "plain.txt").read_text(encoding="utf-8"))
    assert release.title == "Parliament adopts new law on the judiciary"
    assert release.body.startswith("The new law sets up an independent council")
    assert release.fields == () and not release.had_menus


def test_plain_text_single_paragraph_is_all_body():
    text = "The mission trained forty judges on fair trial standards in criminal cases."
    release = parse_release(text)
    assert release.title == "" and release.body == text and release.model_text == text


def test_plain_text_leading_bullets_are_not_taken_for_menus():
    release = parse_release("- Border guards trained\n- Customs officers trained\nBoth groups met in Osh.")
    assert "Border guards trained" in release.model_text


def test_windows_line_endings_and_nul_bytes():
    page = (FIXTURES / "page_two_fields.txt").read_text(encoding="utf-8").replace("\n", "\r\n") + "\x00"
    release = parse_release(page)
    assert release.fields == ("Policing", "Youth")
    assert "\r" not in release.body and "\x00" not in release.body


def test_to_dict_is_json_ready():
    d = parse_release((FIXTURES / "page_two_fields.txt").read_text(encoding="utf-8")).to_dict()
    assert d["date"] == "2013-05-14" and d["fields"] == ["Policing", "Youth"]
    assert re.match(r"^The OSCE office in Dushanbe", d["body"])


@given(hostile.pages)
@example("-\n-\n- Elections\n")  # menus and nothing else
@example("Body without menus or a title line.")
@example("-\r\nFields of work\r- Policing\nPress release\n\x00Title\n- Date: 31 February 2020\nText.")
@example("Observers\u200b met\ud800 in Kyiv")  # a lone surrogate (JSON's "\ud800") beside a format character
def test_any_text_parses_into_a_release(text):
    release = parse_release(text)
    assert isinstance(release.title, str) and isinstance(release.body, str)
    assert "\n" not in release.title and "\x00" not in release.model_text
    # Every body paragraph comes from the input (less its invisible format characters, a byte order mark among
    # them), none from the menus skipped. A NUL reads as a space between words, the spaces and tabs beside it
    # folded into it.
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    lines = {
        line.strip()
        for line in re.sub("[ \t]*\x00+[ \t]*", " ", visible).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    }
    assert set(release.body.split("\n")) <= lines | {""}


# Every header form the site uses, pinned line by line.


BODY = "The OSCE office hosted a forum on community policing.\nStudents and police officers took part."


def page(*header, title="Forum on community policing", body=BODY, content_type="Press release"):
    return "\n".join(([content_type] if content_type else []) + [title, *header, body])


@pytest.mark.parametrize(
    "header",
    [
        ["- Date:", "- 14 May 2013", "- Place:", "- DUSHANBE"],  # the site's form: key and value on dash lines
        ["- Date: 14 May 2013", "- Place: DUSHANBE"],  # key and value on one dash line
        ["Date: 14 May 2013", "Place: DUSHANBE"],  # no dash
        ["Date:", "- 14 May 2013", "Place:", "- DUSHANBE"],  # no dash on the key, dash on the value
        ["-  date :  14 May 2013", "PLACE:DUSHANBE"],  # case and spacing variants
        ["- Date:", "-", "- 14 May 2013", "- Place:", "- DUSHANBE"],  # a lone dash inside the header
    ],
)
def test_every_header_form_gives_date_and_place(header):
    release = parse_release(page(*header))
    assert release.title == "Forum on community policing"
    assert release.date == dt.date(2013, 5, 14)
    assert release.place == "DUSHANBE"
    assert release.body == BODY


@pytest.mark.parametrize("with_type", [True, False])
def test_a_header_line_after_the_first_line_makes_it_the_title(with_type):
    # Even a first line that reads like a sentence is the title when the header follows it.
    release = parse_release(
        page("Date: 14 May 2013", title="A forum was held.", content_type="News" if with_type else None)
    )
    assert release.title == "A forum was held." and release.date == dt.date(2013, 5, 14)
    assert release.content_type == ("News" if with_type else None)
    assert release.body == BODY


def test_source_and_fields_lists_in_every_form():
    release = parse_release(
        page(
            "- Source:",
            "- OSCE Programme Office in Dushanbe",
            "- OSCE Chairpersonship, OSCE Programme Office in Dushanbe",
            "Fields of work: Policing, youth",
            "- What we do:",
            "- Policing",
            "- Rule of law",
        )
    )
    assert release.source == ("OSCE Programme Office in Dushanbe", "OSCE Chairpersonship")
    assert release.fields == ("Policing", "Youth", "Rule of law")
    assert release.unknown_fields == ()
    assert release.body == BODY


def test_several_places_are_joined():
    release = parse_release(page("- Place:", "- VIENNA", "- WARSAW"))
    assert release.place == "VIENNA, WARSAW"


DATELINE_BODY = "VIENNA, 3 June 2014 – The OSCE opened a training course for border guards.\nIt lasts a week."


def test_the_header_wins_over_the_dateline_for_date_and_place():
    release = parse_release(page("- Date:", "- 14 May 2013", "- Place:", "- DUSHANBE", body=DATELINE_BODY))
    assert (release.date, release.place) == (dt.date(2013, 5, 14), "DUSHANBE")
    assert release.body == DATELINE_BODY  # the dateline stays in the text


def test_the_dateline_fills_in_what_the_header_lacks():
    only_date = parse_release(page("- Date:", "- 14 May 2013", "- Place:", body=DATELINE_BODY))
    assert (only_date.date, only_date.place) == (dt.date(2013, 5, 14), "VIENNA")
    only_place = parse_release(page("- Date:", "- Place:", "- DUSHANBE", body=DATELINE_BODY))
    assert (only_place.date, only_place.place) == (dt.date(2014, 6, 3), "DUSHANBE")
    unreadable_date = parse_release(page("- Date: some day in spring", body=DATELINE_BODY))
    assert (unreadable_date.date, unreadable_date.place) == (dt.date(2014, 6, 3), "VIENNA")
    no_header = parse_release("Border course opens\n" + DATELINE_BODY)
    assert (no_header.date, no_header.place) == (dt.date(2014, 6, 3), "VIENNA")


@pytest.mark.parametrize(
    "line, place, date",
    [
        ("BISHKEK, 4 March 2019 - Text follows.", "BISHKEK", dt.date(2019, 3, 4)),
        ("BISHKEK, 4 March 2019: Text follows.", "BISHKEK", dt.date(2019, 3, 4)),
        ("BISHKEK, 04 march 2019 — Text follows.", "BISHKEK", dt.date(2019, 3, 4)),
        ("The Hague,  12 December 2001 –Text follows.", "The Hague", dt.date(2001, 12, 12)),
        ("PRISHTINË/PRIŠTINA, 21 June 2019 – Text.", "PRISHTINË/PRIŠTINA", dt.date(2019, 6, 21)),
    ],
)
def test_dateline_forms(line, place, date):
    release = parse_release("A title\n" + line)
    assert (release.place, release.date) == (place, date)


@pytest.mark.parametrize(
    "line",
    [
        "On 4 March 2019 the mission opened an office.",  # a date inside a sentence is no dateline
        "B, 4 March 2019 – one letter is no place.",
        "BISHKEK, 4 March 2019 and then more.",  # no dash or colon after the date
        "BISHKEK, March 4 2019 – month first.",
    ],
)
def test_lines_that_are_not_datelines(line):
    release = parse_release("A title\n" + line)
    assert (release.place, release.date) == (None, None)


@pytest.mark.parametrize(
    "value, date",
    [
        ("2019-03-04", dt.date(2019, 3, 4)),  # ISO: year, month, day; never day and month swapped
        ("2019-12-01", dt.date(2019, 12, 1)),
        ("published on 2019-03-04", dt.date(2019, 3, 4)),
        ("4 March 2019", dt.date(2019, 3, 4)),  # written: day, month name, year
        ("04 MARCH 2019", dt.date(2019, 3, 4)),
        ("Monday, 1 september 2008", dt.date(2008, 9, 1)),
        ("2019-03-04 (4 April 2019)", dt.date(2019, 3, 4)),  # the ISO date is read first
        ("31 February 2020", None),
        ("2019-13-01", None),
        ("2019-02-30 or 3 March 2019", None),  # an impossible ISO date is not replaced by another
        ("March 2019", None),
        ("", None),
    ],
)
def test_header_dates_iso_and_written(value, date):
    release = parse_release(page(f"- Date: {value}" if value else "- Date:"))
    assert release.date == date


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_end_ends_a_line(newline):
    text = page("- Date:", "- 14 May 2013", "- Place:", "- DUSHANBE").replace("\n", newline)
    release = parse_release(text)
    assert release.title == "Forum on community policing"
    assert (release.date, release.place) == (dt.date(2013, 5, 14), "DUSHANBE")
    assert release.body == BODY and release.body.count("\n") == 1


def test_mixed_line_ends_and_nul_bytes_in_plain_text():
    release = parse_release("Title line\r\nFirst para.\rSecond\x00 para.\nThird para.")
    assert release.title == "Title line"
    assert release.body == "First para.\nSecond para.\nThird para."


def test_a_nul_between_words_reads_as_a_space_not_as_nothing():
    """A form, a JSON string or a table cell may hold a NUL where a space was: two words stay two words."""
    release = parse_release("Observers\x00and police\n\nobservers\x00police \x00\x00\t trained")
    assert (release.title, release.body) == ("Observers and police", "observers police trained")
    release = parse_release("Title\x00line\nFirst\x00\x00para.")
    assert (release.title, release.body) == ("Title line", "First para.")


def test_repeated_paragraphs_are_dropped_whatever_their_case_and_spacing():
    body = "\n".join(
        [
            "The mission opened an office.",
            "the MISSION opened an office.",
            "  The   mission\topened an office.  ",
            "The mission opened an office",  # no full stop: a different paragraph
            "Another paragraph.",
            "",
            "ANOTHER PARAGRAPH.",
        ]
    )
    release = parse_release("A title\n" + body)
    assert release.body == "The mission opened an office.\nThe mission opened an office\nAnother paragraph."
    assert release.dropped_repeats == 3


@pytest.mark.parametrize(
    "text, title",
    [
        ("Short title\nBody.", "Short title"),
        ("Ends with a full stop.\nBody.", ""),
        ("Ends with a colon:\nBody.", ""),
        ("Ends with a semicolon;\nBody.", ""),
        ("Ends with a comma,\nBody.", ""),
        ("T" * 200 + "\nBody.", "T" * 200),
        ("T" * 201 + "\nBody.", ""),
        ("\n\n  Leading blank lines  \nBody.", "Leading blank lines"),
    ],
)
def test_plain_text_title_rules(text, title):
    release = parse_release(text)
    assert release.title == title
    assert release.model_text == (
        f"{title}\nBody." if title else text.strip().replace("\n\n  ", "").replace("  \n", "\n")
    )


def test_plain_title_false_keeps_the_first_line_in_the_body():
    release = parse_release("Short title\nBody.", plain_title=False)
    assert (release.title, release.body) == ("", "Short title\nBody.")
    # A header after the first line still makes it the title.
    assert parse_release("Short title\nDate: 4 March 2019\nBody.", plain_title=False).title == "Short title"


@pytest.mark.parametrize(
    "content_type", ["Press release", "NEWS", "feature", "Statement", "Speech", "Report", "Story", "Op-ed", "Interview"]
)
def test_content_type_lines_are_read_and_the_next_line_is_the_title(content_type):
    release = parse_release(f"{content_type}\nA title ending in a full stop.\nBody.")
    assert (release.content_type, release.title, release.body) == (
        content_type,
        "A title ending in a full stop.",
        "Body.",
    )


def test_after_menus_the_first_line_is_the_title():
    release = parse_release(
        "-\nFields of work\n- Policing\n- Youth\n-\nCountries\n- Albania\nA sentence as title.\nBody."
    )
    assert release.had_menus
    assert (release.title, release.body) == ("A sentence as title.", "Body.")


def test_a_page_without_a_fields_block_has_no_fields_and_a_header_ends_at_the_first_other_line():
    release = parse_release(page("- Date: 14 May 2013", body="- a bullet of the body\nText."))
    # The bullet belongs to the Date key (a value line), as on the site; the body starts after it.
    assert release.fields == () and release.body == "Text."
    # A fields block that ends the page (its tags below the text) is the page's fields, and no text of its.
    release = parse_release(page("- Date: 14 May 2013", body="Text.\n- Fields of work: Policing"))
    assert release.fields == ("Policing",) and release.body == "Text."
    release = parse_release(page("- Date: 14 May 2013", body="Text.\nFields of work:\n- Youth\n- Policing\n\n"))
    assert release.fields == ("Youth", "Policing") and release.body == "Text."
    # One in the middle of the text is text; the header above wins over one below.
    release = parse_release(page("- Date: 14 May 2013", body="Text.\n- Fields of work: Policing\nMore text."))
    assert release.fields == () and release.body == "Text.\n- Fields of work: Policing\nMore text."
    release = parse_release(page("- Fields of work: Youth", body="Text.\n- Fields of work: Policing"))
    assert release.fields == ("Youth",) and release.body == "Text."
    # Its key on a line of its own, values on the lines after, one blank line or none after them.
    for end in ("", "\n"):
        release = parse_release(page("- Date: 14 May 2013", body="Text.\n- Fields of work:\n- Youth\n- Policing" + end))
        assert release.fields == ("Youth", "Policing") and release.body == "Text."
        release = parse_release(page("- Date: 14 May 2013", body="Text.\n- Fields of work:\n- Policing" + end))
        assert release.fields == ("Policing",) and release.body == "Text."


def without_dashes(text: str) -> str:
    """A page as a browser's copy gives it: its menus and header without the scrape's dashes ("- Date:" is "Date:",
    "- Elections" is "Elections", a lone "-" is gone)."""
    lines = [line[2:] if line.startswith("- ") else line for line in text.split("\n")]
    return "\n".join(line for line in lines if line != "-")


@needs_seeds
@pytest.mark.parametrize("seed", [SEED_ELECTIONS, SEED_UNTAGGED])
def test_a_page_copied_without_dashes_reads_as_the_scraped_page(seed):
    """Copied from a browser, a page's header is `Date:`, `Place:`, `Source:` and `Fields of work:` each alone on its
    line, its values on the lines after: they were read as the text's first lines, so the page's fields reached the
    model as words ("Fields of work: Elections") and the page had no fields, date, place or source."""
    scraped = seed.read_text(encoding="utf-8")
    copied = parse_release(without_dashes(scraped))
    assert "- Date:" in scraped and "\nDate:\n" in without_dashes(scraped)
    assert copied == parse_release(scraped)
    assert "Source" not in copied.body and "Fields of work" not in copied.body


def test_a_header_without_dashes_takes_one_value_a_key_and_fields_a_line_each():
    release = parse_release(
        page(
            "Date:",
            "14 May 2013",
            "Place:",
            "DUSHANBE",
            "Source:",
            "OSCE Programme Office in Dushanbe",
            "Fields of work:",
            "Policing",
            "youth, Rule of law",
        )
    )
    assert (release.date, release.place) == (dt.date(2013, 5, 14), "DUSHANBE")
    assert release.source == ("OSCE Programme Office in Dushanbe",)
    assert release.fields == ("Policing", "Youth", "Rule of law") and release.body == BODY
    # A key's one value: the short line after it is the text's (a heading), and so is a line that names no field
    # after the fields (their last line is known only as the first that is not one).
    release = parse_release(page("Source:", "OSCE Secretariat", "Background", body="The report covers 2013."))
    assert release.source == ("OSCE Secretariat",) and release.body == "Background\nThe report covers 2013."
    release = parse_release(page("Fields of work:", "Policing", "Background", body="The report covers 2013."))
    assert release.fields == ("Policing",) and release.unknown_fields == ()
    assert release.body == "Background\nThe report covers 2013."
    # A sentence after a key is the text: the key had no value.
    release = parse_release(page("Place:", body="Officers from five regions met in Dushanbe."))
    assert release.place is None and release.body == "Officers from five regions met in Dushanbe."
    # At the end of the text too.
    release = parse_release(page("Date: 14 May 2013", body="Text.\nFields of work:\nYouth\nPolicing"))
    assert release.fields == ("Youth", "Policing") and release.body == "Text."
    # A dashed key takes dashed values only: the text's short first line is the text's.
    release = parse_release(page("- Date:", body="Background\nThe report covers 2013."))
    assert release.date is None and release.body == "Background\nThe report covers 2013."
    # A key with no value, then menus: a lone dash opens a menu, which is no value and no text.
    release = parse_release(page("Place:", body="-\nWhere we are\n- Vienna\n- Skopje\n- Tirana"))
    assert release.place is None and release.body == ""


def test_menus_below_the_article_are_no_text_of_it():
    menus = "-\nFields of work\n- Policing\n- Youth\n-\nCountries\n- Albania\n"
    release = parse_release(page("- Date: 14 May 2013", body="Text.\nMore text.\n" + menus))
    assert (release.body, release.had_menus) == ("Text.\nMore text.", True)
    # A list closing the text is the text's, and so is one too short to be menus.
    listed = "Text.\n-\nSteps taken\n- training\n- visits"
    assert parse_release(page("- Date: 14 May 2013", body=listed)).body == listed
    plain = "Text.\n- one\n- two\n- three"
    assert parse_release(page("- Date: 14 May 2013", body=plain)).body == plain


def test_to_dict_has_every_key():
    release = parse_release(page("- Date: 2019-03-04", "- Source: OSCE", "- Fields of work: Tourism, Policing"))
    assert release.to_dict() == {
        "title": "Forum on community policing",
        "date": "2019-03-04",
        "place": None,
        "source": ["OSCE"],
        "fields": ["Policing"],
        "unknown_fields": ["Tourism"],
        "content_type": "Press release",
        "body": BODY,
    }
    assert parse_release("Body only.").to_dict()["date"] is None


def test_menu_groups_in_page_order_with_their_items():
    from classifier.corpus.release import menu_groups

    text = "\r\n".join(
        [
            "-",
            "Our work",
            "-",
            "Fields of work",
            "- Arms control",
            "-  Border management ",
            "- Field operations",
            "-",
            "Countries",
            "- All",
            "",
            "- Albania",
            "Press release",
            "Title",
            "- Date: 4 March 2019",
            "- Not a menu item",
        ]
    )
    assert menu_groups(text) == [
        ("Our work", []),
        ("Fields of work", ["Arms control", "Border management", "Field operations"]),
        ("Countries", ["All", "Albania"]),
    ]
    assert menu_groups("Plain text\n- a bullet") == []
    assert menu_groups("-\r- Policing\r-\rFields of work\r- Youth") == [("Fields of work", ["Youth"])]


def test_a_page_of_one_menu_dash_has_menus_and_nothing_else():
    release = parse_release("-")
    assert release.had_menus and (release.title, release.body) == ("", "")
    assert not parse_release("Title\nBody.").had_menus


def test_a_two_line_text_with_a_header_reads_its_title_even_without_plain_titles():
    release = parse_release("A title.\n- Date: 4 March 2019", plain_title=False)
    assert (release.title, release.date, release.body) == ("A title.", dt.date(2019, 3, 4), "")


def test_a_date_split_over_two_value_lines():
    assert parse_release(page("- Date:", "- 14 May", "- 2013")).date == dt.date(2013, 5, 14)


def test_a_one_letter_first_line_is_a_title():
    assert parse_release("A\nBody.").title == "A"


def test_a_blank_line_after_the_menus_loses_nothing():
    release = parse_release("-\nFields of work\n- Policing\n\nPress release\nA title.\nBody.")
    assert (release.content_type, release.title, release.body) == ("Press release", "A title.", "Body.")


def test_fields_are_read_with_the_taxonomy_given(tmp_path):
    import yaml

    from classifier.taxonomy.fields import Taxonomy

    from conftest import ROOT

    data = yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))
    (entry,) = [entry for entry in data["fields"] if entry["name"] == "Policing"]
    entry["aliases"] = [*entry.get("aliases", []), "Police work"]
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    text = page("- Fields of work:", "- Police work")
    assert parse_release(text).unknown_fields == ("Police work",)
    assert parse_release(text, Taxonomy.from_yaml(tmp_path / "t.yaml")).fields == ("Policing",)
    # Without dashes, a line after the key is a field only if the taxonomy given knows it; else it is the text's.
    bare = page("Fields of work:", "Police work")
    assert parse_release(bare, Taxonomy.from_yaml(tmp_path / "t.yaml")).fields == ("Policing",)
    assert parse_release(bare, Taxonomy.from_yaml(tmp_path / "t.yaml")).body == BODY
    assert parse_release(bare).fields == () and parse_release(bare).body == f"Police work\n{BODY}"


def test_leading_blank_lines_are_not_menus():
    release = parse_release("\n\n  \nA sentence, not a title.\nBody.")
    assert not release.had_menus
    assert (release.title, release.body) == ("", "A sentence, not a title.\nBody.")


def test_a_page_of_menus_only_has_no_title_and_no_body():
    release = parse_release("-\nFields of work\n- Policing\n-\nCountries")
    assert release.had_menus and (release.title, release.body) == ("", "")


@pytest.mark.parametrize(
    "text, groups",
    [
        (
            "-\nFields of work\n- Youth\n-\nCountries\nPress release\nTitle",
            [("Fields of work", ["Youth"]), ("Countries", [])],
        ),
        ("-\nFields of work\n- Youth\n-", [("Fields of work", ["Youth"])]),  # a lone dash ends the page
        ("-\nFields of work\n- Youth\n-\n\nTitle\nBody.", [("Fields of work", ["Youth"])]),  # a dash, then a blank line
        ("-\nFields of work\n\n- Youth\nTitle", [("Fields of work", ["Youth"])]),  # a blank line after a heading
        ("-\n-\nText", []),  # two dashes: no heading
    ],
)
def test_menu_groups_edges(text, groups):
    from classifier.corpus.release import menu_groups

    assert menu_groups(text) == groups


ONE_LINE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60).filter(
    lambda text: "\n" not in text and "\r" not in text
)


@given(st.one_of(ONE_LINE, st.sampled_from(["-", " News ", "Date: 3 May 2021", "- Fields of work: Elections", ""])))
@example("Vienna, 3 May 2021 - The OSCE opened a course.")
@example("  PRESS RELEASE ")  # a content type: parsed, however long the white space around it
@example("Press release on the Mission's work")
@example("\u2028 Plain text between odd white space \x85")
@example(MENUS + " Press release Talks end - Date: 3 May 2021 Talks ended.")  # a page whose lines were joined
@example("Vienna - " + MENUS + " Press release Talks end - Date: 3 May 2021 Talks ended.")
def test_a_one_line_text_skips_the_parser_and_gets_what_parsing_gives(text):
    """A table row of one plain line is not parsed (nothing in it to parse): the Release is what the parser
    would give; a line that is a menu dash, a content type or a header line is still parsed."""
    import classifier.corpus.release as release

    fast = [parse_release(text, plain_title=plain) for plain in (True, False)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(release, "one_plain_line", lambda text: "")
        assert fast == [parse_release(text, plain_title=plain) for plain in (True, False)]


@given(
    st.one_of(ONE_LINE, st.sampled_from(["-", " News ", "Date: 3 May 2021", "- Fields of work: Elections", ""])),
    st.sampled_from(["", "A title from its own column"]),
)
@example("Vienna, 3 May 2021 - The OSCE opened a course.", "")
@example("  PRESS RELEASE ", "A title")
@example(MENUS + " Press release Talks end - Date: 3 May 2021 - Fields of work: - Youth Talks ended.", "")
@example(MENUS, "A title")
def test_a_one_line_row_makes_the_document_that_parsing_makes(text, title):
    """A table row whose text is one plain line becomes its document without a Release being built: the same
    document, failure included, as parsing the line gives."""
    import classifier.corpus.documents as documents

    for labels, warning in ((("Elections",), None), (None, "table.jsonl:1: text cut at 10 characters")):
        fast = documents._from_page("row-1", text, "table.jsonl:1", title=title, labels=labels, warning=warning)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(documents, "one_plain_line", lambda text: "")
            parsed = documents._from_page("row-1", text, "table.jsonl:1", title=title, labels=labels, warning=warning)
        assert fast == parsed


@pytest.mark.parametrize("text", ["OSCE", " Talks ended. ", "News from Osh", "Statements", "- Osh", "Reporting"])
def test_a_short_line_that_is_no_content_type_header_or_lone_dash_is_one_plain_line(text):
    """Most table rows are short lines of text: they skip the parser, as long ones do."""
    assert one_plain_line(text) == text.strip()


def test_a_one_line_page_header_is_still_read():
    release = parse_release("Fields of work: Elections, Youth")
    assert release.fields == ("Elections", "Youth") and release.body == ""


def _seed_variants(page: str) -> dict[str, str]:
    """The page as scrapes other than the site's own give it: a line before the menus, the menus' first lines
    cut off, other bullets."""
    lines = page.split("\n")
    return {
        "a line before the menus": "Skip to main content\n" + page,
        "a site name and a blank line first": "OSCE\n\n" + page,
        "the first three lines cut": "\n".join(lines[3:]),
        "star bullets": "\n".join("*" if line == "-" else re.sub(r"^- ", "* ", line) for line in lines),
        "round bullets": "\n".join("•" if line == "-" else re.sub(r"^- ", "• ", line) for line in lines),
    }


@needs_seeds
def test_menus_in_other_forms_never_reach_the_model_and_the_header_is_still_read():
    for seed in (SEED_ELECTIONS, SEED_UNTAGGED):
        page = seed.read_text(encoding="utf-8")
        expected = parse_release(page)
        for name, variant in _seed_variants(page).items():
            release = parse_release(variant)
            # The same title, header and body as the page itself: no menu line, not one word of the chrome.
            assert release.model_text == expected.model_text, name
            assert (release.date, release.place, release.source, release.fields) == (
                expected.date,
                expected.place,
                expected.source,
                expected.fields,
            ), name
            assert release.content_type == "Press release" and release.had_menus, name
            assert "Skip to main content" not in release.model_text and "Liechtenstein" not in release.model_text


def test_short_lines_before_a_title_and_header_are_dropped_only_as_a_page_chrome():
    chrome = "Home\nAbout us\nNews\nContact\n"
    article = "Press release\nTraining for border guards ends\nDate: 12 May 2019\nGuards from three posts met in Osh."
    release = parse_release(chrome + article)
    assert release.title == "Training for border guards ends" and release.body == "Guards from three posts met in Osh."
    assert release.date == dt.date(2019, 5, 12)
    # A sentence before it is a text's own (an introduction, a note), not chrome: nothing is dropped.
    kept = parse_release("Read this first.\n" + chrome + article)
    assert "Read this first." in kept.model_text and "About us" in kept.model_text
    # Two short lines are not enough to call them chrome: a plain text's own first lines stay.
    assert "About us" in parse_release("Home\nAbout us\n" + article).model_text


def test_a_bullet_list_in_the_body_keeps_its_bullets():
    page = "Press release\nTitle of it\n* Date: 12 May 2019\n* Place:\n* Osh\nThe course covered:\n* searches\n• risk"
    release = parse_release(page)
    assert release.place == "Osh" and release.date == dt.date(2019, 5, 12)
    assert release.body == "The course covered:\n* searches\n• risk"


HTML_PAGE = """<!DOCTYPE html>
<html><head><title>Kosovo Serbs urged to vote | OSCE</title><style>p { color: red }</style>
<script>var menu = "Arms control";</script></head>
<body><header><a href="/">OSCE</a> <a href="#main">Skip to main content</a></header>
<nav><ul><li><a href="/arms">Arms control</a></li><li><a href="/roma">Roma and Sinti</a></li></ul></nav>
<main><p>Press release</p><h1>OSCE Chairman urges Kosovo Serbs to take part in October elections</h1>
<ul><li>Date: 23 September 2004</li><li>Place: New York</li></ul>
<p>NEW YORK, 23 September 2004 &ndash; The <b>Chairman</b> urged <a href="/k">Kosovo Serbs</a> to vote
&amp; to stand.</p>
<p>Observers will follow the
   count.<br>Polls close at 19:00.</p></main>
<aside>Related: Cyber/ICT Security</aside><footer>Migration | Gender equality | Cookies</footer></body></html>"""


def test_an_html_page_is_read_as_its_article_text():
    release = parse_release(HTML_PAGE)
    assert release.title == "OSCE Chairman urges Kosovo Serbs to take part in October elections"
    assert release.content_type == "Press release"
    assert (release.date, release.place) == (dt.date(2004, 9, 23), "New York")
    assert release.body == (
        "NEW YORK, 23 September 2004 – The Chairman urged Kosovo Serbs to vote & to stand.\n"
        "Observers will follow the count.\nPolls close at 19:00."
    )
    for chrome in ("Arms control", "Roma and Sinti", "Cyber/ICT Security", "Migration", "Skip", "color", "| OSCE"):
        assert chrome not in release.model_text
    # One line of HTML (a table cell) is read the same way, and a head left open ends where the body starts.
    assert parse_release(" ".join(HTML_PAGE.split("\n"))).model_text == release.model_text
    # (Without an <h1>, the <title> is the title.)
    unclosed = parse_release("<html><head><title>x</title><body><p>Border guards met in Osh.</p></body></html>")
    assert (unclosed.title, unclosed.body) == ("x", "Border guards met in Osh.")


def test_a_text_that_mentions_tags_is_not_read_as_html():
    text = "Editors: wrap quotes in <q> tags.\n<p> marks a paragraph in the archive's export."
    assert parse_release(text).model_text == text
    assert parse_release("<b>Border guards</b> met in Osh.").model_text == "<b>Border guards</b> met in Osh."


@needs_seeds
def test_a_line_or_two_before_the_menus_of_a_page_without_a_header_are_chrome_too():
    page = SEED_ELECTIONS.read_text(encoding="utf-8")
    # The page without its header (no Date:, Place:, Source: or Fields of work lines to start from).
    headless = "\n".join(
        line for line in page.split("\n") if not re.match(r"^- (Date|Place|Source|Fields of work):", line)
    )
    expected = parse_release(headless)
    assert expected.had_menus and "Liechtenstein" not in expected.model_text
    for prefix in ("Skip to main content\n", "OSCE\nSkip to main content\n\n"):
        release = parse_release(prefix + headless)
        assert release.model_text == expected.model_text and release.had_menus, prefix
    # A sentence first is a text's own, and a short list after a lone dash is no menu: both are kept.
    assert "We met." in parse_release("We met.\n" + headless).model_text
    assert parse_release("Notes\n-\nSteps\n- one\n- two\nThe end.").model_text.startswith("Notes")


def test_a_markdown_files_heading_is_its_title_without_the_marks():
    release = parse_release("# Observers arrive for the vote\n\nThe mission deployed observers.\n")
    assert (release.title, release.body) == ("Observers arrive for the vote", "The mission deployed observers.")
    assert parse_release("### A third-level heading\n\nText.\n").title == "A third-level heading"
    assert parse_release("#hashtag is not a heading\n\nText.\n").title == "#hashtag is not a heading"


NAV_PAGE = (
    "<head><title>Observers deployed | OSCE</title></head><body><nav><ul><li><a href='/m'>Migration</a></li>"
    "<li><a href='/y'>Youth</a></li><li><a href='/p'>Policing</a></li></ul></nav><h1>Observers deployed</h1>"
    "<p>The mission deployed observers to follow the count in all regions.</p></body>"
)


@pytest.mark.parametrize(
    "opening",
    [
        "<html>",
        "\ufeff<html>",  # a file's byte order mark, read as text by a caller
        "\ufeff  <!DOCTYPE html><html>",
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">',  # XHTML
        "",  # a page saved without its <html>: it opens with <head>
    ],
)
def test_an_html_page_is_read_as_html_whatever_opens_it(opening):
    release = parse_release(opening + NAV_PAGE + ("</html>" if opening else ""))
    assert (release.title, release.body) == (
        "Observers deployed",
        "The mission deployed observers to follow the count in all regions.",
    )


@pytest.mark.parametrize("tag", ["div", "nav", "article", "main", "section", "p", "h1"])
def test_a_fragment_of_a_page_is_read_as_html(tag):
    fragment = f"<{tag} class='x'><a href='/m'>Migration</a> Observers met in Osh.</{tag}>"
    assert "<" not in parse_release(fragment).model_text


@pytest.mark.parametrize("text", ["<3 for the observers", "<b>Observers</b> met in Osh.", "a <div> mentioned"])
def test_a_text_that_opens_with_no_tag_of_a_page_is_plain_text(text):
    assert parse_release(text).model_text == text


@pytest.mark.parametrize(("past", "html"), [(0, True), (1, False)], ids=["within 4 KB", "one character past"])
def test_a_page_is_html_when_its_opening_tag_ends_within_its_first_4_kb(past, html):
    """A saved page may open with long comments (where it was saved from, a licence) before its <html>: the look for
    the opening stops at 4,096 characters, so a longer text that mentions a tag far in is never read as a page."""
    comment = "<!-- Saved from https://www.osce.org/ -->\n"
    end = 4096 + past  # where the opening "<html>" ends
    opening = comment * ((end - len("<html>")) // len(comment))
    opening += " " * (end - len("<html>") - len(opening))
    assert len(opening + "<html>") == end
    assert ("<" not in parse_release(opening + "<html>" + NAV_PAGE + "</html>").model_text) is html


def test_a_text_opening_with_many_html_comments_is_read_at_once():
    """A Markdown file may open with notes to its editors in HTML comments, and a saved page with as many before its
    <html>: the look for a page's opening tag took a time that doubled with every two comments (40: days)."""
    notes = "<!-- Note to editors: check the figures before publishing. -->\n" * 40
    with hostile.no_hang(10):
        markdown = parse_release(notes + "# Observers deployed\nThe mission deployed observers.")
        page = parse_release(notes + "<html>" + NAV_PAGE + "</html>")
    assert markdown.body.endswith("\n# Observers deployed\nThe mission deployed observers.")
    assert (page.title, page.body) == (
        "Observers deployed",
        "The mission deployed observers to follow the count in all regions.",
    )


def test_a_byte_order_mark_is_no_part_of_a_plain_texts_title_or_line():
    assert parse_release("\ufeffObservers deployed\nThe mission met.").title == "Observers deployed"
    assert parse_release("\ufeffThe mission met.").model_text == "The mission met."


@pytest.mark.parametrize(
    "body, kept",
    [
        # Menus of items after a lone dash with no heading: cut from the dash, the text before it kept whole.
        ("Text.\nMore text.\n-\n- Policing\n- Youth\n- Albania", "Text.\nMore text."),
        ("Text.\nMore text.\n-\n-\n- Policing\n- Youth\n- Albania", "Text.\nMore text."),  # from the first dash
        # Menus that are all the text there is: nothing left.
        ("-\nCountries\n- Albania\n- Andorra\n- Austria", ""),
        # Two items are no menus, even after a header whose last value is an item.
        ("-\nCountries\n- Albania\n- Andorra", "-\nCountries\n- Albania\n- Andorra"),
        # A heading and items with no lone dash before them are text.
        ("Steps\n- training\n- visits\n- audits", "Steps\n- training\n- visits\n- audits"),
    ],
)
def test_menus_below_the_text_are_cut_from_their_first_lone_dash_and_no_further(body, kept):
    release = parse_release(page("- Fields of work:", "- Policing", body=body))  # the header ends with an item
    assert (release.fields, release.body) == (("Policing",), kept)


def test_a_lone_dash_in_a_header_is_the_headers_unless_a_menu_group_follows_it():
    listed = page("- Fields of work:", "- Policing", "-", body="Text.\nMore text.")
    assert (parse_release(listed).fields, parse_release(listed).body) == (("Policing",), "Text.\nMore text.")
    menus = page("- Fields of work:", "- Policing", "-", body="Countries\n- Albania\n- Andorra\n- Austria")
    assert (parse_release(menus).fields, parse_release(menus).body) == (("Policing",), "")


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60))
@example("observers\ud800 in Kyiv")
@example("Désir \udcff\ud800 and \U0001f600")
def test_valid_text_replaces_each_lone_surrogate_and_nothing_else(text):
    from classifier.corpus.release import valid_text
    from classifier.io.tagfiles import escape_surrogates

    expected = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    assert valid_text(text) == expected
    expected_escaped = "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    assert escape_surrogates(text) == expected_escaped


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (float("nan"), "not float"),  # a missing cell of a pandas column
        (None, "not NoneType"),
        (42, "not int"),
        ("Observers deployed".encode(), "not bytes (decode it first: text.decode('utf-8'))"),
        (bytearray(b"Observers deployed"), "not bytearray (decode it first: text.decode('utf-8'))"),
    ],
)
def test_what_is_not_a_str_is_refused_in_one_line_saying_a_str_is_expected(value, said):
    """Only bytes are told how to decode; a missing cell or a number is not."""
    with pytest.raises(TypeError) as caught:
        parse_release(value)
    assert str(caught.value) == f"parse_release takes the text of a page as a str, {said}"


@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_page_whose_line_breaks_were_collapsed_reads_as_the_page(path):
    """A page whose lines were joined by spaces or tabs (a table cell, a scraper's text): its menus are left out,
    and it has the page's title, header, Fields of work and body words (the body is one paragraph now)."""
    page = path.read_text(encoding="utf-8")
    expected = parse_release(page)
    for form, text in collapsed_forms(page).items():
        release = parse_release(text)
        assert release.title == expected.title, form
        assert release.body.split() == expected.body.split(), form
        assert (release.fields, release.unknown_fields, release.content_type, release.had_menus) == (
            expected.fields,
            expected.unknown_fields,
            expected.content_type,
            True,
        ), form
        assert (release.date, release.place, release.source) == (expected.date, expected.place, expected.source), form


@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_no_menu_entry_reaches_the_model_text_of_a_collapsed_page(path, menu_lines):
    page = path.read_text(encoding="utf-8")
    article = parse_release(page).model_text.lower()
    for form, text in collapsed_forms(page).items():
        model_text = parse_release(text).model_text.lower()
        assert [entry for entry in menu_only_words(menu_lines, article) if entry.lower() in model_text] == [], form
        assert "liechtenstein" not in model_text and "skip to main content" not in model_text, form


def test_a_content_type_opening_a_memo_takes_no_paragraph_for_its_title():
    """ "Report" opening a memo whose next line is a paragraph: the paragraph was taken as the title (2,600
    characters of it) and the body left empty. A title is a title's length; after a content type one still is."""
    paragraph = "This report sums up the year's work of the field office in the country. " * 30
    release = parse_release(f"Report\n{paragraph}\nA second paragraph follows.")
    assert (release.content_type, release.title) == ("Report", "")
    assert release.body.split() == (paragraph + "A second paragraph follows.").split()
    release = parse_release("Report\nThe year in review\nA paragraph.")
    assert (release.content_type, release.title, release.body) == ("Report", "The year in review", "A paragraph.")


def without_content_type(page: str, header: bool) -> str:
    """The page without its content type's line ("Press release"), and without its header (`Date:` to the last
    `Fields of work:` value) unless `header`: as scrapers that leave them out give it."""
    lines = page.split("\n")
    typed = lines.index("Press release")
    end = typed + 2
    while not header and lines[end].startswith("- "):
        end += 1
    return "\n".join(lines[:typed] + lines[typed + 1 : typed + 2] + lines[end if not header else typed + 2 :])


@pytest.mark.parametrize("header", [True, False], ids=["a header", "no header"])
@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_collapsed_page_without_a_content_type_reads_as_its_lines(path, header, menu_lines):
    """With no content type between them, the menus' last item ("About us") and the title share a segment of the
    collapsed page: it was read as the title's first words, so menu text reached the model. The page's own lines,
    read by the line parser, say what each form must give; a title of more than 20 words before the dateline (the
    Pristina seed's) was taken for a sentence, so the title ran on into the body's first sentence."""
    page = without_content_type(path.read_text(encoding="utf-8"), header)
    expected = parse_release(page)
    assert expected.title and expected.body and not expected.content_type
    menu_only = [entry.lower() for entry in menu_only_words(menu_lines, expected.model_text.lower())]
    for form, text in collapsed_forms(page).items():
        release = parse_release(text)
        assert (release.title, release.body.split()) == (expected.title, expected.body.split()), form
        assert (release.fields, release.date, release.place, release.source, release.had_menus) == (
            expected.fields,
            expected.date,
            expected.place,
            expected.source,
            True,
        ), form
        model_text = release.model_text.lower()
        assert [entry for entry in menu_only if entry in model_text] == [], form


@pytest.mark.parametrize(
    "title",
    [
        "Statement by the OSCE Chair on the elections in Skopje",  # a title opening with a content type's word
        "News media in Skopje trained by the OSCE Mission",
        "Report on the year: Mission marks its anniversary",
    ],
)
@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_collapsed_page_without_a_content_type_keeps_a_title_opening_with_a_content_types_word(path, title):
    """With no content type line, a title whose first word is a content type ("Statement by the ...") lost that
    word when its lines were collapsed: the word was read as the page's content type. A content type is followed
    by a title, which starts with a capital: a word in lower case after it makes it the title's own word."""
    page = path.read_text(encoding="utf-8")
    page = without_content_type(page.replace(parse_release(page).title, title, 1), header=True)
    assert parse_release(page).title == title  # the page's own lines
    for form, text in collapsed_forms(page).items():
        release = parse_release(text)
        assert (release.title, release.content_type) == (title, None), form


def without_header(page: str) -> str:
    """The page without its header (`Date:` to the last `Fields of work:` value), its content type kept."""
    lines = page.split("\n")
    title = lines.index("Press release") + 1
    end = title + 1
    while lines[end].startswith("- "):
        end += 1
    return "\n".join(lines[: title + 1] + lines[end:])


@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_collapsed_page_with_a_content_type_and_no_header_reads_as_its_lines(path, menu_lines):
    """Without a header, the content type and title share the segment that runs on into the body ("About us Press
    release Observers open ... BISHKEK, 18 September 2015 – ..."), the first too long for a menu item: the content
    type is looked for in that segment too. Were it not, the title would be read from the wrong place and the
    content type lost; the page's own lines, read by the line parser, say what each form must give."""
    page = without_header(path.read_text(encoding="utf-8"))
    expected = parse_release(page)
    assert expected.content_type == "Press release" and expected.title and not expected.source
    menu_only = [entry.lower() for entry in menu_only_words(menu_lines, expected.model_text.lower())]
    for form, text in collapsed_forms(page).items():
        release = parse_release(text)
        assert (release.content_type, release.title, release.body.split(), release.date, release.place) == (
            expected.content_type,
            expected.title,
            expected.body.split(),
            expected.date,
            expected.place,
        ), form
        assert [entry for entry in menu_only if entry in release.model_text.lower()] == [], form


@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_page_joined_by_tabs_reads_as_the_page_paragraphs_included(path):
    """Lines joined by tabs (a spreadsheet's cell) are split at the tabs again, so the page reads exactly as its
    own lines, the body's paragraphs on their lines: read as a page joined by spaces, its body would be one line."""
    page = path.read_text(encoding="utf-8")
    release = parse_release("\t".join(page.split("\n")).strip())
    assert "\n" in release.body
    assert release.to_dict() == parse_release(page).to_dict()


@pytest.mark.parametrize(
    "article, title, body, fields",
    [
        # The fields follow the body.
        (
            "Press release Talks end - Date: 3 May 2021 - Place: - VIENNA VIENNA, 3 May 2021 - Talks ended today."
            " - Fields of work: - Elections - Youth",
            "Talks end",
            "VIENNA, 3 May 2021 - Talks ended today.",
            ("Elections", "Youth"),
        ),
        # A title with dashes, one holding a word that is a content type.
        (
            "Press release Talks - a first look - Report by the Chair - Date: - Fields of work: - Elections The"
            " Chair reported.",
            "Talks - a first look - Report by the Chair",
            "The Chair reported.",
            ("Elections",),
        ),
        # No header: the title is what comes before the dateline.
        (
            "News Talks end VIENNA, 3 May 2021 - Talks ended today.",
            "Talks end",
            "VIENNA, 3 May 2021 - Talks ended today.",
            (),
        ),
        # A field the taxonomy does not know: no text is lost, it is read as the body's.
        (
            "Press release Talks end - Date: - Fields of work: - Space law Talks ended today.",
            "Talks end",
            "Space law Talks ended today.",
            (),
        ),
        # A source the header cannot tell from the body's first words: they stay in the body.
        ("Press release Talks end - Source: - OSCE Talks ended today.", "Talks end", "OSCE Talks ended today.", ()),
        # Menus close the page too.
        (
            "Press release Talks end - Date: 3 May 2021 Talks ended today. " + MENUS,
            "Talks end",
            "Talks ended today.",
            (),
        ),
        # No content type: the menus' last item and the title share a segment.
        (
            "Talks end - Date: 3 May 2021 Talks ended today.",
            "Talks end",
            "Talks ended today.",
            (),
        ),
        # Neither a content type nor a header, and a title of 22 words before the dateline.
        (
            "Talks on the future of the region end in Vienna after three days of work by the delegations of all"
            " the participating States VIENNA, 3 May 2021 – Talks ended today.",
            "Talks on the future of the region end in Vienna after three days of work by the delegations of all the"
            " participating States",
            "VIENNA, 3 May 2021 – Talks ended today.",
            (),
        ),
        # A title with one dash: its content type is in the segment before the last before the header.
        (
            "Press release Talks - a first look - Date: 3 May 2021 Talks ended today.",
            "Talks - a first look",
            "Talks ended today.",
            (),
        ),
        # A title of 22 words before a header: no menu item, so the menus' run stops at it.
        (
            "Press release Talks on the future of the region end in Vienna after three days of work by the delegations"
            " of all the participating States - Date: 3 May 2021 Talks ended today.",
            "Talks on the future of the region end in Vienna after three days of work by the delegations of all the"
            " participating States",
            "Talks ended today.",
            (),
        ),
        # A field the taxonomy knows, then one it does not: the second stays in the body.
        (
            "Press release Talks end - Date: - Fields of work: - Elections - Space law Talks ended today.",
            "Talks end",
            "Space law Talks ended today.",
            ("Elections",),
        ),
        # The body opens with a line of one word and a list.
        (
            "Press release Talks end - Date: 3 May 2021 - Fields of work: - Elections Highlights - Observers met in"
            " Osh. - They agreed a plan.",
            "Talks end",
            "Highlights - Observers met in Osh. - They agreed a plan.",
            ("Elections",),
        ),
        # Neither a header nor a dateline: the title runs to the first full stop, the only end the text shows.
        (
            "Press release Talks end The delegations met in Vienna. They agreed on a plan.",
            "Talks end The delegations met in Vienna.",
            "They agreed on a plan.",
            (),
        ),
        ("Press release Talks end", "Talks end", "", ()),  # a title alone
        ("Press release Talks end - Date: 3 May 2021 - Fields of work: - Elections", "Talks end", "", ("Elections",)),
        # A body of a few words and no full stop (a caption).
        ("Press release Talks end - Date: 3 May 2021 Photos of the talks", "Talks end", "Photos of the talks", ()),
        # A body's own list of fields followed by more of the body: no menus closing the page.
        (
            "Press release Talks end - Date: 3 May 2021 The Mission works in: - Elections - Policing - Youth"
            " - Education - Migration - Rule of law - Human rights - Arms control - Border management - Roma and Sinti"
            " - Gender equality - Media freedom and development. It will report in June.",
            "Talks end",
            "The Mission works in: - Elections - Policing - Youth - Education - Migration - Rule of law - Human rights"
            " - Arms control - Border management - Roma and Sinti - Gender equality - Media freedom and development. It"
            " will report in June.",
            (),
        ),
        # A dateline opening the body's second paragraph, not its first: the first stays in the body.
        (
            "Press release Talks end - Date: 3 May 2021 The talks ended in the capital on Monday. VIENNA, 4 May 2021"
            " – The delegations met again.",
            "Talks end",
            "The talks ended in the capital on Monday. VIENNA, 4 May 2021 – The delegations met again.",
            (),
        ),
        # Neither a content type nor a header, and a dateline with a hyphen: the title has a segment of its own.
        (
            "Talks end VIENNA, 3 May 2021 - Talks ended today.",
            "Talks end",
            "VIENNA, 3 May 2021 - Talks ended today.",
            (),
        ),
        # No header, and sentences before the dateline: they are the body's, and the title runs to the first full stop.
        *(
            (
                f"Press release Talks end The talks ended. They agreed on a plan{mark} VIENNA, 4 May 2021 – They met.",
                "Talks end The talks ended.",
                f"They agreed on a plan{mark} VIENNA, 4 May 2021 – They met.",
                (),
            )
            for mark in ".?!"
        ),
    ],
    ids=[
        "fields after the body",
        "a title with dashes",
        "no header",
        "an unknown field",
        "a source",
        "menus after",
        "no content type",
        "a long title and no header",
        "a title with one dash",
        "a long title and a header",
        "a known field, then an unknown one",
        "a body opening with a word and a list",
        "no header and no dateline",
        "a title alone",
        "a title and a header alone",
        "a body of a few words",
        "a list of fields in the body",
        "a dateline in the second paragraph",
        "no content type, no header, a hyphen",
        "sentences before a dateline",
        "a question before a dateline",
        "an exclamation before a dateline",
    ],
)
def test_the_parts_of_a_collapsed_page(article, title, body, fields):
    release = parse_release(f"{MENUS} {article}")
    assert (release.title, release.body, release.fields, release.had_menus) == (title, body, fields, True)


@pytest.mark.parametrize("variant", ["as scraped", "no content type", "no content type, no header"])
@pytest.mark.parametrize("path", pages_with_menus(), ids=lambda path: path.name)
def test_a_collapsed_page_gives_back_its_menus_words_and_its_lines_from_the_content_type_to_the_body(path, variant):
    """The lines `page_lines` makes of a collapsed page, against the page's own lines: the words of its menus in
    their order (a menu heading comes back as an item), the content type's, title's and header's lines exactly,
    and the body's words as the line parser reads them, the repeated run of paragraphs left out and counted. Lines
    joined by tabs come back exactly."""
    from classifier.corpus.collapsed import page_lines

    page = path.read_text(encoding="utf-8")
    if variant != "as scraped":
        page = without_content_type(page, header=variant == "no content type")
    own = page.split("\n")
    expected = parse_release(page)
    start = own.index("Press release" if variant == "as scraped" else expected.title)
    body = next(i for i in range(start + (variant == "as scraped") + 1, len(own)) if not own[i].startswith("- "))
    assert page_lines("\t".join(own)) == (page, 0)
    for form, text in collapsed_forms(page).items():
        if form == "joined by tabs":  # exactly the page, above
            continue
        lines, dropped = page_lines(text)
        lines = lines.split("\n")
        # The page's first line comes first: the menus' dash, or the line before the menus.
        assert lines[0] == ("Skip to main content" if form.startswith("a line before") else own[0]), form
        at = lines.index(own[start])
        assert lines[at : body - start + at] == own[start:body], form
        chrome = ["Skip", "to", "main", "content"] if form.startswith("a line before") else []
        assert [w for line in lines[:at] for w in line.split() if w not in "-*"] == chrome + [
            w for line in own[:start] for w in line.split() if w not in "-*"
        ], form
        assert " ".join(lines[body - start + at :]).split() == expected.body.split(), form
        assert dropped == (1 if path == SEED_ELECTIONS else 0), form  # the seed repeats its paragraphs once


# The site's menus as lines, up to the content type's line.
MENU_LINES = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
MENU_LINES = MENU_LINES[: MENU_LINES.index("\nPress release\n") + 1]


@pytest.mark.parametrize(
    "article, body, fields, place",
    [
        ("- Date:\n- 3 May 2021\n- Place:\n- NEW YORK\nThe delegations met.", "The delegations met.", (), "NEW YORK"),
        ("- Place:\n- Vienna\n- Date:\n- 3 May 2021\nThe delegations met.", "The delegations met.", (), "Vienna"),
        (
            "- Date:\n- 3 May 2021\n- Fields of work:\n- Elections\n- Human rights\nThe observers met.",
            "The observers met.",
            ("Elections", "Human rights"),
            None,
        ),
        (
            "- Date:\n- 3 May 2021\n- Fields of work:\n- Elections\n- Combating trafficking in human beings\n"
            "Prosecutors met.",
            "Prosecutors met.",
            ("Elections", "Combating trafficking in human beings"),
            None,
        ),
        (
            "- Date:\n- 3 May 2021\n- Fields of work:\n- Elections, Youth\nYoung observers met.",
            "Young observers met.",
            ("Elections", "Youth"),
            None,
        ),
        # A place in the header before another key: the dateline opening the body names it, in any case.
        (
            "- Date:\n- 3 May 2021\n- Place:\n- Vienna\n- Source:\n- OSCE Secretariat\nVienna, 3 May 2021 – The"
            " delegations met.",
            "Vienna, 3 May 2021 – The delegations met.",
            (),
            "Vienna",
        ),
        (
            "- Date:\n- 3 May 2021\n- Place:\n- Vienna\n- Geneva\n- Source:\n- OSCE Secretariat\nGeneva, 3 May 2021 –"
            " The delegations met.",
            "Geneva, 3 May 2021 – The delegations met.",
            (),
            "Vienna, Geneva",
        ),
        # The dateline names another place than the header, in capitals.
        (
            "- Date:\n- 3 May 2021\n- Place:\n- Vienna\n- Source:\n- OSCE Secretariat\nBELGRADE, 3 May 2021 – The"
            " delegations met.",
            "BELGRADE, 3 May 2021 – The delegations met.",
            (),
            "Vienna",
        ),
        # A dateline whose place is not in capitals after a date.
        (
            "- Date:\n- 3 May 2021\nVienna, 3 May 2021 – The delegations met.",
            "Vienna, 3 May 2021 – The delegations met.",
            (),
            "Vienna",
        ),
        # A field the taxonomy does not know, then the dateline.
        (
            "- Date:\n- 3 May 2021\n- Fields of work:\n- Space law\nVIENNA, 3 May 2021 – The delegations met.",
            "VIENNA, 3 May 2021 – The delegations met.",
            (),
            "VIENNA",
        ),
        # A place key without a value, the dateline right after it.
        (
            "- Date:\n- 3 May 2021\n- Place:\nVIENNA, 3 May 2021 – The delegations met.",
            "VIENNA, 3 May 2021 – The delegations met.",
            (),
            "VIENNA",
        ),
    ],
    ids=[
        "a place last",
        "a date last",
        "two fields",
        "a field of five words",
        "two fields in one value",
        "a place before a source",
        "two places before a source",
        "another place in the dateline",
        "a dateline not in capitals",
        "an unknown field and a dateline",
        "a place key without a value",
    ],
)
def test_a_collapsed_pages_body_starts_after_its_headers_last_value(article, body, fields, place):
    """Collapsed, the header's last value and the body's first words share a segment: the body starts after the
    place's capitals, the date, or the last field of work, as the page's own lines say."""
    page = f"{MENU_LINES}Press release\nTalks end\n{article}"
    expected = parse_release(page)
    assert (expected.title, expected.body, expected.fields, expected.place) == ("Talks end", body, fields, place)
    assert expected.date == dt.date(2021, 5, 3)
    for form, text in collapsed_forms(page).items():
        release = parse_release(text)
        assert (release.title, release.body, release.fields, release.date, release.place) == (
            expected.title,
            expected.body,
            expected.fields,
            expected.date,
            expected.place,
        ), form


# Items of a list that name no field, to fill menus to a count.
FRUIT = ["Apples", "Pears", "Plums", "Figs", "Kiwis", "Limes"]


@pytest.mark.parametrize(
    "items, menus",
    [
        (["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", *FRUIT], True),
        (["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", *FRUIT[:5]], False),
        (["Fields of work", "Elections", "Policing", "Youth", "Education", *FRUIT, "Pineapples"], False),
    ],
    ids=["twelve items, five fields", "eleven items", "four fields"],
)
def test_menus_closing_a_collapsed_page_are_left_out_of_its_body(items, menus):
    """Menus after the body's last sentence are twelve short items or more naming five fields or more, as at the
    page's start; fewer are the body's own list and stay in it."""
    tail = "".join(f" - {item}" for item in items)
    release = parse_release(f"{MENUS} Press release Talks end - Date: 3 May 2021 Talks ended.{tail}")
    assert release.body == ("Talks ended." if menus else f"Talks ended.{tail}")


def test_a_collapsed_header_value_that_cannot_be_told_from_the_body_is_kept_in_it():
    release = parse_release(" ".join(f"{MENU_LINES}Press release\nTalks end\n- Date:\n- yesterday\nWe met.".split()))
    assert (release.title, release.body, release.date) == ("Talks end", "yesterday We met.", None)
    # A place last, not in capitals: where it ends and the body starts is not told.
    release = parse_release(" ".join(f"{MENU_LINES}Press release\nTalks end\n- Place:\n- Vienna\nWe met.".split()))
    assert (release.title, release.body, release.place) == ("Talks end", "Vienna We met.", None)


@pytest.mark.parametrize(
    "items, opens",
    [
        # A heading, five fields of work and six other items: twelve items, the least that menus hold.
        (["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", *FRUIT], True),
        (["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", *FRUIT[:5]], False),
        (["Fields of work", "Elections", "Policing", "Youth", "Education", *FRUIT, "Pineapples"], False),
        (["Elections", "Policing", "Youth", "Education", "Migration", *FRUIT, "Pineapples"], False),
        # A sentence among them (a question or an exclamation too) makes them a text's own list.
        (
            ["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", "We work there.", *FRUIT],
            False,
        ),
        (
            ["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", "Where do we work?", *FRUIT],
            False,
        ),
        (["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration", "Join us!", *FRUIT], False),
    ],
    ids=[
        "twelve items, five fields",
        "eleven items",
        "four fields",
        "no menu heading",
        "a sentence",
        "a question",
        "an exclamation",
    ],
)
def test_collapsed_menus_hold_twelve_items_naming_five_fields_under_a_heading(items, opens):
    from classifier.corpus.collapsed import opens_with_menus

    text = "".join(f"- {item} " for item in items) + "Press release Talks end - Date: 3 May 2021 Talks ended."
    assert opens_with_menus(text) is opens
    assert parse_release(text).had_menus is opens


def test_a_collapsed_page_of_menus_only_has_no_title_and_no_body():
    """The menus alone come back as the menus' lines, every word of them, and nothing repeated is counted."""
    from classifier.corpus.collapsed import page_lines

    release = parse_release(MENUS)
    assert release.had_menus and (release.title, release.body, release.dropped_repeats) == ("", "", 0)
    lines, dropped = page_lines(MENUS)
    assert ([word for word in lines.split() if word != "-"], dropped) == ([w for w in MENUS.split() if w != "-"], 0)


@pytest.mark.parametrize(
    "chrome",
    [
        "Skip to main content\nOrganization for Security and Co-operation in Europe\n",  # 11 words
        "Skip to main content\nOSCE\nOrganization for Security and Co-operation in Europe\nSearch\n",
    ],
)
def test_a_collapsed_page_after_the_sites_full_name_reads_as_the_page(chrome, menu_lines):
    """ "Skip to main content" and the site's name in full before the menus are eleven words: a collapsed page that
    opened with them was taken for a text's own line (chrome was ten words at most, its dash looked for in the first
    80 characters), so the whole of its menus reached the model. Chrome holds up to 20 words, as a line of chrome
    does for the line parser, which reads the same page's lines."""
    page = chrome + (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
    expected = parse_release(page)
    assert expected.had_menus and expected.title
    for form, text in {
        "joined by spaces": " ".join(page.split()),
        "joined by tabs": "\t".join(page.split("\n")),
    }.items():
        release = parse_release(text)
        assert (release.had_menus, release.title, release.body.split()) == (True, expected.title, expected.body.split())
        assert "liechtenstein" not in release.model_text.lower(), form


def test_collapsed_menus_follow_at_most_twenty_words_of_chrome():
    """Both sides of the bound: 20 words before the menus are chrome, 21 a text's own line."""
    from classifier.corpus.collapsed import opens_with_menus

    words = "Skip to main content Organization for Security and Co-operation in Europe Search Home Newsroom Events"
    assert len(words.split()) == 15
    assert opens_with_menus(f"{words} Contact us Vacancies Procurement Login {MENUS}")  # 20 words
    assert not opens_with_menus(f"{words} Contact us Vacancies Procurement Login Jobs {MENUS}")


def test_collapsed_menus_alone_are_told_by_their_last_item_and_that_items_length():
    """A text of the menus alone, their twelfth item its last, is menus: the item that completes them ends the text.
    An item runs at most 300 characters after its dash (the site's longest is 95): one of 300 is still an item (a
    word of 299 after its space), one of 301 a text's own."""
    from classifier.corpus.collapsed import opens_with_menus

    items = "".join(
        f"- {item} " for item in ["Fields of work", "Elections", "Policing", "Youth", "Education", "Migration"]
    )
    items += "".join(f"- {item} " for item in FRUIT[:5])
    release = parse_release(f"{items}- Limes")
    assert release.had_menus and (release.title, release.body) == ("", "")
    assert opens_with_menus(f"{items}- Limes {'x' * 293}")  # 300 characters after the dash
    assert not opens_with_menus(f"{items}- Limes {'x' * 294}")


def test_collapsed_menus_that_end_with_another_item_lose_no_word_and_double_none():
    """Menus that do not end with the site's last item ("About us": a page from before it, a scrape that cut it) and
    no content type: where the menus end and the title starts cannot be told, as they share a segment. Every word of
    the page still comes back once, in its order, and the body is the page's own."""
    from classifier.corpus.collapsed import page_lines

    menus = MENU_LINES[: MENU_LINES.rindex("- About us")]
    for article in (
        "Talks end\nVIENNA, 3 May 2021 – Talks ended today.",
        "Talks end\nVIENNA, 3 May 2021 - Talks ended today.",
        "Talks end\n- Date:\n- 3 May 2021\nTalks ended today.",
    ):
        page = menus + article
        text = " ".join(page.split())
        lines, dropped = page_lines(text)
        assert [word for word in lines.split() if word != "-"] == [word for word in page.split() if word != "-"]
        release = parse_release(text)
        assert release.title.endswith("Talks end") and release.body == parse_release(page).body, article


SAID = "The Chairman-in-Office said that the elections were a vital part of the democratic process in the region."
MET = "We met in Vienna We met in Vienna We met in Vienna We met in Vienna We met in Vienna"  # 84 characters


def test_a_collapsed_pages_repeated_paragraphs_are_dropped_but_a_short_repeat_is_kept():
    said = SAID
    page = f"{MENUS} Press release Talks end - Date: 3 May 2021 Talks ended. {said} Ask us. {said} Ask us. End."
    release = parse_release(page)
    assert release.body == f"Talks ended. {said} Ask us. End." and release.dropped_repeats == 1
    assert (
        parse_release(f"{MENUS} Press release T - Date: 3 May 2021 Go. Stop. Go. Stop.").body == "Go. Stop. Go. Stop."
    )


@pytest.mark.parametrize(
    "body, kept, dropped",
    [
        # A block of two sentences three times: two runs left out.
        (f"Talks ended. {SAID} Ask us. {SAID} Ask us. {SAID} Ask us. End.", f"Talks ended. {SAID} Ask us. End.", 2),
        # A long sentence repeated, then another: the other is kept.
        (f"Talks ended. {SAID} Ask us. {SAID} Call us.", f"Talks ended. {SAID} Ask us. Call us.", 1),
        # A short repeat after a long sentence: only the repeat counts toward the 100 characters.
        (f"{SAID} Go. Stop. Go. Stop.", f"{SAID} Go. Stop. Go. Stop.", 0),
        # A repeat of 100 characters is left out, one of 99 kept.
        (f"{MET} and we left it. " * 2, f"{MET} and we left it.", 1),
        (f"{MET} and we agreed. " * 2, f"{MET} and we agreed. " * 2, 0),
    ],
    ids=["a block three times", "a repeat then another sentence", "a short repeat", "100 characters", "99 characters"],
)
def test_a_collapsed_pages_repeats_are_left_out_run_by_run_and_only_what_repeats(body, kept, dropped):
    """A run of sentences that repeats an earlier run is left out when it holds 100 characters or more, and counted
    once; the sentences after it are compared afresh, and the run never reaches into itself."""
    release = parse_release(f"{MENUS} Press release Talks end - Date: 3 May 2021 {body}")
    assert (release.body, release.dropped_repeats) == (kept.strip(), dropped)


@pytest.mark.parametrize(
    "text",
    [
        "- apples - pears - plums",
        "Vienna, 3 May 2021 - The OSCE opened a course.",
        "- Elections - Democratization - Human rights - Youth - Rule of law - Policing",  # a list, no menus
        "Training - Elections - Democratization - Human rights - Youth - Rule of law - Policing - Migration - Education"
        " - Policing - Roma and Sinti - Arms control - Border management",  # the fields of a plain text, not first
        "- " + "A long item of a list " * 60,
        # A text's own list of twelve fields, whole or opening a long text: no menu heading, so no menus.
        "- Elections - Democratization - Human rights - Youth - Rule of law - Policing - Migration - Education"
        " - Roma and Sinti - Arms control - Border management - Gender equality",
        "Areas covered - Elections - Democratization - Human rights - Youth - Rule of law - Policing - Migration"
        " - Education - Roma and Sinti - Arms control - Border management - Gender equality - The project trained "
        + "observers and officials in several countries over two years. "
        * 20,
    ],
)
def test_a_plain_line_with_dashes_reads_as_before(text):
    from classifier.corpus.release import one_plain_line

    assert one_plain_line(text) == text.strip()
    assert (parse_release(text).title, parse_release(text).body, parse_release(text).had_menus) == (
        "",
        text.strip(),
        False,
    )


@needs_seeds
def test_a_collapsed_page_is_no_plain_line():
    from classifier.corpus.release import one_plain_line

    for text in collapsed_forms(SEED_ELECTIONS.read_text(encoding="utf-8")).values():
        assert one_plain_line(text) == ""


def test_a_long_run_of_capitals_before_a_collapsed_pages_dateline_is_read_in_one_pass():
    """The dateline's place is looked for among the few words before it: a page whose header's last value runs on in
    capitals for 400,000 characters (a table cell of any size) reads as a page, its body kept, in one pass over it."""
    caps = "AB CD " * 65_000
    page = f"{MENUS} Press release Talks end - Date: 3 May 2021 - Place: - {caps}VIENNA, 3 May 2021 - Talks ended."
    release = parse_release(page)
    assert release.had_menus and release.title == "Talks end"
    assert release.body.endswith("VIENNA, 3 May 2021 - Talks ended.")


def test_every_invisible_format_character_and_nothing_else_is_left_out():
    """Unicode's format characters (category Cf, as this Python's tables give it) are dropped from a page's text; a
    letter, mark, space or symbol is kept. A code point the tables do not assign yet may be dropped (a newer Unicode
    makes some of them format characters)."""
    import sys

    from classifier.corpus.release import without_format_characters

    dropped, kept_wrongly = [], []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char, category = chr(code), unicodedata.category(chr(code))
        gone = without_format_characters(f"a{char}b") == "ab"
        if category == "Cf" and not gone:
            kept_wrongly.append(hex(code))
        elif category not in ("Cf", "Cn") and gone:
            dropped.append(hex(code))
    assert (kept_wrongly, dropped) == ([], [])
    assert (
        parse_release("Title\nBEL\u00adGRADE, 3 June\u200b 2019 \ufeff- Talks.").body
        == "BELGRADE, 3 June 2019 - Talks."
    )


def hyphenated(paragraph: str, width: int = 70) -> str:
    """A paragraph hard-wrapped at `width`, a long word at a line's end broken with a hyphen, as text copied from a
    PDF report has it (written here, not by the code under test)."""
    lines, line = [], ""
    for word in paragraph.split():
        if len(line) + len(word) + 1 <= width:
            line = f"{line} {word}".strip()
        elif len(word) > 6:
            cut = min(max(3, width - len(line) - 2), len(word) - 3)
            lines.append(f"{line} {word[:cut]}-".strip())
            line = word[cut:]
        else:
            lines.append(line)
            line = word
    return "\n".join([*lines, line])


def test_words_hyphenated_across_line_breaks_are_read_whole():
    """A report copied from a PDF breaks words at line ends ("pro-\\ngrammes"): the model read "pro" and
    "grammes", the title stopped at "elec-", and the shipped annual report, so wrapped, lost Conflict prevention
    and resolution (8 fields of its 9). Each broken word is whole again, its line break kept."""
    from classifier import load_model

    report = (FIXTURES / "annual_report.txt").read_text(encoding="utf-8")
    wrapped = "\n\n".join(hyphenated(paragraph) for paragraph in report.split("\n") if paragraph.strip())
    assert wrapped.count("-\n") >= 10 and "pro-\ngrammes" in wrapped
    assert parse_release(wrapped).body.split() == parse_release(report).body.split()
    model = load_model()
    assert model.suggest(wrapped).labels == model.suggest(report).labels
    title = parse_release("Observers deployed for the parliamentary elec-\ntions\nThe mission opened in Bishkek.")
    assert (title.title, title.body) == (
        "Observers deployed for the parliamentary elections",
        "The mission opened in Bishkek.",
    )
    # Only a lower-case letter on both sides: a hyphen before a capital or a digit, or after one, is the text's own.
    kept = "Talks on the anti-\nOSCE campaign\nfor 2019-\n2020 and the OSCE-\nled mission, the co-\n-chairs"
    assert parse_release(kept).model_text == kept
    assert parse_release("A title\nThe co-\noperation of long-\n  term observers").body == (
        "The cooperation of longterm observers"
    )
    # A suspended hyphen ("pre- and post-election") is the text's own, and an HTML page's lines are its blocks.
    suspended = "A title\nObservers assessed the pre-\nand post-election periods, short-\nor long-term."
    assert parse_release(suspended).model_text == suspended
    narrow = "A title\nThe pre-\nand\npost-election periods."  # the conjunction alone on its line
    assert parse_release(narrow).model_text == narrow
    # A break before a word that is also a conjunction is a break: "de fac-" then "to authorities", "mi-" "nor".
    assert parse_release("A title\nThe de fac-\nto authorities had a mi-\nnor role.").body == (
        "The de facto authorities had a minor role."
    )
    page = "<html><body><h1>Observers report</h1><p>The pre-</p><p>election period was calm.</p></body></html>"
    html = parse_release(page)
    assert (html.title, html.body) == ("Observers report", "The pre-\nelection period was calm.")


@pytest.mark.parametrize(
    "values, body, fields",
    [
        # A lone dash between two values, or two of them, is the header's: the values after it are still fields.
        (["- Policing", "-", "- Youth", "- Elections"], "Talks ended.", ("Policing", "Youth", "Elections")),
        (["- Policing", "-", "-", "- Youth"], "Talks ended.", ("Policing", "Youth")),
        # A lone dash that ends the header, a blank line after it, is not carried into a body that opens with items.
        (["- Policing", "-", ""], "- training\n- visits\nTalks ended.", ("Policing",)),
    ],
)
def test_a_lone_dash_among_a_headers_values_neither_ends_the_header_nor_reaches_the_body(values, body, fields):
    release = parse_release(page("- Fields of work:", *values, body=body))
    assert (release.fields, release.body) == (fields, body)


def test_a_menu_group_right_after_a_full_header_is_no_part_of_the_header_or_the_body():
    """The site's header (date, place, source, fields) followed at once by a menu group, as a page saved with its
    menus below the article: the group's dash, heading and items are cut however many header lines came before."""
    header = ["- Date:", "- 14 May 2013", "- Place:", "- DUSHANBE", "- Source:", "- OSCE Office in Tajikistan"]
    menus = "-\nCountries\n- Albania\n- Andorra\n- Austria"
    release = parse_release(page(*header, "- Fields of work:", "- Policing", body=menus))
    assert (release.fields, release.place, release.source, release.body) == (
        ("Policing",),
        "DUSHANBE",
        ("OSCE Office in Tajikistan",),
        "",
    )
    assert release.had_menus and release.date == dt.date(2013, 5, 14)


KYRGYZSTAN = ROOT / "examples" / "election-observation-kyrgyzstan.txt"


def test_a_line_of_twenty_words_before_the_menus_is_chrome_and_a_line_of_more_is_text():
    """What comes before the menus of a page without a header is chrome when it is short (at most 20 words, as the
    collapsed reader counts too) and no sentence."""
    page_text = KYRGYZSTAN.read_text(encoding="utf-8")
    headless = "\n".join(
        line for line in page_text.split("\n") if not re.match(r"^- (Date|Place|Source|Fields of work):", line)
    )
    expected = parse_release(headless)
    assert expected.had_menus and "Roma and Sinti" not in expected.model_text
    twenty = " ".join(["OSCE"] * 20)
    assert parse_release(f"{twenty}\n{headless}").model_text == expected.model_text
    kept = parse_release(f"{twenty} more\n{headless}")
    assert kept.title == f"{twenty} more" and "Roma and Sinti" in kept.model_text
    # Two such lines are chrome too (the checkout's own copy of the seed pages' test, which a checkout may lack).
    assert parse_release(f"OSCE\nSkip to main content\n\n{headless}").model_text == expected.model_text
    # A list of two items after a lone dash and a heading is the text's own, not menus.
    assert parse_release("Notes\n-\nSteps\n- one\n- two\nThe end.").model_text.startswith("Notes\n-\nSteps")


@pytest.mark.parametrize("end", [".", "!", "?"])
def test_a_sentence_before_a_list_after_a_lone_dash_keeps_both(end):
    """A question or an exclamation is a sentence as much as a statement is: a text that opens with one, then a lone
    dash, a heading and items, is the text's own list (no chrome, no menus), kept whole."""
    text = f"Why observe elections{end}\n-\nWhat observers do\n- count\n- watch\n- report\nThe mission met in Osh."
    release = parse_release(text)
    assert (release.model_text, release.had_menus) == (text, False)
    short = parse_release("Why observe elections\n-\nWhat observers do\n- count\n- watch\n- report\nThe mission met.")
    assert (short.title, short.body, short.had_menus) == ("The mission met.", "", True)


def test_a_word_broken_in_the_chrome_before_the_article_moves_no_line_of_it():
    """Broken words are joined in the article only: chrome before it ("Sign up for e-" / "news") stays as it is, so
    the article still starts at its content type."""
    page_text = (
        "Sign up for e-\nnews\nSearch\nMenu\nPress release\nTalks end\n- Date: 3 May 2021\nVIENNA, 3 May 2021 - Talks."
    )
    release = parse_release(page_text)
    assert (release.content_type, release.title, release.date) == ("Press release", "Talks end", dt.date(2021, 5, 3))
    assert release.body == "VIENNA, 3 May 2021 - Talks." and "news" not in release.model_text


@pytest.mark.parametrize("plain_title", [True, False])
def test_an_html_pages_title_without_an_h1_is_its_title_element_once(plain_title):
    """Without an <h1>, the <title> is read as the title when the text does not already open with it or with a content
    type (whose next line is the title); not at all when titles are known from elsewhere (plain_title=False)."""
    head = "<html><head><title>Talks end</title></head><body>"
    named = parse_release(
        f"{head}<p>The talks ended in Vienna.</p><p>More talks follow.</p></body></html>", plain_title=plain_title
    )
    opening = parse_release(
        f"{head}<p>Talks end</p><p>The talks ended in Vienna.</p></body></html>", plain_title=plain_title
    )
    typed = parse_release(
        "<html><head><title>OSCE</title></head><body><p>Press release</p><p>Talks end</p><p>The talks ended.</p>"
        "</body></html>",
        plain_title=plain_title,
    )
    assert (typed.content_type, typed.title, typed.body) == ("Press release", "Talks end", "The talks ended.")
    if plain_title:
        assert (named.title, named.body) == ("Talks end", "The talks ended in Vienna.\nMore talks follow.")
        assert (opening.title, opening.body) == ("Talks end", "The talks ended in Vienna.")
    else:
        assert (named.title, named.body) == ("", "The talks ended in Vienna.\nMore talks follow.")
        assert (opening.title, opening.body) == ("", "Talks end\nThe talks ended in Vienna.")


@pytest.mark.parametrize(
    "text, body",
    [
        # The hyphenated word two words after the conjunction is not the one it is suspended before: a break.
        ("The de fac-\nto authorities' long-term plans.", "The de facto authorities' long-term plans."),
        ("Talks with the de fac-\nto leaders' co-operation.", "Talks with the de facto leaders' co-operation."),
        ("The de fac-\nto\nauthorities\nlong-term", "The de facto\nauthorities\nlong-term"),  # one word a line
        # Right after it, the hyphen is suspended, on one line or the conjunction alone on its own.
        ("Small-\nand medium-sized firms.", "Small-\nand medium-sized firms."),
        ("The pre-\nand\npost-election periods.", "The pre-\nand\npost-election periods."),
    ],
)
def test_a_hyphen_is_suspended_only_before_a_conjunction_and_the_hyphenated_word_right_after_it(text, body):
    assert parse_release(f"A title\n{text}").body == body


@pytest.mark.parametrize("chrome", ["", "Skip to main content\n"], ids=["menus first", "a line before the menus"])
@pytest.mark.parametrize("bullet", ["*", "•", "·"])
def test_a_page_with_other_bullets_joined_by_tabs_reads_as_its_lines(bullet, chrome):
    """A page whose menus and header are marked with stars or bullets instead of dashes, its lines joined by tabs (a
    spreadsheet's cell): read as its lines are, no menu item reaching the model. The menus were all body, the title
    and fields lost, as a tab after a bullet was not read as a bullet's space."""
    lines = chrome + KYRGYZSTAN.read_text(encoding="utf-8")
    bulleted = "\n".join(bullet + line[1:] if line.startswith("-") else line for line in lines.split("\n"))
    expected = parse_release(bulleted)
    assert expected.had_menus and expected.fields == ("Elections",) and "Roma and Sinti" not in expected.model_text
    assert parse_release("\t".join(bulleted.split("\n"))).to_dict() == expected.to_dict()


def test_a_broken_word_is_whole_again_before_a_header_after_a_capital_and_with_a_unicode_hyphen():
    """A title broken across two lines still has its header read after it; a name broken after its capital and one
    letter ("Ta-" / "jikistan") and a word broken with Unicode's own hyphen (U+2010) are joined as "pro-" is."""
    release = parse_release("Press release\nTalks on the elec-\ntions end\n- Date: 3 May 2021\nVIENNA - Talks ended.")
    assert (release.title, release.date, release.body) == (
        "Talks on the elections end",
        dt.date(2021, 5, 3),
        "VIENNA - Talks ended.",
    )
    text = parse_release("A title\nObservers in Ta-\njikistan met the pro\u2010\ngramme's staff.")
    assert text.body == "Observers in Tajikistan met the programme's staff."


def test_a_collapsed_pages_fields_and_body_are_told_apart_with_the_taxonomy_given(tmp_path):
    """A collapsed page's fields block ends where the taxonomy's names do: with "Police work" a name of Policing in
    the taxonomy given, the body starts at the dateline, not at "work" (read with the shipped one, "Police" alone is
    a field and "work" the body's first word)."""
    import yaml

    from classifier.taxonomy.fields import Taxonomy

    data = yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))
    (entry,) = [entry for entry in data["fields"] if entry["name"] == "Policing"]
    entry["aliases"] = [*entry.get("aliases", []), "Police work"]
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lines = KYRGYZSTAN.read_text(encoding="utf-8").replace(
        "- Fields of work:\n- Elections", "- Fields of work:\n- Police work"
    )
    release = parse_release(" ".join(lines.split()), Taxonomy.from_yaml(tmp_path / "t.yaml"))
    assert release.fields == ("Policing",) and release.body.startswith("BISHKEK, 18 September 2015 – Following")


@pytest.mark.parametrize("title", ["Q", "Q" * 200], ids=["one character", "200 characters"])
def test_after_a_content_type_a_title_of_one_to_200_characters_is_the_title_even_without_plain_titles(title):
    release = parse_release(f"Press release\n{title}\nThe talks ended.", plain_title=False)
    assert (release.content_type, release.title, release.body) == ("Press release", title, "The talks ended.")


def test_a_page_of_a_title_and_a_header_only_had_no_menus():
    """A header that ends the page is read once, at the top: nothing below the text is cut, so no menus were."""
    release = parse_release("Talks end\n- Date: 3 May 2021\n- Place: VIENNA")
    assert (release.title, release.date, release.place, release.body) == (
        "Talks end",
        dt.date(2021, 5, 3),
        "VIENNA",
        "",
    )
    assert not release.had_menus


def test_three_short_lines_before_a_title_and_its_header_are_chrome_without_a_content_type():
    """The fewest lines of chrome there can be (three) before a title with no content type: dropped, the title and
    header read; two are a text's own first lines."""
    article = "Training for border guards ends\nDate: 12 May 2019\nGuards from three posts met in Osh."
    release = parse_release("Home\nAbout us\nContact\n" + article)
    assert (release.title, release.date, release.body) == (
        "Training for border guards ends",
        dt.date(2019, 5, 12),
        "Guards from three posts met in Osh.",
    )
    assert "About us" not in release.model_text
    assert "About us" in parse_release("About us\nContact\n" + article).model_text


@pytest.mark.parametrize("bullet", ["*", "•", "·"])
def test_a_lone_star_or_bullet_opens_a_menu_group_as_a_lone_dash_does(bullet):
    """Menus marked with stars or bullets, on a page with no header to start from: each lone bullet opens a group,
    so the menus are cut as the dashes' are."""
    lines = KYRGYZSTAN.read_text(encoding="utf-8").split("\n")
    headless = [line for line in lines if not re.match(r"^- (Date|Place|Source|Fields of work):", line)]
    expected = parse_release("\n".join(headless))
    bulleted = parse_release("\n".join(bullet + line[1:] if line.startswith("-") else line for line in headless))
    assert bulleted.had_menus and "Roma and Sinti" not in bulleted.model_text
    # The header's values left without their keys stay in the body, each with its own mark.
    assert bulleted.model_text.replace(f"\n{bullet} ", "\n- ") == expected.model_text
