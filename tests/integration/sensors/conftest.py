"""Sensors handlers on in-process moto: the seeded community, an API caller, and a device that talks.

The API, the ingest and the heartbeat job run in this process with the sensors API function's environment
(a superset of the others'), one FixedClock driving them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from courtyard.clock import FixedClock, to_iso
from tests.factories import lambda_context
from tests.integration.api import Caller, Reply, no_personal_numbers_in_logs, requester
from tests.integration.community import Community, published, residents, seed, staff

__all__ = [
    "Caller",
    "Community",
    "Reply",
    "no_personal_numbers_in_logs",
    "published",
    "residents",
    "seed",
    "staff",
]

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def sensors(function_env: Callable[[str], dict[str, str]], clock: FixedClock) -> Iterator[Any]:
    function_env("SensorsFunction")
    from sensors import wiring

    from courtyard.wiring import use_clock

    use_clock(clock)
    yield wiring
    use_clock(None)


def _route(path: str) -> tuple[str, dict[str, str] | None]:
    for pattern, template, name in (
        (r"^/devices/([^/]+)(/telemetry)?$", "/devices/{device_id}", "device_id"),
        (r"^/alarm-rules/([^/]+)(/test)?$", "/alarm-rules/{rule_id}", "rule_id"),
        (r"^/alarms/([^/]+)(/ack|/clear)?$", "/alarms/{alarm_id}", "alarm_id"),
    ):
        match = re.match(pattern, path)
        if match:
            return template + (match.group(2) or ""), {name: match.group(1)}
    return path, None


@pytest.fixture
def call(sensors: Any) -> Callable[..., Reply]:
    from sensors import handler

    return requester(handler, _route)


@pytest.fixture
def manager(seed: Callable[..., Community], staff: Callable[..., Caller]) -> tuple[Community, Caller]:
    from courtyard.tenancy import Role

    community = seed()
    return community, staff(community, "Wang", Role.MANAGER)


class Device:
    """A registered device that publishes through the ingest handler, as the IoT rule would invoke it."""

    def __init__(self, community: Community, device_id: str, clock: FixedClock) -> None:
        self.community = community
        self.device_id = device_id
        self.clock = clock
        self.seq = 0

    def message(
        self, body: dict[str, Any], *, site_id: str | None = None, tenant_id: str | None = None
    ) -> dict[str, Any]:
        return {
            **body,
            "tenant_id": tenant_id or self.community.tenant_id,
            "site_id": site_id or self.community.site_id,
            "device_id": self.device_id,
            "received_at": int(self.clock.now().timestamp() * 1000),
        }

    def send(
        self,
        metrics: dict[str, Any] | None = None,
        *,
        event: dict[str, Any] | None = None,
        every_s: float = 1.0,
    ) -> Any:
        from sensors import ingest_handler

        self.clock.advance(every_s)
        self.seq += 1
        body: dict[str, Any] = {"ts": to_iso(self.clock.now()), "seq": self.seq}
        if metrics is not None:
            body["metrics"] = metrics
        if event is not None:
            body["event"] = event
        return ingest_handler.lambda_handler(self.message(body), lambda_context())

    def stream(self, values: list[Any], metric: str = "vibration_mm_s", every_s: float = 1.0) -> None:
        for value in values:
            self.send({metric: value}, every_s=every_s)


@pytest.fixture
def register(call: Callable[..., Reply], clock: FixedClock) -> Callable[..., Device]:
    def make(community: Community, as_: Caller, kind: str = "elevator", **extra: Any) -> Device:
        reply = call(
            "POST",
            "/devices",
            as_=as_,
            body={
                "site_id": community.site_id,
                "kind": kind,
                "name": f"{kind} 1",
                "building_id": "BLDG-A",
                **extra,
            },
        )
        assert reply.status == 201, reply.body
        return Device(community, reply.body["device"]["device_id"], clock)

    return make


def alarms_of(call: Callable[..., Reply], caller: Caller, **query: str) -> list[dict[str, Any]]:
    reply = call("GET", "/alarms", as_=caller, query=query or None)
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def raised(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [detail for name, detail in events if name == "AlarmRaised"]
