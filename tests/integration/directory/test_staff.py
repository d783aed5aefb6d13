"""Staff routes through the directory handler, on moto: create, list, read, change, self-service duty."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.events import DomainEvent, EventPublisher
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import table_items

PHONE = "13812345678"
NOT_READERS = [Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT, Role.PLATFORM_ADMIN]
NOT_MANAGERS = [r for r in Role if r is not Role.MANAGER]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DomainEvent]]:
    sent: list[tuple[str, DomainEvent]] = []
    original = EventPublisher.publish_many

    def spy(self: EventPublisher, events: Any) -> None:
        batch = list(events)
        original(self, batch)
        sent.extend(batch)

    monkeypatch.setattr(EventPublisher, "publish_many", spy)
    return sent


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="Greenfield")


@pytest.fixture
def manager(caller: Callable[..., Any], tenant: str) -> Any:
    return caller(tenant, Role.MANAGER)


def put_place(stack: Stack, key: dict[str, str], **attributes: str) -> None:
    """A site or building item, written the way the places routes do (their module is not imported here)."""
    item = {**key, **attributes}
    boto3.client("dynamodb").put_item(
        TableName=stack.ref("DirectoryTable"), Item={k: {"S": v} for k, v in item.items()}
    )


@pytest.fixture
def site(stack: Stack, tenant: str) -> str:
    put_place(stack, Keys.site(tenant, "SITE1"), site_id="SITE1", name="绿城小区")
    put_place(stack, Keys.building(tenant, "SITE1", "B1"), site_id="SITE1", building_id="B1")
    put_place(stack, Keys.building(tenant, "SITE1", "B2"), site_id="SITE1", building_id="B2")
    put_place(stack, Keys.site(tenant, "SITE2"), site_id="SITE2", name="港湾小区")
    return "SITE1"


def new_staff(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "张师傅",
        "phone": PHONE,
        "email": "zhang@greenfield.example.com",
        "roles": ["technician"],
        "zones": [{"site_id": "SITE1", "building_ids": ["B1"]}],
        "skills": ["plumbing", "electrical"],
    }
    body.update(overrides)
    return body


def staff_path(staff_id: str) -> dict[str, Any]:
    return {"resource": "/staff/{staff_id}", "path_parameters": {"staff_id": staff_id}}


def create(call: Callable[..., Any], manager: Any, **overrides: Any) -> dict[str, Any]:
    reply = call("POST", "/staff", as_=manager, body=new_staff(**overrides))
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def audit_items(stack: Stack) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return items


def cognito_users(stack: Stack) -> list[dict[str, Any]]:
    response = boto3.client("cognito-idp").list_users(UserPoolId=stack.ref("UserPool"))
    return [dict(user) for user in response["Users"]]


def groups_of(stack: Stack, username: str) -> list[str]:
    groups = boto3.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=stack.ref("UserPool"), Username=username
    )["Groups"]
    return sorted(g["GroupName"] for g in groups)


def stored(stack: Stack, key: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=stack.ref("DirectoryTable"), Key={k: {"S": v} for k, v in key.items()}
    )["Item"]
    return item


# ---------------------------------------------------------------- create


def test_manager_creates_staff_with_an_account_a_record_and_a_user_link(
    call, manager, tenant, site, stack, published
):
    reply = call("POST", "/staff", as_=manager, body=new_staff())

    assert reply.status == 201
    staff = reply.body
    assert staff["phone"] == PHONE
    assert staff["username"] == "zhang@greenfield.example.com"
    assert staff["zones"] == [{"site_id": "SITE1", "building_ids": ["B1"]}]
    assert staff["skills"] == ["plumbing", "electrical"]
    assert (staff["on_duty"], staff["active"]) == (False, True)
    assert len(staff["temporary_password"]) >= 10

    record = stored(stack, Keys.staff(tenant, staff["staff_id"]))
    assert "phone" not in record
    assert PHONE not in json.dumps(record)
    assert record["phone_enc"]["S"].startswith("v1.")
    assert record["phone_digest"]["S"]
    assert record["gsi1pk"]["S"] == Keys.staff_index(tenant)
    assert record["gsi1sk"]["S"] == "张师傅"
    link = stored(stack, Keys.user(tenant, staff["user_id"]))
    assert (link["kind"]["S"], link["person_id"]["S"]) == ("staff", staff["staff_id"])
    assert staff["temporary_password"] not in json.dumps(table_items(stack))

    assert groups_of(stack, staff["username"]) == ["technician"]
    assert [kind for kind, _ in published] == ["StaffCreated"]
    assert published[0][1].model_dump()["staff_id"] == staff["staff_id"]


def test_created_staff_is_known_to_the_directory_reader(call, manager, tenant, site, stack):
    from courtyard.directory import DirectoryReader

    staff = create(call, manager)

    link = DirectoryReader(stack.ref("DirectoryTable")).user(tenant, staff["user_id"])

    assert link is not None
    assert (link.kind, link.person_id) == ("staff", staff["staff_id"])


def test_staff_with_several_roles_gets_every_group(call, manager, site, stack):
    staff = create(call, manager, roles=["service_desk", "finance"], username="li-desk")

    assert staff["username"] == "li-desk"
    assert groups_of(stack, "li-desk") == ["finance", "service_desk"]


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_creating_staff_is_refused_to_every_other_role(call, caller, tenant, site, stack, role):
    before = table_items(stack)

    reply = call("POST", "/staff", as_=caller(tenant, role), body=new_staff())

    assert reply.status == 403
    assert table_items(stack) == before
    assert cognito_users(stack) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"roles": ["platform_admin"]}, "roles"),
        ({"roles": ["resident"]}, "roles"),
        ({"roles": ["technician", "resident"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": ["technician", "technician"]}, "roles"),
        ({"roles": ["janitor"]}, "roles"),
        ({"skills": ["welding"]}, "skills"),
        ({"skills": ["plumbing", "plumbing"]}, "skills"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"name": ""}, "name"),
        ({"username": "x"}, "username"),
        ({"zones": [{"site_id": "SITE1"}, {"site_id": "SITE1", "building_ids": ["B1"]}]}, "zones"),
        ({"zones": [{"site_id": "bad#site"}]}, "site_id"),
        ({"on_duty": "sometimes"}, "on_duty"),
        ({"salary": 1}, "salary"),
    ],
)
def test_bad_staff_input_is_422_and_writes_nothing(call, manager, site, stack, change, field):
    before = table_items(stack)

    reply = call("POST", "/staff", as_=manager, body=new_staff(**change))

    assert reply.status == 422
    assert any(field in detail["loc"] for detail in reply.body["error"]["details"])
    assert PHONE not in json.dumps(reply.body)
    assert table_items(stack) == before
    assert cognito_users(stack) == []


def test_zone_with_an_unknown_site_is_422_naming_the_zone(call, manager, site, stack):
    before = table_items(stack)

    reply = call(
        "POST",
        "/staff",
        as_=manager,
        body=new_staff(zones=[{"site_id": "SITE1"}, {"site_id": "NOSUCHSITE"}]),
    )

    assert reply.status == 422
    assert reply.body["error"]["code"] == "unprocessable"
    assert reply.body["error"]["details"][0]["loc"] == ["body", "zones", "1", "site_id"]
    assert table_items(stack) == before
    assert cognito_users(stack) == []


def test_zone_with_an_unknown_building_is_422(call, manager, site, stack):
    before = table_items(stack)

    reply = call(
        "POST", "/staff", as_=manager, body=new_staff(zones=[{"site_id": "SITE1", "building_ids": ["B9"]}])
    )

    assert reply.status == 422
    assert reply.body["error"]["details"][0]["type"] == "unknown_building"
    assert table_items(stack) == before


def test_another_tenants_site_is_an_unknown_site(call, caller, make_tenant, site, stack):
    other_manager = caller(make_tenant(name="Harbour"), Role.MANAGER)

    reply = call("POST", "/staff", as_=other_manager, body=new_staff(zones=[{"site_id": "SITE1"}]))

    assert reply.status == 422
    assert cognito_users(stack) == []


def test_username_already_taken_is_409_and_writes_nothing(call, manager, site, stack):
    create(call, manager)
    before = table_items(stack)

    reply = call("POST", "/staff", as_=manager, body=new_staff(name="Another", phone="13900001111"))

    assert reply.status == 409
    assert table_items(stack) == before
    assert len(cognito_users(stack)) == 1


def test_failed_record_write_removes_the_new_account(call, manager, site, stack, monkeypatch):
    from directory.staff.repository import StaffRepository

    def fail(self: StaffRepository, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("table throttled")

    monkeypatch.setattr(StaffRepository, "add", fail)

    reply = call("POST", "/staff", as_=manager, body=new_staff())

    assert reply.status == 500
    assert cognito_users(stack) == []


# ---------------------------------------------------------------- list


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SERVICE_DESK])
def test_manager_and_desk_list_staff_with_full_phones_and_the_read_is_audited(
    call, caller, manager, tenant, site, stack, role
):
    staff = create(call, manager)
    reader = caller(tenant, role)

    reply = call("GET", "/staff", as_=reader)

    assert reply.status == 200
    assert [s["staff_id"] for s in reply.body["items"]] == [staff["staff_id"]]
    assert reply.body["items"][0]["phone"] == PHONE
    assert "temporary_password" not in reply.body["items"][0]
    reads = [
        r
        for r in audit_items(stack)
        if r["action"]["S"] == "read_personal_data" and r["actor"]["S"] == reader.user_id
    ]
    assert len(reads) == 1
    assert staff["staff_id"] in reads[0]["details"]["S"]
    assert PHONE not in json.dumps(reads)


@pytest.mark.parametrize("role", NOT_READERS)
def test_listing_staff_is_refused_to_other_roles(call, caller, tenant, role):
    reply = call("GET", "/staff", as_=caller(tenant, role))

    assert reply.status == 403


def test_list_is_in_name_order_and_pages_with_a_cursor(call, manager, site):
    for index, name in enumerate(["Chen", "Adams", "Baker"]):
        create(call, manager, name=name, email=f"s{index}@x.example.com", phone=f"1390000000{index}")

    first = call("GET", "/staff", as_=manager, query={"limit": "2"})
    second = call("GET", "/staff", as_=manager, query={"limit": "2", "cursor": first.body["next_cursor"]})

    assert [s["name"] for s in first.body["items"]] == ["Adams", "Baker"]
    assert [s["name"] for s in second.body["items"]] == ["Chen"]
    assert second.body["next_cursor"] is None


def test_another_tenants_cursor_or_a_tampered_one_is_400(call, caller, manager, make_tenant, site):
    for index in range(2):
        create(call, manager, name=f"S{index}", email=f"s{index}@x.example.com", phone=f"1390000000{index}")
    cursor = call("GET", "/staff", as_=manager, query={"limit": "1"}).body["next_cursor"]
    other = caller(make_tenant(name="Harbour"), Role.MANAGER)

    foreign = call("GET", "/staff", as_=other, query={"cursor": cursor})
    tampered = call("GET", "/staff", as_=manager, query={"cursor": cursor[:-2] + "AA"})

    assert foreign.status == 400
    assert tampered.status == 400
    assert foreign.body["error"]["code"] == "invalid"


@pytest.mark.parametrize("limit", ["0", "101", "many"])
def test_limit_outside_1_to_100_is_422(call, manager, limit):
    reply = call("GET", "/staff", as_=manager, query={"limit": limit})

    assert reply.status == 422


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"role": "guard"}, ["Guard Liu"]),
        ({"skill": "plumbing"}, ["Tech Zhang"]),
        ({"site_id": "SITE2"}, ["Guard Liu"]),
        ({"on_duty": "true"}, ["Guard Liu"]),
        ({"on_duty": "false"}, ["Desk Li", "Tech Zhang"]),
        ({"role": "technician", "site_id": "SITE2"}, []),
    ],
)
def test_list_filters_by_role_skill_site_and_duty(call, manager, site, query, expected):
    create(call, manager, name="Tech Zhang", email="t@x.example.com")
    create(
        call,
        manager,
        name="Guard Liu",
        email="g@x.example.com",
        phone="13900000001",
        roles=["guard"],
        skills=["security"],
        zones=[{"site_id": "SITE2"}],
        on_duty=True,
    )
    create(
        call,
        manager,
        name="Desk Li",
        email="d@x.example.com",
        phone="13900000002",
        roles=["service_desk"],
        zones=[],
        skills=[],
    )

    reply = call("GET", "/staff", as_=manager, query=query)

    assert reply.status == 200
    assert [s["name"] for s in reply.body["items"]] == expected


def test_list_shows_only_the_callers_tenant(call, caller, manager, make_tenant, site):
    create(call, manager)
    other = caller(make_tenant(name="Harbour"), Role.MANAGER)

    reply = call("GET", "/staff", as_=other)

    assert reply.body["items"] == []


# ---------------------------------------------------------------- read one


def test_manager_reads_a_staff_member_and_the_full_phone_read_is_audited(call, manager, site, stack):
    staff = create(call, manager)

    reply = call("GET", f"/staff/{staff['staff_id']}", as_=manager, **staff_path(staff["staff_id"]))

    assert reply.status == 200
    assert reply.body["phone"] == PHONE
    reads = [r for r in audit_items(stack) if r["action"]["S"] == "read_personal_data"]
    assert [r["resource_id"]["S"] for r in reads] == [staff["staff_id"]]


def test_staff_member_reads_their_own_record(call, caller, manager, tenant, site):
    staff = create(call, manager)
    me = caller(tenant, Role.TECHNICIAN, user_id=staff["user_id"])

    reply = call("GET", f"/staff/{staff['staff_id']}", as_=me, **staff_path(staff["staff_id"]))

    assert reply.status == 200
    assert reply.body["phone"] == PHONE


@pytest.mark.parametrize("role", NOT_READERS)
def test_reading_someone_elses_record_is_refused_to_other_roles(call, caller, manager, tenant, site, role):
    staff = create(call, manager)

    reply = call(
        "GET", f"/staff/{staff['staff_id']}", as_=caller(tenant, role), **staff_path(staff["staff_id"])
    )

    assert reply.status == 403


def test_another_tenants_staff_id_is_404(call, caller, manager, make_tenant, site):
    staff = create(call, manager)
    other = caller(make_tenant(name="Harbour"), Role.MANAGER)

    reply = call("GET", f"/staff/{staff['staff_id']}", as_=other, **staff_path(staff["staff_id"]))

    assert reply.status == 404
    assert reply.body["error"]["code"] == "not_found"
    assert PHONE not in json.dumps(reply.body)


@pytest.mark.parametrize("staff_id", ["01JUNKNOWNSTAFF00000000000", "bad%23id"])
def test_unknown_staff_id_is_404(call, manager, staff_id):
    reply = call("GET", f"/staff/{staff_id}", as_=manager, **staff_path(staff_id))

    assert reply.status == 404


# ---------------------------------------------------------------- change


def test_manager_changes_roles_zones_skills_name_and_phone(call, manager, tenant, site, stack, published):
    staff = create(call, manager)
    before = stored(stack, Keys.staff(tenant, staff["staff_id"]))

    reply = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=manager,
        body={
            "name": "张工",
            "phone": "+86 139-0000-1234",
            "roles": ["technician", "guard"],
            "zones": [{"site_id": "SITE1"}, {"site_id": "SITE2"}],
            "skills": ["elevator"],
        },
        **staff_path(staff["staff_id"]),
    )

    assert reply.status == 200
    assert reply.body["name"] == "张工"
    assert reply.body["phone"] == "13900001234"
    assert reply.body["roles"] == ["technician", "guard"]
    assert reply.body["zones"] == [
        {"site_id": "SITE1", "building_ids": []},
        {"site_id": "SITE2", "building_ids": []},
    ]
    assert groups_of(stack, staff["username"]) == ["guard", "technician"]
    after = stored(stack, Keys.staff(tenant, staff["staff_id"]))
    assert after["gsi1sk"]["S"] == "张工"
    assert after["phone_digest"] != before["phone_digest"]
    assert "13900001234" not in json.dumps(after)
    assert int(after["version"]["N"]) == int(before["version"]["N"]) + 1
    kind, event = published[-1]
    assert kind == "StaffUpdated"
    assert event.model_dump()["changed"] == ["name", "phone", "roles", "skills", "zones"]
    updates = [r for r in audit_items(stack) if r["action"]["S"] == "update"]
    assert len(updates) == 1
    assert "13900001234" not in json.dumps(updates)


def test_deactivating_disables_the_account_and_takes_them_off_duty(call, manager, site, stack):
    staff = create(call, manager, on_duty=True)

    off = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=manager,
        body={"active": False},
        **staff_path(staff["staff_id"]),
    )
    account_off = boto3.client("cognito-idp").admin_get_user(
        UserPoolId=stack.ref("UserPool"), Username=staff["username"]
    )
    on = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=manager,
        body={"active": True},
        **staff_path(staff["staff_id"]),
    )
    account_on = boto3.client("cognito-idp").admin_get_user(
        UserPoolId=stack.ref("UserPool"), Username=staff["username"]
    )

    assert off.status == 200
    assert (off.body["active"], off.body["on_duty"]) == (False, False)
    assert account_off["Enabled"] is False
    assert on.status == 200
    assert account_on["Enabled"] is True


def test_staff_member_toggles_their_own_duty(call, caller, manager, tenant, site, published):
    staff = create(call, manager)
    me = caller(tenant, Role.TECHNICIAN, user_id=staff["user_id"])

    reply = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=me,
        body={"on_duty": True},
        **staff_path(staff["staff_id"]),
    )

    assert reply.status == 200
    assert reply.body["on_duty"] is True
    kind, event = published[-1]
    assert (kind, event.model_dump()["changed"], event.model_dump()["on_duty"]) == (
        "StaffUpdated",
        ["on_duty"],
        True,
    )


@pytest.mark.parametrize(
    "change", [{"name": "New Name"}, {"roles": ["manager"]}, {"on_duty": True, "skills": []}]
)
def test_staff_member_may_change_nothing_else_about_themself(
    call, caller, manager, tenant, site, stack, change
):
    staff = create(call, manager)
    me = caller(tenant, Role.TECHNICIAN, user_id=staff["user_id"])
    before = table_items(stack)

    reply = call("PATCH", f"/staff/{staff['staff_id']}", as_=me, body=change, **staff_path(staff["staff_id"]))

    assert reply.status == 403
    assert table_items(stack) == before


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_changing_someone_elses_record_is_refused_to_other_roles(
    call, caller, manager, tenant, site, stack, role
):
    staff = create(call, manager)
    before = table_items(stack)

    reply = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=caller(tenant, role),
        body={"on_duty": True},
        **staff_path(staff["staff_id"]),
    )

    assert reply.status == 403
    assert table_items(stack) == before


def test_changing_another_tenants_staff_is_404(call, caller, manager, make_tenant, site, stack):
    staff = create(call, manager)
    other = caller(make_tenant(name="Harbour"), Role.MANAGER)
    before = table_items(stack)

    reply = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=other,
        body={"on_duty": True},
        **staff_path(staff["staff_id"]),
    )

    assert reply.status == 404
    assert table_items(stack) == before


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"name": None},
        {"roles": ["platform_admin"]},
        {"zones": [{"site_id": "NOSUCHSITE"}]},
        {"phone": "12"},
        {"active": False, "on_duty": True},
        {"email": "new@x.example.com"},
    ],
)
def test_bad_change_is_422_and_writes_nothing(call, manager, site, stack, change):
    staff = create(call, manager)
    before = table_items(stack)

    reply = call(
        "PATCH", f"/staff/{staff['staff_id']}", as_=manager, body=change, **staff_path(staff["staff_id"])
    )

    assert reply.status == 422
    assert table_items(stack) == before


@pytest.mark.parametrize("change", [{"roles": ["service_desk"]}, {"active": False}])
def test_manager_cannot_lock_themself_out(call, caller, tenant, site, stack, change):
    admin = caller(tenant, Role.MANAGER)
    boss = create(call, admin, roles=["manager"], email="boss@x.example.com")
    me = caller(tenant, Role.MANAGER, user_id=boss["user_id"])
    before = table_items(stack)

    reply = call("PATCH", f"/staff/{boss['staff_id']}", as_=me, body=change, **staff_path(boss["staff_id"]))

    assert reply.status == 422
    assert table_items(stack) == before


def test_change_to_the_same_values_writes_nothing(call, manager, site, stack, published):
    staff = create(call, manager)
    before = table_items(stack)

    reply = call(
        "PATCH",
        f"/staff/{staff['staff_id']}",
        as_=manager,
        body={"skills": ["electrical", "plumbing"], "on_duty": False},
        **staff_path(staff["staff_id"]),
    )

    assert reply.status == 200
    assert table_items(stack) == before
    assert [kind for kind, _ in published] == ["StaffCreated"]


# ---------------------------------------------------------------- Idempotency-Key


def test_a_retry_with_the_same_idempotency_key_answers_the_same_staff_member_once(call, stack, manager, site):
    key = {"Idempotency-Key": "staff-retry-0001"}
    first = call("POST", "/staff", as_=manager, body=new_staff(), headers=key)
    users = cognito_users(stack)

    again = call("POST", "/staff", as_=manager, body=new_staff(), headers=key)

    assert (first.status, again.status) == (201, 200), again.body
    assert again.body["staff_id"] == first.body["staff_id"]
    assert first.body["temporary_password"]
    assert again.body["temporary_password"] is None
    assert len(cognito_users(stack)) == len(users)
    listed = call("GET", "/staff", as_=manager).body["items"]
    assert [s["staff_id"] for s in listed].count(first.body["staff_id"]) == 1
    assert len([s for s in listed if s["name"] == "张师傅"]) == 1


def test_the_same_idempotency_key_with_another_staff_member_is_422_and_writes_nothing(
    call, stack, manager, site
):
    key = {"Idempotency-Key": "staff-retry-0002"}
    assert call("POST", "/staff", as_=manager, body=new_staff(), headers=key).status == 201
    before = table_items(stack)
    users = cognito_users(stack)

    other = call(
        "POST",
        "/staff",
        as_=manager,
        body=new_staff(name="李师傅", email="li@greenfield.example.com", phone="13900000009"),
        headers=key,
    )

    assert other.status == 422, other.body
    assert other.body["error"]["details"][0]["type"] == "key_reused"
    assert table_items(stack) == before
    assert len(cognito_users(stack)) == len(users)
