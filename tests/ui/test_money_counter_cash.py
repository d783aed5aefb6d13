"""柜台收款 in a real browser: finance takes half a bill in cash on the Money page, the dialog says what stays
due before and after, the receipt number comes back, and the bill shows half due (on screen and through the
API); the service desk then takes the rest by POS card from the unit's own page and the bill is paid."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import APIResponse, Route, expect

from infra.seed import DemoData
from tests.ui.console import Console, call
from tests.ui.test_money import _billed, console, web

__all__ = ["console", "web"]
PERIOD = "2027-02"


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _payment_entries(web: str, token: str, unit_id: str) -> set[str]:
    ledger = call(web, "GET", f"/units/{unit_id}/ledger?limit=100", token).json()
    return {e["entry_id"] for e in ledger["entries"] if e["kind"] == "payment"}


def test_half_a_bill_paid_in_cash_leaves_half_due_and_the_desk_takes_the_rest(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token, site = tokens["greenfield-finance"], demo.sites["greenfield"]
    # An even price, so half of the bill is a whole number of fen whatever else the month bills.
    fee = {"site_id": site, "name": f"电梯费 {uuid.uuid4().hex[:4]}", "kind": "fixed", "price_minor": 20000}
    assert call(web, "POST", "/fee-items", token, fee).status == 201
    _billed(web, token, site, PERIOD)
    unit = call(web, "GET", f"/units/{demo.units['greenfield'][1]}", token).json()
    [bill] = call(web, "GET", f"/bills?unit_id={unit['unit_id']}&period={PERIOD}", token).json()["items"]
    whole = bill["amount_payable"]
    half = whole // 2

    console.sign_in("greenfield-finance")
    console.open(f"/money?tab=bills&site={site}")
    page = console.page
    page.get_by_role("combobox", name="房屋").click(force=True)
    page.get_by_role("option", name=unit["label"]).click()
    page.get_by_label("账期").fill(PERIOD)
    page.get_by_label("账期").press("Enter")
    rows = page.get_by_test_id("bills").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator(".el-checkbox").click()
    page.get_by_role("button", name="柜台收款").click()

    dialog = page.get_by_role("dialog", name="柜台收款")
    expect(dialog).to_contain_text(f"{unit['label']} · 1 张账单，应收 {_yuan(whole)}")
    expect(dialog.get_by_label("实收金额")).to_have_value(f"{whole // 100}.{whole % 100:02d}")
    dialog.get_by_label("实收金额").fill("abc")
    dialog.get_by_role("button", name="确认收款").click()
    # Said next to the field; nothing is sent.
    expect(dialog.get_by_text("请填写实收金额，例如 100.00")).to_be_visible()
    dialog.get_by_label("实收金额").fill(f"{half // 100}.{half % 100:02d}")
    expect(dialog.get_by_test_id("counter-rest")).to_have_text(
        f"部分缴费：收完后这些账单仍欠 {_yuan(whole - half)}"
    )
    dialog.get_by_label("备注").fill("业主现金缴一半")
    page.mouse.move(0, 0)
    console.shot(screenshots, "money-counter-cash-form")
    dialog.get_by_role("button", name="确认收款").click()

    result = dialog.get_by_test_id("counter-result")
    expect(result).to_contain_text(f"已收款 {_yuan(half)}")
    receipt = dialog.get_by_test_id("receipt-no").inner_text()
    assert receipt
    after = dialog.get_by_test_id("counter-bills").locator("tbody tr")
    expect(after).to_have_count(1)
    expect(after.first).to_contain_text(PERIOD)
    expect(after.first).to_contain_text(_yuan(whole - half))
    expect(after.first).to_contain_text("部分缴费")
    console.shot(screenshots, "money-counter-cash-done")

    # Through the API: the bill asks for the other half, still unpaid, and the payment is the one shown.
    now = call(web, "GET", f"/bills/{bill['bill_id']}", token).json()
    assert (now["status"], now["amount_payable"], now["due_date"]) == (
        "issued",
        whole - half,
        bill["due_date"],
    )
    dialog.get_by_role("button", name="完成").click()
    expect(dialog).to_be_hidden()
    expect(rows.first).to_contain_text(_yuan(whole - half))  # the table read the bills again
    expect(rows.first).to_contain_text("未缴")
    console.shot(screenshots, "money-counter-cash-bill")

    # The desk takes the rest by POS card from the unit's page.
    console.sign_out()
    console.sign_in("greenfield-service-desk")
    console.open(f"/community/units/{unit['unit_id']}")
    unit_bills = page.get_by_test_id("unit-bills").locator("tbody tr").filter(has_text=PERIOD)
    expect(unit_bills).to_contain_text(_yuan(whole - half))
    unit_bills.locator(".el-checkbox").click()
    page.get_by_role("button", name="柜台收款").click()
    dialog = page.get_by_role("dialog", name="柜台收款")
    expect(dialog.get_by_label("实收金额")).to_have_value(
        f"{(whole - half) // 100}.{(whole - half) % 100:02d}"
    )
    dialog.get_by_role("radio", name="POS刷卡").check(force=True)
    dialog.get_by_label("备注").fill("POS 000123")
    expect(dialog.get_by_test_id("counter-rest")).to_have_text("收完后这些账单全部结清")
    before = _payment_entries(web, token, unit["unit_id"])
    # The first answer is lost on the way back (the API recorded the money); the clerk presses again and the
    # dialog's one Idempotency-Key makes it the same payment, not a second one.
    lost: list[APIResponse] = []

    def lose_the_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.fetch())
        route.abort()

    page.route("**/api/payments/counter", lose_the_answer)
    dialog.get_by_role("button", name="确认收款").click()
    expect(dialog.get_by_role("alert")).to_contain_text("系统只会记一次")
    assert lost[0].status == 201
    dialog.get_by_role("button", name="确认收款").click()
    expect(dialog.get_by_test_id("counter-bills").locator("tbody tr").first).to_contain_text("已结清")
    second = dialog.get_by_test_id("receipt-no").inner_text()
    assert second
    assert second != receipt
    console.shot(screenshots, "money-counter-pos-unit")
    paid = call(web, "GET", f"/bills/{bill['bill_id']}", token).json()
    assert (paid["status"], paid["amount_payable"]) == ("paid", 0)
    payment = call(web, "GET", f"/payments/{paid['payment_id']}", token).json()
    assert (payment["provider"], payment["receipt_no"], payment["amount"]) == ("pos", second, whole - half)
    assert lost[0].json()["payment_id"] == payment["payment_id"]
    # One new payment entry, the POS money's: the retry took nothing twice.
    ledger = call(web, "GET", f"/units/{unit['unit_id']}/ledger?limit=100", token).json()
    new = [
        e["payment_id"] for e in ledger["entries"] if e["kind"] == "payment" and e["entry_id"] not in before
    ]
    assert new == [payment["payment_id"]]
