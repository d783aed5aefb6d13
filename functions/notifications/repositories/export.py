"""What notifications holds about a login, read for their export (``PersonalDataExportRequested``): the
items of their inbox partition and of their settings partition (preferences, push endpoints)."""

from __future__ import annotations

from typing import Any

from courtyard.table import Table
from notifications import keys


class PersonExportReader:
    def __init__(self, table: Table) -> None:
        self._table = table

    def inbox_items(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=keys.inbox_partition(tenant_id, user_id), sk_prefix="MSG#")

    def settings_items(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=keys.user_partition(tenant_id, user_id))
