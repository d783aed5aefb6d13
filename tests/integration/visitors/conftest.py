"""Visitors handlers on in-process moto: a seeded community, its people, and one-line route calls.

The pass signing key is the template's KMS key (ECC_NIST_P256, SIGN_VERIFY), created in moto like every other
resource; time is a FixedClock.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from tests.factories import api_event, lambda_context
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

# 2026-03-10 10:00 in Shanghai (a Tuesday).
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def handler(function_env: Callable[[str], dict[str, str]], clock: FixedClock) -> Iterator[Any]:
    """The visitors function's entry point with exactly its template environment and a fixed clock."""
    function_env("VisitorsFunction")
    from visitors import handler as module

    from courtyard.wiring import use_clock

    use_clock(clock)
    yield module
    use_clock(None)


_ROUTES = [
    (re.compile(r"^/passes/keys$"), "/passes/keys", ()),
    (re.compile(r"^/passes/view$"), "/passes/view", ()),
    (re.compile(r"^/passes/([^/]+)/(qr|entries)$"), "/passes/{pass_id}/{}", ("pass_id",)),
    (re.compile(r"^/passes/([^/]+)$"), "/passes/{pass_id}", ("pass_id",)),
    (re.compile(r"^/sites/([^/]+)/(visits|blocklist)$"), "/sites/{site_id}/{}", ("site_id",)),
]


def visitors_route(path: str) -> tuple[str, dict[str, str] | None]:
    for pattern, template, names in _ROUTES:
        match = pattern.match(path)
        if match:
            groups = match.groups()
            params = dict(zip(names, groups, strict=False))
            resource = template.replace("{}", groups[-1]) if "{}" in template else template
            return resource, params or None
    return path, None


@pytest.fixture
def atomic_item_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make in-process moto apply each DynamoDB request atomically, as DynamoDB does.

    moto evaluates a ConditionExpression and then applies the update in separate Python steps with no lock,
    so two threads can both pass ``entries_used < entries_allowed``; DynamoDB serialises writes to an item.
    And moto serialises a read's answer after its backend returned, while another thread may be writing the
    same item ("dictionary changed size during iteration"); a DynamoDB read never sees half a write. One lock
    around each request, answer included, restores those guarantees (and nothing more): a counter that read
    the item and then wrote it in two requests would still over-admit here, while a conditional update cannot.
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def serialised(self: Any) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", serialised)


@pytest.fixture
def call(handler: Any) -> Callable[..., Reply]:
    """``call("POST", "/passes", as_=caller, body={...})``: one request through the real handler."""
    return requester(handler, visitors_route)


@pytest.fixture
def raw_call(handler: Any) -> Callable[..., dict[str, Any]]:
    """Like ``call`` but returns the raw proxy response (for CSV and image bodies)."""

    def run(method: str, path: str, as_: Caller, query: dict[str, str] | None = None) -> dict[str, Any]:
        resource, params = visitors_route(path)
        event = api_event(
            method, path, claims=as_.claims(), query=query, resource=resource, path_parameters=params
        )
        response: dict[str, Any] = handler.lambda_handler(event, lambda_context())
        return response

    return run


@dataclass
class Place:
    """A community with a resident host (unit a101), a second resident (b201), a guard, desk and manager."""

    community: Community
    host: Caller
    neighbour: Caller
    guard: Caller
    desk: Caller
    manager: Caller

    @property
    def site_id(self) -> str:
        return self.community.site_id


@pytest.fixture
def place(seed: Callable[..., Community], residents: Any, staff: Any) -> Place:
    community = seed()
    return Place(
        community=community,
        host=residents(community, "Chen", "a101"),
        neighbour=residents(community, "Zhao", "b201"),
        guard=staff(community, "Liu", Role.GUARD),
        desk=staff(community, "Li", Role.SERVICE_DESK),
        manager=staff(community, "Wang", Role.MANAGER),
    )


@pytest.fixture
def issue(call: Callable[..., Reply], place: Place) -> Callable[..., dict[str, Any]]:
    """``issue(visitor_name="Sun", entries_allowed=3)``: a pass the host issues; returns its JSON."""

    def make(as_: Caller | None = None, **fields: Any) -> dict[str, Any]:
        body = {"visitor_name": "孙先生 Mr Sun", **fields}
        reply = call("POST", "/passes", as_=as_ or place.host, body=body)
        assert reply.status == 201, reply.body
        return dict(reply.body)

    return make


@pytest.fixture
def scan(call: Callable[..., Reply], place: Place) -> Callable[..., Reply]:
    """``scan(token)``: the guard scans at gate north-1 of the community."""

    def run(token: str | None = None, *, as_: Caller | None = None, **fields: Any) -> Reply:
        body: dict[str, Any] = {"site_id": place.site_id, "gate_id": "north-1", **fields}
        if token is not None:
            body["token"] = token
        return call("POST", "/gate/scans", as_=as_ or place.guard, body=body)

    return run
