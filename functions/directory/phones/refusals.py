"""Identity refused a resident's new number as their sign-in (``ResidentPhoneChangeRefused``): the directory
puts the previous number back, so the directory and identity give one answer, and the resident is told next
to the phone field (``GET /me/phone``). The refusal carries the number's sign-in digest, never the number: it
applies only while the resident's pending change is to that very number (``phone_follow``)."""

from __future__ import annotations

from courtyard.audit import TransactionalAuditLog
from courtyard.clock import Clock, to_iso
from courtyard.crypto import mask_phone
from directory.people.repository import PeopleRepository
from directory.phones.follows import PhoneFollows, PhoneRefusal
from schemas.events import ResidentPhoneChangeRefused

ACTOR = "identity"


class PhoneRefusals:
    def __init__(
        self, people: PeopleRepository, follows: PhoneFollows, audit: TransactionalAuditLog, clock: Clock
    ) -> None:
        self._people = people
        self._follows = follows
        self._audit = audit
        self._clock = clock

    def apply(self, event: ResidentPhoneChangeRefused) -> str:
        """``reverted``, ``recorded`` (the previous number is now another resident's: the refusal is shown,
        the desk settles the number) or ``stale`` (already reverted, changed again since, or erased)."""
        tenant_id, resident_id = event.tenant_id, event.resident_id
        follow = self._follows.pending(tenant_id, resident_id)
        if follow is None or follow.digest != event.sign_in_phone_digest:
            return "stale"
        resident = self._people.resident(tenant_id, resident_id, consistent=True)
        if resident is None or resident.erased or resident.user_id != event.user_id:
            return "stale"
        refusal = PhoneRefusal(phone=mask_phone(resident.phone or ""), at=to_iso(self._clock.now()))
        audit = self._audit.put_action(
            None,
            "phone_change_refused",
            "resident",
            resident_id,
            {"fields": ["phone"], "reason": "sign_in_taken"},
            actor=ACTOR,
            tenant_id=tenant_id,
        )
        if self._follows.revert(tenant_id, resident_id, resident.phone, follow, refusal, audit):
            return "reverted"
        return "recorded" if self._follows.refusal(tenant_id, resident_id) == refusal else "stale"
