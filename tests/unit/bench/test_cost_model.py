"""The honest month's modelled parts (bench/cost_model.py): sized DynamoDB units, SMS, INIT, real cadence."""

from __future__ import annotations

import pytest

from bench import cost, cost_model, prices


def test_a_rarely_called_function_starts_cold_nearly_every_time_and_a_busy_one_rarely():
    assert cost_model.cold_starts(10) == pytest.approx(10, rel=0.01)
    busy = cost_model.cold_starts(10_000_000)
    assert busy == pytest.approx(cost_model.SECONDS_PER_MONTH / cost_model.LIFETIME_S, rel=0.01)


def test_init_is_billed_at_the_measured_import_time_and_shared_by_the_deployments_schedules():
    meta = {"Api": cost.FunctionMeta(memory_mb=1024, init_ms=1000.0)}
    lines = cost.lines_of({"fn:Api": 100.0}, meta, communities=1)
    init = [line for line in lines if line.what.startswith("INIT GB-s")]
    assert sum(line.quantity for line in init) == pytest.approx(100.0, rel=0.01)  # 100 cold x 1 s x 1 GB
    # On a deployment of 100 such communities the same traffic keeps containers warmer: fewer per community.
    warmer = cost.lines_of({"fn:Api": 100.0}, meta, communities=100)
    assert sum(line.quantity for line in warmer if line.what.startswith("INIT GB-s")) < 100.0


def test_sized_units_replace_the_flat_units_per_call():
    usage = {
        "aws:dynamodb.PutItem": 10.0,
        "units:Api:wru:courtyard-tickets": 30.0,
        "units:Api:wru:courtyard-tickets/gsi1": 20.0,
        "units:Api:rru:Query": 8.0,
    }
    lines = cost.lines_of(usage, {}, modelled=False)
    wru = sum(line.quantity for line in lines if line.unit.startswith("write request unit"))
    rru = sum(line.quantity for line in lines if line.unit.startswith("read request unit"))
    assert wru == 50.0  # not the 10 calls x 1 WRU of the flat table
    assert rru == 8.0
    assert any("index gsi1" in line.what for line in lines)


def test_an_sms_the_workload_sends_is_priced_as_an_sms_not_as_a_publish():
    usage = {"aws:sns.Publish": 5.0, "units:Identity:sms:Publish": 2.0}
    lines = cost.lines_of(usage, {}, modelled=False)
    sms = next(line for line in lines if line.service == "SMS")
    assert sms.quantity == 2.0
    assert sms.usd == pytest.approx(2 * prices.PRICES["sms.cn"].usd)
    publishes = next(line for line in lines if line.what == "sns.Publish")
    assert publishes.quantity == 3.0


def test_the_ingest_at_real_cadence_misses_its_device_cache_on_every_upload():
    rru, _ = cost_model.ingest_cache_misses(uploads=432_000, tenants_minutes=43_200)
    assert rru >= 432_000 * cost_model.INGEST_DEVICE_RRU
