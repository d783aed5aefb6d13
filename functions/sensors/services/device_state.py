"""What both the ingest and the heartbeat job read and write of a device's state (one Protocol, two users).

A device's state item (rule states, when each metric was last seen, ``last_seen``, the next deadline) is
written by whichever of the two acts on the device; each write is conditioned on the version it read, so
the ingest and the job never overwrite each other (``sensors.repository.SensorsRepository``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sensors.domain import Device
from sensors.engine import RuleState
from sensors.repository import StoredRule, StoredState


class DeviceStateStore(Protocol):
    def device(self, tenant_id: str, device_id: str, *, consistent: bool = False) -> Device | None: ...
    def rules(self, tenant_id: str) -> list[StoredRule]: ...
    def state(self, tenant_id: str, device_id: str) -> StoredState: ...
    def save_state(
        self,
        tenant_id: str,
        device_id: str,
        rules: Mapping[str, RuleState],
        seen: Mapping[str, float],
        last_seen: float | None,
        deadline: datetime | None,
        expected_version: int,
    ) -> int: ...
