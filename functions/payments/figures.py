"""A month's finance figures, pure: money collected by channel, arrears by age, and the collection rate of
the month's bills against the 95 % target, for one community; ``firm`` adds communities up.

- Collected: payments that took money (succeeded, even if refunded since) and settled in the month, by the
  firm's calendar; WeChat Pay's scenes count as ``wechat``, Alipay's as ``alipay``; refunds are not netted.
- Arrears at the month's end (or today, for the running month): bills due before that day and not paid by
  then, by days overdue (0-30, 31-90, 90+, ``payments.arrears``). A bill paid after that day counts whole;
  an open bill counts what it still asks today (a part-payment made after the month's end is taken off: the
  bills keep no history of when each part was paid).
- Collection rate: what was collected of the bills of the month's period so far over what they were issued
  for (``payments.arrears.collection``), in percent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from payments.arrears import BUCKETS, COLLECTION_TARGET_PCT, bucket, collection
from payments.domain import Bill, BillStatus, Payment, PaymentStatus

CHANNELS = ("wechat", "alipay", "cash", "pos", "bank_transfer", "stripe", "sandbox")
TOOK_MONEY = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


def channel_of(provider: str) -> str:
    if provider.startswith("wechatpay_"):
        return "wechat"
    if provider.startswith("alipay_"):
        return "alipay"
    return provider


@dataclass
class Figures:
    site_id: str | None
    collected_by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    payments: int = 0
    arrears_by_age: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    overdue_bills: int = 0
    bills: int = 0
    billed: int = 0
    collected_on_bills: int = 0
    paid_bills: int = 0

    @property
    def collected(self) -> int:
        return sum(self.collected_by_channel.values())

    @property
    def arrears(self) -> int:
        return sum(self.arrears_by_age.values())

    @property
    def rate_pct(self) -> float | None:
        return round(100.0 * self.collected_on_bills / self.billed, 2) if self.billed else None

    @property
    def on_target(self) -> bool | None:
        rate = self.rate_pct
        return None if rate is None else rate >= COLLECTION_TARGET_PCT


def community_figures(
    site_id: str,
    month: str,
    as_of: date,
    bills: Iterable[Bill],
    payments: Iterable[tuple[Payment, date]],
) -> Figures:
    """``payments``: each with the day it settled in the firm's time zone (those outside ``month`` and of
    other communities are left out here)."""
    figures = Figures(site_id)
    for payment, settled_on in payments:
        if payment.site_id != site_id or payment.status not in TOOK_MONEY:
            continue
        if settled_on.isoformat()[:7] != month:
            continue
        channel = channel_of(payment.provider)
        figures.collected_by_channel[channel] = figures.collected_by_channel.get(channel, 0) + payment.amount
        figures.payments += 1
    own = [b for b in bills if b.site_id == site_id]
    for bill in own:
        owed = _owed_on(bill, as_of)
        if owed > 0:
            figures.arrears_by_age[bucket((as_of - bill.due_date).days)] += owed
            figures.overdue_bills += 1
    for period in collection([b for b in own if b.period == month]):
        figures.bills = period.bills
        figures.billed = period.billed
        figures.collected_on_bills = period.collected
        figures.paid_bills = period.paid_bills
    return figures


def _owed_on(bill: Bill, as_of: date) -> int:
    if bill.due_date >= as_of:
        return 0
    if bill.status is BillStatus.ISSUED:
        return max(bill.amount_due, 0)
    paid_on = (bill.paid_at or "")[:10]
    return bill.total if paid_on > as_of.isoformat() else 0


def firm(parts: Iterable[Figures]) -> Figures:
    total = Figures(None)
    for part in parts:
        for channel, amount in part.collected_by_channel.items():
            total.collected_by_channel[channel] = total.collected_by_channel.get(channel, 0) + amount
        for age, amount in part.arrears_by_age.items():
            total.arrears_by_age[age] += amount
        total.payments += part.payments
        total.overdue_bills += part.overdue_bills
        total.bills += part.bills
        total.billed += part.billed
        total.collected_on_bills += part.collected_on_bills
        total.paid_bills += part.paid_bills
    return total
