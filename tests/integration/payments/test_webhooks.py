"""Webhooks and refunds: concurrency, amount mismatch, failures, out-of-order and repeated events, refunds
through the provider and the ledger, and overpayment becoming credit on the next bill."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox, sign
from infra.local.provision import Stack
from tests.integration.payments.conftest import (
    Caller,
    Community,
    Reply,
    bills_of,
    fee,
    ledger_items,
    run,
)

Call = Callable[..., Reply]


@pytest.fixture
def billed(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller]
) -> tuple[Community, Caller]:
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    return community, residents(community, "Chen", "a101")


def _checkout(call: Call, who: Caller, bill_ids: list[str]) -> dict[str, Any]:
    reply = call("POST", "/payments", as_=who, body={"bill_ids": bill_ids, "provider": "sandbox"})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def _checkout_id(payment: dict[str, Any]) -> str:
    return str(payment["next_action"]["url"]).rsplit("/", 1)[1]


def _ledger(call: Call, who: Caller, unit_id: str) -> dict[str, Any]:
    reply = call("GET", f"/units/{unit_id}/ledger", as_=who)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


@pytest.mark.reliability
def test_twenty_concurrent_identical_webhooks_make_exactly_one_ledger_entry(
    call: Call,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
):
    community, chen = billed
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])
    event_id = sandbox.pay(_checkout_id(payment), hold=True)["event_id"]
    body = json.dumps(sandbox.state.events[event_id], separators=(",", ":"))
    headers = {"Sandbox-Signature": sign(sandbox.secret, body, int(time.time()))}
    before = len(ledger_items(stack))
    from payments import wiring
    from payments.repository import PaymentsRepository

    # Every delivery reads the payment before any writes (the barrier), then all commit: only the conditional
    # writes decide. moto's transactions are not thread-safe, so the commits themselves take turns.
    barrier = threading.Barrier(20, timeout=30)
    moto_lock = threading.Lock()
    first_commit = threading.local()
    original = PaymentsRepository.commit

    def racing_commit(self: PaymentsRepository, *args: Any, **kwargs: Any) -> None:
        if not getattr(first_commit, "done", False):
            first_commit.done = True
            barrier.wait()
        with moto_lock:
            original(self, *args, **kwargs)

    monkeypatch.setattr(PaymentsRepository, "commit", racing_commit)
    service = wiring.payments()
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            outcomes.append(service.webhook("sandbox", headers, body))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 19
    assert len(ledger_items(stack)) == before + 1
    assert _ledger(call, chen, community.units["a101"])["balance"] == 0


def test_an_amount_mismatch_flags_the_payment_for_review_and_pays_nothing(
    call: Call,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    stack: Stack,
    published: list[tuple[str, dict[str, Any]]],
):
    _, chen = billed
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])
    before = len(ledger_items(stack))

    reply = deliver(sandbox.pay(_checkout_id(payment), outcome="mismatch", hold=True)["event_id"])

    assert reply.status == 200
    assert reply.body["outcome"] == "review"
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "review"
    assert call("GET", f"/bills/{bill['bill_id']}", as_=chen).body["status"] == "issued"
    assert len(ledger_items(stack)) == before
    assert "PaymentSucceeded" not in [n for n, _ in published]


def test_a_declined_payment_is_failed_emits_payment_failed_and_the_bill_stays_owed(
    call: Call,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    published: list[tuple[str, dict[str, Any]]],
):
    _, chen = billed
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])

    deliver(sandbox.pay(_checkout_id(payment), outcome="fail", hold=True)["event_id"])

    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "failed"
    assert call("GET", f"/bills/{bill['bill_id']}", as_=chen).body["status"] == "issued"
    assert [n for n, _ in published].count("PaymentFailed") == 1


def test_finance_refunds_through_the_provider_and_the_ledger_and_the_bill_is_owed_again(
    call: Call,
    billed: tuple[Community, Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    published: list[tuple[str, dict[str, Any]]],
):
    community, chen = billed
    zhao = staff(community, "Zhao", Role.FINANCE)
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])
    deliver(sandbox.pay(_checkout_id(payment), hold=True)["event_id"])
    path = f"/payments/{payment['payment_id']}/refunds"

    by_resident = call("POST", path, as_=chen, body={"reason": "paid twice"})
    too_much = call("POST", path, as_=zhao, body={"amount": payment["amount"] + 1, "reason": "x"})
    partial = call(
        "POST",
        path,
        as_=zhao,
        body={"amount": 375, "reason": "rounding"},
        headers={"Idempotency-Key": "refund-0001"},
    )
    replay = call(
        "POST",
        path,
        as_=zhao,
        body={"amount": 375, "reason": "rounding"},
        headers={"Idempotency-Key": "refund-0001"},
    )
    rest = call("POST", path, as_=zhao, body={"reason": "moved out"})

    assert by_resident.status == 403
    assert too_much.status == 422
    assert (partial.status, partial.body["status"]) == (201, "succeeded")
    assert (replay.status, replay.body["refund_id"]) == (200, partial.body["refund_id"])
    assert rest.status == 201
    assert rest.body["amount"] == payment["amount"] - 375
    settled = call("GET", f"/payments/{payment['payment_id']}", as_=zhao).body
    assert settled["status"] == "refunded"
    assert settled["refunded_amount"] == payment["amount"]
    assert call("GET", f"/bills/{bill['bill_id']}", as_=chen).body["status"] == "issued"
    ledger = _ledger(call, chen, community.units["a101"])
    assert [e["kind"] for e in ledger["entries"]].count("refund") == 2
    assert ledger["balance"] == bill["amount_due"]
    assert [n for n, _ in published].count("PaymentRefunded") == 2
    # The provider's own refund webhooks arrive later: already applied, nothing moves.
    for event_id, event in list(sandbox.state.events.items()):
        if event["type"] == "refund.succeeded":
            late = deliver(event_id)
            assert late.status == 200, late.body
            assert late.body["outcome"] in ("ignored", "duplicate")
    assert _ledger(call, chen, community.units["a101"])["balance"] == bill["amount_due"]


@pytest.mark.reliability
def test_a_refund_event_before_the_success_and_a_success_repeated_after_a_refund_change_nothing(
    call: Call,
    billed: tuple[Community, Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    stack: Stack,
):
    community, chen = billed
    zhao = staff(community, "Zhao", Role.FINANCE)
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])
    success = sandbox.pay(_checkout_id(payment), hold=True)["event_id"]
    # A refund event for this payment delivered before its success: refused (the provider redelivers later).
    early = {
        "id": "evt_early_refund",
        "type": "refund.succeeded",
        "created": 0,
        "data": {
            "checkout_id": _checkout_id(payment),
            "payment_id": payment["payment_id"],
            "tenant_id": community.tenant_id,
            "amount": 100,
            "currency": "CNY",
            "refund_id": "RF1",
        },
    }
    sandbox.state.events["evt_early_refund"] = early
    before = len(ledger_items(stack))

    early_reply = deliver("evt_early_refund")

    assert early_reply.status == 200
    assert early_reply.body["outcome"] == "ignored"  # no such refund of ours
    assert len(ledger_items(stack)) == before
    assert deliver(success).body["outcome"] == "applied"
    call("POST", f"/payments/{payment['payment_id']}/refunds", as_=zhao, body={"reason": "duplicate"})
    entries = len(ledger_items(stack))

    again = deliver(success)

    assert again.status == 200
    assert again.body["outcome"] == "duplicate"
    assert len(ledger_items(stack)) == entries
    assert call("GET", f"/payments/{payment['payment_id']}", as_=zhao).body["status"] == "refunded"


def test_a_second_payment_of_the_same_bill_becomes_credit_applied_to_the_next_bill(
    call: Call,
    billed: tuple[Community, Caller],
    manager: tuple[Community, Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    clock: FixedClock,
):
    community, chen = billed
    [bill] = bills_of(call, chen)
    first = _checkout(call, chen, [bill["bill_id"]])
    clock.advance(minutes=31)  # the first checkout's hold lapsed: the resident opens another
    second = _checkout(call, chen, [bill["bill_id"]])
    deliver(sandbox.pay(_checkout_id(first), hold=True)["event_id"])

    deliver(sandbox.pay(_checkout_id(second), hold=True)["event_id"])

    ledger = _ledger(call, chen, community.units["a101"])
    assert ledger["balance"] == -bill["amount_due"]
    assert ledger["credit"] == bill["amount_due"]
    assert (
        call("GET", f"/payments/{second['payment_id']}", as_=chen).body["allocations"][0]["outcome"]
        == "credit"
    )
    run(call, manager[1], community.site_id, "2026-04")
    april = bills_of(call, chen, period="2026-04")[0]
    assert april["credit_applied"] == bill["amount_due"]
    assert april["amount_due"] == 0
    assert april["status"] == "paid"
    after = _ledger(call, chen, community.units["a101"])
    assert after["balance"] == 0
    assert after["credit"] == 0
    assert "credit_applied" in [e["kind"] for e in after["entries"]]


def test_money_paid_twice_settles_the_oldest_overdue_bill_with_its_late_fee_at_once(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    clock: FixedClock,
):
    community, wang = manager
    fee(call, wang, community.site_id, late_fee={"kind": "fixed", "value": 2000})
    run(call, wang, community.site_id, "2026-03")  # due 2026-03-15
    run(call, wang, community.site_id, "2026-04")  # due 2026-04-15
    chen = residents(community, "Chen", "a101")
    clock.set(datetime(2026, 4, 20, 2, 0, tzinfo=UTC))  # both overdue: 2,000 late fee each
    march = bills_of(call, chen, period="2026-03")[0]
    april = bills_of(call, chen, period="2026-04")[0]
    abandoned = _checkout(call, chen, [april["bill_id"]])
    clock.advance(minutes=31)
    paid = _checkout(call, chen, [april["bill_id"]])
    deliver(sandbox.pay(_checkout_id(paid), hold=True)["event_id"])

    deliver(sandbox.pay(_checkout_id(abandoned), hold=True)["event_id"])  # completes late: 24,375 extra

    clock.advance(days=30)
    settled = call("GET", f"/bills/{march['bill_id']}", as_=chen).body
    ledger = _ledger(call, chen, community.units["a101"])
    assert march["amount_payable"] == 22375 + 2000
    assert (settled["status"], settled["late_fee"], settled["amount_payable"]) == ("paid", 2000, 0)
    assert (ledger["balance"], ledger["credit"]) == (0, 0)
    kinds = [(e["kind"], e["amount"]) for e in ledger["entries"] if e["bill_id"] == march["bill_id"]]
    assert sorted(kinds) == [("charge", 22375), ("credit_applied", 24375), ("late_fee", 2000)]
    assert bills_of(call, chen, status="issued") == []


def test_credit_that_covers_only_the_fee_fixes_the_late_fee_left_and_the_bill_stays_owed_for_it(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    clock: FixedClock,
):
    community, wang = manager
    fee(call, wang, community.site_id, late_fee={"kind": "daily", "value": 100})  # 1 % a day
    run(call, wang, community.site_id, "2026-03")
    fee(
        call, wang, community.site_id, name="车位 Parking", kind="fixed", price_minor=22375, cycle="quarterly"
    )
    run(call, wang, community.site_id, "2026-Q2")  # due 2026-04-15, no late fee
    chen = residents(community, "Chen", "a101")
    clock.set(datetime(2026, 3, 20, 2, 0, tzinfo=UTC))  # March: 5 days overdue, 5 % = 1,119
    quarter = bills_of(call, chen, period="2026-Q2")[0]
    abandoned = _checkout(call, chen, [quarter["bill_id"]])
    clock.advance(minutes=31)
    deliver(sandbox.pay(_checkout_id(_checkout(call, chen, [quarter["bill_id"]])), hold=True)["event_id"])

    deliver(sandbox.pay(_checkout_id(abandoned), hold=True)["event_id"])  # 22,375 of credit

    [march] = bills_of(call, chen, period="2026-03")
    clock.advance(days=20)
    later = call("GET", f"/bills/{march['bill_id']}", as_=chen).body
    assert (march["status"], march["amount_due"], march["late_fee"]) == ("issued", 0, 1119)
    assert later["late_fee"] == 1119  # the fee is paid: nothing accrues any more
    payment = _checkout(call, chen, [march["bill_id"]])
    assert payment["amount"] == 1119
    deliver(sandbox.pay(_checkout_id(payment), hold=True)["event_id"])
    done = call("GET", f"/bills/{march['bill_id']}", as_=chen).body
    assert (done["status"], done["late_fee"]) == ("paid", 1119)
    assert _ledger(call, chen, community.units["a101"])["balance"] == 0


def test_a_receipt_event_lost_to_a_bus_outage_is_published_by_the_next_delivery(
    call: Call,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    stack: Stack,
    published: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
):
    from courtyard.events import EventPublisher, FailedEvent, PublishFailed

    _, chen = billed
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])
    event_id = sandbox.pay(_checkout_id(payment), hold=True)["event_id"]
    before = len(ledger_items(stack))
    working = EventPublisher.publish_many

    def outage(self: EventPublisher, events: Any) -> None:
        batch = list(events)
        raise PublishFailed([FailedEvent(d.event_id, name, "ServiceUnavailable", "") for name, d in batch])

    monkeypatch.setattr(EventPublisher, "publish_many", outage)
    failed = deliver(event_id)
    monkeypatch.setattr(EventPublisher, "publish_many", working)

    # The settlement committed; the provider sees a failure and delivers the event again.
    assert failed.status >= 500
    assert len(ledger_items(stack)) == before + 1
    assert [name for name, _ in published if name == "PaymentSucceeded"] == []

    again = deliver(event_id)
    once_more = deliver(event_id)

    assert (again.status, again.body["outcome"]) == (200, "duplicate")
    assert once_more.status == 200
    receipts = [detail for name, detail in published if name == "PaymentSucceeded"]
    assert len(receipts) == 1
    assert receipts[0]["bill_ids"] == [bill["bill_id"]]
    assert len(ledger_items(stack)) == before + 1
