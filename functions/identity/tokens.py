"""Tokens: short ES256 access tokens (JWT) with the claims the functions read, and opaque refresh tokens.

An access token carries what Cognito's ID token carries for a Cognito user, so ``TenantContext`` does not
care who signed the caller in: ``sub``, ``custom:tenant_id``, ``cognito:groups``, ``cognito:username``,
``person_id``, plus ``token_use`` = ``id`` and ``identity`` = ``courtyard``. A refresh token is 32 random
bytes; only its SHA-256 digest is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
ACCESS_SECONDS = 15 * 60
REFRESH_SECONDS = 90 * 24 * 3600
ISSUER_MARK = "courtyard"


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private: ec.EllipticCurvePrivateKey

    @property
    def public(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()


def signing_key(seed: str) -> SigningKey:
    """The P-256 key a secret's random value seeds (the scalar is its SHA-256, reduced into range)."""
    order = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
    scalar = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") % (order - 1) + 1
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    return SigningKey(key_id(private.public_key()), private)


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
        "use": "sig",
        "alg": ALGORITHM,
        "kid": key_id(key),
    }


def key_id(key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 thumbprint of the public key."""
    numbers = key.public_numbers()
    canonical = json.dumps(
        {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


def access_token(key: SigningKey, issuer: str, claims: dict[str, Any], now: int) -> str:
    payload = {**claims, "iss": issuer, "iat": now, "exp": now + ACCESS_SECONDS}
    payload.update({"token_use": "id", "identity": ISSUER_MARK, "aud": ISSUER_MARK})
    return jwt.encode(payload, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify_access_token(
    token: str, keys: dict[str, ec.EllipticCurvePublicKey], issuer: str, now: int
) -> dict[str, Any]:
    """The verified claims, or jwt.PyJWTError (bad signature, unknown key, expired, wrong issuer).

    Expiry is checked against ``now`` (the caller's clock), not PyJWT's wall clock, so tests drive it."""
    kid = jwt.get_unverified_header(token).get("kid")
    if not isinstance(kid, str) or kid not in keys:
        raise jwt.InvalidKeyError("unknown signing key")
    claims: dict[str, Any] = jwt.decode(
        token,
        keys[kid],
        algorithms=[ALGORITHM],
        issuer=issuer,
        audience=ISSUER_MARK,
        options={"require": ["exp", "iss", "sub"], "verify_exp": False, "verify_iat": False},
    )
    if int(claims["exp"]) <= now:
        raise jwt.ExpiredSignatureError("the token has expired")
    return claims


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
