"""The scikit-learn-free predictor gives exactly what the fitted TopicClassifier gives, and predicting never imports
scikit-learn."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_counting import TEXTS

from classifier.bundle.storage import load_model
from classifier.estimator.model import TopicClassifier
from classifier.estimator.runtime import LinearTopicModel

from conftest import ROOT, TRAINING


@pytest.fixture(scope="module")
def both():
    """The shipped bundle rebuilt twice: as the scikit-learn estimator and as the runtime predictor."""
    model = load_model()
    arrays, vocabularies = model.estimator.to_arrays()
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in model.metadata["params"].items()}
    return TopicClassifier.from_arrays(params, arrays, vocabularies), LinearTopicModel.from_arrays(
        params, arrays, vocabularies
    )


def corpus_texts():
    rows = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    pages = ROOT / "training" / "data" / "whole_pages.jsonl"
    rows += [json.loads(line) for line in pages.read_text(encoding="utf-8").splitlines()]
    return [f"{row['title']}\n{row['text']}" for row in rows]


def test_the_shipped_model_loads_as_the_runtime_predictor():
    assert isinstance(load_model().estimator, LinearTopicModel)


def test_features_scores_and_explanations_equal_the_estimators_on_the_corpus_and_whole_pages(both):
    estimator, runtime = both
    texts = corpus_texts() + ["", "x", "Genève  naïve\n\n  ÉLECTIONS à Priština", "the and of", "ﬁnal Ⅻ"]
    texts += TEXTS  # the edges of counting in bulk: one-character words, titles, white space, stop words
    assert (estimator.transform(texts) != runtime.transform(texts)).nnz == 0
    np.testing.assert_array_equal(estimator.predict_proba(texts), runtime.predict_proba(texts))
    np.testing.assert_array_equal(estimator.predict(texts), runtime.predict(texts))
    assert estimator.explain(texts[:60]) == runtime.explain(texts[:60])
    assert estimator.vocabularies == runtime.vocabularies


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300), min_size=1, max_size=4
    )
)
def test_any_text_gets_the_same_scores(both, texts):
    estimator, runtime = both
    words = ["election", "observers", "police", "border", "trafficking", "Roma", "media", "rule", "law", "youth"]
    texts = texts + [" ".join(words[i % len(words)] for i in range(len(text))) + text for text in texts]
    np.testing.assert_array_equal(estimator.predict_proba(texts), runtime.predict_proba(texts))


def test_the_stop_words_and_accent_stripping_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, strip_accents_unicode

    from classifier.estimator.stopwords import ENGLISH_STOP_WORDS as OURS
    from classifier.estimator.text import strip_accents

    assert OURS == ENGLISH_STOP_WORDS
    for text in ["Genève", "Prishtinë", "ﬁne", "Ａ", "naïve café", "Приштина", "plain", "", "Ⅻ"]:
        assert strip_accents(text) == strip_accents_unicode(text)


def test_suggesting_never_imports_scikit_learn():
    code = (
        "import sys; sys.argv = ['classifier', 'suggest', 'examples/election-observation-kyrgyzstan.txt', '--explain'];"
        "from classifier.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if any(name == 'sklearn' or name.startswith('sklearn.') for name in sys.modules) else 'FREE')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "* Elections" in result.stdout and result.stdout.rstrip().endswith("FREE")


def test_fields_named_outright_are_the_same_for_both(both):
    estimator, runtime = both
    texts = corpus_texts()
    named = estimator.phrase_accepted(texts)
    np.testing.assert_array_equal(named, runtime.phrase_accepted(texts))
    assert named.sum() > 50  # the shipped model has the rule on, and the corpus names its fields
    leads = np.arange(len(texts)) % 2 == 0
    in_leads = estimator.phrase_accepted(texts, leads=leads)
    np.testing.assert_array_equal(in_leads, runtime.phrase_accepted(texts, leads=leads))
    np.testing.assert_array_equal(in_leads[~leads], named[~leads])  # texts that are not leads: as before
    assert in_leads.sum() > named.sum()
    # The phrases shown for them (with --explain) are the same too, and a text that names a field outright by
    # the rule holds at least its minimum of them.
    phrases = estimator.named_phrases(texts)
    assert phrases == runtime.named_phrases(texts)
    minimums = estimator.phrase_minimum_
    assert all(len(phrases[i].get(j, [])) >= minimums[j] for i, j in zip(*np.nonzero(named)))


def test_a_bundle_from_before_the_lead_rule_keeps_its_behaviour(both):
    estimator, _ = both
    arrays, vocabularies = estimator.to_arrays()
    del arrays["lead_phrase_minimum"]
    params = estimator.get_params()
    text = ["Regional workshop\nOfficials discussed cybersecurity."]
    assert estimator.phrase_accepted(text, leads=[True]).sum() == 1
    for old in (
        TopicClassifier.from_arrays(params, arrays, vocabularies),
        LinearTopicModel.from_arrays(params, arrays, vocabularies),
    ):
        assert old.phrase_accepted(text, leads=[True]).sum() == 0


def test_a_bundle_from_before_the_phrase_rule_keeps_its_behaviour(both):
    estimator, _ = both
    arrays, vocabularies = estimator.to_arrays()
    assert "phrase_minimum" in arrays
    del arrays["phrase_minimum"], arrays["lead_phrase_minimum"]
    params = estimator.get_params()
    text = ["Election training\nThe ministry of defence and the armed forces learned how polling stations work."]
    assert estimator.phrase_accepted(text).sum() == 1
    for old in (
        TopicClassifier.from_arrays(params, arrays, vocabularies),
        LinearTopicModel.from_arrays(params, arrays, vocabularies),
    ):
        assert old.phrase_accepted(text).sum() == 0
