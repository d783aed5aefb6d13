"""Sensors benchmark: rule evaluations per second per core, DynamoDB writes per 1,000 steady readings
(in-process moto, the real ingest), and messages per second end to end through the local MQTT broker."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass(frozen=True)
class SensorsResult:
    evaluations: int
    evaluations_per_s: float
    steady_readings: int
    reading_interval_s: float
    dynamodb_writes: int
    e2e_messages: int
    e2e_messages_per_s: float
    cadence_writes: int = 0  # the same readings at the real cadence (a sample a minute, 10 an upload)

    @property
    def writes_per_1000(self) -> float:
        return self.dynamodb_writes * 1000 / self.steady_readings

    @property
    def cadence_writes_per_1000(self) -> float:
        return self.cadence_writes * 1000 / self.steady_readings


def evaluations_per_second(count: int = 200_000) -> float:
    """The engine alone, one core: the elevator's default vibration rule over a wobbling stream."""
    from sensors.defaults import default_rules
    from sensors.domain import DeviceKind
    from sensors.engine import OK_STATE, Reading, compile_rule, evaluate

    rule_id, spec = next(iter(default_rules(DeviceKind.ELEVATOR).items()))
    rule = compile_rule(rule_id, spec)
    rng = random.Random(1)
    readings = [Reading(1e9 + i, {"vibration_mm_s": rng.uniform(0.5, 7.0)}) for i in range(1000)]
    state = OK_STATE
    started = time.perf_counter()
    for index in range(count):
        state = evaluate(rule, state, readings[index % 1000]).state
    return count / (time.perf_counter() - started)


def steady_writes(readings: int = 1000, interval_s: float = 1.0, batch: int = 1) -> int:
    """DynamoDB write calls for ``readings`` normal elevator readings ``interval_s`` apart, uploaded ``batch``
    to a message (one device, one warm container), buffers flushed at the end. ``interval_s=60, batch=10``
    is the real cadence: a sample a minute, an upload every ten minutes (iot.simulator.Uploader)."""
    import boto3
    from moto import mock_aws

    from courtyard import aws
    from courtyard.aws_calls import count_aws_calls
    from courtyard.clock import FixedClock, to_iso
    from courtyard.directory import Keys
    from infra.local.provision import provision
    from infra.local.template import load_template

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    template = load_template(ROOT / "template.yaml")
    with mock_aws():
        aws.reset_clients()
        stack = provision(template)
        os.environ.update(stack.function_environment(template.function("SensorsIngestFunction")))
        from sensors import ingest_handler, wiring
        from sensors.defaults import default_rules
        from sensors.domain import Device, DeviceKind, DeviceStatus
        from sensors.repository import StoredRule

        from courtyard.wiring import use_clock
        from tests.factories import lambda_context

        clock = FixedClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
        use_clock(clock)
        tenant, site, device_id = "BENCHTENANT", "BENCHSITE", "BENCHDEVICE"
        boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(
            Item={**Keys.tenant(tenant), "tenant_id": tenant, "status": "active", "timezone": "Asia/Shanghai"}
        )
        repo = wiring.internal_repository()
        now = to_iso(clock.now())
        repo.put_device(
            Device(tenant, device_id, site, DeviceKind.ELEVATOR, "lift", DeviceStatus.ACTIVE, now, now)
        )
        rules = [
            StoredRule(tenant, i, s, now, now, default=True)
            for i, s in default_rules(DeviceKind.ELEVATOR).items()
        ]
        repo.install_pack(tenant, "elevator", rules, now)
        rng = random.Random(3)
        with count_aws_calls() as calls:
            for seq in range(readings // batch):
                samples = []
                for index in range(batch):
                    clock.advance(interval_s)
                    metrics = {
                        "vibration_mm_s": round(rng.gauss(1.2, 0.3), 2),
                        "door_cycles": 10_000 + seq * batch + index,
                    }
                    samples.append({"ts": to_iso(clock.now()), "metrics": metrics})
                body: dict[str, Any] = (
                    {"metrics": samples[0]["metrics"]} if batch == 1 else {"samples": samples}
                )
                message = {
                    "tenant_id": tenant,
                    "site_id": site,
                    "device_id": device_id,
                    "ts": to_iso(clock.now()),
                    "seq": seq,
                    **body,
                }
                ingest_handler.lambda_handler(message, lambda_context())
            wiring.ingest().flush_all()
        writes = sum(1 for _service, operation in calls.calls if operation in WRITE_OPERATIONS)
        use_clock(None)
        aws.reset_clients()
    return writes


def end_to_end(messages: int = 300) -> tuple[int, float]:
    """Messages per second from the simulator through the local broker, rule bridge and ingest worker: the
    clock stops when the ingest has counted every message (its metrics lines in the function's log)."""
    import tempfile

    from infra.demo import seed_cloud
    from infra.http import request
    from infra.local.cloud import LocalCloud, wait_for
    from infra.seed import sign_in
    from iot.simulator import LocalBroker, connected, publish_readings, stepped_clock

    with (
        tempfile.TemporaryDirectory() as state,
        LocalCloud(
            state_dir=Path(os.environ.get("BENCH_SENSORS_STATE", state)), run_schedules=False
        ) as cloud,
    ):
        assert cloud.info is not None
        demo = seed_cloud(cloud)
        user = demo.user("greenfield", "manager")
        token = sign_in(
            cloud.client("cognito-idp"),
            cloud.info.user_pool_id,
            cloud.info.user_pool_client_id,
            user.username,
        )
        tenant, site = demo.tenants["greenfield"], demo.sites["greenfield"]
        created = request(
            "POST",
            f"{cloud.info.api_url}/devices",
            token=token,
            body={"site_id": site, "kind": "elevator", "name": "b"},
        ).json()
        device_id = created["device"]["device_id"]

        log = cloud.state_dir / "logs" / "SensorsIngestFunction.log"

        def handled() -> int:
            # One metrics line per message (processed, out of order or rejected): the ingest's own count.
            if not log.exists():
                return 0
            text = log.read_text(encoding="utf-8", errors="replace")
            return sum(
                1 for line in text.splitlines() if '"CloudWatchMetrics"' in line and '"Telemetry' in line
            )

        before = handled()
        started = time.perf_counter()
        with connected(LocalBroker(cloud.info.mqtt_url), device_id) as connection:
            common: dict[str, Any] = {
                "tenant_id": tenant,
                "site_id": site,
                "device_id": device_id,
                "kind": "elevator",
            }
            begin = datetime.now(UTC) - timedelta(seconds=messages)
            publish_readings(
                connection, **common, count=messages, interval_s=0, clock=stepped_clock(begin, 1.0)
            )
        if not wait_for(lambda: handled() - before >= messages, timeout_s=120, interval_s=0.02):
            raise RuntimeError(
                "not every message reached the ingest: the end-to-end figure would be meaningless"
            )
        elapsed = time.perf_counter() - started
    return messages, messages / elapsed


def run() -> SensorsResult:
    rate = evaluations_per_second()
    writes = steady_writes()
    cadence = steady_writes(interval_s=60.0, batch=10)
    sent, per_s = end_to_end()
    return SensorsResult(200_000, rate, 1000, 1.0, writes, sent, per_s, cadence)


def table(result: SensorsResult) -> list[str]:
    return [
        "Sensors (rule engine, ingest writes on in-process moto, end to end through the local broker)",
        f"  rule evaluations per second per core {result.evaluations_per_s:>12,.0f}   (target >= 20,000)",
        f"  DynamoDB writes per 1,000 steady readings {result.writes_per_1000:>7.0f}   "
        f"(1 reading / {result.reading_interval_s:g} s; target <= 20)",
        f"  DynamoDB writes per 1,000 steady readings {result.cadence_writes_per_1000:>7.0f}   "
        "(real cadence: a sample a minute, 10 an upload every 10 minutes; 178 before the write budget of "
        "sensors/write_budget.py)",
        f"  messages per second, MQTT -> rule -> ingest {result.e2e_messages_per_s:>5.0f}   "
        f"({result.e2e_messages} messages)",
    ]


if __name__ == "__main__":
    print("\n".join(table(run())))
