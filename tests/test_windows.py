"""Long texts read window by window (classifier/estimator/windows.py)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import load_model, parse_release
from classifier.estimator.windows import (
    WINDOW_STRIDE,
    WINDOW_WORDS,
    named_in_spans,
    read_windowed,
    sections,
    split_windows,
)

from conftest import FIXTURES


def words(prefix: str, n: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_a_short_text_is_read_whole():
    text = "Title\n" + words("w", 350)
    assert split_windows(text) == [text]


def test_headings_join_the_paragraph_after_them():
    body = "Elections\n\nThe commission met.\n\nPolicing\nin towns\n\nOfficers trained residents."
    assert sections(body) == ["Elections The commission met.", "Policing in towns Officers trained residents."]


def test_windows_overlap_by_the_stride_within_each_section_and_keep_the_title():
    assert (WINDOW_WORDS, WINDOW_STRIDE) == (60, 30)
    first, second = words("a", 100), words("b", 300)
    windows = split_windows(f"Report\n{first}\n\n{second}")
    assert all(w.startswith("Report\n") for w in windows)
    bodies = [w.split("\n", 1)[1].split() for w in windows]
    # Section a: words 0-59, 30-89, 60-99; no window crosses into section b.
    assert bodies[:3] == [first.split()[0:60], first.split()[30:90], first.split()[60:100]]
    assert bodies[3] == second.split()[0:60] and bodies[-1][-1] == "b299"
    assert len(bodies) == 3 + 9


def test_a_short_tail_section_joins_its_neighbour():
    windows = split_windows("T\n" + words("a", 340) + "\n\n" + words("z", 15))
    assert windows[-1].split()[-15:] == words("z", 15).split()
    assert len(windows[-1].split("\n", 1)[1].split()) <= WINDOW_WORDS


class KeywordEstimator:
    """Field j scores 0.9 on a text containing f"field{j}", 0.3 on one containing f"weak{j}", else 0.1;
    threshold 0.5; the best field is accepted unless `ensure_one` is False."""

    thresholds_ = np.array([0.5, 0.5, 0.5])

    def predict_proba(self, texts):
        return np.array(
            [[0.9 if f"field{j}" in t else 0.3 if f"weak{j}" in t else 0.1 for j in range(3)] for t in texts]
        )

    def accept(self, proba, ensure_one=None):  # None: the estimator's own rule, as LinearTopicModel.accept
        accepted = (proba >= self.thresholds_).astype(np.int8)
        if ensure_one is None or ensure_one:
            accepted[np.arange(len(proba)), proba.argmax(axis=1)] = 1
        return accepted


def test_a_field_strong_in_one_section_is_a_field_of_the_text():
    report = "Report\n" + "\n\n".join([words("x", 150) + " field0", words("y", 150) + " field2", words("z", 150)])
    short = "Lead\nnothing here"
    reading = read_windowed(KeywordEstimator(), [report, short])
    assert reading.n_windows[1] == 1 and reading.n_windows[0] > 1
    np.testing.assert_allclose(reading.proba, [[0.9, 0.1, 0.9], [0.1, 0.1, 0.1]])
    # Windows without any field do not each add their best field; the short text keeps its one.
    assert reading.accepted.tolist() == [[1, 0, 1], [1, 0, 0]]


def test_a_text_too_short_to_judge_is_given_no_best_field_and_is_read_whole():
    # Each text twice: too short to judge, then judged. The lead's best field (2, at 0.3) is below its threshold; the
    # report names field 1 weakly in two sections, which its windows would add up to a field.
    lead = "Lead\nweak2"
    report = "Report\n" + "\n\n".join([words("x", 150) + " weak1", words("y", 150) + " weak1", words("z", 150)])
    reading = read_windowed(KeywordEstimator(), [lead, lead, report, report], at_least_one=[0, 1, 0, 1])
    assert reading.accepted.tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert reading.n_windows.tolist()[:3] == [1, 1, 1] and reading.n_windows[3] > 1


def test_a_report_covering_seven_fields_gets_them():
    model = load_model()
    text = (FIXTURES / "annual_report.txt").read_text(encoding="utf-8")
    suggestion = model.suggest(text)
    expected = {
        "Elections",
        "Combating trafficking in human beings",
        "Media freedom and development",
        "Policing",
        "Environmental activities",
        "Gender equality",
        "Arms control",
    }
    assert expected <= set(suggestion.labels)
    assert len(suggestion.labels) <= len(expected) + 2
    whole = model.estimator.accept(model.estimator.predict_proba([text.replace("\n\n", "\n", 1)]))
    assert whole.sum() <= 2  # read whole, the same report got one or two fields


def test_a_report_whose_line_breaks_were_collapsed_gets_its_fields_from_python_the_command_line_and_a_table(
    tmp_path,
):
    """A report in one line (a table cell, `" ".join(text.split())`) was all title to the windows: its body had no
    words, so it was read whole and got a few fields. One line is all body: it reads as the same line with an empty
    title line before it, which was always read by windows, and keeps the fields of the report."""
    model = load_model()
    one_line = " ".join((FIXTURES / "annual_report.txt").read_text(encoding="utf-8").split())
    windows = split_windows("\n" + one_line)
    assert split_windows(one_line) == windows and len(windows) > 10  # the same windows, headed by no title
    titled = model.suggest("\n" + one_line).labels
    assert len(titled) >= 6
    assert model.suggest(one_line).labels == titled
    rows = model.tag_frame(pd.DataFrame({"text": [one_line]}), text="text")
    assert list(rows["labels"]) == [titled]


def test_lead_length_texts_score_as_before():
    model = load_model()
    text = (FIXTURES.parent.parent / "examples" / "plain-text-media.txt").read_text(encoding="utf-8")
    np.testing.assert_array_equal(
        model.predict_proba([text]), model.estimator.predict_proba([parse_release(text).model_text])
    )


def test_a_windows_best_field_counts_from_half_its_threshold():
    # Section y is only weakly about field 1 (0.3: below its threshold 0.5, above half of it); section z
    # is about nothing (0.1 everywhere), so its best field does not count.
    report = "Report\n" + "\n\n".join([words("x", 150) + " field0", words("y", 150) + " weak1", words("z", 150)])
    assert read_windowed(KeywordEstimator(), [report]).accepted.tolist() == [[1, 1, 0]]
    assert read_windowed(KeywordEstimator(), [report], window_floor=1.0).accepted.tolist() == [[1, 0, 0]]
    # 0.3 reaches 0.6 times the threshold 0.5 exactly: it counts.
    assert read_windowed(KeywordEstimator(), [report], window_floor=0.6).accepted.tolist() == [[1, 1, 0]]


def test_a_field_near_its_threshold_in_two_windows_is_a_field_of_the_text():
    # Field 1 scores 0.3 (below its threshold 0.5, above half of it) where "weak1" is read; "field0" beside it
    # makes field 0 those windows' best, so no window accepts field 1 by itself. Words 45-46 of a section lie in
    # two windows (0-59 and 30-89); words 5-6 in one only.
    def report(at: int) -> str:
        first = words("x", 150).split()
        first[at : at + 2] = ["weak1", "field0"]
        return "Report\n" + "\n\n".join([" ".join(first), words("y", 150), words("z", 150)])

    estimator = KeywordEstimator()
    assert read_windowed(estimator, [report(45), report(5)]).accepted[:, 1].tolist() == [1, 0]
    assert read_windowed(estimator, [report(45)], agreeing=3).accepted[0, 1] == 0
    assert read_windowed(estimator, [report(45)], window_floor=1.0).accepted[0, 1] == 0  # 0.3 is not near 0.5
    # A zero-shot field's borrowed calibration is trusted at its threshold only.
    estimator.zero_shot_ = np.array([False, True, False])
    assert read_windowed(estimator, [report(45)]).accepted[0, 1] == 0


def test_a_field_with_few_examples_that_the_text_names_twice_is_accepted_whatever_its_score():
    model = load_model()
    field = model.labels.index("Reform and co-operation in the security sector")  # 8 examples: low-confidence
    assert model.flags[model.labels[field]] == "low-confidence"
    # A lead about an election training that names the field by two of its phrases, and the same without them.
    naming = "Election training\nThe ministry of defence and the armed forces learned how polling stations work."
    plain = "Election training\nThe ministry and the forces learned how polling stations work."
    proba = model.estimator.predict_proba([naming, plain])
    assert proba[0, field] < model.thresholds[field]  # the linear model alone would not accept it
    reading = model.read([naming, plain])
    assert reading.accepted[:, field].tolist() == [1, 0]
    # Inside a long report, the window that names it is enough.
    filler = " ".join(["The office observed the vote count and trained election officials across the country."] * 15)
    report = "Annual report\n" + "\n\n".join([filler, naming.split("\n")[1], filler])
    assert model.read([report]).accepted[0, field] == 1
    assert model.read([report.replace(naming.split("\n")[1], "")]).accepted[0, field] == 0
    # Named once in the first lines of a whole page and once far below, it is not named outright.
    apart = "Election training\nThe ministry of defence hosted the course. " + filler + " The armed forces also came."
    assert model.read([apart]).accepted[0, field] == 0


def test_a_field_with_under_five_examples_named_once_in_a_lead_is_accepted_and_not_further_down():
    model = load_model()
    field = model.labels.index("Cyber/ICT Security")  # 3 examples
    lead = (
        "Regional workshop in Vienna\nOfficials from five countries discussed digital forensics and trained together."
    )
    plain = "Regional workshop in Vienna\nOfficials from five countries discussed budgets and trained together."
    assert model.estimator.predict_proba([lead])[0, field] < model.thresholds[field]
    assert model.read([lead, plain]).accepted[:, field].tolist() == [1, 0]
    # On a whole page, the same sentence after the first 60 words of the body is a mention in passing...
    filler = " ".join(["The office observed the vote count and trained election officials across the country."] * 6)
    page = "Regional workshop in Vienna\n" + filler + " " + lead.split("\n")[1]
    assert model.read([page]).accepted[0, field] == 0
    # ...and so it is in a long report after its first window; in the report's first window it counts.
    report_body = "\n\n".join([filler] * 5)
    late = "Annual report\n" + report_body + "\n\n" + lead.split("\n")[1]
    early = "Annual report\n" + lead.split("\n")[1] + "\n\n" + report_body
    assert model.read([late, early]).accepted[:, field].tolist() == [0, 1]
    # A field with 7 examples (Arms control) has no lead rule; nor does a one-word keyword of Cyber/ICT Security.
    arms = model.labels.index("Arms control")
    assert model.estimator.lead_phrase_minimum_[[field, arms]].tolist() == [1.0, 0.0]
    # (Election observers make Elections the text's best field, so no field is accepted only for being the best.)
    observers = "Regional workshop in Vienna\nElection observers from five countries discussed {} and trained."
    reading = model.read([observers.format("attribution"), observers.format("digital forensics")])
    assert reading.accepted[:, field].tolist() == [0, 1]


def test_a_field_with_many_examples_is_not_accepted_on_its_phrases_alone():
    model = load_model()
    field = model.labels.index("Democratization")  # 84 examples
    named = model.estimator.phrase_accepted(["Parliament, civil society and political parties met."])
    assert named[0, field] == 0 and model.estimator.phrase_minimum_[field] == 0


def test_windows_scored_a_few_at_a_time_read_as_all_at_once(monkeypatch):
    import classifier.estimator.windows as windows

    model = load_model()
    body = "\n\n".join(f"Section {i}. " + words("term", 40) + " election observers" * (i % 3) for i in range(20))
    report = "Annual report\nThe ministry of defence and the armed forces met.\n\n" + body
    assert len(split_windows(report)) > 7
    whole = model.read([report, "A short lead\nElection observers met."])
    monkeypatch.setattr(windows, "WINDOW_CHUNK", 3)
    chunked = model.read([report, "A short lead\nElection observers met."])
    np.testing.assert_array_equal(chunked.accepted, whole.accepted)
    np.testing.assert_allclose(chunked.proba, whole.proba, rtol=1e-12)
    calls = []
    monkeypatch.setattr(
        model.estimator,
        "predict_proba",
        lambda texts, f=model.estimator.predict_proba: calls.append(len(texts)) or f(texts),
    )
    model.read([report])
    assert max(calls[1:]) <= 3  # after the whole text, no call scores more than a chunk of windows


def _read_both_ways(model, texts):
    plain = read_windowed(model.estimator, texts)
    shared = read_windowed(model.estimator, texts, words=[text.split() for text in texts])
    np.testing.assert_array_equal(shared.proba, plain.proba)
    np.testing.assert_array_equal(shared.accepted, plain.accepted)
    np.testing.assert_array_equal(shared.n_windows, plain.n_windows)
    return plain


def test_texts_split_once_read_as_before_on_the_corpus_and_whole_pages():
    from conftest import training_records

    model = load_model()
    releases = [f"{record['title']}\n{record['text']}" for record in training_records()]
    pages_path = Path(__file__).resolve().parent.parent / "training" / "data" / "whole_pages.jsonl"
    pages = [json.loads(line) for line in pages_path.read_text(encoding="utf-8").splitlines()]
    pages = [f"{page['title']}\n{page['text']}" for page in pages]
    # None of them is long: a report made of the corpus's texts is read in windows.
    reports = ["Annual report\n" + "\n\n".join(releases[i : i + 12]) for i in range(0, 240, 12)]
    reading = _read_both_ways(model, releases + pages + reports)
    assert (reading.n_windows > 1).any()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["youth", "councils", "election", "observers", "and", "the", "\n\n", ".", "x"])).map(
            lambda words: " ".join(words * 12)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_texts_split_once_read_as_before(bodies):
    model = load_model()
    _read_both_ways(model, [f"Youth councils\n{body}" for body in bodies])


def test_a_field_found_in_one_window_is_explained_by_that_window():
    model = load_model()
    field = model.labels.index("Combating trafficking in human beings")
    filler = " ".join(["The office observed the vote count and trained election officials across the country."] * 8)
    section = (
        "The Mission trained social workers to identify victims of trafficking in human beings, "
        "and opened two shelters for survivors of labour exploitation."
    )
    report = "Annual report\n" + "\n\n".join([filler, filler, section, filler, filler])
    windows = split_windows(report)
    window_proba = model.estimator.predict_proba(windows)
    best = int(window_proba[:, field].argmax())
    assert section.split(",")[0] in windows[best]  # the window that holds the section scores the field highest
    assert window_proba[best, field] > model.estimator.predict_proba([report])[0, field]
    terms = model.explain([report])[0][field]
    assert terms == model.estimator.explain([windows[best]])[0][field]
    assert terms != model.estimator.explain([report])[0][field]  # not the whole text's explanation
    assert terms and all(term.split()[0].lower() in windows[best].lower() for term, _ in terms)
    # A short text is explained as the estimator explains it.
    lead = "Shelter opened\nThe Mission opened a shelter for victims of trafficking in human beings."
    assert model.explain([lead]) == model.estimator.explain([lead])


def test_sections_skip_blank_paragraphs_and_keep_a_last_heading():
    body = "\n\nThe commission met.\n\n\n\nOfficers trained residents.\n\nNext steps"
    assert sections(body) == ["The commission met.", "Officers trained residents.", "Next steps"]


def test_a_heading_is_a_paragraph_under_fifteen_words_without_closing_punctuation():
    fourteen, fifteen = words("h", 14), words("p", 15)
    assert sections(f"{fourteen}\n\nThe commission met.") == [f"{fourteen} The commission met."]
    assert sections(f"{fifteen}\n\nThe commission met.") == [fifteen, "The commission met."]


@pytest.mark.parametrize("end", [".", "!", "?", ":", ";", '"', "\u201d"])
def test_a_short_paragraph_ending_a_sentence_or_quote_is_no_heading(end):
    assert sections(f"Officers trained{end}\n\nThe commission met.") == [
        f"Officers trained{end}",
        "The commission met.",
    ]


def _named_everywhere(spans, leads):
    """Every span names field 1 of 3."""
    assert len(leads) == len(spans)
    return np.tile([0, 1, 0], (len(spans), 1))


def test_named_in_spans_makes_no_spans_for_a_text_that_cannot_name_a_field():
    texts = ["A lead\nThe commission met.", "Another lead\nOfficers trained residents."]
    calls = []

    def named(spans, leads):
        calls.append(list(spans))
        return _named_everywhere(spans, leads)

    found = named_in_spans(named, texts, could_name=lambda texts: np.array([False, True]))
    assert found.tolist() == [[0, 0, 0], [0, 1, 0]]
    assert calls == [[texts[1]]]
    assert named_in_spans(named, texts, could_name=lambda texts: np.array([False, False])).tolist() == [[0] * 3] * 2
    assert named_in_spans(named, texts).tolist() == [[0, 1, 0], [0, 1, 0]]


@pytest.mark.parametrize(
    ("last_two", "tail"),
    [
        ((50, 10), [60]),  # 10 words is under a third of a window, and 50 + 10 fit in one: joined
        ((45, 15), [60]),
        ((40, 20), [40, 20]),  # 20 is not under a third of 60
        ((60, 10), [60, 10]),  # 60 + 10 do not fit in one window
    ],
)
def test_a_section_under_a_third_of_a_window_joins_its_neighbour_if_both_fit_in_one(last_two, tail):
    # A 300-word section gives windows from words 0, 30, ..., 240 (nine of 60 words), then the two short ones.
    first, second = last_two
    body = "\n\n".join([words("p", 300) + ".", words("x", first) + ".", words("y", second) + "."])
    windows = split_windows(f"Report\n{body}")
    assert [len(window.split("\n", 1)[1].split()) for window in windows] == [60] * 9 + tail


class NamingEstimator(KeywordEstimator):
    """KeywordEstimator which names field 2 outright in a span holding both "alpha" and "omega"."""

    def phrase_accepted(self, spans, leads=None, windows=False):
        return np.array([[0, 0, int("alpha" in span and "omega" in span)] for span in spans])


def test_a_short_text_is_named_in_spans_of_the_window_options():
    # Words 3 and 4: together in the span of words 2-5 (4 words, stride 2), apart with stride 4 (0-3 and 4-7) or
    # with 2 words and stride 2 (2-3 and 4-5),
    # and in the one span of a 60-word window.
    text = "Lead\nw0 w1 w2 alpha omega w5 w6 w7 w8 w9"
    estimator = NamingEstimator()
    assert read_windowed(estimator, [text]).accepted[0, 2] == 1
    assert read_windowed(estimator, [text], window_words=4, stride=2).accepted[0, 2] == 1
    assert read_windowed(estimator, [text], window_words=4, stride=4).accepted[0, 2] == 0
    assert read_windowed(estimator, [text], window_words=2, stride=2).accepted[0, 2] == 0


def test_texts_read_with_their_facts_are_named_in_spans_of_the_window_options():
    model = load_model()
    field = model.labels.index("Reform and co-operation in the security sector")
    # Named by two phrases, 3 words apart: within one 60-word span, never within one 4-word span (words 0-3, 4-7).
    naming = "Election training\nThe ministry of defence and the armed forces learned how polling stations work."
    estimator = model.estimator
    read = estimator.predict_proba_and_facts([naming])
    assert read_windowed(estimator, [naming], read=read).accepted[0, field] == 1
    assert read_windowed(estimator, [naming], read=read, window_words=4, stride=4).accepted[0, field] == 0
    assert read_windowed(estimator, [naming], window_words=4, stride=4).accepted[0, field] == 0


@pytest.mark.parametrize(
    ("n_words", "options", "n_windows"),
    [
        (200, {}, 1),  # not over 350 words: read whole
        (200, {"long_text_words": 100}, 6),  # windows from words 0, 30, ..., 140
        (90, {"long_text_words": 50}, 2),  # words 0-59 and 30-89
        (400, {"window_words": 100, "stride": 50}, 7),  # windows from words 0, 50, ..., 300
    ],
)
def test_the_window_options_decide_which_texts_are_read_in_windows_and_how_many(n_words, options, n_windows):
    text = "Report\n" + words("w", n_words)
    for split in (None, [text.split()]):
        reading = read_windowed(KeywordEstimator(), [text], words=split, **options)
        assert reading.n_windows.tolist() == [n_windows] and reading.n_windows.dtype.kind == "i"


class BoundedNamingEstimator(NamingEstimator):
    """NamingEstimator with a bound: a text without "alpha" cannot name a field outright. It keeps the words it was
    given (`bound_words`) and the spans it was asked to read (`spans_read`)."""

    def __init__(self):
        self.bound_words, self.spans_read = [], []

    def could_name_outright(self, texts, words=None):
        self.bound_words.append(words)
        return np.array(["alpha" in (text if words is None else " ".join(words[i])) for i, text in enumerate(texts)])

    def phrase_accepted(self, spans, leads=None, windows=False):
        self.spans_read.extend(spans)
        return super().phrase_accepted(spans, leads, windows)


def test_an_estimator_bound_of_naming_outright_reads_the_texts_split_once():
    texts = ["Lead\nalpha and omega met", "Lead\nomega met", "Lead\nalpha met", "Report\n" + words("w", 400)]
    for split in (None, [text.split() for text in texts]):
        estimator = BoundedNamingEstimator()
        reading = read_windowed(estimator, texts, words=split)
        assert reading.accepted[:, 2].tolist() == [1, 0, 0, 0]
        # The bound is asked once, of the texts read whole, with their words where they were split already; the
        # text it rules out is not read span by span (the report's windows are read apart from it).
        assert estimator.bound_words == [None if split is None else split[:3]]
        if split is not None:  # the very lists given
            assert all(a is b for a, b in zip(estimator.bound_words[0], split[:3], strict=True))
        assert [span for span in estimator.spans_read if span.startswith("Lead")] == [texts[0], texts[2]]


def test_a_text_split_or_read_with_its_facts_is_named_in_one_pass_over_what_was_found(monkeypatch):
    """The predictor names the fields of texts read whole in one pass over each text (`named_in_spans`), handed what
    was found already: their words, or the bound and the tokens of their facts, not the texts to split again."""
    model = load_model()
    estimator = model.estimator
    naming = "Election training\nThe ministry of defence and the armed forces learned how polling stations work."
    report = "Annual report\n" + " ".join(["The office observed the vote count."] * 60)
    texts = [naming, report, "A short lead\nElection observers met."]
    calls = []
    one_pass = estimator.named_in_spans
    monkeypatch.setattr(
        estimator, "named_in_spans", lambda texts, **kwargs: calls.append(kwargs) or one_pass(texts, **kwargs)
    )
    read = estimator.predict_proba_and_facts(texts)
    split = [text.split() for text in texts]
    readings = [read_windowed(estimator, texts, **how) for how in ({}, {"words": split}, {"read": read})]
    for reading in readings[1:]:
        np.testing.assert_array_equal(reading.accepted, readings[0].accepted)
    assert readings[0].n_windows.tolist() == [1, 11, 1]
    field = model.labels.index("Reform and co-operation in the security sector")
    assert readings[0].accepted[:, field].tolist() == [1, 0, 0]
    (none, given, facts) = calls
    assert none["words"] is None and "tokens" not in none
    assert all(a is b for a, b in zip(given["words"], [split[0], split[2]], strict=True))
    # The lead of election observers could name no field outright: it has no tokens taken out.
    assert facts["could_name"].tolist() == read[1].could_name[[0, 2]].tolist() == [True, False]
    assert all(a is b for a, b in zip(facts["tokens"], [read[1].tokens[0], read[1].tokens[2]], strict=True))
    assert facts["tokens"][0] is not None


def test_a_field_named_outright_adds_to_the_fields_a_text_scores_and_takes_none_away():
    # Read whole: field 1 scores above its threshold, field 2 is named; the second names nothing and keeps its best.
    texts = ["Lead\nfield1 met alpha and omega", "Lead\nfield0 met"]
    for split in (None, [text.split() for text in texts]):  # an estimator with no bound reads split texts alike
        assert read_windowed(NamingEstimator(), texts, words=split).accepted.tolist() == [[0, 1, 1], [1, 0, 0]]
    # Read in windows: field 0 from one section's scores, field 2 named in another.
    report = "Report\n" + "\n\n".join([words("x", 150) + " field0", words("y", 150) + " alpha omega", words("z", 150)])
    assert read_windowed(NamingEstimator(), [report]).accepted.tolist() == [[1, 0, 1]]


class WindowNamingEstimator(KeywordEstimator):
    """KeywordEstimator with a rule for windows only (as `window_phrase_accept`): a window holding "alpha" names
    field 1; a text read whole needs more and names nothing."""

    def phrase_accepted(self, spans, leads=None, windows=False):
        return np.array([[0, int(windows and "alpha" in span), 0] for span in spans])


def test_the_windows_of_a_long_text_are_named_by_the_rule_for_windows():
    report = "Report\n" + "\n\n".join([words("x", 150) + " field0", words("y", 150) + " alpha", words("z", 150)])
    reading = read_windowed(WindowNamingEstimator(), [report, "Lead\nfield0 and alpha"])
    assert reading.n_windows[0] > 1
    assert reading.accepted.tolist() == [[1, 1, 0], [1, 0, 0]]


@pytest.mark.parametrize(
    ("options", "n_windows"),
    [
        ({}, [1, 1, 13, 13]),  # the 400-word bodies from words 0, 30, ..., 360
        ({"long_text_words": 100}, [1, 1, 13, 13]),
        ({"long_text_words": 0}, [2, 2, 13, 13]),  # 90 words: 0-59 and 30-89
    ],
)
def test_texts_read_with_their_facts_are_read_in_the_windows_of_texts_read_without(options, n_windows):
    # The facts count a text's first line as its title; a text of one line is all body all the same.
    report = (FIXTURES / "annual_report.txt").read_text(encoding="utf-8").split()
    bodies = [" ".join(report[:90]), " ".join(report[:400])]
    texts = [text for body in bodies for text in (f"Annual report\n{body}", body)]
    estimator = load_model().estimator
    with_facts = read_windowed(estimator, texts, read=estimator.predict_proba_and_facts(texts), **options)
    plain = read_windowed(estimator, texts, **options)
    assert with_facts.n_windows.tolist() == plain.n_windows.tolist() == n_windows
    np.testing.assert_array_equal(with_facts.accepted, plain.accepted)
    np.testing.assert_allclose(with_facts.proba, plain.proba, rtol=1e-12)
