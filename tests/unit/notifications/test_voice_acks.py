"""A keypress of 1 acknowledges the ladder and, with its first acknowledgment only, publishes
``EmergencyAcknowledged`` for the subject's feature through the outbox
(``notifications.services.voice_acks``), against in-memory fakes that keep DynamoDB's transaction
semantics: the outbox item and the audit record commit only with the first acknowledgment."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from notifications.repositories.links import PlacedCall
from notifications.services.voice_acks import VoiceAcks
from notifications.voice_reports import sign

from courtyard.clock import FixedClock
from courtyard.errors import Unauthorized
from courtyard.outbox import PendingEffects
from courtyard.tenancy import TenantContext
from schemas.events import EmergencyAcknowledged
from tests.fakes.kernel import RecordedAudit, RecordingOutbox

T0 = datetime(2026, 10, 2, 19, 1, tzinfo=UTC)
SECRET = "callback-secret"


class TransactionalOutbox(RecordingOutbox):
    """The outbox whose item is stored only when the transaction it was put in commits (``commit``)."""

    def put_action(self, pending: PendingEffects) -> dict[str, Any]:
        return {"Put": {"outbox": pending}}

    def commit(self, action: Mapping[str, Any]) -> None:
        pending = action.get("Put", {}).get("outbox")
        if isinstance(pending, PendingEffects):
            RecordingOutbox.put_action(self, pending)


class TransactionalAudit(RecordedAudit):
    """The audit trail whose record is written only when the transaction it was put in commits."""

    def put_action(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        return {"Put": {"audit": (action, resource, resource_id)}}

    def commit(self, action: Mapping[str, Any]) -> None:
        record = action.get("Put", {}).get("audit")
        if record is not None:
            self.records.append(record)


@dataclass
class Ladders:
    outbox: TransactionalOutbox
    audit: TransactionalAudit
    acknowledged: dict[tuple[str, str], str] = field(default_factory=dict)

    def acknowledge(
        self,
        tenant_id: str,
        key: str,
        by: str,
        at: datetime,
        *,
        with_actions: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        if (tenant_id, key) in self.acknowledged:
            return False  # the condition failed: nothing of the transaction is written
        self.acknowledged[(tenant_id, key)] = by
        for action in with_actions:
            self.outbox.commit(action)
            self.audit.commit(action)
        return True


@dataclass
class Calls:
    calls: dict[str, PlacedCall]

    def placed_call(self, call_id: str) -> PlacedCall | None:
        return self.calls.get(call_id)


def _call(call_id: str, ladder_key: str, person_id: str | None = "st-guard") -> PlacedCall:
    return PlacedCall(call_id, f"out-{call_id}", "t1", f"m-{call_id}", ladder_key, person_id, "u-guard")


class World:
    def __init__(self) -> None:
        self.outbox, self.audit = TransactionalOutbox(), TransactionalAudit()
        self.ladders = Ladders(self.outbox, self.audit)
        self.calls = Calls(
            {
                "C1": _call("C1", "ticket:T1"),
                "C2": _call("C2", "alarm:A1"),
                "C3": _call("C3", "ticket:T3", person_id=None),
            }
        )
        self.acks = VoiceAcks(
            self.calls, self.ladders, lambda: SECRET, self.audit, FixedClock(T0), self.outbox
        )

    def report(self, call_id: str, dtmf: str = "1") -> tuple[int, int, int]:
        body = json.dumps([{"call_id": call_id, "out_id": f"out-{call_id}", "dtmf": dtmf}])
        headers = {"x-voice-signature": sign(SECRET, body, int(T0.timestamp()))}
        outcome = self.acks.receive(headers, body)
        return outcome.reports, outcome.acknowledged, outcome.ignored

    def sent(self) -> list[EmergencyAcknowledged]:
        return [
            EmergencyAcknowledged.model_validate_json(d)
            for t, d in self.outbox.sent
            if t == "EmergencyAcknowledged"
        ]


def test_the_first_press_stops_the_ladder_and_publishes_the_tickets_acknowledgment_once() -> None:
    world = World()

    assert world.report("C1") == (1, 1, 0)
    assert world.report("C1") == (1, 0, 0)  # the provider's retry

    assert world.ladders.acknowledged == {("t1", "ticket:T1"): "u-guard"}
    (event,) = world.sent()
    assert (event.subject, event.subject_id, event.ladder_key, event.channel) == (
        "ticket",
        "T1",
        "ticket:T1",
        "voice",
    )
    assert (event.person_id, event.user_id, event.tenant_id) == ("st-guard", "u-guard", "t1")
    assert world.audit.records == [("ladder.voice_ack", "ladder", "ticket:T1")]


def test_an_alarms_ladder_publishes_the_alarms_acknowledgment() -> None:
    world = World()

    world.report("C2")

    assert [(e.subject, e.subject_id) for e in world.sent()] == [("alarm", "A1")]


def test_an_event_the_first_attempt_could_not_send_goes_out_with_the_retry_and_its_same_id() -> None:
    world = World()
    flush = world.outbox.flush

    def bus_down(pending: PendingEffects) -> None:
        raise RuntimeError("EventBridge unavailable")

    world.outbox.flush = bus_down  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        world.report("C1")
    assert world.sent() == []
    stored = next(iter(world.outbox.stored.values()))
    world.outbox.flush = flush  # type: ignore[method-assign]

    assert world.report("C1") == (1, 0, 0)

    (event,) = world.sent()
    assert event.event_id == EmergencyAcknowledged.model_validate_json(stored.events[0][1]).event_id


def test_another_key_an_unknown_call_or_a_bad_signature_publish_nothing() -> None:
    world = World()

    assert world.report("C1", dtmf="2") == (1, 0, 1)
    assert world.report("C9") == (1, 0, 1)
    with pytest.raises(Unauthorized):
        world.acks.receive({"X-Voice-Signature": "t=1,v1=00"}, '[{"call_id": "C1", "dtmf": "1"}]')

    assert (world.ladders.acknowledged, world.sent()) == ({}, [])


def test_a_call_that_names_nobody_stops_the_ladder_but_asks_no_feature_to_act() -> None:
    world = World()

    assert world.report("C3") == (1, 1, 0)
    assert world.sent() == []
