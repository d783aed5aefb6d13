"""An erased resident's payments keep their money, not the person (issue 17): ``ResidentErased`` on the bus
-> the payments' people rule and queue -> ``payments.people_handler``, on moto. The payment they made and
the bank statement line that named them forget who paid; amounts, bills and ledger stay; a redelivery
changes nothing; a neighbour's line keeps its name."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from schemas.events import ResidentErased
from tests.integration.bus import through_queue
from tests.integration.payments.conftest import (
    Caller,
    Community,
    Reply,
    bills_of,
    fee,
    ledger_items,
    run,
    table_items,
)

Call = Callable[..., Reply]
Deliver = Callable[[ResidentErased], dict[str, Any]]
# 陈明 (b201) pays by bank transfer; 王五 is nobody's name; Chen (a101) pays in the app.
STATEMENT = """中国工商银行 账户交易明细
交易日期,贷方金额,对方户名,对方账号,摘要
2026-03-05,163.13,陈明,6222000011113333,B201 物业费
2026-03-06,12.34,王五,,往来款
"""


@pytest.fixture
def erased(function_env: Callable[[str], dict[str, str]], clock: FixedClock, stack: Stack) -> Deliver:
    """``erased(event)``: the event through the bus, the payments' people rule and queue, and the handler."""

    def deliver(event: ResidentErased) -> dict[str, Any]:
        function_env("PaymentsPeopleFunction")
        from payments import people_handler
        from payments.wiring import wiring

        wiring.reset()
        delivered = through_queue(stack, "courtyard.directory", event, "PaymentsPeopleQueue", people_handler)
        wiring.reset()
        return delivered

    return deliver


@pytest.fixture
def paid(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
) -> dict[str, Any]:
    """Chen paid a101's bill in the app; 陈明's bank transfer paid b201's; 王五's line is an exception."""
    community, wang = manager
    fee(call, wang, community.site_id)  # a101 223.75, a102 300.00, b201 163.13
    run(call, wang, community.site_id)
    chen = residents(community, "Chen", "a101")
    residents(community, "陈明", "b201")
    [bill] = bills_of(call, chen)
    checkout = call(
        "POST", "/payments", as_=chen, body={"bill_ids": [bill["bill_id"]], "provider": "sandbox"}
    )
    assert checkout.status == 201, checkout.body
    settled = sandbox.pay(checkout.body["next_action"]["url"].rsplit("/", 1)[1], hold=True)
    assert deliver(settled["event_id"]).status == 200
    finance = staff(community, "Zhao", Role.FINANCE)
    upload = {
        "site_id": community.site_id,
        "filename": "icbc-2026-03.csv",
        "content_base64": base64.b64encode(STATEMENT.encode("gb18030")).decode(),
    }
    imported = call("POST", "/bank-statements", as_=finance, body=upload)
    assert imported.body["matched"] == 1, imported.body
    return {"community": community, "chen": chen, "payment_id": checkout.body["payment_id"]}


def erasure_of(community: Community, name: str) -> ResidentErased:
    return ResidentErased(
        tenant_id=community.tenant_id,
        event_id=uuid.uuid4().hex,
        resident_id=community.residents[name],
        user_id=community.people[name].user_id,
    )


def test_an_erased_payers_payment_and_bank_line_forget_them_and_keep_the_money(
    paid: dict[str, Any], erased: Deliver, stack: Stack
) -> None:
    community, chen = paid["community"], paid["chen"]
    ledger_before = ledger_items(stack)

    results = [erased(erasure_of(community, "Chen")), erased(erasure_of(community, "陈明"))]

    assert [(r["delivered"], r["batchItemFailures"]) for r in results] == [(1, []), (1, [])]
    stored = json.dumps(table_items(stack), ensure_ascii=False)
    for trace in (chen.user_id, "陈明", "3333"):
        assert trace not in stored
    assert "王五" in stored  # nobody's line keeps its name
    assert ledger_items(stack) == ledger_before
    payments = [i for i in table_items(stack) if i.get("entity", {}).get("S") == "payment"]
    assert sorted(int(p["amount"]["N"]) for p in payments) == [16313, 22375]


def test_a_redelivered_erasure_changes_nothing(paid: dict[str, Any], erased: Deliver, stack: Stack) -> None:
    event = erasure_of(paid["community"], "陈明")
    erased(event)
    before = table_items(stack)

    again = erased(event)

    assert again["batchItemFailures"] == []
    assert table_items(stack) == before


def test_the_people_rule_takes_only_erasures_and_export_requests_from_the_directory(template: Any) -> None:
    pattern = template.resource("PaymentsPeopleRule")["Properties"]["EventPattern"]
    assert json.loads(json.dumps(pattern)) == {
        "source": ["courtyard.directory"],
        "detail-type": ["ResidentErased", "PersonalDataExportRequested"],
    }


def test_an_erased_residents_invoice_requests_forget_them_and_a_personal_title(
    paid: dict[str, Any], erased: Deliver, stack: Stack, call: Call
) -> None:
    community, chen = paid["community"], paid["chen"]
    asked = call(
        "POST",
        f"/payments/{paid['payment_id']}/invoice-requests",
        as_=chen,
        body={"title_type": "personal", "title": "陈小明"},
    )
    assert asked.status == 201, asked.body

    result = erased(erasure_of(community, "Chen"))

    assert result["batchItemFailures"] == []
    stored = json.dumps(table_items(stack), ensure_ascii=False)
    assert "陈小明" not in stored
    assert chen.user_id not in stored
    requests = [i for i in table_items(stack) if i.get("entity", {}).get("S") == "invoice_request"]
    assert [(r["status"]["S"], int(r["amount"]["N"])) for r in requests] == [("pending", 22375)]
