"""A seeded community for integration tests of any feature: tenant, site, two buildings, units, people.

Directory records are plain items written with the kernel's ``Keys`` (the shapes the directory's repositories
write), so feature tests do not depend on the directory feature's code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.api import Caller

# Unit areas in hundredths of m² (89.50 m², 120.00 m², 65.25 m²): area-based fees multiply by them.
AREAS_CENTI_M2 = {"a101": 8950, "a102": 12000, "b201": 6525}


@dataclass
class Community:
    """One tenant's seeded community: two buildings, units, residents and staff, with their callers."""

    tenant_id: str
    site_id: str
    building_a: str
    building_b: str
    units: dict[str, str] = field(default_factory=dict)
    residents: dict[str, str] = field(default_factory=dict)  # name -> resident_id
    people: dict[str, Caller] = field(default_factory=dict)  # name -> caller
    staff_ids: dict[str, str] = field(default_factory=dict)  # name -> staff_id


def _put(stack: Stack, item: dict[str, Any]) -> None:
    _table(stack.ref("DirectoryTable")).put_item(Item=item)


@lru_cache(maxsize=8)
def _table(name: str) -> Any:
    """One resource per table for the worker (moto answers any client while it runs): a boto3 resource
    costs some 7 ms of CPU to build, and a seeded community puts dozens of items."""
    return boto3.resource("dynamodb").Table(name)


@pytest.fixture
def seed(stack: Stack) -> Callable[..., Community]:
    """A tenant with one community of two buildings; residents and staff added with ``add_*``."""

    def make(name: str = "Greenfield") -> Community:
        tenant = uuid.uuid4().hex[:26].upper()
        _put(
            stack,
            {
                **Keys.tenant(tenant),
                "tenant_id": tenant,
                "name": name,
                "status": "active",
                "currency": "CNY",
                "locale": "zh-CN",
                "timezone": "Asia/Shanghai",
            },
        )
        site_id = uuid.uuid4().hex[:26].upper()
        _put(stack, {**Keys.site(tenant, site_id), "site_id": site_id, "name": f"{name}小区"})
        community = Community(tenant, site_id, "BLDG-A", "BLDG-B")
        for label, building in (("a101", "BLDG-A"), ("a102", "BLDG-A"), ("b201", "BLDG-B")):
            unit_id = uuid.uuid4().hex[:26].upper()
            _put(
                stack,
                {
                    **Keys.unit(tenant, unit_id),
                    "entity": "unit",
                    "unit_id": unit_id,
                    "site_id": site_id,
                    "building_id": building,
                    "room_key": label,
                    "label": label.upper(),
                    "kind": "residential",
                    "occupancy": "self_occupied",
                    "area_centi_m2": AREAS_CENTI_M2[label],
                    "gsi1pk": Keys.site_units_index(tenant, site_id),
                    "gsi1sk": label,
                },
            )
            community.units[label] = unit_id
        return community

    return make


def add_resident(stack: Stack, community: Community, name: str, *units: str, login: bool = True) -> Caller:
    """A resident linked to ``units`` (the first is primary), with a login unless ``login`` is False."""
    t = community.tenant_id
    resident_id = uuid.uuid4().hex[:26].upper()
    user_id = str(uuid.uuid4())
    _put(
        stack,
        {
            **Keys.resident(t, resident_id),
            "resident_id": resident_id,
            "name": name,
            # The phone is encrypted in real records; a plain one here proves it never reaches the logs.
            "phone_enc": "13800138000",
            **({"user_id": user_id} if login else {}),
        },
    )
    if login:
        _put(
            stack, {**Keys.user(t, user_id), "user_id": user_id, "kind": "resident", "person_id": resident_id}
        )
    for index, label in enumerate(units):
        unit_id = community.units[label]
        link = {
            "tenant_id": t,
            "unit_id": unit_id,
            "resident_id": resident_id,
            "site_id": community.site_id,
            "room_key": label,
            "relation": "owner",
            "primary": index == 0,
        }
        _put(stack, {**Keys.unit_member(t, unit_id, resident_id), **link})
        _put(
            stack,
            {
                **Keys.resident_unit(t, resident_id, unit_id),
                **link,
                "gsi1pk": Keys.site_residents_index(t, community.site_id),
                "gsi1sk": f"{label}#{resident_id}",
            },
        )
    caller = Caller(t, user_id, (Role.RESIDENT,))
    community.residents[name] = resident_id
    community.people[name] = caller
    return caller


def add_proxy(stack: Stack, community: Community, proxy: str, unit: str) -> str:
    """An active family proxy link (子女代办) of resident ``proxy`` for ``unit``, as the directory's
    ``proxies`` repository writes it on acceptance; the proxy id."""
    t, unit_id, resident_id = community.tenant_id, community.units[unit], community.residents[proxy]
    proxy_id = uuid.uuid4().hex[:26].upper()
    _put(
        stack,
        {
            **Keys.unit_proxy(t, unit_id, proxy_id),
            "tenant_id": t,
            "proxy_id": proxy_id,
            "unit_id": unit_id,
            "site_id": community.site_id,
            "status": "active",
            "proxy_resident_id": resident_id,
            "proxy_user_id": community.people[proxy].user_id,
            "gsi1pk": Keys.site_proxies_index(t, community.site_id),
            "gsi1sk": proxy_id,
        },
    )
    _put(
        stack,
        {
            **Keys.resident_proxy(t, resident_id, unit_id),
            "tenant_id": t,
            "unit_id": unit_id,
            "site_id": community.site_id,
            "proxy_id": proxy_id,
        },
    )
    return proxy_id


def revoke_proxy(stack: Stack, community: Community, proxy: str, unit: str, proxy_id: str) -> None:
    """The link revoked, as the directory's ``proxies`` repository leaves it."""
    t, unit_id = community.tenant_id, community.units[unit]
    table = _table(stack.ref("DirectoryTable"))
    table.update_item(
        Key=Keys.unit_proxy(t, unit_id, proxy_id),
        UpdateExpression="SET #status = :revoked REMOVE gsi1pk, gsi1sk",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":revoked": "revoked"},
    )
    table.delete_item(Key=Keys.resident_proxy(t, community.residents[proxy], unit_id))


def end_link(stack: Stack, community: Community, name: str, unit: str) -> None:
    """The desk ends ``name``'s link to ``unit`` as the directory's residency repository does: both sides
    of the live link deleted (the ended-link history item is the directory's own business)."""
    t, unit_id, resident_id = community.tenant_id, community.units[unit], community.residents[name]
    table = _table(stack.ref("DirectoryTable"))
    table.delete_item(Key=Keys.unit_member(t, unit_id, resident_id))
    table.delete_item(Key=Keys.resident_unit(t, resident_id, unit_id))


def add_staff(
    stack: Stack,
    community: Community,
    name: str,
    *roles: Role,
    skills: tuple[str, ...] = (),
    buildings: tuple[str, ...] = (),
    on_duty: bool = True,
    staff_id: str | None = None,
) -> Caller:
    """A staff member with a login; technicians get ``skills`` and a zone of the site (``buildings``)."""
    t = community.tenant_id
    staff = staff_id or uuid.uuid4().hex[:26].upper()
    user_id = str(uuid.uuid4())
    _put(
        stack,
        {
            **Keys.staff(t, staff),
            "kind": "staff",
            "tenant_id": t,
            "staff_id": staff,
            "name": name,
            "user_id": user_id,
            "roles": [r.value for r in roles],
            "skills": list(skills),
            "zones": [{"site_id": community.site_id, "building_ids": list(buildings)}],
            "on_duty": on_duty,
            "active": True,
            "version": 1,
            "gsi1pk": Keys.staff_index(t),
            "gsi1sk": name,
        },
    )
    _put(stack, {**Keys.user(t, user_id), "user_id": user_id, "kind": "staff", "person_id": staff})
    caller = Caller(t, user_id, tuple(roles))
    community.people[name] = caller
    community.staff_ids[name] = staff
    return caller


@pytest.fixture
def residents(stack: Stack) -> Callable[..., Caller]:
    """``residents(community, "Li", "a101")``: add a resident (see ``add_resident``)."""

    def add(community: Community, name: str, *units: str, login: bool = True) -> Caller:
        return add_resident(stack, community, name, *units, login=login)

    return add


@pytest.fixture
def staff(stack: Stack) -> Callable[..., Caller]:
    """``staff(community, "Wang", Role.TECHNICIAN, skills=("plumbing",))``: add a staff member."""

    def add(community: Community, name: str, *roles: Role, **options: Any) -> Caller:
        return add_staff(stack, community, name, *roles, **options)

    return add


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every domain event the function publishes: (detail type, detail as JSON), also sent to the bus."""
    from courtyard.events import DomainEvent, EventPublisher

    seen: list[tuple[str, dict[str, Any]]] = []
    original = EventPublisher.publish_many

    def spy(self: EventPublisher, events: Any) -> None:
        batch: list[tuple[str, DomainEvent]] = list(events)
        seen.extend((name, json.loads(detail.model_dump_json())) for name, detail in batch)
        original(self, batch)

    monkeypatch.setattr(EventPublisher, "publish_many", spy)
    return seen
