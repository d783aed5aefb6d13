"""Keys of the visitors table; every partition key starts with ``T#{tenant_id}#``.

Items: a pass (``PASS#{id}`` / ``PASS``; its entry counter is an attribute of the same item, so one
conditional update both counts and checks the limit), a visit log line per scan (``VISITS#{site}#{local day}``
/ ``{scanned_at}#{scan_id}``), a blocklist entry (``BLOCK#{site}`` / ``{kind}#{digest}``), an idempotency
claim (``CLAIM#{user}#{key digest}``) and the tenant's visitor settings (``SETTINGS`` / ``VISITORS``).
"""

from __future__ import annotations

from datetime import datetime

from courtyard.clock import epoch, to_iso
from courtyard.dynamo import tenant_key


def visitor_pass(tenant_id: str, pass_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "PASS", pass_id), "sk": "PASS"}


def host_index(tenant_id: str, user_id: str) -> str:
    """gsi1pk of the passes a user hosts (gsi1sk ``{created_at}#{pass_id}``)."""
    return tenant_key(tenant_id, "HOST", user_id)


def site_passes_index(tenant_id: str, site_id: str) -> str:
    """gsi2pk of a community's passes (gsi2sk ``{created_at}#{pass_id}``)."""
    return tenant_key(tenant_id, "SITE", site_id, "PASSES")


def plate_index(tenant_id: str, site_id: str, plate_digest: str) -> str:
    """gsi3pk of a community's passes for one plate (gsi3sk ``{valid_until}#{pass_id}``)."""
    return tenant_key(tenant_id, "SITE", site_id, "PLATE", plate_digest)


def visits(tenant_id: str, site_id: str, day: str) -> str:
    """The visit log of a community on one local day (sk ``{scanned_at}#{scan_id}``)."""
    return tenant_key(tenant_id, "VISITS", site_id, day)


def pass_log_index(tenant_id: str, pass_id: str) -> str:
    """gsi1pk of a pass's log lines (gsi1sk ``{scanned_at}#{scan_id}``)."""
    return tenant_key(tenant_id, "PASSLOG", pass_id)


def blocklist(tenant_id: str, site_id: str) -> str:
    return tenant_key(tenant_id, "BLOCK", site_id)


def block_entry(tenant_id: str, site_id: str, kind: str, digest: str) -> dict[str, str]:
    return {"pk": blocklist(tenant_id, site_id), "sk": f"{kind}#{digest}"}


def claim(tenant_id: str, user_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "CLAIM", user_id, key_digest), "sk": "CLAIM"}


def revocations(tenant_id: str, site_id: str) -> str:
    """A community's revoked passes in their window (sk ``{valid_until}#{pass_id}``, TTL at its end)."""
    return tenant_key(tenant_id, "REVOKED", site_id)


def revocation_entry(tenant_id: str, site_id: str, pass_id: str, valid_until: datetime) -> dict[str, object]:
    """The revocation list's item for one pass; DynamoDB's TTL removes it when the pass's window ends."""
    until = to_iso(valid_until)
    return {
        "pk": revocations(tenant_id, site_id),
        "sk": f"{until}#{pass_id}",
        "pass_id": pass_id,
        "valid_until": until,
        "ttl": epoch(valid_until),
    }


def settings(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "SETTINGS"), "sk": "VISITORS"}
