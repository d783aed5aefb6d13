"""Tickets, their timeline, comments, claims, load counters and settings in the tickets table.

Keys come from ``tickets.keys`` only. Ticket item attributes: entity, tenant_id, ticket_id, kind, category,
description, priority, status, site_id, unit_id, building_id, location, skill, reporter_user_id,
reporter_resident_id, filed_by_user_id, assignee_staff_id, assignee_user_id, reopen_count, created_at,
assigned_at, accepted_at, started_at, resolved_at, closed_at, cancelled_at, respond_by, resolve_by,
acceptance_due_at, rating, rating_comment, rated_at, version, updated_at, return_visit ({by, at, note,
satisfied}) and quality_check ({by, at, passed, note}) once recorded (tickets.services.followup), photos
(confirmed photos: [{photo_id, object_key, content_type, version_id}], appended by
tickets.repositories.photos and carried through every full put here so a change never drops one); the
index keys gsi1-4 and, while
the ticket is open or resolved, due_pk/due_sk/next_check_at. Every change is a full put conditioned on the
version read, in one transaction with its timeline entry and the load counters it moves.

Indexes (issue 18: each earns its writes; a ticket's full put rewrites every ALL copy whose content changed,
about 50 index WRU over a ticket's life in the cost bench's sample, ``python -m bench.ddb_units``):
- gsi1 (ALL) a site's tickets, newest first: the desk's list and a site's KPI facts (``facts_filed_between``).
- gsi2 (ALL) a reporter's tickets: the resident's "my tickets" and erasure (``repositories/erasure.py``).
- gsi3 (ALL, sparse: assigned tickets only) an assignee's tickets: the technician's list.
- gsi4 (ALL) the tenant's tickets: the firm-wide list and the tenant's KPI facts.
  The lists render whole tickets from the index page: a KEYS_ONLY copy would add a BatchGetItem of every
  page's tickets (0.5 RRU each) to save about 1 WRU per change, so the copies stay full.
- due (ALL, sparse: open or resolved tickets, and the outbox's pending items) the job's due looks; it reads
  only ``tenant_id, ticket_id`` and re-reads the ticket. An INCLUDE projection would save about 1 WRU per
  change of a ticket over 1 KB; CloudFormation cannot change a projection in place (a new index, backfilled,
  then the old one removed): not worth a migration at 8 index WRU a ticket (0.01 USD per 1,000 households).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from courtyard.clock import epoch, parse_iso, to_iso
from courtyard.dynamo import Page
from courtyard.errors import Conflict
from courtyard.table import Table, deserialize, serialize
from tickets import keys
from tickets.domain import Category, Priority, TicketKind, TicketStatus
from tickets.kpis import TicketFacts
from tickets.lifecycle import TicketState
from tickets.models import (
    Comment,
    PhotoRef,
    Place,
    QualityCheck,
    ReturnVisit,
    Ticket,
    TicketHistory,
    TimelineRecord,
)

_NEW = "attribute_not_exists(pk)"
_INDEXES = {"gsi1", "gsi2", "gsi3", "gsi4"}
FOLLOW_UPS = ("return_visit", "quality_check")
# What the KPIs read of a ticket (tickets.kpis.TicketFacts); #-names stand in for DynamoDB reserved words.
_FACT_NAMES = {"#status": "status"}
_FACT_ATTRIBUTES = (
    "site_id, category, priority, #status, created_at, respond_by, resolve_by, accepted_at, resolved_at, "
    "closed_at, rating, reopen_count, kind, alarm_id"
)


@dataclass(frozen=True, slots=True)
class Claim:
    ticket_id: str
    request_digest: str


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """One page of one index: the partition to read and the filters DynamoDB applies to it."""

    index: str
    partition: str
    status: str | None = None
    category: str | None = None
    site_id: str | None = None
    priority: str | None = None
    # Overdue: still open (one of these statuses) with its resolve-by time before this instant.
    open_statuses: tuple[str, ...] = ()
    resolve_before: str | None = None
    unit_id: str | None = None


class TicketRepository:
    def __init__(self, table: Table, idempotency_hours: int = 24) -> None:
        self._table = table
        self._idempotency = timedelta(hours=idempotency_hours)

    # -------------------------------------------------------------- reads

    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None:
        item = self._table.get(keys.ticket(tenant_id, ticket_id), consistent=consistent)
        return ticket_from_item(tenant_id, item) if item else None

    def history(self, tenant_id: str, ticket_id: str) -> TicketHistory | None:
        """The ticket, its timeline and its comments: one query of the ticket's partition."""
        items = self._table.query_all(partition=keys.ticket_partition(tenant_id, ticket_id))
        ticket = next((ticket_from_item(tenant_id, i) for i in items if i["sk"] == "TICKET"), None)
        if ticket is None:
            return None
        timeline = [timeline_from_item(i) for i in items if str(i["sk"]).startswith("TL#")]
        comments = [_comment(i) for i in items if str(i["sk"]).startswith("COMMENT#")]
        return TicketHistory(ticket, timeline, comments)

    def page(self, tenant_id: str, query: TicketQuery, limit: int, cursor: str | None) -> Page[Ticket]:
        """One query of one index, newest first; filters may leave a page short (the cursor goes on)."""
        if query.index not in _INDEXES:
            raise ValueError(f"unknown index {query.index}")
        # The cursor is bound to the filters (not to the overdue instant, which moves between pages).
        scope = (
            f"tickets:{query.index}:{query.partition}:{query.status}:{query.category}:{query.site_id}"
            f":{query.priority}:{bool(query.resolve_before)}:{query.unit_id}"
        )
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": query.index,
            "KeyConditionExpression": f"{query.index}pk = :pk",
            "ScanIndexForward": False,
            "Limit": max(1, min(limit, 100)),
        }
        values: dict[str, Any] = {":pk": query.partition}
        names: dict[str, str] = {}
        filters: list[str] = []
        for attribute, value in (
            ("status", query.status),
            ("category", query.category),
            ("site_id", query.site_id),
            ("priority", query.priority),
            ("unit_id", query.unit_id),
        ):
            if value is not None:
                names[f"#{attribute}"] = attribute
                values[f":{attribute}"] = value
                filters.append(f"#{attribute} = :{attribute}")
        if query.resolve_before is not None:
            # Times are stored as fixed-width UTC ISO strings, so string order is time order.
            names["#status"] = "status"
            names["#resolve_by"] = "resolve_by"
            values[":resolve_before"] = query.resolve_before
            open_names = [f":open{i}" for i in range(len(query.open_statuses))]
            values.update(zip(open_names, query.open_statuses, strict=True))
            filters.append(f"#status IN ({', '.join(open_names)})")
            filters.append("#resolve_by < :resolve_before")
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
            params["ExpressionAttributeNames"] = names
        params["ExpressionAttributeValues"] = serialize(values)
        start = self._table.cursors.decode(tenant_id, cursor, scope=scope)
        if start:
            params["ExclusiveStartKey"] = serialize(start)
        response = self._table.client.query(**params)
        last = response.get("LastEvaluatedKey")
        return Page(
            [ticket_from_item(tenant_id, deserialize(i)) for i in response.get("Items", [])],
            self._table.cursors.encode(tenant_id, deserialize(last), scope=scope) if last else None,
        )

    def facts_filed_between(
        self, tenant_id: str, start: datetime, end: datetime, site_id: str | None = None
    ) -> list[TicketFacts]:
        """The KPI facts of the tickets filed in [start, end): a site's (gsi1) or the tenant's (gsi4).

        One key-condition query on the index's ``{created_at}#{id}`` sort key, following every page.
        """
        index, partition = ("gsi1", keys.site_index(tenant_id, site_id)) if site_id else ("gsi4", None)
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": index,
            # ``{end}`` sorts before every ``{end}#{id}``: the upper bound stays exclusive.
            "KeyConditionExpression": f"{index}pk = :pk AND {index}sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": serialize(
                {
                    ":pk": partition or keys.tenant_index(tenant_id),
                    ":low": to_iso(start),
                    ":high": to_iso(end),
                }
            ),
            "ProjectionExpression": _FACT_ATTRIBUTES,
            "ExpressionAttributeNames": _FACT_NAMES,
        }
        facts: list[TicketFacts] = []
        while True:
            response = self._table.client.query(**params)
            facts.extend(_facts(deserialize(i)) for i in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return facts
            params["ExclusiveStartKey"] = last

    def open_counts(self, tenant_id: str) -> dict[str, int]:
        """Open tickets per technician (the dispatch load counters): one query."""
        items = self._table.query_all(partition=keys.load_partition(tenant_id))
        return {str(i["staff_id"]): int(i.get("open_tickets", 0)) for i in items}

    def claim(self, tenant_id: str, user_id: str, key_digest: str) -> Claim | None:
        item = self._table.get(keys.idempotency_claim(tenant_id, user_id, key_digest), consistent=True)
        if item is None or int(item.get("ttl", 0)) < 0:
            return None
        return Claim(str(item["ticket_id"]), str(item["request_digest"]))

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        item = self._table.get(keys.settings(tenant_id))
        return dict(item["document"]) if item else None

    # -------------------------------------------------------------- writes

    def create(
        self,
        ticket: Ticket,
        timeline: Sequence[TimelineRecord],
        *,
        next_check_at: datetime | None,
        claim: tuple[str, str, str] | None = None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Write the new ticket, its timeline and (when dispatched) the load counter in one transaction.

        ``claim`` = (user_id, key digest, request digest): a taken claim is a Conflict for the caller to read.
        ``also``: more actions of the same transaction (the audit record, the pending effects).
        """
        actions: list[dict[str, Any]] = [
            self._table.put_action(ticket_item(ticket, next_check_at), _NEW),
            *(self._table.put_action(timeline_item(ticket, entry, n)) for n, entry in enumerate(timeline, 1)),
            *self.load_actions(ticket.tenant_id, load_delta(None, ticket)),
        ]
        if claim is not None:
            user_id, key_digest, request_digest = claim
            item = {
                **keys.idempotency_claim(ticket.tenant_id, user_id, key_digest),
                "entity": "idempotency_claim",
                "ticket_id": ticket.ticket_id,
                "request_digest": request_digest,
                "ttl": epoch(ticket.state.created_at + self._idempotency),
            }
            actions.insert(0, self._table.put_action(item, _NEW))
        actions.extend(also)
        self._table.transact(actions, conflict="this Idempotency-Key was already used")

    def save(
        self,
        before: Ticket,
        after: Ticket,
        entry: TimelineRecord | None,
        *,
        next_check_at: datetime | None,
        also: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Replace the ticket if nobody changed it since it was read (version), with its timeline entry and
        the load counters the change moves, in one transaction; a concurrent change is a Conflict. ``also``:
        more actions of the same transaction (the audit record, the outbox's pending events)."""
        put = self._table.put_action(ticket_item(after, next_check_at))
        put["Put"]["ConditionExpression"] = "#version = :version"
        put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        put["Put"]["ExpressionAttributeValues"] = serialize({":version": before.version})
        actions = [put, *self.load_actions(after.tenant_id, load_delta(before, after))]
        if entry is not None:
            actions.append(self._table.put_action(timeline_item(after, entry, after.version)))
        actions.extend(dict(action) for action in also)
        self._table.transact(actions, conflict="the ticket was changed by someone else; reload and retry")

    def add_comment(self, tenant_id: str, ticket_id: str, comment: Comment) -> None:
        item = {
            **keys.comment(tenant_id, ticket_id, to_iso(comment.at), comment.comment_id),
            "entity": "comment",
            "comment_id": comment.comment_id,
            "at": to_iso(comment.at),
            "author_user_id": comment.author_user_id,
            "by_staff": comment.by_staff,
            "body": comment.body,
            "internal": comment.internal,
        }
        self._table.put(item, condition=_NEW)

    def rate(self, ticket: Ticket, score: int, comment: str | None, at: datetime) -> Ticket:
        """Record the rating once, only while the ticket is resolved or closed (Conflict otherwise)."""
        # The version moves too, so an action saved from an older read cannot overwrite the rating.
        expression = "SET rating = :score, rated_at = :at, updated_at = :at ADD version :one"
        values: dict[str, Any] = {
            ":score": score,
            ":at": to_iso(at),
            ":one": 1,
            ":resolved": TicketStatus.RESOLVED.value,
            ":closed": TicketStatus.CLOSED.value,
        }
        if comment:
            expression = expression.replace(" ADD", ", rating_comment = :comment ADD")
            values[":comment"] = comment
        item = self._table.update(
            keys.ticket(ticket.tenant_id, ticket.ticket_id),
            expression,
            values,
            names={"#status": "status"},
            condition=(
                "attribute_exists(pk) AND attribute_not_exists(rating) AND #status IN (:resolved, :closed)"
            ),
            conflict="the ticket is already rated, or not resolved",
        )
        return ticket_from_item(ticket.tenant_id, item)

    def record_follow_up(self, ticket: Ticket, after: Ticket, entry: TimelineRecord, attribute: str) -> None:
        """Set ``attribute`` (a follow-up of ``after``) once, while the ticket is resolved or closed and still
        at the version read, with its timeline entry, in one transaction (Conflict otherwise)."""
        if attribute not in FOLLOW_UPS:
            raise ValueError(f"unknown follow-up {attribute}")
        value = follow_up_entry(after.return_visit if attribute == "return_visit" else after.quality_check)
        update = self._table.update_action(
            keys.ticket(ticket.tenant_id, ticket.ticket_id),
            "SET #follow_up = :value, updated_at = :at, #version = :next",
            {
                ":value": value,
                ":at": to_iso(after.updated_at),
                ":next": after.version,
                ":version": ticket.version,
                ":resolved": TicketStatus.RESOLVED.value,
                ":closed": TicketStatus.CLOSED.value,
            },
            condition=(
                "attribute_exists(pk) AND #version = :version AND attribute_not_exists(#follow_up)"
                " AND #status IN (:resolved, :closed)"
            ),
        )
        update["Update"]["ExpressionAttributeNames"] = {
            "#follow_up": attribute,
            "#version": "version",
            "#status": "status",
        }
        self._table.transact(
            [update, self._table.put_action(timeline_item(after, entry, after.version))],
            conflict=f"the ticket's {attribute} is already recorded, or the ticket changed; reload and retry",
        )

    def put_settings(self, tenant_id: str, document: Mapping[str, Any], updated_by: str, at: str) -> None:
        self._table.put(
            {
                **keys.settings(tenant_id),
                "entity": "ticket_settings",
                "document": dict(document),
                "updated_by": updated_by,
                "updated_at": at,
            }
        )

    def load_actions(self, tenant_id: str, deltas: Mapping[str, int]) -> list[dict[str, Any]]:
        return [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": serialize(keys.load(tenant_id, staff_id)),
                    "UpdateExpression": "ADD open_tickets :delta SET staff_id = :staff, entity = :entity",
                    "ExpressionAttributeValues": serialize(
                        {":delta": delta, ":staff": staff_id, ":entity": "load"}
                    ),
                }
            }
            for staff_id, delta in sorted(deltas.items())
            if delta
        ]


def _open_assignee(ticket: Ticket | None) -> str | None:
    if ticket is None or ticket.status in (
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
        TicketStatus.CANCELLED,
    ):
        return None
    return ticket.state.assignee_staff_id


def load_delta(before: Ticket | None, after: Ticket) -> dict[str, int]:
    """How the change moves the open-ticket counters: -1 for whom it leaves, +1 for whom it lands on."""
    was, now = _open_assignee(before), _open_assignee(after)
    if was == now:
        return {}
    deltas: dict[str, int] = {}
    if was is not None:
        deltas[was] = -1
    if now is not None:
        deltas[now] = deltas.get(now, 0) + 1
    return deltas


# ------------------------------------------------------------------ item mapping


def ticket_item(ticket: Ticket, next_check_at: datetime | None) -> dict[str, Any]:
    state = ticket.state
    created = to_iso(state.created_at)
    order = keys.order_key(created, ticket.ticket_id)
    t = ticket.tenant_id
    item: dict[str, Any] = {
        **keys.ticket(t, ticket.ticket_id),
        "entity": "ticket",
        "tenant_id": t,
        "ticket_id": ticket.ticket_id,
        "kind": ticket.kind.value,
        "category": ticket.category.value,
        "description": ticket.description,
        "priority": state.priority.value,
        "status": state.status.value,
        "site_id": ticket.place.site_id,
        "unit_id": ticket.place.unit_id,
        "building_id": ticket.place.building_id,
        "location": ticket.place.location,
        "skill": ticket.skill,
        "device_id": ticket.device_id,
        "alarm_id": ticket.alarm_id,
        "reporter_user_id": state.reporter_user_id,
        "reporter_resident_id": ticket.reporter_resident_id,
        "filed_by_user_id": ticket.filed_by_user_id,
        "assignee_staff_id": state.assignee_staff_id,
        "assignee_user_id": state.assignee_user_id,
        "reopen_count": state.reopen_count,
        "created_at": created,
        "assigned_at": _iso(state.assigned_at),
        "accepted_at": _iso(state.accepted_at),
        "started_at": _iso(state.started_at),
        "resolved_at": _iso(state.resolved_at),
        "closed_at": _iso(state.closed_at),
        "cancelled_at": _iso(state.cancelled_at),
        "respond_by": to_iso(ticket.respond_by),
        "resolve_by": to_iso(ticket.resolve_by),
        "acceptance_due_at": _iso(ticket.acceptance_due_at),
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
        "rated_at": _iso(ticket.rated_at),
        "version": ticket.version,
        "updated_at": to_iso(ticket.updated_at),
        "gsi1pk": keys.site_index(t, ticket.place.site_id),
        "gsi1sk": order,
        "gsi2pk": keys.reporter_index(t, state.reporter_user_id),
        "gsi2sk": order,
        "gsi4pk": keys.tenant_index(t),
        "gsi4sk": order,
    }
    if state.assignee_staff_id is not None:
        item["gsi3pk"] = keys.assignee_index(t, state.assignee_staff_id)
        item["gsi3sk"] = order
    if ticket.photos:
        item["photos"] = [photo_entry(photo) for photo in ticket.photos]
    if ticket.sla_breaches:
        item["sla_breaches"] = list(ticket.sla_breaches)
    if ticket.escalated_at:
        item["escalated_at"] = ticket.escalated_at
    if ticket.return_visit is not None:
        item["return_visit"] = follow_up_entry(ticket.return_visit)
    if ticket.quality_check is not None:
        item["quality_check"] = follow_up_entry(ticket.quality_check)
    if next_check_at is not None:
        check = to_iso(next_check_at)
        item["next_check_at"] = check
        item["due_pk"] = keys.due_partition(ticket.ticket_id)
        item["due_sk"] = keys.due_sort(check, t, ticket.ticket_id)
    return item


def ticket_from_item(tenant_id: str, item: Mapping[str, Any]) -> Ticket:
    state = TicketState(
        status=TicketStatus(str(item["status"])),
        priority=Priority(str(item["priority"])),
        reporter_user_id=str(item["reporter_user_id"]),
        created_at=parse_iso(str(item["created_at"])),
        assignee_staff_id=_text(item.get("assignee_staff_id")),
        assignee_user_id=_text(item.get("assignee_user_id")),
        reopen_count=int(item.get("reopen_count", 0)),
        assigned_at=_time(item.get("assigned_at")),
        accepted_at=_time(item.get("accepted_at")),
        started_at=_time(item.get("started_at")),
        resolved_at=_time(item.get("resolved_at")),
        closed_at=_time(item.get("closed_at")),
        cancelled_at=_time(item.get("cancelled_at")),
    )
    rating = item.get("rating")
    return Ticket(
        tenant_id=tenant_id,
        ticket_id=str(item["ticket_id"]),
        kind=TicketKind(str(item["kind"])),
        category=Category(str(item["category"])),
        description=_text(item.get("description")),
        place=Place(
            site_id=str(item["site_id"]),
            unit_id=_text(item.get("unit_id")),
            building_id=_text(item.get("building_id")),
            location=_text(item.get("location")),
        ),
        state=state,
        skill=str(item.get("skill", "general")),
        respond_by=parse_iso(str(item["respond_by"])),
        resolve_by=parse_iso(str(item["resolve_by"])),
        reporter_resident_id=_text(item.get("reporter_resident_id")),
        filed_by_user_id=str(item.get("filed_by_user_id", item["reporter_user_id"])),
        version=int(item.get("version", 1)),
        updated_at=parse_iso(str(item.get("updated_at", item["created_at"]))),
        acceptance_due_at=_time(item.get("acceptance_due_at")),
        rating=int(rating) if rating is not None else None,
        rating_comment=_text(item.get("rating_comment")),
        rated_at=_time(item.get("rated_at")),
        photos=tuple(_photo(p) for p in item.get("photos") or ()),
        sla_breaches=tuple(str(b) for b in item.get("sla_breaches") or ()),
        escalated_at=_text(item.get("escalated_at")),
        return_visit=_return_visit(item.get("return_visit")),
        quality_check=_quality_check(item.get("quality_check")),
        device_id=_text(item.get("device_id")),
        alarm_id=_text(item.get("alarm_id")),
    )


def follow_up_entry(record: ReturnVisit | QualityCheck | None) -> dict[str, Any]:
    """The ticket item's ``return_visit`` or ``quality_check`` map."""
    if record is None:
        raise ValueError("no follow-up to store")
    entry: dict[str, Any] = {"by": record.by, "at": to_iso(record.at), "note": record.note}
    if isinstance(record, ReturnVisit):
        entry["satisfied"] = record.satisfied
    else:
        entry["passed"] = record.passed
    return entry


def _return_visit(entry: Any) -> ReturnVisit | None:
    if not isinstance(entry, Mapping):
        return None
    satisfied = entry.get("satisfied")
    return ReturnVisit(
        by=str(entry["by"]),
        at=parse_iso(str(entry["at"])),
        note=str(entry.get("note") or ""),
        satisfied=None if satisfied is None else bool(satisfied),
    )


def _quality_check(entry: Any) -> QualityCheck | None:
    if not isinstance(entry, Mapping):
        return None
    return QualityCheck(
        by=str(entry["by"]),
        at=parse_iso(str(entry["at"])),
        passed=bool(entry["passed"]),
        note=_text(entry.get("note")),
    )


def _facts(item: Mapping[str, Any]) -> TicketFacts:
    rating = item.get("rating")
    return TicketFacts(
        site_id=str(item["site_id"]),
        category=str(item["category"]),
        priority=Priority(str(item["priority"])),
        status=TicketStatus(str(item["status"])),
        created_at=parse_iso(str(item["created_at"])),
        respond_by=_time(item.get("respond_by")),
        resolve_by=_time(item.get("resolve_by")),
        accepted_at=_time(item.get("accepted_at")),
        resolved_at=_time(item.get("resolved_at")),
        closed_at=_time(item.get("closed_at")),
        rating=int(rating) if rating is not None else None,
        reopen_count=int(item.get("reopen_count") or 0),
        # An SOS, or the emergency work order of an alarm: the emergency response-time KPI.
        emergency=item.get("kind") == "sos"
        or (bool(item.get("alarm_id")) and item.get("priority") == "emergency"),
    )


def photo_entry(photo: PhotoRef) -> dict[str, Any]:
    """One element of the ticket item's ``photos`` list."""
    entry = {"photo_id": photo.photo_id, "object_key": photo.object_key, "content_type": photo.content_type}
    if photo.version_id is not None:
        entry["version_id"] = photo.version_id
    return entry


def _photo(entry: Mapping[str, Any]) -> PhotoRef:
    return PhotoRef(
        photo_id=str(entry["photo_id"]),
        object_key=str(entry["object_key"]),
        content_type=str(entry["content_type"]),
        version_id=_text(entry.get("version_id")),
    )


def timeline_item(ticket: Ticket, entry: TimelineRecord, seq: int) -> dict[str, Any]:
    return {
        **keys.timeline_entry(ticket.tenant_id, ticket.ticket_id, to_iso(entry.at), seq),
        "entity": "timeline",
        "at": to_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "note": entry.note,
        "assignee_staff_id": entry.assignee_staff_id,
    }


def timeline_from_item(item: Mapping[str, Any]) -> TimelineRecord:
    return TimelineRecord(
        at=parse_iso(str(item["at"])),
        actor=str(item["actor"]),
        action=str(item["action"]),
        from_status=_text(item.get("from_status")),
        to_status=str(item["to_status"]),
        note=_text(item.get("note")),
        assignee_staff_id=_text(item.get("assignee_staff_id")),
    )


def _comment(item: Mapping[str, Any]) -> Comment:
    return Comment(
        comment_id=str(item["comment_id"]),
        at=parse_iso(str(item["at"])),
        author_user_id=str(item["author_user_id"]),
        by_staff=bool(item.get("by_staff", False)),
        body=str(item["body"]),
        internal=bool(item.get("internal", False)),
    )


def _iso(at: datetime | None) -> str | None:
    return to_iso(at) if at is not None else None


def _time(value: Any) -> datetime | None:
    return parse_iso(str(value)) if value else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "FOLLOW_UPS",
    "Claim",
    "Conflict",
    "TicketQuery",
    "TicketRepository",
    "follow_up_entry",
    "photo_entry",
    "ticket_item",
]
