"""Each firm's pass-signing keys in the visitors table (one signing key per firm, issue 17).

Items: ``T#{tenant}#PASSKEYS`` / ``KEY#{kid}`` (the P-256 private key, PEM, sealed by the kernel's
FieldCipher for that tenant; the public key, PEM; created_at) and ``T#{tenant}#PASSKEYS`` / ``CURRENT``
(the kid that signs new passes). Rotating a firm writes its own partition only: a new key item, then the
pointer moved by a conditional update from the kid it replaces, so two rotations at once make one winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from courtyard.dynamo import tenant_key
from courtyard.errors import Conflict
from courtyard.table import Table

CURRENT = "CURRENT"


@dataclass(frozen=True, slots=True)
class StoredKey:
    kid: str
    private_sealed: str
    public_pem: str
    created_at: str


def _partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "PASSKEYS")


class FirmKeysRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def keys(self, tenant_id: str) -> tuple[str | None, list[StoredKey]]:
        """The current kid (None before the firm's first pass) and every key the firm ever had."""
        items = self._table.query_all(partition=_partition(tenant_id), consistent=True)
        current = next((str(i["kid"]) for i in items if i["sk"] == CURRENT), None)
        stored = [_stored(i) for i in items if str(i["sk"]).startswith("KEY#")]
        return current, stored

    def add(self, tenant_id: str, key: StoredKey, replaces: str | None) -> bool:
        """Store ``key`` and make it current if the current one is still ``replaces``; False if another
        rotation (or a first key made concurrently) won."""
        item: dict[str, Any] = {
            "pk": _partition(tenant_id),
            "sk": f"KEY#{key.kid}",
            "entity": "pass_key",
            "kid": key.kid,
            "private_sealed": key.private_sealed,
            "public_pem": key.public_pem,
            "created_at": key.created_at,
        }
        pointer = {"pk": _partition(tenant_id), "sk": CURRENT, "entity": "pass_key_current", "kid": key.kid}
        condition = "attribute_not_exists(pk)" if replaces is None else "kid = :old"
        put = self._table.put_action(pointer, condition)
        if replaces is not None:
            put["Put"]["ExpressionAttributeValues"] = {":old": {"S": replaces}}
        try:
            self._table.transact([self._table.put_action(item, "attribute_not_exists(pk)"), put])
        except Conflict:
            return False
        return True


def _stored(item: dict[str, Any]) -> StoredKey:
    return StoredKey(
        kid=str(item["kid"]),
        private_sealed=str(item["private_sealed"]),
        public_pem=str(item["public_pem"]),
        created_at=str(item["created_at"]),
    )
