"""Replies by keyword, the tickets' half (issue 19): ``SmsReplyReceived`` on the bus -> the tickets' reply
rule and queue -> the function. "1" closes the resolved ticket it answers and no other; "2" reopens it; a
duplicate or a reply to someone else's ticket changes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas.events import SmsReplyReceived
from tests.integration.bus import through_queue
from tests.integration.conftest import Arranged
from tests.integration.tickets.conftest import Caller, Community, Reply

Call = Callable[..., Reply]
Deliver = Callable[[SmsReplyReceived], dict[str, Any]]


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
        staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
        return community

    return arranged(build)


@pytest.fixture
def replies(
    call: Call, function_env: Callable[[str], dict[str, str]], clock: FixedClock, stack: Stack
) -> Iterator[Deliver]:
    """``replies(event)``: the event through the bus, the tickets' reply rule and queue, and the handler."""
    function_env("TicketsRepliesFunction")
    from tickets import replies_handler
    from tickets.wiring import wiring

    wiring.reset()

    def deliver(event: SmsReplyReceived) -> dict[str, Any]:
        return through_queue(stack, "courtyard.notifications", event, "TicketsReplyQueue", replies_handler)

    yield deliver
    wiring.reset()


def resolved_ticket(call: Call, world: Community, reporter: str) -> str:
    filed = call(
        "POST",
        "/tickets",
        as_=world.people[reporter],
        body={"kind": "repair", "category": "plumbing", "description": "厨房水管漏水"},
    )
    assert filed.status == 201, filed.body
    ticket_id = str(filed.body["ticket_id"])
    done = call("POST", f"/tickets/{ticket_id}/actions", as_=world.people["desk"], body={"action": "resolve"})
    assert done.body["status"] == "resolved", done.body
    return ticket_id


def reply(
    world: Community, who: str, ticket_id: str, action: str, reply_id: str = "in-1"
) -> SmsReplyReceived:
    return SmsReplyReceived(
        tenant_id=world.tenant_id, event_id=uuid.uuid4().hex, reply_id=reply_id, message_id="MSG0001",
        subject="ticket", subject_id=ticket_id, action=action, person_kind="resident",
        person_id=world.residents[who], user_id=world.people[who].user_id,
    )  # fmt: skip


def status(call: Call, world: Community, ticket_id: str) -> str:
    return str(call("GET", f"/tickets/{ticket_id}", as_=world.people["desk"]).body["status"])


def test_reply_1_closes_the_ticket_it_answers_and_no_other(
    call: Call, world: Community, replies: Deliver
) -> None:
    answered = resolved_ticket(call, world, "li")
    other = resolved_ticket(call, world, "li")

    result = replies(reply(world, "li", answered, "confirm"))
    assert (result["delivered"], result["batchItemFailures"]) == (1, [])

    assert (status(call, world, answered), status(call, world, other)) == ("closed", "resolved")
    timeline = call("GET", f"/tickets/{answered}/timeline", as_=world.people["desk"]).body["timeline"]
    assert (timeline[-1]["action"], timeline[-1]["note"]) == ("close", "居民短信回复")

    # The same reply again (a redelivery) changes nothing and fails nothing.
    again = replies(reply(world, "li", answered, "confirm"))
    assert again["batchItemFailures"] == []
    assert status(call, world, answered) == "closed"


def test_reply_2_reopens_the_ticket(call: Call, world: Community, replies: Deliver) -> None:
    ticket_id = resolved_ticket(call, world, "li")
    replies(reply(world, "li", ticket_id, "reopen"))
    assert status(call, world, ticket_id) in ("submitted", "assigned")


def test_a_reply_cannot_touch_someone_elses_ticket(call: Call, world: Community, replies: Deliver) -> None:
    zhaos = resolved_ticket(call, world, "zhao")
    result = replies(reply(world, "li", zhaos, "confirm"))
    assert result["batchItemFailures"] == []
    assert status(call, world, zhaos) == "resolved"


def test_the_reply_rule_takes_only_ticket_replies_and_ticket_acknowledgments(template: Any) -> None:
    pattern = template.resource("TicketsReplyRule")["Properties"]["EventPattern"]
    assert json.loads(json.dumps(pattern)) == {
        "source": ["courtyard.notifications"],
        "detail-type": ["SmsReplyReceived", "EmergencyAcknowledged"],
        "detail": {"subject": ["ticket"]},
    }
