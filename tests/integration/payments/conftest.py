"""Payments handlers on in-process moto: a seeded community, the sandbox provider on loopback, signed webhooks
delivered through the real handler, and the clock driven by the tests."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox, sign
from infra.local.provision import Stack
from infra.secure_parameters import read_json
from tests.integration.api import Caller, Reply, no_personal_numbers_in_logs, requester
from tests.integration.community import (
    Community,
    add_resident,
    add_staff,
    published,
    residents,
    seed,
    staff,
)

__all__ = [
    "Caller",
    "Community",
    "Reply",
    "add_resident",
    "add_staff",
    "no_personal_numbers_in_logs",
    "published",
    "residents",
    "seed",
    "staff",
]

# 2026-03-02 10:00 in Shanghai: a March bill due on the 15th is not due yet.
MARCH_2 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[PaySandbox]:
    server = PaySandbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MARCH_2)


def provider_secret(stack: Stack) -> dict[str, str]:
    loaded: dict[str, str] = read_json(boto3.client("ssm"), stack.secure_parameter("payments-providers"))
    return loaded


@pytest.fixture
def handler(
    function_env: Callable[[str], dict[str, str]],
    clock: FixedClock,
    sandbox: PaySandbox,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """The payments API with its template environment, the sandbox at its loopback URL and a fixed clock."""
    function_env("PaymentsFunction")
    monkeypatch.setenv("PAYMENT_SANDBOX_URL", sandbox.url)
    # Webhooks are delivered by the tests through the handler (there is no gateway in-process).
    sandbox.connect(provider_secret(stack)["sandbox_secret"], "")
    sandbox.state.events.clear()
    from payments import handler as module

    from courtyard.wiring import use_clock

    use_clock(clock)
    yield module
    use_clock(None)


_ID_ROUTES = [
    (r"^/fee-items/([^/]+)/readings$", "/fee-items/{fee_id}/readings", "fee_id"),
    (r"^/fee-items/([^/]+)/prices$", "/fee-items/{fee_id}/prices", "fee_id"),
    (r"^/fee-items/([^/]+)/retire$", "/fee-items/{fee_id}/retire", "fee_id"),
    (r"^/bank-statements/lines/([^/]+)/confirm$", "/bank-statements/lines/{line_id}/confirm", "line_id"),
    (r"^/bank-statements/lines/([^/]+)/dismiss$", "/bank-statements/lines/{line_id}/dismiss", "line_id"),
    (r"^/billing-runs/([^/]+)$", "/billing-runs/{run_id}", "run_id"),
    (r"^/bills/([^/]+)$", "/bills/{bill_id}", "bill_id"),
    (r"^/units/([^/]+)/ledger$", "/units/{unit_id}/ledger", "unit_id"),
    (r"^/payments/(?!webhooks/|stats$)([^/]+)/refunds$", "/payments/{payment_id}/refunds", "payment_id"),
    (r"^/payments/(?!webhooks/|stats$)([^/]+)/receipt$", "/payments/{payment_id}/receipt", "payment_id"),
    (
        r"^/payments/(?!webhooks/|stats$)([^/]+)/invoice-requests$",
        "/payments/{payment_id}/invoice-requests",
        "payment_id",
    ),
    (r"^/invoice-requests/([^/]+)/issue$", "/invoice-requests/{request_id}/issue", "request_id"),
    (r"^/invoice-requests/([^/]+)/reject$", "/invoice-requests/{request_id}/reject", "request_id"),
    (r"^/payments/(?!webhooks/|stats$|counter$|figures$)([^/]+)$", "/payments/{payment_id}", "payment_id"),
    (r"^/reconciliations/([^/]+)$", "/reconciliations/{day}", "day"),
]


def payments_route(path: str) -> tuple[str, dict[str, str] | None]:
    for pattern, resource, name in _ID_ROUTES:
        match = re.match(pattern, path)
        if match:
            return resource, {name: match.group(1)}
    return path, None


@pytest.fixture
def call(handler: Any) -> Callable[..., Reply]:
    return requester(handler, payments_route)


@pytest.fixture
def deliver(call: Callable[..., Reply], sandbox: PaySandbox) -> Callable[..., Reply]:
    """``deliver(event_id)``: the sandbox's signed webhook for that event, through the real handler."""

    def send(
        event_id: str, *, signed_at: int | None = None, secret: str | None = None, body: str | None = None
    ) -> Reply:
        raw = body if body is not None else json.dumps(sandbox.state.events[event_id], separators=(",", ":"))
        signature = sign(secret if secret is not None else sandbox.secret, raw, signed_at or int(time.time()))
        return call("POST", "/payments/webhooks/sandbox", body=raw, headers={"Sandbox-Signature": signature})

    return send


@pytest.fixture
def manager(seed: Callable[..., Community], staff: Callable[..., Caller]) -> tuple[Community, Caller]:
    community = seed()
    return community, staff(community, "Wang", Role.MANAGER)


def fee(call: Callable[..., Reply], who: Caller, site_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "site_id": site_id,
        "name": "物业费 Property fee",
        "kind": "area",
        "price_minor": 250,
        **overrides,
    }
    reply = call("POST", "/fee-items", as_=who, body=body)
    assert reply.status == 201, reply.body
    created: dict[str, Any] = reply.body
    return created


def run(call: Callable[..., Reply], who: Caller, site_id: str, period: str = "2026-03") -> dict[str, Any]:
    """Start a billing run (202 at once), let the billing queue's worker bill it, answer the finished run."""
    reply = call("POST", "/billing-runs", as_=who, body={"site_id": site_id, "period": period})
    assert reply.status == 202, reply.body
    drain_billing_queue()
    done = call("GET", f"/billing-runs/{reply.body['run_id']}", as_=who)
    assert done.status == 200, done.body
    finished: dict[str, Any] = done.body
    return finished


def billing_records(max_messages: int = 10) -> list[dict[str, Any]]:
    """The billing queue's waiting messages as the SQS records Lambda would deliver (they stay in flight)."""
    from payments import wiring

    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=wiring.config().billing_queue_url, MaxNumberOfMessages=max_messages
    ).get("Messages", [])
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn",
            "awsRegion": "us-east-1",
        }
        for m in messages
    ]


def drain_billing_queue() -> int:
    """Deliver the billing queue to its worker until it is empty, as the event source mapping would;
    answers how many records failed (they are left on the queue)."""
    from payments import billing_handler, wiring

    from courtyard.batch import EntireBatchFailed
    from tests.factories import lambda_context

    sqs = boto3.client("sqs")
    failed = 0
    while records := billing_records():
        try:
            result = billing_handler.lambda_handler({"Records": records}, lambda_context())
            failures = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        except EntireBatchFailed:
            # Every record failed: Lambda fails the invocation and the queue delivers them all again.
            failures = {r["messageId"] for r in records}
        failed += len(failures)
        for record in records:
            if record["messageId"] not in failures:
                sqs.delete_message(
                    QueueUrl=wiring.config().billing_queue_url, ReceiptHandle=record["receiptHandle"]
                )
        if failures:
            break
    return failed


def bills_of(call: Callable[..., Reply], who: Caller, **query: str) -> list[dict[str, Any]]:
    reply = call("GET", "/bills", as_=who, query=query or None)
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.body["items"]
    return items


def table_items(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("PaymentsTable"))["Items"])


def ledger_items(stack: Stack) -> list[dict[str, Any]]:
    return [i for i in table_items(stack) if i.get("entity", {}).get("S") == "ledger_entry"]
