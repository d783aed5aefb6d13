"""POST /tickets in a warm container: at most four AWS calls (issue 18)."""

from __future__ import annotations

from typing import Any

import boto3

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from infra.local.provision import Stack
from tests.integration.calls import warm_calls
from tests.integration.community import Community

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
