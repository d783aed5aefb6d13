"""Whether a resident's sign-in followed their new number, as attributes of their profile item.

When a resident who signs in gets a new number (``PeopleRepository.update``), the profile keeps
``phone_follow`` (the new number's sign-in digest) and ``phone_before_enc`` (the previous number, sealed).
When identity refuses the new number (``ResidentPhoneChangeRefused``), ``revert`` puts the previous number
back in one transaction with its phone claims and the audit record, and leaves ``phone_refused`` (the
refused number, masked) and ``phone_refused_at`` for the app to show next to the phone field. Conditional
on ``phone_follow``: a redelivered refusal, or one for a number already changed again, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from courtyard.crypto import FieldCipher
from courtyard.directory import Keys
from directory.people.repository import PeopleRepository, TransactionRefused, phone_claim_item
from directory.table import DirectoryTable


@dataclass(frozen=True, slots=True)
class PhoneFollow:
    """A number change identity has not refused (yet): the new number's sign-in digest, the previous one."""

    digest: str
    previous: str | None


@dataclass(frozen=True, slots=True)
class PhoneRefusal:
    phone: str  # masked
    at: str


class PhoneFollows:
    def __init__(self, table: DirectoryTable, cipher: FieldCipher, people: PeopleRepository) -> None:
        self._table = table
        self._cipher = cipher
        self._people = people

    def _profile(self, tenant_id: str, resident_id: str) -> dict[str, Any] | None:
        return self._table.get(Keys.resident(tenant_id, resident_id), consistent=True)

    def pending(self, tenant_id: str, resident_id: str) -> PhoneFollow | None:
        item = self._profile(tenant_id, resident_id)
        if item is None or not item.get("phone_follow") or item.get("erased_at"):
            return None
        before = item.get("phone_before_enc")
        return PhoneFollow(
            digest=str(item["phone_follow"]),
            previous=self._cipher.decrypt(tenant_id, str(before)) if before else None,
        )

    def refusal(self, tenant_id: str, resident_id: str) -> PhoneRefusal | None:
        item = self._profile(tenant_id, resident_id)
        if item is None or not item.get("phone_refused"):
            return None
        return PhoneRefusal(phone=str(item["phone_refused"]), at=str(item.get("phone_refused_at", "")))

    def revert(
        self,
        tenant_id: str,
        resident_id: str,
        current_phone: str | None,
        follow: PhoneFollow,
        refusal: PhoneRefusal,
        audit: dict[str, Any],
    ) -> bool:
        """The previous number back, the refusal recorded, the audit record: all or nothing. False when the
        change was already reverted or replaced, or the previous number now belongs to another resident
        (then only the refusal is recorded, and the desk settles the number)."""
        tx = self._people.tx()
        sets = ["phone_refused = :refused", "phone_refused_at = :at", "updated_at = :at"]
        removes = ["phone_follow", "phone_before_enc"]
        values: dict[str, Any] = {":refused": refusal.phone, ":at": refusal.at, ":follow": follow.digest}
        if current_phone:
            tx.delete(
                "new_phone",
                Keys.phone_claim(tenant_id, self._people.phone_digest(tenant_id, current_phone)),
                "resident_id = :rid",
                {":rid": resident_id},
            )
        if follow.previous:
            previous_digest = self._people.phone_digest(tenant_id, follow.previous)
            sets += ["phone_enc = :phone", "phone_digest = :digest"]
            values[":phone"] = self._cipher.encrypt(tenant_id, follow.previous)
            values[":digest"] = previous_digest
            tx.put(
                "phone",
                phone_claim_item(tenant_id, previous_digest, resident_id, refusal.at),
                "attribute_not_exists(pk)",
            )
        else:
            removes += ["phone_enc", "phone_digest"]
        tx.update(
            "resident",
            Keys.resident(tenant_id, resident_id),
            "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes),
            values,
            condition="phone_follow = :follow AND attribute_not_exists(erased_at)",
        )
        tx.include("audit", audit)
        try:
            tx.run()
        except TransactionRefused as refused:
            if refused.labels != {"phone"}:
                return False
            self._record_only(tenant_id, resident_id, follow, refusal)
            return False
        return True

    def _record_only(
        self, tenant_id: str, resident_id: str, follow: PhoneFollow, refusal: PhoneRefusal
    ) -> None:
        tx = self._people.tx()
        tx.update(
            "resident",
            Keys.resident(tenant_id, resident_id),
            "SET phone_refused = :refused, phone_refused_at = :at REMOVE phone_follow, phone_before_enc",
            {":refused": refusal.phone, ":at": refusal.at, ":follow": follow.digest},
            condition="phone_follow = :follow AND attribute_not_exists(erased_at)",
        )
        try:
            tx.run()
        except TransactionRefused:
            return
