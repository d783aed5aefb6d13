"""Joining a home as a person the firm already has on record (issue 17): the invitation names the person's
number, so accepting it asks for the code the API texts to that number (the local cloud's SMS outbox is the
phone); a wrong code is named under the field in plain Chinese and joins nothing, the right one joins and
shows the home. The account is a new one, made on the invitation link with a phone number and its own code."""

from __future__ import annotations

import re
import time
import urllib.error
import uuid
from pathlib import Path

from playwright.sync_api import expect

from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import Outbox, read_outbox
from infra.seed import DemoData
from tests.ui.console import call
from tests.ui.mobile import Mobile

PASSWORD = "grandchild-pass-2026"


def _outbox(cloud: LocalCloud) -> Outbox:
    assert cloud.info is not None
    for _ in range(3):
        try:
            return read_outbox(cloud.info.aws_endpoint)
        except urllib.error.HTTPError:
            # moto's data document can fail while another thread changes what it serialises: read again.
            time.sleep(0.5)
    return read_outbox(cloud.info.aws_endpoint)


def _codes(cloud: LocalCloud, phone: str, wording: str) -> list[str]:
    """The codes texted to ``phone`` (with or without +86) whose text matches ``wording``, oldest first."""
    texts = [
        s.message
        for s in _outbox(cloud).sms
        if s.phone_number.removeprefix("+86") == phone.removeprefix("+86")
    ]
    return [m.group(1) for m in (re.search(wording, t) for t in texts) if m]


def test_joining_as_a_person_on_record_needs_the_code_texted_to_their_phone(
    mobile: Mobile, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    web, manager = mobile.web_url, tokens["greenfield-manager"]
    granny = f"139{uuid.uuid4().int % 100_000_000:08d}"
    created = call(web, "POST", "/residents", manager, {"name": "王奶奶", "phone": granny})
    assert created.status == 201, created.text
    unit_id = demo.units["greenfield"][0]
    invite = call(
        web, "POST", "/invites", manager, {"unit_id": unit_id, "relation": "family", "invitee_phone": granny}
    )
    assert invite.status == 201, invite.text
    label = call(web, "GET", f"/units/{unit_id}", manager).json()["label"]

    # A new account on the link: a phone number, a password and the code texted to that phone.
    account = f"+86138{uuid.uuid4().int % 100_000_000:08d}"
    page = mobile.page
    page.goto(invite.json()["share_link"])
    page.get_by_test_id("mode-signup").click()
    page.get_by_label("用户名").fill(account)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.locator("form").get_by_role("button", name="注册").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    assert wait_for(lambda: len(_codes(cloud, account, r"验证码是 (\d{6})")) == 1, 30)
    page.get_by_label("验证码").fill(_codes(cloud, account, r"验证码是 (\d{6})")[0])
    page.get_by_role("button", name="确定").click()

    # Back on the invitation: the person on record must prove the number first.
    step = page.get_by_test_id("invite-phone-code")
    expect(step).to_contain_text("为确认是您本人，验证码已用短信发到登记的手机", timeout=30_000)
    expect(step).not_to_contain_text(granny)  # the number shows masked
    assert wait_for(lambda: len(_codes(cloud, granny, r"验证码 (\d{6})")) == 1, 30)
    texted = _codes(cloud, granny, r"验证码 (\d{6})")[0]
    page.get_by_label("验证码").fill("000000" if texted != "000000" else "111111")
    page.get_by_role("button", name="确定加入").click()
    expect(step.locator(".van-field__error-message")).to_have_text("验证码不正确，请查看短信重新输入")
    mobile.shot(screenshots, "invite-phone-code")
    assert (
        call(web, "GET", f"/residents/{created.json()['resident_id']}", manager).json().get("has_account")
        is not True
    )

    page.get_by_label("验证码").fill(texted)
    page.get_by_role("button", name="确定加入").click()
    expect(page.get_by_test_id("invite-unit")).to_have_text(label, timeout=30_000)
    expect(page.get_by_test_id("invite-household")).to_contain_text("王奶奶")
