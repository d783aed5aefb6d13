"""A keypress on an emergency call acknowledges the emergency (issue 19): the provider's signed call report
(``voice_reports``) names the call, the call names the ladder and who was called (``PlacedCall``, written
by the sender), and "1" stops that ladder as an acceptance in the app would.

A report with a bad or stale signature changes nothing (401); a report of a call we never placed, or of a
key other than 1, is counted and ignored; a repeated report acknowledges nothing twice (the ladder keeps its
first acknowledgment). The first acknowledgment commits in one transaction with its audit record and its
outbox item, ``EmergencyAcknowledged`` (``courtyard.outbox``): the ticket's or the alarm's feature then
accepts the ticket / acknowledges the alarm as that staff member. If publishing fails after the commit,
the request fails, and the provider's retry of the report (finding the ladder acknowledged) or the
every-minute sweep sends the stored event, with the same ``event_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from courtyard.audit import TransactionalAuditLog
from courtyard.clock import Clock
from courtyard.errors import Invalid, Unauthorized
from courtyard.outbox import Effects
from notifications.repositories.ladder import ladder_key
from notifications.repositories.links import PlacedCall
from notifications.voice_reports import SIGNATURE_HEADER, parse_reports, verify
from schemas.events import EmergencyAcknowledged

CHANNEL = "voice"
OUTBOX_NAME = "ack"  # the ladder's one pending item: what its first acknowledgment publishes
SUBJECTS = ("ticket", "alarm")


@dataclass(frozen=True)
class VoiceAckOutcome:
    reports: int
    acknowledged: int  # ladders stopped by these reports (first acknowledgments)
    ignored: int  # other keys, unknown calls


class Calls(Protocol):
    """The calls the sender placed (``LinksRepository``)."""

    def placed_call(self, call_id: str) -> PlacedCall | None: ...


class Ladders(Protocol):
    """The ladders' first acknowledgment (``LadderRepository``), with what must commit beside it."""

    def acknowledge(
        self,
        tenant_id: str,
        key: str,
        by: str,
        at: datetime,
        *,
        with_actions: Sequence[Mapping[str, Any]] = (),
    ) -> bool: ...


class VoiceAcks:
    def __init__(
        self,
        calls: Calls,
        ladders: Ladders,
        callback_secret: Callable[[], str],
        audit: TransactionalAuditLog,
        clock: Clock,
        outbox: Effects,
    ) -> None:
        self._calls = calls
        self._ladders = ladders
        self._secret = callback_secret
        self._audit = audit
        self._clock = clock
        self._outbox = outbox

    def receive(self, headers: Mapping[str, str], body: str) -> VoiceAckOutcome:
        now = self._clock.now()
        signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
        if not verify(self._secret(), body, signature, now.timestamp()):
            raise Unauthorized("the call report's signature is missing, invalid or stale")
        try:
            reports = parse_reports(body)
        except ValueError:
            raise Invalid("the body is not a list of call reports") from None
        acknowledged = ignored = 0
        for report in reports:
            placed = self._calls.placed_call(report.call_id) if report.acknowledged else None
            if placed is None or (report.out_id and report.out_id != placed.out_id):
                ignored += 1
                continue
            if self._acknowledge(placed):
                acknowledged += 1
        return VoiceAckOutcome(len(reports), acknowledged, ignored)

    def _acknowledge(self, placed: PlacedCall) -> bool:
        """Stop the call's ladder with its first acknowledgment, its audit record and its event at once."""
        now = self._clock.now()
        t, key = placed.tenant_id, placed.ladder_key
        entity = ladder_key(t, key)["pk"]
        audit = self._audit.put_action(
            None,
            "ladder.voice_ack",
            "ladder",
            key,
            details={"message_id": placed.message_id, "staff_id": placed.person_id},
            actor=placed.user_id or "voice",
            tenant_id=t,
        )
        event = _event(placed, now)
        pending = (
            self._outbox.pending(entity, events=[("EmergencyAcknowledged", event)], name=OUTBOX_NAME)
            if event is not None
            else None
        )
        actions = [audit, *([self._outbox.put_action(pending)] if pending is not None else [])]
        by = placed.user_id or f"staff:{placed.person_id}"
        if not self._ladders.acknowledge(t, key, by, now, with_actions=actions):
            # Acknowledged before: by this report, whose event may not have gone out yet (a retry).
            self._outbox.flush_entity(entity, OUTBOX_NAME)
            return False
        if pending is not None:
            self._outbox.flush(pending)
        return True


def _event(placed: PlacedCall, now: datetime) -> EmergencyAcknowledged | None:
    """The ladder's acknowledgment for its subject's feature; None for a call that names nobody."""
    subject, _, subject_id = placed.ladder_key.partition(":")
    if subject not in SUBJECTS or not subject_id or not placed.person_id:
        return None
    return EmergencyAcknowledged(
        tenant_id=placed.tenant_id,
        occurred_at=now,
        subject="alarm" if subject == "alarm" else "ticket",
        subject_id=subject_id,
        ladder_key=placed.ladder_key,
        channel=CHANNEL,
        person_id=placed.person_id,
        user_id=placed.user_id,
        message_id=placed.message_id,
    )
