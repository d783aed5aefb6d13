"""Bank statement reconciliation on moto: an upload settles what it matches as bank transfers, lists the rest
as exceptions to confirm or dismiss, and a second import of the same statement settles nothing twice."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, ledger_items, run

Call = Callable[..., Reply]
STATEMENT = """中国工商银行 账户交易明细
交易日期,贷方金额,对方户名,对方账号,摘要
2026-03-05,223.75,张三,6222000011112222,A101 物业费
2026-03-05,163.13,陈明,,转账
2026-03-06,300.00,某某,,缴费
2026-03-06,12.34,王五,,往来款
2026-03-05,223.75,张三,6222000011112222,A101 物业费
"""


def _upload(call: Call, who: Caller, site_id: str, text: str = STATEMENT) -> Reply:
    body = {
        "site_id": site_id,
        "filename": "icbc-2026-03.csv",
        "content_base64": base64.b64encode(text.encode("gb18030")).decode(),
    }
    return call("POST", "/bank-statements", as_=who, body=body)


def test_a_statement_settles_its_matches_once_and_lists_the_rest_for_one_click_decisions(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    residents: Callable[..., Caller],
    stack: Stack,
    published: list[tuple[str, dict[str, Any]]],
):
    community, wang = manager
    fee(call, wang, community.site_id)  # a101 223.75, a102 300.00, b201 163.13
    run(call, wang, community.site_id)
    residents(community, "陈明", "b201")
    finance = staff(community, "Zhao", Role.FINANCE)

    first = _upload(call, finance, community.site_id)
    entries_after_first = len(ledger_items(stack))
    again = _upload(call, finance, community.site_id)

    assert first.status == 200, first.body
    assert first.body == {
        "lines": 4,
        "duplicates": 1,
        "already_imported": 0,
        "matched": 2,
        "exceptions": 2,
        "settled_amount": 22375 + 16313,
    }
    status = {b["unit_id"]: b["status"] for b in bills_of(call, wang)}
    assert status == {
        community.units["a101"]: "paid",
        community.units["b201"]: "paid",
        community.units["a102"]: "issued",
    }
    assert (again.body["already_imported"], again.body["matched"], again.body["exceptions"]) == (4, 0, 0)
    assert len(ledger_items(stack)) == entries_after_first
    assert [n for n, _ in published].count("PaymentSucceeded") == 2

    listed = call("GET", "/bank-statements/exceptions", as_=finance, query={"site_id": community.site_id})
    assert listed.status == 200, listed.body
    by_outcome = {line["outcome"]: line for line in listed.body["items"]}
    assert set(by_outcome) == {"ambiguous", "unknown"}
    [a102_bill] = bills_of(call, wang, unit_id=community.units["a102"])
    assert by_outcome["ambiguous"]["candidates"] == [
        {"unit_id": community.units["a102"], "bill_id": a102_bill["bill_id"]}
    ]

    ambiguous, unknown = by_outcome["ambiguous"]["line_id"], by_outcome["unknown"]["line_id"]
    body = {
        "site_id": community.site_id,
        "unit_id": community.units["a102"],
        "bill_ids": [a102_bill["bill_id"]],
    }
    confirmed = call("POST", f"/bank-statements/lines/{ambiguous}/confirm", as_=finance, body=body)
    twice = call("POST", f"/bank-statements/lines/{ambiguous}/confirm", as_=finance, body=body)
    dismissed = call(
        "POST", f"/bank-statements/lines/{unknown}/dismiss", as_=finance, body={"site_id": community.site_id}
    )

    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["state"] == "confirmed"
    payment = call("GET", f"/payments/{confirmed.body['payment_id']}", as_=finance).body
    assert (payment["provider"], payment["amount"]) == ("bank_transfer", 30000)
    assert twice.status == 409
    assert (dismissed.status, dismissed.body["state"]) == (200, "dismissed")
    assert call("GET", f"/bills/{a102_bill['bill_id']}", as_=wang).body["status"] == "paid"
    left = call("GET", "/bank-statements/exceptions", as_=finance, query={"site_id": community.site_id})
    assert left.body["items"] == []


def test_statement_uploads_that_are_not_statements_or_not_allowed_are_refused(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    seed: Callable[..., Community],
):
    community, wang = manager
    desk = staff(community, "Desk", Role.SERVICE_DESK)
    outsider = staff(seed(), "Li", Role.FINANCE)

    assert _upload(call, wang, community.site_id, "name,amount\nx,1\n").status == 422
    assert _upload(call, desk, community.site_id).status == 403
    assert _upload(call, outsider, community.site_id).status == 404
