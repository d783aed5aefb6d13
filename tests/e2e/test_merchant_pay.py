"""WeChat Pay and Alipay over HTTP on the local cloud: the personas' notifications travel as the providers'
would, to the firm's notify URL through the web edge and the API Gateway. Twenty concurrent deliveries of one
WeChat Pay notification and ten of one Alipay notification settle each bill once."""

from __future__ import annotations

from typing import Any

import pytest

from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData


def _bill(api: str, demo: DemoData, tokens: dict[str, str], period: str) -> dict[str, Any]:
    manager = tokens[demo.user("harbour", Role.MANAGER).username]
    resident = tokens[demo.user("harbour", Role.RESIDENT).username]
    site_id = demo.sites["harbour"]
    body = {
        "site_id": site_id,
        "name": f"E2E {period}",
        "kind": "fixed",
        "price_minor": 4321,
        "cycle": "yearly",
    }
    assert request("POST", f"{api}/fee-items", token=manager, body=body).status == 201
    run = request("POST", f"{api}/billing-runs", token=manager, body={"site_id": site_id, "period": period})
    assert run.status == 202, run.text
    run_id = run.json()["run_id"]
    assert wait_for(
        lambda: request("GET", f"{api}/billing-runs/{run_id}", token=manager).json()["status"] == "completed",
        timeout_s=60,
        interval_s=0.2,
    )
    [bill] = request("GET", f"{api}/bills?period={period}", token=resident).json()["items"]
    return dict(bill)


def _entries(api: str, token: str, unit_id: str, payment_id: str) -> list[str]:
    entries = request("GET", f"{api}/units/{unit_id}/ledger?limit=100", token=token).json()["entries"]
    return [e["kind"] for e in entries if e["payment_id"] == payment_id]


@pytest.mark.reliability
def test_twenty_concurrent_wechat_pay_notifications_over_http_settle_once(
    api: str, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str]
):
    resident = tokens[demo.user("harbour", Role.RESIDENT).username]
    bill = _bill(api, demo, tokens, "2041")
    body = {"bill_ids": [bill["bill_id"]], "provider": "wechatpay_native"}
    payment = request("POST", f"{api}/payments", token=resident, body=body).json()
    wechat = cloud.pay_sandbox.wechat
    notice_id = wechat.pay(payment["next_action"]["code_url"], hold=True)["notice_id"]

    statuses = wechat.deliver(notice_id, count=20, concurrent=True)

    assert statuses == [200] * 20
    assert _entries(api, resident, bill["unit_id"], payment["payment_id"]) == ["payment"]
    assert request("GET", f"{api}/bills/{bill['bill_id']}", token=resident).json()["status"] == "paid"


def test_ten_alipay_notifications_over_http_settle_once(
    api: str, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str]
):
    resident = tokens[demo.user("harbour", Role.RESIDENT).username]
    bill = _bill(api, demo, tokens, "2042")
    body = {"bill_ids": [bill["bill_id"]], "provider": "alipay_page"}
    payment = request("POST", f"{api}/payments", token=resident, body=body).json()
    assert (
        request("GET", payment["next_action"]["url"]).status == 200
    )  # the cashier checks the signed request
    alipay = cloud.pay_sandbox.alipay
    notify_id = alipay.pay(payment["payment_id"], hold=True)["notify_id"]

    statuses = alipay.deliver(notify_id, count=10)

    assert statuses == [200] * 10
    assert _entries(api, resident, bill["unit_id"], payment["payment_id"]) == ["payment"]
    assert request("GET", f"{api}/bills/{bill['bill_id']}", token=resident).json()["status"] == "paid"
