"""The rule of a texted code (pure): six digits, stored only as a salted digest, valid ten minutes, five
wrong tries lock it until it expires; asking for a new code keeps the count of wrong tries, so asking again
and again cannot buy more guesses."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5


class Verdict(Enum):
    GOOD = "good"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class PhoneProof:
    """A code in flight: for ``purpose`` (``phone_change``, ``invite``) of ``subject`` (a resident, an
    invitation), texted to ``phone``; ``attempts`` wrong tries so far."""

    tenant_id: str
    purpose: str
    subject: str
    phone: str
    salt: str
    digest: str
    expires_at: datetime
    attempts: int = 0
    detail: str = ""  # what the proof is about beyond the subject (the resident an invitation binds)


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def code_digest(salt: str, code: str) -> str:
    return hmac.new(bytes.fromhex(salt), code.encode(), hashlib.sha256).hexdigest()


def verdict(proof: PhoneProof, code: str, now: datetime) -> Verdict:
    """What ``code`` proves now; ``proof.attempts`` counts the wrong tries before this one."""
    if now >= proof.expires_at:
        return Verdict.EXPIRED
    if proof.attempts >= MAX_ATTEMPTS:
        return Verdict.LOCKED
    if hmac.compare_digest(code_digest(proof.salt, code), proof.digest):
        return Verdict.GOOD
    return Verdict.WRONG


def renewed(previous: PhoneProof | None, proof: PhoneProof, now: datetime) -> PhoneProof:
    """A new code replaces the one in flight but keeps its wrong tries while that one has not expired."""
    if previous is None or now >= previous.expires_at:
        return proof
    return replace(proof, attempts=previous.attempts)
