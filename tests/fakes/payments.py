"""Payments' table in memory, as the reads take it (``payments.services.queries.Repository``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from payments.domain import Bill, LedgerEntry

from courtyard.cursor import CursorCodec
from courtyard.dynamo import Page
from courtyard.table import Table


@dataclass
class InMemoryPayments:
    bills: dict[tuple[str, str], Bill] = field(default_factory=dict)
    entries: dict[tuple[str, str], list[LedgerEntry]] = field(default_factory=dict)
    unit_credits: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Only its cursor codec is used (ledger pages); no AWS call is ever made through it.
    table: Table = field(default_factory=lambda: Table("payments-in-memory", CursorCodec(b"k" * 32)))

    def add(self, bill: Bill) -> Bill:
        self.bills[(bill.tenant_id, bill.bill_id)] = bill
        return bill

    def bill(self, tenant_id: str, bill_id: str, *, consistent: bool = False) -> Bill | None:
        return self.bills.get((tenant_id, bill_id))

    def bills_page(
        self,
        tenant_id: str,
        *,
        unit_ids: list[str] | None,
        site_id: str | None,
        period: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Bill]:
        found = [
            b
            for (t, _), b in self.bills.items()
            if t == tenant_id
            and (unit_ids is None or b.unit_id in unit_ids)
            and (site_id is None or b.site_id == site_id)
            and (period is None or b.period == period)
            and (status is None or b.status.value == status)
        ]
        found.sort(key=lambda b: (b.period, b.bill_id), reverse=True)
        return Page(items=found[:limit])

    def site_bills(self, tenant_id: str, site_id: str, from_period: str | None = None) -> list[Bill]:
        return [
            b
            for (t, _), b in self.bills.items()
            if t == tenant_id and b.site_id == site_id and (from_period is None or b.period >= from_period)
        ]

    def credits(self, tenant_id: str, site_id: str) -> dict[str, int]:
        return dict(self.unit_credits.get((tenant_id, site_id), {}))

    def ledger(self, tenant_id: str, unit_id: str) -> list[LedgerEntry]:
        return list(self.entries.get((tenant_id, unit_id), []))

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        return self.documents.get(tenant_id)

    def put_settings(self, tenant_id: str, values: dict[str, Any]) -> None:
        self.documents[tenant_id] = values

    def reconciliation(self, tenant_id: str, day: str) -> dict[str, Any] | None:
        return self.reports.get((tenant_id, day))
