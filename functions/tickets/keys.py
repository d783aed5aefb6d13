"""The tickets table's key scheme: every partition key is tenant-prefixed, every reader and writer uses these.

Items (attributes beyond the keys are listed where they are written):
- ticket        pk TICKET#{id}, sk TICKET; gsi1 = the site's tickets, gsi2 = the reporter's, gsi3 = the
                assignee's, gsi4 = the tenant's (newest first by ``{created_at}#{id}``); while open,
                ``due_pk``/``due_sk`` put it in the due index
- timeline      pk TICKET#{id}, sk TL#{at}#{seq}
- comment       pk TICKET#{id}, sk COMMENT#{at}#{comment_id}
- photo         pk TICKET#{id}, sk PHOTO#{photo_id}
- claims        IDEM (client retries), ALARM (one ticket per alarm): conditional puts, written with the ticket
- device work   pk DEVICE#{device_id}#RULE#{rule_id}, sk WORKORDER: the work order a device's alarms of one
                rule join while it is open (ticket_id, episodes)
- load          pk LOAD, sk STAFF#{staff_id}: open tickets per technician, for dispatch by fewest open
- settings      pk SETTINGS, sk TICKETS: dispatch rules, SLA targets, business calendar, auto-close window
"""

from __future__ import annotations

from courtyard.dynamo import tenant_key

# The due index is the one cross-tenant read: the scheduled job asks "which open tickets need a look now?"
# It is write-sharded so no single partition takes every tenant's updates.
DUE_SHARDS = 8


def ticket(tenant_id: str, ticket_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "TICKET", ticket_id), "sk": "TICKET"}


def ticket_partition(tenant_id: str, ticket_id: str) -> str:
    return tenant_key(tenant_id, "TICKET", ticket_id)


def timeline_entry(tenant_id: str, ticket_id: str, at: str, seq: int) -> dict[str, str]:
    return {"pk": ticket_partition(tenant_id, ticket_id), "sk": f"TL#{at}#{seq:03d}"}


def comment(tenant_id: str, ticket_id: str, at: str, comment_id: str) -> dict[str, str]:
    return {"pk": ticket_partition(tenant_id, ticket_id), "sk": f"COMMENT#{at}#{comment_id}"}


def photo(tenant_id: str, ticket_id: str, photo_id: str) -> dict[str, str]:
    return {"pk": ticket_partition(tenant_id, ticket_id), "sk": f"PHOTO#{photo_id}"}


def site_index(tenant_id: str, site_id: str) -> str:
    return tenant_key(tenant_id, "SITE", site_id, "TICKETS")


def reporter_index(tenant_id: str, user_id: str) -> str:
    return tenant_key(tenant_id, "REPORTER", user_id)


def assignee_index(tenant_id: str, staff_id: str) -> str:
    return tenant_key(tenant_id, "ASSIGNEE", staff_id)


def tenant_index(tenant_id: str) -> str:
    """gsi4pk: every ticket of the tenant, newest first (staff lists without a site filter, KPIs)."""
    return tenant_key(tenant_id, "TICKETS")


def order_key(created_at: str, ticket_id: str) -> str:
    return f"{created_at}#{ticket_id}"


def idempotency_claim(tenant_id: str, user_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "IDEM", "TICKET", user_id, key_digest), "sk": "CLAIM"}


def alarm_claim(tenant_id: str, alarm_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "ALARM", alarm_id), "sk": "CLAIM"}


def device_work_order(tenant_id: str, device_id: str, rule_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "DEVICE", device_id, "RULE", rule_id), "sk": "WORKORDER"}


def load(tenant_id: str, staff_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "LOAD"), "sk": f"STAFF#{staff_id}"}


def load_partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "LOAD")


def settings(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "SETTINGS"), "sk": "TICKETS"}


def due_partition(ticket_id: str) -> str:
    """The due-index shard of a ticket, stable for its life."""
    return f"DUE#{sum(ticket_id.encode()) % DUE_SHARDS}"


def due_sort(next_check_at: str, tenant_id: str, ticket_id: str) -> str:
    return f"{next_check_at}#{tenant_id}#{ticket_id}"
