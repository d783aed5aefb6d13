"""Channels follow the person (issue 19): a resident with no push device (or whose push fails) receives
their bill, reminder and ticket progress by SMS, with the unit's name, the local time and a short link;
a marketing notice never goes by SMS; the firm's daily cap and quiet hours hold (urgent excepted)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.notifications.conftest import Community, People, Pump, Reply, deliveries, outbox
from tests.integration.notifications.test_events import inbox, publish, user

Call = Callable[..., Reply]
LINK = re.compile(r"https://courtyard\.example/m/s/(\w{10})")


# The local outbox keeps every SMS of the session: each test's people get numbers of their own.
_numbers = itertools.count(1)
PHONE = ""
OTHER = ""


@pytest.fixture
def world(seed: Callable[..., Community], people: People) -> Community:
    global PHONE, OTHER
    first, second = f"1370051{next(_numbers):04d}", f"1370052{next(_numbers):04d}"
    PHONE, OTHER = "+86" + first, "+86" + second
    community = seed()
    people.resident(community, "zhang", "a101", phone=first)  # a login, but never installed the app
    people.resident(community, "ma", "b201", phone=second)
    people.staff(community, "manager", Role.MANAGER)
    return community


def bill(world: Community, bill_id: str = "BILL0001", unit: str = "a101") -> contracts.BillIssued:
    return contracts.BillIssued(
        tenant_id=world.tenant_id, bill_id=bill_id, site_id=world.site_id, unit_id=world.units[unit],
        period="2026-03", amount_due=12_345, currency="CNY", due_date="2026-03-31",
    )  # fmt: skip


def texts_to(phone: str) -> list[str]:
    return [s.message for s in outbox().sms if s.phone_number == phone]


def resolve(call: Call, message: str) -> dict[str, Any]:
    [code] = LINK.findall(message)
    reply = call("GET", f"/links/{code}")
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


def test_without_a_push_device_bill_reminder_and_repair_progress_go_by_sms_with_unit_time_and_link(
    call: Call, pump: Pump, world: Community, clock: FixedClock, stack: Stack
) -> None:
    occurred = clock.now()  # 10:00 in Shanghai
    publish(stack, bill(world).model_copy(update={"occurred_at": occurred}))
    publish(
        stack,
        contracts.PaymentOverdue(
            tenant_id=world.tenant_id, occurred_at=occurred, bill_id="BILL0000", site_id=world.site_id,
            unit_id=world.units["a101"], period="2026-02", step="overdue_3", days_overdue=3, formal=False,
            amount_due=9_900, currency="CNY", due_date="2026-02-28",
        ),
    )  # fmt: skip
    publish(
        stack,
        contracts.TicketStatusChanged(
            tenant_id=world.tenant_id, occurred_at=occurred, ticket_id="TICKET000888", site_id=world.site_id,
            action="resolve", from_status="in_progress", to_status="resolved", by="u-tech",
            reporter_user_id=user(world, "zhang"), unit_id=world.units["a101"],
        ),
    )  # fmt: skip
    pump()

    texts = texts_to(PHONE)
    assert len(texts) == 3, texts
    bill_sms = next(t for t in texts if "物业账单" in t)
    reminder_sms = next(t for t in texts if "逾期" in t)
    repair_sms = next(t for t in texts if "报修" in t)
    for text in (bill_sms, reminder_sms, repair_sms):
        assert "A101" in text
        assert "2026-03-10 10:00" in text
        assert len(LINK.findall(text)) == 1
    assert "回复1确认维修完成" in repair_sms
    assert "回复2仍未修好" in repair_sms
    assert resolve(call, repair_sms)["path"] == "/repairs/TICKET000888"
    assert resolve(call, bill_sms)["path"] == "/bills?bill=BILL0001"
    # The inbox keeps its copy; the SMS is recorded as the push's fallback.
    assert len(inbox(call, world.people["zhang"])) == 3
    message_id = next(m for m in inbox(call, world.people["zhang"]) if "报修" in m["body"])["message_id"]
    records = deliveries(stack, world.tenant_id, message_id)
    assert (records["push"]["reason"], records["sms"]["status"], records["sms"]["fallback"]) == (
        "no_push_endpoint",
        "sent",
        True,
    )


def test_a_marketing_notice_never_goes_by_sms(call: Call, pump: Pump, world: Community) -> None:
    manager = world.people["manager"]
    audience = {"site_id": world.site_id, "unit_ids": [world.units["a101"]]}
    content = {"zh-CN": {"title": "团购优惠", "body": "本周水果团购八折"}}
    refused = call(
        "POST",
        "/notices",
        as_=manager,
        body={"content": content, "audience": audience, "channels": ["inbox", "sms"], "marketing": True},
    )
    assert refused.status == 422, refused.body
    sent = call(
        "POST",
        "/notices",
        as_=manager,
        body={"content": content, "audience": audience, "channels": ["inbox", "push"], "marketing": True},
    )
    assert sent.status == 201, sent.body
    assert sent.body["marketing"] is True
    pump()
    assert [m["title"] for m in inbox(call, world.people["zhang"])] == ["团购优惠"]
    assert not [t for t in texts_to(PHONE) if "团购" in t]  # no device, and still no SMS


def test_the_firms_quiet_hours_hold_a_bill_sms_but_not_an_alarm(
    call: Call, pump: Pump, world: Community, clock: FixedClock, stack: Stack
) -> None:
    from notifications import jobs_handler

    from tests.factories import lambda_context

    clock.set(clock.now().replace(hour=19))  # 03:00 in Shanghai
    publish(stack, bill(world))
    publish(
        stack,
        contracts.AlarmRaised(
            tenant_id=world.tenant_id, alarm_id="ALARM0001", rule_id="R1", rule_name="烟感报警",
            device_id="DEV0001", device_kind="smoke", site_id=world.site_id, building_id=world.building_a,
            severity="critical", kind="smoke", notify_residents=True,
        ),
    )  # fmt: skip
    pump()
    texts = texts_to(PHONE)
    assert [t for t in texts if "烟感报警" in t or "告警" in t]  # the alarm at once
    assert not [t for t in texts if "物业账单" in t]  # the bill waits for 08:00

    clock.set(clock.now().replace(hour=23, minute=59))  # 07:59
    assert jobs_handler.lambda_handler({}, lambda_context())["released"] == 0
    clock.set(clock.now().replace(day=11, hour=0, minute=10))  # 08:10: past the release spread
    assert jobs_handler.lambda_handler({}, lambda_context())["released"] == 1
    pump()
    assert len([t for t in texts_to(PHONE) if "物业账单" in t]) == 1


def test_the_daily_sms_cap_holds_for_fallback_sms(
    pump: Pump, world: Community, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications.wiring import wiring

    monkeypatch.setenv("SMS_DAILY_CAP", "1")
    wiring.reset()
    publish(stack, bill(world, "BILL0001", "a101"))
    publish(stack, bill(world, "BILL0002", "b201"))
    pump()
    assert len(texts_to(PHONE)) + len(texts_to(OTHER)) == 1


def test_when_push_fails_for_good_the_message_follows_by_sms(
    call: Call, pump: Pump, world: Community, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications.adapters.sns_push import PushSender
    from notifications.domain import SendFailed

    zhang = world.people["zhang"]
    device = call("POST", "/me/push-endpoints", as_=zhang, body={"platform": "fcm", "token": "gone-app-0001"})
    assert device.status == 201, device.body

    def uninstalled(self: PushSender, endpoint_arn: str, text: Any, data: dict[str, str]) -> str:
        raise SendFailed("endpoint_disabled", permanent=True)

    monkeypatch.setattr(PushSender, "send", uninstalled)
    publish(stack, bill(world))
    pump()

    [text] = texts_to(PHONE)
    assert "物业账单" in text
    [message] = inbox(call, zhang)
    records = deliveries(stack, world.tenant_id, message["message_id"])
    assert (records["push"]["status"], records["sms"]["status"]) == ("failed", "sent")
