"""A resident pays by WeChat Pay or Alipay on a phone (390x844, zh-CN) against the local cloud.
WeChat Pay: the page shows the Native QR code, a second phone "scans" it (read from the page's pixels and paid
at the sandbox's WeChat Pay persona), and the persona's signed, encrypted notification settles the bill; the
page moves on to the receipt by itself. Alipay: the persona's cashier opens from the SDK's signed request and
returns the payer to the receipt."""

from __future__ import annotations

import io
import re
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData
from tests.ui.console import call
from tests.ui.mobile import Mobile
from tests.ui.test_mobile_resident import RESIDENT, _bill

ONLY_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def test_a_resident_pays_by_scanning_the_wechat_pay_code_and_sees_the_receipt(
    mobile: Mobile, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    bill = _bill(mobile.web_url, tokens, demo, "2033")
    mobile.sign_in(RESIDENT)
    mobile.tab("缴费")
    expect(mobile.page.get_by_test_id("bill-due").filter(has_text="2033")).to_be_visible()
    for other in mobile.page.get_by_test_id("bill-due").filter(has_not_text="2033").all():
        other.locator(".van-checkbox").click()
    wechat = mobile.page.get_by_role("radio", name="微信支付")
    expect(wechat).to_have_attribute("aria-checked", "true")  # the default: what residents use most

    mobile.page.get_by_test_id("pay").click()

    code = mobile.page.get_by_test_id("wechat-qr")
    expect(code).to_contain_text("微信扫码支付")
    mobile.shot(screenshots, "bills-wechat-qr")
    image = code.get_by_role("img")
    expect(image).to_be_visible()
    decoded = [
        c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())), formats=ONLY_QR)
    ]
    assert len(decoded) == 1
    assert decoded[0].startswith("weixin://wxpay/bizpayurl?pr=")
    paid = cloud.pay_sandbox.wechat.pay(decoded[0])  # the payer's phone; its notification goes to the API
    assert "error" not in paid, paid

    expect(mobile.page).to_have_url(re.compile(r"/m/bills/receipt/"), timeout=20_000)
    expect(mobile.page.get_by_test_id("receipt")).to_contain_text("缴费成功")
    mobile.shot(screenshots, "receipt-wechat")
    assert wait_for(
        lambda: (
            call(mobile.web_url, "GET", f"/bills/{bill['bill_id']}", tokens[RESIDENT]).json()["status"]
            == "paid"
        ),
        timeout_s=10,
    )


def test_a_resident_pays_with_alipay_at_its_cashier_and_comes_back_to_the_receipt(
    mobile: Mobile, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    bill = _bill(mobile.web_url, tokens, demo, "2034")
    mobile.sign_in(RESIDENT)
    mobile.tab("缴费")
    expect(mobile.page.get_by_test_id("bill-due").filter(has_text="2034")).to_be_visible()
    for other in mobile.page.get_by_test_id("bill-due").filter(has_not_text="2034").all():
        other.locator(".van-checkbox").click()
    mobile.page.get_by_role("radio", name="支付宝").click()

    mobile.page.get_by_test_id("pay").click()

    # Alipay's cashier (the persona) shows the order only if the SDK's signed request is intact.
    expect(mobile.page.get_by_role("heading", name="支付宝收银台（沙箱）")).to_be_visible()
    mobile.shot(screenshots, "alipay-cashier")
    mobile.page.get_by_role("button", name="确认付款").click()
    expect(mobile.page).to_have_url(re.compile(r"/m/bills/receipt/"), timeout=20_000)
    expect(mobile.page.get_by_test_id("receipt")).to_contain_text("缴费成功")
    assert wait_for(
        lambda: (
            call(mobile.web_url, "GET", f"/bills/{bill['bill_id']}", tokens[RESIDENT]).json()["status"]
            == "paid"
        ),
        timeout_s=10,
    )
