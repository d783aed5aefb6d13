"""The home keeps what it showed (issue 18): the API requests an open of the residents' app makes, counted at
the browser's network layer while the page's clock is moved (Playwright's clock, no waiting): every part on
the first open, none on a second open inside the windows, the busy figures after ten minutes, the bills after
twelve hours, the profile after a week. bench/app_opens.py prices a month of opens with these counts; a figure
shown from the phone says when it was fetched (更新于 …), and pulling the home down fetches everything."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Request, expect

from bench import app_opens
from tests.ui.console import call
from tests.ui.mobile import Mobile

RESIDENT = "greenfield-resident"
_FORGET_HOME = """() => Object.keys(localStorage)
  .filter((k) => k.startsWith('courtyard.home.'))
  .forEach((k) => localStorage.removeItem(k))"""
# A pull on the home (Vant's PullRefresh follows touch events): press at the top, drag 200 px down, let go.
_PULL = """() => {
  const track = document.querySelector('.van-pull-refresh__track');
  const at = (y) => new Touch({ identifier: 1, target: track, clientX: 200, clientY: y });
  const fire = (type, y) => track.dispatchEvent(new TouchEvent(type, {
    touches: type === 'touchend' ? [] : [at(y)], targetTouches: type === 'touchend' ? [] : [at(y)],
    changedTouches: [at(y)], bubbles: true, cancelable: true }));
  fire('touchstart', 150);
  for (let y = 160; y <= 350; y += 10) fire('touchmove', y);
  fire('touchend', 350);
}"""


class ApiRequests:
    """The API requests the page makes (paths under /api, with their query), as the browser sends them."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, request: Request) -> None:
        path = request.url.split("/api", 1)[1] if "/api/" in request.url else None
        if path is not None and request.resource_type in ("fetch", "xhr"):
            self.seen.append(path)

    def take(self) -> list[str]:
        seen, self.seen = sorted(self.seen), []
        return seen


@pytest.fixture
def requests(mobile: Mobile) -> Iterator[ApiRequests]:
    recorder = ApiRequests()
    mobile.page.on("request", recorder)
    yield recorder
    mobile.page.remove_listener("request", recorder)


def _expected(unit_id: str, *parts: str) -> list[str]:
    return sorted(
        path.replace("{unit_id}", unit_id) for part in parts for path in app_opens.PART_REQUESTS[part]
    )


def _open(mobile: Mobile, at: datetime) -> None:
    """The resident opens the app at ``at`` (the page's clock): the home loads and the network goes quiet."""
    mobile.page.clock.set_system_time(at)
    mobile.open("/")
    expect(mobile.page.get_by_test_id("home-unit")).to_be_visible(timeout=30_000)
    expect(mobile.page.get_by_test_id("home-due")).to_be_visible()
    mobile.page.wait_for_load_state("networkidle")


def test_an_open_asks_only_for_the_parts_whose_window_has_passed(
    mobile: Mobile, tokens: dict[str, str], requests: ApiRequests, screenshots: Path | None
) -> None:
    me: Any = call(mobile.web_url, "GET", "/me", tokens[RESIDENT]).json()
    units = me["person"]["units"]
    unit_id = next((u["unit_id"] for u in units if u.get("primary")), units[0]["unit_id"])
    start = datetime.now(UTC).replace(microsecond=0)
    mobile.page.clock.set_system_time(start)
    mobile.sign_in(RESIDENT)
    expect(mobile.page.get_by_test_id("home-unit")).to_be_visible(timeout=30_000)
    mobile.page.wait_for_load_state("networkidle")
    page = mobile.page
    page.evaluate(_FORGET_HOME)
    requests.take()

    # First open: every part (5 requests: the profile is /me and the unit's label).
    _open(mobile, start + timedelta(seconds=5))
    assert requests.take() == _expected(unit_id, "profile", "unread", "repairs", "bills")
    expect(page.get_by_test_id("home-kept")).to_have_count(0)  # all fetched now: nothing to qualify
    unread = page.get_by_test_id("home-unread").inner_text()
    due = page.get_by_test_id("home-due").inner_text()

    # Back two minutes later: everything is fresh, no request; the figures say when they were fetched.
    _open(mobile, start + timedelta(minutes=2))
    assert requests.take() == []
    assert page.get_by_test_id("home-unread").inner_text() == unread
    assert page.get_by_test_id("home-due").inner_text() == due
    kept = page.get_by_test_id("home-kept")
    expect(kept).to_contain_text("更新于")
    expect(kept).to_contain_text(re.compile(r"\d{2}:\d{2}"))
    mobile.shot(screenshots, "home-kept")

    # Later the same day: the unread count and the repairs again, the bills are still fresh.
    _open(mobile, start + timedelta(minutes=11))
    assert requests.take() == _expected(unit_id, "unread", "repairs")
    expect(page.get_by_test_id("home-kept")).to_be_visible()  # the bills figure is the kept one

    # The next day: the bills too; the profile is kept for a week (not a figure: no 更新于).
    _open(mobile, start + timedelta(hours=13))
    assert requests.take() == _expected(unit_id, "unread", "repairs", "bills")
    expect(page.get_by_test_id("home-kept")).to_have_count(0)

    # A week on: everything.
    _open(mobile, start + timedelta(days=8))
    assert requests.take() == _expected(unit_id, "profile", "unread", "repairs", "bills")

    # Inside every window, a pull on the home fetches every part all the same.
    _open(mobile, start + timedelta(days=8, minutes=1))
    assert requests.take() == []
    page.evaluate(_PULL)
    expect(page.get_by_test_id("home-unit")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert requests.take() == _expected(unit_id, "profile", "unread", "repairs", "bills")


def test_the_bills_page_refreshes_the_homes_bills_without_a_request_of_its_own(
    mobile: Mobile, tokens: dict[str, str], requests: ApiRequests
) -> None:
    assert RESIDENT in tokens  # the demo's residents exist
    start = datetime.now(UTC).replace(microsecond=0)
    mobile.page.clock.set_system_time(start)
    mobile.sign_in(RESIDENT)
    expect(mobile.page.get_by_test_id("home-unit")).to_be_visible(timeout=30_000)
    mobile.page.wait_for_load_state("networkidle")
    # Thirteen hours on, the bills page's list (the same request as the home's) is the home's bills again.
    later = start + timedelta(hours=13)
    mobile.page.clock.set_system_time(later)
    requests.take()
    with mobile.page.expect_response(lambda r: "/api/bills?" in r.url):
        mobile.tab("缴费")
    assert requests.take() == ["/bills?limit=100"]
    # The answer was kept (parsed after the page read it): the home's bills are as fresh as the page's.
    mobile.page.wait_for_function(
        "(t) => Object.entries(localStorage).some(([k, v]) => k.endsWith('.bills') && JSON.parse(v).at >= t)",
        arg=int(later.timestamp() * 1000),
    )
    mobile.tab("首页")
    expect(mobile.page.get_by_test_id("home-due")).to_be_visible()
    mobile.page.wait_for_load_state("networkidle")
    # Only the busy figures, out of date since sign-in: not the bills.
    assert requests.take() == _expected("", "unread", "repairs")
