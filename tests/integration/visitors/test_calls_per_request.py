"""POST /passes and POST /gate/scans in a warm container: at most four and three AWS calls (issue 18)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.api import Reply
from tests.integration.calls import warm_calls
from tests.integration.visitors.conftest import Place


def test_issuing_a_pass_is_at_most_four_aws_calls_when_warm(call: Callable[..., Reply], place: Place) -> None:
    body = {"visitor_name": "孙先生 Mr Sun"}
    reply, calls = warm_calls(lambda: call("POST", "/passes", as_=place.host, body=body))

    assert reply.status == 201, reply.body
    assert calls.total <= 4, calls.calls


def test_a_gate_scan_is_at_most_three_aws_calls_when_warm(
    issue: Callable[..., dict[str, Any]],
    scan: Callable[..., Reply],
    call: Callable[..., Reply],
    place: Place,
    published: list[tuple[str, dict[str, Any]]],
) -> None:
    passes = iter([issue(), issue()])
    reply, calls = warm_calls(lambda: scan(next(passes)["token"]))

    assert reply.status == 200
    assert (reply.body["verdict"], reply.body["entry_number"]) == ("allow", 1)
    # The pass read, the entry taken with its visit-log line (one transaction), the arrival event.
    assert calls.total <= 3, calls.calls
    visits = call("GET", f"/sites/{place.site_id}/visits", as_=place.guard).body["items"]
    assert [v["verdict"] for v in visits] == ["allow", "allow"]
    assert len([name for name, _ in published if name == "VisitorArrived"]) == 2
