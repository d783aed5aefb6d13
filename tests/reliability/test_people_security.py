"""Security inside a firm, the people half of issue 17, across every feature of the seeded world.

A resident who moved out of a unit can no longer issue passes or file tickets for it from that moment (the
write checks the live link), and loses what the unit shows them in every feature (bills, notices, its new
occupants) at once, inside the minute a container keeps their unit links (live passes are revoked at once),
while their own history (tickets, passes, messages) stays theirs; a deactivated or demoted staff member's
token stops working within a minute. The world is this module's own (the move-out changes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from courtyard.tenancy import Role
from tests.integration.api import Caller
from tests.reliability.world import SECRETS, World, _pump, _pump_fanout, running_world

PAST_THE_CACHE = 61


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world() as built:
        yield built


@pytest.fixture(scope="module")
def moved(world: World) -> dict[str, Any]:
    """The first resident moves out of their unit (the desk ends the link); the consumers run."""
    from visitors import residency_handler

    resident = world.demo.user("greenfield", Role.RESIDENT)
    unit = world.own["unit_id"][0]
    # The resident's containers hold their unit links (a pass and a ticket for the unit, just before).
    acts = {
        "/passes": {"visitor_name": "孙先生", "unit_id": unit},
        "/tickets": {"kind": "repair", "category": "plumbing", "description": "水管", "unit_id": unit},
    }
    for path, body in acts.items():
        assert world.call("POST", path, world.a["resident"], body=body).status == 201
    inbox_before = world.call("GET", "/inbox", world.a["resident"]).body["items"]
    reply = world.call(
        "POST",
        "/units/{unit_id}/residents/{resident_id}/end",
        world.a["service_desk"],
        {"unit_id": unit, "resident_id": resident.person_id},
        body={"reason": "sale"},
    )
    assert reply.status == 200, reply.body
    _pump(world.stack, "VisitorsResidencyQueue", residency_handler)
    # What they do for the unit is refused at once, inside the minute their links are still kept.
    at_once = {path: world.call("POST", path, world.a["resident"], body=body) for path, body in acts.items()}
    # No clock is advanced: every test below runs inside the minute a container keeps the caller's unit
    # links (issue 18), so what they read is shown to follow the move-out at once, not after the minute.
    return {
        "unit": unit,
        "resident_id": resident.person_id,
        "inbox_before": inbox_before,
        "at_once": at_once,
    }


def test_at_once_they_can_issue_no_pass_and_file_no_ticket_for_the_unit(world: World, moved):
    for path, reply in moved["at_once"].items():
        assert (reply.status, reply.body["error"]["code"]) == (403, "residency_ended"), (path, reply.body)


def test_their_live_pass_for_the_unit_is_revoked_and_the_gate_denies_it(world: World, moved):
    pass_id = world.own["pass_id"][0]

    seen = world.call("GET", "/passes/{pass_id}", world.a["manager"], {"pass_id": pass_id})
    scan = world.call(
        "POST",
        "/gate/scans",
        world.a["guard"],
        body={"site_id": world.ids["site_id"][0], "gate_id": "north-1", "token": world.pass_token},
    )

    assert seen.body["status"] == "revoked"
    assert scan.body["verdict"] == "deny"


def test_they_cannot_issue_a_pass_for_the_unit(world: World, moved):
    reply = world.call(
        "POST", "/passes", world.a["resident"], body={"visitor_name": "孙先生", "unit_id": moved["unit"]}
    )

    assert reply.status in (403, 404, 409, 422), reply.body


def test_they_no_longer_see_the_units_bills(world: World, moved):
    listed = world.call("GET", "/bills", world.a["resident"], query={"unit_id": moved["unit"]})

    assert listed.status in (403, 404) or listed.body["items"] == []


def test_they_cannot_file_a_ticket_for_the_unit(world: World, moved):
    body = {"kind": "repair", "category": "plumbing", "description": "水管", "unit_id": moved["unit"]}

    reply = world.call("POST", "/tickets", world.a["resident"], body=body)

    assert reply.status in (403, 404, 409, 422), reply.body


def test_their_own_ticket_stays_theirs(world: World, moved):
    ticket_id = world.own["ticket_id"][0]

    reply = world.call("GET", "/tickets/{ticket_id}", world.a["resident"], {"ticket_id": ticket_id})

    assert reply.status == 200


def test_a_new_notice_to_the_community_no_longer_reaches_them(world: World, moved):
    body = {
        "content": {"zh-CN": {"title": "停电通知", "body": "周五停电"}},
        "audience": {"site_id": world.ids["site_id"][0], "everyone": True},
        "channels": ["inbox"],
    }
    assert world.call("POST", "/notices", world.a["manager"], body=body).status in (200, 201, 202)
    _pump_fanout(world.stack)

    inbox = world.call("GET", "/inbox", world.a["resident"]).body["items"]

    assert len(inbox) == len(moved["inbox_before"])  # their old messages stay, the new one never came


def test_they_cannot_see_the_units_new_occupants(world: World, moved):
    newcomer = world.call(
        "POST",
        "/residents",
        world.a["service_desk"],
        body={
            "name": "新业主",
            "phone": "13655556666",
            "units": [{"unit_id": moved["unit"], "relation": "owner", "primary": True}],
        },
    )
    assert newcomer.status == 201, newcomer.body

    listed = world.call("GET", "/residents", world.a["resident"], query={"unit_id": moved["unit"]})
    read = world.call(
        "GET", "/residents/{resident_id}", world.a["resident"], {"resident_id": newcomer.body["resident_id"]}
    )

    assert listed.status in (403, 404)
    assert read.status == 404


def test_their_moved_out_history_is_theirs_to_read(world: World, moved):
    reply = world.call(
        "GET",
        "/residents/{resident_id}/residences",
        world.a["resident"],
        {"resident_id": moved["resident_id"]},
    )

    assert reply.status == 200
    assert [(r["unit_id"], r["reason"]) for r in reply.body] == [(moved["unit"], "sale")]


def test_the_neighbour_cannot_read_someone_elses_history(world: World, moved):
    reply = world.call(
        "GET", "/residents/{resident_id}/residences", world.neighbour, {"resident_id": moved["resident_id"]}
    )

    assert reply.status == 404


@pytest.mark.parametrize("role", ["technician", "guard", "finance"])
def test_staff_outside_the_desk_cannot_end_a_residency(world: World, role: str):
    unit = world.ids["unit_id"][1]
    neighbour_id = world.ids["resident_id"][-1]

    reply = world.call(
        "POST",
        "/units/{unit_id}/residents/{resident_id}/end",
        world.a[role],
        {"unit_id": unit, "resident_id": neighbour_id},
        body={"reason": "move_out"},
    )

    assert reply.status == 403


def test_a_deactivated_technician_is_refused_after_a_minute_in_every_feature(world: World):
    technician: Caller = world.a["technician"]
    staff_id = world.demo.user("greenfield", Role.TECHNICIAN).person_id
    before = world.call("GET", "/tickets", technician)

    off = world.call(
        "PATCH", "/staff/{staff_id}", world.a["manager"], {"staff_id": staff_id}, body={"active": False}
    )
    world.clock.advance(PAST_THE_CACHE)
    after_tickets = world.call("GET", "/tickets", technician)
    after_jobs = world.call("GET", "/staff/{staff_id}", technician, {"staff_id": staff_id})

    assert before.status == 200
    assert off.status == 200, off.body
    assert after_tickets.status == 401
    assert after_jobs.status == 401


# ---------------------------------------------------------------- erasure reaches every feature


def test_erasure_removes_the_account_devices_inbox_preferences_and_passes_personal_fields(
    world: World, moved
):
    """Runs last: the first resident erases themself; each feature's consumer removes what it holds."""
    from notifications import events_handler
    from payments import people_handler as payments_people
    from tickets import people_handler as tickets_people
    from visitors import residency_handler

    resident: Caller = world.a["resident"]
    user = world.demo.user("greenfield", Role.RESIDENT)
    put = world.call("PUT", "/me/notification-preferences", resident, body={"language": "en"})
    assert put.status == 200, put.body
    assert world.call("GET", "/inbox", resident).body["items"]

    erased = world.call("POST", "/me/erase", resident)
    _pump(world.stack, "NotificationsEventQueue", events_handler)
    _pump(world.stack, "VisitorsResidencyQueue", residency_handler)
    _pump(world.stack, "TicketsPeopleQueue", tickets_people)
    _pump(world.stack, "PaymentsPeopleQueue", payments_people)

    assert erased.status == 200, erased.body
    users = boto3.client("cognito-idp").list_users(UserPoolId=world.stack.ref("UserPool"))["Users"]
    assert user.username not in {u["Username"] for u in users}
    notifications = json.dumps(
        boto3.client("dynamodb").scan(TableName=world.stack.ref("NotificationsTable"))["Items"],
        ensure_ascii=False,
    )
    assert f"INBOX#{resident.user_id}" not in notifications
    assert f"USER#{resident.user_id}" not in notifications
    everything = world.tenant_items(world.demo.tenants["greenfield"])
    assert SECRETS["push_token"] not in everything
    assert (
        boto3.client("sns").list_endpoints_by_platform_application(
            PlatformApplicationArn=_fcm_application(world)
        )["Endpoints"]
        == []
    )
    seen = world.call(
        "GET", "/passes/{pass_id}", world.a["manager"], {"pass_id": world.own["pass_id"][0]}
    ).body
    assert SECRETS["visitor_name"] not in json.dumps(seen, ensure_ascii=False)
    assert SECRETS["visitor_name"] not in world.tenant_items(world.demo.tenants["greenfield"])
    assert SECRETS["visitor_plate"] not in json.dumps(seen, ensure_ascii=False)
    # Tickets keep the repair, not the reporter; payments keep the money, not the payer.
    assert SECRETS["ticket_description"] not in everything
    ticket = world.call(
        "GET", "/tickets/{ticket_id}", world.a["manager"], {"ticket_id": world.own["ticket_id"][0]}
    )
    assert ticket.status == 200, ticket.body
    payments = boto3.client("dynamodb").scan(TableName=world.stack.ref("PaymentsTable"))["Items"]
    holding = [(i["pk"]["S"], i["sk"]["S"]) for i in payments if resident.user_id in json.dumps(i)]
    assert holding == []


def _fcm_application(world: World) -> str:
    apps = boto3.client("sns").list_platform_applications()["PlatformApplications"]
    return next(a["PlatformApplicationArn"] for a in apps if "/GCM/" in a["PlatformApplicationArn"])
