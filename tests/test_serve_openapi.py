"""What the OpenAPI document tells a client about the requests, held against what the service does with them.

Clients are generated from /openapi.json: a bound, a default or a required key written there that the routes do not
apply sends every generated client wrong. Each value here is checked twice: against the value Annif's API gives (a
limit of 10 by default, a threshold from 0 to 1, at most 32 documents a batch) or the README, and against the answer
the service gives at and beyond it.
"""

import json

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
pytest.importorskip("httpx2", reason="httpx2 (the test client of FastAPI) is in the test extra")

from fastapi.testclient import TestClient  # noqa: E402

from conftest import ROOT  # noqa: E402

FORM = "application/x-www-form-urlencoded"
PROJECT = "/v1/projects/{project_id}"
KYRGYZSTAN = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parts():
    from classifier.serve.projects import load_projects
    from classifier.taxonomy.fields import default_taxonomy

    taxonomy = default_taxonomy()
    return load_projects([None], taxonomy), taxonomy


@pytest.fixture
def client(parts, tmp_path):
    """The shipped model, with a labels file (for learn) and a queue of one election note (for decisions)."""
    from classifier.serve.app import create_app
    from classifier.serve.queue import LabelsFile, QueueItem, ReviewQueue

    projects, taxonomy = parts
    labels = LabelsFile(tmp_path / "labelled.jsonl")
    note = "The observation mission deployed long-term observers ahead of the parliamentary elections."
    queue = ReviewQueue([QueueItem("rev-5", "", note, "queue.jsonl:1", [], 0.5)], labels, taxonomy)
    return TestClient(create_app(projects, taxonomy, queue, labels), raise_server_exceptions=False)


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").json()


def request_schema(spec: dict, path: str, content_type: str = "application/json") -> dict:
    body = spec["paths"][path]["post"]["requestBody"]
    assert body["required"] is True, path  # no route answers a request without a body
    return body["content"][content_type]["schema"]


def suggest(client, **form):
    return client.post(f"{PROJECT.format(project_id='default')}/suggest", data=form)


def results(answer) -> list[tuple[str, float]]:
    assert answer.status_code == 200, answer.text
    return [(hit["label"], hit["score"]) for hit in answer.json()["results"]]


def test_the_suggest_forms_bounds_and_defaults_are_the_ones_the_service_applies(client, spec):
    schema = request_schema(spec, f"{PROJECT}/suggest", FORM)
    fields = schema["properties"]
    assert schema["required"] == ["text"]
    assert suggest(client, limit="3").status_code == 400  # no text
    limit, threshold, accepted = fields["limit"], fields["threshold"], fields["accepted"]
    assert (limit["type"], limit["minimum"], limit["default"]) == ("integer", 0, 10)
    assert (threshold["type"], threshold["minimum"], threshold["maximum"], threshold["default"]) == ("number", 0, 1, 0)
    assert (accepted["type"], accepted["default"]) == ("boolean", False)

    given_alone = results(suggest(client, text=KYRGYZSTAN))
    assert len(given_alone) == limit["default"]  # every one of the 23 fields scores above 0 on this page
    assert results(suggest(client, text=KYRGYZSTAN, limit=str(limit["default"]))) == given_alone
    assert results(suggest(client, text=KYRGYZSTAN, threshold=str(threshold["default"]))) == given_alone
    assert results(suggest(client, text=KYRGYZSTAN, accepted=json.dumps(accepted["default"]))) == given_alone
    assert results(suggest(client, text=KYRGYZSTAN, accepted="true")) != given_alone

    assert results(suggest(client, text=KYRGYZSTAN, limit=str(limit["minimum"]))) == []
    assert suggest(client, text=KYRGYZSTAN, limit=str(limit["minimum"] - 1)).status_code == 400
    for bound in (threshold["minimum"], threshold["maximum"]):
        assert suggest(client, text=KYRGYZSTAN, threshold=str(bound)).status_code == 200
    for beyond in (threshold["minimum"] - 0.01, threshold["maximum"] + 0.01):
        assert suggest(client, text=KYRGYZSTAN, threshold=str(beyond)).status_code == 400

    assert list(spec["paths"][f"{PROJECT}/suggest"]["post"]["requestBody"]["content"]) == [FORM]  # as Annif's
    assert client.post(f"{PROJECT.format(project_id='default')}/suggest", json={"text": KYRGYZSTAN}).status_code == 415


def test_a_batchs_limits_and_query_are_the_ones_the_service_applies(client, spec):
    schema = request_schema(spec, f"{PROJECT}/suggest-batch")
    assert schema["required"] == ["documents"]
    documents = schema["properties"]["documents"]
    assert documents["maxItems"] == 32 and documents["items"]["required"] == ["text"]
    path = f"{PROJECT.format(project_id='default')}/suggest-batch"
    most = [{"text": "Election observers reported on the count."}] * documents["maxItems"]
    answer = client.post(path, json={"documents": most})  # no document_id: it is not required
    assert answer.status_code == 200 and len(answer.json()) == documents["maxItems"]
    assert client.post(path, json={"documents": most + most[:1]}).status_code == 400
    assert client.post(path, json={"documents": [{"document_id": "a"}]}).status_code == 400
    assert client.post(path, json={}).status_code == 400

    form = request_schema(spec, f"{PROJECT}/suggest", FORM)["properties"]
    query = spec["paths"][f"{PROJECT}/suggest-batch"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in query] == [("project_id", "path"), ("language", "query")] + [
        (name, "query") for name in ("limit", "threshold", "accepted")
    ]
    for parameter in query[2:]:
        assert parameter["required"] is False
        described = {key: value for key, value in form[parameter["name"]].items() if key != "description"}
        assert parameter["schema"] == described, parameter["name"]
    one = {"documents": [{"text": KYRGYZSTAN}]}
    assert len(client.post(f"{path}?limit=2", json=one).json()[0]["results"]) == 2
    assert client.post(f"{path}?threshold=1.01", json=one).status_code == 400


def test_learn_and_decisions_require_the_keys_the_document_requires(client, spec):
    learn = request_schema(spec, f"{PROJECT}/learn")
    assert learn["type"] == "array" and learn["items"]["required"] == ["text", "subjects"]
    path = f"{PROJECT.format(project_id='default')}/learn"
    elections = {"label": "Elections"}
    assert client.post(path, json=[{"text": "Observers watched the vote."}]).status_code == 400
    assert client.post(path, json=[{"subjects": [elections]}]).status_code == 400
    assert client.post(path, json=[{"text": "Observers watched the vote.", "subjects": [elections]}]).status_code < 300

    decision = request_schema(spec, "/v1/queue/decisions")
    assert decision["required"] == ["id"]
    assert client.post("/v1/queue/decisions", json={"labels": ["Elections"]}).status_code == 400
    assert client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Elections"]}).status_code == 200

    suggest_form = request_schema(spec, f"{PROJECT}/suggest", FORM)
    for content_type in (FORM, "application/json"):  # explain takes suggest's fields, as a form or as JSON
        assert request_schema(spec, f"{PROJECT}/explain", content_type) == suggest_form
    explain = f"{PROJECT.format(project_id='default')}/explain"
    assert client.post(explain, json={"limit": 2}).status_code == 400
    assert client.post(explain, json={"text": KYRGYZSTAN, "limit": 2}).status_code == 200


def test_every_answer_shape_is_closed_as_the_schemas_module_promises(spec):
    """A generated client may rely on a shape naming every key: each answer's shape says no other key comes
    (the problem details of an error, RFC 7807's, may carry more by that standard)."""
    from classifier.serve import schemas

    shapes = spec["components"]["schemas"]
    published = {name for name in vars(schemas) if name in shapes}
    assert len(published) == 18 and published == set(shapes) - {"Problem"}
    for name in sorted(published):
        assert shapes[name]["type"] == "object" and shapes[name]["additionalProperties"] is False, name
