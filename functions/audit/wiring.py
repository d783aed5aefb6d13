"""The audit export's collaborators, built once per cold start by the kernel's wiring."""

from __future__ import annotations

from audit.repository import TableExports
from audit.service import AuditExportService
from audit.settings import settings
from courtyard.wiring import Wiring

wiring = Wiring(settings, source="courtyard.audit")

service = wiring.factory(
    lambda: AuditExportService(
        TableExports(), wiring.config.audit_table_arn, wiring.config.audit_archive_bucket, wiring.clock
    )
)
