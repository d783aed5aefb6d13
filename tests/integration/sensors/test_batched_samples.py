"""Devices upload one-minute samples in batches (``samples``): each is evaluated at its own time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from courtyard.clock import FixedClock, to_iso
from tests.factories import lambda_context
from tests.integration.sensors.conftest import Device, alarms_of, raised

HIGH = 6.0
NORMAL = 1.2


def _batch(elevator: Device, clock: FixedClock, values: list[float], every_s: float = 1.0) -> dict[str, Any]:
    """The samples a device took ``every_s`` apart, ending now, as one message sent now."""
    start = clock.now() - timedelta(seconds=every_s * (len(values) - 1))
    samples = [
        {"ts": to_iso(start + timedelta(seconds=every_s * i)), "metrics": {"vibration_mm_s": v}}
        for i, v in enumerate(values)
    ]
    elevator.seq += 1
    return elevator.message({"ts": to_iso(clock.now()), "seq": elevator.seq, "samples": samples})


def _ingest(message: dict[str, Any]) -> dict[str, int]:
    from sensors import ingest_handler

    outcomes: dict[str, int] = ingest_handler.lambda_handler(message, lambda_context())["outcomes"]
    return outcomes


def test_a_batch_whose_samples_hold_a_fault_long_enough_raises_one_alarm(
    manager, register, call, published, clock: FixedClock
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    clock.advance(30)

    assert _ingest(_batch(elevator, clock, [NORMAL] * 3 + [HIGH] * 20)) == {"processed": 1}

    alarms = alarms_of(call, wang)
    assert len(alarms) == 1
    assert alarms[0]["status"] == "active"
    assert len(raised(published)) == 1


def test_a_batch_with_the_fault_shorter_than_the_duration_raises_nothing(
    manager, register, call, published, clock: FixedClock
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    clock.advance(30)

    assert _ingest(_batch(elevator, clock, [NORMAL] * 3 + [HIGH] * 9 + [NORMAL] * 3)) == {"processed": 1}

    assert alarms_of(call, wang) == []
    assert raised(published) == []


def test_samples_out_of_order_inside_a_batch_are_evaluated_in_time_order(
    manager, register, call, clock: FixedClock
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    clock.advance(30)
    message = _batch(elevator, clock, [NORMAL] * 3 + [HIGH] * 20)
    message["samples"].reverse()  # the last sample first: a naive loop would see the fault "end" at once

    assert _ingest(message) == {"processed": 1}

    assert [a["status"] for a in alarms_of(call, wang)] == ["active"]


@pytest.mark.reliability
def test_a_redelivered_batch_moves_nothing_and_a_partly_seen_batch_only_its_new_samples(
    manager, register, call, published, clock: FixedClock
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    clock.advance(30)
    first = _batch(elevator, clock, [HIGH] * 5)
    assert _ingest(first) == {"processed": 1}

    assert _ingest(first) == {"out_of_order": 1}  # QoS 1 redelivery
    clock.advance(10)
    # Overlaps the first batch by its last 5 samples, then 10 new high samples: 15 s of vibration in all.
    overlapping = _batch(elevator, clock, [HIGH] * 15)
    assert _ingest(overlapping) == {"processed": 1}

    assert len(alarms_of(call, wang)) == 1
    assert len(raised(published)) == 1


def test_a_batch_with_a_sample_too_far_in_the_future_is_refused_whole(
    manager, register, call, clock: FixedClock
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    message = _batch(elevator, clock, [HIGH] * 20)
    message["samples"][-1]["ts"] = to_iso(clock.now() + timedelta(hours=1))

    assert _ingest(message) == {"future": 1}
    assert alarms_of(call, wang) == []


def test_a_message_with_both_metrics_and_samples_is_malformed(manager, register, clock: FixedClock) -> None:
    community, wang = manager
    elevator = register(community, wang)
    message = _batch(elevator, clock, [NORMAL])
    message["metrics"] = {"vibration_mm_s": NORMAL}

    assert _ingest(message) == {"malformed": 1}


def test_steady_batches_cost_no_more_writes_than_single_readings(manager, register, sensors, clock) -> None:
    community, wang = manager
    elevator = register(community, wang)
    ingest = sensors.ingest()
    before = ingest.writes

    for _ in range(100):  # 1,000 samples in 100 messages
        clock.advance(10)
        _ingest(_batch(elevator, clock, [NORMAL] * 10))
    ingest.flush_all()

    assert ingest.writes - before <= 20


def test_a_steady_device_uploading_every_ten_minutes_costs_half_a_write_per_upload(
    manager, register, sensors, clock
) -> None:
    """The wall-clock write budget bench/cost.py models (sensors.write_budget): the heartbeat mark every
    third upload (rewritten when the stored one is 25 minutes old), aggregates once per finished hour."""
    community, wang = manager
    elevator = register(community, wang)
    ingest = sensors.ingest()
    clock.advance(600)
    _ingest(_batch(elevator, clock, [NORMAL] * 10, every_s=60))  # the device's first upload
    before = ingest.writes

    uploads = 60  # ten hours
    for _ in range(uploads):
        clock.advance(600)
        _ingest(_batch(elevator, clock, [NORMAL] * 10, every_s=60))

    assert ingest.writes - before == uploads // 3 + uploads // 6  # 20 marks + 10 hours


def test_a_device_uploading_every_ten_minutes_stays_online_and_goes_offline_when_silent(
    manager, register, call, sensors, clock
) -> None:
    """With the heartbeat mark written only every third upload, the job (run every minute) never takes a
    steady device for offline, and still declares it offline within 25 + 25 minutes of its last upload."""
    from sensors import heartbeat_handler

    community, wang = manager
    elevator = register(community, wang)
    for minute in range(1, 121):
        clock.advance(60)
        if minute % 10 == 0:
            _ingest(_batch(elevator, clock, [NORMAL] * 10, every_s=60))
        assert heartbeat_handler.lambda_handler({}, lambda_context())["raised"] == 0

    silent = 0
    while not heartbeat_handler.lambda_handler({}, lambda_context())["raised"]:
        clock.advance(60)
        silent += 1
        assert silent <= 51, "not offline 51 minutes after the last upload"

    assert silent >= 25
    assert [a["kind"] for a in alarms_of(call, wang)] == ["offline"]


def test_a_battery_detector_waking_hourly_stays_online_and_goes_offline_after_two_missed_heartbeats(
    manager, register, call, sensors, clock
) -> None:
    """A smoke detector wakes once an hour with its hour of samples (iot/kinds.py): its default offline rule
    (two missed heartbeats + 5 minutes) never takes it for offline, and declares it once it is silent."""
    from sensors import heartbeat_handler

    community, wang = manager
    smoke = register(community, wang, kind="smoke")

    def wake() -> None:
        start = clock.now() - timedelta(minutes=59)
        samples = [
            {"ts": to_iso(start + timedelta(minutes=i)), "metrics": {"smoke": False, "battery_pct": 90}}
            for i in range(60)
        ]
        smoke.seq += 1
        body = {"ts": to_iso(clock.now()), "seq": smoke.seq, "samples": samples}
        assert _ingest(smoke.message(body)) == {"processed": 1}

    for minute in range(10, 301, 10):  # five hours, the job looked at every ten minutes
        clock.advance(600)
        if minute % 60 == 0:
            wake()
        assert heartbeat_handler.lambda_handler({}, lambda_context())["raised"] == 0

    silent = 0
    while not heartbeat_handler.lambda_handler({}, lambda_context())["raised"]:
        clock.advance(300)
        silent += 5
        assert silent <= 2 * 60 + 5 + 30, "not offline 2 h 35 min after the last wake"

    assert silent >= 2 * 60 + 5  # one missed heartbeat, or two, is not offline
    assert [a["kind"] for a in alarms_of(call, wang)] == ["offline"]
