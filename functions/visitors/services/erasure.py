"""An erased resident keeps no live pass and no pass keeps what they typed about their visitors
(``ResidentErased``, issue 17): every live pass they host is revoked, then every pass they host loses its
personal fields (repositories/erasure.py). Both steps are idempotent, so a redelivered event changes nothing.
"""

from __future__ import annotations

from typing import Protocol

from schemas.events import ResidentErased
from visitors.services.moveout import MoveOutRevocation


class Scrubber(Protocol):
    def scrub(self, tenant_id: str, pass_id: str) -> None: ...


class HostErasure:
    def __init__(self, revocation: MoveOutRevocation, scrubber: Scrubber) -> None:
        self._revocation = revocation
        self._scrubber = scrubber

    def forget(self, erased: ResidentErased) -> int:
        """Revoke and scrub the passes ``erased.user_id`` hosts; the number of passes scrubbed."""
        if not erased.user_id:
            return 0
        self._revocation.revoke_hosted(
            erased.tenant_id, erased.user_id, None, "resident_erased", erased.event_id
        )
        hosted = self._revocation.hosted(erased.tenant_id, erased.user_id)
        for visitor_pass in hosted:
            self._scrubber.scrub(erased.tenant_id, visitor_pass.pass_id)
        return len(hosted)
