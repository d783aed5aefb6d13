"""The notifications table: notices and their statistics, messages and delivery records, inboxes, people's
preferences and push endpoints, the SMS day counter and the due index. Key scheme: ``notifications.keys``.

Counters change only by atomic ``ADD`` in the same transaction as the state change they count (a recipient's
reach with the send or read that reached them), and every state change is conditional, so a retried delivery
never counts twice and a failure between two writes never leaves ``sent`` without its ``reached``.

Indexes (issue 18: each earns its writes): gsi1 (ALL) the tenant's notices, newest first (the notices page
reads them from the index; only notice items carry its keys); due (ALL, sparse: scheduled notices, held
messages and the outbox's pending items) the every-minute job's due entries, whose ``payload`` (the held job)
it needs, so the copy is read whole. Messages, deliveries and inbox entries carry no index key: their
per-step writes copy nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from courtyard.clock import epoch, to_iso
from courtyard.drain import Page as DuePage
from courtyard.drain import shard_pages
from courtyard.dynamo import Page, translate_conditional_failures
from courtyard.errors import Conflict
from courtyard.idempotency import KeyUse
from courtyard.table import Table, serialize
from notifications import keys
from notifications.domain import Category, Channel, DeliveryStatus, NoticeStatus, Priority, Text
from notifications.models import DeliveryRecord, InboxEntry, Notice, NoticeStats, PushEndpoint
from notifications.preferences import Preferences

_NEW = "attribute_not_exists(pk)"
_DUE_INDEX = "due"
REACH_SHARE = 0.9


@dataclass(frozen=True)
class DueEntry:
    tenant_id: str
    kind: str  # "notice" | "held"
    entry_id: str
    due_at: str
    payload: str | None


@dataclass(frozen=True)
class MessageState:
    exists: bool
    deliveries: dict[Channel, DeliveryRecord]
    reached: bool = False


class NotificationsRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ------------------------------------------------------------------ notices

    def create_notice(
        self,
        notice: Notice,
        *,
        claim: KeyUse | None,
        claim_ttl: int,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """The notice, its statistics item and its due entry at once; Conflict if the claim is taken.

        ``also``: more actions of the same transaction (the audit record, the pending fan-out command).
        """
        t = notice.tenant_id
        actions: list[dict[str, Any]] = [
            self._table.put_action(_notice_item(notice), _NEW),
            self._table.put_action({**keys.notice_stats(t, notice.notice_id), "entity": "stats"}, _NEW),
            self._table.put_action(_due_item(t, "notice", notice.notice_id, notice.send_at, None), _NEW),
        ]
        if claim is not None:
            claimed = {
                **keys.notice_claim(t, claim.key_digest),
                "notice_id": notice.notice_id,
                "request_digest": claim.request_digest,
                "ttl": claim_ttl,
            }
            actions.append(self._table.put_action(claimed, _NEW))
        actions.extend(also)
        self._table.transact(actions, conflict="this Idempotency-Key was already used")

    def claimed_notice(self, tenant_id: str, key_digest: str) -> tuple[str, str | None] | None:
        """(notice id, request digest) of a caller's Idempotency-Key, if it was used."""
        item = self._table.get(keys.notice_claim(tenant_id, key_digest), consistent=True)
        if item is None:
            return None
        return str(item["notice_id"]), str(item["request_digest"]) if item.get("request_digest") else None

    def notice(self, tenant_id: str, notice_id: str) -> tuple[Notice, NoticeStats] | None:
        """The notice and its statistics (one query of the notice's partition)."""
        items = self._table.query_all(partition=keys.notice_partition(tenant_id, notice_id))
        by_sk = {str(i["sk"]): i for i in items}
        if "NOTICE" not in by_sk:
            return None
        return _notice(by_sk["NOTICE"]), _stats(by_sk.get("STATS", {}))

    def notices(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Notice]:
        page = self._table.query_page(
            tenant_id,
            partition=keys.notices_index(tenant_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope="notices",
            forward=False,
        )
        return Page([_notice(i) for i in page.items], page.next_cursor)

    def cancel_notice(self, tenant_id: str, notice_id: str, at: str) -> Notice:
        """Cancel a notice that has not started sending; Conflict otherwise."""
        self._table.transact(
            [
                _update(
                    self._table,
                    keys.notice(tenant_id, notice_id),
                    "SET #status = :cancelled, cancelled_at = :at",
                    {
                        ":cancelled": NoticeStatus.CANCELLED.value,
                        ":at": at,
                        ":s": "scheduled",
                        ":q": "queued",
                    },
                    {"#status": "status"},
                    "attribute_exists(pk) AND #status IN (:s, :q)",
                ),
                self._table.delete_action(keys.due_entry(tenant_id, "notice", notice_id)),
            ],
            conflict="the notice is already being sent, sent or cancelled",
        )
        found = self.notice(tenant_id, notice_id)
        assert found is not None
        return found[0]

    def start_sending(self, tenant_id: str, notice_id: str, at: str) -> Notice | None:
        """Move a notice to ``sending`` (a retried fan-out finds it there); None if cancelled or sent."""
        try:
            item = self._table.update(
                keys.notice(tenant_id, notice_id),
                "SET #status = :sending, sending_at = if_not_exists(sending_at, :at)",
                {":sending": "sending", ":at": at, ":s": "scheduled", ":q": "queued"},
                names={"#status": "status"},
                condition="attribute_exists(pk) AND #status IN (:s, :q, :sending)",
            )
        except Conflict:
            return None
        return _notice(item)

    def set_recipients(self, tenant_id: str, notice_id: str, recipients: int) -> None:
        # SET, not ADD: a retried fan-out counts the same audience again.
        self._table.update(keys.notice_stats(tenant_id, notice_id), "SET recipients = :n", {":n": recipients})

    def finish_sending(self, tenant_id: str, notice_id: str, recipients: int, at: str) -> None:
        self._table.transact(
            [
                _update(
                    self._table,
                    keys.notice(tenant_id, notice_id),
                    "SET #status = :sent, sent_at = :at, recipients = :n",
                    {":sent": "sent", ":at": at, ":n": recipients},
                    {"#status": "status"},
                    "attribute_exists(pk)",
                ),
                self._table.delete_action(keys.due_entry(tenant_id, "notice", notice_id)),
            ]
        )

    # ------------------------------------------------------------------ messages and deliveries

    def message_state(self, tenant_id: str, message_id: str) -> MessageState:
        items = self._table.query_all(partition=keys.message_partition(tenant_id, message_id))
        head = next((i for i in items if i["sk"] == "HEAD"), None)
        deliveries = {
            Channel(str(i["channel"])): _delivery(i) for i in items if str(i["sk"]).startswith("CH#")
        }
        return MessageState(head is not None, deliveries, bool(head and head.get("reached_at")))

    def create_message(
        self,
        *,
        tenant_id: str,
        message_id: str,
        source: str,
        recipient_key: str,
        notice_id: str | None,
        user_id: str | None,
        text: Text | None,
        category: Category,
        priority: Priority,
        data: Mapping[str, str],
        queued: Sequence[Channel],
        skipped: Mapping[Channel, str],
        now: datetime,
        ttl: int,
    ) -> bool:
        """Write the message's delivery records, then claim it with its inbox entry; False if already claimed.

        Each delivery record is a conditional put of its own (1x write units, where a transaction bills
        every item twice), written before the claim and never over a record that exists, so a duplicate
        job running at the same moment cannot put back ``queued`` on a channel the other one sent. The
        claim is the head with what it counts (the inbox entry, the unread count, the notice's counter) in
        one transaction, or the head alone as one conditional put. Nothing is sent before the claim exists:
        a failure between the two leaves records without a head, and the retry finds them, writes nothing
        over them and claims the message.
        """
        at = to_iso(now)
        t = tenant_id
        records: list[dict[str, Any]] = []
        head = {
            **keys.message_head(t, message_id),
            "entity": "message",
            "source": source,
            "recipient": recipient_key,
            "notice_id": notice_id,
            "user_id": user_id,
            "created_at": at,
            "ttl": ttl,
        }
        claim: list[dict[str, Any]] = [self._table.put_action(head, _NEW)]
        if user_id is not None and text is not None:
            entry = {
                **keys.inbox_entry(t, user_id, message_id),
                "entity": "inbox",
                "message_id": message_id,
                "title": text.title,
                "body": text.body,
                "category": category.value,
                "priority": priority.value,
                "notice_id": notice_id,
                "data": dict(data),
                "created_at": at,
                "ttl": ttl,
            }
            claim.append(self._table.put_action(entry, _NEW))
            claim.append(self._table.update_action(keys.unread(t, user_id), "ADD unread :one", {":one": 1}))
            records.append(_delivery_item(t, message_id, Channel.INBOX, "sent", at, ttl))
            if notice_id is not None:
                claim.append(self._stats_add(t, notice_id, sent={"inbox": 1}, failed={}))
        for channel in queued:
            records.append(_delivery_item(t, message_id, channel, "queued", at, ttl))
        for channel, reason in skipped.items():
            if channel is Channel.INBOX:
                continue
            item = _delivery_item(t, message_id, channel, DeliveryStatus.SKIPPED.value, at, ttl)
            item["reason"] = reason
            records.append(item)
        for record in records:
            try:
                self._table.put(record, condition=_NEW)
            except Conflict:
                continue  # written by an earlier attempt (or a duplicate job): kept as it is
        try:
            if len(claim) == 1:
                self._table.put(head, condition=_NEW, conflict="message exists")
            else:
                self._table.transact(claim, conflict="message exists")
        except Conflict:
            return False
        return True

    def hold(
        self,
        tenant_id: str,
        message_id: str,
        notice_id: str | None,
        channels: Sequence[Channel],
        release_at: str,
        job: str,
        now: datetime,
    ) -> None:
        """Hold the channels until ``release_at`` and put the job in the due index, once."""
        at = to_iso(now)
        actions: list[dict[str, Any]] = [
            self._table.put_action(_due_item(tenant_id, "held", message_id, release_at, job), _NEW)
        ]
        for channel in channels:
            actions.append(
                _update(
                    self._table,
                    keys.delivery(tenant_id, message_id, channel.value),
                    "SET #status = :held, release_at = :release, updated_at = :at",
                    {":held": "held", ":release": release_at, ":at": at, ":queued": "queued"},
                    {"#status": "status"},
                    "#status = :queued",
                )
            )
        if notice_id is not None:
            actions.append(
                _update(self._table, keys.notice_stats(tenant_id, notice_id), "ADD held :one", {":one": 1})
            )
        try:
            self._table.transact(actions, conflict="already held")
        except Conflict:
            return

    def release(self, tenant_id: str, message_id: str, notice_id: str | None) -> bool:
        """Take a held message out of the due index; False if another run already did."""
        actions: list[dict[str, Any]] = [
            self._table.delete_action(keys.due_entry(tenant_id, "held", message_id), "attribute_exists(pk)")
        ]
        if notice_id is not None:
            actions.append(
                _update(
                    self._table, keys.notice_stats(tenant_id, notice_id), "ADD held :minus", {":minus": -1}
                )
            )
        try:
            self._table.transact(actions, conflict="already released")
        except Conflict:
            return False
        return True

    def mark_delivery(
        self,
        tenant_id: str,
        message_id: str,
        notice_id: str | None,
        channel: Channel,
        status: DeliveryStatus,
        now: datetime,
        *,
        reason: str | None = None,
        provider_id: str | None = None,
        fallback: bool = False,
        reach: bool = False,
    ) -> bool:
        """A final status (sent or failed) for one channel, counted once; False if it already had one.

        ``reach`` (a send the caller saw as the recipient's first): the recipient is counted as reached in
        the same transaction, so ``sent`` and ``reached`` cannot drift apart when a later step fails.
        """
        sets = ["#status = :status", "updated_at = :at"]
        values: dict[str, Any] = {
            ":status": status.value,
            ":at": to_iso(now),
            ":sent": "sent",
            ":failed": "failed",
            ":read": "read",
        }
        if reason is not None:
            sets.append("reason = :reason")
            values[":reason"] = reason[:300]
        if provider_id is not None:
            sets.append("provider_id = :provider")
            values[":provider"] = provider_id
        if fallback:
            sets.append("fallback = :true")
            values[":true"] = True
        actions = [
            _update(
                self._table,
                keys.delivery(tenant_id, message_id, channel.value),
                "SET " + ", ".join(sets),
                values,
                {"#status": "status"},
                "attribute_not_exists(#status) OR NOT (#status IN (:sent, :failed, :read))",
            )
        ]
        counts = {channel.value: 1}
        sent, failed = (counts, {}) if status is DeliveryStatus.SENT else ({}, counts)
        return self._with_reach(
            actions,
            tenant_id,
            message_id,
            notice_id,
            now,
            reach and status is DeliveryStatus.SENT,
            sent=sent,
            failed=failed,
        )

    def _with_reach(
        self,
        actions: list[dict[str, Any]],
        tenant_id: str,
        message_id: str,
        notice_id: str | None,
        now: datetime,
        reach: bool,
        *,
        sent: Mapping[str, int] | None = None,
        failed: Mapping[str, int] | None = None,
        counts: Mapping[str, int] | None = None,
    ) -> bool:
        """Commit ``actions`` and the notice's counters, with the recipient's first reach when ``reach``;
        False if the actions were done before (their conditions fail).

        The reach is conditional on the message not being reached yet: when another channel (or a read)
        reached it first, the actions are committed again without it.
        """
        sent, failed, counts = sent or {}, failed or {}, counts or {}
        # The head's reach counts a recipient in their notice's statistics: a message of no notice (a
        # ticket's update, a reminder) has nothing to count, so its head is not written for it.
        if reach and notice_id is not None:
            head = _update(
                self._table,
                keys.message_head(tenant_id, message_id),
                "SET reached_at = :reached_at",
                {":reached_at": to_iso(now)},
                None,
                "attribute_exists(pk) AND attribute_not_exists(reached_at)",
            )
            stats = {**counts, "reached": 1}
            reached = [head, self._stats_add(tenant_id, notice_id, sent=sent, failed=failed, counts=stats)]
            try:
                self._table.transact([*actions, *reached], conflict="already final or reached")
            except Conflict:
                pass
            else:
                self._stamp_reach_share(tenant_id, notice_id, now)
                return True
        if notice_id is not None and (sent or failed or counts):
            actions = [
                *actions,
                self._stats_add(tenant_id, notice_id, sent=sent, failed=failed, counts=counts),
            ]
        return self._commit(actions, conflict="already final")

    def _commit(self, actions: Sequence[dict[str, Any]], conflict: str) -> bool:
        """Write ``actions`` at once; False if a condition failed (nothing written).

        One conditional update without a counter needs no transaction: it is as atomic alone and costs half
        the write units (a transaction bills each item twice), and an SDK retry of it after a lost answer
        fails its condition and changes nothing. A counter (``ADD``) stays in a transaction, whose client
        token makes the SDK's retry of it a no-op.
        """
        update = actions[0].get("Update") if len(actions) == 1 else None
        try:
            if update and update.get("ConditionExpression") and "ADD " not in update["UpdateExpression"]:
                with translate_conditional_failures(conflict):
                    self._table.client.update_item(**update)
            else:
                self._table.transact(actions, conflict=conflict)
        except Conflict:
            return False
        return True

    def _stamp_reach_share(self, tenant_id: str, notice_id: str, now: datetime) -> None:
        """90% of the recipients reached stamps the notice once (the first reach that sees the share)."""
        stats = self._table.get(keys.notice_stats(tenant_id, notice_id), consistent=True) or {}
        recipients = int(stats.get("recipients", 0))
        if not recipients or int(stats.get("reached", 0)) < math.ceil(REACH_SHARE * recipients):
            return
        try:
            self._table.update(
                keys.notice_stats(tenant_id, notice_id),
                "SET reached_90_at = :at",
                {":at": to_iso(now)},
                condition="attribute_not_exists(reached_90_at)",
            )
        except Conflict:
            return

    def record_attempt(
        self, tenant_id: str, message_id: str, channel: Channel, error: str, now: datetime
    ) -> None:
        self._table.update(
            keys.delivery(tenant_id, message_id, channel.value),
            "ADD attempts :one SET last_error = :error, updated_at = :at",
            {":one": 1, ":error": error[:300], ":at": to_iso(now)},
        )

    def _stats_add(
        self,
        tenant_id: str,
        notice_id: str,
        *,
        sent: Mapping[str, int],
        failed: Mapping[str, int],
        counts: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """One ADD of the notice's counters (a transaction may touch the statistics item only once)."""
        parts: list[str] = []
        values: dict[str, Any] = {}
        for n, (name, count) in enumerate((counts or {}).items()):
            parts.append(f"{name} :c{n}")
            values[f":c{n}"] = count
        for n, (channel, count) in enumerate(sent.items()):
            parts.append(f"sent_{channel} :s{n}")
            values[f":s{n}"] = count
        for n, (channel, count) in enumerate(failed.items()):
            parts.append(f"failed_{channel} :f{n}")
            values[f":f{n}"] = count
        return _update(
            self._table, keys.notice_stats(tenant_id, notice_id), "ADD " + ", ".join(parts), values
        )

    # ------------------------------------------------------------------ inbox

    def inbox(self, tenant_id: str, user_id: str, limit: int, cursor: str | None) -> Page[InboxEntry]:
        page = self._table.query_page(
            tenant_id,
            partition=keys.inbox_partition(tenant_id, user_id),
            sk_prefix="MSG#",
            limit=limit,
            cursor=cursor,
            scope=f"inbox:{user_id}",
            forward=False,
        )
        return Page([_inbox_entry(i) for i in page.items], page.next_cursor)

    def inbox_entry(self, tenant_id: str, user_id: str, message_id: str) -> InboxEntry | None:
        item = self._table.get(keys.inbox_entry(tenant_id, user_id, message_id), consistent=True)
        return _inbox_entry(item) if item else None

    def unread(self, tenant_id: str, user_id: str) -> int:
        item = self._table.get(keys.unread(tenant_id, user_id), consistent=True)
        return max(0, int(item.get("unread", 0))) if item else 0

    def mark_read(self, tenant_id: str, user_id: str, entry: InboxEntry, now: datetime) -> bool:
        """Read once: the entry, the unread count, the inbox delivery record, the notice's count and, if
        nothing reached the recipient before, their reach (one transaction)."""
        at = to_iso(now)
        actions = [
            _update(
                self._table,
                keys.inbox_entry(tenant_id, user_id, entry.message_id),
                "SET read_at = :at",
                {":at": at},
                None,
                "attribute_exists(pk) AND attribute_not_exists(read_at)",
            ),
            _update(self._table, keys.unread(tenant_id, user_id), "ADD unread :minus", {":minus": -1}),
            _update(
                self._table,
                keys.delivery(tenant_id, entry.message_id, Channel.INBOX.value),
                "SET #status = :read, read_at = :at",
                {":read": "read", ":at": at},
                {"#status": "status"},
            ),
        ]
        return self._with_reach(
            actions, tenant_id, entry.message_id, entry.notice_id, now, True, counts={"read_count": 1}
        )

    # ------------------------------------------------------------------ people: preferences, devices

    def person_settings(
        self, tenant_id: str, user_id: str
    ) -> tuple[Preferences | None, list[PushEndpoint], str | None]:
        """Preferences, registered devices and linked WeChat (``openid``) of one login: one query of the
        login's partition, where ``repositories/wechat.py`` keeps the link."""
        items = self._table.query_all(partition=keys.user_partition(tenant_id, user_id))
        prefs = next((i for i in items if i["sk"] == "PREFS"), None)
        endpoints = [_push(i) for i in items if str(i["sk"]).startswith("PUSH#")]
        link_sk = keys.wechat_link(tenant_id, user_id)["sk"]
        link = next((i for i in items if i["sk"] == link_sk and i.get("openid")), None)
        preferences = Preferences.model_validate_json(str(prefs["preferences"])) if prefs else None
        return preferences, endpoints, (str(link["openid"]) if link else None)

    def put_preferences(self, tenant_id: str, user_id: str, prefs: Preferences, at: str) -> None:
        self._table.put(
            {
                **keys.preferences(tenant_id, user_id),
                "entity": "preferences",
                "preferences": prefs.model_dump_json(),
                "updated_at": at,
            }
        )

    def add_push_endpoint(
        self, tenant_id: str, user_id: str, endpoint: PushEndpoint, token_digest: str
    ) -> None:
        self._table.put(
            {
                **keys.push_endpoint(tenant_id, user_id, endpoint.endpoint_id),
                "entity": "push_endpoint",
                "endpoint_id": endpoint.endpoint_id,
                "platform": endpoint.platform,
                "endpoint_arn": endpoint.endpoint_arn,
                "token_digest": token_digest,
                "created_at": endpoint.created_at,
            },
            condition=_NEW,
        )

    def push_endpoint_by_token(self, tenant_id: str, user_id: str, token_digest: str) -> PushEndpoint | None:
        items = self._table.query_all(partition=keys.user_partition(tenant_id, user_id), sk_prefix="PUSH#")
        found = next((i for i in items if i.get("token_digest") == token_digest), None)
        return _push(found) if found else None

    def push_endpoint(self, tenant_id: str, user_id: str, endpoint_id: str) -> PushEndpoint | None:
        item = self._table.get(keys.push_endpoint(tenant_id, user_id, endpoint_id), consistent=True)
        return _push(item) if item else None

    def delete_push_endpoint(self, tenant_id: str, user_id: str, endpoint_id: str) -> None:
        self._table.transact([self._table.delete_action(keys.push_endpoint(tenant_id, user_id, endpoint_id))])

    # ------------------------------------------------------------------ SMS cap

    def count_sms(self, tenant_id: str, local_date: str, cap: int, ttl: int) -> bool:
        """Count one SMS against the tenant's day; False (nothing counted) when the cap is reached."""
        try:
            self._table.update(
                keys.sms_counter(tenant_id, local_date),
                "ADD sent :one SET #ttl = :ttl",
                {":one": 1, ":cap": cap, ":ttl": ttl},
                names={"#ttl": "ttl"},
                condition="attribute_not_exists(sent) OR sent < :cap",
            )
        except Conflict:
            return False
        return True

    # ------------------------------------------------------------------ due index

    def due(self, now: datetime, per_shard: int = 100) -> Iterator[DueEntry]:
        """Every entry due at or before ``now``: pages of ``per_shard`` round-robin over the shards, taken as
        the caller goes on (``courtyard.drain``), so a run drains them all unless it stops."""
        upper = to_iso(now) + "~"  # every entry due at or before now, whatever follows the time

        def page(shard: int, start: Mapping[str, Any] | None) -> DuePage[DueEntry]:
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": _DUE_INDEX,
                "KeyConditionExpression": "due_pk = :pk AND due_sk < :upper",
                "ExpressionAttributeValues": serialize({":pk": keys.due_shard(shard), ":upper": upper}),
                "Limit": per_shard,
            }
            if start:
                params["ExclusiveStartKey"] = dict(start)
            response = self._table.client.query(**params)
            found = []
            for raw in response.get("Items", []):
                item = {k: _plain(v) for k, v in raw.items()}
                found.append(
                    DueEntry(
                        tenant_id=str(item["tenant_id"]),
                        kind=str(item["kind"]),
                        entry_id=str(item["entry_id"]),
                        due_at=str(item["due_at"]),
                        payload=str(item["payload"]) if item.get("payload") else None,
                    )
                )
            return found, response.get("LastEvaluatedKey")

        return shard_pages(page, keys.DUE_SHARDS)


# ---------------------------------------------------------------------- items <-> models


def _update(
    table: Table,
    key: Mapping[str, str],
    expression: str,
    values: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
    condition: str | None = None,
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "TableName": table.name,
        "Key": serialize(key),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": serialize(values),
    }
    if names:
        action["ExpressionAttributeNames"] = dict(names)
    if condition:
        action["ConditionExpression"] = condition
    return {"Update": action}


def _plain(value: Mapping[str, Any]) -> Any:
    from courtyard.table import deserialize

    return deserialize({"v": value})["v"]


def _notice_item(notice: Notice) -> dict[str, Any]:
    return {
        **keys.notice(notice.tenant_id, notice.notice_id),
        "entity": "notice",
        "tenant_id": notice.tenant_id,
        "notice_id": notice.notice_id,
        "status": notice.status.value,
        "content": {k: {"title": v.title, "body": v.body} for k, v in notice.content.items()},
        "audience": json.dumps(notice.audience, sort_keys=True),
        "channels": [c.value for c in notice.channels],
        "priority": notice.priority.value,
        "send_at": notice.send_at,
        "created_at": notice.created_at,
        "created_by": notice.created_by,
        "marketing": notice.marketing,
        "gsi1pk": keys.notices_index(notice.tenant_id),
        "gsi1sk": f"{notice.created_at}#{notice.notice_id}",
    }


def _notice(item: Mapping[str, Any]) -> Notice:
    return Notice(
        tenant_id=str(item["tenant_id"]),
        notice_id=str(item["notice_id"]),
        status=NoticeStatus(str(item["status"])),
        content={
            str(k): Text(title=str(v["title"]), body=str(v["body"])) for k, v in item["content"].items()
        },
        audience=json.loads(str(item["audience"])),
        channels=tuple(Channel(str(c)) for c in item["channels"]),
        priority=Priority(str(item["priority"])),
        send_at=str(item["send_at"]),
        created_at=str(item["created_at"]),
        created_by=str(item["created_by"]),
        sending_at=_opt(item, "sending_at"),
        sent_at=_opt(item, "sent_at"),
        cancelled_at=_opt(item, "cancelled_at"),
        recipients=int(item["recipients"]) if item.get("recipients") is not None else None,
        marketing=bool(item.get("marketing", False)),
    )


# A notice never phones anyone (voice is the emergency ladder's): its statistics leave the channel out.
_NOTICE_CHANNELS = tuple(c for c in Channel if c is not Channel.VOICE)


def _stats(item: Mapping[str, Any]) -> NoticeStats:
    sent = {c.value: int(item.get(f"sent_{c.value}", 0)) for c in _NOTICE_CHANNELS}
    failed = {
        c.value: int(item.get(f"failed_{c.value}", 0)) for c in _NOTICE_CHANNELS if c is not Channel.INBOX
    }
    return NoticeStats(
        recipients=int(item.get("recipients", 0)),
        sent=sent,
        failed=failed,
        held=max(0, int(item.get("held", 0))),
        read=int(item.get("read_count", 0)),
        reached=int(item.get("reached", 0)),
        reached_90_at=_opt(item, "reached_90_at"),
    )


def _due_item(tenant_id: str, kind: str, entry_id: str, at: str, payload: str | None) -> dict[str, Any]:
    return {
        **keys.due_entry(tenant_id, kind, entry_id),
        "entity": "due",
        "tenant_id": tenant_id,
        "kind": kind,
        "entry_id": entry_id,
        "due_at": at,
        "payload": payload,
        "due_pk": keys.due_partition(entry_id),
        "due_sk": keys.due_sort(at, tenant_id, kind, entry_id),
    }


def _delivery_item(
    tenant_id: str, message_id: str, channel: Channel, status: str, at: str, ttl: int
) -> dict[str, Any]:
    return {
        **keys.delivery(tenant_id, message_id, channel.value),
        "entity": "delivery",
        "message_id": message_id,
        "channel": channel.value,
        "status": status,
        "attempts": 0,
        "updated_at": at,
        "ttl": ttl,
    }


def _delivery(item: Mapping[str, Any]) -> DeliveryRecord:
    return DeliveryRecord(
        channel=Channel(str(item["channel"])),
        status=DeliveryStatus(str(item["status"])),
        reason=_opt(item, "reason"),
        attempts=int(item.get("attempts", 0)),
        updated_at=_opt(item, "updated_at"),
    )


def _inbox_entry(item: Mapping[str, Any]) -> InboxEntry:
    return InboxEntry(
        message_id=str(item["message_id"]),
        title=str(item["title"]),
        body=str(item["body"]),
        category=Category(str(item["category"])),
        priority=Priority(str(item["priority"])),
        created_at=str(item["created_at"]),
        read_at=_opt(item, "read_at"),
        notice_id=_opt(item, "notice_id"),
        data={str(k): str(v) for k, v in (item.get("data") or {}).items()},
    )


def _push(item: Mapping[str, Any]) -> PushEndpoint:
    return PushEndpoint(
        endpoint_id=str(item["endpoint_id"]),
        platform=str(item["platform"]),
        endpoint_arn=str(item["endpoint_arn"]),
        created_at=str(item["created_at"]),
    )


def _opt(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value) if value is not None else None


def ttl_after(now: datetime, days: int) -> int:
    return epoch(now) + days * 86_400
