"""Who a Cognito user is in the directory: the user link's ``person_id`` (one GetItem per token issued)."""

from __future__ import annotations

from courtyard.directory_cache import shared_reader
from courtyard.settings import FunctionSettings


class DirectoryPeople:
    def person_id(self, tenant_id: str, user_id: str) -> str | None:
        reader = shared_reader(FunctionSettings.from_environment().directory_table)
        link = reader.user(tenant_id, user_id)
        return link.person_id if link is not None else None
