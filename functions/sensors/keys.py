"""The sensors table's key scheme; every partition key is tenant-prefixed (except the heartbeat shards).

Items:
- device        pk DEVICES, sk DEVICE#{id}; gsi1 = the site's devices (``{kind}#{id}``)
- rule          pk RULES, sk RULE#{id}; ``PACK#{kind}`` marks a kind whose default rules were installed
- state         pk STATE#{device}, sk STATE: evaluation state per rule, last seen, version; while a deadline
                is pending (heartbeat, event clear) ``due_pk``/``due_sk`` put it in the ``due`` index
- alarm         pk ALARM#{alarm_id}, sk ALARM; gsi1 = the tenant's alarms, gsi2 = the site's (newest first);
                beside it, sk OUTBOX#ack: the acknowledgment's pending event (``courtyard.outbox``) until sent
- current       pk CURRENT#{device}#{rule}, sk CURRENT: the one open alarm of a (device, rule)
- aggregate     pk AGG#{device}, sk H#{YYYY-MM-DDTHH}: min/max/sum/count per metric for the hour, ``ttl``
- ledger        pk LEDGER#{device}, sk {occurred_at}#{event_id}: maintenance history from ticket events
- registration  pk IDEM#DEVICE#{user}#{key digest}, sk CLAIM: the device id a client's Idempotency-Key stands
                for, the request digest, the lease of the attempt under way, ``ttl``
"""

from __future__ import annotations

from courtyard.dynamo import tenant_key

# The due index is the one cross-tenant read (the heartbeat job): write-sharded like tickets' due index.
DUE_SHARDS = 8


def device(tenant_id: str, device_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "DEVICES"), "sk": f"DEVICE#{device_id}"}


def devices_partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "DEVICES")


def site_devices(tenant_id: str, site_id: str) -> str:
    return tenant_key(tenant_id, "SITE", site_id, "DEVICES")


def rule(tenant_id: str, rule_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "RULES"), "sk": f"RULE#{rule_id}"}


def rules_partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "RULES")


def pack_marker(tenant_id: str, kind: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "RULES"), "sk": f"PACK#{kind}"}


def state(tenant_id: str, device_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "STATE", device_id), "sk": "STATE"}


def alarm(tenant_id: str, alarm_id: str) -> dict[str, str]:
    return {"pk": alarm_partition(tenant_id, alarm_id), "sk": "ALARM"}


def alarm_partition(tenant_id: str, alarm_id: str) -> str:
    """The alarm's partition: its item and its outbox's pending events (``courtyard.outbox``)."""
    return tenant_key(tenant_id, "ALARM", alarm_id)


def tenant_alarms(tenant_id: str) -> str:
    return tenant_key(tenant_id, "ALARMS")


def site_alarms(tenant_id: str, site_id: str) -> str:
    return tenant_key(tenant_id, "SITE", site_id, "ALARMS")


def current(tenant_id: str, device_id: str, rule_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "CURRENT", device_id, rule_id), "sk": "CURRENT"}


def aggregates(tenant_id: str, device_id: str) -> str:
    return tenant_key(tenant_id, "AGG", device_id)


def aggregate(tenant_id: str, device_id: str, hour: str) -> dict[str, str]:
    return {"pk": aggregates(tenant_id, device_id), "sk": f"H#{hour}"}


def ledger(tenant_id: str, device_id: str) -> str:
    return tenant_key(tenant_id, "LEDGER", device_id)


def due_partition(device_id: str) -> str:
    return f"HB#{sum(device_id.encode()) % DUE_SHARDS}"


def due_shard(shard: int) -> str:
    if shard not in range(DUE_SHARDS):
        raise ValueError(f"shard {shard} is not 0..{DUE_SHARDS - 1}")
    return f"HB#{shard}"


def due_sort(deadline: str, tenant_id: str, device_id: str) -> str:
    return f"{deadline}#{tenant_id}#{device_id}"


def registration(tenant_id: str, user_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "IDEM", "DEVICE", user_id, key_digest), "sk": "CLAIM"}
