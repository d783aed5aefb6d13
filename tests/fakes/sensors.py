"""The sensors' alarm store in memory (``sensors.services.alarm_book.AlarmStore``): one open alarm per
(device, rule), writes conditioned on the alarm's version, as ``sensors.repository`` makes them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sensors.lifecycle import Alarm

from courtyard.errors import Conflict


@dataclass
class InMemoryAlarms:
    alarms: dict[tuple[str, str], Alarm] = field(default_factory=dict)
    # (tenant, device, rule) -> the alarm id that holds it while open
    current: dict[tuple[str, str, str], str] = field(default_factory=dict)

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

    def update_alarm(self, alarm: Alarm, expected_version: int) -> None:
        self._check_version(alarm, expected_version)
        self.alarms[(alarm.tenant_id, alarm.alarm_id)] = alarm

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
