"""Passes, the visit log, the blocklist, idempotency claims and settings in the visitors table.

Counting is one conditional UpdateItem on the pass item (``entries_used < entries_allowed``, still active):
DynamoDB applies updates to one item one at a time, so concurrent scans at any number of gates can never
take more entries than the pass allows. Offline uploads add their scan id to the pass's ``offline_scans`` set
in the same update, which makes a re-uploaded batch count nothing twice.

Indexes (issue 18: each earns its writes):
- gsi1 (ALL) a host's passes, newest first (the resident's passes page and export), and a pass's visit log
  lines (``pass_log_index``: the pass's entries page); both pages render the items from the index.
- gsi2 (ALL) a community's passes, newest first: the guard's and manager's list.
- gsi3 (ALL, sparse: passes with a plate) the plate's passes at a site, by validity: the car gate's lookup.
- due (KEYS_ONLY, sparse: the outbox's pending items only) the sweeper's: it reads keys and re-reads the item.
A pass's entry count changes on every scan and is shown in the lists, so gsi1 and gsi2 carry it (2 index WRU
a scan); a list without it would need a read per pass shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from courtyard.clock import epoch, to_iso
from courtyard.dynamo import Page, error_code, is_conditional_failure
from courtyard.errors import Conflict
from courtyard.table import Table, deserialize, serialize
from visitors import keys
from visitors.items import block_from_item, entry_from_item, entry_item, pass_from_item, pass_item
from visitors.models import (
    BlockEntry,
    BlockKind,
    Claim,
    EntryRecord,
    PassStatus,
    VisitorPass,
)

_NEW = "attribute_not_exists(pk)"


@dataclass(frozen=True, slots=True)
class CountOutcome:
    """What one attempt to take an entry did: counted (with its number), or why not."""

    counted: bool
    visitor_pass: VisitorPass | None
    entry_number: int | None = None
    duplicate: bool = False


class VisitorsRepository:
    def __init__(self, table: Table, idempotency_hours: int = 24) -> None:
        self._table = table
        self._idempotency = timedelta(hours=idempotency_hours)

    # -------------------------------------------------------------- passes

    def get(self, tenant_id: str, pass_id: str, *, consistent: bool = False) -> VisitorPass | None:
        item = self._table.get(keys.visitor_pass(tenant_id, pass_id), consistent=consistent)
        return pass_from_item(tenant_id, item) if item else None

    def create(
        self,
        visitor_pass: VisitorPass,
        retention: timedelta,
        claim: tuple[str, str, str] | None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """The pass (and its idempotency claim) in one transaction; a taken claim is a Conflict.

        ``also``: more actions of the same transaction (the audit record, the pending effects).
        """
        actions = [self._table.put_action(pass_item(visitor_pass, retention), _NEW)]
        if claim is not None:
            user_id, key_digest, request_digest = claim
            expires = visitor_pass.created_at + self._idempotency
            actions.append(
                self._table.put_action(
                    {
                        **keys.claim(visitor_pass.tenant_id, user_id, key_digest),
                        "entity": "idempotency_claim",
                        "pass_id": visitor_pass.pass_id,
                        "request_digest": request_digest,
                        "ttl": epoch(expires),
                    },
                    _NEW,
                )
            )
        actions.extend(also)
        self._table.transact(actions, conflict="this Idempotency-Key was used for another pass")

    def claim(self, tenant_id: str, user_id: str, key_digest: str) -> Claim | None:
        item = self._table.get(keys.claim(tenant_id, user_id, key_digest), consistent=True)
        return Claim(str(item["pass_id"]), str(item["request_digest"])) if item else None

    def revoke(self, tenant_id: str, pass_id: str, by: str, at: datetime) -> VisitorPass:
        """Mark the pass revoked and list it in its community's revocations, in one transaction (offline
        gates read that list); a pass already revoked is a Conflict."""
        current = self.get(tenant_id, pass_id, consistent=True)
        if current is None:
            raise Conflict("the pass is already revoked")
        update = self._table.update_action(
            keys.visitor_pass(tenant_id, pass_id),
            "SET #status = :revoked, revoked_at = :at, revoked_by = :by",
            {
                ":revoked": PassStatus.REVOKED.value,
                ":active": PassStatus.ACTIVE.value,
                ":at": to_iso(at),
                ":by": by,
            },
            condition="#status = :active",
            names={"#status": "status"},
        )
        listed = self._table.put_action(
            keys.revocation_entry(tenant_id, current.site_id, pass_id, current.valid_until)
        )
        self._table.transact([update, listed], conflict="the pass is already revoked")
        revoked = self.get(tenant_id, pass_id, consistent=True)
        assert revoked is not None
        return revoked

    def host_page(
        self, tenant_id: str, user_id: str, limit: int, cursor: str | None, unit_id: str | None = None
    ) -> Page[VisitorPass]:
        host = keys.host_index(tenant_id, user_id)
        return self._newest(tenant_id, ("gsi1", host, f"passes:host:{user_id}"), limit, cursor, unit_id)

    def site_page(
        self, tenant_id: str, site_id: str, limit: int, cursor: str | None, unit_id: str | None = None
    ) -> Page[VisitorPass]:
        """A community's passes, newest first (gsi2; the kernel's pages cover the table and gsi1 only)."""
        site = keys.site_passes_index(tenant_id, site_id)
        return self._newest(tenant_id, ("gsi2", site, f"passes:site:{site_id}"), limit, cursor, unit_id)

    def _newest(
        self, tenant_id: str, where: tuple[str, str, str], limit: int, cursor: str | None, unit_id: str | None
    ) -> Page[VisitorPass]:
        """One page of (index, partition, cursor scope), newest first; ``unit_id`` filters (short pages)."""
        index, partition, scope = where
        values = {":pk": partition} | ({":unit": unit_id} if unit_id is not None else {})
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": index,
            "KeyConditionExpression": f"{index}pk = :pk",
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": False,
            "Limit": max(1, min(limit, 100)),
        }
        if unit_id is not None:
            params["FilterExpression"] = "unit_id = :unit"
            scope += f":unit:{unit_id}"
        start = self._table.cursors.decode(tenant_id, cursor, scope=scope)
        if start:
            params["ExclusiveStartKey"] = serialize(start)
        response = self._table.client.query(**params)
        last = response.get("LastEvaluatedKey")
        return Page(
            [pass_from_item(tenant_id, deserialize(i)) for i in response.get("Items", [])],
            self._table.cursors.encode(tenant_id, deserialize(last), scope=scope) if last else None,
        )

    def passes_for_plate(
        self, tenant_id: str, site_id: str, plate_digest: str, ending_after: datetime
    ) -> list[VisitorPass]:
        """The community's passes for a plate that end after ``ending_after`` (gsi3, soonest end first)."""
        response = self._table.client.query(
            TableName=self._table.name,
            IndexName="gsi3",
            KeyConditionExpression="gsi3pk = :pk AND gsi3sk >= :after",
            ExpressionAttributeValues={
                ":pk": {"S": keys.plate_index(tenant_id, site_id, plate_digest)},
                ":after": {"S": to_iso(ending_after)},
            },
            Limit=20,
        )
        return [pass_from_item(tenant_id, deserialize(i)) for i in response.get("Items", [])]

    # -------------------------------------------------------------- counting

    def take_entry(self, tenant_id: str, pass_id: str, at: datetime) -> CountOutcome:
        """Count one entry if one is left and the pass is active; otherwise return the pass as it is."""
        try:
            item = self._table.client.update_item(
                TableName=self._table.name,
                Key={k: {"S": v} for k, v in keys.visitor_pass(tenant_id, pass_id).items()},
                UpdateExpression="SET entries_used = entries_used + :one, last_entry_at = :at",
                ConditionExpression=(
                    "attribute_exists(pk) AND entries_used < entries_allowed AND #status = :active"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":at": {"S": to_iso(at)},
                    ":active": {"S": PassStatus.ACTIVE.value},
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
            return CountOutcome(False, self.get(tenant_id, pass_id, consistent=True))
        counted = pass_from_item(tenant_id, deserialize(item))
        return CountOutcome(True, counted, counted.entries_used)

    def take_entry_logged(
        self, seen: VisitorPass, at: datetime, entry: EntryRecord, day: str, retention: timedelta
    ) -> bool:
        """Count one entry of the pass as it was read (``entries_used`` unchanged since) and write the scan's
        log line, in one transaction (issue 18: one call where there were two); False, and nothing written,
        when the pass moved meanwhile (another gate counted an entry, a revocation): the caller takes the
        entry the atomic way instead (``take_entry``)."""
        count = {
            "Update": {
                "TableName": self._table.name,
                "Key": {k: {"S": v} for k, v in keys.visitor_pass(seen.tenant_id, seen.pass_id).items()},
                "UpdateExpression": "SET entries_used = entries_used + :one, last_entry_at = :at",
                "ConditionExpression": (
                    "entries_used = :seen AND entries_used < entries_allowed AND #status = :active"
                ),
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":seen": {"N": str(seen.entries_used)},
                    ":at": {"S": to_iso(at)},
                    ":active": {"S": PassStatus.ACTIVE.value},
                },
            }
        }
        try:
            self._table.client.transact_write_items(
                TransactItems=[count, self._table.put_action(entry_item(entry, day, retention))]
            )
        except ClientError as err:
            # A failed condition, or another gate's transaction on the pass at the same moment.
            if error_code(err) != "TransactionCanceledException":
                raise
            return False
        return True

    def take_offline_entry(self, tenant_id: str, pass_id: str, scan_id: str, at: datetime) -> CountOutcome:
        """Count an uploaded entry once per ``scan_id``; past the limit it is recorded as over-use instead."""
        key = {k: {"S": v} for k, v in keys.visitor_pass(tenant_id, pass_id).items()}
        values = {
            ":one": {"N": "1"},
            ":sid": {"S": scan_id},
            ":sids": {"SS": [scan_id]},
            ":at": {"S": to_iso(at)},
        }
        try:
            item = self._table.client.update_item(
                TableName=self._table.name,
                Key=key,
                UpdateExpression=(
                    "SET entries_used = entries_used + :one, last_entry_at = :at ADD offline_scans :sids"
                ),
                ConditionExpression=(
                    "attribute_exists(pk) AND entries_used < entries_allowed"
                    " AND NOT contains(offline_scans, :sid)"
                ),
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
        else:
            counted = pass_from_item(tenant_id, deserialize(item))
            return CountOutcome(True, counted, counted.entries_used)
        # The limit was reached (or this scan was counted before): record over-use once per scan.
        try:
            self._table.client.update_item(
                TableName=self._table.name,
                Key=key,
                UpdateExpression="ADD overuse :one, offline_scans :sids",
                ConditionExpression="attribute_exists(pk) AND NOT contains(offline_scans, :sid)",
                ExpressionAttributeValues={k: v for k, v in values.items() if k != ":at"},
            )
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
            return CountOutcome(False, self.get(tenant_id, pass_id, consistent=True), duplicate=True)
        return CountOutcome(False, self.get(tenant_id, pass_id, consistent=True))

    # -------------------------------------------------------------- visit log

    def log(self, entry: EntryRecord, day: str, retention: timedelta, *, only_new: bool = False) -> bool:
        """Write one log line; with ``only_new`` an existing line (a re-upload) is kept and False returned."""
        try:
            self._table.put(entry_item(entry, day, retention), condition=_NEW if only_new else None)
        except Conflict:
            return False
        return True

    def visits_page(
        self, tenant_id: str, site_id: str, day: str, limit: int, cursor: str | None
    ) -> Page[EntryRecord]:
        page = self._table.query_page(
            tenant_id,
            partition=keys.visits(tenant_id, site_id, day),
            limit=limit,
            cursor=cursor,
            scope=f"visits:{site_id}:{day}",
        )
        return Page([entry_from_item(tenant_id, i) for i in page.items], page.next_cursor)

    def visits_all(self, tenant_id: str, site_id: str, day: str) -> list[EntryRecord]:
        items = self._table.query_all(partition=keys.visits(tenant_id, site_id, day))
        return [entry_from_item(tenant_id, i) for i in items]

    def pass_entries(self, tenant_id: str, pass_id: str, limit: int, cursor: str | None) -> Page[EntryRecord]:
        page = self._table.query_page(
            tenant_id,
            partition=keys.pass_log_index(tenant_id, pass_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope=f"passlog:{pass_id}",
        )
        return Page([entry_from_item(tenant_id, i) for i in page.items], page.next_cursor)

    # -------------------------------------------------------------- blocklist

    def block(self, entry: BlockEntry) -> None:
        self._table.put(
            {
                **keys.block_entry(entry.tenant_id, entry.site_id, entry.kind.value, entry.digest),
                "entity": "block",
                "entry_id": entry.entry_id,
                "site_id": entry.site_id,
                "kind": entry.kind.value,
                "digest": entry.digest,
                "value_enc": entry.value_enc,
                "value_masked": entry.value_masked,
                "reason": entry.reason,
                "created_by": entry.created_by,
                "created_at": to_iso(entry.created_at),
            },
            condition=_NEW,
            conflict="this visitor is already on the blocklist",
        )

    def blocklist(self, tenant_id: str, site_id: str) -> list[BlockEntry]:
        items = self._table.query_all(partition=keys.blocklist(tenant_id, site_id))
        return [block_from_item(tenant_id, i) for i in items]

    def unblock(self, entry: BlockEntry) -> None:
        self._table.client.delete_item(
            TableName=self._table.name,
            Key={
                k: {"S": v}
                for k, v in keys.block_entry(
                    entry.tenant_id, entry.site_id, entry.kind.value, entry.digest
                ).items()
            },
        )

    def blocked(self, tenant_id: str, site_id: str, digests: Sequence[tuple[BlockKind, str]]) -> bool:
        """Is any of these (kind, digest) on the community's blocklist? One batch read."""
        wanted = [keys.block_entry(tenant_id, site_id, kind.value, digest) for kind, digest in digests]
        return bool(wanted) and bool(self._table.get_many(wanted))

    # -------------------------------------------------------------- settings

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        item = self._table.get(keys.settings(tenant_id))
        return dict(item["document"]) if item else None

    def put_settings(self, tenant_id: str, document: dict[str, Any], by: str, at: datetime) -> None:
        self._table.put(
            {**keys.settings(tenant_id), "document": document, "updated_by": by, "updated_at": to_iso(at)}
        )
