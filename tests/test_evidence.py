import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.estimator.evidence import (
    EVIDENCE_FEATURES,
    PhraseCounter,
    PhraseMatcher,
    could_accept,
    distinct_phrases,
    evidence_features,
    exact_tokens,
    exact_tokens_by_word,
    field_phrases,
    fit_stacker,
    lead_accepted,
    lead_phrase_minimums,
    lead_phrases,
    phrase_accepted,
    phrase_minimums,
    phrase_words,
    stacked_proba,
)
from classifier.estimator.windows import phrase_spans

PHRASES = (
    (["Rule of law"], ["judicial reform", "courts"]),
    (["Elections", "Election observation"], ["polling station", "voters"]),
)


def test_words_are_cut_to_five_letters_without_accents_stop_words_or_osce():
    assert phrase_words("Elections") == phrase_words("electoral") == ("elect",)
    assert phrase_words("Médias") == ("media",)
    # "of", "the" and "OSCE" carry nothing; "others" shares its cut form with the stop word "other".
    assert phrase_words("The OSCE Rule of Law and the others") == ("rule", "law")


def test_each_phrase_counts_once_per_text_and_only_as_a_run_of_words():
    counter = PhraseCounter(PHRASES)
    texts = [
        "Elections at every polling station: voters and courts. Elections again, electoral courts.",
        "Station polling, reform judicial, the courts",  # words present, but not in the phrases' order
        "",
    ]
    counts = counter.counts(texts)
    assert counts.shape == (3, 2, 2)
    # names and keywords of label 0 (Rule of law), then of label 1 (Elections)
    assert counts[0].tolist() == [[0, 1], [1, 2]]
    assert counts[1].tolist() == [[0, 1], [0, 0]]
    assert counts[2].tolist() == [[0, 0], [0, 0]]


def test_evidence_features_take_the_title_apart_and_share_the_matches_between_labels():
    counter = PhraseCounter(PHRASES)
    features = evidence_features(counter, ["Courts and judicial reform\nVoters at the polling station"])
    assert features.shape == (1, 2, len(EVIDENCE_FEATURES))
    names, keywords, share, title_names, title_keywords = np.moveaxis(features[0], -1, 0)
    assert keywords.tolist() == pytest.approx([np.log(3), np.log(3)])  # two keyword phrases each
    assert names.tolist() == [0, 0]
    assert share.tolist() == [0.5, 0.5]  # four matches in all, two of each label
    assert title_keywords.tolist() == pytest.approx([np.log(3), 0])  # the title names only Rule of law's
    assert title_names.tolist() == [0, 0]


def test_a_field_phrases_are_its_name_aliases_and_subtopics_then_its_keywords(taxonomy):
    names, keywords = field_phrases(taxonomy.field("Media freedom and development"))
    assert names[:2] == ["Media freedom and development", "Media freedom"] and "Safety of journalists" in names
    assert keywords == list(taxonomy.field("Media freedom and development").keywords)


def test_the_stacker_learns_to_trust_evidence_that_predicts_the_label():
    """Label 0's linear score is noise and its evidence decides it; label 1 is left as it was."""
    rng = np.random.default_rng(0)
    n = 400
    truth = rng.integers(0, 2, size=(n, 2))
    proba = np.clip(rng.uniform(size=(n, 2)), 0.05, 0.95)
    evidence = np.zeros((n, 2, len(EVIDENCE_FEATURES)))
    evidence[:, :, 1] = truth * np.log(2)  # one keyword phrase found exactly when the label applies
    mask = np.array([True, False])
    weights, offsets = fit_stacker(proba, evidence, truth, mask)
    assert weights[2] > 1 and abs(weights[0]) < weights[2] / 5  # keyword evidence, not the noisy score
    assert offsets[1] == 0
    stacked = stacked_proba(proba, evidence, weights, offsets, mask)
    np.testing.assert_array_equal(stacked[:, 1], proba[:, 1])
    assert (stacked[truth[:, 0] == 1, 0] > 0.8).all() and (stacked[truth[:, 0] == 0, 0] < 0.2).all()


def test_label_phrases_must_come_in_pairs():
    with pytest.raises(ValueError, match=r"label_phrases\[0\] must be a \(names, keywords\) pair"):
        PhraseCounter([["Elections"]])


# --- exact phrases (PhraseMatcher): a field a text names outright is accepted -----------------------------


def regex_counts(label_phrases, texts):
    """An independent oracle: each phrase as a regular expression over the normalised text, whole words
    (a hyphen joins words), a plural s or es allowed."""
    import re
    import unicodedata

    def normal(text):
        text = unicodedata.normalize("NFKD", text.lower())
        text = "".join(c for c in text if not unicodedata.combining(c))
        return " ".join(re.sub(r"[\u2010-\u2015/]", "-", text).split())

    patterns = [
        {re.compile(r"(?<![\w-])" + re.escape(normal(p)) + r"(?:s|es)?(?![\w-])") for p in [*names, *keywords]}
        for names, keywords in label_phrases
    ]

    def count(label, text):
        spans = {pattern: [m.span() for m in pattern.finditer(text)] for pattern in label}
        every = [span for found in spans.values() for span in found]
        inside = lambda a, b: b[0] <= a[0] and a[1] <= b[1] and b[1] - b[0] > a[1] - a[0]  # noqa: E731
        return sum(1 for found in spans.values() if any(not any(inside(a, b) for b in every) for a in found))

    return np.array([[count(label, normal(t)) for label in patterns] for t in texts])


def test_exact_phrases_are_whole_words_with_an_optional_plural():
    matcher = PhraseMatcher(PHRASES)
    texts = [
        "Courts and more COURTS; judicial reforms. Polling stations opened.",  # plural forms, any case
        "Election-observation mission; electoral courtship",  # "election-observation" is one hyphenated word
        "Élections: the election observation team met voters",
    ]
    assert matcher.counts(texts).tolist() == [[2, 1], [0, 0], [0, 3]]


def test_exact_phrase_counts_equal_a_regular_expression_on_the_corpus(taxonomy):
    from conftest import training_records

    phrases = [field_phrases(field) for field in taxonomy.fields]
    texts = [f"{r['title']}\n{r['text']}" for r in training_records()[:250]]
    counts = PhraseMatcher(phrases).counts(texts)
    np.testing.assert_array_equal(counts, regex_counts(phrases, texts))
    assert counts.sum() > 200  # the corpus names its fields often: the comparison is not of empty matrices


def test_phrase_accepted_needs_each_labels_minimum_and_none_at_zero():
    matcher = PhraseMatcher(PHRASES)
    texts = ["Voters at the polling station", "Voters only", "courts"]
    assert phrase_accepted(matcher, texts, np.array([2.0, 2.0]), 2).tolist() == [[0, 1], [0, 0], [0, 0]]
    assert phrase_accepted(matcher, texts, np.array([1.0, 1.0]), 2).tolist() == [[0, 1], [0, 1], [1, 0]]
    assert phrase_accepted(matcher, texts, np.array([1.0, 0.0]), 2).tolist() == [[0, 0], [0, 0], [1, 0]]
    assert phrase_accepted(matcher, texts, np.array([0.0, 0.0]), 2).tolist() == [[0, 0], [0, 0], [0, 0]]
    assert phrase_accepted(None, texts, np.array([2.0, 2.0]), 2).tolist() == [[0, 0], [0, 0], [0, 0]]
    assert phrase_accepted(matcher, texts, None, 2).tolist() == [[0, 0], [0, 0], [0, 0]]


def test_in_a_lead_only_labels_with_very_few_examples_and_a_phrase_rule_get_a_lead_minimum():
    minimums = np.array([2.0, 2.0, 0.0, 2.0], dtype=np.float32)
    positives = np.array([3, 5, 1, 0])  # under 5, not under 5, under 5 but no phrase rule, zero-shot
    lead = lead_phrase_minimums(minimums, positives, 1, 5)
    assert lead.tolist() == [1.0, 0.0, 0.0, 1.0] and lead.dtype == np.float32
    assert lead_phrase_minimums(minimums, positives, 1, 6).tolist() == [1.0, 1.0, 0.0, 1.0]


def test_a_lead_names_a_label_by_its_names_and_keywords_of_two_words_or_more():
    phrases = [(["Migration", "Migration management"], ["integration", "labour migration", "de-escalation"])]
    assert lead_phrases(phrases) == [(["Migration", "Migration management", "labour migration"], [])]
    matcher = PhraseMatcher(lead_phrases(phrases))
    texts = ["Talks on integration", "Talks on labour migration", "Talks on labour migration", "Talks on integration"]
    leads = [True, True, False, False]
    assert lead_accepted(matcher, texts, np.array([1.0]), leads, 1).tolist() == [[0], [1], [0], [0]]
    assert lead_accepted(matcher, texts, np.array([0.0]), leads, 1).tolist() == [[0]] * 4  # no lead rule
    assert lead_accepted(matcher, texts, np.array([1.0]), None, 1).tolist() == [[0]] * 4  # no text is a lead
    assert lead_accepted(None, texts, np.array([1.0]), leads, 1).tolist() == [[0]] * 4


def test_only_labels_with_few_examples_get_a_minimum():
    low = np.array([True, False, True])
    assert phrase_minimums(low, 2).tolist() == [2.0, 0.0, 2.0]
    assert phrase_minimums(low, 0).tolist() == [0.0, 0.0, 0.0]


def test_a_phrase_inside_a_longer_phrase_of_its_field_counts_once():
    matcher = PhraseMatcher([(["Migration"], ["irregular migration", "migrants"]), (["Border"], ["migration"])])
    texts = ["Irregular migration rose", "Irregular migration, and migration policy", "Irregular migration of migrants"]
    # Field 0: the longer phrase only, then both (a second, separate mention), then two phrases. Field 1 has
    # no longer phrase, so its "migration" counts wherever it occurs.
    assert matcher.counts(texts).tolist() == [[1, 1], [2, 1], [2, 1]]


def test_the_phrases_a_text_names_are_listed_per_field_as_the_taxonomy_writes_them():
    matcher = PhraseMatcher(
        [(["Migration"], ["irregular migration", "Travel documents", "migrants"]), (["SSG/R"], ["migration"])]
    )
    text = "Checks of travel documents and irregular migration. MIGRATION talks; migrants. Ssg/r and more migrants"
    # In the order they first occur, each once, spelled as the taxonomy spells them; "migration" inside
    # "irregular migration" is that phrase, the later one on its own is the field's name. Field 1 has no longer
    # phrase, so both of its mentions count, as one phrase.
    assert matcher.named(text) == {
        0: ["Travel documents", "irregular migration", "Migration", "migrants"],
        1: ["migration", "SSG/R"],
    }
    assert matcher.named("Nothing here names a field") == {}
    # What `counts` counts: the number of phrases listed.
    assert [len(matcher.named(text)[j]) for j in (0, 1)] == matcher.counts([text])[0].tolist()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(1, 4), st.integers(0, 2), st.integers(0, 5)).map(
            lambda m: (m[0], m[0] + m[1], m[2], m[3])
        ),
        max_size=25,
    )
)
def test_distinct_phrases_leave_out_exactly_the_occurrences_inside_a_longer_one_of_their_label(matches):
    # The rule as stated, pair by pair: an occurrence is left out when another of its label spans it and is longer.
    expected = {
        (j, pid)
        for start, end, j, pid in matches
        if not any(j2 == j and s2 <= start and end <= e2 and e2 - s2 > end - start for s2, e2, j2, _ in matches)
    }
    assert distinct_phrases(matches) == expected
    assert distinct_phrases([(0, 3, 0, 7), (1, 2, 0, 8), (1, 2, 1, 9), (1, 3, 0, 7), (2, 5, 0, 4)]) == {
        (0, 7),  # (1, 3) is inside (0, 3), but it is the same phrase, kept by the longer occurrence
        (1, 9),  # another label's phrase is never left out by this label's
        (0, 4),  # overlapping (0, 3) is not lying inside it
    }


TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
PHRASE_WORDS = ["youth", "councils", "youth-led", "SSG/R", "Migration", "irregular", "migrations", "ﬁne", "Élection"]
# The phrases of the bound's property tests: one-word and longer phrases, hyphens, slashes, accents.
BOUND_PHRASES = (
    (["Youth", "youth councils"], ["youth-led", "SSG/R reform"]),
    (["Migration"], ["irregular migration", "élection"]),
    (["Fine"], []),
)
# A few texts of any characters, among them the phrases' words.
SOME_TEXTS = st.lists(
    st.lists(st.text(TEXT_ALPHABET, max_size=20) | st.sampled_from(PHRASE_WORDS + ["\n", "YOUTH"]), max_size=30).map(
        " ".join
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(TEXT_ALPHABET, max_size=40) | st.sampled_from(PHRASE_WORDS), max_size=30).map(" ".join))
def test_exact_tokens_found_word_by_word_are_those_of_the_whole_text(text):
    assert exact_tokens_by_word(text) == exact_tokens(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PHRASE_WORDS + ["and", "of", "the", ",", "\n"]), max_size=80).map(" ".join))
def test_the_phrase_bound_never_drops_a_text_or_span_that_names_a_field(body):
    phrases = BOUND_PHRASES
    matcher = PhraseMatcher(phrases)
    minimums = np.array([2.0, 1.0, 0.0])
    text = f"Youth\n{body}"
    spans = phrase_spans(text, window_words=6, stride=3)
    named = phrase_accepted(matcher, spans, minimums, 3)
    expected = ((matcher.counts(spans) >= minimums) & (minimums > 0)).astype(np.int8)
    np.testing.assert_array_equal(named, expected)  # the bound and the restricted matcher change nothing
    if named.any():
        assert could_accept(matcher, [text], minimums)[0]
    np.testing.assert_array_equal(matcher.only(minimums > 0).counts(spans)[:, :2], matcher.counts(spans)[:, :2])


def _phrase_tokens_word_by_word(matcher: PhraseMatcher, text: str) -> set[str]:
    """The bound's tokens as they were found before a text was split once for every matcher: each word's exact
    tokens that are in some phrase of the matcher."""
    kept = {token for variants in matcher._starting.values() for variant in variants for token in variant[0]}
    return {token for word in text.split() for token in exact_tokens(word) if token in kept}


@settings(max_examples=200, deadline=None)
@given(SOME_TEXTS)
def test_the_phrase_bound_of_a_shared_split_is_that_of_each_word(texts):
    phrases = BOUND_PHRASES
    matcher = PhraseMatcher(phrases).only(np.array([True, True, False]))
    minimums = np.array([2.0, 1.0, 0.0])
    words = [text.split() for text in texts]
    for text, text_words in zip(texts, words):
        assert matcher.phrase_tokens_of_words(text_words) == _phrase_tokens_word_by_word(matcher, text)
        assert matcher.phrase_tokens(text) == _phrase_tokens_word_by_word(matcher, text)
    expected = [matcher.could_reach(_phrase_tokens_word_by_word(matcher, text), minimums) for text in texts]
    np.testing.assert_array_equal(could_accept(matcher, texts, minimums, words), expected)
    np.testing.assert_array_equal(could_accept(matcher, texts, minimums), expected)


def test_the_models_phrase_bound_of_a_shared_split_is_that_of_each_word_on_the_corpus():
    from classifier import load_model

    from conftest import training_records

    model = load_model().estimator
    texts = [f"{record['title']}\n{record['text']}" for record in training_records()]
    matcher, lead_matcher = model._matchers()
    expected = np.zeros(len(texts), dtype=bool)
    for found, minimums in ((matcher, model.phrase_minimum_), (lead_matcher, model.lead_phrase_minimum_)):
        kept, bound = found.only(minimums > 0), np.where(minimums > 0, minimums, np.inf)
        expected |= [kept.could_reach(_phrase_tokens_word_by_word(kept, text), bound) for text in texts]
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(model.could_name_outright(texts, [text.split() for text in texts]), expected)
    np.testing.assert_array_equal(model.could_name_outright(texts), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PHRASE_WORDS + ["and", "of", "the", ",", "\n"]), max_size=80).map(" ".join))
def test_the_lead_rule_with_the_bound_accepts_what_counting_every_phrase_accepts(body):
    matcher = PhraseMatcher(BOUND_PHRASES)
    minimums = np.array([1.0, 2.0, 0.0])
    spans = phrase_spans(f"Youth\n{body}", window_words=6, stride=3) + [body]
    leads = np.arange(len(spans)) % 2 == 0
    expected = np.zeros((len(spans), 3), dtype=np.int8)
    expected[leads] = (matcher.counts([span for span, lead in zip(spans, leads) if lead]) >= minimums) & (minimums > 0)
    np.testing.assert_array_equal(lead_accepted(matcher, spans, minimums, leads, 3), expected)


def test_the_lead_rule_with_the_bound_accepts_what_counting_every_phrase_accepts_on_the_corpus():
    from classifier import load_model

    from conftest import training_records

    model = load_model().estimator
    _, lead_matcher = model._matchers()
    minimums = model.lead_phrase_minimum_
    texts = [f"{record['title']}\n{record['text']}" for record in training_records()]
    expected = ((lead_matcher.counts(texts) >= minimums) & (minimums > 0)).astype(np.int8)
    assert expected.any()
    found = lead_accepted(lead_matcher, texts, minimums, np.ones(len(texts), dtype=bool), model.n_labels_)
    np.testing.assert_array_equal(found, expected)


@settings(max_examples=200, deadline=None)
@given(SOME_TEXTS)
def test_the_bound_of_two_matchers_at_once_is_that_of_each_matcher(texts):
    from classifier.estimator.evidence import could_accept_any

    phrases = BOUND_PHRASES
    matcher, lead_matcher = PhraseMatcher(phrases), PhraseMatcher(lead_phrases(phrases))
    minimums, lead_minimums = np.array([2.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0])
    expected = could_accept(matcher, texts, minimums) | could_accept(lead_matcher, texts, lead_minimums)
    words = [text.split() for text in texts]
    found = could_accept_any(((matcher, minimums), (lead_matcher, lead_minimums)), words)
    np.testing.assert_array_equal(found, expected)
    alone = could_accept_any(((matcher, minimums), (None, None)), words)
    np.testing.assert_array_equal(alone, could_accept(matcher, texts, minimums))


def test_window_minimums_are_every_labels_at_most_its_own():
    from classifier.estimator.evidence import window_phrase_minimums

    minimums = np.array([0.0, 2.0, 3.0, 1.0])
    assert window_phrase_minimums(minimums, 2).tolist() == [2.0, 2.0, 2.0, 1.0]
    assert window_phrase_minimums(minimums, 3).tolist() == [3.0, 2.0, 3.0, 1.0]


# --- what the mutation run found untested -----------------------------------------------------------------


def test_the_minimums_are_float32_and_a_minimum_of_one_gets_a_lead_rule():
    assert phrase_minimums(np.array([True, False]), 2).dtype == np.float32
    from classifier.estimator.evidence import window_phrase_minimums

    assert window_phrase_minimums(np.array([0.0, 1.0]), 2).dtype == np.float32
    # A label accepted on a single phrase is accepted on its phrases as much as one needing two.
    assert lead_phrase_minimums(np.array([1.0, 0.0]), np.array([2, 2]), 1, 5).tolist() == [1.0, 0.0]


def test_the_bound_without_a_matcher_or_minimums_lets_no_text_through():
    matcher, texts = PhraseMatcher(PHRASES), ["Voters at the polling station", "courts"]
    for found in (
        could_accept(matcher, texts, None),
        could_accept(None, texts, np.array([1.0, 1.0])),
        could_accept(matcher, texts, np.array([0.0, 0.0])),
    ):
        assert found.dtype == bool and found.tolist() == [False, False]
    assert could_accept(matcher, texts, np.array([0.0, 1.0])).tolist() == [True, False]


def test_the_sparse_bound_skips_rules_without_a_matcher_or_minimums_and_keeps_each_rules_labels_apart():
    from classifier.estimator.counting import WordTable
    from classifier.estimator.evidence import PhraseBound

    matcher = PhraseMatcher(PHRASES)
    texts = ["Voters and courts", "Polling station", "nothing"]

    def could(rules):
        bound, table = PhraseBound(rules), WordTable(100)
        token_ids, rows = table.store(bound.of_word, raw=True).gather(table.words(texts), few=True)
        return bound.could(rows, token_ids, len(texts)).tolist()

    rule = (matcher, np.array([1.0, 0.0]))  # Rule of law on one of its phrases
    assert could([rule, (None, None), (matcher, None), (None, np.array([1.0, 1.0]))]) == [True, False, False]
    # The second rule's Rule of law (one phrase) is its own, not the first rule's (minimum 0: no rule).
    assert could([(matcher, np.array([0.0, 2.0])), rule]) == [True, False, False]
    assert could([(matcher, np.array([0.0, 2.0]))]) == [False, False, False]


def test_the_title_of_the_evidence_is_the_first_line_only():
    counter = PhraseCounter(PHRASES)
    features = evidence_features(counter, ["Courts\nvoters\nthe polling station"])
    title_keywords = features[0, :, EVIDENCE_FEATURES.index("title_keywords")]
    assert title_keywords.tolist() == pytest.approx([np.log(2), 0.0])  # "courts"; the Elections lines are the body


def test_each_labels_stacker_offset_is_its_base_rate_when_nothing_else_tells():
    # No evidence and the same linear score for every text: the stacker can only learn each label's base rate.
    n = 500
    Y = np.zeros((n, 3), dtype=int)
    Y[: int(0.8 * n), 0] = 1  # 80% of the texts
    Y[: int(0.2 * n), 1] = 1  # 20%
    proba, evidence = np.full((n, 3), 0.5), np.zeros((n, 3, len(EVIDENCE_FEATURES)))
    mask = np.array([True, True, False])
    weights, offsets = fit_stacker(proba, evidence, Y, mask)
    stacked = stacked_proba(proba, evidence, weights, offsets, mask)
    assert stacked[0].tolist() == pytest.approx([0.8, 0.2, 0.5], abs=0.02)
    assert offsets[2] == 0.0


def _counted_in_bulk(counter, texts):
    from classifier.estimator.counting import WordTable
    from classifier.estimator.evidence import BulkPhraseCounter

    bulk, table = BulkPhraseCounter.of(counter), WordTable(100)
    return bulk.counts(*table.store(bulk.of_word).gather(table.words(texts)), len(texts))


def test_phrases_counted_in_bulk_by_hand():
    # Three cut forms: "counc", "elect" and "youth", packed two bits each.
    counter = PhraseCounter([(["Councils"], []), (["Elections youth"], [])])
    texts = ["councils youth", "Elections youth councils", "youth elections", "Councils, councils"]
    expected = [[[1, 0], [0, 0]], [[1, 0], [1, 0]], [[0, 0], [0, 0]], [[1, 0], [0, 0]]]
    assert counter.counts(texts).tolist() == expected
    assert _counted_in_bulk(counter, texts).tolist() == expected
    # The first cut form in sorted order starts a phrase like any other.
    counter = PhraseCounter([(["Assembly"], ["assembly of elections"])])
    assert _counted_in_bulk(counter, ["The Assembly", "assembly elections", "Parliament"]).tolist() == [
        [[1, 0]],
        [[1, 1]],
        [[0, 0]],
    ]


def test_a_taxonomy_without_phrases_is_counted_in_bulk_as_nothing():
    assert _counted_in_bulk(PhraseCounter([([], [])]), ["Elections", ""]).tolist() == [[[0, 0]], [[0, 0]]]


def test_a_phrase_without_tokens_does_not_hide_the_next_and_a_plural_needs_a_last_letter_or_digit():
    matcher = PhraseMatcher([(["", "Courts", "witness"], []), (["Plan-B", "think-tank", "SSG/R", "youth-"], [])])
    counts = matcher.counts(["courts", "Plan-Bs and think-tanks", "SSG/Rs", "youth-s", "youth-", "Witnesses"])
    assert counts.dtype.kind == "i"
    # "youth-" ends in a hyphen: no plural of it.
    assert counts.tolist() == [[1, 0], [0, 2], [0, 1], [0, 0], [0, 1], [1, 0]]


def test_a_fresh_table_of_cut_forms_cuts_each_word_and_leaves_out_stop_words():
    from classifier.estimator.evidence import _Stems

    stems = _Stems()  # empty: every word is met for the first time
    assert [stems[word] for word in ("elections", "youth", "others", "osce", "of")] == [
        "elect",
        "youth",
        None,
        None,
        None,
    ]


def test_a_linear_score_of_exactly_0_or_1_is_read_as_a_finite_logit():
    # The stacker ignores the linear score here (weight 0): a score of 0 or 1 changes nothing, and nothing is NaN.
    evidence = np.zeros((2, 1, len(EVIDENCE_FEATURES)))
    evidence[:, 0, 1] = np.log(2)
    weights = np.array([0.0, 0.0, 2 / np.log(2), 0.0, 0.0, 0.0])
    stacked = stacked_proba(np.array([[0.0], [1.0]]), evidence, weights, np.array([-1.0]), np.array([True]))
    assert stacked[:, 0].tolist() == pytest.approx([1 / (1 + np.exp(-1.0))] * 2)


def test_the_share_of_a_labels_single_match_is_all_of_them():
    features = evidence_features(PhraseCounter(PHRASES), ["Courts"])
    assert features[0, :, EVIDENCE_FEATURES.index("share")].tolist() == [1.0, 0.0]


def test_a_token_in_no_phrase_is_renamed_minus_one_in_place():
    from classifier.estimator.evidence import PhraseBound

    bound = PhraseBound([(PhraseMatcher(PHRASES), np.array([1.0, 1.0]))])
    court, polling = bound.tokens["courts"], bound.tokens["polling"]
    assert bound.of_word_in_place("Courts,") == [court, -1]  # the comma is a token of its own
    assert bound.of_word_in_place("(polling-day)") == [-1, -1, -1]
    assert bound.of_word_in_place("polling") == [polling]


def test_the_bound_of_several_rules_skips_those_without_a_matcher_or_minimums():
    from classifier.estimator.evidence import could_accept_any

    matcher, words = PhraseMatcher(PHRASES), [["Voters", "here"], ["courts"]]
    assert could_accept_any([(matcher, None), (None, np.array([1.0, 1.0]))], words).tolist() == [False, False]
    assert could_accept_any([], words).dtype == bool
    found = could_accept_any([(None, np.array([1.0, 1.0])), (matcher, np.array([0.0, 1.0])), (matcher, None)], words)
    assert found.dtype == bool and found.tolist() == [True, False]
    # Phrases whose tokens no other test's matcher holds: the table of their tokens is made here.
    fresh = PhraseMatcher([(["Quorum rules"], []), (["Ombudsperson"], [])])
    assert could_accept_any([(fresh, np.array([1.0, 1.0]))], [["ombudspersons"], ["quorum"]]).tolist() == [True, False]


def test_a_non_ascii_character_between_letters_separates_words():
    assert phrase_words("Youth\u2014councils") == ("youth", "counc")  # an em dash
    assert phrase_words("youth\u00a0councils") == ("youth", "counc")  # a no-break space


def test_a_fresh_table_of_exact_tokens_keeps_every_token_or_only_those_asked_for():
    from classifier.estimator.evidence import _ExactTokensOfWord

    assert _ExactTokensOfWord()["Youth-led,"] == ("youth-led", ",")
    kept = _ExactTokensOfWord(frozenset({"youth", ","}))
    assert kept["(Youth,"] == ("youth", ",") and kept["Councils"] == () and kept["youth-led"] == ()
    assert kept.tokens_of_words(["Youth.", "ssg/r", "councils"]) == {"youth"}
