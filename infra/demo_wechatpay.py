"""The WeChat Pay chapter of `make demo`: a firm that is a service provider's sub-merchant bills its month; a
resident chooses WeChat Pay, gets the Native QR code, "scans" it with the sandbox's WeChat Pay persona and
pays; the persona's notification (RSA-signed, resource AES-GCM encrypted with the firm's API v3 key) reaches
the public webhook through the web edge, wechatpayv3 verifies and decrypts it, and the one settle path pays
the bill."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from courtyard.tenancy import Role
from infra.demo_payments import _finished
from infra.local.cloud import wait_for

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData


def chapter(story: Story, demo: DemoData) -> None:
    print("\n== WeChat Pay (sandbox persona): a resident scans the Native QR code and pays")
    manager = story.token(demo.user("harbour", Role.MANAGER).username)
    resident = story.token(demo.user("harbour", Role.RESIDENT).username)
    site_id, unit_id = demo.sites["harbour"], demo.units["harbour"][0]
    period = datetime.now(UTC).strftime("%Y-%m")
    body = {
        "site_id": site_id,
        "name": "物业费 Property fee",
        "kind": "fixed",
        "price_minor": 26800,
        "due_day": 28,
    }
    created = story.call("POST", "/fee-items", manager, body=body)
    story.check(created.status == 201, f"fee item created: {created.text}")
    started = story.call("POST", "/billing-runs", manager, body={"site_id": site_id, "period": period})
    story.check(started.status == 202, f"billing run accepted: {started.text}")
    _finished(story, manager, started.json()["run_id"])
    [bill] = story.call("GET", "/bills", resident).json()["items"]

    checkout = story.call(
        "POST",
        "/payments",
        resident,
        body={"bill_ids": [bill["bill_id"]], "provider": "wechatpay_native"},
        headers={"Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    story.check(checkout.status == 201, f"WeChat Pay checkout: {checkout.text}")
    payment = checkout.json()
    code_url = payment["next_action"]["code_url"]
    story.check(
        code_url.startswith("weixin://wxpay/bizpayurl")
        and payment["next_action"]["qr_svg"].startswith("data:"),
        "a Native code_url and its QR code",
    )
    print(f"   201 payment {payment['payment_id']}: {bill['amount_due'] / 100:.2f} CNY, QR for {code_url}")

    # The resident's phone after scanning: the persona's pay page; paying sends the notification.
    scan = f"{story.cloud.pay_sandbox.url}/wechatpay/scan/{code_url.rsplit('pr=', 1)[1]}"
    with urllib.request.urlopen(scan, timeout=10) as page:
        story.check("微信支付" in page.read().decode(), "the persona's pay page shows")
    urllib.request.urlopen(urllib.request.Request(scan, data=b"", method="POST"), timeout=60).close()

    def settled() -> bool:
        status = story.call("GET", f"/payments/{payment['payment_id']}", resident).json()["status"]
        return bool(status == "succeeded")

    wait_for(settled, timeout_s=30, interval_s=0.2)
    story.check(settled(), "the verified, decrypted notification settled the payment")
    status = story.call("GET", f"/bills/{bill['bill_id']}", resident).json()["status"]
    ledger = story.call("GET", f"/units/{unit_id}/ledger", resident).json()
    print(f"   paid by WeChat Pay (a sub-merchant): bill {status}, ledger balance {ledger['balance']}")
    story.check(status == "paid" and ledger["balance"] == 0, "the bill is paid and the ledger balances")
