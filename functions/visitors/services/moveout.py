"""A resident who moved out of a unit keeps no live pass for it: ``ResidentMovedOut`` revokes them.

The directory ends the link; the passes the resident hosts for that unit are this feature's own grants, so
this feature withdraws them (features talk by events). Revoking is a conditional update, so a redelivered
event, or a pass revoked meanwhile, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock
from courtyard.dynamo import Page
from courtyard.errors import Conflict
from courtyard.events import DomainEvent
from schemas.events import PassRevoked, ResidentMovedOut
from visitors.models import PassStatus, VisitorPass

# The revoker named on the pass and in the audit trail (no person revoked it).
MOVED_OUT = "system:resident-left"
PAGE = 100


class Passes(Protocol):
    def host_page(
        self, tenant_id: str, user_id: str, limit: int, cursor: str | None
    ) -> Page[VisitorPass]: ...
    def revoke(self, tenant_id: str, pass_id: str, by: str, at: datetime) -> VisitorPass: ...


class Events(Protocol):
    def publish_many(self, events: Sequence[tuple[str, DomainEvent]]) -> None: ...


class MoveOutRevocation:
    def __init__(self, passes: Passes, audit: AuditLog, events: Events, clock: Clock) -> None:
        self._passes = passes
        self._audit = audit
        self._events = events
        self._clock = clock

    def revoke_for(self, moved: ResidentMovedOut) -> list[str]:
        """Revoke the live passes ``moved.user_id`` hosts for ``moved.unit_id``; the revoked pass ids."""
        if not moved.user_id:
            return []  # no account, no pass of their own
        return self.revoke_hosted(
            moved.tenant_id, moved.user_id, moved.unit_id, "resident_moved_out", moved.event_id
        )

    def revoke_hosted(
        self, tenant_id: str, user_id: str, unit_id: str | None, reason: str, event_id: str
    ) -> list[str]:
        """Revoke the live passes ``user_id`` hosts (for ``unit_id`` only, unless None); the revoked ids."""
        now = self._clock.now()
        revoked: list[VisitorPass] = []
        for visitor_pass in self.hosted(tenant_id, user_id):
            if (
                (unit_id is not None and visitor_pass.unit_id != unit_id)
                or visitor_pass.status is not PassStatus.ACTIVE
                or visitor_pass.valid_until <= now
            ):
                continue
            try:
                revoked.append(self._passes.revoke(tenant_id, visitor_pass.pass_id, MOVED_OUT, now))
            except Conflict:
                continue  # revoked meanwhile (by the host, or by this event's earlier delivery)
        for visitor_pass in revoked:
            self._audit.record(
                None,
                "pass.revoke",
                "pass",
                visitor_pass.pass_id,
                {"reason": reason, "unit_id": visitor_pass.unit_id, "event_id": event_id},
                actor=MOVED_OUT,
                tenant_id=tenant_id,
            )
        if revoked:
            self._events.publish_many(
                [
                    (
                        "PassRevoked",
                        PassRevoked(
                            tenant_id=tenant_id,
                            occurred_at=now,
                            pass_id=p.pass_id,
                            site_id=p.site_id,
                            host_user_id=p.host_user_id,
                            by=MOVED_OUT,
                        ),
                    )
                    for p in revoked
                ]
            )
        return [p.pass_id for p in revoked]

    def hosted(self, tenant_id: str, user_id: str) -> list[VisitorPass]:
        """Every pass ``user_id`` hosts, newest first (a resident hosts tens to hundreds)."""
        passes: list[VisitorPass] = []
        cursor: str | None = None
        while True:
            page = self._passes.host_page(tenant_id, user_id, PAGE, cursor)
            passes.extend(page.items)
            if not page.next_cursor:
                return passes
            cursor = page.next_cursor
