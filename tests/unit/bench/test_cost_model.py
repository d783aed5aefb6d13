"""The honest month's modelled parts (bench/cost_model.py): sized DynamoDB units, SMS, INIT, real cadence."""

from __future__ import annotations

import pytest

from bench import cost, cost_model, prices


def test_a_rarely_called_function_starts_cold_nearly_every_time_and_a_busy_one_rarely():
    assert cost_model.cold_starts(10) == pytest.approx(10, rel=0.01)
    busy = cost_model.cold_starts(10_000_000)
    assert busy == pytest.approx(cost_model.SECONDS_PER_MONTH / cost_model.LIFETIME_S, rel=0.01)


def test_init_is_billed_at_the_measured_import_time_and_shared_by_the_deployments_schedules():
    meta = {"Api": cost.FunctionMeta(memory_mb=2048, init_ms=1000.0)}
    lines = cost.lines_of({"fn:Api": 100.0}, meta, communities=1)
    init = [line for line in lines if line.what.startswith("INIT GB-s")]
    assert sum(line.quantity for line in init) == pytest.approx(200.0, rel=0.01)  # 100 cold x 1 s x 2 GB
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


def test_cpu_work_takes_longer_on_a_smaller_share_of_a_vcpu_and_waiting_does_not():
    # 100 ms measured on a full core, 40 of them CPU: at 512 MB (0.29 vCPU) the CPU part takes 3.5x.
    assert cost_model.lambda_ms(100.0, 40.0, 512) == pytest.approx(60 + 40 * 1769 / 512)
    assert cost_model.lambda_ms(100.0, 40.0, 2048) == pytest.approx(100.0)


def test_the_billed_duration_is_cpu_at_the_memorys_share_plus_each_aws_call_at_in_region_latency():
    usage = {
        "fn:F": 1.0,
        "ms:F": 900.0,  # the local wall clock (moto on a busy machine): not what Lambda bills
        "cpu:F": 40.0,
        "by:F:dynamodb.GetItem": 2.0,
        "by:F:events.PutEvents": 1.0,
        "by:G:dynamodb.GetItem": 5.0,  # another function's calls
    }
    expected = 2 * 6.0 + 15.0 + cost_model.RUNTIME_MS + 40 * 1769 / 512
    assert cost_model.duration_ms(usage, "F", 512) == pytest.approx(expected)
    meta = {"F": cost.FunctionMeta(memory_mb=512)}
    line = next(line for line in cost.lines_of(usage, meta, modelled=False) if line.what.startswith("GB-s"))
    assert line.quantity == pytest.approx(expected / 1000 * 0.5)


def test_memory_is_right_sized_from_the_measured_resident_size_with_headroom():
    from bench.cost_levers import right_size

    assert right_size(60) == 128  # the floor
    assert right_size(150) == 256  # 225 MB -> the next 64 MB step
    assert right_size(400) == 640


def test_the_memory_lever_saves_only_the_waiting_part_and_never_raises_memory():
    from bench.cost_levers import memory_lever

    usage = {
        "fn:F": 1.0,
        "cpu:F": 200.0,
        "by:F:dynamodb.Query": 100.0,
        "fn:G": 1.0,
        "cpu:G": 200.0,
        "by:G:dynamodb.Query": 100.0,
    }
    functions = {
        "F": cost.FunctionMeta(memory_mb=512, rss_mb=100.0),  # -> 192 MB
        "G": cost.FunctionMeta(memory_mb=128, rss_mb=400.0),  # would need more: left as it is
    }
    lever = memory_lever(usage, functions)
    gb_s = prices.PRICES["lambda.gb_s_arm64"]
    waiting = 100 * 6.0 + cost_model.RUNTIME_MS
    saved = gb_s.cost(prices.gb_seconds(waiting, 512) - prices.gb_seconds(waiting, 192))  # CPU part unchanged
    assert lever.saves == pytest.approx(saved)
    assert not lever.applied


def test_wechat_sign_in_removes_most_sms_and_the_http_api_lever_prices_identitys_requests_too():
    from bench.identity_cost import identity_month

    now = identity_month(1_500, 100, "ESSENTIALS", wechat_share=0.0)
    wechat = identity_month(1_500, 100, "ESSENTIALS", wechat_share=0.8)
    sms = next(usd for what, usd in wechat.lines if what.startswith("SMS"))
    by_phone = next(usd for what, usd in now.lines if what.startswith("SMS"))
    # The WeChat 80 % text one code each in a move-in's month; the phone 20 % their usual.
    assert sms == pytest.approx(by_phone * 0.2 + by_phone * 0.8 * 0.02 / (1 / 24 + 0.02 + 0.005))
    assert wechat.usd < now.usd


def test_the_total_with_every_lever_adds_the_fixed_charges_levers_by_share():
    activity = cost.Activity("opens", per_month=100_000, sample=1, usage={"apigw": 1.0})
    result = cost.summarise(
        [activity], {}, kms_keys=2, secrets=3, monthly_active_users=1_512, run_s=1.0, communities=100
    )
    # A lever that would cost more (devices connecting per ten-minute upload) is not taken; an applied one
    # (WeChat sign-in) is in the total with identity already.
    taken = [lever for lever in result.lever_lines if not lever["applied"]]
    saves = [(max(0.0, lever["saves"]), lever["scope"]) for lever in taken]
    own = sum(usd for usd, scope in saves if scope == "per community")
    fixed = sum(usd for usd, scope in saves if scope != "per community")
    # Of the keys only the stage's pass key can go (PiiKey stays); the secrets' move to Parameter Store is
    # applied: in the total already.
    assert fixed == pytest.approx(1.00)
    [secrets] = [lever for lever in result.lever_lines if lever["what"].startswith("secrets in SSM")]
    assert (secrets["applied"], secrets["before"], secrets["after"]) == (
        True,
        pytest.approx(2.40),
        pytest.approx(1.20),
    )
    assert result.levers_total_usd == pytest.approx(result.total_with_identity_usd - own - fixed / 100)
    assert result.levers_alone_usd == pytest.approx(
        result.alone_usd + result.alone_identity_usd - own - fixed
    )


def test_connecting_per_ten_minute_upload_costs_more_than_staying_connected_and_is_not_taken():
    """A CONNECT is metered as a message: at 10-minute uploads staying connected is cheaper (iot/link.py);
    at half-hourly uploads connecting per upload would be, and the lever would be the product's way."""
    from bench.cost_levers import Lever, levers

    def devices_lever(uploads: float) -> Lever:
        found = levers(
            {},
            {},
            residents=1_500,
            communities=100,
            tier="ESSENTIALS",
            devices=100,
            uploads=uploads,
            minutes=43_200,
            index_copies_usd=0.0,
            fixed={},
        )
        return next(lever for lever in found if lever.what.startswith("devices connect"))

    ten = devices_lever(100 * 4_320)
    assert ten.before == pytest.approx(0.3456)  # 4,320,000 connection-minutes
    assert ten.after == pytest.approx(432_000 * (1.00 + 0.08) / 1e6)  # a CONNECT + a minute per upload
    assert ten.saves < 0
    assert not ten.applied
    half_hourly = devices_lever(100 * 1_440)
    assert half_hourly.saves > 0
    assert half_hourly.applied


class _WarmupDone(Exception):
    pass


def test_the_sample_asks_for_its_firms_pass_keys_as_the_apps_do():
    """The apps fetch ``GET /passes/keys?tenant_id=`` (the token's firm); without it the answer is the stage's
    key alone, another request than the month's."""
    calls: list[tuple[str, str]] = []

    class Run:
        plan = meter = used = activities = None
        tenant_id = "TENANT1"

        @staticmethod
        def call(method: str, path: str, role: str | None = None) -> dict[str, object]:
            calls.append((method, path))
            if path.startswith("/passes/keys"):
                raise _WarmupDone
            return {}

    with pytest.raises(_WarmupDone):
        cost._people(Run())  # type: ignore[arg-type]

    assert calls[-1] == ("GET", "/passes/keys?tenant_id=TENANT1")
