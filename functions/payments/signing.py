"""Webhook signatures in Stripe's scheme, which the sandbox provider uses too.

Header: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`` (several ``v1`` allowed, for secret
rotation). A signature older than the tolerance (300 s), or more than that ahead of our clock, is refused.
"""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


def sign(secret: str, body: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: str, body: str, header: str | None, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    if not header or not secret:
        return False
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, s) for s in signatures)
