"""Dispatch follows the duty roster, and a guard answers an SOS (issue 19), through the tickets handler on
moto: the roster and the firm's calendar are the directory's items (``courtyard.duty``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.tickets.conftest import Caller, Community, Reply
from tests.integration.tickets.test_jobs import run_job

__all__ = ["run_job"]

Call = Callable[..., Reply]
# 03:00 in Shanghai on 3 October 2026, a National Day holiday.
HOLIDAY_3AM = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)


def _put(stack: Stack, item: dict[str, Any]) -> None:
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(Item=item)


@pytest.fixture
def world(
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    stack: Stack,
    clock: FixedClock,
) -> Community:
    """An elder in a101; a technician flagged on duty by hand who covers building A with the security
    trade; the holiday night technician on the roster (no flag, no security trade); the night guard."""
    community = seed()
    residents(community, "elder", "a101")
    staff(community, "flagged", Role.TECHNICIAN, skills=("security",), staff_id="A-FLAGGED")
    staff(community, "night_tech", Role.TECHNICIAN, skills=("general",), on_duty=False, staff_id="N-NIGHT")
    staff(community, "night_guard", Role.GUARD, on_duty=False, staff_id="G-NIGHT")
    t = community.tenant_id
    _put(stack, {**Keys.duty_calendar(t), "holidays": [f"2026-10-0{d}" for d in range(1, 8)]})
    lines = [
        {"staff_id": "N-NIGHT", "shift": "night", "days": "holiday"},
        {"staff_id": "G-NIGHT", "shift": "night", "days": "every"},
    ]
    _put(stack, {**Keys.duty_roster(t, community.site_id), "lines": lines})
    clock.set(HOLIDAY_3AM)
    return community


def test_an_sos_at_three_on_a_holiday_is_assigned_to_the_rostered_night_technician(
    call: Call, world: Community
) -> None:
    reply = call("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"})

    assert reply.status == 201, reply.body
    assert reply.body["assignee_staff_id"] == "N-NIGHT"  # not the technician flagged by hand


def test_on_a_workday_night_the_roster_has_nobody_and_the_flag_decides(
    call: Call, world: Community, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 10, 12, 19, 0, tzinfo=UTC))  # 03:00 on Tuesday 13 October

    reply = call("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"})

    assert reply.body["assignee_staff_id"] == "A-FLAGGED"


def test_the_guard_on_duty_accepts_the_sos_and_a_repair_stays_the_technicians(
    call: Call, world: Community, published: list[tuple[str, dict[str, Any]]]
) -> None:
    sos = call("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"}).body
    guard = world.people["night_guard"]

    accepted = call("POST", f"/tickets/{sos['ticket_id']}/actions", as_=guard, body={"action": "accept"})

    assert accepted.status == 200, accepted.body
    assert accepted.body["status"] == "accepted"
    assert accepted.body["assignee_staff_id"] == "N-NIGHT"  # the technician still comes
    # The event the emergency ladder stops on, by the guard.
    name, detail = published[-1]
    assert (name, detail["action"], detail["by"]) == ("TicketStatusChanged", "accept", guard.user_id)
    # Accepting again is a conflict, for the guard and for the technician.
    again = call("POST", f"/tickets/{sos['ticket_id']}/actions", as_=guard, body={"action": "accept"})
    assert again.status == 409

    repair = call(
        "POST",
        "/tickets",
        as_=world.people["elder"],
        body={"kind": "repair", "category": "other", "description": "门铃坏了"},
    ).body
    refused = call("POST", f"/tickets/{repair['ticket_id']}/actions", as_=guard, body={"action": "accept"})
    assert refused.status == 403


def test_an_sos_not_accepted_in_time_goes_to_the_next_technician_on_the_roster(
    call: Call,
    world: Community,
    staff: Callable[..., Caller],
    stack: Stack,
    clock: FixedClock,
    run_job: Callable[[], dict[str, int]],
) -> None:
    staff(world, "night_tech_2", Role.TECHNICIAN, skills=("general",), on_duty=False, staff_id="N-NIGHT-2")
    lines = [
        {"staff_id": "N-NIGHT", "shift": "night", "days": "holiday"},
        {"staff_id": "N-NIGHT-2", "shift": "night", "days": "holiday"},
    ]
    _put(stack, {**Keys.duty_roster(world.tenant_id, world.site_id), "lines": lines})
    sos = call("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"}).body
    assert sos["assignee_staff_id"] == "N-NIGHT"

    clock.advance(minutes=2)  # an emergency's acceptance window
    run_job()

    moved = call("GET", f"/tickets/{sos['ticket_id']}", as_=world.people["night_guard"]).body
    assert moved["assignee_staff_id"] == "N-NIGHT-2"  # the roster's other technician, not the flagged one
