"""The residents' app on a phone (390x844, touch, zh-CN), signing in through the form, on the local cloud."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.ui.mobile import Mobile


def test_a_resident_signs_in_on_a_phone_and_sees_the_four_tabs(
    mobile: Mobile, screenshots: Path | None
) -> None:
    mobile.open("/")
    expect(mobile.page).to_have_url(f"{mobile.web_url}/m/signin")
    mobile.shot(screenshots, "signin")
    mobile.sign_in("greenfield-resident")
    tabs = mobile.page.locator(".van-tabbar-item").all_inner_texts()
    assert [t.strip() for t in tabs] == ["首页", "报修", "缴费", "我的"]
