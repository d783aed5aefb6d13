"""Which domain event becomes which message, for whom, on which channels (pure over a directory reader).

- TicketAssigned: the assignee (their login, else the staff record); ticket; urgent for emergency and
  urgent tickets; inbox + push.
- TicketStatusChanged: the reporter (None or "system": nobody); ticket; inbox + push.
- TicketSlaBreached: the managers serving the ticket's site; ticket; urgent; inbox + push + email.
- AlarmRaised: on-duty staff holding a ``notify_roles`` role and serving the site (and building), and the
  building's residents and their units' family proxies when ``notify_residents`` (fire, smoke); alarm
  (always urgent); inbox + push + SMS.
  Re-raises (``repeat``) notify nobody: people were alerted when the alarm became active.
- BillIssued: the unit's residents and its family proxies (子女代办); billing; inbox + push + email; one
  text at most for the household (``household_once``).
- PaymentSucceeded: the payer (a receipt); billing; inbox + email.
- PaymentOverdue: the unit's residents and family proxies; billing; inbox + push, the formal step also by
  email; one text at most for the household, like the bill.
- TicketCreated of an SOS (一键求助) in a unit: the unit's family proxies; alarm (urgent); inbox + push + SMS.
- PassIssued: the visitor, by SMS only (the pass link); visitor; urgent (a visitor is on the way).
- VisitorArrived: the host; visitor; inbox + push.
- TicketEscalated: the staff of the role it went to (the community's managers) serving the ticket's site;
  ticket; urgent; inbox + push + email.

Messages speak people's words (``notifications.wording``): times in the firm's time zone (the directory's
tenant record), units by their label (``3栋2单元501室``), devices by name and place, amounts in yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from courtyard.clock import to_iso
from courtyard.directory import TenantView, UnitView
from notifications import audience, household_once
from notifications.domain import Category, Channel, Content, Priority, Recipient
from notifications.templates import money
from notifications.wording import device_label, local_time, status_zh
from schemas.events import (
    AlarmRaised,
    BillIssued,
    Event,
    PassIssued,
    PaymentOverdue,
    PaymentSucceeded,
    TicketAssigned,
    TicketCreated,
    TicketEscalated,
    TicketSlaBreached,
    TicketStatusChanged,
    VisitorArrived,
)

CONSUMED = (
    "TicketCreated",
    "TicketAssigned",
    "TicketStatusChanged",
    "TicketSlaBreached",
    "TicketEscalated",
    "AlarmRaised",
    "BillIssued",
    "PaymentSucceeded",
    "PaymentOverdue",
    "PassIssued",
    "VisitorArrived",
)

_INBOX_PUSH = (Channel.INBOX, Channel.PUSH)


class Directory(audience.Directory, Protocol):
    """The audience's reads, plus the firm (its time zone) and a unit (its label)."""

    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...


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
    household: HouseholdOf | None = None  # a unit's money message: one text at most (household_once)


@dataclass(frozen=True)
class HouseholdOf:
    """The unit a money message is for and the recipient key of its one person who may be texted."""

    unit_id: str
    texter_key: str | None


def messages_for(event: Event, directory: Directory) -> list[EventMessage]:
    """The messages an event produces (empty when nobody is to be told)."""
    t = event.tenant_id
    firm = directory.tenant(t)
    timezone = firm.timezone if firm else None
    if isinstance(event, TicketCreated):
        if event.kind != "sos" or not event.unit_id:
            return []
        return [
            EventMessage(
                audience.proxies_of_unit(directory, t, event.unit_id),
                "sos_family",
                {"unit": _unit(directory, t, event.unit_id), "at": local_time(event.occurred_at, timezone)},
                Category.ALARM,
                Priority.URGENT,
                (Channel.INBOX, Channel.PUSH, Channel.SMS),
                {"ticket_id": event.ticket_id},
            )
        ]
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
        unit = _unit(directory, t, event.unit_id) if event.unit_id else ""
        return [
            EventMessage(
                audience.by_login(directory, t, event.reporter_user_id),
                "ticket_status_changed",
                {
                    "ticket_ref": _ref(event.ticket_id),
                    "to_status": event.to_status,
                    "status_zh": status_zh(event.to_status),
                    "unit": unit,
                    "unit_en": f" ({unit})" if unit else "",
                    "at": local_time(event.occurred_at, timezone),
                },
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
                    "due_at": local_time(event.due_at, timezone),
                },
                Category.TICKET,
                Priority.URGENT,
                (Channel.INBOX, Channel.PUSH, Channel.EMAIL),
                {"ticket_id": event.ticket_id},
            )
        ]
    if isinstance(event, TicketEscalated):
        return [
            EventMessage(
                audience.staff_of_site(directory, t, event.site_id, [event.to_role]),
                "ticket_escalated",
                {"ticket_ref": _ref(event.ticket_id), "priority": event.priority, "reason": event.reason},
                Category.TICKET,
                Priority.URGENT,
                (Channel.INBOX, Channel.PUSH, Channel.EMAIL),
                {"ticket_id": event.ticket_id},
            )
        ]
    if isinstance(event, AlarmRaised):
        return _alarm(event, directory)
    if isinstance(event, BillIssued):
        household = _household(directory, t, event.unit_id)
        return [
            EventMessage(
                household[0],
                "bill_issued",
                {
                    "unit": _unit(directory, t, event.unit_id),
                    "period": event.period,
                    "amount": money(event.amount_due, event.currency),
                    "due_date": event.due_date,
                    "at": local_time(event.occurred_at, timezone),
                },
                Category.BILLING,
                Priority.NORMAL,
                (Channel.INBOX, Channel.PUSH, Channel.EMAIL),
                {"bill_id": event.bill_id},
                household=household[1],
            )
        ]
    if isinstance(event, PaymentSucceeded):
        return [
            EventMessage(
                audience.by_login(directory, t, event.payer_user_id),
                "payment_succeeded",
                {
                    "amount": money(event.amount, event.currency),
                    "paid_at": local_time(event.paid_at, timezone),
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
        household = _household(directory, t, event.unit_id)
        return [
            EventMessage(
                household[0],
                "payment_formal_notice" if event.formal else "payment_overdue",
                {
                    "unit": _unit(directory, t, event.unit_id),
                    "period": event.period,
                    "amount": money(event.amount_due, event.currency),
                    "due_date": event.due_date,
                    "days_overdue": str(event.days_overdue),
                    "at": local_time(event.occurred_at, timezone),
                },
                Category.BILLING,
                Priority.NORMAL,
                channels,
                {"bill_id": event.bill_id, "step": event.step},
                household=household[1],
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
                    "valid_until": local_time(event.valid_until, timezone),
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
                    "arrived_at": local_time(event.arrived_at, timezone),
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
        # People call a device by its name and place ("2号楼电梯"), never by its id.
        "device": device_label(event.device_name, event.device_location, event.device_kind),
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
        residents = audience.unique(
            audience.residents_of_site(directory, t, event.site_id, buildings=[event.building_id])
            + audience.proxies_of_building(directory, t, event.site_id, event.building_id)
        )
        messages.append(
            EventMessage(
                residents, "alarm_residents", params, Category.ALARM, Priority.URGENT, channels, data
            )
        )
    return messages


def _household(directory: Directory, tenant_id: str, unit_id: str) -> tuple[list[Recipient], HouseholdOf]:
    """Who hears of a unit's bills (its residents and its family proxies), and its one texter."""
    members = directory.unit_members(tenant_id, unit_id)
    proxies = audience.proxies_of_unit(directory, tenant_id, unit_id)
    residents = [Recipient(kind="resident", person_id=m.resident_id) for m in members]
    chosen = household_once.texter(members, [p.person_id for p in proxies if p.person_id])
    texter_key = Recipient(kind="resident", person_id=chosen).key if chosen else None
    return audience.unique(residents + proxies), HouseholdOf(unit_id, texter_key)


def _unit(directory: Directory, tenant_id: str, unit_id: str) -> str:
    """The unit as residents write it (``3栋2单元501室``); empty when the directory no longer has it."""
    unit = directory.unit(tenant_id, unit_id)
    return unit.label if unit and unit.label else ""


def _ref(ticket_id: str) -> str:
    return f"#{ticket_id[-6:]}"


def source_of(detail_type: str, event: Event) -> str:
    return f"event:{detail_type}:{event.event_id}"


def content_of(message: EventMessage) -> Content:
    return Content(template=message.template, params=message.params)


def occurred(event: Event) -> str:
    return to_iso(event.occurred_at)
