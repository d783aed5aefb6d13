"""Issue 19 in the console: Today shows who is on duty at the community now, from the roster the manager
set (GET /duty/now), and this month's emergency response (GET /tickets/stats), the same figures as the API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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


def test_today_shows_who_is_on_duty_by_the_roster_and_the_emergency_response(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    manager = tokens["greenfield-manager"]
    site = demo.sites["greenfield"]
    staff = call(web, "GET", f"/staff?limit=100&site_id={site}", manager).json()["items"]
    responders = [s for s in staff if {"guard", "technician"} & set(s["roles"]) and s["active"]]
    assert responders
    # Round the clock, every day: whatever the hour the test runs at, the roster puts them on duty.
    lines = [{"staff_id": s["staff_id"], "shift": shift} for s in responders for shift in ("day", "night")]
    assert call(web, "PUT", f"/sites/{site}/duty-roster", manager, {"lines": lines}).status == 200
    now = call(web, "GET", f"/duty/now?site_id={site}", manager).json()
    assert {p["staff_id"] for p in now["staff"] if p["source"] == "roster"} == {
        s["staff_id"] for s in responders
    }

    console.open("/signin")
    console.sign_in("greenfield-manager")
    page = console.page
    card = page.get_by_test_id("card-duty")
    expect(card.get_by_text("当前值班")).to_be_visible()
    for person in now["staff"]:
        expect(card.locator(f'[data-staff-id="{person["staff_id"]}"]')).to_contain_text(person["name"])
    shift = {"day": "白班", "night": "夜班"}[now["shift"]["shift"]]
    expect(page.get_by_test_id("duty-shift")).to_contain_text(shift)

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    query = f"site_id={site}&from={today.replace(day=1).isoformat()}&to={today.isoformat()}"
    stats = call(web, "GET", f"/tickets/stats?{query}", manager).json()
    months: list[dict[str, Any]] = next(
        (s["emergency_response"] for s in stats["sites"] if s["site_id"] == site), []
    )
    within = page.get_by_test_id("emergency-within")
    if months and months[-1]["within_5_min_pct"] is not None:
        expect(within).to_have_text(f"{months[-1]['within_5_min_pct']:.1f}%")
    elif not months:
        expect(within).to_have_text("本月没有紧急求助或紧急告警")
    console.shot(screenshots, "today-duty")
    page.screenshot(path=str(Path("/tmp/courtyard-duty-today.png")))
