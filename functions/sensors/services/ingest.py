"""Ingest: one device message from the IoT rule -> validated, matched to the registry, evaluated, counted.

Cost model ("writes only on state change, a stale heartbeat mark and a finished hour"; the rules are in
``sensors.write_budget``). A warm container keeps, per device, the evaluation state, the last reading time
per metric and the current hour's aggregates in memory, and writes:
- the state item when a rule's durable state moves (pending, raised, clearing, cleared), and otherwise only
  when the stored ``last_seen`` is older than ``refresh_s`` (that write is the heartbeat mark: the job's
  deadline is ``last_seen + refresh_s + timeout``, so an offline alarm comes between ``timeout`` and
  ``timeout + refresh_s`` after the last upload written); the stored value is the one this container read
  or wrote, so the comparison costs no call;
- an hour's aggregates once, when a reading of a later hour arrives (or everything buffered when
  ``flush_s`` has passed with no hour finished): one additive update.
Device and rule lookups are cached per container for ``cache_ttl_s`` (the rules are read again at once when
a device registered after they were cached speaks: it may have brought its kind's pack).

What a cold start or concurrent containers mean: state writes are conditional on the stored version, so a
container that lost a race re-reads the state and evaluates the message again; a container that was
silent longer than ``refresh_s`` re-reads the state first (the heartbeat job or a manual clear may have
moved it). Aggregates merge additively, so two containers' buffers add up; a container that is reclaimed
loses at most its unflushed buffer (``flush_s`` of readings for the devices it served).

Rejected, counted, logged without payload values: oversized, malformed (schema), unknown device (also a
device of another tenant: the key is tenant-scoped), site mismatch, inactive device, kind mismatch, and
readings too far in the future. Readings not newer than the latest of their metric do not move state.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from courtyard.clock import Clock, parse_iso
from courtyard.directory import TenantView
from courtyard.errors import Conflict
from schemas.telemetry import MAX_MESSAGE_BYTES, Telemetry
from sensors.aggregates import HourBuffer, MetricTotals, hour_of
from sensors.domain import Device
from sensors.engine import (
    CompiledRule,
    HoursCheck,
    Reading,
    RuleState,
    compile_rule,
    earliest_deadline,
    evaluate,
)
from sensors.repository import StoredState
from sensors.services.alarm_book import AlarmBook
from sensors.services.device_state import DeviceStateStore
from sensors.write_budget import EVERY_HOUR, aggregates_due_before, heard_until, heartbeat_mark_due

ENVELOPE_FIELDS: Final = ("tenant_id", "site_id", "device_id", "received_at")
MAX_FUTURE_S: Final = 300.0  # device clocks drift; beyond this a reading is refused rather than trusted
OK: Final = (0,)
DEFAULT_ZONE: Final = "Asia/Shanghai"


class Outcome(StrEnum):
    PROCESSED = "processed"
    OUT_OF_ORDER = "out_of_order"  # not newer than the latest reading: counted, no state moves
    OVERSIZED = "oversized"
    MALFORMED = "malformed"
    UNKNOWN_DEVICE = "unknown_device"
    SITE_MISMATCH = "site_mismatch"
    INACTIVE_DEVICE = "inactive_device"
    KIND_MISMATCH = "kind_mismatch"
    FUTURE = "future"

    @property
    def rejected(self) -> bool:
        return self not in (Outcome.PROCESSED, Outcome.OUT_OF_ORDER)


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...


class IngestStore(DeviceStateStore, Protocol):
    """What the ingest reads and writes of the sensors table (``sensors.repository.SensorsRepository``)."""

    def add_aggregates(
        self, tenant_id: str, device_id: str, hour: str, metrics: Mapping[str, MetricTotals]
    ) -> int: ...


@dataclass
class DeviceRuntime:
    """What a warm container remembers about one device between messages."""

    states: dict[str, RuleState]
    seen: dict[str, float]
    last_seen: float | None
    stored_last_seen: float | None
    version: int
    buffer: HourBuffer = field(default_factory=HourBuffer)
    flushed_at: float = 0.0
    touched_at: float = 0.0


@dataclass(frozen=True)
class IngestSettings:
    refresh_s: float = 1500.0  # sensors.settings: heartbeat_refresh_seconds
    flush_s: float = 3600.0  # aggregate_flush_seconds
    cache_ttl_s: float = 60.0
    unknown_ttl_s: float = 10.0


@dataclass
class _Cached:
    at: float
    value: Any


class Ingest:
    def __init__(
        self,
        repo: IngestStore,
        book: AlarmBook,
        directory: Directory,
        clock: Clock,
        settings: IngestSettings | None = None,
    ) -> None:
        self._repo = repo
        self._book = book
        self._directory = directory
        self._clock = clock
        self.settings = settings or IngestSettings()
        self._devices: dict[tuple[str, str], _Cached] = {}
        self._rules: dict[str, _Cached] = {}
        self._runtimes: dict[tuple[str, str], DeviceRuntime] = {}
        self.writes = 0  # DynamoDB writes made by this container (the bench reads it)

    # -------------------------------------------------------------- entry

    def handle(self, message: Mapping[str, Any]) -> Outcome:
        """Process one message the topic rule selected; never raises for a bad payload."""
        try:
            size = len(json.dumps(message, separators=(",", ":"), allow_nan=True, default=str))
        except (TypeError, ValueError):
            return Outcome.MALFORMED
        if size > MAX_MESSAGE_BYTES:
            return Outcome.OVERSIZED
        ids = [message.get(name) for name in ("tenant_id", "site_id", "device_id")]
        if not all(isinstance(v, str) and 0 < len(v) <= 128 and "#" not in v for v in ids):
            return Outcome.MALFORMED
        tenant_id, site_id, device_id = (str(v) for v in ids)
        body = {k: v for k, v in message.items() if k not in ENVELOPE_FIELDS}
        try:
            telemetry = Telemetry.model_validate(body)
        except (ValidationError, ValueError, TypeError):
            return Outcome.MALFORMED
        device = self._device(tenant_id, device_id)
        if device is None:
            return Outcome.UNKNOWN_DEVICE
        if device.site_id != site_id:
            return Outcome.SITE_MISMATCH
        if not device.active:
            return Outcome.INACTIVE_DEVICE
        if telemetry.device_type is not None and telemetry.device_type != device.kind.value:
            return Outcome.KIND_MISMATCH
        now = self._clock.now()
        latest = max([telemetry.ts] + [at for at, _ in telemetry.readings()]).timestamp()
        if latest > now.timestamp() + MAX_FUTURE_S:
            return Outcome.FUTURE
        return self._process(device, telemetry, now)

    # -------------------------------------------------------------- evaluation

    def _process(self, device: Device, telemetry: Telemetry, now: datetime) -> Outcome:
        """Evaluate each reading of the message in time order (a batch is its samples, oldest first)."""
        runtime = self._runtime(device, now.timestamp())
        readings: list[Reading] = []
        for when, metrics in telemetry.readings():
            at = when.timestamp()
            fresh = {name: value for name, value in metrics.items() if at > runtime.seen.get(name, -math.inf)}
            if fresh:
                runtime.seen.update(dict.fromkeys(fresh, at))
                readings.append(Reading(at, fresh, None))
        if telemetry.event is not None:
            at = telemetry.ts.timestamp()
            key = f"event:{telemetry.event.name}"
            if at > runtime.seen.get(key, -math.inf):
                runtime.seen[key] = at
                readings.append(Reading(at, {}, (telemetry.event.name, telemetry.event.attributes)))
        if not readings:
            return Outcome.OUT_OF_ORDER
        rules = self.rules_for(device)
        for reading in readings:
            for attempt in range(2):
                try:
                    self._evaluate(device, rules, runtime, reading, now)
                    break
                except Conflict:
                    if attempt:
                        raise
                    # Another writer moved the stored state: take theirs and evaluate this reading again.
                    runtime = self._load(device, now.timestamp(), keep=runtime)
            runtime.buffer.add(reading.at, reading.metrics)
        self._maybe_flush(device, runtime, now.timestamp(), hour_of(readings[-1].at))
        return Outcome.PROCESSED

    def _evaluate(
        self,
        device: Device,
        rules: list[CompiledRule],
        runtime: DeviceRuntime,
        reading: Reading,
        now: datetime,
    ) -> None:
        hours = HoursCheck(self._zone(device.tenant_id))
        changed = False
        steps = []
        next_states = dict(runtime.states)
        for rule in rules:
            state = runtime.states.get(rule.rule_id, RuleState())
            step = evaluate(rule, state, reading, hours(rule.spec.active_hours, reading.at))
            if step.state.durable() != state.durable():
                changed = True
            next_states[rule.rule_id] = step.state
            if step.signal is not None:
                steps.append((rule, step))
        now_s = now.timestamp()
        refresh = heartbeat_mark_due(runtime.stored_last_seen, now_s, self.settings.refresh_s)
        for rule, step in steps:
            self._book.apply(device, rule, step)
        if changed or refresh:
            self._save(device, rules, runtime, next_states, now_s)
        runtime.states = next_states
        runtime.last_seen = now_s

    def _save(
        self,
        device: Device,
        rules: list[CompiledRule],
        runtime: DeviceRuntime,
        states: dict[str, RuleState],
        now_s: float,
    ) -> None:
        deadline = self.deadline(rules, states, now_s)
        runtime.version = self._repo.save_state(
            device.tenant_id,
            device.device_id,
            states,
            runtime.seen,
            now_s,
            deadline,
            runtime.version,
        )
        runtime.stored_last_seen = now_s
        self.writes += 1

    def deadline(
        self, rules: Iterable[CompiledRule], states: Mapping[str, RuleState], last_seen: float
    ) -> datetime | None:
        """The heartbeat job's next look at this device: the earliest time-driven change of any rule."""
        # The device may have talked until last_seen + refresh_s without that being written.
        earliest = earliest_deadline(rules, states, heard_until(last_seen, self.settings.refresh_s))
        return None if earliest is None else datetime.fromtimestamp(earliest, UTC)

    # -------------------------------------------------------------- aggregates

    def _maybe_flush(self, device: Device, runtime: DeviceRuntime, now_s: float, hour: str) -> None:
        due = aggregates_due_before(
            runtime.buffer.hours, hour, runtime.flushed_at, now_s, self.settings.flush_s
        )
        if due is not None:
            self._flush(device, runtime, now_s, before=due)
        # A reused container also flushes the other devices it has not heard from for a while.
        for key, other in list(self._runtimes.items()):
            if other is not runtime and other.buffer and now_s - other.flushed_at >= self.settings.flush_s:
                cached = self._devices.get(key)
                if cached is not None and cached.value is not None:
                    self._flush(cached.value, other, now_s)

    def _flush(self, device: Device, runtime: DeviceRuntime, now_s: float, before: str = EVERY_HOUR) -> None:
        for hour, metrics in runtime.buffer.take_before(before).items():
            self.writes += self._repo.add_aggregates(device.tenant_id, device.device_id, hour, metrics)
        runtime.flushed_at = now_s

    def flush_all(self) -> None:
        """Write every buffer (tests and the bench; Lambda has no shutdown hook to rely on)."""
        now_s = self._clock.now().timestamp()
        for key, runtime in self._runtimes.items():
            cached = self._devices.get(key)
            if cached is not None and cached.value is not None and runtime.buffer:
                self._flush(cached.value, runtime, now_s)

    # -------------------------------------------------------------- caches

    def _runtime(self, device: Device, now_s: float) -> DeviceRuntime:
        key = (device.tenant_id, device.device_id)
        runtime = self._runtimes.get(key)
        if runtime is None or now_s - runtime.touched_at >= self.settings.refresh_s:
            # New here, or silent long enough that the job or a person may have moved the stored state.
            runtime = self._load(device, now_s, keep=runtime)
        runtime.touched_at = now_s
        return runtime

    def _load(self, device: Device, now_s: float, keep: DeviceRuntime | None) -> DeviceRuntime:
        stored: StoredState = self._repo.state(device.tenant_id, device.device_id)
        seen = dict(stored.seen)
        if keep is not None:
            for name, at in keep.seen.items():
                seen[name] = max(at, seen.get(name, -math.inf))
        runtime = DeviceRuntime(
            states=dict(stored.rules),
            seen=seen,
            last_seen=stored.last_seen,
            stored_last_seen=stored.last_seen,
            version=stored.version,
            buffer=keep.buffer if keep is not None else HourBuffer(),
            flushed_at=keep.flushed_at if keep is not None else now_s,
            touched_at=now_s,
        )
        self._runtimes[(device.tenant_id, device.device_id)] = runtime
        return runtime

    def _device(self, tenant_id: str, device_id: str) -> Device | None:
        now = self._clock.now().timestamp()
        key = (tenant_id, device_id)
        cached = self._devices.get(key)
        if cached is not None:
            ttl = self.settings.cache_ttl_s if cached.value is not None else self.settings.unknown_ttl_s
            if now - cached.at < ttl:
                return cached.value  # type: ignore[no-any-return]
        device = self._repo.device(tenant_id, device_id)
        self._devices[key] = _Cached(now, device)
        return device

    def rules_for(self, device: Device) -> list[CompiledRule]:
        now = self._clock.now().timestamp()
        cached = self._rules.get(device.tenant_id)
        if (
            cached is None
            or now - cached.at >= self.settings.cache_ttl_s
            # A device registered after the rules were cached may have brought its kind's default pack
            # (installed before the device is written): read them again, once, so that a new smoke
            # detector's first alarm (an installer's test press) is not evaluated against older rules.
            or parse_iso(device.created_at).timestamp() > cached.at
        ):
            compiled = [compile_rule(r.rule_id, r.spec) for r in self._repo.rules(device.tenant_id)]
            cached = self._rules[device.tenant_id] = _Cached(now, compiled)
        return [rule for rule in cached.value if rule.applies_to(device)]

    def _zone(self, tenant_id: str) -> ZoneInfo:
        tenant = self._directory.tenant(tenant_id)
        try:
            return ZoneInfo(tenant.timezone if tenant else DEFAULT_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(DEFAULT_ZONE)

    def forget(self) -> None:
        """Drop every cache and runtime (tests; a cold start)."""
        self._devices.clear()
        self._rules.clear()
        self._runtimes.clear()


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()
