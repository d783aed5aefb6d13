"""The Money page in a real browser: finance adds a fee item, runs a month's billing and watches it to the
end, then exports the arrears, whose downloaded rows are exactly GET /arrears's."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from payments import keys
from playwright.sync_api import Page, expect

from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData
from tests.ui.console import Console, call

# A past month: billed today, its bills are due 15 days after issue (payments' due_dates), so the test ages
# them in storage, as 40 days would, ladder reminders included, to have arrears to show and export.
PERIOD = "2026-10"
PAYMENT_STATUS_ZH = {"succeeded": "已支付", "partially_refunded": "部分退款", "refunded": "已全额退款"}
LADDER_SENT = ["due_soon", "overdue_3", "overdue_15", "formal_notice"]


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _age(cloud: LocalCloud, web: str, token: str, tenant: str, site: str, period: str, days: int) -> None:
    """Move the period's unpaid bills ``days`` into arrears in storage, with the reminders sent by then."""
    assert cloud.stack is not None
    table = cloud.stack.ref("PaymentsTable")
    dynamodb = cloud.client("dynamodb")
    bills = call(web, "GET", f"/bills?site_id={site}&period={period}&status=issued&limit=100", token).json()
    due = (datetime.now(UTC).date() - timedelta(days=days)).isoformat()
    for bill in bills["items"]:
        key = keys.bill(tenant, bill["bill_id"])
        dynamodb.update_item(
            TableName=table,
            Key={name: {"S": value} for name, value in key.items()},
            UpdateExpression="SET due_date = :due, reminders = :sent",
            ExpressionAttributeValues={":due": {"S": due}, ":sent": {"L": [{"S": s} for s in LADDER_SENT]}},
        )


def test_finance_runs_the_months_billing_and_exports_the_arrears(
    console: Console,
    cloud: LocalCloud,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    token = tokens["greenfield-finance"]
    site = demo.sites["greenfield"]
    name = f"物业费 {uuid.uuid4().hex[:4]}"
    console.sign_in("greenfield-finance")
    page = console.page
    page.get_by_role("menuitem", name="收费与账单").click()
    expect(page.get_by_role("heading", name="收费与账单")).to_be_visible()

    # A fee item, typed in yuan: the API stores integer fen.
    page.get_by_role("button", name="新增收费项目").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("名称").fill(name)
    dialog.get_by_label("单价").fill("abc")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_text("请填写金额，例如 2.50")).to_be_visible()  # next to the field, nothing sent
    dialog.get_by_label("单价").fill("2.5")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_test_id("fee-items").get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("¥2.50 元/㎡/月")
    fees = call(web, "GET", f"/fee-items?site_id={site}", token).json()["items"]
    assert [(f["price_minor"], f["kind"]) for f in fees if f["name"] == name] == [(250, "area")]
    page.mouse.move(0, 0)  # the picture without a hover or focus highlight
    page.evaluate("document.activeElement?.blur()")
    console.shot(screenshots, "money-fees")

    # The month's billing: 202 at once, then the progress bar to the end.
    page.get_by_role("tab", name="出账").click()
    page.get_by_label("账期").fill(PERIOD)
    page.get_by_role("button", name="开始出账").click()
    progress = page.get_by_test_id("run-progress")
    expect(progress).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(progress).to_contain_text("已完成")
    runs = call(web, "GET", "/billing-runs?limit=10", token).json()["items"]
    run = next(r for r in runs if r["site_id"] == site and r["period"] == PERIOD)
    assert run["status"] == "completed"
    assert run["units_done"] == run["units"]
    expect(page.get_by_test_id("run-counts")).to_contain_text(f"已处理 {run['units']} / {run['units']} 户")
    expect(
        page.get_by_test_id("billing-runs").get_by_role("row").filter(has_text=PERIOD).first
    ).to_contain_text("已完成")
    page.mouse.move(0, 0)  # the picture without a hover or focus highlight
    page.evaluate("document.activeElement?.blur()")
    console.shot(screenshots, "money-billing-run")

    # The arrears by age, exported: the file's rows are the API's.
    _age(cloud, web, token, demo.tenants["greenfield"], site, PERIOD, days=40)
    page.get_by_role("tab", name="欠费").click()
    arrears = call(web, "GET", f"/arrears?site_id={site}", token).json()
    assert arrears["units"], "the aged bills are overdue"
    first = arrears["units"][0]
    row = page.get_by_test_id("arrears").locator("tbody tr").filter(has_text=first["unit_label"])
    expect(row).to_contain_text("催缴函")  # the reminders the unit has had
    expect(page.get_by_test_id("arrears-total")).to_have_text(
        re.compile(re.escape(f"{int(arrears['totals']['overdue']) // 100:,}"))
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="导出欠费表").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel opens the Chinese correctly
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[:2] == ["房屋", "欠费合计(元)"]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        (
            u["unit_label"],
            _yuan(u["overdue"]),
            _yuan(u["buckets"]["0-30"]),
            _yuan(u["buckets"]["31-90"]),
            _yuan(u["buckets"]["90+"]),
            str(u["bills"]),
        )
        for u in arrears["units"]
    ]
    page.mouse.move(0, 0)  # the picture without a hover or focus highlight
    page.evaluate("document.activeElement?.blur()")
    console.shot(screenshots, "money-arrears")


def _billed(web: str, token: str, site: str, period: str) -> dict[str, Any]:
    """A completed billing run through the API: 202, then its progress polled as the console does."""
    started = call(web, "POST", "/billing-runs", token, {"site_id": site, "period": period})
    assert started.status == 202, started.text
    run_id = started.json()["run_id"]
    assert wait_for(
        lambda: call(web, "GET", f"/billing-runs/{run_id}", token).json()["status"] != "running",
        timeout_s=60,
        interval_s=0.2,
    )
    run: dict[str, Any] = call(web, "GET", f"/billing-runs/{run_id}", token).json()
    assert run["status"] == "completed", run
    return run


def test_a_manager_finds_a_units_unpaid_bills_and_sees_no_refund_button(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    token, site = tokens["greenfield-manager"], demo.sites["greenfield"]
    name = f"垃圾清运费 {uuid.uuid4().hex[:4]}"
    fee = {"site_id": site, "name": name, "kind": "fixed", "price_minor": 3000}
    assert call(web, "POST", "/fee-items", token, fee).status == 201
    _billed(web, token, site, "2026-09")
    unit = call(web, "GET", f"/units/{demo.units['greenfield'][1]}", token).json()
    query = f"unit_id={unit['unit_id']}&period=2026-09&status=issued"
    expected = call(web, "GET", f"/bills?{query}", token).json()
    assert len(expected["items"]) == 1

    console.sign_in("greenfield-manager")
    console.open(f"/money?tab=bills&site={site}")
    page = console.page
    page.get_by_role("combobox", name="房屋").click(force=True)
    page.get_by_role("option", name=unit["label"]).click()
    page.get_by_label("账期").fill("2026-09")
    page.get_by_label("账期").press("Enter")
    page.get_by_role("combobox", name="状态").click(force=True)
    page.get_by_role("option", name="未缴").click()

    rows = page.get_by_test_id("bills").locator("tbody tr")
    expect(rows).to_have_count(1)
    bill = expected["items"][0]
    expect(rows.first).to_contain_text(unit["label"])
    expect(rows.first).to_contain_text(f"¥{bill['amount_due'] // 100:,}.{bill['amount_due'] % 100:02d}")
    expect(rows.first).to_contain_text("未缴")
    # Refunds are finance's: the manager has no button (and the API would refuse).
    page.get_by_role("tab", name="收款与退款").click()
    expect(page.get_by_text("在左侧选一笔已缴账单")).to_be_visible()
    expect(page.get_by_role("button", name="退款")).to_have_count(0)


def test_finance_refunds_part_of_a_payment_after_confirming_the_amount(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    finance, resident = tokens["greenfield-finance"], tokens["greenfield-resident"]
    site = demo.sites["greenfield"]
    fee = {"site_id": site, "name": "车位管理费", "kind": "fixed", "price_minor": 5000, "cycle": "yearly"}
    assert call(web, "POST", "/fee-items", finance, fee).status == 201
    _billed(web, finance, site, "2029")
    [bill] = call(web, "GET", "/bills?period=2029", resident).json()["items"]
    payment = call(web, "POST", "/payments", resident, {"bill_ids": [bill["bill_id"]]}).json()
    assert request("POST", payment["next_action"]["url"], body={"outcome": "succeed"}).status == 200
    assert wait_for(
        lambda: call(web, "GET", f"/bills/{bill['bill_id']}", resident).json()["status"] == "paid",
        timeout_s=60,
        interval_s=0.2,
    )
    paid = call(web, "GET", f"/payments/{payment['payment_id']}", finance).json()

    console.sign_in("greenfield-finance")
    console.open(f"/money?tab=payments&site={site}")
    page = console.page
    page.get_by_test_id("paid-bills").locator("tbody tr").filter(has_text="2029").first.click()
    expect(page.get_by_test_id("payment")).to_contain_text("已支付")
    page.get_by_role("button", name="退款").click()
    dialog = page.get_by_role("dialog")
    total = f"{paid['amount'] // 100}.{paid['amount'] % 100:02d}"
    expect(dialog.get_by_label("金额")).to_have_value(total)  # the whole payment, unless changed
    dialog.get_by_label("金额").fill(f"{paid['amount'] // 100 + 1}")
    dialog.get_by_label("原因").fill("车位退租，退回部分费用")
    dialog.get_by_role("button", name="下一步").click()
    expect(dialog.get_by_text("超过可退金额")).to_be_visible()  # next to the field; nothing was sent
    dialog.get_by_label("金额").fill("10")
    dialog.get_by_role("button", name="下一步").click()
    expect(dialog.get_by_test_id("refund-confirm")).to_contain_text("确认退款 ¥10.00")
    dialog.get_by_role("button", name="确认退款").click()
    expect(dialog).to_be_hidden()

    expect(page.get_by_test_id("refunds").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("refunds")).to_contain_text("¥10.00")
    after = call(web, "GET", f"/payments/{payment['payment_id']}", finance).json()
    assert [(r["amount"], r["reason"]) for r in after["refunds"]] == [(1000, "车位退租，退回部分费用")]
    expect(page.get_by_test_id("payment")).to_contain_text(PAYMENT_STATUS_ZH[after["status"]])
    # What is left can still be refunded later.
    expect(page.get_by_role("button", name="退款")).to_be_visible()


def test_finance_reads_the_days_reconciliation_after_a_payment(
    console: Console,
    cloud: LocalCloud,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    """对账: a resident pays through the sandbox, the daily job reconciles the day, and finance reads on
    screen exactly what the stored report says: balanced or not, how many matched, each exception."""
    finance, resident = tokens["greenfield-finance"], tokens["greenfield-resident"]
    site = demo.sites["greenfield"]
    fee = {"site_id": site, "name": "储藏室管理费", "kind": "fixed", "price_minor": 3000, "cycle": "yearly"}
    assert call(web, "POST", "/fee-items", finance, fee).status == 201
    _billed(web, finance, site, "2031")
    [bill] = call(web, "GET", "/bills?period=2031", resident).json()["items"]
    payment = call(web, "POST", "/payments", resident, {"bill_ids": [bill["bill_id"]]}).json()
    assert request("POST", payment["next_action"]["url"], body={"outcome": "succeed"}).status == 200
    assert wait_for(
        lambda: call(web, "GET", f"/bills/{bill['bill_id']}", resident).json()["status"] == "paid",
        timeout_s=60,
        interval_s=0.2,
    )
    day = datetime.now(UTC).date().isoformat()
    cloud.invoke("PaymentsJobsFunction", {"job": "reconciliation", "date": day})
    report = call(web, "GET", f"/reconciliations/{day}", finance).json()
    assert payment["payment_id"] in json.dumps(report["matched"])

    console.sign_in("greenfield-finance")
    console.open(f"/money?tab=reconciliation&site={site}")
    page = console.page
    page.get_by_label("对账日期").fill(day)
    page.get_by_label("对账日期").dispatch_event("change")
    verdict = "账平：支付渠道与账本一致" if report["balanced"] else "账不平：请处理下面的异常"
    expect(page.get_by_role("alert").filter(has_text=verdict)).to_be_visible()
    expect(page.get_by_text(f"一致 {len(report['matched'])} 笔")).to_be_visible()
    for kind, words in (
        ("missing_in_ledger", "渠道已收、账本没有"),
        ("missing_at_provider", "账本有、渠道没有"),
        ("amount_mismatch", "金额不一致"),
    ):
        expect(page.get_by_text(f"{words} ({len(report[kind])})")).to_be_visible()
    console.shot(screenshots, "money-reconciliation")
