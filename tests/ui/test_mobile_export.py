"""导出我的数据 on a phone (issue 17): a resident starts the export from 我的, sees each part tick off as the
features' consumers write it on the local cloud (the bus carries PersonalDataExportRequested to their queues,
built from template.yaml), then downloads the JSON and the ZIP through the five-minute links. A failed start
(no network) says so in plain Chinese and a second press works."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from pathlib import Path

from playwright.sync_api import Route, expect

from infra.local.cloud import LocalCloud
from tests.ui.console import call
from tests.ui.mobile import Mobile

RESIDENT = "greenfield-resident"
PARTS = ("个人资料和房屋", "报修记录", "账单和缴费", "访客通行证", "消息和通知设置")


def fetched(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body: bytes = answer.read()
        return body


def test_a_resident_exports_her_data_and_downloads_json_and_zip(
    mobile: Mobile, cloud: LocalCloud, tokens: dict[str, str], screenshots: Path | None
) -> None:
    page = mobile.page
    mobile.sign_in(RESIDENT)
    mobile.tab("我的")
    page.get_by_text("导出我的数据", exact=True).click()
    expect(page.get_by_text("别人的姓名和电话不会包含在内", exact=False)).to_be_visible()
    mobile.shot(screenshots, "export-intro")

    def offline(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route("**/me/exports", offline)
    page.get_by_role("button", name="开始导出").click()
    expect(page.get_by_role("alert")).to_contain_text("网络连接失败")
    mobile.shot(screenshots, "export-offline")
    page.unroute("**/me/exports", offline)

    page.get_by_role("button", name="开始导出").click()
    for part in PARTS:
        expect(page.get_by_text(part, exact=True)).to_be_visible()
    expect(page.get_by_text("已整理好，可以下载了")).to_be_visible(timeout=90_000)
    mobile.shot(screenshots, "export-ready")

    json_url = page.get_by_role("link", name="下载 JSON 文件").get_attribute("href")
    zip_url = page.get_by_role("link", name="下载 ZIP 压缩包").get_attribute("href")
    assert json_url
    assert zip_url
    document = json.loads(fetched(json_url))
    assert set(document) >= {"directory", "tickets", "payments", "visitors", "notifications"}
    with zipfile.ZipFile(io.BytesIO(fetched(zip_url))) as archive:
        assert json.loads(archive.read("export.json")) == document
    me = call(mobile.web_url, "GET", "/me", tokens[RESIDENT]).json()
    assert document["directory"]["person"]["person_id"] == me["person"]["person_id"]

    # Leaving and coming back resumes the same export, with fresh links.
    mobile.tab("我的")
    page.get_by_text("导出我的数据", exact=True).click()
    expect(page.get_by_text("已整理好，可以下载了")).to_be_visible()
