"""Matching a text's phrases once for all its spans accepts exactly what matching each span on its own accepts."""

from functools import partial
from itertools import accumulate

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from classifier.estimator.evidence import PhraseMatcher, exact_tokens_of_word, lead_accepted, phrase_accepted
from classifier.estimator.spans import SpanMatches, SpanRule, named_in_text, named_in_tokens, span_starts
from classifier.estimator.windows import named_in_spans, phrase_spans

from conftest import training_records

PHRASES = (
    (["Youth", "youth councils"], ["youth-led", "SSG/R reform", "young people"]),
    (["Migration"], ["irregular migration", "labour migration", "élection"]),
    (["Fine"], ["border management staff college"]),
)
WORDS = ["youth", "Councils", "youth-led", "SSG/R", "reform", "young", "people", "migration", "irregular"]
WORDS += ["labour", "migrations", "Élection", "fine", "border", "management", "staff", "college", "and", ",", "the"]


def span_by_span(matcher, lead_matcher, minimums, lead_minimums, texts, **spans) -> np.ndarray:
    """The fields named outright as they were found before: each span's text made and matched on its own."""

    def named(span_texts, leads=None):
        found = phrase_accepted(matcher, span_texts, minimums, 3)
        return found | lead_accepted(lead_matcher, span_texts, lead_minimums, leads, 3)

    return named_in_spans(named, texts, **spans)


def one_pass(matcher, lead_matcher, minimums, lead_minimums, texts, **spans) -> np.ndarray:
    rule, lead_rule = SpanRule.of(matcher, minimums), SpanRule.of(lead_matcher, lead_minimums)
    found = [named_in_text(rule, lead_rule, text, spans["window_words"], spans["stride"], 3) for text in texts]
    assert all(named.dtype == bool for named in found)  # a mask of the labels, as the predictor's rows are
    return np.array(found)


def named_both_ways(minimums, texts, **spans) -> np.ndarray:
    """The fields each text names outright under PHRASES with these phrase `minimums` (no lead rule), span by span,
    after checking that one pass finds the same."""
    matcher, minimums, no_lead = PhraseMatcher(PHRASES), np.array(minimums, dtype=float), np.zeros(3)
    expected = span_by_span(matcher, matcher, minimums, no_lead, texts, **spans)
    np.testing.assert_array_equal(one_pass(matcher, matcher, minimums, no_lead, texts, **spans), expected)
    return expected


def test_span_starts_are_those_of_the_spans():
    for n_words in (0, 1, 5, 6, 7, 12, 13, 30):
        body = " ".join(f"w{i}" for i in range(n_words))
        spans = phrase_spans(f"Title\n{body}", window_words=6, stride=3)
        assert [f"Title\n{' '.join(body.split()[s : s + 6])}" for s in span_starts(n_words, 6, 3)] == spans


def test_a_phrase_from_the_title_into_a_span_and_one_cut_at_a_span_end_count_as_in_each_span():
    matcher = PhraseMatcher(PHRASES)
    minimums, no_lead = np.array([3.0, 2.0, 0.0]), np.zeros(3)
    texts = [
        # "SSG/R reform" runs from the title into the second span (words 3 on), the third phrase of Youth there.
        "Support for SSG/R\na b c reform youth-led young people x",
        "Support for SSG/R\nreform youth-led young people",  # into the only span
        "Support for SSG/R\na b reform youth-led young people x",  # into no span: "reform" is in the first only
        # "irregular migration" is cut by the first span's end: there, "migration" is not in it, in the second
        # span it is inside the longer phrase (one mention), in the third it stands alone next to "labour migration".
        "Title\na b c d e irregular migration labour migration x",
        "Title\nélection b c d e irregular migration",  # "irregular migration" is in no span with "élection"
        "No line break: youth councils, youth-led, young people",  # the whole text is the title
        "Youth, youth councils, youth-led\n",  # a title and no body
    ]
    spans = {"window_words": 6, "stride": 3}
    expected = span_by_span(matcher, matcher, minimums, no_lead, texts, **spans)
    assert expected[:, 0].tolist() == [1, 1, 0, 0, 0, 1, 1] and expected[:, 1].tolist() == [0, 0, 0, 1, 0, 0, 0]
    np.testing.assert_array_equal(one_pass(matcher, matcher, minimums, no_lead, texts, **spans), expected)


def test_the_lead_rule_reads_the_first_span_only():
    matcher = PhraseMatcher(PHRASES)
    no_phrase_rule, lead = np.zeros(3), np.array([1.0, 0.0, 0.0])
    texts = ["Title\nyoung people a b c d e f g h", "Title\na b c d e f g h young people"]
    spans = {"window_words": 4, "stride": 2}
    expected = span_by_span(matcher, matcher, no_phrase_rule, lead, texts, **spans)
    assert expected[:, 0].tolist() == [1, 0]
    np.testing.assert_array_equal(one_pass(matcher, matcher, no_phrase_rule, lead, texts, **spans), expected)


@given(
    st.lists(st.sampled_from(WORDS + ["\n"]), max_size=50).map(" ".join),
    st.integers(1, 8),
    st.integers(1, 8),
    st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=3, max_size=3),
    st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=3, max_size=3),
)
@example("\nfine a b", 1, 1, [0.0, 0.0, 0.0], [0.0, 0.0, 1.0])  # a lead of fewer tokens than the field's index
def test_one_pass_accepts_what_each_span_accepts(text, window_words, stride, minimums, lead_minimums):
    matcher, lead_matcher = PhraseMatcher(PHRASES), PhraseMatcher([(names, []) for names, _ in PHRASES])
    minimums, lead_minimums = np.array(minimums), np.array(lead_minimums)
    spans = {"window_words": window_words, "stride": stride}
    found = one_pass(matcher, lead_matcher, minimums, lead_minimums, [text], **spans)
    np.testing.assert_array_equal(found, span_by_span(matcher, lead_matcher, minimums, lead_minimums, [text], **spans))
    rules = SpanRule.of(matcher, minimums), SpanRule.of(lead_matcher, lead_minimums)
    np.testing.assert_array_equal(named_with_occurrences_found_beforehand(*rules, text, window_words, stride), found[0])


def test_the_bundled_model_accepts_the_same_fields_on_the_corpus_either_way():
    from classifier import load_model

    model = load_model().estimator
    records = training_records()
    # Real items, and the same items with a long title (more phrases in it, and running into the body).
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    texts += [f"{r['title']} {r['text'][:300]}\n{r['text']}" for r in records[:100]]
    expected = named_in_spans(model.phrase_accepted, texts, model.could_name_outright)
    assert expected.any(axis=1).sum() > 20  # the rule does accept fields here
    words = [text.split() for text in texts]
    np.testing.assert_array_equal(model.named_in_spans(texts), expected)
    np.testing.assert_array_equal(model.named_in_spans(texts, words=words), expected)
    short = partial(model.named_in_spans, window_words=20, stride=10)
    np.testing.assert_array_equal(
        short(texts[:200]), named_in_spans(model.phrase_accepted, texts[:200], window_words=20, stride=10)
    )


def test_span_starts_step_by_the_stride_until_a_span_reaches_the_last_word():
    # Spans of 6 words from every third: the last one starts where the body's last word is in it.
    assert list(span_starts(0, 6, 3)) == [0] and list(span_starts(6, 6, 3)) == [0]
    assert list(span_starts(7, 6, 3)) == [0, 3]  # words 0-5 and 3-8: word 6 needs the second
    assert list(span_starts(12, 6, 3)) == [0, 3, 6]  # 6-11 ends on the last word
    assert list(span_starts(13, 6, 3)) == [0, 3, 6, 9]
    assert list(span_starts(13, 6, 6)) == [0, 6, 12] and list(span_starts(12, 6, 6)) == [0, 6]
    # A stride longer than a span skips words; no span starts past the last word.
    assert list(span_starts(2, 1, 3)) == [0] and list(span_starts(10, 4, 5)) == [0, 5]


def test_a_stride_longer_than_a_span_reads_the_same_in_one_pass():
    # Found by the property test below (HYPOTHESIS_PROFILE=thorough): the one-pass matching looked for a span
    # starting at word 3 of a body of 2 words, past its end, and failed.
    texts = ["\n youth youth", "Title\na b c d youth e f"]  # youth is word 0; then word 4, in none of 0, 3, 6
    spans = {"window_words": 1, "stride": 3}
    expected = named_both_ways([1.0, 0.0, 0.0], texts, **spans)
    assert expected[:, 0].tolist() == [1, 0]


def test_a_phrase_from_a_one_word_title_into_a_later_span_is_in_that_span():
    # "SSG/R reform" runs from the title's only word into the span of words 3-8, with youth-led and young people.
    texts = ["SSG/R\na b c reform youth-led young people x", "SSG/R\na b c d reform youth-led young people"]
    spans = {"window_words": 6, "stride": 3}
    expected = named_both_ways([3.0, 0.0, 0.0], texts, **spans)
    assert expected[:, 0].tolist() == [1, 0]


def test_a_phrase_inside_one_running_from_the_title_counts_once_in_any_span():
    # "migration" is inside "irregular migration", which runs from the title into the first span (words 0-5) of
    # the first text and into the second span (words 3-8) of the second: one phrase of Migration there, not two.
    texts = [
        "Irregular\nmigration a b",
        "Irregular\na b c migration x y z",
        "Irregular\nmigration and labour migration",  # two phrases: irregular migration, labour migration
    ]
    spans = {"window_words": 6, "stride": 3}
    expected = named_both_ways([0.0, 2.0, 0.0], texts, **spans)
    assert expected[:, 1].tolist() == [0, 0, 1]


def test_a_lead_phrase_counts_only_if_it_ends_within_the_first_sixty_words():
    from classifier import load_model

    model = load_model()
    field = model.labels.index("Cyber/ICT Security")  # named outright by one lead phrase, "digital forensics"
    filler = ("The office observed the vote count and trained election officials across the country. " * 5).split()
    found = []
    for before in (58, 59, 60):  # "digital" as body word 58, 59 or 60 (counted from 0)
        text = "Regional workshop in Vienna\n" + " ".join([*filler[:before], "digital forensics and trained."])
        found.append(int(model.read([text]).accepted[0, field]))
        assert model.estimator.named_in_spans([text])[0, field] == found[-1]
    assert found == [1, 0, 0]


def test_the_title_phrases_and_those_running_from_it_count_in_every_span():
    cases = [
        # The title's own phrase counts in the span of words 3-7 too, with "labour migration": two of Migration.
        ("Irregular migration\na b c d e f labour migration", [0.0, 2.0, 0.0], 6, 3, 1),
        # "SSG/R reform" ends where the only span ends; with the title's youth-led and young people, three of Youth.
        ("Youth-led young people and SSG/R\nreform", [3.0, 0.0, 0.0], 6, 3, 0),
        # "SSG/R reform" runs into the span of words 1-4 (a stride of one word).
        ("Support for SSG/R\na reform youth-led young people", [3.0, 0.0, 0.0], 4, 1, 0),
    ]
    for text, minimums, window_words, stride, field in cases:
        expected = named_both_ways(minimums, [text], window_words=window_words, stride=stride)
        assert expected[0, field] == 1, text


def test_a_title_phrase_inside_one_running_into_a_later_span_counts_once():
    # "youth" (a name of Youth) ends the title; "youth councils" runs from it into the span of words 3-6 only:
    # there Youth has one phrase, not two.
    texts = ["Title youth\na b c councils x y z", "Title youth\na b c councils youth-led y z"]
    spans = {"window_words": 6, "stride": 3}
    expected = named_both_ways([2.0, 0.0, 0.0], texts, **spans)
    assert expected[:, 0].tolist() == [0, 1]


def token_ids(*rules: SpanRule | None) -> dict[str, int]:
    """An id for every token of the rules' phrases, as the predictor's table of words gives them."""
    tokens = {
        token
        for rule in rules
        if rule
        for found in rule.starting.values()
        for variant, _, _ in found
        for token in variant
    }
    return {token: i for i, token in enumerate(sorted(tokens))}


def found_at_once(rule: SpanRule, texts: list[str], ids_of: dict[str, int] | None = None) -> list[tuple]:
    """The occurrences of `rule`'s phrases that SpanMatches finds in the `texts` one after the other, as token ids (as
    the predictor finds them in a chunk of texts), positions within all of them."""
    ids_of = token_ids(rule) if ids_of is None else ids_of
    table = SpanMatches(rule.renamed(ids_of), len(ids_of))
    tokens = [ids_of.get(token, -1) for text in texts for word in text.split() for token in exact_tokens_of_word(word)]
    ids = np.array(tokens, dtype=np.int64)
    ends = np.cumsum([sum(len(exact_tokens_of_word(word)) for word in text.split()) for text in texts])
    at = np.flatnonzero(table.starts[ids])
    found = table.find(ids, at, ends[np.searchsorted(ends, at, side="right")])
    return list(zip(*(column.tolist() for column in found)))


def named_with_occurrences_found_beforehand(rule, lead_rule, text: str, window_words: int, stride: int) -> np.ndarray:
    """`named_in_text`, read as the predictor reads a text of a chunk: its tokens as ids, every occurrence of each
    rule's phrases in the whole text found beforehand (found_at_once)."""
    ids_of = token_ids(rule, lead_rule)
    title, _, body = text.partition("\n")
    words = [exact_tokens_of_word(word) for word in body.split()]
    offsets = list(accumulate(map(len, words), initial=sum(len(exact_tokens_of_word(word)) for word in title.split())))
    ids = [ids_of.get(token, -1) for word in text.split() for token in exact_tokens_of_word(word)]
    rules = [None if found is None else found.renamed(ids_of) for found in (rule, lead_rule)]
    matches = tuple([] if found is None else found_at_once(found, [text], ids_of) for found in (rule, lead_rule))
    return named_in_tokens(*rules, ids, offsets, window_words, stride, 3, matches=matches)


@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join), min_size=1, max_size=5))
@example(["labour irregular", "migration youth councils"])  # no phrase runs from one text into the next
@example(["youth Councils youth youth-led reform SSG/R reform"])  # one token starting several phrases
def test_the_occurrences_found_in_texts_at_once_are_those_found_text_by_text_in_the_same_order(texts):
    # Each field's phrases as listed, and the other way round ("youth councils" before "Youth", which starts it).
    for phrases in (PHRASES, tuple((names[::-1], others[::-1]) for names, others in PHRASES)):
        rule = SpanRule.of(PhraseMatcher(phrases), np.ones(3))
        expected, before = [], 0
        for text in texts:
            tokens = [token for word in text.split() for token in exact_tokens_of_word(word)]
            found = rule.matches(tokens, range(len(tokens)))
            expected += [(start + before, end + before, j, pid) for start, end, j, pid in found]
            before += len(tokens)
        assert found_at_once(rule, texts) == expected


def test_a_rule_whose_fields_have_no_phrases_names_nothing():
    matcher = PhraseMatcher([(["Youth"], ["youth-led"]), ([], []), (["Fine"], [])])
    rule = SpanRule.of(matcher, np.array([0.0, 1.0, 0.0]))
    assert rule is not None and rule.starting == {}
    text = "Youth and fine\nyouth-led fine youth " * 3
    assert not named_in_text(rule, rule, text, 6, 3, 3).any()
    assert found_at_once(rule, [text, text]) == []
    assert SpanRule.of(matcher, np.zeros(3)) is None and SpanRule.of(None, np.ones(3)) is None


def test_two_fields_named_in_different_spans_are_both_accepted():
    # Youth is named twice in the first span and Migration twice in the last, apart: a text whose occurrences give
    # two fields reads on after the first span accepts one of them.
    texts = ["Title\nyouth-led young people a b c d e f g h i j irregular migration labour migration"]
    spans = {"window_words": 6, "stride": 3}
    assert named_both_ways([2, 2, 0], texts, **spans).tolist() == [[1, 1, 0]]
    # And one whose occurrences are too far apart for any span accepts nothing, however many spans it has.
    apart = ["Title\nyouth-led a b c d e f g h young people i j k l m n o p irregular migration"]
    assert named_both_ways([2, 2, 0], apart, **spans).tolist() == [[0, 0, 0]]
