"""The gate without network uses the community's signed revocation list: the guard's phone fetches it with
today's passes (and the public keys), verifies and keeps it; offline, a pass the resident revoked is refused
on the phone's own verdict, a valid single-use pass is admitted (its list is fresh, within the pass's offline
validity), a pass of another firm is refused as such (the gate keeps its own firm's keys only), and the scans
wait, then upload when the network returns. The rules themselves (forged or foreign lists, a list older than
`ol`) are web/mobile/test/offline.test.ts."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from infra.http import request
from infra.local.cloud import LocalCloud
from infra.seed import DEMO_PASSWORD, DemoData
from tests.ui.console import call
from tests.ui.mobile import PHONE, Mobile


def _issue(web: str, token: str, name: str, entries: int) -> dict[str, Any]:
    answer = request(
        "POST",
        f"{web}/api/passes",
        token=token,
        body={"visitor_name": name, "entries_allowed": entries},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status == 201, answer.text
    issued: dict[str, Any] = answer.json()
    return issued


def _guard_phone(browser: Browser, browser_context_args: dict[str, Any], web: str) -> Mobile:
    context = browser.new_context(
        **{
            **browser_context_args,
            "viewport": PHONE,
            "screen": PHONE,
            "is_mobile": True,
            "has_touch": True,
            "device_scale_factor": 2,
            "service_workers": "block",
        }
    )
    return Mobile(context.new_page(), web)


def test_an_offline_gate_refuses_a_revoked_pass_and_admits_a_valid_one_from_its_signed_list(
    browser: Browser,
    browser_context_args: dict[str, Any],
    cloud: LocalCloud,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    assert cloud.info is not None
    web = cloud.info.web_url
    resident, manager = tokens["greenfield-resident"], tokens["greenfield-manager"]
    revoked = _issue(web, resident, "撤销的访客", 3)
    valid = _issue(web, resident, "按时的访客", 1)
    foreign = _issue(web, tokens["harbour-resident"], "别家的访客", 1)
    assert call(web, "DELETE", f"/passes/{revoked['pass_id']}", resident).status == 200

    guard = _guard_phone(browser, browser_context_args, web)
    try:
        guard.open("/signin")
        guard.fill_sign_in("greenfield-guard", DEMO_PASSWORD)
        page = guard.page
        expect(page.locator(".van-nav-bar__title")).to_have_text("门岗")
        # Online once: the keys, today's passes and the signed list (its time is shown to the guard).
        expect(page.get_by_text("按时的访客")).to_be_visible()
        expect(page.get_by_test_id("revocation-list")).to_have_text(re.compile(r"^撤销名单 .+ 更新$"))
        kept = page.evaluate(
            "(site) => localStorage.getItem('courtyard.gate.revocations.' + site)", demo.sites["greenfield"]
        )
        assert kept is not None
        assert kept.count(".") == 2
        # The gate's firm's keys, kept under its id: exactly what the API publishes for that firm.
        firm = demo.tenants["greenfield"]
        keys = page.evaluate("(firm) => localStorage.getItem('courtyard.passKeys.' + firm)", firm)
        published = request("GET", f"{web}/api/passes/keys?tenant_id={firm}").json()
        assert keys is not None
        assert {k["kid"] for k in json.loads(keys)["keys"]} == {k["kid"] for k in published["keys"]}

        page.context.set_offline(True)
        expect(page.get_by_test_id("network")).to_have_text("离线")
        page.get_by_label("通行码/车牌").fill(revoked["token"])
        page.get_by_role("button", name="核验", exact=True).click()
        deny = page.get_by_test_id("gate-deny")
        expect(deny).to_contain_text("业主已撤销这张通行证")
        expect(deny).to_contain_text("离线核验")
        guard.shot(screenshots, "guard-offline-revoked")
        deny.click()

        page.get_by_label("通行码/车牌").fill(valid["token"])
        page.get_by_role("button", name="核验", exact=True).click()
        allow = page.get_by_test_id("gate-allow")
        expect(allow).to_contain_text("按时的访客")
        expect(allow).to_contain_text("离线核验")
        allow.click()

        page.get_by_label("通行码/车牌").fill(foreign["token"])
        page.get_by_role("button", name="核验", exact=True).click()
        other_firm = page.get_by_test_id("gate-deny")
        expect(other_firm).to_contain_text("不是本物业的通行证")
        guard.shot(screenshots, "guard-offline-other-firm")
        other_firm.click()
        expect(page.get_by_test_id("waiting")).to_have_text("3 条扫码记录等待上传")

        page.context.set_offline(False)
        expect(page.get_by_test_id("waiting")).to_have_count(0)
        visits = call(web, "GET", f"/sites/{demo.sites['greenfield']}/visits?limit=100", manager).json()[
            "items"
        ]
        verdicts = {
            v["pass_id"]: v["verdict"]
            for v in visits
            if v["pass_id"] in (revoked["pass_id"], valid["pass_id"])
        }
        assert verdicts == {revoked["pass_id"]: "deny", valid["pass_id"]: "allow"}
        after = call(web, "GET", f"/passes/{valid['pass_id']}", resident).json()
        assert after["entries_used"] == 1
    finally:
        guard.page.context.close()
