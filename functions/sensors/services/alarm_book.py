"""The alarm book: applies the engine's signals and the staff's actions to stored alarms, and publishes
``AlarmRaised`` / ``AlarmCleared`` (source ``courtyard.sensors``). Shared by the ingest, the heartbeat job
and the API; the rules themselves are in ``sensors.lifecycle``.

``AlarmAcknowledged`` goes through the transactional outbox (``courtyard.outbox``): it commits with the
acknowledgment, so a crash between the write and the publish cannot lose it (the emergency ladder stops on
it); the heartbeat job's sweep sends what a request left pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from courtyard.clock import Clock, to_iso
from courtyard.errors import Conflict, NotFound
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from sensors import keys
from sensors.domain import Device
from sensors.engine import CompiledRule, Signal, Step
from sensors.lifecycle import (
    SYSTEM,
    Alarm,
    acknowledged,
    acknowledged_event,
    cleared,
    cleared_event,
    new_alarm,
    raised_event,
    repeat_due,
    retriggered,
)

if TYPE_CHECKING:
    from courtyard.outbox import Effects


class AlarmStore(Protocol):
    """The alarms' part of the sensors table (``sensors.repository.SensorsRepository``): one open alarm per
    (device, rule), versioned writes."""

    def open_alarm(self, alarm: Alarm) -> bool: ...
    def current_alarm(self, tenant_id: str, device_id: str, rule_id: str) -> Alarm | None: ...
    def alarm(self, tenant_id: str, alarm_id: str, *, consistent: bool = False) -> Alarm | None: ...
    def update_alarm(
        self, alarm: Alarm, expected_version: int, also: Sequence[Mapping[str, Any]] = ()
    ) -> None: ...
    def close_alarm(self, alarm: Alarm, expected_version: int) -> None: ...


class Events(Protocol):
    def publish_many(self, events: list[tuple[str, DomainEvent]]) -> None: ...


class AlarmBook:
    def __init__(self, repo: AlarmStore, events: Events, clock: Clock, outbox: Effects) -> None:
        self._repo = repo
        self._events = events
        self._clock = clock
        self._outbox = outbox

    def apply(self, device: Device, rule: CompiledRule, step: Step) -> Alarm | None:
        if step.signal in (Signal.RAISE, Signal.RETRIGGER):
            return self.raise_or_repeat(device, rule, step.value)
        if step.signal is Signal.CLEAR:
            return self.clear_by_system(device, rule.rule_id)
        return None

    def raise_or_repeat(self, device: Device, rule: CompiledRule, value: object) -> Alarm:
        """Open the (device, rule)'s alarm, or count a re-trigger on the open one."""
        t = device.tenant_id
        now = self._clock.now()
        current = self._repo.current_alarm(t, device.device_id, rule.rule_id)
        if current is None:
            alarm = new_alarm(device, rule, value, now, new_id(), new_id())
            if self._repo.open_alarm(alarm):
                return self._publish_raise(alarm)
            current = self._repo.current_alarm(t, device.device_id, rule.rule_id)
            if current is None:  # opened and closed again between our two reads: nothing left to add to
                return alarm
        if current.published_at is None:
            # The raise was stored but its event never confirmed (a retried message): send that event now.
            current = self._publish_raise(current)
        updated = retriggered(current, value, now)
        publish = repeat_due(current, now)
        if publish:
            updated = replace(updated, published_at=to_iso(now))
        updated = replace(updated, version=current.version + 1)
        try:
            self._repo.update_alarm(updated, current.version)
        except Conflict:
            return current  # a concurrent re-trigger or a staff action won; this one adds nothing more
        if publish:
            self._events.publish_many([("AlarmRaised", raised_event(updated, now, repeat=True))])
        return updated

    def _publish_raise(self, alarm: Alarm) -> Alarm:
        now = self._clock.now()
        event = raised_event(alarm, now, repeat=False, event_id=alarm.raise_event_id)
        self._events.publish_many([("AlarmRaised", event)])
        published = replace(alarm, published_at=to_iso(now), version=alarm.version + 1)
        try:
            self._repo.update_alarm(published, alarm.version)
        except Conflict:
            return alarm
        return published

    def clear_by_system(self, device: Device, rule_id: str) -> Alarm | None:
        current = self._repo.current_alarm(device.tenant_id, device.device_id, rule_id)
        if current is None:
            return None  # cleared by hand already
        try:
            return self._close(current, SYSTEM)
        except Conflict:
            return None

    def acknowledge(self, tenant_id: str, alarm_id: str, user_id: str) -> Alarm:
        alarm = self.get(tenant_id, alarm_id)
        now = self._clock.now()
        updated = replace(acknowledged(alarm, user_id, now), version=alarm.version + 1)
        # The emergency ladder (notifications) stops on it and the response time is measured to it: the event
        # commits with the acknowledgment. One acknowledgment per alarm (the lifecycle refuses a second), so
        # the alarm's partition and the name "ack" key one pending item.
        pending = self._outbox.pending(
            keys.alarm_partition(tenant_id, alarm_id),
            events=[("AlarmAcknowledged", acknowledged_event(updated, now))],
            name="ack",
        )
        self._repo.update_alarm(updated, alarm.version, also=[self._outbox.put_action(pending)])
        self._outbox.flush(pending)
        return updated

    def clear_by_hand(self, tenant_id: str, alarm_id: str, user_id: str) -> Alarm:
        return self._close(self.get(tenant_id, alarm_id), user_id)

    def get(self, tenant_id: str, alarm_id: str) -> Alarm:
        alarm = self._repo.alarm(tenant_id, alarm_id, consistent=True)
        if alarm is None:
            raise NotFound("alarm")
        return alarm

    def _close(self, alarm: Alarm, by: str) -> Alarm:
        now = self._clock.now()
        closed = replace(cleared(alarm, by, now), version=alarm.version + 1)
        self._repo.close_alarm(closed, alarm.version)
        self._events.publish_many([("AlarmCleared", cleared_event(closed, now))])
        return closed
