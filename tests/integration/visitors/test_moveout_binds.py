"""Move-out binds what a resident *does* from that moment (issue 17): a pass issued after the desk ended the
link is refused within the minute a container keeps the caller's unit links (issue 18's cache), because the
pass's own transaction carries a ConditionCheck on the live link (courtyard/live_link.py). On moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from courtyard.clock import FixedClock
from infra.local.provision import Stack
from tests.integration.calls import warm_calls
from tests.integration.community import end_link
from tests.integration.visitors.conftest import Place, Reply

Call = Callable[..., Reply]
WITHIN_THE_MINUTE = 30


def _items(stack: Stack, table: str) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref(table))["Items"])


def _written(stack: Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The visitors table and the audit records of actions (an assisted request is audited as asked,
    ``assisted_request``, whatever its answer: that record is the point of assisted mode)."""
    audit = [i for i in _items(stack, "AuditTable") if i["action"]["S"] != "assisted_request"]
    return _items(stack, "VisitorsTable"), audit


def test_a_pass_after_the_link_ended_is_refused_within_the_minute_and_writes_nothing(
    call: Call, issue: Callable[..., dict[str, Any]], place: Place, stack: Stack, clock: FixedClock
) -> None:
    unit_id = place.community.units["a101"]
    issue(unit_id=unit_id)  # the container now keeps the host's unit links for a minute
    end_link(stack, place.community, "Chen", "a101")
    clock.advance(WITHIN_THE_MINUTE)
    before = _written(stack)

    refused = call("POST", "/passes", as_=place.host, body={"visitor_name": "孙先生", "unit_id": unit_id})

    assert refused.status == 403, refused.body
    assert refused.body["error"]["code"] == "residency_ended"
    assert _written(stack) == before  # no pass, no claim, no audit record, no pending event
    # The refusal dropped the kept links: the next request reads the directory, where the unit is not theirs.
    again = call("POST", "/passes", as_=place.host, body={"visitor_name": "孙先生", "unit_id": unit_id})
    assert again.status == 404, again.body
    assert _written(stack) == before


def test_the_desk_cannot_issue_for_them_in_assisted_mode_either(
    call: Call, issue: Callable[..., dict[str, Any]], place: Place, stack: Stack
) -> None:
    resident_id = place.community.residents["Chen"]
    assisted = {"X-On-Behalf-Of": resident_id, "X-Assist-Reason": "by phone"}
    first = call("POST", "/passes", as_=place.desk, body={"visitor_name": "孙先生"}, headers=assisted)
    assert first.status == 201, first.body
    end_link(stack, place.community, "Chen", "a101")
    before = _written(stack)

    refused = call("POST", "/passes", as_=place.desk, body={"visitor_name": "孙先生"}, headers=assisted)

    assert (refused.status, refused.body["error"]["code"]) == (403, "residency_ended")
    assert _written(stack) == before


def test_a_neighbour_still_issues_and_a_pass_is_still_four_calls_with_the_check(
    call: Call, issue: Callable[..., dict[str, Any]], place: Place, stack: Stack
) -> None:
    end_link(stack, place.community, "Chen", "a101")
    body = {"visitor_name": "孙先生"}

    reply, calls = warm_calls(lambda: call("POST", "/passes", as_=place.neighbour, body=body))

    assert reply.status == 201, reply.body
    assert calls.total <= 4, calls.calls  # the link's check rides in the pass's own transaction
    assert [op for _, op in calls.calls].count("TransactWriteItems") == 1, calls.calls
