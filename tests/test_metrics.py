"""Metrics pinned to values known independently of the code: scikit-learn's own scorers and cases worked out by hand."""

import hashlib
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from classifier.evaluation.metrics import evaluate, evaluate_model, format_report, ranking_metrics

from conftest import training_records, write_jsonl

# Four documents, three fields. Worked out by hand below; precision and recall differ in every average,
# one document has no true field (and none accepted), one has true fields but none accepted.
Y_HAND = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]])
ACCEPTED_HAND = np.array([[1, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0]])


def test_micro_averages_by_hand():
    # 2 true positives, 4 accepted, 5 true: P 2/4, R 2/5, F1 2PR/(P+R) = 4/9.
    metrics = evaluate(Y_HAND, ACCEPTED_HAND * 0.9, ACCEPTED_HAND, ["A", "B", "C"])
    assert metrics["micro"] == {"precision": 0.5, "recall": 0.4, "f1": 0.4444}
    assert metrics["documents"] == 4


def test_macro_averages_by_hand():
    # A: P 1/2 R 1/2 F1 1/2; B: P 1 R 1/2 F1 2/3; C: P 0 R 0 F1 0 (one accepted, wrong; one true, missed).
    metrics = evaluate(Y_HAND, ACCEPTED_HAND * 0.9, ACCEPTED_HAND, ["A", "B", "C"])
    assert metrics["macro"] == {"precision": 0.5, "recall": 0.3333, "f1": round((0.5 + 2 / 3) / 3, 4)}
    assert metrics["per_label"] == {
        "A": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
        "B": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
        "C": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
    }


def test_samples_averages_by_hand_count_empty_rows_as_zero():
    # Per document (P, R, F1): (1, 1/2, 2/3), (1/3, 1, 1/2), (0, 0, 0) accepted nothing, (0, 0, 0) nothing true
    # and nothing accepted: 0/0 counts as 0, never as 1.
    metrics = evaluate(Y_HAND, ACCEPTED_HAND * 0.9, ACCEPTED_HAND, ["A", "B", "C"])
    assert metrics["samples"] == {
        "precision": round((1 + 1 / 3) / 4, 4),
        "recall": round(1.5 / 4, 4),
        "f1": round((2 / 3 + 0.5) / 4, 4),
    }


def random_case(seed, n=40, labels=6):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, labels)) < 0.3).astype(int)
    accepted = (rng.random((n, labels)) < 0.4).astype(int)
    return Y, accepted


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("average", ["micro", "macro", "samples"])
def test_averages_match_scikit_learn_scorers(seed, average):
    Y, accepted = random_case(seed)
    metrics = evaluate(Y, accepted * 0.7, accepted, [f"L{j}" for j in range(Y.shape[1])])[average]
    expected = {
        "precision": precision_score(Y, accepted, average=average, zero_division=0),
        "recall": recall_score(Y, accepted, average=average, zero_division=0),
        "f1": f1_score(Y, accepted, average=average, zero_division=0),
    }
    assert metrics == {key: round(float(value), 4) for key, value in expected.items()}
    assert metrics["precision"] != metrics["recall"]  # a swap of the two would show


def test_per_label_matches_scikit_learn_scorers():
    Y, accepted = random_case(3)
    labels = [f"L{j}" for j in range(Y.shape[1])]
    per_label = evaluate(Y, accepted * 0.7, accepted, labels)["per_label"]
    p = precision_score(Y, accepted, average=None, zero_division=0)
    r = recall_score(Y, accepted, average=None, zero_division=0)
    f = f1_score(Y, accepted, average=None, zero_division=0)
    for j, label in enumerate(labels):
        assert per_label[label] == {
            "precision": round(float(p[j]), 4),
            "recall": round(float(r[j]), 4),
            "f1": round(float(f[j]), 4),
            "support": int(Y[:, j].sum()),
        }


def test_evaluate_includes_the_ranking_metrics_of_the_probabilities_not_of_the_accepted_fields():
    Y = np.array([[0, 1], [1, 0]])
    proba = np.array([[0.2, 0.9], [0.3, 0.8]])  # first document right at rank 1, second at rank 2
    accepted = np.array([[1, 0], [1, 0]])
    metrics = evaluate(Y, proba, accepted, ["A", "B"])
    assert metrics["p@1"] == 0.5 and metrics["r@3"] == 1.0
    assert metrics["ndcg@3"] == round((1 + 1 / np.log2(3)) / 2, 4)


def test_p_at_1_r_at_3_and_ndcg_by_hand_with_a_miss_at_rank_4():
    Y = np.array([[0, 0, 0, 1, 0], [1, 1, 1, 1, 0]])
    proba = np.array([[0.9, 0.8, 0.7, 0.6, 0.1], [0.9, 0.8, 0.7, 0.1, 0.6]])
    metrics = ranking_metrics(Y, proba)
    # Document 1: its one field is 4th, outside the top 3. Document 2: 3 of its 4 fields in the top 3, so
    # R@3 = 3/4, and its nDCG ideal is 3 hits (at most k), so nDCG = 1.
    assert metrics == {"p@1": 0.5, "r@3": round((0 + 0.75) / 2, 4), "ndcg@3": 0.5}


def test_ndcg_ideal_is_capped_at_the_number_of_true_fields():
    # One true field, ranked first: a perfect ranking, whatever k is.
    Y = np.array([[0, 1, 0, 0]])
    proba = np.array([[0.1, 0.9, 0.3, 0.2]])
    assert ranking_metrics(Y, proba) == {"p@1": 1.0, "r@3": 1.0, "ndcg@3": 1.0}
    # Two true fields at ranks 1 and 3: DCG 1 + 1/2 over the ideal 1 + 1/log2(3).
    Y = np.array([[1, 0, 1, 0]])
    proba = np.array([[0.9, 0.5, 0.4, 0.1]])
    assert ranking_metrics(Y, proba)["ndcg@3"] == round(1.5 / (1 + 1 / np.log2(3)), 4)


def test_ties_in_ranking_go_to_the_earlier_column():
    Y = np.array([[0, 1, 0], [1, 0, 0]])
    proba = np.array([[0.5, 0.5, 0.1], [0.5, 0.5, 0.1]])
    metrics = ranking_metrics(Y, proba)
    assert metrics["p@1"] == 0.5  # the tie at the top goes to column 0: wrong for the first, right for the second
    assert metrics["ndcg@3"] == round((1 / np.log2(3) + 1) / 2, 4)


def test_k_larger_than_the_number_of_fields():
    Y = np.array([[0, 0, 1], [1, 1, 0]])
    proba = np.array([[0.7, 0.2, 0.1], [0.6, 0.1, 0.3]])
    metrics = ranking_metrics(Y, proba, k=5)
    assert set(metrics) == {"p@1", "r@5", "ndcg@5"}
    # Document 1: its field last (rank 3); document 2: ranks 1 and 3.
    ideal_two = 1 + 1 / np.log2(3)
    assert metrics == {"p@1": 0.5, "r@5": 1.0, "ndcg@5": round((0.5 + 1.5 / ideal_two) / 2, 4)}
    assert ranking_metrics(Y, proba, k=1) == {"p@1": 0.5, "r@1": round((0 + 0.5) / 2, 4), "ndcg@1": 0.5}


def test_ranking_leaves_out_documents_without_true_fields():
    Y = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    proba = np.array([[0.9, 0.1, 0.1], [0.1, 0.9, 0.1], [0.1, 0.1, 0.9]])
    assert ranking_metrics(Y, proba) == {"p@1": 1.0, "r@3": 1.0, "ndcg@3": 1.0}


@pytest.mark.parametrize("Y", [np.zeros((0, 3), dtype=int), np.zeros((2, 3), dtype=int)])
def test_ranking_metrics_of_no_labelled_document_are_zero(Y):
    proba = np.full(Y.shape, 0.5)
    assert ranking_metrics(Y, proba) == {"p@1": 0.0, "r@3": 0.0, "ndcg@3": 0.0}


def test_format_report_shows_every_number_in_its_column():
    metrics = evaluate(Y_HAND, ACCEPTED_HAND * 0.9, ACCEPTED_HAND, ["A", "B", "Longer field"])
    lines = format_report(metrics).splitlines()
    assert lines[0] == "documents: 4"
    assert lines[2].split() == ["micro", "0.500", "0.400", "0.444"]
    assert lines[3].split() == ["macro", "0.500", "0.333", "0.389"]
    assert lines[4].split() == ["samples", "0.333", "0.375", "0.292"]
    assert lines[-1].split() == ["Longer", "field", "0.000", "0.000", "0.000", "1"]
    assert lines[-2].startswith("B            ")


# evaluate_model: the model's own thresholds and the taxonomy it is given.


@pytest.fixture(scope="module")
def shipped_model():
    from classifier import load_model

    return load_model()


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics") / "held_out.jsonl"
    return write_jsonl(path, training_records()[-60:])


def with_thresholds(model, value, top_ratio=None):
    import copy

    changed = copy.copy(model)
    changed.estimator = copy.deepcopy(model.estimator)
    changed.estimator.thresholds_ = np.full(len(model.labels), value)
    changed.estimator.phrase_minimum_ = None  # only the thresholds and the ratio decide (fields named outright aside)
    changed.estimator.lead_phrase_minimum_ = None
    # The rules over words are made from the minimums on first use: a model read before has them, made again here.
    changed.estimator._rule_stores = None
    if top_ratio is not None:
        changed.estimator.top_ratio = top_ratio
    return changed


def test_evaluate_model_accepts_with_the_models_own_thresholds(shipped_model, held_out):
    # Thresholds above 1 accept nothing, so every document gets its best field only: micro precision is
    # then P@1 exactly. Thresholds of 0 accept every field: micro recall is 1.
    strict = evaluate_model(with_thresholds(shipped_model, 1.01), [held_out])
    assert strict["micro"]["precision"] == strict["p@1"]
    assert strict["micro"]["recall"] < 1.0
    lenient = evaluate_model(with_thresholds(shipped_model, 0.0, top_ratio=0.0), [held_out])
    assert lenient["micro"]["recall"] == 1.0
    labels = sum(len(row["labels"]) for row in training_records()[-60:])
    assert lenient["micro"]["precision"] == round(labels / (60 * len(shipped_model.labels)), 4)


def test_a_model_read_before_is_evaluated_with_the_thresholds_given(shipped_model, held_out):
    shipped_model.read(["Observers watched the vote count at polling stations."])  # its word rules are made now
    strict = evaluate_model(with_thresholds(shipped_model, 1.01), [held_out])
    assert strict["micro"]["precision"] == strict["p@1"]


def test_evaluate_model_reads_labels_with_the_taxonomy_it_is_given(shipped_model, tmp_path, taxonomy):
    from classifier.corpus.documents import UnknownLabelsError
    from classifier.taxonomy.fields import Taxonomy

    rows = [
        {**row, "labels": ["Police work" if label == "Policing" else label for label in row["labels"]]}
        for row in training_records()[-60:]
    ]
    assert any("Police work" in row["labels"] for row in rows)
    data = write_jsonl(tmp_path / "renamed.jsonl", rows)
    with pytest.raises(UnknownLabelsError):
        evaluate_model(shipped_model, [data])  # the default taxonomy has no "Police work"
    yaml_text = taxonomy_yaml_with_alias("Policing", "Police work")
    (tmp_path / "taxonomy.yaml").write_text(yaml_text, encoding="utf-8")
    aliased = Taxonomy.from_yaml(tmp_path / "taxonomy.yaml")
    metrics = evaluate_model(shipped_model, [data], taxonomy=aliased)
    expected = evaluate_model(shipped_model, [write_jsonl(tmp_path / "plain.jsonl", training_records()[-60:])])
    assert json.dumps(metrics, sort_keys=True) == json.dumps(expected, sort_keys=True)


def taxonomy_yaml_with_alias(name, alias):
    import yaml

    from conftest import ROOT

    data = yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))
    (entry,) = [entry for entry in data["fields"] if entry["name"] == name]
    entry["aliases"] = [*entry.get("aliases", []), alias]
    return yaml.safe_dump(data, allow_unicode=True)


def test_evaluate_model_hands_the_report_everything_it_measured(shipped_model, held_out, tmp_path, monkeypatch):
    import classifier.evaluation.report as report_module

    calls = []
    monkeypatch.setattr(report_module, "require_matplotlib", lambda: calls.append("checked"))
    monkeypatch.setattr(report_module, "write_report", lambda *args, **kwargs: calls.append((args, kwargs)))
    plain = evaluate_model(shipped_model, [held_out])
    assert calls == []  # no report asked: neither checked nor written
    metrics = evaluate_model(shipped_model, [held_out], report=tmp_path / "r.html")
    assert metrics == plain
    checked, ((path, documents, Y, proba, accepted, labels, passed), kwargs) = calls
    assert checked == "checked" and path == tmp_path / "r.html"
    assert len(documents) == 60 and Y.shape == proba.shape == accepted.shape == (60, len(shipped_model.labels))
    assert labels == shipped_model.labels and passed is metrics
    assert np.array_equal(accepted, shipped_model.read_documents(documents).accepted)
    assert (accepted >= shipped_model.estimator.accept(proba)).all()  # the thresholds, and fields named outright
    # The report names the bundle by its path and its hash (the sha256 of its model.json as saved).
    stored = json.loads((shipped_model.path / "model.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(json.dumps(stored, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    assert kwargs == {"subtitle": f"model {shipped_model.path} (sha256 {digest}) on {held_out}"}
    calls.clear()
    import copy

    in_memory = copy.copy(shipped_model)
    in_memory.path = None
    evaluate_model(in_memory, [held_out, held_out], report=tmp_path / "r.html")
    assert calls[1][1] == {"subtitle": f"model (in memory) (sha256 {digest}) on {held_out}, {held_out}"}
    calls.clear()
    evaluate_model(shipped_model, [held_out], report=tmp_path / "r.html", threshold=0.3, limit=2)
    assert calls[1][1] == {
        "subtitle": f"model {shipped_model.path} (sha256 {digest}) on {held_out}, limit 2, threshold 0.3"
    }


def test_evaluate_model_checks_for_the_plotting_library_before_any_work(shipped_model, tmp_path, monkeypatch):
    import classifier.evaluation.report as report_module

    def missing():
        raise report_module.ReportError("the HTML report needs matplotlib")

    monkeypatch.setattr(report_module, "require_matplotlib", missing)
    with pytest.raises(report_module.ReportError):
        evaluate_model(shipped_model, [tmp_path / "does-not-exist.jsonl"], report=tmp_path / "r.html")


def test_format_report_exactly():
    metrics = evaluate(Y_HAND, ACCEPTED_HAND * 0.9, ACCEPTED_HAND, ["A", "Field B", "C"])
    assert format_report(metrics) == "\n".join(
        [
            "documents: 4",
            "           precision  recall      F1",
            "micro          0.500   0.400   0.444",
            "macro          0.500   0.333   0.389",
            "samples        0.333   0.375   0.292",
            "P@1 0.667   R@3 1.000   nDCG@3 0.850",
            "",
            "field   precision  recall      F1  support",
            "A           0.500   0.500   0.500        2",
            "Field B     1.000   0.500   0.667        2",
            "C           0.000   0.000   0.000        1",
        ]
    )


def test_ties_go_to_the_earlier_column_among_as_many_fields_as_the_taxonomy_has():
    # Fields 9 and 13 tie at the top of 23: the earlier one is first, as with a handful of fields.
    proba = np.array(
        [
            [
                0.8,
                0.8,
                0.5,
                0.3,
                0.1,
                0.4,
                0.4,
                0.0,
                0.0,
                1.0,
                0.7,
                0.2,
                0.4,
                1.0,
                0.9,
                0.8,
                0.4,
                0.5,
                0.7,
                0.1,
                0.6,
                0.3,
                0.9,
            ]
        ]
    )
    Y = np.zeros((1, 23), dtype=int)
    Y[0, 9] = 1
    assert ranking_metrics(Y, proba)["p@1"] == 1.0
    Y[0, 9], Y[0, 13] = 0, 1
    assert ranking_metrics(Y, proba)["p@1"] == 0.0
    assert ranking_metrics(Y, proba)["ndcg@3"] == round(1 / np.log2(3), 4)


def test_ranking_metrics_are_rounded_to_four_places():
    # One document of three right at rank 1, the others' field at rank 4.
    Y = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]])
    proba = np.array([[0.9, 0.8, 0.7, 0.1]] * 3)
    assert ranking_metrics(Y, proba) == {"p@1": 0.3333, "r@3": 0.3333, "ndcg@3": 0.3333}


def test_metrics_raise_no_warnings_on_empty_rows_and_fields_never_accepted():
    import warnings

    Y = np.array([[1, 0, 1], [0, 0, 1], [0, 0, 0]])
    accepted = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 0]])  # field 2 never accepted, field 1 never true
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = evaluate(Y, accepted * 0.9, accepted, ["A", "B", "C"])
    # Field C: true twice, never accepted: precision 0/0 counts as 0, not 1. Field B: nothing either way.
    assert metrics["per_label"]["C"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert metrics["per_label"]["B"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["macro"] == {"precision": round(0.5 / 3, 4), "recall": round(1 / 3, 4), "f1": round((2 / 3) / 3, 4)}


def test_evaluate_model_reads_folders_with_the_glob_given(shipped_model, tmp_path):
    from conftest import FIXTURES

    folder = tmp_path / "pages"
    folder.mkdir()
    page = (FIXTURES / "page_two_fields.txt").read_text(encoding="utf-8")
    (folder / "one.txt").write_text(page, encoding="utf-8")
    (folder / "two.page").write_text(page.replace("Dushanbe", "Khujand"), encoding="utf-8")
    (folder / "three.page").write_text(page.replace("Dushanbe", "Bishkek"), encoding="utf-8")
    assert evaluate_model(shipped_model, [folder])["documents"] == 1  # *.txt by default
    assert evaluate_model(shipped_model, [folder], glob="*.page")["documents"] == 2


@pytest.mark.parametrize("seed", range(6))
def test_samples_scores_equal_scikit_learns_on_random_multi_label_sets(seed):
    from classifier.evaluation.metrics import samples_scores

    rng = np.random.default_rng(seed)
    Y, A = (rng.random((40, 5)) < 0.3).astype(int), (rng.random((40, 5)) < 0.3).astype(int)
    Y[0] = A[0] = 0  # a document with nothing on either side
    Y[1], A[1] = 0, 1  # nothing gold, everything accepted
    expected = [f(Y, A, average="samples", zero_division=0) for f in (precision_score, recall_score, f1_score)]
    np.testing.assert_allclose(samples_scores(Y, A), expected)


def test_one_field_is_scored_per_document_not_refused():
    # Gold x, accepted x: 1, 1, 1. Gold none, accepted x: 0, 0, 0. Gold x, nothing accepted: 0, 0, 0.
    metrics = evaluate(np.array([[1], [0], [1]]), np.array([[0.9], [0.6], [0.2]]), np.array([[1], [1], [0]]), ["x"])
    assert metrics["samples"] == {"precision": 0.3333, "recall": 0.3333, "f1": 0.3333}
    # Over the field itself (tp 1, fp 1, fn 1), not over "x" and "not x" as for a binary target.
    assert metrics["micro"] == metrics["macro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert metrics["per_label"] == {"x": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}}


def test_no_documents_score_zero_everywhere_not_a_crash():
    metrics = evaluate(np.zeros((0, 2), int), np.zeros((0, 2)), np.zeros((0, 2), int), ["a", "b"])
    assert metrics["documents"] == 0 and metrics["p@1"] == 0.0
    assert metrics["micro"] == metrics["macro"] == metrics["samples"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert metrics["per_label"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_the_metrics_name_the_model_by_the_hash_of_its_model_json(shipped_model, held_out):
    stored = json.loads((shipped_model.path / "model.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(json.dumps(stored, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    assert evaluate_model(shipped_model, [held_out])["model"] == digest


def test_the_limit_and_threshold_given_choose_the_fields_measured(shipped_model, held_out):
    # A threshold of 0 accepts every field: recall 1, precision the true fields over every (document, field) pair.
    every = evaluate_model(shipped_model, [held_out], threshold=0.0)
    labels = sum(len(row["labels"]) for row in training_records()[-60:])
    assert every["micro"]["recall"] == 1.0
    assert every["micro"]["precision"] == round(labels / (60 * len(shipped_model.labels)), 4)
    # With a limit of 1 as well, each document keeps its best field alone: micro precision is P@1, and recall the
    # documents whose best field is right over the true fields.
    best = evaluate_model(shipped_model, [held_out], threshold=0.0, limit=1)
    assert best["micro"]["precision"] == best["p@1"]
    assert best["micro"]["recall"] == round(best["p@1"] * 60 / labels, 4)


@pytest.mark.parametrize(
    ("cutoffs", "refusal"),
    [
        ({"limit": -1}, "limit -1: expected a whole number of fields, 0 or more"),
        ({"threshold": 1.5}, "threshold 1.5: expected a score from 0 to 1"),
    ],
)
def test_a_cutoff_no_field_could_meet_is_refused_before_any_input_is_read(shipped_model, tmp_path, cutoffs, refusal):
    from classifier.errors import UsageError

    with pytest.raises(UsageError) as caught:
        evaluate_model(shipped_model, [tmp_path / "not there.jsonl"], **cutoffs)
    assert str(caught.value) == refusal


def test_a_report_the_glob_given_would_read_from_an_input_folder_is_refused(shipped_model, tmp_path, monkeypatch):
    import classifier.evaluation.report as report_module
    from classifier.io.textio import InputError

    monkeypatch.setattr(report_module, "require_matplotlib", lambda: None)
    written = []
    monkeypatch.setattr(report_module, "write_report", lambda path, *args, **kwargs: written.append(path))
    folder = tmp_path / "pages"
    folder.mkdir()
    report = folder / "report.page"
    # *.txt, the default glob, would not read report.page: only the glob given tells it is an input.
    with pytest.raises(InputError) as caught:
        evaluate_model(shipped_model, [folder], glob="*.page", report=report, force=True)
    assert str(caught.value) == f"{report}: the output is also an input ({folder}); write it somewhere else"
    assert written == [] and not report.exists()


def test_an_existing_report_is_replaced_with_force(shipped_model, held_out, tmp_path, monkeypatch):
    import classifier.evaluation.report as report_module

    monkeypatch.setattr(report_module, "require_matplotlib", lambda: None)
    written = []
    monkeypatch.setattr(report_module, "write_report", lambda path, *args, **kwargs: written.append(path))
    report = tmp_path / "report.html"
    report.write_text("an old report", encoding="utf-8")
    evaluate_model(shipped_model, [held_out], report=report, force=True)
    assert written == [report]


def test_no_fields_score_zero_everywhere_not_a_reshape_error():
    # Two models that share no field are compared on the fields they share: none. Three documents, nothing to score.
    metrics = evaluate(np.zeros((3, 0), int), np.zeros((3, 0)), np.zeros((3, 0), int), [])
    assert metrics["documents"] == 3 and metrics["per_label"] == {}
    assert metrics["micro"] == metrics["macro"] == metrics["samples"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert (metrics["p@1"], metrics["r@3"], metrics["ndcg@3"]) == (0.0, 0.0, 0.0)
    assert evaluate([], [], [], [])["documents"] == 0


def test_samples_scores_of_one_document_and_of_none():
    from classifier.evaluation.metrics import samples_scores

    # Gold {A, B}, accepted {A, C}: precision 1/2, recall 1/2, F1 2·1 / (2 + 2) = 1/2.
    assert samples_scores(np.array([[1, 1, 0]]), np.array([[1, 0, 1]])) == (0.5, 0.5, 0.5)
    assert samples_scores(np.zeros((0, 3), int), np.zeros((0, 3), int)) == (0.0, 0.0, 0.0)


def test_nothing_accepted_scores_zero_precision_without_a_warning():
    import warnings

    Y = np.array([[1, 0], [0, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # precision 0/0: counted 0, without scikit-learn's warning
        metrics = evaluate(Y, Y * 0.4, np.zeros_like(Y), ["A", "B"])
    assert metrics["micro"] == metrics["macro"] == metrics["samples"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert metrics["p@1"] == 1.0  # the ranking reads the scores, not the fields accepted
