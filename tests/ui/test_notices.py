"""The Notices pages in a real browser: the manager writes a notice to one building, sees beforehand how
many people it reaches, sends it, and watches the local cloud's fan-out and sender deliver it until the
statistics on screen say it reached them, figure for figure what GET /notices/{id} says."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
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


def test_the_manager_sends_a_notice_to_one_building_and_sees_it_reached(
    console: Console,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    token = tokens["greenfield-manager"]
    site = demo.sites["greenfield"]
    building = call(web, "GET", f"/sites/{site}/buildings", token).json()["items"][0]
    title = f"紧急停水通知 {uuid.uuid4().hex[:4]}"
    console.sign_in("greenfield-manager")
    page = console.page
    page.get_by_role("menuitem", name="通知公告").click()
    page.get_by_role("button", name="写通知").click()
    expect(page.get_by_role("heading", name="写通知")).to_be_visible()

    page.get_by_label("标题", exact=True).fill(title)
    page.get_by_label("正文", exact=True).fill("12月10日 9:00-12:00 1栋停水检修，请提前储水。")
    # Urgent and by SMS too: a burst pipe cannot wait for quiet hours to end, and the demo resident has a
    # phone but no app device, so SMS is what reaches them (the inbox alone reaches no one until read).
    page.get_by_text("短信", exact=True).click()
    page.get_by_text("紧急", exact=True).click()
    page.get_by_text("指定楼栋").click()
    page.get_by_role("combobox", name="选择楼栋").click(force=True)
    page.get_by_role("option", name=building["name"]).click()
    page.keyboard.press("Escape")
    audience = {"site_id": site, "building_ids": [building["building_id"]]}
    expected = call(web, "POST", "/notices/audience-count", token, audience).json()
    assert expected["recipients"] >= 1  # the demo's resident lives in that building
    expect(page.get_by_test_id("audience-total")).to_have_text(str(expected["recipients"]))
    page.mouse.move(0, 0)  # the picture without a hover or focus highlight
    page.evaluate("document.activeElement?.blur()")
    console.shot(screenshots, "notice-compose")

    page.get_by_role("button", name="发送通知").click()
    expect(page).to_have_url(re.compile(r"/console/notices/[0-9A-Z]+$"))
    notice_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    # The local cloud's fan-out and sender run by themselves through their queues; the page polls.
    # Whoever has a phone on record is reached by SMS; a resident another story added without one (or
    # without an app) is reached only once they read it. So the figure to see is the API's once delivery has
    # settled, and it holds at least the demo resident.
    notice = _settled(web, token, notice_id)
    stats = notice["statistics"]
    expect(page.get_by_test_id("stat-reached")).to_have_text(str(stats["reached"]), timeout=60_000)
    assert notice["audience"]["building_ids"] == [building["building_id"]]
    assert stats["recipients"] == expected["recipients"]
    assert 1 <= stats["reached"] <= stats["recipients"]
    expect(page.get_by_test_id("notice-status")).to_have_text("已发送")
    expect(page.get_by_test_id("stat-recipients")).to_have_text(str(stats["recipients"]))
    expect(page.get_by_test_id("stat-read")).to_have_text(str(stats["read"]))
    for channel in notice["channels"]:
        expect(page.get_by_test_id(f"sent-{channel}")).to_have_text(str(stats["sent"].get(channel, 0)))
        expect(page.get_by_test_id(f"failed-{channel}")).to_have_text(str(stats["failed"].get(channel, 0)))
    page.mouse.move(0, 0)  # the picture without a hover or focus highlight
    page.evaluate("document.activeElement?.blur()")
    console.shot(screenshots, "notice-statistics")

    page.get_by_role("link", name="返回通知列表").click()
    expect(page.get_by_test_id("notices").get_by_role("row").filter(has_text=title)).to_contain_text("已发送")


def test_a_notice_scheduled_in_the_composer_is_cancelled_from_the_list(
    console: Console, web: str, tokens: dict[str, str]
) -> None:
    title = f"消防演练 {uuid.uuid4().hex[:4]}"
    console.sign_in("greenfield-manager")
    console.open("/notices/new")
    page = console.page
    page.get_by_label("标题", exact=True).fill(title)
    page.get_by_label("正文", exact=True).fill("1月20日上午10点消防演练，请听从指挥。")
    page.get_by_text("定时发送", exact=True).click()
    page.get_by_role("button", name="确定定时发送").click()
    expect(page.get_by_text("请选择发送时间")).to_be_visible()  # next to the field; nothing sent
    page.get_by_label("选择发送时间").fill("2027-01-20T10:00")  # Shanghai time, as the browser's clock
    page.get_by_role("button", name="确定定时发送").click()
    expect(page.get_by_test_id("notice-status")).to_have_text("定时待发")
    notice_id = page.url.rsplit("/", 1)[1]
    notice = call(web, "GET", f"/notices/{notice_id}", tokens["greenfield-manager"]).json()
    assert notice["status"] == "scheduled"
    assert datetime.fromisoformat(notice["send_at"]) == datetime(2027, 1, 20, 2, 0, tzinfo=UTC)

    console.open("/notices")
    row = page.get_by_test_id("notices").get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text("定时待发")
    row.get_by_role("button", name="取消发送").click()
    expect(row).to_contain_text("已取消")
    assert (
        call(web, "GET", f"/notices/{notice_id}", tokens["greenfield-manager"]).json()["status"]
        == "cancelled"
    )


def _settled(web: str, token: str, notice_id: str) -> dict[str, Any]:
    """The notice once sent and its delivery counts stopped moving (the local cloud's queues deliver)."""
    last: dict[str, Any] | None = None
    for _ in range(60):
        notice: dict[str, Any] = call(web, "GET", f"/notices/{notice_id}", token).json()
        stats = notice["statistics"]
        if notice["status"] == "sent" and stats["reached"] >= 1 and last == stats:
            return notice
        last = stats if notice["status"] == "sent" else None
        time.sleep(2)
    raise AssertionError(f"the notice's delivery never settled: {last}")
