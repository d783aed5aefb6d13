"""The simulated month at scale (bench/scale.py): schedules per tenant count, the 07:00 backlog, shards."""

from __future__ import annotations

import pytest

from bench import scale

COST = {
    "activities": [
        {
            "name": "schedule TicketsJobsFunction EveryMinute",
            "per_month": 43_200,
            "month": {"aws:dynamodb.Query": 43_200},
        },
        {
            "name": "schedule TicketsJobsFunction EveryMinute (sweep)",
            "per_month": 43_200,
            "month": {"aws:dynamodb.Query": 8 * 43_200},
        },
    ],
    "lines": [],
}


def test_a_schedules_calls_per_minute_grow_with_tenants_over_its_fixed_sweep():
    (tickets,) = scale.schedules(COST)
    assert (tickets.sweep_calls, tickets.work_calls) == (8.0, 1.0)
    items, calls, _ = scale.DUE_WORK["TicketsJobsFunction"]
    due = items * calls / scale.MINUTES_PER_MONTH
    assert scale.calls_per_minute(tickets, 1) == pytest.approx(9.0 + due)
    assert scale.calls_per_minute(tickets, 10_000) == pytest.approx(8 + 10_000 * (1 + due))


def test_the_old_cap_turns_a_07_00_release_into_hours_of_backlog_and_the_drain_into_minutes():
    held = 150_000
    assert len(scale.backlog(held, scale.OLD_CAP_PER_RUN, 0)) == 375
    drained = scale.backlog(held, scale.drain_per_run(), 0)
    assert len(drained) <= 30
    spread = scale.backlog(held, scale.drain_per_run(), 10)
    assert spread[0] < drained[0]  # the spread holds less at any one minute early on
    assert spread[-1] == 0


def test_every_partition_family_has_the_shards_its_peak_at_10_million_households_needs():
    for part in scale.sharding(COST):
        assert part.shards >= part.needed, part
