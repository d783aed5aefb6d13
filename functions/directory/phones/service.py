"""A resident changes their own phone number without learning whether a number is registered (issue 17).

``request`` answers the same for every well-formed number: it records a code for the caller and texts it to
the new number, and never looks the number up. Only ``confirm``, by someone who just proved they hold the
number, meets a clash, and then hears a neutral refusal (never who holds it). Codes follow
``directory.phones.codes``: salted digest, ten minutes, five wrong tries lock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from courtyard.tenancy import Role, TenantContext
from directory.people.models import PersonKind, Resident, ResidentChanges
from directory.people.repository import PeopleRepository
from directory.phones.codes import (
    CODE_TTL,
    MAX_ATTEMPTS,
    PhoneProof,
    Verdict,
    code_digest,
    new_code,
    new_salt,
    renewed,
    verdict,
)
from directory.phones.repository import PhoneProofs

PHONE_CHANGE = "phone_change"
UNAVAILABLE = (
    "this number cannot be used for your account; if it is yours, ask the property office to change it"
)


class Texter(Protocol):
    def text_code(self, phone: str, code: str, purpose: str) -> None: ...


def refused_code(result: Verdict) -> Exception:
    """The error for a code that proves nothing (shared by every use of a texted code)."""
    if result is Verdict.LOCKED:
        return TooManyRequests("too many wrong codes: wait for this code to expire, then ask for a new one")
    if result is Verdict.EXPIRED:
        return Unprocessable(
            "this code has expired; ask for a new one",
            [{"loc": ["body", "code"], "type": "code_expired", "msg": "code expired"}],
        )
    return Unprocessable(
        "the code is wrong",
        [{"loc": ["body", "code"], "type": "code_wrong", "msg": "wrong code"}],
    )


def check_code(proofs: PhoneProofs, proof: PhoneProof | None, code: str, now: datetime) -> PhoneProof:
    """The proof ``code`` opens, used up; otherwise the error (a wrong try is counted first)."""
    if proof is None:
        raise refused_code(Verdict.EXPIRED)
    result = verdict(proof, code, now)
    if result is Verdict.WRONG and not proofs.count_wrong(proof):
        result = Verdict.LOCKED
    if result is not Verdict.GOOD:
        raise refused_code(result)
    proofs.delete(proof)
    return proof


class PhoneChangeService:
    def __init__(
        self,
        people: PeopleRepository,
        proofs: PhoneProofs,
        texter: Texter,
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._people = people
        self._proofs = proofs
        self._texter = texter
        self._audit = audit
        self._clock = clock

    def request(self, ctx: TenantContext, phone: str) -> datetime:
        """Text a code to ``phone`` for the caller; when it expires. The same for a free or a taken number."""
        me = self._me(ctx)
        now = self._clock.now().replace(microsecond=0)
        code, salt = new_code(), new_salt()
        fresh = PhoneProof(
            tenant_id=ctx.tenant_id,
            purpose=PHONE_CHANGE,
            subject=me.resident_id,
            phone=phone,
            salt=salt,
            digest=code_digest(salt, code),
            expires_at=now + CODE_TTL,
        )
        proof = renewed(self._proofs.get(ctx.tenant_id, PHONE_CHANGE, me.resident_id), fresh, now)
        if proof.attempts >= MAX_ATTEMPTS:
            raise refused_code(Verdict.LOCKED)
        self._proofs.put(proof)
        self._texter.text_code(phone, code, PHONE_CHANGE)
        self._audit.record(ctx, "request_phone_change", "resident", me.resident_id, {})
        return proof.expires_at

    def confirm(self, ctx: TenantContext, code: str) -> Resident:
        """The texted code makes the number the caller's; a number held by another person is refused in
        words that do not say so."""
        me = self._me(ctx)
        now = self._clock.now()
        proof = check_code(
            self._proofs, self._proofs.get(ctx.tenant_id, PHONE_CHANGE, me.resident_id), code, now
        )
        if proof.phone != me.phone:
            changes = ResidentChanges(fields=frozenset({"phone"}), phone=proof.phone)
            try:
                self._people.update(ctx.tenant_id, me, changes, to_iso(now))
            except Conflict:
                raise Conflict(UNAVAILABLE) from None
        self._audit.record(ctx, "change_phone", "resident", me.resident_id, {"fields": ["phone"]})
        return replace(me, phone=proof.phone, updated_at=to_iso(now))

    def _me(self, ctx: TenantContext) -> Resident:
        ctx.require(Role.RESIDENT)
        link = self._people.user_link(ctx.tenant_id, ctx.user_id)
        if link is None or link.kind is not PersonKind.RESIDENT:
            raise NotFound("resident")
        me = self._people.resident(ctx.tenant_id, link.person_id, consistent=True)
        if me is None or me.erased:
            raise NotFound("resident")
        return me
