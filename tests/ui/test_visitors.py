"""Visitors in a real browser: the guard finds today's scan (made through the API) in the visit log and
exports the day as the API's CSV; a manager revokes a pass and keeps the blocklist, with the API's field
errors."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from infra.local.cloud import LocalCloud
from infra.seed import DemoData
from tests.ui.console import Console, call


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


def _issue(web: str, token: str, visitor: str, phone: str) -> dict[str, Any]:
    answer = call(web, "POST", "/passes", token, {"visitor_name": visitor, "visitor_phone": phone})
    assert answer.status == 201, answer.text
    return dict(answer.json())


def test_the_guard_sees_todays_scan_in_the_visit_log_and_exports_it(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    visitor = f"王女士 {uuid.uuid4().hex[:4]}"
    issued = _issue(web, tokens["greenfield-resident"], visitor, "13912340001")
    site_id = demo.sites["greenfield"]
    scan = call(
        web,
        "POST",
        "/gate/scans",
        tokens["greenfield-guard"],
        {"site_id": site_id, "gate_id": "north-1", "token": issued["token"]},
    )
    assert scan.status == 200, scan.text
    assert scan.json()["verdict"] == "allow"

    console.sign_in("greenfield-guard")
    console.page.get_by_role("menuitem", name="访客").click()
    console.page.get_by_role("tab", name="访客记录").click()
    table = console.page.get_by_test_id("visits-table")
    row = table.locator("tr", has_text=visitor)
    expect(row).to_contain_text("放行")
    expect(row).to_contain_text("north-1")
    # The same rows as the API's log of the firm's today.
    log = call(web, "GET", f"/sites/{site_id}/visits?limit=100", tokens["greenfield-guard"]).json()
    assert any(e["pass_id"] == issued["pass_id"] for e in log["items"])
    expect(table.locator("tbody tr")).to_have_count(len(log["items"]))
    console.shot(screenshots, "visitors")

    with console.page.expect_download() as download:
        console.page.get_by_role("button", name="导出 CSV").click()
    assert download.value.suggested_filename == f"visits-{log['date']}.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("scanned_at,gate_id,direction,verdict")
    assert any(issued["pass_id"] in line and visitor in line for line in text.splitlines()[1:])


def test_the_desk_is_not_offered_the_visit_log_it_may_not_read(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    console.sign_in("greenfield-service-desk")
    console.open("/visitors")
    expect(console.page.get_by_role("tab", name="通行证")).to_be_visible()
    expect(console.page.get_by_role("tab", name="访客记录")).to_have_count(0)
    site_id = demo.sites["greenfield"]
    assert call(web, "GET", f"/sites/{site_id}/visits", tokens["greenfield-service-desk"]).status == 403


def test_manager_revokes_a_pass_and_keeps_the_blocklist(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    visitor = f"装修师傅 {uuid.uuid4().hex[:4]}"
    issued = _issue(web, tokens["greenfield-resident"], visitor, "13912340002")
    console.sign_in("greenfield-manager")
    console.open("/visitors")
    page = console.page
    row = page.get_by_test_id("passes-table").locator("tr", has_text=visitor)
    expect(row).to_contain_text("有效")
    row.get_by_role("button", name="作废").click()
    page.locator(".el-popconfirm:visible").get_by_role("button", name="作废").click()
    expect(row).to_contain_text("已作废")
    answer = call(web, "GET", f"/passes/{issued['pass_id']}", tokens["greenfield-manager"])
    assert answer.json()["status"] == "revoked"

    page.get_by_role("tab", name="黑名单").click()
    # A one-character number is the API's 422 next to the field; nothing is added.
    page.get_by_label("号码").fill("1")
    page.get_by_role("button", name="加入黑名单").click()
    expect(page.locator(".el-form-item__error")).to_be_visible()
    site_id = demo.sites["greenfield"]
    before = call(web, "GET", f"/sites/{site_id}/blocklist", tokens["greenfield-manager"]).json()["items"]

    reason = f"多次强闯门岗 {uuid.uuid4().hex[:4]}"
    page.get_by_label("号码").fill("13800009999")
    page.get_by_label("原因").fill(reason)
    page.get_by_role("button", name="加入黑名单").click()
    entry_row = page.get_by_test_id("blocklist-table").locator("tr", has_text=reason)
    expect(entry_row).to_contain_text("138****9999")
    after = call(web, "GET", f"/sites/{site_id}/blocklist", tokens["greenfield-manager"]).json()["items"]
    assert len(after) == len(before) + 1

    entry_row.get_by_role("button", name="移出").click()
    page.locator(".el-popconfirm:visible").get_by_role("button", name="移出").click()
    expect(entry_row).to_have_count(0)
    final = call(web, "GET", f"/sites/{site_id}/blocklist", tokens["greenfield-manager"]).json()["items"]
    assert all(e["reason"] != reason for e in final)
