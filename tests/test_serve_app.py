"""`classifier serve` over a real socket: Annif's client gets our suggestions; bad input a 4xx; kills lose nothing."""

import http.client
import json
import shutil
import signal
import subprocess
import sys
import threading

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
annif_client = pytest.importorskip("annif_client", reason="annif-client is in the test extra")
requests = pytest.importorskip("requests")

from conftest import ROOT, SEED_ELECTIONS, needs_seeds  # noqa: E402
from serving import queue_rows, running_server, write_queue  # noqa: E402

MAX_TEXT = 100_000
QUEUE_SIZE = 12
KYRGYZSTAN = ROOT / "examples" / "election-observation-kyrgyzstan.txt"
TRAFFICKING = ROOT / "examples" / "trafficking-training-serbia.txt"


@pytest.fixture(scope="module")
def model():
    from classifier import load_model

    return load_model()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    queue = write_queue(folder / "queue.jsonl", queue_rows(QUEUE_SIZE))
    with running_server(
        folder,
        "--queue",
        str(queue),
        "--labels",
        str(folder / "labelled.jsonl"),
        env={"CLASSIFIER_MAX_TEXT": str(MAX_TEXT)},
    ) as running:
        running.labels = folder / "labelled.jsonl"
        running.queue = queue
        yield running
        assert "Traceback" not in running.output()


@pytest.fixture(scope="module")
def client(server):
    return annif_client.AnnifClient(api_base=server.url + "/v1/")


def uri_of(label, taxonomy):
    return "urn:osce-field-of-work:" + taxonomy.field(label).id


# ---- Annif's client, unchanged ----


def test_annif_client_lists_the_shipped_model_as_a_project(client):
    assert client.api_info["title"].startswith("classifier")
    projects = client.projects
    assert [p["project_id"] for p in projects] == ["default"]
    project = client.get_project("default")
    assert project["language"] == "en" and project["is_trained"] is True
    assert project["vocab"]["size"] == 23


def test_annif_client_suggest_gets_the_models_probabilities_best_first(client, model, taxonomy):
    text = KYRGYZSTAN.read_text(encoding="utf-8")
    results = client.suggest("default", text, limit=4)
    proba = model.predict_proba([text])[0]
    expected = sorted(zip(model.labels, proba), key=lambda pair: -pair[1])[:4]
    assert [r["label"] for r in results] == [label for label, _ in expected]
    assert [r["score"] for r in results] == pytest.approx([score for _, score in expected], abs=1e-4)
    assert results[0]["label"] == "Elections"
    assert results[0]["uri"] == uri_of("Elections", taxonomy) and results[0]["notation"] == "elections"


def test_annif_client_suggest_from_a_file_with_a_threshold(client):
    with open(TRAFFICKING, encoding="utf-8") as handle:
        results = client.suggest("default", handle, threshold=0.2)
    assert results and all(r["score"] >= 0.2 for r in results)
    assert results[0]["label"] == "Combating trafficking in human beings"


def test_annif_client_suggest_batch_keeps_document_ids_and_order(client, model):
    texts = [KYRGYZSTAN.read_text(encoding="utf-8"), TRAFFICKING.read_text(encoding="utf-8")]
    answer = client.suggest_batch(
        "default", [{"document_id": "a", "text": texts[0]}, {"document_id": "b", "text": texts[1]}], limit=2
    )
    assert [doc["document_id"] for doc in answer] == ["a", "b"]
    assert [len(doc["results"]) for doc in answer] == [2, 2]
    best = [model.labels[row.argmax()] for row in model.predict_proba(texts)]
    assert [doc["results"][0]["label"] for doc in answer] == best


def test_annif_client_unknown_project_is_its_not_found_error(client):
    with pytest.raises(ValueError, match="not found"):
        client.suggest("no-such-project", "text")


def test_annif_client_learn_appends_rows_that_train_reads(client, server, taxonomy):
    from classifier.workflows.training import load_training_set

    text = "Police officers from five countries trained on community policing and the use of force."
    response = client.learn(
        "default", [{"text": text, "subjects": [{"uri": uri_of("Policing", taxonomy)}, {"label": "Human Rights"}]}]
    )
    assert response.status_code == 204
    rows = [json.loads(line) for line in server.labels.read_text(encoding="utf-8").splitlines()]
    learned = [row for row in rows if row["origin"] == "learn"]
    assert learned[-1]["labels"] == ["Human rights", "Policing"]
    training = load_training_set([server.labels], taxonomy)
    assert any(
        set(doc_labels) == {"Human rights", "Policing"}
        for doc_labels in ([taxonomy.labels[j] for j in row.nonzero()[0]] for row in training.Y)
    )


def test_learn_refuses_a_text_with_nothing_but_menus_and_keeps_the_file_trainable(server, taxonomy):
    from classifier.workflows.training import load_training_set

    def contents():
        return server.labels.read_text(encoding="utf-8") if server.labels.exists() else None

    before = contents()
    menus_only = "-\nFields of work\n- Elections\n- Youth\n-\nCountries\n- Albania"
    answer = requests.post(
        f"{server.url}/v1/projects/default/learn", json=[{"text": menus_only, "subjects": [{"label": "Elections"}]}]
    )
    assert answer.status_code == 400 and answer.json()["detail"] == "[0].text has no text besides its page's menus"
    assert contents() == before  # nothing appended
    if before is not None:
        load_training_set([server.labels], taxonomy)  # and the file still trains


def test_explain_refuses_a_text_with_nothing_but_menus_as_learn_does(server):
    menus_only = "-\nFields of work\n- Elections\n- Youth\n-\nCountries\n- Albania"
    answer = requests.post(f"{server.url}/v1/projects/default/explain", json={"text": menus_only})
    assert answer.status_code == 400 and answer.json()["detail"] == "the text has no text besides its page's menus"


def test_a_lone_surrogate_in_a_json_text_is_read_as_u_fffd_not_a_server_error(server):
    text = "Observers \ud800 followed the parliamentary elections and the counting of votes in Bishkek."
    body = json.dumps({"text": text})  # JSON escapes the lone surrogate as \ud800, as a client may send it
    headers = {"Content-Type": "application/json"}
    explained = requests.post(f"{server.url}/v1/projects/default/explain", data=body, headers=headers)
    assert explained.status_code == 200 and "\ufffd" in explained.json()["body"]
    assert explained.json()["labels"][0] == "Elections"
    learned = requests.post(
        f"{server.url}/v1/projects/default/learn",
        data=json.dumps([{"text": text, "subjects": [{"label": "Elections"}]}]),
        headers=headers,
    )
    assert learned.status_code == 204
    last = json.loads(server.labels.read_text(encoding="utf-8").splitlines()[-1])
    assert last["text"] == text.replace("\ud800", "\ufffd") and last["labels"] == ["Elections"]


def test_the_readme_curl_prints_what_the_server_answers(server):
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Serve\n", 1)[1].split("\n## ", 1)[0]
    command, printed = section.split("$ curl ", 1)[1].split("```", 1)[0].strip().split("\n", 1)
    assert "--data-urlencode text@examples/election-observation-kyrgyzstan.txt -d limit=3" in command
    answer = requests.post(
        f"{server.url}/v1/projects/default/suggest", data={"text": KYRGYZSTAN.read_text(encoding="utf-8"), "limit": "3"}
    )
    assert answer.json() == json.loads(printed)


# ---- our additions ----


@needs_seeds
def test_explain_gives_accepted_fields_flags_and_evidence_terms(server, model):
    text = SEED_ELECTIONS.read_text(encoding="utf-8")
    answer = requests.post(f"{server.url}/v1/projects/default/explain", json={"text": text}).json()
    suggestion = model.suggest(text, explain=True)
    assert answer["labels"] == suggestion.labels
    assert [r["label"] for r in answer["results"]] == [label for label, _ in suggestion.scores]
    accepted = [r for r in answer["results"] if r["accepted"]]
    assert accepted and all(r["evidence"] for r in accepted)
    assert all(term["term"].split()[0].lower() in answer["body"].lower() for r in accepted for term in r["evidence"])
    # The taxonomy phrases each accepted field is named by, as the Python API gives them (tested there).
    assert suggestion.named and {r["label"]: r["named"] for r in answer["results"] if "named" in r} == suggestion.named
    assert {r["label"]: r["flag"] for r in answer["results"] if "flag" in r} == model.flags


def test_explain_says_when_the_model_abstains(server, model):
    german = (
        "Die Beobachter der OSZE haben heute die Wahlen in Kirgisistan begleitet und einen Bericht veröffentlicht. "
        "Die Mission bleibt bis Ende des Monats im Land."
    )
    answer = requests.post(f"{server.url}/v1/projects/default/explain", json={"text": german}).json()
    assert (answer["flag"], answer["labels"]) == (model.suggest(german).flag, []) == ("language", [])


def test_annif_suggest_gives_no_fields_for_a_text_the_model_abstains_on(client, model):
    german = (
        "Die Beobachter der OSZE haben heute die Wahlen in Kirgisistan begleitet und einen Bericht veröffentlicht. "
        "Die Mission bleibt bis Ende des Monats im Land."
    )
    assert model.suggest(german).flag == "language" and model.predict_proba([german]).max() > 0  # scored, flagged
    assert client.suggest("default", german, limit=5) == []
    english = KYRGYZSTAN.read_text(encoding="utf-8")
    answer = client.suggest_batch(
        "default", [{"document_id": "de", "text": german}, {"document_id": "en", "text": english}]
    )
    assert [len(doc["results"]) > 0 for doc in answer] == [False, True]


def test_annif_routes_say_why_a_text_got_no_field(server, model):
    """An abstention answered `{"results": []}`, as a text no field reached does: a caller could not tell a text in
    another language, or no policy text at all, from a hard one. The flag `suggest` gives is in the answer too
    (a key Annif's answer lacks; its clients read `results`)."""
    german = (
        "Die Beobachter der OSZE haben heute die Wahlen in Kirgisistan begleitet und einen Bericht veröffentlicht. "
        "Die Mission bleibt bis Ende des Monats im Land."
    )
    recipe = (
        "Preheat the oven to 200 degrees. Mix the flour, yeast, salt and warm water into a soft dough, knead it for "
        "ten minutes, let it rise for an hour, shape the loaf and bake it for thirty-five minutes until golden."
    )
    english = KYRGYZSTAN.read_text(encoding="utf-8")
    assert [model.suggest(text).flag for text in (german, recipe, english)] == ["language", "out-of-scope", None]
    answer = requests.post(f"{server.url}/v1/projects/default/suggest", data={"text": german, "limit": 5}).json()
    assert answer == {"results": [], "flag": "language"}
    answer = requests.post(f"{server.url}/v1/projects/default/suggest", data={"text": english}).json()
    assert "flag" not in answer and answer["results"][0]["label"] == "Elections"
    batch = [{"document_id": "de", "text": german}, {"document_id": "bread", "text": recipe}, {"text": english}]
    answer = requests.post(f"{server.url}/v1/projects/default/suggest-batch", json={"documents": batch}).json()
    assert [(doc["document_id"], doc.get("flag"), bool(doc["results"])) for doc in answer] == [
        ("de", "language", False),
        ("bread", "out-of-scope", False),
        (None, None, True),
    ]


def test_explain_decodes_an_uploaded_file_as_the_command_line_does(server):
    page = KYRGYZSTAN.read_text(encoding="utf-8").replace("'", "\u2019")
    response = requests.post(
        f"{server.url}/v1/projects/default/explain",
        data=page.encode("cp1252"),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.json()["labels"][0] == "Elections"
    assert "\u2019" in response.json()["title"] + response.json()["body"]


def test_taxonomy_card_health_and_ready(server, taxonomy):
    tree = server.get("/v1/taxonomy")
    fields = [f for dimension in tree["dimensions"] for f in dimension["fields"]]
    assert sorted(f["label"] for f in fields) == sorted(taxonomy.labels)
    assert all(f["uri"] == uri_of(f["label"], taxonomy) for f in fields)
    card = server.get("/v1/projects/default/card")
    assert "\n# Model card: " in card["card"] and card["metadata"]["labels"] == taxonomy.labels
    assert server.get("/v1/health") == {"status": "ok"}
    assert server.get("/v1/ready")["ready"] is True
    assert "/v1/projects/{project_id}/suggest" in server.get("/openapi.json")["paths"]


# ---- the review queue ----


def test_queue_order_is_picks_order_and_a_decision_is_written_at_once(server, model, taxonomy):
    from classifier.corpus.documents import read_documents
    from classifier.workflows.picking import pick

    picked = pick(model, list(read_documents([server.queue])), n=QUEUE_SIZE)
    queue = server.get("/v1/queue")
    assert queue["next"]["id"] == picked.rows[0]["id"]
    assert queue["next"]["suggested"] == picked.rows[0]["labels"]
    before = queue["progress"]
    answer = requests.post(
        f"{server.url}/v1/queue/decisions", json={"id": picked.rows[0]["id"], "labels": ["Elections", "rule of law"]}
    )
    assert answer.status_code == 200 and answer.json()["saved"] is True
    progress = answer.json()["progress"]
    assert (progress["labelled"], progress["left"]) == (before["labelled"] + 1, before["left"] - 1)
    assert progress["field_counts"]["Rule of law"] == before["field_counts"]["Rule of law"] + 1
    last = json.loads(server.labels.read_text(encoding="utf-8").splitlines()[-1])
    assert (last["id"], last["labels"]) == (picked.rows[0]["id"], ["Elections", "Rule of law"])
    skipped = requests.post(f"{server.url}/v1/queue/decisions", json={"id": picked.rows[1]["id"], "skip": True}).json()
    assert skipped["saved"] is False and server.get("/v1/queue")["next"]["id"] == picked.rows[2]["id"]
    again = requests.post(
        f"{server.url}/v1/queue/decisions", json={"id": picked.rows[0]["id"], "labels": ["Elections"]}
    )
    assert again.status_code == 409


# ---- bad input: a 4xx problem, never a 500, and the server goes on ----


def raw_request(server, method, path, body=b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
BAD_REQUESTS = [
    ("malformed JSON", "POST", "/v1/projects/default/suggest-batch", b'{"documents": [', JSON, 400, "malformed JSON"),
    ("no documents", "POST", "/v1/projects/default/suggest-batch", b'{"docs": []}', JSON, 400, "'documents'"),
    (
        "documents not a list",
        "POST",
        "/v1/projects/default/suggest-batch",
        b'{"documents": "x"}',
        JSON,
        400,
        "'documents'",
    ),
    (
        "text a number",
        "POST",
        "/v1/projects/default/suggest-batch",
        b'{"documents": [{"text": 5}]}',
        JSON,
        400,
        "must be a string",
    ),
    (
        "document not an object",
        "POST",
        "/v1/projects/default/suggest-batch",
        b'{"documents": [5]}',
        JSON,
        400,
        "documents[0]",
    ),
    (
        "batch over 32",
        "POST",
        "/v1/projects/default/suggest-batch",
        json.dumps({"documents": [{"text": "x"}] * 33}).encode(),
        JSON,
        400,
        "at most 32",
    ),
    (
        "limit not a number (query)",
        "POST",
        "/v1/projects/default/suggest-batch?limit=many",
        b'{"documents": []}',
        JSON,
        400,
        "limit",
    ),
    (
        "threshold over 1 (query)",
        "POST",
        "/v1/projects/default/suggest-batch?threshold=2",
        b'{"documents": []}',
        JSON,
        400,
        "threshold",
    ),
    (
        "JSON not UTF-8",
        "POST",
        "/v1/projects/default/suggest-batch",
        b'{"documents": [{"text": "\xff\xfe"}]}',
        JSON,
        400,
        "not UTF-8",
    ),
    (
        "JSON nested too deeply",
        "POST",
        "/v1/projects/default/suggest-batch",
        b"[" * 200_000,
        JSON,
        400,
        "nested too deeply",
    ),
    ("empty body", "POST", "/v1/projects/default/suggest-batch", b"", JSON, 400, "empty"),
    ("no text in the form", "POST", "/v1/projects/default/suggest", b"limit=3", FORM, 400, "'text'"),
    ("limit not a number", "POST", "/v1/projects/default/suggest", b"text=x&limit=ten", FORM, 400, "'limit'"),
    ("threshold negative", "POST", "/v1/projects/default/suggest", b"text=x&threshold=-1", FORM, 400, "'threshold'"),
    ("form percent-encoded non-UTF-8", "POST", "/v1/projects/default/suggest", b"text=%FF%FE", FORM, 400, "not UTF-8"),
    ("form raw non-UTF-8", "POST", "/v1/projects/default/suggest", b"text=\xff\xfe", FORM, 400, "not UTF-8"),
    (
        "multipart form",
        "POST",
        "/v1/projects/default/suggest",
        b"--x--",
        {"Content-Type": "multipart/form-data; boundary=x"},
        415,
        "form",
    ),
    (
        "text over CLASSIFIER_MAX_TEXT",
        "POST",
        "/v1/projects/default/suggest",
        b"text=" + b"a" * (MAX_TEXT + 1),
        FORM,
        413,
        "CLASSIFIER_MAX_TEXT",
    ),
    (
        "batch text over CLASSIFIER_MAX_TEXT",
        "POST",
        "/v1/projects/default/suggest-batch",
        json.dumps({"documents": [{"text": "a" * (MAX_TEXT + 1)}]}).encode(),
        JSON,
        413,
        "documents[0].text",
    ),
    (
        "binary upload",
        "POST",
        "/v1/projects/default/explain",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
        {"Content-Type": "application/octet-stream"},
        400,
        "binary",
    ),
    ("unknown project", "GET", "/v1/projects/nope", b"", {}, 404, "not found"),
    ("unknown project suggest", "POST", "/v1/projects/nope/suggest", b"text=x", FORM, 404, "not found"),
    ("dot-dot project id", "POST", "/v1/projects/../suggest", b"text=x", FORM, 400, "not a project id"),
    ("encoded traversal in the id", "POST", "/v1/projects/..%2F..%2Fetc%2Fpasswd/suggest", b"text=x", FORM, 404, ""),
    ("dots in the id", "GET", "/v1/projects/..", b"", {}, 400, "not a project id"),
    ("NUL in the id", "GET", "/v1/projects/a%00b", b"", {}, 400, "not a project id"),
    ("traversal in a static path", "GET", "/static/..%2F..%2Fapp.py", b"", {}, 404, ""),
    ("unknown static file", "GET", "/static/app.py", b"", {}, 404, "no such file"),
    ("learn not a list", "POST", "/v1/projects/default/learn", b'{"text": "x"}', JSON, 400, "array"),
    (
        "learn unknown subject",
        "POST",
        "/v1/projects/default/learn",
        b'[{"text": "x", "subjects": [{"uri": "http://x/y"}]}]',
        JSON,
        400,
        "unknown subject",
    ),
    (
        "learn no subjects",
        "POST",
        "/v1/projects/default/learn",
        b'[{"text": "x", "subjects": []}]',
        JSON,
        400,
        "at least one field",
    ),
    (
        "decision for an unknown id",
        "POST",
        "/v1/queue/decisions",
        b'{"id": "nope", "labels": ["Elections"]}',
        JSON,
        404,
        "no document",
    ),
    (
        "decision with an unknown field",
        "POST",
        "/v1/queue/decisions",
        b'{"id": "x", "labels": ["Astrology"]}',
        JSON,
        404,
        "",
    ),
    ("decision without labels", "POST", "/v1/queue/decisions", b'{"id": "x"}', JSON, 400, "'labels'"),
    ("decision labels not a list", "POST", "/v1/queue/decisions", b'{"id": "x", "labels": "Elections"}', JSON, 404, ""),
    ("unknown route", "GET", "/v1/nothing-here", b"", {}, 404, ""),
    ("wrong method", "DELETE", "/v1/projects", b"", {}, 405, ""),
]


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS])
def test_bad_request_gets_a_4xx_problem_and_the_server_goes_on(server, case):
    _, method, path, body, headers, status, detail = case
    got, content_type, raw = raw_request(server, method, path, body, headers)
    answer = json.loads(raw)
    assert (got, answer["status"]) == (status, status), answer
    assert content_type == "application/problem+json"
    assert detail in answer["detail"]
    assert server.get("/v1/health") == {"status": "ok"}


def test_decision_errors_name_the_problem(server):
    item = server.get("/v1/queue")["next"]["id"]
    for body, detail in [
        ({"id": item, "labels": ["Astrology"]}, "unknown fields"),
        ({"id": item, "labels": []}, "at least one"),
        ({"id": item, "labels": "Elections"}, "must be a list"),
        ({"id": item, "skip": "yes"}, "'skip'"),
    ]:
        answer = requests.post(f"{server.url}/v1/queue/decisions", json=body)
        assert answer.status_code == 400 and detail in answer.json()["detail"]


def test_a_body_over_the_limit_is_refused_before_it_is_sent(server):
    from classifier.serve.app import MAX_BODY_BYTES

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/v1/projects/default/suggest")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and "request body over" in json.loads(response.read())["detail"]
    connection.close()
    assert server.get("/v1/health") == {"status": "ok"}


def test_a_streamed_body_is_cut_off_at_the_limit(server):
    from classifier.serve.app import MAX_BODY_BYTES

    def chunks():  # no Content-Length: the body comes chunked, and only its size tells
        yield b"text="
        for _ in range(MAX_BODY_BYTES // 2**20 + 2):
            yield b"a" * 2**20

    answer = requests.post(f"{server.url}/v1/projects/default/suggest", data=chunks(), headers=FORM, timeout=120)
    assert answer.status_code == 413 and "request body over" in answer.json()["detail"]
    assert server.get("/v1/health") == {"status": "ok"}


# ---- kill -9 ----


def test_kill_after_decisions_keeps_every_saved_one_and_no_half_line(tmp_path):
    queue = write_queue(tmp_path / "queue.jsonl", queue_rows(30))
    labels = tmp_path / "labelled.jsonl"
    labels.write_text(
        '{"id": "earlier", "title": "t", "text": "x", "labels": ["Elections"]}', encoding="utf-8"
    )  # no final newline
    saved = []
    with running_server(tmp_path, "--queue", str(queue), "--labels", str(labels)) as server:
        for _ in range(5):
            item = server.get("/v1/queue")["next"]
            answer = requests.post(
                f"{server.url}/v1/queue/decisions",
                json={"id": item["id"], "labels": item["suggested"] or ["Elections"]},
            )
            assert answer.status_code == 200
            saved.append(item["id"])
        # More decisions in flight while the server is killed: whatever it acknowledged must be there.
        pending = [row["id"] for row in queue_rows(30) if row["id"] not in saved][:10]
        acknowledged = []

        def decide(doc_id):
            try:
                answer = requests.post(
                    f"{server.url}/v1/queue/decisions", json={"id": doc_id, "labels": ["Elections"]}, timeout=30
                )
                if answer.status_code == 200:
                    acknowledged.append(doc_id)
            except requests.RequestException:
                pass

        threads = [threading.Thread(target=decide, args=(doc_id,)) for doc_id in pending]
        for thread in threads:
            thread.start()
        server.kill(signal.SIGKILL)
        for thread in threads:
            thread.join()
    data = labels.read_bytes()
    assert data.endswith(b"\n")
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    ids = [row["id"] for row in rows]
    assert ids[0] == "earlier"
    assert set(saved + acknowledged) <= set(ids)
    assert len(ids) == len(set(ids))


# ---- several models, no labels file ----


def test_each_model_is_a_project_and_learning_needs_a_labels_file(tmp_path):
    other = tmp_path / "candidate"
    shutil.copytree(ROOT / "models" / "default", other)
    with running_server(tmp_path, "--model", str(ROOT / "models" / "default"), "--model", str(other)) as server:
        assert [p["project_id"] for p in server.get("/v1/projects")["projects"]] == ["default", "candidate"]
        first = requests.post(
            f"{server.url}/v1/projects/candidate/suggest", data={"text": "Observers follow the elections"}
        ).json()
        assert first["results"][0]["label"] == "Elections"
        learn = requests.post(
            f"{server.url}/v1/projects/default/learn", json=[{"text": "x", "subjects": [{"label": "Youth"}]}]
        )
        assert learn.status_code == 403 and "--labels" in learn.json()["detail"]
        queue = requests.get(f"{server.url}/v1/queue")
        assert queue.status_code == 404 and "--queue" in queue.json()["detail"]
        assert server.get("/v1/ready")["queue"] is False


def test_two_models_in_directories_of_one_name_are_refused(tmp_path):
    shutil.copytree(ROOT / "models" / "default", tmp_path / "a" / "default")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "classifier",
            "serve",
            "--model",
            str(ROOT / "models" / "default"),
            "--model",
            str(tmp_path / "a" / "default"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "a second model named 'default'" in result.stderr
