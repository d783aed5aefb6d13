"""Bank statement reconciliation (finance, manager): a statement's inflows matched to a community's open bills
(``payments.statement_matching``); matched inflows settle their bills as bank-transfer payments through the
counter's rule, each once per statement line (the line's digest is the payment's idempotency claim and the
line's record is written only once), so a statement imported twice settles nothing twice. The rest are
exceptions that finance confirms (naming the unit and bills) or dismisses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from courtyard.audit import AuditWriter
from courtyard.clock import Clock
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, NotFound, Unprocessable
from courtyard.tenancy import TenantContext
from payments import fees
from payments.access import MANAGERS
from payments.bank_statement import Inflow, StatementError, read
from payments.domain import today_in
from payments.ledger_models import CounterPaymentCreate
from payments.repositories.statements import StatementLines
from payments.repository import PaymentsRepository
from payments.services.counter import CounterService
from payments.statement_matching import Match, OpenBill, UnitFacts, match

BANK = "bank-statement"  # the clerk of payments a statement line made


@dataclass(frozen=True)
class ImportReport:
    lines: int
    duplicates: int
    already_imported: int
    matched: int
    exceptions: int
    settled_amount: int


class BankStatementService:
    def __init__(
        self,
        repo: PaymentsRepository,
        lines: StatementLines,
        counter: CounterService,
        directory: DirectoryReader,
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._lines = lines
        self._counter = counter
        self._directory = directory
        self._audit = audit
        self._clock = clock

    def import_statement(
        self, ctx: TenantContext, site_id: str, filename: str, content: bytes
    ) -> ImportReport:
        ctx.require(*MANAGERS)
        if not self._directory.site_exists(ctx.tenant_id, site_id):
            raise NotFound("community")
        try:
            inflows, duplicates = read(content, filename)
        except StatementError as error:
            raise Unprocessable(
                str(error), [{"loc": ["body", "content_base64"], "type": "statement"}]
            ) from error
        fresh = [i for i in inflows if self._lines.get(ctx.tenant_id, site_id, i.line_id) is None]
        payers = self._payers(ctx.tenant_id, site_id)
        results = match(
            fresh, self._open_bills(ctx.tenant_id, site_id), self._units(ctx.tenant_id, site_id, payers)
        )
        matched = exceptions = settled = 0
        for result in results:
            if result.matched and result.unit_id:
                payment_id = self._settle(ctx.tenant_id, result.inflow, result.unit_id, list(result.bill_ids))
                if payment_id is not None:
                    record = _record(result, "matched", payers, payment_id)
                    self._lines.add(ctx.tenant_id, site_id, result.inflow.line_id, record)
                    matched += 1
                    settled += result.inflow.amount
                    continue
            self._lines.add(
                ctx.tenant_id, site_id, result.inflow.line_id, _record(result, "exception", payers)
            )
            exceptions += 1
        report = ImportReport(
            len(inflows), duplicates, len(inflows) - len(fresh), matched, exceptions, settled
        )
        self._audit.record(
            ctx, "import", "bank_statement", site_id, {"file": filename[:100], **report.__dict__}
        )
        return report

    def exceptions(self, ctx: TenantContext, site_id: str) -> list[dict[str, Any]]:
        ctx.require(*MANAGERS)
        return [
            line for line in self._lines.lines(ctx.tenant_id, site_id) if line.get("state") == "exception"
        ]

    def confirm(
        self, ctx: TenantContext, site_id: str, line_id: str, unit_id: str, bill_ids: list[str]
    ) -> str:
        ctx.require(*MANAGERS)
        line = self._open_line(ctx, site_id, line_id)
        inflow = Inflow(
            line_id,
            int(line["row"]),
            date.fromisoformat(str(line["on"])),
            int(line["amount"]),
            str(line["name"]),
            "",
            str(line.get("memo", "")),
        )
        payment_id = self._settle(ctx.tenant_id, inflow, unit_id, bill_ids, strict=True)
        assert payment_id is not None
        self._lines.resolve(
            ctx.tenant_id,
            site_id,
            line_id,
            {
                "state": "confirmed",
                "payment_id": payment_id,
                "resolved_by": ctx.user_id,
                "resident_ids": _named(inflow.name, [unit_id], self._payers(ctx.tenant_id, site_id)),
            },
        )
        self._audit.record(ctx, "confirm", "bank_line", line_id, {"payment_id": payment_id})
        return payment_id

    def dismiss(self, ctx: TenantContext, site_id: str, line_id: str) -> None:
        ctx.require(*MANAGERS)
        self._open_line(ctx, site_id, line_id)
        self._lines.resolve(
            ctx.tenant_id, site_id, line_id, {"state": "dismissed", "resolved_by": ctx.user_id}
        )
        self._audit.record(ctx, "dismiss", "bank_line", line_id, {})

    def line(self, ctx: TenantContext, site_id: str, line_id: str) -> dict[str, Any]:
        ctx.require(*MANAGERS)
        line = self._lines.get(ctx.tenant_id, site_id, line_id)
        if line is None:
            raise NotFound("statement line")
        return line

    def _open_line(self, ctx: TenantContext, site_id: str, line_id: str) -> dict[str, Any]:
        line = self._lines.get(ctx.tenant_id, site_id, line_id)
        if line is None:
            raise NotFound("statement line")
        if line.get("state") != "exception":
            raise Conflict("this line is no longer an open exception")
        return line

    def _settle(
        self, tenant_id: str, inflow: Inflow, unit_id: str, bill_ids: list[str], strict: bool = False
    ) -> str | None:
        request = CounterPaymentCreate(
            unit_id=unit_id,
            bill_ids=bill_ids,
            amount=inflow.amount,
            channel="bank_transfer",
            note=f"{inflow.on.isoformat()} {inflow.name} {inflow.memo}"[:200],
        )
        claim = (BANK, inflow.line_id, inflow.line_id)
        try:
            payment, _ = self._counter.take(tenant_id, BANK, request, claim)
        except (Conflict, NotFound):
            if strict:
                raise
            return None  # a bill was paid meanwhile: finance looks at it among the exceptions
        return payment.payment_id

    def _open_bills(self, tenant_id: str, site_id: str) -> list[OpenBill]:
        tenant = self._directory.tenant(tenant_id)
        today = today_in(self._clock.now(), tenant.timezone if tenant else "Asia/Shanghai")
        return [
            OpenBill(b.bill_id, b.unit_id, b.amount_due + fees.late_fee_due(b, today))
            for b in self._repo.site_bills(tenant_id, site_id)
            if b.status.value == "issued" and b.amount_due > 0
        ]

    def _payers(self, tenant_id: str, site_id: str) -> dict[str, list[tuple[str, str]]]:
        """unit id -> its residents as (resident id, name)."""
        payers: dict[str, list[tuple[str, str]]] = {}
        names: dict[str, str] = {}
        for link in self._directory.site_resident_links(tenant_id, site_id):
            if link.resident_id not in names:
                contact = self._directory.contact(tenant_id, "resident", link.resident_id)
                names[link.resident_id] = contact.name if contact else ""
            if names[link.resident_id]:
                payers.setdefault(link.unit_id, []).append((link.resident_id, names[link.resident_id]))
        return payers

    def _units(
        self, tenant_id: str, site_id: str, payers: dict[str, list[tuple[str, str]]]
    ) -> list[UnitFacts]:
        return [
            UnitFacts(
                u.unit_id,
                tuple(c for c in (u.label, u.room_key) if c),
                tuple(name for _, name in payers.get(u.unit_id, ())),
            )
            for u in self._directory.site_units(tenant_id, site_id)
        ]


def _named(name: str, unit_ids: list[str], payers: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The residents of these units whose name is the counterparty's: whom the line names, so that their
    erasure finds it (payments.repositories.erasure)."""
    wanted = name.strip()
    return sorted({rid for u in unit_ids for rid, known in payers.get(u, ()) if known.strip() == wanted})


def _record(
    result: Match, state: str, payers: dict[str, list[tuple[str, str]]], payment_id: str | None = None
) -> dict[str, Any]:
    inflow = result.inflow
    units = [result.unit_id] if result.unit_id else sorted({u for u, _ in result.candidates})
    return {
        "resident_ids": _named(inflow.name, units, payers),
        "entity": "bank_line",
        "state": state,
        "outcome": result.outcome,
        "row": inflow.row,
        "on": inflow.on.isoformat(),
        "amount": inflow.amount,
        "name": inflow.name[:100],
        "account_tail": inflow.account[-4:],
        "memo": inflow.memo[:200],
        "payment_id": payment_id,
        "candidates": [{"unit_id": u, "bill_id": b} for u, b in result.candidates],
    }
