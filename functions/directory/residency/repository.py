"""Ending a resident link as items of the directory table (the people's items, see people/repository.py).

Ending is one transaction: both sides of the live link are deleted (so every feature reading the directory
stops seeing the resident in the unit at once), an ended-link item is written in the resident's partition
(``PAST#{unit_id}#{until}``: relation, since, until, reason, who ended it; no personal data), and the unit's
primary contact moves to the successor or is removed, under a condition on the unit's current primary.
"""

from __future__ import annotations

from typing import Any

from courtyard.directory import Keys
from courtyard.errors import Conflict
from directory.people.models import ResidentLink
from directory.people.repository import PeopleRepository, TransactionRefused
from directory.residency.models import EndedResidence, EndReason
from directory.table import DirectoryTable

PAST_PREFIX = "PAST#"


class ResidencyRepository:
    def __init__(self, table: DirectoryTable, people: PeopleRepository) -> None:
        self._table = table
        self._people = people

    def end(
        self, tenant_id: str, leaving: ResidentLink, ended: EndedResidence, successor: ResidentLink | None
    ) -> None:
        """End ``leaving``; when it was the unit's primary contact, ``successor`` takes over (or nobody)."""
        tx = self._people.tx()
        for key in (
            Keys.unit_member(tenant_id, leaving.unit_id, leaving.resident_id),
            Keys.resident_unit(tenant_id, leaving.resident_id, leaving.unit_id),
        ):
            tx.delete("link", key, "attribute_exists(pk)")
        tx.put("past", _past_item(tenant_id, ended), "attribute_not_exists(pk)")
        unit = Keys.unit(tenant_id, leaving.unit_id)
        if leaving.primary:
            if successor is None:
                tx.update(
                    "unit",
                    unit,
                    "REMOVE primary_resident_id",
                    {":old": leaving.resident_id},
                    condition="primary_resident_id = :old",
                )
            else:
                tx.update(
                    "unit",
                    unit,
                    "SET primary_resident_id = :new",
                    {":old": leaving.resident_id, ":new": successor.resident_id},
                    condition="primary_resident_id = :old",
                )
                for key in (
                    Keys.unit_member(tenant_id, successor.unit_id, successor.resident_id),
                    Keys.resident_unit(tenant_id, successor.resident_id, successor.unit_id),
                ):
                    tx.update(
                        "successor",
                        key,
                        "SET #primary = :true",
                        {":true": True},
                        names={"#primary": "primary"},
                        condition="attribute_exists(pk)",
                    )
        try:
            tx.run()
        except TransactionRefused as refused:
            raise Conflict("the unit's residents changed meanwhile; reload and retry") from refused

    def past(self, tenant_id: str, resident_id: str) -> list[EndedResidence]:
        """The resident's ended links, oldest first."""
        items = self._table.query_all(
            partition=Keys.resident_partition(tenant_id, resident_id), sk_prefix=PAST_PREFIX
        )
        return sorted((_ended(item) for item in items), key=lambda e: (e.until, e.unit_id))


def _past_item(tenant_id: str, ended: EndedResidence) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": Keys.resident_partition(tenant_id, ended.resident_id),
        "sk": f"{PAST_PREFIX}{ended.unit_id}#{ended.until}",
        "tenant_id": tenant_id,
        "resident_id": ended.resident_id,
        "unit_id": ended.unit_id,
        "site_id": ended.site_id,
        "room_key": ended.room_key,
        "relation": ended.relation,
        "was_primary": ended.was_primary,
        "since": ended.since,
        "until": ended.until,
        "reason": ended.reason.value,
        "ended_by": ended.ended_by,
    }
    if ended.promoted_resident_id:
        item["promoted_resident_id"] = ended.promoted_resident_id
    return item


def _ended(item: dict[str, Any]) -> EndedResidence:
    promoted = item.get("promoted_resident_id")
    return EndedResidence(
        resident_id=str(item["resident_id"]),
        unit_id=str(item["unit_id"]),
        site_id=str(item.get("site_id", "")),
        room_key=str(item.get("room_key", "")),
        relation=str(item.get("relation", "")),
        was_primary=bool(item.get("was_primary", False)),
        since=str(item.get("since", "")),
        until=str(item["until"]),
        reason=EndReason(str(item["reason"])),
        ended_by=str(item.get("ended_by", "")),
        promoted_resident_id=str(promoted) if promoted else None,
    )
