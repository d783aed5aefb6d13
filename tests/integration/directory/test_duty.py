"""Duty routes through the directory handler, on moto: the firm's calendar, a community's roster and
``GET /duty/now`` deriving who is on duty from them (the manual flag still counts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.clocks import drive_features
from tests.integration.directory.conftest import table_items
from tests.integration.directory.test_staff import create, put_place

# 03:00 Beijing time on 3 October 2026 (National Day holidays), as UTC.
HOLIDAY_NIGHT = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)
CALENDAR = {
    "holidays": [f"2026-10-0{d}" for d in range(1, 8)],
    "workdays": ["2026-10-10"],
    "ladder_step_minutes": 2,
}


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    fixed = FixedClock(HOLIDAY_NIGHT)
    drive_features(fixed)
    yield fixed
    drive_features(None)


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="Greenfield")


@pytest.fixture
def manager(caller: Callable[..., Any], tenant: str) -> Any:
    return caller(tenant, Role.MANAGER)


@pytest.fixture
def site(stack: Stack, tenant: str) -> str:
    put_place(stack, Keys.site(tenant, "SITE1"), site_id="SITE1", name="绿城小区")
    return "SITE1"


@pytest.fixture
def crew(call, manager, site, clock) -> dict[str, str]:
    def staff(name: str, role: str, username: str) -> str:
        phone = f"1381234{len(username):04d}{len(name)}"[:11]
        made = create(
            call,
            manager,
            name=name,
            roles=[role],
            username=username,
            email=f"{username}@example.com",
            phone=phone,
            skills=[],
            zones=[{"site_id": "SITE1"}],
        )
        return str(made["staff_id"])

    return {
        "night_guard": staff("王保安", "guard", "wang-guard"),
        "day_guard": staff("赵保安", "guard", "zhao-guard"),
        "holiday_tech": staff("李师傅", "technician", "li-tech"),
        "workday_tech": staff("周师傅", "technician", "zhou-tech"),
    }


def roster(crew: dict[str, str]) -> dict[str, Any]:
    return {
        "lines": [
            {"staff_id": crew["night_guard"], "shift": "night"},
            {"staff_id": crew["day_guard"], "shift": "day"},
            {"staff_id": crew["holiday_tech"], "shift": "night", "days": "holiday"},
            {"staff_id": crew["workday_tech"], "shift": "night", "days": "workday"},
        ]
    }


def test_duty_now_at_three_on_a_holiday_night_is_the_rostered_night_guard_and_holiday_technician(
    call, manager, caller, tenant, site, crew
):
    assert call("PUT", "/duty/calendar", as_=manager, body=CALENDAR).status == 200
    assert call("PUT", f"/sites/{site}/duty-roster", as_=manager, body=roster(crew)).status == 200

    guard = caller(tenant, Role.GUARD)
    reply = call("GET", "/duty/now", as_=guard, query={"site_id": site})

    assert reply.status == 200, reply.body
    assert reply.body["shift"]["shift"] == "night"
    assert reply.body["shift"]["day_kind"] == "holiday"
    on_duty = {(s["name"], s["source"], s["shift"]) for s in reply.body["staff"]}
    assert on_duty == {("王保安", "roster", "night"), ("李师傅", "roster", "night")}


def test_a_make_up_workday_night_puts_the_workday_technician_on(call, manager, site, crew, clock):
    call("PUT", "/duty/calendar", as_=manager, body=CALENDAR)
    call("PUT", f"/sites/{site}/duty-roster", as_=manager, body=roster(crew))
    clock.set(datetime(2026, 10, 10, 14, 0, tzinfo=UTC))  # 22:00 on Saturday 10 October, a make-up workday

    names = {s["name"] for s in call("GET", "/duty/now", as_=manager, query={"site_id": site}).body["staff"]}

    assert names == {"王保安", "周师傅"}


def test_the_manual_flag_still_puts_someone_on_duty(call, manager, site, crew):
    call("PATCH", f"/staff/{crew['day_guard']}", as_=manager, body={"on_duty": True})

    staff = call("GET", "/duty/now", as_=manager, query={"site_id": site}).body["staff"]

    assert [(s["name"], s["source"]) for s in staff] == [("赵保安", "manual")]


def test_the_roster_reads_back_with_names_and_repeated_lines_once(call, manager, site, crew):
    body = roster(crew)
    body["lines"].append(dict(body["lines"][0]))

    reply = call("PUT", f"/sites/{site}/duty-roster", as_=manager, body=body)

    assert reply.status == 200
    assert len(reply.body["lines"]) == 4
    assert reply.body["lines"][0]["name"] == "王保安"
    assert call("GET", f"/sites/{site}/duty-roster", as_=manager).body == reply.body


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"lines": [{"staff_id": "NOBODY", "shift": "night"}]}, 422),
        ({"lines": [{"staff_id": "X", "shift": "evening"}]}, 422),
    ],
)
def test_a_bad_roster_is_refused_and_changes_nothing(call, manager, site, stack, crew, body, code):
    before = table_items(stack)

    reply = call("PUT", f"/sites/{site}/duty-roster", as_=manager, body=body)

    assert reply.status == code
    assert "error" in reply.body
    assert table_items(stack) == before


@pytest.mark.parametrize(
    "body",
    [
        {"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]},
        {"night_starts": "07:00"},
        {"ladder_step_minutes": 0},
        {"holidays": ["2026-13-01"]},
    ],
)
def test_a_bad_calendar_is_refused_and_changes_nothing(call, manager, stack, body):
    before = table_items(stack)

    reply = call("PUT", "/duty/calendar", as_=manager, body=body)

    assert reply.status == 422
    assert table_items(stack) == before


@pytest.mark.parametrize("role", [Role.SERVICE_DESK, Role.TECHNICIAN, Role.GUARD, Role.RESIDENT])
def test_only_a_manager_writes_the_roster_and_residents_read_nothing(call, caller, tenant, site, crew, role):
    who = caller(tenant, role)
    assert call("PUT", f"/sites/{site}/duty-roster", as_=who, body=roster(crew)).status == 403
    assert call("PUT", "/duty/calendar", as_=who, body=CALENDAR).status == 403
    expected = 403 if role is Role.RESIDENT else 200
    assert call("GET", "/duty/now", as_=who, query={"site_id": site}).status == expected


def test_another_firms_community_is_not_found(call, caller, make_tenant, site, crew, manager):
    stranger = caller(make_tenant(name="Other"), Role.MANAGER)

    assert call("GET", "/duty/now", as_=stranger, query={"site_id": site}).status == 404
    assert call("PUT", f"/sites/{site}/duty-roster", as_=stranger, body=roster(crew)).status == 404
