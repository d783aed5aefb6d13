"""The public resolve of an SMS's short link: where ``{app}/s/{code}`` leads (ids and an app path only)."""

from __future__ import annotations

from courtyard.errors import NotFound
from notifications.models import LinkOut
from notifications.repositories.links import LinksRepository
from notifications.short_links import CODE_PATTERN


class LinkResolver:
    def __init__(self, links: LinksRepository) -> None:
        self._links = links

    def resolve(self, code: str) -> LinkOut:
        """The page of a link; an unknown, expired or malformed code is a 404 (nothing is told about it)."""
        link = self._links.link(code) if CODE_PATTERN.match(code) else None
        if link is None:
            raise NotFound("link")
        target = link.target
        return LinkOut(kind=target.kind, target_id=target.target_id, path=target.path, url=target.url)
