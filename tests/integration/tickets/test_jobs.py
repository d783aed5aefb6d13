"""The tickets' scheduled job on moto, the clock driven by the tests: re-dispatch, escalation, SLA breaches
marked once, auto-close, the due index, and no effect across tenants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.tickets.conftest import Caller, Community, Reply

Call = Callable[..., Reply]
Events = list[tuple[str, dict[str, Any]]]
AT_3AM = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)  # 03:00 on the 11th in Asia/Shanghai


@pytest.fixture
def run_job(
    call: Call, function_env: Callable[[str], dict[str, str]], clock: FixedClock
) -> Iterator[Callable[[], dict[str, int]]]:
    """One scheduled run of the job at the clock's instant, with exactly its template environment."""
    function_env("TicketsJobsFunction")
    from tickets import jobs_handler
    from tickets.wiring import wiring

    wiring.reset()

    def run() -> dict[str, int]:
        result: dict[str, int] = jobs_handler.lambda_handler({"time": "scheduled"}, lambda_context())
        return result

    yield run
    wiring.reset()


def _ticket_item(stack: Stack, tenant_id: str, ticket_id: str) -> dict[str, Any]:
    from tickets import keys

    table = boto3.resource("dynamodb").Table(stack.ref("TicketsTable"))
    item: dict[str, Any] = table.get_item(Key=keys.ticket(tenant_id, ticket_id), ConsistentRead=True)["Item"]
    return item


def _loads(stack: Stack, tenant_id: str) -> dict[str, int]:
    from tickets import keys

    table = boto3.resource("dynamodb").Table(stack.ref("TicketsTable"))
    items = table.query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": keys.load_partition(tenant_id)}
    )["Items"]
    return {str(i["staff_id"]): int(str(i["open_tickets"])) for i in items}


def _act(call: Call, who: Caller, ticket_id: str, action: str) -> Reply:
    return call("POST", f"/tickets/{ticket_id}/actions", as_=who, body={"action": action})


def _timeline(call: Call, who: Caller, ticket_id: str) -> list[dict[str, Any]]:
    reply = call("GET", f"/tickets/{ticket_id}/timeline", as_=who)
    assert reply.status == 200, reply.body
    timeline: list[dict[str, Any]] = reply.body["timeline"]
    return timeline


def _guards(staff: Callable[..., Caller], community: Community, *ids: str) -> None:
    for staff_id in ids:
        staff(
            community,
            f"guard-{staff_id}",
            Role.TECHNICIAN,
            skills=("security",),
            buildings=(community.building_a,),
            staff_id=staff_id,
        )


@pytest.fixture
def sos_world(
    seed: Callable[..., Community], residents: Callable[..., Caller], staff: Callable[..., Caller]
) -> Community:
    community = seed()
    residents(community, "li", "a101")
    staff(community, "manager", Role.MANAGER)
    _guards(staff, community, "G1", "G2", "G3")
    return community


def test_an_unaccepted_sos_is_redispatched_every_two_minutes_then_escalated_once(
    call: Call,
    run_job: Callable[[], dict[str, int]],
    sos_world: Community,
    clock: FixedClock,
    stack: Stack,
    published: Events,
) -> None:
    clock.set(AT_3AM)
    li, manager = sos_world.people["li"], sos_world.people["manager"]
    created = call("POST", "/tickets", as_=li, body={"kind": "sos"})
    assert created.body["assignee_staff_id"] == "G1"
    ticket_id = created.body["ticket_id"]
    published.clear()

    clock.advance(minutes=1)
    assert run_job()["changed"] == 0

    clock.advance(minutes=1)  # +2: the emergency window is over
    assert run_job()["changed"] == 1
    assert call("GET", f"/tickets/{ticket_id}", as_=manager).body["assignee_staff_id"] == "G2"
    assert [name for name, _ in published] == ["TicketStatusChanged", "TicketAssigned"]
    assert published[1][1]["assignee_staff_id"] == "G2"
    assert published[1][1]["by"] == "system"
    version = _ticket_item(stack, sos_world.tenant_id, ticket_id)["version"]

    # The same instant again: nothing is due, nothing changes.
    assert run_job() == {"due": 0, "changed": 0, "skipped": 0}
    assert _ticket_item(stack, sos_world.tenant_id, ticket_id)["version"] == version
    assert len(published) == 2

    clock.advance(minutes=2)  # +4
    run_job()
    assert call("GET", f"/tickets/{ticket_id}", as_=manager).body["assignee_staff_id"] == "G3"
    assert _loads(stack, sos_world.tenant_id) == {"G1": 0, "G2": 0, "G3": 1}

    clock.advance(minutes=1)  # +5: the response deadline itself is still met
    run_job()
    assert [name for name, _ in published].count("TicketSlaBreached") == 0

    clock.advance(minutes=1)  # +6: two re-dispatches made, so escalate; the 5-minute response is missed
    published.clear()
    assert run_job()["changed"] == 1
    names = sorted(name for name, _ in published)
    assert names == ["TicketEscalated", "TicketSlaBreached"]
    escalated = next(detail for name, detail in published if name == "TicketEscalated")
    assert escalated["to_role"] == "manager"
    assert escalated["tenant_id"] == sos_world.tenant_id
    breach = next(detail for name, detail in published if name == "TicketSlaBreached")
    assert (breach["target"], breach["due_at"]) == ("response", "2026-03-10T19:05:00.000Z")

    for minutes in (1, 1, 30, 240):  # later runs: escalated once, the response breach marked once
        clock.advance(minutes=minutes)
        run_job()
    names = [name for name, _ in published]
    assert names.count("TicketEscalated") == 1
    assert names.count("TicketSlaBreached") == 2  # response, then resolution at +4h
    item = _ticket_item(stack, sos_world.tenant_id, ticket_id)
    assert sorted(item["sla_breaches"]) == ["resolution", "response"]
    assert "due_pk" not in item  # nothing left for the job: accepted never, every breach marked, escalated

    actions = [(e["action"], e["actor"]) for e in _timeline(call, manager, ticket_id)]
    assert actions == [
        ("create", li.user_id),
        ("assign", "system"),
        ("assign", "system"),
        ("assign", "system"),
        ("sla_breach", "system"),  # at +6, with the escalation
        ("escalate", "system"),
        ("sla_breach", "system"),  # resolution, at +4h
    ]
    # The technician can still accept: the response was late but the work goes on.
    assert _act(call, sos_world.people["guard-G3"], ticket_id, "accept").body["status"] == "accepted"


def test_a_breach_is_marked_once_across_runs_and_survives_a_later_api_change(
    call: Call,
    run_job: Callable[[], dict[str, int]],
    world_repair: tuple[Community, str],
    clock: FixedClock,
    stack: Stack,
    published: Events,
) -> None:
    community, ticket_id = world_repair
    plumber = community.people["plumber"]
    _act(call, plumber, ticket_id, "accept")
    _act(call, plumber, ticket_id, "start")
    resolve_by = call("GET", f"/tickets/{ticket_id}", as_=plumber).body["resolve_by"]
    assert resolve_by == "2026-03-13T10:00:00.000Z"  # Friday 18:00 in Shanghai: 3 business days
    published.clear()

    clock.set(datetime(2026, 3, 13, 10, 0, 30, tzinfo=UTC))
    run_job()
    clock.advance(minutes=1)
    run_job()
    run_job()

    assert [name for name, _ in published] == ["TicketSlaBreached"]
    assert published[0][1]["target"] == "resolution"
    assert _ticket_item(stack, community.tenant_id, ticket_id)["sla_breaches"] == ["resolution"]

    # An API change of the ticket keeps the job's mark.
    assert _act(call, plumber, ticket_id, "resolve").status == 200
    assert _ticket_item(stack, community.tenant_id, ticket_id)["sla_breaches"] == ["resolution"]
    clock.advance(days=8)
    run_job()
    assert [name for name, _ in published].count("TicketSlaBreached") == 1


@pytest.fixture
def world_repair(
    call: Call,
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    clock: FixedClock,
) -> tuple[Community, str]:
    """A repair Li filed on Tuesday 10:00, dispatched to the plumber."""
    community = seed()
    residents(community, "li", "a101")
    staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
    reply = call(
        "POST",
        "/tickets",
        as_=community.people["li"],
        body={"category": "plumbing", "description": "厨房水管漏水"},
    )
    assert reply.status == 201, reply.body
    assert reply.body["status"] == "assigned", reply.body
    return community, str(reply.body["ticket_id"])


def test_resolved_tickets_close_after_seven_days_without_a_rating(
    call: Call,
    run_job: Callable[[], dict[str, int]],
    world_repair: tuple[Community, str],
    clock: FixedClock,
    stack: Stack,
    published: Events,
) -> None:
    community, ticket_id = world_repair
    li, plumber = community.people["li"], community.people["plumber"]
    rated_id = call(
        "POST", "/tickets", as_=li, body={"category": "plumbing", "description": "厨房水管漏水"}
    ).body["ticket_id"]
    for tid in (ticket_id, rated_id):
        for action in ("accept", "start", "resolve"):
            assert _act(call, plumber, tid, action).status == 200
    assert call("POST", f"/tickets/{rated_id}/rating", as_=li, body={"score": 4}).status == 200
    resolved_at = clock.now()
    published.clear()

    clock.set(resolved_at + timedelta(days=7) - timedelta(minutes=1))
    run_job()
    assert call("GET", f"/tickets/{ticket_id}", as_=li).body["status"] == "resolved"

    clock.set(resolved_at + timedelta(days=7))
    run_job()
    closed = call("GET", f"/tickets/{ticket_id}", as_=li).body
    assert closed["status"] == "closed"
    assert closed["closed_at"] == "2026-03-17T02:00:00.000Z"
    assert [(name, detail["to_status"], detail["by"]) for name, detail in published] == [
        ("TicketStatusChanged", "closed", "system")
    ]
    item = _ticket_item(stack, community.tenant_id, ticket_id)
    assert "due_pk" not in item
    assert "next_check_at" not in item
    assert _timeline(call, li, ticket_id)[-1]["action"] == "close"
    # The rated one stays resolved (the reporter answered), and leaves the due index.
    assert call("GET", f"/tickets/{rated_id}", as_=li).body["status"] == "resolved"
    assert "due_pk" not in _ticket_item(stack, community.tenant_id, rated_id)

    clock.advance(days=1)
    assert run_job()["changed"] == 0


def test_no_effect_across_tenants(
    call: Call,
    run_job: Callable[[], dict[str, int]],
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    clock: FixedClock,
    stack: Stack,
    published: Events,
) -> None:
    """Tenant A has one guard (nobody to re-dispatch to: escalate); tenant B has two. B's spare guard
    must never take A's SOS, and each tenant's events carry its own tenant id."""
    clock.set(AT_3AM)
    a, b = seed("Alpha"), seed("Beta")
    for community, guards in ((a, ("A1",)), (b, ("B1", "B2"))):
        residents(community, "li", "a101")
        staff(community, "manager", Role.MANAGER)
        _guards(staff, community, *guards)
    ticket_a = call("POST", "/tickets", as_=a.people["li"], body={"kind": "sos"}).body["ticket_id"]
    ticket_b = call("POST", "/tickets", as_=b.people["li"], body={"kind": "sos"}).body["ticket_id"]
    published.clear()

    clock.advance(minutes=2)
    assert run_job()["changed"] == 2

    assert call("GET", f"/tickets/{ticket_a}", as_=a.people["manager"]).body["assignee_staff_id"] == "A1"
    assert call("GET", f"/tickets/{ticket_b}", as_=b.people["manager"]).body["assignee_staff_id"] == "B2"
    by_ticket = {(detail["ticket_id"], name): detail["tenant_id"] for name, detail in published}
    assert by_ticket[(ticket_a, "TicketEscalated")] == a.tenant_id
    assert by_ticket[(ticket_b, "TicketAssigned")] == b.tenant_id
    assert _loads(stack, a.tenant_id) == {"A1": 1}
    assert _loads(stack, b.tenant_id) == {"B1": 0, "B2": 1}
    assert call("GET", f"/tickets/{ticket_b}", as_=a.people["manager"]).status == 404


def test_a_ticket_changed_between_read_and_write_is_left_for_the_next_run(
    call: Call,
    run_job: Callable[[], dict[str, int]],
    sos_world: Community,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tickets.repositories.jobs import JobsRepository

    clock.set(AT_3AM)
    ticket_id = call("POST", "/tickets", as_=sos_world.people["li"], body={"kind": "sos"}).body["ticket_id"]
    guard = sos_world.people["guard-G1"]
    original = JobsRepository.load

    def accept_meanwhile(self: JobsRepository, tenant_id: str, tid: str) -> Any:
        due = original(self, tenant_id, tid)
        assert _act(call, guard, tid, "accept").status == 200  # lands after the job's read
        return due

    monkeypatch.setattr(JobsRepository, "load", accept_meanwhile)
    from tickets.wiring import wiring

    wiring.reset()
    clock.advance(minutes=2)
    assert run_job()["skipped"] == 1
    monkeypatch.undo()

    body = call("GET", f"/tickets/{ticket_id}", as_=guard).body
    assert (body["status"], body["assignee_staff_id"]) == ("accepted", "G1")


def test_events_of_a_ticket_whose_request_failed_after_the_commit_go_out_with_the_next_sweep(
    call: Call,
    run_job: Callable[[], dict[str, int]],
    world_repair: tuple[Community, str],
    clock: FixedClock,
    stack: Stack,
    published: Events,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError

    from courtyard.outbox import Outbox

    community, _ = world_repair
    flush = Outbox.flush

    def bus_down(self: Outbox, pending: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "PutEvents")

    monkeypatch.setattr(Outbox, "flush", bus_down)
    body = {"category": "plumbing", "description": "卫生间漏水"}
    reply = call("POST", "/tickets", as_=community.people["li"], body=body)
    assert reply.status == 503  # stored, but nothing sent; the client never retries
    monkeypatch.setattr(Outbox, "flush", flush)
    published.clear()

    clock.advance(minutes=1)
    run_job()
    assert [name for name, _ in published] == []  # too fresh: the request's own retry may still come

    clock.advance(minutes=2)
    run_job()
    created = [detail for name, detail in published if name == "TicketCreated"]
    assert len(created) == 1
    assert created[0]["tenant_id"] == community.tenant_id
    published.clear()
    clock.advance(minutes=5)
    run_job()
    assert [name for name, _ in published if name == "TicketCreated"] == []
    outbox_items = [i for i in tickets_items_of(stack) if str(i["sk"]["S"]).startswith("OUTBOX")]
    assert outbox_items == []


def tickets_items_of(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("TicketsTable"))["Items"])
