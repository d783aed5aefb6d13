"""What the sweep does with a billing run still ``running``, pure.

A run progresses chunk by chunk; each finished chunk stamps ``updated_at``. A run that has not moved for
``stall`` (longer than a chunk's three receives on the queue) lost a chunk (its message went to the
dead-letter queue, or was never sent): the sweep queues the missing chunks again, up to ``max_resumes``
times, then marks the run failed, naming the units of the chunks that never finished. Re-running the
period later bills exactly those units (bills are written only if absent).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from courtyard.clock import parse_iso
from payments.domain import BillingRun, RunStatus


class Sweep(StrEnum):
    WAIT = "wait"  # still moving, or not running
    RESUME = "resume"
    FAIL = "fail"


def decide(run: BillingRun, now: datetime, stall: timedelta, max_resumes: int) -> Sweep:
    if run.status is not RunStatus.RUNNING or not run.missing_chunks:
        return Sweep.WAIT
    if now - parse_iso(run.updated_at or run.created_at) < stall:
        return Sweep.WAIT
    return Sweep.RESUME if run.resumes < max_resumes else Sweep.FAIL


def failure_reason(run: BillingRun) -> str:
    missing = run.missing_chunks
    return (
        f"{len(missing)} of {run.chunks} chunk(s) did not finish after {run.resumes} resume(s); "
        "re-run the period to bill the missed units"
    )
