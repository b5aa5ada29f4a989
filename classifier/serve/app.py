"""The HTTP service: Annif's REST API v1 over loaded bundles, our additions under /v1, and the page at /.

Every refusal is a problem+json answer with a 4xx status (see `bodies`); nothing reaches a client
as a 500 with a traceback.
"""

from __future__ import annotations

import errno
import functools
import logging
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from classifier import __version__
from classifier.corpus.release import nul_as_space, parse_release, valid_text
from classifier.errors import ClassifierError, UsageError
from classifier.io.outputs import OutputError, check_file_target
from classifier.serve.bodies import (
    CUTOFF_FIELDS,
    MAX_BATCH_DOCUMENTS,
    ApiError,
    BodyLimit,
    JsonAnswer,
    RequestShape,
    SameOrigin,
    batch_documents,
    cutoffs,
    given_cutoffs,
    learned_row,
    problem,
    read_form,
    read_json,
    read_text,
)
from classifier.serve.openapi import (
    BATCH,
    BATCH_QUERY,
    DECISION,
    FORM,
    LEARN,
    TEXT,
    answer_shape,
    openapi_with_our_errors,
    operation_id,
    request_body,
)
from classifier.serve.projects import Project, ProjectError, check_project_id, taxonomy_tree, vocabulary_info
from classifier.serve.queue import DEFAULT_QUEUE_SIZE, DecisionError, LabelsFile, ReviewQueue, shown_origin
from classifier.serve.schemas import (
    ApiInfo,
    BatchResult,
    DecisionAnswer,
    Explanation,
    Health,
    ProjectInfo,
    ProjectList,
    QueueState,
    Readiness,
    SuggestionResults,
    VocabularyList,
)
from classifier.taxonomy.fields import Taxonomy

# Request bodies above this many bytes are refused with 413 before they are read whole. 32 MiB holds
# a batch of 32 long reports, or one text at the default CLASSIFIER_MAX_TEXT of 2,000,000 characters
# even when every character is percent-encoded in a form.
MAX_BODY_BYTES = 32 * 2**20
# A request's headers must all have come this many seconds after its first byte (or the connection's opening), and
# its body may not pause longer: a client that stops half-way is cut off, not waited for with its connection held.
REQUEST_TIMEOUT_SECONDS = 30
STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"page.js": "text/javascript", "page.css": "text/css", "docs.js": "text/javascript"}
# The page loads nothing from anywhere but this server.
PAGE_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

log = logging.getLogger("classifier.serve")


@dataclass
class Service:
    """What the routes answer from: the loaded projects, the taxonomy, the queue and labels file if any."""

    projects: dict[str, Project]
    taxonomy: Taxonomy
    queue: ReviewQueue | None
    labels: LabelsFile | None
    max_text: int

    def project(self, project_id: str) -> Project:
        check_project_id(project_id)
        if project_id not in self.projects:
            raise ProjectError(f"project '{project_id}' not found (known: {', '.join(self.projects)})", 404)
        return self.projects[project_id]

    def checked_text(self, text, where: str = "text") -> str:
        if not isinstance(text, str):
            raise ApiError(400, f"'{where}' must be a string")
        if len(text) > self.max_text:
            raise ApiError(
                413, f"'{where}' is {len(text):,} characters, over the CLASSIFIER_MAX_TEXT limit of {self.max_text:,}"
            )
        # As parsing reads a NUL; a lone surrogate, which no UTF-8 answer or file can hold, as tables read it.
        return valid_text(nul_as_space(text))

    def review_queue(self) -> ReviewQueue:
        if self.queue is None:
            raise ApiError(404, "no review queue: start the server with --queue FILE --labels FILE")
        return self.queue


def create_app(
    projects: dict[str, Project],
    taxonomy: Taxonomy,
    queue: ReviewQueue | None = None,
    labels: LabelsFile | None = None,
    max_text: int | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    local_only: bool = False,
    allowed_hosts: tuple[str, ...] = (),
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
) -> FastAPI:
    """The service over loaded projects; `labels` turns on `learn`, `queue` the review queue; `local_only` (a server
    that listens on this machine only) refuses requests whose Host is not this machine's or one of `allowed_hosts`;
    `request_timeout`: the seconds a request's headers may take and its body may pause (`serve` reads it here)."""
    from classifier.io.textio import max_text_chars  # on first use: keeps start-up light

    app = FastAPI(
        title="classifier",
        version=__version__,
        description="Suggests OSCE fields of work. Annif's REST API v1, plus explanations, the taxonomy, "
        "model cards and a review queue. Errors are problem+json with a 4xx status.",
        # FastAPI's own /docs page loads Swagger UI from a CDN; ours draws /openapi.json with shipped files.
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # RequestShape reads a path with a trailing slash as the path without
        generate_unique_id_function=operation_id,
        default_response_class=JsonAnswer,
    )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, timeout_seconds=request_timeout)
    app.add_middleware(RequestShape)
    # The outermost: before anything is read or answered.
    app.add_middleware(SameOrigin, local_only=local_only, allowed_hosts=allowed_hosts)
    app.state.projects, app.state.queue, app.state.labels = projects, queue, labels
    app.state.request_timeout = request_timeout
    service = Service(projects, taxonomy, queue, labels, max_text or max_text_chars())
    _add_error_handlers(app)
    _add_annif_routes(app, service)
    _add_learn_route(app, service)
    _add_our_routes(app, service)
    _add_queue_routes(app, service)
    _add_page_routes(app)
    app.openapi = lambda: openapi_with_our_errors(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http_error(request, exc: HTTPException):
        detail, path, headers = str(exc.detail), request.url.path[:200], dict(exc.headers or {})
        if not isinstance(exc, ApiError):  # the router's own: a path or method no route takes
            if exc.status_code == 404:
                detail = f"no such path: {path} (the API is described at /docs and /openapi.json)"
            elif exc.status_code == 405:
                headers["Allow"] = _with_head(headers.get("Allow", ""))
                detail = f"{request.method} is not allowed on {path}; use {headers['Allow']}"
        answer = problem(exc.status_code, detail)
        answer.headers.update(headers)
        return answer

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc: RequestValidationError):
        parts = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        return problem(400, "; ".join(parts) or "invalid request")

    @app.exception_handler(ProjectError)
    @app.exception_handler(DecisionError)
    async def _refused(request, exc):
        return problem(exc.status, str(exc))

    @app.exception_handler(Exception)
    async def _crashed(request, exc: Exception):
        log.exception("error while answering %s %s", request.method, request.url.path)
        return problem(500, "internal error while answering this request; the server log has the details")


def _with_head(allow: str) -> str:
    """A 405's Allow with HEAD beside GET: RequestShape answers HEAD wherever GET is answered."""
    methods = [method.strip() for method in allow.split(",") if method.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


def _add_annif_routes(app: FastAPI, service: Service) -> None:
    """Annif's REST API v1: the same paths, parameters and JSON."""

    @app.get("/v1/", tags=["Annif API"], summary="API information", responses=answer_shape(ApiInfo))
    def show_info():
        return {"title": "classifier REST API (Annif-compatible)", "version": __version__}

    @app.get(
        "/v1/vocabs",
        tags=["Annif API"],
        summary="the subject vocabulary: the taxonomy's fields",
        responses=answer_shape(VocabularyList),
    )
    def list_vocabs():
        return {"vocabs": [vocabulary_info(service.taxonomy)]}

    @app.get(
        "/v1/projects",
        tags=["Annif API"],
        summary="the loaded models, one project each",
        responses=answer_shape(ProjectList),
    )
    def list_projects():
        return {"projects": [p.info() for p in service.projects.values()]}

    @app.get(
        "/v1/projects/{project_id}", tags=["Annif API"], summary="one project", responses=answer_shape(ProjectInfo)
    )
    def show_project(project_id: str):
        return service.project(project_id).info()

    @app.post(
        "/v1/projects/{project_id}/suggest",
        tags=["Annif API"],
        summary="fields for one text",
        openapi_extra=request_body(FORM),
        responses=answer_shape(SuggestionResults),
    )
    async def suggest(project_id: str, request: Request):
        chosen = service.project(project_id)
        form = await read_form(request)
        if "text" not in form:
            raise ApiError(400, "missing form field 'text'")
        text = service.checked_text(form["text"])
        limit, threshold = cutoffs(form.get("limit"), form.get("threshold"), form.get("accepted"))
        if not text.strip():
            return {"results": []}
        ((results, flag),) = await run_in_threadpool(chosen.suggest_flagged, [text], limit, threshold)
        # Plain JSON already: FastAPI's encoder would walk it again. The flag tells why an answer is empty.
        return JsonAnswer({"results": results, **({"flag": flag} if flag else {})})

    @app.post(
        "/v1/projects/{project_id}/suggest-batch",
        tags=["Annif API"],
        summary=f"fields for up to {MAX_BATCH_DOCUMENTS} texts",
        openapi_extra={**request_body(BATCH), "parameters": BATCH_QUERY},
        responses=answer_shape(list[BatchResult]),
    )
    async def suggest_batch(project_id: str, request: Request, language: str | None = Query(None, max_length=20)):
        chosen = service.project(project_id)
        # limit, threshold, accepted, documented in BATCH_QUERY; a name given twice counts once, the first, as in a form
        first = {name: values[0] for name in CUTOFF_FIELDS if (values := request.query_params.getlist(name))}
        limit, threshold = cutoffs(first.get("limit"), first.get("threshold"), first.get("accepted"))
        texts, ids = batch_documents(await read_json(request), service.checked_text)
        live = [i for i, text in enumerate(texts) if text.strip()]
        found = (
            await run_in_threadpool(chosen.suggest_flagged, [texts[i] for i in live], limit, threshold) if live else []
        )
        answers: list[dict] = [{"results": []} for _ in texts]
        for i, (hits, flag) in zip(live, found):
            answers[i] = {"results": hits, **({"flag": flag} if flag else {})}
        return JsonAnswer([{**answer, "document_id": doc_id} for answer, doc_id in zip(answers, ids)])


def _add_learn_route(app: FastAPI, service: Service) -> None:
    """Annif's learn: documents with their known fields, appended to the labels file."""

    @app.post(
        "/v1/projects/{project_id}/learn",
        tags=["Annif API"],
        status_code=204,
        summary="append documents with their known fields to the labels file (--labels)",
        openapi_extra=request_body(LEARN),
    )
    async def learn(project_id: str, request: Request):
        service.project(project_id)
        if service.labels is None:
            raise ApiError(403, "learning is off: start the server with --labels FILE to collect labelled documents")
        body = await read_json(request)
        if not isinstance(body, list):
            raise ApiError(400, "expected a JSON array of documents, each with 'text' and 'subjects'")
        # Parsing each page takes time (seconds for a body of many thousands): not on the loop, which would hold up
        # every other request, /v1/health included, until it is done.
        rows = await run_in_threadpool(_learned_rows, body, service)
        if rows:
            await _written(service.labels, service.labels.append, rows)
        return Response(status_code=204)


async def _written(labels: LabelsFile, write, *args):
    """`write(*args)` in the thread pool, where it may write the labels file. A write that fails (a full disk, a file
    size limit) leaves the file as it was: the client is told so in one sentence, and the log in one line."""
    try:
        return await run_in_threadpool(write, *args)
    except OutputError as exc:  # its lock taken by another server: each would rename its copy over the other's rows
        log.error("%s", exc)
        raise ApiError(409, f"{labels.path.name}: {str(exc).removeprefix(f'{labels.path}: ')}") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        log.error("%s: cannot write the labels file: %s", labels.path, reason)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        remedy = "make room" if full else "let the server write to it"
        detail = f"{labels.path.name}: cannot write ({reason}); nothing was saved: {remedy}, then send it again"
        raise ApiError(507 if full else 500, detail) from None


def _learned_rows(documents: list, service: Service) -> list[dict]:
    """learn's documents as rows of the labels file, every one checked before any is written."""
    return [learned_row(doc, i, service.checked_text, service.taxonomy) for i, doc in enumerate(documents)]


def _explained(chosen, text: str, cut: tuple[int, float | None] | None):
    """`explain` of a text with something to read; a page of menus alone is refused as `learn` refuses it."""
    if not parse_release(text).model_text.strip():
        raise ApiError(400, "the text has no text besides its page's menus")
    return chosen.explain(text, 5, cut)


def _add_our_routes(app: FastAPI, service: Service) -> None:
    """Our additions beside Annif's API: explanations, the taxonomy, model cards, health."""

    @app.post(
        "/v1/projects/{project_id}/explain",
        tags=["classifier"],
        summary="every field's score, the accepted ones, flags, and the terms behind each accepted field (given "
        "limit, threshold or accepted: the fields suggest answers for them)",
        openapi_extra=request_body(TEXT),
        responses=answer_shape(Explanation),
    )
    async def explain(project_id: str, request: Request):
        chosen = service.project(project_id)
        text, fields = await read_text(request, service.max_text)
        text = service.checked_text(text)
        cut = given_cutoffs(fields)
        if not text.strip():
            raise ApiError(400, "the text is empty")
        return await run_in_threadpool(_explained, chosen, text, cut)  # parsing a page takes time: not on the loop

    @app.get("/v1/projects/{project_id}/card", tags=["classifier"], summary="the model card and its metadata")
    def show_card(project_id: str):
        return service.project(project_id).card()

    @app.get("/v1/taxonomy", tags=["classifier"], summary="the fields by OSCE dimension, with URIs and notations")
    def show_taxonomy():
        return taxonomy_tree(service.taxonomy)

    @app.get("/v1/health", tags=["classifier"], summary="liveness: the process answers", responses=answer_shape(Health))
    def health():
        return {"status": "ok"}

    @app.get(
        "/v1/ready",
        tags=["classifier"],
        summary="readiness: every model loaded, the queue ordered",
        responses=answer_shape(Readiness),
    )
    def ready():
        return {
            "ready": True,
            "projects": list(service.projects),
            "queue": service.queue is not None,
            "labels": service.labels.path.name if service.labels is not None else None,  # not the server's folders
        }


def _add_queue_routes(app: FastAPI, service: Service) -> None:
    """The review queue: the next document with the model's fields, and the editor's decisions."""

    @app.get(
        "/v1/queue",
        tags=["review queue"],
        summary="progress, per-field counts and the next document to review",
        responses=answer_shape(QueueState),
    )
    async def show_queue(
        project: str | None = Query(None, description="the project whose fields are ticked (default: the first)"),
    ):
        queue = service.review_queue()
        chosen = service.project(project) if project is not None else None
        item = queue.next()
        answer = {"progress": queue.progress(), "next": None}
        if item is not None:
            reader = chosen or next(iter(service.projects.values()))
            explanation = await run_in_threadpool(reader.explain, _queue_text(item))
            answer["next"] = {
                "id": item.id,
                "title": item.title,
                "text": item.text,
                "origin": shown_origin(item.origin),
                "uncertainty": item.uncertainty,  # the queue's order is the first project's
                "digest": item.digest,  # sent back with the decision: the text it is for
                "suggested": item.suggested if chosen is None else explanation["labels"],
                "explanation": explanation,
            }
        return answer

    @app.post(
        "/v1/queue/decisions",
        tags=["review queue"],
        summary="label a document (written to the labels file, fsynced, before the answer) or skip it",
        openapi_extra=request_body(DECISION),
        responses=answer_shape(DecisionAnswer),
    )
    async def decide(request: Request):
        queue = service.review_queue()
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ApiError(400, "expected a JSON object with a string 'id', and 'labels' or \"skip\": true")
        skip, correct = body.get("skip", False), body.get("correct", False)
        if not isinstance(skip, bool) or not isinstance(correct, bool):
            raise ApiError(400, "'skip' and 'correct' must be true or false")
        if not skip and "labels" not in body:
            raise ApiError(400, "give 'labels' (a list of field names) or \"skip\": true")
        if skip and body.get("labels") not in (None, []):  # else the labels would be dropped without a word
            raise ApiError(400, "give 'labels' or \"skip\": true, not both: a skipped document gets no labels")
        digest = body.get("digest")
        if digest is not None and not isinstance(digest, str):
            raise ApiError(400, "'digest' must be the string the queue gave with the document")
        suggested = None
        if body.get("project") is not None and not skip:
            if not isinstance(body["project"], str):
                raise ApiError(400, "'project' must be a project id")
            chosen, item = service.project(body["project"]), queue.find(body["id"])
            if item is not None:  # else decide names the unknown id
                suggested = await run_in_threadpool(chosen.accepted, _queue_text(item))
        await _written(queue.labels, queue.decide, body["id"], body.get("labels"), skip, correct, suggested, digest)
        return {"saved": not skip, "skipped": skip, "id": body["id"], "progress": queue.progress()}


def _queue_text(item) -> str:
    """A queue document as the model reads it: its title, then its text."""
    return f"{item.title}\n{item.text}" if item.title else item.text


def _add_page_routes(app: FastAPI) -> None:
    """The page, the API docs page and their static files, all shipped in the package."""

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_page_headers())

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():  # browsers ask for it on every page: no icon, and no error in their console
        return Response(status_code=204)

    @app.get("/docs", include_in_schema=False)
    def docs():
        return FileResponse(STATIC / "docs.html", media_type="text/html", headers=_page_headers())

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC_FILES:
            raise ApiError(404, "no such file")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers=_page_headers())


def _page_headers() -> dict:
    return {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def build_app(
    model_dirs: list[Path] | None = None,
    queue_inputs: list[str] | None = None,
    labels_path: Path | None = None,
    taxonomy_path: Path | None = None,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    local_only: bool = False,
    allowed_hosts: tuple[str, ...] = (),
    queue_columns=None,
    queue_glob: str | None = None,
    labels_lock=None,
) -> FastAPI:
    """Load every bundle once, order the queue, and build the service (`local_only`, `allowed_hosts`: as
    `create_app`'s; `queue_columns` and `queue_glob`: how the queue's tables and folders are read, as
    ReviewQueue.from_inputs reads them; `labels_lock`: the lock held on the labels file, see LabelsFile)."""
    from classifier.serve.projects import load_projects  # on first use: keeps start-up light
    from classifier.taxonomy.fields import default_taxonomy  # on first use: keeps start-up light

    if queue_inputs and labels_path is None:
        raise UsageError("--queue needs --labels FILE: the file the decisions are written to")
    if queue_inputs:
        from classifier.corpus.documents import DEFAULT_GLOB, check_not_an_input  # on first use: light start-up

        # Decisions appended to a queue input would come back as documents to review, and its own rows would all
        # count as decided (an empty queue).
        check_not_an_input(labels_path, queue_inputs, queue_glob or DEFAULT_GLOB)
    taxonomy = Taxonomy.from_yaml(taxonomy_path) if taxonomy_path else default_taxonomy()
    projects = load_projects(list(model_dirs or []), taxonomy)
    labels = LabelsFile(labels_path, labels_lock, taxonomy) if labels_path is not None else None
    if labels is not None:
        check_file_target(labels.path)  # a link would be replaced by a plain file at the first decision
        _check_writable(labels.path)
    queue = None
    if queue_inputs:
        first = next(iter(projects.values()))
        queue = ReviewQueue.from_inputs(
            first.model, list(queue_inputs), labels, taxonomy, size=queue_size, columns=queue_columns, glob=queue_glob
        )
    return create_app(projects, taxonomy, queue, labels, local_only=local_only, allowed_hosts=allowed_hosts)


def _check_writable(path: Path) -> None:

    folder = path.parent if str(path.parent) else Path(".")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".check"):
            pass
    except OSError as exc:
        raise ClassifierError(f"{path}: cannot write the labels file there ({exc.strerror})") from None


def listening_socket(host: str = "127.0.0.1", port: int = 8000):
    """A socket bound to host:port (port 0: any free one), for `serve`; OSError where it cannot be (the port in
    use, an address this machine does not have), before the server starts or anything is printed."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself would
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(app: FastAPI, sock) -> None:
    """Answer on a bound socket (`listening_socket`) until interrupted."""
    http_server(app).run(sockets=[sock])


def http_server(app: FastAPI):
    """The uvicorn server `serve` runs: its connections give a request's headers the app's `request_timeout`."""
    import uvicorn  # the serve extra

    from classifier.serve.connections import HeaderDeadline  # imports uvicorn's HTTP/1.1 connection: on first use

    connection = functools.partial(HeaderDeadline, header_seconds=app.state.request_timeout)
    return uvicorn.Server(uvicorn.Config(app, log_level="info", server_header=False, http=connection))
