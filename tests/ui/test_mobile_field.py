"""The field stories on a phone (390x844, touch, zh-CN) against the local cloud, signing in through the form:
a resident's visitor pass, the visitor's page (no account), the guard's gate online (through the camera) and
offline (a typed code), and the technician's jobs. Each actor has their own phone (browser context): nothing
is shared but the API."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, BrowserType, expect

from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.local.outbox import read_outbox
from infra.seed import DEMO_PASSWORD, DemoData
from tests.ui.console import call
from tests.ui.mobile import PHONE, Mobile, fake_camera_feed

ONLY_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@pytest.fixture
def phone(browser: Browser, browser_context_args: dict[str, Any], cloud: LocalCloud) -> Iterator[Any]:
    """Opens another phone (a fresh context) per call, closed at the end of the test."""
    assert cloud.info is not None
    web_url = cloud.info.web_url
    contexts: list[Any] = []

    def open_phone() -> Mobile:
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
        contexts.append(context)
        return Mobile(context.new_page(), web_url)

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def camera_phone(
    browser_type: BrowserType,
    browser_type_launch_args: dict[str, Any],
    browser_context_args: dict[str, Any],
    cloud: LocalCloud,
) -> Iterator[Any]:
    """Opens a phone whose camera films ``video`` (a Y4M file): a browser of its own, since Chromium takes its
    fake camera at launch. The fake UI answers the permission prompt; the context grants the camera too."""
    assert cloud.info is not None
    web_url = cloud.info.web_url
    browsers: list[Any] = []

    def open_phone(video: Path) -> Mobile:
        launched = browser_type.launch(
            **{
                **browser_type_launch_args,
                "args": [
                    *browser_type_launch_args.get("args", []),
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
            }
        )
        browsers.append(launched)
        context = launched.new_context(
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
        context.grant_permissions(["camera"], origin=web_url)
        return Mobile(context.new_page(), web_url)

    yield open_phone
    for launched in browsers:
        launched.close()


@pytest.fixture
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


def _staff_sign_in(phone: Mobile, username: str, title: str) -> None:
    """Staff sign in on the same form and land on their own screen (no residents' tabs)."""
    phone.open("/signin")
    phone.fill_sign_in(username, DEMO_PASSWORD)
    expect(phone.page.locator(".van-nav-bar__title")).to_have_text(title)


def _issue_pass(web: str, token: str, name: str) -> dict[str, Any]:
    answer = request(
        "POST",
        f"{web}/api/passes",
        token=token,
        body={"visitor_name": name, "entries_allowed": 1},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _decode_qr(png: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=ONLY_QR)]


def _visits(web: str, token: str, site: str) -> list[dict[str, Any]]:
    answer = call(web, "GET", f"/sites/{site}/visits?limit=100", token)
    assert answer.status == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_resident_issues_a_pass_the_visitor_shows_its_qr_and_the_guards_camera_admits_once(
    mobile: Mobile,
    phone: Any,
    camera_phone: Any,
    web: str,
    tokens: dict[str, str],
    tmp_path: Path,
    screenshots: Path | None,
) -> None:
    resident = mobile
    resident.sign_in("greenfield-resident")
    resident.open("/visitors")
    resident.page.get_by_test_id("new-pass").click()
    resident.page.get_by_label("访客姓名").fill("王阿姨")
    resident.page.get_by_text("1 天", exact=True).click()
    resident.page.get_by_role("button", name="生成通行证").click()
    # The QR opens full screen for the gate; it is drawn from the token on the phone.
    full = resident.page.get_by_role("dialog", name="访客通行二维码")
    expect(full).to_be_visible(timeout=30_000)  # issuing signs with KMS: slow on a loaded machine
    resident.shot(screenshots, "pass-qr")
    pass_id = resident.page.url.split("/visitors/")[1].split("?")[0]
    issued = call(web, "GET", f"/passes/{pass_id}", tokens["greenfield-resident"]).json()
    assert _decode_qr(full.get_by_role("img").screenshot()) == [issued["token"]]
    full.click()
    expect(resident.page.get_by_test_id("share-pass")).to_be_visible()

    # The visitor opens the share link on their own phone, without an account.
    visitor = phone()
    # The link's host is the PassShareBaseUrl parameter: the local cloud sets it to the edge's /m app.
    assert issued["share_url"] == f"{web}/m/v#{issued['token']}"
    visitor.page.goto(issued["share_url"])
    qr = visitor.page.get_by_role("img", name="通行二维码")
    expect(qr).to_be_visible()
    # The firm, the unit and the entries come from the public POST /passes/view (the token is the credential).
    expect(visitor.page.get_by_text("绿城物业 Greenfield Property")).to_be_visible()
    expect(visitor.page.get_by_test_id("entries-left")).to_contain_text("还可进入 1 次（共 1 次）")
    expect(visitor.page.get_by_test_id("pass-problem")).to_have_count(0)
    visitor.shot(screenshots, "visitor-pass")
    scanned = _decode_qr(qr.screenshot())
    assert scanned == [issued["token"]]

    # The guard points the gate phone's camera at the visitor's screen: the scanner (@zxing/browser) reads the
    # QR from the video. Allowed once, then denied (single use), as the API counts.
    guard = camera_phone(fake_camera_feed(qr.screenshot(), tmp_path / "visitor-qr.y4m"))
    _staff_sign_in(guard, "greenfield-guard", "门岗")
    guard.page.get_by_role("button", name="扫码核验").click()
    allow = guard.page.get_by_test_id("gate-allow")
    # A loaded machine decodes slowly (zxing in JavaScript, a frame every half second): a generous wait.
    expect(allow).to_contain_text("王阿姨", timeout=30_000)
    expect(allow).to_contain_text("放行")
    expect(allow).to_contain_text(f"到访 {issued['unit_label']}")
    expect(guard.page.get_by_role("dialog", name="扫码核验")).to_have_count(0)  # the camera closed
    guard.shot(screenshots, "guard-allow")
    allow.click()
    guard.page.get_by_role("button", name="扫码核验").click()
    deny = guard.page.get_by_test_id("gate-deny")
    expect(deny).to_contain_text("通行次数已用完", timeout=30_000)
    guard.shot(screenshots, "guard-deny")

    after = call(web, "GET", f"/passes/{pass_id}", tokens["greenfield-resident"]).json()
    assert after["entries_used"] == 1
    # The visitor's page now says so plainly, and shows no QR.
    visitor.page.reload()
    expect(visitor.page.get_by_test_id("pass-problem")).to_contain_text("进入次数已用完")
    expect(visitor.page.get_by_role("img", name="通行二维码")).to_have_count(0)
    entries = call(web, "GET", f"/passes/{pass_id}/entries", tokens["greenfield-resident"]).json()["items"]
    assert sorted(e["verdict"] for e in entries) == ["allow", "deny"]


def test_a_guard_without_network_verifies_a_pass_and_uploads_the_scan_when_back_online(
    phone: Any, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    issued = _issue_pass(web, tokens["greenfield-resident"], "离线访客")
    guard = phone()
    _staff_sign_in(guard, "greenfield-guard", "门岗")
    # Online once: the gate keeps the public keys and today's passes.
    expect(guard.page.get_by_text("离线访客")).to_be_visible()
    guard.shot(screenshots, "guard")
    guard.page.context.set_offline(True)
    expect(guard.page.get_by_test_id("network")).to_have_text("离线")
    guard.page.get_by_label("通行码/车牌").fill(issued["token"])
    guard.page.get_by_role("button", name="核验", exact=True).click()
    allow = guard.page.get_by_test_id("gate-allow")
    expect(allow).to_contain_text("离线访客")
    expect(allow).to_contain_text("离线核验")
    allow.click()
    expect(guard.page.get_by_test_id("waiting")).to_have_text("1 条扫码记录等待上传")
    manager, site = tokens["greenfield-manager"], demo.sites["greenfield"]
    assert [v for v in _visits(web, manager, site) if v["pass_id"] == issued["pass_id"]] == []

    guard.page.context.set_offline(False)
    expect(guard.page.get_by_test_id("waiting")).to_have_count(0)
    logged = [v for v in _visits(web, manager, site) if v["pass_id"] == issued["pass_id"]]
    assert [v["verdict"] for v in logged] == ["allow"]
    after = call(web, "GET", f"/passes/{issued['pass_id']}", tokens["greenfield-resident"]).json()
    assert after["entries_used"] == 1


def test_a_technician_accepts_and_resolves_a_job_on_the_phone(
    phone: Any, web: str, tokens: dict[str, str], screenshots: Path | None
) -> None:
    filed = call(
        web,
        "POST",
        "/tickets",
        tokens["greenfield-resident"],
        {"category": "plumbing", "description": "卫生间水龙头一直滴水"},
    )
    assert filed.status == 201, filed.text
    ticket_id = filed.json()["ticket_id"]
    tech = phone()
    _staff_sign_in(tech, "greenfield-technician", "我的工单")
    job = tech.page.get_by_test_id("job").filter(has_text="卫生间水龙头一直滴水")
    expect(job).to_be_visible()
    tech.shot(screenshots, "tech-jobs")
    job.click()
    expect(tech.page.get_by_test_id("job-status")).to_be_visible()
    tech.shot(screenshots, "tech-job")
    tech.page.get_by_role("button", name="接单").click()
    expect(tech.page.get_by_test_id("job-status")).to_have_text("已接单")
    tech.page.get_by_role("button", name="开始维修").click()
    expect(tech.page.get_by_test_id("job-status")).to_have_text("维修中")
    tech.page.get_by_role("button", name="完成维修").click()
    expect(tech.page.get_by_text("请填写维修说明")).to_be_visible()
    tech.page.get_by_label("维修说明").fill("更换了水龙头阀芯")
    tech.page.get_by_role("button", name="完成维修").click()
    expect(tech.page.get_by_test_id("job").filter(has_text="卫生间水龙头一直滴水")).to_have_count(0)

    ticket = call(web, "GET", f"/tickets/{ticket_id}", tokens["greenfield-resident"]).json()
    assert ticket["status"] == "resolved"


def test_the_visitors_page_opened_once_still_shows_the_pass_without_network(
    browser: Browser, browser_context_args: dict[str, Any], web: str, tokens: dict[str, str]
) -> None:
    issued = _issue_pass(web, tokens["greenfield-resident"], "离线的访客")
    # This phone lets the app's service worker run (the other stories block it to see the edge's answers).
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    try:
        page = context.new_page()
        page.goto(issued["share_url"])
        expect(page.get_by_test_id("entries-left")).to_be_visible()
        page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        page.reload()  # now controlled: the worker has seen config.json and the app's files
        expect(page.get_by_test_id("entries-left")).to_be_visible()

        context.set_offline(True)
        page.reload()
        expect(page.get_by_role("img", name="通行二维码")).to_be_visible()
        expect(page.get_by_text("离线的访客")).to_be_visible()
        expect(page.get_by_text("网络不通，显示的是")).to_be_visible()
    finally:
        context.close()


def test_a_resident_revokes_a_pass_and_the_visitors_page_says_so(
    mobile: Mobile, phone: Any, web: str, tokens: dict[str, str]
) -> None:
    issued = _issue_pass(web, tokens["greenfield-resident"], "撤销的访客")
    mobile.sign_in("greenfield-resident")
    mobile.open(f"/visitors/{issued['pass_id']}")
    mobile.page.get_by_role("button", name="撤销通行证").click()
    mobile.page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(mobile.page.get_by_test_id("pass-unusable")).to_have_text("已撤销")
    assert call(web, "GET", f"/passes/{issued['pass_id']}", tokens["greenfield-resident"]).json()[
        "status"
    ] == ("revoked")

    visitor = phone()
    visitor.page.goto(issued["share_url"])
    expect(visitor.page.get_by_test_id("pass-problem")).to_contain_text("已被业主撤销")
    expect(visitor.page.get_by_role("img", name="通行二维码")).to_have_count(0)


def _pushed_job(cloud: LocalCloud, ticket_id: str) -> str | None:
    """The FCM message the local cloud captured for ``ticket_id`` (SNS's "GCM" payload), once sent."""
    assert cloud.info is not None
    for push in read_outbox(cloud.info.aws_endpoint).pushes:
        fcm = json.loads(json.loads(push.raw).get("GCM", "{}"))
        if fcm.get("data", {}).get("ticket_id") == ticket_id:
            return json.dumps(fcm, ensure_ascii=False)
    return None


def test_a_new_job_reaches_the_technicians_phone_as_push_and_the_list_shows_it_at_once(
    browser: Browser,
    browser_context_args: dict[str, Any],
    cloud: LocalCloud,
    web: str,
    tokens: dict[str, str],
) -> None:
    """The phone's FCM token is registered through the API here: issuing one needs Google's FCM, which the
    local cloud cannot reach (the app's registration is tested in web/mobile/test/push.test.ts). From there on
    it is the product's path: dispatch, the TicketAssigned event, the sender's SNS push (captured in the
    outbox), and that very message delivered to the app's service worker through the DevTools protocol, as
    FCM would hand it to the phone."""
    # This phone runs the app's service worker (push lands there) and may show notifications.
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "screen": PHONE, "is_mobile": True, "has_touch": True}
    )
    try:
        context.grant_permissions(["notifications"], origin=web)
        tech = Mobile(context.new_page(), web)
        _staff_sign_in(tech, "greenfield-technician", "我的工单")
        tech.page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        device = request(
            "POST",
            f"{web}/api/me/push-endpoints",
            token=tokens["greenfield-technician"],
            body={"platform": "fcm", "token": f"ui-technician-phone-{uuid.uuid4().hex}"},
        )
        assert device.status == 201, device.text

        filed = call(
            web,
            "POST",
            "/tickets",
            tokens["greenfield-resident"],
            {"category": "plumbing", "description": "阳台地漏堵了"},
        )
        assert filed.status == 201, filed.text
        ticket_id = filed.json()["ticket_id"]
        assert wait_for(lambda: _pushed_job(cloud, ticket_id) is not None, timeout_s=60, interval_s=0.5)
        job = tech.page.get_by_test_id("job").filter(has_text="阳台地漏堵了")
        expect(job).to_have_count(0)  # the page has not been reloaded yet

        cdp = context.new_cdp_session(tech.page)
        registrations: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        for _ in range(100):  # CDP events arrive while Playwright waits, not while Python sleeps
            if any(r["scopeURL"] == f"{web}/m/" for r in registrations):
                break
            tech.page.wait_for_timeout(100)
        [registration] = [r for r in registrations if r["scopeURL"] == f"{web}/m/" and not r["isDeleted"]][:1]
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": web,
                "registrationId": registration["registrationId"],
                "data": _pushed_job(cloud, ticket_id),
            },
        )
        # No tap: the worker told the page, which read the list again.
        expect(job).to_be_visible(timeout=15_000)
        shown = tech.page.evaluate(
            "async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => n.title)"
        )
        assert any(title.startswith("新工单") for title in shown), shown

        # Back to the app (the screen shows it again): a job dispatched meanwhile is there without a tap.
        again = call(
            web,
            "POST",
            "/tickets",
            tokens["greenfield-resident"],
            {"category": "plumbing", "description": "厨房下水慢"},
        )
        assert again.status == 201, again.text
        assert wait_for(
            lambda: (
                call(
                    web, "GET", f"/tickets/{again.json()['ticket_id']}", tokens["greenfield-resident"]
                ).json()["status"]
                == "assigned"
            ),
            timeout_s=30,
            interval_s=0.3,
        )
        tech.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(tech.page.get_by_test_id("job").filter(has_text="厨房下水慢")).to_be_visible()
    finally:
        context.close()
