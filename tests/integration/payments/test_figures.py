"""GET /payments/figures on moto: a month's ledger with every channel (counter money through the API, a
sandbox payment through its webhook, WeChat Pay, Alipay and Stripe payments as settled records), arrears by
age and the collection rate, per community and for the firm; another firm's money is never counted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import boto3
from payments.domain import Allocation, Payment, PaymentStatus
from payments.repository import payment_item

from courtyard.clock import FixedClock
from courtyard.table import serialize
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, run

Call = Callable[..., Reply]
MARCH_20 = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # the March bills (due 03-15) are 5 days overdue
APRIL_2 = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)


def _settled(stack: Stack, tenant_id: str, site_id: str, provider: str, amount: int, at: str) -> None:
    """A provider payment as the settlement transaction leaves it (its webhook path is tested elsewhere)."""
    payment = Payment(
        tenant_id, f"P{provider.upper()[:8]}{amount:010d}", provider, PaymentStatus.SUCCEEDED, amount, "CNY",
        site_id, (Allocation("B-NONE", "U-NONE", amount, 0, "credit"),), "u-x", None, at, settled_at=at,
    )  # fmt: skip
    boto3.client("dynamodb").put_item(
        TableName=stack.ref("PaymentsTable"), Item=serialize(payment_item(payment))
    )


def test_a_months_figures_count_every_channel_the_ageing_and_the_rate_for_community_and_firm(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    residents: Callable[..., Caller],
    seed: Callable[..., Community],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    clock: FixedClock,
    stack: Stack,
):
    community, wang = manager
    fee(call, wang, community.site_id)  # a101 223.75, a102 300.00, b201 163.13
    run(call, wang, community.site_id)
    finance = staff(community, "Zhao", Role.FINANCE)
    units = community.units
    clock.set(MARCH_20)
    bills = {b["unit_id"]: b for b in bills_of(call, finance)}
    for key, (unit, amount, channel) in enumerate(
        [("a101", 11187, "cash"), ("b201", 16313, "pos"), ("b201", 5000, "bank_transfer")]
    ):
        paid = call(
            "POST",
            "/payments/counter",
            as_=finance,
            body={"unit_id": units[unit], "amount": amount, "channel": channel},
            headers={"Idempotency-Key": f"figures-{key:04d}"},
        )
        assert paid.status == 201, paid.body
    chen = residents(community, "Chen", "a102")
    opened = call(
        "POST",
        "/payments",
        as_=chen,
        body={"bill_ids": [bills[units["a102"]]["bill_id"]], "provider": "sandbox"},
    )
    deliver(sandbox.pay(opened.body["next_action"]["url"].rsplit("/", 1)[1], hold=True)["event_id"])
    for provider, amount in (("wechatpay_native", 100), ("alipay_wap", 200), ("stripe", 300)):
        _settled(stack, community.tenant_id, community.site_id, provider, amount, "2026-03-10T03:00:00Z")
    # 2026-02-28 20:00 UTC is already March 1st in Shanghai; 2026-03-31 17:00 UTC is April 1st there.
    _settled(stack, community.tenant_id, community.site_id, "wechatpay_jsapi", 1000, "2026-02-28T20:00:00Z")
    _settled(stack, community.tenant_id, community.site_id, "wechatpay_jsapi", 5000, "2026-03-31T17:00:00Z")
    elsewhere = seed("Harbour")
    _settled(stack, elsewhere.tenant_id, elsewhere.site_id, "cash", 99999, "2026-03-10T03:00:00Z")

    march = call("GET", "/payments/figures", as_=finance, query={"month": "2026-03"})
    clock.set(APRIL_2)
    later = call(
        "GET", "/payments/figures", as_=finance, query={"month": "2026-03", "site_id": community.site_id}
    )

    assert march.status == 200, march.body
    firm = march.body["firm"]
    assert firm["collected_by_channel"] == {
        "wechat": 100 + 1000,
        "alipay": 200,
        "cash": 11187,
        "pos": 16313,
        "bank_transfer": 5000,
        "stripe": 300,
        "sandbox": 30000,
    }
    assert [c["site_id"] for c in march.body["communities"]] == [community.site_id]
    assert march.body["communities"][0]["name"] == "Greenfield小区"
    assert march.body["communities"][0]["collected"] == firm["collected"]
    # As of March 20th: a101's other half (5 days overdue) is owed; b201 was paid whole, a102 online.
    assert march.body["as_of"] == "2026-03-20"
    assert firm["arrears_by_age"] == {"0-30": 22375 - 11187, "31-90": 0, "90+": 0}
    assert (firm["billed"], firm["collected_on_bills"]) == (22375 + 30000 + 16313, 11187 + 30000 + 16313)
    assert firm["rate_pct"] == round(100 * (11187 + 30000 + 16313) / (22375 + 30000 + 16313), 2)
    assert firm["on_target"] is False
    assert march.body["target_pct"] == 95.0
    assert later.body["as_of"] == "2026-03-31"
    assert later.body["firm"]["collected"] == firm["collected"]


def test_figures_are_finances_a_future_month_is_422_and_another_firms_site_404(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    seed: Callable[..., Community],
):
    community, wang = manager
    chen = residents(community, "Chen", "a101")
    elsewhere = seed("Harbour")

    assert call("GET", "/payments/figures", as_=chen, query={"month": "2026-03"}).status == 403
    assert call("GET", "/payments/figures", as_=wang, query={"month": "2026-04"}).status == 422
    assert call("GET", "/payments/figures", as_=wang, query={"month": "2026-13"}).status == 422
    assert call("GET", "/payments/figures", as_=wang, query={"month": "0000-01"}).status == 422
    foreign = call(
        "GET", "/payments/figures", as_=wang, query={"month": "2026-03", "site_id": elsewhere.site_id}
    )
    assert foreign.status == 404
    empty = call("GET", "/payments/figures", as_=wang, query={"month": "2026-02"})
    assert empty.body["firm"]["collected"] == 0
    assert empty.body["firm"]["rate_pct"] is None
