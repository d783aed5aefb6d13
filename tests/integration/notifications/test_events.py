"""Every consumed event type becomes its message for the right people (fed as the models of
schemas/events.py, through the bus and the notifications' rule and queue); a duplicate yields one."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.crypto import FieldCipher
from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.conftest import Arranged
from tests.integration.notifications.conftest import Caller, Community, People, Pump, Reply, outbox

Call = Callable[..., Reply]
NOW = "2026-03-10T02:00:00.000Z"


@pytest.fixture
def world(arranged: Arranged, seed: Callable[..., Community], people: People) -> Community:
    def build() -> Community:
        community = seed()
        people.resident(community, "li", "a101", phone="13900000011", email="li@example.com")
        people.resident(community, "li_family", "a101")
        people.resident(community, "ma", "b201", phone="13900000013")
        people.staff(community, "manager", Role.MANAGER, email="manager@example.com")
        people.staff(community, "tech", Role.TECHNICIAN, skills=("plumbing",))
        people.staff(community, "guard_a", Role.GUARD, buildings=(community.building_a,), phone="13900000021")
        people.staff(community, "guard_off", Role.GUARD, on_duty=False)
        people.staff(community, "guard_b", Role.GUARD, buildings=(community.building_b,))
        return community

    return arranged(build)


def publish(stack: Stack, event: contracts.Event) -> None:
    """Put the event on the bus exactly as its producer would."""
    name = type(event).__name__
    source, _ = contracts.EVENTS[name]
    sent = boto3.client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.ref("EventBus"),
                "Source": source,
                "DetailType": name,
                "Detail": event.model_dump_json(),
            }
        ]
    )
    assert sent["FailedEntryCount"] == 0


def inbox(call: Call, who: Caller) -> list[dict[str, Any]]:
    reply = call("GET", "/inbox", as_=who)
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.body["items"]
    return items


def user(world: Community, name: str) -> str:
    return world.people[name].user_id


def test_ticket_assigned_tells_the_technician(call: Call, pump: Pump, world: Community, stack: Stack) -> None:
    publish(
        stack,
        contracts.TicketAssigned(
            tenant_id=world.tenant_id,
            ticket_id="TICKET000123",
            site_id=world.site_id,
            priority="urgent",
            assignee_staff_id=world.staff_ids["tech"],
            assignee_user_id=user(world, "tech"),
            by="system",
        ),
    )
    pump()
    [message] = inbox(call, world.people["tech"])
    assert message["title"] == "新工单 #000123"
    assert (message["category"], message["priority"], message["data"]) == (
        "ticket",
        "urgent",
        {"ticket_id": "TICKET000123"},
    )
    assert inbox(call, world.people["manager"]) == []


def test_ticket_status_changed_tells_the_reporter_and_nobody_for_system_tickets(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    for reporter in (user(world, "li"), None, "system"):
        publish(
            stack,
            contracts.TicketStatusChanged(
                tenant_id=world.tenant_id,
                ticket_id="TICKET000777",
                site_id=world.site_id,
                action="resolve",
                from_status="in_progress",
                to_status="resolved",
                by=user(world, "tech"),
                reporter_user_id=reporter,
            ),
        )
    pump()
    [body] = [m["body"] for m in inbox(call, world.people["li"])]
    assert body.startswith("您的报修 #000777 于 ")
    assert body.endswith("已维修完成，请确认。")
    assert inbox(call, world.people["tech"]) == []


def test_sla_breach_tells_the_managers_of_the_site_also_by_email(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    publish(
        stack,
        contracts.TicketSlaBreached(
            tenant_id=world.tenant_id,
            ticket_id="TICKET000555",
            site_id=world.site_id,
            priority="normal",
            target="response",
            due_at=NOW,
            assignee_staff_id=None,
        ),
    )
    pump()
    assert [m["title"] for m in inbox(call, world.people["manager"])] == ["工单超时 #000555"]
    assert any(e.to == ["manager@example.com"] and "#000555" in e.subject for e in outbox().emails)


def test_an_alarm_tells_on_duty_staff_of_its_roles_and_the_buildings_residents_at_once(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    alarm = contracts.AlarmRaised(
        tenant_id=world.tenant_id,
        alarm_id="ALM-1",
        rule_id="R1",
        rule_name="烟感报警",
        device_id="SMOKE-1",
        device_kind="smoke",
        site_id=world.site_id,
        building_id=world.building_a,
        severity="critical",
        kind="smoke",
        notify_roles=["guard"],
        notify_residents=True,
    )
    publish(stack, alarm)
    publish(stack, alarm.model_copy(update={"event_id": str(uuid.uuid4()), "repeat": True, "count": 2}))
    pump()

    [guard_message] = inbox(call, world.people["guard_a"])
    assert (guard_message["title"], guard_message["priority"]) == ("告警：烟感报警", "urgent")
    assert inbox(call, world.people["guard_off"]) == []  # off duty
    assert inbox(call, world.people["guard_b"]) == []  # serves building B only
    assert inbox(call, world.people["tech"]) == []  # not a role the rule names
    assert [m["title"] for m in inbox(call, world.people["li"])] == ["紧急通知：烟感报警"]
    assert [m["title"] for m in inbox(call, world.people["li_family"])] == ["紧急通知：烟感报警"]
    assert inbox(call, world.people["ma"]) == []  # building B
    # Urgent, no push device: SMS is the fallback for staff and residents alike (the re-raise sent nothing).
    texts = [s for s in outbox().sms if "烟感报警" in s.message]
    assert sorted(s.phone_number for s in texts) == ["+8613900000011", "+8613900000021"]


def test_billing_events_reach_the_units_residents_and_the_payer(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    t, unit = world.tenant_id, world.units["a101"]
    # Bills and receipts go by e-mail only to people who asked for it (issue 18): li has.
    on = {"push": True, "sms": True, "email": True}
    body = {"language": "zh-CN", "quiet_hours": None, "categories": {"billing": on}}
    assert call("PUT", "/me/notification-preferences", as_=world.people["li"], body=body).status == 200
    publish(
        stack,
        contracts.BillIssued(
            tenant_id=t,
            bill_id="BILL1",
            site_id=world.site_id,
            unit_id=unit,
            period="2026-03",
            amount_due=123456,
            currency="CNY",
            due_date="2026-03-31",
        ),
    )
    publish(
        stack,
        contracts.PaymentSucceeded(
            tenant_id=t,
            payment_id="PAY1",
            provider="sandbox",
            payer_user_id=user(world, "li"),
            site_id=world.site_id,
            unit_ids=[unit],
            bill_ids=["BILL1"],
            amount=123456,
            currency="CNY",
            paid_at=NOW,
        ),
    )
    publish(
        stack,
        contracts.PaymentOverdue(
            tenant_id=t,
            bill_id="BILL2",
            site_id=world.site_id,
            unit_id=unit,
            period="2026-02",
            step="formal_notice",
            days_overdue=30,
            formal=True,
            amount_due=5000,
            currency="CNY",
            due_date="2026-02-28",
        ),
    )
    pump()

    titles = sorted(m["title"] for m in inbox(call, world.people["li"]))
    assert titles == sorted(["2026-03 账单已出", "缴费成功", "催缴通知书"])
    assert sorted(m["title"] for m in inbox(call, world.people["li_family"])) == sorted(
        ["2026-03 账单已出", "催缴通知书"]
    )
    assert inbox(call, world.people["ma"]) == []
    bill = next(m for m in inbox(call, world.people["li"]) if m["title"] == "2026-03 账单已出")
    assert "¥1,234.56" in bill["body"]
    subjects = [e.subject for e in outbox().emails if e.to == ["li@example.com"]]
    assert {"2026-03 账单已出", "缴费成功", "催缴通知书"} <= set(subjects)


def test_a_pass_link_goes_to_the_visitor_by_sms_and_an_arrival_to_the_host(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    phone_enc = FieldCipher(stack.ref("PiiKey")).encrypt(world.tenant_id, "13700000099")
    publish(
        stack,
        contracts.PassIssued(
            tenant_id=world.tenant_id,
            pass_id="PASS1",
            site_id=world.site_id,
            unit_id=world.units["a101"],
            host_user_id=user(world, "li"),
            visitor_name="Zhao",
            visitor_phone_enc=phone_enc,
            share_url="https://pass.example.com/p/PASS1",
            valid_from=NOW,
            valid_until="2026-03-10T12:00:00.000Z",
            entries_allowed=1,
        ),
    )
    publish(
        stack,
        contracts.VisitorArrived(
            tenant_id=world.tenant_id,
            pass_id="PASS1",
            site_id=world.site_id,
            unit_id=world.units["a101"],
            host_user_id=user(world, "li"),
            visitor_name="Zhao",
            gate_id="north",
            entry_number=1,
            arrived_at=NOW,
        ),
    )
    pump()

    [sms] = [s for s in outbox().sms if s.phone_number == "+8613700000099"]
    # A short link instead of the long signed one; it leads to the pass.
    assert "https://pass.example.com/p/PASS1" not in sms.message
    [code] = re.findall(r"https://courtyard\.example/m/s/(\w{10})", sms.message)
    resolved = call("GET", f"/links/{code}")
    assert resolved.status == 200, resolved.body
    assert (resolved.body["kind"], resolved.body["url"]) == (
        "visitor_pass",
        "https://pass.example.com/p/PASS1",
    )
    assert call("GET", "/links/ZZZZZZZZZZ").status == 404
    assert [m["title"] for m in inbox(call, world.people["li"])] == ["访客已到达"]


@pytest.mark.reliability
def test_a_duplicate_event_yields_one_message(call: Call, pump: Pump, world: Community, stack: Stack) -> None:
    event = contracts.VisitorArrived(
        tenant_id=world.tenant_id,
        pass_id="PASS2",
        site_id=world.site_id,
        unit_id=None,
        host_user_id=user(world, "li"),
        visitor_name="Qian",
        gate_id=None,
        entry_number=1,
        arrived_at=NOW,
    )
    publish(stack, event)
    publish(stack, event)
    pump()
    publish(stack, event)  # a late redelivery, after the first was handled
    pump()
    assert len(inbox(call, world.people["li"])) == 1
    assert call("GET", "/inbox/unread-count", as_=world.people["li"]).body == {"unread": 1}


def test_malformed_and_unknown_events_fail_alone(pump: Pump, world: Community, stack: Stack) -> None:
    from notifications import events_handler

    sqs = boto3.client("sqs")
    good = contracts.VisitorArrived(
        tenant_id=world.tenant_id,
        pass_id="PASS3",
        site_id=world.site_id,
        unit_id=None,
        host_user_id=user(world, "li"),
        visitor_name="Sun",
        gate_id=None,
        entry_number=1,
        arrived_at=NOW,
    )
    bodies = [
        json.dumps(
            {
                "source": "courtyard.visitors",
                "detail-type": "VisitorArrived",
                "detail": json.loads(good.model_dump_json()),
            }
        ),
        "not json",
        json.dumps({"source": "courtyard.billing", "detail-type": "VisitorArrived", "detail": {}}),
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=stack.ref("NotificationsEventQueue"), MessageBody=body)
    result = pump.batch("NotificationsEventQueue", events_handler)
    assert result is not None
    assert len(result["batchItemFailures"]) == 2


def test_the_event_rule_matches_exactly_the_consumed_types(template: Any) -> None:
    from notifications import emergency_ladder
    from notifications.event_messages import CONSUMED

    # Messages for CONSUMED, the emergency ladder's events; ResidentErased deletes the person's notifications
    # (services/erasure.py), PersonalDataExportRequested writes their part of an export (services/export.py),
    # ResidentWeChatLinked keeps the person's WeChat (services/wechat_links.py).
    consumed = (
        set(CONSUMED)
        | set(emergency_ladder.CONSUMED)
        | {"ResidentErased", "PersonalDataExportRequested", "ResidentWeChatLinked"}
    )
    rule = template.resources["NotificationsEventRule"]["Properties"]["EventPattern"]
    assert sorted(rule["detail-type"]) == sorted(consumed)
    assert sorted(rule["source"]) == sorted({contracts.EVENTS[name][0] for name in consumed})


def test_an_escalated_work_order_tells_the_communitys_managers(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    publish(
        stack,
        contracts.TicketEscalated(
            tenant_id=world.tenant_id,
            ticket_id="01JTICKETESCALATED0000042",
            site_id=world.site_id,
            priority="urgent",
            to_role="manager",
            reason="not accepted within 10 minutes after 2 re-dispatches",
            assignee_staff_id=None,
        ),
    )
    pump()

    [message] = inbox(call, world.people["manager"])
    assert message["title"] == "工单升级 #000042"
    assert message["priority"] == "urgent"
    assert message["data"] == {"ticket_id": "01JTICKETESCALATED0000042"}
    for name in ("tech", "guard_a", "li"):
        assert inbox(call, world.people[name]) == [], name
    assert any("工单升级" in e.subject for e in outbox().emails if "manager@example.com" in e.to)
