"""Going live in a real browser: finance imports the old system's opening balances (the check first, each
problem said in plain Chinese, then the import; the same sheet again changes nothing), and gives a fee item a
new price from next month and a retirement month, refused next to the field for a month already past."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from infra.seed import DemoData
from tests.ui.console import Console, call
from tests.ui.test_money import _billed, console, web

__all__ = ["console", "web"]


def _next_month() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return f"{today.year + (today.month == 12)}-{today.month % 12 + 1:02d}"


def test_finance_checks_then_imports_opening_balances_and_a_second_import_changes_nothing(
    console: Console,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    tmp_path: Path,
    screenshots: Path | None,
) -> None:
    token, site = tokens["harbour-finance"], demo.sites["harbour"]
    owing, prepaid = (call(web, "GET", f"/units/{demo.units['harbour'][i]}", token).json() for i in (0, 1))
    sheet = tmp_path / "old-system.csv"
    rows = [
        "房号,欠费,预存",
        "1-1-101,1200.50,0",
        "1-1-102,0,300",
        "9-9-909,10,0",
        "1-1-101,5,0",
        "1-2-1801,abc,0",
    ]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")

    console.sign_in("harbour-finance")
    console.open(f"/money?tab=opening&site={site}")
    page = console.page
    page.get_by_test_id("opening-file").set_input_files(str(sheet))
    page.get_by_role("button", name="检查表格").click()
    report = page.get_by_test_id("opening-report")
    expect(report).to_contain_text("共 5 行，可导入 2 户，有问题 3 行")
    problems = page.get_by_test_id("opening-problems").locator("tbody tr")
    expect(problems.filter(has_text="9-9-909")).to_contain_text("没有这个房号")
    expect(problems.filter(has_text="abc")).to_contain_text("金额不正确")
    expect(problems.filter(has_text="重复")).to_have_count(1)
    console.shot(screenshots, "money-opening-report")
    # The check wrote nothing.
    ledger = call(web, "GET", f"/units/{owing['unit_id']}/ledger", token).json()
    assert "opening_arrears" not in [e["kind"] for e in ledger["entries"]]

    page.get_by_role("button", name="导入 2 户").click()
    expect(page.get_by_test_id("opening-done")).to_contain_text("已导入 2 户的期初余额")
    console.shot(screenshots, "money-opening-done")
    owing_ledger = call(web, "GET", f"/units/{owing['unit_id']}/ledger", token).json()
    assert [e["amount"] for e in owing_ledger["entries"] if e["kind"] == "opening_arrears"] == [120050]
    prepaid_ledger = call(web, "GET", f"/units/{prepaid['unit_id']}/ledger", token).json()
    assert prepaid_ledger["credit"] == 30000

    # The same sheet again: checked, imported, nothing written twice, and the page says so.
    page.get_by_test_id("opening-file").set_input_files(str(sheet))
    page.get_by_role("button", name="检查表格").click()
    page.get_by_role("button", name="导入 2 户").click()
    done = page.get_by_test_id("opening-done")
    expect(done).to_contain_text("已导入 0 户的期初余额")
    expect(done).to_contain_text("2 户之前已导入，保持不变")
    again = call(web, "GET", f"/units/{owing['unit_id']}/ledger", token).json()
    assert [e["amount"] for e in again["entries"] if e["kind"] == "opening_arrears"] == [120050]


def test_finance_changes_a_price_from_next_month_and_retires_the_item_later(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token, site = tokens["harbour-finance"], demo.sites["harbour"]
    name = f"绿化费 {uuid.uuid4().hex[:4]}"
    fee = {"site_id": site, "name": name, "kind": "fixed", "price_minor": 1000}
    created = call(web, "POST", "/fee-items", token, fee)
    assert created.status == 201
    fee_id = created.json()["fee_id"]
    month = _next_month()

    console.sign_in("harbour-finance")
    console.open(f"/money?tab=fees&site={site}")
    page = console.page
    row = page.get_by_test_id("fee-items").locator("tbody tr").filter(has_text=name)
    row.get_by_role("button", name="调价").click()
    dialog = page.get_by_role("dialog", name=f"{name}：调整单价")
    expect(dialog.get_by_label("起始月份")).to_have_value(month)
    dialog.get_by_label("起始月份").fill("2020-01")
    dialog.get_by_label("新单价").fill("12.5")
    dialog.get_by_role("button", name="保存新单价").click()
    expect(dialog.get_by_text("不能早于本月")).to_be_visible()  # the API's refusal, next to the month
    listed = call(web, "GET", f"/fee-items?site_id={site}", token).json()["items"]
    assert [f["prices"] for f in listed if f["fee_id"] == fee_id] == [[]]  # refused: nothing changed
    dialog.get_by_label("起始月份").fill(month)
    dialog.get_by_role("button", name="保存新单价").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text(f"{month} 起 ¥12.50")

    row.get_by_role("button", name="停用").click()
    dialog = page.get_by_role("dialog", name=f"{name}：停止收费")
    retire = f"{int(month[:4]) + 1}{month[4:]}"
    dialog.get_by_label("起始月份").fill(retire)
    dialog.get_by_role("button", name="确认停用").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text(f"{retire} 起停用")
    page.mouse.move(0, 0)
    console.shot(screenshots, "money-fee-versions")

    [item] = [
        f
        for f in call(web, "GET", f"/fee-items?site_id={site}", token).json()["items"]
        if f["fee_id"] == fee_id
    ]
    assert (item["price_minor"], item["prices"], item["retired_from"]) == (
        1000,
        [{"from_period": month, "price_minor": 1250}],
        retire,
    )
    # Next month's bills carry the new price.
    _billed(web, token, site, month)
    bills = call(web, "GET", f"/bills?site_id={site}&period={month}&limit=100", token).json()["items"]
    assert bills
    assert {line["amount"] for b in bills for line in b["lines"] if line["fee_id"] == fee_id} == {1250}
