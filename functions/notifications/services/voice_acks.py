"""A keypress on an emergency call acknowledges the emergency (issue 19): the provider's signed call report
(``voice_reports``) names the call, the call names the ladder and who was called (``PlacedCall``, written
by the sender), and "1" stops that ladder as an acceptance in the app would.

A report with a bad or stale signature changes nothing (401); a report of a call we never placed, or of a
key other than 1, is counted and ignored; a repeated report acknowledges nothing twice (the ladder keeps its
first acknowledgment). The acknowledgment is audited with the staff member who pressed the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from courtyard.audit import AuditWriter
from courtyard.clock import Clock
from courtyard.errors import Invalid, Unauthorized
from notifications.repositories.ladder import LadderRepository
from notifications.repositories.links import LinksRepository
from notifications.voice_reports import SIGNATURE_HEADER, parse_reports, verify


@dataclass(frozen=True)
class VoiceAckOutcome:
    reports: int
    acknowledged: int  # ladders stopped by these reports (first acknowledgments)
    ignored: int  # other keys, unknown calls


class VoiceAcks:
    def __init__(
        self,
        calls: LinksRepository,
        ladders: LadderRepository,
        callback_secret: Callable[[], str],
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._calls = calls
        self._ladders = ladders
        self._secret = callback_secret
        self._audit = audit
        self._clock = clock

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
            by = placed.user_id or f"staff:{placed.person_id}"
            if self._ladders.acknowledge(placed.tenant_id, placed.ladder_key, by, now):
                acknowledged += 1
                self._audit.record(
                    None,
                    "ladder.voice_ack",
                    "ladder",
                    placed.ladder_key,
                    details={"message_id": placed.message_id, "staff_id": placed.person_id},
                    actor=placed.user_id or "voice",
                    tenant_id=placed.tenant_id,
                )
        return VoiceAckOutcome(len(reports), acknowledged, ignored)
