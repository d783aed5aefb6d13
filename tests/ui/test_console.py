"""The staff console's foundation in a real browser: sign-in (and the forced new password), the role's
menu, 403/404 in place of a blank page, and the two pattern pages (Today, Tickets) against the API."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from infra.local.cloud import LocalCloud
from infra.seed import DemoData
from tests.ui.console import Console, call

OPEN = ("submitted", "assigned", "accepted", "in_progress")
STATUS_ZH = {"submitted": "待派单", "assigned": "已派单", "accepted": "已接单", "in_progress": "处理中"}


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


@pytest.fixture(scope="session")
def tickets(web: str, tokens: dict[str, str]) -> dict[str, list[str]]:
    """Repairs the residents of both firms filed, so the pages have something to show."""
    filed: dict[str, list[str]] = {"greenfield": [], "harbour": []}
    requests = [
        ("greenfield", "plumbing", "厨房水管漏水，楼下天花板有水渍"),
        ("greenfield", "electrical", "客厅插座没电"),
        ("greenfield", "door_access", "单元门禁刷卡无反应"),
        ("harbour", "elevator", "2号电梯异响"),
    ]
    for firm, category, description in requests:
        answer = call(
            web,
            "POST",
            "/tickets",
            tokens[f"{firm}-resident"],
            {"category": category, "description": description},
        )
        assert answer.status == 201, answer.text
        filed[firm].append(answer.json()["ticket_id"])
    return filed


def _api_ids(web: str, token: str, query: str = "") -> list[str]:
    ids: list[str] = []
    cursor = ""
    while True:
        page = call(web, "GET", f"/tickets?limit=100{query}{cursor}", token).json()
        ids += [t["ticket_id"] for t in page["items"]]
        if not page.get("next_cursor"):
            return ids
        cursor = f"&cursor={page['next_cursor']}"


def test_manager_signs_in_and_today_shows_the_apis_figures(
    console: Console,
    web: str,
    demo: DemoData,
    tokens: dict[str, str],
    tickets: dict[str, list[str]],
    screenshots: Path | None,
) -> None:
    console.open("/signin")
    expect(console.page.get_by_role("heading", name="登录物业管理后台")).to_be_visible()
    console.shot(screenshots, "signin")
    console.sign_in("greenfield-manager", through_form=True)

    page = console.page
    expect(page).to_have_url(re.compile(r"/console/today$"))
    expect(page.get_by_test_id("firm-name")).to_have_text(re.compile("绿城物业"))
    token = tokens["greenfield-manager"]
    site = demo.sites["greenfield"]
    counts = {s: len(_api_ids(web, token, f"&status={s}&site_id={site}")) for s in OPEN}
    assert sum(counts.values()) >= len(tickets["greenfield"])
    expect(page.get_by_test_id("open-total")).to_have_text(str(sum(counts.values())))
    for status, count in counts.items():
        expect(page.locator(f'[data-status="{status}"]')).to_have_text(f"{STATUS_ZH[status]}: {count}")
    stats = call(web, "GET", f"/payments/stats?site_id={site}&periods=1", token).json()
    rate = page.get_by_test_id("collection-rate")
    if stats["collection"]:
        expect(rate).to_have_text(f"{stats['collection'][0]['rate_pct']:.1f}%")
    else:
        expect(rate).to_have_text("本月尚未出账")
    expect(page.locator("canvas").first).to_be_visible()  # the ECharts charts drew
    console.shot(screenshots, "today")


def test_first_sign_in_with_a_temporary_password_forces_a_new_one(
    console: Console, cloud: LocalCloud, demo: DemoData
) -> None:
    assert cloud.info is not None
    username = f"new-tech-{uuid.uuid4().hex[:6]}"
    temporary, chosen = "Temporary-pass-1", "my-own-password-2026"
    admin = cloud.client("cognito-idp")
    admin.admin_create_user(
        UserPoolId=cloud.info.user_pool_id,
        Username=username,
        TemporaryPassword=temporary,
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@greenfield.example"},
            {"Name": "custom:tenant_id", "Value": demo.tenants["greenfield"]},
        ],
        MessageAction="SUPPRESS",
    )
    admin.admin_add_user_to_group(
        UserPoolId=cloud.info.user_pool_id, Username=username, GroupName="technician"
    )

    console.open("/signin")
    console.fill_sign_in(username, temporary)
    page = console.page
    expect(page.get_by_role("heading", name="首次登录，请设置新密码")).to_be_visible()
    page.get_by_label("新密码", exact=True).fill(chosen)
    page.get_by_label("确认新密码").fill("something-else-2026")
    page.get_by_role("button", name="设置密码并登录").click()
    expect(page.get_by_text("两次输入的密码不一致")).to_be_visible()
    page.get_by_label("确认新密码").fill(chosen)
    page.get_by_role("button", name="设置密码并登录").click()
    expect(page).to_have_url(re.compile(r"/console/tickets$"))
    console.sign_out()

    # The temporary password is spent; the chosen one signs in.
    console.fill_sign_in(username, temporary)
    expect(page.get_by_text("用户名或密码不正确")).to_be_visible()
    console.fill_sign_in(username, chosen)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_sign_in_errors_stand_next_to_the_field_in_plain_chinese(console: Console, demo: DemoData) -> None:
    assert demo.user("greenfield", "manager").username == "greenfield-manager"
    console.open("/signin")
    console.fill_sign_in("greenfield-manager", "not-the-password-1")
    expect(console.page.get_by_text("用户名或密码不正确")).to_be_visible()
    console.fill_sign_in("nobody-here", "not-the-password-1")
    # moto, like Cognito with PreventUserExistenceErrors, may answer either; neither is a blank page.
    expect(console.page.get_by_text(re.compile("用户名或密码不正确|该用户不存在"))).to_be_visible()
    # Cognito unreachable (the office's network dropped): said so, not a spinner forever.
    console.page.route("**/_cognito/", lambda route: route.abort())
    console.fill_sign_in("greenfield-manager", "Courtyard-demo-2026")
    expect(
        console.page.get_by_role("alert").filter(has_text="网络连接失败，请检查网络后重试")
    ).to_be_visible()


def test_technician_sees_no_money_pages_and_money_is_forbidden(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    console.sign_in("greenfield-technician")
    menu = console.menu()
    assert "工单" in menu
    assert "收费与账单" not in menu
    assert "今日概览" not in menu
    console.open("/money")
    expect(console.page.get_by_text("无权访问")).to_be_visible()
    console.shot(screenshots, "forbidden")
    # And the API agrees: the menu only spares a click.
    site = demo.sites["greenfield"]
    assert call(web, "GET", f"/payments/stats?site_id={site}", tokens["greenfield-technician"]).status == 403


def test_manager_sees_the_money_page_in_the_menu(console: Console, demo: DemoData) -> None:
    console.sign_in("greenfield-manager")
    assert {"今日概览", "工单", "收费与账单"} <= set(console.menu())


def test_another_firms_ticket_in_the_address_shows_not_found(
    console: Console,
    web: str,
    tokens: dict[str, str],
    tickets: dict[str, list[str]],
    screenshots: Path | None,
) -> None:
    foreign = tickets["harbour"][0]
    console.sign_in("greenfield-manager")
    console.open(f"/tickets/{foreign}")
    expect(console.page.get_by_text("未找到", exact=True)).to_be_visible()
    assert call(web, "GET", f"/tickets/{foreign}", tokens["greenfield-manager"]).status == 404
    console.shot(screenshots, "not-found")
    console.open("/no/such/page")
    expect(console.page.get_by_text("未找到", exact=True)).to_be_visible()


def test_tickets_table_lists_the_same_tickets_as_the_api(
    console: Console,
    web: str,
    tokens: dict[str, str],
    tickets: dict[str, list[str]],
    screenshots: Path | None,
) -> None:
    console.sign_in("greenfield-service-desk")
    console.page.get_by_role("menuitem", name="工单").click()
    table = console.page.get_by_test_id("tickets-table")
    expected = _api_ids(web, tokens["greenfield-service-desk"])
    assert set(tickets["greenfield"]) <= set(expected)
    expect(table.locator("[data-ticket-id]")).to_have_count(len(expected))
    shown = table.locator("[data-ticket-id]").evaluate_all("links => links.map(a => a.dataset.ticketId)")
    assert shown == expected
    console.shot(screenshots, "tickets")

    # The status filter asks the API for that status only.
    console.page.get_by_test_id("status-filter").click()
    console.page.get_by_role("option", name="待派单").click()
    expect(console.page).to_have_url(re.compile(r"status=submitted"))
    submitted = _api_ids(web, tokens["greenfield-service-desk"], "&status=submitted")
    expect(table.locator("[data-ticket-id]")).to_have_count(len(submitted))

    # A row opens its ticket.
    console.open(f"/tickets/{tickets['greenfield'][0]}")
    detail = console.page.get_by_test_id("ticket-detail")
    expect(detail).to_contain_text("厨房水管漏水")
    expect(detail).to_contain_text(tickets["greenfield"][0])
    console.shot(screenshots, "ticket-detail")
