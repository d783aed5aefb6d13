"""Family proxies (子女代办) through the directory handler: the parent consents in the app (or the desk
records the consent), the child accepts the code with their own account, everyone sees the link, and the
parent, the desk or the child revokes it; every step audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply
from tests.integration.directory.test_invites import accept, cognito_user, issue, put_unit, signed_up

Call = Callable[..., Reply]


def accept_proxy(handler: Any, code: str, claims: dict[str, str]) -> Reply:
    """POST /proxies/accept with raw claims (the child's account may not belong to the firm yet)."""
    from tests.factories import api_event, lambda_context

    raw = handler.lambda_handler(
        api_event("POST", "/proxies/accept", claims=claims, body={"code": code}), lambda_context()
    )
    return Reply(raw["statusCode"], json.loads(raw["body"]) if raw.get("body") else None, raw)


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业")


@pytest.fixture
def unit(stack: Stack, tenant: str) -> str:
    return put_unit(stack, tenant)


@pytest.fixture
def desk(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.SERVICE_DESK)


@pytest.fixture
def parent(call: Call, handler: Any, stack: Stack, tenant: str, desk: Caller, unit: str) -> Caller:
    """张阿姨: a resident of the unit with her own login (she joined by invitation)."""
    code = issue(call, desk, unit)["code"]
    claims = signed_up(stack, "granny-zhang")
    assert accept(handler, code, claims).status == 200
    return Caller(tenant, claims["sub"], (Role.RESIDENT,), "granny-zhang")


def audit_actions(stack: Stack, tenant: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return sorted(
        i["action"]["S"] for i in items if i["action"]["S"].startswith("proxy.") and tenant in i["pk"]["S"]
    )


def test_the_parent_consents_the_child_accepts_and_the_parent_revokes(
    call: Call, handler: Any, stack: Stack, tenant: str, unit: str, parent: Caller
) -> None:
    created = call(
        "POST", f"/units/{unit}/proxies", as_=parent, body={"proxy_name": "张小明", "relation": "child"}
    )
    assert created.status == 201, created.body
    assert (created.body["status"], created.body["consent_by"]) == ("invited", "resident")
    code = created.body["code"]

    son_claims = signed_up(stack, "son-in-shenzhen")  # another city, no firm yet
    accepted = accept_proxy(handler, code, son_claims)
    assert accepted.status == 200, accepted.body
    assert accepted.body["status"] == "active"
    assert accepted.body["code"] is None  # never shown again
    assert cognito_user(stack, "son-in-shenzhen")["attributes"]["custom:tenant_id"] == tenant
    son = Caller(tenant, son_claims["sub"], (Role.RESIDENT,), "son-in-shenzhen")
    assert [p["unit_id"] for p in call("GET", "/me/proxies", as_=son).body["items"]] == [unit]
    # The code works once.
    assert accept_proxy(handler, code, signed_up(stack, "someone-else")).status == 409

    listed = call("GET", f"/units/{unit}/proxies", as_=parent).body["items"]
    assert [(p["proxy_name"], p["status"], p["unit_label"]) for p in listed] == [
        ("张小明", "active", "1-1-101")
    ]

    revoked = call("POST", f"/units/{unit}/proxies/{created.body['proxy_id']}/revoke", as_=parent)
    assert revoked.status == 200, revoked.body
    assert revoked.body["status"] == "revoked"
    assert call("GET", "/me/proxies", as_=son).body["items"] == []
    assert audit_actions(stack, tenant) == ["proxy.accept", "proxy.create", "proxy.revoke"]


def test_the_desk_must_record_how_the_parent_consented(
    call: Call, tenant: str, unit: str, desk: Caller
) -> None:
    missing = call("POST", f"/units/{unit}/proxies", as_=desk, body={"proxy_name": "张小明"})
    assert missing.status == 422, missing.body
    recorded = call(
        "POST",
        f"/units/{unit}/proxies",
        as_=desk,
        body={"proxy_name": "张小明", "consent_note": "2026-03-10 张阿姨来电确认同意"},
    )
    assert recorded.status == 201, recorded.body
    assert recorded.body["consent_by"] == "desk"


def test_nobody_else_sees_or_links_a_units_proxies(
    call: Call, stack: Stack, tenant: str, unit: str, parent: Caller, caller: Callable[..., Caller],
    make_tenant: Callable[..., str],
) -> None:  # fmt: skip
    neighbour = caller(tenant, Role.RESIDENT)
    assert call("POST", f"/units/{unit}/proxies", as_=neighbour, body={"proxy_name": "李四"}).status == 404
    assert call("GET", f"/units/{unit}/proxies", as_=neighbour).status == 404
    technician = caller(tenant, Role.TECHNICIAN)
    assert call("GET", f"/units/{unit}/proxies", as_=technician).status == 403
    other_firm = caller(make_tenant(name="别家物业"), Role.SERVICE_DESK)
    assert call("GET", f"/units/{unit}/proxies", as_=other_firm).status == 404


# ---------------------------------------------------------------- the desk acts for the parent (assisted)


def _assisting(resident_id: str) -> dict[str, str]:
    return {
        "X-On-Behalf-Of": resident_id,
        "X-Assist-Reason": "%E8%80%81%E4%BA%BA%E6%9D%A5%E7%94%B5",
    }  # 老人来电


def _audit(stack: Stack, tenant: str, action: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return [i for i in items if i["action"]["S"] == action and tenant in i["pk"]["S"]]


def test_the_desk_links_and_revokes_a_proxy_for_the_parent_in_assisted_mode(
    call: Call, stack: Stack, tenant: str, unit: str, parent: Caller, desk: Caller
) -> None:
    granny = call("GET", "/me", as_=parent).body["person"]["person_id"]

    created = call(
        "POST",
        f"/units/{unit}/proxies",
        as_=desk,
        body={"proxy_name": "张小明", "relation": "child"},
        headers=_assisting(granny),
    )

    # The parent consents on the phone and the desk acts as her: her consent, audited with both identities.
    assert created.status == 201, created.body
    assert created.body["consent_by"] == "resident"
    record = _audit(stack, tenant, "proxy.create")[0]
    assert (record["actor"]["S"], record["on_behalf_of"]["S"]) == (desk.user_id, granny)
    assert record["assist_reason"]["S"] == "老人来电"
    listed = call("GET", f"/units/{unit}/proxies", as_=desk, headers=_assisting(granny))
    assert [p["proxy_id"] for p in listed.body["items"]] == [created.body["proxy_id"]]

    revoked = call(
        "POST",
        f"/units/{unit}/proxies/{created.body['proxy_id']}/revoke",
        as_=desk,
        headers=_assisting(granny),
    )
    assert revoked.status == 200, revoked.body
    assert revoked.body["status"] == "revoked"
    assert _audit(stack, tenant, "proxy.revoke")[0]["on_behalf_of"]["S"] == granny


def test_assisted_mode_links_no_unit_the_resident_does_not_live_in_and_accepts_no_code(
    call: Call, handler: Any, stack: Stack, tenant: str, unit: str, parent: Caller, desk: Caller
) -> None:
    granny = call("GET", "/me", as_=parent).body["person"]["person_id"]
    elsewhere = put_unit(stack, tenant, "1-1-102")

    other_unit = call(
        "POST",
        f"/units/{elsewhere}/proxies",
        as_=desk,
        body={"proxy_name": "张小明"},
        headers=_assisting(granny),
    )
    assert other_unit.status == 404, other_unit.body
    # Accepting a code signs another person's own account in: never on someone's behalf.
    code = call("POST", f"/units/{unit}/proxies", as_=parent, body={"proxy_name": "张小明"}).body["code"]
    assisted_accept = call(
        "POST", "/proxies/accept", as_=desk, body={"code": code}, headers=_assisting(granny)
    )
    assert assisted_accept.status == 400, assisted_accept.body
    assert _audit(stack, tenant, "proxy.accept") == []
