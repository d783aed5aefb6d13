"""A household hears of its bill once (issue 18), on moto with the real handlers: a unit's bill or arrears
reminder reaches every resident and family proxy in the app, and buys at most one text, for the owner, and
none when anybody of the household has the app (a registered device)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from courtyard.directory import Keys
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.community import add_proxy
from tests.integration.notifications.conftest import Community, People, Pump, Reply, _update, outbox
from tests.integration.notifications.test_events import inbox, publish

Call = Callable[..., Reply]
_numbers = itertools.count(1)
PHONES: dict[str, str] = {}  # the local outbox keeps every SMS of the session: numbers of each test's own


@pytest.fixture
def world(seed: Callable[..., Community], people: People, stack: Stack) -> Community:
    community = seed()
    for name in ("owner", "daughter", "son"):
        number = f"1370071{next(_numbers):04d}"
        PHONES[name] = "+86" + number
        # the son lives elsewhere: the unit's family proxy (子女代办), no unit of his own
        people.resident(community, name, *(() if name == "son" else ("a101",)), phone=number)
    unit_id = community.units["a101"]
    key = Keys.unit_member(community.tenant_id, unit_id, community.residents["daughter"])
    _update(stack, key, relation="family")
    add_proxy(stack, community, "son", "a101")
    return community


def money_messages(world: Community) -> list[contracts.BillIssued | contracts.PaymentOverdue]:
    unit_id = world.units["a101"]
    return [
        contracts.BillIssued(
            tenant_id=world.tenant_id, bill_id="BILL0H01", site_id=world.site_id, unit_id=unit_id,
            period="2026-03", amount_due=12_345, currency="CNY", due_date="2026-03-31",
        ),
        contracts.PaymentOverdue(
            tenant_id=world.tenant_id, bill_id="BILL0H00", site_id=world.site_id, unit_id=unit_id,
            period="2026-02", step="overdue_3", days_overdue=3, formal=False, amount_due=9_900,
            currency="CNY", due_date="2026-02-28",
        ),
    ]  # fmt: skip


def texts() -> dict[str, int]:
    sent = outbox().sms
    return {name: sum(1 for s in sent if s.phone_number == phone) for name, phone in PHONES.items()}


def test_nobody_with_the_app_the_owner_alone_is_texted_once_per_message(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    for event in money_messages(world):
        publish(stack, event)
    pump()
    assert texts() == {"owner": 2, "daughter": 0, "son": 0}
    for name in ("owner", "daughter", "son"):  # everyone still has both in the app's inbox
        assert len(inbox(call, world.people[name])) == 2


def test_when_the_proxy_has_the_app_nobody_of_the_household_is_texted(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    son = world.people["son"]
    device = call("POST", "/me/push-endpoints", as_=son, body={"platform": "fcm", "token": "sons-phone-0001"})
    assert device.status == 201, device.body
    for event in money_messages(world):
        publish(stack, event)
    pump()
    assert texts() == {"owner": 0, "daughter": 0, "son": 0}
    assert len(inbox(call, world.people["owner"])) == 2
