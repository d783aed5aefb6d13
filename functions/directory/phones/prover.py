"""Texting a code to a number and checking it (one use of ``directory.phones.codes`` for every purpose): a
resident's change of number, an invitation that binds an account to the person on record."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from courtyard.clock import Clock
from courtyard.errors import TooManyRequests, Unprocessable
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


class Texter(Protocol):
    def text_code(self, phone: str, code: str, purpose: str) -> None: ...


def refused_code(result: Verdict) -> Exception:
    """The error for a code that proves nothing."""
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


class PhoneProver:
    def __init__(self, proofs: PhoneProofs, texter: Texter, clock: Clock) -> None:
        self._proofs = proofs
        self._texter = texter
        self._clock = clock

    def send(self, tenant_id: str, purpose: str, subject: str, phone: str, detail: str = "") -> datetime:
        """Record a new code for ``subject`` and text it to ``phone``; when it expires (429 once locked)."""
        now = self._clock.now().replace(microsecond=0)
        code, salt = new_code(), new_salt()
        fresh = PhoneProof(
            tenant_id=tenant_id,
            purpose=purpose,
            subject=subject,
            phone=phone,
            salt=salt,
            digest=code_digest(salt, code),
            expires_at=now + CODE_TTL,
            detail=detail,
        )
        proof = renewed(self._proofs.get(tenant_id, purpose, subject), fresh, now)
        if proof.attempts >= MAX_ATTEMPTS:
            raise refused_code(Verdict.LOCKED)
        self._proofs.put(proof)
        self._texter.text_code(phone, code, purpose)
        return proof.expires_at

    def check(self, tenant_id: str, purpose: str, subject: str, code: str) -> PhoneProof:
        """The proof ``code`` opens, used up; otherwise the error (a wrong try is counted first)."""
        proof = self._proofs.get(tenant_id, purpose, subject)
        if proof is None:
            raise refused_code(Verdict.EXPIRED)
        result = verdict(proof, code, self._clock.now())
        if result is Verdict.WRONG and not self._proofs.count_wrong(proof):
            result = Verdict.LOCKED
        if result is not Verdict.GOOD:
            raise refused_code(result)
        self._proofs.delete(proof)
        return proof
