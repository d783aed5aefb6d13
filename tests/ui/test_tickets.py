"""Tickets in the console, in a real browser: the desk files a repair for an elderly resident found by unit
(assisted mode) and dispatches it; an internal comment stays with the staff; the board, the filters and the
Today page's new figures against the API."""

from __future__ import annotations

import random
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from infra.http import post_form
from infra.local.cloud import LocalCloud
from infra.seed import DemoData
from tests.ui.console import Console, call


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


@pytest.fixture(scope="session")
def elderly(web: str, demo: DemoData, tokens: dict[str, str]) -> dict[str, Any]:
    """孙秀英, 82, lives alone in Greenfield's last unit and has no app: the desk files for her."""
    desk = tokens["greenfield-service-desk"]
    unit_id = demo.units["greenfield"][-1]
    unit = call(web, "GET", f"/units/{unit_id}", desk).json()
    phone = f"139{random.randint(10_000_000, 99_999_999)}"
    answer = call(
        web,
        "POST",
        "/residents",
        desk,
        {
            "name": "孙秀英",
            "phone": phone,
            "units": [{"unit_id": unit_id, "relation": "owner", "primary": True}],
        },
    )
    assert answer.status == 201, answer.text
    return {"resident_id": answer.json()["resident_id"], "unit": unit, "phone": phone}


def _choose(page: Page, scope: Locator, label: str, option: str) -> None:
    """Pick an option of an Element Plus select, as a person does: open it, click the option."""
    # The selected value's label lies over the input: the click opens the select through it.
    scope.get_by_role("combobox", name=label).click(force=True)
    page.get_by_role("option", name=option, exact=True).click()


def test_desk_files_a_repair_for_an_elderly_resident_found_by_unit_and_dispatches_it(
    console: Console,
    cloud: LocalCloud,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    elderly: dict[str, Any],
    screenshots: Path | None,
) -> None:
    console.sign_in("greenfield-service-desk")
    page = console.page
    page.get_by_role("menuitem", name="工单").click()
    page.get_by_role("button", name="代客报修").click()
    dialog = page.get_by_role("dialog", name="代客报修")
    expect(dialog).to_be_visible()

    # Step 1: community -> building -> unit -> her name.
    site_name = call(
        web, "GET", f"/sites/{demo.sites['greenfield']}", tokens["greenfield-service-desk"]
    ).json()["name"]
    _choose(page, dialog, "小区", site_name)
    _choose(page, dialog, "楼栋", "1栋")
    _choose(page, dialog, "房屋", elderly["unit"]["label"])
    expect(dialog.get_by_test_id("resident-choices")).to_contain_text("孙秀英")
    console.shot(screenshots, "ticket-create")
    dialog.get_by_role("button", name="孙秀英").click()

    # Step 2: what is wrong; filed in her name.
    expect(dialog.get_by_text("正在代 孙秀英 报修")).to_be_visible()
    _choose(page, dialog, "类别", "电梯")  # nobody has the elevator skill: it waits for the desk
    dialog.get_by_role("textbox", name="描述").fill("电梯按钮失灵，老人下不了楼，请先电话联系")
    dialog.get_by_role("button", name="提交报修").click()

    expect(page).to_have_url(re.compile(r"/console/tickets/[0-9A-Z]{26}$"))
    ticket_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("ticket-status")).to_have_text("待派单")
    expect(page.get_by_test_id("reporter")).to_have_text("孙秀英")  # by name, from the directory

    # Dispatch: the technician's duty, skills and load are on screen.
    page.get_by_role("button", name="派单").click()
    chooser = page.get_by_role("dialog", name="派单")
    technician = demo.user("greenfield", "technician")
    row = chooser.get_by_role("row").filter(has_text=technician.name)
    expect(row).to_contain_text("在岗")
    expect(row).to_contain_text("水暖")
    row.click()
    chooser.get_by_role("button", name="确认派单").click()

    expect(page.get_by_test_id("ticket-status")).to_have_text("已派单")
    expect(page.get_by_test_id("ticket-assignee")).to_have_text(technician.name)
    expect(page.get_by_test_id("timeline")).to_contain_text("派给 " + technician.name)
    expect(page.get_by_test_id("reporter")).to_have_text("孙秀英")  # still by name after the action

    # And through the API: assigned to him, reported by her, filed in assisted mode and audited so.
    token = tokens["greenfield-service-desk"]
    ticket = call(web, "GET", f"/tickets/{ticket_id}", token).json()
    assert ticket["status"] == "assigned"
    assert ticket["assignee_staff_id"] == technician.person_id
    assert ticket["category"] == "elevator"
    assert ticket["unit_id"] == elderly["unit"]["unit_id"]
    assert ticket["reporter_user_id"] == f"resident-{elderly['resident_id']}"
    assert ticket["reporter_name"] == "孙秀英"
    audit = _audit_of(cloud, demo.tenants["greenfield"], ticket_id, ticket["created_at"])
    created = next(r for r in audit if r["action"]["S"] == "ticket.create")
    assert created["on_behalf_of"]["S"] == elderly["resident_id"]
    assert created["actor"]["S"] == demo.user("greenfield", "service_desk").user_id
    console.shot(screenshots, "ticket-detail-timeline")


def test_desk_finds_a_resident_by_phone_and_a_wrong_number_is_said_next_to_the_field(
    console: Console, elderly: dict[str, Any]
) -> None:
    console.sign_in("greenfield-service-desk")
    page = console.page
    console.open("/tickets")
    page.get_by_role("button", name="代客报修").click()
    dialog = page.get_by_role("dialog", name="代客报修")
    dialog.get_by_text("按手机号查找").click()
    phone = dialog.get_by_role("textbox", name="手机号")
    phone.fill("12345")
    dialog.get_by_role("button", name="查找").click()
    # The API's validation message stands under the phone field, and nobody is offered.
    # (A has= locator is matched inside the outer one, so it starts from the page, not the dialog.)
    field = dialog.locator(".el-form-item").filter(has=page.get_by_role("textbox", name="手机号"))
    expect(field.get_by_role("alert")).to_have_text("请输入正确的手机号（11 位，以 1 开头）")
    expect(dialog.get_by_test_id("resident-choices")).to_have_count(0)
    phone.fill(elderly["phone"])
    dialog.get_by_role("button", name="查找").click()
    dialog.get_by_role("button", name="孙秀英").click()
    expect(dialog.get_by_text("正在代 孙秀英 报修")).to_be_visible()
    # Filed for her unit (found through her links: shown by its room key).
    unit = dialog.locator(".el-form-item").filter(has=page.get_by_role("combobox", name="房屋"))
    expect(unit).to_contain_text(elderly["unit"]["room_key"])


def test_desk_redispatches_to_another_technician_seeing_who_is_off_duty(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str]
) -> None:
    suffix = random.randint(1000, 9999)  # one run of the session's cloud may hold an earlier one
    created = call(
        web,
        "POST",
        "/staff",
        tokens["greenfield-manager"],
        {
            "name": f"钱师傅 {suffix}",
            "phone": f"137{random.randint(10_000_000, 99_999_999)}",
            "email": f"qian{suffix}@greenfield.example",
            "roles": ["technician"],
            "zones": [{"site_id": demo.sites["greenfield"], "building_ids": []}],
            "skills": ["plumbing"],
            "on_duty": False,
        },
    )
    assert created.status == 201, created.text
    qian = created.json()
    filed = call(
        web,
        "POST",
        "/tickets",
        tokens["greenfield-resident"],
        {"category": "plumbing", "description": "暖气片漏水"},
    )
    ticket = filed.json()
    assert ticket["status"] == "assigned", ticket  # the on-duty plumber has it

    console.sign_in("greenfield-service-desk")
    page = console.page
    console.open(f"/tickets/{ticket['ticket_id']}")
    page.get_by_role("button", name="改派").click()
    chooser = page.get_by_role("dialog", name="改派")
    row = chooser.get_by_role("row").filter(has_text=f"钱师傅 {suffix}")
    expect(row).to_contain_text("休息")
    row.click()
    chooser.get_by_role("button", name="确认派单").click()
    expect(page.get_by_test_id("ticket-assignee")).to_have_text(f"钱师傅 {suffix}")
    after = call(web, "GET", f"/tickets/{ticket['ticket_id']}", tokens["greenfield-service-desk"]).json()
    assert after["status"] == "assigned"
    assert after["assignee_staff_id"] == qian["staff_id"]


def _audit_of(cloud: LocalCloud, tenant_id: str, resource_id: str, at: str) -> list[dict[str, Any]]:
    """The audit records of one resource on the day (UTC) it was written."""
    assert cloud.stack is not None
    day = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%d")
    answer = cloud.client("dynamodb").query(
        TableName=cloud.stack.ref("AuditTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant_id}#AUDIT#{day}"}},
    )
    return [item for item in answer["Items"] if item.get("resource_id", {}).get("S") == resource_id]


def test_an_internal_comment_is_not_shown_to_the_resident(
    console: Console, web: str, tokens: dict[str, str]
) -> None:
    filed = call(
        web,
        "POST",
        "/tickets",
        tokens["greenfield-resident"],
        {"category": "plumbing", "description": "阳台地漏堵了"},
    )
    assert filed.status == 201, filed.text
    ticket_id = filed.json()["ticket_id"]

    console.sign_in("greenfield-service-desk")
    page = console.page
    console.open(f"/tickets/{ticket_id}")
    comments = page.get_by_test_id("comments")
    page.get_by_role("textbox", name="写下留言…").fill("住户情绪激动，上门时请带上主管")
    page.get_by_text("内部备注（仅员工可见）").click()
    page.get_by_role("button", name="发送").click()
    expect(comments.locator("li").filter(has_text="住户情绪激动")).to_contain_text("内部")
    page.get_by_role("textbox", name="写下留言…").fill("师傅明天上午十点上门")
    page.get_by_text("公开（住户可见）").click()
    page.get_by_role("button", name="发送").click()
    expect(comments.locator("li").filter(has_text="师傅明天上午十点上门")).to_contain_text("住户可见")

    # Through the API as the resident: the public comment only.
    theirs = call(web, "GET", f"/tickets/{ticket_id}/timeline", tokens["greenfield-resident"]).json()
    assert [c["body"] for c in theirs["comments"]] == ["师傅明天上午十点上门"]
    staff_view = call(web, "GET", f"/tickets/{ticket_id}/timeline", tokens["greenfield-service-desk"]).json()
    assert {c["body"]: c["internal"] for c in staff_view["comments"]} == {
        "住户情绪激动，上门时请带上主管": True,
        "师傅明天上午十点上门": False,
    }


def _png(width: int = 96, height: int = 64) -> bytes:
    """A small real PNG (a water-stain brown), so the page's <img> has something to draw."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((150, 110, 60)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_desk_follows_up_a_resolved_repair_with_its_photo_a_return_visit_and_a_quality_check(
    console: Console, web: str, tokens: dict[str, str], screenshots: Path | None
) -> None:
    resident, technician = tokens["greenfield-resident"], tokens["greenfield-technician"]
    filed = call(web, "POST", "/tickets", resident, {"category": "plumbing", "description": "厨房下水管渗水"})
    assert filed.status == 201, filed.text
    ticket_id = filed.json()["ticket_id"]
    slot = call(web, "POST", f"/tickets/{ticket_id}/photos", resident, {"content_type": "image/png"}).json()
    form = slot["upload"]
    assert post_form(form["url"], form["fields"], "leak.png", _png()).status in (200, 204)
    confirmed = call(web, "POST", f"/tickets/{ticket_id}/photos/{slot['photo_id']}/confirm", resident)
    assert confirmed.status == 200, confirmed.text
    for action in ("accept", "start", "resolve"):
        moved = call(web, "POST", f"/tickets/{ticket_id}/actions", technician, {"action": action})
        assert moved.status == 200, moved.text

    console.sign_in("greenfield-service-desk")
    page = console.page
    console.open(f"/tickets/{ticket_id}")
    expect(page.get_by_test_id("ticket-status")).to_have_text("已解决")
    # The photo through its short-lived link, drawn.
    photo = page.get_by_test_id("ticket-photos").locator("img")
    expect(photo).to_have_count(1)
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") == 96
    timeline = page.get_by_test_id("timeline")
    for step in ("报修", "派单", "接单", "开始处理", "已解决"):
        expect(timeline).to_contain_text(step)

    visit = page.get_by_test_id("return-visit")
    visit.get_by_role("textbox", name="回访记录").fill("电话回访：已不渗水，住户满意")
    visit.get_by_text("满意", exact=True).click()
    visit.get_by_role("button", name="保存").click()
    expect(visit).to_contain_text("电话回访：已不渗水，住户满意")
    check = page.get_by_test_id("quality-check")
    check.get_by_role("textbox", name="质检记录").fill("接口已重新密封，试水 10 分钟无渗漏")
    check.get_by_role("button", name="保存").click()
    expect(check).to_contain_text("接口已重新密封")
    expect(check.get_by_role("textbox")).to_have_count(0)  # recorded once: the form gives way to the record
    page.get_by_role("button", name="关闭工单").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("已关闭")
    # Closing keeps both records on screen.
    expect(check).to_contain_text("接口已重新密封")
    expect(visit.get_by_role("textbox")).to_have_count(0)
    expect(timeline).to_contain_text("关闭")
    check.scroll_into_view_if_needed()
    console.shot(screenshots, "ticket-follow-up")

    ticket = call(web, "GET", f"/tickets/{ticket_id}", tokens["greenfield-service-desk"]).json()
    assert ticket["status"] == "closed"
    assert ticket["return_visit"]["note"] == "电话回访：已不渗水，住户满意"
    assert ticket["return_visit"]["satisfied"] is True
    assert ticket["quality_check"]["passed"] is True


def test_the_board_shows_each_state_in_its_column_and_filters_ask_the_api(
    console: Console, web: str, tokens: dict[str, str], elderly: dict[str, Any], screenshots: Path | None
) -> None:
    token = tokens["greenfield-manager"]
    urgent = call(
        web,
        "POST",
        "/tickets",
        tokens["greenfield-resident"],
        {"category": "electrical", "priority": "urgent", "description": "楼道灯全部不亮"},
    )
    assert urgent.status == 201, urgent.text
    console.sign_in("greenfield-manager")
    page = console.page
    console.open("/tickets?view=board")
    board = page.get_by_test_id("tickets-board")
    expect(board).to_be_visible()
    # The board shows the API's first page (50); "load more" follows the cursor.
    listed = _first_page(web, token, "")
    for status, name in (("submitted", "待派单"), ("assigned", "已派单"), ("resolved", "已解决")):
        column = board.locator(f'[data-column="{status}"]')
        expect(column).to_contain_text(name)
        expect(column.locator("[data-ticket-id]")).to_have_count(
            sum(1 for t in listed if t["status"] == status)
        )
    console.shot(screenshots, "tickets-board")

    # Priority: the API's filter, reflected in the address.
    _choose(page, page.locator(".filters"), "优先级", "紧急")
    expect(page).to_have_url(re.compile(r"priority=urgent"))
    expected = {t["ticket_id"] for t in _first_page(web, token, "&priority=urgent")}
    assert urgent.json()["ticket_id"] in expected
    expect(board.locator("[data-ticket-id]")).to_have_count(len(expected))
    shown = board.locator("[data-ticket-id]").evaluate_all("cards => cards.map(c => c.dataset.ticketId)")
    assert set(shown) == expected

    # Overdue: what the API calls overdue now, in the table.
    page.get_by_text("列表", exact=True).click()
    page.get_by_text("只看已超时").click()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    overdue = _first_page(web, token, "&priority=urgent&overdue=true")
    expect(page.get_by_test_id("tickets-table").locator("[data-ticket-id]")).to_have_count(len(overdue))


def _first_page(web: str, token: str, query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call(web, "GET", f"/tickets?limit=50{query}", token).json()["items"]
    return items


def _all(web: str, token: str, query: str) -> list[dict[str, Any]]:
    tickets: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = call(web, "GET", f"/tickets?limit=100{query}{cursor}", token).json()
        tickets += page["items"]
        if not page.get("next_cursor"):
            return tickets
        cursor = f"&cursor={page['next_cursor']}"


def test_today_shows_risk_alarms_visitors_and_weekly_trends_from_the_api(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token = tokens["greenfield-manager"]
    site = demo.sites["greenfield"]
    console.sign_in("greenfield-manager")
    page = console.page
    expect(page).to_have_url(re.compile(r"/console/today$"))

    alarms = call(web, "GET", f"/alarms?status=active&site_id={site}&limit=100", token).json()
    expect(page.get_by_test_id("alarm-count")).to_have_text(
        f"{len(alarms['items'])}{'+' if alarms.get('next_cursor') else ''}"
    )
    overdue = _all(web, token, f"&site_id={site}&overdue=true")
    expect(page.get_by_test_id("overdue-count")).to_have_text(str(len(overdue)))
    day = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    visits = call(web, "GET", f"/sites/{site}/visits?date={day}&limit=100", token).json()
    admitted = sum(1 for v in visits["items"] if v["verdict"] == "allow")
    expect(page.get_by_test_id("visitors-today")).to_have_text(str(admitted))

    month = call(web, "GET", f"/tickets/stats?site_id={site}&from={day[:8]}01&to={day}", token).json()
    mine = next((s for s in month["sites"] if s["site_id"] == site), None)
    timeliness = page.get_by_test_id("timeliness")
    if mine and mine["timeliness_pct"] is not None:
        expect(timeliness).to_have_text(f"{mine['timeliness_pct']:.1f}%")
        # Under its 98 % target the figure is red.
        expect(timeliness).to_have_class(
            re.compile("bad" if mine["timeliness_pct"] < 98 else r"^(?!.*\bbad\b)")
        )
    else:
        expect(timeliness).to_have_text("—")
    expect(page.get_by_test_id("trend-chart").locator("canvas")).to_be_visible()
    expect(page.get_by_test_id("open-chart").locator("canvas")).to_be_visible()
    console.shot(screenshots, "today")
