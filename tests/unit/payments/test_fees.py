"""Fee arithmetic: periods, due dates, deterministic bill ids, bill lines and late fees to the minor unit."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payments import fees
from payments.domain import BillLine, Cycle, FeeItem, FeeKind, LateFeeKind, LateFeePolicy, Reading, UnitFacts

from courtyard.ids import is_ulid

DUE = date(2026, 3, 15)


def _item(kind: FeeKind, price: int, cycle: Cycle = Cycle.MONTHLY, kinds: tuple[str, ...] = ()) -> FeeItem:
    return FeeItem("T", "F", "S", "fee", kind, cycle, price, "CNY", 15, LateFeePolicy(), kinds, "", "")


def _unit(kind: str = "residential", area: int = 8950) -> UnitFacts:
    return UnitFacts("U", kind, area, "A101", "a101")


@pytest.mark.parametrize(
    ("n", "d", "expected"), [(5, 10, 1), (4, 10, 0), (15, 10, 2), (0, 7, 0), (25, 10, 3)]
)
def test_half_up_rounds_halves_up(n: int, d: int, expected: int):
    assert fees.half_up(n, d) == expected


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_half_up_is_within_half_a_unit_of_the_exact_quotient(n: int, d: int):
    assert abs(fees.half_up(n, d) * d - n) * 2 <= d


@pytest.mark.parametrize(
    ("period", "cycle", "first"),
    [
        ("2026-03", Cycle.MONTHLY, date(2026, 3, 1)),
        ("2026-Q2", Cycle.QUARTERLY, date(2026, 4, 1)),
        ("2026", Cycle.YEARLY, date(2026, 1, 1)),
    ],
)
def test_periods_name_their_cycle_and_first_day(period: str, cycle: Cycle, first: date):
    assert fees.cycle_of(period) is cycle
    assert fees.first_day(period) == first


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "26-03", "2026-3"])
def test_malformed_periods_are_refused(period: str):
    with pytest.raises(ValueError, match="period"):
        fees.cycle_of(period)


def test_bill_ids_are_ulids_fixed_by_tenant_unit_and_period():
    first = fees.bill_id("T", "U", "2026-03")
    assert is_ulid(first)
    assert fees.bill_id("T", "U", "2026-03") == first
    assert (
        len(
            {
                first,
                fees.bill_id("T", "U", "2026-04"),
                fees.bill_id("T", "V", "2026-03"),
                fees.bill_id("X", "U", "2026-03"),
            }
        )
        == 4
    )


def test_an_area_fee_multiplies_the_area_by_the_months_of_the_cycle_rounding_half_up():
    monthly = fees.line_for(_item(FeeKind.AREA, 250), _unit(area=6525), None)
    quarterly = fees.line_for(_item(FeeKind.AREA, 250, Cycle.QUARTERLY), _unit(area=6525), None)
    assert monthly is not None
    assert quarterly is not None
    assert monthly.amount == 16313  # 65.25 m² x 2.50 = 163.125
    assert quarterly.amount == 48938  # 489.375
    assert monthly.quantity == "65.25 m² x 1 month"


def test_parking_fees_bill_parking_spaces_only_and_area_fees_skip_them():
    assert fees.line_for(_item(FeeKind.PARKING, 30000), _unit("residential"), None) is None
    parking = fees.line_for(_item(FeeKind.PARKING, 30000), _unit("parking"), None)
    assert parking is not None
    assert parking.amount == 30000
    assert fees.line_for(_item(FeeKind.AREA, 250), _unit("parking"), None) is None


def test_a_metered_fee_needs_a_reading_and_bills_the_usage():
    item = _item(FeeKind.METERED, 350)
    assert fees.line_for(item, _unit(), None) is None
    line = fees.line_for(item, _unit(), Reading("F", "2026-03", "U", 100, 142))
    assert line is not None
    assert line.amount == 42 * 350


def _policy(kind: LateFeeKind, value: int, grace: int = 0, cap: int | None = None) -> LateFeePolicy:
    return LateFeePolicy(kind, grace, value, cap)


@pytest.mark.parametrize(
    ("policy", "on", "expected"),
    [
        (_policy(LateFeeKind.DAILY, 5), date(2026, 3, 15), 0),  # due today: not late
        (_policy(LateFeeKind.DAILY, 5), date(2026, 3, 16), 11),  # 22375 x 0.0005 = 11.1875
        (_policy(LateFeeKind.DAILY, 5), date(2026, 3, 25), 112),  # 111.875 -> 112
        (_policy(LateFeeKind.DAILY, 5, grace=5), date(2026, 3, 20), 0),
        (_policy(LateFeeKind.DAILY, 5, grace=5), date(2026, 3, 21), 11),  # one day past the grace days
        (_policy(LateFeeKind.PERCENTAGE, 1000), date(2026, 4, 30), 2238),  # 2237.5 -> 2238, once
        (_policy(LateFeeKind.FIXED, 2000, grace=3), date(2026, 3, 18), 0),
        (_policy(LateFeeKind.FIXED, 2000, grace=3), date(2026, 3, 19), 2000),
        (_policy(LateFeeKind.DAILY, 100, cap=5000), date(2026, 5, 1), 5000),
        (_policy(LateFeeKind.NONE, 0), date(2027, 1, 1), 0),
    ],
)
def test_late_fees_follow_the_policy_to_the_minor_unit(policy: LateFeePolicy, on: date, expected: int):
    assert fees.late_fee(policy, 22375, DUE, on) == expected


def test_credit_applied_to_a_bill_reduces_what_accrues_late_fees():
    policy = _policy(LateFeeKind.PERCENTAGE, 1000)
    lines = (
        BillLine("F", "fee", FeeKind.FIXED, "1", 10000, policy),
        BillLine("G", "fee", FeeKind.FIXED, "1", 5000, policy),
    )
    assert fees.bill_late_fee(lines, 0, DUE, date(2026, 4, 1)) == 1500
    assert fees.bill_late_fee(lines, 12000, DUE, date(2026, 4, 1)) == 300
    assert fees.bill_late_fee(lines, 15000, DUE, date(2026, 4, 1)) == 0
