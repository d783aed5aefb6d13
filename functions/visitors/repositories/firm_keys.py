"""Each firm's pass-signing keys in the visitors table (one signing key per firm, issue 17).

Items: ``T#{tenant}#PASSKEYS`` / ``KEY#{kid}`` (the P-256 private key, PEM, sealed by the kernel's
FieldCipher for that tenant; the public key, PEM; created_at; ``signs_until``, epoch seconds, at least the
latest ``exp`` of a pass it signed; ``retired_at`` once another key replaced it), ``T#{tenant}#PASSKEYS`` /
``CURRENT`` (the kid that signs new passes) and ``T#{tenant}#PASSKEYS`` / ``ROTATION#{key digest}`` (a
manager's rotation under an Idempotency-Key, so a retry answers the same rotation). Rotating a firm writes
its own partition only: a new key item, the old one stamped retired and the pointer moved by a conditional
update from the kid it replaces, in one transaction, so two rotations at once make one winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    signs_until: int | None = None
    retired_at: str | None = None


@dataclass(frozen=True, slots=True)
class Rotation:
    """One rotation of a firm's key: the key that signs from then on and the one it replaced."""

    kid: str
    previous_kid: str | None
    rotated_at: str


def _partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "PASSKEYS")


def _key(tenant_id: str, kid: str) -> dict[str, str]:
    return {"pk": _partition(tenant_id), "sk": f"KEY#{kid}"}


class FirmKeysRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def keys(self, tenant_id: str) -> tuple[str | None, list[StoredKey]]:
        """The current kid (None before the firm's first pass) and every key the firm still keeps."""
        items = self._table.query_all(partition=_partition(tenant_id), consistent=True)
        current = next((str(i["kid"]) for i in items if i["sk"] == CURRENT), None)
        stored = [_stored(i) for i in items if str(i["sk"]).startswith("KEY#")]
        return current, stored

    def add(
        self,
        tenant_id: str,
        key: StoredKey,
        replaces: str | None,
        *,
        claim: str | None = None,
        also: Iterable[Mapping[str, Any]] = (),
    ) -> bool:
        """Store ``key`` and make it current if the current one is still ``replaces`` (stamped retired);
        False if another rotation (or a first key made concurrently), or the same ``claim``, won.
        ``also``: actions that commit with it (the rotation's audit record)."""
        item: dict[str, Any] = {
            **_key(tenant_id, key.kid),
            "entity": "pass_key",
            "kid": key.kid,
            "private_sealed": key.private_sealed,
            "public_pem": key.public_pem,
            "created_at": key.created_at,
        }
        pointer = {"pk": _partition(tenant_id), "sk": CURRENT, "entity": "pass_key_current", "kid": key.kid}
        condition = "attribute_not_exists(pk)" if replaces is None else "kid = :old"
        put = self._table.put_action(pointer, condition)
        actions = [self._table.put_action(item, "attribute_not_exists(pk)"), put, *also]
        if replaces is not None:
            put["Put"]["ExpressionAttributeValues"] = {":old": {"S": replaces}}
            actions.append(
                self._table.update_action(
                    _key(tenant_id, replaces),
                    "SET retired_at = :at",
                    {":at": key.created_at},
                    condition="attribute_exists(pk)",
                )
            )
        if claim is not None:
            rotation = {
                "pk": _partition(tenant_id),
                "sk": f"ROTATION#{claim}",
                "entity": "pass_key_rotation",
                "kid": key.kid,
                "previous_kid": replaces,
                "rotated_at": key.created_at,
            }
            actions.append(self._table.put_action(rotation, "attribute_not_exists(pk)"))
        try:
            self._table.transact(actions)
        except Conflict:
            return False
        return True

    def rotation(self, tenant_id: str, claim: str) -> Rotation | None:
        """The rotation a manager made under this key digest, if any (a retry answers it)."""
        item = self._table.get({"pk": _partition(tenant_id), "sk": f"ROTATION#{claim}"}, consistent=True)
        if item is None:
            return None
        previous = item.get("previous_kid")
        return Rotation(str(item["kid"]), str(previous) if previous else None, str(item["rotated_at"]))

    def cover(self, tenant_id: str, kid: str, until: int) -> None:
        """Record that ``kid`` signs passes valid until ``until`` (epoch seconds); never lowers it."""
        try:
            self._table.update(
                _key(tenant_id, kid),
                "SET signs_until = :until",
                {":until": until},
                condition="attribute_exists(pk) AND "
                "(attribute_not_exists(signs_until) OR signs_until < :until)",
            )
        except Conflict:
            return  # another sandbox recorded a later end already

    def drop(self, tenant_id: str, kids: Iterable[str]) -> None:
        """Delete retired keys past their last pass (their sealed private key goes with them)."""
        retired = "attribute_exists(retired_at)"
        actions = [self._table.delete_action(_key(tenant_id, kid), retired) for kid in kids]
        try:
            self._table.transact(actions[:100])
        except Conflict:
            return  # dropped meanwhile by another rotation: nothing left to do


def _stored(item: dict[str, Any]) -> StoredKey:
    until = item.get("signs_until")
    retired = item.get("retired_at")
    return StoredKey(
        kid=str(item["kid"]),
        private_sealed=str(item["private_sealed"]),
        public_pem=str(item["public_pem"]),
        created_at=str(item["created_at"]),
        signs_until=int(until) if until is not None else None,
        retired_at=str(retired) if retired else None,
    )
