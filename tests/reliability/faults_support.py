"""Fault injection at botocore's send step, in front of moto, so that botocore's own retry logic is exercised.

How: moto answers every request from a ``before-send`` handler (``moto.core.models.botocore_stubber``)
that every boto3 session gets. ``FaultInjector`` wraps that handler: for the sends it is told to fail, it
returns an AWS error response (HTTP 400 throttling / 500 / 503 with the service's error body) or raises
botocore's timeout error *instead of* letting moto execute the request, so a failed write really writes
nothing, exactly as with AWS. Everything above the HTTP send is real: botocore parses the error, the standard
retry mode decides to retry and backs off, and the caller finally sees the ``ClientError`` /
``ReadTimeoutError``.

"Fail send N and the next k-1" with k = the clients' attempt budget makes the Nth API call fail for good (the
earlier sends succeeded, so each was exactly one call); k = 1 is a blip that botocore's retry absorbs.

Two test-only relaxations keep runs fast and deterministic, without changing what is retried: the backoff
delay is zero, and the standard mode's client-wide retry quota (a token bucket that, after dozens of injected
failures, would stop retrying at an order-dependent moment) never runs dry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from courtyard import aws

# courtyard.aws: standard mode, three attempts in all.
ATTEMPTS_PER_CALL = 3

# kind -> (HTTP status, error code by service id, default code)
_ERRORS: dict[str, tuple[int, dict[str, str], str]] = {
    "throttle": (
        400,
        {"dynamodb": "ProvisionedThroughputExceededException", "sqs": "Throttling", "sns": "Throttling"},
        "ThrottlingException",
    ),
    "unavailable": (503, {}, "ServiceUnavailable"),
    "internal": (500, {"dynamodb": "InternalServerError"}, "InternalFailure"),
}
KINDS = ("throttle", "unavailable", "internal", "read_timeout", "connect_timeout")
_XML_SERVICES = frozenset({"sns", "s3", "sts", "ses"})


@dataclass(frozen=True)
class Send:
    """One HTTP send botocore made: the service id (``dynamodb``, ``sqs``, ``eventbridge``) and operation."""

    service: str
    operation: str
    failed: bool
    target: str = ""  # the DynamoDB table(s) a send touched, e.g. "AuditTable"

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}" + (f"({self.target})" if self.target else "")


def _table_of(service: str, request: Any) -> str:
    if service != "dynamodb" or not request.body:
        return ""
    body = json.loads(request.body)
    names = {body.get("TableName", "")}
    for action in body.get("TransactItems", []):
        names.update(part.get("TableName", "") for part in action.values())
    names.update(body.get("RequestItems", {}))
    # Stack tables are named <stack>-<LogicalId>-<suffix>; the logical id reads best.
    return "+".join(sorted(_logical(n) for n in names if n))


def _logical(table_name: str) -> str:
    parts = table_name.split("-")
    return next((p for p in parts if p.endswith("Table")), table_name)


@dataclass
class Plan:
    """Fail ``count`` sends, starting with the ``at``-th (0-based) send that matches ``match``."""

    at: int
    count: int
    kind: str
    match: Callable[[str, str], bool]
    seen: int = 0
    failed: list[str] = field(default_factory=list)


class FaultInjector:
    """Records every send while armed and fails the planned ones; install with ``faults`` fixture."""

    def __init__(self) -> None:
        self.sends: list[Send] = []
        self.plan: Plan | None = None
        self.recording = False
        self.put_events: list[dict[str, Any]] = []  # every entry EventBridge accepted (the bus really got it)

    # -- arming
    @contextmanager
    def recording_sends(self) -> Iterator[list[Send]]:
        """Record the sends of a block without failing any (to learn a route's call sequence)."""
        self.sends = []
        self.recording = True
        try:
            yield self.sends
        finally:
            self.recording = False

    @contextmanager
    def failing(
        self,
        at: int = 0,
        *,
        count: int = ATTEMPTS_PER_CALL,
        kind: str = "throttle",
        service: str | None = None,
        operation: str | None = None,
    ) -> Iterator[Plan]:
        """Fail ``count`` sends from the ``at``-th send of ``service``/``operation`` (any when None)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")

        def match(svc: str, op: str) -> bool:
            return (service is None or svc == service) and (operation is None or op == operation)

        plan = Plan(at=at, count=count, kind=kind, match=match)
        self.plan = plan
        self.sends = []
        self.recording = True
        try:
            yield plan
        finally:
            self.plan = None
            self.recording = False

    # -- the wrapped moto handler
    def intercept(self, event_name: str, request: Any) -> AWSResponse | None:
        _, service, operation = [*event_name.split(".", 2), "", ""][:3]
        plan = self.plan
        fail = False
        if plan is not None and plan.match(service, operation):
            index = plan.seen
            plan.seen += 1
            fail = plan.at <= index < plan.at + plan.count
        if self.recording:
            self.sends.append(Send(service, operation, fail, _table_of(service, request)))
        if not fail:
            return None
        assert plan is not None
        plan.failed.append(f"{service}.{operation}")
        if plan.kind == "read_timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if plan.kind == "connect_timeout":
            raise ConnectTimeoutError(endpoint_url=request.url)
        return error_response(request.url, service, plan.kind)

    def note_accepted_events(self, event_name: str, request: Any, response: AWSResponse | None) -> None:
        if (
            response is None
            or not event_name.endswith("eventbridge.PutEvents")
            or response.status_code != 200
        ):
            return
        sent = json.loads(request.body)["Entries"]
        results = json.loads(response.content)["Entries"]
        self.put_events.extend(e for e, r in zip(sent, results, strict=False) if not r.get("ErrorCode"))

    def events_of(self, detail_type: str) -> list[dict[str, Any]]:
        """Details of the accepted events of one type (what consumers will really get)."""
        return [json.loads(e["Detail"]) for e in self.put_events if e["DetailType"] == detail_type]


def error_response(url: str, service: str, kind: str) -> AWSResponse:
    status, codes, default = _ERRORS[kind]
    code = codes.get(service, default)
    message = f"injected {kind}"
    if service in _XML_SERVICES:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>fault</RequestId></ErrorResponse>"
        )
        headers = {"Content-Type": "text/xml"}
    else:
        body = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": message})
        # JSON (awsJson) services read __type; rest-json ones the header; SQS the query-compat header.
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-ErrorType": code,
            "x-amzn-query-error": f"{code};Sender",
            "x-amzn-RequestId": "fault",
        }
    return AWSResponse(url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    """A fault injector in front of moto for every boto3 client of this process (tests, kernel, features)."""
    injector = FaultInjector()
    original = BotocoreStubber.__call__

    def call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        injected = injector.intercept(event_name, request)
        if injected is not None:
            return injected
        response = original(self, event_name, request, **kwargs)
        injector.note_accepted_events(event_name, request, response)
        return response

    monkeypatch.setattr(BotocoreStubber, "__call__", call)
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0)
    monkeypatch.setattr("botocore.retries.quota.RetryQuota.acquire", lambda self, capacity_amount: True)
    aws.reset_clients()
    yield injector
    aws.reset_clients()


def table_items(table_name: str) -> list[dict[str, Any]]:
    """Every item of a table, sorted by key (tests only: comparing before/after a faulted request)."""
    items: list[dict[str, Any]] = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table_name):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: json.dumps([item.get("pk"), item.get("sk")], sort_keys=True))


def queue_bodies(queue_url: str) -> list[dict[str, Any]]:
    """Receive (and delete) everything waiting on a queue: the SQS bodies as JSON."""
    sqs = boto3.client("sqs")
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


@dataclass(frozen=True)
class Attempt:
    """What one faulted request did: which call failed, the answer, and whether it left a partial write."""

    position: int
    failed_call: str
    status: int
    retry_after: list[str] | None
    code: str | None
    partial: bool


def sweep_route(
    faults: FaultInjector,
    send: Callable[[str], Any],
    snapshot: Callable[[], Any],
    *,
    kind: str = "throttle",
    label: str = "route",
) -> tuple[list[Send], list[tuple[Attempt, Any, Any]]]:
    """Fail each AWS call of one request in turn (all its attempts), then retry with the same key.

    ``send(idempotency_key)`` makes the request and returns the Reply. Returns the clean call sequence and,
    per position, (attempt, the faulted reply, the retry's reply); assertions are the caller's.
    """
    send(f"{label}-warm-up-0")  # first-use caches (tenant, settings, data keys) out of the picture
    with faults.recording_sends() as sends:
        clean = send(f"{label}-learn-000")
    assert 200 <= clean.status < 300, clean.body
    learned = list(sends)
    outcomes: list[tuple[Attempt, Any, Any]] = []
    for position in range(len(learned)):
        key = f"{label}-{kind}-{position:03d}"
        before = snapshot()
        with faults.failing(position, kind=kind):
            reply = send(key)
        partial = snapshot() != before
        retry = send(key)
        headers = {k.lower(): v for k, v in (reply.raw.get("multiValueHeaders") or {}).items()}
        code = reply.body.get("error", {}).get("code") if isinstance(reply.body, dict) else None
        failed = next((s.name for s in faults.sends if s.failed), "-")
        outcomes.append(
            (Attempt(position, failed, reply.status, headers.get("retry-after"), code, partial), reply, retry)
        )
    return learned, outcomes


def sqs_records(*bodies: str, arn: str = "arn:aws:sqs:us-east-1:123456789012:queue") -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping delivers it (message ids m0, m1, ...)."""
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


def bus_envelope(source: str, detail_type: str, detail: dict[str, Any]) -> str:
    """An EventBridge event as its SQS target receives it."""
    return json.dumps(
        {
            "version": "0",
            "id": f"evt-{detail.get('event_id', 'x')}",
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": "2026-03-10T01:59:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )


@dataclass(frozen=True)
class Redelivery:
    """One faulted position of a consumer: the failed call, the batch answer, and the effects afterwards."""

    position: int
    failed_call: str
    failed_ids: list[str]
    redelivered_failures: list[str]
    effects: int


def sweep_consumer(
    faults: FaultInjector,
    deliver: Callable[[str], dict[str, Any]],
    new_body: Callable[[str], str],
    effects_of: Callable[[str], int],
    *,
    kind: str = "throttle",
) -> tuple[list[Send], list[Redelivery]]:
    """Fail each AWS call of one record's processing in turn, then redeliver it twice (as SQS would).

    ``new_body(tag)`` builds a fresh message; ``effects_of(tag)`` counts what processing it left behind.
    """
    deliver(new_body("warm-up"))
    learn = new_body("learn")
    with faults.recording_sends() as sends:
        assert deliver(learn) == {"batchItemFailures": []}
    learned = list(sends)
    outcomes: list[Redelivery] = []
    for position in range(len(learned)):
        tag = f"{kind}-{position:03d}"
        body = new_body(tag)
        with faults.failing(position, kind=kind):
            result = deliver(body)
        failed_call = next((s.name for s in faults.sends if s.failed), "-")
        again = deliver(body)
        duplicate = deliver(body)
        outcomes.append(
            Redelivery(
                position,
                failed_call,
                [f["itemIdentifier"] for f in result["batchItemFailures"]],
                [f["itemIdentifier"] for f in again["batchItemFailures"] + duplicate["batchItemFailures"]],
                effects_of(tag),
            )
        )
    return learned, outcomes


def deliver_via(handler_module: Any) -> Callable[[str], dict[str, Any]]:
    """``deliver(body)``: one single-record SQS batch through a consumer's real ``lambda_handler``.

    The consumers raise ``EntireBatchFailed`` when *every* record of a batch failed (so Lambda retries the
    whole invocation); for a one-record batch that is the same as reporting the record as failed.
    """
    from courtyard.batch import EntireBatchFailed
    from tests.factories import lambda_context

    def deliver(body: str) -> dict[str, Any]:
        event = sqs_records(body)
        try:
            result: dict[str, Any] = handler_module.lambda_handler(event, lambda_context())
        except EntireBatchFailed:
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}
        return result

    return deliver
