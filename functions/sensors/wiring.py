"""The sensors functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(repository, fake)``.
"""

from __future__ import annotations

from courtyard.wiring import Wiring
from sensors.adapters.iot_registry import ThingRegistry
from sensors.repository import SensorsRepository
from sensors.services.alarm_book import AlarmBook
from sensors.services.heartbeat import HeartbeatJob
from sensors.services.ingest import Ingest, IngestSettings
from sensors.services.sensors import SensorsService
from sensors.settings import SensorsSettings, settings

wiring = Wiring(settings, source="courtyard.sensors")


def config() -> SensorsSettings:
    return wiring.config


repository = wiring.factory(
    lambda: SensorsRepository(wiring.table(config().sensors_table), config().telemetry_retention_days)
)

# The ingest, job and consumer write no list cursors: a per-process key spares them the cursor secret.
internal_repository = wiring.factory(
    lambda: SensorsRepository(
        wiring.table(config().sensors_table, cursors=False), config().telemetry_retention_days
    )
)


def _registry() -> ThingRegistry:
    c = config()
    return ThingRegistry(
        f"{c.iot_policy_prefix}-{c.stage}", c.aws_region, c.iot_account_id, c.iot_partition, stage=c.stage
    )


registry = wiring.factory(_registry)


def _service() -> SensorsService:
    book = AlarmBook(repository(), wiring.events(), wiring.clock)
    return SensorsService(repository(), book, registry(), wiring.reader(), wiring.audit(), wiring.clock)


service = wiring.factory(_service)


def _ingest() -> Ingest:
    book = AlarmBook(internal_repository(), wiring.events(), wiring.clock)
    tuning = IngestSettings(
        refresh_s=config().heartbeat_refresh_seconds, flush_s=config().aggregate_flush_seconds
    )
    return Ingest(internal_repository(), book, wiring.reader(), wiring.clock, tuning)


ingest = wiring.factory(_ingest)


def _heartbeat() -> HeartbeatJob:
    book = AlarmBook(internal_repository(), wiring.events(), wiring.clock)
    return HeartbeatJob(internal_repository(), book, wiring.clock, config().heartbeat_refresh_seconds)


heartbeat = wiring.factory(_heartbeat)
