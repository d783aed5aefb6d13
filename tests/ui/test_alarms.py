"""Devices and alarms in a real browser: a smoke alarm published by the device simulator over the local MQTT
broker reaches the live alarm board, stays on top highlighted with a sound until a technician acknowledges it
there (and the API agrees); a manager registers a device and downloads its certificate bundle, shown once."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from infra.local.cloud import LocalCloud, wait_for
from infra.seed import DemoData
from iot.simulator import LocalBroker, connected, publish_event, publish_readings
from tests.ui.console import Console, call


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


def _register(web: str, token: str, site_id: str, kind: str, name: str, location: str) -> dict[str, Any]:
    answer = call(
        web, "POST", "/devices", token, {"site_id": site_id, "kind": kind, "name": name, "location": location}
    )
    assert answer.status == 201, answer.text
    return dict(answer.json()["device"])


def _open_alarms(web: str, token: str, device_id: str) -> list[dict[str, Any]]:
    items = call(web, "GET", "/alarms?status=active&limit=100", token).json()["items"]
    return [a for a in items if a["device_id"] == device_id]


def test_a_smoke_alarm_from_the_simulator_is_acknowledged_on_the_board(
    console: Console,
    cloud: LocalCloud,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    assert cloud.info is not None
    tenant_id, site_id = demo.tenants["greenfield"], demo.sites["greenfield"]
    name = f"3栋烟感 {uuid.uuid4().hex[:4]}"
    # A quieter device first, so the board shows the critical alarm above an ordinary one.
    lift = _register(web, tokens["greenfield-manager"], site_id, "camera", "北门摄像头", "北门岗亭")
    smoke = _register(web, tokens["greenfield-manager"], site_id, "smoke", name, "3栋2单元楼道")

    console.sign_in("greenfield-technician")
    console.page.get_by_role("menuitem", name="设备与告警").click()
    board = console.page.get_by_test_id("alarm-board")
    expect(board).to_have_attribute("data-sounds", re.compile(r"^\d+$"))
    sounds_before = int(board.get_attribute("data-sounds") or "0")

    with connected(LocalBroker(cloud.info.mqtt_url), lift["device_id"]) as connection:
        publish_event(
            connection,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=lift["device_id"],
            name="fire_lane_blocked",
        )
    with connected(LocalBroker(cloud.info.mqtt_url), smoke["device_id"]) as connection:
        publish_event(
            connection,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=smoke["device_id"],
            name="smoke",
            attributes={"state": "alarm"},
        )
    assert wait_for(
        lambda: len(_open_alarms(web, tokens["greenfield-technician"], smoke["device_id"])) == 1, 30
    )
    alarm = _open_alarms(web, tokens["greenfield-technician"], smoke["device_id"])[0]
    assert alarm["severity"] == "critical"

    # The board polls every 12 s: the new critical alarm arrives without a reload, on top and highlighted.
    row = board.locator("tr.urgent", has_text=name)
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("3栋2单元楼道")
    expect(row).to_contain_text("紧急")
    expect(board.locator("tbody tr").first).to_contain_text(name)
    expect(console.page.get_by_test_id("urgent-banner")).to_contain_text("紧急告警待确认")
    assert int(board.get_attribute("data-sounds") or "0") > sounds_before  # it beeped
    expect(board.locator("tbody tr", has_text="北门摄像头")).to_be_visible(timeout=30_000)
    console.shot(screenshots, "alarms")

    row.get_by_role("button", name="确认").click()
    acknowledged = board.locator("tr.acked", has_text=name)
    expect(acknowledged).to_contain_text("已确认")
    answer = call(web, "GET", f"/alarms/{alarm['alarm_id']}", tokens["greenfield-technician"])
    assert answer.json()["status"] == "acknowledged"
    assert answer.json()["acknowledged_at"]


def test_manager_registers_a_device_and_downloads_its_bundle_once(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    name = f"1栋1号梯 {uuid.uuid4().hex[:4]}"
    console.sign_in("greenfield-manager")
    console.open("/devices?tab=devices")
    page = console.page
    page.get_by_role("button", name="登记设备").click()
    dialog = page.get_by_role("dialog", name="登记新设备")
    # An empty name is the API's 422, shown next to the field; nothing is registered.
    dialog.get_by_role("button", name="登记并签发证书").click()
    expect(dialog.locator(".el-form-item__error").first).to_be_visible()
    dialog.get_by_placeholder("例如：1栋1号梯").fill(name)
    dialog.get_by_placeholder("例如：1栋电梯机房").fill("1栋电梯机房")
    dialog.get_by_role("button", name="登记并签发证书").click()

    bundle = page.get_by_test_id("bundle-dialog")
    expect(bundle).to_contain_text("只显示一次")
    close = page.get_by_role("button", name="已下载，关闭")
    expect(close).to_be_disabled()  # not before the bundle is saved
    with page.expect_download() as download:
        page.get_by_role("button", name="下载证书文件（JSON）").click()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["private_key"].startswith("-----BEGIN")
    assert "CERTIFICATE" in saved["certificate_pem"]
    # The device publishes through Basic Ingest only (its policy grants nothing else: iot/policy.py).
    assert saved["telemetry_ingest_topic"].endswith(f"/{saved['device_id']}/telemetry")
    close.click()

    table = page.get_by_test_id("devices-table")
    expect(table).to_contain_text(name)
    devices = call(
        web, "GET", f"/devices?site_id={demo.sites['greenfield']}&limit=100", tokens["greenfield-manager"]
    )
    registered = [d for d in devices.json()["items"] if d["name"] == name]
    assert len(registered) == 1
    assert registered[0]["device_id"] == saved["device_id"]
    assert registered[0]["provisioned"] is True
    console.shot(screenshots, "devices")


def test_a_technician_reads_the_rules_but_cannot_enable_them(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    # The first smoke detector of a firm installs the kind's default rules.
    _register(web, tokens["greenfield-manager"], demo.sites["greenfield"], "smoke", "5栋烟感", "5栋大堂")
    console.sign_in("greenfield-technician")
    console.open("/devices?tab=rules")
    table = console.page.get_by_test_id("rules-table")
    expect(table).to_contain_text("烟感报警")
    expect(console.page.get_by_role("button", name="试算并启用")).to_have_count(0)
    expect(console.page.get_by_role("button", name="登记设备")).to_have_count(0)


def test_manager_trials_a_rule_on_stored_data_then_enables_it(
    console: Console,
    cloud: LocalCloud,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    """试算并启用: a new rule waits disabled until the manager has seen what it would have raised on the
    device's stored history; the figures on screen are the API's own, and enabling it is one click more."""
    assert cloud.info is not None
    manager = tokens["greenfield-manager"]
    tenant_id, site_id = demo.tenants["greenfield"], demo.sites["greenfield"]
    tag = uuid.uuid4().hex[:4]
    gauge = _register(web, manager, site_id, "water_pressure", f"9栋水压 {tag}", "9栋水泵房")
    # History: four readings two hours ago, then one now. Ingest keeps the hour's aggregate in memory and
    # stores it when the hour rolls, so the reading of this hour stores the earlier hour's.
    now = datetime.now(UTC)
    times = iter([now - timedelta(hours=2, seconds=-n) for n in range(4)] + [now])
    with connected(LocalBroker(cloud.info.mqtt_url), gauge["device_id"]) as connection:
        publish_readings(
            connection,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=gauge["device_id"],
            kind="water_pressure",
            count=5,
            interval_s=0,
            clock=lambda: next(times),
        )
    rule_name = f"9栋水压复核 {tag}"
    # Any pressure at all: the trial must find the readings just published (hourly aggregates).
    spec = {
        "name": rule_name,
        "enabled": False,
        "scope": {"device_id": gauge["device_id"]},
        "condition": {"type": "threshold", "metric": "pressure_mpa", "op": ">", "value": 0},
        "severity": "major",
    }
    created = call(web, "POST", "/alarm-rules", manager, spec)
    assert created.status == 201, created.text
    rule_id = created.json()["rule_id"]

    def api_trial() -> dict[str, Any]:
        """The same trial through the API: the last day of the device's stored history."""
        now = datetime.now(UTC)
        body = {
            "device_id": gauge["device_id"],
            "start": (now - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
            "end": (now + timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
            "rule": spec,
        }
        answer: dict[str, Any] = call(web, "POST", f"/alarm-rules/{rule_id}/test", manager, body).json()
        return answer

    assert wait_for(lambda: api_trial()["evaluated"] >= 1, 30)  # the readings are stored

    console.sign_in("greenfield-manager")
    console.open("/devices?tab=rules")
    page = console.page
    row = page.get_by_test_id("rules-table").locator("tbody tr", has_text=rule_name)
    expect(row).to_contain_text("未启用")
    row.get_by_role("button", name="试算并启用").click()
    dialog = page.get_by_role("dialog", name="用历史数据试算规则")
    enable = dialog.get_by_role("button", name="启用此规则")
    expect(enable).to_be_disabled()  # no trial yet, no enabling
    dialog.get_by_role("button", name="开始试算").click()
    result = dialog.get_by_test_id("trial-result")
    trial = api_trial()
    assert trial["alarms"] >= 1, trial
    expect(result).to_contain_text(f"试算了 {trial['evaluated']} 条数据，会触发 {trial['alarms']} 次告警")
    console.shot(screenshots, "alarm-rule-trial")

    enable.click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("已启用")
    assert call(web, "GET", f"/alarm-rules/{rule_id}", manager).json()["enabled"] is True
    assert call(web, "DELETE", f"/alarm-rules/{rule_id}", manager).status in (200, 204)
