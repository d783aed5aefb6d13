"""A staff member's acknowledgment of an emergency outside the app (``EmergencyAcknowledged`` from
notifications: they pressed 1 on the ladder's voice call) acknowledges the alarm as if they had tapped
确认 in the app (``POST /alarms/{id}/ack``).

Who acknowledges comes from the directory's staff record, not from the event: an active staff member with a
role that watches alarms; a deactivated member or another firm's ids change nothing. Only an active alarm is
acknowledged (``sensors.lifecycle``); one already acknowledged or cleared stays as it is, so a redelivery
does nothing. ``AlarmAcknowledged`` goes out as from the app (the response-time KPI reads it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.directory import StaffView
from courtyard.errors import Conflict, NotFound
from courtyard.tenancy import Role, TenantContext
from schemas.events import EmergencyAcknowledged
from sensors.domain import AlarmStatus
from sensors.lifecycle import Alarm

# The roles that watch alarms and may acknowledge one (``sensors.services.sensors.WATCH``).
WATCH = frozenset({Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.GUARD})


class Outcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already"  # acknowledged or cleared before (a redelivery, or the app was faster)
    UNKNOWN_STAFF = "unknown_staff"  # no such active staff member watching alarms in this firm
    NO_ALARM = "no_alarm"
    IGNORED = "ignored"  # not an alarm's acknowledgment


class Book(Protocol):
    def acknowledge(self, tenant_id: str, alarm_id: str, user_id: str) -> Alarm: ...
    def get(self, tenant_id: str, alarm_id: str) -> Alarm: ...


class Staff(Protocol):
    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None: ...


class EmergencyAlarmAcks:
    def __init__(self, book: Book, staff: Staff, audit: AuditLog) -> None:
        self._book = book
        self._staff = staff
        self._audit = audit

    def handle(self, ack: EmergencyAcknowledged) -> Outcome:
        if ack.subject != "alarm":
            return Outcome.IGNORED
        t = ack.tenant_id
        member = self._staff.staff_member(t, ack.person_id)
        roles = frozenset(Role(r) for r in member.roles if r in WATCH) if member else frozenset()
        if member is None or not member.active or not roles:
            return Outcome.UNKNOWN_STAFF
        # Acknowledged by their login, as in the app; a member without one is named by their staff id.
        by = member.user_id or f"staff:{member.staff_id}"
        try:
            self._book.acknowledge(t, ack.subject_id, by)
        except NotFound:
            return Outcome.NO_ALARM
        except Conflict:
            if self._book.get(t, ack.subject_id).status is AlarmStatus.ACTIVE:
                raise  # a concurrent re-trigger moved its version: the redelivery acknowledges it
            return Outcome.ALREADY
        ctx = TenantContext(tenant_id=t, user_id=by, roles=roles, person_id=member.staff_id)
        self._audit.record(ctx, "alarm.acknowledge", "alarm", ack.subject_id, {"channel": ack.channel})
        return Outcome.ACKNOWLEDGED
