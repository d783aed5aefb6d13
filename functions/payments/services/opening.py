"""Opening balances at go-live (manager, finance): the old system's arrears and prepayments per unit,
validated like the directory import (a report first: ``commit`` false writes nothing), then committed once per
unit (a re-import is a no-op). The rules are ``payments.opening_balances``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from courtyard.audit import AuditWriter
from courtyard.clock import Clock
from courtyard.directory import DirectoryReader
from courtyard.errors import NotFound, Unprocessable
from courtyard.tenancy import TenantContext
from payments.access import MANAGERS
from payments.bank_statement import StatementError, csv_rows, xlsx_rows
from payments.opening_balances import Problem, plan, validate
from payments.repository import PaymentsRepository


@dataclass(frozen=True)
class OpeningReport:
    rows: int
    valid: int
    problems: list[Problem] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    existing: int = 0


class OpeningBalanceService:
    def __init__(
        self, repo: PaymentsRepository, directory: DirectoryReader, audit: AuditWriter, clock: Clock
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._clock = clock

    def import_balances(
        self, ctx: TenantContext, site_id: str, filename: str, content: bytes, go_live: date, commit: bool
    ) -> OpeningReport:
        ctx.require(*MANAGERS)
        if not self._directory.site_exists(ctx.tenant_id, site_id):
            raise NotFound("community")
        units = self._directory.site_units(ctx.tenant_id, site_id)
        codes: dict[str, tuple[str, str]] = {}
        for unit in units:
            for code in (unit.room_key, unit.label):
                if code:
                    codes[code] = (unit.unit_id, unit.label or unit.room_key)
        try:
            rows = xlsx_rows(content) if filename.lower().endswith(".xlsx") else csv_rows(content)
            valid, problems = validate(rows, codes)
        except (StatementError, ValueError) as error:
            raise Unprocessable(str(error), [{"loc": ["body", "content_base64"], "type": "sheet"}]) from error
        report = OpeningReport(len(valid) + len(problems), len(valid), problems)
        if not commit:
            return report
        tenant = self._directory.tenant(ctx.tenant_id)
        currency = tenant.currency if tenant else "CNY"
        now = self._clock.now()
        created = 0
        for opening in valid:
            # One opening bill per unit, whatever the import: its id is derived from the unit.
            digest = hashlib.sha256(f"{ctx.tenant_id}|{opening.unit_id}|opening".encode()).hexdigest()
            bill_id = "OPEN" + digest[:22].upper()
            bill, entries, credit = plan(opening, ctx.tenant_id, site_id, bill_id, go_live, currency, now)
            if self._repo.open_balance(ctx.tenant_id, opening.unit_id, bill, entries, credit):
                created += 1
        self._audit.record(
            ctx, "import", "opening_balances", site_id, {"valid": len(valid), "created": created}
        )
        return OpeningReport(report.rows, report.valid, problems, True, created, len(valid) - created)
