"""TopicClassifier keeps scikit-learn's estimator contract: its tags, classes_ and feature names, and every check
of scikit-learn's own suite that can apply to a multi-label classifier of documents."""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.estimator.model import TopicClassifier

from conftest import TRAINING


class OnNumericRows(TopicClassifier):
    """TopicClassifier reading each numeric row as a document of words ("w3x2": column 3 holds about 2),
    so that scikit-learn's checks, which feed numeric arrays, exercise its fit, predict, transform,
    cloning and pickling. Everything but reading the input is TopicClassifier's own."""

    def _documents(self, X):
        if isinstance(X, list) and all(isinstance(x, str) for x in X):  # already documents (predict -> proba)
            return X
        return [" ".join(f"w{j}x{round(v)}" for j, v in enumerate(row)) for row in np.asarray(X, dtype=float)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array, tags.input_tags.string = True, False
        return tags


NUMERIC = "feeds numeric input (1-D, sparse, NaN, complex, empty, not an array) that only stands in for documents here"
ONE_D = "passes a 1-D target or expects 1-D predictions: Y and predict are (n_samples, n_labels) indicator matrices"
NOT_APPLICABLE = {
    "check_n_features_in": "documents have no number of features: n_features_in_ is for numeric input",
    "check_n_features_in_after_fitting": "documents have no number of features: n_features_in_ is for numeric input",
    "check_complex_data": NUMERIC,
    "check_estimators_empty_data_messages": NUMERIC,
    "check_estimators_nan_inf": NUMERIC,
    "check_estimator_sparse_array": NUMERIC,
    "check_estimator_sparse_matrix": NUMERIC,
    "check_estimator_sparse_tag": NUMERIC,
    "check_classifier_data_not_an_array": NUMERIC,
    "check_transformer_data_not_an_array": NUMERIC,
    "check_fit2d_1feature": NUMERIC,
    "check_fit1d": NUMERIC,
    "check_fit2d_predict1d": NUMERIC,
    "check_estimators_dtypes": "its target holds values other than 0 and 1: Y is a 0/1 (-1: unknown) indicator matrix",
    "check_classifiers_classes": ONE_D,
    "check_classifiers_train": ONE_D,
    "check_classifiers_regression_target": ONE_D,
    "check_class_weight_classifiers": ONE_D,
    "check_decision_proba_consistency": ONE_D,
    "check_transformer_general": ONE_D,
    "check_classifier_not_supporting_multiclass": "a 1-D multiclass target is refused as not an indicator matrix, "
    "not with the message of a binary classifier",
    "check_classifiers_one_label": "a label without a positive example gets a constant score, not an error: "
    "a field new in the taxonomy has no examples yet",
    "check_classifier_multioutput": "predict accepts a label by its tuned threshold on the calibrated probability "
    "and the document's best probability, not by decision_function > 0",
    "check_classifiers_multilabel_output_format_predict": "predict gives an int8 indicator matrix whatever Y's dtype",
}


# Small and fast: two folds; the checks fit on a few dozen rows.
@parametrize_with_checks(
    [OnNumericRows(cv=2, min_examples=0, n_jobs=1)], expected_failed_checks=lambda estimator: NOT_APPLICABLE
)
def test_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


def test_the_tags_say_documents_in_and_a_multi_label_indicator_matrix_out():
    tags = get_tags(TopicClassifier())
    assert tags.estimator_type == "classifier" and tags.requires_fit
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.target_tags.required and tags.target_tags.two_d_labels and not tags.target_tags.single_output
    assert tags.classifier_tags.multi_label and not tags.classifier_tags.multi_class


@pytest.fixture(scope="module")
def fitted(taxonomy):
    records = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()][:120]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    Y = np.array([[int(label in r["labels"]) for label in taxonomy.labels] for r in records], dtype=np.int8)
    return TopicClassifier(labels=taxonomy.labels, cv=2).fit(texts, Y), texts, Y


def test_classes_are_the_label_names_in_the_columns_order(fitted, taxonomy):
    model, texts, Y = fitted
    assert model.classes_.tolist() == taxonomy.labels
    assert clone(model).get_params()["labels"] == taxonomy.labels
    unnamed = TopicClassifier(cv=2, char_weight=0).fit(texts[:60], Y[:60])
    assert unnamed.classes_.tolist() == list(range(len(taxonomy.labels)))
    with pytest.raises(ValueError, match="labels must name each of the 23 columns of Y once, got 2 names"):
        TopicClassifier(labels=["Elections", "Youth"], cv=2).fit(texts[:60], Y[:60])
    with pytest.raises(ValueError, match="got 23 names"):
        TopicClassifier(labels=["Elections"] * 23, cv=2).fit(texts[:60], Y[:60])


def test_feature_names_name_each_column_by_its_block_and_term(fitted):
    model, _, _ = fitted
    names = model.get_feature_names_out().tolist()
    assert len(names) == len(set(names)) == model.coef_.shape[1]
    row = model.transform(["Observers\nThe observers watched free elections."]).toarray()[0]
    assert row.shape == (len(names),)
    used = {name for name, value in zip(names, row) if value}
    # Word features of the body, of the title line alone, and character n-grams within words (punctuation kept).
    assert {
        "text__elections",
        "text__observers",
        "title__observers",
        "chars__ele",
        "chars__ free",
        "chars__ons.",
    } <= used
    assert "title__elections" not in used and "text__the" not in names  # the body is not the title; a stop word
