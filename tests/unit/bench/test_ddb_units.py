"""Where the month's DynamoDB units come from (bench/ddb_units.py), from a cost run's activities."""

from __future__ import annotations

import pytest

from bench import applied_levers, ddb_units, prices

ACTIVITIES = [
    {
        "name": "tickets created",
        "shared": False,
        "month": {
            "units:TicketsApi:wru:courtyard-dev-tickets": 30.0,  # priced, not attributed twice
            "units:TicketsApi:wop:courtyard-dev-tickets:Transact.Put": 24.0,
            "units:TicketsApi:wix:courtyard-dev-tickets/gsi1:Transact.Put": 6.0,
            "units:TicketsApi:rtb:courtyard-dev-tickets:GetItem": 2.0,
            "fn:TicketsApi": 10.0,
        },
    },
    {
        "name": "schedule NotificationsJobs",
        "shared": True,  # a deployment's sweep: 1/communities of it is this community's
        "month": {"units:NotificationsJobs:wop:courtyard-dev-notifications:UpdateItem": 400.0},
    },
]


def test_writes_are_attributed_by_table_operation_and_index_and_a_shared_sweep_by_its_share():
    rows = ddb_units.units_of(ACTIVITIES, communities=100)
    writes = {(r.table, r.op): r.units for r in rows if r.kind == "wru"}
    assert writes == {
        ("tickets", "Transact.Put"): 24.0,
        ("tickets/gsi1", "Transact.Put"): 6.0,
        ("notifications", "UpdateItem"): 4.0,
    }
    reads = [r for r in rows if r.kind == "rru"]
    assert [(r.table, r.op, r.units) for r in reads] == [("tickets", "GetItem", 2.0)]


def test_the_report_ranks_the_top_writers_and_counts_the_modelled_device_writes():
    lines = [{"what": "ingest heartbeat + aggregate flush writes (wall clock, modelled)", "quantity": 50.0}]
    text = ddb_units.report({"communities": 100, "activities": ACTIVITIES, "lines": lines}, top=2)
    assert text[0].startswith("DynamoDB write units of the month: 84 WRU")
    assert "index copies 7%" in text[0]
    assert "inside transactions 36%" in text[0]
    top = text[text.index("  top 2 writers (activity, function, table, operation):") + 1 :][:2]
    assert "device readings (wall clock)" in top[0]
    assert top[0].endswith("SensorsTable (modelled)")
    assert "tickets created" in top[1]
    assert top[1].endswith("tickets Transact.Put")


def test_totals_sum_by_the_fields_asked():
    rows = ddb_units.units_of(ACTIVITIES, communities=1)
    by_kind = dict(ddb_units.totals([r for r in rows if r.kind == "wru"], "op"))
    assert by_kind == {("UpdateItem",): 400.0, ("Transact.Put",): pytest.approx(30.0)}


def test_the_write_lever_prices_the_months_metered_writes_against_the_measured_before():
    usage = {
        "units:TicketsApi:wru:courtyard-dev-tickets": 30.0,  # priced: the same units, not counted twice
        "units:TicketsApi:wop:courtyard-dev-tickets:Transact.Put": 24.0,
        "units:TicketsApi:wix:courtyard-dev-tickets/gsi1:Transact.Put": 6.0,
        "units:TicketsApi:rtb:courtyard-dev-tickets:GetItem": 2.0,
    }
    assert applied_levers.metered_wru(usage) == 30.0
    lever = applied_levers.ddb_writes(30.0)
    assert lever.applied
    assert lever.after == pytest.approx(prices.PRICES["dynamodb.wru"].cost(30.0))
    assert lever.before == pytest.approx(prices.PRICES["dynamodb.wru"].cost(applied_levers.DDB_WRU_BEFORE))
    assert "functions/notifications/repository.py" in lever.basis
    # The before was measured on another workload (issue 18): the line says so rather than claim a saving.
    assert "NOT like with like" in lever.basis
    assert applied_levers.DDB_BEFORE_WORKLOAD in lever.basis
