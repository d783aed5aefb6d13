"""POST /tickets in a warm container: at most four AWS calls (issue 18)."""

from __future__ import annotations

from typing import Any

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
