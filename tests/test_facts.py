"""The rules' facts found with the features (LinearTopicModel.predict_proba_and_facts) are those found text by text:
each text's words, the bound of naming a field outright and the scope counts; and a model reads texts the same way
with them and without them, on the corpus, on whole pages, on off-topic texts and on any text."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_counting import TEXTS
from test_runtime import HAND_PHRASES, _hand_model

from classifier.bundle.model import Model
from classifier.bundle.storage import load_model
from classifier.estimator.counting import WordTable
from classifier.estimator.evidence import PhraseBound, PhraseMatcher, could_accept_any, lead_phrases
from classifier.estimator.runtime import LinearTopicModel
from classifier.estimator.scope import word_counts

from conftest import ROOT, in_threads, training_records

# Words that hold phrases of the shipped taxonomy, with the marks and cases a page has: a "´" is a space and a mark
# once decomposed, so "OSCE´s" is two words to the features and one to the rules.
WORDS = [
    "Youth", "youth", "councils", "council", "young", "people", "youth-led", "SSG/R", "security", "sector", "reform",
    "Roma", "Sinti", "cyber", "ICT", "counter-terrorism", "OSCE´s", "naïve", "ÉLECTIONS", "für", "très", "the", "and",
    "of", "der", "und", "ΑΣ.", "Σ", "ℌx", "“human”", "rights,", "\n", "police", "trafficking", "human", "beings",
]  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return load_model()


def _without_facts(model: Model) -> Model:
    """The same bundle, read as an estimator without `predict_proba_and_facts` reads (splitting each text)."""
    plain = Model(pickle.loads(pickle.dumps(model.estimator)), model.metadata, model.path)
    plain.estimator.predict_proba_and_facts = None
    return plain


def _texts_from(name: str) -> list[str]:
    import json

    rows = [json.loads(line) for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    return [f"{row.get('title', '')}\n{row['text']}" for row in rows]


def _same_reading(model: Model, plain: Model, texts: list[str]) -> None:
    found, expected = model.read(texts), plain.read(texts)
    np.testing.assert_array_equal(found.proba, expected.proba)
    np.testing.assert_array_equal(found.accepted, expected.accepted)
    assert found.flags == expected.flags


def test_a_model_reads_the_corpus_pages_and_off_topic_texts_the_same_with_the_facts(model):
    plain = _without_facts(model)
    texts = [f"{record['title']}\n{record['text']}" for record in training_records()]
    texts += _texts_from("training/data/whole_pages.jsonl") + _texts_from("training/written/off_topic_heldout.jsonl")
    texts += TEXTS + [" ".join(texts[:12])]  # a long text, read window by window
    found = model.read(texts)
    assert any(found.flags) and found.accepted.sum() > len(texts)  # the checks flag and the rules accept here
    _same_reading(model, plain, texts)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(WORDS), max_size=90).map(" ".join)
        | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200),
        min_size=1,
        max_size=5,
    )
)
def test_any_text_is_read_the_same_with_the_facts(model, texts):
    _same_reading(model, _without_facts(model), texts)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join), min_size=1, max_size=6))
def test_the_bound_found_in_sparse_products_is_that_of_each_text(model, texts):
    matcher, lead_matcher = model.estimator._matchers()
    for rules in (
        ((matcher, model.estimator.phrase_minimum_), (lead_matcher, model.estimator.lead_phrase_minimum_)),
        ((matcher, np.full(model.estimator.n_labels_, 2.0)), (lead_matcher, np.full(model.estimator.n_labels_, 1.0))),
        ((matcher, np.zeros(model.estimator.n_labels_)),),
    ):
        bound, table = PhraseBound(rules), WordTable(1000)
        store = table.store(bound.of_word, raw=True)
        words = table.words(texts)
        token_ids, rows = store.gather(words, few=True)
        expected = could_accept_any(rules, [text.split() for text in texts])
        np.testing.assert_array_equal(bound.could(rows, token_ids, len(texts)), expected)


def test_the_bound_counts_a_phrase_once_and_needs_every_token_of_one_of_its_forms():
    phrases = [(["youth council", "young people"], []), (["border security"], ["border"])]
    matcher, minimums = PhraseMatcher(phrases), np.array([2.0, 2.0])
    texts = [
        "councils of youth and people young",  # every token of both phrases, in any order: the bound lets it through
        "youth council and youth councils",  # one phrase in two forms (a plural s allowed): one phrase
        "young people at the border",  # one phrase of each field
        "border security at the border",  # two phrases of the second field
        "",
    ]
    bound, table = PhraseBound([(matcher, minimums), (PhraseMatcher(lead_phrases(phrases)), np.zeros(2))]), WordTable(9)
    token_ids, rows = table.store(bound.of_word, raw=True).gather(table.words(texts), few=True)
    assert bound.could(rows, token_ids, len(texts)).tolist() == [True, False, False, True, False]


def test_the_facts_count_each_texts_words_title_and_scope(model):
    texts = ["Youth councils\nYoung people of the OSCE´s youth-led groups", "", "\n  ", "Title only", "a b\nc"]
    _, facts = model.estimator.predict_proba_and_facts(texts)
    assert facts.words.tolist() == [len(text.split()) for text in texts] == [9, 0, 0, 2, 3]
    assert facts.title_words.tolist() == [2, 0, 0, 2, 2]
    counts = word_counts(model.estimator)
    assert facts.scope.tolist() == [list(counts.of_words(text.split())) for text in texts]
    assert facts.could_name.tolist()[1:] == [False] * 4


def test_a_model_sent_to_a_worker_starts_with_empty_stores_and_reads_the_same(model):
    texts = TEXTS + [f"{record['title']}\n{record['text']}" for record in training_records()[:50]]
    expected = model.read(texts)
    sent = Model(pickle.loads(pickle.dumps(model.estimator)), model.metadata, model.path)
    stores = sent.estimator._rule_stores
    assert stores is not None and all(
        store.words == 0 for store in (stores.phrase_tokens, stores.scope, stores.in_place)
    )
    assert sent.estimator.parts[0][1].table.ids == {}  # no word of the texts read is sent
    assert len(stores.scope.of_word.__self__) == 0  # nor the scope counts of one
    assert len(pickle.dumps(model.estimator)) < 3 * len(pickle.dumps(load_model().estimator))  # no words sent
    found = sent.read(texts)
    np.testing.assert_array_equal(found.proba, expected.proba)
    np.testing.assert_array_equal(found.accepted, expected.accepted)
    assert found.flags == expected.flags


def _bulk_counts(counter, texts):
    from classifier.estimator.evidence import BulkPhraseCounter

    bulk, table = BulkPhraseCounter.of(counter), WordTable(1000)
    store = table.store(bulk.of_word)
    words = table.words(texts)
    return bulk.counts(*store.gather(words), len(texts)), bulk.counts(*store.gather(words.first_lines()), len(texts))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(WORDS + ["Human", "Rights", "defenders", "and"]), max_size=60).map(" ".join)
        | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
        min_size=1,
        max_size=6,
    )
)
def test_phrases_counted_in_bulk_are_those_counted_text_by_text(model, texts):
    from classifier.estimator.evidence import PhraseCounter

    counter = PhraseCounter(model.estimator.label_phrases)
    whole, title = _bulk_counts(counter, texts)
    np.testing.assert_array_equal(whole, counter.counts(texts))
    np.testing.assert_array_equal(title, counter.counts([text.split("\n", 1)[0] for text in texts]))


def test_phrases_counted_in_bulk_on_the_corpus_count_each_phrase_once_per_text(model):
    from classifier.estimator.evidence import PhraseCounter

    counter = PhraseCounter(model.estimator.label_phrases)
    texts = [f"{record['title']}\n{record['text']}" for record in training_records()] + TEXTS
    texts += ["human rights, human rights and human rights defenders\nHuman Rights"]
    whole, title = _bulk_counts(counter, texts)
    assert whole.max() >= 3 and title.sum() > 100  # names and keywords are found, titles apart
    np.testing.assert_array_equal(whole, counter.counts(texts))
    np.testing.assert_array_equal(title, counter.counts([text.split("\n", 1)[0] for text in texts]))


def test_phrases_too_many_to_pack_are_counted_text_by_text(model):
    """A taxonomy whose phrases cannot be packed in one integer per position is counted text by text."""
    from classifier.estimator.evidence import BulkPhraseCounter, PhraseCounter, evidence_features, stacked_proba
    from classifier.estimator.thresholds import sigmoid

    long_phrase = " ".join(f"word{i}x" for i in range(40))
    phrases = [([long_phrase, "youth councils"], []), (["border"], [])] + [([], [])] * (model.estimator.n_labels_ - 2)
    assert BulkPhraseCounter.of(PhraseCounter(phrases)) is None
    arrays, vocabularies = model.estimator.to_arrays()
    estimator = LinearTopicModel.from_arrays({**model.estimator.params, "label_phrases": phrases}, arrays, vocabularies)
    texts = [f"Youth councils\n{long_phrase} at the border", "border", ""]
    evidence = evidence_features(PhraseCounter(phrases), texts)
    assert evidence[0, 0, 0] > 0 and evidence[0, 0, 3] > 0  # the long phrase and the title's are found
    proba = sigmoid(estimator.decision_function(texts), estimator.calibration_)
    expected = stacked_proba(proba, evidence, estimator.stack_weights_, estimator.stack_offsets_, estimator.stacked_)
    np.testing.assert_array_equal(estimator.predict_proba(texts), expected)
    assert estimator._evidence_store[1] is None


def test_phrases_running_from_the_title_into_a_later_span_are_read_the_same_with_the_facts(model):
    """A span's own text is the title and its words: a phrase may run from the title's last words into a span's
    first, though the text holds them apart. The rules over token ids find these as the rules over tokens do: here
    the second span (body words 30 to 89) names a field twice only with the phrase it starts in the title."""
    plain = _without_facts(model)
    filler = "the delegation met officials in the capital and discussed plans".split()
    texts = []
    for title, head, other in (
        ("A workshop on small arms", "and light weapons", "demining"),
        ("Regional talks on border", "security and management concept", "smuggling"),
        ("New guidance on cyber", "security", "ransomware"),
    ):
        body = [filler[i % len(filler)] for i in range(120)]
        body[30 : 30 + len(head.split())] = head.split()
        body[70] = other  # in the second span only
        texts.append(f"{title}\n{' '.join(body)}")
    _, facts = model.estimator.predict_proba_and_facts(texts)
    expected = model.estimator.named_in_spans(texts)  # the rules over the tokens of each text
    assert expected.sum() == len(texts)  # one field each, named in the second span only
    np.testing.assert_array_equal(
        model.estimator.named_in_spans(texts, could_name=facts.could_name, tokens=facts.tokens), expected
    )
    _same_reading(model, plain, texts)


def test_a_long_text_is_given_no_tokens_and_its_spans_are_read_from_its_text(model):
    """Texts longer than a page are read window by window, so their tokens are not taken out with the facts; the
    rule still reads such a text whole when asked to, from its text."""
    long = "Small arms and light weapons\n" + " ".join(["demining and stockpile management"] * 150)
    texts = [long, "Border security\nborder guards and customs"]
    _, facts = model.estimator.predict_proba_and_facts(texts)
    assert facts.could_name.tolist() == [True, True] and facts.tokens[0] is None and facts.tokens[1] is not None
    found = model.estimator.named_in_spans(texts, could_name=facts.could_name, tokens=facts.tokens)
    expected = model.estimator.named_in_spans(texts)
    assert expected[0].any()
    np.testing.assert_array_equal(found, expected)


def test_threads_sharing_a_model_read_what_each_would_read_alone(model):
    """The REST API reads in threads: the facts are taken out under the table's lock, so a table emptied or grown
    by another thread between two chunks never mixes them up."""
    shared = Model(pickle.loads(pickle.dumps(model.estimator)), model.metadata, model.path)
    shared.estimator.parts[0][1].table.limit = 40  # emptied again and again
    records = training_records()
    batches = [[f"{r['title']} word{i}\n{r['text']} other{i % 7}" for r in records[i : i + 6]] for i in range(40)]
    expected = [model.read(batch) for batch in batches]
    for got, want in zip(in_threads(shared.read, batches), expected):
        np.testing.assert_array_equal(got.proba, want.proba)
        np.testing.assert_array_equal(got.accepted, want.accepted)
        assert got.flags == want.flags


def test_a_large_call_read_block_by_block_joins_the_blocks_facts(model, monkeypatch):
    """A call of more texts than a block is counted block by block; each block's facts (and the tokens of the
    texts the bound lets through) are joined in the texts' order."""
    import classifier.estimator.runtime as runtime

    named = [
        "Training on demining\nSmall arms and light weapons were destroyed.",
        "Customs officers met\nBorder guards and customs services from the region discussed smuggling.",
        "Roma and Sinti\nThe Contact Point for Roma and Sinti Issues met Roma mediators.",
    ]
    texts = [f"{record['title']}\n{record['text']}" for record in training_records()[:40]] + TEXTS
    for at in (3, 11, 20, 33):  # in several blocks, at several places in them
        texts[at:at] = named
    expected = _without_facts(model).read(texts)
    expected_named = model.estimator.named_in_spans(texts)
    assert expected_named.any(axis=1).sum() >= 12
    _, whole = model.estimator.predict_proba_and_facts(texts)  # in one block
    monkeypatch.setattr(runtime, "BLOCK_ROWS", 7)
    _, facts = model.estimator.predict_proba_and_facts(texts)
    assert len(facts.tokens) == len(texts) and facts.scope.shape == (len(texts), 6)
    for name in ("words", "title_words", "could_name", "scope", "latin"):
        np.testing.assert_array_equal(getattr(facts, name), getattr(whole, name), err_msg=name)
    assert facts.tokens == whole.tokens and facts.checked == whole.checked
    found_named = model.estimator.named_in_spans(texts, could_name=facts.could_name, tokens=facts.tokens)
    np.testing.assert_array_equal(found_named, expected_named)
    found = model.read(texts)
    np.testing.assert_array_equal(found.proba, expected.proba)
    np.testing.assert_array_equal(found.accepted, expected.accepted)
    assert found.flags == expected.flags


def test_the_facts_of_a_model_written_by_hand(monkeypatch):
    """Field 0 ("border"; "customs", "border guards") is named outright by two phrases, or by one lead phrase in a
    lead: the bound lets through the texts holding a phrase's every token, and of a text read whole the facts hold
    its exact tokens as ids of the rules' tokens (-1 for the others), where its body words' tokens start, and every
    occurrence of each rule's phrases in it."""
    import classifier.estimator.runtime as runtime

    model = _hand_model(
        params={"label_phrases": HAND_PHRASES},
        phrase_minimum=np.array([2.0, 0.0]),
        lead_phrase_minimum=np.array([1.0, 0.0]),
    )
    long = "A customs office\n" + " ".join(["border"] * 351)  # a body over LONG_TEXT_WORDS is read window by window
    page = "Border guards\n" + " ".join(["voter"] * 349 + ["customs"])  # a body of LONG_TEXT_WORDS: read whole
    texts = ["Border guards\nat the border customs", "voter voter", "", long, "guards\nBorders", page]
    _, facts = model.predict_proba_and_facts(texts)
    stores = model._rule_stores
    assert facts.words.tolist() == [6, 2, 0, 354, 2, 352] and facts.title_words.tolist() == [2, 2, 0, 3, 1, 2]
    assert facts.could_name.tolist() == [True, False, False, True, True, True]
    counts = word_counts(model)
    assert facts.scope.tolist() == [list(counts.of_words(text.split())) for text in texts]
    ids = stores.bound.tokens
    border, guards, customs, borders = ids["border"], ids["guards"], ids["customs"], ids["borders"]
    assert len({border, guards, customs, borders}) == 4 and "voter" not in ids  # field 1 has no minimum
    # Text 0's tokens: border guards | at the border customs. The rule's phrases (border 0, customs 1, border guards
    # 2) occur as (start, end, field, phrase): border and border guards at 0, border at 4, customs at 5; the lead
    # rule's (border 0, border guards 1): border and border guards at 0, border at 4.
    ids, offsets, (every, lead) = facts.tokens[0]
    assert ids == [border, guards, -1, -1, border, customs] and offsets == [2, 3, 4, 5, 6]
    assert sorted(every) == [(0, 1, 0, 0), (0, 2, 0, 2), (4, 5, 0, 0), (5, 6, 0, 1)]
    assert sorted(lead) == [(0, 1, 0, 0), (0, 2, 0, 1), (4, 5, 0, 0)]
    assert facts.tokens[4] == ([guards, borders], [1, 2], ([(1, 2, 0, 0)], [(1, 2, 0, 0)]))  # a plural
    assert facts.tokens[1] is facts.tokens[2] is facts.tokens[3] is None
    ids, offsets, (every, lead) = facts.tokens[5]
    assert ids == [border, guards] + [-1] * 349 + [customs] and offsets == list(range(2, 353))
    assert sorted(every) == [(0, 1, 0, 0), (0, 2, 0, 2), (351, 352, 0, 1)]
    assert sorted(lead) == [(0, 1, 0, 0), (0, 2, 0, 1)]
    # The stores are made once for the model's table and kept, and a call counted block by block gives the same.
    monkeypatch.setattr(runtime, "BLOCK_ROWS", 3)  # two blocks
    _, blocks = model.predict_proba_and_facts(texts)
    assert model._rule_stores is stores
    for name in ("words", "title_words", "could_name", "scope", "tokens"):
        np.testing.assert_equal(getattr(blocks, name), getattr(facts, name))
    assert blocks.checked == facts.checked


def test_the_facts_read_each_word_as_the_rules_read_the_text():
    """The rules take a word's tokens from the word as the text has it: "ℌx" (a capital that decomposes only after
    the text is lower-cased, as scikit-learn does it) is "Hx" to them, in the facts as in matching the text; its
    normalised form read again would be "hx"."""
    phrases = ((["hx"], []), (["voter"], []))
    model = _hand_model(params={"label_phrases": phrases}, phrase_minimum=np.array([1.0, 0.0]))
    texts = ["ℌx", "hx", "the HX", "hx ℌx"]
    _, facts = model.predict_proba_and_facts(texts)
    assert facts.could_name.tolist() == model.could_name_outright(texts).tolist() == [False, True, True, True]
    assert facts.tokens[3][0] == [model._rule_stores.bound.tokens["hx"], -1]  # "Hx" is in no phrase
    expected = [[0, 0], [1, 0], [1, 0], [1, 0]]
    assert model.named_in_spans(texts).tolist() == model.phrase_accepted(texts).tolist() == expected
    assert model.named_in_spans(texts, could_name=facts.could_name, tokens=facts.tokens).tolist() == expected


def test_the_latin_script_check_from_each_words_letters_is_that_of_each_text(model):
    """The facts count each word's letters and those of other scripts once (scope.letter_counts); a text's sums say
    what reading the whole text says (`_reads_latin`), at the check's bounds too: 20 letters, more than half."""
    from classifier.estimator.scope import _reads_latin

    texts = [
        "Выборы в регионе\nНаблюдатели",  # Cyrillic
        "ΑΒΓΔΕ ΖΗΘΙΚ\nabcde fghij",  # 10 Greek of 20 letters: not more than half
        "ΑΒΓΔΕ ΖΗΘΙΚ Λ\nabcde fghij",  # 11 of 21
        "ΑΒΓΔΕ ΖΗΘΙΚ\nabcd fghij",  # 10 of 19: under 20 letters
        "“Quoted” élections\nnaïve café",  # beyond ASCII, Latin
        "plain ascii\ntext 123",
        "",
        "Σ\u00a0ΑΣ.\tΟΔΟΣ\x1cΟΔΟΣ ΟΔΟΣ ΟΔΟΣ x",  # other white space between words
    ]
    _, facts = model.estimator.predict_proba_and_facts(texts)
    expected = [_reads_latin(text) for text in texts]
    assert expected == [False, True, False, True, True, True, True, False]
    assert facts.latin.tolist() == expected
