"""A resident who moved out keeps no live pass for the unit (issue 17): the visitors' residency consumer
revokes them on ``ResidentMovedOut``, on moto, through ``visitors.residency_handler``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.wiring import use_clock
from infra.local.provision import Stack
from schemas.events import ResidentMovedOut
from tests.factories import lambda_context
from tests.integration.visitors.conftest import Caller, Place, Reply

ARN = "arn:aws:sqs:us-east-1:123456789012:visitors-residency"


@pytest.fixture
def consumer(function_env: Callable[[str], dict[str, str]], clock: Any, handler: Any) -> Any:
    """The residency consumer with its own template environment (after the API's, which it replaces)."""
    function_env("VisitorsResidencyFunction")
    from visitors import residency_handler

    use_clock(clock)
    return residency_handler


def delivered(consumer: Any, *events: ResidentMovedOut) -> dict[str, Any]:
    records = [
        {
            "messageId": f"m-{i}",
            "receiptHandle": f"r-{i}",
            "body": json.dumps(
                {
                    "id": f"e-{i}",
                    "source": "courtyard.directory",
                    "detail-type": "ResidentMovedOut",
                    "detail": event.model_dump(mode="json"),
                }
            ),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": ARN,
            "awsRegion": "us-east-1",
        }
        for i, event in enumerate(events)
    ]
    result: dict[str, Any] = consumer.lambda_handler({"Records": records}, lambda_context())
    return result


def moved_out(place: Place, who: Caller, resident: str, unit: str) -> ResidentMovedOut:
    return ResidentMovedOut(
        tenant_id=place.community.tenant_id,
        resident_id=place.community.residents[resident],
        unit_id=place.community.units[unit],
        site_id=place.site_id,
        user_id=who.user_id,
        reason="move_out",
        by="desk-user",
    )


def status(call: Callable[..., Reply], place: Place, pass_id: str) -> str:
    reply = call("GET", f"/passes/{pass_id}", as_=place.manager)
    assert reply.status == 200, reply.body
    return str(reply.body["status"])


def test_moving_out_revokes_the_live_passes_for_that_unit_only(
    call, issue, scan, place, residents, consumer, stack: Stack
):
    qian = residents(place.community, "Qian", "a101", "a102")
    left = issue(as_=qian, unit_id=place.community.units["a101"])
    kept = issue(as_=qian, unit_id=place.community.units["a102"])
    neighbours = issue(as_=place.host)  # Chen's pass for a101: another host, untouched

    result = delivered(consumer, moved_out(place, qian, "Qian", "a101"))

    assert result == {"batchItemFailures": []}
    assert status(call, place, left["pass_id"]) == "revoked"
    assert status(call, place, kept["pass_id"]) == "active"
    assert status(call, place, neighbours["pass_id"]) == "active"
    assert scan(left["token"]).body["verdict"] == "deny"
    audit = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    revocations = [i for i in audit if i["action"]["S"] == "pass.revoke"]
    assert [i["resource_id"]["S"] for i in revocations] == [left["pass_id"]]


def test_a_redelivered_event_changes_nothing(call, issue, place, consumer, stack: Stack):
    visitor_pass = issue()
    event = moved_out(place, place.host, "Chen", "a101")

    first = delivered(consumer, event)
    second = delivered(consumer, event)

    assert first == second == {"batchItemFailures": []}
    assert status(call, place, visitor_pass["pass_id"]) == "revoked"
    audit = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    assert len([i for i in audit if i["action"]["S"] == "pass.revoke"]) == 1


def test_a_resident_without_an_account_has_no_pass_to_revoke(call, issue, place, consumer):
    visitor_pass = issue()
    event = moved_out(place, place.host, "Chen", "a101").model_copy(update={"user_id": None})

    assert delivered(consumer, event) == {"batchItemFailures": []}
    assert status(call, place, visitor_pass["pass_id"]) == "active"


def test_another_tenants_event_never_touches_this_tenants_passes(call, issue, place, consumer, seed):
    visitor_pass = issue()
    other = seed("Harbour")
    event = moved_out(place, place.host, "Chen", "a101").model_copy(update={"tenant_id": other.tenant_id})

    assert delivered(consumer, event) == {"batchItemFailures": []}
    assert status(call, place, visitor_pass["pass_id"]) == "active"
