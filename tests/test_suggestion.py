"""What a suggestion shows: as a dict (`--format json`, the REST API), as text (the terminal), in a notebook; each
pinned to values written out by hand on suggestions made by hand."""

import pytest

from classifier.bundle.suggestion import Suggestion

SCORES = [("Elections", 0.91234), ("Media freedom", 0.5), ("Policing", 0.30006), ("Youth", 0.1)]
FLAGS = {"Policing": "low-confidence", "Youth": "zero-shot"}
SCOPE = {
    "non_latin_letters": 0.125,
    "english_function_words": 3,
    "foreign_function_words": 17,
    "words": 40,
    "coverage": 0.25,
    "content_words": 20,
    "specificity": 0.5,
}


def accepted_two(**extra) -> Suggestion:
    """Elections and Policing accepted; Policing below Media freedom, which is not accepted."""
    return Suggestion(title="Vote count", labels=["Elections", "Policing"], scores=SCORES, flags=FLAGS, **extra)


def test_shown_keeps_the_best_and_every_accepted_field_below_them():
    suggestion = accepted_two()
    assert suggestion.shown() == suggestion.shown(0) == SCORES
    assert suggestion.shown(1) == [SCORES[0], SCORES[2]]
    assert suggestion.shown(2) == SCORES[:3]
    assert suggestion.shown(3) == SCORES[:3]
    assert Suggestion("t", [], SCORES).shown(1) == SCORES[:1]


def test_to_dict_with_evidence_flags_and_named_phrases():
    suggestion = accepted_two(
        evidence={"Elections": [("ballot", 0.5), ("vote", 0.25)], "Policing": []},
        named={"Elections": ["elections"]},
    )
    assert suggestion.to_dict(top=1) == {
        "title": "Vote count",
        "labels": ["Elections", "Policing"],
        "suggestions": [
            {
                "label": "Elections",
                "score": 0.9123,
                "evidence": [{"term": "ballot", "weight": 0.5}, {"term": "vote", "weight": 0.25}],
                "named": ["elections"],
            },
            {"label": "Policing", "score": 0.3001, "flag": "low-confidence", "evidence": []},
        ],
    }
    assert [entry["label"] for entry in suggestion.to_dict()["suggestions"]] == [label for label, _ in SCORES]
    assert suggestion.to_dict()["suggestions"][3] == {"label": "Youth", "score": 0.1, "flag": "zero-shot"}


def test_to_dict_of_a_flagged_text_says_why_and_what_the_checks_read():
    flagged = Suggestion("Rezept", [], SCORES[:1], flag="language", scope=SCOPE)
    assert flagged.to_dict() == {
        "title": "Rezept",
        "labels": [],
        "flag": "language",
        "scope": SCOPE,
        "suggestions": [{"label": "Elections", "score": 0.9123}],
    }
    assert flagged.to_dict()["scope"] is not SCOPE  # a copy: the suggestion's own stays as it is
    assert "scope" not in Suggestion("t", [], [], scope=None).to_dict()


def test_to_text_marks_the_accepted_fields_and_shows_flags_terms_and_named_phrases():
    suggestion = accepted_two(
        evidence={"Elections": [("ballot", 0.5), ("vote", 0.25)]}, named={"Elections": ["elections", "ballot"]}
    )
    assert suggestion.to_text("page.txt", top=1) == (
        "page.txt\n"
        "  Vote count\n"
        "  * Elections  0.91\n"
        "      because of: ballot (0.50), vote (0.25)\n"
        "      named in the text: elections, ballot\n"
        "  * Policing   0.30  (low-confidence)\n"
    )
    assert suggestion.to_text("page.txt").splitlines()[5:] == [
        "    Media freedom  0.50",
        "  * Policing       0.30  (low-confidence)",
        "    Youth          0.10  (zero-shot)",
    ]


def test_to_text_of_a_flagged_text_and_of_one_without_title_or_fields():
    flagged = Suggestion("", [], SCORES[3:], flag="out-of-scope", scope=SCOPE)
    assert flagged.to_text("-") == (
        "-\n"
        "  no field accepted: the text does not read like an OSCE policy text (out-of-scope)\n"
        "    because of: 12% of its letters not Latin; 3 English and 17 other function words in 40 words; "
        "25% of 20 content words known; specificity 0.50\n"
        "    Youth  0.10\n"
    )
    assert Suggestion("", [], [], flag="odd").to_text("x") == "x\n  no field accepted: odd (odd)\n"
    assert Suggestion("T", [], []).to_text("x") == "x\n  T\n"


@pytest.mark.parametrize(
    "missing, shown",
    [
        ({}, "; 25% of 20 content words known; specificity 0.50"),
        ({"coverage": None}, "; specificity 0.50"),
        ({"specificity": None}, "; 25% of 20 content words known"),
        ({"coverage": None, "specificity": None}, ""),
    ],
)
def test_what_the_scope_checks_read_is_said_in_words(missing, shown):
    scope = {**SCOPE, **missing}
    text = Suggestion("", [], [], flag="language", scope=scope).to_text("x")
    assert text.splitlines()[2] == (
        "    because of: 12% of its letters not Latin; 3 English and 17 other function words in 40 words" + shown
    )


def test_repr_shows_the_title_the_accepted_fields_the_flag_and_the_three_best():
    title = "Observers open a mission to follow the parliamentary elections"
    assert repr(Suggestion(title, ["Elections"], SCORES)) == (
        "<Suggestion 'Observers open a mission to follow the p': accepted ['Elections']; "
        "best Elections 0.91, Media freedom 0.50, Policing 0.30>"
    )
    assert repr(Suggestion("Rezept", [], SCORES[3:], flag="language")) == (
        "<Suggestion 'Rezept': accepted [] (language); best Youth 0.10>"
    )


def test_a_suggestion_of_a_document_that_failed_carries_its_error_in_its_dict_and_repr():
    failed = Suggestion("", [], [], error="notes.txt: binary file, not text")
    assert failed.to_dict() == {
        "title": "",
        "labels": [],
        "suggestions": [],
        "error": "notes.txt: binary file, not text",
    }
    assert repr(failed) == "<Suggestion failed: notes.txt: binary file, not text>"
    assert "error" not in accepted_two().to_dict() and accepted_two().error is None


def test_a_notebook_shows_ten_fields_and_every_accepted_one_with_its_flag_and_evidence():
    scores = [(f"F{i}", 1 - i / 20) for i in range(12)]
    suggestion = Suggestion(
        "A & B",
        ["F0", "F11"],
        scores,
        evidence={"F0": [("ballot", 0.5), ("vote <count>", 0.25)], "F11": [("media", 0.1)]},
        flags={"F0": "low-confidence"},
        named={"F11": ["press", "media"]},
    )
    rows = suggestion._repr_html_().split("<tbody>")[1]
    assert rows == (
        "<tr><td>&#10003;</td><td>F0</td><td>1.00</td><td>low-confidence</td><td>ballot, vote &lt;count&gt;</td></tr>"
        + "".join(f"<tr><td></td><td>F{i}</td><td>{1 - i / 20:.2f}</td><td></td><td></td></tr>" for i in range(1, 10))
        + "<tr><td>&#10003;</td><td>F11</td><td>0.45</td><td></td><td>media; named: press, media</td></tr>"
        + "</tbody></table>"
    )
    assert suggestion._repr_html_().startswith(
        "<p><b>A &amp; B</b></p><table><thead><tr><th>accepted</th><th>field</th><th>score</th><th>flag</th>"
        "<th>evidence</th></tr></thead><tbody>"
    )
    flagged = Suggestion("<Rezept>", [], scores[:1], flag="language")
    assert flagged._repr_html_().split("<table>")[0] == "<p><b>&lt;Rezept&gt;</b> (no field accepted: language)</p>"


def test_a_notebook_shows_why_a_document_failed_escaped_and_no_empty_table():
    failed = Suggestion("", [], [], error="/data/<a&b>.txt: no such file or directory")
    assert failed._repr_html_() == "<p>failed: /data/&lt;a&amp;b&gt;.txt: no such file or directory</p>"
    titled = Suggestion("Vote", [], [], error="row 3: no text")
    assert titled._repr_html_() == "<p><b>Vote</b> failed: row 3: no text</p>"


def test_a_notebook_shows_the_error_of_a_file_that_could_not_be_read(tmp_path):
    from classifier.bundle.storage import load_model
    from classifier.corpus.documents import read_documents

    missing = tmp_path / "nonexistent.txt"
    shown = load_model().suggest_documents(list(read_documents([missing])))[0]._repr_html_()
    assert shown == f"<p>failed: {missing}: no such file or directory</p>"
