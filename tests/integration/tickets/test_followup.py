"""Follow-up on moto: the return visit and the quality check, once each, by the desk or a manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.conftest import Arranged
from tests.integration.tickets.conftest import Caller, Community, Reply, tickets_items

Call = Callable[..., Reply]


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
        staff(community, "desk", Role.SERVICE_DESK)
        staff(community, "manager", Role.MANAGER)
        staff(community, "finance", Role.FINANCE)
        staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
        return community

    return arranged(build)


def _file(call: Call, who: Caller) -> str:
    body = {"kind": "repair", "category": "plumbing", "description": "厨房水管漏水"}
    reply = call("POST", "/tickets", as_=who, body=body)
    assert reply.status == 201, reply.body
    return str(reply.body["ticket_id"])


def _act(call: Call, who: Caller, ticket_id: str, action: str) -> None:
    reply = call("POST", f"/tickets/{ticket_id}/actions", as_=who, body={"action": action})
    assert reply.status == 200, reply.body


def _resolved(call: Call, world: Community, clock: FixedClock) -> str:
    ticket_id = _file(call, world.people["li"])
    for action in ("accept", "start", "resolve"):
        clock.advance(minutes=5)
        _act(call, world.people["plumber"], ticket_id, action)
    clock.advance(minutes=5)
    return ticket_id


def _ticket_item(stack: Stack, ticket_id: str) -> dict[str, Any]:
    return next(
        i for i in tickets_items(stack) if i["sk"]["S"] == "TICKET" and i["ticket_id"]["S"] == ticket_id
    )


def test_desk_records_a_return_visit_once_with_a_timeline_entry(
    call: Call, world: Community, clock: FixedClock, stack: Stack
) -> None:
    ticket_id = _resolved(call, world, clock)
    desk = world.people["desk"]
    body = {"note": "电话回访，住户表示已不漏水", "satisfied": True}

    reply = call("POST", f"/tickets/{ticket_id}/return-visit", as_=desk, body=body)

    assert reply.status == 200, reply.body
    visit = reply.body["return_visit"]
    assert visit == {"by": desk.user_id, "at": "2026-03-10T02:20:00.000Z", **body}
    version = reply.body["version"]
    again = call("POST", f"/tickets/{ticket_id}/return-visit", as_=world.people["manager"], body=body)
    assert again.status == 409
    shown = call("GET", f"/tickets/{ticket_id}", as_=world.people["li"]).body
    assert shown["return_visit"] == visit
    assert shown["version"] == version
    timeline = call("GET", f"/tickets/{ticket_id}/timeline", as_=desk).body["timeline"]
    assert timeline[-1]["action"] == "return_visit"
    assert timeline[-1]["note"] == body["note"]
    assert [e["action"] for e in timeline].count("return_visit") == 1
    assert _ticket_item(stack, ticket_id)["return_visit"]["M"]["satisfied"] == {"BOOL": True}


def test_quality_check_is_recorded_once_and_hidden_from_residents(
    call: Call, world: Community, clock: FixedClock
) -> None:
    ticket_id = _resolved(call, world, clock)
    manager, li = world.people["manager"], world.people["li"]

    reply = call(
        "POST",
        f"/tickets/{ticket_id}/quality-check",
        as_=manager,
        body={"passed": False, "note": "接口仍渗水"},
    )

    assert reply.status == 200, reply.body
    assert reply.body["quality_check"]["passed"] is False
    assert reply.body["quality_check"]["note"] == "接口仍渗水"
    second = call("POST", f"/tickets/{ticket_id}/quality-check", as_=manager, body={"passed": True})
    assert second.status == 409
    assert call("GET", f"/tickets/{ticket_id}", as_=manager).body["quality_check"]["by"] == manager.user_id
    # The reporter sees neither the check on the ticket nor its timeline entry.
    assert call("GET", f"/tickets/{ticket_id}", as_=li).body["quality_check"] is None
    resident_timeline = call("GET", f"/tickets/{ticket_id}/timeline", as_=li).body["timeline"]
    assert "quality_check" not in [e["action"] for e in resident_timeline]
    staff_timeline = call("GET", f"/tickets/{ticket_id}/timeline", as_=manager).body["timeline"]
    assert [e["action"] for e in staff_timeline].count("quality_check") == 1


def test_follow_up_survives_a_later_state_change(call: Call, world: Community, clock: FixedClock) -> None:
    ticket_id = _resolved(call, world, clock)
    desk = world.people["desk"]
    call("POST", f"/tickets/{ticket_id}/return-visit", as_=desk, body={"note": "已回访"})
    call("POST", f"/tickets/{ticket_id}/quality-check", as_=desk, body={"passed": True})

    _act(call, world.people["li"], ticket_id, "close")  # a full put of the ticket item

    ticket = call("GET", f"/tickets/{ticket_id}", as_=desk).body
    assert ticket["status"] == "closed"
    assert ticket["return_visit"]["note"] == "已回访"
    assert ticket["return_visit"]["satisfied"] is None
    assert ticket["quality_check"]["passed"] is True


@pytest.mark.parametrize("path", ["return-visit", "quality-check"])
def test_roles_are_refused_with_403(
    call: Call, world: Community, clock: FixedClock, stack: Stack, path: str
) -> None:
    ticket_id = _resolved(call, world, clock)
    body = {"note": "x"} if path == "return-visit" else {"passed": True}
    before = tickets_items(stack)

    for who in ("li", "plumber", "finance"):
        reply = call("POST", f"/tickets/{ticket_id}/{path}", as_=world.people[who], body=body)
        assert reply.status == 403, (who, reply.body)
    assert tickets_items(stack) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("return-visit", {}),
        ("return-visit", {"note": ""}),
        ("return-visit", {"note": "x" * 1001}),
        ("return-visit", {"note": "ok", "satisfied": "very"}),
        ("return-visit", {"note": "ok", "extra": 1}),
        ("quality-check", {}),
        ("quality-check", {"passed": False}),
        ("quality-check", {"passed": True, "note": "x" * 1001}),
        ("quality-check", {"passed": "maybe"}),
    ],
)
def test_bad_input_is_422_and_writes_nothing(
    call: Call, world: Community, clock: FixedClock, stack: Stack, path: str, body: dict[str, Any]
) -> None:
    ticket_id = _resolved(call, world, clock)
    before = tickets_items(stack)

    reply = call("POST", f"/tickets/{ticket_id}/{path}", as_=world.people["desk"], body=body)

    assert reply.status == 422, reply.body
    assert tickets_items(stack) == before


@pytest.mark.parametrize("path", ["return-visit", "quality-check"])
def test_follow_up_needs_a_resolved_or_closed_ticket(
    call: Call, world: Community, clock: FixedClock, stack: Stack, path: str
) -> None:
    ticket_id = _file(call, world.people["li"])
    before = tickets_items(stack)
    body = {"note": "x"} if path == "return-visit" else {"passed": True}

    reply = call("POST", f"/tickets/{ticket_id}/{path}", as_=world.people["desk"], body=body)

    assert reply.status == 409
    assert tickets_items(stack) == before


def test_another_tenants_ticket_is_404(
    call: Call,
    world: Community,
    clock: FixedClock,
    seed: Callable[..., Community],
    staff: Callable[..., Caller],
) -> None:
    ticket_id = _resolved(call, world, clock)
    other = seed("Elsewhere")
    their_desk = staff(other, "desk", Role.SERVICE_DESK)

    for path, body in (("return-visit", {"note": "x"}), ("quality-check", {"passed": True})):
        reply = call("POST", f"/tickets/{ticket_id}/{path}", as_=their_desk, body=body)
        assert reply.status == 404, reply.body
