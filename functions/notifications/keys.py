"""The notifications table's key scheme; every partition key is tenant-prefixed.

Items:
- notice        pk NOTICE#{id}, sk NOTICE; gsi1 = the tenant's notices, newest first (``{created_at}#{id}``)
- statistics    pk NOTICE#{id}, sk STATS: recipients, sent_/failed_{channel}, read, reached, reached_90_at
                (atomic ADD counters, never a scan)
- notice claim  pk IDEM#{digest}, sk NOTICE: a client's Idempotency-Key -> notice_id (ttl)
- message head  pk MSG#{message_id}, sk HEAD: the claim of one message to one recipient (dedupe), its
                source, recipient, reached_at
- delivery      pk MSG#{message_id}, sk CH#{channel}: status (queued, held, sent, failed, read), reason,
                attempts, provider id, times
- inbox entry   pk INBOX#{user_id}, sk MSG#{message_id}: title, body, category, priority, read_at (ttl)
- unread count  pk INBOX#{user_id}, sk UNREAD
- preferences   pk USER#{user_id}, sk PREFS
- push endpoint pk USER#{user_id}, sk PUSH#{endpoint_id}: platform, endpoint_arn, token digest
- WeChat link   pk USER#{user_id}, sk WECHAT: the service account's openid of the person (issue 18), from
                identity's ``ResidentWeChatLinked``; erased and exported with the partition
- SMS counter   pk SMS#{local date}, sk COUNT: the tenant's SMS sent that day (ttl)
- due entry     pk DUE#{kind}#{id}, sk DUE; ``due_pk``/``due_sk`` put it in the due index (scheduled
                notices, messages held by quiet hours)
"""

from __future__ import annotations

from courtyard.dynamo import tenant_key

# The due index is the one cross-tenant read (the every-minute job); write-sharded like the tickets'. 64: the
# 07:00 release of 10 million households (15 M held entries removed over its 10-minute spread, 25,000
# writes a second) at twice that over DynamoDB's 1,000 writes a second per partition (bench/scale.py). The
# old 4 shards are among the 64, so entries written before still drain; an empty shard costs one query a run.
DUE_SHARDS = 64


def notice(tenant_id: str, notice_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "NOTICE", notice_id), "sk": "NOTICE"}


def notice_stats(tenant_id: str, notice_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "NOTICE", notice_id), "sk": "STATS"}


def notice_partition(tenant_id: str, notice_id: str) -> str:
    return tenant_key(tenant_id, "NOTICE", notice_id)


def notices_index(tenant_id: str) -> str:
    return tenant_key(tenant_id, "NOTICES")


def notice_claim(tenant_id: str, digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "IDEM", digest), "sk": "NOTICE"}


def message_partition(tenant_id: str, message_id: str) -> str:
    return tenant_key(tenant_id, "MSG", message_id)


def message_head(tenant_id: str, message_id: str) -> dict[str, str]:
    return {"pk": message_partition(tenant_id, message_id), "sk": "HEAD"}


def delivery(tenant_id: str, message_id: str, channel: str) -> dict[str, str]:
    return {"pk": message_partition(tenant_id, message_id), "sk": f"CH#{channel}"}


def inbox_partition(tenant_id: str, user_id: str) -> str:
    return tenant_key(tenant_id, "INBOX", user_id)


def inbox_entry(tenant_id: str, user_id: str, message_id: str) -> dict[str, str]:
    return {"pk": inbox_partition(tenant_id, user_id), "sk": f"MSG#{message_id}"}


def unread(tenant_id: str, user_id: str) -> dict[str, str]:
    return {"pk": inbox_partition(tenant_id, user_id), "sk": "UNREAD"}


def user_partition(tenant_id: str, user_id: str) -> str:
    return tenant_key(tenant_id, "USER", user_id)


def preferences(tenant_id: str, user_id: str) -> dict[str, str]:
    return {"pk": user_partition(tenant_id, user_id), "sk": "PREFS"}


def push_endpoint(tenant_id: str, user_id: str, endpoint_id: str) -> dict[str, str]:
    return {"pk": user_partition(tenant_id, user_id), "sk": f"PUSH#{endpoint_id}"}


def wechat_link(tenant_id: str, user_id: str) -> dict[str, str]:
    return {"pk": user_partition(tenant_id, user_id), "sk": "WECHAT"}


def sms_counter(tenant_id: str, local_date: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "SMS", local_date), "sk": "COUNT"}


def due_entry(tenant_id: str, kind: str, entry_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "DUE", kind, entry_id), "sk": "DUE"}


def due_partition(entry_id: str) -> str:
    return f"DUE#{sum(entry_id.encode()) % DUE_SHARDS}"


def due_shard(shard: int) -> str:
    return f"DUE#{shard}"


def due_sort(at: str, tenant_id: str, kind: str, entry_id: str) -> str:
    return f"{at}#{tenant_id}#{kind}#{entry_id}"
