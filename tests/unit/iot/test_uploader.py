"""Report by exception: the device firmware's batching of one-minute samples (iot.simulator.Uploader)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from iot.simulator import DEVICE_KINDS, SETTLE_SAMPLES, DeviceKind, Uploader, batch_message, readings
from schemas.telemetry import MAX_MESSAGE_BYTES, Telemetry

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _run(kind: DeviceKind, count: int, batch: int, fault: bool = False, seed: int = 1) -> list[list[int]]:
    """The sample indexes each upload carried."""
    uploader = Uploader(kind, batch)
    uploads: list[list[int]] = []
    at = {START + timedelta(minutes=i): i for i in range(count)}
    for index, metrics in enumerate(readings(kind, count, fault, random.Random(seed))):
        if out := uploader.add(START + timedelta(minutes=index), metrics):
            uploads.append([at[when] for when, _ in out])
    if rest := uploader.flush():
        uploads.append([at[when] for when, _ in rest])
    return uploads


@pytest.mark.parametrize("kind", [k for k in DEVICE_KINDS if k != "pump"])
def test_a_steady_device_uploads_one_message_per_batch_after_announcing_itself(kind: DeviceKind) -> None:
    uploads = _run(kind, 1 + 10 * 30, batch=10, seed=4)

    assert uploads[0] == [0]  # the first sample goes out at once
    assert sum(len(u) for u in uploads) == 301  # nothing lost, nothing twice
    assert [i for u in uploads for i in u] == list(range(301))  # in order
    # Steady noise stays inside the deadbands: at most a couple of spurious early uploads.
    assert len(uploads) <= 31 + 2 * (SETTLE_SAMPLES + 1)


def test_a_fault_goes_out_at_once_and_every_sample_of_the_settle_window_too() -> None:
    uploads = _run("elevator", 60, batch=10, fault=True, seed=2)
    first_fault = 20  # fault_window(60) starts a third of the way in

    starts = [u[-1] for u in uploads]
    assert first_fault in starts  # uploaded in the sample it happened
    following = [u for u in uploads if first_fault < u[-1] <= first_fault + SETTLE_SAMPLES]
    assert [u[-1] for u in following] == list(range(first_fault + 1, first_fault + SETTLE_SAMPLES + 1))
    assert [i for u in uploads for i in u] == list(range(60))


def test_batch_one_uploads_every_sample() -> None:
    assert _run("heat", 12, batch=1) == [[i] for i in range(12)]


def test_a_full_batch_is_a_valid_telemetry_message_under_the_size_limit() -> None:
    samples = [
        (START + timedelta(minutes=i), m)
        for i, m in enumerate(readings("power_meter", 10, False, random.Random(3)))
    ]
    message = batch_message("power_meter", 7, samples, START + timedelta(minutes=10))

    parsed = Telemetry.model_validate(message)
    assert [at for at, _ in parsed.readings()] == [at for at, _ in samples]
    import json

    assert len(json.dumps(message, separators=(",", ":"))) < MAX_MESSAGE_BYTES


def test_invalid_batch() -> None:
    with pytest.raises(ValueError, match="batch"):
        Uploader("elevator", 0)
