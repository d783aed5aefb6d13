"""The arithmetic that turns metered counts into a month's dollars (bench/prices.py, bench/cost.py)."""

from __future__ import annotations

import math

import pytest

from bench import cost, prices


def test_every_price_line_is_dated_sourced_and_positive() -> None:
    assert prices.PRICES_DATE == "2026-11-22"
    for price in prices.PRICES.values():
        if price.key == "wechat.messages":
            # Free (issue 18): listed at 0 so the messages that replaced texts show in the table.
            assert price.usd == 0
            assert price.source.startswith("https://developers.weixin.qq.com/")
            continue
        # SMS codes go through a domestic provider (cheaper than AWS's China rate): its own price page.
        aws = "https://www.alibabacloud.com/" if price.key == "sms.cn" else "https://aws.amazon.com/"
        assert price.source.startswith(aws), price.key
        # Basic Ingest's uploads are listed at no messaging charge (their rules and actions are priced).
        assert price.usd > 0 or price.key == "iot.basic_ingest", price.key
        assert price.per > 0


def test_a_price_is_dollars_per_unit_block() -> None:
    assert prices.PRICES["apigw.rest_requests"].cost(2_000_000) == pytest.approx(7.0)
    assert prices.PRICES["lambda.requests"].cost(1_000_000) == pytest.approx(0.20)
    assert prices.PRICES["kms.requests"].cost(10_000) == pytest.approx(0.03)
    assert prices.PRICES["s3.put"].cost(1_000) == pytest.approx(0.005)
    assert prices.PRICES["dynamodb.wru"].cost(1_000_000) == pytest.approx(0.625)


def test_a_negative_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        prices.PRICES["sqs.requests"].cost(-1)


def test_gb_seconds_are_duration_times_configured_memory() -> None:
    assert prices.gb_seconds(1000, 1024) == pytest.approx(1.0)
    assert prices.gb_seconds(250, 512) == pytest.approx(0.125)
    # 1 M invocations of 100 ms at 512 MB on arm64: 50,000 GB-s, about 0.67 dollars
    assert prices.PRICES["lambda.gb_s_arm64"].cost(prices.gb_seconds(100 * 1_000_000, 512)) == pytest.approx(
        0.66667, rel=1e-3
    )


def test_dollars_refuses_an_unknown_price_instead_of_counting_it_as_free() -> None:
    with pytest.raises(KeyError, match="no price"):
        prices.dollars({"lambda.requests": 1.0, "ec2.hours": 3.0})


def test_dollars_summed_by_service() -> None:
    costs = prices.dollars({"iot.messages": 2_000_000, "iot.rules": 2_000_000, "sqs.requests": 1_000_000})
    assert prices.by_service(costs) == pytest.approx({"IoT Core": 2.30, "SQS": 0.40})


@pytest.mark.parametrize(
    ("service", "operation", "key"),
    [
        ("sqs", "SendMessage", "sqs.requests"),
        ("kms", "Decrypt", "kms.requests"),
        ("secretsmanager", "GetSecretValue", "secretsmanager.requests"),
        ("events", "PutEvents", "eventbridge.events"),
        ("sesv2", "SendEmail", "ses.emails"),
        ("s3", "PutObject", "s3.put"),
        ("s3", "HeadObject", "s3.get"),
        ("sns", "Publish", "sns.requests"),
        ("dynamodb", "GetItem", None),  # priced by request units, not per call
        ("sts", "GetCallerIdentity", None),
    ],
)
def test_each_call_is_billed_on_its_price_line(service: str, operation: str, key: str | None) -> None:
    assert prices.price_key_of_call(service, operation) == key


def test_dynamodb_units_per_call_are_the_documented_approximation() -> None:
    assert prices.dynamodb_units("PutItem") == ("dynamodb.wru", 1.0)
    assert prices.dynamodb_units("GetItem") == ("dynamodb.rru", 0.5)
    assert prices.dynamodb_units("TransactWriteItems") == ("dynamodb.wru", 6.0)
    assert prices.dynamodb_units("DescribeTable") is None


def test_an_activity_is_scaled_by_monthly_count_over_sample_count() -> None:
    activity = cost.Activity("opens", per_month=30_000, sample=6, usage={"apigw": 12.0, "fn:F": 12.0})
    assert activity.scale == 5_000
    assert cost.month_usage([activity, activity]) == {"apigw": 120_000.0, "fn:F": 120_000.0}


def test_xray_default_sampling_keeps_rare_invocations_and_thins_a_steady_stream() -> None:
    assert cost.xray_traces(0) == 0
    assert cost.xray_traces(1_000) == pytest.approx(1_000, rel=1e-3)  # rarer than 1/s: nearly all traced
    month = cost.SECONDS_PER_MONTH
    busy = cost.xray_traces(10 * month)  # 10 per second: 1 per second + 5 % of the other 9
    assert busy == pytest.approx(month * (1 - math.exp(-10)) + 0.05 * (10 * month - month), rel=1e-3)


def _meta() -> dict[str, cost.FunctionMeta]:
    return {
        "Api": cost.FunctionMeta(memory_mb=512),
        "Consumer": cost.FunctionMeta(memory_mb=1024, sqs_triggered=True, fed_by_eventbridge=True),
    }


def test_measured_usage_becomes_priced_lines() -> None:
    usage = {
        "apigw": 1_000_000.0,
        "fn:Api": 1_000_000.0,
        "ms:Api": 100_000_000.0,  # 100 ms each on the local wall clock (not billed: modelled instead)
        "cpu:Api": 10_000_000.0,  # 10 ms of CPU each on a full core: 34.5 ms at 512 MB
        "by:Api:dynamodb.Query": 10_000_000.0,  # 10 queries each, 6 ms: 60 ms
        "fn:Consumer": 10_000.0,
        "aws:dynamodb.PutItem": 2_000_000.0,
        "aws:dynamodb.Query": 4_000_000.0,
        "aws:kms.Decrypt": 100_000.0,
        "client:s3.PostObject": 1_000.0,
    }
    lines = {(line.service, line.what): line for line in cost.lines_of(usage, _meta(), modelled=False)}
    assert lines[("API Gateway", "requests through the gateway")].usd == pytest.approx(3.50)
    assert lines[("Lambda", "invocations")].usd == pytest.approx(0.202)
    gb_s = lines[
        ("Lambda", "GB-s (measured CPU at the memory's CPU share + AWS calls at in-region latency, x memory)")
    ]
    # Api: 1 M x (60 + 1 + 10 x 1769 / 512 ms) x 0.5 GB; Consumer: 10,000 x the runtime's 1 ms x 1 GB
    assert gb_s.quantity == pytest.approx(1_000_000 * (61 + 10 * 1769 / 512) / 1000 * 0.5 + 10)
    assert gb_s.estimate
    assert lines[("DynamoDB", "PutItem (approximate units per call)")].usd == pytest.approx(1.25)
    assert lines[("DynamoDB", "Query (approximate units per call)")].usd == pytest.approx(0.50)
    assert lines[("KMS", "kms.Decrypt")].usd == pytest.approx(0.30)
    assert lines[("S3", "presigned POST uploads by the app")].usd == pytest.approx(0.005)
    # the SQS consumer: its poller's Receive + DeleteBatch, and EventBridge's SendMessage into its queue
    sqs = sum(line.quantity for line in lines.values() if line.service == "SQS")
    assert sqs == pytest.approx(30_000)


def test_modelled_lines_are_estimates_and_idle_polling_is_shared() -> None:
    lines = cost.lines_of({}, _meta(), devices=100)
    idle = [line for line in lines if line.what.startswith("idle long polls")]
    assert len(idle) == 1
    assert idle[0].shared
    assert idle[0].estimate
    assert idle[0].quantity == cost.ESM_IDLE_RECEIVES_PER_MINUTE * cost.MINUTES_PER_MONTH
    assert all(line.estimate for line in lines)


def test_device_connections_are_priced_as_measured_minutes_and_connect_messages() -> None:
    """No more "always connected" constant: the run's connection-minutes (on the devices' clocks) and
    each CONNECT as a message (iot/link.py)."""
    usage = {"iot.connect_minutes": 100.0 * 43_200, "iot.connects": 7_200.0}
    lines = cost.lines_of(usage, {}, modelled=False)

    (minutes,) = [line for line in lines if line.what.startswith("connection-minutes measured")]
    (connects,) = [line for line in lines if line.what.startswith("MQTT CONNECTs")]
    assert minutes.usd == pytest.approx(0.3456)
    assert connects.usd == pytest.approx(0.0072)
    assert not any("always connected" in line.what for line in cost.lines_of({}, {}, devices=100))


def test_the_total_adds_a_share_of_the_deployment_and_keeps_cognito_apart() -> None:
    activity = cost.Activity("opens", per_month=1_000_000, sample=1, usage={"apigw": 1.0})
    result = cost.summarise(
        [activity],
        {},
        kms_keys=2,
        secrets=3,
        monthly_active_users=1_512,
        run_s=1.0,
        communities=100,
    )
    apigw = 3.50
    heartbeat = next(line["usd"] for line in result.lines if line["what"].startswith("ingest heartbeat"))
    misses = next(line["usd"] for line in result.lines if line["what"].startswith("ingest cache misses"))
    # Every request (the API's and identity's modelled refreshes) also goes through CloudFront.
    edge = sum(line["usd"] for line in result.lines if line["service"] == "CloudFront")
    assert result.deployment_usd == pytest.approx(2 * 1.00 + 3 * 0.40)
    assert result.community_usd == pytest.approx(apigw + heartbeat + misses + edge)
    assert result.total_usd == pytest.approx(result.community_usd + result.deployment_usd / 100)
    assert result.alone_usd == pytest.approx(result.community_usd + result.deployment_usd)
    assert sum(result.by_service.values()) == pytest.approx(result.total_usd)
    assert result.cognito_usd == pytest.approx(1_512 * 0.015)
    api_edge = sum(
        line["usd"]
        for line in result.lines
        if line["service"] == "CloudFront" and "identity" not in line["what"]
    )
    assert result.activities[0]["usd"] == pytest.approx(apigw + api_edge, rel=0.05)


def test_api_sampling_rule_traces_its_share_of_requests_and_passthrough_functions_none() -> None:
    usage = {"apigw": 1_000_000.0, "fn:Api": 1_000_000.0}
    meta = {"Api": cost.FunctionMeta(memory_mb=512, traced=False)}

    lines = cost.lines_of(usage, meta, modelled=False, api_trace_rate=0.05)

    xray = [line for line in lines if line.service == "X-Ray"]
    assert [line.quantity for line in xray] == [pytest.approx(50_000)]
    assert xray[0].usd == pytest.approx(0.25)
    assert not [line for line in cost.lines_of(usage, meta, modelled=False) if line.service == "X-Ray"]


def test_platform_log_lines_only_when_the_system_log_level_keeps_them() -> None:
    usage = {"fn:Api": 1_000_000.0}
    chatty = cost.lines_of(usage, {"Api": cost.FunctionMeta(memory_mb=512)}, modelled=False)
    quiet = cost.lines_of(
        usage, {"Api": cost.FunctionMeta(memory_mb=512, platform_logs=False)}, modelled=False
    )

    def log_gb(lines: list[cost.Line]) -> float:
        return sum(line.quantity for line in lines if line.service == "CloudWatch Logs")

    assert log_gb(chatty) == pytest.approx(cost.PLATFORM_LOG_BYTES_PER_INVOCATION * 1_000_000 / 1e9)
    assert log_gb(quiet) == 0


def test_a_schedules_firings_are_a_charge_of_the_deployment() -> None:
    meta = {"Job": cost.FunctionMeta(memory_mb=512, scheduled_per_month=43_200, platform_logs=False)}

    lines = cost.lines_of({}, meta, devices=0)

    firings = [line for line in lines if line.what.startswith("scheduled invocations")]
    assert [(line.quantity, line.shared) for line in firings] == [(43_200, True)]


def test_the_models_write_budget_is_the_ingests() -> None:
    from sensors.services.ingest import IngestSettings
    from sensors.settings import SensorsSettings

    fields = SensorsSettings.model_fields
    assert (
        fields["heartbeat_refresh_seconds"].default == cost.HEARTBEAT_REFRESH_S == IngestSettings().refresh_s
    )
    assert fields["aggregate_flush_seconds"].default == cost.AGGREGATE_FLUSH_S == IngestSettings().flush_s


def test_a_deployment_activity_is_divided_by_the_communities_it_serves() -> None:
    sweep = cost.Activity("job sweep", per_month=1_000_000, sample=1, usage={"apigw": 1.0}, shared=True)

    result = cost.summarise(
        [sweep], {}, kms_keys=0, secrets=0, monthly_active_users=0, run_s=1.0, communities=100
    )

    apigw = [line for line in result.lines if line["service"] == "API Gateway"]
    assert [(line["usd"], line["shared"]) for line in apigw] == [(pytest.approx(3.50), True)]
    assert result.by_service["API Gateway"] == pytest.approx(0.035)


def test_the_ingests_wall_clock_writes_are_half_a_write_per_upload_of_a_steady_device() -> None:
    """A gateway's heartbeat mark every third ten-minute upload, a battery detector's at every hourly wake,
    and each finished hour once (sensors.write_budget; tests/integration/sensors/test_batched_samples.py
    counts the same on moto)."""
    lines = cost.lines_of({}, {}, devices=100)

    (writes,) = [line for line in lines if line.what.startswith("ingest heartbeat")]
    uploads = cost.MINUTES_PER_MONTH / cost.UPLOAD_BATCH
    hours = cost.MINUTES_PER_MONTH / 60
    assert writes.quantity == pytest.approx(40 * (uploads / 3 + hours) + 60 * (hours + hours))
