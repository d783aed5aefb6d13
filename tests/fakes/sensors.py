"""The sensors table in memory: the alarm store (``sensors.services.alarm_book.AlarmStore``: one open alarm
per (device, rule), writes conditioned on the alarm's version, as ``sensors.repository`` makes them) and,
for the ingest and the heartbeat job, devices, rules, state and aggregates (``InMemorySensors``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sensors.aggregates import MetricTotals
from sensors.domain import Device
from sensors.engine import RuleState
from sensors.lifecycle import Alarm
from sensors.repository import DueDevice, StoredRule, StoredState

from courtyard.errors import Conflict


@dataclass
class InMemoryAlarms:
    alarms: dict[tuple[str, str], Alarm] = field(default_factory=dict)
    # (tenant, device, rule) -> the alarm id that holds it while open
    current: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # Actions committed with an alarm write (the outbox's pending items)
    written: list[dict[str, Any]] = field(default_factory=list)

    def open_alarm(self, alarm: Alarm) -> bool:
        slot = (alarm.tenant_id, alarm.device_id, alarm.rule_id)
        holder = self.current.get(slot)
        if holder is not None and self.alarms[(alarm.tenant_id, holder)].open:
            return False
        if (alarm.tenant_id, alarm.alarm_id) in self.alarms:
            return False
        self.alarms[(alarm.tenant_id, alarm.alarm_id)] = alarm
        self.current[slot] = alarm.alarm_id
        return True

    def current_alarm(self, tenant_id: str, device_id: str, rule_id: str) -> Alarm | None:
        holder = self.current.get((tenant_id, device_id, rule_id))
        alarm = self.alarms.get((tenant_id, holder)) if holder is not None else None
        return alarm if alarm is not None and alarm.open else None

    def alarm(self, tenant_id: str, alarm_id: str, *, consistent: bool = False) -> Alarm | None:
        return self.alarms.get((tenant_id, alarm_id))

    def update_alarm(
        self, alarm: Alarm, expected_version: int, also: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        self._check_version(alarm, expected_version)
        self.alarms[(alarm.tenant_id, alarm.alarm_id)] = alarm
        self.written.extend(dict(action) for action in also)  # in the same transaction, as the table's

    def close_alarm(self, alarm: Alarm, expected_version: int) -> None:
        self._check_version(alarm, expected_version)
        slot = (alarm.tenant_id, alarm.device_id, alarm.rule_id)
        if self.current.get(slot) != alarm.alarm_id:
            raise Conflict("the alarm changed concurrently; read it again")
        self.alarms[(alarm.tenant_id, alarm.alarm_id)] = alarm

    def _check_version(self, alarm: Alarm, expected_version: int) -> None:
        stored = self.alarms.get((alarm.tenant_id, alarm.alarm_id))
        if stored is None or stored.version != expected_version:
            raise Conflict("the alarm changed concurrently; read it again")


@dataclass
class InMemorySensors(InMemoryAlarms):
    """The ingest's and the heartbeat job's part of the sensors table (``IngestStore``, ``HeartbeatStore``):
    devices, rules, versioned state items with their heartbeat deadline, additive hourly aggregates. Every
    write is recorded in ``writes`` ("state" or "aggregate"), as the table would be billed for it."""

    devices: dict[tuple[str, str], Device] = field(default_factory=dict)
    tenant_rules: dict[str, list[StoredRule]] = field(default_factory=dict)
    states: dict[tuple[str, str], StoredState] = field(default_factory=dict)
    deadlines: dict[tuple[str, str], datetime] = field(default_factory=dict)
    hours: dict[tuple[str, str, str], dict[str, MetricTotals]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)

    def device(self, tenant_id: str, device_id: str, *, consistent: bool = False) -> Device | None:
        return self.devices.get((tenant_id, device_id))

    def rules(self, tenant_id: str) -> list[StoredRule]:
        return list(self.tenant_rules.get(tenant_id, []))

    def state(self, tenant_id: str, device_id: str) -> StoredState:
        return self.states.get((tenant_id, device_id), StoredState({}, {}, None, 0))

    def save_state(
        self,
        tenant_id: str,
        device_id: str,
        rules: Mapping[str, RuleState],
        seen: Mapping[str, float],
        last_seen: float | None,
        deadline: datetime | None,
        expected_version: int,
    ) -> int:
        key = (tenant_id, device_id)
        if self.state(tenant_id, device_id).version != expected_version:
            raise Conflict("state changed concurrently")
        self.states[key] = StoredState(dict(rules), dict(seen), last_seen, expected_version + 1)
        if deadline is None:
            self.deadlines.pop(key, None)
        else:
            self.deadlines[key] = deadline
        self.writes.append("state")
        return expected_version + 1

    def due_devices(self, now: datetime, per_shard: int) -> Iterator[DueDevice]:
        due = sorted((at, key) for key, at in self.deadlines.items() if at <= now)
        for _, (tenant_id, device_id) in due:
            yield DueDevice(tenant_id, device_id)

    def add_aggregates(
        self, tenant_id: str, device_id: str, hour: str, metrics: Mapping[str, MetricTotals]
    ) -> int:
        stored = self.hours.setdefault((tenant_id, device_id, hour), {})
        for name, totals in metrics.items():
            into = stored.setdefault(name, MetricTotals())
            into.count += totals.count
            into.total += totals.total
            into.low = min(into.low, totals.low)
            into.high = max(into.high, totals.high)
        self.writes.append("aggregate")
        return 1
