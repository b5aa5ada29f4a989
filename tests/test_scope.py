"""Abstaining on texts in other languages and out of scope (classifier/estimator/scope.py)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import load_model
from classifier.estimator.scope import (
    FOREIGN_FUNCTION_WORDS,
    ScopeCheck,
    WordCounts,
    content_words,
    reads_as_english,
    vocabulary_coverage,
)

from conftest import FIXTURES, training_records

SCOPE_WORDS = sorted(FOREIGN_FUNCTION_WORDS)[:60] + [
    *"the of and to in a is observers election Election journalists media électeurs ÉLECTEURS polling 12 x".split(),
    *["l'état", "don’t", "Миссия", "выборы", "ΣΑΣ", "ﬁne", "İstanbul", "co-operation", "x\u0301y", "\u00a0", "\n"],
]
ENGLISH = "The OSCE Mission organized a training course for judges and prosecutors on fair trial standards."


def written_examples():
    return [json.loads(line) for line in (FIXTURES / "out_of_scope.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "text, english",
    [
        (ENGLISH, True),
        ("Миссия по наблюдению за выборами открылась в столице и будет следить за кампанией.", False),
        (
            "Die Mission wird die Vorbereitung der Wahlen und die Arbeit der Kommissionen verfolgen, und sie wird mit "
            "den Parteien sprechen.",
            False,
        ),
        (
            "La mission suivra la préparation des élections et le travail des commissions, et elle rencontrera les "
            "partis.",
            False,
        ),
        (
            "Projektligji për deklarimin e pasurive të zyrtarëve është miratuar nga parlamenti në seancën e sotme.",
            False,
        ),
        ("OSCE in Vienna", True),  # too short to judge
        ("Miklos Haraszti, the OSCE Representative on Freedom of the Media, met Nedzad Brankovic in Sarajevo.", True),
    ],
)
def test_language(text, english):
    assert reads_as_english(text) is english


def test_coverage_counts_content_words_only():
    words = content_words("The 3 observers and the 12 Observers met journalists in Baku.")
    assert words == ["observers", "observers", "met", "journalists", "baku"]
    assert vocabulary_coverage(words, {"observers", "journalists"}) == pytest.approx(3 / 5)
    assert vocabulary_coverage([], set()) == 1.0


def test_thresholds_of_the_out_of_scope_check():
    check = ScopeCheck(min_coverage=0.45, weak_coverage=0.55, weak_probability=0.3, min_words=5)
    vocabulary = {"alpha", "beta", "gamma", "delta", "epsilon"}
    # 4 known words of 10: below min_coverage whatever the fields score.
    text = "the alpha and the beta of gamma with delta for zeta in eta to theta on iota by kappa at lambda"
    assert check.flag(text, 0.99, vocabulary) == "out-of-scope"
    # 5 of 10: between the two thresholds, so it depends on the best field.
    text = "the alpha and the beta of gamma with delta for epsilon in eta to theta on iota by kappa at lambda"
    assert check.flag(text, 0.29, vocabulary) == "out-of-scope"
    assert check.flag(text, 0.30, vocabulary) is None
    # Four content words are too few to judge.
    assert check.flag("the zeta and the eta of theta in iota", 0.0, vocabulary) is None


@pytest.mark.parametrize("example", written_examples(), ids=lambda e: e["id"])
def test_the_model_abstains_on_off_topic_and_foreign_texts(example):
    suggestion = load_model().suggest(f"{example['title']}\n\n{example['text']}")
    assert suggestion.labels == [] and suggestion.flag == example["expected"]
    assert suggestion.to_dict()["flag"] == example["expected"]


def test_no_abstention_on_the_examples_and_a_sample_of_real_items():
    model = load_model()
    texts = [
        (FIXTURES.parent.parent / "examples" / name).read_text(encoding="utf-8")
        for name in ("election-observation-kyrgyzstan.txt", "plain-text-media.txt", "trafficking-training-serbia.txt")
    ]
    texts += [f"{r['title']}\n\n{r['text']}" for r in training_records()[::25]]
    for text in texts:
        suggestion = model.suggest(text)
        assert suggestion.flag is None and suggestion.labels, text[:80]
        assert "flag" not in suggestion.to_dict()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
        | st.lists(st.sampled_from(SCOPE_WORDS), max_size=40).map(" ".join),
        min_size=1,
        max_size=6,
    ),
    st.floats(0, 1),
)
def test_flags_from_counts_per_word_are_those_of_each_text(texts, best):
    """scope_flags adds up each word's counts (WordCounts); `flag` reads each text whole: the same flags."""
    vocabulary = frozenset(["observers", "election", "journalists", "media", "électeurs", "polling"])
    check = ScopeCheck()
    texts = texts + [" ".join(texts)]
    expected = [check.flag(text, best, vocabulary) for text in texts]
    assert check.flags(texts, [best] * len(texts), WordCounts(vocabulary)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
        | st.lists(st.sampled_from(SCOPE_WORDS + ["ΟΔΟΣ", "Σ", "ΑΣ."]), max_size=40).map(" ".join),
        min_size=1,
        max_size=6,
    ),
    st.floats(0, 1),
)
def test_flags_from_a_text_split_once_in_its_own_case_are_those_of_each_text(texts, best):
    """The words of a text split once (as Model.read splits it for the phrase bound too), counted in their own
    case and lower-cased one by one, give the flags of each text read whole in lower case."""
    vocabulary = frozenset(["observers", "election", "journalists", "media", "électeurs", "polling", "οδος"])
    check = ScopeCheck()
    expected = [check.flag(text, best, vocabulary) for text in texts]
    words = [text.split() for text in texts]
    assert check.flags(texts, [best] * len(texts), WordCounts(vocabulary), words) == expected
    assert [word.lower() for text in texts for word in text.split()] == [
        word for text in texts for word in text.lower().split()
    ]


@given(st.lists(st.sampled_from(SCOPE_WORDS) | st.text(max_size=8), max_size=40).map(" ".join))
def test_the_latin_script_check_finds_what_a_search_of_every_character_finds(text):
    """Only a text's characters beyond ASCII are tested for letters of other scripts; a search of the whole text
    (the definition) finds the same."""
    import re

    from classifier.estimator.scope import _LETTER, _reads_latin

    non_latin = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F]")
    letters = len(_LETTER.findall(text))
    expected = non_latin.search(text) is None or not (letters >= 20 and len(non_latin.findall(text)) > 0.5 * letters)
    assert _reads_latin(text) == expected


def test_each_model_is_checked_against_its_own_words_whichever_was_read_before():
    """The words of a model's vocabulary are made once per list of terms: a second model, or a model of the same
    terms in a new list, gets its own."""
    from types import SimpleNamespace

    from classifier.estimator.scope import word_vocabulary

    first = SimpleNamespace(vocabularies={"text": ["election", "election observation", "media"]})
    second = SimpleNamespace(vocabularies={"text": ["recipe", "flour"]})
    assert word_vocabulary(first) == {"election", "media"}
    assert word_vocabulary(second) == {"recipe", "flour"}
    assert word_vocabulary(first) == {"election", "media"}
    first.vocabularies["text"] = ["youth"]
    assert word_vocabulary(first) == {"youth"}
