import datetime as dt
import re

from hypothesis import example, given

from classifier.corpus.release import parse_release

import hostile
from conftest import FIXTURES, SEED_ELECTIONS, SEED_UNTAGGED, needs_seeds


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
        text = parse_release(seed.read_text(encoding="utf-8")).model_text
        for entry in ("Liechtenstein", "Andorra", "Court of Conciliation and Arbitration", "Roma and Sinti",
                      "Cyber/ICT Security", "Arms control", "Documentation Centre in Prague", "Summit meetings"):
            assert entry not in text
        assert not any(line in ("-", "Our work", "Fields of work") for line in text.splitlines())


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
def test_any_text_parses_into_a_release(text):
    release = parse_release(text)
    assert isinstance(release.title, str) and isinstance(release.body, str)
    assert "\n" not in release.title and "\x00" not in release.model_text
    # Every body paragraph comes from the input, none from the menus skipped before it.
    lines = {line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")}
    assert set(release.body.split("\n")) <= lines | {""}
