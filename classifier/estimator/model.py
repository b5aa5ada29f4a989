"""The multi-label estimator: TF-IDF features, one linear model per field, calibrated and thresholded."""

from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import TransformerTags
from sklearn.utils.validation import check_is_fitted

from classifier.estimator.evidence import (
    PhraseCounter,
    PhraseMatcher,
    evidence_features,
    fit_stacker,
    lead_accepted,
    lead_phrase_minimums,
    lead_phrases,
    phrase_accepted,
    phrase_minimums,
    stacked_proba,
    window_phrase_minimums,
)
from classifier.estimator.features import CharNgramVectorizer, first_line
from classifier.estimator.folds import CountedTexts
from classifier.estimator.keywords import (
    has_keyword_document,
    keyword_documents,
    keyword_margins,
    label_roles,
    prototypes,
    with_keyword_examples,
    zero_shot_calibration,
)
from classifier.estimator.linear import field_groups, fit_fields
from classifier.estimator.runtime import (
    PHRASE_MINIMUM_ARRAYS,
    explain_features,
    set_fitted_arrays,
    words_of_char_ngrams,
)
from classifier.estimator.runtime import as_texts as _as_texts
from classifier.estimator.thresholds import accept_labels, platt, sigmoid, tune_thresholds
from classifier.estimator.windows import named_in_spans
from classifier.options import (
    KEYWORD_EXAMPLES,
    LEAD_PHRASE_ACCEPT,
    LEAD_PHRASE_EXAMPLES,
    PARAMS_BEFORE_THEY_EXISTED,
    PHRASE_ACCEPT,
    WINDOW_PHRASE_ACCEPT,
)


class TopicClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label text classifier for a fixed label set.

    `fit(X, Y)` takes documents as strings ("title\\nbody") and Y as an (n_samples, n_labels)
    0/1 indicator matrix. One cross-validation over multi-label stratified folds gives
    out-of-fold scores; from them each label learns a sigmoid calibration (Platt scaling)
    and the probability threshold that maximises its F1. The final linear models are then
    fitted on all the data. `predict_proba` returns calibrated per-label probabilities,
    `predict` the labels whose probability reaches their threshold and at least `top_ratio`
    of the document's best probability.

    Y may also hold -1, "unknown": a row with an unknown entry (such as a written example that is
    known to be about one field and says nothing of the others) trains the linear model of each label
    it is known for, in every fold, but is never scored: calibration, stacking and thresholds come
    from the fully labelled rows only, and `cv_results_` has NaN probabilities and fold -1 for it.

    Features: word n-gram TF-IDF of the whole text, TF-IDF of the title (weight `title_weight`)
    and character n-grams within words (weight `char_weight`), which match inflected forms
    ("elections", "electoral") that a short training corpus has not seen as words.

    `label_keywords` (one text per label: name, keywords, description) is prior knowledge about the
    labels: a label without positives is scored zero-shot from its text, and each label with positives
    gets its text as one extra positive example (`keyword_examples="all"`; "rare": only the labels with
    fewer than `min_examples` positives; "none"). Labels with fewer than `min_examples` positives are
    flagged low-confidence (see classifier.estimator.keywords).

    `label_phrases` (one (names, keywords) pair of phrase lists per label) turns on the stacker of
    classifier.estimator.evidence: each label's calibrated score is combined with the label's phrases
    found in the text, by a logistic regression fitted on the out-of-fold scores. A label with fewer than
    `min_examples` examples is also accepted outright where a text holds `phrase_accept` of its phrases within
    60 words, or, with fewer than LEAD_PHRASE_EXAMPLES examples, `lead_phrase_accept` of them in its lead. In a
    window of a long text (classifier.estimator.windows), any label is accepted on `window_phrase_accept` of its
    phrases within the window (`phrase_accepted(windows=True)`): a report's section that names a field twice is
    about it.

    `C`, `class_weight` and `tol` are each field's LinearSVC's. Its solver stops when no dual coordinate's
    projected gradient is more than `tol` from the others'; scikit-learn's default, 1e-4, took three times the
    iterations of 1e-2 for scores that differ by under 0.003 and the same cross-validated metrics
    (benchmarks/README.md, training).

    `labels` names Y's columns: `classes_` holds them (without, the column numbers 0..n_labels-1).
    """

    def __init__(
        self,
        *,
        ngram_range=(1, 2),
        stop_words="english",
        min_df=1,
        max_df=1.0,
        title_weight=0.5,
        char_ngram_range=(3, 5),
        char_weight=1.0,
        C=0.5,
        class_weight="balanced",
        tol=1e-2,
        cv=5,
        ensure_one=True,
        top_ratio=0.5,
        label_keywords=None,
        min_examples=20,
        keyword_examples="all",
        label_phrases=None,
        phrase_accept=PHRASE_ACCEPT,
        lead_phrase_accept=LEAD_PHRASE_ACCEPT,
        window_phrase_accept=WINDOW_PHRASE_ACCEPT,
        labels=None,
        random_state=0,
        n_jobs=None,
    ):
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.title_weight = title_weight
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.C = C
        self.class_weight = class_weight
        self.tol = tol
        self.cv = cv
        self.ensure_one = ensure_one
        self.top_ratio = top_ratio
        self.label_keywords = label_keywords
        self.min_examples = min_examples
        self.keyword_examples = keyword_examples
        self.label_phrases = label_phrases
        self.phrase_accept = phrase_accept
        self.lead_phrase_accept = lead_phrase_accept
        self.window_phrase_accept = window_phrase_accept
        self.labels = labels
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _features(self):
        words = TfidfVectorizer(
            ngram_range=tuple(self.ngram_range),
            stop_words=self.stop_words,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=True,
            strip_accents="unicode",
            dtype=np.float32,
        )
        parts = [("text", words)]
        weights = {"text": 1.0}
        if self.title_weight:
            title = make_pipeline(
                FunctionTransformer(first_line),
                TfidfVectorizer(
                    stop_words=self.stop_words, sublinear_tf=True, strip_accents="unicode", dtype=np.float32
                ),
            )
            parts.append(("title", title))
            weights["title"] = float(self.title_weight)
        if self.char_weight:
            stop_words = (
                frozenset(ENGLISH_STOP_WORDS) if self.stop_words == "english" else frozenset(self.stop_words or ())
            )
            chars = CharNgramVectorizer(
                ngram_range=tuple(self.char_ngram_range), stop_words=stop_words, min_df=2, dtype=np.float32
            )
            parts.append(("chars", chars))
            weights["chars"] = float(self.char_weight)
        return FeatureUnion(parts, transformer_weights=weights)

    def fit(self, X, Y, on_step=None):
        """Fit on texts `X` and the indicator matrix `Y`. `on_step(done, total)`, if given, hears each fitted
        cross-validation fold and the final fit (total: folds + 1), so a caller can show how far it is."""
        from threadpoolctl import threadpool_limits  # fitting only, like LinearSVC

        # The BLAS calls of fitting are the tiny ones of Platt scaling and the stacker (two to a few dozen
        # coefficients), hundreds of them: waking BLAS threads for each made every Platt fit about nine times
        # slower, a quarter of training's CPU, for the same numbers.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X, Y, on_step)

    def _fit(self, X, Y, on_step):
        X = self._documents(X)
        if Y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        Y = np.asarray(Y)
        self.__dict__.pop("_phrase_counter_cache", None)  # label_phrases may have changed since
        self.__dict__.pop("_phrase_matcher_cache", None)
        self.__dict__.pop("_lead_matcher_cache", None)
        if Y.ndim != 2 or Y.shape[0] != len(X):
            raise ValueError(f"Y must be an indicator matrix of shape ({len(X)}, n_labels), got {Y.shape}")
        if not np.isin(Y, (-1, 0, 1)).all():  # before the cast, which would turn NaN or 0.5 into a label
            raise ValueError("Y may only hold 1 (the label applies), 0 (it does not) and -1 (unknown)")
        Y = Y.astype(np.int8)
        classes = self._classes(Y.shape[1])
        complete = np.flatnonzero((Y >= 0).all(axis=1))  # the rows that are scored, calibrated and tuned on
        if len(complete) == 0:
            raise ValueError("Y has no fully labelled row: every row has an unknown (-1) entry")
        partial = np.setdiff1d(np.arange(len(X)), complete)
        X_real, Y_real = [X[i] for i in complete], Y[complete]
        documents = keyword_documents(self.label_keywords, Y.shape[1])
        zero_shot, low = label_roles(Y_real, documents, self.min_examples)
        extra = self._keyword_example_labels(documents, zero_shot, low)
        folds = [(np.r_[complete[train], partial], complete[test]) for train, test in self._folds(Y_real)]
        # The folds, then the final models on all the data (its "test": the fully labelled rows).
        fitted = self._fit_linear_models(X, Y, [*folds, (np.arange(len(X)), complete)], documents, extra, on_step)
        scores = np.zeros(Y.shape, dtype=np.float64)
        fold_of = np.full(len(X), -1, dtype=np.int32)
        for k, ((_, test), (coef, intercept, test_features)) in enumerate(zip(folds, fitted)):
            scores[test] = _decision(test_features, coef, intercept)
            fold_of[test] = k
        scores = scores[complete]
        self.calibration_ = np.array([platt(scores[:, j], Y_real[:, j]) for j in range(Y.shape[1])])
        oof_proba = sigmoid(scores, self.calibration_)

        self.coef_, self.intercept_, features_real = fitted[-1]
        self.vectorizer_ = self._features().fit(list(X) + [text for text in documents if text])
        self.prototypes_ = None
        self.zero_shot_, self.low_confidence_ = zero_shot, low
        zero_shot_threshold = (
            self._score_from_keywords(features_real, Y_real, documents, zero_shot) if zero_shot.any() else None
        )
        self.stack_weights_ = self.stack_offsets_ = self.stacked_ = None
        evidence = evidence_features(self._phrase_counter(), X_real) if self.label_phrases is not None else None
        if evidence is not None:
            oof_proba = self._fit_stacker(Y_real, oof_proba, zero_shot, evidence)
        self.thresholds_ = tune_thresholds(Y_real, oof_proba)
        if zero_shot.any():
            self.thresholds_[zero_shot] = zero_shot_threshold
        self.n_labels_ = Y.shape[1]
        self.phrase_minimum_ = self.lead_phrase_minimum_ = self.window_phrase_minimum_ = None
        if self.phrase_accept and self.label_phrases is not None:
            self.phrase_minimum_ = phrase_minimums(zero_shot | low, self.phrase_accept)
            if self.lead_phrase_accept:
                self.lead_phrase_minimum_ = lead_phrase_minimums(
                    self.phrase_minimum_, Y_real.sum(axis=0), self.lead_phrase_accept, LEAD_PHRASE_EXAMPLES
                )
            if self.window_phrase_accept:
                self.window_phrase_minimum_ = window_phrase_minimums(self.phrase_minimum_, self.window_phrase_accept)
        self.classes_ = classes
        held_out = self._held_out_proba(scores, Y_real, fold_of[complete], evidence)
        self.cv_results_ = self._cross_validated(X, Y, complete, held_out, fold_of, scores)
        if on_step:
            on_step(len(folds) + 1, len(folds) + 1)
        return self

    def _cross_validated(self, X, Y, complete, proba, fold_of, scores) -> dict:
        """Out-of-fold predictions, as `cross_val_predict` would give them: "scores", the linear scores of each
        document from the fold model that did not train on it; "proba", those scores calibrated (and stacked) by
        what the other folds alone give (see `_held_out_proba`); "fold" its fold; "accepted" the labels accepted with
        thresholds tuned on the other folds only (so the metrics of "accepted" are not tuned on the test), and
        the labels named outright by their phrases (see `phrase_accepted`).
        A row with an unknown label is never scored: NaN probabilities, fold -1, nothing accepted."""
        accepted = np.zeros(Y.shape, dtype=np.int8)
        Y_real, folds = Y[complete], fold_of[complete]
        for fold in np.unique(folds):
            inside = folds == fold
            accepted[complete[inside]] = self.accept(proba[inside], tune_thresholds(Y_real[~inside], proba[~inside]))
        if self.phrase_minimum_ is not None:  # as read_windowed applies it: span by span
            accepted[complete] |= named_in_spans(self.phrase_accepted, [X[i] for i in complete])
        every, raw = np.full(Y.shape, np.nan), np.full(Y.shape, np.nan)
        every[complete], raw[complete] = proba, scores
        return {"scores": raw, "proba": every, "fold": fold_of, "accepted": accepted}

    def _fit_stacker(self, Y, oof_proba, zero_shot, evidence):
        """Fit the stacker on the out-of-fold probabilities of the labels that have positives (a zero-shot
        label keeps its keyword score); returns the stacked out-of-fold probabilities."""
        positives = Y.sum(axis=0)
        stacked = (positives > 0) & (positives < len(Y)) & ~zero_shot
        if not stacked.any():
            return oof_proba
        self.stack_weights_, self.stack_offsets_ = fit_stacker(oof_proba, evidence, Y, stacked)
        self.stacked_ = stacked
        return stacked_proba(oof_proba, evidence, self.stack_weights_, self.stack_offsets_, stacked)

    def _held_out_proba(self, scores, Y, folds, evidence) -> np.ndarray:
        """The out-of-fold probabilities that the cross-validated metrics read: each fold's scores calibrated,
        and stacked, by a calibration and a stacker fitted on the other folds only. The model's own calibration
        and stacker are fitted on every fold, the fold being scored included, which would flatter the metrics."""
        proba = np.zeros(scores.shape, dtype=np.float64)
        for fold in np.unique(folds):
            inside = folds == fold
            outside_Y = Y[~inside]
            calibration = np.array([platt(scores[~inside, j], outside_Y[:, j]) for j in range(Y.shape[1])])
            proba[inside] = sigmoid(scores[inside], calibration)
            if self.stacked_ is None:
                continue
            positives = outside_Y.sum(axis=0)
            stacked = self.stacked_ & (positives > 0) & (positives < len(outside_Y))
            if stacked.any():
                outside = sigmoid(scores[~inside], calibration)
                weights, offsets = fit_stacker(outside, evidence[~inside], outside_Y, stacked)
                proba[inside] = stacked_proba(proba[inside], evidence[inside], weights, offsets, stacked)
        return proba

    def _phrase_counter(self) -> PhraseCounter:
        """The label phrases, ready to count (built once per process; not part of the fitted state)."""
        counter = self.__dict__.get("_phrase_counter_cache")
        if counter is None:
            counter = self.__dict__["_phrase_counter_cache"] = PhraseCounter(self.label_phrases)
        return counter

    def _matchers(self) -> tuple[PhraseMatcher | None, PhraseMatcher | None]:
        """The label phrases and the lead phrases, ready to match (built once per process, as the runtime's)."""
        if self.__dict__.get("_phrase_matcher_cache") is None and self.label_phrases is not None:
            # The lead matcher first: a thread that finds the matcher set (or a Ctrl-C between the two) finds both.
            lead_matcher = PhraseMatcher(lead_phrases(self.label_phrases))
            matcher = PhraseMatcher(self.label_phrases)
            self.__dict__["_lead_matcher_cache"] = lead_matcher
            self.__dict__["_phrase_matcher_cache"] = matcher
        return self.__dict__.get("_phrase_matcher_cache"), self.__dict__.get("_lead_matcher_cache")

    def phrase_accepted(self, X, leads=None, windows=False) -> np.ndarray:
        """0/1 matrix of the labels each text names outright: at least `phrase_accept` of their phrases found
        exactly (classifier.estimator.evidence.PhraseMatcher) for a label with fewer than `min_examples` examples
        or none (`phrase_minimum_`; 0 for the others). Accepted whatever their probability. The texts marked
        True in `leads` are leads (a title and the first 60 words of its body), where a label with fewer than
        LEAD_PHRASE_EXAMPLES examples is also accepted on `lead_phrase_accept` of the phrases that name it
        (`lead_phrase_minimum_`; see classifier.estimator.evidence.lead_phrases). With `windows`, the texts are
        windows of a long text, where every label needs `window_phrase_accept` of its phrases (or its own
        minimum, if lower; `window_phrase_minimum_`)."""
        texts = _as_texts(X)
        matcher, lead_matcher = self._matchers()
        minimums = getattr(self, "phrase_minimum_", None)
        if windows and getattr(self, "window_phrase_minimum_", None) is not None:
            minimums = self.window_phrase_minimum_
        named = phrase_accepted(matcher, texts, minimums, self.n_labels_)
        lead_minimums = getattr(self, "lead_phrase_minimum_", None)
        return named | lead_accepted(lead_matcher, texts, lead_minimums, leads, self.n_labels_)

    def named_phrases(self, X) -> list[dict[int, list[str]]]:
        """For each text, per label, the label's phrases (name, aliases, sub-topics, keywords, as the taxonomy writes
        them) that the text holds exactly (evidence.PhraseMatcher.named): what a field named outright was accepted
        on, shown with its evidence terms. Empty without label phrases."""
        matcher, _ = self._matchers()
        return [matcher.named(text) if matcher is not None else {} for text in _as_texts(X)]

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_phrase_counter_cache", None)
        state.pop("_phrase_matcher_cache", None)
        state.pop("_lead_matcher_cache", None)
        return state

    def _keyword_example_labels(self, documents, zero_shot, low):
        """Mask of the labels trained with their keyword document as an extra example."""
        if self.keyword_examples == "all":
            return has_keyword_document(documents) & ~zero_shot
        if self.keyword_examples == "rare":
            return low
        if self.keyword_examples == "none":
            return np.zeros_like(low)
        raise ValueError(
            f"keyword_examples must be one of {', '.join(KEYWORD_EXAMPLES)}, got {self.keyword_examples!r}"
        )

    def _fit_linear_models(self, X, Y, splits, documents, extra, on_step=None) -> list[tuple]:
        """Per (train, test) split: (coef, intercept, features of its test rows) of linear models fitted on its
        train rows with features fitted on them (their vocabulary includes every keyword document), the labels
        in `extra` trained with their keyword document as an extra example. The texts are counted once for
        all splits (classifier.estimator.folds); the fits of every split run as groups of labels on
        `n_jobs` workers, a split's matrices made as its fits are sent out. `on_step(done, len(splits))` hears
        each split done."""
        from joblib import Parallel, delayed, effective_n_jobs  # fitting only

        counted = CountedTexts(self._features(), list(X) + documents)  # row len(X) + j: label j's keyword document
        groups = field_groups(Y.shape[1], effective_n_jobs(self.n_jobs))
        settings = (self.C, self.class_weight, self.tol, self.random_state)
        tests = []

        def tasks():  # joblib takes them as workers free up, maybe from another thread
            for train, test in splits:
                train_features, Y_more, test_features = self._split_features(
                    counted, X, Y, train, test, documents, extra
                )
                tests.append(test_features)  # before its fits are sent out, so before any of them is done
                for group in groups:
                    yield delayed(fit_fields)(train_features, Y_more, group, *settings)

        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks())
        fitted = []
        for k in range(len(splits)):
            parts = [next(results) for _ in groups]
            coef, intercept = np.vstack([c for c, _ in parts]), np.concatenate([b for _, b in parts])
            fitted.append((coef, intercept, tests[k]))
            if on_step and k + 1 < len(splits):
                on_step(k + 1, len(splits))
        return fitted

    def _split_features(self, counted, X, Y, train, test, documents, extra):
        """(features of the train rows and keyword examples, their Y, features of the test rows) of one split."""
        X_more, Y_more = with_keyword_examples([X[i] for i in train], Y[train], documents, extra)
        keyword_rows = len(X) + np.flatnonzero(has_keyword_document(documents))
        features = counted.fold(np.r_[train, keyword_rows])
        if features is None:  # a fit on these rows fails: the vectorizer's own says why
            vectorizer = self._features().fit([X[i] for i in train] + [text for text in documents if text])
            return vectorizer.transform(X_more), Y_more, vectorizer.transform([X[i] for i in test])
        extra_rows = len(X) + np.flatnonzero(extra)
        return features.transform(np.r_[train, extra_rows]), Y_more, features.transform(test)

    def _score_from_keywords(self, features, Y, documents, zero_shot):
        """Zero-shot labels score their keyword margin (see classifier.estimator.keywords), calibrated on the other
        labels.
        Their coefficients are their keyword documents' vectors, which is what `explain` reads. Returns their threshold.
        """
        protos = prototypes(self.vectorizer_, documents)
        has_document = has_keyword_document(documents)
        positives = Y.sum(axis=0)
        reference = (positives >= self.min_examples) & has_document
        if not reference.any():
            reference = (positives > 0) & has_document
        margins = keyword_margins(features, protos)
        slope, intercept, threshold = zero_shot_calibration(margins, Y, reference)
        for j in np.flatnonzero(zero_shot):
            self.coef_[j] = protos[j]
            self.intercept_[j] = 0.0
            self.calibration_[j] = (slope, intercept)
        self.prototypes_ = protos
        return threshold

    def _folds(self, Y):
        n_splits = max(2, min(self.cv, len(Y) // 2))
        if Y.shape[1] == 1:  # one label: the multi-label splitter refuses it as binary
            from sklearn.model_selection import StratifiedKFold  # fitting only

            splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
            return list(splitter.split(np.zeros((len(Y), 1)), Y[:, 0]))
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold  # fitting only

        splitter = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        return list(splitter.split(np.zeros((len(Y), 1)), Y))

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        """The fitted state as plain arrays and term lists: enough to rebuild the model, no code."""
        check_is_fitted(self, "coef_")
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "calibration": self.calibration_,
            "thresholds": self.thresholds_,
        }
        for name, vectorizer in self._vectorizers().items():
            arrays[f"idf_{name}"] = vectorizer.idf_
        if self.prototypes_ is not None:
            arrays["prototypes"] = self.prototypes_
            arrays["zero_shot"] = np.asarray(self.zero_shot_, dtype=bool)
        if getattr(self, "stacked_", None) is not None:
            arrays["stack_weights"] = self.stack_weights_
            arrays["stack_offsets"] = self.stack_offsets_
            arrays["stacked"] = np.asarray(self.stacked_, dtype=bool)
        for name in PHRASE_MINIMUM_ARRAYS:
            if getattr(self, f"{name}_", None) is not None:
                arrays[name] = np.asarray(getattr(self, f"{name}_"), dtype=np.float32)
        return arrays, self._terms()

    @classmethod
    def from_arrays(cls, params: dict, arrays: dict, vocabularies: dict[str, list[str]]) -> TopicClassifier:
        """Rebuild a fitted model from `params` and the output of `to_arrays`."""
        model = cls(**{**PARAMS_BEFORE_THEY_EXISTED, **params})
        model.vectorizer_ = model._features()
        for name, vectorizer in model._vectorizers().items():
            terms = vocabularies[name]
            vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms)}
            vectorizer.idf_ = np.asarray(arrays[f"idf_{name}"], dtype=np.float64)
            if len(terms) != len(vectorizer.idf_):
                raise ValueError(f"vocabulary '{name}' has {len(terms)} terms but {len(vectorizer.idf_)} weights")
        set_fitted_arrays(model, arrays, sum(len(terms) for terms in vocabularies.values()))
        model.classes_ = model._classes(model.n_labels_)
        return model

    def _documents(self, X) -> list[str]:
        """The documents of X, as strings: the one place where input is read (a single string is refused)."""
        return _as_texts(X)

    def _classes(self, n_labels: int) -> np.ndarray:
        """What `classes_` holds: the names in `labels`, or the column numbers."""
        if self.labels is None:
            return np.arange(n_labels)
        labels = list(self.labels)
        if len(labels) != n_labels or len(set(labels)) != n_labels:
            raise ValueError(f"labels must name each of the {n_labels} columns of Y once, got {len(labels)} names")
        return np.asarray(labels, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # X is a sequence of documents, not a numeric matrix
        tags.input_tags.string = True
        tags.target_tags.required = True
        tags.target_tags.single_output = False  # Y is always an (n_samples, n_labels) indicator matrix
        tags.target_tags.multi_output = True
        tags.target_tags.two_d_labels = True
        tags.classifier_tags.multi_class = False  # each label is a yes or no
        tags.classifier_tags.multi_label = True
        # transform gives the feature matrix (float32), whatever the input
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The name of each column of `transform`, and of `coef_`: "block__term", block being text, title or
        chars (as FeatureUnion names them)."""
        check_is_fitted(self, "coef_")
        return np.asarray([f"{name}__{term}" for name, terms in self._terms().items() for term in terms], dtype=object)

    def explain(self, X, top: int = 5) -> list[list[list[tuple[str, float]]]]:
        """For each document and each label, the terms that raised the label's score most.

        A term's weight is its exact share of the linear score: its TF-IDF value in the text times
        the label's coefficient, summed over the body and title features. A character n-gram's share
        goes to the words of the text it was taken from. Only positive shares count.
        """
        texts = self._documents(X)
        chars = self._vectorizers().get("chars")
        words_of = partial(words_of_char_ngrams, chars.ngrams() if chars is not None else None)
        return explain_features(self.transform(texts).tocsr(), texts, self.coef_, self.vocabularies, words_of, top)

    def _terms(self) -> dict[str, list[str]]:
        """Each vectorizer's terms in column order; together they name every feature column."""
        return {
            name: sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            for name, vectorizer in self._vectorizers().items()
        }

    @property
    def vocabularies(self) -> dict[str, list[str]]:
        """Each feature block's terms in column order (as a bundle stores them)."""
        return self._terms()

    def idf(self, name: str) -> np.ndarray:
        """The idf weights of feature block `name`, in the column order of `vocabularies[name]`."""
        check_is_fitted(self, "vectorizer_")
        return self._vectorizers()[name].idf_

    def transform(self, X):
        """The feature matrix of the texts, as the linear models read it."""
        return self.vectorizer_.transform(self._documents(X))

    def _vectorizers(self) -> dict:
        parts = self.vectorizer_.named_transformers
        return {name: part[-1] if hasattr(part, "steps") else part for name, part in parts.items()}

    def decision_function(self, X):
        """Linear score of each label; a zero-shot label's is its keyword margin."""
        check_is_fitted(self, "coef_")
        features = self.vectorizer_.transform(self._documents(X))
        scores = _decision(features, self.coef_, self.intercept_)
        if self.prototypes_ is not None:
            scores[:, self.zero_shot_] = keyword_margins(features, self.prototypes_)[:, self.zero_shot_]
        return scores

    def predict_proba(self, X):
        """Calibrated probability of each label, shape (n_samples, n_labels); with the stacker, the linear
        model's probability combined with the label's phrases found in the text."""
        texts = self._documents(X)
        proba = sigmoid(self.decision_function(texts), self.calibration_)
        if getattr(self, "stacked_", None) is None:
            return proba
        evidence = evidence_features(self._phrase_counter(), texts)
        return stacked_proba(proba, evidence, self.stack_weights_, self.stack_offsets_, self.stacked_)

    def predict(self, X):
        return self.accept(self.predict_proba(X))

    def accept(self, proba, thresholds=None, ensure_one=None):
        """0/1 matrix of the labels whose probability reaches their threshold and `top_ratio` of the row's best
        (at least one per row if ensure_one: the best label that is not zero-shot). `thresholds` replaces
        the fitted ones, as cross-validation does with each fold's own; `ensure_one`, the model's own rule."""
        fallback = ~self.zero_shot_ if self.zero_shot_.any() else None
        thresholds = self.thresholds_ if thresholds is None else thresholds
        ensure_one = self.ensure_one if ensure_one is None else ensure_one
        return accept_labels(proba, thresholds, ensure_one, self.top_ratio, fallback)


def _decision(features, coef, intercept):
    return np.asarray(features @ coef.T, dtype=np.float64) + intercept
