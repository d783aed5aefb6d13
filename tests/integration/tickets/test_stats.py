"""Ticket KPIs on moto: a small known set of tickets driven through the API with a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from courtyard.aws_calls import count_aws_calls
from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from tests.factories import api_event, lambda_context
from tests.integration.conftest import Arranged
from tests.integration.tickets.conftest import OFFICE_HOURS, Caller, Community, Reply

Call = Callable[..., Reply]
Stats = Callable[..., Reply]


@pytest.fixture
def stats(handler: Any) -> Stats:
    """``stats(caller, site_id=..., **{"from": ..., "to": ...})``: GET /tickets/stats as sent by API GW."""

    def request(as_: Caller, **query: str) -> Reply:
        event = api_event("GET", "/tickets/stats", claims=as_.claims(), query=query or None)
        raw = handler.lambda_handler(event, lambda_context())
        return Reply(raw["statusCode"], json.loads(raw["body"]), raw)

    return request


@pytest.fixture
def world(
    arranged: Arranged,
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
) -> Community:
    def build() -> Community:
        community = seed()
        residents(community, "li", "a101")
        residents(community, "zhao", "a102")
        staff(community, "desk", Role.SERVICE_DESK)
        staff(community, "manager", Role.MANAGER)
        staff(community, "finance", Role.FINANCE)
        staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
        return community

    return arranged(build)


def _file(call: Call, who: Caller, category: str) -> str:
    body = {"kind": "repair", "category": category, "description": "坏了"}
    reply = call("POST", "/tickets", as_=who, body=body)
    assert reply.status == 201, reply.body
    return str(reply.body["ticket_id"])


def _act(call: Call, who: Caller, ticket_id: str, action: str) -> None:
    reply = call("POST", f"/tickets/{ticket_id}/actions", as_=who, body={"action": action})
    assert reply.status == 200, reply.body


def _at(clock: FixedClock, minutes: int) -> None:
    clock.set(OFFICE_HOURS + timedelta(minutes=minutes))


@pytest.fixture
def known_set(arranged: Arranged, call: Call, world: Community, clock: FixedClock) -> dict[str, str]:
    """Four tickets filed on Tuesday 2026-03-10 from 10:00 Shanghai (t0), normal priority:

    - T1 plumbing: accepted t0+10, resolved t0+60, rated 5;
    - T2 plumbing (t0+1): accepted t0+61 (60 min), resolved t0+121, reopened, resolved again t0+181
      (180 min), rated 3;
    - T3 electrical (t0+2): nobody covers it, never accepted: its 2-hour response target (12:02) is missed;
    - T4 plumbing (t0+3): cancelled by the reporter.
    The clock ends at t0+5h.
    """

    def build() -> dict[str, str]:
        li, zhao, plumber = world.people["li"], world.people["zhao"], world.people["plumber"]
        _at(clock, 0)
        t1 = _file(call, li, "plumbing")
        _at(clock, 1)
        t2 = _file(call, li, "plumbing")
        _at(clock, 2)
        t3 = _file(call, zhao, "electrical")
        _at(clock, 3)
        t4 = _file(call, li, "plumbing")
        _act(call, li, t4, "cancel")
        _at(clock, 10)
        _act(call, plumber, t1, "accept")
        _act(call, plumber, t1, "start")
        _at(clock, 60)
        _act(call, plumber, t1, "resolve")
        assert call("POST", f"/tickets/{t1}/rating", as_=li, body={"score": 5}).status == 200
        _at(clock, 61)
        _act(call, plumber, t2, "accept")
        _act(call, plumber, t2, "start")
        _at(clock, 121)
        _act(call, plumber, t2, "resolve")
        _act(call, li, t2, "reopen")
        _act(call, plumber, t2, "accept")
        _act(call, plumber, t2, "start")
        _at(clock, 181)
        _act(call, plumber, t2, "resolve")
        assert call("POST", f"/tickets/{t2}/rating", as_=li, body={"score": 3}).status == 200
        return {"t1": t1, "t2": t2, "t3": t3, "t4": t4}

    tickets = arranged(build)
    _at(clock, 300)
    return tickets


EXPECTED = {
    "tickets": 4,
    "by_category": {"electrical": 1, "plumbing": 3},
    "response_p50_minutes": 10.0,
    "response_p90_minutes": 60.0,
    "resolution_p50_minutes": 60.0,
    "resolution_p90_minutes": 180.0,
    "response_met_pct": 66.67,  # T1, T2 met; T3 missed
    "resolution_met_pct": 100.0,  # T1, T2 met; T3 not yet due
    "sla_met_pct": 80.0,
    "satisfaction_avg": 4.0,
    "ratings": 2,
    "reopen_rate_pct": 50.0,  # T2 of T1, T2
}


@pytest.mark.usefixtures("known_set")
def test_kpis_of_a_known_set_of_tickets(stats: Stats, world: Community) -> None:
    reply = stats(world.people["manager"], **{"from": "2026-03-01", "to": "2026-03-31"})

    assert reply.status == 200, reply.body
    report = reply.body
    assert report["from"] == "2026-03-01"
    assert report["to"] == "2026-03-31"
    assert report["timezone"] == "Asia/Shanghai"
    assert report["period_start"] == "2026-02-28T16:00:00.000Z"
    assert report["period_end"] == "2026-03-31T16:00:00.000Z"
    [site] = report["sites"]
    assert site["site_id"] == world.site_id
    assert {k: site[k] for k in EXPECTED} == EXPECTED
    # Due in March: T1 and T2 resolved in time; T3's resolution deadline has not come yet.
    assert site["timeliness_pct"] == 100.0


@pytest.mark.usefixtures("known_set")
def test_default_period_is_the_last_30_days_and_the_site_filter_reads_one_index(
    stats: Stats, world: Community
) -> None:
    desk = world.people["desk"]
    stats(desk)  # warm the caches

    with count_aws_calls() as calls:
        reply = stats(desk, site_id=world.site_id)

    assert reply.status == 200, reply.body
    assert (reply.body["from"], reply.body["to"]) == ("2026-02-09", "2026-03-10")
    [site] = reply.body["sites"]
    assert {k: site[k] for k in EXPECTED} == EXPECTED
    assert site["timeliness_pct"] is None  # nothing is due by the end of today
    assert calls.count("dynamodb", "Scan") == 0
    assert calls.count("dynamodb", "Query") == 1


@pytest.mark.usefixtures("known_set")
def test_tickets_filed_before_the_period_count_for_timeliness_when_due_in_it(
    stats: Stats, world: Community
) -> None:
    reply = stats(world.people["manager"], **{"from": "2026-03-11", "to": "2026-03-31"})

    [site] = reply.body["sites"]
    assert site["tickets"] == 0
    assert site["by_category"] == {}
    assert site["response_p50_minutes"] is None
    assert site["timeliness_pct"] == 100.0


@pytest.mark.usefixtures("known_set")
def test_a_period_without_tickets_and_another_tenants_site_are_empty(
    stats: Stats,
    world: Community,
    seed: Callable[..., Community],
    staff: Callable[..., Caller],
) -> None:
    manager = world.people["manager"]
    assert stats(manager, **{"from": "2025-01-01", "to": "2025-12-31"}).body["sites"] == []

    other = seed("Elsewhere")
    their_manager = staff(other, "manager", Role.MANAGER)
    assert stats(their_manager, **{"from": "2026-03-01", "to": "2026-03-31"}).body["sites"] == []
    reply = stats(their_manager, site_id=world.site_id, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert reply.status == 200
    assert reply.body["sites"] == []


@pytest.mark.parametrize("who", ["li", "plumber", "finance"])
def test_only_managers_and_the_desk_read_stats(stats: Stats, world: Community, who: str) -> None:
    assert stats(world.people[who]).status == 403


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-03-10", "to": "2026-03-01"},
        {"from": "2025-01-01", "to": "2026-01-02"},  # 367 days
        {"from": "2026-13-01"},
        {"to": "yesterday"},
        {"site_id": "x" * 65},
    ],
)
def test_bad_ranges_are_422(stats: Stats, world: Community, query: dict[str, str]) -> None:
    reply = stats(world.people["manager"], **query)

    assert reply.status == 422, reply.body


def test_a_full_leap_year_is_allowed(stats: Stats, world: Community) -> None:
    reply = stats(world.people["manager"], **{"from": "2024-01-01", "to": "2024-12-31"})  # 366 days

    assert reply.status == 200, reply.body
    assert reply.body["sites"] == []


def test_emergency_response_times_per_month_are_in_the_stats(
    call: Call, stats: Stats, world: Community, clock: FixedClock, staff: Callable[..., Caller]
) -> None:
    responder = staff(world, "responder", Role.TECHNICIAN, skills=("security",))
    li, zhao = world.people["li"], world.people["zhao"]
    _at(clock, 0)
    first = call("POST", "/tickets", as_=li, body={"kind": "sos", "description": "救命"})
    _at(clock, 1)
    second = call("POST", "/tickets", as_=zhao, body={"kind": "sos", "description": "摔倒了"})
    assert (first.status, second.status) == (201, 201), (first.body, second.body)
    _at(clock, 3)
    _act(call, responder, first.body["ticket_id"], "accept")  # 3 minutes: within the promise
    _at(clock, 9)
    _act(call, responder, second.body["ticket_id"], "accept")  # 8 minutes: too late

    site = stats(world.people["manager"], **{"from": "2026-03-01", "to": "2026-03-31"}).body["sites"][0]

    assert site["emergency_response"] == [
        {
            "month": "2026-03",
            "emergencies": 2,
            "acknowledged": 2,
            "p50_minutes": 3.0,
            "p90_minutes": 8.0,
            "within_5_min_pct": 50.0,
        }
    ]
