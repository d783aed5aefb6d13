"""The revocation entries of a community (written by ``VisitorsRepository.revoke`` in its transaction)."""

from __future__ import annotations

from datetime import datetime

from courtyard.clock import to_iso
from courtyard.table import Table, deserialize, serialize
from visitors import keys


class RevocationsRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def revoked_in_window(self, tenant_id: str, site_id: str, now: datetime) -> list[tuple[str, str]]:
        """(pass id, valid_until) of the community's revoked passes whose window has not ended."""
        pages = self._table.client.get_paginator("query").paginate(
            TableName=self._table.name,
            KeyConditionExpression="pk = :pk AND sk >= :now",
            ExpressionAttributeValues=serialize(
                {":pk": keys.revocations(tenant_id, site_id), ":now": to_iso(now)}
            ),
        )
        return [
            (str(item["pass_id"]), str(item["valid_until"]))
            for page in pages
            for item in map(deserialize, page.get("Items", []))
        ]
