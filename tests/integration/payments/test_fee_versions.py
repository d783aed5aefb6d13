"""Fee items change without double billing, on moto: a price from next month, retirement, issued bills
untouched."""

from __future__ import annotations

from collections.abc import Callable

from courtyard.tenancy import Role
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, run

Call = Callable[..., Reply]


def test_a_price_change_from_next_month_bills_the_new_price_only_from_then(
    call: Call, manager: tuple[Community, Caller], staff: Callable[..., Caller]
):
    community, wang = manager
    item = fee(call, wang, community.site_id)  # 2.50 per m² per month; the clock is 2026-03-02
    unit = community.units["a101"]  # 89.50 m²
    run(call, wang, community.site_id, "2026-03")

    changed = call(
        "POST",
        f"/fee-items/{item['fee_id']}/prices",
        as_=wang,
        body={"from_period": "2026-04", "price_minor": 300},
    )
    run(call, wang, community.site_id, "2026-03")  # re-run: nothing new, nothing rewritten
    run(call, wang, community.site_id, "2026-04")

    assert changed.status == 200, changed.body
    assert changed.body["prices"] == [{"from_period": "2026-04", "price_minor": 300}]
    by_period = {b["period"]: b["amount_due"] for b in bills_of(call, wang, unit_id=unit)}
    assert by_period == {"2026-03": 22375, "2026-04": 26850}


def test_a_retired_item_bills_nothing_from_its_month(call: Call, manager: tuple[Community, Caller]):
    community, wang = manager
    item = fee(call, wang, community.site_id)

    retired = call("POST", f"/fee-items/{item['fee_id']}/retire", as_=wang, body={"from_period": "2026-04"})
    march = run(call, wang, community.site_id, "2026-03")
    april = run(call, wang, community.site_id, "2026-04")

    assert retired.status == 200, retired.body
    assert retired.body["retired_from"] == "2026-04"
    assert march["bills_created"] > 0
    assert (april["bills_created"], april["units_without_fees"]) == (0, april["units"])


def test_bad_price_changes_are_refused_and_change_nothing(
    call: Call,
    manager: tuple[Community, Caller],
    staff: Callable[..., Caller],
    seed: Callable[..., Community],
):
    community, wang = manager
    item = fee(call, wang, community.site_id)
    path = f"/fee-items/{item['fee_id']}/prices"
    desk = staff(community, "Desk", Role.SERVICE_DESK)
    outsider = staff(seed(), "Li", Role.MANAGER)

    assert call("POST", path, as_=wang, body={"from_period": "2026-02", "price_minor": 300}).status == 422
    assert call("POST", path, as_=wang, body={"from_period": "2026-Q2", "price_minor": 300}).status == 422
    assert call("POST", path, as_=desk, body={"from_period": "2026-04", "price_minor": 300}).status == 403
    assert call("POST", path, as_=outsider, body={"from_period": "2026-04", "price_minor": 300}).status == 404
    [listed] = call("GET", "/fee-items", as_=wang, query={"site_id": community.site_id}).body["items"]
    assert listed["prices"] == []
