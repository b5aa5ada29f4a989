"""The service's OpenAPI document: the request bodies FastAPI cannot describe from the routes' signatures (forms,
batches, label submissions, the page's decisions), the answers' shapes, and every error status as problem+json.

The routes read their bodies themselves (classifier.serve.bodies), so that a malformed body gets the same 400 and
message however it came; what they accept is written out here for the document alone.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI

from classifier.serve.bodies import DEFAULT_LIMIT, MAX_BATCH_DOCUMENTS

FORM = {
    "application/x-www-form-urlencoded": {
        "schema": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "description": "input text: plain text or a scraped page"},
                "limit": {
                    "type": "integer",
                    "minimum": 0,
                    "default": DEFAULT_LIMIT,
                    "description": "maximum number of results (with `accepted`, every accepted field unless given)",
                },
                "threshold": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0,
                    "description": "minimum score",
                },
                "accepted": {
                    "type": "boolean",
                    "default": False,
                    "description": "only the fields the model accepts, by its own per-field thresholds and rules, as "
                    "`classifier suggest` gives them (our addition; a threshold given replaces those thresholds)",
                },
                "language": {"type": "string", "description": "accepted and ignored: labels are English"},
            },
        }
    }
}
_FORM_FIELDS = FORM["application/x-www-form-urlencoded"]["schema"]["properties"]
BATCH = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["documents"],
            "properties": {
                "documents": {
                    "type": "array",
                    "maxItems": MAX_BATCH_DOCUMENTS,
                    "items": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {
                            "text": {"type": "string"},
                            "document_id": {"type": "string"},
                            "metadata": {"type": "object"},
                        },
                    },
                }
            },
        }
    }
}
# suggest-batch's cut-offs, in its query: typed as suggest's form types them, and read as text and checked as
# suggest checks its form (by `cutoffs`, not FastAPI), so both give the same answers and messages.
BATCH_QUERY = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {key: value for key, value in _FORM_FIELDS[name].items() if key != "description"},
    }
    for name, description in (
        (
            "limit",
            f"at most this many fields per text (whole number; {DEFAULT_LIMIT}, or with accepted=true every accepted "
            "field)",
        ),
        ("threshold", "only fields scoring at least this (0 to 1; 0)"),
        ("accepted", "true: only the fields the model accepts (as suggest's form)"),
    )
]
LEARN = {
    "application/json": {
        "schema": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text", "subjects"],
                "properties": {
                    "text": {"type": "string"},
                    "subjects": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "description": "one field, named by its uri, label or notation (any of a field's label, "
                            "notation or URI, as GET /v1/taxonomy gives them); two that name different fields are "
                            "refused",
                            "properties": {
                                "uri": {"type": "string"},
                                "label": {"type": "string"},
                                "notation": {"type": "string"},
                            },
                        },
                    },
                    "metadata": {"type": "object"},
                },
            },
        }
    }
}
TEXT = {
    **FORM,
    # The form's fields, as JSON: limit, threshold and accepted cut the fields listed as suggest cuts them.
    "application/json": FORM["application/x-www-form-urlencoded"],
    "text/plain": {
        "schema": {
            "type": "string",
            "description": "a file's bytes, decoded in the charset the Content-Type gives, else as "
            "`classifier suggest` decodes files",
        }
    },
    "text/html": {"schema": {"type": "string", "description": "a web page, read as its article's text"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}
DECISION = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "labels": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "the document's fields, each by its label, notation or URI (GET /v1/taxonomy)",
                },
                "skip": {
                    "type": "boolean",
                    "description": "skip the document (it comes back at the end of the queue); not with `labels`",
                },
                "project": {
                    "type": "string",
                    "description": "the project whose fields the editor was shown (default: the first); its "
                    "fields are recorded as `suggested`",
                },
                "digest": {
                    "type": "string",
                    "description": "the document's `digest` as the queue gave it: the decision is refused (412) if "
                    "the id now names another text (a restart with other inputs), not written for it",
                },
                "correct": {
                    "type": "boolean",
                    "description": "replace the fields of a document labelled already (a mis-click): a new row "
                    "follows the old one, and train keeps the later",
                },
            },
        }
    }
}


def request_body(content: dict, required: bool = True) -> dict:
    return {"requestBody": {"required": required, "content": content}}


def answer_shape(shape) -> dict:
    """A route's 200 answer documented as `shape` (classifier.serve.schemas): in the OpenAPI document only, the
    answer itself is neither validated nor converted."""
    return {200: {"model": shape}}


def operation_id(route) -> str:
    """A route's operationId: its function's name in camel case, as Annif's names them (suggest_batch: suggestBatch)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


_PROBLEM = {
    "type": "object",
    "description": "RFC 7807 problem details, as Annif answers errors: `detail` says what to change",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
# Why a route answers an error status besides the general ones (by the path's last part).
_WHEN = {
    ("learn", 403): ": the server was started without --labels, or a page of another site sent it",
    ("queue", 404): ": the server was started without --queue, or it serves no project of that id",
    ("decisions", 404): ": the server was started without --queue, or no document of the queue or its inputs has the "
    "id",
    ("decisions", 409): ": the document was decided already (send correct: true to change it), another server "
    "writes the labels file (its lock was removed while this one ran), or the file was saved meanwhile as UTF-16; "
    "nothing was saved",
    ("decisions", 412): ": the document's `digest` is not the text the id now names, or a correction names a document "
    "nobody labelled; nothing was saved",
    ("learn", 409): ": another server writes the labels file (its lock was removed while this one ran), or the file "
    "was saved meanwhile as UTF-16; nothing was saved",
    ("learn", 507): ": the labels file could not be written (a full disk); nothing was saved",
    ("decisions", 507): ": the labels file could not be written (a full disk); nothing was saved",
    ("learn", 500): ": the labels file could not be written (no permission, say); nothing was saved",
    ("decisions", 500): ": the labels file could not be written (no permission, say); nothing was saved",
}
# The statuses of the guard before every route (bodies.SameOrigin), by method: why each is answered.
_GUARD = {
    421: ": the Host is not this machine, which the server answers only (--allowed-host adds a name)",
    403: ": a page of another site may not change anything here",
}


def _error_answers(path: str, method: str, operation: dict, validated: bool) -> dict:
    """The error statuses an operation answers, each as problem+json, with why where it is the route's own or the
    guard's."""
    statuses = [400] if validated or "requestBody" in operation or "{project_id}" in path else []
    # 413: every request's declared body is held to the limit before any route (bodies.BodyLimit), a GET's too.
    statuses += [421, 413] + ([403] if method.upper() not in ("GET", "HEAD", "OPTIONS") else [])
    if "{project_id}" in path:
        statuses.append(404)
    if "requestBody" in operation:
        statuses += [408, 415]  # 408: a body that stops coming (BodyLimit)
    last = path.rsplit("/", 1)[-1]
    statuses += [status for (name, status) in _WHEN if name == last]
    problem_json = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        str(status): {
            "description": HTTPStatus(status).phrase + _WHEN.get((last, status), _GUARD.get(status, "")),
            "content": problem_json,
        }
        for status in sorted(set(statuses))
    }


def openapi_with_our_errors(app: FastAPI) -> dict:
    # FastAPI documents its own 422 validation answer; this service answers 400, as Annif does.
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi  # the serve extra

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                responses.update(_error_answers(path, method, operation, responses.pop("422", None) is not None))
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = _PROBLEM
        app.openapi_schema = schema
    return app.openapi_schema
