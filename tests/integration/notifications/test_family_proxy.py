"""A family proxy (子女代办) hears of the parent's bills and SOS and of fire in the parent's building;
once the link is revoked, of nothing (issue 19)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.community import add_proxy, revoke_proxy
from tests.integration.conftest import Arranged
from tests.integration.notifications.conftest import Community, People, Pump, Reply
from tests.integration.notifications.test_events import inbox, publish

Call = Callable[..., Reply]


@pytest.fixture
def world(arranged: Arranged, seed: Callable[..., Community], people: People) -> Community:
    def build() -> Community:
        community = seed()
        people.resident(community, "granny", "a101")
        people.resident(community, "son")  # another city: no unit of the firm
        people.resident(community, "neighbour_son")
        people.staff(community, "guard", Role.GUARD)
        return community

    return arranged(build)


def sos(world: Community) -> contracts.TicketCreated:
    return contracts.TicketCreated(
        tenant_id=world.tenant_id, ticket_id=uuid.uuid4().hex[:26].upper(), site_id=world.site_id,
        unit_id=world.units["a101"], kind="sos", category="security", priority="emergency",
        respond_by="2026-03-10T02:05:00.000Z", resolve_by="2026-03-10T04:00:00.000Z", assisted=False,
        reporter_user_id=world.people["granny"].user_id,
    )  # fmt: skip


def bill(world: Community) -> contracts.BillIssued:
    return contracts.BillIssued(
        tenant_id=world.tenant_id, bill_id=uuid.uuid4().hex[:26].upper(), site_id=world.site_id,
        unit_id=world.units["a101"], period="2026-03", amount_due=12_345, currency="CNY",
        due_date="2026-03-31",
    )  # fmt: skip


def fire(world: Community) -> contracts.AlarmRaised:
    return contracts.AlarmRaised(
        tenant_id=world.tenant_id, alarm_id=uuid.uuid4().hex[:26].upper(), rule_id="R1", rule_name="烟感报警",
        device_id="DEV1", device_kind="smoke", site_id=world.site_id, building_id=world.building_a,
        severity="critical", kind="smoke", notify_residents=True,
    )  # fmt: skip


def titles(call: Call, world: Community, who: str) -> list[str]:
    return sorted(m["title"] for m in inbox(call, world.people[who]))


def test_a_proxy_hears_of_the_parents_sos_bills_and_fire_until_revoked(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    proxy_id = add_proxy(stack, world, "son", "a101")
    for event in (sos(world), bill(world), fire(world)):
        publish(stack, event)
    pump()

    assert titles(call, world, "son") == sorted(["家人紧急求助", "2026-03 账单已出", "紧急通知：烟感报警"])
    [help_call] = [m for m in inbox(call, world.people["son"]) if m["title"] == "家人紧急求助"]
    assert "A101" in help_call["body"]
    assert titles(call, world, "neighbour_son") == []  # nobody else's proxy hears of it

    revoke_proxy(stack, world, "son", "a101", proxy_id)
    for event in (sos(world), bill(world), fire(world)):
        publish(stack, event)
    pump()
    assert len(inbox(call, world.people["son"])) == 3  # nothing new
    assert len(inbox(call, world.people["granny"])) == 4  # the parent still hears of her bills and fire
