"""The alarm lifecycle after the engine raises: active -> acknowledged -> cleared, one open alarm per
(device, rule), and the events the other features act on.

- A raise opens a new alarm unless one is open for the (device, rule); then it is a re-trigger.
- A re-trigger while open adds to ``count`` and ``last_at``; ``AlarmRaised(repeat=True)`` goes out at most
  every ``REPEAT_PUBLISH_S`` per alarm, so repeats reach the same ticket without flooding it.
- The raise's own event id is kept on the alarm until publishing it succeeded (``published_at``): a retry
  of the same message finds the alarm unpublished and sends that event again (tickets dedupe on event id).
- Acknowledge (staff: "seen, on it") only from active; clear by hand from active or acknowledged, or by the
  engine when the clear condition held. Clearing twice is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Final

from courtyard.clock import to_iso
from courtyard.errors import Conflict
from sensors.domain import OPEN_ALARM_STATUSES, AlarmStatus, Device, Severity
from sensors.engine import CompiledRule
from sensors.rules import EventMatch, Heartbeat, Rate, Threshold

if TYPE_CHECKING:
    # Imported by the event builders when first used (issue 21's cold start): schemas/events.py defines every
    # feature's events, and the sensors API's reads (most first requests) publish none.
    from schemas.events import AlarmAcknowledged, AlarmCleared, AlarmRaised

REPEAT_PUBLISH_S: Final = 600
SYSTEM: Final = "system"


@dataclass(frozen=True, slots=True)
class Alarm:
    tenant_id: str
    alarm_id: str
    rule_id: str
    rule_name: str
    device_id: str
    device_kind: str
    site_id: str
    severity: Severity
    kind: str
    status: AlarmStatus
    raised_at: str
    last_at: str
    raise_event_id: str
    building_id: str | None = None
    unit_id: str | None = None
    metric: str | None = None
    value: float | str | None = None
    threshold: float | None = None
    count: int = 1
    published_at: str | None = None  # the last AlarmRaised that went out (None: the raise is unpublished)
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    cleared_at: str | None = None
    cleared_by: str | None = None
    work_order_category: str | None = None
    work_order_priority: str | None = None
    notify_roles: tuple[str, ...] = ()
    notify_residents: bool = False
    version: int = 1
    device_name: str | None = None  # as registered, for the messages people read
    device_location: str | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN_ALARM_STATUSES


def alarm_kind(rule: CompiledRule) -> str:
    """What happened, in AlarmRaised.kind: threshold, rate, the event's name, or offline."""
    condition = rule.spec.condition
    if isinstance(condition, EventMatch):
        return condition.event
    if isinstance(condition, Heartbeat):
        return "offline"
    return condition.type


def _number(value: object) -> float | str | None:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return float(value)
    return value if isinstance(value, str) else None


def new_alarm(
    device: Device,
    rule: CompiledRule,
    value: object,
    now: datetime,
    alarm_id: str,
    event_id: str,
) -> Alarm:
    condition = rule.spec.condition
    threshold: float | None = None
    if isinstance(condition, Threshold) and isinstance(condition.value, int | float):
        threshold = None if isinstance(condition.value, bool) else float(condition.value)
    elif isinstance(condition, Rate):
        threshold = condition.per_minute
    work_order = rule.spec.actions.work_order
    at = to_iso(now)
    return Alarm(
        tenant_id=device.tenant_id,
        alarm_id=alarm_id,
        rule_id=rule.rule_id,
        rule_name=rule.spec.name,
        device_id=device.device_id,
        device_kind=device.kind.value,
        site_id=device.site_id,
        building_id=device.building_id,
        unit_id=device.unit_id,
        severity=rule.spec.severity,
        kind=alarm_kind(rule),
        metric=rule.metric,
        value=_number(value),
        threshold=threshold,
        status=AlarmStatus.ACTIVE,
        raised_at=at,
        last_at=at,
        raise_event_id=event_id,
        work_order_category=work_order.category if work_order else None,
        work_order_priority=work_order.priority if work_order else None,
        notify_roles=tuple(rule.spec.actions.notify_roles),
        notify_residents=rule.spec.actions.notify_residents,
        device_name=device.name,
        device_location=device.location,
    )


def retriggered(alarm: Alarm, value: object, now: datetime) -> Alarm:
    return replace(alarm, count=alarm.count + 1, last_at=to_iso(now), value=_number(value) or alarm.value)


def repeat_due(alarm: Alarm, now: datetime) -> bool:
    """A repeat goes out when the last AlarmRaised of this alarm is at least REPEAT_PUBLISH_S old."""
    if alarm.published_at is None:
        return True
    return (now - datetime.fromisoformat(alarm.published_at.replace("Z", "+00:00"))).total_seconds() >= (
        REPEAT_PUBLISH_S
    )


def acknowledged(alarm: Alarm, user_id: str, now: datetime) -> Alarm:
    if alarm.status is not AlarmStatus.ACTIVE:
        raise Conflict(f"an alarm that is {alarm.status.value} cannot be acknowledged")
    return replace(
        alarm, status=AlarmStatus.ACKNOWLEDGED, acknowledged_at=to_iso(now), acknowledged_by=user_id
    )


def cleared(alarm: Alarm, by: str, now: datetime) -> Alarm:
    if not alarm.open:
        raise Conflict("the alarm is already cleared")
    return replace(alarm, status=AlarmStatus.CLEARED, cleared_at=to_iso(now), cleared_by=by)


def raised_event(alarm: Alarm, now: datetime, *, repeat: bool, event_id: str | None = None) -> AlarmRaised:
    from schemas.events import AlarmAction, AlarmRaised

    action = (
        AlarmAction(category=alarm.work_order_category, priority=alarm.work_order_priority)
        if alarm.work_order_category and alarm.work_order_priority
        else None
    )
    return AlarmRaised(
        **({"event_id": event_id} if event_id else {}),
        tenant_id=alarm.tenant_id,
        occurred_at=now,
        alarm_id=alarm.alarm_id,
        rule_id=alarm.rule_id,
        rule_name=alarm.rule_name,
        device_id=alarm.device_id,
        device_kind=alarm.device_kind,
        device_name=alarm.device_name,
        device_location=alarm.device_location,
        site_id=alarm.site_id,
        building_id=alarm.building_id,
        unit_id=alarm.unit_id,
        severity=alarm.severity.value,
        kind=alarm.kind,
        metric=alarm.metric,
        value=alarm.value,
        threshold=alarm.threshold,
        count=alarm.count,
        repeat=repeat,
        action=action,
        notify_roles=list(alarm.notify_roles),
        notify_residents=alarm.notify_residents,
    )


def acknowledged_event(alarm: Alarm, now: datetime) -> AlarmAcknowledged:
    from schemas.events import AlarmAcknowledged

    return AlarmAcknowledged(
        tenant_id=alarm.tenant_id,
        occurred_at=now,
        alarm_id=alarm.alarm_id,
        device_id=alarm.device_id,
        site_id=alarm.site_id,
        severity=alarm.severity.value,
        kind=alarm.kind,
        acknowledged_by=alarm.acknowledged_by or SYSTEM,
        raised_at=alarm.raised_at,
    )


def cleared_event(alarm: Alarm, now: datetime) -> AlarmCleared:
    from schemas.events import AlarmCleared

    return AlarmCleared(
        tenant_id=alarm.tenant_id,
        occurred_at=now,
        alarm_id=alarm.alarm_id,
        rule_id=alarm.rule_id,
        device_id=alarm.device_id,
        site_id=alarm.site_id,
        building_id=alarm.building_id,
        severity=alarm.severity.value,
        kind=alarm.kind,
        cleared_by=alarm.cleared_by or SYSTEM,
    )
