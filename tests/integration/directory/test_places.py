"""Communities, buildings and units through the directory handler on moto."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from courtyard.errors import NotFound
from courtyard.events import DomainEvent, EventPublisher
from courtyard.tenancy import Role
from directory.imports.rooms import parse_room
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply, table_items

Call = Callable[..., Reply]
SITE = {"name": "翠苑小区", "address": "文三路 100 号", "city": "杭州", "district": "西湖区"}
NOT_MANAGERS = [r for r in Role if r not in (Role.MANAGER, Role.PLATFORM_ADMIN)]
STAFF = [Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD]


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant("Green Property")


@pytest.fixture
def manager(tenant: str, caller: Callable[..., Caller]) -> Caller:
    return caller(tenant, Role.MANAGER)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DomainEvent]]:
    """Every domain event the handler publishes (still sent to the moto bus)."""
    sent: list[tuple[str, DomainEvent]] = []
    original = EventPublisher.publish

    def record(self: EventPublisher, detail_type: str, detail: DomainEvent) -> None:
        sent.append((detail_type, detail))
        original(self, detail_type, detail)

    monkeypatch.setattr(EventPublisher, "publish", record)
    return sent


def create_site(call: Call, who: Caller, **fields: Any) -> str:
    reply = call("POST", "/sites", as_=who, body={**SITE, **fields})
    assert reply.status == 201, reply.body
    return str(reply.body["site_id"])


def create_building(
    call: Call, who: Caller, site_id: str, name: str = "1栋", **fields: Any
) -> dict[str, Any]:
    body = {"name": name, "floors": 18, "entrances": 2, **fields}
    reply = call("POST", f"/sites/{site_id}/buildings", as_=who, body=body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def create_unit(call: Call, who: Caller, site_id: str, **fields: Any) -> dict[str, Any]:
    reply = call("POST", f"/sites/{site_id}/units", as_=who, body={"area_m2": "89.5", **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def link_resident(stack: Stack, tenant_id: str, user_id: str, *unit_ids: str) -> None:
    """Make ``user_id`` a resident of ``unit_ids`` with the items the resident engineer's linking writes."""
    client = boto3.client("dynamodb")
    name = stack.ref("DirectoryTable")
    resident_id = f"RES{user_id.replace('-', '')[:20]}"

    def put(key: dict[str, str], **attributes: str) -> None:
        item = {k: {"S": v} for k, v in {**key, **attributes}.items()}
        client.put_item(TableName=name, Item=item)

    put(Keys.user(tenant_id, user_id), kind="resident", person_id=resident_id)
    for unit_id in unit_ids:
        put(Keys.resident_unit(tenant_id, resident_id, unit_id), unit_id=unit_id, relation="owner")
        put(Keys.unit_member(tenant_id, unit_id, resident_id), resident_id=resident_id, relation="owner")


def audit_actions(stack: Stack) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return sorted(item["action"]["S"] for item in items)


def stored(stack: Stack, key: dict[str, str]) -> dict[str, Any] | None:
    response = boto3.client("dynamodb").get_item(
        TableName=stack.ref("DirectoryTable"), Key={k: {"S": v} for k, v in key.items()}
    )
    item = response.get("Item")
    return dict(item) if item else None


def assert_error(reply: Reply, status: int) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body["error"]) >= {"code", "message", "details"}


def tamper(cursor: str) -> str:
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]


# ------------------------------------------------------------------ sites


def test_manager_creates_site_in_the_tenants_timezone(call: Call, manager: Caller, stack: Stack, published):
    reply = call("POST", "/sites", as_=manager, body={**SITE, "households_planned": 1200})

    assert reply.status == 201
    site = reply.body
    assert site["name"] == "翠苑小区"
    assert site["timezone"] == "Asia/Shanghai"
    assert site["households_planned"] == 1200
    assert site["created_at"].endswith("Z")
    item = stored(stack, Keys.site(manager.tenant_id, site["site_id"]))
    assert item is not None
    assert item["city"] == {"S": "杭州"}
    assert audit_actions(stack) == ["site.create"]
    assert [(t, e.site_id, e.tenant_id) for t, e in published] == [
        ("SiteCreated", site["site_id"], manager.tenant_id)
    ]


def test_site_keeps_an_explicit_iana_timezone(call: Call, manager: Caller):
    reply = call("POST", "/sites", as_=manager, body={**SITE, "timezone": "Asia/Urumqi"})

    assert reply.status == 201
    assert reply.body["timezone"] == "Asia/Urumqi"


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "China/Beijing Time"},
        {"name": ""},
        {"name": "x" * 101},
        {"households_planned": 0},
        {"address": None},
        {"tenant_id": "OTHER"},
    ],
)
def test_invalid_site_is_refused_and_nothing_is_written(call: Call, manager: Caller, stack: Stack, change):
    before = table_items(stack)

    reply = call("POST", "/sites", as_=manager, body={**SITE, **change})

    assert_error(reply, 422)
    assert table_items(stack) == before


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_only_managers_create_sites(call: Call, tenant: str, caller, stack: Stack, role: Role):
    before = table_items(stack)

    reply = call("POST", "/sites", as_=caller(tenant, role), body=SITE)

    assert_error(reply, 403)
    assert table_items(stack) == before


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_lists_and_reads_every_site(call: Call, manager: Caller, caller, role: Role):
    site_ids = {create_site(call, manager, name=f"小区{i}") for i in range(2)}
    staff = caller(manager.tenant_id, role)

    listed = call("GET", "/sites", as_=staff)
    one = call("GET", f"/sites/{sorted(site_ids)[0]}", as_=staff)

    assert listed.status == 200
    assert {s["site_id"] for s in listed.body["items"]} == site_ids
    assert one.status == 200
    assert one.body["site_id"] == sorted(site_ids)[0]


def test_sites_page_with_a_cursor(call: Call, manager: Caller):
    site_ids = [create_site(call, manager, name=f"小区{i}") for i in range(3)]

    first = call("GET", "/sites", as_=manager, query={"limit": "2"})
    second = call("GET", "/sites", as_=manager, query={"limit": "2", "cursor": first.body["next_cursor"]})

    assert [s["site_id"] for s in first.body["items"] + second.body["items"]] == sorted(site_ids)
    assert second.body["next_cursor"] is None


def test_another_tenants_site_is_not_found(call: Call, manager: Caller, make_tenant, caller):
    site_id = create_site(call, manager)
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)

    assert_error(call("GET", f"/sites/{site_id}", as_=stranger), 404)
    assert call("GET", "/sites", as_=stranger).body["items"] == []
    assert_error(call("GET", f"/sites/{site_id}/buildings", as_=stranger), 404)
    assert_error(call("GET", f"/sites/{site_id}/units", as_=stranger), 404)


def test_another_tenants_site_cursor_is_refused(call: Call, manager: Caller, make_tenant, caller):
    for i in range(2):
        create_site(call, manager, name=f"小区{i}")
    cursor = call("GET", "/sites", as_=manager, query={"limit": "1"}).body["next_cursor"]
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)

    reply = call("GET", "/sites", as_=stranger, query={"cursor": cursor})

    assert_error(reply, 400)


def test_resident_sees_only_the_sites_of_their_units(call: Call, manager: Caller, caller, stack: Stack):
    home = create_site(call, manager, name="家")
    elsewhere = create_site(call, manager, name="别处")
    create_building(call, manager, home)
    unit = create_unit(call, manager, home, room="1-1-101")
    resident = caller(manager.tenant_id, Role.RESIDENT)
    link_resident(stack, manager.tenant_id, resident.user_id, unit["unit_id"])

    listed = call("GET", "/sites", as_=resident)

    assert [s["site_id"] for s in listed.body["items"]] == [home]
    assert call("GET", f"/sites/{home}", as_=resident).status == 200
    assert_error(call("GET", f"/sites/{elsewhere}", as_=resident), 404)


def test_resident_without_units_sees_no_site(call: Call, manager: Caller, caller):
    site_id = create_site(call, manager)
    resident = caller(manager.tenant_id, Role.RESIDENT)

    assert call("GET", "/sites", as_=resident).body == {"items": [], "next_cursor": None}
    assert_error(call("GET", f"/sites/{site_id}", as_=resident), 404)


def test_platform_admin_is_not_a_reader_of_a_tenants_sites(call: Call, tenant: str, caller):
    assert_error(call("GET", "/sites", as_=caller(tenant, Role.PLATFORM_ADMIN)), 403)


# ------------------------------------------------------------------ buildings


@pytest.mark.parametrize(("name", "code"), [("1栋", "1"), ("A座", "A"), ("03号楼", "3"), ("12幢", "12")])
def test_building_code_is_derived_from_its_name(call: Call, manager: Caller, name: str, code: str):
    site_id = create_site(call, manager)

    building = create_building(call, manager, site_id, name)

    assert building["code"] == code
    assert building["name"] == name
    assert building["site_id"] == site_id


def test_building_with_explicit_code_and_its_claim(call: Call, manager: Caller, stack: Stack, published):
    site_id = create_site(call, manager)

    building = create_building(call, manager, site_id, "东区一号", code="e1", floors=32, kind="mixed")

    assert (building["code"], building["floors"], building["entrances"], building["kind"]) == (
        "E1",
        32,
        2,
        "mixed",
    )
    claim = stored(stack, {"pk": Keys.site_children(manager.tenant_id, site_id), "sk": "BLDGCODE#E1"})
    assert claim is not None
    assert claim["building_id"] == {"S": building["building_id"]}
    assert "building.create" in audit_actions(stack)
    assert published[-1][0] == "BuildingCreated"


def test_two_buildings_cannot_share_a_code(call: Call, manager: Caller, stack: Stack):
    site_id = create_site(call, manager)
    first = create_building(call, manager, site_id, "1栋")
    before = table_items(stack)

    reply = call("POST", f"/sites/{site_id}/buildings", as_=manager, body={"name": "01号楼", "floors": 6})

    assert_error(reply, 409)
    assert first["building_id"] in reply.body["error"]["message"]
    assert table_items(stack) == before


def test_the_same_code_is_fine_in_another_site(call: Call, manager: Caller):
    create_building(call, manager, create_site(call, manager, name="一"), "1栋")

    create_building(call, manager, create_site(call, manager, name="二"), "1栋")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Tower One", "floors": 10},
        {"name": "1栋", "code": "一号-楼", "floors": 10},
        {"name": "1栋", "floors": 0},
        {"name": "1栋", "floors": 201},
        {"name": "1栋", "floors": 10, "entrances": 21},
        {"name": "1栋", "floors": 10, "kind": "parking"},
        {"name": "1栋"},
    ],
)
def test_invalid_building_is_refused_and_nothing_is_written(call: Call, manager: Caller, stack: Stack, body):
    site_id = create_site(call, manager)
    before = table_items(stack)

    reply = call("POST", f"/sites/{site_id}/buildings", as_=manager, body=body)

    assert_error(reply, 422)
    assert table_items(stack) == before


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_only_managers_create_buildings(call: Call, manager: Caller, caller, stack: Stack, role: Role):
    site_id = create_site(call, manager)
    before = table_items(stack)

    reply = call(
        "POST",
        f"/sites/{site_id}/buildings",
        as_=caller(manager.tenant_id, role),
        body={"name": "1栋", "floors": 6},
    )

    assert_error(reply, 403)
    assert table_items(stack) == before


def test_building_of_an_unknown_or_foreign_site_is_not_found(
    call: Call, manager: Caller, make_tenant, caller
):
    site_id = create_site(call, manager)
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)
    body = {"name": "1栋", "floors": 6}

    assert_error(call("POST", "/sites/01UNKNOWN/buildings", as_=manager, body=body), 404)
    assert_error(call("POST", f"/sites/{site_id}/buildings", as_=stranger, body=body), 404)


def test_staff_list_a_sites_buildings_in_pages(call: Call, manager: Caller, caller):
    site_id = create_site(call, manager)
    made = [create_building(call, manager, site_id, f"{n}栋")["building_id"] for n in (1, 2, 3)]
    guard = caller(manager.tenant_id, Role.GUARD)

    first = call("GET", f"/sites/{site_id}/buildings", as_=guard, query={"limit": "2"})
    second = call(
        "GET",
        f"/sites/{site_id}/buildings",
        as_=guard,
        query={"limit": "2", "cursor": first.body["next_cursor"]},
    )

    assert [b["building_id"] for b in first.body["items"] + second.body["items"]] == made
    assert second.body["next_cursor"] is None


def test_resident_lists_buildings_only_of_their_site(call: Call, manager: Caller, caller, stack: Stack):
    home, elsewhere = create_site(call, manager, name="家"), create_site(call, manager, name="别处")
    create_building(call, manager, home)
    unit = create_unit(call, manager, home, room="1-1-101")
    resident = caller(manager.tenant_id, Role.RESIDENT)
    link_resident(stack, manager.tenant_id, resident.user_id, unit["unit_id"])

    assert [b["code"] for b in call("GET", f"/sites/{home}/buildings", as_=resident).body["items"]] == ["1"]
    assert_error(call("GET", f"/sites/{elsewhere}/buildings", as_=resident), 404)


# ------------------------------------------------------------------ units


@pytest.fixture
def site_with_buildings(call: Call, manager: Caller) -> tuple[str, dict[str, Any], dict[str, Any]]:
    site_id = create_site(call, manager)
    return (
        site_id,
        create_building(call, manager, site_id, "1栋"),
        create_building(call, manager, site_id, "A座"),
    )


def test_manager_creates_a_unit(call: Call, manager: Caller, stack: Stack, site_with_buildings, published):
    site_id, building, _ = site_with_buildings

    reply = call(
        "POST",
        f"/sites/{site_id}/units",
        as_=manager,
        body={
            "building_id": building["building_id"],
            "room": "1-1-1203",
            "area_m2": "89.5",
            "kind": "residential",
        },
    )

    assert reply.status == 201
    unit = reply.body
    assert {
        k: unit[k] for k in ("room_key", "label", "entrance", "floor", "room", "area_m2", "occupancy")
    } == {
        "room_key": "1-1-1203",
        "label": "1栋1单元1203室",
        "entrance": "1",
        "floor": 12,
        "room": "1203",
        "area_m2": "89.50",
        "occupancy": "vacant",
    }
    assert unit["building_name"] == "1栋"
    item = stored(stack, Keys.unit(manager.tenant_id, unit["unit_id"]))
    assert item is not None
    assert item["area_centi_m2"] == {"N": "8950"}
    assert item["site_id"] == {"S": site_id}
    assert item["building_id"] == {"S": building["building_id"]}
    assert item["gsi1pk"] == {"S": Keys.site_units_index(manager.tenant_id, site_id)}
    claim = stored(stack, Keys.room_claim(manager.tenant_id, site_id, "1-1-1203"))
    assert claim is not None
    assert claim["unit_id"] == {"S": unit["unit_id"]}
    assert "unit.create" in audit_actions(stack)
    assert published[-1][0] == "UnitCreated"
    assert published[-1][1].unit_id == unit["unit_id"]


@pytest.mark.parametrize(
    ("fields", "room_key"),
    [
        ({"room": "1栋2单元0101室"}, "1-2-101"),
        ({"building_code": "1", "entrance": "2", "room": "0101"}, "1-2-101"),
        ({"building_code": "01号楼", "entrance": 2, "room": "101"}, "1-2-101"),
        ({"building_code": "1", "room": "2-101"}, "1-2-101"),
        ({"room": "Ａ座１单元３０２"}, "A-1-302"),
        ({"building_code": "A", "room": "B12", "kind": "parking", "area_m2": 12.5}, "A-B12"),
    ],
)
def test_unit_rooms_in_any_spelling(call: Call, manager: Caller, site_with_buildings, fields, room_key):
    site_id = site_with_buildings[0]

    unit = create_unit(call, manager, site_id, **fields)

    assert unit["room_key"] == room_key


def test_service_desk_creates_units_too(call: Call, manager: Caller, caller, site_with_buildings):
    desk = caller(manager.tenant_id, Role.SERVICE_DESK)

    unit = create_unit(call, desk, site_with_buildings[0], room="1-1-101", occupancy="rented")

    assert unit["occupancy"] == "rented"


@pytest.mark.parametrize("spelling", ["1栋1单元101室", "1-1-101", "01-01-0101", "1#1-101", "1号楼1单元101"])
def test_the_same_room_twice_is_a_conflict_naming_the_unit(
    call: Call, manager: Caller, stack: Stack, site_with_buildings, spelling: str
):
    site_id = site_with_buildings[0]
    first = create_unit(call, manager, site_id, room="1-1-101")
    before = table_items(stack)

    reply = call("POST", f"/sites/{site_id}/units", as_=manager, body={"room": spelling, "area_m2": "70"})

    assert_error(reply, 409)
    assert first["unit_id"] in reply.body["error"]["message"]
    assert reply.body["error"]["details"] == [{"room_key": "1-1-101", "unit_id": first["unit_id"]}]
    assert table_items(stack) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area_m2": "0"}, "area_m2"),
        ({"area_m2": 0}, "area_m2"),
        ({"area_m2": "-1"}, "area_m2"),
        ({"area_m2": "89.555"}, "area_m2"),
        ({"area_m2": 89.555}, "area_m2"),
        ({"area_m2": "1e3"}, "area_m2"),
        ({"area_m2": "约90"}, "area_m2"),
        ({"area_m2": None}, "area_m2"),
        ({"room": "一楼大堂"}, "room"),
        ({"room": "1栋单元"}, "room"),
        ({"room": "1-1-2501"}, "room"),
        ({"room": "1-3-101"}, "room"),
        ({"room": "2-1-101"}, "room"),
        ({"room": "9栋1单元101"}, "room"),
        ({"room": "101"}, "room"),
        ({"kind": "villa"}, "kind"),
        ({"occupancy": "sold"}, "occupancy"),
    ],
)
def test_invalid_unit_is_refused_and_nothing_is_written(
    call: Call, manager: Caller, stack: Stack, site_with_buildings, change, field
):
    site_id = site_with_buildings[0]
    body = {"room": "1-1-101", "area_m2": "89.50", **change}
    if field == "room" and change["room"] in ("1-3-101", "2-1-101"):
        body["building_id"] = site_with_buildings[1]["building_id"]
    before = table_items(stack)

    reply = call("POST", f"/sites/{site_id}/units", as_=manager, body=body)

    assert_error(reply, 422)
    assert field in reply.body["error"]["details"][0]["loc"]
    assert table_items(stack) == before


def test_unknown_building_in_the_body_is_unprocessable(
    call: Call, manager: Caller, stack: Stack, site_with_buildings
):
    site_id = site_with_buildings[0]
    before = table_items(stack)

    by_id = call(
        "POST",
        f"/sites/{site_id}/units",
        as_=manager,
        body={"building_id": "01NOPE", "room": "101", "area_m2": 50},
    )
    by_code = call(
        "POST",
        f"/sites/{site_id}/units",
        as_=manager,
        body={"building_code": "7", "room": "101", "area_m2": 50},
    )

    assert_error(by_id, 422)
    assert_error(by_code, 422)
    assert table_items(stack) == before


def test_a_building_of_another_site_is_unknown_here(call: Call, manager: Caller, site_with_buildings):
    other_site = create_site(call, manager, name="别处")

    reply = call(
        "POST",
        f"/sites/{other_site}/units",
        as_=manager,
        body={"building_id": site_with_buildings[1]["building_id"], "room": "101", "area_m2": 50},
    )

    assert_error(reply, 422)


def test_units_of_an_unknown_or_foreign_site_are_not_found(
    call: Call, manager: Caller, make_tenant, caller, site_with_buildings
):
    site_id = site_with_buildings[0]
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)
    body = {"room": "1-1-101", "area_m2": "50"}

    assert_error(call("POST", "/sites/01UNKNOWN/units", as_=manager, body=body), 404)
    assert_error(call("POST", f"/sites/{site_id}/units", as_=stranger, body=body), 404)


@pytest.mark.parametrize(
    "role", [Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT, Role.PLATFORM_ADMIN]
)
def test_only_managers_and_service_desk_create_units(
    call: Call, manager: Caller, caller, stack: Stack, site_with_buildings, role: Role
):
    before = table_items(stack)

    reply = call(
        "POST",
        f"/sites/{site_with_buildings[0]}/units",
        as_=caller(manager.tenant_id, role),
        body={"room": "1-1-101", "area_m2": "50"},
    )

    assert_error(reply, 403)
    assert table_items(stack) == before


ROOMS = ["1-1-101", "1-1-102", "1-1-201", "1-1-1001", "1-2-101", "A-1-101", "A-1-1101"]


@pytest.fixture
def site_with_units(call: Call, manager: Caller, site_with_buildings) -> tuple[str, dict[str, str]]:
    """A site whose units were created out of order; returns the site and room key -> unit id."""
    site_id = site_with_buildings[0]
    ids: dict[str, str] = {}
    for room in random.Random(7).sample(ROOMS, len(ROOMS)):
        kind = "commercial" if room.startswith("A") else "residential"
        occupancy = "rented" if room.endswith("01") else "vacant"
        ids[room] = create_unit(call, manager, site_id, room=room, kind=kind, occupancy=occupancy)["unit_id"]
    return site_id, ids


def test_units_come_in_room_order_across_three_pages(call: Call, manager: Caller, caller, site_with_units):
    site_id, _ = site_with_units
    technician = caller(manager.tenant_id, Role.TECHNICIAN)
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        reply = call("GET", f"/sites/{site_id}/units", as_=technician, query=query)
        assert reply.status == 200, reply.body
        pages.append([u["room_key"] for u in reply.body["items"]])
        cursor = reply.body["next_cursor"]
        if not cursor:
            break

    assert pages == [ROOMS[0:3], ROOMS[3:6], ROOMS[6:]]


def test_units_filtered_by_building_occupancy_and_kind(
    call: Call, manager: Caller, site_with_units, site_with_buildings
):
    site_id, _ = site_with_units
    tower_a = site_with_buildings[2]["building_id"]

    def rooms(**query: str) -> list[str]:
        reply = call("GET", f"/sites/{site_id}/units", as_=manager, query=query)
        assert reply.status == 200, reply.body
        return [u["room_key"] for u in reply.body["items"]]

    assert rooms(building_id=tower_a) == ["A-1-101", "A-1-1101"]
    assert rooms(occupancy="rented") == ["1-1-101", "1-1-201", "1-1-1001", "1-2-101", "A-1-101", "A-1-1101"]
    assert rooms(kind="commercial", occupancy="rented") == ["A-1-101", "A-1-1101"]
    assert rooms(building_id=site_with_buildings[1]["building_id"], occupancy="vacant") == ["1-1-102"]


def test_filtered_pages_never_skip_a_unit(call: Call, manager: Caller, site_with_units):
    site_id, _ = site_with_units
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        query = {"limit": "2", "kind": "residential"} | ({"cursor": cursor} if cursor else {})
        reply = call("GET", f"/sites/{site_id}/units", as_=manager, query=query)
        seen += [u["room_key"] for u in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if not cursor:
            break

    assert seen == [r for r in ROOMS if not r.startswith("A")]


def test_unknown_building_filter_is_unprocessable(call: Call, manager: Caller, site_with_units):
    reply = call("GET", f"/sites/{site_with_units[0]}/units", as_=manager, query={"building_id": "01NOPE"})

    assert_error(reply, 422)


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_unit_list_limit_is_validated(call: Call, manager: Caller, site_with_units, limit: str):
    assert_error(call("GET", f"/sites/{site_with_units[0]}/units", as_=manager, query={"limit": limit}), 422)


def test_tampered_unit_cursor_is_refused(call: Call, manager: Caller, site_with_units):
    site_id, _ = site_with_units
    cursor = call("GET", f"/sites/{site_id}/units", as_=manager, query={"limit": "2"}).body["next_cursor"]

    reply = call(
        "GET", f"/sites/{site_id}/units", as_=manager, query={"limit": "2", "cursor": tamper(cursor)}
    )

    assert_error(reply, 400)
    assert reply.body["error"]["code"] == "invalid"


def test_unit_cursor_of_another_tenant_or_list_is_refused(
    call: Call, manager: Caller, make_tenant, caller, site_with_units
):
    site_id, _ = site_with_units
    cursor = call("GET", f"/sites/{site_id}/units", as_=manager, query={"limit": "2"}).body["next_cursor"]
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)
    their_site = create_site(call, stranger)
    other_site = create_site(call, manager, name="别处")

    assert_error(call("GET", f"/sites/{their_site}/units", as_=stranger, query={"cursor": cursor}), 400)
    assert_error(call("GET", f"/sites/{other_site}/units", as_=manager, query={"cursor": cursor}), 400)
    assert_error(
        call("GET", f"/sites/{site_id}/units", as_=manager, query={"cursor": cursor, "kind": "parking"}), 400
    )


def test_resident_lists_only_their_own_units(
    call: Call, manager: Caller, caller, stack: Stack, site_with_units
):
    site_id, ids = site_with_units
    resident = caller(manager.tenant_id, Role.RESIDENT)
    link_resident(stack, manager.tenant_id, resident.user_id, ids["1-2-101"], ids["1-1-102"])
    elsewhere = create_site(call, manager, name="别处")

    reply = call("GET", f"/sites/{site_id}/units", as_=resident)

    assert [u["room_key"] for u in reply.body["items"]] == ["1-1-102", "1-2-101"]
    assert_error(call("GET", f"/sites/{elsewhere}/units", as_=resident), 404)


def test_staff_read_a_unit_with_its_building(call: Call, manager: Caller, caller, site_with_units):
    _, ids = site_with_units

    reply = call("GET", f"/units/{ids['A-1-1101']}", as_=caller(manager.tenant_id, Role.FINANCE))

    assert reply.status == 200
    assert (reply.body["label"], reply.body["building_name"], reply.body["kind"]) == (
        "A座1单元1101室",
        "A座",
        "commercial",
    )


def test_resident_reads_only_a_unit_they_are_linked_to(
    call: Call, manager: Caller, caller, stack: Stack, site_with_units
):
    _, ids = site_with_units
    resident = caller(manager.tenant_id, Role.RESIDENT)
    link_resident(stack, manager.tenant_id, resident.user_id, ids["1-1-101"])

    assert call("GET", f"/units/{ids['1-1-101']}", as_=resident).status == 200
    assert_error(call("GET", f"/units/{ids['1-1-102']}", as_=resident), 404)


def test_unknown_or_foreign_unit_is_not_found(
    call: Call, manager: Caller, make_tenant, caller, site_with_units
):
    _, ids = site_with_units
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)

    assert_error(call("GET", f"/units/{ids['1-1-101']}", as_=stranger), 404)
    assert_error(call("GET", "/units/01UNKNOWN", as_=manager), 404)


def test_service_desk_changes_occupancy_and_area(
    call: Call, manager: Caller, caller, stack: Stack, site_with_units, published
):
    _, ids = site_with_units
    desk = caller(manager.tenant_id, Role.SERVICE_DESK)

    reply = call(
        "PATCH", f"/units/{ids['1-1-102']}", as_=desk, body={"occupancy": "decorating", "area_m2": "90.1"}
    )

    assert reply.status == 200, reply.body
    assert (reply.body["occupancy"], reply.body["area_m2"], reply.body["room_key"]) == (
        "decorating",
        "90.10",
        "1-1-102",
    )
    assert reply.body["updated_at"] >= reply.body["created_at"]
    assert "unit.update" in audit_actions(stack)
    assert published[-1][0] == "UnitUpdated"
    listed = call("GET", f"/sites/{site_with_units[0]}/units", as_=manager, query={"occupancy": "decorating"})
    assert [u["unit_id"] for u in listed.body["items"]] == [ids["1-1-102"]]


def test_a_change_that_changes_nothing_writes_nothing(
    call: Call, manager: Caller, stack: Stack, site_with_units
):
    _, ids = site_with_units
    before = table_items(stack)

    reply = call("PATCH", f"/units/{ids['1-1-102']}", as_=manager, body={"occupancy": "vacant"})

    assert reply.status == 200
    assert table_items(stack) == before


@pytest.mark.parametrize(
    "body", [{}, {"area_m2": "0"}, {"occupancy": "sold"}, {"room": "1-1-103"}, {"area_centi_m2": 100}]
)
def test_invalid_unit_change_is_refused_and_nothing_is_written(
    call: Call, manager: Caller, stack: Stack, site_with_units, body
):
    _, ids = site_with_units
    before = table_items(stack)

    assert_error(call("PATCH", f"/units/{ids['1-1-102']}", as_=manager, body=body), 422)
    assert table_items(stack) == before


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT])
def test_only_managers_and_service_desk_change_units(
    call: Call, manager: Caller, caller, stack: Stack, site_with_units, role: Role
):
    _, ids = site_with_units
    link_resident(stack, manager.tenant_id, manager.user_id, ids["1-1-102"])
    who = caller(manager.tenant_id, role, user_id=manager.user_id)
    before = table_items(stack)

    reply = call("PATCH", f"/units/{ids['1-1-102']}", as_=who, body={"occupancy": "rented"})

    assert_error(reply, 403)
    assert table_items(stack) == before


def test_changing_a_foreign_or_unknown_unit_is_not_found(
    call: Call, manager: Caller, make_tenant, caller, site_with_units
):
    _, ids = site_with_units
    stranger = caller(make_tenant("Other Property"), Role.MANAGER)

    assert_error(call("PATCH", f"/units/{ids['1-1-101']}", as_=stranger, body={"occupancy": "rented"}), 404)
    assert_error(call("PATCH", "/units/01UNKNOWN", as_=manager, body={"occupancy": "rented"}), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sites/a%23b"),
        ("GET", "/sites/a%23b/buildings"),
        ("GET", "/sites/a%23b/units"),
        ("GET", "/units/a%23b"),
        ("PATCH", "/units/a%23b"),
    ],
)
def test_ids_that_could_never_exist_are_not_found(call: Call, manager: Caller, method: str, path: str):
    from urllib.parse import unquote

    reply = call(
        method, unquote(path), as_=manager, body={"occupancy": "rented"} if method == "PATCH" else None
    )

    assert_error(reply, 404)


# ------------------------------------------------------------------ the repository imports reuse


@pytest.fixture
def places(handler: Any) -> Any:
    from directory.places.repository import PlacesRepository
    from directory.wiring import table, wiring

    return PlacesRepository(table(), wiring.reader(), FixedClock())


def test_upsert_unit_is_idempotent_and_reports_changes(
    call: Call, manager: Caller, places: Any, site_with_buildings
):
    site_id, building_1, _ = site_with_buildings
    building = places.building(manager.tenant_id, site_id, building_1["building_id"])
    ref = parse_room("1栋1单元0502")

    unit_id, created = places.upsert_unit(manager.tenant_id, site_id, building, ref, 9050, "residential")
    again = places.upsert_unit(
        manager.tenant_id, site_id, building, parse_room("1-1-502"), 9050, "residential"
    )
    changed = places.upsert_unit_outcome(manager.tenant_id, site_id, building, ref, 9100, "commercial")

    assert created is True
    assert again == (unit_id, False)
    assert (changed.unit_id, changed.outcome.value, changed.changed) == (
        unit_id,
        "updated",
        ("area_centi_m2", "kind"),
    )
    unit = call("GET", f"/units/{unit_id}", as_=manager).body
    assert (unit["area_m2"], unit["kind"], unit["label"], unit["floor"]) == (
        "91.00",
        "commercial",
        "1栋1单元502室",
        5,
    )


def test_ensure_building_creates_only_when_asked(manager: Caller, places: Any, site_with_buildings):
    site_id, building_1, _ = site_with_buildings

    existing = places.ensure_building(manager.tenant_id, site_id, "1")
    with pytest.raises(NotFound):
        places.ensure_building(manager.tenant_id, site_id, "5")
    made = places.ensure_building(manager.tenant_id, site_id, "5", create=True)

    assert existing.building_id == building_1["building_id"]
    assert (made.code, made.name, made.floors) == ("5", "5栋", None)
    assert (
        places.ensure_building(manager.tenant_id, site_id, "5", create=True).building_id == made.building_id
    )
    assert set(places.buildings_by_code(manager.tenant_id, site_id)) == {"1", "A", "5"}


def test_no_personal_or_raw_input_in_error_bodies(call: Call, manager: Caller, site_with_buildings):
    reply = call(
        "POST",
        f"/sites/{site_with_buildings[0]}/units",
        as_=manager,
        body={"room": "13812345678", "area_m2": 1},
    )

    assert_error(reply, 422)
    assert "13812345678" not in json.dumps(reply.body)
