"""The tickets' part of a person's export (``PersonalDataExportRequested``, issue 17).

The tickets the person reported, and those the desk filed for them (assisted mode: reported under their
login, or under ``resident-{id}`` before they had one), each with its timeline, comments and photos. The
rule (``ticket_record``, pure) keeps the person's own words and what the property told them; it leaves out
what is another person's: a co-resident's or neighbour's comments, the property's internal notes, other
people's timeline notes and user ids (the property's actions read ``property``). Writing the part again for
a redelivered message rewrites the same object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from courtyard.personal_export import PartWriter
from schemas.events import PersonalDataExportRequested

TICKET_FIELDS = (
    "ticket_id",
    "kind",
    "category",
    "description",
    "status",
    "priority",
    "site_id",
    "unit_id",
    "building_id",
    "location",
    "created_at",
    "assigned_at",
    "accepted_at",
    "started_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
    "rating",
    "rating_comment",
    "rated_at",
)
SELF = "self"
PROPERTY = "property"


class TicketRecords(Protocol):
    def reported_ticket_ids(self, tenant_id: str, user_id: str) -> list[str]: ...
    def ticket_items(self, tenant_id: str, ticket_id: str) -> list[dict[str, Any]]: ...


def reporter_keys(user_id: str | None, resident_id: str) -> list[str]:
    """Whom a ticket of the person is reported as: their login, and their record before they had one."""
    return [k for k in (user_id, f"resident-{resident_id}") if k]


def ticket_record(items: Sequence[Mapping[str, Any]], reporters: Sequence[str]) -> dict[str, Any] | None:
    """One ticket of the person, from its partition's items; None if it is not theirs (any more)."""
    ticket = next((i for i in items if i.get("sk") == "TICKET"), None)
    if ticket is None or ticket.get("reporter_user_id") not in reporters:
        return None
    mine = set(reporters)

    def who(user_id: Any) -> str:
        return SELF if user_id in mine else PROPERTY

    record: dict[str, Any] = {f: ticket.get(f) for f in TICKET_FIELDS}
    record["filed_by"] = who(ticket.get("filed_by_user_id"))
    uploads = {str(i.get("photo_id")): i for i in items if str(i.get("sk", "")).startswith("PHOTO#")}
    record["photos"] = []
    for photo in ticket.get("photos") or ():
        upload = uploads.get(str(photo.get("photo_id")), {})
        by = who(upload.get("uploaded_by"))
        record["photos"].append(
            {
                "photo_id": photo.get("photo_id"),
                "object_key": photo.get("object_key"),
                "content_type": photo.get("content_type"),
                "uploaded_by": by,
                "filename": upload.get("filename") if by == SELF else None,
            }
        )
    record["timeline"] = [
        {
            "at": e.get("at"),
            "action": e.get("action"),
            "from_status": e.get("from_status"),
            "to_status": e.get("to_status"),
            "by": who(e.get("actor")),
            "note": e.get("note") if who(e.get("actor")) == SELF else None,
        }
        for e in items
        if str(e.get("sk", "")).startswith("TL#")
    ]
    record["comments"] = [
        {"at": c.get("at"), "by": who(c.get("author_user_id")), "body": c.get("body")}
        for c in items
        if str(c.get("sk", "")).startswith("COMMENT#")
        and (c.get("author_user_id") in mine or (c.get("by_staff") and not c.get("internal")))
    ]
    return record


class TicketsExport:
    def __init__(self, records: TicketRecords, part: PartWriter) -> None:
        self._records = records
        self._part = part

    def write(self, asked: PersonalDataExportRequested, now: datetime) -> int:
        """Write the tickets' part; how many tickets it holds."""
        t = asked.tenant_id
        reporters = reporter_keys(asked.user_id, asked.resident_id)
        ticket_ids = sorted({i for r in reporters for i in self._records.reported_ticket_ids(t, r)})
        tickets = [
            record
            for ticket_id in ticket_ids
            if (record := ticket_record(self._records.ticket_items(t, ticket_id), reporters)) is not None
        ]
        tickets.sort(key=lambda r: str(r.get("created_at") or ""))
        self._part.write(t, asked.export_id, now, {"tickets": tickets})
        return len(tickets)
