import json
from pathlib import Path

from schemas.generate import event_documents, openapi_document

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_document_is_current():
    committed = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == openapi_document(), "run `make schemas` and commit schemas/openapi.json"


def test_protected_routes_declare_the_bearer_scheme_and_public_ones_do_not():
    paths = openapi_document()["paths"]
    assert paths["/me"]["get"]["security"] == [{"cognito": []}]
    assert "security" not in paths["/health"]["get"]


def test_errors_are_documented_with_the_error_body():
    document = openapi_document()
    assert "HTTPValidationError" not in json.dumps(document)
    assert document["paths"]["/me"]["get"]["responses"]["500"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


def test_committed_event_schemas_are_current():
    documents = event_documents()
    committed = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in (ROOT / "schemas" / "events").glob("*.json")
    }
    assert committed == documents, "run `make schemas` and commit schemas/events/*.json"


def test_every_event_schema_requires_the_envelope_fields():
    for detail_type, schema in event_documents().items():
        assert schema["required"][:3] == ["event_id", "tenant_id", "occurred_at"], detail_type


def test_models_of_the_same_name_in_two_features_both_survive_the_merge():
    schemas = openapi_document()["components"]["schemas"]
    # tickets' Priority has "emergency"; the notifications' own Priority is kept under its feature's name.
    assert "emergency" in schemas["Priority"]["enum"]
    assert set(schemas["NotificationsPriority"]["enum"]) == {"normal", "urgent"}
    assert '"#/components/schemas/NotificationsPriority"' in json.dumps(schemas)


def test_times_of_day_are_described_by_a_pattern_not_the_rfc3339_time_format():
    text = json.dumps(openapi_document())
    assert '"format": "time"' not in text


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_ref_in_the_document_resolves():
    # A dangling $ref (Powertools' ResponseValidationError pointed at the removed ValidationError) stops
    # every client generator, the web apps' openapi-typescript among them.
    document = openapi_document()
    dangling = []
    for ref in set(_refs(document)):
        node: object = document
        for part in ref.removeprefix("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            dangling.append(ref)
    assert dangling == []


def _routes_calling(method_name: str) -> set[tuple[str, str]]:
    """(path, method) of every route function in the API code whose body calls ``.<method_name>()``, read
    from the source with ``ast``, independently of how the generator finds them."""
    import ast

    found = set()
    for source in [*ROOT.glob("functions/*/handler.py"), *ROOT.glob("functions/*/*/routes.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            calls = {
                c.func.attr
                for c in ast.walk(node)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
            }
            if method_name not in calls:
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in {"get", "post", "put", "patch", "delete"}
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    path = str(decorator.args[0].value).replace("<", "{").replace(">", "}")
                    found.add((path, decorator.func.attr))
    return found


def _declaring(header: str) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in openapi_document()["paths"].items()
        for method, operation in operations.items()
        if any(p["in"] == "header" and p["name"] == header for p in operation.get("parameters", []))
    }


# Idempotency-Key: every create route declares it itself; tests/unit/test_idempotency_routes.py checks them.


def test_assisted_mode_routes_declare_the_on_behalf_of_header():
    from schemas.generate import ASSISTED_ROUTES

    declared = _declaring("X-On-Behalf-Of")
    # Every listed route exists (a renamed path would silently drop its header otherwise).
    assert declared == ASSISTED_ROUTES
    assert {("/tickets", "post"), ("/passes", "post"), ("/residents/{resident_id}", "patch")} <= declared
    # The one route that checks the header itself is among them.
    assert _routes_calling("header") <= declared | {("/invites/{code}/accept", "post")}


def test_the_visit_log_documents_its_json_page_and_its_csv_form():
    # The console's visit log reads the page through the generated client: an undocumented 200 would leave
    # it `unknown` and tempt a hand-written type.
    document = openapi_document()
    ok = document["paths"]["/sites/{site_id}/visits"]["get"]["responses"]["200"]["content"]
    page = ok["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"date", "items", "next_cursor"} <= set(document["components"]["schemas"][page]["properties"])
    assert ok["text/csv"]["schema"] == {"type": "string"}
