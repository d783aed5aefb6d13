"""The payments' part of a person's export (issue 17): ``PersonalDataExportRequested`` on the bus -> the
payments' people rule and queue -> ``payments.people_handler`` -> ``exports/{tenant}/{id}/payments.json``
on moto. Bills of their units for the months they lived there, the payments they made with their receipt
numbers; a co-resident's payment is not theirs; a redelivery rewrites the same object; another firm's request
finds nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.clock import FixedClock
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from schemas.events import ExportedLink, PersonalDataExportRequested
from tests.integration.bus import through_queue
from tests.integration.exports import export_request, stored_part
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, run

Call = Callable[..., Reply]
Deliver = Callable[[PersonalDataExportRequested], dict[str, Any]]


@pytest.fixture
def exported(function_env: Callable[[str], dict[str, str]], clock: FixedClock, stack: Stack) -> Deliver:
    def deliver(event: PersonalDataExportRequested) -> dict[str, Any]:
        function_env("PaymentsPeopleFunction")
        from payments import people_handler
        from payments.wiring import wiring

        from courtyard.wiring import use_clock

        use_clock(clock)
        wiring.reset()
        delivered = through_queue(stack, "courtyard.directory", event, "PaymentsPeopleQueue", people_handler)
        wiring.reset()
        use_clock(None)
        return delivered

    return deliver


@pytest.fixture
def paid(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
) -> dict[str, Any]:
    """Chen paid a101's March bill in the app; Li lives in a101 too and paid nothing."""
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    chen = residents(community, "Chen", "a101")
    residents(community, "Li", "a101")
    [bill] = bills_of(call, chen)
    checkout = call(
        "POST", "/payments", as_=chen, body={"bill_ids": [bill["bill_id"]], "provider": "sandbox"}
    )
    assert checkout.status == 201, checkout.body
    settled = sandbox.pay(checkout.body["next_action"]["url"].rsplit("/", 1)[1], hold=True)
    assert deliver(settled["event_id"]).status == 200
    return {"community": community, "bill": bill, "payment_id": checkout.body["payment_id"]}


def lived(community: Community, since: str, until: str | None = None) -> tuple[ExportedLink, ...]:
    return (
        ExportedLink(unit_id=community.units["a101"], site_id=community.site_id, since=since, until=until),
    )


def test_the_payer_gets_the_units_bill_and_their_payment(
    paid: dict[str, Any], exported: Deliver, stack: Stack
) -> None:
    community = paid["community"]
    asked = export_request(community, "Chen", links=lived(community, "2025-06-01T00:00:00Z"))

    result = exported(asked)

    assert (result["delivered"], result["batchItemFailures"]) == (1, [])
    part = stored_part(stack, asked, "payments")
    assert part is not None
    assert [b["bill_id"] for b in part["data"]["bills"]] == [paid["bill"]["bill_id"]]
    [payment] = part["data"]["payments"]
    assert (payment["payment_id"], payment["paid_by"]) == (paid["payment_id"], "self")


def test_a_co_resident_sees_the_bill_not_anothers_payment(
    paid: dict[str, Any], exported: Deliver, stack: Stack
) -> None:
    community = paid["community"]
    asked = export_request(community, "Li", links=lived(community, "2025-06-01T00:00:00Z"))

    exported(asked)

    part = stored_part(stack, asked, "payments")
    assert part is not None
    assert len(part["data"]["bills"]) == 1
    assert part["data"]["payments"] == []
    assert community.people["Chen"].user_id not in json.dumps(part)


def test_a_bill_after_the_link_ended_is_not_the_past_occupants(
    paid: dict[str, Any], exported: Deliver, stack: Stack
) -> None:
    community = paid["community"]
    bill_month = str(paid["bill"]["period"])[:7]
    asked = export_request(
        community, "Li", links=lived(community, "2024-01-01T00:00:00Z", f"{int(bill_month[:4]) - 1}-12-31")
    )

    exported(asked)

    part = stored_part(stack, asked, "payments")
    assert part is not None
    assert part["data"]["bills"] == []


def test_a_redelivery_rewrites_the_same_part_and_another_firms_request_finds_nothing(
    paid: dict[str, Any], exported: Deliver, stack: Stack, seed: Callable[..., Community]
) -> None:
    community = paid["community"]
    asked = export_request(community, "Chen", links=lived(community, "2025-06-01T00:00:00Z"))
    exported(asked)
    first = stored_part(stack, asked, "payments")
    assert exported(asked)["batchItemFailures"] == []
    assert stored_part(stack, asked, "payments") == first

    forged = export_request(
        community, "Chen", links=lived(community, "2025-06-01T00:00:00Z"), tenant_id=seed("Harbour").tenant_id
    )
    exported(forged)
    part = stored_part(stack, forged, "payments")
    assert part is not None
    assert part["data"] == {"bills": [], "payments": [], "invoice_requests": []}
