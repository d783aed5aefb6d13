"""The ingest's success path writes no log line and no metric line (issue 18: it runs for every upload of
every device); a rejection is counted and logged, a failure is logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from courtyard.clock import FixedClock, to_iso
from tests.factories import lambda_context


def _ingest(message: dict[str, Any]) -> dict[str, int]:
    from sensors import ingest_handler

    outcomes: dict[str, int] = ingest_handler.lambda_handler(message, lambda_context())["outcomes"]
    return outcomes


def test_an_accepted_reading_writes_nothing_to_the_log(
    manager,
    register,
    clock: FixedClock,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    community, wang = manager
    elevator = register(community, wang)
    clock.advance(30)
    capfd.readouterr()

    elevator.seq += 1
    message = elevator.message(
        {"ts": to_iso(clock.now()), "seq": elevator.seq, "metrics": {"vibration_mm_s": 1.2}}
    )
    assert _ingest(message) == {"processed": 1}
    assert _ingest(message) == {"out_of_order": 1}  # the same reading again: counted, nothing moves

    assert not [r for r in caplog.records if r.name == "sensors" and r.levelno >= logging.INFO]
    written = capfd.readouterr()
    assert written.out == ""
    assert "No application metrics" not in written.err


def test_a_rejected_message_is_logged_and_counted(
    manager,
    register,
    clock: FixedClock,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    community, wang = manager
    register(community, wang)
    capfd.readouterr()

    message = {"tenant_id": community.tenant_id, "site_id": community.site_id, "device_id": "nobody"}
    assert _ingest(message) != {"processed": 1}

    assert [r.getMessage() for r in caplog.records if r.name == "sensors"] == ["telemetry rejected"]
    assert '"Telemetry' in capfd.readouterr().out  # the EMF metric line of the rejection's outcome
