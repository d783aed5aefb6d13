"""WeChat Pay's daily trade bills in the reconciliation, on moto and the persona: the job downloads each
firm's bills through the SDK (tradebill, then the gzip'd file), a settled payment is matched, and one the
provider took but whose notification never came is missing in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from payments.wechat_bill import rows

from courtyard.clock import FixedClock
from infra.local.pay_sandbox import PaySandbox
from tests.factories import lambda_context
from tests.integration.payments.conftest import Caller, Community, bills_of
from tests.integration.payments.merchant_pay import Call, billed_firm, notify

NATIVE = "wechatpay_native"
HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
TRADES = [
    "2026-12-07 07:59:59,wx1,1900000109,,,4200001,PAY-A,o-1,NATIVE,SUCCESS,OTHERS,CNY,223.75,0.00,0,0,0.00,"
    "0.00,,,物业费,T1,1.34250,0.60%,223.75,0.00,",
    "2026-12-07 09:00:00,wx1,1900000109,,,4200002,PAY-B,o-2,NATIVE,REFUND,OTHERS,CNY,0.00,0.00,5000001,RF-1,"
    "10.00,0.00,ORIGINAL,SUCCESS,物业费,T1,-0.06000,0.60%,0.00,10.00,",
    "2026-12-07 10:00:00,wx1,1900000109,,,4200003,PAY-C,o-3,NATIVE,NOTPAY,OTHERS,CNY,1.00,0.00,0,0,0.00,0.00,"
    ",,物业费,T1,0.00,0.60%,1.00,0.00,",
]
BILL = "\r\n".join(
    [
        "\ufeff" + HEADER,
        *(",".join(f"`{v}" for v in trade.split(",")) for trade in TRADES),
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
        "`2,`223.75,`10.00,`0.00,`1.28250,`223.75,`10.00",
    ]
)


def test_the_bill_file_reads_as_payments_and_refunds_in_utc():
    found = rows(BILL)

    assert [(r.settlement.kind, r.settlement.provider_ref, r.settlement.amount) for r in found] == [
        ("payment", "PAY-A", 22375),
        ("refund", "PAY-B", 1000),
    ]
    assert found[0].at == datetime(
        2026, 12, 6, 23, 59, 59, tzinfo=UTC
    )  # Beijing 07:59:59 is the UTC day before
    assert found[0].settlement.tenant_id == "T1"
    assert found[1].settlement.refund_id == "RF-1"


@pytest.fixture
def billed(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller], sandbox: PaySandbox
) -> tuple[Community, Caller]:
    return billed_firm(call, manager, residents, sandbox)


def test_the_reconciliation_reads_the_firms_trade_bill_and_finds_a_lost_notification(
    call: Call,
    handler: Any,
    billed: tuple[Community, Caller],
    sandbox: PaySandbox,
    clock: FixedClock,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
):
    community, chen = billed
    # The persona stamps trades with the real time: the ledger's clock follows it here.
    clock.set(datetime.now(UTC))
    [bill] = bills_of(call, chen)
    paid = call("POST", "/payments", as_=chen, body={"bill_ids": [bill["bill_id"]], "provider": NATIVE}).body
    notice = sandbox.wechat.pay(paid["next_action"]["code_url"], hold=True)["notice_id"]
    status, _ = notify(handler, NATIVE, community.tenant_id, *sandbox.wechat.signed(notice))
    assert status == 200
    neighbour = residents(community, "Liu", "a102")
    [other] = bills_of(call, neighbour)
    lost = call(
        "POST", "/payments", as_=neighbour, body={"bill_ids": [other["bill_id"]], "provider": NATIVE}
    ).body
    sandbox.wechat.pay(lost["next_action"]["code_url"], hold=True)  # paid; its notification never arrives

    from payments import jobs_handler

    today = datetime.now(UTC).date().isoformat()
    jobs_handler.lambda_handler({"job": "reconciliation", "date": today}, lambda_context())
    report = call("GET", f"/reconciliations/{today}", as_=manager[1]).body

    assert [row["provider_ref"] for row in report["matched"]] == [paid["payment_id"]]
    assert [row["provider_ref"] for row in report["missing_in_ledger"]] == [lost["payment_id"]]
    assert report["missing_at_provider"] == []
    assert report["balanced"] is False
