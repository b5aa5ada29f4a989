"""The service's request handling in this process: each refusal's status and sentence, as a client reads them.

`test_serve_app.py` drives a real server over a socket; these call the same app in-process (fast, and reachable by
mutation testing), with the shipped model, and check each answer against a value written out here.
"""

import contextlib
import hashlib
import json
import os
import re
import socket
import time
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
pytest.importorskip("httpx2", reason="httpx2 (the test client of FastAPI) is in the test extra")

from fastapi.testclient import TestClient  # noqa: E402

from conftest import ROOT  # noqa: E402
from serving import served_in_thread as served  # noqa: E402  (`serve`'s own server, in a thread of this process)

FORM = "application/x-www-form-urlencoded"
PROBLEM = "application/problem+json"
KYRGYZSTAN = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
ELECTIONS_URI = "urn:osce-field-of-work:elections"
ELECTION_NOTE = (
    "The observation mission deployed long-term observers across the country ahead of the parliamentary "
    "elections and will publish its preliminary findings on election day."
)


@pytest.fixture(scope="module")
def parts():
    from classifier.serve.projects import load_projects
    from classifier.taxonomy.fields import default_taxonomy

    taxonomy = default_taxonomy()
    return load_projects([None], taxonomy), taxonomy


def make_client(parts, tmp_path=None, **options):
    from classifier.serve.app import create_app
    from classifier.serve.queue import LabelsFile

    projects, taxonomy = parts
    labels = LabelsFile(tmp_path / "labelled.jsonl") if tmp_path is not None else None
    return TestClient(create_app(projects, taxonomy, labels=labels, **options), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(parts):
    return make_client(parts)


def refused(response, status: int, detail: str) -> None:
    """The answer is Annif's problem+json with this status and exactly this sentence."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    titles = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 413: "Request Entity Too Large"}
    titles |= {405: "Method Not Allowed", 415: "Unsupported Media Type", 500: "Internal Server Error"}
    titles |= {409: "Conflict", 412: "Precondition Failed", 421: "Misdirected Request"}
    assert response.json() == {"type": "about:blank", "title": titles[status], "status": status, "detail": detail}


def suggest(client, body, content_type=FORM, project="default"):
    return client.post(f"/v1/projects/{project}/suggest", content=body, headers={"content-type": content_type})


def labels_of(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["label"] for hit in response.json()["results"]]


# ---- suggest: the form ----


def test_an_election_note_gets_elections_with_its_uri_and_a_rounded_score(client):
    answer = client.post("/v1/projects/default/suggest", data={"text": ELECTION_NOTE})
    assert answer.status_code == 200
    first = answer.json()["results"][0]
    assert (first["uri"], first["label"], first["notation"]) == (ELECTIONS_URI, "Elections", "elections")
    assert 0.5 < first["score"] <= 1 and first["score"] == round(first["score"], 4)


def _health_while_held(monkeypatch, module, name: str, client, send):
    """(health's answer, the request's answer): `module.name`, the slow step of a request that another thread sends
    with `send(client)`, is held until /v1/health has been answered. A server doing that step on its event loop
    answers nothing meanwhile: the step would be released by the 10 s timeout instead, which fails here."""
    import threading

    held, answered, released = threading.Event(), threading.Event(), []
    real = getattr(module, name)

    def slow(*args, **options):
        held.set()
        released.append(answered.wait(timeout=10))
        return real(*args, **options)

    monkeypatch.setattr(module, name, slow)
    result = []
    sending = threading.Thread(target=lambda: result.append(send(client)))
    sending.start()
    assert held.wait(timeout=30)
    health = client.get("/v1/health")
    answered.set()
    sending.join(timeout=60)
    assert released == [True]
    return health, result[0]


def test_other_requests_are_answered_while_a_form_is_decoded(parts, monkeypatch):
    """Decoding a form of 30 MB of percent escapes takes seconds: the server answers others meanwhile."""
    import classifier.serve.bodies as bodies_module

    with make_client(parts) as client:
        health, answer = _health_while_held(
            monkeypatch, bodies_module, "parse_qsl", client, lambda c: suggest(c, f"text={ELECTION_NOTE}")
        )
    assert health.json() == {"status": "ok"}
    assert labels_of(answer)[0] == "Elections"


@pytest.mark.parametrize(
    "body, content_type, status, detail",
    [
        ("limit=3", FORM, 400, "missing form field 'text'"),
        (
            '{"text": "x"}',
            "application/json",
            415,
            "send the fields as a form (application/x-www-form-urlencoded), not application/json",
        ),
        ("text=%FF", FORM, 400, "the form is not UTF-8: encode the text as UTF-8 before percent-encoding it"),
        (b"text=\xff", FORM, 400, "the form is not UTF-8: encode the text as UTF-8 before percent-encoding it"),
        ("&".join(f"f{i}=1" for i in range(101)), FORM, 400, "the form has more than 100 fields"),
        ("text=a&limit=x", FORM, 400, "'limit' must be a whole number, got 'x'"),
        ("text=a&limit=-1", FORM, 400, "'limit' must be 0 or more"),
        ("text=a&limit=" + "9x" * 30, FORM, 400, "'limit' must be a whole number, got '" + "9x" * 25 + "'"),
        ("text=a&threshold=abc", FORM, 400, "'threshold' must be a number between 0 and 1, got 'abc'"),
        ("text=a&threshold=1.01", FORM, 400, "'threshold' must be between 0 and 1"),
        ("text=a&threshold=-0.01", FORM, 400, "'threshold' must be between 0 and 1"),
    ],
)
def test_a_form_it_cannot_use_is_refused_in_one_sentence(client, body, content_type, status, detail):
    refused(suggest(client, body, content_type), status, detail)


def test_a_hundred_form_fields_are_read_and_the_first_of_a_repeated_name_counts(client):
    fields = "&".join(f"f{i}=1" for i in range(98))
    assert labels_of(suggest(client, f"text={ELECTION_NOTE}&text=&{fields}"))[0] == "Elections"
    assert labels_of(suggest(client, f"text=&text={ELECTION_NOTE}")) == []  # the empty first text: no fields


def test_a_long_content_type_or_value_is_cut_in_the_answer(client):
    kind = "application/" + "x" * 150
    form_only = "send the fields as a form (application/x-www-form-urlencoded), not "
    refused(suggest(client, "text=a", kind), 415, form_only + kind[:100])
    refused(explain(client, "a", kind), 415, "send a form, JSON or the file itself (text/plain), not " + kind[:100])
    detail = "'threshold' must be a number between 0 and 1, got '" + "x" * 50 + "'"
    refused(suggest(client, "text=a&threshold=" + "x" * 60), 400, detail)


def test_the_service_starts_and_stops_through_its_size_limit(parts):
    """The body-size limit wraps the whole app, so the start and stop messages pass through it too."""
    with make_client(parts, max_body_bytes=1000) as small:
        assert labels_of(suggest(small, f"text={ELECTION_NOTE}"))[0] == "Elections"


def test_form_content_type_is_matched_without_case_or_parameters_and_may_be_left_out(client):
    answer = suggest(client, f"text={ELECTION_NOTE}", "Application/X-WWW-Form-Urlencoded; charset=utf-8")
    assert labels_of(answer)[0] == "Elections"
    assert labels_of(client.post("/v1/projects/default/suggest", content=f"text={ELECTION_NOTE}"))[0] == "Elections"


@pytest.mark.parametrize(
    "extra, count",
    [
        ("", 10),
        ("&limit=", 10),
        ("&limit=0", 0),
        ("&limit=1", 1),
        ("&limit=23", 23),
        ("&limit=99", 23),
        ("&threshold=", 10),
        ("&threshold=0", 10),
        ("&threshold=0.5", 1),
        ("&threshold=1", 0),
    ],
)
def test_limit_and_threshold_choose_how_many_fields_come_back(client, extra, count):
    """As in Annif: every field scoring at least the threshold (0 by default), best first, at most limit (10)."""
    everything = labels_of(suggest(client, f"text={KYRGYZSTAN}&limit=23"))
    assert len(everything) == 23 and everything[0] == "Elections"
    assert labels_of(suggest(client, f"text={KYRGYZSTAN}{extra}")) == everything[:count]


def test_accepted_gives_the_fields_the_model_accepts_as_the_command_line_does(client):
    from classifier import load_model

    shipped = load_model()
    texts = [KYRGYZSTAN, ELECTION_NOTE, (ROOT / "examples" / "trafficking-training-serbia.txt").read_text("utf-8")]
    reading = shipped.read_pages(texts)
    decided = [[shipped.labels[j] for j in row.nonzero()[0]] for row in reading.accepted]
    assert decided[0] == ["Elections"]  # where Annif's threshold 0 gives ten fields
    for text, fields in zip(texts, decided):
        assert sorted(labels_of(suggest(client, f"text={quote(text)}&accepted=true"))) == sorted(fields)
    rows = batch(client, {"documents": [{"text": text} for text in texts]}, "?accepted=true").json()
    assert [sorted(hit["label"] for hit in row["results"]) for row in rows] == [sorted(f) for f in decided]


def test_accepted_gives_every_accepted_field_unless_a_limit_is_given(client):
    """A report joining one single-field item of each field of the corpus: the model accepts more fields than
    Annif's default limit of 10, and `accepted=true` gives them all, as `classifier suggest` does."""
    from classifier import load_model

    items, fields = [], set()
    for line in (ROOT / "training" / "data" / "releases.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if len(row["labels"]) == 1 and row["labels"][0] not in fields:
            fields.add(row["labels"][0])
            items.append(row["title"] + "\n" + row["text"])
    report = "\n".join(items)
    decided = load_model().suggest(report).labels
    assert len(decided) > 10
    assert labels_of(suggest(client, f"text={quote(report)}&accepted=true")) == decided
    assert labels_of(suggest(client, f"text={quote(report)}&accepted=true&limit=10")) == decided[:10]
    assert len(labels_of(suggest(client, f"text={quote(report)}"))) == 10  # Annif's default stays without accepted
    rows = batch(client, {"documents": [{"text": report}]}, "?accepted=true").json()
    assert [hit["label"] for hit in rows[0]["results"]] == decided


def test_accepted_with_a_limit_keeps_the_best_accepted_field_not_the_best_scoring_one(client):
    """An unlabelled item of the corpus (2002-04-19): the model accepts Democratization (0.198) only, under
    Conflict prevention (0.207); `limit=1` keeps it, as `suggest --limit 1` does."""
    text = (
        "OSCE Presence in Albania issues statement\nTirana, 19 April 2002: Regarding changes to co-operation "
        "structures, for instance the Friends of Albania Group, the Presence reiterated what Ambassador "
        "Geert-Hinrich Ahrens said at a Tirana press conference the previous day."
    )
    assert labels_of(suggest(client, f"text={quote(text)}&limit=1"))[0] == "Conflict prevention and resolution"
    assert labels_of(suggest(client, f"text={quote(text)}&accepted=true&limit=1")) == ["Democratization"]


def test_accepted_with_an_empty_threshold_is_the_models_decision_and_long_values_are_cut(client):
    assert labels_of(suggest(client, f"text={KYRGYZSTAN}&accepted=true&threshold=")) == ["Elections"]
    refused(suggest(client, "text=a&accepted=" + "y" * 60), 400, f"'accepted' must be true or false, got '{'y' * 50}'")
    kind = "application/" + "z" * 150
    answer = client.post("/v1/projects/default/suggest-batch", content="{}", headers={"content-type": kind})
    refused(answer, 415, "send JSON (application/json), not " + kind[:100])


def test_a_threshold_holds_against_the_scores_as_answered(client):
    """Scores are answered to 4 places: a threshold between a field's score and its rounded score neither shows a
    score below it nor leaves out a score of exactly it."""
    scores = {hit["label"]: hit["score"] for hit in suggest(client, f"text={KYRGYZSTAN}&limit=23").json()["results"]}
    second = sorted(scores.values())[-2]  # Democratization's, 0.1028 for the shipped model
    for threshold in (second, second + 0.00004, second - 0.00004):
        answer = suggest(client, f"text={KYRGYZSTAN}&limit=23&threshold={threshold!r}").json()["results"]
        assert all(hit["score"] >= threshold for hit in answer)
        assert len(answer) == sum(score >= threshold for score in scores.values())
    assert labels_of(suggest(client, "text=elections&threshold=1")) == ["Elections"]  # it answers 1.0
    assert labels_of(suggest(client, f"text={KYRGYZSTAN}&limit=1&threshold=0.05")) == ["Elections"]


@pytest.mark.parametrize(
    "value, count", [("", 10), ("false", 10), ("0", 10), ("no", 10), ("true", 1), ("1", 1), ("YES", 1)]
)
def test_accepted_reads_true_and_false_as_a_form_gives_them(client, value, count):
    assert len(labels_of(suggest(client, f"text={KYRGYZSTAN}&accepted={value}"))) == count


def test_accepted_with_a_threshold_uses_that_threshold_for_every_field(client):
    everything = labels_of(suggest(client, f"text={KYRGYZSTAN}&limit=23"))
    above = labels_of(suggest(client, f"text={KYRGYZSTAN}&limit=23&threshold=0.05"))
    assert labels_of(suggest(client, f"text={KYRGYZSTAN}&limit=23&threshold=0.05&accepted=true")) == above
    assert 1 < len(above) < len(everything)
    refused(suggest(client, "text=a&accepted=maybe"), 400, "'accepted' must be true or false, got 'maybe'")


def test_an_empty_or_blank_text_gets_no_fields_and_no_error(client):
    assert labels_of(suggest(client, "text=")) == []
    assert labels_of(suggest(client, "text=%20%0A%09")) == []


def test_suggest_and_a_batch_say_why_a_text_gets_no_field_and_a_blank_one_gets_no_flag(client):
    """The model flags a soup recipe out of scope and a Russian note as in another language; a blank text is not
    read at all (the model would call it out of scope), and a text with fields has no flag."""
    soup = json.loads((ROOT / "training" / "written" / "off_topic.jsonl").read_text(encoding="utf-8").splitlines()[0])
    recipe = soup["title"] + "\n" + soup["text"]
    assert suggest(client, f"text={quote(recipe)}").json() == {"results": [], "flag": "out-of-scope"}
    assert suggest(client, f"text={quote(RUSSIAN_NOTE)}").json() == {"results": [], "flag": "language"}
    assert suggest(client, "text=%20%0A").json() == {"results": []}
    assert "flag" not in suggest(client, f"text={ELECTION_NOTE}").json()
    texts = [recipe, ELECTION_NOTE, " \n", RUSSIAN_NOTE]
    rows = batch(client, {"documents": [{"text": text, "document_id": str(i)} for i, text in enumerate(texts)]}).json()
    assert [{key: value for key, value in row.items() if key != "results"} for row in rows] == [
        {"flag": "out-of-scope", "document_id": "0"},
        {"document_id": "1"},
        {"document_id": "2"},
        {"flag": "language", "document_id": "3"},
    ]
    assert [len(row["results"]) for row in rows] == [0, 10, 0, 0]


def test_a_nul_reads_as_a_space_and_lone_surrogates_do_not_break_the_answer(client):
    """A NUL in place of each space (deleting them would join the note into one unknown word, and no field)."""
    plain = suggest(client, f"text={ELECTION_NOTE}").json()
    assert plain["results"][0]["label"] == "Elections"
    assert suggest(client, "text=" + ELECTION_NOTE.replace(" ", "%00 ", 3)).json() == plain
    nul_for_space = ELECTION_NOTE.replace(" ", "\x00")
    assert suggest(client, "text=" + quote(nul_for_space)).json() == plain
    together = batch(client, {"documents": [{"text": nul_for_space}, {"text": ELECTION_NOTE}]}).json()
    assert together[0] == together[1] and together[1]["results"] == plain["results"]
    explained = explain(client, json.dumps({"text": nul_for_space}), "application/json").json()
    assert explained == explain(client, json.dumps({"text": ELECTION_NOTE}), "application/json").json()
    assert explained["body"] == ELECTION_NOTE and "Elections" in explained["labels"]
    # NULs alone are a blank text, as spaces are: no field and no flag, and nothing to explain.
    assert suggest(client, "text=%00%20%00").json() == {"results": []}
    assert batch(client, {"documents": [{"text": "\x00\x00"}]}).json() == [{"results": [], "document_id": None}]
    refused(explain(client, json.dumps({"text": "\x00"}), "application/json"), 400, "the text is empty")
    lone = client.post("/v1/projects/default/suggest-batch", content=b'{"documents": [{"text": "\\ud800 vote"}]}')
    assert lone.status_code == 200 and lone.json()[0]["document_id"] is None


# ---- sizes ----


def test_a_text_over_the_size_limit_is_refused_with_its_length(parts):
    small = make_client(parts, max_text=10)
    refused(
        suggest(small, "text=" + "a" * 11), 413, "'text' is 11 characters, over the CLASSIFIER_MAX_TEXT limit of 10"
    )
    assert labels_of(suggest(small, "text=" + "a" * 10)) == []  # ten characters are allowed (no word known)


def test_bodies_over_the_byte_limit_are_refused_by_their_length_or_as_they_stream(parts):
    small = make_client(parts, max_body_bytes=1000)
    too_large = "request body over 1,000 bytes (the server's limit)"
    refused(suggest(small, "text=" + "a" * 996), 413, too_large)
    assert suggest(small, "text=" + "a" * 995).status_code == 200  # exactly 1,000 bytes

    def streamed(size):
        yield b"text="
        yield b"a" * (size - 5)

    refused(
        small.post("/v1/projects/default/suggest", content=streamed(1001), headers={"content-type": FORM}),
        413,
        too_large,
    )
    answer = small.post("/v1/projects/default/suggest", content=streamed(1000), headers={"content-type": FORM})
    assert answer.status_code == 200


def test_a_content_length_that_is_no_number_is_refused(client):
    headers = {"content-type": FORM, "content-length": "ten"}
    answer = client.post("/v1/projects/default/suggest", content="text=a", headers=headers)
    refused(answer, 400, "Content-Length is not a number")


def _stalled(port: int, sent: bytes, opened: contextlib.ExitStack):
    """A connection that sent `sent` and waits (closed with `opened`); the server's answer is read from it later."""
    connection = opened.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
    connection.sendall(sent)
    return connection


def _read_to_the_end(connection) -> bytes:
    """What the server sends until it closes the connection (a timeout, 10 s, if it never does)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def _closed_while_trickling(port: int, lines: list[bytes]) -> bool:
    """Whether the server closes a connection sent `lines` of headers one every 0.2 s, before the last."""
    with socket.create_connection(("127.0.0.1", port), timeout=0.1) as connection:
        try:
            for line in lines:
                connection.sendall(line + b"\r\n")
                try:
                    if connection.recv(1) == b"":
                        return True
                except TimeoutError:
                    time.sleep(0.1)
        except ConnectionError:
            return True
    return False


def test_a_request_that_stops_coming_is_cut_off_while_others_are_answered(parts):
    """Its body paused longer than the timeout: 408 and the connection closed; its headers not all come (or nothing
    sent) within it, even sent a line at a time: the connection closed. A body that keeps coming, however slowly,
    is read."""
    import urllib.request

    from classifier.serve.app import create_app

    projects, taxonomy = parts
    head = f"POST /v1/projects/default/suggest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n".encode()
    body = f"text={quote(ELECTION_NOTE)}".encode()
    with served(create_app(projects, taxonomy, request_timeout=0.5)) as port, contextlib.ExitStack() as opened:
        stalled = [
            _stalled(port, head + b"Content-Length: 1000\r\n\r\n" + body, opened),  # not the 1,000 bytes promised
            _stalled(port, head + b"Content-Length: 1000\r\n\r\n", opened),
            _stalled(port, head, opened),
            _stalled(port, b"", opened),
        ]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=10) as health:
            assert json.loads(health.read()) == {"status": "ok"}
        assert _closed_while_trickling(port, (head + b"X-Slow: 1\r\n" * 20).splitlines())
        slow = _stalled(port, head + f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode(), opened)
        for start in range(0, len(body), len(body) // 4):
            time.sleep(0.2)
            slow.sendall(body[start : start + len(body) // 4])
        answers = [_read_to_the_end(connection) for connection in [*stalled, slow]]
    stalled_body = json.loads(answers[0].partition(b"\r\n\r\n")[2])
    assert answers[0].startswith(b"HTTP/1.1 408 ") and answers[1].startswith(b"HTTP/1.1 408 ")
    assert stalled_body["detail"] == "the request body stopped coming for 0.5 s: send it whole, at once"
    assert b"\r\nconnection: close\r\n" in answers[0].partition(b"\r\n\r\n")[0].lower() + b"\r\n"  # said too
    assert answers[2:4] == [b"", b""]
    assert answers[4].startswith(b"HTTP/1.1 200 ") and b'"label":"Elections"' in answers[4]


# ---- suggest-batch: JSON ----


def batch(client, body, query=""):
    content = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        f"/v1/projects/default/suggest-batch{query}", content=content, headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    "body, detail",
    [
        (b"", "the request body is empty: expected JSON"),
        (b" \n ", "the request body is empty: expected JSON"),
        (b'{"documents": [{"text": "\xff"}]}', "the body is not UTF-8: JSON must be sent as UTF-8"),
        (b'{"documents": [', "malformed JSON: Expecting value at line 1 column 16"),
        (b'{\n"documents" []}', "malformed JSON: Expecting ':' delimiter at line 2 column 13"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed JSON: nested too deeply"),
        (b'["a"]', "expected a JSON object with a 'documents' list"),
        (b'{"documents": {"text": "a"}}', "expected a JSON object with a 'documents' list"),
        (b'{"documents": [{"text": "a"}, "b"]}', "documents[1]: expected an object with a 'text'"),
        (b'{"documents": [{"text": "a"}, {"title": "b"}]}', "documents[1]: expected an object with a 'text'"),
        (b'{"documents": [{"text": 7}]}', "'documents[0].text' must be a string"),
        (b'{"documents": [{"text": "a", "document_id": 7}]}', "'documents[0].document_id' must be a string"),
    ],
)
def test_a_batch_it_cannot_read_is_refused_in_one_sentence(client, body, detail):
    refused(batch(client, body), 400, detail)


def test_other_requests_are_answered_while_a_json_body_is_decoded(parts, monkeypatch):
    """JSON is decoded off the event loop, as forms are: /v1/health is answered while the decoding is held."""
    with make_client(parts) as client:
        health, answer = _health_while_held(
            monkeypatch, json, "loads", client, lambda c: batch(c, {"documents": [{"text": ELECTION_NOTE}]})
        )
    assert health.json() == {"status": "ok"}
    assert answer.status_code == 200 and [hit["label"] for hit in answer.json()[0]["results"]][0] == "Elections"


def test_other_requests_are_answered_while_an_uploaded_file_is_decoded(parts, monkeypatch):
    """A file sent as the body (text/plain) is decoded off the event loop too: 0.15 s for a file of 30 MB."""
    import classifier.io.textio as textio

    def upload(c):
        headers = {"Content-Type": "text/plain"}
        return c.post("/v1/projects/default/explain", content=ELECTION_NOTE.encode(), headers=headers)

    with make_client(parts) as client:
        health, answer = _health_while_held(monkeypatch, textio, "decode_head", client, upload)
    assert health.json() == {"status": "ok"}
    assert answer.status_code == 200 and "Elections" in answer.text


def test_a_batch_holds_at_most_32_documents(client):
    refused(batch(client, {"documents": [{"text": "a"}] * 33}), 400, "33 documents: a batch holds at most 32")
    assert len(batch(client, {"documents": [{"text": "a"}] * 32}).json()) == 32


def test_a_batch_keeps_its_order_and_ids_and_gives_blank_texts_no_fields(client):
    documents = [
        {"text": ELECTION_NOTE, "document_id": "first"},
        {"text": "  ", "document_id": "blank"},
        {"text": KYRGYZSTAN},
        {"text": ELECTION_NOTE, "document_id": "again"},
    ]
    answer = batch(client, {"documents": documents})
    assert answer.status_code == 200
    rows = answer.json()
    assert [row["document_id"] for row in rows] == ["first", "blank", None, "again"]
    alone = labels_of(suggest(client, f"text={ELECTION_NOTE}"))
    assert [hit["label"] for hit in rows[0]["results"]] == alone == [hit["label"] for hit in rows[3]["results"]]
    assert rows[1]["results"] == []
    assert [hit["label"] for hit in rows[2]["results"]] == labels_of(suggest(client, f"text={KYRGYZSTAN}"))


def test_a_json_body_may_start_with_a_byte_order_mark(client):
    body = b"\xef\xbb\xbf" + json.dumps({"documents": [{"text": ELECTION_NOTE}]}).encode()
    assert batch(client, body).json()[0]["results"][0]["label"] == "Elections"


@pytest.mark.parametrize(
    "query, detail",
    [
        ("?limit=-1", "'limit' must be 0 or more"),
        ("?limit=1.5", "'limit' must be a whole number, got '1.5'"),
        ("?threshold=2", "'threshold' must be between 0 and 1"),
        ("?threshold=nan", "'threshold' must be between 0 and 1"),
        ("?threshold=x", "'threshold' must be a number between 0 and 1, got 'x'"),
        (f"?language={'e' * 21}", "language: String should have at most 20 characters"),
    ],
)
def test_batch_query_parameters_are_checked_as_suggests_form_is(client, query, detail):
    refused(batch(client, {"documents": [{"text": "a"}]}, query), 400, detail)


@pytest.mark.parametrize(
    "field, value, detail",
    [
        ("limit", "3_0", "'limit' must be a whole number, got '3_0'"),  # int() reads 30
        ("limit", "\uff13", "'limit' must be a whole number, got '\uff13'"),  # a fullwidth 3, which int() reads
        ("limit", "+3", "'limit' must be a whole number, got '+3'"),
        ("limit", " 3", "'limit' must be a whole number, got ' 3'"),
        ("limit", "3 ", "'limit' must be a whole number, got '3 '"),
        ("limit", "-0", "'limit' must be a whole number, got '-0'"),
        ("threshold", "0_5", "'threshold' must be a number between 0 and 1, got '0_5'"),
        ("threshold", "+0.5", "'threshold' must be a number between 0 and 1, got '+0.5'"),
        ("threshold", " 0.5", "'threshold' must be a number between 0 and 1, got ' 0.5'"),
        ("threshold", "\uff10.5", "'threshold' must be a number between 0 and 1, got '\uff10.5'"),
        ("threshold", "0x1", "'threshold' must be a number between 0 and 1, got '0x1'"),
        ("threshold", "inf", "'threshold' must be between 0 and 1"),
        ("threshold", "-nan", "'threshold' must be between 0 and 1"),
    ],
)
def test_numbers_are_plain_ascii_digits_on_every_route(client, field, value, detail):
    """Only what the message asks for: digits (a whole number), or digits with one dot and an exponent."""
    refused(suggest(client, f"text=a&{field}={quote(value)}"), 400, detail)
    refused(batch(client, {"documents": [{"text": "a"}]}, f"?{field}={quote(value)}"), 400, detail)
    refused(explain(client, json.dumps({"text": "a", field: value}), "application/json"), 400, detail)


@pytest.mark.parametrize(
    "field, value, count",
    [("limit", "3", 3), ("limit", "007", 7), ("threshold", "0.5", 1), ("threshold", ".5", 1), ("threshold", "1.", 0)]
    + [("threshold", "1e-05", 23), ("threshold", "5E-1", 1), ("threshold", "-0", 10)],
)
def test_plain_numbers_are_read_as_written(client, field, value, count):
    """The Kyrgyz example scores every field above 0.00001 and Elections alone above 0.5 (see the tests above)."""
    extra = "&limit=23" if value == "1e-05" else ""
    assert len(labels_of(suggest(client, f"text={KYRGYZSTAN}&{field}={quote(value)}{extra}"))) == count


def test_an_empty_or_huge_limit_is_the_default_or_no_limit_on_both_routes(client):
    assert len(batch(client, {"documents": [{"text": KYRGYZSTAN}]}, "?limit=&threshold=").json()[0]["results"]) == 10
    huge = "9" * 5000  # more digits than int() reads
    assert len(batch(client, {"documents": [{"text": KYRGYZSTAN}]}, f"?limit={huge}").json()[0]["results"]) == 23
    assert len(labels_of(suggest(client, f"text={KYRGYZSTAN}&limit={huge}"))) == 23


def test_batch_limit_and_threshold_apply_to_each_document(client):
    rows = batch(client, {"documents": [{"text": KYRGYZSTAN}, {"text": ELECTION_NOTE}]}, "?limit=1").json()
    assert [len(row["results"]) for row in rows] == [1, 1]
    rows = batch(client, {"documents": [{"text": KYRGYZSTAN}]}, "?threshold=1").json()
    assert rows[0]["results"] == []


def test_a_number_too_long_for_python_is_malformed_json_not_a_crash(client):
    body = b'{"documents": [{"text": "a", "document_id": ' + b"9" * 5000 + b"}]}"
    refused(batch(client, body), 400, "malformed JSON: a number with more than 4,300 digits")


@pytest.mark.parametrize("route", ["suggest-batch", "learn"])
def test_a_json_route_refuses_a_body_labelled_as_something_else(parts, tmp_path, route):
    client = make_client(parts, tmp_path)
    body = json.dumps({"documents": [{"text": "a"}]})
    answer = client.post(f"/v1/projects/default/{route}", content=body, headers={"content-type": "text/plain"})
    refused(answer, 415, "send JSON (application/json), not text/plain")
    labelled = {"content-type": "application/vnd.api+json; charset=utf-8"}
    assert client.post("/v1/projects/default/suggest-batch", content=body, headers=labelled).status_code == 200


# ---- HTTP itself ----


def test_head_answers_as_get_without_a_body(client):
    for path in ("/v1/health", "/", "/v1/projects"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))


def test_a_method_a_path_does_not_take_is_a_405_saying_which_it_does(client):
    answer = client.get("/v1/projects/default/suggest")
    refused(answer, 405, "GET is not allowed on /v1/projects/default/suggest; use POST")
    assert answer.headers["allow"] == "POST"
    for path in ("/v1/health", "/v1/projects/default", "/"):  # HEAD is answered wherever GET is
        answer = client.options(path)
        refused(answer, 405, f"OPTIONS is not allowed on {path}; use GET, HEAD")
        assert answer.headers["allow"] == "GET, HEAD" and client.head(path).status_code == 200
    answer = client.delete("/v1/queue/decisions")
    refused(answer, 405, "DELETE is not allowed on /v1/queue/decisions; use POST")
    assert answer.headers["allow"] == "POST" and client.head("/v1/queue/decisions").status_code == 405


def test_an_unknown_path_is_a_404_pointing_at_the_docs(client):
    refused(
        client.get("/v2/projects"), 404, "no such path: /v2/projects (the API is described at /docs and /openapi.json)"
    )
    long = "/v2/" + "a" * 300  # named by its first 200 characters
    refused(client.get(long), 404, f"no such path: {long[:200]} (the API is described at /docs and /openapi.json)")


def test_a_trailing_slash_is_the_same_path_with_no_redirect(client):
    answer = client.post("/v1/projects/default/suggest/", data={"text": ELECTION_NOTE}, follow_redirects=False)
    assert labels_of(answer)[0] == "Elections"
    assert client.get("/v1/projects/", follow_redirects=False).json() == client.get("/v1/projects").json()
    assert client.get("/v1", follow_redirects=False).json() == client.get("/v1/").json()
    assert client.get("/", follow_redirects=False).status_code == 200


def test_the_docs_page_with_a_trailing_slash_is_sent_to_the_page_its_relative_files_load_from(client):
    """At /docs/ the page's `static/docs.js` and `openapi.json` would be looked for under /docs/ (404, a blank
    page): it redirects, relatively, so that a proxy's mount (https://host/classifier/docs/) is kept."""
    from urllib.parse import urljoin

    for path in ("/docs/", "/docs//"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 308 and answer.content == b""
        assert urljoin(f"http://testserver{path}", answer.headers["location"]) == "http://testserver/docs"
    mounted = urljoin(
        "https://example.org/classifier/docs/", client.get("/docs/", follow_redirects=False).headers["location"]
    )
    assert mounted == "https://example.org/classifier/docs"
    assert client.head("/docs/", follow_redirects=False).status_code == 308
    page = client.get("/docs/")
    assert page.status_code == 200 and str(page.url) == "http://testserver/docs" and "docs.js" in page.text
    assert urljoin(str(page.url), "static/docs.js") == "http://testserver/static/docs.js"


# ---- projects ----


def test_an_unknown_or_malformed_project_is_refused(client):
    refused(suggest(client, "text=a", project="nope"), 404, "project 'nope' not found (known: default)")
    refused(
        suggest(client, "text=a", project="-x"),
        400,
        "'-x' is not a project id (letters, digits, '-' and '_' only; see GET /v1/projects)",
    )
    refused(client.get("/v1/projects/nope/card"), 404, "project 'nope' not found (known: default)")


def test_a_project_and_its_card_name_the_model_as_tag_rows_do_with_its_thresholds(client, parts):
    from classifier import load_model

    shipped = load_model()
    assert client.get("/v1/projects/default").json()["model"] == shipped.fingerprint
    card = client.get("/v1/projects/default/card").json()
    assert card["model"] == shipped.fingerprint
    assert list(card["thresholds"]) == shipped.labels
    assert card["thresholds"]["Elections"] == round(float(shipped.thresholds[shipped.labels.index("Elections")]), 4)
    assert 0 < card["thresholds"]["Elections"] < 1


def test_an_unknown_project_is_refused_naming_every_project_served(parts):
    from classifier.serve.app import create_app
    from classifier.serve.projects import Project

    projects, taxonomy = parts
    second = Project("second", projects["default"].model, taxonomy)
    client = TestClient(create_app({**projects, "second": second}, taxonomy), raise_server_exceptions=False)
    refused(client.get("/v1/projects/nope"), 404, "project 'nope' not found (known: default, second)")
    assert [p["project_id"] for p in client.get("/v1/projects").json()["projects"]] == ["default", "second"]


def test_the_openapi_document_names_and_describes_the_service(parts):
    """A client of its own: a client shared by the module is made in the first test that asks for it, and mutation
    testing runs a change in `create_app` against that test alone."""
    from classifier import __version__

    client = make_client(parts)

    assert client.get("/openapi.json").json()["info"] == {
        "title": "classifier",
        "version": __version__,
        "description": "Suggests OSCE fields of work. Annif's REST API v1, plus explanations, the taxonomy, model "
        "cards and a review queue. Errors are problem+json with a 4xx status.",
    }
    refused(
        client.get("/redoc"), 404, "no such path: /redoc (the API is described at /docs and /openapi.json)"
    )  # FastAPI's own pages load their scripts from a CDN


def test_the_project_list_and_one_project_say_the_same(client):
    listed = client.get("/v1/projects").json()["projects"]
    assert [p["project_id"] for p in listed] == ["default"]
    assert client.get("/v1/projects/default").json() == listed[0]
    assert listed[0]["vocab"]["vocab_id"] == "osce-fields-of-work" and listed[0]["language"] == "en"


# ---- explain: a form, JSON, or the file itself ----


def explain(client, body, content_type):
    return client.post("/v1/projects/default/explain", content=body, headers={"content-type": content_type})


def accepted_of(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return answer.json()["labels"]


def test_explain_reads_a_form_json_or_a_file_alike(client):
    by_form = accepted_of(explain(client, f"text={ELECTION_NOTE}", FORM))
    assert "Elections" in by_form
    assert accepted_of(explain(client, json.dumps({"text": ELECTION_NOTE}), "application/json")) == by_form
    # A JSON type of its own, as suggest-batch and learn take it (it was refused: 415).
    assert accepted_of(explain(client, json.dumps({"text": ELECTION_NOTE}), "application/ld+json")) == by_form
    assert accepted_of(explain(client, ELECTION_NOTE.encode("cp1252"), "text/plain")) == by_form
    assert accepted_of(explain(client, ELECTION_NOTE.encode("utf-16"), "application/octet-stream")) == by_form
    assert accepted_of(explain(client, ELECTION_NOTE.encode(), "text/html; charset=utf-8")) == by_form
    assert accepted_of(client.post("/v1/projects/default/explain", content=f"text={ELECTION_NOTE}")) == by_form


@pytest.mark.parametrize(
    "body, content_type, status, detail",
    [
        ("limit=1", FORM, 400, "missing form field 'text'"),
        ('["text"]', "application/json", 400, "expected a JSON object with a 'text'"),
        ('{"title": "a"}', "application/json", 400, "expected a JSON object with a 'text'"),
        ('{"text": 5}', "application/json", 400, "'text' must be a string"),
        ("text=%20", FORM, 400, "the text is empty"),
        (
            quote("text=-\nFields of work\n- Elections\n-\nCountries\n- Albania", safe="="),
            FORM,
            400,
            "the text has no text besides its page's menus",
        ),
        ("%PDF-1.4", "application/pdf", 415, "send a form, JSON or the file itself (text/plain), not application/pdf"),
    ],
)
def test_explain_refuses_what_it_cannot_read(client, body, content_type, status, detail):
    refused(explain(client, body, content_type), status, detail)


@pytest.mark.parametrize(
    "form, json_fields, expected",
    [
        ("&limit=1&threshold=0.5", {"limit": 1, "threshold": 0.5}, ["Elections"]),
        ("&limit=3", {"limit": 3}, ["Elections", "Democratization", "Human rights"]),  # as the README shows
        ("&threshold=0.5", {"threshold": 0.5}, ["Elections"]),
        ("&accepted=true", {"accepted": True}, ["Elections"]),  # the model's own decision
        ("&threshold=1", {"threshold": 1}, []),
    ],
)
def test_explain_lists_the_fields_suggest_gives_for_its_limit_threshold_and_accepted(
    client, form, json_fields, expected
):
    """The Kyrgyz example: with suggest's `limit`, `threshold` or `accepted`, explain lists (and explains) what
    suggest answers for them, no more."""
    suggested = suggest(client, f"text={KYRGYZSTAN}{form}").json()["results"]
    assert [hit["label"] for hit in suggested] == expected
    for answer in (
        explain(client, f"text={quote(KYRGYZSTAN)}{form}", FORM),
        explain(client, json.dumps({"text": KYRGYZSTAN, **json_fields}), "application/json"),
    ):
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [{key: hit[key] for key in ("uri", "label", "notation", "score")} for hit in results] == suggested
        assert answer.json()["labels"] == expected and all(hit["accepted"] and hit["evidence"] for hit in results)


def test_explain_without_cut_offs_lists_every_field_with_the_models_decision(client):
    for body, kind in (
        (f"text={quote(KYRGYZSTAN)}&limit=&language=en", FORM),
        (json.dumps({"text": KYRGYZSTAN}), "application/json"),
    ):
        answer = explain(client, body, kind).json()
        assert len(answer["results"]) == 23 and answer["labels"] == ["Elections"]
        assert [hit["label"] for hit in answer["results"] if hit["accepted"]] == ["Elections"]


@pytest.mark.parametrize(
    "body, content_type, detail",
    [
        ("text=a&limit=abc", FORM, "'limit' must be a whole number, got 'abc'"),
        ("text=a&limit=-1", FORM, "'limit' must be 0 or more"),
        ("text=a&threshold=5", FORM, "'threshold' must be between 0 and 1"),
        ("text=a&threshold=x", FORM, "'threshold' must be a number between 0 and 1, got 'x'"),
        ("text=a&accepted=maybe", FORM, "'accepted' must be true or false, got 'maybe'"),
        ('{"text": "a", "limit": 1.5}', "application/json", "'limit' must be a whole number, got '1.5'"),
        ('{"text": "a", "limit": true}', "application/json", "'limit' must be a whole number, got 'true'"),
        ('{"text": "a", "threshold": 5}', "application/json", "'threshold' must be between 0 and 1"),
        (
            '{"text": "a", "threshold": [0.5]}',
            "application/json",
            "'threshold' must be a number between 0 and 1, got '[0.5]'",
        ),
        ('{"text": "a", "accepted": "maybe"}', "application/json", "'accepted' must be true or false, got 'maybe'"),
    ],
)
def test_explain_refuses_cut_offs_as_suggest_does(client, body, content_type, detail):
    refused(explain(client, body, content_type), 400, detail)
    if content_type == FORM:
        refused(suggest(client, body), 400, detail)


def test_an_uploaded_file_over_the_size_limit_is_refused(parts):
    small = make_client(parts, max_text=20)
    detail = "the uploaded file is over the CLASSIFIER_MAX_TEXT limit of 20 characters"
    refused(explain(small, b"w" * 21, "text/plain"), 413, detail)
    assert explain(small, b"vote " * 4, "text/plain").status_code == 200
    # The same bound for a file read in the charset it declares: 20 characters are read, 21 are not.
    cyrillic = "выборы " * 3
    refused(explain(small, cyrillic.encode("koi8-r"), "text/plain; charset=koi8-r"), 413, detail)
    answer = explain(small, cyrillic[:20].encode("koi8-r"), "text/plain; charset=koi8-r")
    assert (answer.status_code, answer.json()["body"]) == (200, cyrillic[:20].strip())


def test_an_uploaded_binary_file_is_refused_with_the_readers_reason(client):
    answer = explain(client, b"\x00\x01\x02\x03" * 50, "application/octet-stream")
    assert answer.status_code == 400 and answer.json()["detail"].startswith("the uploaded file: ")


# ---- learn ----


def learn(client, body):
    content = body if isinstance(body, bytes) else json.dumps(body)
    return client.post("/v1/projects/default/learn", content=content, headers={"content-type": "application/json"})


def test_learn_for_a_project_not_served_is_refused_and_writes_nothing(parts, tmp_path):
    client = make_client(parts, tmp_path)
    document = {"text": ELECTION_NOTE, "subjects": [{"label": "Elections"}]}
    answer = client.post("/v1/projects/nope/learn", json=[document])
    refused(answer, 404, "project 'nope' not found (known: default)")
    assert learn(client, []).status_code == 204  # an empty batch, for a project served: no file made
    assert not (tmp_path / "labelled.jsonl").exists()


def test_learn_is_off_without_a_labels_file(client):
    refused(
        learn(client, []), 403, "learning is off: start the server with --labels FILE to collect labelled documents"
    )


UNKNOWN = "[0].subjects[0]: unknown subject {} (see GET /v1/taxonomy)"


@pytest.mark.parametrize(
    "body, detail",
    [
        ({"text": "a"}, "expected a JSON array of documents, each with 'text' and 'subjects'"),
        (["a"], "[0]: expected an object with 'text' and 'subjects'"),
        ([{"subjects": []}], "'[0].text' must be a string"),
        ([{"text": " ", "subjects": []}], "[0].text is empty"),
        ([{"text": "a", "subjects": "Elections"}], "[0].subjects must be a list of {uri, label} objects"),
        ([{"text": "a", "subjects": ["Elections"]}], "[0].subjects[0]: expected an object with 'uri' or 'label'"),
        ([{"text": "a", "subjects": [{"uri": "urn:x"}]}], UNKNOWN.format("'urn:x'")),
        ([{"text": "a", "subjects": [{"label": 3}]}], "'[0].subjects[0].label' must be a string"),
        (
            [{"text": "a", "subjects": [{}]}],
            "[0].subjects[0] names no field: give its 'uri' or 'label' (see GET /v1/taxonomy)",
        ),
        (
            [{"text": "a", "subjects": [{"label": "Youth"}, {"uri": ELECTIONS_URI, "label": "Policing"}]}],
            "[0].subjects[1]: 'uri' names Elections but 'label' names Policing; a subject is one field",
        ),
        (
            [{"text": "a", "subjects": [{"uri": "urn:osce-field-of-work:cooking"}]}],
            UNKNOWN.format("'urn:osce-field-of-work:cooking'"),
        ),
        ([{"text": "a", "subjects": [{"uri": "u" * 150}]}], UNKNOWN.format(repr("u" * 100))),
        (
            [{"text": ELECTION_NOTE, "subjects": [{"label": "Elections"}]}, {"text": ELECTION_NOTE, "subjects": []}],
            "[1]: give at least one field (every OSCE item has one), or skip the document",
        ),
    ],
)
def test_learn_refuses_documents_it_cannot_use_and_writes_nothing(parts, tmp_path, body, detail):
    client = make_client(parts, tmp_path)
    refused(learn(client, body), 400, detail)
    assert not (tmp_path / "labelled.jsonl").exists()


def test_learn_refuses_a_whole_batch_for_one_bad_document(parts, tmp_path):
    client = make_client(parts, tmp_path)
    good = {"text": ELECTION_NOTE, "subjects": [{"label": "Elections"}]}
    refused(
        learn(client, [good, {"text": "b", "subjects": [{"label": "Cooking"}]}]),
        400,
        "[1].subjects[0]: unknown subject 'Cooking' (see GET /v1/taxonomy)",
    )
    assert not (tmp_path / "labelled.jsonl").exists()


def test_learn_writes_one_row_per_document_with_fields_by_uri_or_name(parts, tmp_path):
    client = make_client(parts, tmp_path)
    page = "Press release\nObservers arrive\n\n" + ELECTION_NOTE
    documents = [
        {"text": page, "subjects": [{"uri": ELECTIONS_URI, "label": "ignored when the URI is known"}]},
        {"text": ELECTION_NOTE, "subjects": [{"label": "Elections"}, {"uri": "urn:x", "label": "Democratization"}]},
    ]
    answer = learn(client, documents)
    assert answer.status_code == 204 and answer.content == b""
    rows = [json.loads(line) for line in (tmp_path / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(row["title"], row["labels"], row["origin"]) for row in rows] == [
        ("Observers arrive", ["Elections"], "learn"),
        ("", ["Democratization", "Elections"], "learn"),
    ]
    assert rows[0]["text"] == rows[1]["text"] == ELECTION_NOTE
    assert rows[1]["id"] == "learn-" + hashlib.sha256(ELECTION_NOTE.encode()).hexdigest()[:16]
    assert learn(client, []).status_code == 204  # an empty batch writes nothing and is no error


def test_other_requests_are_answered_while_learn_reads_its_documents(parts, tmp_path, monkeypatch):
    """A learn body of many thousands of documents takes seconds to read: the server answers others meanwhile."""
    import classifier.serve.app as app_module

    document = {"text": ELECTION_NOTE, "subjects": [{"label": "Elections"}]}
    with make_client(parts, tmp_path) as client:
        health, answer = _health_while_held(
            monkeypatch, app_module, "learned_row", client, lambda c: learn(c, [document])
        )
    assert health.json() == {"status": "ok"}
    assert answer.status_code == 204 and [row["labels"] for row in labelled_rows(tmp_path)] == [["Elections"]]


def test_learn_and_decisions_take_a_field_by_its_label_notation_or_uri_alike(parts, tmp_path):
    """As GET /v1/taxonomy shows Human rights: label "Human rights", notation "human-rights", URI
    "urn:osce-field-of-work:human-rights" (its id in taxonomy.yaml)."""
    client = make_client(parts, tmp_path / "learn")
    (tmp_path / "learn").mkdir()
    spellings = ["Human rights", "human-rights", "urn:osce-field-of-work:human-rights"]
    for key in ("uri", "label", "notation"):
        subjects = [{key: spelling} for spelling in spellings] + [{key: "urn:osce-field-of-work:elections"}]
        assert learn(client, [{"text": ELECTION_NOTE, "subjects": subjects}]).status_code == 204
    agreeing = [{"uri": "urn:osce-field-of-work:human-rights", "label": "Human rights", "notation": "human-rights"}]
    assert learn(client, [{"text": ELECTION_NOTE, "subjects": agreeing}]).status_code == 204
    assert [row["labels"] for row in labelled_rows(tmp_path / "learn")] == [["Elections", "Human rights"]] * 3 + [
        ["Human rights"]
    ]
    queue = queue_client(parts, tmp_path, ids=("rev-5", "rev-6", "rev-7"))
    for doc_id, spelling in zip(("rev-5", "rev-6", "rev-7"), spellings):
        decision = {"id": doc_id, "labels": [spelling, "urn:osce-field-of-work:elections"]}
        assert queue.post("/v1/queue/decisions", json=decision).json()["saved"] is True
    assert [row["labels"] for row in labelled_rows(tmp_path)] == [["Elections", "Human rights"]] * 3


def test_learn_refuses_a_page_that_is_only_its_menus(parts, tmp_path):
    client = make_client(parts, tmp_path)
    menus = "-\nFields of work\n- Elections\n- Youth\n-\nCountries\n- Albania"
    answer = learn(client, [{"text": menus, "subjects": [{"label": "Elections"}]}])
    refused(answer, 400, "[0].text has no text besides its page's menus")
    assert not (tmp_path / "labelled.jsonl").exists()


# ---- the review queue, the page, errors ----


def test_queue_routes_without_a_queue_say_how_to_start_one(client):
    detail = "no review queue: start the server with --queue FILE --labels FILE"
    refused(client.get("/v1/queue"), 404, detail)
    refused(client.post("/v1/queue/decisions", json={"id": "a", "skip": True}), 404, detail)


def test_the_service_says_what_it_serves(client):
    assert client.get("/v1/health").json() == {"status": "ok"}
    assert client.get("/v1/ready").json() == {"ready": True, "projects": ["default"], "queue": False, "labels": None}
    from classifier import __version__

    assert client.get("/v1/").json() == {"title": "classifier REST API (Annif-compatible)", "version": __version__}
    vocabulary = client.get("/v1/vocabs").json()["vocabs"]
    assert [v["vocab_id"] for v in vocabulary] == ["osce-fields-of-work"]
    tree = client.get("/v1/taxonomy").json()
    names = [field["label"] for dimension in tree["dimensions"] for field in dimension["fields"]]
    assert len(names) == 23 and "Elections" in names and "Youth" in names


def queue_client(parts, tmp_path, ids=("rev-5", "rev-6")):
    """A service with a review queue of election notes (`ids`), read from `tmp_path`/queue.jsonl line 8 on."""
    from classifier.serve.app import create_app
    from classifier.serve.queue import LabelsFile, QueueItem, ReviewQueue

    projects, taxonomy = parts
    labels = LabelsFile(tmp_path / "labelled.jsonl")
    items = [
        QueueItem(doc_id, "", f"{ELECTION_NOTE} ({doc_id})", f"{tmp_path / 'queue.jsonl'}:{8 + i}", [], 0.5)
        for i, doc_id in enumerate(ids)
    ]
    return TestClient(create_app(projects, taxonomy, ReviewQueue(items, labels, taxonomy), labels))


def labelled_rows(tmp_path) -> list[dict]:
    path = tmp_path / "labelled.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_no_answer_shows_the_servers_folders_only_file_names(parts, tmp_path):
    """The labels file and a queue document's origin by their file's name, as the 409 names the file; the labels
    file itself keeps the whole origin."""
    client = queue_client(parts, tmp_path)
    ready = client.get("/v1/ready").json()
    shown = client.get("/v1/queue").json()
    decided = client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Elections"]}).json()
    skipped = client.post("/v1/queue/decisions", json={"id": "rev-6", "skip": True}).json()
    assert ready["labels"] == shown["progress"]["labels_file"] == "labelled.jsonl"
    assert decided["progress"]["labels_file"] == skipped["progress"]["labels_file"] == "labelled.jsonl"
    assert shown["next"]["origin"] == "queue.jsonl:8"
    assert str(tmp_path) not in json.dumps([ready, shown, decided, skipped])
    assert labelled_rows(tmp_path)[0]["origin"] == f"{tmp_path / 'queue.jsonl'}:8"


def test_a_document_id_with_a_lone_surrogate_comes_back_as_the_same_escape(client):
    """JSON can carry a lone surrogate, which UTF-8 cannot: the id is answered as the escape it was sent as."""
    answer = client.post(
        "/v1/projects/default/suggest-batch",
        content=b'{"documents": [{"text": "vote", "document_id": "a\\ud800b"}]}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert b'"document_id":"a\\ud800b"' in answer.content
    assert answer.json()[0]["document_id"] == "a\ud800b"


def test_a_queue_document_whose_file_name_is_not_utf8_is_shown_and_labelled(parts, tmp_path):
    """A page read from a folder keeps its name's odd byte as a lone surrogate in its id and origin: the queue shows
    it as a JSON escape, takes a decision naming it so, and writes it to the labels file as `tag` writes it."""
    name = "pages/bad\udcff.txt"  # the file name b"pages/bad\xff.txt", as Python reads it
    client = queue_client(parts, tmp_path, ids=(name,))
    shown = client.get("/v1/queue")
    assert shown.status_code == 200, shown.text
    assert b'"id":"pages/bad\\udcff.txt"' in shown.content
    assert shown.json()["next"]["id"] == name
    decided = client.post(
        "/v1/queue/decisions",
        content=b'{"id": "pages/bad\\udcff.txt", "labels": ["Elections"]}',
        headers={"content-type": "application/json"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["saved"] is True and decided.json()["progress"]["left"] == 0
    written = (tmp_path / "labelled.jsonl").read_bytes()
    assert written.startswith(b'{"id": "pages/bad\\udcff.txt", ')
    assert labelled_rows(tmp_path)[0]["id"] == name


def test_a_decision_or_learn_the_disk_cannot_hold_is_refused_in_one_sentence_and_nothing_is_lost(
    parts, tmp_path, monkeypatch
):
    import os

    client = queue_client(parts, tmp_path)
    assert client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Elections"]}).status_code == 200
    before = (tmp_path / "labelled.jsonl").read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    detail = "labelled.jsonl: cannot write (No space left on device); nothing was saved: make room, then send it again"
    decided = client.post("/v1/queue/decisions", json={"id": "rev-6", "labels": ["Youth"]})
    assert decided.status_code == 507 and decided.json()["detail"] == detail
    learned = learn(client, [{"text": ELECTION_NOTE, "subjects": [{"label": "Elections"}]}])
    assert learned.status_code == 507 and learned.json()["detail"] == detail
    assert (tmp_path / "labelled.jsonl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]

    def denied(fd):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "fsync", denied)  # not a full disk: making room would not help
    decided = client.post("/v1/queue/decisions", json={"id": "rev-6", "labels": ["Youth"]})
    assert decided.status_code == 500 and decided.json()["detail"] == (
        "labelled.jsonl: cannot write (Permission denied); nothing was saved: let the server write to it, then send "
        "it again"
    )
    monkeypatch.undo()
    assert client.get("/v1/queue").json()["next"]["id"] == "rev-6"  # not counted as labelled
    assert client.post("/v1/queue/decisions", json={"id": "rev-6", "labels": ["Youth"]}).status_code == 200
    assert [(row["id"], row["labels"]) for row in labelled_rows(tmp_path)] == [
        ("rev-5", ["Elections"]),
        ("rev-6", ["Youth"]),
    ]


@pytest.mark.parametrize(
    "error, status, detail, logged",
    [
        (
            OSError(27, "File too large"),
            507,
            "cannot write (File too large); nothing was saved: make room",
            "File too large",
        ),
        (
            OSError(122, "Disk quota exceeded"),
            507,
            "cannot write (Disk quota exceeded); nothing was saved: make room",
            "Disk quota exceeded",
        ),
        (
            OSError("the disk went away"),
            500,
            "cannot write (the disk went away); nothing was saved: let the server write to it",
            "the disk went away",
        ),
    ],
)
def test_a_write_refused_for_a_file_size_limit_or_quota_is_a_507_and_the_log_says_why_in_one_line(
    parts, tmp_path, monkeypatch, caplog, error, status, detail, logged
):
    """A file size limit (EFBIG) and a quota (EDQUOT) are a full disk to the client; an error without its own
    sentence is told by its text. The server's log has one line naming the file."""
    import os

    client = queue_client(parts, tmp_path)

    def failed(fd):
        raise error

    monkeypatch.setattr(os, "fsync", failed)
    with caplog.at_level("ERROR", logger="classifier.serve"):
        decided = client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Youth"]})
    assert decided.status_code == status
    assert decided.json()["detail"] == f"labelled.jsonl: {detail}, then send it again"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("classifier.serve", "ERROR", f"{tmp_path / 'labelled.jsonl'}: cannot write the labels file: {logged}")
    ]
    assert labelled_rows(tmp_path) == []


def test_a_decision_that_skips_and_gives_labels_is_refused(parts, tmp_path):
    client = queue_client(parts, tmp_path)
    answer = client.post("/v1/queue/decisions", json={"id": "rev-5", "skip": True, "labels": ["Elections"]})
    refused(answer, 400, "give 'labels' or \"skip\": true, not both: a skipped document gets no labels")
    assert client.get("/v1/queue").json()["next"]["id"] == "rev-5"  # neither skipped nor labelled
    assert labelled_rows(tmp_path) == []
    skipped = client.post("/v1/queue/decisions", json={"id": "rev-5", "skip": True, "labels": None})
    assert skipped.json()["skipped"] is True and client.get("/v1/queue").json()["next"]["id"] == "rev-6"
    none = client.post("/v1/queue/decisions", json={"id": "rev-6", "skip": True, "labels": []})  # nothing to drop
    assert none.status_code == 200 and none.json()["skipped"] is True and labelled_rows(tmp_path) == []


def test_the_page_and_its_files_are_served_and_nothing_else(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    refused(client.get("/static/secret.txt"), 404, "no such file")
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_a_crash_while_answering_is_a_500_with_no_detail_of_the_cause(parts, caplog):
    from classifier.serve.app import create_app
    from classifier.serve.projects import Project

    class Broken:
        labels = ["Elections"]
        path = None

        def read(self, *args):
            raise RuntimeError("secret internals")

    projects, taxonomy = parts
    client = TestClient(
        create_app({"broken": Project("broken", Broken(), taxonomy)}, taxonomy), raise_server_exceptions=False
    )
    with caplog.at_level("ERROR", logger="classifier.serve"):
        refused(
            suggest(client, "text=vote", project="broken"),
            500,
            "internal error while answering this request; the server log has the details",
        )
    (record,) = caplog.records  # the cause is in the server's log, with its traceback
    assert (record.name, record.levelname) == ("classifier.serve", "ERROR")
    assert record.getMessage() == "error while answering POST /v1/projects/broken/suggest"
    assert record.exc_info[0] is RuntimeError and str(record.exc_info[1]) == "secret internals"


def test_the_openapi_description_documents_400_not_fastapis_422(client):
    spec = client.get("/openapi.json").json()
    batch_answers = spec["paths"]["/v1/projects/{project_id}/suggest-batch"]["post"]["responses"]
    assert "400" in batch_answers and "422" not in batch_answers
    assert "400" in spec["paths"]["/v1/projects/{project_id}/suggest"]["post"]["responses"]
    assert "400" not in spec["paths"]["/v1/health"]["get"]["responses"]
    assert "HTTPValidationError" not in spec.get("components", {}).get("schemas", {})
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert batch_answers["413"] == {"description": "Request Entity Too Large", "content": problem}
    # 403 and 421: the guard before every route (SameOrigin), for what changes something and for any request.
    assert sorted(batch_answers) == ["200", "400", "403", "404", "408", "413", "415", "421"]
    learn_answers = spec["paths"]["/v1/projects/{project_id}/learn"]["post"]["responses"]
    assert learn_answers["403"]["description"] == (
        "Forbidden: the server was started without --labels, or a page of another site sent it"
    )
    decisions = spec["paths"]["/v1/queue/decisions"]["post"]["responses"]
    assert sorted(decisions) == ["200", "400", "403", "404", "408", "409", "412", "413", "415", "421", "500", "507"]
    assert decisions["507"]["description"] == learn_answers["507"]["description"]
    assert decisions["500"]["description"] == learn_answers["500"]["description"]
    queue_answers = spec["paths"]["/v1/queue"]["get"]["responses"]
    assert sorted(queue_answers) == ["200", "400", "404", "413", "421"]  # ?project= can be bad
    assert queue_answers["421"]["description"].startswith("Misdirected Request: the Host is not this machine")
    # 413: a GET declaring a body over the limit is refused before any route, as the health route answers it.
    assert sorted(spec["paths"]["/v1/health"]["get"]["responses"]) == ["200", "413", "421"]
    huge = client.get("/v1/health", headers={"Content-Length": "99999999999"})
    assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"
    assert spec["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail"]
    explain_body = spec["paths"]["/v1/projects/{project_id}/explain"]["post"]["requestBody"]["content"]
    assert sorted(explain_body) == sorted(
        [FORM, "application/json", "text/plain", "text/html", "application/octet-stream"]
    )
    cut_offs = ["accepted", "language", "limit", "text", "threshold"]  # explain takes suggest's fields
    assert sorted(explain_body[FORM]["schema"]["properties"]) == cut_offs
    assert sorted(explain_body["application/json"]["schema"]["properties"]) == cut_offs


def matches(value, schema: dict, spec: dict, where: str = "answer") -> None:
    """Asserts that `value` is what the OpenAPI `schema` describes, naming the first place it is not. It reads the
    part of JSON Schema the service's shapes use ($ref, anyOf, type, properties, required, additionalProperties,
    items); a schema without a type (FastAPI's `{}` for an undocumented answer) matches nothing."""
    if "$ref" in schema:
        return matches(value, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], spec, where)
    if "anyOf" in schema:
        failed = []
        for option in schema["anyOf"]:
            try:
                return matches(value, option, spec, where)
            except AssertionError as exc:
                failed.append(str(exc))
        raise AssertionError(f"{where}: none of its choices: {failed}")
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    kinds |= {"integer": int, "number": (int, float)}
    assert schema.get("type") in kinds, f"{where}: no type in {schema}"
    is_bool = isinstance(value, bool) and schema["type"] != "boolean"
    assert isinstance(value, kinds[schema["type"]]) and not is_bool, f"{where}: {value!r} is not {schema['type']}"
    if schema["type"] == "array":
        for i, item in enumerate(value):
            matches(item, schema.get("items", {}), spec, f"{where}[{i}]")
    if schema["type"] == "object":
        missing = set(schema.get("required", [])) - set(value)
        assert not missing, f"{where}: lacks {sorted(missing)}"
        for key, item in value.items():
            other = schema.get("additionalProperties", True)
            assert key in schema.get("properties", {}) or other is not False, f"{where}: {key!r} is not in its shape"
            inner = schema.get("properties", {}).get(key, other)
            if inner is not True:
                matches(item, inner, spec, f"{where}.{key}")


def answer_shape(spec: dict, path: str, method: str = "get") -> dict:
    return spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


def test_every_main_answer_is_the_shape_the_openapi_document_gives_it(parts, client, tmp_path):
    """Real answers, in every variant a route gives (cut or not, flagged or not, a queue with a next document or
    none), against the shapes published for generated clients, which name every key (no other allowed)."""
    spec = client.get("/openapi.json").json()
    project = "/v1/projects/{project_id}"
    soup = json.loads((ROOT / "training" / "written" / "off_topic.jsonl").read_text(encoding="utf-8").splitlines()[0])
    answers = [
        (f"{project}/suggest", "post", suggest(client, f"text={KYRGYZSTAN}")),
        (f"{project}/suggest-batch", "post", batch(client, {"documents": [{"text": "a", "document_id": "x"}] * 2})),
        (f"{project}/suggest-batch", "post", batch(client, {"documents": [{"text": ELECTION_NOTE}]})),
        (f"{project}/explain", "post", explain(client, f"text={quote(KYRGYZSTAN)}", FORM)),
        (f"{project}/explain", "post", explain(client, f"text={quote(KYRGYZSTAN)}&threshold=0.05", FORM)),
        (f"{project}/explain", "post", explain(client, json.dumps({"text": soup["text"]}), "application/json")),
        ("/v1/projects", "get", client.get("/v1/projects")),
        (project, "get", client.get("/v1/projects/default")),
        ("/v1/", "get", client.get("/v1/")),
        ("/v1/vocabs", "get", client.get("/v1/vocabs")),
        ("/v1/health", "get", client.get("/v1/health")),
        ("/v1/ready", "get", client.get("/v1/ready")),
    ]
    queue = queue_client(parts, tmp_path, ids=("rev-5",))
    answers += [("/v1/queue", "get", queue.get("/v1/queue")), ("/v1/ready", "get", queue.get("/v1/ready"))]
    decision = queue.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Elections"]})
    answers += [("/v1/queue/decisions", "post", decision), ("/v1/queue", "get", queue.get("/v1/queue"))]
    for path, method, answer in answers:
        assert answer.status_code == 200, answer.text
        matches(answer.json(), answer_shape(spec, path, method), spec, f"{method} {path}")
    flagged = answers[5][2].json()
    assert flagged["flag"] == "out-of-scope" and "scope" in flagged  # the keys some answers leave out were there
    assert any("evidence" in hit for hit in answers[3][2].json()["results"]) and answers[-1][2].json()["next"] is None


def test_a_shape_names_the_place_an_answer_leaves_it(client):
    spec = client.get("/openapi.json").json()
    result = {"uri": ELECTIONS_URI, "label": "Elections", "notation": "elections", "score": 0.99}
    matches({"results": [result]}, answer_shape(spec, "/v1/projects/{project_id}/suggest", "post"), spec)
    for wrong, place in (
        ({"results": [{**result, "score": "0.99"}]}, "answer.results[0].score"),
        ({"results": [{**result, "extra": 1}]}, "answer.results[0]: 'extra'"),
        ({"results": [{"uri": ELECTIONS_URI}]}, "answer.results[0]: lacks"),
        ({"results": [{**result, "score": True}]}, "answer.results[0].score"),
    ):
        with pytest.raises(AssertionError, match=re.escape(place)):
            matches(wrong, answer_shape(spec, "/v1/projects/{project_id}/suggest", "post"), spec)


def test_each_route_has_a_readable_operation_id_and_the_batch_query_its_types(client):
    spec = client.get("/openapi.json").json()
    named = {
        (method, path): operation["operationId"]
        for path, ops in spec["paths"].items()
        for method, operation in ops.items()
    }
    project = "/v1/projects/{project_id}"
    assert named == {
        ("get", "/v1/"): "showInfo",
        ("get", "/v1/vocabs"): "listVocabs",
        ("get", "/v1/projects"): "listProjects",
        ("get", project): "showProject",
        ("post", f"{project}/suggest"): "suggest",
        ("post", f"{project}/suggest-batch"): "suggestBatch",
        ("post", f"{project}/learn"): "learn",
        ("post", f"{project}/explain"): "explain",
        ("get", f"{project}/card"): "showCard",
        ("get", "/v1/taxonomy"): "showTaxonomy",
        ("get", "/v1/health"): "health",
        ("get", "/v1/ready"): "ready",
        ("get", "/v1/queue"): "showQueue",
        ("post", "/v1/queue/decisions"): "decide",
    }
    query = spec["paths"][f"{project}/suggest-batch"]["post"]["parameters"]
    typed = {p["name"]: p["schema"].get("type") for p in query if p["name"] in ("limit", "threshold", "accepted")}
    assert typed == {"limit": "integer", "threshold": "number", "accepted": "boolean"}  # as suggest's form has them


def test_the_page_and_docs_name_their_files_and_routes_relatively_so_a_proxy_may_mount_them_under_a_path():
    static = ROOT / "classifier" / "serve" / "static"
    for name in ("index.html", "docs.html", "page.js", "docs.js"):
        source = (static / name).read_text(encoding="utf-8")
        absolute = re.findall(r"""(?:href|src)=["']/|fetch\(["'`]/|api\(["'`]/""", source)
        assert absolute == [], name
    assert "api(`v1/queue?project=" in (static / "page.js").read_text(encoding="utf-8")


# ---- requests a page of another site could make a browser send ----

FORGED = [{"text": ELECTION_NOTE, "subjects": [{"label": "Arms control"}]}]


def test_a_page_of_another_origin_cannot_write_labels(parts, tmp_path):
    """A browser sends a body with no type from any page without asking the server first: with its Origin not
    the server's own, `learn` is refused and the labels file is never created."""
    client = make_client(parts, tmp_path)
    for headers in (
        {"origin": "http://127.0.0.1:18399", "host": "127.0.0.1:18311"},  # another port of this machine
        {"origin": "https://news.example", "host": "127.0.0.1:8000"},
        {"origin": "null", "host": "127.0.0.1:8000"},  # a sandboxed frame or a file:// page
        {"origin": "ftp://127.0.0.1:8000", "host": "127.0.0.1:8000"},  # the server's name, but not a web page's
        {"sec-fetch-site": "cross-site", "host": "127.0.0.1:8000"},  # a browser that sent no Origin
        {"sec-fetch-site": "same-site", "host": "127.0.0.1:8000"},
    ):
        response = client.post("/v1/projects/default/learn", content=json.dumps(FORGED), headers=headers)
        origin = headers.get("origin", "Origin not given")
        host = headers["host"]
        refused(
            response,
            403,
            f"a page of another site ({origin}) may not change anything here; this server's own page "
            f"(http://{host}/) may",
        )
    # An Origin and a Host of more than 100 characters are cut in the sentence.
    origin, host = "https://" + "news." * 30 + "example", "proxy." * 30 + "example"
    response = client.post("/v1/projects/default/learn", json=FORGED, headers={"origin": origin, "host": host})
    detail = f"a page of another site ({origin[:100]}) may not change anything here; this server's own page "
    refused(response, 403, detail + f"(http://{host[:100]}/) may")
    assert not (tmp_path / "labelled.jsonl").exists()


def test_the_servers_own_page_and_clients_that_are_not_browsers_may_write(parts, tmp_path):
    client = make_client(parts, tmp_path)
    page = {"origin": "http://localhost:8000", "host": "localhost:8000", "sec-fetch-site": "same-origin"}
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=page).status_code == 204
    assert client.post("/v1/projects/default/learn", json=FORGED).status_code == 204  # no Origin: curl, annif-client
    # A browser that sends no Sec-Fetch-Site (older ones) is known by its Origin, the scheme and name in any case.
    older = {"origin": "HTTP://LocalHost:8000", "host": "localhost:8000"}
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=older).status_code == 204
    rows = [json.loads(line) for line in (tmp_path / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["labels"] for row in rows] == [["Arms control"]] * 3


def test_a_request_without_a_host_is_answered_and_a_long_host_is_cut_in_the_refusal(parts):
    """HTTP/1.0 needs no Host: such a client (a health check) is answered, by a server on this machine too."""
    with served(make_client(parts, local_only=True).app) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sent:
            sent.sendall(b"GET /v1/health HTTP/1.0\r\n\r\n")
            answer = _read_to_the_end(sent)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"status":"ok"}')
    host = "rebound." * 20 + "example"
    refused(
        make_client(parts, local_only=True).get("/v1/health", headers={"host": host}),
        421,
        f"Host {host[:100]!r} is not this machine: the server answers as localhost or 127.0.0.1 only "
        "(--allowed-host adds a name)",
    )


def test_a_request_the_browser_marks_as_its_own_may_write_whatever_host_a_proxy_put_in(parts, tmp_path):
    """Sec-Fetch-Site, which no page can set: "same-origin" (the server's own page) and "none" (what the user did
    themselves, a bookmark or the address bar) pass where a proxy gave the server another Host than the page's."""
    client = make_client(parts, tmp_path)
    for site in ("same-origin", "none"):
        headers = {"host": "127.0.0.1:8000", "origin": "https://classifier.example.org", "sec-fetch-site": site}
        assert client.post("/v1/projects/default/learn", json=FORGED, headers=headers).status_code == 204, site
    assert len((tmp_path / "labelled.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_reading_from_another_origin_is_left_to_the_browser(client):
    """A GET changes nothing, and a browser does not hand its answer to a page of another origin (no CORS
    header is sent), so it is answered."""
    response = client.get("/v1/projects", headers={"origin": "https://news.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_a_server_on_this_machine_answers_to_its_own_names_only(parts):
    """A site whose name was pointed at 127.0.0.1 (DNS rebinding) would send its own name as Host."""
    client = make_client(parts, local_only=True)
    local = ("127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.2", "app.localhost:9", "::1")
    for host in local:
        assert client.get("/v1/health", headers={"host": host}).status_code == 200, host
    # An IPv6 address is read between its brackets: with no closing one, nothing is read (not "localhost").
    elsewhere = ("evil.example:8000", "192.168.1.5:8000", "localhost.evil.example", "[::2]:8000", "[::1", "[localhost.")
    for host in elsewhere:
        refused(
            client.get("/v1/health", headers={"host": host}),
            421,
            f"Host {host.lower()!r} is not this machine: the server answers as localhost or 127.0.0.1 only "
            "(--allowed-host adds a name)",
        )
    # Told to listen elsewhere (--host), it cannot know the names it is reached by, and answers them all.
    assert make_client(parts).get("/v1/health", headers={"host": "evil.example"}).status_code == 200


# ---- the review queue read with the model chosen on the page ----


def test_the_queue_ticks_and_records_the_fields_of_the_model_the_editor_chose(parts, model_on_first_300, tmp_path):
    """With two models served, the page's model selector picks the fields ticked for the next document, and the
    decision records that model's fields as `suggested`; without a choice the queue's own (the first) are used."""
    from classifier.bundle.storage import load_model
    from classifier.serve.app import create_app
    from classifier.serve.projects import load_projects
    from classifier.serve.queue import LabelsFile, ReviewQueue

    from serving import queue_rows, write_queue

    bundle, _ = model_on_first_300
    projects, taxonomy = load_projects([None, bundle], parts[1]), parts[1]
    shipped, first_300 = load_model(None, taxonomy), load_model(bundle, taxonomy)
    # A document the two models give different fields: the choice is then visible.
    row = next(
        r
        for r in queue_rows(60)
        if shipped.suggest(f"{r['title']}\n{r['text']}").labels
        != first_300.suggest(f"{r['title']}\n{r['text']}").labels
    )
    text = f"{row['title']}\n{row['text']}"
    labels = LabelsFile(tmp_path / "labelled.jsonl")
    queue = ReviewQueue.from_inputs(shipped, [str(write_queue(tmp_path / "queue.jsonl", [row]))], labels, taxonomy)
    client = TestClient(create_app(projects, taxonomy, queue, labels), raise_server_exceptions=False)

    assert client.get("/v1/queue").json()["next"]["suggested"] == list(shipped.suggest(text).labels)
    chosen = client.get("/v1/queue", params={"project": "bundle"}).json()["next"]
    assert chosen["suggested"] == chosen["explanation"]["labels"] == list(first_300.suggest(text).labels)
    assert [r["label"] for r in chosen["explanation"]["results"]] == [
        label for label, _ in first_300.suggest(text).scores
    ]
    refused(
        client.get("/v1/queue", params={"project": "nope"}), 404, "project 'nope' not found (known: default, bundle)"
    )

    decision = {"id": row["id"], "labels": ["Youth"], "project": "bundle"}
    assert client.post("/v1/queue/decisions", json=decision).json()["saved"] is True
    written = json.loads((tmp_path / "labelled.jsonl").read_text(encoding="utf-8"))
    assert written["labels"] == ["Youth"] and written["suggested"] == list(first_300.suggest(text).labels)
    refused(
        client.post("/v1/queue/decisions", json={**decision, "project": 3, "correct": True}),
        400,
        "'project' must be a project id",
    )


def test_behind_a_reverse_proxy_the_page_works_by_its_public_name(parts, tmp_path):
    """A proxy that passes the public name on as Host is answered once that name is allowed; one that puts
    127.0.0.1 in the Host is trusted where the browser itself marks the page's request same-origin (a header no
    page can set), or where the Origin is an allowed name."""
    client = make_client(parts, tmp_path, local_only=True, allowed_hosts=("classifier.example.org",))
    public = {"host": "classifier.example.org", "origin": "https://classifier.example.org"}
    assert client.get("/v1/health", headers={"host": "classifier.example.org:443"}).status_code == 200
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=public).status_code == 204
    rewritten = {"host": "127.0.0.1:8000", "origin": "https://classifier.example.org"}
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=rewritten).status_code == 204
    older = {"host": "127.0.0.1:8000", "origin": "https://classifier.example.org", "sec-fetch-site": "same-origin"}
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=older).status_code == 204
    # Not allowed: another name, and a page of another site however the proxy rewrote the Host.
    assert client.get("/v1/health", headers={"host": "example.org"}).status_code == 421
    other = {"host": "127.0.0.1:8000", "origin": "https://news.example", "sec-fetch-site": "cross-site"}
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=other).status_code == 403
    unknown = {"host": "127.0.0.1:8000", "origin": "https://news.example"}
    assert client.post("/v1/projects/default/learn", json=FORGED, headers=unknown).status_code == 403
    # Without the allowed name, the proxy's public Host is refused.
    assert make_client(parts, local_only=True).get("/v1/health", headers=public).status_code == 421


def test_explain_says_why_a_flagged_text_gets_no_field_as_suggest_explain_does(client):
    from classifier import load_model

    row = json.loads((ROOT / "training" / "written" / "off_topic.jsonl").read_text(encoding="utf-8").splitlines()[0])
    text = row["title"] + "\n" + row["text"]  # a soup recipe, written by us
    shown = load_model().suggest(text, explain=True)
    answer = explain(client, json.dumps({"text": text}), "application/json").json()
    assert (answer["flag"], answer["labels"]) == ("out-of-scope", [])
    assert answer["scope"] == shown.scope == shown.to_dict()["scope"]
    assert "scope" not in explain(client, json.dumps({"text": ELECTION_NOTE}), "application/json").json()


@pytest.mark.parametrize(
    "route, body",
    [
        ("learn", '[{"text": "Police reform", "subjects": [{"label": "Policing"}], "subjects": [{"label": "Youth"}]}]'),
        ("suggest-batch", '{"documents": [{"text": "Elections", "text": "Police reform"}]}'),
        ("explain", '{"text": "Elections", "limit": 3, "limit": 5}'),
    ],
)
def test_a_json_body_giving_a_key_twice_is_refused_naming_it(parts, tmp_path, route, body):
    """JSON keeps the last of a key given twice: learn stored the document with "Youth" alone, Policing dropped without
    a word, and a batch suggested its second text. `classifier tag` refuses such a JSONL line; so does the server."""
    key = {"learn": "subjects", "suggest-batch": "text", "explain": "limit"}[route]
    with make_client(parts, tmp_path) as client:
        answer = client.post(
            f"/v1/projects/default/{route}", content=body, headers={"content-type": "application/json"}
        )
        refused(answer, 400, f"malformed JSON: key '{key}' appears twice; keep one, so no value is silently dropped")
    assert not (tmp_path / "labelled.jsonl").exists()


RUSSIAN_NOTE = "Наблюдатели ОБСЕ следили за выборами в Кыргызстане и подготовили доклад."


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r", "utf-16le", "UTF-16-BE"])
def test_an_uploaded_file_is_read_in_the_charset_its_content_type_gives(client, charset):
    """A Cyrillic page sent as text/plain; charset=windows-1251 was read as Windows-1252 whatever the header said: every
    letter a wrong Latin one, and flagged out-of-scope instead of language; UTF-16 without a byte-order mark was
    refused as binary. The charset given is used; a file as UTF-8 or with none is read as before."""
    for content_type in (f"text/plain; charset={charset}", f"text/plain;charset={charset}"):  # with a space or not
        answer = explain(client, RUSSIAN_NOTE.encode(charset), content_type)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["body"], answer.json()["flag"]) == (RUSSIAN_NOTE, "language")
        assert RUSSIAN_NOTE.encode("utf-8") in answer.content  # the answer in UTF-8, as JSON is sent, not \u escapes


def test_an_uploaded_file_in_an_unknown_charset_or_not_in_its_charset_is_refused(client):
    refused(
        explain(client, b"Observers", "text/plain; charset=x-klingon"),
        415,
        "unknown charset 'x-klingon': send the file as UTF-8",
    )
    # Named as given, without the quotes around it, and cut at 50 characters.
    refused(
        explain(client, b"Observers", 'text/plain; charset="X-KLINGON"'),
        415,
        "unknown charset 'X-KLINGON': send the file as UTF-8",
    )
    long_name = "x-" + "klingon-" * 10
    refused(
        explain(client, b"Observers", f"text/plain; charset={long_name}"),
        415,
        f"unknown charset {long_name[:50]!r}: send the file as UTF-8",
    )
    refused(
        explain(client, RUSSIAN_NOTE.encode("utf-16le")[:-1], "text/plain; charset=utf-16le"),
        400,
        "the uploaded file is not valid utf-16-le, as its charset says (truncated data)",
    )
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00stream\x00"
    refused(explain(client, pdf, "text/plain; charset=latin-1"), 400, "the uploaded file: binary file, not text")
    # Declared UTF-8 but not: read as a file is (no UTF-8 sequence in it, so as Windows-1252), not refused.
    answer = explain(client, b"Observers praise the elections \xff in Bishkek.", 'text/plain; charset="utf-8"')
    assert answer.status_code == 200 and answer.json()["body"] == "Observers praise the elections \xff in Bishkek."
    # Declared ASCII, as many clients label any Western text: read as a file is too, not refused for its one é.
    answer = explain(client, b"Observers praise the elections in Mont\xe9n\xe9gro.", "text/plain; charset=us-ascii")
    assert answer.status_code == 200 and answer.json()["body"] == "Observers praise the elections in Monténégro."


@pytest.mark.parametrize("charset", ["base64", "zlib", "rot13", "utf-8\x00", "utf-8=x"])
def test_a_codec_that_is_no_charset_is_refused_as_unknown_not_a_crash(client, charset):
    """Python's codecs of bytes to bytes (base64, zlib) or text to text (rot13) were looked up, then failed to decode
    the file: a 500."""
    detail = f"unknown charset {charset!r}: send the file as UTF-8"
    refused(explain(client, b"T2JzZXJ2ZXJz", f"text/plain; charset={charset}"), 415, detail)


def test_a_file_its_charsets_decoder_fails_on_is_refused_with_the_decoders_reason(client):
    """punycode's decoder fails with a UnicodeError that is not a UnicodeDecodeError: a 500 before."""
    answer = explain(client, b"Observers praise the elections", "text/plain; charset=punycode")
    assert (answer.status_code, answer.headers["content-type"]) == (400, PROBLEM)
    detail = answer.json()["detail"]
    assert detail.startswith("the uploaded file is not valid punycode, as its charset says (") and "' '" in detail


def test_a_suggest_is_answered_while_an_explanation_finds_its_evidence(parts, monkeypatch):
    """The page's explain held its project for the whole evidence pass, eight times the scoring of a long report: a
    one-line suggest from another client waited 11 s behind a 1.8 MB text. The evidence is found without holding it:
    the suggest is answered while it is held here, and the explanation is the one given before."""
    import threading

    from classifier.bundle.model import Model

    with make_client(parts) as client:
        before = explain(client, ELECTION_NOTE.encode(), "text/plain").json()
        held, answered, released = threading.Event(), threading.Event(), []
        real = Model.with_evidence

        def slow(*args, **options):
            held.set()
            released.append(answered.wait(timeout=10))
            return real(*args, **options)

        monkeypatch.setattr(Model, "with_evidence", slow)
        result = []
        sending = threading.Thread(target=lambda: result.append(explain(client, ELECTION_NOTE.encode(), "text/plain")))
        sending.start()
        assert held.wait(timeout=30)
        other = suggest(client, "text=Border guards were trained in Osh.")
        answered.set()
        sending.join(timeout=60)
    assert released == [True] and other.status_code == 200
    assert result[0].json() == before


@pytest.mark.parametrize(
    "head",
    [
        b"POST /v1/projects/default/suggest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
        b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n",
    ],
)
def test_a_request_http_cannot_read_is_refused_as_problem_json(parts, head):
    """Refused before the app saw it, such a request got uvicorn's plain text "Invalid HTTP request received.", where
    every other refusal is problem+json with a sentence saying what to change."""
    with served(make_client(parts).app) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sent:
        sent.sendall(head)
        answer = _read_to_the_end(sent)
    status, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status == b"HTTP/1.1 400 Bad Request"
    assert b"content-type: application/problem+json" in headers.lower()
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "malformed HTTP request: its request line or a header cannot be read (a Content-Length that is not "
        "a number, a header line without a colon)",
    }


def test_a_text_with_nothing_to_read_gets_no_results_and_no_flag_as_a_blank_one(client):
    """A page of the site's menus alone, or invisible characters, leaves nothing once parsed: not judged, so not
    called out of scope (classifier suggest says the file has no text; explain refuses it)."""
    lines = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8").splitlines()
    menus = "\n".join(lines[: lines.index("Press release")])
    for text in (menus, "\u200b\u200b", "\u200b"):
        answer = client.post("/v1/projects/default/suggest", data={"text": text})
        assert answer.status_code == 200 and answer.json() == {"results": []}, text[:40]
    documents = [{"text": menus, "document_id": "menus"}, {"text": ELECTION_NOTE, "document_id": "note"}]
    answers = batch(client, {"documents": documents}).json()
    assert answers[0] == {"results": [], "document_id": "menus"}
    assert answers[1]["results"][0]["label"] == "Elections" and "flag" not in answers[1]
    # A text of a few words is judged: by the model's own thresholds (accepted=true) "test" reaches none.
    assert client.post("/v1/projects/default/suggest", data={"text": "test", "accepted": "true"}).json() == {
        "results": [],
        "flag": "too-short",
    }
    assert len(client.post("/v1/projects/default/suggest", data={"text": "test"}).json()["results"]) == 10


def test_a_project_describes_the_model_it_loaded_after_its_bundle_is_trained_again(tmp_path):
    """The card and modification time are read with the model: a bundle written over the served one later (a
    retrain to the same folder) does not make the served model's card tell of another model."""
    import shutil

    from classifier.serve.app import create_app
    from classifier.serve.projects import load_projects
    from classifier.taxonomy.fields import default_taxonomy

    bundle = tmp_path / "served"
    shutil.copytree(ROOT / "models" / "default", bundle)
    os.utime(bundle / "model.json", (1_600_000_000, 1_600_000_000))  # 2020-09-13T12:26:40Z
    taxonomy = default_taxonomy()
    served = TestClient(create_app(load_projects([bundle], taxonomy), taxonomy))
    card = (bundle / "MODEL.md").read_text(encoding="utf-8")
    (bundle / "MODEL.md").write_text("# another model\n", encoding="utf-8")
    os.utime(bundle / "model.json", (1_700_000_000, 1_700_000_000))
    answer = served.get("/v1/projects/served/card").json()
    assert answer["card"] == card and "another model" not in answer["card"] and "labelled documents" in card
    assert served.get("/v1/projects/served").json()["modification_time"] == "2020-09-13T12:26:40Z"


def test_a_query_parameter_given_twice_counts_once_the_first_as_a_form_field_does(client):
    documents = {"documents": [{"text": ELECTION_NOTE, "document_id": "n"}]}
    assert len(batch(client, documents, "?limit=1&limit=5").json()[0]["results"]) == 1
    assert len(batch(client, documents, "?limit=5&limit=1").json()[0]["results"]) == 5
    assert len(suggest(client, f"limit=1&limit=5&text={ELECTION_NOTE}").json()["results"]) == 1
    refused(batch(client, documents, "?limit=x&limit=2"), 400, "'limit' must be a whole number, got 'x'")


def test_the_queue_shows_its_next_document_and_ticks_the_chosen_projects_fields(parts, tmp_path):
    """One model is enough to tell the fields asked of a project from the queue's own: the queue's items here were
    made with no fields suggested, and the shipped model gives the election note Elections."""
    client = queue_client(parts, tmp_path)
    ready = {"ready": True, "projects": ["default"], "queue": True, "labels": "labelled.jsonl"}
    assert client.get("/v1/ready").json() == ready
    shown = client.get("/v1/queue").json()["next"]
    assert {key: value for key, value in shown.items() if key != "explanation"} == {
        "id": "rev-5",
        "title": "",
        "text": f"{ELECTION_NOTE} (rev-5)",
        "origin": "queue.jsonl:8",
        "uncertainty": 0.5,
        # The text it names, as a document's identity is read (case, spacing and punctuation aside), hashed.
        "digest": hashlib.sha256(re.sub(r"\W+", " ", shown["text"]).strip().casefold().encode()).hexdigest()[:16],
        "suggested": [],
    }
    assert shown["explanation"]["labels"] == ["Elections"]
    chosen = client.get("/v1/queue", params={"project": "default"}).json()["next"]
    assert chosen["suggested"] == chosen["explanation"]["labels"] == ["Elections"]
    refused(client.get("/v1/queue", params={"project": "nope"}), 404, "project 'nope' not found (known: default)")
    decided = client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Youth"], "project": "default"})
    assert {key: value for key, value in decided.json().items() if key != "progress"} == {
        "saved": True,
        "skipped": False,
        "id": "rev-5",
    }
    assert (decided.json()["progress"]["labelled"], decided.json()["progress"]["left"]) == (1, 1)
    assert client.post("/v1/queue/decisions", json={"id": "rev-6", "labels": ["Youth"]}).json()["saved"] is True
    assert [(row["id"], row["labels"], row["suggested"]) for row in labelled_rows(tmp_path)] == [
        ("rev-5", ["Youth"], ["Elections"]),
        ("rev-6", ["Youth"], []),
    ]
    assert client.get("/v1/queue").json()["next"] is None


@pytest.mark.parametrize(
    "decision, detail",
    [
        (["rev-5"], "expected a JSON object with a string 'id', and 'labels' or \"skip\": true"),
        ({"id": 5, "skip": True}, "expected a JSON object with a string 'id', and 'labels' or \"skip\": true"),
        ({"id": "rev-5", "skip": "yes"}, "'skip' and 'correct' must be true or false"),
        ({"id": "rev-5", "labels": [], "correct": 1}, "'skip' and 'correct' must be true or false"),
        ({"id": "rev-5"}, "give 'labels' (a list of field names) or \"skip\": true"),
        ({"id": "rev-5", "skip": False}, "give 'labels' (a list of field names) or \"skip\": true"),
        ({"id": "rev-5", "labels": ["Youth"], "project": 3}, "'project' must be a project id"),
    ],
)
def test_a_decision_the_route_cannot_read_is_refused_and_nothing_is_written(parts, tmp_path, decision, detail):
    client = queue_client(parts, tmp_path)
    refused(client.post("/v1/queue/decisions", json=decision), 400, detail)
    assert labelled_rows(tmp_path) == [] and client.get("/v1/queue").json()["progress"]["skipped"] == 0


def test_the_page_its_docs_and_files_come_with_their_types_and_a_policy_that_loads_nothing_from_elsewhere(client):
    policy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    static = ROOT / "classifier" / "serve" / "static"
    for path, name, media_type in (
        ("/", "index.html", "text/html"),
        ("/docs", "docs.html", "text/html"),
        ("/static/page.js", "page.js", "text/javascript"),
        ("/static/page.css", "page.css", "text/css"),
        ("/static/docs.js", "docs.js", "text/javascript"),
    ):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.content == (static / name).read_bytes(), path
        assert answer.headers["content-type"] == f"{media_type}; charset=utf-8"
        assert answer.headers["content-security-policy"] == policy
        assert (answer.headers["x-content-type-options"], answer.headers["cache-control"]) == ("nosniff", "no-cache")
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.content) == (204, b"")
    refused(client.get("/static/index.html"), 404, "no such file")  # the page itself is at / only


def test_a_batch_takes_a_language_of_up_to_20_characters_as_annif_sends_it(client):
    answer = batch(client, {"documents": [{"text": ELECTION_NOTE}]}, f"?language={'e' * 20}")
    assert answer.status_code == 200 and answer.json()[0]["results"][0]["label"] == "Elections"


def test_the_queue_gives_the_model_a_documents_title_before_its_text(parts, tmp_path):
    """The model reads a queue document as `tag` reads a row: its title on the first line, then its text."""
    from classifier.serve.app import create_app
    from classifier.serve.queue import LabelsFile, QueueItem, ReviewQueue

    projects, taxonomy = parts
    labels = LabelsFile(tmp_path / "labelled.jsonl")
    titled = QueueItem("rev-1", "Observers arrive in Bishkek", ELECTION_NOTE, "queue.jsonl:1", [], 0.5)
    untitled = QueueItem("rev-2", "", ELECTION_NOTE, "queue.jsonl:2", [], 0.4)
    client = TestClient(create_app(projects, taxonomy, ReviewQueue([titled, untitled], labels, taxonomy), labels))
    for doc_id, title in (("rev-1", "Observers arrive in Bishkek"), ("rev-2", "")):
        shown = client.get("/v1/queue", params={"project": "default"}).json()["next"]
        assert (shown["id"], shown["title"], shown["text"]) == (doc_id, title, ELECTION_NOTE)
        assert (shown["explanation"]["title"], shown["explanation"]["body"]) == (title, ELECTION_NOTE)
        assert client.post("/v1/queue/decisions", json={"id": doc_id, "skip": True}).status_code == 200


def test_a_decision_corrects_skips_or_names_an_unknown_document_as_asked(parts, tmp_path):
    client = queue_client(parts, tmp_path)
    assert client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Youth"]}).status_code == 200
    again = client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Elections"]})
    refused(
        again,
        409,
        "document 'rev-5' is already labelled in labelled.jsonl; send \"correct\": true to replace its fields",
    )
    corrected = client.post("/v1/queue/decisions", json={"id": "rev-5", "labels": ["Elections"], "correct": True})
    assert corrected.status_code == 200 and corrected.json()["saved"] is True
    # A skip reads no model: the project it names is not looked up.
    skipped = client.post("/v1/queue/decisions", json={"id": "rev-6", "skip": True, "project": "nope"})
    assert {key: value for key, value in skipped.json().items() if key != "progress"} == {
        "saved": False,
        "skipped": True,
        "id": "rev-6",
    }
    unknown = client.post("/v1/queue/decisions", json={"id": "rev-9", "labels": ["Youth"], "project": "default"})
    refused(unknown, 404, "no document 'rev-9' in the queue or labelled from its inputs")
    assert [(row["id"], row["labels"]) for row in labelled_rows(tmp_path)] == [
        ("rev-5", ["Youth"]),
        ("rev-5", ["Elections"]),
    ]


def test_a_decision_for_a_text_the_id_no_longer_names_is_refused_and_nothing_is_written(parts, tmp_path):
    """After a restart with other inputs, an id can name another text: a page left open (or its kept last decision)
    sends the id with the digest of the text it showed, and the server refuses it rather than label the other text.
    A correction of a document nobody labelled is refused too: its id names another document than the one corrected."""
    client = queue_client(parts, tmp_path)
    shown = client.get("/v1/queue").json()["next"]
    stale = {"id": shown["id"], "labels": ["Youth"], "digest": "0" * 16}
    refused(
        client.post("/v1/queue/decisions", json=stale),
        412,
        f"document '{shown['id']}' is not the text you were shown: the server now reads another text under that id "
        "(started again with other inputs?); nothing was saved: reload the queue",
    )
    corrected = {"id": shown["id"], "labels": ["Youth"], "correct": True, "digest": shown["digest"]}
    refused(
        client.post("/v1/queue/decisions", json=corrected),
        412,
        f"document '{shown['id']}' is not labelled: nothing to correct (the server now reads another text under that "
        'id?); nothing was saved: send it without "correct" to label it',
    )
    refused(
        client.post("/v1/queue/decisions", json={**stale, "digest": 7}),
        400,
        "'digest' must be the string the queue gave with the document",
    )
    assert not (tmp_path / "labelled.jsonl").exists() or labelled_rows(tmp_path) == []
    saved = client.post("/v1/queue/decisions", json={"id": shown["id"], "labels": ["Youth"], "digest": shown["digest"]})
    assert saved.status_code == 200 and [row["labels"] for row in labelled_rows(tmp_path)] == [["Youth"]]


def test_learn_keeps_a_title_whose_body_is_only_a_content_type(parts, tmp_path):
    """The row is read back under its title, which is text enough: only a row with nothing but the content type is
    refused (below)."""
    client = make_client(parts, tmp_path)
    documents = [{"text": "OSCE observers deploy to Moldova\n\nPress release", "subjects": [{"label": "Elections"}]}]
    assert client.post("/v1/projects/default/learn", json=documents).status_code == 204
    row = json.loads((tmp_path / "labelled.jsonl").read_text(encoding="utf-8"))
    assert (row["title"], row["text"]) == ("OSCE observers deploy to Moldova", "Press release")


def test_learn_refuses_a_text_whose_row_would_read_back_as_nothing(parts, tmp_path):
    client = make_client(parts, tmp_path)
    documents = [{"text": "Statement\n\nPress release", "subjects": [{"label": "Policing"}]}]
    refused(
        client.post("/v1/projects/default/learn", json=documents),
        400,
        "[0].text reads as no document once written as a row (a content type alone?)",
    )
    assert not (tmp_path / "labelled.jsonl").exists()
