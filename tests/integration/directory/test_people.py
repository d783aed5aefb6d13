"""Residents and unit links through the directory handler on moto: roles, tenancy, masking, audit, primary."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.ids import new_id
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply, table_items

PHONE = "13812345678"
PHONE_2 = "13987654321"
PHONE_3 = "15011112222"
ID_NUMBER = "11010519491231002X"  # a valid GB 11643 check character
STAFF = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD)

Call = Callable[..., Reply]


def put_unit(stack: Stack, tenant_id: str, site_id: str = "SITE1", room: str = "1-1-101") -> str:
    """A site and a unit written directly, as the places part of the directory writes them."""
    unit_id = new_id()
    db = boto3.client("dynamodb")
    table = stack.ref("DirectoryTable")
    site = Keys.site(tenant_id, site_id)
    db.put_item(
        TableName=table,
        Item={
            "pk": {"S": site["pk"]},
            "sk": {"S": site["sk"]},
            "site_id": {"S": site_id},
            "name": {"S": "S"},
        },
    )
    unit = Keys.unit(tenant_id, unit_id)
    db.put_item(
        TableName=table,
        Item={
            "pk": {"S": unit["pk"]},
            "sk": {"S": unit["sk"]},
            "tenant_id": {"S": tenant_id},
            "unit_id": {"S": unit_id},
            "site_id": {"S": site_id},
            "building_id": {"S": "B1"},
            "room_key": {"S": room},
            "kind": {"S": "residential"},
        },
    )
    return unit_id


def link_account(stack: Stack, tenant_id: str, resident_id: str, caller: Caller) -> None:
    """Give a resident record an account, as accepting an invitation does."""
    db = boto3.client("dynamodb")
    table = stack.ref("DirectoryTable")
    user = Keys.user(tenant_id, caller.user_id)
    db.put_item(
        TableName=table,
        Item={
            "pk": {"S": user["pk"]},
            "sk": {"S": user["sk"]},
            "tenant_id": {"S": tenant_id},
            "user_id": {"S": caller.user_id},
            "kind": {"S": "resident"},
            "person_id": {"S": resident_id},
            "username": {"S": caller.username},
        },
    )
    key = Keys.resident(tenant_id, resident_id)
    db.update_item(
        TableName=table,
        Key={"pk": {"S": key["pk"]}, "sk": {"S": key["sk"]}},
        UpdateExpression="SET user_id = :u, username = :n",
        ExpressionAttributeValues={":u": {"S": caller.user_id}, ":n": {"S": caller.username}},
    )


def audit_items(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"])


def reads_of_personal_data(stack: Stack) -> list[dict[str, Any]]:
    return [i for i in audit_items(stack) if i["action"]["S"] == "read_personal_data"]


def new_resident(call: Call, as_: Caller, phone: str = PHONE, **fields: Any) -> dict[str, Any]:
    reply = call("POST", "/residents", as_=as_, body={"name": "陈业主", "phone": phone, **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业")


@pytest.fixture
def other_tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="港湾物业")


@pytest.fixture
def manager(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.MANAGER)


# ---------------------------------------------------------------- create


def test_manager_registers_a_resident_with_units_and_the_phone_is_stored_encrypted(
    call, stack, tenant, manager
):
    unit = put_unit(stack, tenant)
    reply = call(
        "POST",
        "/residents",
        as_=manager,
        body={
            "name": " 陈  业主 ",
            "phone": "+86 138-1234-5678",
            "id_number": ID_NUMBER.lower(),
            "email": "chen@Example.COM",
            "units": [{"unit_id": unit, "relation": "owner", "primary": True}],
        },
    )
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["name"] == "陈 业主"
    assert body["phone"] == "138****5678"  # write responses are masked: the writer just sent the value
    assert body["id_number"] == "110***********002X"
    assert body["email"] == "chen@example.com"
    assert body["has_account"] is False
    assert body["units"] == [
        {
            "unit_id": unit,
            "site_id": "SITE1",
            "room": "1-1-101",
            "relation": "owner",
            "primary": True,
            "since": body["created_at"],
        }
    ]
    stored = json.dumps(table_items(stack), ensure_ascii=False)
    assert PHONE not in stored
    assert ID_NUMBER not in stored
    assert "phone_enc" in stored


def test_service_desk_may_register_a_resident(call, caller, tenant):
    assert (
        call(
            "POST", "/residents", as_=caller(tenant, Role.SERVICE_DESK), body={"name": "A", "phone": PHONE}
        ).status
        == 201
    )


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT])
def test_other_roles_cannot_register_residents(call, caller, stack, tenant, role):
    before = table_items(stack)
    reply = call("POST", "/residents", as_=caller(tenant, role), body={"name": "A", "phone": PHONE})
    assert reply.status == 403
    assert reply.body["error"]["code"] == "forbidden"
    assert table_items(stack) == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "phone": "12345"},
        {"name": "A", "phone": "138-1234-567x"},
        {"name": "A", "phone": PHONE, "id_number": "110105194912310021"},  # wrong check character
        {"name": "A", "phone": PHONE, "id_number": "110105194913310027"},  # month 13
        {"name": "A", "phone": PHONE, "email": "not-an-email"},
        {"name": "", "phone": PHONE},
        {"phone": PHONE},
        {"name": "A", "phone": PHONE, "nickname": "x"},
        {"name": "A", "phone": PHONE, "units": [{"unit_id": "U1", "relation": "lodger"}]},
        {"name": "A", "phone": PHONE, "units": [{"unit_id": "U1", "relation": "owner"}] * 2},
    ],
)
def test_bad_resident_input_is_422_and_writes_nothing(call, stack, manager, body):
    before = table_items(stack)
    reply = call("POST", "/residents", as_=manager, body=body)
    assert reply.status == 422, reply.body
    assert reply.body["error"]["code"] == "validation_failed"
    assert table_items(stack) == before
    text = json.dumps(reply.body)
    assert "110105194912310021" not in text
    assert "12345" not in text


def test_malformed_json_is_400(call, manager):
    reply = call("POST", "/residents", as_=manager, body="{not json")
    assert reply.status == 400
    assert reply.body["error"]["code"] == "invalid_json"


def test_unknown_or_foreign_unit_is_404_and_writes_nothing(call, stack, manager, other_tenant):
    foreign = put_unit(stack, other_tenant)
    before = table_items(stack)
    for unit in (foreign, new_id()):
        reply = call(
            "POST",
            "/residents",
            as_=manager,
            body={"name": "A", "phone": PHONE, "units": [{"unit_id": unit, "relation": "owner"}]},
        )
        assert reply.status == 404
        assert reply.body["error"] == {"code": "not_found", "message": "unit not found", "details": []}
    assert table_items(stack) == before


def test_same_idempotency_key_returns_the_same_resident_and_a_different_body_is_422(
    call, caller, stack, tenant, manager, other_tenant
):
    unit = put_unit(stack, tenant)
    headers = {"Idempotency-Key": "resident-0001-abcdef"}
    body = {"name": "陈业主", "phone": PHONE, "units": [{"unit_id": unit, "relation": "owner"}]}

    first = call("POST", "/residents", as_=manager, body=body, headers=headers)
    again = call("POST", "/residents", as_=manager, body=body, headers=headers)
    other = call("POST", "/residents", as_=manager, body={**body, "name": "王业主"}, headers=headers)
    elsewhere = call(
        "POST",
        "/residents",
        as_=caller(other_tenant, Role.MANAGER),
        body={**body, "units": []},
        headers=headers,
    )

    assert first.status == 201, first.body
    assert again.status == 200, again.body
    assert again.body == first.body  # the same resident, masked as the create answered it
    assert again.body["phone"] != PHONE
    assert other.status == 422, other.body
    assert other.body["error"]["details"][0]["type"] == "key_reused"
    # Another firm's manager with the same key registers their own resident (the number is free there).
    assert elsewhere.status == 201, elsewhere.body
    assert elsewhere.body["resident_id"] != first.body["resident_id"]
    claims = [i for i in table_items(stack) if "#IDEMPOTENCY#residents#" in i["pk"]["S"]]
    assert len(claims) == 2
    assert all(PHONE not in json.dumps(c) for c in claims)


def test_a_phone_number_registers_one_resident_per_tenant(call, caller, stack, manager, other_tenant):
    first = new_resident(call, manager)
    before = table_items(stack)
    reply = call("POST", "/residents", as_=manager, body={"name": "B", "phone": "138 1234 5678"})
    assert reply.status == 409
    assert reply.body["error"]["details"] == [{"resident_id": first["resident_id"]}]
    assert PHONE not in json.dumps(reply.body)
    assert table_items(stack) == before
    # Another firm has its own residents: the same number is free there.
    new_resident(call, caller(other_tenant, Role.MANAGER))


# ---------------------------------------------------------------- read and mask


def test_manager_reads_full_values_and_the_read_is_audited(call, stack, manager):
    rid = new_resident(call, manager, id_number=ID_NUMBER)["resident_id"]
    reply = call("GET", f"/residents/{rid}", as_=manager)
    assert reply.status == 200
    assert reply.body["phone"] == PHONE
    assert reply.body["id_number"] == ID_NUMBER
    reads = reads_of_personal_data(stack)
    assert len(reads) == 1
    assert reads[0]["resource_id"]["S"] == rid
    assert json.loads(reads[0]["details"]["S"])["fields"] == ["id_number", "phone"]
    assert PHONE not in json.dumps(audit_items(stack))
    assert ID_NUMBER not in json.dumps(audit_items(stack))


def test_service_desk_sees_the_full_phone_but_a_masked_id_number(call, caller, tenant, manager):
    rid = new_resident(call, manager, id_number=ID_NUMBER)["resident_id"]
    reply = call("GET", f"/residents/{rid}", as_=caller(tenant, Role.SERVICE_DESK))
    assert (reply.body["phone"], reply.body["id_number"]) == (PHONE, "110***********002X")


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.FINANCE, Role.GUARD])
def test_roles_without_need_see_masked_values_and_leave_no_read_record(
    call, caller, stack, tenant, manager, role
):
    rid = new_resident(call, manager, id_number=ID_NUMBER)["resident_id"]
    reply = call("GET", f"/residents/{rid}", as_=caller(tenant, role))
    assert reply.status == 200
    # Technicians and guards see no part of the ID number (issue 17: test_personal_data.py).
    masked_id = "110***********002X" if role is Role.FINANCE else None
    assert (reply.body["phone"], reply.body["id_number"]) == ("138****5678", masked_id)
    assert reads_of_personal_data(stack) == []


def test_another_tenants_resident_is_404_like_a_missing_one(call, caller, manager, other_tenant):
    rid = new_resident(call, manager)["resident_id"]
    outsider = caller(other_tenant, Role.MANAGER)
    for target in (rid, new_id()):
        reply = call("GET", f"/residents/{target}", as_=outsider)
        assert reply.status == 404
        assert reply.body["error"]["message"] == "resident not found"


def test_platform_admin_does_not_read_a_firms_residents(call, caller, tenant, manager):
    rid = new_resident(call, manager)["resident_id"]
    assert call("GET", f"/residents/{rid}", as_=caller(tenant, Role.PLATFORM_ADMIN)).status == 403


# ---------------------------------------------------------------- lists


def test_directory_list_pages_with_a_tenant_bound_cursor(call, caller, manager, other_tenant):
    for phone in (PHONE, PHONE_2, PHONE_3):
        new_resident(call, manager, phone=phone)
    first = call("GET", "/residents", as_=manager, query={"limit": "2"})
    assert first.status == 200
    assert len(first.body["items"]) == 2
    assert first.body["next_cursor"]
    assert all(item["units"] is None for item in first.body["items"])
    second = call("GET", "/residents", as_=manager, query={"limit": "2", "cursor": first.body["next_cursor"]})
    assert len(second.body["items"]) == 1
    assert second.body["next_cursor"] is None
    ids = {i["resident_id"] for i in first.body["items"] + second.body["items"]}
    assert len(ids) == 3
    foreign = call(
        "GET",
        "/residents",
        as_=caller(other_tenant, Role.MANAGER),
        query={"cursor": first.body["next_cursor"]},
    )
    assert foreign.status == 400
    tampered = first.body["next_cursor"][:-2] + (
        "AA" if not first.body["next_cursor"].endswith("AA") else "BB"
    )
    assert call("GET", "/residents", as_=manager, query={"cursor": tampered}).status == 400


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_list_limit_outside_1_to_100_is_422(call, manager, limit):
    assert call("GET", "/residents", as_=manager, query={"limit": limit}).status == 422


def test_list_by_unit_shows_its_people_with_their_link(call, caller, stack, tenant, manager):
    unit = put_unit(stack, tenant)
    other_unit = put_unit(stack, tenant, room="1-1-102")
    owner = new_resident(call, manager, units=[{"unit_id": unit, "relation": "owner", "primary": True}])
    new_resident(call, manager, phone=PHONE_2, units=[{"unit_id": other_unit, "relation": "owner"}])
    guard = caller(tenant, Role.GUARD)
    reply = call("GET", "/residents", as_=guard, query={"unit_id": unit})
    assert reply.status == 200
    assert [i["resident_id"] for i in reply.body["items"]] == [owner["resident_id"]]
    assert reply.body["items"][0]["units"][0]["primary"] is True
    assert reply.body["items"][0]["phone"] == "138****5678"


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.GUARD])
def test_technicians_and_guards_list_one_unit_at_a_time(call, caller, tenant, role):
    assert call("GET", "/residents", as_=caller(tenant, role)).status == 403


def test_list_by_site_and_unknown_site_or_unit(call, caller, stack, tenant, manager, other_tenant):
    unit = put_unit(stack, tenant, site_id="SITEA")
    put_unit(stack, tenant, site_id="SITEB")
    rid = new_resident(call, manager, units=[{"unit_id": unit, "relation": "renter"}])["resident_id"]
    new_resident(call, manager, phone=PHONE_2)
    reply = call("GET", "/residents", as_=caller(tenant, Role.FINANCE), query={"site_id": "SITEA"})
    assert [i["resident_id"] for i in reply.body["items"]] == [rid]
    assert reply.body["items"][0]["units"][0]["relation"] == "renter"
    assert call("GET", "/residents", as_=manager, query={"site_id": "NOPE"}).status == 404
    foreign_unit = put_unit(stack, other_tenant)
    assert call("GET", "/residents", as_=manager, query={"unit_id": foreign_unit}).status == 404


def test_staff_find_a_caller_by_phone_number_in_any_format(call, caller, stack, tenant, manager):
    rid = new_resident(call, manager)["resident_id"]
    desk = caller(tenant, Role.SERVICE_DESK)
    reply = call("GET", "/residents", as_=desk, query={"phone": "+86 138 1234 5678"})
    assert reply.status == 200
    assert [i["resident_id"] for i in reply.body["items"]] == [rid]
    assert reply.body["items"][0]["phone"] == PHONE
    assert len(reads_of_personal_data(stack)) == 1
    assert call("GET", "/residents", as_=desk, query={"phone": PHONE_2}).body["items"] == []
    assert call("GET", "/residents", as_=desk, query={"phone": "12"}).status == 422


@pytest.mark.parametrize("role", [Role.FINANCE, Role.TECHNICIAN, Role.GUARD])
def test_phone_lookup_needs_a_role_that_sees_full_numbers(call, caller, tenant, role):
    reply = call("GET", "/residents", as_=caller(tenant, role), query={"phone": PHONE})
    assert reply.status == 403
    assert PHONE not in json.dumps(reply.body)


def test_list_takes_one_filter_at_a_time(call, manager):
    reply = call("GET", "/residents", as_=manager, query={"unit_id": "U", "site_id": "S"})
    assert reply.status == 400
    assert reply.body["error"]["code"] == "invalid"


# ---------------------------------------------------------------- links and the primary contact


def test_linking_a_new_primary_contact_clears_the_previous_one(call, stack, tenant, manager):
    unit = put_unit(stack, tenant)
    first = new_resident(call, manager, units=[{"unit_id": unit, "relation": "owner", "primary": True}])
    second = new_resident(call, manager, phone=PHONE_2)
    reply = call(
        "POST",
        f"/units/{unit}/residents",
        as_=manager,
        body={"resident_id": second["resident_id"], "relation": "family", "primary": True},
    )
    assert reply.status == 201, reply.body
    assert reply.body == {
        "unit_id": unit,
        "resident_id": second["resident_id"],
        "relation": "family",
        "primary": True,
        "since": reply.body["since"],
    }
    people = call("GET", "/residents", as_=manager, query={"unit_id": unit}).body["items"]
    primary = {p["resident_id"]: p["units"][0]["primary"] for p in people}
    assert primary == {first["resident_id"]: False, second["resident_id"]: True}
    # The resident's side of the link says the same.
    assert call("GET", f"/residents/{first['resident_id']}", as_=manager).body["units"][0]["primary"] is False


def test_relinking_changes_the_relation_and_keeps_the_date(call, stack, tenant, manager):
    unit = put_unit(stack, tenant)
    rid = new_resident(call, manager, units=[{"unit_id": unit, "relation": "renter"}])
    reply = call(
        "POST",
        f"/units/{unit}/residents",
        as_=manager,
        body={"resident_id": rid["resident_id"], "relation": "owner"},
    )
    assert reply.status == 200
    assert reply.body["relation"] == "owner"
    assert reply.body["since"] == rid["units"][0]["since"]


def test_linking_refuses_wrong_roles_foreign_ids_and_bad_input_writing_nothing(
    call, caller, stack, tenant, manager, other_tenant
):
    unit = put_unit(stack, tenant)
    rid = new_resident(call, manager)["resident_id"]
    foreign_unit = put_unit(stack, other_tenant)
    foreign_rid = new_resident(call, caller(other_tenant, Role.MANAGER), phone=PHONE_2)["resident_id"]
    before = table_items(stack)
    body = {"resident_id": rid, "relation": "owner"}
    for role in (Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT):
        assert call("POST", f"/units/{unit}/residents", as_=caller(tenant, role), body=body).status == 403
    assert call("POST", f"/units/{foreign_unit}/residents", as_=manager, body=body).status == 404
    reply = call(
        "POST",
        f"/units/{unit}/residents",
        as_=manager,
        body={"resident_id": foreign_rid, "relation": "owner"},
    )
    assert (reply.status, reply.body["error"]["message"]) == (404, "resident not found")
    assert (
        call(
            "POST", f"/units/{unit}/residents", as_=manager, body={"resident_id": rid, "relation": "x"}
        ).status
        == 422
    )
    assert call("POST", f"/units/{unit}/residents", as_=manager, body={"relation": "owner"}).status == 422
    assert table_items(stack) == before


# ---------------------------------------------------------------- what a resident sees


@pytest.fixture
def household(call, caller, stack, tenant, manager) -> dict[str, Any]:
    """Two units: Chen (with an account) and her daughter in one, a neighbour in the other."""
    home = put_unit(stack, tenant, room="1-1-101")
    next_door = put_unit(stack, tenant, room="1-1-102")
    chen = new_resident(
        call, manager, id_number=ID_NUMBER, units=[{"unit_id": home, "relation": "owner", "primary": True}]
    )
    daughter = new_resident(call, manager, phone=PHONE_2, units=[{"unit_id": home, "relation": "family"}])
    neighbour = new_resident(
        call, manager, phone=PHONE_3, units=[{"unit_id": next_door, "relation": "owner"}]
    )
    # The daughter also rents a flat next door: Chen must not learn about it.
    call(
        "POST",
        f"/units/{next_door}/residents",
        as_=manager,
        body={"resident_id": daughter["resident_id"], "relation": "renter"},
    )
    me = caller(tenant, Role.RESIDENT)
    link_account(stack, tenant, chen["resident_id"], me)
    return {
        "me": me,
        "home": home,
        "next_door": next_door,
        "chen": chen["resident_id"],
        "daughter": daughter["resident_id"],
        "neighbour": neighbour["resident_id"],
    }


def test_a_resident_lists_only_themself_and_the_people_of_their_units(call, household):
    reply = call("GET", "/residents", as_=household["me"])
    assert reply.status == 200
    seen = {i["resident_id"]: i for i in reply.body["items"]}
    assert set(seen) == {household["chen"], household["daughter"]}
    assert seen[household["chen"]]["phone"] == PHONE  # the data subject sees their own number
    assert seen[household["daughter"]]["phone"] == "139****4321"
    assert [u["unit_id"] for u in seen[household["daughter"]]["units"]] == [household["home"]]


def test_a_resident_reads_a_housemate_but_not_a_neighbour(call, household):
    me = household["me"]
    daughter = call("GET", f"/residents/{household['daughter']}", as_=me)
    assert daughter.status == 200
    assert [u["unit_id"] for u in daughter.body["units"]] == [household["home"]]
    assert call("GET", f"/residents/{household['neighbour']}", as_=me).status == 404
    own = call("GET", f"/residents/{household['chen']}", as_=me)
    assert (own.body["phone"], own.body["id_number"]) == (PHONE, ID_NUMBER)


def test_a_resident_cannot_list_another_unit_or_look_numbers_up(call, household):
    me = household["me"]
    assert call("GET", "/residents", as_=me, query={"unit_id": household["next_door"]}).status == 404
    assert call("GET", "/residents", as_=me, query={"phone": PHONE_3}).status == 403
    mine = call("GET", "/residents", as_=me, query={"unit_id": household["home"], "limit": "1"})
    assert len(mine.body["items"]) == 1
    assert mine.body["next_cursor"]
    rest = call(
        "GET", "/residents", as_=me, query={"unit_id": household["home"], "cursor": mine.body["next_cursor"]}
    )
    assert len(rest.body["items"]) == 1
    assert rest.body["next_cursor"] is None


def test_a_resident_without_a_record_sees_nobody(call, caller, tenant, household):
    stranger = caller(tenant, Role.RESIDENT)
    assert call("GET", "/residents", as_=stranger).body["items"] == []
    assert call("GET", f"/residents/{household['chen']}", as_=stranger).status == 404


# ---------------------------------------------------------------- changes


def test_manager_changes_a_phone_number_and_the_old_one_is_free_again(call, stack, manager):
    rid = new_resident(call, manager)["resident_id"]
    reply = call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": PHONE_2, "email": None})
    assert reply.status == 200, reply.body
    assert reply.body["phone"] == "139****4321"
    found = call("GET", "/residents", as_=manager, query={"phone": PHONE_2}).body["items"]
    assert [i["resident_id"] for i in found] == [rid]
    assert call("GET", "/residents", as_=manager, query={"phone": PHONE}).body["items"] == []
    new_resident(call, manager, phone=PHONE)
    updates = [i for i in audit_items(stack) if i["action"]["S"] == "update"]
    assert json.loads(updates[0]["details"]["S"]) == {"fields": ["email", "phone"]}


def test_changing_to_a_number_someone_else_holds_is_409_and_writes_nothing(call, stack, manager):
    rid = new_resident(call, manager)["resident_id"]
    holder = new_resident(call, manager, phone=PHONE_2)["resident_id"]
    before = table_items(stack)
    reply = call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": PHONE_2})
    assert reply.status == 409
    assert reply.body["error"]["details"] == [{"resident_id": holder}]
    assert table_items(stack) == before


def test_a_resident_edits_their_own_name_but_not_the_id_number_nor_others(call, household):
    me = household["me"]
    reply = call("PATCH", f"/residents/{household['chen']}", as_=me, body={"name": "陈女士"})
    assert (reply.status, reply.body["name"]) == (200, "陈女士")
    assert (
        call("PATCH", f"/residents/{household['chen']}", as_=me, body={"id_number": ID_NUMBER}).status == 403
    )
    assert call("PATCH", f"/residents/{household['daughter']}", as_=me, body={"name": "X"}).status == 403
    assert call("PATCH", f"/residents/{household['neighbour']}", as_=me, body={"name": "X"}).status == 404


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.FINANCE, Role.GUARD])
def test_other_staff_cannot_change_residents(call, caller, stack, tenant, manager, role):
    rid = new_resident(call, manager)["resident_id"]
    before = table_items(stack)
    assert call("PATCH", f"/residents/{rid}", as_=caller(tenant, role), body={"name": "X"}).status == 403
    assert table_items(stack) == before


@pytest.mark.parametrize("body", [{}, {"name": None}, {"phone": None}, {"phone": "123"}, {"colour": "red"}])
def test_bad_changes_are_422_and_write_nothing(call, stack, manager, body):
    rid = new_resident(call, manager)["resident_id"]
    before = table_items(stack)
    reply = call("PATCH", f"/residents/{rid}", as_=manager, body=body)
    assert reply.status == 422
    assert table_items(stack) == before


def test_changing_another_tenants_resident_is_404(call, caller, manager, other_tenant):
    rid = new_resident(call, manager)["resident_id"]
    assert (
        call("PATCH", f"/residents/{rid}", as_=caller(other_tenant, Role.MANAGER), body={"name": "X"}).status
        == 404
    )


# ---------------------------------------------------------------- assisted mode


def test_service_desk_changes_a_resident_on_their_behalf_and_the_audit_names_both(
    call, caller, stack, tenant, manager
):
    rid = new_resident(call, manager)["resident_id"]
    desk = caller(tenant, Role.SERVICE_DESK)
    reply = call(
        "PATCH",
        f"/residents/{rid}",
        as_=desk,
        body={"name": "王奶奶"},
        headers={"X-On-Behalf-Of": rid, "X-Assist-Reason": "by phone"},
    )
    assert reply.status == 200
    record = next(i for i in audit_items(stack) if i["action"]["S"] == "update")
    assert record["actor"]["S"] == desk.user_id
    assert record["on_behalf_of"]["S"] == rid


def test_assisted_mode_needs_an_existing_resident_the_same_one_and_a_desk_role(
    call, caller, stack, tenant, manager, other_tenant
):
    rid = new_resident(call, manager)["resident_id"]
    other = new_resident(call, manager, phone=PHONE_2)["resident_id"]
    foreign = new_resident(call, caller(other_tenant, Role.MANAGER))["resident_id"]
    desk = caller(tenant, Role.SERVICE_DESK)
    before = table_items(stack)
    body = {"name": "X"}
    assert (
        call(
            "PATCH",
            f"/residents/{foreign}",
            as_=desk,
            body=body,
            headers={"X-On-Behalf-Of": foreign, "X-Assist-Reason": "by phone"},
        ).status
        == 404
    )
    assert (
        call(
            "PATCH",
            f"/residents/{rid}",
            as_=desk,
            body=body,
            headers={"X-On-Behalf-Of": other, "X-Assist-Reason": "by phone"},
        ).status
        == 400
    )
    tech = caller(tenant, Role.TECHNICIAN)
    assert (
        call(
            "PATCH",
            f"/residents/{rid}",
            as_=tech,
            body=body,
            headers={"X-On-Behalf-Of": rid, "X-Assist-Reason": "by phone"},
        ).status
        == 403
    )
    assert table_items(stack) == before
