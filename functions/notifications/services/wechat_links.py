"""A resident's WeChat reaches notifications by identity's ``ResidentWeChatLinked`` (features never import
each other): the openid is kept with the person's settings, so the sender can put WeChat ahead of SMS.
Applying the same event twice, or an older one after a newer, leaves the newest link."""

from __future__ import annotations

from typing import Protocol

from courtyard.clock import to_iso
from schemas.events import ResidentWeChatLinked


class Links(Protocol):
    def link(self, tenant_id: str, user_id: str, openid: str, person_id: str, linked_at: str) -> bool: ...


class WeChatLinking:
    def __init__(self, links: Links) -> None:
        self._links = links

    def on_linked(self, event: ResidentWeChatLinked) -> bool:
        """Keep the event's openid for the resident's login; False when a newer link is already kept."""
        return self._links.link(
            event.tenant_id, event.user_id, event.openid, event.resident_id, to_iso(event.occurred_at)
        )
