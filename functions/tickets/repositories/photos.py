"""Ticket photo records in the tickets table: the photo items, the per-ticket slot counter, attaching.

Items (keys from ``tickets.keys`` and the ticket's partition):
- photo         pk TICKET#{id}, sk PHOTO#{photo_id}: photo_id, ticket_id, status (pending|attached),
                object_key, content_type, filename, uploaded_by, created_at; once attached: attached_at,
                size_bytes, version_id
- photo slots   pk TICKET#{id}, sk PHOTOS: ``taken``, the photos ever reserved on the ticket (pending or
                attached), raised only by a conditional update, so concurrent uploads cannot pass the limit

Attaching is one transaction: the photo goes pending -> attached, and its reference is appended to the ticket
item's ``photos`` list with ``ADD version 1``. The version bump makes an action saved from an older read of
the ticket fail its version check (409, reload and retry) instead of writing the list back without the photo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from courtyard.clock import parse_iso, to_iso
from courtyard.table import Table, serialize
from tickets import keys
from tickets.domain import TicketStatus
from tickets.models import PhotoRef
from tickets.repositories.tickets import photo_entry

PENDING = "pending"
ATTACHED = "attached"
SLOTS_SK = "PHOTOS"


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    tenant_id: str
    ticket_id: str
    photo_id: str
    status: str
    object_key: str
    content_type: str
    uploaded_by: str
    created_at: datetime
    filename: str | None = None
    attached_at: datetime | None = None
    size_bytes: int | None = None
    version_id: str | None = None

    def ref(self) -> PhotoRef:
        return PhotoRef(self.photo_id, self.object_key, self.content_type, self.version_id)


class PhotoRecords:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str, ticket_id: str, photo_id: str) -> PhotoRecord | None:
        item = self._table.get(keys.photo(tenant_id, ticket_id, photo_id), consistent=True)
        return _record(tenant_id, item) if item else None

    def reserve(self, record: PhotoRecord, max_photos: int) -> None:
        """Take one of the ticket's ``max_photos`` slots and write the pending photo, while the ticket exists
        and is neither closed nor cancelled; otherwise nothing is written and this is a Conflict."""
        t, ticket_id = record.tenant_id, record.ticket_id
        slots: dict[str, Any] = {
            "Update": {
                "TableName": self._table.name,
                "Key": serialize(_slots_key(t, ticket_id)),
                "UpdateExpression": "ADD taken :one SET entity = :entity",
                "ConditionExpression": "attribute_not_exists(taken) OR taken < :max",
                "ExpressionAttributeValues": serialize(
                    {":one": 1, ":max": max_photos, ":entity": "photo_slots"}
                ),
            }
        }
        open_ticket: dict[str, Any] = {
            "ConditionCheck": {
                "TableName": self._table.name,
                "Key": serialize(keys.ticket(t, ticket_id)),
                "ConditionExpression": "attribute_exists(pk) AND NOT (#status IN (:closed, :cancelled))",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": serialize(_final_statuses()),
            }
        }
        photo = self._table.put_action(_item(record), "attribute_not_exists(pk)")
        self._table.transact(
            [slots, open_ticket, photo],
            conflict=f"a ticket takes at most {max_photos} photos, and none once closed or cancelled",
        )

    def attach(self, record: PhotoRecord, size_bytes: int, version_id: str | None, at: datetime) -> None:
        """Mark the pending photo attached and append it to the ticket's ``photos``, in one transaction;
        a Conflict when it is no longer pending or the ticket was closed or cancelled meanwhile."""
        t, ticket_id = record.tenant_id, record.ticket_id
        attached = replace(record, version_id=version_id)
        photo_values: dict[str, Any] = {
            ":attached": ATTACHED,
            ":pending": PENDING,
            ":at": to_iso(at),
            ":size": size_bytes,
        }
        photo_expression = "SET #status = :attached, attached_at = :at, size_bytes = :size"
        if version_id is not None:
            photo_expression += ", version_id = :version"
            photo_values[":version"] = version_id
        photo: dict[str, Any] = {
            "Update": {
                "TableName": self._table.name,
                "Key": serialize(keys.photo(t, ticket_id, record.photo_id)),
                "UpdateExpression": photo_expression,
                "ConditionExpression": "#status = :pending",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": serialize(photo_values),
            }
        }
        ticket: dict[str, Any] = {
            "Update": {
                "TableName": self._table.name,
                "Key": serialize(keys.ticket(t, ticket_id)),
                "UpdateExpression": (
                    "SET photos = list_append(if_not_exists(photos, :none), :photo) ADD version :one"
                ),
                "ConditionExpression": "attribute_exists(pk) AND NOT (#status IN (:closed, :cancelled))",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": serialize(
                    {
                        ":none": [],
                        ":photo": [photo_entry(attached.ref())],
                        ":one": 1,
                        **_final_statuses(),
                    }
                ),
            }
        }
        self._table.transact(
            [photo, ticket], conflict="the photo is not pending, or the ticket was closed or cancelled"
        )


def _slots_key(tenant_id: str, ticket_id: str) -> dict[str, str]:
    return {"pk": keys.ticket_partition(tenant_id, ticket_id), "sk": SLOTS_SK}


def _final_statuses() -> dict[str, str]:
    return {":closed": TicketStatus.CLOSED.value, ":cancelled": TicketStatus.CANCELLED.value}


def _item(record: PhotoRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.photo(record.tenant_id, record.ticket_id, record.photo_id),
        "entity": "photo",
        "photo_id": record.photo_id,
        "ticket_id": record.ticket_id,
        "status": record.status,
        "object_key": record.object_key,
        "content_type": record.content_type,
        "uploaded_by": record.uploaded_by,
        "created_at": to_iso(record.created_at),
    }
    if record.filename is not None:
        item["filename"] = record.filename
    return item


def _record(tenant_id: str, item: Mapping[str, Any]) -> PhotoRecord:
    attached_at = item.get("attached_at")
    size = item.get("size_bytes")
    return PhotoRecord(
        tenant_id=tenant_id,
        ticket_id=str(item["ticket_id"]),
        photo_id=str(item["photo_id"]),
        status=str(item["status"]),
        object_key=str(item["object_key"]),
        content_type=str(item["content_type"]),
        uploaded_by=str(item["uploaded_by"]),
        created_at=parse_iso(str(item["created_at"])),
        filename=str(item["filename"]) if item.get("filename") is not None else None,
        attached_at=parse_iso(str(attached_at)) if attached_at else None,
        size_bytes=int(size) if size is not None else None,
        version_id=str(item["version_id"]) if item.get("version_id") is not None else None,
    )


__all__ = ["ATTACHED", "PENDING", "PhotoRecord", "PhotoRecords"]
