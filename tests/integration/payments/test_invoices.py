"""Invoice requests on moto: a resident asks for a company invoice of a counter payment, finance sees it in
the pending queue and issues it with the invoice number (once, audited); a rejected request frees the payment
for a corrected one; bad titles, neighbours, other firms and unpaid payments change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, run

Call = Callable[..., Reply]
COMPANY = {"title_type": "company", "title": "阳光科技有限公司", "tax_number": "91350100M000100Y43"}


@pytest.fixture
def paid(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    residents: Callable[..., Caller],
) -> tuple[Community, dict[str, Caller], dict[str, Any]]:
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    [bill] = bills_of(call, wang, unit_id=community.units["a101"])
    desk = staff(community, "Desk", Role.SERVICE_DESK)
    payment = call(
        "POST",
        "/payments/counter",
        as_=desk,
        body={
            "unit_id": community.units["a101"],
            "bill_ids": [bill["bill_id"]],
            "amount": 22375,
            "channel": "pos",
        },
        headers={"Idempotency-Key": "counter-invoice-1"},
    )
    assert payment.status == 201, payment.body
    people = {
        "chen": residents(community, "Chen", "a101"),
        "liu": residents(community, "Liu", "a102"),
        "finance": staff(community, "Zhao", Role.FINANCE),
        "desk": desk,
        "technician": staff(community, "Sun", Role.TECHNICIAN),
    }
    return community, people, payment.body


def _ask(call: Call, who: Caller, payment_id: str, key: str | None = None, **body: Any) -> Reply:
    return call(
        "POST",
        f"/payments/{payment_id}/invoice-requests",
        as_=who,
        body=body or COMPANY,
        headers={"Idempotency-Key": key} if key else None,
    )


def _audit_actions(stack: Stack, tenant_id: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return sorted(
        i["action"]["S"]
        for i in items
        if i.get("tenant_id", {}).get("S") == tenant_id
        and i.get("resource", {}).get("S") == "invoice_request"
    )


def test_a_resident_asks_finance_issues_once_and_both_see_it(
    call: Call, paid: tuple[Community, dict[str, Caller], dict[str, Any]], stack: Stack
):
    community, people, payment = paid

    asked = _ask(call, people["chen"], payment["payment_id"], key="invoice-0001")
    again = _ask(call, people["chen"], payment["payment_id"], key="invoice-0001")
    queue = call("GET", "/invoice-requests", as_=people["finance"])
    request_id = asked.body["request_id"]
    issued = call(
        "POST",
        f"/invoice-requests/{request_id}/issue",
        as_=people["finance"],
        body={"invoice_no": "26442000000123456789"},
    )
    clicked_twice = call(
        "POST",
        f"/invoice-requests/{request_id}/issue",
        as_=people["finance"],
        body={"invoice_no": "26442000000123456789"},
    )
    other_number = call(
        "POST",
        f"/invoice-requests/{request_id}/issue",
        as_=people["finance"],
        body={"invoice_no": "12345678"},
    )

    assert asked.status == 201, asked.body
    assert asked.body["status"] == "pending"
    assert asked.body["amount"] == 22375
    assert asked.body["tax_number"] == "91350100M000100Y43"
    assert (again.status, again.body["request_id"]) == (200, request_id)
    assert [r["request_id"] for r in queue.body["items"]] == [request_id]
    assert issued.status == 200, issued.body
    assert (issued.body["status"], issued.body["invoice_no"]) == ("issued", "26442000000123456789")
    assert clicked_twice.status == 200
    assert other_number.status == 409
    assert call("GET", "/invoice-requests", as_=people["finance"]).body["items"] == []
    mine = call("GET", "/invoice-requests", as_=people["chen"], query={"payment_id": payment["payment_id"]})
    assert [(r["status"], r["invoice_no"]) for r in mine.body["items"]] == [
        ("issued", "26442000000123456789")
    ]
    assert _audit_actions(stack, community.tenant_id) == ["issue", "request"]


def test_a_second_request_is_409_until_finance_rejects_the_first(
    call: Call, paid: tuple[Community, dict[str, Caller], dict[str, Any]]
):
    _, people, payment = paid
    first = _ask(call, people["chen"], payment["payment_id"])

    twice = _ask(call, people["desk"], payment["payment_id"], title_type="personal", title="陈小明")
    rejected = call(
        "POST",
        f"/invoice-requests/{first.body['request_id']}/reject",
        as_=people["finance"],
        body={"reason": "抬头与税号不符"},
    )
    rejected_again = call(
        "POST",
        f"/invoice-requests/{first.body['request_id']}/reject",
        as_=people["finance"],
        body={"reason": "再次"},
    )
    corrected = _ask(call, people["desk"], payment["payment_id"], title_type="personal", title="陈小明")

    assert twice.status == 409
    assert twice.body["error"]["details"][0]["request_id"] == first.body["request_id"]
    assert (rejected.status, rejected.body["status"], rejected.body["reason"]) == (
        200,
        "rejected",
        "抬头与税号不符",
    )
    assert rejected_again.status == 409
    assert corrected.status == 201, corrected.body
    assert corrected.body["tax_number"] is None
    rejected_list = call("GET", "/invoice-requests", as_=people["finance"], query={"status": "rejected"})
    assert [r["request_id"] for r in rejected_list.body["items"]] == [first.body["request_id"]]


def test_bad_titles_strangers_and_unpaid_payments_change_nothing(
    call: Call,
    paid: tuple[Community, dict[str, Caller], dict[str, Any]],
    seed: Callable[..., Community],
    staff: Callable[..., Caller],
):
    community, people, payment = paid
    pid = payment["payment_id"]
    foreign = staff(seed("Harbour"), "Qian", Role.FINANCE)
    bad_check = {**COMPANY, "tax_number": "91350100M000100Y40"}

    assert _ask(call, people["chen"], pid, **bad_check).status == 422
    assert _ask(call, people["chen"], pid, title_type="company", title="阳光科技有限公司").status == 422
    assert (
        _ask(
            call, people["chen"], pid, title_type="personal", title="陈", tax_number="91350100M000100Y43"
        ).status
        == 422
    )
    assert _ask(call, people["liu"], pid).status == 404  # a neighbour
    assert _ask(call, foreign, pid).status == 404  # another firm
    assert _ask(call, people["technician"], pid).status == 403
    assert call("GET", "/invoice-requests", as_=people["chen"]).status == 403  # the queue is finance's
    assert call("GET", "/invoice-requests", as_=foreign).body["items"] == []
    assert call("GET", "/invoice-requests", as_=people["finance"]).body["items"] == []
    [liu_bill] = bills_of(call, people["liu"])
    unpaid = call(
        "POST",
        "/payments",
        as_=people["liu"],
        body={"bill_ids": [liu_bill["bill_id"]], "provider": "sandbox"},
        headers={"Idempotency-Key": "invoice-unpaid-1"},
    )
    assert unpaid.status == 201, unpaid.body
    assert _ask(call, people["liu"], unpaid.body["payment_id"]).status == 409  # no money taken yet
    del community
