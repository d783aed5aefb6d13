"""The arrears ladder and quiet hours, pure."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from payments.reminders import (
    DEFAULT_LADDER,
    DEFAULT_QUIET,
    due_step,
    first_check,
    in_quiet_hours,
    next_check,
)

DUE = date(2026, 3, 15)


def _walk(days: int, paid_on: date | None = None) -> list[str]:
    sent: tuple[str, ...] = ()
    day = DUE - timedelta(days=10)
    for _ in range(days):
        if paid_on is not None and day >= paid_on:
            break
        step = due_step(DEFAULT_LADDER, DUE, day, sent)
        if step is not None:
            sent = (*sent, step.name)
        day += timedelta(days=1)
    return list(sent)


def test_the_default_ladder_across_40_days_sends_every_step_once_in_order():
    assert _walk(45) == ["due_soon", "overdue_3", "overdue_15", "formal_notice"]


def test_a_bill_paid_before_a_step_gets_no_later_step():
    assert _walk(45, paid_on=DUE + timedelta(days=10)) == ["due_soon", "overdue_3"]


def test_a_bill_found_late_gets_only_the_latest_step_it_reached():
    step = due_step(DEFAULT_LADDER, DUE, DUE + timedelta(days=20), ())
    assert step is not None
    assert step.name == "overdue_15"
    assert next_check(DEFAULT_LADDER, DUE, ("overdue_15",)) == DUE + timedelta(days=30)
    assert due_step(DEFAULT_LADDER, DUE, DUE + timedelta(days=29), ("overdue_15",)) is None


def test_the_index_looks_first_three_days_before_the_due_date_and_never_after_the_formal_notice():
    assert first_check(DEFAULT_LADDER, DUE) == DUE - timedelta(days=3)
    assert next_check(DEFAULT_LADDER, DUE, ("formal_notice",)) is None


def test_only_the_last_step_is_formal():
    assert [s.formal for s in DEFAULT_LADDER] == [False, False, False, True]


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 0), True),
        (time(23, 59), True),
        (time(3, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
        (time(20, 59), False),
    ],
)
def test_quiet_hours_span_midnight(local: time, quiet: bool):
    assert in_quiet_hours(local, DEFAULT_QUIET) is quiet


def test_quiet_hours_within_a_day_and_none_when_start_equals_end():
    assert in_quiet_hours(time(13, 0), (time(12, 0), time(14, 0)))
    assert not in_quiet_hours(time(15, 0), (time(12, 0), time(14, 0)))
    assert not in_quiet_hours(time(3, 0), (time(0, 0), time(0, 0)))
