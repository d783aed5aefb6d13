"""The ingest of a device's 10-sample upload in a warm container: at most two AWS calls (issue 18)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from courtyard.clock import FixedClock, to_iso
from tests.factories import lambda_context
from tests.integration.calls import warm_calls
from tests.integration.sensors.conftest import Device


def _upload(elevator: Device, clock: FixedClock) -> dict[str, Any]:
    """Ten one-minute samples (normal readings) sent as one message, as a device uploads them."""
    clock.advance(600)
    start = clock.now() - timedelta(minutes=9)
    samples = [
        {"ts": to_iso(start + timedelta(minutes=i)), "metrics": {"vibration_mm_s": 1.2}} for i in range(10)
    ]
    elevator.seq += 1
    message = elevator.message({"ts": to_iso(clock.now()), "seq": elevator.seq, "samples": samples})
    from sensors import ingest_handler

    outcomes: dict[str, Any] = ingest_handler.lambda_handler(message, lambda_context())["outcomes"]
    return outcomes


def test_a_ten_sample_upload_is_at_most_two_aws_calls_when_warm(manager, register, clock: FixedClock) -> None:
    community, wang = manager
    elevator = register(community, wang)

    outcomes, calls = warm_calls(lambda: _upload(elevator, clock))

    assert outcomes == {"processed": 1}
    assert calls.total <= 2, calls.calls
