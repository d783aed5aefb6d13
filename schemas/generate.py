"""`make schemas`: write the OpenAPI document of the whole API and the JSON Schemas of shared contracts.

The OpenAPI document merges every API function's resolver, keeps only the routes template.yaml wires,
and declares the Cognito bearer scheme the API Gateway authorizer enforces.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from courtyard.assisted import ASSISTED_ROUTES as KERNEL_ASSISTED_ROUTES
from infra.local.template import ApiEvent, load_template

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "schemas"


def openapi_document(template_path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    template = load_template(template_path)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Courtyard API", "version": "0.1.0"},
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
    for function in template.functions():
        events = function.events_of(ApiEvent)
        if not events:
            continue
        module = importlib.import_module(function.handler.rpartition(".")[0])
        schema = json.loads(module.app.get_openapi_json_schema(title="Courtyard API", version="0.1.0"))
        schema = _own_names(schema, document["components"]["schemas"], module.__name__.partition(".")[0])
        schema = _portable_formats(schema)
        public = {(e.path, e.method.lower()) for e in events if e.auth_none}
        wired = {(e.path, e.method.lower()) for e in events}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if (path, method) not in wired:
                    continue
                if (path, method) not in public:
                    operation["security"] = [{"cognito": []}]
                _use_error_body(operation)
                _declare_headers(path, method, operation)
                document["paths"].setdefault(path, {})[method] = operation
        components = schema.get("components", {}).get("schemas", {})
        document["components"]["schemas"].update(
            {name: body for name, body in components.items() if name not in _POWERTOOLS_ERROR_SCHEMAS}
        )
    document["components"]["schemas"]["ErrorBody"] = ERROR_BODY
    # Sorted by name: Powertools emits some components in a different order from run to run, and a
    # reordered file is a merge conflict without a change.
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


def _own_names(schema: dict[str, Any], merged: dict[str, Any], feature: str) -> dict[str, Any]:
    """Rename this function's components whose names another feature already uses for a different model
    (both have a ``Priority``, say) to ``<Feature><Name>``, references included, so merging loses nothing."""
    components = schema.get("components", {}).get("schemas", {})
    clashes = {
        name
        for name, body in components.items()
        if name in merged and merged[name] != body and name not in _POWERTOOLS_ERROR_SCHEMAS
    }
    if not clashes:
        return schema
    prefix = feature.title().replace("_", "")
    text = json.dumps(schema)
    for name in clashes:
        text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{prefix}{name}"')
    renamed: dict[str, Any] = json.loads(text)
    bodies = renamed["components"]["schemas"]
    for name in clashes:
        bodies[f"{prefix}{name}"] = bodies.pop(name)
    return renamed


def _portable_formats(node: Any) -> Any:
    """JSON Schema's ``time`` format is RFC 3339's full-time, with an offset; the API's times of day
    (``"08:00"``, ``"18:00:00"``) are local wall-clock times, so they are described by a pattern instead."""
    if isinstance(node, dict):
        if node.get("format") == "time":
            node = {k: v for k, v in node.items() if k != "format"}
            node["pattern"] = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"
        return {k: _portable_formats(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_portable_formats(v) for v in node]
    return node


# Powertools documents its own 422 body; the kernel answers with the DESIGN.md error body instead.
# ``ResponseValidationError`` refers to ``ValidationError``, so it goes with it (a dangling ``$ref`` stops
# every client generator).
_POWERTOOLS_ERROR_SCHEMAS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
                "request_id": {"type": "string"},
            },
        }
    },
}


def _use_error_body(operation: dict[str, Any]) -> None:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        responses["422"] = {"description": "Validation failed", **error}
    if "security" in operation:
        responses["401"] = {"description": "Missing or bad token (API Gateway)"}
        responses["403"] = {"description": "Not allowed for the caller's role", **error}
    responses["500"] = {"description": "Unexpected error; carries a request id", **error}
    responses["503"] = {
        "description": "A dependency is briefly unavailable (throttled, timed out): retry after Retry-After "
        "seconds, with the same Idempotency-Key",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        **error,
    }


ON_BEHALF_OF_HEADER: dict[str, Any] = {
    "name": "X-On-Behalf-Of",
    "in": "header",
    "required": False,
    "description": "Assisted mode: the resident id the service desk or a manager acts for",
    "schema": {"type": "string"},
}
ASSIST_REASON_HEADER: dict[str, Any] = {
    "name": "X-Assist-Reason",
    "in": "header",
    "required": False,
    "description": "Assisted mode: why the agent acts for the resident (required with X-On-Behalf-Of; "
    "1 to 200 characters, percent-encoded UTF-8; audited)",
    "schema": {"type": "string", "maxLength": 800},
}
# The routes that accept assisted mode, declared once in the kernel (the resolver refuses the header
# elsewhere with a 400); tests/unit/test_schemas.py keeps the list honest.
ASSISTED_ROUTES = set(KERNEL_ASSISTED_ROUTES)


def _declare_headers(path: str, method: str, operation: dict[str, Any]) -> None:
    """Assisted mode's header on the routes that act for the resident it names. (``Idempotency-Key`` is
    declared by each create route itself, through ``courtyard.idempotency.IdempotencyKey``.)"""
    if (path, method) not in ASSISTED_ROUTES:
        return
    parameters = operation.setdefault("parameters", [])
    for header in (ON_BEHALF_OF_HEADER, ASSIST_REASON_HEADER):
        if not any(str(p.get("name", "")).lower() == header["name"].lower() for p in parameters):
            parameters.append(header)


def event_documents() -> dict[str, dict[str, Any]]:
    """One JSON Schema per domain event of schemas/events.py, named by its detail type."""
    from schemas.events import EVENTS

    documents: dict[str, dict[str, Any]] = {}
    for detail_type, (source, model) in sorted(EVENTS.items()):
        schema = model.model_json_schema(mode="serialization")
        # A producer always sends the envelope fields, defaults or not.
        envelope = ["event_id", "tenant_id", "occurred_at"]
        schema["required"] = envelope + [f for f in schema.get("required", []) if f not in envelope]
        schema["properties"]["occurred_at"]["format"] = "date-time"
        schema["$id"] = f"courtyard/events/{detail_type}.json"
        schema["description"] = (
            f"detail of `{detail_type}` (source `{source}`). " + (model.__doc__ or "").strip()
        ).strip()
        documents[detail_type] = schema
    return documents


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_all() -> list[Path]:
    path = OUT / "openapi.json"
    path.write_text(_dump(openapi_document()), encoding="utf-8")
    from schemas.telemetry import write_json as write_telemetry

    return [path, *write_events(), write_telemetry()]


def write_events() -> list[Path]:
    written = []
    events_dir = OUT / "events"
    events_dir.mkdir(exist_ok=True)
    documents = event_documents()
    for stale in events_dir.glob("*.json"):
        if stale.stem not in documents:
            stale.unlink()
    for detail_type, document in documents.items():
        path = events_dir / f"{detail_type}.json"
        path.write_text(_dump(document), encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    for path in write_all():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
