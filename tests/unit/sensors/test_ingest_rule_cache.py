"""The ingest's per-container rule cache and a newly registered kind: a tenant's first smoke detector brings
its default rule pack, and its first alarm is evaluated against it even while the cached rules are fresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sensors.defaults import default_rules
from sensors.domain import Device, DeviceKind, DeviceStatus
from sensors.repository import StoredRule
from sensors.services.alarm_book import AlarmBook
from sensors.services.ingest import Ingest, IngestSettings, Outcome

from courtyard.clock import FixedClock, to_iso
from courtyard.directory import TenantView
from tests.fakes.kernel import RecordedEvents, RecordingOutbox
from tests.fakes.sensors import InMemorySensors

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TENANT, SITE = "t1", "s1"


class _NoDirectory:
    def tenant(self, tenant_id: str) -> TenantView | None:
        return None


def _register(store: InMemorySensors, device_id: str, kind: DeviceKind, at: datetime) -> None:
    """What POST /devices does: the kind's default pack first (idempotent), then the device."""
    now = to_iso(at)
    have = {rule.rule_id for rule in store.tenant_rules.get(TENANT, [])}
    store.tenant_rules.setdefault(TENANT, []).extend(
        StoredRule(TENANT, rule_id, spec, now, now, default=True)
        for rule_id, spec in default_rules(kind).items()
        if rule_id not in have
    )
    store.devices[(TENANT, device_id)] = Device(
        TENANT, device_id, SITE, kind, device_id, DeviceStatus.ACTIVE, now, now
    )


def _event(device_id: str, at: datetime) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "site_id": SITE,
        "device_id": device_id,
        "seq": 0,
        "ts": to_iso(at),
        "event": {"name": "smoke", "attributes": {"state": "alarm"}},
    }


def _lift_reading(at: datetime) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "site_id": SITE,
        "device_id": "lift-1",
        "seq": 0,
        "ts": to_iso(at),
        "metrics": {"vibration_mm_s": 1.2, "door_cycles": 10},
    }


def test_a_new_kinds_first_alarm_is_not_missed_by_a_container_whose_rules_are_cached() -> None:
    clock = FixedClock(START)
    store = InMemorySensors()
    ingest = Ingest(
        store,
        AlarmBook(store, RecordedEvents(), clock, RecordingOutbox()),
        _NoDirectory(),
        clock,
        IngestSettings(),
    )
    _register(store, "lift-1", DeviceKind.ELEVATOR, START)
    assert ingest.handle(_lift_reading(START)) is Outcome.PROCESSED  # the tenant's rules are now cached

    clock.advance(5)  # well inside the 60 s cache
    _register(store, "smoke-1", DeviceKind.SMOKE, clock.now())
    assert ingest.handle(_event("smoke-1", clock.now())) is Outcome.PROCESSED

    raised = [alarm for alarm in store.alarms.values() if alarm.device_id == "smoke-1"]
    assert [alarm.severity for alarm in raised] == ["critical"]


def test_devices_registered_before_the_rules_were_cached_read_no_rules_again() -> None:
    clock = FixedClock(START)
    store = InMemorySensors()
    ingest = Ingest(
        store,
        AlarmBook(store, RecordedEvents(), clock, RecordingOutbox()),
        _NoDirectory(),
        clock,
        IngestSettings(),
    )
    _register(store, "lift-1", DeviceKind.ELEVATOR, START)
    reads: list[str] = []
    original = store.rules

    def counting(tenant_id: str) -> list[StoredRule]:
        reads.append(tenant_id)
        return original(tenant_id)

    store.rules = counting  # type: ignore[method-assign]
    for second in range(1, 6):
        clock.advance(1)
        assert ingest.handle(_lift_reading(START + timedelta(seconds=second))) is Outcome.PROCESSED
    assert reads == [TENANT]  # once, then from the cache
