"""The visitors' part of a person's export (issue 17): ``PersonalDataExportRequested`` on the bus -> the
visitors' residency rule and queue -> ``visitors.residency_handler`` -> its ``visitors.json``
on moto. The passes they issued with their scans, the visitor's phone masked, no token, no guard; a
neighbour's pass is not theirs; a redelivery rewrites the same object; another firm's request finds
nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.wiring import use_clock
from infra.local.provision import Stack
from schemas.events import PersonalDataExportRequested
from tests.integration.bus import through_queue
from tests.integration.exports import export_request, stored_part
from tests.integration.visitors.conftest import Community, Place

Deliver = Callable[[PersonalDataExportRequested], dict[str, Any]]
PHONE = "13812345678"


@pytest.fixture
def exported(
    function_env: Callable[[str], dict[str, str]], clock: Any, handler: Any, stack: Stack
) -> Deliver:
    def deliver(event: PersonalDataExportRequested) -> dict[str, Any]:
        function_env("VisitorsResidencyFunction")
        from visitors import residency_handler
        from visitors.wiring import wiring

        use_clock(clock)
        wiring.reset()
        delivered = through_queue(
            stack, "courtyard.directory", event, "VisitorsResidencyQueue", residency_handler
        )
        wiring.reset()
        return delivered

    return deliver


def test_the_part_holds_the_hosts_passes_and_scans_masked(
    issue: Callable[..., dict[str, Any]], scan: Any, place: Place, exported: Deliver, stack: Stack
) -> None:
    mine = issue(visitor_phone=PHONE)
    assert scan(mine["token"]).body["verdict"] == "allow"
    issue(as_=place.neighbour, visitor_name="邻居的客人 钱女士")
    asked = export_request(place.community, "Chen")

    result = exported(asked)

    assert (result["delivered"], result["batchItemFailures"]) == (1, [])
    part = stored_part(stack, asked, "visitors")
    assert part is not None
    [visitor_pass] = part["data"]["passes"]
    assert visitor_pass["pass_id"] == mine["pass_id"]
    assert visitor_pass["visitor_name"] == "孙先生 Mr Sun"
    assert [(s["gate_id"], s["verdict"]) for s in visitor_pass["scans"]] == [("north-1", "allow")]
    assert visitor_pass["phone_masked"].endswith("5678")
    text = json.dumps(part, ensure_ascii=False)
    assert PHONE not in text
    assert mine["token"] not in text
    assert "钱女士" not in text
    assert place.guard.user_id not in text


def test_a_redelivery_rewrites_the_same_part_and_another_firms_request_finds_nothing(
    issue: Callable[..., dict[str, Any]],
    place: Place,
    exported: Deliver,
    stack: Stack,
    seed: Callable[..., Community],
) -> None:
    issue()
    asked = export_request(place.community, "Chen")
    exported(asked)
    first = stored_part(stack, asked, "visitors")
    assert exported(asked)["batchItemFailures"] == []
    assert stored_part(stack, asked, "visitors") == first

    forged = export_request(place.community, "Chen", tenant_id=seed("Harbour").tenant_id)
    exported(forged)
    part = stored_part(stack, forged, "visitors")
    assert part is not None
    assert part["data"] == {"passes": []}
