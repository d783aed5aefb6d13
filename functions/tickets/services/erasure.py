"""An erased resident's tickets keep their history, not the person (``ResidentErased``, issue 17): every
ticket they reported is anonymised (repositories/erasure.py). Idempotent: a ticket already anonymised is no
longer on the reporter's index, so a redelivered event finds nothing more to do."""

from __future__ import annotations

from typing import Protocol

from schemas.events import ResidentErased


class Scrubber(Protocol):
    def reported_ticket_ids(self, tenant_id: str, user_id: str) -> list[str]: ...
    def scrub_ticket(self, tenant_id: str, ticket_id: str, user_id: str) -> None: ...


class ReporterErasure:
    def __init__(self, scrubber: Scrubber) -> None:
        self._scrubber = scrubber

    def forget(self, erased: ResidentErased) -> int:
        """Anonymise the tickets ``erased.user_id`` reported; how many. A person who never signed in
        reported nothing themself."""
        if not erased.user_id:
            return 0
        ticket_ids = self._scrubber.reported_ticket_ids(erased.tenant_id, erased.user_id)
        for ticket_id in ticket_ids:
            self._scrubber.scrub_ticket(erased.tenant_id, ticket_id, erased.user_id)
        return len(ticket_ids)
