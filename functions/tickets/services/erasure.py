"""An erased resident's tickets keep their history, not the person (``ResidentErased``, issue 17): every
ticket they reported is anonymised (repositories/erasure.py), under their login and, for the tickets the
desk filed for them while they had none (assisted mode), under their record (``resident-{id}``).
Idempotent: a ticket already anonymised is no longer on the reporter's index, so a redelivered event finds
nothing more to do."""

from __future__ import annotations

from typing import Protocol

from schemas.events import ResidentErased
from tickets.domain import assisted_reporter


class Scrubber(Protocol):
    def reported_ticket_ids(self, tenant_id: str, user_id: str) -> list[str]: ...
    def scrub_ticket(self, tenant_id: str, ticket_id: str, user_id: str) -> None: ...


class ReporterErasure:
    def __init__(self, scrubber: Scrubber) -> None:
        self._scrubber = scrubber

    def forget(self, erased: ResidentErased) -> int:
        """Anonymise the tickets the person reported; how many. They stand under their login
        (``erased.user_id``, if they ever signed in) or, filed for them by the desk before they had one,
        under their record: both are looked up, whether or not they signed in since."""
        reporters = [assisted_reporter(erased.resident_id)]
        if erased.user_id:
            reporters.insert(0, erased.user_id)
        scrubbed = 0
        for reporter in reporters:
            ticket_ids = self._scrubber.reported_ticket_ids(erased.tenant_id, reporter)
            for ticket_id in ticket_ids:
                self._scrubber.scrub_ticket(erased.tenant_id, ticket_id, reporter)
            scrubbed += len(ticket_ids)
        return scrubbed
