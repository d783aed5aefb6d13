"""Codes in flight in the directory table: ``T#{tenant}#PROOF#{purpose}#{subject}`` / ``PROOF``, holding the
phone encrypted (FieldCipher), the code's salt and digest (never the code), the expiry and the wrong tries.
Items expire by TTL an hour after the code does. A wrong try is counted by one conditional update, so two
concurrent guesses cannot both slip under the limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from courtyard.clock import epoch, parse_iso, to_iso
from courtyard.crypto import FieldCipher
from courtyard.dynamo import tenant_key
from courtyard.errors import Conflict
from directory.phones.codes import MAX_ATTEMPTS, PhoneProof
from directory.table import DirectoryTable

KEEP = timedelta(hours=1)


def _key(tenant_id: str, purpose: str, subject: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "PROOF", purpose, subject), "sk": "PROOF"}


class PhoneProofs:
    def __init__(self, table: DirectoryTable, cipher: FieldCipher) -> None:
        self._table = table
        self._cipher = cipher

    def get(self, tenant_id: str, purpose: str, subject: str) -> PhoneProof | None:
        item = self._table.get(_key(tenant_id, purpose, subject), consistent=True)
        if item is None:
            return None
        return PhoneProof(
            tenant_id=tenant_id,
            purpose=purpose,
            subject=subject,
            phone=self._cipher.decrypt(tenant_id, str(item["phone_enc"])),
            salt=str(item["salt"]),
            digest=str(item["digest"]),
            expires_at=parse_iso(str(item["expires_at"])),
            attempts=int(item.get("attempts", 0)),
            detail=str(item.get("detail", "")),
        )

    def put(self, proof: PhoneProof) -> None:
        item: dict[str, Any] = {
            **_key(proof.tenant_id, proof.purpose, proof.subject),
            "entity": "phone_proof",
            "phone_enc": self._cipher.encrypt(proof.tenant_id, proof.phone),
            "salt": proof.salt,
            "digest": proof.digest,
            "expires_at": to_iso(proof.expires_at),
            "attempts": proof.attempts,
            "detail": proof.detail,
            "ttl": epoch(proof.expires_at + KEEP),
        }
        self._table.put(item)

    def count_wrong(self, proof: PhoneProof) -> bool:
        """One more wrong try; False when the limit was already reached (by a concurrent guess)."""
        try:
            self._table.update(
                _key(proof.tenant_id, proof.purpose, proof.subject),
                "ADD attempts :one",
                {":one": 1, ":max": MAX_ATTEMPTS},
                condition="attribute_exists(pk) AND attempts < :max",
                conflict="too many wrong codes",
            )
        except Conflict:
            return False
        return True

    def delete(self, proof: PhoneProof) -> None:
        self._table.client.delete_item(
            TableName=self._table.name,
            Key={k: {"S": v} for k, v in _key(proof.tenant_id, proof.purpose, proof.subject).items()},
        )
