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
