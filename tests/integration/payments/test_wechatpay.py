"""WeChat Pay API v3 through ``wechatpayv3`` against the pay sandbox's WeChat Pay persona: Native and JSAPI
checkouts, notifications signed (RSA-SHA256) and encrypted (AEAD_AES_256_GCM) by the persona and verified by
the SDK settle exactly once; forged, replayed, mismatched and unknown ones change nothing; query, close and
refund go through the SDK; a service provider's sub-merchant (``sub_mchid``) is paid the same way."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, bills_of, ledger_items
from tests.integration.payments.merchant_pay import (
    Call,
    billed,
    billed_firm,
    deliver_at_once,
    ledger,
    notify,
    unchanged,
)
from tests.integration.visitors.conftest import atomic_item_writes

__all__ = ["atomic_item_writes", "billed"]
NATIVE = "wechatpay_native"


def _checkout(call: Call, who: Caller, bill_ids: list[str], provider: str = NATIVE, **extra: Any) -> Any:
    reply = call("POST", "/payments", as_=who, body={"bill_ids": bill_ids, "provider": provider, **extra})
    assert reply.status == 201, reply.body
    return reply.body


def _paid_notice(call: Call, who: Caller, sandbox: PaySandbox, **pay: Any) -> tuple[dict[str, Any], str]:
    [bill] = bills_of(call, who)
    payment = _checkout(call, who, [bill["bill_id"]])
    paid = sandbox.wechat.pay(payment["next_action"]["code_url"], hold=True, **pay)
    return payment, str(paid["notice_id"])


def test_native_checkout_answers_a_qr_code_of_the_order(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox
):
    _, chen = billed
    [bill] = bills_of(call, chen)

    payment = _checkout(call, chen, [bill["bill_id"]])

    action = payment["next_action"]
    assert action["type"] == "qr"
    assert action["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert action["qr_svg"].startswith("data:image/svg+xml")
    order = sandbox.wechat.order_of(action["code_url"])
    assert order is not None
    assert order["amount"] == {"total": payment["amount"], "currency": "CNY"}
    assert order["attach"] == billed[0].tenant_id
    assert order["_notify_url"].endswith(f"/payments/webhooks/{NATIVE}/{billed[0].tenant_id}")


def test_a_persona_notification_delivered_ten_times_settles_the_bill_once(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    payment, notice_id = _paid_notice(call, chen, sandbox)
    before = len(ledger_items(stack))

    outcomes = []
    for _ in range(10):  # each delivery signed afresh, as WeChat Pay's retries are
        headers, body = sandbox.wechat.signed(notice_id)
        status, answer = notify(handler, NATIVE, community.tenant_id, headers, body)
        assert status == 200, answer
        outcomes.append(answer["outcome"])

    assert outcomes == ["applied"] + ["duplicate"] * 9
    assert len(ledger_items(stack)) == before + 1
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "succeeded"
    assert [b["status"] for b in bills_of(call, chen)] == ["paid"]
    assert ledger(call, chen, community.units["a101"])["balance"] == 0


@pytest.mark.reliability
def test_twenty_concurrent_deliveries_settle_exactly_once(
    call: Call,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    stack: Stack,
    atomic_item_writes: None,
):
    community, chen = billed
    _, notice_id = _paid_notice(call, chen, sandbox)
    deliveries = [sandbox.wechat.signed(notice_id) for _ in range(20)]
    before = len(ledger_items(stack))

    outcomes = deliver_at_once(NATIVE, community.tenant_id, deliveries)

    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 19
    assert len(ledger_items(stack)) == before + 1
    assert ledger(call, chen, community.units["a101"])["balance"] == 0


def test_a_forged_notification_is_refused_and_changes_nothing(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    _, notice_id = _paid_notice(call, chen, sandbox)
    headers, body = sandbox.wechat.signed(notice_id)
    before = len(ledger_items(stack))
    tampered = json.loads(body)
    tampered["id"] = "forged-" + tampered["id"]
    forged_body = json.dumps(tampered, ensure_ascii=False, separators=(",", ":"))

    altered = notify(handler, NATIVE, community.tenant_id, headers, forged_body)
    unsigned = notify(handler, NATIVE, community.tenant_id, {**headers, "Wechatpay-Signature": "AAAA"}, body)

    assert altered[0] == 400
    assert altered[1]["error"]["code"] == "bad_signature"
    assert unsigned[0] == 400
    unchanged(call, chen, stack, before)


def test_a_replayed_notification_with_an_old_signature_is_refused(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    _, notice_id = _paid_notice(call, chen, sandbox)
    before = len(ledger_items(stack))
    headers, body = sandbox.wechat.signed(notice_id, timestamp=int(time.time()) - 3600)

    status, answer = notify(handler, NATIVE, community.tenant_id, headers, body)

    assert status == 400
    assert answer["error"]["code"] == "bad_signature"
    unchanged(call, chen, stack, before)


def test_a_notification_sent_to_another_firms_url_is_refused(
    call: Call,
    handler: Any,
    billed: tuple[Community, Caller],
    seed: Callable[..., Community],
    sandbox: PaySandbox,
    stack: Stack,
):
    _community, chen = billed
    other = seed()
    from tests.integration.payments.merchant_pay import open_merchant

    open_merchant(sandbox, other.tenant_id)
    _, notice_id = _paid_notice(call, chen, sandbox)
    before = len(ledger_items(stack))
    headers, body = sandbox.wechat.signed(notice_id)

    # The other firm's API v3 key cannot open this firm's resource; a firm with no keys has no merchant.
    elsewhere = notify(handler, NATIVE, other.tenant_id, headers, body)
    nowhere = notify(handler, NATIVE, "01NOSUCHFIRM0000000000000", headers, body)

    assert elsewhere[0] == 400
    assert nowhere[0] == 400
    unchanged(call, chen, stack, before)


@pytest.mark.parametrize(
    ("pay", "why"), [({"outcome": "mismatch"}, "amount"), ({"currency": "USD"}, "currency")]
)
def test_an_amount_or_currency_mismatch_holds_the_payment_for_review_and_pays_nothing(
    call: Call,
    handler: Any,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    stack: Stack,
    pay: dict[str, str],
    why: str,
):
    community, chen = billed
    payment, notice_id = _paid_notice(call, chen, sandbox, **pay)
    before = len(ledger_items(stack))

    status, answer = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice_id))

    assert (status, answer["outcome"]) == (200, "review"), why
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "review"
    unchanged(call, chen, stack, before)


def test_a_notification_for_an_unknown_order_changes_nothing(
    call: Call, handler: Any, billed: tuple[Community, Caller], sandbox: PaySandbox, stack: Stack
):
    community, chen = billed
    from payments import wiring
    from payments.providers import CheckoutRequest

    # An order the firm's merchant made outside Courtyard: properly signed, but no payment of ours.
    checkout = (
        wiring.providers()
        .get(NATIVE)
        .create_checkout(CheckoutRequest(community.tenant_id, "01UNKNOWNPAYMENT0000000000", 100, "CNY", "x"))
    )
    notice_id = sandbox.wechat.pay(checkout.next_action["code_url"], hold=True)["notice_id"]
    before = len(ledger_items(stack))

    status, answer = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice_id))

    assert (status, answer["outcome"]) == (200, "ignored")
    unchanged(call, chen, stack, before)


def test_refund_goes_through_the_sdk_and_its_notification_reaches_the_ledger(
    call: Call,
    handler: Any,
    billed: tuple[Community, Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
):
    community, chen = billed
    zhao = staff(community, "Zhao", Role.FINANCE)
    payment, notice_id = _paid_notice(call, chen, sandbox)
    notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice_id))

    refund = call(
        "POST", f"/payments/{payment['payment_id']}/refunds", as_=zhao, body={"reason": "moved out"}
    )

    assert (refund.status, refund.body["status"]) == (201, "pending")  # WeChat Pay answers PROCESSING
    order = sandbox.wechat.order_of(payment["next_action"]["code_url"])
    assert order is not None
    assert order["trade_state"] == "REFUND"
    refund_notice = sandbox.wechat.refund_notice(refund.body["refund_id"])
    status, answer = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(refund_notice))
    assert (status, answer["outcome"]) == (200, "applied")
    settled = call("GET", f"/payments/{payment['payment_id']}", as_=zhao).body
    assert (settled["status"], settled["refunded_amount"]) == ("refunded", payment["amount"])
    entries = ledger(call, chen, community.units["a101"])["entries"]
    assert [e["kind"] for e in entries].count("refund") == 1
    assert [b["status"] for b in bills_of(call, chen)] == ["issued"]


def test_query_and_close_go_through_the_sdk_and_a_closed_order_cannot_be_paid(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox
):
    community, chen = billed
    [bill] = bills_of(call, chen)
    payment = _checkout(call, chen, [bill["bill_id"]])
    from payments import wiring
    from payments.adapters.wechatpay import WeChatPayProvider

    provider = wiring.providers().get(NATIVE)
    assert isinstance(provider, WeChatPayProvider)

    assert provider.query(community.tenant_id, payment["payment_id"])["trade_state"] == "NOTPAY"
    assert provider.close(community.tenant_id, payment["payment_id"]) is True
    assert provider.query(community.tenant_id, payment["payment_id"])["trade_state"] == "CLOSED"
    assert sandbox.wechat.pay(payment["next_action"]["code_url"])["status"] == 409


def test_jsapi_inside_wechat_answers_signed_bridge_parameters_and_needs_the_openid(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox
):
    community, chen = billed
    [bill] = bills_of(call, chen)

    without = call(
        "POST", "/payments", as_=chen, body={"bill_ids": [bill["bill_id"]], "provider": "wechatpay_jsapi"}
    )
    payment = _checkout(
        call, chen, [bill["bill_id"]], "wechatpay_jsapi", wechat_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    )

    assert without.status == 422
    action = payment["next_action"]
    assert action["type"] == "wechat_jsapi"
    assert action["package"].startswith("prepay_id=wx")
    # paySign is the merchant's RSA-SHA256 over appId, timeStamp, nonceStr and package, one per line.
    from payments import wiring

    stored = wiring.merchants().account(community.tenant_id).wechatpay
    assert stored is not None
    key = serialization.load_pem_private_key(stored.private_key.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    message = "".join(f"{action[k]}\n" for k in ("appId", "timeStamp", "nonceStr", "package"))
    signature = base64.b64decode(action["paySign"])
    key.public_key().verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    paid = sandbox.wechat.pay(action["package"].removeprefix("prepay_id="), hold=True)
    assert paid["order"]["trade_type"] == "JSAPI"


def test_a_service_providers_sub_merchant_is_paid_and_settled_the_same_way(
    call: Call,
    handler: Any,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    stack: Stack,
):
    community, chen = billed_firm(call, manager, residents, sandbox, partner=True)
    payment, notice_id = _paid_notice(call, chen, sandbox)
    order = sandbox.wechat.order_of(payment["next_action"]["code_url"])
    before = len(ledger_items(stack))

    status, answer = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice_id))

    assert order is not None
    assert order["sub_mchid"]
    assert order["sp_mchid"] != order["sub_mchid"]
    assert (status, answer["outcome"]) == (200, "applied")
    assert len(ledger_items(stack)) == before + 1


def test_the_counter_shows_a_native_code_for_several_bills_and_the_scan_settles_them(
    call: Call,
    handler: Any,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
    stack: Stack,
):
    community, _ = billed_firm(call, manager, residents, sandbox)
    desk = staff(community, "Lin", Role.SERVICE_DESK)
    technician = staff(community, "Xu", Role.TECHNICIAN)
    two = [b["bill_id"] for b in bills_of(call, desk, site_id=community.site_id)][:2]
    body = {"bill_ids": two, "provider": NATIVE}

    refused = call("POST", "/payments", as_=technician, body=body)
    not_a_code = call("POST", "/payments", as_=desk, body={**body, "provider": "sandbox"})
    counter = call("POST", "/payments", as_=desk, body=body, headers={"Idempotency-Key": "counter-0001"})

    assert refused.status == 403
    assert not_a_code.status == 403  # the counter takes money only through a code the payer scans
    assert counter.status == 201, counter.body
    assert counter.body["next_action"]["type"] == "qr"
    assert len(counter.body["bill_ids"]) == 2
    notice_id = sandbox.wechat.pay(counter.body["next_action"]["code_url"], hold=True)["notice_id"]
    before = len(ledger_items(stack))
    status, answer = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice_id))
    assert (status, answer["outcome"]) == (200, "applied")
    assert len(ledger_items(stack)) == before + 2
    paid = {b["bill_id"]: b["status"] for b in bills_of(call, desk, site_id=community.site_id)}
    assert [paid[b] for b in two] == ["paid", "paid"]


def test_a_firm_in_certificate_mode_is_paid_and_follows_a_rotated_platform_certificate(
    call: Call,
    handler: Any,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
):
    community, chen = billed_firm(call, manager, residents, sandbox, certificate=True)
    zhao = staff(community, "Zhao", Role.FINANCE)
    payment, notice_id = _paid_notice(call, chen, sandbox)
    paid = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice_id))
    assert paid[1]["outcome"] == "applied"
    old_serial = sandbox.wechat.signed(notice_id)[0]["Wechatpay-Serial"]

    # WeChat Pay rotates its platform certificate: the SDK meets an unknown serial in the refund's answers
    # and notice, fetches /v3/certificates (decrypting it with the API v3 key) and verifies with the new one.
    new_serial = sandbox.wechat.rotate_certificate()
    refund = call(
        "POST", f"/payments/{payment['payment_id']}/refunds", as_=zhao, body={"reason": "moved out"}
    )
    assert (refund.status, refund.body["status"]) == (201, "pending"), refund.body
    headers, body = sandbox.wechat.signed(sandbox.wechat.refund_notice(refund.body["refund_id"]))
    status, answer = notify(handler, NATIVE, community.tenant_id, headers, body)

    assert old_serial != new_serial == headers["Wechatpay-Serial"]
    assert (status, answer["outcome"]) == (200, "applied")
    assert call("GET", f"/payments/{payment['payment_id']}", as_=zhao).body["status"] == "refunded"
