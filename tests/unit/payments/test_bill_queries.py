"""A bill's late fee as the API shows it, through ``PaymentQueries`` against in-memory fakes: the rule is
``payments.fees.late_fee_due`` (each line's policy: grace days, then fixed, percentage or daily, capped)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from payments.domain import Bill, BillLine, BillStatus, FeeKind, LateFeeKind, LateFeePolicy
from payments.services.queries import PaymentQueries

from courtyard.clock import FixedClock
from courtyard.directory import ResidentUnitView, TenantView, UserLink
from courtyard.errors import NotFound
from courtyard.tenancy import Role, TenantContext
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit
from tests.fakes.payments import InMemoryPayments

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 on 7 December in Shanghai
RESIDENT = TenantContext(tenant_id="t1", user_id="u-wang", roles=frozenset({Role.RESIDENT}))
# 0.05 % a day after 5 days' grace, at most 10 yuan.
DAILY = LateFeePolicy(LateFeeKind.DAILY, grace_days=5, value=5, cap_minor=1_000)


def _bill(bill_id: str = "b1", unit_id: str = "unit-101", policy: LateFeePolicy = DAILY) -> Bill:
    line = BillLine("fee-1", "property fee", FeeKind.FIXED, "1", 10_000, policy)
    return Bill(
        "t1", bill_id, "s1", unit_id, "1-1-101", "2026-11", "CNY", (line,), 10_000, 0,
        date(2026, 11, 15), BillStatus.ISSUED, "2026-11-01T00:00:00Z", "run-1",
    )  # fmt: skip


def _queries(repo: InMemoryPayments) -> PaymentQueries:
    directory = InMemoryDirectory(
        tenants={"t1": TenantView("t1", "Greenfield", "active", "Asia/Shanghai", "CNY", "zh-CN")},
        users={("t1", "u-wang"): UserLink("resident", "r-wang")},
        links={("t1", "r-wang"): [ResidentUnitView("unit-101", "s1", True, "r-wang")]},
    )
    return PaymentQueries(repo, directory, RecordedAudit(), FixedClock(NOW))


def test_an_overdue_bill_shows_its_daily_late_fee_past_the_grace_days() -> None:
    repo = InMemoryPayments()
    repo.add(_bill())
    queries = _queries(repo)

    bill = queries.bill(RESIDENT, "b1")

    # 22 days past due, 5 of grace: 17 days at 0.05 % of 100.00 yuan = 0.85 yuan.
    assert queries.late_fee_now(bill, queries.today("t1")) == 85


def test_the_late_fee_stops_at_its_cap() -> None:
    repo = InMemoryPayments()
    repo.add(_bill(policy=replace(DAILY, value=100)))  # 1 % a day: 17 yuan uncapped
    queries = _queries(repo)

    assert queries.late_fee_now(queries.bill(RESIDENT, "b1"), date(2026, 12, 7)) == 1_000


def test_a_paid_bill_shows_the_late_fee_it_was_paid_with_and_accrues_no_more() -> None:
    repo = InMemoryPayments()
    repo.add(replace(_bill(), status=BillStatus.PAID, late_fee_paid=40))
    queries = _queries(repo)

    assert queries.late_fee_now(queries.bill(RESIDENT, "b1"), date(2027, 3, 1)) == 40


def test_a_neighbours_bill_is_not_found() -> None:
    repo = InMemoryPayments()
    repo.add(_bill("b2", unit_id="unit-102"))

    with pytest.raises(NotFound):
        _queries(repo).bill(RESIDENT, "b2")
