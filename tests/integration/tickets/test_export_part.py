"""The tickets' part of a person's export (issue 17): ``PersonalDataExportRequested`` on the bus -> the
tickets' people rule and queue -> ``tickets.people_handler`` -> ``exports/{tenant}/{export_id}/tickets.json``
on moto. Their own tickets (and those the desk filed for them) with comments, rating and photos; nobody
else's words; a redelivery rewrites the same object; another firm's request finds nothing of theirs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas.events import PersonalDataExportRequested
from tests.integration.bus import through_queue
from tests.integration.conftest import Arranged
from tests.integration.exports import export_request, stored_part
from tests.integration.tickets.conftest import Caller, Community, Reply

Call = Callable[..., Reply]
Deliver = Callable[[PersonalDataExportRequested], dict[str, Any]]
WORDS = "厨房水管漏水"
NEIGHBOUR_WORDS = "楼上邻居 赵先生 13900002222 噪音"


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
        residents(community, "zhao", "a101")  # a co-resident of the same unit
        staff(community, "desk", Role.SERVICE_DESK)
        return community

    return arranged(build)


@pytest.fixture
def exported(
    function_env: Callable[[str], dict[str, str]], clock: FixedClock, stack: Stack
) -> Iterator[Deliver]:
    function_env("TicketsPeopleFunction")
    from tickets import people_handler
    from tickets.wiring import wiring

    from courtyard.wiring import use_clock

    use_clock(clock)
    wiring.reset()

    def deliver(event: PersonalDataExportRequested) -> dict[str, Any]:
        return through_queue(stack, "courtyard.directory", event, "TicketsPeopleQueue", people_handler)

    yield deliver
    use_clock(None)
    wiring.reset()


def file(call: Call, as_: Caller, description: str, headers: dict[str, str] | None = None) -> str:
    filed = call(
        "POST",
        "/tickets",
        as_=as_,
        body={"kind": "repair", "category": "plumbing", "description": description},
        headers=headers,
    )
    assert filed.status == 201, filed.body
    return str(filed.body["ticket_id"])


def test_the_part_holds_own_and_assisted_tickets_and_no_one_elses_words(
    call: Call, world: Community, exported: Deliver, stack: Stack
) -> None:
    li, zhao, desk = world.people["li"], world.people["zhao"], world.people["desk"]
    own = file(call, li, WORDS)
    said = call("POST", f"/tickets/{own}/comments", as_=li, body={"body": "下午在家"})
    assert said.status == 201, said.body
    answered = call("POST", f"/tickets/{own}/comments", as_=desk, body={"body": "明天上门"})
    assert answered.status == 201, answered.body
    assisted = file(
        call,
        desk,
        "电话报修 灯坏了",
        {"X-On-Behalf-Of": world.residents["li"], "X-Assist-Reason": "by phone"},
    )
    file(call, zhao, NEIGHBOUR_WORDS)  # the co-resident's own ticket on the same unit
    asked = export_request(world, "li")

    result = exported(asked)

    assert (result["delivered"], result["batchItemFailures"]) == (1, [])
    part = stored_part(stack, asked, "tickets")
    assert part is not None
    assert (part["tenant_id"], part["export_id"]) == (world.tenant_id, asked.export_id)
    tickets = {t["ticket_id"]: t for t in part["data"]["tickets"]}
    assert set(tickets) == {own, assisted}
    assert tickets[own]["description"] == WORDS
    assert tickets[own]["filed_by"] == "self"
    assert [(c["by"], c["body"]) for c in tickets[own]["comments"]] == [
        ("self", "下午在家"),
        ("property", "明天上门"),
    ]
    assert tickets[assisted]["filed_by"] == "property"
    text = json.dumps(part, ensure_ascii=False)
    assert NEIGHBOUR_WORDS not in text
    assert zhao.user_id not in text
    assert desk.user_id not in text


def test_a_redelivered_request_rewrites_the_same_part(
    call: Call, world: Community, exported: Deliver, stack: Stack
) -> None:
    file(call, world.people["li"], WORDS)
    asked = export_request(world, "li")
    exported(asked)
    first = stored_part(stack, asked, "tickets")

    again = exported(asked)

    assert again["batchItemFailures"] == []
    assert stored_part(stack, asked, "tickets") == first


def test_another_firms_request_naming_our_resident_finds_nothing_of_theirs(
    call: Call, world: Community, exported: Deliver, stack: Stack, seed: Callable[..., Community]
) -> None:
    file(call, world.people["li"], WORDS)
    other = seed("Harbour")
    forged = export_request(world, "li", tenant_id=other.tenant_id)

    result = exported(forged)

    assert result["batchItemFailures"] == []
    part = stored_part(stack, forged, "tickets")
    assert part is not None
    assert part["data"] == {"tickets": []}
    assert WORDS not in json.dumps(part, ensure_ascii=False)
