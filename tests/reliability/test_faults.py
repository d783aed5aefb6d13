"""Fault injection through botocore: throttling, 5xx and timeouts on DynamoDB, SQS and EventBridge.

Faults are injected at botocore's send step in front of moto (see faults_support), so botocore's standard
retry mode really retries, and a refused write really writes nothing. For the API: a failure that outlives
botocore's retries answers 503 with Retry-After and the DESIGN.md error body, and either nothing was written
or the client's retry with the same Idempotency-Key finishes the job exactly once. For SQS consumers: the
record is reported as a partial batch failure and its redelivery has exactly one effect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from courtyard.clock import FixedClock
from courtyard.events import FailedEvent, PublishFailed
from courtyard.faults import is_transient, transient_cause
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.clocks import drive_features
from tests.integration.api import Caller, Reply, requester
from tests.integration.community import Community, published, residents, seed, staff
from tests.integration.conftest import _moto, function_env, stack, template
from tests.reliability.faults_support import (
    Attempt,
    FaultInjector,
    Redelivery,
    Send,
    bus_envelope,
    deliver_via,
    faults,
    queue_bodies,
    sweep_consumer,
    sweep_route,
    table_items,
)

__all__ = [
    "_moto",
    "faults",
    "function_env",
    "published",
    "residents",
    "seed",
    "stack",
    "staff",
    "template",
]

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
Env = Callable[[str], dict[str, str]]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def community(
    seed: Callable[..., Community], residents: Callable[..., Caller], staff: Callable[..., Caller]
) -> Community:
    community = seed()
    residents(community, "li", "a101")
    staff(community, "desk", Role.SERVICE_DESK)
    staff(community, "manager", Role.MANAGER)
    staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
    staff(community, "guard", Role.GUARD)
    return community


def _idem(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def _assert_unavailable(attempt: Attempt, reply: Reply) -> None:
    assert attempt.failed_call != "-", f"call {attempt.position} was not made on the faulted run"
    assert attempt.status == 503, (attempt, reply.body)
    assert attempt.retry_after == ["1"], attempt
    assert attempt.code == "unavailable", reply.body
    assert set(reply.body["error"]) >= {"code", "message", "details"}


# ---------------------------------------------------------------------------------------------- kernel


def _client_error(code: str, status: int = 400, **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    response.update(extra)
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ThrottlingException"),
        _client_error("ProvisionedThroughputExceededException"),
        _client_error("RequestLimitExceeded"),
        _client_error("Throttling"),
        _client_error("TransactionConflictException"),
        _client_error("ServiceUnavailable", 503),
        _client_error("InternalServerError", 500),
        _client_error("SomethingNew", 502),
        _client_error(
            "TransactionCanceledException",
            CancellationReasons=[{"Code": "None"}, {"Code": "TransactionConflict"}],
        ),
        ReadTimeoutError(endpoint_url="https://dynamodb"),
        ConnectTimeoutError(endpoint_url="https://dynamodb"),
        EndpointConnectionError(endpoint_url="https://dynamodb"),
        PublishFailed([FailedEvent("e1", "TicketCreated", "ThrottlingException", "slow down")]),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(getattr(e, "response", {}) and e.response["Error"]["Code"]),
)
def test_transient_aws_failures_are_recognised_also_when_wrapped(error: Exception) -> None:
    assert is_transient(error)
    wrapped = RuntimeError("repository failed")
    wrapped.__cause__ = error  # what ``raise RuntimeError(...) from error`` leaves behind
    assert transient_cause(wrapped) is error


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ConditionalCheckFailedException"),
        _client_error("ValidationException"),
        _client_error("AccessDeniedException", 403),
        _client_error("ResourceNotFoundException"),
        _client_error(
            "TransactionCanceledException",
            CancellationReasons=[{"Code": "ConditionalCheckFailed"}, {"Code": "TransactionConflict"}],
        ),
        ValueError("bug"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(getattr(e, "response", {}) and e.response["Error"]["Code"]),
)
def test_bugs_and_permanent_aws_errors_are_not_transient(error: Exception) -> None:
    assert transient_cause(error) is None


def test_a_permanent_aws_error_under_a_route_stays_a_500_without_retry_after(
    tickets: Any, community: Community, faults: FaultInjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tickets.services import tickets as service

    def broken(*_: Any, **__: Any) -> None:
        raise _client_error("AccessDeniedException", 403)

    monkeypatch.setattr(service.TicketService, "create", broken)
    reply = requester(tickets)("POST", "/tickets", as_=community.people["li"], body={"kind": "sos"})

    assert reply.status == 500
    assert reply.body["error"]["code"] == "internal"
    assert "Retry-After" not in reply.raw["multiValueHeaders"]


def test_a_single_throttle_or_timeout_is_absorbed_by_botocore_retries_and_the_request_succeeds(
    tickets: Any, community: Community, stack: Stack, faults: FaultInjector
) -> None:
    call = requester(tickets)
    body = {"kind": "repair", "category": "plumbing", "description": "厨房水管漏水"}
    for n, kind in enumerate(("throttle", "read_timeout", "unavailable")):
        with faults.failing(
            0, count=1, kind=kind, service="dynamodb", operation="TransactWriteItems"
        ) as plan:
            reply = call(
                "POST", "/tickets", as_=community.people["li"], body=body, headers=_idem(f"blip-key-{n}")
            )
        assert plan.failed == ["dynamodb.TransactWriteItems"], (plan.failed, reply.body)
        assert reply.status == 201, reply.body
        sends = [s.name for s in faults.sends if s.operation == "TransactWriteItems"]
        assert len(sends) == 2  # the failed attempt and botocore's retry
    assert len(_ticket_ids(stack)) == 3


# ---------------------------------------------------------------------------------------------- tickets


@pytest.fixture
def tickets(function_env: Env, clock: FixedClock) -> Iterator[Any]:
    function_env("TicketsFunction")
    from tickets import handler as module

    drive_features(clock)
    yield module
    drive_features(None)


def _ticket_ids(stack: Stack) -> list[str]:
    return sorted(
        i["ticket_id"]["S"] for i in table_items(stack.ref("TicketsTable")) if i["sk"]["S"] == "TICKET"
    )


@pytest.mark.parametrize("kind", ["unavailable", "internal", "read_timeout", "connect_timeout"])
def test_post_tickets_5xx_or_timeout_at_every_aws_call_is_503_and_the_retry_files_exactly_one_ticket(
    tickets: Any, community: Community, stack: Stack, faults: FaultInjector, kind: str
) -> None:
    call = requester(tickets)
    body = {"kind": "repair", "category": "plumbing", "description": "厨房水管漏水"}

    def send(key: str) -> Reply:
        return call("POST", "/tickets", as_=community.people["li"], body=body, headers=_idem(key))

    learned, outcomes = sweep_route(
        faults, send, lambda: table_items(stack.ref("TicketsTable")), kind=kind, label="tickets"
    )

    assert any(s.service == "dynamodb" for s in learned)
    for attempt, reply, retry in outcomes:
        _assert_unavailable(attempt, reply)
        assert retry.status in (200, 201), (attempt, retry.body)
    # warm-up + learn + one per faulted position: never two tickets for one key.
    assert len(_ticket_ids(stack)) == 2 + len(outcomes)


# ------------------------------------------------------------------- one write route of every feature


@pytest.fixture
def api(function_env: Env, clock: FixedClock) -> Iterator[Callable[[str, str], Any]]:
    """``api("PaymentsFunction", "payments")``: that function's handler with its env and a fixed clock."""
    import importlib

    def load(function_id: str, feature: str) -> Any:
        function_env(function_id)
        drive_features(clock)
        return importlib.import_module(f"{feature}.handler")

    yield load
    drive_features(None)


@dataclass(frozen=True)
class WriteRoute:
    """One representative write: who sends what, and how to count the entities it creates."""

    label: str
    function_id: str
    feature: str
    path: str
    who: str
    body: Callable[[Community, str], dict[str, Any]]
    table: str
    is_entity: Callable[[dict[str, Any]], bool]
    effect: str | None = None  # "events:<DetailType>" or "sqs": what the write sends after its commit


def _sk(prefix: str) -> Callable[[dict[str, Any]], bool]:
    return lambda item: str(item["sk"]["S"]).startswith(prefix)


def _phone(key: str) -> str:
    # A distinct, valid mainland mobile number per Idempotency-Key (residents' phones are unique).
    return "139" + str(int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**8).zfill(8)


WRITE_ROUTES = [
    WriteRoute(
        "tickets",
        "TicketsFunction",
        "tickets",
        "/tickets",
        "li",
        lambda c, key: {"kind": "repair", "category": "plumbing", "description": "厨房水管漏水"},
        "TicketsTable",
        lambda item: item["sk"]["S"] == "TICKET",
        "events:TicketCreated",
    ),
    WriteRoute(
        "fee-items",
        "PaymentsFunction",
        "payments",
        "/fee-items",
        "manager",
        lambda c, key: {"site_id": c.site_id, "name": "物业费", "kind": "area", "price_minor": 250},
        "PaymentsTable",
        _sk("FEE#"),
    ),
    WriteRoute(
        "notices",
        "NotificationsFunction",
        "notifications",
        "/notices",
        "manager",
        lambda c, key: {
            "content": {"zh-CN": {"title": "停水通知", "body": "明天停水"}},
            "audience": {"site_id": c.site_id, "everyone": True},
            "channels": ["inbox"],
        },
        "NotificationsTable",
        lambda item: item["sk"]["S"] == "NOTICE" and "#NOTICE#" in item["pk"]["S"],
        "sqs",
    ),
    WriteRoute(
        "passes",
        "VisitorsFunction",
        "visitors",
        "/passes",
        "li",
        lambda c, key: {"visitor_name": "王五", "entries_allowed": 2},
        "VisitorsTable",
        lambda item: item["sk"]["S"] == "PASS",
        "events:PassIssued",
    ),
    WriteRoute(
        "devices",
        "SensorsFunction",
        "sensors",
        "/devices",
        "manager",
        lambda c, key: {
            "site_id": c.site_id,
            "kind": "elevator",
            "name": "1号梯",
            "building_id": c.building_a,
        },
        "SensorsTable",
        _sk("DEVICE#"),
    ),
    WriteRoute(
        "residents",
        "DirectoryFunction",
        "directory",
        "/residents",
        "manager",
        lambda c, key: {"name": "赵六", "phone": _phone(key)},
        "DirectoryTable",
        lambda item: item["sk"]["S"] == "PROFILE" and "#RES#" in item["pk"]["S"],
    ),
]


class RouteRun:
    """A write route of one feature, ready to send with an Idempotency-Key and to count its effects."""

    def __init__(self, route: WriteRoute, handler: Any, community: Community, stack: Stack) -> None:
        self.route = route
        self.call = requester(handler)
        self.community = community
        self.stack = stack

    def send(self, key: str) -> Reply:
        who = self.community.people[self.route.who]
        body = self.route.body(self.community, key)
        return self.call("POST", self.route.path, as_=who, body=body, headers=_idem(key))

    def snapshot(self) -> list[dict[str, Any]]:
        return table_items(self.stack.ref(self.route.table))

    def entities(self) -> int:
        return sum(1 for item in self.snapshot() if self.route.is_entity(item))

    def audit_records(self) -> int:
        return len(table_items(self.stack.ref("AuditTable")))


@pytest.fixture
def route_run(
    request: pytest.FixtureRequest, api: Callable[[str, str], Any], community: Community, stack: Stack
) -> RouteRun:
    route: WriteRoute = request.param
    return RouteRun(route, api(route.function_id, route.feature), community, stack)


def _routes(xfail: dict[str, str] | None = None, only: Callable[[WriteRoute], bool] = lambda r: True) -> Any:
    marks = xfail or {}
    return [
        pytest.param(
            route,
            id=route.label,
            marks=[pytest.mark.xfail(strict=True, reason=marks[route.label])] if route.label in marks else [],
        )
        for route in WRITE_ROUTES
        if only(route)
    ]


@pytest.mark.parametrize("route_run", _routes(), indirect=True)
def test_a_throttled_aws_call_anywhere_in_a_write_answers_503_with_retry_after_and_nothing_before_commit(
    route_run: RouteRun, faults: FaultInjector
) -> None:
    learned, outcomes = sweep_route(
        faults, route_run.send, route_run.snapshot, kind="throttle", label=route_run.route.label
    )

    table = route_run.route.table
    commit = next(
        i
        for i, s in enumerate(learned)
        # The feature's write: its own table, alone or in a transaction with the audit table.
        if table in s.target.split("+") and s.operation not in ("GetItem", "Query")
    )
    for attempt, reply, retry in outcomes:
        _assert_unavailable(attempt, reply)
        assert retry.status < 500, (attempt, retry.body)
        if attempt.position <= commit:
            # Up to and including the feature's own write, a fault leaves its table exactly as it was.
            assert not attempt.partial, attempt


def _fault_after_commit(
    run: RouteRun, faults: FaultInjector, target: Callable[[Send], bool]
) -> tuple[Reply, Reply, Reply]:
    """Learn the route's calls, fail the first one ``target`` picks for good, then retry twice (same key)."""
    run.send(f"{run.route.label}-warm-up")
    with faults.recording_sends() as sends:
        assert run.send(f"{run.route.label}-learn").status in (200, 201)
    position = next(i for i, s in enumerate(sends) if target(s))
    with faults.failing(position, kind="unavailable"):
        faulted = run.send(f"{run.route.label}-post-commit")
    retry = run.send(f"{run.route.label}-post-commit")
    again = run.send(f"{run.route.label}-post-commit")
    return faulted, retry, again


def _is_audit(send: Send) -> bool:
    # The audit write on its own, or the transaction that carries the audit record with the write.
    return "AuditTable" in send.target.split("+")


@pytest.mark.parametrize("route_run", _routes(), indirect=True)
def test_a_retry_after_a_fault_on_the_audited_write_leaves_exactly_one_entity(
    route_run: RouteRun, faults: FaultInjector
) -> None:
    """The audit record commits with the write, so a fault on the audit is a fault on the commit itself
    (the sends after the commit are the next test's); whatever the client then retries with the same key,
    one entity results."""
    before = route_run.entities()
    faulted, retry, again = _fault_after_commit(route_run, faults, _is_audit)

    assert faulted.status == 503, faulted.body
    assert retry.status in (200, 201), retry.body
    assert again.status in (200, 201), again.body
    # warm-up + learn + the faulted request and its two retries: one entity for one key.
    assert route_run.entities() == before + 3


@pytest.mark.parametrize("route_run", _routes(), indirect=True)
def test_every_write_is_audited_once_even_when_the_audit_write_first_fails(
    route_run: RouteRun, faults: FaultInjector
) -> None:
    entities, audits = route_run.entities(), route_run.audit_records()
    _fault_after_commit(route_run, faults, _is_audit)

    assert route_run.audit_records() - audits == route_run.entities() - entities


def _post_commit_effect(send: Send) -> bool:
    return send.name in ("eventbridge.PutEvents", "sqs.SendMessageBatch", "sqs.SendMessage")


@pytest.mark.parametrize("route_run", _routes(only=lambda r: r.effect is not None), indirect=True)
def test_what_a_write_sends_after_its_commit_is_sent_once_even_when_the_send_first_fails(
    route_run: RouteRun, faults: FaultInjector, stack: Stack
) -> None:
    effect = route_run.route.effect or ""
    entities = route_run.entities()
    if effect.startswith("events:"):
        sent_before = len(faults.events_of(effect.split(":", 1)[1]))
    _fault_after_commit(route_run, faults, _post_commit_effect)
    created = route_run.entities() - entities

    if effect.startswith("events:"):
        assert len(faults.events_of(effect.split(":", 1)[1])) - sent_before == created
    else:
        fanout = queue_bodies(stack.ref("NotificationsFanoutQueue"))
        assert len(fanout) == created, fanout


# -------------------------------------------------------------------------------------- SQS consumers


def _failures_then_exactly_once(outcomes: list[Redelivery]) -> None:
    for outcome in outcomes:
        assert outcome.failed_call != "-", f"call {outcome.position} was not made on the faulted run"
        assert outcome.failed_ids == ["m0"], outcome  # the record fails alone, Lambda redelivers it
        assert outcome.redelivered_failures == [], outcome
        assert outcome.effects == 1, outcome  # nothing lost, nothing doubled


@pytest.fixture
def alarms_consumer(function_env: Env, clock: FixedClock) -> Iterator[Callable[[str], dict[str, Any]]]:
    function_env("TicketsAlarmsFunction")
    from tickets import alarms_handler

    drive_features(clock)
    yield deliver_via(alarms_handler)
    drive_features(None)


def _alarm(community: Community, tag: str) -> str:
    detail = {
        "tenant_id": community.tenant_id,
        "event_id": f"EVT-{tag}",
        "occurred_at": "2026-03-10T01:59:00.000Z",
        "alarm_id": f"ALM-{tag}",
        "device_id": "SMOKE-3F-01",
        "site_id": community.site_id,
        "building_id": community.building_a,
        "severity": "critical",
        "kind": "smoke",
        "action": {"category": "fire_safety", "priority": "urgent"},
    }
    return bus_envelope("courtyard.sensors", "AlarmRaised", detail)


@pytest.mark.parametrize("kind", ["throttle", "read_timeout"])
def test_tickets_alarm_consumer_fails_the_record_on_a_fault_and_its_redelivery_opens_exactly_one_ticket(
    alarms_consumer: Callable[[str], dict[str, Any]],
    community: Community,
    stack: Stack,
    faults: FaultInjector,
    kind: str,
) -> None:
    def tickets_of(tag: str) -> int:
        return sum(
            1
            for item in table_items(stack.ref("TicketsTable"))
            if item["sk"]["S"] == "TICKET" and item.get("alarm_id", {}).get("S") == f"ALM-{tag}"
        )

    learned, outcomes = sweep_consumer(
        faults, alarms_consumer, lambda tag: _alarm(community, tag), tickets_of, kind=kind
    )

    assert "eventbridge.PutEvents" in [s.name for s in learned]
    _failures_then_exactly_once(outcomes)


def test_tickets_alarm_consumer_publishes_ticket_created_once_even_when_a_call_after_the_commit_fails(
    alarms_consumer: Callable[[str], dict[str, Any]], community: Community, faults: FaultInjector
) -> None:
    def created_events(tag: str) -> int:
        return sum(1 for e in faults.events_of("TicketCreated") if e.get("alarm_id") == f"ALM-{tag}")

    _, outcomes = sweep_consumer(faults, alarms_consumer, lambda tag: _alarm(community, tag), created_events)

    _failures_then_exactly_once(outcomes)


@pytest.fixture
def consumer(function_env: Env, clock: FixedClock) -> Iterator[Callable[[str, str, str], Any]]:
    """``consumer("SensorsTicketsFunction", "sensors", "tickets_handler")``: its ``deliver(body)``."""
    import importlib

    def load(function_id: str, feature: str, module: str) -> Callable[[str], dict[str, Any]]:
        function_env(function_id)
        drive_features(clock)
        return deliver_via(importlib.import_module(f"{feature}.{module}"))

    yield load
    drive_features(None)


def test_sensors_ticket_consumer_fails_the_record_on_a_fault_and_its_redelivery_adds_one_ledger_entry(
    consumer: Callable[[str, str, str], Any], community: Community, stack: Stack, faults: FaultInjector
) -> None:
    deliver = consumer("SensorsTicketsFunction", "sensors", "tickets_handler")

    def ticket_created(tag: str) -> str:
        detail = {
            "tenant_id": community.tenant_id,
            "event_id": f"EVT-{tag}",
            "occurred_at": "2026-03-10T01:59:00.000Z",
            "ticket_id": f"TKT{tag.upper().replace('-', '')}",
            "site_id": community.site_id,
            "unit_id": None,
            "kind": "repair",
            "category": "fire_safety",
            "priority": "emergency",
            "respond_by": "2026-03-10T02:04:00.000Z",
            "resolve_by": "2026-03-10T06:00:00.000Z",
            "assisted": False,
            "device_id": "SMOKE-3F-01",
            "alarm_id": f"ALM-{tag}",
        }
        return bus_envelope("courtyard.tickets", "TicketCreated", detail)

    def ledger_entries(tag: str) -> int:
        return sum(
            1
            for i in table_items(stack.ref("SensorsTable"))
            if i.get("event_id", {}).get("S") == f"EVT-{tag}"
        )

    learned, outcomes = sweep_consumer(faults, deliver, ticket_created, ledger_entries)

    assert learned
    _failures_then_exactly_once(outcomes)


def test_notifications_event_consumer_fails_the_record_on_a_fault_and_its_redelivery_queues_one_message(
    consumer: Callable[[str, str, str], Any], community: Community, stack: Stack, faults: FaultInjector
) -> None:
    deliver = consumer("NotificationsEventsFunction", "notifications", "events_handler")
    delivery_queue = stack.ref("NotificationsDeliveryQueue")

    def status_changed(tag: str) -> str:
        queue_bodies(delivery_queue)  # each position counts only its own messages
        detail = {
            "tenant_id": community.tenant_id,
            "event_id": f"EVT-{tag}",
            "occurred_at": "2026-03-10T01:59:00.000Z",
            "ticket_id": f"TKT{tag.upper().replace('-', '')}",
            "site_id": community.site_id,
            "action": "resolve",
            "from_status": "in_progress",
            "to_status": "resolved",
            "by": "system",
            "reporter_user_id": community.people["li"].user_id,
        }
        return bus_envelope("courtyard.tickets", "TicketStatusChanged", detail)

    def queued(tag: str) -> int:
        # The intake may queue a job again on redelivery; the sender claims each message id once, so the
        # effect is the set of distinct message ids (one recipient: one message).
        return len({job["message_id"] for job in queue_bodies(delivery_queue)})

    learned, outcomes = sweep_consumer(faults, deliver, status_changed, queued)

    assert any(s.service == "sqs" for s in learned), learned
    _failures_then_exactly_once(outcomes)


def _billing(
    api: Callable[[str, str], Any],
    consumer: Callable[[str, str, str], Any],
    community: Community,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Callable[[str], str], Callable[[str], dict[str, Any]]]:
    """A fee item, then ``new_chunk(tag)``: a billing run for a fresh period, its first chunk's message."""
    call = requester(api("PaymentsFunction", "payments"))
    manager = community.people["manager"]
    fee = {"site_id": community.site_id, "name": "物业费", "kind": "area", "price_minor": 250}
    assert call("POST", "/fee-items", as_=manager, body=fee).status == 201
    periods = iter(f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13))
    chosen: dict[str, str] = {}

    def new_chunk(tag: str) -> str:
        chosen[tag] = period = next(periods)
        reply = call(
            "POST", "/billing-runs", as_=manager, body={"site_id": community.site_id, "period": period}
        )
        assert reply.status == 202, reply.body
        bodies = queue_bodies(stack.ref("PaymentsBillingQueue"))
        assert len(bodies) == 1, bodies
        return json.dumps(bodies[0])

    deliver = consumer("PaymentsBillingFunction", "payments", "billing_handler")
    new_chunk.chosen = chosen  # type: ignore[attr-defined]
    return new_chunk, deliver


def test_payments_billing_consumer_fails_the_chunk_on_a_fault_and_its_redelivery_issues_each_bill_once(
    api: Callable[[str, str], Any],
    consumer: Callable[[str, str, str], Any],
    community: Community,
    stack: Stack,
    faults: FaultInjector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_chunk, deliver = _billing(api, consumer, community, stack, monkeypatch)

    def bills_per_unit(tag: str) -> int:
        period = new_chunk.chosen[tag]  # type: ignore[attr-defined]
        bills = [
            i
            for i in table_items(stack.ref("PaymentsTable"))
            if i["sk"]["S"] == "BILL" and i.get("period", {}).get("S") == period
        ]
        units = {b["unit_id"]["S"] for b in bills}
        # 1 when every unit has exactly one bill for the period; anything else is a loss or a double.
        return 1 if len(bills) == len(units) == len(community.units) else len(bills) * 100 + len(units)

    learned, outcomes = sweep_consumer(faults, deliver, new_chunk, bills_per_unit)

    assert "eventbridge.PutEvents" in [s.name for s in learned]
    _failures_then_exactly_once(outcomes)


def test_payments_billing_consumer_publishes_bill_issued_once_per_bill_even_when_put_events_first_fails(
    api: Callable[[str, str], Any],
    consumer: Callable[[str, str, str], Any],
    community: Community,
    stack: Stack,
    faults: FaultInjector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_chunk, deliver = _billing(api, consumer, community, stack, monkeypatch)

    def bill_issued_per_unit(tag: str) -> int:
        period = new_chunk.chosen[tag]  # type: ignore[attr-defined]
        units = [e["unit_id"] for e in faults.events_of("BillIssued") if e.get("period") == period]
        return 1 if sorted(units) == sorted(set(units)) and len(units) == len(community.units) else 0

    _, outcomes = sweep_consumer(faults, deliver, new_chunk, bill_issued_per_unit)

    _failures_then_exactly_once(outcomes)


class IotInventory:
    """The IoT things of the run's tenant and the certificates created since the inventory was opened (the
    moto account outlives a test)."""

    def __init__(self, run: RouteRun) -> None:
        self.run = run
        self.iot = boto3.client("iot")
        self.baseline = set(self.certificates())

    def certificates(self) -> list[str]:
        pages = self.iot.get_paginator("list_certificates").paginate()
        return [
            c["certificateId"] for page in pages for c in page["certificates"] if c["status"] != "REVOKED"
        ]

    def things(self) -> dict[str, list[str]]:
        """Each thing of the tenant and the principals attached to it."""
        tenant_id = self.run.community.tenant_id
        things = self.iot.list_things(attributeName="tenant_id", attributeValue=tenant_id)["things"]
        return {
            t["thingName"]: self.iot.list_thing_principals(thingName=t["thingName"])["principals"]
            for t in things
        }

    def device_ids(self) -> list[str]:
        return sorted(str(i["device_id"]["S"]) for i in self.run.snapshot() if self.run.route.is_entity(i))

    def assert_one_certificate_per_device(self) -> None:
        things = self.things()
        assert sorted(things) == self.device_ids()
        assert all(len(attached) == 1 for attached in things.values()), things
        new = set(self.certificates()) - self.baseline
        assert new == {arn.rsplit("/", 1)[-1] for attached in things.values() for arn in attached}, new


def _devices_run(api: Callable[[str, str], Any], community: Community, stack: Stack) -> RouteRun:
    route = next(r for r in WRITE_ROUTES if r.label == "devices")
    return RouteRun(route, api(route.function_id, route.feature), community, stack)


def test_a_fault_while_registering_a_device_leaves_no_iot_thing_without_a_device(
    api: Callable[[str, str], Any], community: Community, stack: Stack, faults: FaultInjector
) -> None:
    run = _devices_run(api, community, stack)
    iot = IotInventory(run)
    run.send("devices-warm-up")
    with faults.recording_sends() as sends:
        assert run.send("devices-learn").status == 201
    attach = next(i for i, s in enumerate(sends) if s.operation == "AttachPolicy")
    with faults.failing(attach, kind="throttle"):
        assert run.send("devices-faulted").status == 503

    assert len(iot.things()) == run.entities()
    iot.assert_one_certificate_per_device()


@pytest.mark.parametrize(
    "operation",
    ["CreateKeysAndCertificate", "AttachPolicy", "AttachThingPrincipal", "DescribeEndpoint", "PutItem"],
)
def test_a_registration_that_failed_at_any_step_is_resumed_by_its_retry_with_fresh_credentials(
    api: Callable[[str, str], Any],
    community: Community,
    stack: Stack,
    faults: FaultInjector,
    operation: str,
) -> None:
    run = _devices_run(api, community, stack)
    iot = IotInventory(run)
    run.send("devices-warm-up")
    with faults.recording_sends() as sends:
        assert run.send("devices-learn").status == 201
    # The device's own write is the last PutItem on the sensors table (the key's claim is the first).
    position = max(
        i for i, s in enumerate(sends) if s.operation == operation and s.target in ("", "SensorsTable")
    )
    with faults.failing(position, kind="throttle"):
        faulted = run.send("devices-resumed")
    iot.assert_one_certificate_per_device()  # nothing left of the failed attempt
    retry = run.send("devices-resumed")
    again = run.send("devices-resumed")

    assert faulted.status == 503, faulted.body
    assert retry.status == 201, retry.body
    assert "PRIVATE KEY" in retry.body["credentials"]["private_key"]
    assert again.status == 200, again.body
    assert again.body["credentials"] is None  # shown once, never kept
    assert again.body["device"] == retry.body["device"]
    assert run.entities() == 3
    iot.assert_one_certificate_per_device()


def test_a_resumed_registration_removes_a_certificate_a_failed_clean_up_left_on_the_thing(
    api: Callable[[str, str], Any],
    community: Community,
    stack: Stack,
    faults: FaultInjector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sensors.adapters.iot_registry import ThingRegistry

    run = _devices_run(api, community, stack)
    iot = IotInventory(run)
    run.send("devices-warm-up")
    monkeypatch.setattr(ThingRegistry, "unprovision", lambda self, thing, arn: None)  # clean-up lost too
    with faults.failing(0, kind="throttle", service="iot", operation="AttachPolicy"):
        assert run.send("devices-double-fault").status == 503
    things = iot.things()
    assert len(things) == 2
    assert sum(len(p) for p in things.values()) == 2  # the failed attempt's certificate is still there
    monkeypatch.undo()

    assert run.send("devices-double-fault").status == 201

    iot.assert_one_certificate_per_device()


def test_a_registration_under_way_makes_a_concurrent_request_with_the_same_key_wait(
    api: Callable[[str, str], Any], community: Community, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sensors.adapters.iot_registry import ThingRegistry

    run = _devices_run(api, community, stack)
    iot = IotInventory(run)
    provision = ThingRegistry.provision
    concurrent: list[Reply] = []

    def provision_while_a_retry_arrives(self: ThingRegistry, *args: Any, **kwargs: Any) -> Any:
        concurrent.append(run.send("devices-concurrent"))
        return provision(self, *args, **kwargs)

    monkeypatch.setattr(ThingRegistry, "provision", provision_while_a_retry_arrives)
    first = run.send("devices-concurrent")

    assert first.status == 201, first.body
    assert concurrent[0].status == 409, concurrent[0].body
    assert run.entities() == 1
    iot.assert_one_certificate_per_device()
