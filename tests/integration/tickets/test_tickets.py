"""Tickets API on moto: filing, dispatch, the state machine, visibility, comments, ratings and settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from courtyard.aws_calls import count_aws_calls
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
    """Greenfield: residents Li (a101, b201) and Zhao (a102, Li's neighbour); a desk agent, a manager,
    a plumber covering building A and an electrician on building B."""

    def build() -> Community:
        community = seed()
        residents(community, "li", "a101", "b201")
        residents(community, "zhao", "a102")
        staff(community, "desk", Role.SERVICE_DESK)
        staff(community, "manager", Role.MANAGER)
        staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
        staff(community, "sparky", Role.TECHNICIAN, skills=("electrical",), buildings=(community.building_b,))
        return community

    return arranged(build)


def _file(call: Call, who: Caller, **body: Any) -> Reply:
    payload = {"kind": "repair", "category": "plumbing", "description": "厨房水管漏水", **body}
    return call("POST", "/tickets", as_=who, body=payload)


# ------------------------------------------------------------------ create


def test_resident_files_a_repair_for_their_primary_unit_and_it_is_dispatched(
    call: Call, world: Community, published: list[tuple[str, dict[str, Any]]]
) -> None:
    reply = _file(call, world.people["li"])

    assert reply.status == 201, reply.body
    ticket = reply.body
    assert ticket["unit_id"] == world.units["a101"]
    assert ticket["building_id"] == world.building_a
    assert ticket["status"] == "assigned"
    assert ticket["assignee_staff_id"] == world.staff_ids["plumber"]
    assert ticket["priority"] == "normal"
    # Filed Tuesday 10:00 Shanghai: two business hours later.
    assert ticket["respond_by"] == "2026-03-10T04:00:00.000Z"
    assert [name for name, _ in published] == ["TicketCreated", "TicketAssigned"]
    assert published[1][1]["by"] == "system"


def test_sos_at_3am_reaches_an_on_duty_technician_covering_the_building_with_a_five_minute_clock(
    call: Call,
    world: Community,
    staff: Callable[..., Caller],
    clock: FixedClock,
    published: list[tuple[str, dict[str, Any]]],
) -> None:
    staff(world, "guard-off", Role.TECHNICIAN, skills=("security",), on_duty=False, staff_id="A-OFF")
    staff(
        world,
        "guard-b",
        Role.TECHNICIAN,
        skills=("security",),
        buildings=(world.building_b,),
        staff_id="B-ON",
    )
    staff(world, "guard-a", Role.TECHNICIAN, skills=("security", "elevator"), buildings=(world.building_a,))
    clock.set(datetime(2026, 3, 10, 19, 0, tzinfo=UTC))  # 03:00 on the 11th in Asia/Shanghai

    reply = call("POST", "/tickets", as_=world.people["li"], body={"kind": "sos"})

    assert reply.status == 201, reply.body
    assert reply.body["priority"] == "emergency"
    assert reply.body["category"] == "security"
    assert reply.body["assignee_staff_id"] == world.staff_ids["guard-a"]
    assert reply.body["respond_by"] == "2026-03-10T19:05:00.000Z"
    assert ("TicketAssigned", published[-1][1]) == published[-1]


def test_sos_for_a_common_area_with_nobody_eligible_waits_in_the_desk_queue(
    call: Call, world: Community
) -> None:
    reply = call(
        "POST",
        "/tickets",
        as_=world.people["li"],
        body={"kind": "sos", "site_id": world.site_id, "location": "地下车库B2"},
    )

    assert reply.status == 201, reply.body
    assert reply.body["status"] == "submitted"
    assert reply.body["unit_id"] is None
    assert reply.body["location"] == "地下车库B2"


def test_same_idempotency_key_returns_the_same_ticket_and_a_different_body_is_422(
    call: Call, world: Community, stack: Stack
) -> None:
    headers = {"Idempotency-Key": "retry-0001-abcdef"}
    first = call("POST", "/tickets", as_=world.people["li"], body={"kind": "sos"}, headers=headers)
    again = call("POST", "/tickets", as_=world.people["li"], body={"kind": "sos"}, headers=headers)
    other = call(
        "POST",
        "/tickets",
        as_=world.people["li"],
        body={"kind": "repair", "description": "灯坏了"},
        headers=headers,
    )

    assert first.status == 201
    assert again.status == 200
    assert again.body["ticket_id"] == first.body["ticket_id"]
    assert other.status == 422
    assert other.body["error"]["details"][0]["type"] == "key_reused"
    tickets = [i for i in tickets_items(stack) if i["sk"]["S"] == "TICKET"]
    assert len(tickets) == 1


def test_desk_files_on_behalf_of_a_resident_who_then_sees_it(call: Call, world: Community) -> None:
    reply = call(
        "POST",
        "/tickets",
        as_=world.people["desk"],
        body={"kind": "complaint", "category": "noise", "description": "楼上装修噪音"},
        headers={"X-On-Behalf-Of": world.residents["zhao"], "X-Assist-Reason": "by phone"},
    )

    assert reply.status == 201, reply.body
    assert reply.body["unit_id"] == world.units["a102"]
    assert reply.body["reporter_user_id"] == world.people["zhao"].user_id
    seen = call("GET", f"/tickets/{reply.body['ticket_id']}", as_=world.people["zhao"])
    assert seen.status == 200


def test_a_resident_only_on_behalf_of_is_forbidden(call: Call, world: Community) -> None:
    reply = call(
        "POST",
        "/tickets",
        as_=world.people["li"],
        body={"kind": "sos"},
        headers={"X-On-Behalf-Of": world.residents["zhao"], "X-Assist-Reason": "by phone"},
    )
    assert reply.status == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "repair"}, 422),  # no description
        ({"kind": "repair", "description": "x" * 2001}, 422),
        ({"kind": "fire", "description": "?"}, 422),
        ({"kind": "sos", "site_id": "S1"}, 422),  # common area without location
        ({"kind": "sos", "unit_id": "NOT-MINE"}, 422),
        ({"kind": "sos", "extra": 1}, 422),
        ("{not json", 400),
    ],
)
def test_bad_input_is_refused_with_an_error_body_and_writes_nothing(
    call: Call, world: Community, stack: Stack, body: Any, status: int
) -> None:
    reply = call("POST", "/tickets", as_=world.people["li"], body=body)

    assert reply.status == status, reply.body
    assert reply.body["error"]["code"]
    assert tickets_items(stack) == []


def test_resident_cannot_file_for_a_neighbours_unit(call: Call, world: Community, stack: Stack) -> None:
    reply = _file(call, world.people["li"], unit_id=world.units["a102"])
    assert reply.status == 422
    assert tickets_items(stack) == []


# ------------------------------------------------------------------ reads and visibility


def test_get_is_one_dynamodb_call_and_neighbours_and_other_tenants_get_404(
    call: Call, world: Community, seed: Callable[..., Community], staff: Callable[..., Caller]
) -> None:
    ticket_id = _file(call, world.people["li"]).body["ticket_id"]
    other = seed("Harbour")
    outsider = staff(other, "other-manager", Role.MANAGER)
    # Warm the tenant-status cache, as a running container would have.
    call("GET", f"/tickets/{ticket_id}", as_=world.people["li"])

    with count_aws_calls() as calls:
        mine = call("GET", f"/tickets/{ticket_id}", as_=world.people["li"])

    assert mine.status == 200
    assert calls.total == 1, calls
    assert call("GET", f"/tickets/{ticket_id}", as_=world.people["zhao"]).status == 404
    assert call("GET", f"/tickets/{ticket_id}", as_=outsider).status == 404
    assert call("GET", f"/tickets/{ticket_id}", as_=world.people["plumber"]).status == 200
    assert call("GET", "/tickets/NOPE", as_=world.people["manager"]).status == 404


def test_lists_are_one_query_and_residents_only_see_their_own(call: Call, world: Community) -> None:
    mine = _file(call, world.people["li"]).body["ticket_id"]
    theirs = _file(call, world.people["zhao"]).body["ticket_id"]
    call("GET", "/tickets", as_=world.people["manager"])  # warm the tenant cache

    with count_aws_calls() as calls:
        everything = call("GET", "/tickets", as_=world.people["manager"])
    assert calls.count("dynamodb", "Query") == 1
    assert calls.total == 1
    assert {t["ticket_id"] for t in everything.body["items"]} == {mine, theirs}

    li = call("GET", "/tickets", as_=world.people["li"])
    assert [t["ticket_id"] for t in li.body["items"]] == [mine]
    by_site = call(
        "GET", "/tickets", as_=world.people["desk"], query={"site_id": world.site_id, "limit": "1"}
    )
    assert len(by_site.body["items"]) == 1
    assert by_site.body["next_cursor"]
    page2 = call(
        "GET",
        "/tickets",
        as_=world.people["desk"],
        query={"site_id": world.site_id, "limit": "1", "cursor": by_site.body["next_cursor"]},
    )
    assert page2.status == 200
    assert {by_site.body["items"][0]["ticket_id"], page2.body["items"][0]["ticket_id"]} == {mine, theirs}
    assigned = call("GET", "/tickets", as_=world.people["plumber"], query={"assignee": "me"})
    assert {t["ticket_id"] for t in assigned.body["items"]} == {mine, theirs}
    submitted = call("GET", "/tickets", as_=world.people["manager"], query={"status": "submitted"})
    assert submitted.body["items"] == []
    tampered = call("GET", "/tickets", as_=world.people["manager"], query={"cursor": "garbage"})
    assert tampered.status == 400


def test_lists_filter_by_priority_and_overdue_in_one_query(
    call: Call, world: Community, clock: FixedClock
) -> None:
    """The console's filters: priority, and overdue (still open past its resolve-by time)."""
    urgent = _file(call, world.people["li"], priority="urgent").body
    normal = _file(call, world.people["zhao"]).body
    manager = world.people["manager"]

    by_priority = call("GET", "/tickets", as_=manager, query={"priority": "urgent"})
    assert [t["ticket_id"] for t in by_priority.body["items"]] == [urgent["ticket_id"]]
    assert call("GET", "/tickets", as_=manager, query={"overdue": "true"}).body["items"] == []

    # Past the urgent ticket's resolve-by time, before the normal one's: only the urgent one is overdue.
    assert urgent["resolve_by"] < normal["resolve_by"]
    clock.set(datetime.fromisoformat(urgent["resolve_by"]).replace(microsecond=0) + timedelta(minutes=1))
    with count_aws_calls() as calls:
        overdue = call("GET", "/tickets", as_=manager, query={"overdue": "true", "site_id": world.site_id})
    assert calls.count("dynamodb", "Query") == 1
    assert [t["ticket_id"] for t in overdue.body["items"]] == [urgent["ticket_id"]]
    # A resolved ticket is no longer overdue, whatever its deadline.
    _act(call, world.people["plumber"], urgent["ticket_id"], "accept")
    _act(call, world.people["plumber"], urgent["ticket_id"], "start")
    _act(call, world.people["plumber"], urgent["ticket_id"], "resolve")
    assert call("GET", "/tickets", as_=manager, query={"overdue": "true"}).body["items"] == []

    bad = call("GET", "/tickets", as_=manager, query={"priority": "whenever"})
    assert bad.status == 422
    assert bad.body["error"]["details"]


# ------------------------------------------------------------------ the state machine


def _act(call: Call, who: Caller, ticket_id: str, action: str, **extra: Any) -> Reply:
    return call("POST", f"/tickets/{ticket_id}/actions", as_=who, body={"action": action, **extra})


def test_the_closed_loop_through_the_api(
    call: Call, world: Community, published: list[tuple[str, dict[str, Any]]], stack: Stack
) -> None:
    li, plumber = world.people["li"], world.people["plumber"]
    ticket_id = _file(call, li).body["ticket_id"]

    assert _act(call, plumber, ticket_id, "accept").body["status"] == "accepted"
    assert _act(call, plumber, ticket_id, "start").body["status"] == "in_progress"
    assert _act(call, plumber, ticket_id, "resolve", note="换了阀门").body["status"] == "resolved"
    rated = call("POST", f"/tickets/{ticket_id}/rating", as_=li, body={"score": 5, "comment": "很快"})
    assert rated.status == 200
    assert rated.body["rating"] == 5
    closed = _act(call, li, ticket_id, "close")
    assert closed.body["status"] == "closed"

    timeline = call("GET", f"/tickets/{ticket_id}/timeline", as_=li).body["timeline"]
    assert [e["action"] for e in timeline] == ["create", "assign", "accept", "start", "resolve", "close"]
    names = [name for name, _ in published]
    assert names.count("TicketStatusChanged") == 4
    assert "TicketRated" in names
    # Each status change names the reporter, so notifications can tell them.
    reporters = {d["reporter_user_id"] for name, d in published if name == "TicketStatusChanged"}
    assert reporters == {li.user_id}
    item = next(i for i in tickets_items(stack) if i["sk"]["S"] == "TICKET")
    assert "due_pk" not in item
    assert "next_check_at" not in item
    load = next(i for i in tickets_items(stack) if i["sk"]["S"].startswith("STAFF#"))
    assert load["open_tickets"]["N"] == "0"


def test_open_tickets_sit_in_the_due_index_and_count_against_the_assignee(
    call: Call, world: Community, stack: Stack
) -> None:
    ticket_id = _file(call, world.people["li"]).body["ticket_id"]
    item = next(i for i in tickets_items(stack) if i["sk"]["S"] == "TICKET")
    # Assigned at 10:00; the normal acceptance window (30 min) ends before the response target (12:00).
    assert item["next_check_at"]["S"] == "2026-03-10T02:30:00.000Z"
    assert item["due_sk"]["S"].endswith(f"#{world.tenant_id}#{ticket_id}")
    load = next(i for i in tickets_items(stack) if i["sk"]["S"].startswith("STAFF#"))
    assert load["open_tickets"]["N"] == "1"


def test_invalid_transition_is_409_and_wrong_role_is_403(call: Call, world: Community) -> None:
    ticket_id = _file(call, world.people["li"]).body["ticket_id"]

    assert _act(call, world.people["plumber"], ticket_id, "start").status == 409
    assert _act(call, world.people["li"], ticket_id, "accept").status == 403
    assert _act(call, world.people["sparky"], ticket_id, "accept").status == 403
    assert _act(call, world.people["li"], ticket_id, "close").status == 409
    assert _act(call, world.people["zhao"], ticket_id, "cancel").status == 404
    assert _act(call, world.people["manager"], ticket_id, "fly").status == 422


def test_desk_reassigns_and_the_load_follows(call: Call, world: Community, stack: Stack) -> None:
    ticket_id = _file(call, world.people["li"]).body["ticket_id"]

    moved = _act(call, world.people["desk"], ticket_id, "assign", assignee_staff_id=world.staff_ids["sparky"])

    assert moved.status == 200, moved.body
    assert moved.body["assignee_staff_id"] == world.staff_ids["sparky"]
    loads = {
        i["sk"]["S"]: i["open_tickets"]["N"]
        for i in tickets_items(stack)
        if i["sk"]["S"].startswith("STAFF#")
    }
    assert loads == {f"STAFF#{world.staff_ids['plumber']}": "0", f"STAFF#{world.staff_ids['sparky']}": "1"}
    unknown = _act(call, world.people["desk"], ticket_id, "assign", assignee_staff_id="NOBODY")
    assert unknown.status == 422


def test_reporter_cancels_and_reopen_after_resolve(call: Call, world: Community) -> None:
    li = world.people["li"]
    first = _file(call, li).body["ticket_id"]
    assert _act(call, li, first, "cancel").body["status"] == "cancelled"
    assert _act(call, li, first, "cancel").status == 409

    second = _file(call, li).body["ticket_id"]
    assert _act(call, world.people["desk"], second, "resolve").body["status"] == "resolved"
    reopened = _act(call, li, second, "reopen")
    assert reopened.body["status"] == "assigned"
    assert reopened.body["reopen_count"] == 1


def test_a_stale_version_is_a_conflict(call: Call, world: Community) -> None:
    from tickets import wiring

    ticket_id = _file(call, world.people["li"]).body["ticket_id"]
    repo = wiring.repository()
    before = repo.get(world.tenant_id, ticket_id, consistent=True)
    assert before is not None
    _act(call, world.people["plumber"], ticket_id, "accept")
    from courtyard.errors import Conflict

    with pytest.raises(Conflict):
        repo.save(before, before, None, next_check_at=None)


# ------------------------------------------------------------------ comments and ratings


def test_internal_comments_are_staff_only_and_hidden_from_residents(call: Call, world: Community) -> None:
    li = world.people["li"]
    ticket_id = _file(call, li).body["ticket_id"]

    public = call("POST", f"/tickets/{ticket_id}/comments", as_=li, body={"body": "下午在家"})
    internal = call(
        "POST",
        f"/tickets/{ticket_id}/comments",
        as_=world.people["plumber"],
        body={"body": "需要换管", "internal": True},
    )
    sneaky = call("POST", f"/tickets/{ticket_id}/comments", as_=li, body={"body": "x", "internal": True})

    assert public.status == 201
    assert internal.status == 201
    assert sneaky.status == 403
    resident_view = call("GET", f"/tickets/{ticket_id}/timeline", as_=li).body["comments"]
    staff_view = call("GET", f"/tickets/{ticket_id}/timeline", as_=world.people["desk"]).body["comments"]
    assert [c["body"] for c in resident_view] == ["下午在家"]
    assert len(staff_view) == 2
    assert call("GET", f"/tickets/{ticket_id}/timeline", as_=world.people["zhao"]).status == 404


def test_rating_is_the_reporters_once_and_only_when_resolved(call: Call, world: Community) -> None:
    li = world.people["li"]
    ticket_id = _file(call, li).body["ticket_id"]

    assert call("POST", f"/tickets/{ticket_id}/rating", as_=li, body={"score": 4}).status == 409
    _act(call, world.people["desk"], ticket_id, "resolve")
    assert (
        call("POST", f"/tickets/{ticket_id}/rating", as_=world.people["desk"], body={"score": 1}).status
        == 403
    )
    assert call("POST", f"/tickets/{ticket_id}/rating", as_=li, body={"score": 6}).status == 422
    assert call("POST", f"/tickets/{ticket_id}/rating", as_=li, body={"score": 4}).status == 200
    assert call("POST", f"/tickets/{ticket_id}/rating", as_=li, body={"score": 5}).status == 409


# ------------------------------------------------------------------ settings


def test_manager_reads_defaults_and_saves_valid_settings(call: Call, world: Community) -> None:
    manager = world.people["manager"]
    defaults = call("GET", "/ticket-settings", as_=manager)
    assert defaults.status == 200
    assert defaults.body["auto_close_days"] == 7

    body = {**defaults.body, "auto_close_days": 3, "grab_mode": True, "category_skills": {"noise": "general"}}
    body.pop("updated_at", None)
    saved = call("PUT", "/ticket-settings", as_=manager, body=body)
    assert saved.status == 200, saved.body
    assert call("GET", "/ticket-settings", as_=manager).body["auto_close_days"] == 3
    assert call("GET", "/ticket-settings", as_=world.people["desk"]).status == 403


def test_inconsistent_settings_are_422_with_details(call: Call, world: Community) -> None:
    manager = world.people["manager"]
    body = {
        "sla_targets": {
            "emergency": {
                "respond": {"amount": 5, "unit": "business_minutes"},
                "resolve": {"amount": 240, "unit": "minutes"},
            },
            "urgent": {
                "respond": {"amount": 30, "unit": "minutes"},
                "resolve": {"amount": 20, "unit": "minutes"},
            },
        }
    }

    reply = call("PUT", "/ticket-settings", as_=manager, body=body)

    assert reply.status == 422
    messages = " ".join(d["msg"] for d in reply.body["error"]["details"])
    assert "wall clock" in messages
    assert "normal" in messages
    assert "longer" in messages


def test_settings_change_dispatch_grab_mode_leaves_normal_tickets_in_the_pool(
    call: Call, world: Community
) -> None:
    manager = world.people["manager"]
    assert call("PUT", "/ticket-settings", as_=manager, body={"grab_mode": True}).status == 200

    reply = _file(call, world.people["li"])

    assert reply.body["status"] == "submitted"


def test_in_grab_mode_a_technician_claims_a_pooled_ticket_once(call: Call, world: Community) -> None:
    assert (
        call("PUT", "/ticket-settings", as_=world.people["manager"], body={"grab_mode": True}).status == 200
    )
    ticket_id = _file(call, world.people["li"]).body["ticket_id"]
    plumber, sparky = world.people["plumber"], world.people["sparky"]

    claimed = call(
        "POST",
        f"/tickets/{ticket_id}/actions",
        as_=plumber,
        body={"action": "assign", "assignee_staff_id": world.staff_ids["plumber"]},
    )
    late = call(
        "POST",
        f"/tickets/{ticket_id}/actions",
        as_=sparky,
        body={"action": "assign", "assignee_staff_id": world.staff_ids["sparky"]},
    )
    for_someone_else = call(
        "POST",
        f"/tickets/{_file(call, world.people['li']).body['ticket_id']}/actions",
        as_=sparky,
        body={"action": "assign", "assignee_staff_id": world.staff_ids["plumber"]},
    )

    assert (claimed.status, claimed.body["status"]) == (200, "assigned")
    assert claimed.body["assignee_staff_id"] == world.staff_ids["plumber"]
    assert late.status == 409
    assert for_someone_else.status == 403


# ------------------------------------------------------------------ the kernel's directory reader


def test_reader_lists_staff_and_a_residents_links_primary_first(world: Community, stack: Stack) -> None:
    from courtyard.directory import DirectoryReader

    reader = DirectoryReader(stack.ref("DirectoryTable"))

    members = {m.staff_id: m for m in reader.staff_members(world.tenant_id)}
    links = reader.resident_links(world.tenant_id, world.residents["li"])

    plumber = members[world.staff_ids["plumber"]]
    assert plumber.skills == frozenset({"plumbing"})
    assert "technician" in plumber.roles
    assert plumber.zones[0].site_id == world.site_id
    assert plumber.zones[0].building_ids == (world.building_a,)
    assert plumber.on_duty
    assert plumber.active
    assert plumber.user_id == world.people["plumber"].user_id
    assert len(members) == 4
    assert next((link.unit_id, link.primary) for link in links) == (world.units["a101"], True)
    assert {link.unit_id for link in links} == {world.units["a101"], world.units["b201"]}
    assert reader.resident_links(world.tenant_id, "NOBODY") == []
    assert reader.staff_members("OTHER-TENANT") == []
