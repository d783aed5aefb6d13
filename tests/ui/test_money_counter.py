"""扫码收款 at the counter, in a real browser: finance ticks a resident's unpaid bill on the Money page, the
dialog shows a WeChat Pay QR code on the counter screen, the resident's phone scans it (the code read from
the screen's pixels, paid at the sandbox's WeChat Pay persona) and the dialog says the money is in."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData
from tests.ui.console import Console, call
from tests.ui.test_money import _billed, console, web

__all__ = ["console", "web"]
ONLY_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def test_finance_collects_a_bill_at_the_counter_by_a_wechat_pay_code(
    console: Console,
    cloud: LocalCloud,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    token, site = tokens["greenfield-finance"], demo.sites["greenfield"]
    fee = {"site_id": site, "name": f"车位费 {uuid.uuid4().hex[:4]}", "kind": "fixed", "price_minor": 15000}
    assert call(web, "POST", "/fee-items", token, fee).status == 201
    _billed(web, token, site, "2026-07")
    unit = call(web, "GET", f"/units/{demo.units['greenfield'][2]}", token).json()
    [bill] = call(web, "GET", f"/bills?unit_id={unit['unit_id']}&period=2026-07", token).json()["items"]

    console.sign_in("greenfield-finance")
    console.open(f"/money?tab=bills&site={site}")
    page = console.page
    page.get_by_role("combobox", name="房屋").click(force=True)
    page.get_by_role("option", name=unit["label"]).click()
    page.get_by_label("账期").fill("2026-07")
    page.get_by_label("账期").press("Enter")
    rows = page.get_by_test_id("bills").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("counter-open")).to_be_disabled()  # nothing ticked yet
    rows.first.locator(".el-checkbox").click()
    page.get_by_test_id("counter-open").click()

    dialog = page.get_by_role("dialog", name="扫码收款")
    expect(dialog).to_contain_text(f"¥{bill['amount_payable'] // 100:,}.{bill['amount_payable'] % 100:02d}")
    code = dialog.get_by_role("img", name="请业主用微信扫一扫付款")
    expect(code).to_be_visible()
    console.shot(screenshots, "money-counter-qr")
    decoded = [
        c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())), formats=ONLY_QR)
    ]
    assert len(decoded) == 1
    assert decoded[0].startswith("weixin://wxpay/bizpayurl?pr=")
    assert "error" not in cloud.pay_sandbox.wechat.pay(decoded[0])

    expect(page.get_by_test_id("counter-paid")).to_contain_text("已收款", timeout=20_000)
    console.shot(screenshots, "money-counter-paid")
    assert wait_for(
        lambda: call(web, "GET", f"/bills/{bill['bill_id']}", token).json()["status"] == "paid", timeout_s=10
    )
