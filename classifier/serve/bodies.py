"""Request bodies read and checked by hand, and the problem+json answer every refusal gets.

FastAPI's form and model parsing would answer bad requests in its own shape (422 with a list of
validation errors); reading bodies here gives each refusal a 4xx status and one sentence saying what
to change, in the shape Annif's API uses (RFC 7807 problem details).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import ipaddress
import json
import math
import re
import sys
from http import HTTPStatus
from urllib.parse import parse_qsl

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from classifier.io.jsonl import first_repeated, repeated_key
from classifier.io.tagfiles import escape_surrogates
from classifier.serve.queue import DecisionError, resolve_labels
from classifier.taxonomy.fields import Taxonomy

MAX_FORM_FIELDS = 100
# Annif's default number of results.
DEFAULT_LIMIT = 10
# Annif's own limit for suggest-batch (its OpenAPI spec: maxItems 32).
MAX_BATCH_DOCUMENTS = 32


class ApiError(HTTPException):
    """A request the service refuses: its status and one sentence for the client."""


class JsonAnswer(JSONResponse):
    """JSON as Starlette writes it, except that a lone surrogate is written as its JSON escape (`\\udcff`), which
    reads back as the same string: UTF-8 cannot hold the character itself. A queue document's id holds one where
    its file's name is not UTF-8, as does a `document_id` a client sent as `"\\ud800"`."""

    def render(self, content) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return escape_surrogates(text).encode("utf-8")


def problem(status: int, detail: str) -> JSONResponse:
    """Annif's error shape (RFC 7807 problem details)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return JsonAnswer(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413: at once by their Content-Length, or as soon as a
    streamed body passes the limit, never holding more than that in memory. A body that stops coming for
    `timeout_seconds` (a client that sent less than its Content-Length and waits) is answered 408 and its
    connection closed, rather than held for ever; a slow body that keeps coming is read to its end."""

    def __init__(self, app, max_bytes: int, timeout_seconds: float):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_large = f"request body over {self.max_bytes:,} bytes (the server's limit)"
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return await problem(400, "Content-Length is not a number")(scope, receive, send)
            if size > self.max_bytes:
                return await problem(413, too_large)(scope, receive, send)
        received, whole = 0, False

        async def limited_receive():
            nonlocal received, whole
            if whole:  # after the body, receive waits for the client to leave, as long as an answer takes
                return await receive()
            try:
                with anyio.fail_after(self.timeout_seconds):
                    message = await receive()
            except TimeoutError:
                stalled = f"the request body stopped coming for {self.timeout_seconds:g} s: send it whole, at once"
                raise ApiError(408, stalled, headers={"Connection": "close"}) from None
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise ApiError(413, too_large)
            return message

        await self.app(scope, limited_receive, send)


class RequestShape:
    """HEAD answered as GET without its body (load balancers check health with it), and a trailing slash ignored:
    the redirect a router would answer with is one that clients do not follow for a POST."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, head = scope["path"], scope["method"] == "HEAD"
        if path.rstrip("/") == "/docs" and path != "/docs" and scope["method"] in ("GET", "HEAD"):
            # The docs page names its files relatively (a proxy may mount it under a path): read as /docs/, they
            # would be looked for under /docs/ and the page would stay blank. A relative Location keeps the mount.
            slashes = len(path) - len("/docs")
            redirect = Response(status_code=308, headers={"Location": "../" * slashes + "docs"})
            return await redirect(scope, receive, send)
        if path == "/v1":
            path = "/v1/"
        elif path.endswith("/") and path not in ("/", "/v1/"):
            path = path.rstrip("/") or "/"
        scope = {**scope, "path": path, "method": "GET" if head else scope["method"]}
        if not head:
            return await self.app(scope, receive, send)

        async def headers_only(message):
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, headers_only)


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SameOrigin:
    """Refuse what a page of another site could make the browser of someone using the server send: a request
    that changes something (any method but GET, HEAD and OPTIONS) from a page of another origin, since a browser
    sends a form or a body with no type there without asking the server first; and, when `local_only` (the
    server answers this machine only), a Host that is not this machine's, as a site whose name was pointed at
    127.0.0.1 would send (DNS rebinding), to read the queue or write labels as a page of the same origin.
    `allowed_hosts` are names (with or without a port) it answers to besides, such as the public name a reverse
    proxy passes on. A request the browser itself marks same-origin (Sec-Fetch-Site, which no page can set)
    passes whatever Host a proxy put in. Clients that are not browsers send none of these headers and pass."""

    def __init__(self, app, local_only: bool = False, allowed_hosts: tuple[str, ...] = ()):
        self.app = app
        self.local_only = local_only
        self.allowed_hosts = tuple(name.strip().lower() for name in allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {name.lower(): value.decode("latin-1") for name, value in scope.get("headers") or []}
        host = headers.get(b"host", "").strip().lower()
        if self.local_only and host and not (_is_local(host) or self._allowed(host)):
            detail = (
                f"Host {host[:100]!r} is not this machine: the server answers as localhost or 127.0.0.1 only "
                "(--allowed-host adds a name)"
            )
            return await problem(421, detail)(scope, receive, send)
        if scope["method"] not in SAFE_METHODS and not self._same_origin(headers, host):
            origin = headers.get(b"origin")
            detail = (
                f"a page of another site ({(origin or 'Origin not given')[:100]}) may not change anything "
                f"here; this server's own page (http://{host[:100]}/) may"
            )
            return await problem(403, detail)(scope, receive, send)
        return await self.app(scope, receive, send)

    def _same_origin(self, headers: dict, host: str) -> bool:
        site = headers.get(b"sec-fetch-site", "")
        if site in ("same-origin", "none"):  # set by the browser: the page is the server's own, or none at all
            return True
        origin = headers.get(b"origin")
        if origin is not None:
            return _origin_host(origin) == host or self._allowed(_origin_host(origin))
        return site not in ("cross-site", "same-site")

    def _allowed(self, host: str) -> bool:
        """Whether a host[:port] is one of `allowed_hosts` (a name given without a port allows every port)."""
        return bool(host) and any(host == name or _host_name(host) == name for name in self.allowed_hosts)


def _origin_host(origin: str) -> str:
    """host[:port] of an Origin header ("" for "null" or anything that is not scheme://host[:port])."""
    scheme, _, rest = origin.strip().lower().partition("://")
    return rest if scheme in ("http", "https") and rest and "/" not in rest else ""


def _host_name(host: str) -> str:
    """The name or address of a Host header, without its port (an IPv6 address without its brackets)."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_local(host: str) -> bool:
    """Whether a Host header (a name or address, with or without a port) names this machine."""
    return is_local_name(_host_name(host))


def is_local_name(name: str) -> bool:
    """Whether a host name or address (no port) is this machine: localhost, 127.0.0.0/8 or ::1."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _media_type(request: Request) -> str:
    """The request's Content-Type without its parameters, in lower case ("" when it has none)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_form(request: Request) -> dict[str, str]:
    """A url-encoded form body as a dict (the first value of each name); 400/415 for what is not one."""
    kind = _media_type(request)
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise ApiError(415, f"send the fields as a form (application/x-www-form-urlencoded), not {kind[:100]}")
    # Decoding a form is Python code over every escape (10 s for a 30 MB body): not on the loop, which would hold up
    # every other request, /v1/health included, until it is done.
    return await run_in_threadpool(_parsed_form, await request.body())


def _parsed_form(raw: bytes) -> dict[str, str]:
    """`read_form`'s work on the body's bytes, in a worker thread."""
    try:
        decoded = raw.decode("utf-8")
        pairs = parse_qsl(
            decoded, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except UnicodeDecodeError:
        raise ApiError(400, "the form is not UTF-8: encode the text as UTF-8 before percent-encoding it") from None
    except ValueError as exc:
        if "number of fields" in str(exc):
            raise ApiError(400, f"the form has more than {MAX_FORM_FIELDS} fields") from None
        raise ApiError(400, f"malformed form: {exc}") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


async def read_json(request: Request):
    """A JSON body, parsed; 400 with the place of the error for what is not JSON or not UTF-8, 415 for a body
    labelled as something else (a form, a file)."""
    kind = _media_type(request)
    if kind not in ("", "application/json") and not kind.endswith("+json"):
        raise ApiError(415, f"send JSON (application/json), not {kind[:100]}")
    # Not on the loop, which would hold up every other request, /v1/health included, while a large body is decoded.
    # Python's JSON decoder lets no other thread run while it works, though: the loop runs between decoding the bytes
    # and the JSON, not during either, so a body of millions of small values (3 s for 30 MB) still holds it.
    return await run_in_threadpool(_parsed_json, await request.body())


def _parsed_json(raw: bytes):
    """`read_json`'s work on the body's bytes, in a worker thread."""
    if not raw.strip():
        raise ApiError(400, "the request body is empty: expected JSON")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not UTF-8: JSON must be sent as UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_without_repeats)
    except _RepeatedKey as exc:
        raise ApiError(400, f"malformed JSON: {repeated_key(exc.key)}") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ApiError(400, "malformed JSON: nested too deeply") from None
    except ValueError:  # int() refuses more than 4,300 digits (sys.get_int_max_str_digits)
        raise ApiError(400, "malformed JSON: a number with more than 4,300 digits") from None


class _RepeatedKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _without_repeats(pairs: list) -> dict:
    """A JSON object, refused (_RepeatedKey) if it gives a key twice: json keeps the last, so a document's "subjects"
    given twice lost the first without a word, where `classifier tag` refuses such a line."""
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _RepeatedKey(first_repeated(pairs))
    return found


def _declared_charset(request: Request) -> str | None:
    """The codec of the charset the Content-Type gives, unless it is UTF-8 or ASCII (read as files are, a stray byte
    as U+FFFD): a Cyrillic page sent as charset=windows-1251 was read as Windows-1252, every letter a wrong one."""
    for parameter in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                codec = codecs.lookup(charset).name
                "".encode(codec)  # a codec of bytes to bytes (base64, zlib) or text to text (rot13) is no charset
            except (LookupError, ValueError):  # ValueError: a name holding a NUL
                raise ApiError(415, f"unknown charset {charset[:50]!r}: send the file as UTF-8") from None
            return None if codec in ("utf-8", "ascii") else codec
    return None


def _decoded(body: bytes, codec: str, max_text: int) -> tuple[str, bool]:
    """An uploaded file's text in the charset it declared, and whether it is over `max_text` characters."""
    from classifier.io.textio import InputError  # on first use: keeps start-up light

    try:
        text = body.decode(codec)
    except UnicodeError as exc:  # punycode's decoder raises UnicodeError itself, with no reason
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc
        raise InputError(f"the uploaded file is not valid {codec}, as its charset says ({reason})") from None
    if "\x00" in text:  # a charset such as Latin-1 decodes any bytes: a PDF is still no text
        raise InputError("the uploaded file: binary file, not text")
    return text, len(text) > max_text


async def read_text(request: Request, max_text: int) -> tuple[str, dict]:
    """The text to explain and the other fields sent with it: a form's or JSON object's `text` and its other
    fields, or a whole file sent as the body (decoded by the charset its Content-Type gives, else by BOM, else
    UTF-8, else Windows-1252, as `classifier suggest` reads files; binary data refused), with none."""
    kind = _media_type(request)
    if kind in ("", "application/x-www-form-urlencoded"):
        form = await read_form(request)
        if "text" not in form:
            raise ApiError(400, "missing form field 'text'")
        return form["text"], form
    if kind == "application/json" or kind.endswith("+json"):  # a JSON type of its own (ld+json), as read_json takes
        body = await read_json(request)
        if not isinstance(body, dict) or "text" not in body:
            raise ApiError(400, "expected a JSON object with a 'text'")
        return body["text"], body
    if kind in ("text/plain", "text/html", "application/octet-stream"):
        from classifier.io.textio import InputError, decode_head  # on first use: keeps start-up light

        charset = _declared_charset(request)
        body = await request.body()
        try:  # not on the loop: a 30 MB file takes 0.15 s to decode, while other requests wait
            if charset is None:
                text, cut = await run_in_threadpool(decode_head, io.BytesIO(body), "the uploaded file", max_text)
            else:
                text, cut = await run_in_threadpool(_decoded, body, charset, max_text)
        except InputError as exc:
            raise ApiError(400, str(exc)) from None
        if cut:
            raise ApiError(413, f"the uploaded file is over the CLASSIFIER_MAX_TEXT limit of {max_text:,} characters")
        return text, {}
    raise ApiError(415, f"send a form, JSON or the file itself (text/plain), not {kind[:100]}")


# Numbers as a client writes them: ASCII digits, and for a score one dot and an exponent (Python writes 0.00001 as
# 1e-05). What else int() and float() read (3_0, a fullwidth ３, +3, spaces around) is refused, not guessed at.
_WHOLE = re.compile("[0-9]+")
_NEGATIVE = re.compile("-[0-9]*[1-9][0-9]*")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # a minus: out of range


def int_field(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if _NEGATIVE.fullmatch(value):
        raise ApiError(400, f"'{name}' must be 0 or more")
    if not _WHOLE.fullmatch(value):
        raise ApiError(400, f"'{name}' must be a whole number, got {value[:50]!r}")
    try:
        return int(value)
    except ValueError:
        return sys.maxsize  # more than 4,300 digits, which int() refuses: no limit, as any large number


def score_field(value: str | None, name: str) -> float:
    if value is None or value == "":
        return 0.0
    try:
        number = float(value)
    except ValueError:
        number = None
    # NaN and infinity (float reads "nan", "inf") are numbers out of the range, and refused as such.
    if number is None or (math.isfinite(number) and not _DECIMAL.fullmatch(value)):
        raise ApiError(400, f"'{name}' must be a number between 0 and 1, got {value[:50]!r}")
    if not 0.0 <= number <= 1.0:
        raise ApiError(400, f"'{name}' must be between 0 and 1")
    return number


def bool_field(value: str | None, name: str) -> bool:
    word = (value or "").strip().lower()
    if word in ("", "false", "0", "no"):
        return False
    if word in ("true", "1", "yes"):
        return True
    raise ApiError(400, f"'{name}' must be true or false, got {value[:50]!r}")


def cutoffs(limit: str | None, threshold: str | None, accepted: str | None) -> tuple[int, float | None]:
    """The limit and threshold to read with. Annif's: at most DEFAULT_LIMIT fields unless `limit` is given, each
    scoring at least `threshold` (0 unless given). With `accepted`, the fields the model accepts, as `classifier
    suggest` gives them: its own per-field thresholds (None) unless a threshold is given, and every such field
    unless a limit is given."""
    chosen = bool_field(accepted, "accepted")
    number = int_field(limit, "limit", sys.maxsize if chosen else DEFAULT_LIMIT)
    if chosen and threshold in (None, ""):
        return number, None
    return number, score_field(threshold, "threshold")


CUTOFF_FIELDS = ("limit", "threshold", "accepted")


def given_cutoffs(fields: dict) -> tuple[int, float | None] | None:
    """`cutoffs` of a form or JSON object that gives any of `limit`, `threshold` and `accepted`, checked as suggest's
    form is (a JSON number or boolean is read as a form writes it: 3, 0.5, true); None where it gives none."""
    values = {name: _as_form_value(fields.get(name)) for name in CUTOFF_FIELDS}
    chosen = cutoffs(values["limit"], values["threshold"], values["accepted"])
    return chosen if any(value not in (None, "") for value in values.values()) else None


def _as_form_value(value) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def batch_documents(body, checked_text) -> tuple[list[str], list[str | None]]:
    """The texts and ids of a suggest-batch body, checked."""
    documents = body.get("documents") if isinstance(body, dict) else None
    if not isinstance(documents, list):
        raise ApiError(400, "expected a JSON object with a 'documents' list")
    if len(documents) > MAX_BATCH_DOCUMENTS:
        raise ApiError(400, f"{len(documents)} documents: a batch holds at most {MAX_BATCH_DOCUMENTS}")
    texts, ids = [], []
    for i, doc in enumerate(documents):
        if not isinstance(doc, dict) or "text" not in doc:
            raise ApiError(400, f"documents[{i}]: expected an object with a 'text'")
        texts.append(checked_text(doc["text"], f"documents[{i}].text"))
        doc_id = doc.get("document_id")
        if doc_id is not None and not isinstance(doc_id, str):
            raise ApiError(400, f"'documents[{i}].document_id' must be a string")
        ids.append(doc_id)
    return texts, ids


def _subject_field(subject, where: str, taxonomy: Taxonomy) -> str:
    """The field one of Annif's subjects names: its `uri`, `label` and `notation`, each a label, notation or URI
    (`Taxonomy.resolve`). A name that is none of ours is passed over where another names a field (a client's own label
    beside our URI); two that name different fields are refused, not one of them kept."""
    if not isinstance(subject, dict):
        raise ApiError(400, f"{where}: expected an object with 'uri' or 'label'")
    given = {key: subject[key] for key in ("uri", "label", "notation") if subject.get(key) is not None}
    for key, value in given.items():
        if not isinstance(value, str):
            raise ApiError(400, f"'{where}.{key}' must be a string")
    if not given:
        raise ApiError(400, f"{where} names no field: give its 'uri' or 'label' (see GET /v1/taxonomy)")
    named = {key: field for key, value in given.items() if (field := taxonomy.resolve(value))}
    if not named:
        raise ApiError(400, f"{where}: unknown subject {next(iter(given.values()))[:100]!r} (see GET /v1/taxonomy)")
    if len(set(named.values())) > 1:
        detail = " but ".join(f"'{key}' names {field}" for key, field in named.items())
        raise ApiError(400, f"{where}: {detail}; a subject is one field")
    return next(iter(named.values()))


def learned_row(doc, i: int, checked_text, taxonomy: Taxonomy) -> dict:
    """One row for the labels file from one of Annif's IndexedDocuments; subjects by label, notation or URI."""
    from classifier.corpus.release import parse_release  # on first use: keeps start-up light

    if not isinstance(doc, dict):
        raise ApiError(400, f"[{i}]: expected an object with 'text' and 'subjects'")
    text = checked_text(doc.get("text"), f"[{i}].text")
    if not text.strip():
        raise ApiError(400, f"[{i}].text is empty")
    subjects = doc.get("subjects")
    if not isinstance(subjects, list):
        raise ApiError(400, f"[{i}].subjects must be a list of {{uri, label}} objects")
    names = [_subject_field(subject, f"[{i}].subjects[{j}]", taxonomy) for j, subject in enumerate(subjects)]
    try:
        fields = resolve_labels(names, taxonomy)
    except DecisionError as exc:
        raise ApiError(400, f"[{i}]: {exc}") from None
    release = parse_release(text)
    if not (release.title or release.body):  # a row `train` would refuse: nothing left once the menus are out
        raise ApiError(400, f"[{i}].text has no text besides its page's menus")
    from classifier.serve.queue import row_error  # on first use: keeps start-up light

    if row_error(release.title, release.body):  # read back as train reads it: "Statement / Press release"
        raise ApiError(400, f"[{i}].text reads as no document once written as a row (a content type alone?)")
    return {
        "id": "learn-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        "title": release.title,
        "text": release.body,
        "labels": fields,
        "origin": "learn",
    }
