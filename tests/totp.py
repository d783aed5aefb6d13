"""Authenticator codes for tests (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as a phone's app computes
them from the secret Cognito hands out. Codes are for "now" on the local Cognito's TOTP clock (the wall clock
unless a test moved it on: infra/local/cognito_triggers.py), which moto checks them against; ``fresh_totp``
waits out the end of a step so a code is not stale on arrival."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from infra.local.cognito_triggers import totp_time

STEP = 30


def totp(secret: str, at: float) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at) // STEP), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def fresh_totp(secret: str, *, unlike: str | None = None, margin_s: float = 6.0) -> str:
    """The current code, with at least ``margin_s`` left in its step, and not ``unlike`` (a code is good once:
    the next step's code is waited for)."""
    while True:
        now = totp_time()
        if STEP - now % STEP >= margin_s and totp(secret, now) != unlike:
            return totp(secret, now)
        time.sleep(STEP - now % STEP + 0.2)


def wrong_totp(secret: str) -> str:
    """A six-digit code that is not the current one (nor the next)."""
    now = totp_time()
    taken = {totp(secret, now + d) for d in (-STEP, 0, STEP)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in taken)


def to_next_step() -> float:
    """The seconds from now on the TOTP clock to one second into its next step."""
    return STEP - totp_time() % STEP + 1.0
