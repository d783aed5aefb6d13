"""Tickets handlers on in-process moto: a seeded community (tenant, units, residents, staff) and route calls.

Directory records are plain items written with the directory's ``Keys`` (the shapes its repositories write),
so these tests do not depend on the directory feature's code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from infra.local.provision import Stack
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

# 2026-03-10 is a Tuesday; 10:00 in Shanghai is inside the default business hours.
OFFICE_HOURS = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
def handler(function_env: Callable[[str], dict[str, str]], clock: FixedClock) -> Iterator[Any]:
    """The tickets function's entry point with exactly its template environment and a fixed clock."""
    function_env("TicketsFunction")
    from tickets import handler as module

    from courtyard.wiring import use_clock

    use_clock(clock)
    yield module
    use_clock(None)


def _ticket_route(path: str) -> tuple[str, dict[str, str] | None]:
    match = re.match(r"^/tickets/([^/]+)", path)
    if not match or match.group(1) in {"stats"}:
        return path, None
    return re.sub(r"^/tickets/[^/]+", "/tickets/{ticket_id}", path), {"ticket_id": match.group(1)}


@pytest.fixture
def call(handler: Any) -> Callable[..., Reply]:
    """``call("POST", "/tickets", as_=caller, body={...})``: one request through the real handler."""
    return requester(handler, _ticket_route)


def tickets_items(stack: Stack) -> list[dict[str, Any]]:
    """Every item of the tickets table (tests only: proving that a refused request wrote nothing)."""
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("TicketsTable"))["Items"])
