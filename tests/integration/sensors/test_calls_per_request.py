"""The ingest of a device's 10-sample upload in a warm container: at most two AWS calls (issue 18)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from courtyard.aws_calls import count_aws_calls
from courtyard.clock import FixedClock, to_iso
from tests.factories import lambda_context
from tests.integration.sensors.conftest import Device


def _upload(device: Device, clock: FixedClock) -> dict[str, Any]:
    """The last ten one-minute samples (normal readings) sent as one message, as a device uploads them."""
    start = clock.now() - timedelta(minutes=9)
    samples = [
        {"ts": to_iso(start + timedelta(minutes=i)), "metrics": {"vibration_mm_s": 1.2}} for i in range(10)
    ]
    device.seq += 1
    message = device.message({"ts": to_iso(clock.now()), "seq": device.seq, "samples": samples})
    from sensors import ingest_handler

    outcomes: dict[str, Any] = ingest_handler.lambda_handler(message, lambda_context())["outcomes"]
    return outcomes


def test_a_ten_sample_upload_is_at_most_two_aws_calls_when_warm(manager, register, clock: FixedClock) -> None:
    """A container serves a firm's fleet: each device uploads every ten minutes, so the device's own
    registration is read again each time (a one-minute cache), while the firm's rules and time zone stay
    warm from the other devices' uploads of the same minute."""
    community, wang = manager
    first, second = register(community, wang), register(community, wang)
    clock.advance(600)
    _upload(first, clock)
    _upload(second, clock)  # both devices known, their state read once

    clock.advance(600)  # the next round of uploads
    assert _upload(first, clock) == {"processed": 1}
    with count_aws_calls() as calls:
        outcomes = _upload(second, clock)

    assert outcomes == {"processed": 1}
    assert calls.total <= 2, calls.calls
