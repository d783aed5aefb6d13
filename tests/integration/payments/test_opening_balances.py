"""Opening balances at go-live on moto: a report first, then a commit of the valid rows as opening ledger
entries (arrears in the ageing from go-live, prepayments as credit); a re-import changes nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable

from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.payments.conftest import Caller, Community, Reply, ledger_items

Call = Callable[..., Reply]
SHEET = """旧系统期初余额
房号,欠费,预存
A101,500.00,
a102,,100.00
B201,abc,
Z999,10.00,
1-0-A101,20.00,
A101,1.00,
"""


def _upload(call: Call, who: Caller, site_id: str, commit: bool, text: str = SHEET) -> Reply:
    body = {
        "site_id": site_id,
        "filename": "old.csv",
        "content_base64": base64.b64encode(text.encode("utf-8")).decode(),
        "go_live": "2026-03-01",
        "commit": commit,
    }
    return call("POST", "/opening-balances", as_=who, body=body)


def test_opening_balances_are_reported_committed_once_and_opening_arrears_are_in_the_ageing(
    call: Call, manager: tuple[Community, Caller], staff: Callable[..., Caller], stack: Stack
):
    community, wang = manager
    finance = staff(community, "Zhao", Role.FINANCE)

    report = _upload(call, finance, community.site_id, commit=False)
    entries_after_report = len(ledger_items(stack))
    committed = _upload(call, finance, community.site_id, commit=True)
    again = _upload(call, finance, community.site_id, commit=True)

    assert report.status == 200, report.body
    assert (report.body["rows"], report.body["valid"], report.body["committed"]) == (6, 2, False)
    assert [(p["row"], p["code"]) for p in report.body["problems"]] == [
        (5, "bad_amount"),
        (6, "unknown_unit"),
        (7, "unknown_unit"),
        (8, "duplicate_unit"),
    ]
    assert entries_after_report == 0
    assert (committed.body["created"], committed.body["existing"]) == (2, 0)
    assert (again.body["created"], again.body["existing"]) == (0, 2)
    assert len(ledger_items(stack)) == 2
    arrears = call("GET", "/arrears", as_=wang, query={"site_id": community.site_id}).body
    [unit] = arrears["units"]
    assert unit["unit_id"] == community.units["a101"]
    assert unit["buckets"] == {"0-30": 50000, "31-90": 0, "90+": 0}
    a101 = call("GET", f"/units/{community.units['a101']}/ledger", as_=wang).body
    assert (a101["balance"], [e["kind"] for e in a101["entries"]]) == (50000, ["opening_arrears"])
    a102 = call("GET", f"/units/{community.units['a102']}/ledger", as_=wang).body
    assert (a102["balance"], a102["credit"]) == (-10000, 10000)


def test_opening_balances_are_for_finance_and_managers_only(
    call: Call, manager: tuple[Community, Caller], staff: Callable[..., Caller]
):
    community, _ = manager
    desk = staff(community, "Desk", Role.SERVICE_DESK)

    assert _upload(call, desk, community.site_id, commit=True).status == 403
