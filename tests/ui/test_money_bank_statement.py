"""银行流水对账 in a real browser: finance uploads a small statement made here (a line whose memo names a
bill, a line whose amount fits a bill but names nothing, a line nobody owes), sees one matched and two
waiting, confirms the second against the suggested bill in one click and dismisses the third; uploading the
same statement again records nothing twice, and the page says so."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from infra.seed import DemoData
from tests.ui.console import Console, call
from tests.ui.test_money import _billed, console, web

__all__ = ["console", "web"]
PERIOD = "2027-04"


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _bills(web: str, token: str, unit_id: str) -> list[dict[str, Any]]:
    page = call(web, "GET", f"/bills?unit_id={unit_id}&period={PERIOD}", token).json()
    items: list[dict[str, Any]] = page["items"]
    return items


def _plain(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def test_finance_uploads_a_statement_settles_an_exception_in_one_click_and_a_second_upload_changes_nothing(
    console: Console,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    tmp_path: Path,
    screenshots: Path | None,
) -> None:
    token, site = tokens["greenfield-finance"], demo.sites["greenfield"]
    fee = {
        "site_id": site,
        "name": f"二次供水费 {uuid.uuid4().hex[:4]}",
        "kind": "fixed",
        "price_minor": 7700,
    }
    assert call(web, "POST", "/fee-items", token, fee).status == 201
    _billed(web, token, site, PERIOD)
    first, second = (call(web, "GET", f"/units/{demo.units['greenfield'][i]}", token).json() for i in (0, 2))
    [by_memo] = _bills(web, token, first["unit_id"])
    [by_amount] = _bills(web, token, second["unit_id"])
    stranger = 12_345_67
    statement = tmp_path / "icbc-2027-04.csv"
    statement.write_text(
        "中国工商银行 账户明细\n"
        "交易日期,贷方金额,对方户名,对方账号,摘要\n"
        f"2027-04-03,{_plain(by_memo['amount_payable'])},张三,6222000011112222,物业费 {by_memo['bill_id']}\n"
        f"2027-04-05,{_plain(by_amount['amount_payable'])},王五,6222000033334444,转账\n"
        f"2027-04-06,{_plain(stranger)},某某贸易有限公司,6222000055556666,货款\n",
        encoding="utf-8",
    )

    console.sign_in("greenfield-finance")
    console.open(f"/money?tab=bank&site={site}")
    page = console.page
    page.get_by_test_id("statement-file").set_input_files(str(statement))
    page.get_by_role("button", name="上传并匹配").click()
    report = page.get_by_test_id("statement-report")
    expect(report).to_contain_text(f"自动匹配 1 笔，已入账 {_yuan(by_memo['amount_payable'])}")
    assert call(web, "GET", f"/bills/{by_memo['bill_id']}", token).json()["status"] == "paid"

    waiting = page.get_by_test_id("statement-exceptions").locator("tbody tr")
    fits = waiting.filter(has_text="王五")
    nobody = waiting.filter(has_text="某某贸易有限公司")
    expect(fits).to_contain_text("金额相符，请确认")
    expect(nobody).to_contain_text("找不到对应账单")
    suggestion = fits.get_by_role("button", name=f"确认：{second['label']} {PERIOD}")
    expect(suggestion).to_be_visible()
    page.mouse.move(0, 0)
    console.shot(screenshots, "money-bank-statement")

    suggestion.click()
    expect(fits).to_have_count(0)
    paid = call(web, "GET", f"/bills/{by_amount['bill_id']}", token).json()
    assert paid["status"] == "paid"
    assert call(web, "GET", f"/payments/{paid['payment_id']}", token).json()["provider"] == "bank_transfer"
    nobody.get_by_role("button", name="不是物业费").click()
    expect(nobody).to_have_count(0)
    exceptions = call(web, "GET", f"/bank-statements/exceptions?site_id={site}", token).json()["items"]
    assert not [line for line in exceptions if line["name"] in ("王五", "某某贸易有限公司")]

    # The same statement again: every line was recorded before, nothing is settled twice.
    page.get_by_test_id("statement-file").set_input_files(str(statement))
    page.get_by_role("button", name="上传并匹配").click()
    expect(report).to_contain_text("没有新的入账")
    expect(page.get_by_test_id("already-imported")).to_have_text("3")
    again = call(web, "GET", f"/bills/{by_amount['bill_id']}", token).json()
    assert again["payment_id"] == paid["payment_id"]
    console.shot(screenshots, "money-bank-statement-again")
