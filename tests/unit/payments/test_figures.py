"""A month's figures, pure (``payments.figures``): a ledger with every channel, refunds and failures, bills in
every age bucket, part-paid and paid-after-the-month bills, and the collection rate against 95 %."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from payments.domain import (
    Allocation,
    Bill,
    BillLine,
    BillStatus,
    FeeKind,
    LateFeePolicy,
    Payment,
    PaymentStatus,
)
from payments.figures import CHANNELS, channel_of, community_figures, firm

MONTH = "2026-04"
AS_OF = date(2026, 4, 30)


def _payment(
    provider: str, amount: int, status: PaymentStatus = PaymentStatus.SUCCEEDED, site: str = "s1"
) -> Payment:
    return Payment(
        "t1", f"p-{provider}-{amount}", provider, status, amount, "CNY", site,
        (Allocation("b", "u", amount, 0, "paid"),), "u-1", None, "2026-04-10T02:00:00Z",
        settled_at="2026-04-10T02:00:00Z",
    )  # fmt: skip


def _bill(bill_id: str, period: str, due: date, total: int, **changes: object) -> Bill:
    line = BillLine("fee", "物业费", FeeKind.FIXED, "1", total, LateFeePolicy())
    bill = Bill(
        "t1", bill_id, "s1", f"u-{bill_id}", bill_id, period, "CNY", (line,), total, 0, due,
        BillStatus.ISSUED, f"{period}-01T00:00:00Z", "run",
    )  # fmt: skip
    return replace(bill, **changes)  # type: ignore[arg-type]


LEDGER = [
    (_payment("wechatpay_native", 100), date(2026, 4, 10)),
    (_payment("wechatpay_jsapi", 200), date(2026, 4, 11)),
    (_payment("alipay_wap", 300), date(2026, 4, 12)),
    (_payment("alipay_page", 400), date(2026, 4, 12)),
    (_payment("cash", 500), date(2026, 4, 1)),
    (_payment("pos", 600), date(2026, 4, 30)),
    (_payment("bank_transfer", 700), date(2026, 4, 15)),
    (_payment("stripe", 800), date(2026, 4, 16)),
    (_payment("sandbox", 900), date(2026, 4, 17)),
    (_payment("cash", 1000, PaymentStatus.REFUNDED), date(2026, 4, 18)),  # took money, refunded since
    (_payment("cash", 7, PaymentStatus.REVIEW), date(2026, 4, 18)),  # took nothing
    (_payment("cash", 9, PaymentStatus.CREATED), date(2026, 4, 18)),
    (_payment("cash", 11), date(2026, 3, 31)),  # the month before, in the firm's calendar
    (_payment("cash", 13), date(2026, 5, 1)),  # the month after
    (_payment("cash", 17, site="s2"), date(2026, 4, 5)),  # another community
]
BILLS = [
    _bill("fresh", "2026-04", date(2026, 4, 15), 10_000),  # 15 days overdue on the 30th
    _bill("older", "2026-03", date(2026, 3, 15), 20_000),  # 46 days
    _bill("ancient", "2025-12", date(2025, 12, 15), 30_000),  # 136 days
    _bill("part", "2026-04", date(2026, 4, 20), 8_000, credit_applied=3_000),  # half paid: 5,000 still owed
    _bill(
        "later", "2026-04", date(2026, 4, 10), 4_000, status=BillStatus.PAID, paid_at="2026-05-03T01:00:00Z"
    ),
    _bill(
        "paid", "2026-04", date(2026, 4, 15), 6_000, status=BillStatus.PAID, paid_at="2026-04-02T01:00:00Z"
    ),
    _bill("not-due", "2026-04", date(2026, 5, 15), 2_000),
]


def test_collected_by_channel_counts_each_channel_in_the_month_and_nothing_else():
    figures = community_figures("s1", MONTH, AS_OF, BILLS, LEDGER)

    assert set(figures.collected_by_channel) == set(CHANNELS)
    assert figures.collected_by_channel == {
        "wechat": 300,
        "alipay": 700,
        "cash": 1500,
        "pos": 600,
        "bank_transfer": 700,
        "stripe": 800,
        "sandbox": 900,
    }
    assert figures.collected == 5500
    assert figures.payments == 10


def test_arrears_at_the_months_end_by_age_include_bills_paid_only_after_it():
    figures = community_figures("s1", MONTH, AS_OF, BILLS, LEDGER)

    assert figures.arrears_by_age == {"0-30": 10_000 + 5_000 + 4_000, "31-90": 20_000, "90+": 30_000}
    assert figures.arrears == 69_000
    assert figures.overdue_bills == 5


def test_collection_rate_of_the_months_bills_against_the_target():
    figures = community_figures("s1", MONTH, AS_OF, BILLS, LEDGER)

    assert (figures.bills, figures.billed) == (5, 30_000)
    assert figures.collected_on_bills == 3_000 + 4_000 + 6_000
    assert figures.rate_pct == round(100 * 13_000 / 30_000, 2)
    assert figures.on_target is False
    paid_up = [replace(b, status=BillStatus.PAID) for b in BILLS if b.period == MONTH]
    assert community_figures("s1", MONTH, AS_OF, paid_up, []).on_target is True
    assert community_figures("s1", "2026-06", AS_OF, BILLS, []).rate_pct is None


def test_the_firm_adds_its_communities_up():
    one = community_figures("s1", MONTH, AS_OF, BILLS, LEDGER)
    two = community_figures("s2", MONTH, AS_OF, [replace(b, site_id="s2") for b in BILLS[:1]], LEDGER)

    total = firm([one, two])

    assert total.site_id is None
    assert total.collected == one.collected + 17
    assert total.collected_by_channel["cash"] == 1500 + 17
    assert total.arrears == one.arrears + 10_000
    assert (total.billed, total.bills) == (one.billed + 10_000, one.bills + 1)


def test_provider_scenes_map_to_their_channel():
    assert [channel_of(p) for p in ("wechatpay_native", "alipay_page", "pos", "stripe")] == [
        "wechat",
        "alipay",
        "pos",
        "stripe",
    ]
