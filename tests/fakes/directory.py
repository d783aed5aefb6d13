"""The directory's care list in memory (``directory.care.service.CareStore``): residents by id (name, erased
or not), the care list, and each month's return-visit outcomes written once, as ``CareRepository`` keeps
them in the directory table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from courtyard.errors import Conflict, NotFound


@dataclass
class InMemoryCare:
    # (tenant, resident) -> name; erased residents are kept, as the table keeps their tombstone
    residents: dict[tuple[str, str], str] = field(default_factory=dict)
    erased: set[tuple[str, str]] = field(default_factory=set)
    listed: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def add_resident(self, tenant_id: str, resident_id: str, name: str) -> None:
        self.residents[(tenant_id, resident_id)] = name

    def set_care(self, tenant_id: str, resident_id: str, flags: list[str], note: str | None, at: str) -> None:
        key = (tenant_id, resident_id)
        if key not in self.residents or key in self.erased:
            raise NotFound("resident")
        if flags:
            self.listed[key] = {
                "tenant_id": tenant_id,
                "resident_id": resident_id,
                "flags": set(flags),
                "note": note or "",
                "updated_at": at,
            }
        else:
            self.listed.pop(key, None)

    def care_list(self, tenant_id: str) -> list[dict[str, Any]]:
        return [dict(item) for (t, rid), item in sorted(self.listed.items()) if t == tenant_id]

    def visits(self, tenant_id: str, month: str) -> dict[str, dict[str, Any]]:
        done = self.outcomes.items()
        return {rid: dict(item) for (t, m, rid), item in done if (t, m) == (tenant_id, month)}

    def record_visit(self, tenant_id: str, month: str, resident_id: str, outcome: dict[str, Any]) -> None:
        key = (tenant_id, month, resident_id)
        if key in self.outcomes:
            raise Conflict("this month's return visit is already recorded")
        self.outcomes[key] = {
            "tenant_id": tenant_id,
            "resident_id": resident_id,
            "month": month,
            **outcome,
        }

    def resident_name(self, tenant_id: str, resident_id: str) -> str | None:
        key = (tenant_id, resident_id)
        if key not in self.residents or key in self.erased:
            return None
        return self.residents[key]
