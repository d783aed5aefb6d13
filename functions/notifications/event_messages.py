"""Which domain event becomes which message, for whom, on which channels (pure over a directory reader).

- TicketAssigned: the assignee (their login, else the staff record); ticket; urgent for emergency and
  urgent tickets; inbox + push.
- TicketStatusChanged: the reporter (None or "system": nobody); ticket; inbox + push.
- TicketSlaBreached: the managers serving the ticket's site; ticket; urgent; inbox + push + email.
- AlarmRaised: on-duty staff holding a ``notify_roles`` role and serving the site (and building), and the
  building's residents when ``notify_residents`` (fire, smoke); alarm (always urgent); inbox + push + SMS.
  Re-raises (``repeat``) notify nobody: people were alerted when the alarm became active.
- BillIssued: the unit's residents; billing; inbox + push + email.
- PaymentSucceeded: the payer (a receipt); billing; inbox + email.
- PaymentOverdue: the unit's residents; billing; inbox + push, the formal step also by email.
- PassIssued: the visitor, by SMS only (the pass link); visitor; urgent (a visitor is on the way).
- VisitorArrived: the host; visitor; inbox + push.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from courtyard.clock import to_iso
from notifications import audience
from notifications.audience import Directory
from notifications.domain import Category, Channel, Content, Priority, Recipient
from notifications.templates import money
from schemas.events import (
    AlarmRaised,
    BillIssued,
    Event,
    PassIssued,
    PaymentOverdue,
    PaymentSucceeded,
    TicketAssigned,
    TicketSlaBreached,
    TicketStatusChanged,
    VisitorArrived,
)

CONSUMED = (
    "TicketAssigned",
    "TicketStatusChanged",
    "TicketSlaBreached",
    "AlarmRaised",
    "BillIssued",
    "PaymentSucceeded",
    "PaymentOverdue",
    "PassIssued",
    "VisitorArrived",
)

_INBOX_PUSH = (Channel.INBOX, Channel.PUSH)


@dataclass(frozen=True)
class EventMessage:
    """One message of an event, the same for each of its recipients."""

    recipients: list[Recipient]
    template: str
    params: dict[str, str]
    category: Category
    priority: Priority
    channels: tuple[Channel, ...]
    data: dict[str, str] = field(default_factory=dict)


def messages_for(event: Event, directory: Directory) -> list[EventMessage]:
    """The messages an event produces (empty when nobody is to be told)."""
    t = event.tenant_id
    if isinstance(event, TicketAssigned):
        recipients = audience.by_login(directory, t, event.assignee_user_id)
        if not recipients:
            recipients = [Recipient(kind="staff", person_id=event.assignee_staff_id)]
        urgent = event.priority in ("emergency", "urgent")
        return [
            EventMessage(
                recipients,
                "ticket_assigned",
                {"ticket_ref": _ref(event.ticket_id), "priority": event.priority},
                Category.TICKET,
                Priority.URGENT if urgent else Priority.NORMAL,
                _INBOX_PUSH,
                {"ticket_id": event.ticket_id},
            )
        ]
    if isinstance(event, TicketStatusChanged):
        return [
            EventMessage(
                audience.by_login(directory, t, event.reporter_user_id),
                "ticket_status_changed",
                {"ticket_ref": _ref(event.ticket_id), "to_status": event.to_status},
                Category.TICKET,
                Priority.NORMAL,
                _INBOX_PUSH,
                {"ticket_id": event.ticket_id},
            )
        ]
    if isinstance(event, TicketSlaBreached):
        return [
            EventMessage(
                audience.staff_of_site(directory, t, event.site_id, ["manager"]),
                "ticket_sla_breached",
                {
                    "ticket_ref": _ref(event.ticket_id),
                    "priority": event.priority,
                    "target": event.target,
                    "due_at": event.due_at,
                },
                Category.TICKET,
                Priority.URGENT,
                (Channel.INBOX, Channel.PUSH, Channel.EMAIL),
                {"ticket_id": event.ticket_id},
            )
        ]
    if isinstance(event, AlarmRaised):
        return _alarm(event, directory)
    if isinstance(event, BillIssued):
        return [
            EventMessage(
                audience.residents_of_unit(directory, t, event.unit_id),
                "bill_issued",
                {
                    "period": event.period,
                    "amount": money(event.amount_due, event.currency),
                    "due_date": event.due_date,
                },
                Category.BILLING,
                Priority.NORMAL,
                (Channel.INBOX, Channel.PUSH, Channel.EMAIL),
                {"bill_id": event.bill_id},
            )
        ]
    if isinstance(event, PaymentSucceeded):
        return [
            EventMessage(
                audience.by_login(directory, t, event.payer_user_id),
                "payment_succeeded",
                {
                    "amount": money(event.amount, event.currency),
                    "paid_at": event.paid_at,
                    "payment_id": event.payment_id,
                },
                Category.BILLING,
                Priority.NORMAL,
                (Channel.INBOX, Channel.EMAIL),
                {"payment_id": event.payment_id},
            )
        ]
    if isinstance(event, PaymentOverdue):
        channels = (Channel.INBOX, Channel.PUSH, Channel.EMAIL) if event.formal else _INBOX_PUSH
        return [
            EventMessage(
                audience.residents_of_unit(directory, t, event.unit_id),
                "payment_formal_notice" if event.formal else "payment_overdue",
                {
                    "period": event.period,
                    "amount": money(event.amount_due, event.currency),
                    "due_date": event.due_date,
                    "days_overdue": str(event.days_overdue),
                },
                Category.BILLING,
                Priority.NORMAL,
                channels,
                {"bill_id": event.bill_id, "step": event.step},
            )
        ]
    if isinstance(event, PassIssued):
        if not event.visitor_phone_enc:
            return []
        visitor = Recipient(
            kind="visitor",
            person_id=event.pass_id,
            phone_enc=event.visitor_phone_enc,
            name=event.visitor_name,
        )
        return [
            EventMessage(
                [visitor],
                "pass_issued",
                {
                    "visitor_name": event.visitor_name,
                    "share_url": event.share_url,
                    "valid_until": event.valid_until,
                },
                Category.VISITOR,
                Priority.URGENT,  # the visitor is on the way: quiet hours do not apply to a stranger
                (Channel.SMS,),
                {"pass_id": event.pass_id},
            )
        ]
    if isinstance(event, VisitorArrived):
        return [
            EventMessage(
                audience.by_login(directory, t, event.host_user_id),
                "visitor_arrived",
                {
                    "visitor_name": event.visitor_name,
                    "arrived_at": event.arrived_at,
                    "gate": f" ({event.gate_id})" if event.gate_id else "",
                },
                Category.VISITOR,
                Priority.NORMAL,
                _INBOX_PUSH,
                {"pass_id": event.pass_id},
            )
        ]
    return []


def _alarm(event: AlarmRaised, directory: Directory) -> list[EventMessage]:
    if event.repeat:
        return []
    t = event.tenant_id
    params = {
        "rule_name": event.rule_name,
        "severity": event.severity,
        "device_id": event.device_id,
        "kind": event.kind,
    }
    data = {"alarm_id": event.alarm_id, "site_id": event.site_id}
    channels = (Channel.INBOX, Channel.PUSH, Channel.SMS)
    messages = []
    if event.notify_roles:
        staff = audience.staff_of_site(
            directory, t, event.site_id, event.notify_roles, building_id=event.building_id, on_duty_only=True
        )
        messages.append(
            EventMessage(staff, "alarm_raised", params, Category.ALARM, Priority.URGENT, channels, data)
        )
    if event.notify_residents and event.building_id:
        residents = audience.residents_of_site(directory, t, event.site_id, buildings=[event.building_id])
        messages.append(
            EventMessage(
                residents, "alarm_residents", params, Category.ALARM, Priority.URGENT, channels, data
            )
        )
    return messages


def _ref(ticket_id: str) -> str:
    return f"#{ticket_id[-6:]}"


def source_of(detail_type: str, event: Event) -> str:
    return f"event:{detail_type}:{event.event_id}"


def content_of(message: EventMessage) -> Content:
    return Content(template=message.template, params=message.params)


def occurred(event: Event) -> str:
    return to_iso(event.occurred_at)
