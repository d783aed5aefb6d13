"""The sensors functions' collaborators, built once per cold start (tests swap the clock and reset)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import lru_cache

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, SystemClock
from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.directory import DirectoryReader
from courtyard.events import EventPublisher
from courtyard.table import Table
from sensors.heartbeat import HeartbeatJob
from sensors.ingest import Ingest, IngestSettings
from sensors.iot_repository import ThingRegistry
from sensors.lifecycle import AlarmBook
from sensors.repository import SensorsRepository
from sensors.service import SensorsService
from sensors.settings import SensorsSettings, settings

SOURCE = "courtyard.sensors"
_clock_override: list[Clock] = []
_counter: list[Callable[[str], None]] = []


def config() -> SensorsSettings:
    return settings()


def use_clock(clock: Clock | None) -> None:
    """Tests inject a FixedClock here; None returns to the wall clock."""
    _clock_override.clear()
    if clock is not None:
        _clock_override.append(clock)
    reset()


def count_with(counter: Callable[[str], None]) -> None:
    """The ingest's outcome counter (the handler passes Powertools Metrics)."""
    _counter.clear()
    _counter.append(counter)


@lru_cache(maxsize=1)
def clock() -> Clock:
    return _clock_override[0] if _clock_override else SystemClock()


@lru_cache(maxsize=1)
def audit() -> AuditWriter:
    return AuditWriter(config().audit_table, config().audit_retention_days, clock())


@lru_cache(maxsize=1)
def events() -> EventPublisher:
    return EventPublisher(config().event_bus_name, SOURCE)


@lru_cache(maxsize=1)
def reader() -> DirectoryReader:
    return DirectoryReader(config().directory_table)


@lru_cache(maxsize=1)
def table() -> Table:
    return Table(config().sensors_table, CursorCodec(load_cursor_secret(config().cursor_secret_arn)))


@lru_cache(maxsize=1)
def internal_table() -> Table:
    # The ingest, job and consumer write no list cursors: a per-process key spares them the cursor secret.
    return Table(config().sensors_table, CursorCodec(secrets.token_bytes(32)))


@lru_cache(maxsize=1)
def repository() -> SensorsRepository:
    return SensorsRepository(table(), config().telemetry_retention_days)


@lru_cache(maxsize=1)
def internal_repository() -> SensorsRepository:
    return SensorsRepository(internal_table(), config().telemetry_retention_days)


@lru_cache(maxsize=1)
def registry() -> ThingRegistry:
    c = config()
    return ThingRegistry(
        f"{c.iot_policy_prefix}-{c.stage}", c.aws_region, c.iot_account_id, c.iot_partition, stage=c.stage
    )


@lru_cache(maxsize=1)
def service() -> SensorsService:
    book = AlarmBook(repository(), events(), clock())
    return SensorsService(repository(), book, registry(), reader(), audit(), clock())


@lru_cache(maxsize=1)
def ingest() -> Ingest:
    c = config()
    book = AlarmBook(internal_repository(), events(), clock())
    tuning = IngestSettings(refresh_s=c.heartbeat_refresh_seconds, flush_s=c.aggregate_flush_seconds)
    counter = _counter[0] if _counter else (lambda _name: None)
    return Ingest(internal_repository(), book, reader(), clock(), tuning, counter)


@lru_cache(maxsize=1)
def heartbeat() -> HeartbeatJob:
    book = AlarmBook(internal_repository(), events(), clock())
    return HeartbeatJob(internal_repository(), book, clock(), config().heartbeat_refresh_seconds)


def reset() -> None:
    """Forget every collaborator (tests switch environments between cases)."""
    for factory in (
        clock,
        audit,
        events,
        reader,
        table,
        internal_table,
        repository,
        internal_repository,
        registry,
        service,
        ingest,
        heartbeat,
    ):
        factory.cache_clear()
    settings.cache_clear()
