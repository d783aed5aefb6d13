"""One contract, two stores: the in-memory alarm store the unit tests use (``tests.fakes.sensors``) and the
moto-backed ``SensorsRepository`` keep the same promises, so the fake cannot drift from the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sensors.domain import AlarmStatus, Device, DeviceKind, DeviceStatus
from sensors.engine import compile_rule
from sensors.lifecycle import Alarm, cleared, new_alarm
from sensors.rules import RuleSpec
from sensors.services.alarm_book import AlarmStore

from courtyard.errors import Conflict
from tests.fakes.sensors import InMemoryAlarms

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
RULE = compile_rule(
    "r-vibration",
    RuleSpec.model_validate(
        {
            "name": "vibration",
            "scope": {"device_kind": "elevator"},
            "condition": {"type": "threshold", "metric": "vibration_mm_s", "op": ">", "value": 4.5},
        }
    ),
)


def _device(tenant_id: str) -> Device:
    return Device(
        tenant_id=tenant_id,
        device_id="lift-1",
        site_id="s1",
        kind=DeviceKind.ELEVATOR,
        name="1号楼电梯",
        status=DeviceStatus.ACTIVE,
        created_at="2026-03-01T00:00:00Z",
        updated_at="2026-03-01T00:00:00Z",
    )


def _alarm(alarm_id: str, tenant_id: str = "t1") -> Alarm:
    return new_alarm(_device(tenant_id), RULE, 6.0, NOW, alarm_id, f"event-{alarm_id}")


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> AlarmStore:
    if request.param == "memory":
        return InMemoryAlarms()
    sensors: Any = request.getfixturevalue("sensors")  # the SensorsFunction's wiring on moto
    repository: Callable[[], AlarmStore] = sensors.repository
    return repository()


def test_a_device_and_rule_hold_one_open_alarm(store: AlarmStore) -> None:
    assert store.open_alarm(_alarm("A1")) is True
    assert store.open_alarm(_alarm("A2")) is False

    current = store.current_alarm("t1", "lift-1", "r-vibration")
    assert current is not None
    assert current.alarm_id == "A1"
    assert store.alarm("t1", "A2") is None


def test_a_write_from_a_stale_version_is_a_conflict(store: AlarmStore) -> None:
    alarm = _alarm("A1")
    store.open_alarm(alarm)
    store.update_alarm(replace(alarm, count=2, version=2), expected_version=1)

    with pytest.raises(Conflict):
        store.update_alarm(replace(alarm, count=3, version=2), expected_version=1)
    stored = store.alarm("t1", "A1", consistent=True)
    assert stored is not None
    assert stored.count == 2


def test_closing_frees_the_device_and_rule_for_the_next_alarm(store: AlarmStore) -> None:
    alarm = _alarm("A1")
    store.open_alarm(alarm)

    store.close_alarm(replace(cleared(alarm, "system", NOW), version=2), expected_version=1)

    assert store.current_alarm("t1", "lift-1", "r-vibration") is None
    closed = store.alarm("t1", "A1", consistent=True)
    assert closed is not None
    assert closed.status is AlarmStatus.CLEARED
    assert store.open_alarm(_alarm("A2")) is True


def test_closing_from_a_stale_version_is_a_conflict_and_leaves_the_alarm_open(store: AlarmStore) -> None:
    alarm = _alarm("A1")
    store.open_alarm(alarm)
    store.update_alarm(replace(alarm, count=2, version=2), expected_version=1)

    with pytest.raises(Conflict):
        store.close_alarm(replace(cleared(alarm, "system", NOW), version=2), expected_version=1)
    assert store.current_alarm("t1", "lift-1", "r-vibration") is not None


def test_another_tenants_alarm_and_slot_are_not_reachable(store: AlarmStore) -> None:
    store.open_alarm(_alarm("A1", tenant_id="t1"))

    assert store.alarm("t2", "A1") is None
    assert store.current_alarm("t2", "lift-1", "r-vibration") is None
    assert store.open_alarm(_alarm("B1", tenant_id="t2")) is True
