"""Abandoned WeChat Pay and Alipay orders on moto and the personas: each order is told to expire with its
hold, the close job closes it through the SDK once the hold is over, the payment fails (abandoned), the old
QR code or cashier pays nothing, and the bill can be paid at the counter; an order paid meanwhile is left
alone."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from tests.factories import lambda_context
from tests.integration.payments.conftest import MARCH_2, Caller, Community, bills_of
from tests.integration.payments.merchant_pay import Call, billed_firm


@pytest.fixture
def billed(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller], sandbox: PaySandbox
) -> tuple[Community, Caller]:
    return billed_firm(call, manager, residents, sandbox)


def _close_job() -> dict[str, Any]:
    from payments import jobs_handler

    result: dict[str, Any] = jobs_handler.lambda_handler({"job": "close_abandoned"}, lambda_context())
    return result


def _checkout(call: Call, who: Caller, provider: str) -> dict[str, Any]:
    [bill] = bills_of(call, who)
    reply = call("POST", "/payments", as_=who, body={"bill_ids": [bill["bill_id"]], "provider": provider})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def test_an_abandoned_wechat_order_is_closed_after_its_hold_and_its_old_code_pays_nothing(
    call: Call,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    clock: FixedClock,
    staff: Callable[..., Caller],
):
    community, chen = billed
    payment = _checkout(call, chen, "wechatpay_native")
    code_url = payment["next_action"]["code_url"]
    order = sandbox.wechat.order_of(code_url)
    assert order is not None
    expires = datetime.fromisoformat(order["_time_expire"])
    assert expires.utcoffset() == timedelta(hours=8)  # Beijing time, as WeChat Pay documents
    assert timedelta(minutes=29) < expires - datetime.now(expires.tzinfo) <= timedelta(minutes=30)

    clock.set(MARCH_2 + timedelta(minutes=20))
    within_hold = _close_job()
    clock.set(MARCH_2 + timedelta(minutes=32))
    after_hold = _close_job()
    again = _close_job()

    assert within_hold["closed"] == []
    assert after_hold["closed"] == [payment["payment_id"]]
    assert again["closed"] == []  # it left the open orders
    assert sandbox.wechat.order_of(code_url)["trade_state"] == "CLOSED"  # type: ignore[index]
    assert sandbox.wechat.pay(code_url)["status"] == 409  # the old QR code pays nothing
    failed = call("GET", f"/payments/{payment['payment_id']}", as_=chen).body
    assert failed["status"] == "failed"
    assert failed["reason"].startswith("abandoned")
    desk = staff(community, "Desk", Role.SERVICE_DESK)
    cash = call(
        "POST",
        "/payments/counter",
        as_=desk,
        body={
            "unit_id": community.units["a101"],
            "bill_ids": payment["bill_ids"],
            "amount": 22375,
            "channel": "cash",
        },
    )
    assert cash.status == 201, cash.body


def test_an_order_paid_before_the_close_is_left_to_its_notification(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox, clock: FixedClock
):
    _, chen = billed
    payment = _checkout(call, chen, "wechatpay_native")
    sandbox.wechat.pay(payment["next_action"]["code_url"], hold=True)  # paid; the notice is not sent yet

    clock.set(MARCH_2 + timedelta(minutes=32))
    result = _close_job()

    assert result["closed"] == []
    assert result["paid_meanwhile"] == 1
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "created"


@pytest.mark.parametrize("opened", [True, False], ids=["cashier-opened", "never-opened"])
def test_an_abandoned_alipay_trade_is_closed_and_its_cashier_pays_nothing(
    call: Call, billed: tuple[Community, Caller], sandbox: PaySandbox, clock: FixedClock, opened: bool
):
    _, chen = billed
    payment = _checkout(call, chen, "alipay_wap")
    if opened:
        with urllib.request.urlopen(payment["next_action"]["url"], timeout=10) as page:
            assert "支付宝收银台" in page.read().decode()
        assert sandbox.alipay.trade(payment["payment_id"])["time_expire"]  # type: ignore[index]

    clock.set(MARCH_2 + timedelta(minutes=32))
    result = _close_job()

    assert result["closed"] == [payment["payment_id"]]
    assert call("GET", f"/payments/{payment['payment_id']}", as_=chen).body["status"] == "failed"
    if opened:
        assert sandbox.alipay.trade(payment["payment_id"])["trade_status"] == "TRADE_CLOSED"  # type: ignore[index]
        assert sandbox.alipay.pay(payment["payment_id"])["status"] == 409
