"""The visitors' scheduled job on moto: the outbox sweep sends the PassIssued nobody retried, once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from courtyard.clock import FixedClock
from courtyard.outbox import Outbox
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.visitors.conftest import Place, Reply


@pytest.fixture
def run_job(
    call: Callable[..., Reply], function_env: Callable[[str], dict[str, str]], clock: FixedClock
) -> Iterator[Callable[[], dict[str, int]]]:
    """One scheduled run at the clock's instant, with exactly the job's template environment."""
    function_env("VisitorsJobsFunction")
    from visitors import jobs_handler

    from courtyard.wiring import reset_all, use_clock

    reset_all()
    use_clock(clock)

    def run() -> dict[str, int]:
        result: dict[str, int] = jobs_handler.lambda_handler({"time": "scheduled"}, lambda_context())
        return result

    yield run
    reset_all()


def _pending(stack: Stack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("VisitorsTable"))["Items"]
    return [i for i in items if i["sk"]["S"].startswith("OUTBOX")]


def test_a_pass_whose_event_failed_after_the_commit_is_announced_by_the_sweep_once(
    call: Callable[..., Reply],
    place: Place,
    clock: FixedClock,
    stack: Stack,
    published: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    run_job: Callable[[], dict[str, int]],
) -> None:
    flush = Outbox.flush

    def bus_down(self: Outbox, pending: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "PutEvents")

    monkeypatch.setattr(Outbox, "flush", bus_down)
    reply = call("POST", "/passes", as_=place.host, body={"visitor_name": "Sun"})
    monkeypatch.setattr(Outbox, "flush", flush)
    assert reply.status == 503
    assert len(_pending(stack)) == 1

    clock.advance(minutes=1)
    assert run_job() == {"flushed": 0}  # too fresh: the client's own retry may still come
    clock.advance(minutes=4)
    assert run_job() == {"flushed": 1}
    clock.advance(minutes=5)
    assert run_job() == {"flushed": 0}

    issued = [detail for name, detail in published if name == "PassIssued"]
    assert len(issued) == 1
    assert issued[0]["visitor_name"] == "Sun"
    assert _pending(stack) == []


def test_a_pass_issued_normally_leaves_nothing_pending(
    call: Callable[..., Reply], place: Place, stack: Stack, published: list[tuple[str, dict[str, Any]]]
) -> None:
    reply = call("POST", "/passes", as_=place.host, body={"visitor_name": "Sun"})

    assert reply.status == 201
    assert [name for name, _ in published] == ["PassIssued"]
    assert _pending(stack) == []
