"""Which lane a delivery job takes: alarms, SOS and urgent work orders, visitors and payment receipts go on
the priority lane; notices (even urgent ones: a notice can have thousands of recipients), bills and arrears
letters stay on the bulk lane."""

from __future__ import annotations

import pytest
from notifications.domain import Category, Channel, Content, DeliveryJob, Priority, Recipient
from notifications.routing import Lane, lane_of


def job(category: Category, priority: Priority = Priority.NORMAL, template: str | None = None) -> DeliveryJob:
    return DeliveryJob(
        tenant_id="t",
        message_id="m",
        source="event:X:1" if template else "notice:N1",
        notice_id=None if template else "N1",
        recipient=Recipient(kind="user", user_id="u"),
        category=category,
        priority=priority,
        channels=(Channel.INBOX,),
        content=Content(template=template) if template else Content(),
        created_at="2026-03-10T02:00:00.000Z",
    )


@pytest.mark.parametrize(
    ("category", "priority", "template"),
    [
        (Category.ALARM, Priority.URGENT, "alarm_raised"),
        (Category.ALARM, Priority.URGENT, "alarm_residents"),
        (Category.VISITOR, Priority.NORMAL, "visitor_arrived"),
        (Category.VISITOR, Priority.URGENT, "pass_issued"),
        (Category.BILLING, Priority.NORMAL, "payment_succeeded"),
        (Category.TICKET, Priority.URGENT, "ticket_assigned"),  # an SOS or emergency work order
        (Category.TICKET, Priority.URGENT, "ticket_escalated"),
    ],
)
def test_urgent_kinds_take_the_priority_lane(category: Category, priority: Priority, template: str) -> None:
    assert lane_of(job(category, priority, template)) is Lane.PRIORITY


@pytest.mark.parametrize(
    ("category", "priority", "template"),
    [
        (Category.NOTICE, Priority.NORMAL, None),
        (Category.NOTICE, Priority.URGENT, None),
        (Category.BILLING, Priority.NORMAL, "bill_issued"),
        (Category.BILLING, Priority.NORMAL, "payment_overdue"),
        (Category.BILLING, Priority.NORMAL, "payment_formal_notice"),
        (Category.TICKET, Priority.NORMAL, "ticket_status_changed"),
        (Category.TICKET, Priority.NORMAL, "ticket_assigned"),
    ],
)
def test_bulk_kinds_take_the_bulk_lane(category: Category, priority: Priority, template: str | None) -> None:
    assert lane_of(job(category, priority, template)) is Lane.BULK
