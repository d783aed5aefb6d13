"""Invitation items of the directory table.

``Keys.invite(tenant, sha256(tenant.secret))``: tenant_id, unit_id, site_id, relation, primary,
expires_at (ISO), expires_epoch (the condition of acceptance), created_by, created_at, status ("open" or
"used"), optional invitee_name_enc, invitee_phone_enc, invitee_phone_digest (blind index); once used:
used_by, used_at, resident_id. ``ttl`` (epoch) is 90 days after expiry, for a TTL setting on the table.
``gsi1pk`` = the unit's invitations (``unit_invites_index``), ``gsi1sk`` = a ULID taken when written (creation
order to the millisecond: created_at keeps whole seconds): the desk lists a unit's invitations newest first
without reading any other partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from courtyard.clock import epoch, to_iso
from courtyard.crypto import FieldCipher
from courtyard.directory import Keys
from courtyard.dynamo import tenant_key
from courtyard.ids import new_id
from directory.invites.models import Invite, InviteStatus
from directory.people.models import Relation
from directory.people.repository import Tx
from directory.table import DirectoryTable

_RETAIN_AFTER_EXPIRY_SECONDS = 90 * 86_400


def unit_invites_index(tenant_id: str, unit_id: str) -> str:
    """gsi1pk of a unit's invitations."""
    return tenant_key(tenant_id, "UNIT", unit_id, "INVITES")


class InviteRepository:
    def __init__(self, table: DirectoryTable, cipher: FieldCipher) -> None:
        self._table = table
        self._cipher = cipher

    def create(self, invite: Invite) -> None:
        t = invite.tenant_id
        item: dict[str, Any] = {
            **Keys.invite(t, invite.digest),
            "tenant_id": t,
            "unit_id": invite.unit_id,
            "site_id": invite.site_id,
            "relation": invite.relation.value,
            "primary": invite.primary,
            "expires_at": to_iso(invite.expires_at),
            "expires_epoch": epoch(invite.expires_at),
            "ttl": epoch(invite.expires_at) + _RETAIN_AFTER_EXPIRY_SECONDS,
            "created_by": invite.created_by,
            "created_at": invite.created_at,
            "status": invite.status.value,
            "invitee_name_enc": self._cipher.encrypt(t, invite.invitee_name) if invite.invitee_name else None,
            "invitee_phone_enc": self._cipher.encrypt(t, invite.invitee_phone)
            if invite.invitee_phone
            else None,
            "invitee_phone_digest": invite.invitee_phone_digest,
            "gsi1pk": unit_invites_index(t, invite.unit_id),
            "gsi1sk": new_id(),
        }
        # A digest collision of two random 50-bit secrets is a retryable conflict, never an overwrite.
        self._table.put(item, condition="attribute_not_exists(pk)", conflict="please try again")

    def get(self, tenant_id: str, digest: str) -> Invite | None:
        item = self._table.get(Keys.invite(tenant_id, digest), consistent=True)
        return self._invite(tenant_id, digest, item) if item else None

    def unit_page(
        self, tenant_id: str, unit_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Invite], str | None]:
        """One page of a unit's invitations, newest first."""
        page = self._table.query_page(
            tenant_id,
            partition=unit_invites_index(tenant_id, unit_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope=f"invites:{unit_id}",
            forward=False,
        )
        invites = [self._invite(tenant_id, self._digest_of(item), item) for item in page.items]
        return invites, page.next_cursor

    @staticmethod
    def _digest_of(item: Mapping[str, Any]) -> str:
        # The key's last part is the digest: Keys.invite(t, digest)["pk"] ends with "#{digest}".
        return str(item["pk"]).rsplit("#", 1)[-1]

    def add_use(self, tx: Tx, invite: Invite, user_id: str, resident_id: str, now: datetime) -> None:
        """Mark the invitation used, only if still open and unexpired at ``now`` (single use, atomically)."""
        tx.update(
            "invite",
            Keys.invite(invite.tenant_id, invite.digest),
            "SET #status = :used, used_by = :uid, used_at = :at, resident_id = :rid",
            {
                ":used": InviteStatus.USED.value,
                ":open": InviteStatus.OPEN.value,
                ":uid": user_id,
                ":at": to_iso(now),
                ":rid": resident_id,
                ":now": epoch(now),
            },
            names={"#status": "status"},
            condition="#status = :open AND expires_epoch > :now",
        )

    def _invite(self, tenant_id: str, digest: str, item: Mapping[str, Any]) -> Invite:
        name = item.get("invitee_name_enc")
        phone = item.get("invitee_phone_enc")
        return Invite(
            tenant_id=tenant_id,
            digest=digest,
            unit_id=str(item["unit_id"]),
            site_id=str(item.get("site_id", "")),
            relation=Relation(str(item["relation"])),
            primary=bool(item.get("primary", False)),
            expires_at=datetime.fromtimestamp(int(item["expires_epoch"]), UTC),
            created_by=str(item.get("created_by", "")),
            created_at=str(item.get("created_at", "")),
            status=InviteStatus(str(item["status"])),
            invitee_name=self._cipher.decrypt(tenant_id, str(name)) if name else None,
            invitee_phone=self._cipher.decrypt(tenant_id, str(phone)) if phone else None,
            invitee_phone_digest=str(item["invitee_phone_digest"])
            if item.get("invitee_phone_digest")
            else None,
            used_by=str(item["used_by"]) if item.get("used_by") else None,
            used_at=str(item["used_at"]) if item.get("used_at") else None,
            resident_id=str(item["resident_id"]) if item.get("resident_id") else None,
        )
