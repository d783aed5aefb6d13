"""Money taken at the counter settles the picked bills oldest first, fee then late fee; less is a part-payment
that leaves the rest due in its age bucket; more settles the unit's other bills and then waits as credit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from payments.arrears import arrears, collection
from payments.domain import (
    Bill,
    BillLine,
    BillStatus,
    EntryKind,
    FeeKind,
    LateFeeKind,
    LateFeePolicy,
    Payment,
    PaymentStatus,
    balance,
)
from payments.fees import late_fee_due
from payments.part_payment import counter_payment

NOW = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)
TODAY = date(2026, 4, 20)
DAILY_5BP = LateFeePolicy(LateFeeKind.DAILY, 0, 5)  # 0.05 % a day of what is owed


def _bill(bill_id: str, period: str, due: date, amount: int = 10000) -> Bill:
    line = BillLine("F", "fee", FeeKind.FIXED, "1", amount, DAILY_5BP)
    return Bill(
        "T", bill_id, "S", "U", "U", period, "CNY", (line,), amount, 0, due, BillStatus.ISSUED, "", "R"
    )


MARCH = _bill("B03", "2026-03", date(2026, 3, 15))  # 36 days overdue on TODAY
APRIL = _bill("B04", "2026-04", date(2026, 4, 25))  # not due yet


def _cash(amount: int) -> Payment:
    return Payment(
        "T",
        "P1",
        "cash",
        PaymentStatus.CREATED,
        amount,
        "CNY",
        "S",
        (),
        "clerk",
        None,
        "",
        unit_id="U",
        receipt_no="R2026-000001",
    )


def test_half_a_bill_in_cash_leaves_half_due_in_the_same_age_bucket():
    before = arrears([MARCH], TODAY)[0]
    plan = counter_payment(_cash(5000), [MARCH], [MARCH], TODAY, NOW)

    [march] = plan.bills
    assert (march.status, march.amount_due, march.due_date) == (BillStatus.ISSUED, 5000, MARCH.due_date)
    [after] = arrears([march], TODAY)
    assert before.buckets == {"0-30": 0, "31-90": 10000, "90+": 0}
    assert after.buckets == {"0-30": 0, "31-90": 5000, "90+": 0}
    assert after.oldest_due == before.oldest_due
    # the late fee now accrues only on what is still owed
    assert late_fee_due(march, TODAY) < late_fee_due(MARCH, TODAY)
    assert plan.payment is not None
    assert plan.payment.status is PaymentStatus.SUCCEEDED
    assert [(a.bill_id, a.amount_due, a.late_fee, a.outcome) for a in plan.payment.allocations] == [
        ("B03", 5000, 0, "part")
    ]
    assert plan.credits == ()


def test_the_ledger_balance_falls_by_what_was_handed_over():
    plan = counter_payment(_cash(5000), [MARCH], [], TODAY, NOW)

    kinds = sorted((e.kind, e.amount) for e in plan.entries)
    assert kinds == [(EntryKind.CREDIT_APPLIED, 5000), (EntryKind.PAYMENT, 5000)]
    assert all(e.payment_id == "P1" for e in plan.entries)
    assert balance(list(plan.entries)) == -5000


def test_a_whole_bill_with_its_late_fee_is_paid_and_names_the_payment():
    late = late_fee_due(MARCH, TODAY)
    plan = counter_payment(_cash(10000 + late), [MARCH], [], TODAY, NOW)

    [march] = plan.bills
    assert (march.status, march.payment_id, march.late_fee_paid) == (BillStatus.PAID, "P1", late)
    assert plan.payment is not None
    assert plan.payment.allocations[0].outcome == "paid"


def test_money_beyond_the_picked_bills_settles_the_units_other_bills_then_becomes_credit():
    late = late_fee_due(MARCH, TODAY)
    plan = counter_payment(_cash(10000 + late + 10000 + 700), [MARCH], [MARCH, APRIL], TODAY, NOW)

    assert [(b.bill_id, b.status) for b in plan.bills] == [("B03", BillStatus.PAID), ("B04", BillStatus.PAID)]
    assert [(c.unit_id, c.delta) for c in plan.credits] == [("U", 700)]


def test_money_as_credit_with_nothing_open_is_all_credit():
    plan = counter_payment(_cash(30000), [], [], TODAY, NOW)

    assert plan.bills == ()
    assert [c.delta for c in plan.credits] == [30000]
    assert [e.kind for e in plan.entries] == [EntryKind.PAYMENT]


def test_the_collection_rate_counts_what_was_paid_of_a_part_paid_bill():
    [march] = counter_payment(_cash(5000), [MARCH], [], TODAY, NOW).bills

    [period] = collection([march])
    assert (period.billed, period.collected, period.rate_pct) == (10000, 5000, 50.0)
