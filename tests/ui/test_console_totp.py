"""TOTP at the console's sign-in, in a real browser against the local cloud: a new manager's first sign-in
sets a password, adds an authenticator from the QR code (the test is the phone's app: it reads the QR and
computes RFC 6238 codes from its secret) and signs in with a fresh code; later sign-ins ask for the code at
once. A wrong code stands under the field in Chinese and signs nobody in.

The local cloud's API does not enforce TOTP (RequireMfa=false: the other stories' managers have none), so this
story serves config.json as a stage that requires it (`requireMfa: true`, what deploy_web writes from the
stack). Cognito is moto's, with codes checked and the pool's pre-token trigger run by the local cloud
(infra/local/cognito_triggers.py): the ID token the console keeps carries `mfa=totp` from functions/signin."""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, Route, expect

from infra.http import request
from infra.local.cloud import LocalCloud
from infra.local.cognito_triggers import advance_totp_clock, reset_totp_clock
from tests.totp import fresh_totp, to_next_step, wrong_totp
from tests.ui.console import Console

NEW_PASSWORD = "manager-totp-2026"
WRONG_CODE = "验证码不正确，请输入验证器上当前显示的 6 位数字"


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture(autouse=True)
def totp_clock_back() -> Iterator[None]:
    """The local Cognito's TOTP clock back on the wall clock after each story (it only ever moves on)."""
    yield
    reset_totp_clock()


@pytest.fixture
def console(page: Page, web: str) -> Console:
    def require_mfa(route: Route) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "requireMfa": True})

    page.route("**/config.json", require_mfa)
    return Console(page, web)


def _new_manager(web: str, token: str) -> tuple[str, str]:
    """A manager account made by another manager: its user name and temporary password."""
    tag = uuid.uuid4().hex[:6]
    answer = request(
        "POST",
        f"{web}/api/staff",
        token=token,
        body={
            "name": f"钱经理{tag[:2]}",
            "phone": f"1390{int(tag, 16) % 10_000_000:07d}",
            "email": f"mgr-{tag}@greenfield.example",
            "roles": ["manager"],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status == 201, answer.text
    created: dict[str, Any] = answer.json()
    return str(created["username"]), str(created["temporary_password"])


def _kept_claims(page: Page) -> dict[str, Any]:
    kept = json.loads(page.evaluate("() => localStorage.getItem('courtyard.auth')"))
    payload = kept["idToken"].split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_a_new_manager_adds_an_authenticator_and_then_signs_in_with_its_code(
    console: Console, web: str, tokens: dict[str, str], screenshots: Path | None
) -> None:
    username, temporary = _new_manager(web, tokens["greenfield-manager"])
    page = console.page
    console.open("/signin")
    console.fill_sign_in(username, temporary)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="设置密码并登录").click()

    # The setup step: a QR code of the otpauth URI and the same key to type by hand.
    setup = page.get_by_test_id("totp-setup")
    expect(page.get_by_role("heading", name="绑定验证器（只需一次）")).to_be_visible()
    qr = page.get_by_role("img", name="验证器二维码")
    expect(qr).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    read = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    uri = urlparse(read[0].text)
    assert (uri.scheme, uri.netloc, unquote(uri.path)) == ("otpauth", "totp", f"/Courtyard:{username}")
    assert parse_qs(uri.query)["secret"] == [secret]
    console.shot(screenshots, "signin-totp-setup")
    # Still nobody signed in: the manager's password alone opens nothing.
    assert page.evaluate("() => localStorage.getItem('courtyard.auth')") is None

    page.get_by_label("验证码").fill(wrong_totp(secret))
    page.get_by_role("button", name="绑定并登录").click()
    expect(setup.locator(".el-form-item__error")).to_have_text(WRONG_CODE)
    console.shot(screenshots, "signin-totp-wrong")

    first = fresh_totp(secret)
    page.get_by_label("验证码").fill(first)
    page.get_by_role("button", name="绑定并登录").click()
    # Added: Cognito now asks for a code at sign-in, and a code is good once.
    step = page.get_by_test_id("totp-code")
    expect(step).to_contain_text("绑定成功")
    # A code is good once: the sign-in takes the next step's code. The authenticator's clock and the local
    # Cognito's move on to that step together rather than the story waiting up to 30 s for it.
    advance_totp_clock(to_next_step())
    page.get_by_label("验证码").fill(fresh_totp(secret, unlike=first))
    page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.get_by_test_id("firm-name")).not_to_be_empty()
    assert _kept_claims(page)["mfa"] == "totp"

    # The next sign-in asks for the code straight after the password.
    console.sign_out()
    console.fill_sign_in(username, NEW_PASSWORD)
    step = page.get_by_test_id("totp-code")
    expect(page.get_by_role("heading", name="输入动态验证码")).to_be_visible()
    console.shot(screenshots, "signin-totp-code")
    page.get_by_label("验证码").fill("12345")
    page.get_by_role("button", name="验证并登录").click()
    expect(step.locator(".el-form-item__error")).to_have_text("请输入 6 位数字验证码")
    page.get_by_label("验证码").fill(wrong_totp(secret))
    page.get_by_role("button", name="验证并登录").click()
    expect(step.locator(".el-form-item__error")).to_have_text(WRONG_CODE)
    page.get_by_label("验证码").fill(fresh_totp(secret))
    page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    assert _kept_claims(page)["mfa"] == "totp"
