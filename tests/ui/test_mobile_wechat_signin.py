"""「微信一键登录」 is the residents' default sign-in (issue 18): the app sends the browser to WeChat's OAuth
page (the local cloud's persona stands in for it: it asks which test WeChat user holds the phone) and WeChat
sends it back to the callback with a one-time code and the app's state. The first time, the WeChat is linked
to no account: the resident proves their phone once with a texted code (a wrong one is named under the
field, in plain Chinese); the next sign-in is one tap, no code. A used WeChat code and a state this tab did
not send each end in a plain Chinese error with the two ways on. Normal and 老人模式."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData
from tests.ui.mobile import Mobile
from tests.ui.test_mobile_signin_code import _claims, _codes, _resident

WRONG_CODE = "验证码不正确或已过期，请查看短信重新输入"
USED = "微信登录已失效或已用过，请重新点「微信一键登录」"
FORGED = "这次微信登录已失效，请重新点「微信一键登录」"


def _signed_in(mobile: Mobile) -> dict[str, Any]:
    """The claims of the session the app keeps (it must keep one)."""
    saved = mobile.page.evaluate("() => localStorage.getItem('courtyard.identity.session')")
    assert saved is not None
    return _claims(json.loads(saved)["access"])


def _through_wechat(mobile: Mobile, user: str) -> None:
    """Tap 「微信一键登录」 and, on WeChat's page, let ``user`` sign in."""
    page = mobile.page
    page.get_by_test_id("wechat-signin").click()
    page.wait_for_url(re.compile(r"/wechat-api/connect/oauth2/authorize\?"))
    page.get_by_label("微信用户（本地测试）").fill(user)
    page.get_by_role("button", name="允许").click()


@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
def test_a_first_wechat_sign_in_proves_the_phone_once_and_the_next_is_one_tap(
    mobile: Mobile,
    cloud: LocalCloud,
    demo: DemoData,
    tokens: dict[str, str],
    elderly: bool,
    screenshots: Path | None,
) -> None:
    phone = _resident(cloud, demo, tokens["greenfield-manager"])
    user = f"wx-{uuid.uuid4().hex[:10]}"
    page = mobile.page
    suffix = "-elderly" if elderly else ""
    mobile.open("/signin")
    if elderly:
        page.get_by_role("switch", name="老人模式").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\belderly\b"))
    expect(page.get_by_test_id("wechat-signin")).to_have_text("微信一键登录")
    expect(page.get_by_role("heading", name="手机号登录")).to_be_visible()
    mobile.shot(screenshots, f"signin-wechat{suffix}")

    _through_wechat(mobile, user)
    page.wait_for_url(re.compile(r"/m/wechat/callback"))
    expect(page.get_by_role("heading", name="第一次用微信登录")).to_be_visible()
    mobile.shot(screenshots, f"wechat-first-phone{suffix}")
    if elderly:
        small = [(text, size) for text, size in mobile.text_sizes() if size < 20]
        assert small == [], small

    page.get_by_label("手机号").fill(phone.removeprefix("+86"))
    before = len(_codes(cloud, phone))
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_test_id("wechat-code-sent")).to_contain_text("验证码已用短信发到")
    assert wait_for(lambda: len(_codes(cloud, phone)) == before + 1, 30)
    texted = _codes(cloud, phone)[-1]
    page.get_by_label("验证码").fill("000000" if texted != "000000" else "111111")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".van-field__error-message")).to_have_text(WRONG_CODE)
    assert page.evaluate("() => localStorage.getItem('courtyard.identity.session')") is None
    mobile.shot(screenshots, f"wechat-first-code-wrong{suffix}")

    page.get_by_label("验证码").fill(texted)
    page.get_by_role("button", name="登录").click()
    expect(mobile.tabbar()).to_be_visible()
    account = _signed_in(mobile)
    assert "custom:tenant_id" in account  # the phone's account: the resident of the firm

    # Signed out, the same WeChat signs in with one tap: no phone, no code, no new text.
    page.evaluate("() => localStorage.removeItem('courtyard.identity.session')")
    mobile.open("/signin")
    _through_wechat(mobile, user)
    expect(mobile.tabbar()).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/wechat/callback|/signin"))
    assert _signed_in(mobile)["sub"] == account["sub"]
    assert len(_codes(cloud, phone)) == before + 1
    expect(page.get_by_text("正在加载")).to_have_count(0)
    mobile.shot(screenshots, f"wechat-signed-in{suffix}")
    if elderly:
        return
    # The link reaches the notifications over the bus: 通知设置 then offers WeChat as a channel, and shows the
    # switches in force (bills by e-mail start off) rather than the page's own guess.

    def offers_wechat() -> bool:
        mobile.open("/preferences")
        expect(page.locator('[data-state="loading"]')).to_have_count(0)
        return page.get_by_role("columnheader", name="微信").count() == 1

    assert wait_for(offers_wechat, 30)
    expect(page.get_by_role("checkbox", name="缴费 邮件")).to_have_attribute("aria-checked", "false")
    expect(page.get_by_role("checkbox", name="缴费 微信")).to_have_attribute("aria-checked", "true")
    mobile.shot(screenshots, "preferences-wechat")


def test_a_used_wechat_code_or_a_foreign_state_shows_a_plain_error_and_signs_nobody_in(
    mobile: Mobile, cloud: LocalCloud, screenshots: Path | None
) -> None:
    assert cloud.info is not None
    page = mobile.page
    # A code WeChat issued and that was spent already (another tab, a replayed link).
    persona = f"{cloud.pay_sandbox.url}/wechat-api/_persona/login"
    used = str(request("POST", persona, body={"user": f"wx-{uuid.uuid4().hex[:8]}"}).json()["code"])
    spent = request("POST", f"{cloud.info.api_url}/identity/wechat/sign-in", body={"code": used})
    assert spent.status == 200, spent.text

    mobile.open("/signin")
    page.get_by_test_id("wechat-signin").click()
    page.wait_for_url(re.compile(r"/wechat-api/connect/oauth2/authorize\?"))
    state = page.locator("input[name=state]").get_attribute("value")
    mobile.open(f"/wechat/callback?code={used}&state={state}")
    expect(page.get_by_test_id("wechat-failed")).to_have_text(USED)
    expect(page.get_by_role("button", name="重新微信登录")).to_be_visible()
    expect(page.get_by_text("用手机号登录")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('courtyard.identity.session')") is None
    mobile.shot(screenshots, "wechat-code-used")

    # A redirect this tab did not start (someone else's link): refused before WeChat's code is spent.
    unspent = str(request("POST", persona, body={"user": "wx-victim"}).json()["code"])
    mobile.open(f"/wechat/callback?code={unspent}&state={'f' * 32}")
    expect(page.get_by_test_id("wechat-failed")).to_have_text(FORGED)
    assert page.evaluate("() => localStorage.getItem('courtyard.identity.session')") is None
    answer = request("POST", f"{cloud.info.api_url}/identity/wechat/sign-in", body={"code": unspent})
    assert answer.status == 200  # still good: the app never spent it
    mobile.shot(screenshots, "wechat-state-forged")
