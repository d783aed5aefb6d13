"""Alipay through ``python-alipay-sdk`` against the pay sandbox's Alipay persona: page and wap checkouts open
the persona's cashier with a request the persona verifies; its RSA2-signed notifications, verified by the SDK,
settle exactly once; forged, mismatched and unknown ones change nothing; query and refund go through the
SDK and the refund through the ledger."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, bills_of, ledger_items
from tests.integration.payments.merchant_pay import Call, billed, deliver_at_once, ledger, notify, unchanged
from tests.integration.visitors.conftest import atomic_item_writes

__all__ = ["atomic_item_writes", "billed"]
WAP = "alipay_wap"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _checkout(call: Call, who: Caller, provider: str = WAP) -> Any:
    [bill] = bills_of(call, who)
    reply = call("POST", "/payments", as_=who, body={"bill_ids": [bill["bill_id"]], "provider": provider})
    assert reply.status == 201, reply.body
    return reply.body


def _paid(call: Call, who: Caller, sandbox: PaySandbox, **pay: Any) -> tuple[dict[str, Any], str]:
    payment = _checkout(call, who)
    with urllib.request.urlopen(payment["next_action"]["url"], timeout=10) as page:  # the cashier opens
        assert "支付宝收银台" in page.read().decode()
    paid = sandbox.alipay.pay(payment["payment_id"], hold=True, **pay)
    return payment, str(paid["notify_id"])


@pytest.mark.parametrize("provider", ["alipay_page", "alipay_wap"])
def test_checkout_opens_the_cashier_with_a_request_signed_by_the_firms_app(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox, provider: str
):
    community, chen = billed
    payment = _checkout(call, chen, provider)

    url = payment["next_action"]["url"]
    request = dict(parse_qsl(url.split("?", 1)[1]))
    with urllib.request.urlopen(url, timeout=10) as page:
        shown = page.read().decode()

    assert payment["next_action"]["type"] == "redirect"
    assert request["method"] == f"alipay.trade.{provider.removeprefix('alipay_')}.pay"
    assert request["notify_url"].endswith(f"/payments/webhooks/{provider}/{community.tenant_id}")
    assert request["return_url"].endswith(f"/m/bills/receipt/{payment['payment_id']}")
    assert "支付宝收银台" in shown  # the persona verified the SDK's RSA2 signature before showing it
    trade = sandbox.alipay.trade(payment["payment_id"])
    assert trade is not None
    assert trade["total_amount"] == f"{payment['amount'] // 100}.{payment['amount'] % 100:02d}"


def test_a_notification_delivered_ten_times_settles_the_bill_once_and_answers_success(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    payment, notify_id = _paid(call, chen, sandbox)
    before = len(ledger_items(stack))

    answers = [
        notify(handler, WAP, community.tenant_id, FORM, sandbox.alipay.signed(notify_id)) for _ in range(10)
    ]

    assert answers == [(200, "success")] * 10  # Alipay stops retrying only on the text "success"
    assert len(ledger_items(stack)) == before + 1
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "succeeded"
    assert [b["status"] for b in bills_of(call, chen)] == ["paid"]
    assert ledger(call, chen, community.units["a101"])["balance"] == 0


@pytest.mark.reliability
def test_twenty_concurrent_deliveries_settle_exactly_once(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack, atomic_item_writes: None
):
    community, chen = billed
    _, notify_id = _paid(call, chen, sandbox)
    body = sandbox.alipay.signed(notify_id)
    before = len(ledger_items(stack))

    outcomes = deliver_at_once(WAP, community.tenant_id, [(FORM, body)] * 20)

    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 19
    assert len(ledger_items(stack)) == before + 1


def test_a_forged_notification_is_refused_and_changes_nothing(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    _, notify_id = _paid(call, chen, sandbox)
    before = len(ledger_items(stack))
    fields = dict(parse_qsl(sandbox.alipay.signed(notify_id)))

    raised = notify(handler, WAP, community.tenant_id, FORM, urlencode({**fields, "total_amount": "0.01"}))
    unsigned = notify(handler, WAP, community.tenant_id, FORM, urlencode({**fields, "sign": ""}))

    assert raised[0] == 400
    assert raised[1]["error"]["code"] == "bad_signature"
    assert unsigned[0] == 400
    unchanged(call, chen, stack, before)


@pytest.mark.parametrize("pay", [{"outcome": "mismatch"}, {"currency": "USD"}])
def test_an_amount_or_currency_mismatch_holds_the_payment_for_review_and_pays_nothing(
    call: Call,
    handler: Any,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    stack: Stack,
    pay: dict[str, str],
):
    community, chen = billed
    payment, notify_id = _paid(call, chen, sandbox, **pay)
    before = len(ledger_items(stack))

    answer = notify(handler, WAP, community.tenant_id, FORM, sandbox.alipay.signed(notify_id))

    assert answer == (200, "success")
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "review"
    unchanged(call, chen, stack, before)


def test_a_notification_for_an_unknown_trade_changes_nothing(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    from payments import wiring
    from payments.providers import CheckoutRequest

    checkout = (
        wiring.providers()
        .get(WAP)
        .create_checkout(CheckoutRequest(community.tenant_id, "01UNKNOWNPAYMENT0000000000", 100, "CNY", "x"))
    )
    urllib.request.urlopen(checkout.next_action["url"], timeout=10).close()
    notify_id = sandbox.alipay.pay("01UNKNOWNPAYMENT0000000000", hold=True)["notify_id"]
    before = len(ledger_items(stack))

    answer = notify(handler, WAP, community.tenant_id, FORM, sandbox.alipay.signed(notify_id))

    assert answer == (200, "success")
    unchanged(call, chen, stack, before)


def test_refund_and_query_go_through_the_sdk_and_the_refund_through_the_ledger(
    call: Call,
    handler: Any,
    billed: tuple[Community, Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
):
    community, chen = billed
    zhao = staff(community, "Zhao", Role.FINANCE)
    payment, notify_id = _paid(call, chen, sandbox)
    notify(handler, WAP, community.tenant_id, FORM, sandbox.alipay.signed(notify_id))
    from payments import wiring
    from payments.adapters.alipay import AlipayProvider

    provider = wiring.providers().get(WAP)
    assert isinstance(provider, AlipayProvider)

    refund = call(
        "POST", f"/payments/{payment['payment_id']}/refunds", as_=zhao, body={"reason": "moved out"}
    )

    assert (refund.status, refund.body["status"]) == (201, "succeeded")
    assert provider.query(community.tenant_id, payment["payment_id"])["trade_status"] == "TRADE_CLOSED"
    settled = call("GET", f"/payments/{payment['payment_id']}", as_=zhao).body
    assert (settled["status"], settled["refunded_amount"]) == ("refunded", payment["amount"])
    assert [e["kind"] for e in ledger(call, chen, community.units["a101"])["entries"]].count("refund") == 1
    assert [b["status"] for b in bills_of(call, chen)] == ["issued"]
