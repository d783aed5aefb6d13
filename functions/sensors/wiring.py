"""The sensors functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(repository, fake)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courtyard.wiring import Wiring
from sensors.repository import SensorsRepository
from sensors.services.alarm_book import AlarmBook
from sensors.settings import SensorsSettings, settings

if TYPE_CHECKING:
    from sensors.adapters.iot_registry import ThingRegistry
    from sensors.services.emergency_acks import EmergencyAlarmAcks
    from sensors.services.heartbeat import HeartbeatJob
    from sensors.services.ingest import Ingest
    from sensors.services.sensors import SensorsService

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

# The acknowledgments' pending events (courtyard.outbox), in the sensors table; the heartbeat job sweeps them.
outbox = wiring.factory(lambda: wiring.outbox(wiring.table(config().sensors_table, cursors=False)))


# Each function imports only the use case it runs, when it first builds it: the API never loads the ingest
# or the heartbeat job, the ingest never loads the API's service or the IoT registry.


def _registry() -> ThingRegistry:
    from sensors.adapters.iot_registry import ThingRegistry

    c = config()
    return ThingRegistry(
        f"{c.iot_policy_prefix}-{c.stage}", c.aws_region, c.iot_account_id, c.iot_partition, stage=c.stage
    )


registry = wiring.factory(_registry)


def _service() -> SensorsService:
    from sensors.services.sensors import SensorsService

    book = AlarmBook(repository(), wiring.events(), wiring.clock, outbox())
    return SensorsService(repository(), book, registry(), wiring.reader(), wiring.audit(), wiring.clock)


service = wiring.factory(_service)


def _ingest() -> Ingest:
    from sensors.services.ingest import Ingest, IngestSettings

    book = AlarmBook(internal_repository(), wiring.events(), wiring.clock, outbox())
    tuning = IngestSettings(
        refresh_s=config().heartbeat_refresh_seconds, flush_s=config().aggregate_flush_seconds
    )
    return Ingest(internal_repository(), book, wiring.reader(), wiring.clock, tuning)


ingest = wiring.factory(_ingest)


def _heartbeat() -> HeartbeatJob:
    from sensors.services.heartbeat import HeartbeatJob

    book = AlarmBook(internal_repository(), wiring.events(), wiring.clock, outbox())
    return HeartbeatJob(internal_repository(), book, wiring.clock, config().heartbeat_refresh_seconds)


heartbeat = wiring.factory(_heartbeat)


def _emergency_acks() -> EmergencyAlarmAcks:
    from sensors.services.emergency_acks import EmergencyAlarmAcks

    book = AlarmBook(internal_repository(), wiring.events(), wiring.clock, outbox())
    return EmergencyAlarmAcks(book, wiring.reader(), wiring.audit())


# EmergencyAcknowledged (a keypress of 1 on the ladder's call): acknowledges the alarm.
emergency_acks = wiring.factory(_emergency_acks)
