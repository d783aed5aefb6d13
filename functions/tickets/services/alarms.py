"""Alarms become work orders: each sensors' ``AlarmRaised`` opens one repair ticket, filed by the system.

One work order per fault of a device: while a device's work order for a rule is not closed or cancelled, a
new alarm of that (device, rule) - a flapping device whose fault cleared and came back, a new episode with
a new ``alarm_id`` - joins it (a timeline entry with the episode's number) instead of dispatching again. The
link (``keys.device_work_order``) is written with the ticket and moves to the next ticket once the old one is
over; the ticket's state is read from this feature's own table.

One ticket per alarm: the alarm's claim (``keys.alarm_claim``) is written in the same transaction as the
ticket, and records the event ids it has seen. A delivery of an event already seen changes nothing; another
event for the same alarm (a re-raise) adds an "alarm raised again" entry to the ticket's timeline while the
ticket is not closed or cancelled, and is ignored after (the alarm's work order is over; a new incident
comes with a new ``alarm_id``).

The ticket is filed by the same use case as a person's (``tickets.services.tickets.file_ticket``, the
service's door being ``TicketService.create``): same SLA due times, same first assignee, same item shapes,
events ``TicketCreated`` and ``TicketAssigned`` (``tickets.services.tickets.filed_events``). The audit record
and the events commit with the ticket and the claim (``courtyard.outbox``): a redelivery that finds the claim
first flushes what the failed attempt could not send, so the events are never lost behind the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import ConfigDict, Field, field_validator

from courtyard.audit import TransactionalAuditLog
from courtyard.clock import Clock
from courtyard.directory import StaffView, TenantView, UnitView
from courtyard.duty import DutyCalendar, RosterLine
from courtyard.errors import Conflict
from courtyard.ids import new_id
from courtyard.models import Model
from courtyard.on_duty import rostered_ids
from courtyard.outbox import Outbox
from tickets import keys
from tickets.domain import TERMINAL_STATUSES, Category, Priority, TicketKind
from tickets.lifecycle import SYSTEM_USER_ID
from tickets.models import Id, Place, Ticket, TimelineRecord
from tickets.services.jobs import effective_settings, technicians
from tickets.services.tickets import Filing, NewTicket, file_ticket, filed_events, next_check

SOURCE = "courtyard.sensors"
DETAIL_TYPE = "AlarmRaised"
REPEAT_ACTION = "alarm"
_RACE_ATTEMPTS = 3
CRITICAL = "critical"


class UnknownReference(ValueError):
    """The alarm names a tenant, site or unit the directory does not know: the record fails (DLQ)."""


# ------------------------------------------------------------------ the event


class AlarmAction(Model):
    model_config = ConfigDict(frozen=True, extra="ignore")

    category: Category
    priority: Priority


class AlarmRaised(Model):
    """The detail of ``AlarmRaised`` (source ``courtyard.sensors``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    tenant_id: Id
    event_id: str = Field(min_length=1, max_length=128)
    occurred_at: datetime
    alarm_id: Id
    # The rule that raised it: the alarms of one (device, rule) share a work order while it is open.
    rule_id: Id | None = None
    device_id: str = Field(min_length=1, max_length=128)
    site_id: Id
    building_id: Id | None = None
    unit_id: Id | None = None
    severity: str = Field(min_length=1, max_length=32)
    kind: str = Field(min_length=1, max_length=64)
    # Absent when the rule only notifies: such an alarm opens no work order.
    action: AlarmAction | None = None

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurred_at must carry a timezone")
        return value


class AlarmEnvelope(Model):
    """The EventBridge event as the rule's SQS target delivers it in the message body."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    source: Literal["courtyard.sensors"]
    detail_type: Literal["AlarmRaised"] = Field(alias="detail-type")
    detail: AlarmRaised


def parse(body: str) -> AlarmRaised:
    """The alarm of one SQS message body; pydantic's ValidationError (a ValueError) when malformed."""
    return AlarmEnvelope.model_validate_json(body).detail


# ------------------------------------------------------------------ the pure rules


def priority_of(alarm: AlarmRaised, action: AlarmAction) -> Priority:
    """A critical alarm is an emergency whatever its rule says; otherwise the rule's priority."""
    return Priority.EMERGENCY if alarm.severity.lower() == CRITICAL else action.priority


def description_of(alarm: AlarmRaised) -> str:
    return f"Alarm {alarm.kind} ({alarm.severity}) from device {alarm.device_id}, alarm {alarm.alarm_id}"


def filing_of(alarm: AlarmRaised, place: Place) -> Filing:
    """The alarm's work order as the system files it: the same use case as a person's ticket
    (``tickets.services.tickets.file_ticket``), reported and filed by the system, carrying the device and the
    alarm."""
    if alarm.action is None:
        raise ValueError("an alarm without a work-order action opens no ticket")
    return Filing(
        tenant_id=alarm.tenant_id,
        kind=TicketKind.REPAIR,
        category=alarm.action.category,
        priority=priority_of(alarm, alarm.action),
        description=description_of(alarm),
        place=place,
        reporter_user_id=SYSTEM_USER_ID,
        reporter_resident_id=None,
        filed_by_user_id=SYSTEM_USER_ID,
        device_id=alarm.device_id,
        alarm_id=alarm.alarm_id,
        note=f"opened by alarm {alarm.alarm_id}",
    )


def episode_entry(ticket: Ticket, alarm: AlarmRaised, episode: int, now: datetime) -> TimelineRecord:
    status = ticket.status.value
    note = (
        f"alarm episode {episode} ({alarm.severity}, {alarm.kind}) by device {alarm.device_id}, "
        f"alarm {alarm.alarm_id}"
    )
    return TimelineRecord(now, SYSTEM_USER_ID, REPEAT_ACTION, status, status, note)


def repeat_entry(ticket: Ticket, alarm: AlarmRaised, now: datetime) -> TimelineRecord:
    status = ticket.status.value
    note = f"alarm raised again ({alarm.severity}, {alarm.kind}) by device {alarm.device_id}"
    return TimelineRecord(now, SYSTEM_USER_ID, REPEAT_ACTION, status, status, note)


# ------------------------------------------------------------------ the intake


class Outcome(StrEnum):
    OPENED = "opened"
    RAISED_AGAIN = "raised_again"
    JOINED = "joined"  # a new episode of a (device, rule) whose work order is still open
    DUPLICATE = "duplicate"  # this event was handled before
    IGNORED = "ignored"  # the alarm's ticket is closed or cancelled
    NO_WORK_ORDER = "no_work_order"  # the rule only notifies


@dataclass(frozen=True, slots=True)
class AlarmClaim:
    ticket_id: str
    event_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class DeviceWorkOrder:
    """The work order a (device, rule) joins while it is open, and how many alarm episodes it holds."""

    ticket_id: str
    episodes: int


class Raced(Exception):
    """A concurrent delivery changed the claim or the device's work order first: look again."""


class AlarmStore(Protocol):
    def alarm(self, tenant_id: str, alarm_id: str) -> AlarmClaim | None: ...
    def device_work_order(self, tenant_id: str, device_id: str, rule_id: str) -> DeviceWorkOrder | None: ...
    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None: ...
    def settings(self, tenant_id: str) -> dict[str, Any] | None: ...
    def open_counts(self, tenant_id: str) -> dict[str, int]: ...
    def open(
        self,
        new: NewTicket,
        *,
        alarm_id: str,
        event_id: str,
        next_check_at: datetime | None,
        link: tuple[str, str] | None = None,
        replaces: str | None = None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None: ...
    def join(
        self,
        ticket: Ticket,
        alarm_id: str,
        event_id: str,
        link: tuple[str, str],
        episode: int,
        entry: TimelineRecord,
        also: Sequence[dict[str, Any]] = (),
    ) -> None: ...
    def raise_again(
        self,
        ticket: Ticket,
        alarm_id: str,
        event_id: str,
        entry: TimelineRecord,
        also: Sequence[dict[str, Any]] = (),
    ) -> None: ...


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...
    def duty_calendar(self, tenant_id: str) -> DutyCalendar: ...
    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]: ...


class AlarmIntake:
    def __init__(
        self,
        store: AlarmStore,
        directory: Directory,
        audit: TransactionalAuditLog,
        clock: Clock,
        outbox: Outbox,
    ) -> None:
        self._store = store
        self._directory = directory
        self._audit = audit
        self._clock = clock
        self._outbox = outbox

    def handle(self, alarm: AlarmRaised) -> tuple[Outcome, str]:
        """Open the alarm's ticket, join its device's open one, or add the re-raise: (what, the ticket id)."""
        if alarm.action is None:
            return Outcome.NO_WORK_ORDER, ""
        for _ in range(_RACE_ATTEMPTS):
            try:
                return self._handle_once(alarm)
            except Raced:
                continue  # another delivery wrote first: what it wrote decides this one
        raise Conflict("the alarm's work order kept changing under concurrent deliveries")

    def _handle_once(self, alarm: AlarmRaised) -> tuple[Outcome, str]:
        t = alarm.tenant_id
        claim = self._store.alarm(t, alarm.alarm_id)
        if claim is not None:
            return self._again(alarm, claim)
        link = (alarm.device_id, alarm.rule_id) if alarm.rule_id else None
        current = self._store.device_work_order(t, *link) if link else None
        if link is not None and current is not None:
            open_ticket = self._store.get(t, current.ticket_id, consistent=True)
            if open_ticket is not None and open_ticket.status not in TERMINAL_STATUSES:
                return self._join(alarm, open_ticket, link, current)
        tenant = self._directory.tenant(t)
        if tenant is None:
            raise UnknownReference("the alarm's tenant is unknown")
        place = self._place(alarm)
        settings = effective_settings(self._store.settings(t), tenant)
        now = self._clock.now()
        on_roster = rostered_ids(self._directory, t, place.site_id, now)
        candidates = technicians(self._directory.staff_members(t), self._store.open_counts(t), on_roster)
        new = file_ticket(filing_of(alarm, place), settings, candidates, now, new_id())
        ticket = new.ticket
        audit = self._audit.put_action(
            None,
            "ticket.create",
            "ticket",
            ticket.ticket_id,
            {"kind": ticket.kind.value, "alarm_id": alarm.alarm_id, "dispatched": new.technician is not None},
            SYSTEM_USER_ID,
            tenant_id=t,
        )
        events = filed_events(new, now, assisted=False)
        pending = self._outbox.pending(keys.ticket_partition(t, ticket.ticket_id), events=events)
        try:
            self._store.open(
                new,
                alarm_id=alarm.alarm_id,
                event_id=alarm.event_id,
                next_check_at=next_check(ticket, settings),
                link=link,
                replaces=current.ticket_id if current else None,
                also=[audit, self._outbox.put_action(pending)],
            )
        except Conflict:
            # A concurrent delivery (this event, another of the alarm, or another episode) wrote first.
            raise Raced() from None
        self._outbox.flush(pending)
        return Outcome.OPENED, ticket.ticket_id

    def _join(
        self, alarm: AlarmRaised, ticket: Ticket, link: tuple[str, str], current: DeviceWorkOrder
    ) -> tuple[Outcome, str]:
        audit = self._audit.put_action(
            None,
            "ticket.alarm_episode",
            "ticket",
            ticket.ticket_id,
            {"alarm_id": alarm.alarm_id, "episode": current.episodes + 1},
            SYSTEM_USER_ID,
            tenant_id=alarm.tenant_id,
        )
        episode = current.episodes + 1
        entry = episode_entry(ticket, alarm, episode, self._clock.now())
        try:
            self._store.join(ticket, alarm.alarm_id, alarm.event_id, link, episode, entry, also=[audit])
        except Conflict:
            raise Raced() from None
        return Outcome.JOINED, ticket.ticket_id

    def _again(self, alarm: AlarmRaised, claim: AlarmClaim) -> tuple[Outcome, str]:
        # The attempt that opened the ticket may have failed after its commit: its events go out first.
        self._outbox.flush_entity(keys.ticket_partition(alarm.tenant_id, claim.ticket_id))
        if alarm.event_id in claim.event_ids:
            return Outcome.DUPLICATE, claim.ticket_id
        ticket = self._store.get(alarm.tenant_id, claim.ticket_id, consistent=True)
        if ticket is None or ticket.status in TERMINAL_STATUSES:
            return Outcome.IGNORED, claim.ticket_id
        audit = self._audit.put_action(
            None,
            "ticket.alarm_again",
            "ticket",
            ticket.ticket_id,
            {"alarm_id": alarm.alarm_id},
            SYSTEM_USER_ID,
            tenant_id=alarm.tenant_id,
        )
        try:
            self._store.raise_again(
                ticket,
                alarm.alarm_id,
                alarm.event_id,
                repeat_entry(ticket, alarm, self._clock.now()),
                also=[audit],
            )
        except Conflict:
            return Outcome.DUPLICATE, claim.ticket_id  # a concurrent delivery of this event recorded it
        return Outcome.RAISED_AGAIN, ticket.ticket_id

    def _place(self, alarm: AlarmRaised) -> Place:
        """Where the work is, checked against the directory: a unit of the alarm's site, or the site."""
        t = alarm.tenant_id
        if alarm.unit_id is not None:
            unit = self._directory.unit(t, alarm.unit_id)
            if unit is None or unit.site_id != alarm.site_id:
                raise UnknownReference("the alarm's unit is not a unit of its site")
            return Place(site_id=unit.site_id, unit_id=unit.unit_id, building_id=unit.building_id or None)
        if not self._directory.site_exists(t, alarm.site_id):
            raise UnknownReference("the alarm's site is unknown")
        location = f"device {alarm.device_id}"
        return Place(site_id=alarm.site_id, building_id=alarm.building_id, location=location)
