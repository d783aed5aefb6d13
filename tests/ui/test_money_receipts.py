"""Receipts, invoices and the month's figures in a real browser: finance takes cash at the counter and
downloads its receipt (a PDF), issues one invoice request with its number and rejects another with a reason
(a bad number refused next to the field), and reads the month's figures: collected by channel, arrears by
age and the collection rate against 95 %, exactly as GET /payments/figures says."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from infra.seed import DemoData
from tests.ui.console import Console, call
from tests.ui.test_money import console, web

__all__ = ["console", "web"]


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _cash(web: str, token: str, unit_id: str, amount: int) -> dict[str, Any]:
    """Money at the counter through the API (what the dialog sends), for the unit's open bills or credit."""
    body = {"unit_id": unit_id, "amount": amount, "channel": "cash", "note": "发票测试"}
    paid = call(web, "POST", "/payments/counter", token, body)
    assert paid.status == 201, paid.text
    payment: dict[str, Any] = paid.json()
    return payment


def _invoice(web: str, token: str, payment_id: str, title: str, tax_number: str | None) -> dict[str, Any]:
    body = {"title_type": "company" if tax_number else "personal", "title": title, "tax_number": tax_number}
    asked = call(web, "POST", f"/payments/{payment_id}/invoice-requests", token, body)
    assert asked.status == 201, asked.text
    request: dict[str, Any] = asked.json()
    return request


def test_finance_downloads_a_receipt_and_issues_or_rejects_invoice_requests(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token, site = tokens["harbour-finance"], demo.sites["harbour"]
    unit = demo.units["harbour"][2]
    firm = _cash(web, token, unit, 12_300)
    person = _cash(web, token, unit, 4_500)
    company = f"港湾贸易有限公司 {uuid.uuid4().hex[:4]}"
    issued = _invoice(web, token, firm["payment_id"], company, "91350100M000100Y43")
    refused = _invoice(web, token, person["payment_id"], "陈业主", None)

    console.sign_in("harbour-finance")
    console.open(f"/money?tab=payments&site={site}&payment={firm['payment_id']}")
    page = console.page
    expect(page.get_by_test_id("payment")).to_contain_text(firm["receipt_no"])
    with page.expect_response(lambda r: r.url.endswith(f"/payments/{firm['payment_id']}/receipt")) as answer:
        page.get_by_test_id("payment-bar").get_by_role("button", name="下载收据").click()
    assert answer.value.status == 200, answer.value.text()
    link = answer.value.json()
    with urllib.request.urlopen(link["url"], timeout=30) as pdf:  # the local cloud's presigned link
        assert pdf.read(5) == b"%PDF-"
    assert link["receipt_no"] == firm["receipt_no"]

    page.get_by_role("tab", name="发票申请").click()
    rows = page.get_by_test_id("invoice-requests").locator("tbody tr")
    row = rows.filter(has_text=company)
    expect(row).to_contain_text("91350100M000100Y43")
    expect(row).to_contain_text(_yuan(12_300))
    expect(rows.filter(has_text="陈业主")).to_contain_text("个人（无税号）")
    page.mouse.move(0, 0)
    console.shot(screenshots, "money-invoices")
    row.get_by_role("button", name="开票").click()
    dialog = page.get_by_role("dialog", name="填写发票号码")
    dialog.get_by_label("发票号码").fill("12345")
    dialog.get_by_role("button", name="确认已开票").click()
    expect(dialog.get_by_text("发票号码为 8 位或 20 位数字")).to_be_visible()  # nothing sent
    dialog.get_by_label("发票号码").fill("26442000000123456789")
    dialog.get_by_role("button", name="确认已开票").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)  # no longer waiting

    rows.filter(has_text="陈业主").get_by_role("button", name="驳回").click()
    dialog = page.get_by_role("dialog", name="驳回发票申请")
    dialog.get_by_label("驳回原因").fill("个人抬头请到前台开具")
    dialog.get_by_role("button", name="确认驳回").click()
    expect(dialog).to_be_hidden()

    page.get_by_role("radio", name="已开票").check(force=True)
    expect(rows.filter(has_text=company)).to_contain_text("26442000000123456789")
    page.get_by_role("radio", name="已驳回").check(force=True)
    expect(rows.filter(has_text="陈业主")).to_contain_text("个人抬头请到前台开具")
    after = {
        r["request_id"]: r
        for status in ("issued", "rejected")
        for r in call(web, "GET", f"/invoice-requests?status={status}&limit=100", token).json()["items"]
    }
    assert (after[issued["request_id"]]["status"], after[issued["request_id"]]["invoice_no"]) == (
        "issued",
        "26442000000123456789",
    )
    assert (after[refused["request_id"]]["status"], after[refused["request_id"]]["reason"]) == (
        "rejected",
        "个人抬头请到前台开具",
    )


def test_finance_reads_the_months_figures_as_the_api_counts_them(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token, site = tokens["greenfield-finance"], demo.sites["greenfield"]
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    _cash(web, token, demo.units["greenfield"][2], 8_800)
    figures = call(web, "GET", f"/payments/figures?month={month}&site_id={site}", token).json()
    [mine] = [c for c in figures["communities"] if c["site_id"] == site] or [figures["firm"]]
    assert mine["collected_by_channel"]["cash"] >= 8_800

    console.sign_in("greenfield-finance")
    console.open(f"/money?tab=figures&site={site}")
    page = console.page
    expect(page.get_by_test_id("figures-collected")).to_have_text(_yuan(mine["collected"]))
    expect(page.get_by_test_id("figures-arrears")).to_have_text(_yuan(mine["arrears"]))
    channels = page.get_by_test_id("figures-channels").locator("tbody tr")
    expect(channels.filter(has_text="现金")).to_contain_text(_yuan(mine["collected_by_channel"]["cash"]))
    expect(channels.filter(has_text="微信支付")).to_contain_text(
        _yuan(mine["collected_by_channel"]["wechat"])
    )
    ages = page.get_by_test_id("figures-ages").locator("tbody tr")
    expect(ages.filter(has_text="90 天以上")).to_contain_text(_yuan(mine["arrears_by_age"]["90+"]))
    rate = mine["rate_pct"]
    expect(page.get_by_test_id("figures-rate")).to_contain_text("—" if rate is None else f"{rate:.1f}%")
    if mine["on_target"] is not None:
        expect(page.get_by_test_id("figures-rate")).to_contain_text("达标" if mine["on_target"] else "未达标")
    expect(page.get_by_test_id("channel-chart").locator("canvas")).to_be_visible()
    page.mouse.move(0, 0)
    console.shot(screenshots, "money-figures")

    # A month not begun yet is refused next to the month.
    page.get_by_label("月份").fill("2099-01")
    page.get_by_label("月份").dispatch_event("change")
    expect(page.get_by_role("alert").filter(has_text="这个月还没开始")).to_be_visible()
