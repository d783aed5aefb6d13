"""Payments over HTTP on the local cloud: a billing run, a checkout, the sandbox's hosted pay step delivering
the same signed webhook 20 times at once through the API Gateway: exactly one ledger entry, 2xx each time."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.local.pay_sandbox import sign
from infra.seed import DemoData, add_household, sign_in


@pytest.mark.reliability
def test_twenty_concurrent_deliveries_of_one_webhook_make_one_ledger_entry(
    api: str, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str]
):
    assert cloud.stack is not None
    assert cloud.info is not None
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    # A unit of the test's own and its owner: the demo's units carry what the stories (and other tests on the
    # session's cloud) did to them, credit that would settle the new bill at once among it.
    household = add_household(
        cloud.stack, cloud.client, demo, "greenfield", f"9{uuid.uuid4().int % 1000:03d}"
    )
    cognito = cloud.client("cognito-idp")
    resident = sign_in(
        cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, household.owner.username
    )
    site_id, unit_id = demo.sites["greenfield"], household.unit_id
    fee = request(
        "POST",
        f"{api}/fee-items",
        token=manager,
        body={"site_id": site_id, "name": "E2E fee", "kind": "fixed", "price_minor": 1234, "cycle": "yearly"},
    )
    assert fee.status == 201, fee.text
    billed = request(
        "POST", f"{api}/billing-runs", token=manager, body={"site_id": site_id, "period": "2031"}
    )
    assert billed.status == 202, billed.text
    run_id = billed.json()["run_id"]
    # The billing queue's worker bills the run: poll its progress as the console does.
    assert wait_for(
        lambda: request("GET", f"{api}/billing-runs/{run_id}", token=manager).json()["status"] == "completed",
        timeout_s=60,
        interval_s=0.2,
    )
    [bill] = request("GET", f"{api}/bills?period=2031", token=resident).json()["items"]
    opened = request("POST", f"{api}/payments", token=resident, body={"bill_ids": [bill["bill_id"]]})
    assert opened.status == 201, opened.text
    payment = opened.json()
    pay_url = payment["next_action"]["url"]

    paid = request(
        "POST", pay_url, body={"outcome": "succeed", "deliveries": 20, "concurrent": True}, timeout_s=120
    )

    assert paid.status == 200, paid.text
    assert paid.json()["deliveries"] == [200] * 20
    entries: list[dict[str, Any]] = request(
        "GET", f"{api}/units/{unit_id}/ledger?limit=100", token=resident
    ).json()["entries"]
    assert [e["kind"] for e in entries if e["payment_id"] == payment["payment_id"]] == ["payment"]
    assert request("GET", f"{api}/bills/{bill['bill_id']}", token=resident).json()["status"] == "paid"


def test_a_forged_webhook_over_http_is_400(api: str, cloud: LocalCloud):
    body = '{"id":"evt_forged","type":"payment.succeeded","data":{}}'
    forged = request(
        "POST",
        f"{api}/payments/webhooks/sandbox",
        body=body,
        headers={"Sandbox-Signature": sign("not-the-secret", body, int(time.time()))},
    )
    assert forged.status == 400
