"""The community pages in a real browser: the unit grid of the seeded community, a unit's page with its
residents (phone masked as the API returns it), resident search, and the manager inviting residents (two at
once), seeing the invitations listed with their codes, and then who joined with one of them."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from infra.local.cloud import LocalCloud
from infra.seed import DemoData, sign_in
from tests.ui.console import Console, call


@pytest.fixture(scope="session")
def web(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.web_url


@pytest.fixture
def console(page: Page, web: str) -> Console:
    return Console(page, web)


def _resident_of(web: str, token: str, unit_id: str) -> dict[str, Any]:
    residents: list[dict[str, Any]] = call(web, "GET", f"/residents?unit_id={unit_id}", token).json()["items"]
    assert residents
    return residents[0]


def test_unit_grid_unit_page_and_resident_search(
    console: Console, web: str, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token = tokens["greenfield-manager"]
    site = demo.sites["greenfield"]
    home = demo.units["greenfield"][0]  # the demo resident lives here
    resident = _resident_of(web, token, home)
    # The resident files a repair and invites a visitor: both belong to this unit's page, listed by the
    # API's unit_id filter (not the whole community's lists filtered in the browser).
    own = tokens["greenfield-resident"]
    leak = f"阳台漏水 {uuid.uuid4().hex[:6]}"
    repair = {"kind": "repair", "category": "plumbing", "description": leak}
    filed = call(web, "POST", "/tickets", own, repair)
    assert filed.status == 201, filed.text
    visitor = f"访客{uuid.uuid4().hex[:4]}"
    issued = call(web, "POST", "/passes", own, {"visitor_name": visitor})
    assert issued.status == 201, issued.text
    unit_tickets = call(web, "GET", f"/tickets?unit_id={home}", token).json()["items"]
    assert filed.json()["ticket_id"] in {t["ticket_id"] for t in unit_tickets}
    assert {t["unit_id"] for t in unit_tickets} == {home}

    console.sign_in("greenfield-manager")
    page = console.page
    # The grid is one building's (the demo's, where the resident lives): other tests on the session's cloud
    # may add buildings of their own to the community (tests/e2e's households).
    building = demo.buildings["greenfield"]
    console.open(f"/community?site={site}&building={building}")
    grid = page.get_by_test_id("unit-grid")
    cell = grid.locator(f'[data-unit-id="{home}"]')
    # Lived in: "occupied", or "arrears" (which the grid shows first) when a money story on this cloud billed
    # the demo's units before this one ran.
    expect(cell).to_have_attribute("data-state", re.compile(r"^(occupied|arrears)$"))
    units = call(web, "GET", f"/sites/{site}/units?building_id={building}&limit=100", token).json()["items"]
    expect(grid.locator("[data-unit-id]")).to_have_count(len(units))

    # Search by name finds the resident and links to the unit.
    page.get_by_test_id("resident-search").fill(resident["name"])
    page.get_by_role("button", name="查找住户").click()
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(resident["name"])
    expect(results).to_contain_text(resident["phone"])

    cell.click()
    expect(page).to_have_url(re.compile(f"/community/units/{home}$"))
    unit = call(web, "GET", f"/units/{home}", token).json()
    expect(page.get_by_test_id("unit-title")).to_have_text(unit["label"])
    residents = page.get_by_test_id("unit-residents")
    expect(residents).to_contain_text(resident["name"])
    # The phone exactly as the API shows it to this role (masked unless the role needs it in full).
    expect(residents).to_contain_text(resident["phone"])
    expect(page.get_by_test_id("unit-tickets")).to_contain_text(leak)
    expect(page.get_by_test_id("unit-passes")).to_contain_text(visitor)
    # Every section has answered (bills, tickets, passes) before the picture is taken.
    expect(page.locator('[data-state="loading"]')).to_have_count(0)
    console.shot(screenshots, "community-unit")


def test_manager_invites_residents_and_sees_who_joined(
    console: Console,
    web: str,
    cloud: LocalCloud,
    demo: DemoData,
    tokens: dict[str, str],
    screenshots: Path | None,
) -> None:
    assert cloud.info is not None
    unit_id = demo.units["greenfield"][1]
    token = tokens["greenfield-manager"]

    console.sign_in("greenfield-manager")
    page = console.page
    console.open(f"/community/units/{unit_id}")
    page.get_by_role("button", name="邀请住户").click()
    people = page.get_by_test_id("invitee")
    people.nth(0).get_by_label("姓名（可不填）").fill("李阿姨")
    people.nth(0).get_by_label("手机号（可不填）").fill("1370013")  # too short: refused next to the field
    page.get_by_role("button", name="再邀请一位").click()
    people.nth(1).get_by_label("姓名（可不填）").fill("王先生")
    page.get_by_test_id("send-invites").click()
    # The good one is issued, the refused one stays in the form with the reason under its phone field.
    expect(page.get_by_test_id("invite-code")).to_have_count(1)
    expect(people).to_have_count(1)
    expect(people.nth(0).locator(".el-form-item__error")).to_be_visible()
    people.nth(0).get_by_label("手机号（可不填）").fill("13700137000")
    page.get_by_test_id("send-invites").click()

    invitations = page.get_by_test_id("invitations")
    expect(invitations.get_by_test_id("invite-code")).to_have_count(2)
    expect(invitations).to_contain_text("李阿姨")
    expect(invitations).to_contain_text("王先生")
    codes = invitations.get_by_test_id("invite-code").all_inner_texts()
    tenant = demo.tenants["greenfield"]
    assert all(
        re.fullmatch(rf"{tenant}\.[0-9A-Z]{{4}}-[0-9A-Z]{{4}}-[0-9A-Z]{{2}}", c.strip()) for c in codes
    )
    # Listed by the API too (without their codes), waiting for the invitees to join.
    history = page.get_by_test_id("invite-history")
    for name in ("李阿姨", "王先生"):
        expect(history.get_by_role("row").filter(has_text=name)).to_contain_text("待加入")
    listed = call(web, "GET", f"/invites?unit_id={unit_id}", token).json()["items"]
    assert {"李阿姨", "王先生"} <= {i["invitee_name"] for i in listed}
    assert not any(c.strip().split(".")[1] in json.dumps(listed) for c in codes)
    console.shot(screenshots, "community-invite")

    # 王先生 signs up in the app and joins with the code shown for him: the API takes it ...
    code = invitations.get_by_role("row").filter(has_text="王先生").get_by_test_id("invite-code").inner_text()
    username, password = f"wang-{uuid.uuid4().hex[:6]}", "Wang-2026-password"
    cognito = cloud.client("cognito-idp")
    cognito.sign_up(
        ClientId=cloud.info.user_pool_client_id,
        Username=username,
        Password=password,
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "name", "Value": "王先生"},
        ],
    )
    cognito.admin_confirm_sign_up(UserPoolId=cloud.info.user_pool_id, Username=username)
    newcomer = sign_in(cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, username, password)
    accepted = call(web, "POST", f"/invites/{code.strip()}/accept", newcomer, {})
    assert accepted.status in (200, 201), accepted.text
    joined = accepted.json()["resident_id"]
    assert joined in {
        r["resident_id"] for r in call(web, "GET", f"/residents?unit_id={unit_id}", token).json()["items"]
    }

    # ... and the unit's page shows who joined: his invitation used, and him among the residents.
    page.reload()
    history = page.get_by_test_id("invite-history")
    expect(history.get_by_role("row").filter(has_text="王先生")).to_contain_text("已加入")
    expect(history.get_by_role("row").filter(has_text="李阿姨")).to_contain_text("待加入")
    row = page.get_by_test_id("unit-residents").get_by_role("row").filter(has_text="王先生")
    expect(row).to_contain_text("已加入")
