"""The counter on moto: cash, POS and bank-transfer payments recorded by finance and the desk, with a receipt
number, part-payments that leave the rest due in its age bucket, and Idempotency-Key replays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, run

Call = Callable[..., Reply]
APRIL_20 = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)  # the March bill (due 03-15) is 36 days overdue


def _counter(call: Call, who: Caller, key: str | None = None, **body: Any) -> Reply:
    return call(
        "POST", "/payments/counter", as_=who, body=body, headers={"Idempotency-Key": key} if key else None
    )


def test_half_a_bill_in_cash_leaves_half_due_and_the_ageing_unchanged_for_the_rest(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    clock: FixedClock,
    published: list[tuple[str, dict[str, Any]]],
):
    community, wang = manager
    fee(call, wang, community.site_id)  # 2.50 per m² per month: a101 is 223.75
    run(call, wang, community.site_id)
    unit = community.units["a101"]
    [bill] = bills_of(call, wang, unit_id=unit)
    clock.set(APRIL_20)
    before = call("GET", "/arrears", as_=wang, query={"site_id": community.site_id}).body
    desk = staff(community, "Desk", Role.SERVICE_DESK)

    paid = _counter(
        call, desk, "counter-0001", unit_id=unit, bill_ids=[bill["bill_id"]], amount=11187, channel="cash"
    )
    again = _counter(
        call, desk, "counter-0001", unit_id=unit, bill_ids=[bill["bill_id"]], amount=11187, channel="cash"
    )

    assert paid.status == 201, paid.body
    assert paid.body["status"] == "succeeded"
    assert paid.body["provider"] == "cash"
    assert paid.body["receipt_no"] == "R2026-000001"
    assert paid.body["taken_by"] == desk.user_id
    assert paid.body["allocations"][0]["outcome"] == "part"
    assert (again.status, again.body["payment_id"]) == (200, paid.body["payment_id"])
    after_bill = call("GET", f"/bills/{bill['bill_id']}", as_=wang).body
    assert (after_bill["status"], after_bill["amount_due"]) == ("issued", 22375 - 11187)
    after = call("GET", "/arrears", as_=wang, query={"site_id": community.site_id}).body
    unit_before = next(u for u in before["units"] if u["unit_id"] == unit)
    unit_after = next(u for u in after["units"] if u["unit_id"] == unit)
    assert unit_before["buckets"]["31-90"] == 22375
    assert unit_after["buckets"] == {"0-30": 0, "31-90": 22375 - 11187, "90+": 0}
    ledger = call("GET", f"/units/{unit}/ledger", as_=wang).body
    assert ledger["balance"] == 22375 - 11187
    assert [name for name, _ in published].count("PaymentSucceeded") == 1


def test_more_than_the_bill_by_pos_pays_it_and_the_rest_is_credit_with_the_next_receipt_number(
    call: Call, manager: tuple[Community, Caller], staff: Callable[..., Caller]
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    unit = community.units["a101"]
    [bill] = bills_of(call, wang, unit_id=unit)
    finance = staff(community, "Zhao", Role.FINANCE)

    first = _counter(call, finance, unit_id=unit, bill_ids=[bill["bill_id"]], amount=30000, channel="pos")
    second = _counter(call, finance, unit_id=unit, amount=5000, channel="bank_transfer", note="转账 0417")

    assert first.status == 201, first.body
    assert first.body["allocations"][0]["outcome"] == "paid"
    assert first.body["credit"] == 30000 - 22375
    assert call("GET", f"/bills/{bill['bill_id']}", as_=wang).body["status"] == "paid"
    assert second.status == 201, second.body
    assert (second.body["receipt_no"], second.body["credit"]) == ("R2026-000002", 5000)
    ledger = call("GET", f"/units/{unit}/ledger", as_=wang).body
    assert (ledger["balance"], ledger["credit"]) == (22375 - 35000, 35000 - 22375)


def test_bad_counter_payments_are_refused_and_change_nothing(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    residents: Callable[..., Caller],
    seed: Callable[..., Community],
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    unit = community.units["a101"]
    [bill] = bills_of(call, wang, unit_id=unit)
    other = seed()
    chen = residents(community, "Chen", "a101")
    tech = staff(community, "Tech", Role.TECHNICIAN)
    base: dict[str, Any] = {"unit_id": unit, "bill_ids": [bill["bill_id"]], "channel": "cash"}

    assert _counter(call, chen, amount=100, **base).status == 403
    assert _counter(call, tech, amount=100, **base).status == 403
    assert _counter(call, wang, amount=0, **base).status == 422
    assert _counter(call, wang, amount=100, **{**base, "channel": "cheque"}).status == 422
    wrong_unit = {**base, "unit_id": community.units["b201"]}
    assert _counter(call, wang, amount=100, **wrong_unit).status == 404
    other_manager = staff(other, "Li", Role.MANAGER)
    assert _counter(call, other_manager, amount=100, **base).status == 404
    assert _counter(call, wang, "counter-k1", amount=100, **base).status == 201
    reused = _counter(call, wang, "counter-k1", amount=200, **base)
    assert reused.status == 422, reused.body
    assert call("GET", f"/bills/{bill['bill_id']}", as_=wang).body["amount_due"] == 22375 - 100
