"""GET /me, GET /me/export and POST /me/erase through the directory handler on moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest

from courtyard.aws_calls import count_aws_calls
from courtyard.crypto import FieldCipher
from courtyard.directory import Keys
from courtyard.events import EventPublisher
from courtyard.ids import new_id
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.factories import FakeLambdaContext, api_event, body_of
from tests.integration.directory.conftest import Caller, Reply, table_items

PHONE = "13812345678"
STAFF_PHONE = "13600001111"
ID_NUMBER = "11010519491231002X"

Call = Callable[..., Reply]


def put_item(stack: Stack, item: dict[str, Any]) -> None:
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(Item=item)


def put_unit(stack: Stack, tenant_id: str, room: str = "1-1-101") -> str:
    unit_id = new_id()
    put_item(
        stack,
        {
            **Keys.unit(tenant_id, unit_id),
            "tenant_id": tenant_id,
            "unit_id": unit_id,
            "site_id": "SITE1",
            "building_id": "B1",
            "room_key": room,
            "kind": "residential",
        },
    )
    return unit_id


def put_user_link(stack: Stack, caller: Caller, kind: str, person_id: str) -> None:
    put_item(
        stack,
        {
            **Keys.user(caller.tenant_id, caller.user_id),
            "tenant_id": caller.tenant_id,
            "user_id": caller.user_id,
            "kind": kind,
            "person_id": person_id,
            "username": caller.username,
        },
    )


def put_staff(stack: Stack, caller: Caller, name: str) -> str:
    """A staff record as the staff part of the directory writes it, linked to the caller's account."""
    staff_id = new_id()
    phone_enc = FieldCipher(stack.ref("PiiKey")).encrypt(caller.tenant_id, STAFF_PHONE)
    put_item(
        stack,
        {
            **Keys.staff(caller.tenant_id, staff_id),
            "tenant_id": caller.tenant_id,
            "staff_id": staff_id,
            "name": name,
            "phone_enc": phone_enc,
            "email": "staff@example.com",
            "roles": [r.value for r in caller.roles],
            "zones": ["SITE1"],
            "skills": ["plumbing"],
            "on_duty": True,
            "created_at": "2026-01-01T00:00:00.000Z",
        },
    )
    put_user_link(stack, caller, "staff", staff_id)
    return staff_id


def create_cognito_user(stack: Stack, caller: Caller) -> None:
    boto3.client("cognito-idp").admin_create_user(
        UserPoolId=stack.ref("UserPool"),
        Username=caller.username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{caller.username}@example.com"}],
    )


def cognito_enabled(stack: Stack, username: str) -> bool:
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=stack.ref("UserPool"), Username=username)
    return bool(user["Enabled"])


def cognito_account_exists(stack: Stack, username: str) -> bool:
    users = boto3.client("cognito-idp").list_users(UserPoolId=stack.ref("UserPool"))["Users"]
    return any(user["Username"] == username for user in users)


def audit_items(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"])


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业 Greenfield Property")


@pytest.fixture
def manager(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.MANAGER)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    monkeypatch.setattr(EventPublisher, "publish", lambda self, kind, detail: events.append((kind, detail)))
    return events


@pytest.fixture
def resident(
    call: Call, caller: Callable[..., Caller], stack: Stack, tenant: str, manager: Caller
) -> dict[str, Any]:
    """A resident of one unit with a Cognito account linked to their record."""
    unit = put_unit(stack, tenant)
    reply = call(
        "POST",
        "/residents",
        as_=manager,
        body={
            "name": "陈业主",
            "phone": PHONE,
            "id_number": ID_NUMBER,
            "email": "chen@example.com",
            "units": [{"unit_id": unit, "relation": "owner", "primary": True}],
        },
    )
    me = caller(tenant, Role.RESIDENT)
    create_cognito_user(stack, me)
    put_user_link(stack, me, "resident", reply.body["resident_id"])
    boto3.client("dynamodb").update_item(
        TableName=stack.ref("DirectoryTable"),
        Key={k: {"S": v} for k, v in Keys.resident(tenant, reply.body["resident_id"]).items()},
        UpdateExpression="SET user_id = :u, username = :n",
        ExpressionAttributeValues={":u": {"S": me.user_id}, ":n": {"S": me.username}},
    )
    return {"caller": me, "resident_id": reply.body["resident_id"], "unit_id": unit}


# ---------------------------------------------------------------- GET /me


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.RESIDENT, Role.PLATFORM_ADMIN)])
def test_every_staff_role_reads_its_own_identity_and_staff_record(call, caller, stack, tenant, role):
    me = caller(tenant, role)
    staff_id = put_staff(stack, me, "张师傅")
    reply = call("GET", "/me", as_=me)
    assert reply.status == 200
    body = reply.body
    assert (body["tenant_id"], body["user_id"], body["username"], body["roles"]) == (
        tenant,
        me.user_id,
        me.username,
        [role.value],
    )
    assert body["tenant"] == {
        "tenant_id": tenant,
        "name": "绿城物业 Greenfield Property",
        "status": "active",
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "locale": "zh-CN",
    }
    person = body["person"]
    assert (person["kind"], person["person_id"], person["name"], person["phone"]) == (
        "staff",
        staff_id,
        "张师傅",
        "136****1111",  # masked: an ordinary GET /me reads no personal data (issue 18)
    )
    assert (person["roles"], person["zones"], person["skills"], person["on_duty"]) == (
        [role.value],
        ["SITE1"],
        ["plumbing"],
        True,
    )


def test_a_resident_reads_their_identity_person_and_units(call, resident):
    reply = call("GET", "/me", as_=resident["caller"])
    assert reply.status == 200
    person = reply.body["person"]
    assert (person["kind"], person["person_id"], person["name"], person["phone"]) == (
        "resident",
        resident["resident_id"],
        "陈业主",
        "138****5678",
    )
    assert person["units"] == [
        {
            "unit_id": resident["unit_id"],
            "site_id": "SITE1",
            "room": "1-1-101",
            "relation": "owner",
            "primary": True,
            "since": person["units"][0]["since"],
        }
    ]
    assert ID_NUMBER not in json.dumps(reply.body)


def test_platform_admin_reads_identity_without_a_person(call, caller, tenant):
    reply = call("GET", "/me", as_=caller(tenant, Role.PLATFORM_ADMIN))
    assert reply.status == 200
    assert reply.body["roles"] == ["platform_admin"]
    assert reply.body["person"] is None


def test_a_user_who_just_signed_up_gets_identity_and_tenant_only(call, caller, tenant):
    reply = call("GET", "/me", as_=caller(tenant, Role.RESIDENT))
    assert reply.status == 200
    assert reply.body["person"] is None
    assert reply.body["tenant"]["tenant_id"] == tenant


def test_tenant_b_never_sees_tenant_a_even_with_a_tenant_a_subject(call, caller, make_tenant, resident):
    victim = resident["caller"]
    other = make_tenant(name="港湾物业")
    attacker = caller(other, Role.MANAGER, user_id=victim.user_id)
    reply = call(
        "GET",
        "/me",
        as_=attacker,
        headers={"X-Tenant-Id": victim.tenant_id},
        query={"tenant_id": victim.tenant_id},
    )
    assert reply.status == 200
    assert reply.body["tenant_id"] == other
    assert reply.body["tenant"]["tenant_id"] == other
    assert reply.body["person"] is None
    assert PHONE not in json.dumps(reply.body)
    assert "陈业主" not in json.dumps(reply.body, ensure_ascii=False)


def test_without_claims_me_is_401(call):
    reply = call("GET", "/me")
    assert reply.status == 401
    assert reply.body["error"]["code"] == "unauthorized"


def test_an_ordinary_get_me_shows_the_phone_masked_and_writes_no_audit_record(call, stack, resident):
    """Issue 18: GET /me (every app start) reads no personal data, so it leaves no audit write; the full
    number is in GET /me/export, which is audited (test below)."""
    before = len(audit_items(stack))
    reply = call("GET", "/me", as_=resident["caller"])
    assert reply.body["person"]["phone"] == "138****5678"
    assert PHONE not in json.dumps(reply.body)
    assert len(audit_items(stack)) == before


def test_the_token_s_person_id_spares_the_user_link_and_a_foreign_one_shows_nothing(
    call, stack, resident, caller, tenant
):
    named = replace(resident["caller"], person_id=resident["resident_id"])
    assert call("GET", "/me", as_=named).body["person"]["person_id"] == resident["resident_id"]
    # A token naming a record that belongs to another account (a stale or stolen claim) is no one.
    other = replace(caller(tenant, Role.RESIDENT), person_id=resident["resident_id"])
    reply = call("GET", "/me", as_=other)
    assert reply.status == 200
    assert reply.body["person"] is None


def test_suspended_tenant_is_forbidden(call, stack, tenant, manager):
    boto3.client("dynamodb").update_item(
        TableName=stack.ref("DirectoryTable"),
        Key={k: {"S": v} for k, v in Keys.tenant(tenant).items()},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "suspended"}},
    )
    reply = call("GET", "/me", as_=manager)
    assert reply.status == 403
    assert reply.body["error"]["code"] == "tenant_suspended"


def test_me_without_person_id_in_the_token_reads_the_user_link_too(call, resident):
    call("GET", "/me", as_=resident["caller"])  # warm: tenant cached, data key unwrapped once per process
    with count_aws_calls() as calls:
        reply = call("GET", "/me", as_=resident["caller"])
    assert reply.status == 200
    # GetItem of the user link and one Query of the resident's partition (profile + units); with the
    # token's person_id it is the Query alone (tests/integration/directory/test_calls_per_request.py).
    assert calls.total <= 2, calls.by_operation()


def test_unexpected_failure_is_500_with_request_id(handler, resident, monkeypatch):
    from directory.people.service import PeopleService

    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("table on fire: arn:aws:dynamodb:secret")

    monkeypatch.setattr(PeopleService, "me", explode)
    event = api_event("GET", "/me", claims=resident["caller"].claims())
    response = handler.lambda_handler(event, FakeLambdaContext())
    assert response["statusCode"] == 500
    assert body_of(response)["error"]["request_id"] == event["requestContext"]["requestId"]
    assert "arn:aws" not in response["body"]


def test_health_needs_no_claims(call):
    reply = call("GET", "/health")
    assert (reply.status, reply.body) == (200, {"status": "ok", "service": "directory"})


# ---------------------------------------------------------------- GET /me/export


def test_a_resident_exports_everything_the_directory_holds_about_them(call, stack, resident):
    reply = call("GET", "/me/export", as_=resident["caller"])
    assert reply.status == 200
    body = reply.body
    assert body["person"]["phone"] == PHONE
    assert body["person"]["id_number"] == ID_NUMBER
    assert body["person"]["email"] == "chen@example.com"
    assert body["user_id"] == resident["caller"].user_id
    assert [(u["unit_id"], u["relation"], u["source"]) for u in body["units"]] == [
        (resident["unit_id"], "owner", "staff")
    ]
    assert body["invites_accepted"] == []
    record = next(i for i in audit_items(stack) if i["action"]["S"] == "export_personal_data")
    assert json.loads(record["details"]["S"]) == {"fields": ["email", "id_number", "name", "phone"]}
    assert PHONE not in str(record)


def test_staff_export_their_staff_record(call, caller, stack, tenant):
    me = caller(tenant, Role.TECHNICIAN)
    staff_id = put_staff(stack, me, "张师傅")
    body = call("GET", "/me/export", as_=me).body
    assert (body["person"]["kind"], body["person"]["person_id"], body["person"]["phone"]) == (
        "staff",
        staff_id,
        STAFF_PHONE,
    )


def test_export_without_a_person_record_is_404(call, caller, tenant):
    assert call("GET", "/me/export", as_=caller(tenant, Role.RESIDENT)).status == 404


def test_assisted_mode_never_exports_a_person(call, caller, stack, tenant, resident):
    """Issue 17: the desk cannot export a resident's data by acting for them (400, nothing read)."""
    desk = caller(tenant, Role.SERVICE_DESK)
    headers = {"X-On-Behalf-Of": resident["resident_id"], "X-Assist-Reason": "asked by phone"}

    reply = call("GET", "/me/export", as_=desk, headers=headers)

    assert reply.status == 400
    assert not [i for i in audit_items(stack) if i["action"]["S"] == "export_personal_data"]


# ---------------------------------------------------------------- POST /me/erase


def test_erasure_anonymises_frees_the_number_disables_the_account_and_tells_billing(
    call, stack, manager, resident, published
):
    me = resident["caller"]
    reply = call("POST", "/me/erase", as_=me)
    assert reply.status == 200, reply.body
    assert reply.body["resident_id"] == resident["resident_id"]
    assert reply.body["account_disabled"] is True

    shown = call("GET", f"/residents/{resident['resident_id']}", as_=manager).body
    assert (shown["name"], shown["phone"], shown["id_number"], shown["email"], shown["erased"]) == (
        "已注销用户",
        None,
        None,
        None,
        True,
    )
    stored = json.dumps(table_items(stack), ensure_ascii=False)
    assert "陈业主" not in stored
    assert "chen@example.com" not in stored
    # The account goes with the data: Cognito keeps no name, email or phone of the person (issue 17).
    assert not cognito_account_exists(stack, me.username)
    assert [(kind, detail.resident_id, detail.user_id) for kind, detail in published] == [
        ("ResidentErased", resident["resident_id"], me.user_id)
    ]
    # The event names the account, so identity ends its sessions.
    assert published[0][1].user_id == me.user_id
    # The unit keeps the link's history, marked erased; it no longer lists the person or their primary role.
    assert call("GET", "/residents", as_=manager, query={"unit_id": resident["unit_id"]}).body["items"] == []
    assert call("GET", "/residents", as_=manager).body["items"] == []
    # The number can be registered again.
    again = call("POST", "/residents", as_=manager, body={"name": "新业主", "phone": PHONE})
    assert again.status == 201


def test_erasing_twice_answers_200_and_changes_nothing(call, stack, resident, published):
    me = resident["caller"]
    first = call("POST", "/me/erase", as_=me)
    before = table_items(stack)
    second = call("POST", "/me/erase", as_=me)
    assert second.status == 200
    assert second.body == first.body
    assert table_items(stack) == before
    assert len(published) == 1


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD])
def test_staff_accounts_are_not_erased_here(call, caller, stack, tenant, role):
    me = caller(tenant, role)
    put_staff(stack, me, "张师傅")
    before = table_items(stack)
    assert call("POST", "/me/erase", as_=me).status == 403
    assert table_items(stack) == before


def test_erase_without_a_person_record_is_404(call, caller, tenant):
    assert call("POST", "/me/erase", as_=caller(tenant, Role.RESIDENT)).status == 404


def test_assisted_mode_never_erases_a_person(call, caller, stack, tenant, resident, published):
    """Issue 17: the desk cannot erase a resident by acting for them (400, nothing changed)."""
    desk = caller(tenant, Role.SERVICE_DESK)
    before = table_items(stack)
    headers = {"X-On-Behalf-Of": resident["resident_id"], "X-Assist-Reason": "asked by phone"}

    reply = call("POST", "/me/erase", as_=desk, headers=headers)

    assert reply.status == 400
    assert table_items(stack) == before
    assert published == []
    assert cognito_enabled(stack, resident["caller"].username)
