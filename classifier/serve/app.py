"""The HTTP service: Annif's REST API v1 over loaded bundles, our additions under /v1, and the page at /.

Every refusal is a problem+json answer with a 4xx status (see `bodies`); nothing reaches a client
as a 500 with a traceback.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from classifier import __version__
from classifier.serve.bodies import ApiError, BodyLimit, int_field, problem, read_form, read_json, read_text, score_field
from classifier.errors import ClassifierError, UsageError
from classifier.serve.projects import Project, ProjectError, check_project_id, taxonomy_tree, vocabulary_info
from classifier.serve.queue import DEFAULT_QUEUE_SIZE, DecisionError, LabelsFile, ReviewQueue, resolve_labels
from classifier.taxonomy.fields import Taxonomy

# Request bodies above this many bytes are refused with 413 before they are read whole. 32 MiB holds
# a batch of 32 long reports, or one text at the default CLASSIFIER_MAX_TEXT of 2,000,000 characters
# even when every character is percent-encoded in a form.
MAX_BODY_BYTES = 32 * 2**20
# Annif's own limit for suggest-batch (its OpenAPI spec: maxItems 32).
MAX_BATCH_DOCUMENTS = 32
DEFAULT_LIMIT = 10
STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"page.js": "text/javascript", "page.css": "text/css", "docs.js": "text/javascript"}
# The page loads nothing from anywhere but this server.
PAGE_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

log = logging.getLogger("classifier.serve")

_FORM = {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["text"],
    "properties": {
        "text": {"type": "string", "description": "input text: plain text or a scraped page"},
        "limit": {"type": "integer", "minimum": 0, "default": DEFAULT_LIMIT, "description": "maximum number of results"},
        "threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0, "description": "minimum score"},
        "language": {"type": "string", "description": "accepted and ignored: labels are English"},
    },
}}}
_BATCH = {"application/json": {"schema": {
    "type": "object", "required": ["documents"],
    "properties": {"documents": {"type": "array", "maxItems": MAX_BATCH_DOCUMENTS, "items": {
        "type": "object", "required": ["text"],
        "properties": {"text": {"type": "string"}, "document_id": {"type": "string"}, "metadata": {"type": "object"}},
    }}},
}}}
_LEARN = {"application/json": {"schema": {"type": "array", "items": {
    "type": "object", "required": ["text", "subjects"],
    "properties": {
        "text": {"type": "string"},
        "subjects": {"type": "array", "items": {"type": "object", "properties": {"uri": {"type": "string"}, "label": {"type": "string"}}}},
        "metadata": {"type": "object"},
    },
}}}}
_TEXT = {
    **_FORM,
    "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}},
    "text/plain": {"schema": {"type": "string", "description": "a file's bytes, decoded as `classifier suggest` decodes files"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}
_DECISION = {"application/json": {"schema": {
    "type": "object", "required": ["id"],
    "properties": {"id": {"type": "string"}, "labels": {"type": "array", "items": {"type": "string"}}, "skip": {"type": "boolean"}},
}}}


def _body(content: dict, required: bool = True) -> dict:
    return {"requestBody": {"required": required, "content": content}}


def create_app(
    projects: dict[str, Project],
    taxonomy: Taxonomy,
    queue: ReviewQueue | None = None,
    labels: LabelsFile | None = None,
    max_text: int | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The service over loaded projects; `labels` turns on `learn`, `queue` the review queue."""
    from classifier.io.textio import max_text_chars

    max_text = max_text or max_text_chars()
    app = FastAPI(
        title="classifier",
        version=__version__,
        description="Suggests OSCE fields of work. Annif's REST API v1, plus explanations, the taxonomy, "
        "model cards and a review queue. Errors are problem+json with a 4xx status.",
        # FastAPI's own /docs page loads Swagger UI from a CDN; ours draws /openapi.json with shipped files.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.state.projects, app.state.queue, app.state.labels = projects, queue, labels

    @app.exception_handler(HTTPException)
    async def _http_error(request, exc: HTTPException):
        return problem(exc.status_code, str(exc.detail))

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

    def project(project_id: str) -> Project:
        check_project_id(project_id)
        if project_id not in projects:
            raise ProjectError(f"project '{project_id}' not found (known: {', '.join(projects)})", 404)
        return projects[project_id]

    def checked_text(text, where: str = "text") -> str:
        if not isinstance(text, str):
            raise ApiError(400, f"'{where}' must be a string")
        if len(text) > max_text:
            raise ApiError(413, f"'{where}' is {len(text):,} characters, over the CLASSIFIER_MAX_TEXT limit of {max_text:,}")
        return text.replace("\x00", "")

    # ---- Annif's REST API v1 ----

    @app.get("/v1/", tags=["Annif API"], summary="API information")
    def api_info():
        return {"title": "classifier REST API (Annif-compatible)", "version": __version__}

    @app.get("/v1/vocabs", tags=["Annif API"], summary="the subject vocabulary: the taxonomy's fields")
    def vocabs():
        return {"vocabs": [vocabulary_info(taxonomy)]}

    @app.get("/v1/projects", tags=["Annif API"], summary="the loaded models, one project each")
    def list_projects():
        return {"projects": [p.info() for p in projects.values()]}

    @app.get("/v1/projects/{project_id}", tags=["Annif API"], summary="one project")
    def show_project(project_id: str):
        return project(project_id).info()

    @app.post("/v1/projects/{project_id}/suggest", tags=["Annif API"], summary="fields for one text",
              openapi_extra=_body(_FORM))
    async def suggest(project_id: str, request: Request):
        chosen = project(project_id)
        form = await read_form(request)
        if "text" not in form:
            raise ApiError(400, "missing form field 'text'")
        text = checked_text(form["text"])
        limit = int_field(form.get("limit"), "limit", DEFAULT_LIMIT)
        threshold = score_field(form.get("threshold"), "threshold")
        if not text.strip():
            return {"results": []}
        results = await run_in_threadpool(chosen.suggest_batch, [text], limit, threshold)
        return JSONResponse({"results": results[0]})  # plain JSON already: FastAPI's encoder would walk it again

    @app.post("/v1/projects/{project_id}/suggest-batch", tags=["Annif API"],
              summary=f"fields for up to {MAX_BATCH_DOCUMENTS} texts", openapi_extra=_body(_BATCH))
    async def suggest_batch(
        project_id: str,
        request: Request,
        limit: int = Query(DEFAULT_LIMIT, ge=0, le=2**31 - 1),
        threshold: float = Query(0.0, ge=0.0, le=1.0),
        language: str | None = Query(None, max_length=20),
    ):
        chosen = project(project_id)
        body = await read_json(request)
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
                raise ApiError(400, f"documents[{i}].document_id must be a string")
            ids.append(doc_id)
        live = [i for i, text in enumerate(texts) if text.strip()]
        found = await run_in_threadpool(chosen.suggest_batch, [texts[i] for i in live], limit, threshold) if live else []
        results = [[] for _ in texts]
        for i, hits in zip(live, found):
            results[i] = hits
        return JSONResponse([{"results": hits, "document_id": doc_id} for hits, doc_id in zip(results, ids)])

    @app.post("/v1/projects/{project_id}/learn", tags=["Annif API"], status_code=204,
              summary="append documents with their known fields to the labels file (--labels)",
              openapi_extra=_body(_LEARN))
    async def learn(project_id: str, request: Request):
        project(project_id)
        if labels is None:
            raise ApiError(403, "learning is off: start the server with --labels FILE to collect labelled documents")
        body = await read_json(request)
        if not isinstance(body, list):
            raise ApiError(400, "expected a JSON array of documents, each with 'text' and 'subjects'")
        rows = [_learned_row(doc, i, checked_text, taxonomy) for i, doc in enumerate(body)]
        if rows:
            await run_in_threadpool(labels.append, rows)
        return Response(status_code=204)

    # ---- our additions ----

    @app.post("/v1/projects/{project_id}/explain", tags=["classifier"],
              summary="every field's score, the accepted ones, flags, and the terms behind each accepted field",
              openapi_extra=_body(_TEXT))
    async def explain(project_id: str, request: Request):
        chosen = project(project_id)
        text = checked_text(await read_text(request, max_text))
        if not text.strip():
            raise ApiError(400, "the text is empty")
        return await run_in_threadpool(chosen.explain, text)

    @app.get("/v1/projects/{project_id}/card", tags=["classifier"], summary="the model card and its metadata")
    def card(project_id: str):
        return project(project_id).card()

    @app.get("/v1/taxonomy", tags=["classifier"], summary="the fields by OSCE dimension, with URIs and notations")
    def show_taxonomy():
        return taxonomy_tree(taxonomy)

    @app.get("/v1/health", tags=["classifier"], summary="liveness: the process answers")
    def health():
        return {"status": "ok"}

    @app.get("/v1/ready", tags=["classifier"], summary="readiness: every model loaded, the queue ordered")
    def ready():
        return {
            "ready": True,
            "projects": list(projects),
            "queue": queue is not None,
            "labels": str(labels.path) if labels is not None else None,
        }

    @app.get("/v1/queue", tags=["review queue"], summary="progress, per-field counts and the next document to review")
    async def show_queue():
        if queue is None:
            raise ApiError(404, "no review queue: start the server with --queue FILE --labels FILE")
        item = queue.next()
        answer = {"progress": queue.progress(), "next": None}
        if item is not None:
            first = next(iter(projects.values()))
            explanation = await run_in_threadpool(first.explain, f"{item.title}\n{item.text}" if item.title else item.text)
            answer["next"] = {
                "id": item.id, "title": item.title, "text": item.text, "origin": item.origin,
                "uncertainty": item.uncertainty, "suggested": item.suggested, "explanation": explanation,
            }
        return answer

    @app.post("/v1/queue/decisions", tags=["review queue"],
              summary="label a document (written to the labels file, fsynced, before the answer) or skip it",
              openapi_extra=_body(_DECISION))
    async def decide(request: Request):
        if queue is None:
            raise ApiError(404, "no review queue: start the server with --queue FILE --labels FILE")
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ApiError(400, "expected a JSON object with a string 'id', and 'labels' or \"skip\": true")
        skip = body.get("skip", False)
        if not isinstance(skip, bool):
            raise ApiError(400, "'skip' must be true or false")
        if not skip and "labels" not in body:
            raise ApiError(400, "give 'labels' (a list of field names) or \"skip\": true")
        await run_in_threadpool(queue.decide, body["id"], body.get("labels"), skip)
        return {"saved": not skip, "skipped": skip, "id": body["id"], "progress": queue.progress()}

    def openapi_with_our_errors():
        # FastAPI documents its own 422 validation answer; this service answers 400, as Annif does.
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for operations in schema["paths"].values():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    if responses.pop("422", None) is not None or "requestBody" in operation:
                        responses["400"] = {"description": "Bad Request (application/problem+json)"}
            schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
            schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi_with_our_errors

    # ---- the page ----

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_page_headers())

    @app.get("/docs", include_in_schema=False)
    def docs():
        return FileResponse(STATIC / "docs.html", media_type="text/html", headers=_page_headers())

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC_FILES:
            raise ApiError(404, "no such file")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers=_page_headers())

    return app


def _page_headers() -> dict:
    return {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def _learned_row(doc, i: int, checked_text, taxonomy: Taxonomy) -> dict:
    """One row for the labels file from one of Annif's IndexedDocuments; subjects by our URI or by name."""
    from classifier.corpus.release import parse_release
    from classifier.serve.projects import subjects_of

    if not isinstance(doc, dict):
        raise ApiError(400, f"[{i}]: expected an object with 'text' and 'subjects'")
    text = checked_text(doc.get("text"), f"[{i}].text")
    if not text.strip():
        raise ApiError(400, f"[{i}].text is empty")
    subjects = doc.get("subjects")
    if not isinstance(subjects, list):
        raise ApiError(400, f"[{i}].subjects must be a list of {{uri, label}} objects")
    by_uri = {s.uri: s.label for s in subjects_of(taxonomy).values()}
    names = []
    for j, subject in enumerate(subjects):
        if not isinstance(subject, dict):
            raise ApiError(400, f"[{i}].subjects[{j}]: expected an object with 'uri' or 'label'")
        uri, label = subject.get("uri"), subject.get("label")
        if isinstance(uri, str) and uri in by_uri:
            names.append(by_uri[uri])
        elif isinstance(label, str):
            names.append(label)
        else:
            raise ApiError(400, f"[{i}].subjects[{j}]: unknown subject {str(uri)[:100]!r} (see GET /v1/taxonomy)")
    try:
        fields = resolve_labels(names, taxonomy)
    except DecisionError as exc:
        raise ApiError(400, f"[{i}]: {exc}") from None
    release = parse_release(text)
    return {
        "id": "learn-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        "title": release.title,
        "text": release.body,
        "labels": fields,
        "origin": "learn",
    }


def build_app(
    model_dirs: list[Path] | None = None,
    queue_inputs: list[str] | None = None,
    labels_path: Path | None = None,
    taxonomy_path: Path | None = None,
    queue_size: int = DEFAULT_QUEUE_SIZE,
) -> FastAPI:
    """Load every bundle once, order the queue, and build the service."""
    from classifier.serve.projects import load_projects
    from classifier.taxonomy.fields import default_taxonomy

    if queue_inputs and labels_path is None:
        raise UsageError("--queue needs --labels FILE: the file the decisions are written to")
    taxonomy = Taxonomy.from_yaml(taxonomy_path) if taxonomy_path else default_taxonomy()
    projects = load_projects(list(model_dirs or []), taxonomy)
    labels = LabelsFile(labels_path) if labels_path is not None else None
    if labels is not None:
        _check_writable(labels.path)
    queue = None
    if queue_inputs:
        first = next(iter(projects.values()))
        queue = ReviewQueue.from_inputs(first.model, list(queue_inputs), labels, taxonomy, size=queue_size)
    return create_app(projects, taxonomy, queue, labels)


def _check_writable(path: Path) -> None:
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".check"):
            pass
    except OSError as exc:
        raise ClassifierError(f"{path}: cannot write the labels file there ({exc.strerror})") from None


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Answer on host:port until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
