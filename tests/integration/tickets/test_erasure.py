"""An erased resident's tickets keep their history, not the person (issue 17): ``ResidentErased`` on the
bus -> the tickets' people rule and queue -> ``tickets.people_handler``, on moto. Their words and ids go;
the tickets, their status history, their places and the staff's own words stay; a redelivery changes
nothing; a neighbour's ticket is untouched."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas.events import ResidentErased
from tests.integration.bus import through_queue
from tests.integration.conftest import Arranged
from tests.integration.tickets.conftest import Caller, Community, Reply, tickets_items

Call = Callable[..., Reply]
Deliver = Callable[[ResidentErased], dict[str, Any]]
WORDS = "厨房水管漏水 李女士 13800001111"
COMMENT = "下午三点在家 李女士"
RATING = "师傅很好 李女士"


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
        return community

    return arranged(build)


@pytest.fixture
def erased(
    call: Call, function_env: Callable[[str], dict[str, str]], clock: FixedClock, stack: Stack
) -> Iterator[Deliver]:
    """``erased(event)``: the event through the bus, the tickets' people rule and queue, and the handler."""
    function_env("TicketsPeopleFunction")
    from tickets import people_handler
    from tickets.wiring import wiring

    wiring.reset()

    def deliver(event: ResidentErased) -> dict[str, Any]:
        return through_queue(stack, "courtyard.directory", event, "TicketsPeopleQueue", people_handler)

    yield deliver
    wiring.reset()


def rated_ticket(call: Call, world: Community, reporter: str) -> str:
    """A ticket the reporter filed, commented on, saw resolved and rated."""
    who = world.people[reporter]
    filed = call(
        "POST",
        "/tickets",
        as_=who,
        body={"kind": "repair", "category": "plumbing", "description": WORDS},
    )
    assert filed.status == 201, filed.body
    ticket_id = str(filed.body["ticket_id"])
    said = call("POST", f"/tickets/{ticket_id}/comments", as_=who, body={"body": COMMENT})
    assert said.status == 201, said.body
    desk = world.people["desk"]
    answered = call("POST", f"/tickets/{ticket_id}/comments", as_=desk, body={"body": "明天上门"})
    assert answered.status == 201, answered.body
    done = call("POST", f"/tickets/{ticket_id}/actions", as_=desk, body={"action": "resolve"})
    assert done.body["status"] == "resolved", done.body
    rated = call("POST", f"/tickets/{ticket_id}/rating", as_=who, body={"score": 5, "comment": RATING})
    assert rated.status == 200, rated.body
    return ticket_id


def erasure_of(world: Community, who: str) -> ResidentErased:
    return ResidentErased(
        tenant_id=world.tenant_id,
        event_id=uuid.uuid4().hex,
        resident_id=world.residents[who],
        user_id=world.people[who].user_id,
    )


def test_an_erased_reporters_tickets_lose_their_words_and_ids_and_keep_their_history(
    call: Call, world: Community, erased: Deliver, stack: Stack
) -> None:
    ticket_id = rated_ticket(call, world, "li")
    li = world.people["li"].user_id

    result = erased(erasure_of(world, "li"))

    assert (result["delivered"], result["batchItemFailures"]) == (1, [])
    stored = json.dumps(tickets_items(stack), ensure_ascii=False)
    for trace in (WORDS, COMMENT, RATING, li):
        assert trace not in stored
    seen = call("GET", f"/tickets/{ticket_id}", as_=world.people["desk"]).body
    assert (seen["status"], seen["category"], seen["rating"]) == ("resolved", "plumbing", 5)
    timeline = call("GET", f"/tickets/{ticket_id}/timeline", as_=world.people["desk"]).body
    assert [entry["action"] for entry in timeline["timeline"]][-1] == "resolve"
    assert [c["body"] for c in timeline["comments"]] == ["已注销", "明天上门"]


def test_a_redelivered_erasure_changes_nothing_and_a_neighbours_ticket_is_untouched(
    call: Call, world: Community, erased: Deliver, stack: Stack
) -> None:
    rated_ticket(call, world, "li")
    neighbours = rated_ticket(call, world, "zhao")
    event = erasure_of(world, "li")
    erased(event)
    before = tickets_items(stack)

    again = erased(event)

    assert again["batchItemFailures"] == []
    assert tickets_items(stack) == before
    theirs = call("GET", f"/tickets/{neighbours}", as_=world.people["zhao"]).body
    assert theirs["description"] == WORDS


def assisted_ticket(call: Call, world: Community, resident: str, words: str) -> str:
    """A ticket the desk filed for ``resident`` (X-On-Behalf-Of): a grandmother who rang the office."""
    filed = call(
        "POST",
        "/tickets",
        as_=world.people["desk"],
        body={"kind": "repair", "category": "plumbing", "description": words},
        headers={"X-On-Behalf-Of": world.residents[resident], "X-Assist-Reason": "by phone"},
    )
    assert filed.status == 201, filed.body
    return str(filed.body["ticket_id"])


def ticket_item(stack: Stack, ticket_id: str) -> dict[str, Any]:
    found = [i for i in tickets_items(stack) if i["sk"]["S"] == "TICKET" and i["ticket_id"]["S"] == ticket_id]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("signed_in_later", [False, True], ids=["never-signed-in", "signed-in-later"])
def test_a_ticket_the_desk_filed_for_them_loses_their_words_and_their_record_too(
    call: Call,
    world: Community,
    residents: Callable[..., Caller],
    erased: Deliver,
    stack: Stack,
    signed_in_later: bool,
) -> None:
    # Assisted mode records a resident without a login as ``resident-{id}``: erasure must find that too,
    # also once the person has signed in since (the event then names their new login).
    residents(world, "granny", "a101", login=False)
    residents(world, "grandpa", "a102", login=False)
    granny, grandpa = world.residents["granny"], world.residents["grandpa"]
    mine = assisted_ticket(call, world, "granny", WORDS)
    neighbours = assisted_ticket(call, world, "grandpa", "阳台漏水 赵大爷")
    event = ResidentErased(
        tenant_id=world.tenant_id,
        event_id=uuid.uuid4().hex,
        resident_id=granny,
        user_id=str(uuid.uuid4()) if signed_in_later else None,
    )

    first = erased(event)
    after = tickets_items(stack)
    again = erased(event)

    assert (first["batchItemFailures"], again["batchItemFailures"]) == ([], [])
    assert tickets_items(stack) == after  # a redelivery changes nothing
    ticket = ticket_item(stack, mine)
    assert ticket["description"]["S"] == "已注销"
    assert ticket["reporter_user_id"]["S"] == "erased"
    assert "reporter_resident_id" not in ticket
    stored = json.dumps(after, ensure_ascii=False)
    for trace in (WORDS, granny):
        assert trace not in stored
    theirs = ticket_item(stack, neighbours)
    assert theirs["description"]["S"] == "阳台漏水 赵大爷"
    assert theirs["reporter_resident_id"]["S"] == grandpa
    seen = call("GET", f"/tickets/{mine}", as_=world.people["desk"]).body
    assert (seen["category"], seen["kind"]) == ("plumbing", "repair")  # the ticket itself stays


def test_the_people_rule_takes_only_erasures_and_export_requests_from_the_directory(template: Any) -> None:
    pattern = template.resource("TicketsPeopleRule")["Properties"]["EventPattern"]
    assert json.loads(json.dumps(pattern)) == {
        "source": ["courtyard.directory"],
        "detail-type": ["ResidentErased", "PersonalDataExportRequested"],
    }
