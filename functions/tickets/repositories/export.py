"""What the tickets table holds about a reporter, read for their export (``PersonalDataExportRequested``):
their tickets on gsi2 and each ticket's partition (the ticket, timeline, comments, photos)."""

from __future__ import annotations

from typing import Any

from courtyard.table import Table
from tickets import keys
from tickets.repositories.erasure import ReporterScrubber


class TicketExportReader:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._reporters = ReporterScrubber(table)

    def reported_ticket_ids(self, tenant_id: str, user_id: str) -> list[str]:
        return self._reporters.reported_ticket_ids(tenant_id, user_id)

    def ticket_items(self, tenant_id: str, ticket_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=keys.ticket_partition(tenant_id, ticket_id))
