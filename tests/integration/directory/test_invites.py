"""Invitations through the directory handler: issue, accept (with or without a tenant claim), reuse."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.events import EventPublisher
from courtyard.ids import new_id
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply, table_items

PHONE = "13812345678"
CODE = re.compile(
    r"^(?P<tenant>[0-9A-Z]+)\.[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$"
)

Call = Callable[..., Reply]


def put_unit(stack: Stack, tenant_id: str, room: str = "1-1-101") -> str:
    unit_id = new_id()
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(
        Item={
            **Keys.unit(tenant_id, unit_id),
            "tenant_id": tenant_id,
            "unit_id": unit_id,
            "site_id": "SITE1",
            "building_id": "B1",
            "room_key": room,
            "kind": "residential",
        }
    )
    return unit_id


def signed_up(stack: Stack, username: str, tenant_id: str | None = None) -> dict[str, str]:
    """A self-registered Cognito account and the claims of its token (no tenant claim unless given)."""
    values = {"email": f"{username}@example.com", "name": "小王"}
    if tenant_id:
        values["custom:tenant_id"] = tenant_id
    attributes: list[Any] = [{"Name": name, "Value": value} for name, value in values.items()]
    user = boto3.client("cognito-idp").admin_create_user(
        UserPoolId=stack.ref("UserPool"),
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=attributes,
    )["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    claims = {
        "sub": sub,
        "cognito:username": username,
        "email": f"{username}@example.com",
        "name": "小王",
        "token_use": "id",
    }
    if tenant_id:
        claims |= {"custom:tenant_id": tenant_id, "cognito:groups": "resident"}
    return claims


def accept(handler: Any, code: str, claims: dict[str, str] | None, **kwargs: Any) -> Reply:
    """POST /invites/{code}/accept with raw claims (the conftest caller always carries a tenant)."""
    from tests.factories import api_event, lambda_context

    raw = handler.lambda_handler(
        api_event("POST", f"/invites/{code}/accept", claims=claims, **kwargs), lambda_context()
    )
    return Reply(raw["statusCode"], json.loads(raw["body"]) if raw.get("body") else None, raw)


def cognito_user(stack: Stack, username: str) -> dict[str, Any]:
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=stack.ref("UserPool"), Username=username)
    groups = boto3.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=stack.ref("UserPool"), Username=username
    )
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    return {
        "attributes": attributes,
        "groups": [g["GroupName"] for g in groups["Groups"]],
        "enabled": user["Enabled"],
    }


def invite_key(stack: Stack, tenant_id: str) -> dict[str, Any]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("DirectoryTable"))["Items"]
    invite = next(i for i in items if i["sk"]["S"] == "INVITE" and i["tenant_id"]["S"] == tenant_id)
    return {"pk": invite["pk"], "sk": invite["sk"]}


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业")


@pytest.fixture
def manager(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.MANAGER)


@pytest.fixture
def unit(stack: Stack, tenant: str) -> str:
    return put_unit(stack, tenant)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    monkeypatch.setattr(EventPublisher, "publish", lambda self, kind, detail: events.append((kind, detail)))
    return events


def issue(call: Call, as_: Caller, unit: str, **fields: Any) -> dict[str, Any]:
    reply = call("POST", "/invites", as_=as_, body={"unit_id": unit, "relation": "owner", **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


# ---------------------------------------------------------------- issue


def test_manager_issues_a_code_shown_once_and_stored_only_as_a_digest(call, stack, tenant, manager, unit):
    started = datetime.now(UTC)
    body = issue(call, manager, unit, primary=True, invitee_name="王奶奶", invitee_phone="138 1234 5678")
    match = CODE.match(body["code"])
    assert match
    assert match["tenant"] == tenant
    # An https link into the mobile app from the template's PassShareBaseUrl (its default here), code in the
    # fragment.
    assert body["share_link"] == f"https://courtyard.example/m/join#{body['code']}"
    assert (body["unit_id"], body["relation"], body["primary"]) == (unit, "owner", True)
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=71, minutes=59) < expires - started < timedelta(hours=72, minutes=1)
    stored = json.dumps(table_items(stack), ensure_ascii=False)
    secret = body["code"].split(".")[1]
    assert secret not in stored
    assert secret.replace("-", "") not in stored
    assert PHONE not in stored
    assert "王奶奶" not in stored


def test_service_desk_issues_with_a_chosen_expiry(call, caller, tenant, unit):
    started = datetime.now(UTC)
    body = issue(call, caller(tenant, Role.SERVICE_DESK), unit, expires_in_hours=1)
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires - started < timedelta(hours=1, minutes=1)


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT])
def test_other_roles_cannot_issue_invitations(call, caller, stack, tenant, unit, role):
    before = table_items(stack)
    reply = call("POST", "/invites", as_=caller(tenant, role), body={"unit_id": unit, "relation": "owner"})
    assert reply.status == 403
    assert table_items(stack) == before


@pytest.mark.parametrize(
    "body",
    [
        {"relation": "owner"},
        {"unit_id": "U", "relation": "guest"},
        {"unit_id": "U", "relation": "owner", "expires_in_hours": 0},
        {"unit_id": "U", "relation": "owner", "expires_in_hours": 100_000},
        {"unit_id": "U", "relation": "owner", "invitee_phone": "555"},
        {"unit_id": "U", "relation": "owner", "secret": "mine"},
    ],
)
def test_bad_invitations_are_422_and_write_nothing(call, stack, manager, unit, body):
    body = {**body, "unit_id": unit} if "unit_id" in body else body
    before = table_items(stack)
    reply = call("POST", "/invites", as_=manager, body=body)
    assert reply.status == 422, reply.body
    assert reply.body["error"]["code"] in ("validation_failed", "unprocessable")
    assert table_items(stack) == before


def test_inviting_to_an_unknown_or_foreign_unit_is_404(call, stack, make_tenant, manager):
    foreign = put_unit(stack, make_tenant(name="港湾物业"))
    before = table_items(stack)
    for unit in (foreign, new_id()):
        assert (
            call("POST", "/invites", as_=manager, body={"unit_id": unit, "relation": "owner"}).status == 404
        )
    assert table_items(stack) == before


# ---------------------------------------------------------------- list


def test_a_units_invitations_are_listed_newest_first_without_their_codes(
    call, handler, stack, tenant, manager, unit
):
    first = issue(
        call, manager, unit, invitee_name="王奶奶", invitee_phone="138 1234 5678", relation="family"
    )
    second = issue(call, manager, unit, relation="renter", primary=True)
    other_unit = put_unit(stack, tenant, "1-1-102")
    issue(call, manager, other_unit)

    reply = call("GET", "/invites", as_=manager, query={"unit_id": unit})
    assert reply.status == 200, reply.body
    items = reply.body["items"]
    assert [(i["relation"], i["primary"], i["status"]) for i in items] == [
        ("renter", True, "open"),
        ("family", False, "open"),
    ]
    assert items[1]["invitee_name"] == "王奶奶"
    assert items[1]["invitee_phone"] == "138****5678"
    assert items[1]["expires_at"] == first["expires_at"]
    listed = json.dumps(reply.body, ensure_ascii=False)
    # A code is shown once, when issued: never in a list.
    for code in (first["code"], second["code"]):
        assert code.split(".")[1] not in listed

    # Who joined: the used invitation names the resident it made.
    accepted = accept(handler, first["code"], signed_up(stack, "granny"))
    assert accepted.status == 200, accepted.body
    items = call("GET", "/invites", as_=manager, query={"unit_id": unit}).body["items"]
    used = next(i for i in items if i["invitee_name"] == "王奶奶")
    assert used["status"] == "used"
    assert used["resident_id"] == accepted.body["resident_id"]
    assert used["used_at"]


def test_invitation_lists_page_with_the_cursor(call, manager, unit):
    for _ in range(3):
        issue(call, manager, unit)
    first = call("GET", "/invites", as_=manager, query={"unit_id": unit, "limit": "2"}).body
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = call(
        "GET", "/invites", as_=manager, query={"unit_id": unit, "limit": "2", "cursor": first["next_cursor"]}
    ).body
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


def test_an_expired_invitation_is_listed_as_expired(call, stack, tenant, manager, unit):
    issue(call, manager, unit, expires_in_hours=1)
    past = datetime.now(UTC) - timedelta(minutes=1)
    boto3.client("dynamodb").update_item(
        TableName=stack.ref("DirectoryTable"),
        Key=invite_key(stack, tenant),
        UpdateExpression="SET expires_epoch = :e",
        ExpressionAttributeValues={":e": {"N": str(int(past.timestamp()))}},
    )
    items = call("GET", "/invites", as_=manager, query={"unit_id": unit}).body["items"]
    assert [i["status"] for i in items] == ["expired"]


def test_listing_invitations_is_for_the_desk_and_only_of_the_firms_own_units(
    call, caller, stack, make_tenant, tenant, manager, unit
):
    issue(call, manager, unit)
    desk = call("GET", "/invites", as_=caller(tenant, Role.SERVICE_DESK), query={"unit_id": unit})
    assert desk.status == 200
    assert len(desk.body["items"]) == 1
    for role in (Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT):
        assert call("GET", "/invites", as_=caller(tenant, role), query={"unit_id": unit}).status == 403
    other = make_tenant(name="港湾物业")
    assert call("GET", "/invites", as_=caller(other, Role.MANAGER), query={"unit_id": unit}).status == 404
    assert call("GET", "/invites", as_=manager, query={"unit_id": new_id()}).status == 404
    missing = call("GET", "/invites", as_=manager)
    assert missing.status == 422
    assert missing.body["error"]["code"] == "validation_failed"


# ---------------------------------------------------------------- accept


def test_an_account_without_a_tenant_accepts_and_becomes_a_resident(
    call, handler, stack, tenant, manager, unit, published
):
    code = issue(call, manager, unit, relation="renter", primary=True)["code"]
    claims = signed_up(stack, "xiaowang")
    reply = accept(handler, code, claims)
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["tenant_id"], body["unit_id"], body["relation"], body["primary"]) == (
        tenant,
        unit,
        "renter",
        True,
    )
    assert body["refresh_token"] is True
    assert body["account"] is None
    account = cognito_user(stack, "xiaowang")
    assert account["attributes"]["custom:tenant_id"] == tenant
    assert account["groups"] == ["resident"]
    assert [(k, d.resident_id, d.unit_id) for k, d in published] == [
        ("ResidentRegistered", body["resident_id"], unit)
    ]
    # The refreshed token carries the tenant: /me shows the new resident and their unit.
    me = call("GET", "/me", as_=Caller(tenant, claims["sub"], (Role.RESIDENT,), "xiaowang")).body
    assert me["person"]["person_id"] == body["resident_id"]
    assert me["person"]["name"] == "小王"
    assert [(u["unit_id"], u["relation"], u["primary"]) for u in me["person"]["units"]] == [
        (unit, "renter", True)
    ]
    export = call("GET", "/me/export", as_=Caller(tenant, claims["sub"], (Role.RESIDENT,), "xiaowang")).body
    assert [i["unit_id"] for i in export["invites_accepted"]] == [unit]


def test_a_courtyard_identity_account_accepts_without_the_user_pool_and_the_event_names_it(
    call, handler, stack, tenant, manager, unit, published
):
    code = issue(call, manager, unit)["code"]
    # A resident signed in through Courtyard's identity service: flat claims, no user-pool account.
    claims = {"sub": "acct-01", "cognito:username": "cy_acct-01", "identity": "courtyard", "token_use": "id"}
    reply = accept(handler, code, claims)
    assert reply.status == 200, reply.body
    [(kind, detail)] = published
    assert kind == "ResidentRegistered"
    assert (detail.user_id, detail.resident_id) == ("acct-01", reply.body["resident_id"])


def test_an_invitation_with_the_invitees_phone_reuses_their_resident_record(
    call, handler, stack, manager, unit, texts
):
    existing = call("POST", "/residents", as_=manager, body={"name": "王奶奶", "phone": PHONE}).body[
        "resident_id"
    ]
    code = issue(call, manager, unit, invitee_phone="+86 13812345678", relation="family")["code"]
    granny = signed_up(stack, "granny")
    asked = accept(handler, code, granny)
    assert (asked.status, asked.body["error"]["code"]) == (409, "phone_code_required")
    reply = accept(handler, code, granny, body={"phone_code": texts.last_code()})
    assert reply.status == 200, reply.body
    assert reply.body["resident_id"] == existing
    shown = call("GET", f"/residents/{existing}", as_=manager).body
    assert shown["has_account"] is True
    assert [(u["unit_id"], u["relation"]) for u in shown["units"]] == [(unit, "family")]


def test_a_used_code_is_refused_for_anyone_else_and_repeated_for_its_user(
    call, handler, stack, manager, unit, published
):
    code = issue(call, manager, unit)["code"]
    first_claims = signed_up(stack, "first")
    first = accept(handler, code, first_claims)
    assert first.status == 200
    before = table_items(stack)
    second = accept(handler, code, signed_up(stack, "second"))
    assert second.status == 409
    assert second.body["error"]["code"] == "invite_used"
    assert table_items(stack) == before
    again = accept(handler, code, first_claims)
    assert (again.status, again.body) == (200, first.body)
    assert table_items(stack) == before
    assert len(published) == 1


def test_an_acceptance_whose_transaction_went_through_before_a_retry_is_not_refused(
    call, handler, stack, manager, unit, monkeypatch
):
    """The SDK retries a TransactWriteItems whose answer was slow; if the first attempt had committed, the
    retry's conditions fail (moto keeps no ClientRequestToken). The acceptance is the account's own: 200."""
    from directory.people.repository import TransactionRefused, Tx

    code = issue(call, manager, unit)["code"]
    original = Tx.run

    def committed_then_refused(self: Tx) -> None:
        original(self)
        if any(label == "invite" for label in self._labels):
            raise TransactionRefused(frozenset({"invite", "user"}))

    monkeypatch.setattr(Tx, "run", committed_then_refused)
    claims = signed_up(stack, "slowanswer")
    reply = accept(handler, code, claims)
    assert reply.status == 200, reply.body
    shown = call("GET", f"/residents/{reply.body['resident_id']}", as_=manager).body
    assert [u["unit_id"] for u in shown["units"]] == [unit]
    assert cognito_user(stack, "slowanswer")["groups"] == ["resident"]


def test_an_expired_code_is_refused_and_writes_nothing(call, handler, stack, tenant, manager, unit):
    code = issue(call, manager, unit)["code"]
    past = datetime.now(UTC) - timedelta(minutes=1)
    boto3.client("dynamodb").update_item(
        TableName=stack.ref("DirectoryTable"),
        Key=invite_key(stack, tenant),
        UpdateExpression="SET expires_epoch = :e",
        ExpressionAttributeValues={":e": {"N": str(int(past.timestamp()))}},
    )
    before = table_items(stack)
    reply = accept(handler, code, signed_up(stack, "late"))
    assert reply.status == 409
    assert reply.body["error"]["code"] == "invite_expired"
    assert table_items(stack) == before


def test_unknown_malformed_or_misattributed_codes_are_404(call, handler, stack, make_tenant, manager, unit):
    code = issue(call, manager, unit)["code"]
    tenant_part, secret = code.split(".")
    other = make_tenant(name="港湾物业")
    claims = signed_up(stack, "guesser")
    for wrong in (
        f"{tenant_part}.0000-0000-00",
        f"{other}.{secret}",  # a real secret under another tenant's prefix proves nothing there
        f"{new_id()}.{secret}",
        "nonsense",
        f"{tenant_part}.{secret}X",
    ):
        reply = accept(handler, wrong, claims)
        assert reply.status == 404, wrong
        assert reply.body["error"]["message"] == "invitation not found"


def test_a_code_is_read_forgivingly(call, handler, stack, manager, unit):
    code = issue(call, manager, unit)["code"]
    tenant_part, secret = code.split(".")
    typed = secret.replace("-", "").lower().replace("0", "o").replace("1", "l")
    assert accept(handler, f"{tenant_part}.{typed}", signed_up(stack, "typist")).status == 200


def test_an_account_of_another_firm_is_409(call, handler, stack, make_tenant, manager, unit):
    code = issue(call, manager, unit)["code"]
    other = make_tenant(name="港湾物业")
    reply = accept(handler, code, signed_up(stack, "elsewhere", tenant_id=other))
    assert reply.status == 409
    assert reply.body["error"]["code"] == "other_tenant"
    assert reply.body["error"]["message"] == "this account belongs to another property firm"


def test_a_resident_of_the_same_firm_accepts_a_second_unit(call, handler, stack, tenant, manager, unit):
    first = accept(handler, issue(call, manager, unit)["code"], signed_up(stack, "owner2"))
    second_unit = put_unit(stack, tenant, room="2-1-101")
    claims = {
        "sub": cognito_user(stack, "owner2")["attributes"]["sub"],
        "cognito:username": "owner2",
        "custom:tenant_id": tenant,
        "cognito:groups": "resident",
    }
    reply = accept(handler, issue(call, manager, second_unit)["code"], claims)
    assert reply.status == 200, reply.body
    assert reply.body["resident_id"] == first.body["resident_id"]


def test_a_suspended_firms_code_is_refused(call, handler, stack, make_tenant, caller):
    suspended = make_tenant(name="停用物业")
    unit = put_unit(stack, suspended)
    code = issue(call, caller(suspended, Role.MANAGER), unit)["code"]
    boto3.client("dynamodb").update_item(
        TableName=stack.ref("DirectoryTable"),
        Key={k: {"S": v} for k, v in Keys.tenant(suspended).items()},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "suspended"}},
    )
    assert accept(handler, code, signed_up(stack, "toolate")).status == 403


def test_accepting_needs_a_signed_in_account(call, handler, stack, manager, unit):
    code = issue(call, manager, unit)["code"]
    assert accept(handler, code, None).status == 401
    assert accept(handler, code, {"sub": "abc", "token_use": "id"}).status == 401


# ---------------------------------------------------------------- assisted mode


def test_assisted_mode_never_opens_an_account_for_a_resident(call, caller, stack, tenant, manager, unit):
    """Issue 17: assisted mode never creates sign-ins; the header is a 400 here and nothing is written."""
    granny = call("POST", "/residents", as_=manager, body={"name": "王奶奶", "phone": PHONE}).body[
        "resident_id"
    ]
    code = issue(call, manager, unit, relation="family")["code"]
    before = table_items(stack)
    pool = stack.ref("UserPool")
    users_before = len(boto3.client("cognito-idp").list_users(UserPoolId=pool)["Users"])

    reply = call(
        "POST",
        f"/invites/{code}/accept",
        as_=caller(tenant, Role.SERVICE_DESK),
        headers={"X-On-Behalf-Of": granny, "X-Assist-Reason": "elderly"},
        body={},
    )

    assert reply.status == 400
    assert table_items(stack) == before
    assert (
        len(boto3.client("cognito-idp").list_users(UserPoolId=stack.ref("UserPool"))["Users"]) == users_before
    )


# ---------------------------------------------------------------- one phone, one person

SHARED = "13912340001"


def test_inviting_a_name_under_a_phone_on_record_for_someone_else_is_refused(
    call, stack, tenant, manager, unit
):
    zhang = call("POST", "/residents", as_=manager, body={"name": "张三", "phone": SHARED})
    assert zhang.status == 201
    before = table_items(stack)

    reply = call(
        "POST",
        "/invites",
        as_=manager,
        body={"unit_id": unit, "relation": "owner", "invitee_name": "李四", "invitee_phone": SHARED},
    )

    assert reply.status == 409, reply.body
    assert reply.body["error"]["code"] == "identity_mismatch"
    assert SHARED not in json.dumps(reply.body)
    assert table_items(stack) == before


def test_the_second_person_of_a_shared_phone_cannot_accept_into_the_first_persons_record(
    call, handler, stack, tenant, manager, unit
):
    # Invited while the number was nobody's; the first person was registered with it before she accepted.
    code = issue(call, manager, unit, invitee_name="李四", invitee_phone=SHARED)["code"]
    home = put_unit(stack, tenant, room="2-1-101")
    zhang = call(
        "POST",
        "/residents",
        as_=manager,
        body={"name": "张三", "phone": SHARED, "units": [{"unit_id": home, "relation": "owner"}]},
    ).body["resident_id"]
    claims = signed_up(stack, "lisi")
    before = table_items(stack)

    reply = accept(handler, code, claims)

    assert reply.status == 409, reply.body
    assert reply.body["error"]["code"] == "identity_mismatch"
    assert "service desk" in reply.body["error"]["message"]
    assert table_items(stack) == before
    assert "custom:tenant_id" not in cognito_user(stack, "lisi")["attributes"]
    shown = call("GET", f"/residents/{zhang}", as_=manager).body
    assert shown["has_account"] is False
    assert [u["unit_id"] for u in shown["units"]] == [home]


def test_an_invitation_naming_the_person_on_record_attaches_the_account_to_them(
    call, handler, stack, manager, unit, texts
):
    zhang = call("POST", "/residents", as_=manager, body={"name": "张三", "phone": SHARED}).body
    code = issue(call, manager, unit, invitee_name="张 三", invitee_phone=SHARED)["code"]
    claims = signed_up(stack, "zhangsan")
    accept(handler, code, claims)

    reply = accept(handler, code, claims, body={"phone_code": texts.last_code()})

    assert reply.status == 200, reply.body
    assert reply.body["resident_id"] == zhang["resident_id"]


def test_a_resident_with_an_account_cannot_take_an_invitation_meant_for_another_person(
    call, handler, stack, tenant, manager, unit
):
    first = accept(handler, issue(call, manager, unit)["code"], signed_up(stack, "wangwu"))
    assert first.status == 200
    second_unit = put_unit(stack, tenant, room="2-1-101")
    zhao = call("POST", "/residents", as_=manager, body={"name": "赵六", "phone": SHARED})
    assert zhao.status == 201
    code = issue(call, manager, second_unit, invitee_phone=SHARED)["code"]
    claims = {
        "sub": cognito_user(stack, "wangwu")["attributes"]["sub"],
        "cognito:username": "wangwu",
        "custom:tenant_id": tenant,
        "cognito:groups": "resident",
    }
    before = table_items(stack)

    reply = accept(handler, code, claims)

    assert reply.status == 409, reply.body
    assert reply.body["error"]["code"] == "identity_mismatch"
    assert table_items(stack) == before
