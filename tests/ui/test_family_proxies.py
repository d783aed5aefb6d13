"""子女代办 on a phone (issue 19): the parent invites her son by name and sees the code to pass on; the son,
signed in with his own account from another city, accepts it; the parent sees the link active and revokes it
(a confirm dialog), and the son no longer sees her bills."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import expect

from infra.local.cloud import LocalCloud
from infra.seed import DEMO_PASSWORD, sign_in
from tests.ui.console import call
from tests.ui.mobile import Mobile

RESIDENT = "greenfield-resident"


def test_a_parent_invites_her_son_as_proxy_and_revokes_him(
    mobile: Mobile, cloud: LocalCloud, tokens: dict[str, str], screenshots: Path | None
) -> None:
    web = mobile.web_url
    mobile.sign_in(RESIDENT)
    mobile.tab("我的")
    mobile.page.get_by_text("子女代办", exact=True).click()
    page = mobile.page
    page.get_by_role("button", name="邀请家人代办").click()
    expect(page.get_by_text("请填写家人姓名")).to_be_visible()  # the error next to the field
    page.get_by_label("家人姓名").fill("张小明")
    page.get_by_role("button", name="邀请家人代办").click()
    card = page.get_by_test_id("proxy-code")
    expect(card).to_contain_text("请把下面的代办码发给张小明")
    code = card.locator(".code").inner_text().strip()
    expect(page.get_by_test_id("proxy-helper")).to_contain_text("等待对方确认")
    mobile.shot(screenshots, "proxies-invited")

    # The son, in another city, with his own account (no firm yet), accepts the code.
    assert cloud.info is not None
    cognito = cloud.client("cognito-idp")
    username = f"son-{uuid.uuid4().hex[:8]}"
    cognito.admin_create_user(
        UserPoolId=cloud.info.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "name", "Value": "张小明"},
        ],
    )
    cognito.admin_set_user_password(
        UserPoolId=cloud.info.user_pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True
    )
    fresh = sign_in(cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, username)
    accepted = call(web, "POST", "/proxies/accept", fresh, {"code": code})
    assert accepted.status == 200, accepted.text
    son = sign_in(
        cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, username
    )  # now of the firm
    parents_bills = call(web, "GET", "/bills", tokens[RESIDENT]).json()["items"]
    assert call(web, "GET", "/bills", son).json()["items"] == parents_bills

    page.reload()
    expect(page.get_by_test_id("proxy-helper")).to_contain_text("已生效")
    page.get_by_role("button", name="取消代办").click()
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_test_id("proxy-helper")).to_have_count(0)
    expect(page.get_by_text("还没有家人帮您代办")).to_be_visible()
    mobile.shot(screenshots, "proxies-revoked")
    assert call(web, "GET", "/bills", son).json()["items"] == []
