"""The matrix inside one firm and through the other doors (issue 17): what each staff role may not do,
``X-On-Behalf-Of`` naming a foreign resident, cursors carried to another list or tenant, the guard's view of
passes, and the import worker handed another tenant's job. Runs on the reliability world (two firms)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import lambda_context
from tests.reliability.world import World

# (method, path, a valid body, the roles of the same firm that must be refused). Each names something the
# role's job does not include; a refusal is 403, or 404 where the object is invisible to the role. Bodies are
# valid (validation runs first, and a 422 would prove nothing).
ROLE_MATRIX: list[tuple[str, str, Any, tuple[str, ...]]] = [
    (
        "post",
        "/staff",
        {"name": "王五", "phone": "13700001111", "email": "w5@example.com", "roles": ["manager"]},
        ("service_desk", "technician", "finance", "guard", "resident"),
    ),
    (
        "patch",
        "/staff/{staff_id}",
        {"roles": ["manager"]},
        ("service_desk", "technician", "finance", "guard", "resident"),
    ),
    (
        "put",
        "/visitor-settings",
        {"default_window_hours": 24, "max_window_days": 30, "retention_days": 180},
        ("service_desk", "technician", "finance", "guard", "resident"),
    ),
    (
        "post",
        "/imports",
        {"site_id": "{site_id}", "filename": "units.csv", "content_type": "text/csv"},
        ("technician", "finance", "guard", "resident"),
    ),
    ("post", "/passes", {"visitor_name": "Sun", "site_id": "{site_id}"}, ("technician", "finance", "guard")),
    ("get", "/passes/{pass_id}/qr", None, ("technician", "finance", "guard")),
    ("delete", "/passes/{pass_id}", None, ("service_desk", "technician", "finance", "guard")),
    (
        "post",
        "/sites",
        {"name": "New Garden", "address": "1 Road", "city": "Hangzhou"},
        ("service_desk", "technician", "finance", "guard", "resident"),
    ),
    (
        "post",
        "/sites/{site_id}/blocklist",
        {"kind": "plate", "value": "浙A12345"},
        ("technician", "finance", "resident"),
    ),
]


def _filled(value: Any, ids: dict[str, list[str]]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]][0]
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    return value


def _params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


@pytest.mark.parametrize(
    ("method", "path", "body", "refused"), ROLE_MATRIX, ids=[f"{m} {p}" for m, p, _, _ in ROLE_MATRIX]
)
def test_each_role_of_a_firm_is_refused_what_its_job_does_not_include(
    world: World, method, path, body, refused
):
    params = {name: world.ids[name][0] for name in _params(path)}
    answers = {
        role: world.call(method, path, world.a[role], params, body=_filled(body, world.ids))
        for role in refused
    }

    assert {role: (r.status, r.body) for role, r in answers.items() if r.status not in (403, 404)} == {}
    assert world.tenant_items(world.demo.tenants["greenfield"]) == world.baseline


def test_a_guard_lists_a_communitys_passes_without_any_token(world: World):
    site = world.ids["site_id"][0]

    reply = world.call("get", "/passes", world.a["guard"], query={"site_id": site})

    assert reply.status == 200
    assert reply.body["items"]
    assert world.pass_token not in json.dumps(reply.body)
    assert {(p["token"], p["qr_url"], p["share_url"]) for p in reply.body["items"]} == {(None, None, None)}


@pytest.mark.parametrize("resident", ["foreign", "malformed"])
def test_assisted_mode_for_a_resident_of_another_firm_reaches_nothing(world: World, resident: str):
    a_resident = world.ids["resident_id"][0]
    on_behalf_of = a_resident if resident == "foreign" else "T#greenfield#PERSON"
    body = {"visitor_name": "Assisted", "site_id": world.b_site_id}

    reply = world.call(
        "post", "/passes", world.b["service_desk"], body=body, headers={"X-On-Behalf-Of": on_behalf_of}
    )

    assert reply.status in (400, 403, 404)
    assert leaked_values(world, reply) == []
    assert world.tenant_items(world.demo.tenants["greenfield"]) == world.baseline


def test_assisted_mode_is_not_for_roles_that_do_not_assist(world: World):
    resident = world.ids["resident_id"][0]
    for role in ("technician", "guard", "finance", "resident"):
        reply = world.call(
            "post",
            "/passes",
            world.a[role],
            body={"visitor_name": "Assisted", "site_id": world.ids["site_id"][0]},
            headers={"X-On-Behalf-Of": resident},
        )
        assert reply.status in (400, 403), role


def test_a_cursor_works_only_on_its_own_list_and_tenant(world: World):
    site = world.ids["site_id"][0]
    first = world.call("get", "/residents", world.a["manager"], query={"limit": "1"})
    cursor = first.body["next_cursor"]
    assert cursor, "the world has more than one resident"

    other_tenant = world.call("get", "/residents", world.b["manager"], query={"limit": "1", "cursor": cursor})
    other_list = world.call(
        "get", "/passes", world.a["manager"], query={"site_id": site, "limit": "1", "cursor": cursor}
    )
    tampered = world.call(
        "get", "/residents", world.a["manager"], query={"limit": "1", "cursor": cursor[:-3] + "xyz"}
    )

    assert (other_tenant.status, other_list.status, tampered.status) == (400, 400, 400)
    assert leaked_values(world, other_tenant) == []


def test_the_import_worker_given_another_tenants_job_changes_nothing(world: World):
    from directory import imports_handler

    a_import = world.ids["import_id"][0]
    b_tenant = world.demo.tenants["harbour"]
    before = world.tenant_items(world.demo.tenants["greenfield"])
    records = [
        {"action": "validate", "tenant_id": b_tenant, "import_id": a_import},
        {"action": "commit", "tenant_id": b_tenant, "import_id": a_import},
    ]
    event = {
        "Records": [
            {
                "messageId": f"m{index}",
                "receiptHandle": f"r{index}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:imports",
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(records)
        ]
    }

    result = imports_handler.lambda_handler(event, lambda_context())

    assert result == {"batchItemFailures": []}
    assert world.tenant_items(world.demo.tenants["greenfield"]) == before


def leaked_values(world: World, reply: Any) -> list[str]:
    answer = json.dumps(reply.body, ensure_ascii=False)
    return sorted(s for s in world.secrets() if s in answer and len(s) > 6)
