"""POST /tickets in a warm container: at most four AWS calls (issue 18)."""

from __future__ import annotations

from typing import Any

import boto3

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from infra.local.provision import Stack
from tests.integration.calls import warm_calls
from tests.integration.community import Community, end_link
from tests.integration.tickets.conftest import tickets_items

# The community, as test_tickets builds it (a fixture).
from tests.integration.tickets.test_tickets import Call, _file, world  # noqa: F401


def test_filing_a_ticket_is_at_most_four_aws_calls_when_warm(
    call: Call,
    world: Community,  # noqa: F811
    published: list[tuple[str, dict[str, Any]]],
) -> None:
    reply, calls = warm_calls(lambda: _file(call, world.people["li"]))

    assert reply.status == 201, reply.body
    assert reply.body["status"] == "assigned"  # dispatched, as every filing is
    assert calls.total <= 4, calls.calls


def test_a_moved_out_resident_stops_filing_for_the_unit_within_the_minute(
    call: Call,
    world: Community,  # noqa: F811
    stack: Stack,
    clock: FixedClock,
) -> None:
    """The unit links are kept a minute per container (issue 18); the move-out is seen once it is over."""
    li = world.people["li"]
    resident_id = world.residents["li"]
    assert _file(call, li).status == 201  # the container now holds Li's unit links
    table = boto3.resource("dynamodb").Table(stack.ref("DirectoryTable"))
    for unit_id in world.units.values():
        table.delete_item(Key=Keys.resident_unit(li.tenant_id, resident_id, unit_id))
        table.delete_item(Key=Keys.unit_member(li.tenant_id, unit_id, resident_id))

    clock.advance(61)
    refused = _file(call, li)
    assert refused.status == 422, refused.body
    assert refused.body["error"]["details"][0]["loc"][-1] == "unit_id"


def test_a_ticket_filed_after_the_link_ended_is_refused_at_once_and_writes_nothing(
    call: Call,
    world: Community,  # noqa: F811
    stack: Stack,
    clock: FixedClock,
) -> None:
    """What a resident does binds from the moment the link ends (issue 17): the ticket's own transaction
    carries a ConditionCheck on the live link (courtyard/live_link.py): the cached minute does not count."""
    li = world.people["li"]
    assert _file(call, li).status == 201  # the container now holds Li's unit links (a101 primary, b201)
    end_link(stack, world, "li", "a101")
    clock.advance(30)  # well inside the minute the links are kept
    before = tickets_items(stack)

    refused = _file(call, li)

    assert (refused.status, refused.body["error"]["code"]) == (403, "residency_ended"), refused.body
    assert tickets_items(stack) == before  # no ticket, no timeline, no claim, no load, no pending event
    # The refusal dropped the kept links: the next filings read the directory, where b201 is still Li's.
    still = _file(call, li, unit_id=world.units["b201"])
    assert still.status == 201, still.body
    gone = _file(call, li, unit_id=world.units["a101"])
    assert gone.status == 422, gone.body
