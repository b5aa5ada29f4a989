"""The projects the service answers for, called directly: ids from bundle folders, subjects, the project, vocabulary
and taxonomy objects, suggestions, explanations and model cards, each compared whole with a value written out here.

Most tests serve `HandModel`, whose answers are written out below, under a three-field taxonomy; the tests of
`load_projects` and of the defaults load the shipped bundle.
"""

import os
import shutil
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pytest
import yaml

from classifier.bundle.suggestion import Suggestion
from classifier.paths import default_model_path
from classifier.serve.projects import (
    Project,
    ProjectError,
    check_project_id,
    load_projects,
    project_id_for,
    taxonomy_tree,
    vocabulary_info,
)
from classifier.taxonomy.fields import Taxonomy

from conftest import ROOT

TAXONOMY = Taxonomy.from_dict(
    {
        "dimensions": {"human": "Human dimension", "politico-military": "Politico-military dimension"},
        "fields": [
            {
                "name": "Elections",
                "id": "elections",
                "dimension": "human",
                "description": "Votes  and\nobservers.",
                "aliases": ["Election observation"],
                "subtopics": ["Voter lists"],
                "keywords": ["ballot", "polling station"],
            },
            {"name": "Policing", "id": "policing", "dimension": "politico-military"},
            {"name": "Youth", "id": "young-people", "dimension": "human", "description": "Young people."},
        ],
    }
)
ELECTIONS = {"uri": "urn:osce-field-of-work:elections", "label": "Elections", "notation": "elections"}
POLICING = {"uri": "urn:osce-field-of-work:policing", "label": "Policing", "notation": "policing"}
YOUTH = {"uri": "urn:osce-field-of-work:young-people", "label": "Youth", "notation": "young-people"}
VOCAB = {"vocab_id": "osce-fields-of-work", "languages": ["en"], "size": 3, "loaded": True}
VOTE = "Observers deployed\nODIHR observers followed the vote.\nThey will report."
POLICE = "Police officers trained on community policing."
# 2024-03-07 12:30:15.75 UTC
STAMP = datetime(2024, 3, 7, 12, 30, 15, 750000, tzinfo=timezone.utc).timestamp()


class HandModel:
    """A model whose reading of each text is written out here: each field's probability, its own thresholds
    (accepting as `Model.read` does: at or above the threshold, at most `limit`, best first), a flag, and for
    `suggest` the title, the evidence and the taxonomy phrases named."""

    labels = ["Elections", "Policing", "Youth"]
    thresholds = np.array([0.5, 0.61234, 0.2])
    flags = {"Youth": "zero-shot"}
    fingerprint = "sha256:hand"
    proba = {VOTE: [0.91234, 0.05, 0.400049], POLICE: [0.1, 0.7, 0.7]}

    def __init__(self, path=None, metadata=None):
        self.path, self.metadata = path, metadata or {}

    def read(self, model_texts, limit=None, threshold=None):
        """`texts` as the model reads them, parsed (a project parses what it is given first)."""
        from classifier.corpus.release import parse_release

        by_model_text = {parse_release(text).model_text: row for text, row in self.proba.items()}
        proba = np.array([by_model_text[text] for text in model_texts])
        texts = model_texts
        accepted = proba >= (self.thresholds if threshold is None else threshold)
        for row, keep in zip(proba, accepted):
            ranked = sorted(np.flatnonzero(keep), key=lambda j: (-row[j], j))
            keep[ranked[limit:] if limit is not None else []] = False
        return type("Reading", (), {"proba": proba, "accepted": accepted, "flags": [None] * len(texts)})

    def suggest(self, text, explain=False):
        row = self.proba[text]
        labels = [label for label, p, t in zip(self.labels, row, self.thresholds) if p >= t]
        scores = sorted(zip(self.labels, row), key=lambda pair: -pair[1])
        suggestion = Suggestion(text.split("\n")[0], labels, scores, flags=self.flags)
        return self.with_evidence([suggestion], [text])[0] if explain else suggestion

    def with_evidence(self, suggestions, model_texts):
        evidence = {"Elections": [(f"term{i}", 0.123456 / (i + 1)) for i in range(7)], "Youth": [("vote", 0.25)]}
        named = {"Elections": ("observers", "vote")}
        return [replace(s, evidence=evidence, named=named) for s in suggestions]


def hand_project(path=None, metadata=None) -> Project:
    return Project("hand", HandModel(path, metadata), TAXONOMY)


def test_the_vocabulary_and_the_taxonomy_tree_give_every_field_its_uri_by_dimension():
    assert vocabulary_info(TAXONOMY) == VOCAB
    bare = {"description": "", "aliases": [], "subtopics": [], "keywords": []}
    assert taxonomy_tree(TAXONOMY) == {
        "vocab_id": "osce-fields-of-work",
        "dimensions": [
            {
                "id": "human",
                "name": "Human dimension",
                "fields": [
                    ELECTIONS
                    | {"description": "Votes and observers.", "aliases": ["Election observation"]}
                    | {"subtopics": ["Voter lists"], "keywords": ["ballot", "polling station"]},
                    YOUTH | bare | {"description": "Young people."},
                ],
            },
            {"id": "politico-military", "name": "Politico-military dimension", "fields": [POLICING | bare]},
        ],
    }


@pytest.mark.parametrize(
    ("name", "project_id"),
    [
        ("my model.v2", "my-model-v2"),
        ("__My Model!-", "My-Model"),
        ("XModelX", "XModelX"),
        ("!!!", "model"),
        ("m" * 150, "m" * 100),
    ],
)
def test_a_bundle_folder_gives_its_project_id(tmp_path, name, project_id):
    assert project_id_for(tmp_path / name) == project_id
    check_project_id(project_id)


def test_a_project_id_that_is_not_one_is_a_400_showing_its_first_hundred_characters():
    with pytest.raises(ProjectError) as refused:
        check_project_id("-" + "x" * 150)
    assert refused.value.status == 400
    assert str(refused.value) == (
        f"'-{'x' * 99}' is not a project id (letters, digits, '-' and '_' only; see GET /v1/projects)"
    )
    assert ProjectError("any").status == 400  # the status answered when none is given


def test_a_project_is_annifs_project_object_with_the_time_its_model_was_written(tmp_path):
    (tmp_path / "model.json").write_text("{}", encoding="utf-8")
    os.utime(tmp_path / "model.json", (STAMP, STAMP))
    expected = {
        "project_id": "hand",
        "name": "OSCE fields of work (hand)",
        "language": "en",
        "backend": {"backend_id": "classifier"},
        "vocab": VOCAB,
        "vocab_language": "en",
        "is_trained": True,
        "modification_time": "2024-03-07T12:30:15Z",
        "model": "sha256:hand",
    }
    assert hand_project(tmp_path).info() == expected
    # A model held in memory, or a folder without model.json: no time.
    assert hand_project(None).info() == expected | {"modification_time": None}
    assert hand_project(tmp_path / "elsewhere").info() == expected | {"modification_time": None}


def test_a_card_gives_the_model_card_the_metadata_a_reader_wants_the_thresholds_and_flags(tmp_path):
    keys = ["classifier_version", "labels", "label_counts", "cv_metrics", "zero_shot_fields"]
    keys += ["low_confidence_fields", "training_data", "seed", "versions"]
    metadata = {key: f"{key} value" for key in keys} | {"payload_sha256": {"model.npz": "abc"}}
    (tmp_path / "MODEL.md").write_text("# Modellkarte – Wahlen\n", encoding="utf-8")
    (tmp_path / "model.md").write_text("another file\n", encoding="utf-8")
    expected = {
        "project_id": "hand",
        "card": "# Modellkarte – Wahlen\n",
        "metadata": {key: f"{key} value" for key in keys},
        "model": "sha256:hand",
        "thresholds": {"Elections": 0.5, "Policing": 0.6123, "Youth": 0.2},
        "flags": {"Youth": "zero-shot"},
    }
    assert hand_project(tmp_path, metadata).card() == expected
    (tmp_path / "MODEL.md").unlink()
    assert hand_project(tmp_path, {"seed": 7}).card() == expected | {"card": None, "metadata": {"seed": 7}}
    assert hand_project(None, {}).card() == expected | {"card": None, "metadata": {}}


def test_a_card_saved_by_hand_in_another_encoding_is_read_as_text_files_are(tmp_path):
    """A MODEL.md edited by hand and saved as Windows-1252, or as UTF-8 with a byte-order mark, stopped the server's
    start with a traceback (the card was read as strict UTF-8); one of binary data is no card."""
    (tmp_path / "MODEL.md").write_bytes("# Modèle – élections\n".encode("cp1252"))
    assert hand_project(tmp_path).card()["card"] == "# Modèle – élections\n"
    (tmp_path / "MODEL.md").write_bytes("# Modellkarte – Wahlen\n".encode("utf-8-sig"))
    assert hand_project(tmp_path).card()["card"] == "# Modellkarte – Wahlen\n"
    (tmp_path / "MODEL.md").write_bytes(b"PK\x03\x04\x00\x00 a zip, not a card")
    assert hand_project(tmp_path).card()["card"] is None


def annif_results(project, texts: list[str], **cutoffs) -> list[list[dict]]:
    """Each text's Annif results, as `suggest` and `suggest-batch` answer them, without the flags."""
    return [results for results, _ in project.suggest_flagged(texts, **cutoffs)]


def test_suggest_batch_holds_a_threshold_against_the_rounded_scores_or_takes_the_models_own():
    project = hand_project()
    assert annif_results(project, [VOTE, POLICE], limit=2, threshold=0.4) == [
        [ELECTIONS | {"score": 0.9123}, YOUTH | {"score": 0.4}],  # 0.400049 shows as 0.4, which reaches 0.4
        [POLICING | {"score": 0.7}, YOUTH | {"score": 0.7}],  # a tie in taxonomy order
    ]
    # The model's own thresholds, and at most `limit` of the fields they accept, best first.
    assert annif_results(project, [VOTE, POLICE], limit=1, threshold=None) == [
        [ELECTIONS | {"score": 0.9123}],
        [POLICING | {"score": 0.7}],
    ]
    assert project.accepted(POLICE) == ["Policing", "Youth"]


def test_explain_gives_every_field_with_its_decision_flag_evidence_and_phrases_named():
    weights = [0.1235, 0.0617, 0.0412, 0.0309, 0.0247, 0.0206, 0.0176]
    evidence = [{"term": f"term{i}", "weight": weight} for i, weight in enumerate(weights)]
    answer = {
        "title": "Observers deployed",
        "body": "ODIHR observers followed the vote.\nThey will report.",
        "labels": ["Elections", "Youth"],
        "flag": None,
        "results": [
            ELECTIONS | {"score": 0.9123, "accepted": True, "evidence": evidence[:5], "named": ["observers", "vote"]},
            YOUTH
            | {"score": 0.4, "accepted": True, "flag": "zero-shot", "evidence": [{"term": "vote", "weight": 0.25}]},
            POLICING | {"score": 0.05, "accepted": False},
        ],
    }
    assert hand_project().explain(VOTE) == answer
    answer["results"][0]["evidence"] = evidence[:2]
    assert hand_project().explain(VOTE, top=2) == answer


def test_the_shipped_model_answers_ten_fields_at_any_score_by_default():
    project = load_projects([None], Taxonomy.from_yaml(ROOT / "taxonomy.yaml"))["default"]
    (results,) = annif_results(project, ["Observers followed the parliamentary elections and the vote count."])
    assert len(results) == 10 and results[0]["label"] == "Elections"
    assert [hit["score"] for hit in results] == sorted((hit["score"] for hit in results), reverse=True)


def test_each_bundle_is_a_project_named_by_its_folder_in_the_taxonomy_served(tmp_path):
    data = yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))
    youth = next(entry for entry in data["fields"] if entry["name"] == "Youth")
    youth["name"], youth["aliases"] = "Young people", [*youth.get("aliases", []), "Youth"]  # renamed since training
    renamed = Taxonomy.from_dict(data)
    bundle = tmp_path / "my model.v2"
    shutil.copytree(ROOT / "models" / "default", bundle)
    projects = load_projects([bundle], renamed)
    assert list(projects) == ["my-model-v2"]
    project = projects["my-model-v2"]
    assert (project.id, project.model.path, project.taxonomy) == ("my-model-v2", bundle, renamed)
    assert "Young people" in project.model.labels and "Youth" not in project.model.labels


def test_two_bundles_of_one_folder_name_are_refused_naming_the_second(tmp_path):
    first, second = tmp_path / "a" / "model", tmp_path / "b" / "model"
    shutil.copytree(ROOT / "models" / "default", first)
    shutil.copytree(ROOT / "models" / "default", second)
    with pytest.raises(ProjectError) as refused:
        load_projects([first, second], Taxonomy.from_yaml(ROOT / "taxonomy.yaml"))
    assert str(refused.value) == (
        f"{second}: a second model named 'model'; give each --model a directory of its own name"
    )
    assert refused.value.exit_code == 2


def test_a_bundle_named_as_the_shipped_model_is_refused_naming_the_shipped_models_folder(tmp_path):
    """None stands for the shipped model: the refusal names its folder, not "None"."""
    mine = tmp_path / "default"
    shutil.copytree(ROOT / "models" / "default", mine)
    with pytest.raises(ProjectError) as refused:
        load_projects([mine, None], Taxonomy.from_yaml(ROOT / "taxonomy.yaml"))
    assert str(refused.value) == (
        f"{default_model_path()}: a second model named 'default'; give each --model a directory of its own name"
    )
