"""What provider events do to payments, bills and the ledger (pure), the signature scheme, arrears and
reconciliation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from payments import arrears, reconcile, signing
from payments.domain import (
    Allocation,
    Bill,
    BillLine,
    BillStatus,
    EntryKind,
    FeeKind,
    LateFeePolicy,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    balance,
)
from payments.providers import EventKind, ProviderEvent, Settlement
from payments.settle import payment_failed, payment_succeeded, refund_settled

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


def _bill(
    bill_id: str,
    unit: str,
    amount: int,
    status: BillStatus = BillStatus.ISSUED,
    period: str = "2026-03",
    due: date = date(2026, 3, 15),
    paid_at: str | None = None,
) -> Bill:
    line = BillLine("F", "fee", FeeKind.FIXED, "1", amount, LateFeePolicy())
    return Bill(
        "T",
        bill_id,
        "S",
        unit,
        unit,
        period,
        "CNY",
        (line,),
        amount,
        0,
        due,
        status,
        "",
        "R",
        paid_at=paid_at,
        payment_id="P0" if status is BillStatus.PAID else None,
    )


def _payment(*allocations: Allocation, status: PaymentStatus = PaymentStatus.CREATED) -> Payment:
    return Payment(
        "T",
        "P1",
        "sandbox",
        status,
        sum(a.amount for a in allocations),
        "CNY",
        "S",
        allocations,
        "user",
        None,
        "",
        provider_ref="chk_1",
    )


def _event(amount: int, currency: str = "CNY") -> ProviderEvent:
    return ProviderEvent("evt", EventKind.PAYMENT_SUCCEEDED, "T", "P1", "chk_1", amount, currency)


def test_a_success_pays_the_bills_and_writes_late_fee_and_payment_entries():
    payment = _payment(Allocation("B1", "U1", 1000, 50), Allocation("B2", "U2", 2000, 0))
    plan = payment_succeeded(
        payment, {"B1": _bill("B1", "U1", 1000), "B2": _bill("B2", "U2", 2000)}, _event(3050), NOW
    )
    assert plan.outcome == "applied"
    assert plan.payment is not None
    assert plan.payment.status is PaymentStatus.SUCCEEDED
    assert [b.status for b in plan.bills] == [BillStatus.PAID, BillStatus.PAID]
    assert [(e.kind, e.unit_id, e.delta) for e in plan.entries] == [
        (EntryKind.LATE_FEE, "U1", 50),
        (EntryKind.PAYMENT, "U1", -1050),
        (EntryKind.PAYMENT, "U2", -2000),
    ]
    assert [name for name, _ in plan.events] == ["PaymentSucceeded"]


def test_a_different_amount_or_currency_holds_the_payment_for_review_and_pays_nothing():
    payment = _payment(Allocation("B1", "U1", 1000, 0))
    for event in (_event(999), _event(1000, "USD")):
        plan = payment_succeeded(payment, {"B1": _bill("B1", "U1", 1000)}, event, NOW)
        assert plan.outcome == "review"
        assert plan.payment is not None
        assert plan.payment.status is PaymentStatus.REVIEW
        assert (plan.bills, plan.entries, plan.events) == ((), (), ())


def test_a_bill_paid_meanwhile_turns_the_money_into_credit():
    payment = _payment(Allocation("B1", "U1", 1000, 0))
    plan = payment_succeeded(payment, {"B1": _bill("B1", "U1", 1000, BillStatus.PAID)}, _event(1000), NOW)
    assert plan.bills == ()
    assert [(c.unit_id, c.delta) for c in plan.credits] == [("U1", 1000)]
    assert plan.payment is not None
    assert plan.payment.allocations[0].outcome == "credit"


def test_events_that_cannot_move_the_payment_change_nothing():
    for status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.REVIEW):
        payment = _payment(Allocation("B1", "U1", 1000, 0), status=status)
        assert payment_succeeded(payment, {}, _event(1000), NOW).outcome == "ignored"
    succeeded = _payment(Allocation("B1", "U1", 1000, 0), status=PaymentStatus.SUCCEEDED)
    assert payment_failed(succeeded, _event(1000), NOW).outcome == "ignored"


def test_a_refund_takes_from_the_last_bill_first_and_reopens_a_bill_refunded_in_full():
    payment = _payment(
        Allocation("B1", "U1", 1000, 0, "paid"),
        Allocation("B2", "U2", 500, 0, "paid"),
        status=PaymentStatus.SUCCEEDED,
    )
    bills = {"B1": _bill("B1", "U1", 1000, BillStatus.PAID), "B2": _bill("B2", "U2", 500, BillStatus.PAID)}
    bills = {
        k: Bill(**{**{f: getattr(v, f) for f in v.__slots__}, "payment_id": "P1"}) for k, v in bills.items()
    }
    refund = Refund("T", "P1", "R1", 700, "CNY", RefundStatus.PENDING, "x", "fin", "")
    plan = refund_settled(payment, refund, bills, {}, True, NOW)
    assert [(e.unit_id, e.delta) for e in plan.entries] == [("U2", 500), ("U1", 200)]
    assert [(b.bill_id, b.status) for b in plan.bills] == [("B2", BillStatus.ISSUED)]
    assert plan.payment is not None
    assert plan.payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert refund_settled(payment, plan.refund or refund, bills, {}, True, NOW).outcome == "ignored"


def test_a_balance_is_the_sum_of_the_entries_and_credit_applied_moves_nothing():
    payment = _payment(Allocation("B1", "U1", 1000, 0))
    entries = list(
        payment_succeeded(
            payment, {"B1": _bill("B1", "U1", 1000, BillStatus.PAID)}, _event(1000), NOW
        ).entries
    )
    assert balance(entries) == -1000


def test_signatures_verify_only_with_the_secret_the_body_and_a_fresh_timestamp():
    header = signing.sign("s3cret", "{}", 1_000_000)
    assert signing.verify("s3cret", "{}", header, 1_000_100)
    assert not signing.verify("other", "{}", header, 1_000_100)
    assert not signing.verify("s3cret", "{ }", header, 1_000_100)
    assert not signing.verify("s3cret", "{}", header, 1_000_301)
    assert not signing.verify("s3cret", "{}", header, 999_699)
    assert not signing.verify("s3cret", "{}", None, 1_000_000)


def test_arrears_age_buckets_and_the_repeated_late_payer_flag():
    today = date(2026, 7, 1)
    bills = [
        _bill("B1", "U1", 100, due=date(2026, 3, 15), period="2026-03"),  # 108 days
        _bill("B2", "U1", 100, due=date(2026, 5, 15), period="2026-05"),  # 47 days
        _bill(
            "B3",
            "U1",
            100,
            BillStatus.PAID,
            period="2026-04",
            due=date(2026, 4, 15),
            paid_at="2026-04-30T00:00:00.000Z",
        ),
        _bill("B4", "U2", 100, due=date(2026, 6, 15), period="2026-06"),  # 16 days
        _bill("B5", "U3", 100, due=date(2026, 7, 1), period="2026-07"),  # due today: not overdue
    ]
    units = {u.unit_id: u for u in arrears.arrears(bills, today)}
    assert set(units) == {"U1", "U2"}
    assert units["U1"].buckets == {"0-30": 0, "31-90": 100, "90+": 100}
    assert units["U1"].risk
    assert not units["U2"].risk
    march, april, *_ = sorted(arrears.collection(bills), key=lambda c: c.period)
    assert (april.rate_pct, march.rate_pct, april.on_target) == (100.0, 0.0, True)


def test_arrears_list_the_reminders_each_units_overdue_bills_have_had_oldest_first():
    today = date(2026, 7, 1)
    bills = [
        replace(
            _bill("B2", "U1", 100, due=date(2026, 5, 15), period="2026-05"),
            reminders=("due_soon", "overdue_3"),
        ),
        replace(
            _bill("B1", "U1", 100, due=date(2026, 3, 15), period="2026-03"), reminders=("formal_notice",)
        ),
        # Paid: its reminders are history, not arrears.
        replace(
            _bill(
                "B3",
                "U1",
                100,
                BillStatus.PAID,
                period="2026-04",
                due=date(2026, 4, 15),
                paid_at="2026-04-30T00:00:00.000Z",
            ),
            reminders=("overdue_3",),
        ),
        _bill("B4", "U2", 100, due=date(2026, 6, 15), period="2026-06"),
    ]
    units = {u.unit_id: u for u in arrears.arrears(bills, today)}
    assert units["U1"].reminders == [
        ("2026-03", "formal_notice"),
        ("2026-05", "due_soon"),
        ("2026-05", "overdue_3"),
    ]
    assert units["U2"].reminders == []


def test_reconciliation_sorts_provider_settlements_against_settled_payments():
    def paid(pid: str, ref: str, amount: int, status: PaymentStatus = PaymentStatus.SUCCEEDED) -> Payment:
        return Payment("T", pid, "sandbox", status, amount, "CNY", "S", (), "u", None, "", provider_ref=ref)

    report = reconcile.compare(
        [
            Settlement("r1", "payment", 100, "CNY"),
            Settlement("r2", "payment", 200, "CNY"),
            Settlement("r3", "payment", 301, "CNY"),
            Settlement("r1", "refund", 50, "CNY"),
        ],
        [paid("P1", "r1", 100), paid("P3", "r3", 300, PaymentStatus.REVIEW), paid("P4", "r4", 400)],
    )
    assert report["counts"] == {
        "matched": 1,
        "missing_in_ledger": 1,
        "missing_at_provider": 1,
        "amount_mismatch": 1,
    }
    assert report["balanced"] is False


def test_the_settlement_day_is_sharded_so_no_single_partition_takes_every_tenants_payments():
    from payments import keys

    partitions = {keys.settlement_day("2026-03-28", f"firm-{n}") for n in range(1_000)}
    assert len(partitions) == keys.DAY_SHARDS
    # A firm's payments share its shard: its month's figures read one partition a day.
    assert keys.settlement_day("2026-03-28", "firm-7") == keys.settlement_day("2026-03-28", "firm-7")
    # Reconciliation reads every shard and the partition written before the index was sharded.
    assert set(keys.settlement_days("2026-03-28")) == partitions | {"PAYDAY#2026-03-28"}
