"""What the visitors table holds about a host, read for their export (``PersonalDataExportRequested``): the
passes they host (gsi1 ``HOST#``) and each pass's visit-log lines (gsi1 ``PASSLOG#``)."""

from __future__ import annotations

from typing import Any

from courtyard.table import Table
from visitors import keys


class PassExportReader:
    def __init__(self, table: Table) -> None:
        self._table = table

    def hosted_passes(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=keys.host_index(tenant_id, user_id), index="gsi1")

    def pass_scans(self, tenant_id: str, pass_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=keys.pass_log_index(tenant_id, pass_id), index="gsi1")
