"""Due dates of bills issued on time and late, pure."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from payments.due_dates import due_date


def test_a_bill_issued_before_its_due_day_is_due_on_the_due_day():
    assert due_date("2026-03", 15, date(2026, 3, 2), 15) == date(2026, 3, 15)


def test_a_bill_issued_on_its_due_day_is_due_that_day():
    assert due_date("2026-03", 15, date(2026, 3, 15), 15) == date(2026, 3, 15)


def test_a_bill_for_a_past_period_is_due_grace_days_after_its_issue_date():
    assert due_date("2026-03", 15, date(2026, 4, 20), 15) == date(2026, 5, 5)


def test_a_quarterly_bill_issued_late_counts_from_the_issue_date():
    assert due_date("2026-Q1", 28, date(2026, 2, 1), 10) == date(2026, 2, 11)


@given(
    issued=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    grace=st.integers(min_value=0, max_value=90),
    due_day=st.integers(min_value=1, max_value=28),
)
def test_a_bill_is_never_due_before_it_is_issued_unless_grace_is_zero(issued: date, grace: int, due_day: int):
    due = due_date("2026-03", due_day, issued, grace)
    assert due >= issued or due == date(2026, 3, due_day)
    assert due >= date(2026, 3, due_day)
    if issued > date(2026, 3, due_day):
        assert due - issued == timedelta(days=grace)
