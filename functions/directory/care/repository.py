"""The care list in the directory table.

Items (tenant-prefixed):
- the resident's profile carries ``care`` (a string set of flags) and ``care_note``, so the kernel's reader
  sees a care-list unit (``DirectoryReader.unit_in_care``) without another lookup;
- ``T#{t}#CARE`` / ``RES#{resident_id}``: the care list itself (flags, note), read by the desk without a scan;
- ``T#{t}#CARE#VISIT#{month}`` / ``RES#{resident_id}``: the outcome of that month's return-visit call,
  written once (a conditional put).

Flags from an import are added (``ADD`` on string sets: a re-import changes nothing); the desk's change sets
them exactly.
"""

from __future__ import annotations

from typing import Any

from courtyard.directory import Keys
from courtyard.dynamo import tenant_key
from courtyard.errors import Conflict, NotFound
from directory.table import DirectoryTable


def care_list_partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "CARE")


def visit_partition(tenant_id: str, month: str) -> str:
    return tenant_key(tenant_id, "CARE", "VISIT", month)


class CareRepository:
    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def set_care(self, tenant_id: str, resident_id: str, flags: list[str], note: str | None, at: str) -> None:
        """The desk's change: exactly these flags (none: off the list)."""
        profile = Keys.resident(tenant_id, resident_id)
        entry = {"pk": care_list_partition(tenant_id), "sk": f"RES#{resident_id}"}
        exists = "attribute_exists(pk) AND attribute_not_exists(erased_at)"
        if flags:
            actions = [
                self._table.update_action(
                    profile,
                    "SET care = :flags, care_note = :note, updated_at = :at",
                    {":flags": set(flags), ":note": note or "", ":at": at},
                    condition=exists,
                ),
                self._table.put_action(
                    {
                        **entry,
                        "tenant_id": tenant_id,
                        "resident_id": resident_id,
                        "flags": set(flags),
                        "note": note or "",
                        "updated_at": at,
                    }
                ),
            ]
        else:
            actions = [
                self._table.update_action(
                    profile, "REMOVE care, care_note SET updated_at = :at", {":at": at}, condition=exists
                ),
                self._table.delete_action(entry),
            ]
        try:
            self._table.transact(actions, conflict="resident")
        except Conflict:
            raise NotFound("resident") from None

    def add_flags(self, tenant_id: str, resident_id: str, flags: list[str]) -> None:
        """An import's flags, added to what the resident has: a re-import writes the same values (no time
        stamp moves), so committing a file again changes nothing."""
        if not flags:
            return
        self._table.update(Keys.resident(tenant_id, resident_id), "ADD care :flags", {":flags": set(flags)})
        self._table.update(
            {"pk": care_list_partition(tenant_id), "sk": f"RES#{resident_id}"},
            "ADD flags :flags SET resident_id = :rid, tenant_id = :t",
            {":flags": set(flags), ":rid": resident_id, ":t": tenant_id},
        )

    def care_list(self, tenant_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=care_list_partition(tenant_id), sk_prefix="RES#")

    def visits(self, tenant_id: str, month: str) -> dict[str, dict[str, Any]]:
        items = self._table.query_all(partition=visit_partition(tenant_id, month), sk_prefix="RES#")
        return {str(i["resident_id"]): i for i in items}

    def record_visit(self, tenant_id: str, month: str, resident_id: str, outcome: dict[str, Any]) -> None:
        """The month's call, once: a second outcome for the same month is a Conflict."""
        self._table.put(
            {
                "pk": visit_partition(tenant_id, month),
                "sk": f"RES#{resident_id}",
                "tenant_id": tenant_id,
                "resident_id": resident_id,
                "month": month,
                **outcome,
            },
            condition="attribute_not_exists(pk)",
            conflict="this month's return visit is already recorded",
        )

    def resident_name(self, tenant_id: str, resident_id: str) -> str | None:
        item = self._table.get(Keys.resident(tenant_id, resident_id))
        if not item or item.get("erased_at"):
            return None
        return str(item.get("name", ""))
