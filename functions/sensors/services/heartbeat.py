"""The heartbeat job (every minute): the passing of time alone moves alarms.

Devices whose state item carries a deadline at or before now (the ``due`` index, sharded, queried instead
of scanned) are looked at: a device silent beyond its heartbeat rule's timeout raises ``offline`` (once;
its next message clears it, in the ingest), and event alarms not seen again for their ``clear_after_s``
clear. The ingest rewrites ``last_seen`` only when the stored one is older than ``refresh_s``
(``sensors.write_budget``), so the job counts a device as heard until ``last_seen + refresh_s``: with
ten-minute uploads and the default 25-minute timeout, offline comes 30 to 50 minutes after the last upload.
The state is written back conditionally: if the
ingest wrote it meanwhile, the device talked, and the job leaves it for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from courtyard.clock import Clock
from courtyard.errors import Conflict
from sensors.engine import OK_STATE, CompiledRule, compile_rule, earliest_deadline, tick
from sensors.repository import DueDevice
from sensors.services.alarm_book import AlarmBook
from sensors.services.device_state import DeviceStateStore
from sensors.write_budget import heard_until


class HeartbeatStore(DeviceStateStore, Protocol):
    """What the job reads and writes of the sensors table (``sensors.repository.SensorsRepository``)."""

    def due_devices(self, now: datetime, per_shard: int) -> Iterator[DueDevice]: ...


@dataclass(frozen=True)
class HeartbeatRun:
    looked_at: int
    raised: int
    cleared: int
    skipped: int


class HeartbeatJob:
    def __init__(
        self, repo: HeartbeatStore, book: AlarmBook, clock: Clock, refresh_s: float, per_shard: int = 200
    ) -> None:
        self._repo = repo
        self._book = book
        self._clock = clock
        self._refresh_s = refresh_s
        self._per_shard = per_shard

    def run(self, out_of_time: Callable[[], bool] = lambda: False) -> HeartbeatRun:
        """Looks at every device due now (no cap per run) until none is left or ``out_of_time``; the ones
        it did not reach stay due for the next minute (courtyard.drain)."""
        now = self._clock.now()
        now_s = now.timestamp()
        rules_by_tenant: dict[str, list[CompiledRule]] = {}
        looked = raised = cleared = skipped = 0
        for due in self._repo.due_devices(now, self._per_shard):
            if out_of_time():
                break
            looked += 1
            t = due.tenant_id
            device = self._repo.device(t, due.device_id, consistent=True)
            stored = self._repo.state(t, due.device_id)
            if device is None or not device.active:
                self._repo.save_state(
                    t, due.device_id, stored.rules, stored.seen, stored.last_seen, None, stored.version
                )
                continue
            if t not in rules_by_tenant:
                rules_by_tenant[t] = [compile_rule(r.rule_id, r.spec) for r in self._repo.rules(t)]
            rules = [rule for rule in rules_by_tenant[t] if rule.applies_to(device)]
            bound = None if stored.last_seen is None else heard_until(stored.last_seen, self._refresh_s)
            states = dict(stored.rules)
            steps = []
            for rule in rules:
                step = tick(rule, states.get(rule.rule_id, OK_STATE), now_s, bound)
                states[rule.rule_id] = step.state
                if step.signal is not None:
                    steps.append((rule, step))
            earliest = earliest_deadline(rules, states, bound)
            deadline = None if earliest is None else datetime.fromtimestamp(max(earliest, now_s + 1), UTC)
            try:
                self._repo.save_state(
                    t, device.device_id, states, stored.seen, stored.last_seen, deadline, stored.version
                )
            except Conflict:
                skipped += 1  # the device talked meanwhile; its ingest already knows better
                continue
            for rule, step in steps:
                if self._book.apply(device, rule, step) is not None:
                    if step.signal is not None and step.signal.value == "clear":
                        cleared += 1
                    else:
                        raised += 1
        return HeartbeatRun(looked, raised, cleared, skipped)
