"""Fee items -> billing run -> bills -> checkout with the sandbox -> signed webhook -> ledger, on moto."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role, TenantContext
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from tests.integration.community import add_proxy, revoke_proxy
from tests.integration.payments.conftest import (
    Caller,
    Community,
    Reply,
    bills_of,
    fee,
    ledger_items,
    run,
    table_items,
)

Call = Callable[..., Reply]


def _billed(call: Call, manager: tuple[Community, Caller]) -> Community:
    community, wang = manager
    fee(call, wang, community.site_id)  # 2.50 per m² per month
    run(call, wang, community.site_id)
    return community


def _pay(call: Call, who: Caller, bill_ids: list[str], key: str | None = None, **headers: str) -> Reply:
    all_headers = {**({"Idempotency-Key": key} if key else {}), **headers}
    return call(
        "POST", "/payments", as_=who, body={"bill_ids": bill_ids, "provider": "sandbox"}, headers=all_headers
    )


def test_a_resident_pays_a_bill_through_the_sandbox_and_the_webhook_settles_it(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    published: list[tuple[str, dict[str, Any]]],
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)
    assert bill["amount_due"] == 22375  # 89.50 m² x 2.50 = 223.75
    assert bill["status"] == "issued"

    payment = _pay(call, chen, [bill["bill_id"]], key="checkout-0001")
    assert payment.status == 201, payment.body
    assert payment.body["status"] == "created"
    assert payment.body["next_action"]["url"].startswith(sandbox.url + "/pay/")
    checkout_id = payment.body["next_action"]["url"].rsplit("/", 1)[1]

    paid = sandbox.pay(checkout_id, hold=True)
    reply = deliver(paid["event_id"])
    assert reply.status == 200, reply.body
    assert reply.body["outcome"] == "applied"

    settled = call("GET", f"/payments/{payment.body['payment_id']}", as_=chen)
    assert settled.body["status"] == "succeeded"
    assert call("GET", f"/bills/{bill['bill_id']}", as_=chen).body["status"] == "paid"
    ledger = call("GET", f"/units/{community.units['a101']}/ledger", as_=chen).body
    assert [e["kind"] for e in ledger["entries"]] == ["payment", "charge"]
    assert ledger["balance"] == 0
    kinds = [name for name, _ in published]
    assert kinds.count("BillIssued") == 3
    assert kinds.count("PaymentSucceeded") == 1
    succeeded = next(d for n, d in published if n == "PaymentSucceeded")
    assert succeeded["amount"] == 22375
    assert succeeded["bill_ids"] == [bill["bill_id"]]


def test_the_same_webhook_ten_times_makes_one_ledger_entry_and_answers_2xx_each_time(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    stack: Stack,
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)
    payment = _pay(call, chen, [bill["bill_id"]]).body
    event_id = sandbox.pay(payment["next_action"]["url"].rsplit("/", 1)[1], hold=True)["event_id"]
    before = len(ledger_items(stack))

    replies = [deliver(event_id) for _ in range(10)]

    assert [r.status for r in replies] == [200] * 10
    assert [r.body["outcome"] for r in replies] == ["applied"] + ["duplicate"] * 9
    assert len(ledger_items(stack)) == before + 1


def test_a_forged_or_stale_signature_is_400_and_changes_nothing(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    stack: Stack,
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)
    payment = _pay(call, chen, [bill["bill_id"]]).body
    event_id = sandbox.pay(payment["next_action"]["url"].rsplit("/", 1)[1], hold=True)["event_id"]
    before = table_items(stack)

    forged = deliver(event_id, secret="not-the-secret")
    stale = deliver(event_id, signed_at=1_700_000_000)
    unsigned = call("POST", "/payments/webhooks/sandbox", body={"id": "evt_x", "type": "payment.succeeded"})

    assert (forged.status, stale.status, unsigned.status) == (400, 400, 400)
    assert forged.body["error"]["code"] == "bad_signature"
    assert table_items(stack) == before


def test_the_same_checkout_with_the_same_idempotency_key_returns_the_same_payment(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller]
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)

    first = _pay(call, chen, [bill["bill_id"]], key="retry-key-42")
    again = _pay(call, chen, [bill["bill_id"]], key="retry-key-42")

    assert (first.status, again.status) == (201, 200)
    assert again.body["payment_id"] == first.body["payment_id"]
    assert again.body["next_action"] == first.body["next_action"]


def test_paying_a_paid_bill_is_409(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)
    payment = _pay(call, chen, [bill["bill_id"]]).body
    deliver(sandbox.pay(payment["next_action"]["url"].rsplit("/", 1)[1], hold=True)["event_id"])

    again = _pay(call, chen, [bill["bill_id"]])

    assert again.status == 409, again.body


def test_a_resident_can_neither_see_nor_pay_a_neighbours_bill(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller]
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    residents(community, "Li", "a102")
    wang = manager[1]
    neighbours = bills_of(call, wang, unit_id=community.units["a102"])[0]["bill_id"]

    assert call("GET", f"/bills/{neighbours}", as_=chen).status == 404
    assert _pay(call, chen, [neighbours]).status == 404
    assert bills_of(call, chen, unit_id=community.units["a102"]) == []
    assert [b["unit_id"] for b in bills_of(call, chen)] == [community.units["a101"]]


def test_another_tenants_bill_is_404(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    seed: Callable[..., Community],
    staff: Callable[..., Caller],
):
    community = _billed(call, manager)
    other = seed("Harbour")
    harbour_manager = staff(other, "Zhou", Role.MANAGER)
    harbour_resident = residents(other, "Sun", "a101")
    bill_id = bills_of(call, manager[1], unit_id=community.units["a101"])[0]["bill_id"]

    assert call("GET", f"/bills/{bill_id}", as_=harbour_manager).status == 404
    assert _pay(call, harbour_resident, [bill_id]).status == 404


def test_a_family_proxy_pays_the_parents_bill_until_the_link_is_revoked(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller], stack: Stack
):
    community = _billed(call, manager)
    residents(community, "granny", "a101")
    son = residents(community, "son")  # lives in another city: no unit of the firm
    assert bills_of(call, son) == []
    proxy_id = add_proxy(stack, community, "son", "a101")

    [bill] = bills_of(call, son)
    assert bill["unit_id"] == community.units["a101"]
    payment = _pay(call, son, [bill["bill_id"]], key="proxy-0001")
    assert payment.status == 201, payment.body

    revoke_proxy(stack, community, "son", "a101", proxy_id)
    assert bills_of(call, son) == []
    again = _pay(call, son, [bill["bill_id"]], key="proxy-0002")
    assert again.status == 404, again.body


def test_service_desk_pays_on_a_residents_behalf(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
):
    community = _billed(call, manager)
    residents(community, "Chen", "a101")
    desk = staff(community, "Li", Role.SERVICE_DESK)
    bill_id = bills_of(call, desk, unit_id=community.units["a101"])[0]["bill_id"]
    other_bill = bills_of(call, desk, unit_id=community.units["a102"])[0]["bill_id"]

    assisted = _pay(
        call,
        desk,
        [bill_id],
        **{"X-On-Behalf-Of": community.residents["Chen"], "X-Assist-Reason": "by phone"},
    )
    alone = _pay(call, desk, [bill_id])
    wrong_unit = _pay(
        call,
        desk,
        [other_bill],
        **{"X-On-Behalf-Of": community.residents["Chen"], "X-Assist-Reason": "by phone"},
    )

    assert assisted.status == 201, assisted.body
    assert assisted.body["assisted"] is True
    assert alone.status == 403
    assert wrong_unit.status == 404


def test_a_second_checkout_for_a_bill_in_flight_is_409_naming_the_open_payment(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    clock: FixedClock,
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    wife = residents(community, "Liu", "a101")
    [bill] = bills_of(call, chen)
    first = _pay(call, chen, [bill["bill_id"]]).body

    again = _pay(call, wife, [bill["bill_id"]])
    declined_id = sandbox.pay(first["next_action"]["url"].rsplit("/", 1)[1], outcome="fail", hold=True)
    deliver(declined_id["event_id"])
    after_decline = _pay(call, wife, [bill["bill_id"]])
    clock.advance(minutes=31)
    after_hold = _pay(call, chen, [bill["bill_id"]])

    assert again.status == 409, again.body
    assert again.body["error"]["code"] == "checkout_in_flight"
    assert again.body["error"]["details"][0]["payment_id"] == first["payment_id"]
    assert after_decline.status == 201, after_decline.body  # a declined checkout holds nothing
    assert after_hold.status == 201, after_hold.body  # an abandoned one holds its bills 30 minutes


@pytest.mark.reliability
def test_two_checkouts_of_one_bill_at_once_open_exactly_one_payment(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
):
    community = _billed(call, manager)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)
    from payments import wiring
    from payments.models import PaymentCreate
    from payments.repository import PaymentsRepository
    from payments.services.checkout import CheckoutInFlight

    # Both checkouts read the bill free (the barrier) before either writes: only the conditional write of the
    # bill's checkout lock decides. moto's transactions are not thread-safe, so the writes take turns.
    barrier = threading.Barrier(2, timeout=30)
    moto_lock = threading.Lock()
    original = PaymentsRepository.create_payment

    def racing_create(self: PaymentsRepository, *args: Any, **kwargs: Any) -> None:
        barrier.wait()
        with moto_lock:
            original(self, *args, **kwargs)

    monkeypatch.setattr(PaymentsRepository, "create_payment", racing_create)
    service = wiring.payments()
    ctx = TenantContext.from_claims(chen.claims())
    outcomes: list[str] = []

    def checkout() -> None:
        try:
            service.checkout(ctx, PaymentCreate(bill_ids=[bill["bill_id"]]), None)
            outcomes.append("created")
        except CheckoutInFlight:
            outcomes.append("checkout_in_flight")

    threads = [threading.Thread(target=checkout) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["checkout_in_flight", "created"]
    payments = [i for i in table_items(stack) if i.get("entity", {}).get("S") == "payment"]
    assert len(payments) == 1
