"""Credit settles a unit's oldest open bills first, fee then late fee (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from payments.credit import settle
from payments.domain import Bill, BillLine, BillStatus, EntryKind, FeeKind, LateFeeKind, LateFeePolicy
from payments.fees import late_fee_due

NOW = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)
TODAY = date(2026, 4, 20)
FIXED_2000 = LateFeePolicy(LateFeeKind.FIXED, 0, 2000)


def _bill(
    bill_id: str, period: str, due: date, amount: int = 10000, policy: LateFeePolicy = FIXED_2000
) -> Bill:
    line = BillLine("F", "fee", FeeKind.FIXED, "1", amount, policy)
    return Bill(
        "T", bill_id, "S", "U", "U", period, "CNY", (line,), amount, 0, due, BillStatus.ISSUED, "", "R"
    )


MARCH = _bill("B03", "2026-03", date(2026, 3, 15))  # overdue: 2,000 late fee
APRIL = _bill("B04", "2026-04", date(2026, 4, 25))  # not due yet


def test_credit_pays_the_oldest_bill_with_its_late_fee_before_a_newer_one():
    result = settle(12000, [APRIL, MARCH], TODAY, NOW)

    [march] = result.bills
    assert march.bill_id == "B03"
    assert (march.status, march.late_fee_paid, march.next_reminder_on) == (BillStatus.PAID, 2000, None)
    assert result.used == 12000
    assert sorted((e.kind, e.amount) for e in result.entries) == [
        (EntryKind.CREDIT_APPLIED, 12000),
        (EntryKind.LATE_FEE, 2000),
    ]


def test_credit_left_after_the_oldest_bill_goes_to_the_next_one():
    result = settle(15000, [MARCH, APRIL], TODAY, NOW)

    march, april = result.bills
    assert march.status is BillStatus.PAID
    assert (april.status, april.credit_applied, april.amount_due) == (BillStatus.ISSUED, 3000, 7000)
    assert result.used == 15000


def test_credit_short_of_the_fee_lowers_what_the_bill_asks_for_and_it_stays_open():
    [march] = settle(4000, [MARCH], TODAY, NOW).bills

    assert (march.status, march.amount_due, march.late_fee_owed) == (BillStatus.ISSUED, 6000, None)


def test_credit_covering_the_fee_but_not_the_late_fee_leaves_only_the_rest_of_the_late_fee_owed():
    result = settle(10500, [MARCH], TODAY, NOW)

    [march] = result.bills
    assert (march.status, march.amount_due, march.late_fee_paid) == (BillStatus.ISSUED, 0, 500)
    assert march.late_fee_owed == 1500
    assert late_fee_due(march, date(2026, 6, 1)) == 1500  # fixed: nothing is left to accrue on
    assert (EntryKind.LATE_FEE, 500) in [(e.kind, e.amount) for e in result.entries]


def test_paid_bills_and_no_credit_change_nothing():
    paid = _bill("B02", "2026-02", date(2026, 2, 15))
    paid = replace(paid, status=BillStatus.PAID)

    assert settle(0, [MARCH], TODAY, NOW).bills == ()
    assert settle(5000, [paid], TODAY, NOW).used == 0


@given(credit=st.integers(min_value=0, max_value=50000), amounts=st.lists(st.integers(1, 20000), max_size=5))
def test_credit_is_never_overspent_and_every_fen_used_is_on_a_bill(credit: int, amounts: list[int]):
    bills = [_bill(f"B{n}", f"2025-{n + 1:02d}", date(2025, n + 1, 15), a) for n, a in enumerate(amounts)]

    result = settle(credit, bills, TODAY, NOW)

    assert 0 <= result.used <= credit
    applied = sum(e.amount for e in result.entries if e.kind is EntryKind.CREDIT_APPLIED)
    assert applied == result.used
    spent_on_bills = sum(b.credit_applied + b.late_fee_paid for b in result.bills)
    assert spent_on_bills == result.used
