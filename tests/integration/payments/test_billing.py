"""Fee items and billing runs on moto: idempotent re-runs, a unit added later, parking and metered fees, late
fees to the minor unit at checkout, the queued path for large runs, roles."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.payments.conftest import (
    Caller,
    Community,
    Reply,
    billing_records,
    bills_of,
    fee,
    run,
    table_items,
)

Call = Callable[..., Reply]


def _add_unit(
    stack: Stack, community: Community, label: str, kind: str = "residential", area: int = 10000
) -> str:
    unit_id = uuid.uuid4().hex[:26].upper()
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(
        Item={
            **Keys.unit(community.tenant_id, unit_id),
            "entity": "unit",
            "unit_id": unit_id,
            "site_id": community.site_id,
            "building_id": community.building_b,
            "room_key": label,
            "label": label.upper(),
            "kind": kind,
            "occupancy": "vacant",
            "area_centi_m2": area,
            "gsi1pk": Keys.site_units_index(community.tenant_id, community.site_id),
            "gsi1sk": label,
        }
    )
    community.units[label] = unit_id
    return unit_id


def test_a_billing_run_over_the_same_period_twice_yields_the_same_bills(
    call: Call, manager: tuple[Community, Caller], stack: Stack, published: list[tuple[str, dict[str, Any]]]
):
    community, wang = manager
    fee(call, wang, community.site_id)
    fee(call, wang, community.site_id, name="垃圾费 Waste", kind="fixed", price_minor=1500)

    first = run(call, wang, community.site_id)
    bills = bills_of(call, wang, site_id=community.site_id, period="2026-03")
    items = table_items(stack)
    second = run(call, wang, community.site_id)

    assert (first["status"], first["bills_created"]) == ("completed", 3)
    assert (second["bills_created"], second["bills_existing"]) == (0, 3)
    assert bills_of(call, wang, site_id=community.site_id, period="2026-03") == bills
    assert len(table_items(stack)) == len(items) + 2  # only the second run's record and its one chunk
    assert [n for n, _ in published].count("BillIssued") == 3
    by_unit = {b["unit_id"]: b for b in bills}
    a101 = by_unit[community.units["a101"]]
    assert [line["amount"] for line in a101["lines"]] == [22375, 1500]
    assert a101["amount_due"] == 23875
    assert a101["due_date"] == "2026-03-15"
    assert (
        by_unit[community.units["b201"]]["amount_due"] == 16313 + 1500
    )  # 65.25 m² x 2.50 = 163.125 -> 163.13


def test_adding_a_unit_and_re_running_bills_only_that_unit(
    call: Call, manager: tuple[Community, Caller], stack: Stack
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    new_unit = _add_unit(stack, community, "b202")

    again = run(call, wang, community.site_id)

    assert (again["bills_created"], again["bills_existing"]) == (1, 3)
    assert [b["unit_id"] for b in bills_of(call, wang, unit_id=new_unit)] == [new_unit]


def test_parking_fees_bill_parking_spaces_and_metered_fees_need_readings(
    call: Call, manager: tuple[Community, Caller], stack: Stack
):
    community, wang = manager
    space = _add_unit(stack, community, "p001", kind="parking", area=1250)
    fee(call, wang, community.site_id, name="车位费 Parking", kind="parking", price_minor=30000)
    water = fee(call, wang, community.site_id, name="水费 Water", kind="metered", price_minor=350)
    readings = call(
        "POST",
        f"/fee-items/{water['fee_id']}/readings",
        as_=wang,
        body={
            "period": "2026-03",
            "readings": [{"unit_id": community.units["a101"], "previous": 100, "current": 112}],
        },
    )
    backwards = call(
        "POST",
        f"/fee-items/{water['fee_id']}/readings",
        as_=wang,
        body={
            "period": "2026-03",
            "readings": [{"unit_id": community.units["a102"], "previous": 9, "current": 3}],
        },
    )

    result = run(call, wang, community.site_id)

    assert readings.status == 200
    assert readings.body["recorded"] == 1
    assert backwards.status == 422
    assert result["bills_created"] == 2
    assert result["units_without_fees"] == 2
    assert [b["amount_due"] for b in bills_of(call, wang, unit_id=space)] == [30000]
    [a101] = bills_of(call, wang, unit_id=community.units["a101"])
    assert a101["amount_due"] == 12 * 350
    assert a101["lines"][0]["quantity"].startswith("usage 12")


@pytest.mark.parametrize(
    ("late_fee", "days_late", "expected"),
    [
        ({"kind": "daily", "value": 5, "grace_days": 0}, 10, 112),  # 22375 x 0.05 % x 10 = 111.875 -> 112
        ({"kind": "daily", "value": 5, "grace_days": 10}, 10, 0),  # inside the grace days
        ({"kind": "percentage", "value": 1000, "grace_days": 5}, 6, 2238),  # 10 % of 22375 = 2237.5 -> 2238
        ({"kind": "daily", "value": 100, "cap_minor": 5000}, 40, 5000),  # 1 %/day for 40 days, capped
        ({"kind": "fixed", "value": 2000, "grace_days": 3}, 4, 2000),
    ],
)
def test_late_fees_follow_the_policy_to_the_minor_unit_at_checkout(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    clock: FixedClock,
    late_fee: dict[str, Any],
    days_late: int,
    expected: int,
):
    community, wang = manager
    fee(call, wang, community.site_id, late_fee=late_fee)
    run(call, wang, community.site_id)
    chen = residents(community, "Chen", "a101")
    # 10:00 in Shanghai, ``days_late`` days after the due date (2026-03-15).
    clock.set(
        datetime(2026, 3, 15 + days_late, 2, 0, tzinfo=UTC)
        if days_late < 17
        else datetime(2026, 4, days_late - 16, 2, 0, tzinfo=UTC)
    )

    [bill] = bills_of(call, chen)
    payment = call("POST", "/payments", as_=chen, body={"bill_ids": [bill["bill_id"]]})

    assert bill["late_fee"] == expected
    assert payment.status == 201, payment.body
    assert payment.body["amount"] == 22375 + expected
    assert payment.body["allocations"][0]["late_fee"] == expected


def test_a_billing_run_answers_202_at_once_and_the_queue_bills_it_chunk_by_chunk(
    call: Call, manager: tuple[Community, Caller], stack: Stack, monkeypatch: pytest.MonkeyPatch
):
    community, wang = manager
    for n in range(5):
        _add_unit(stack, community, f"c{n:03d}")
    fee(call, wang, community.site_id)
    from payments import billing_handler
    from payments.wiring import wiring

    monkeypatch.setenv("BILLING_CHUNK_UNITS", "3")
    wiring.reset()

    started = call(
        "POST", "/billing-runs", as_=wang, body={"site_id": community.site_id, "period": "2026-03"}
    )
    billed_in_the_request = bills_of(call, wang)
    records = billing_records()
    result = billing_handler.lambda_handler({"Records": records + records[:1]}, lambda_context())
    done = call("GET", f"/billing-runs/{started.body['run_id']}", as_=wang).body

    assert started.status == 202, started.body
    assert (started.body["status"], started.body["units"], started.body["units_done"]) == ("running", 8, 0)
    assert started.body["chunks"] == 3
    assert billed_in_the_request == []
    assert result == {"batchItemFailures": []}
    assert (done["status"], done["chunks_done"], done["bills_created"]) == ("completed", 3, 8)
    assert done["units_done"] == done["units"] == 8
    assert len(json.loads(records[0]["body"])["units"]) == 3


def test_billing_runs_are_listed_newest_first_with_their_progress_and_cursor_paging(
    call: Call,
    manager: tuple[Community, Caller],
    seed: Callable[..., Community],
    staff: Callable[..., Caller],
):
    community, wang = manager
    fee(call, wang, community.site_id)
    march = run(call, wang, community.site_id, "2026-03")
    april = run(call, wang, community.site_id, "2026-04")
    may = call(
        "POST", "/billing-runs", as_=wang, body={"site_id": community.site_id, "period": "2026-05"}
    ).body
    other = seed("Harbour")
    zhou = staff(other, "Zhou", Role.MANAGER)

    first = call("GET", "/billing-runs", as_=wang, query={"limit": "2"})
    second = call("GET", "/billing-runs", as_=wang, query={"limit": "2", "cursor": first.body["next_cursor"]})
    elsewhere = call("GET", "/billing-runs", as_=zhou)
    foreign = call("GET", f"/billing-runs/{march['run_id']}", as_=zhou)

    assert first.status == 200, first.body
    listed = [r["run_id"] for r in first.body["items"] + second.body["items"]]
    assert listed == [may["run_id"], april["run_id"], march["run_id"]]
    assert second.body["next_cursor"] is None
    assert [(r["status"], r["units_done"], r["units"]) for r in first.body["items"]] == [
        ("running", 0, 3),
        ("completed", 3, 3),
    ]
    assert elsewhere.body["items"] == []
    assert foreign.status == 404


@pytest.mark.parametrize("period", ["0000-01", "0000-Q1", "0000", "2026-13", "2026-00", "2026-Q5"])
def test_a_period_the_calendar_cannot_hold_is_422_before_anything_is_written(
    call: Call, manager: tuple[Community, Caller], stack: Stack, period: str
):
    community, wang = manager
    fee(call, wang, community.site_id)
    before = table_items(stack)

    reply = call("POST", "/billing-runs", as_=wang, body={"site_id": community.site_id, "period": period})

    assert reply.status == 422, reply.body
    assert reply.body["error"]["details"]
    assert table_items(stack) == before
    assert billing_records() == []


def test_only_managers_and_finance_create_fee_items_and_run_billing(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
):
    community, _ = manager
    desk = staff(community, "Li", Role.SERVICE_DESK)
    chen = residents(community, "Chen", "a101")
    zhao = staff(community, "Zhao", Role.FINANCE)
    body = {"site_id": community.site_id, "name": "x", "kind": "fixed", "price_minor": 1}

    assert call("POST", "/fee-items", as_=desk, body=body).status == 403
    assert call("POST", "/fee-items", as_=chen, body=body).status == 403
    assert call("POST", "/fee-items", as_=zhao, body=body).status == 201
    assert (
        call(
            "POST", "/billing-runs", as_=desk, body={"site_id": community.site_id, "period": "2026-03"}
        ).status
        == 403
    )
    assert call("POST", "/fee-items", as_=zhao, body={**body, "site_id": "NOSUCHSITE"}).status == 404
    assert call("POST", "/fee-items", as_=zhao, body={**body, "currency": "USD"}).status == 422
    assert call("GET", "/fee-items", as_=desk).status == 200


def test_same_idempotency_key_returns_the_same_fee_item_and_a_different_body_is_422(
    call: Call,
    manager: tuple[Community, Caller],
    seed: Callable[..., Community],
    staff: Callable[..., Caller],
    stack: Stack,
):
    community, wang = manager
    harbour = seed("Harbour")
    zhou = staff(harbour, "Zhou", Role.MANAGER)
    headers = {"Idempotency-Key": "fee-item-0001-abcdef"}
    body = {"site_id": community.site_id, "name": "物业费", "kind": "area", "price_minor": 250}

    first = call("POST", "/fee-items", as_=wang, body=body, headers=headers)
    again = call("POST", "/fee-items", as_=wang, body=body, headers=headers)
    other = call("POST", "/fee-items", as_=wang, body={**body, "price_minor": 300}, headers=headers)
    elsewhere = call(
        "POST", "/fee-items", as_=zhou, body={**body, "site_id": harbour.site_id}, headers=headers
    )

    assert first.status == 201, first.body
    assert again.status == 200, again.body
    assert again.body == first.body
    assert other.status == 422, other.body
    assert other.body["error"]["details"][0]["type"] == "key_reused"
    # Another firm's manager using the same key gets a fee item of their own.
    assert elsewhere.status == 201, elsewhere.body
    assert elsewhere.body["fee_id"] != first.body["fee_id"]
    fee_items = [i for i in table_items(stack) if i["sk"]["S"].startswith("FEE#")]
    assert len(fee_items) == 2


def test_credit_waiting_when_a_new_bill_is_issued_settles_the_oldest_open_bill_first(
    call: Call, manager: tuple[Community, Caller], stack: Stack, clock: FixedClock
):
    community, wang = manager
    fee(call, wang, community.site_id, late_fee={"kind": "fixed", "value": 2000})
    run(call, wang, community.site_id, "2026-03")
    a101 = community.units["a101"]
    from payments import keys

    # Credit kept from before credit settled open bills at once (22,375 + 2,000 + 5,000).
    boto3.resource("dynamodb").Table(stack.ref("PaymentsTable")).put_item(
        Item={**keys.credit(community.tenant_id, community.site_id, a101), "unit_id": a101, "amount": 29375}
    )
    clock.set(datetime(2026, 4, 2, 2, 0, tzinfo=UTC))  # March is overdue: 2,000 late fee

    run(call, wang, community.site_id, "2026-04")

    [march] = bills_of(call, wang, unit_id=a101, period="2026-03")
    [april] = bills_of(call, wang, unit_id=a101, period="2026-04")
    assert (march["status"], march["late_fee"]) == ("paid", 2000)
    assert (april["status"], april["credit_applied"], april["amount_due"]) == ("issued", 5000, 22375 - 5000)
    ledger = call("GET", f"/units/{a101}/ledger", as_=wang).body
    assert ledger["credit"] == 0
