"""Care list use cases: the desk flags a resident (elderly living alone, disabled, needing assistance), lists
the care list, and works through the month's return-visit calls, one per flagged resident per month, each
outcome recorded once.

The month's calls are the care list seen through that month: every resident flagged appears exactly once,
to call until its outcome is recorded (a conditional write keyed by month and resident). So there is no
job that could miss a month or create a call twice; a resident flagged mid-month is called that month.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.errors import NotFound
from courtyard.tenancy import Role, TenantContext
from directory.care.models import CareIn, CareListOut, CareOut, VisitIn, VisitListOut, VisitOut
from directory.care.rules import CareFlag, visit_month

DESK = (Role.SERVICE_DESK, Role.MANAGER)


class CareStore(Protocol):
    """What the use cases need of ``CareRepository`` (in memory: ``tests.fakes.directory.InMemoryCare``)."""

    def set_care(
        self, tenant_id: str, resident_id: str, flags: list[str], note: str | None, at: str
    ) -> None: ...
    def care_list(self, tenant_id: str) -> list[dict[str, Any]]: ...
    def visits(self, tenant_id: str, month: str) -> dict[str, dict[str, Any]]: ...
    def record_visit(self, tenant_id: str, month: str, resident_id: str, outcome: dict[str, Any]) -> None: ...
    def resident_name(self, tenant_id: str, resident_id: str) -> str | None: ...


class CareService:
    def __init__(
        self, repo: CareStore, audit: AuditLog, clock: Clock, timezone_of: Callable[[str], str]
    ) -> None:
        self._repo = repo
        self._audit = audit
        self._clock = clock
        self._timezone_of = timezone_of

    def set_care(self, ctx: TenantContext, resident_id: str, body: CareIn) -> CareOut:
        ctx.require(*DESK)
        flags = sorted({flag.value for flag in body.flags})
        self._repo.set_care(ctx.tenant_id, resident_id, flags, body.note, to_iso(self._clock.now()))
        self._audit.record(ctx, "resident.care.set", "resident", resident_id, details={"flags": flags})
        name = self._repo.resident_name(ctx.tenant_id, resident_id) or ""
        return CareOut(resident_id=resident_id, name=name, flags=[CareFlag(f) for f in flags], note=body.note)

    def care_list(self, ctx: TenantContext) -> CareListOut:
        ctx.require(*DESK)
        return CareListOut(items=[self._entry(ctx.tenant_id, item) for item in self._listed(ctx.tenant_id)])

    def visits(self, ctx: TenantContext, month: str | None) -> VisitListOut:
        ctx.require(*DESK)
        month = month or visit_month(self._clock.now(), self._timezone_of(ctx.tenant_id))
        done = self._repo.visits(ctx.tenant_id, month)
        items = []
        for item in self._listed(ctx.tenant_id):
            entry = self._entry(ctx.tenant_id, item)
            visit = done.get(entry.resident_id)
            items.append(
                VisitOut(
                    resident_id=entry.resident_id,
                    name=entry.name,
                    flags=entry.flags,
                    month=month,
                    status="done" if visit else "to_call",
                    outcome=visit.get("outcome") if visit else None,
                    note=visit.get("note") or None if visit else None,
                    recorded_at=visit.get("recorded_at") if visit else None,
                    recorded_by=visit.get("recorded_by") if visit else None,
                )
            )
        items.sort(key=lambda v: (v.status != "to_call", v.name, v.resident_id))
        to_call = sum(1 for v in items if v.status == "to_call")
        return VisitListOut(month=month, to_call=to_call, done=len(items) - to_call, items=items)

    def record_visit(self, ctx: TenantContext, month: str, resident_id: str, body: VisitIn) -> VisitOut:
        ctx.require(*DESK)
        listed = {str(i["resident_id"]): i for i in self._listed(ctx.tenant_id)}
        if resident_id not in listed:
            raise NotFound("care-list resident")
        at = to_iso(self._clock.now())
        self._repo.record_visit(
            ctx.tenant_id,
            month,
            resident_id,
            {"outcome": body.outcome, "note": body.note or "", "recorded_at": at, "recorded_by": ctx.user_id},
        )
        self._audit.record(ctx, "resident.care.visit", "resident", resident_id, details={"month": month})
        entry = self._entry(ctx.tenant_id, listed[resident_id])
        return VisitOut(
            resident_id=resident_id,
            name=entry.name,
            flags=entry.flags,
            month=month,
            status="done",
            outcome=body.outcome,
            note=body.note,
            recorded_at=at,
            recorded_by=ctx.user_id,
        )

    def _listed(self, tenant_id: str) -> list[dict[str, Any]]:
        return [item for item in self._repo.care_list(tenant_id) if item.get("flags")]

    def _entry(self, tenant_id: str, item: dict[str, Any]) -> CareOut:
        resident_id = str(item["resident_id"])
        return CareOut(
            resident_id=resident_id,
            name=self._repo.resident_name(tenant_id, resident_id) or "",
            flags=sorted(CareFlag(str(f)) for f in item.get("flags", ())),
            note=str(item.get("note") or "") or None,
        )
