"""更换手机号 on a phone (issue 17): from 我的, a resident types the new number, then the code the API texts
to it (the local cloud's SMS outbox is the phone). A number someone else already has leads to the very same
code step as a free one (the page, like the API, never says which); a malformed number, a wrong code and
too many wrong codes are named under their field in plain Chinese; the right code shows the done state and
the number on record changes. Normal and 老人模式, with screenshots."""

from __future__ import annotations

import re
import time
import urllib.error
import uuid
from pathlib import Path

from playwright.sync_api import expect

from courtyard.tenancy import Role
from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import Outbox, read_outbox
from infra.seed import DEMO_PASSWORD, DemoData, sign_in
from tests.ui.console import call
from tests.ui.mobile import Mobile

CODE = r"更换物业登记的手机号，验证码 (\d{6})"


def _outbox(cloud: LocalCloud) -> Outbox:
    assert cloud.info is not None
    for _ in range(3):
        try:
            return read_outbox(cloud.info.aws_endpoint)
        except urllib.error.HTTPError:
            time.sleep(0.5)  # moto's data document can fail while another thread changes it: read again
    return read_outbox(cloud.info.aws_endpoint)


def _codes(cloud: LocalCloud, phone: str) -> list[str]:
    """The phone-change codes texted to ``phone``, oldest first."""
    texts = [s.message for s in _outbox(cloud).sms if s.phone_number.removeprefix("+86") == phone]
    return [m.group(1) for m in (re.search(CODE, t) for t in texts) if m]


def _number() -> str:
    return f"139{uuid.uuid4().int % 100_000_000:08d}"


def _newcomer(cloud: LocalCloud, demo: DemoData, tokens: dict[str, str], web: str) -> str:
    """A resident of their own (an account that joined a Greenfield unit by invitation): this story changes
    their number, so no other story's resident is touched. Their user name."""
    assert cloud.info is not None
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    invite = call(
        web, "POST", "/invites", manager, {"unit_id": demo.units["greenfield"][1], "relation": "family"}
    )
    assert invite.status == 201, invite.text
    cognito = cloud.client("cognito-idp")
    username = f"mover-{uuid.uuid4().hex[:8]}"
    cognito.admin_create_user(
        UserPoolId=cloud.info.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "name", "Value": "周阿姨"},
        ],
    )
    cognito.admin_set_user_password(
        UserPoolId=cloud.info.user_pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True
    )
    fresh = sign_in(cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, username)
    accepted = call(web, "POST", f"/invites/{invite.json()['code']}/accept", fresh, {})
    assert accepted.status == 200, accepted.text
    return username


def _open_phone_page(mobile: Mobile, username: str, elderly: bool) -> None:
    mobile.sign_in(username)
    mobile.set_elderly(elderly)
    mobile.tab("我的")
    mobile.page.get_by_text("更换手机号", exact=True).click()
    expect(mobile.page.get_by_test_id("phone-step-number")).to_be_visible()


def _code_step_text(mobile: Mobile, number: str) -> str:
    """The code step's words without the typed number and the time: what a taken and a free number share."""
    sent = mobile.page.get_by_test_id("phone-code-sent")
    expect(sent).to_be_visible()
    text = re.sub(r"\s", "", sent.inner_text())  # the page groups the number (139 1234 5678)
    assert number in text
    return re.sub(r"\d{1,2}:\d{2}", "HH:MM", text.replace(number, "NUMBER"))


def test_a_resident_changes_their_number_and_a_taken_one_looks_the_same(
    mobile: Mobile, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    web = mobile.web_url
    username = _newcomer(cloud, demo, tokens, web)
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    taken = _number()
    holder = call(web, "POST", "/residents", manager, {"name": "钱先生", "phone": taken})
    assert holder.status == 201, holder.text
    free = _number()
    _open_phone_page(mobile, username, elderly=False)
    page = mobile.page
    number_step = page.get_by_test_id("phone-step-number")

    # A malformed number is named under the field, and nothing is sent.
    page.get_by_label("新手机号").fill("12345")
    page.get_by_role("button", name="发送验证码").click()
    expect(number_step.locator(".van-field__error-message")).to_have_text(
        "请输入 11 位手机号，例如 13812345678"
    )
    mobile.shot(screenshots, "phone-number-invalid")

    # A number another resident has: the same code step as any number (the code goes to that phone).
    page.get_by_label("新手机号").fill(taken)
    page.get_by_role("button", name="发送验证码").click()
    for_taken = _code_step_text(mobile, taken)
    page.get_by_role("button", name="换一个号码").click()
    page.get_by_label("新手机号").fill(free)
    page.get_by_role("button", name="发送验证码").click()
    for_free = _code_step_text(mobile, free)
    assert for_taken == for_free
    expect(page.get_by_test_id("phone-step-code")).to_contain_text("第 2 步，共 2 步")
    mobile.shot(screenshots, "phone-code")

    assert wait_for(lambda: len(_codes(cloud, free)) == 1, 30)
    texted = _codes(cloud, free)[0]
    code_step = page.get_by_test_id("phone-step-code")
    page.get_by_label("验证码").fill("000000" if texted != "000000" else "111111")
    page.get_by_role("button", name="确认更换").click()
    expect(code_step.locator(".van-field__error-message")).to_have_text("验证码不正确，请查看短信重新输入")
    mobile.shot(screenshots, "phone-code-wrong")

    page.get_by_label("验证码").fill(texted)
    page.get_by_role("button", name="确认更换").click()
    done = page.get_by_test_id("phone-done")
    expect(done).to_contain_text("手机号已更换", timeout=30_000)
    mobile.shot(screenshots, "phone-done")
    masked = done.locator(".number").inner_text().strip()
    assert masked == f"{free[:3]}****{free[-4:]}"
    assert free not in done.inner_text()  # shown masked, as the API answers it
    page.get_by_role("button", name="返回“我的”").click()
    page.get_by_text("更换手机号", exact=True).click()
    expect(page.get_by_test_id("phone-current")).to_contain_text(free[-4:])  # the number on record now


def test_in_elderly_mode_too_many_wrong_codes_are_named_under_the_field(
    mobile: Mobile, cloud: LocalCloud, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    username = _newcomer(cloud, demo, tokens, mobile.web_url)
    number = _number()
    _open_phone_page(mobile, username, elderly=True)
    page = mobile.page
    mobile.shot(screenshots, "phone-number-elderly")
    assert mobile.axe_violations() == []

    page.get_by_label("新手机号").fill(number)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_test_id("phone-code-sent")).to_be_visible()
    assert wait_for(lambda: len(_codes(cloud, number)) == 1, 30)
    wrong = "000000" if _codes(cloud, number)[0] != "000000" else "111111"
    error = page.get_by_test_id("phone-step-code").locator(".van-field__error-message")
    for _ in range(5):  # five wrong tries lock the code
        page.get_by_label("验证码").fill(wrong)
        page.get_by_role("button", name="确认更换").click()
        expect(error).to_be_visible()
    page.get_by_label("验证码").fill(_codes(cloud, number)[0])  # even the right one, once locked
    page.get_by_role("button", name="确认更换").click()
    expect(error).to_have_text("错误次数太多，请等 10 分钟后点“重新发送”")
    mobile.shot(screenshots, "phone-code-locked-elderly")
    small = [(text, size) for text, size in mobile.text_sizes() if size < 20]
    assert small == [], small
    assert mobile.axe_violations() == []
