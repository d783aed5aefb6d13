"""A resident signs in on a new phone (issue 18): Courtyard identity texts a code (the local cloud's SMS
outbox is the phone), the app asks for it, a wrong code is named under the field in plain Chinese and signs
nobody in, the right one signs in. Normal and 老人模式 (chosen on the sign-in page itself: a new phone knows
no account's choice yet). Each phone is a fresh browser context: nothing is known about it."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import read_outbox
from infra.seed import DemoData
from tests.ui.mobile import Mobile

PASSWORD = "a resident's password"
WRONG_CODE = "验证码不正确或已过期，请查看短信重新输入"


def _codes(cloud: LocalCloud, phone: str) -> list[str]:
    """The sign-in codes texted to ``phone``, oldest first."""
    assert cloud.info is not None
    for _ in range(3):
        try:
            outbox = read_outbox(cloud.info.aws_endpoint)
            break
        except urllib.error.HTTPError:
            # moto's data document can fail while another thread changes what it serialises: read again.
            time.sleep(0.5)
    else:
        outbox = read_outbox(cloud.info.aws_endpoint)
    texts = [s.message for s in outbox.sms if s.phone_number == phone]
    return [m.group(1) for m in (re.search(r"验证码是 (\d{6})", t) for t in texts) if m]


def _claims(access_token: str) -> dict[str, Any]:
    payload = access_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _resident(cloud: LocalCloud, demo: DemoData, manager: str) -> str:
    """A resident with a home: an account confirmed on another phone (its own texted code) that accepted the
    firm's invitation to a unit. Returns the number."""
    assert cloud.info is not None
    api = cloud.info.api_url
    phone = f"+86139{uuid.uuid4().int % 100_000_000:08d}"
    first_phone = {"phone": phone, "password": PASSWORD, "device_id": f"first-phone-{uuid.uuid4()}"}
    assert request("POST", f"{api}/identity/sign-up", body=first_phone).status == 202
    assert wait_for(lambda: len(_codes(cloud, phone)) == 1, 30)
    body = {"phone": phone, "code": _codes(cloud, phone)[0], "device_id": first_phone["device_id"]}
    confirmed = request("POST", f"{api}/identity/confirm", body=body)
    assert confirmed.status == 200, confirmed.text
    invite = request(
        "POST",
        f"{api}/invites",
        token=manager,
        body={"unit_id": demo.units["greenfield"][0], "relation": "family"},
    )
    assert invite.status == 201, invite.text
    accepted = request(
        "POST",
        f"{api}/invites/{invite.json()['code']}/accept",
        token=confirmed.json()["access_token"],
        body={},
    )
    assert accepted.status in (200, 201), accepted.text

    def bound() -> bool:
        answer = request("POST", f"{api}/identity/sign-in", body=first_phone)
        return answer.status == 200 and "custom:tenant_id" in _claims(answer.json()["access_token"])

    # The account is bound to the firm when identity consumes the ResidentRegistered event.
    assert wait_for(bound, 30, interval_s=0.5)
    return phone


@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
def test_a_resident_on_a_new_phone_signs_in_with_the_texted_code(
    mobile: Mobile,
    cloud: LocalCloud,
    demo: DemoData,
    tokens: dict[str, str],
    elderly: bool,
    screenshots: Path | None,
) -> None:
    phone = _resident(cloud, demo, tokens["greenfield-manager"])
    page = mobile.page
    mobile.open("/signin")
    if elderly:
        page.get_by_role("switch", name="老人模式").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\belderly\b"))
    mobile.fill_sign_in(phone, PASSWORD)

    # A new phone: a second code is texted and the app asks for it, saying where it went.
    expect(page.get_by_test_id("code-sent")).to_have_text(
        f"这是一部新手机：验证码已用短信发到 {phone}，请输入"
    )
    assert wait_for(lambda: len(_codes(cloud, phone)) == 2, 30)
    texted = _codes(cloud, phone)[-1]
    assert page.evaluate("() => localStorage.getItem('courtyard.identity.session')") is None
    suffix = "-elderly" if elderly else ""
    mobile.shot(screenshots, f"signin-code{suffix}")

    page.get_by_label("验证码").fill("000000" if texted != "000000" else "111111")
    page.get_by_role("button", name="确定").click()
    expect(page.locator(".van-field__error-message")).to_have_text(WRONG_CODE)
    assert page.evaluate("() => localStorage.getItem('courtyard.identity.session')") is None
    mobile.shot(screenshots, f"signin-code-wrong{suffix}")
    if elderly:
        small = [(text, size) for text, size in mobile.text_sizes() if size < 20]
        assert small == [], small

    page.get_by_label("验证码").fill(texted)
    page.get_by_role("button", name="确定").click()
    expect(mobile.tabbar()).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/signin"))
    assert page.evaluate("() => localStorage.getItem('courtyard.identity.session')") is not None
    # This phone is known now: signing in from it again texts nothing.
    device = page.evaluate("() => localStorage.getItem('courtyard.identity.device')")
    assert cloud.info is not None
    again = request(
        "POST",
        f"{cloud.info.api_url}/identity/sign-in",
        body={"phone": phone, "password": PASSWORD, "device_id": device},
    )
    assert again.status == 200, again.text
    assert "access_token" in again.json()
    assert len(_codes(cloud, phone)) == 2
