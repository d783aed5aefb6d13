"""Billing run for 1,000 units on in-process moto: the API call that splits the run into queued chunks, the
billing worker on every chunk, then the idempotent re-run; wall time and AWS calls."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from bench.moto_transactions import lean_transaction_backups
from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack, provision
from infra.local.template import load_template
from tests.factories import FakeLambdaContext, api_event

ROOT = Path(__file__).resolve().parents[1]
UNITS = 1_000  # moto slows down with table size (bench/moto_transactions.py); 1,000 units run in seconds


@dataclass(frozen=True)
class BillingBench:
    units: int
    chunks: int
    enqueue_s: float
    enqueue_calls: int
    billing_s: float
    bills_per_s: float
    billing_calls: dict[str, int]
    rerun_s: float
    rerun_calls: int
    rerun_bills_created: int


def run(units: int = UNITS) -> BillingBench:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "bench")
    template = load_template(ROOT / "template.yaml")
    with mock_aws(), lean_transaction_backups():
        aws.reset_clients()
        stack = provision(template)
        os.environ.update(stack.function_environment(template.function("PaymentsFunction")))
        _without_consumers(stack)
        tenant_id, site_id = _community(stack, units)
        from payments import billing_handler, handler

        from courtyard.wiring import reset_all

        reset_all()
        claims = {
            "sub": str(uuid.uuid4()),
            "custom:tenant_id": tenant_id,
            "cognito:groups": Role.MANAGER.value,
            "mfa": "totp",  # what the pre-token trigger adds (courtyard.mfa)
        }
        handler.lambda_handler(
            api_event(
                "POST",
                "/fee-items",
                claims=claims,
                body={"site_id": site_id, "name": "物业费", "kind": "area", "price_minor": 250},
            ),
            FakeLambdaContext(),
        )
        start = api_event(
            "POST", "/billing-runs", claims=claims, body={"site_id": site_id, "period": "2026-03"}
        )
        with count_aws_calls() as enqueue_calls:
            started = time.perf_counter()
            answer = json.loads(handler.lambda_handler(start, FakeLambdaContext())["body"])
            enqueue_s = time.perf_counter() - started
        with count_aws_calls() as billing_calls:
            started = time.perf_counter()
            _drain(stack, billing_handler)
            billing_s = time.perf_counter() - started
        with count_aws_calls() as rerun_calls:
            started = time.perf_counter()
            handler.lambda_handler(start, FakeLambdaContext())
            _drain(stack, billing_handler)
            rerun_s = time.perf_counter() - started
        run_id = answer["run_id"]
        done = json.loads(
            handler.lambda_handler(
                api_event(
                    "GET",
                    f"/billing-runs/{run_id}",
                    claims=claims,
                    resource="/billing-runs/{run_id}",
                    path_parameters={"run_id": run_id},
                ),
                FakeLambdaContext(),
            )["body"]
        )
        assert done["bills_created"] == units, done
        rerun_created = _last_run_created(stack, tenant_id, run_id)
    aws.reset_clients()
    return BillingBench(
        units=units,
        chunks=int(answer["chunks"]),
        enqueue_s=round(enqueue_s, 2),
        enqueue_calls=enqueue_calls.total,
        billing_s=round(billing_s, 2),
        bills_per_s=round(units / billing_s, 1),
        billing_calls={f"{s}.{o}": n for (s, o), n in sorted(billing_calls.by_operation().items())},
        rerun_s=round(rerun_s, 2),
        rerun_calls=rerun_calls.total,
        rerun_bills_created=rerun_created,
    )


def table(result: BillingBench) -> list[str]:
    calls = ", ".join(f"{k}={v}" for k, v in result.billing_calls.items())
    worker_calls = sum(result.billing_calls.values())
    return [
        f"Billing run for {result.units} units on in-process moto ({result.chunks} queued chunks)",
        f"  {'step':<34} {'s':>7} {'AWS calls':>10}",
        f"  {'POST /billing-runs (split, queue)':<34} {result.enqueue_s:>7.2f} {result.enqueue_calls:>10}",
        f"  {'billing worker, every chunk':<34} {result.billing_s:>7.2f} {worker_calls:>10}"
        f"  ({result.bills_per_s:.0f} bills/s)",
        f"  {'re-run of the period (idempotent)':<34} {result.rerun_s:>7.2f} {result.rerun_calls:>10}"
        f"  ({result.rerun_bills_created} new bills)",
        f"  worker calls: {calls}",
    ]


def _without_consumers(stack: Stack) -> None:
    """Other features' rules route BillIssued to their queues, and in-process moto's SQS slows down as
    thousands of messages pile up there: the bench detaches them, so its numbers are the billing run's
    (PutEvents calls are still made and counted)."""
    events = boto3.client("events")
    bus = stack.ref("EventBus")
    for rule in events.list_rules(EventBusName=bus).get("Rules", []):
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus).get("Targets", [])
        if targets:
            events.remove_targets(Rule=rule["Name"], EventBusName=bus, Ids=[t["Id"] for t in targets])


def _community(stack: Stack, units: int) -> tuple[str, str]:
    tenant_id, site_id = uuid.uuid4().hex[:26].upper(), uuid.uuid4().hex[:26].upper()
    table = boto3.resource("dynamodb").Table(stack.ref("DirectoryTable"))
    with table.batch_writer() as batch:
        batch.put_item(
            Item={
                **Keys.tenant(tenant_id),
                "tenant_id": tenant_id,
                "name": "Bench",
                "status": "active",
                "currency": "CNY",
                "timezone": "Asia/Shanghai",
                "locale": "zh-CN",
            }
        )
        batch.put_item(Item={**Keys.site(tenant_id, site_id), "site_id": site_id, "name": "Bench Garden"})
        for n in range(units):
            unit_id = uuid.uuid4().hex[:26].upper()
            room = f"{n // 100 + 1:02d}-{n % 100 + 1:04d}"
            batch.put_item(
                Item={
                    **Keys.unit(tenant_id, unit_id),
                    "entity": "unit",
                    "unit_id": unit_id,
                    "site_id": site_id,
                    "building_id": f"B{n // 100 + 1}",
                    "room_key": room,
                    "label": room,
                    "kind": "residential",
                    "occupancy": "self_occupied",
                    "area_centi_m2": 6000 + n % 9000,
                    "gsi1pk": Keys.site_units_index(tenant_id, site_id),
                    "gsi1sk": room,
                }
            )
    return tenant_id, site_id


def _drain(stack: Stack, billing_handler: Any) -> None:
    sqs = boto3.client("sqs")
    queue = stack.ref("PaymentsBillingQueue")
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:billing",
                "awsRegion": "us-east-1",
            }
            billing_handler.lambda_handler({"Records": [record]}, FakeLambdaContext())
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def _last_run_created(stack: Stack, tenant_id: str, first_run_id: str) -> int:
    from payments import keys

    items = boto3.client("dynamodb").scan(
        TableName=stack.ref("PaymentsTable"),
        FilterExpression="entity = :run",
        ExpressionAttributeValues={":run": {"S": "billing_run"}},
    )["Items"]
    runs = [
        i
        for i in items
        if i["run_id"]["S"] != first_run_id and i["pk"]["S"].startswith(keys.run(tenant_id, "x")["pk"][:-1])
    ]
    return sum(int(i.get("bills_created", {}).get("N", "0")) for i in runs)


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    for line in table(run()):
        print(line)
