"""The sweep's decision about a running billing run, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from payments.domain import BillingRun, RunStatus
from payments.run_policy import Sweep, decide, failure_reason

STARTED = "2026-03-02T02:00:00.000Z"
STALL = timedelta(minutes=30)


def _run(**changes: object) -> BillingRun:
    fields: dict[str, object] = {
        "tenant_id": "T1",
        "run_id": "R1",
        "site_id": "S1",
        "period": "2026-03",
        "status": RunStatus.RUNNING,
        "units": 500,
        "chunks": 2,
        "created_at": STARTED,
        "created_by": "u",
        "updated_at": STARTED,
        **changes,
    }
    return BillingRun(**fields)  # type: ignore[arg-type]


def _at(minutes: int) -> datetime:
    return datetime(2026, 3, 2, 2, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def test_a_run_that_moved_recently_is_left_alone():
    assert decide(_run(), _at(29), STALL, 2) is Sweep.WAIT


def test_a_stalled_run_is_resumed_until_its_resumes_are_spent_then_failed():
    assert decide(_run(), _at(31), STALL, 2) is Sweep.RESUME
    assert decide(_run(resumes=1), _at(31), STALL, 2) is Sweep.RESUME
    assert decide(_run(resumes=2), _at(31), STALL, 2) is Sweep.FAIL


def test_runs_that_ended_or_have_every_chunk_are_never_touched():
    assert decide(_run(status=RunStatus.COMPLETED), _at(600), STALL, 2) is Sweep.WAIT
    assert decide(_run(status=RunStatus.FAILED), _at(600), STALL, 2) is Sweep.WAIT
    assert decide(_run(done_chunks=frozenset({0, 1})), _at(600), STALL, 2) is Sweep.WAIT


def test_the_missing_chunks_and_the_reason_name_what_did_not_finish():
    run = _run(done_chunks=frozenset({1}), chunks=3, resumes=2)
    assert run.missing_chunks == [0, 2]
    assert failure_reason(run).startswith("2 of 3 chunk(s) did not finish after 2 resume(s)")
