"""Pass tokens: compact JWS (RFC 7515) signed with ES256, and the JWKS (RFC 7517) that verifies them offline.

A token is ``base64url(header).base64url(payload).base64url(signature)``. The header is
``{"alg": "ES256", "kid": <key thumbprint>, "typ": "vpass+jwt"}``; the payload names the pass and
nothing personal: ``{"pid", "tid", "sid", "nbf", "exp", "v"}`` plus ``"gates"`` when the pass is limited to
some gates, and ``"ol"`` (offline validity, seconds) on single-use passes. The signature is the raw
``r || s`` pair (64 bytes) JOSE requires, not the DER form KMS returns, with ``s`` in the low half of the
curve order (low-S): the high-S twin of a valid token is refused.
The ``kid`` is the RFC 7638 thumbprint of the public key: it says nothing about the account and changes with
the key.

This module is pure: signing goes through a ``Signer`` (KMS in production), verification uses public keys
fetched once per cold start and never calls KMS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ALGORITHM = "ES256"
TOKEN_TYPE = "vpass+jwt"  # noqa: S105 - a media type, not a secret
TOKEN_VERSION = 1
_COORDINATE_BYTES = 32  # P-256
# The order of P-256's base point. ECDSA's (r, s) and (r, n - s) both verify; only the low half is accepted
# (s <= n/2), so a token has one spelling and a "new" token cannot be minted by flipping s (malleability).
CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = CURVE_ORDER // 2
_MAX_TOKEN_CHARS = 2048
# A single-use pass cannot be counted by a gate that is offline: its token says how long (``ol``, seconds) a
# gate may still admit it on its own after its last sync of the revocation list (visitors/revocations.py).
SINGLE_USE_OFFLINE_SECONDS = 900


class TokenError(ValueError):
    """The token is malformed, signed by an unknown key, or its signature does not verify."""


@dataclass(frozen=True, slots=True)
class PassClaims:
    pass_id: str
    tenant_id: str
    site_id: str
    not_before: int  # epoch seconds
    expires: int  # epoch seconds
    gates: tuple[str, ...] = ()
    offline_seconds: int | None = None
    # The key that signed the token (its header's kid), set by ``verify``; not part of the payload. The gate
    # compares it with the key the pass was issued with.
    kid: str = ""

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pid": self.pass_id,
            "tid": self.tenant_id,
            "sid": self.site_id,
            "nbf": self.not_before,
            "exp": self.expires,
            "v": TOKEN_VERSION,
        }
        if self.gates:
            body["gates"] = list(self.gates)
        if self.offline_seconds is not None:
            body["ol"] = self.offline_seconds
        return body

    @classmethod
    def from_payload(cls, body: Mapping[str, Any]) -> PassClaims:
        try:
            gates = body.get("gates") or []
            if body.get("v") != TOKEN_VERSION or not isinstance(gates, list):
                raise TokenError("unsupported token")
            claims = cls(
                pass_id=str(body["pid"]),
                tenant_id=str(body["tid"]),
                site_id=str(body["sid"]),
                not_before=_int(body["nbf"]),
                expires=_int(body["exp"]),
                gates=tuple(str(g) for g in gates),
                offline_seconds=_int(body["ol"]) if "ol" in body else None,
            )
        except (KeyError, TypeError) as err:
            raise TokenError("token payload is incomplete") from err
        return claims


class Signer(Protocol):
    """Signs with a private key it never reveals (KMS): DER-encoded ECDSA over SHA-256 of ``message``."""

    @property
    def key_id(self) -> str: ...

    def sign_der(self, message: bytes) -> bytes: ...


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as err:
        raise TokenError("token is not base64url") from err
    # Only the canonical spelling is accepted, so a token has exactly one valid form.
    if b64url(raw) != text:
        raise TokenError("token is not canonical base64url")
    return raw


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenError("token times must be integers")
    return value


def der_to_raw(signature: bytes) -> bytes:
    """KMS's DER ECDSA signature -> JOSE's fixed-width ``r || s``."""
    r, s = decode_dss_signature(signature)
    if s > _HALF_ORDER:
        # KMS returns either half; the token always carries the low one.
        s = CURVE_ORDER - s
    return r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")


def raw_to_der(signature: bytes) -> bytes:
    """JOSE's ``r || s`` -> DER, refusing anything but the one low-S spelling."""
    r, s = _split(signature)
    if not 0 < r < CURVE_ORDER or not 0 < s <= _HALF_ORDER:
        raise TokenError("signature is not in low-S form")
    return encode_dss_signature(r, s)


def raw_to_der_unchecked(signature: bytes) -> bytes:
    """JOSE's ``r || s`` -> DER as is (tests show that a high-S twin is a valid ECDSA signature)."""
    return encode_dss_signature(*_split(signature))


def _split(signature: bytes) -> tuple[int, int]:
    if len(signature) != 2 * _COORDINATE_BYTES:
        raise TokenError("ES256 signatures are 64 bytes")
    return int.from_bytes(signature[:_COORDINATE_BYTES], "big"), int.from_bytes(
        signature[_COORDINATE_BYTES:], "big"
    )


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The key as a JWK with its RFC 7638 thumbprint as ``kid``."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("pass keys are P-256")
    numbers = key.public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
    }
    thumbprint = b64url(hashlib.sha256(_json(members)).digest())
    return {**members, "kid": thumbprint, "use": "sig", "alg": ALGORITHM}


def key_id(key: ec.EllipticCurvePublicKey) -> str:
    return public_jwk(key)["kid"]


def sign(claims: PassClaims, signer: Signer) -> str:
    return sign_payload(claims.payload(), signer, TOKEN_TYPE)


def sign_payload(payload: Mapping[str, Any], signer: Signer, token_type: str) -> str:
    """A compact JWS of ``payload`` with the pass key; ``typ`` tells a pass from a revocation list."""
    header = {"alg": ALGORITHM, "kid": signer.key_id, "typ": token_type}
    signing_input = f"{b64url(_json(header))}.{b64url(_json(payload))}"
    signature = der_to_raw(signer.sign_der(signing_input.encode("ascii")))
    return f"{signing_input}.{b64url(signature)}"


def claimed_tenant(token: str) -> str:
    """The firm a token says it is of, unverified: only to choose whose keys verify it (TokenError if
    unreadable). A token claiming another firm than its signer's fails that firm's keys."""
    try:
        payload = json.loads(unb64url(token.split(".")[1]))
        tenant = payload["tid"]
    except (IndexError, KeyError, TypeError, ValueError) as err:
        raise TokenError("not a pass token") from err
    if not isinstance(tenant, str) or not tenant or len(tenant) > 64:
        raise TokenError("not a pass token")
    return tenant


def verify(token: str, keys: Mapping[str, ec.EllipticCurvePublicKey]) -> PassClaims:
    """The claims of a token signed by one of ``keys`` (kid -> public key); TokenError otherwise.

    Only the signature and shape are checked here; the validity window is the gate rules' business, so that
    an expired pass is told apart from a forged one.
    """
    if not token or len(token) > _MAX_TOKEN_CHARS or not token.isascii():
        raise TokenError("not a pass token")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise TokenError("not a compact JWS")
    encoded_header, encoded_payload, encoded_signature = parts
    try:
        header = json.loads(unb64url(encoded_header))
        payload = json.loads(unb64url(encoded_payload))
    except ValueError as err:
        raise TokenError("token header or payload is not JSON") from err
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise TokenError("token header or payload is not an object")
    # The algorithm is fixed, never taken from the token ("alg": "none" and HMAC confusion stay impossible).
    if header.get("alg") != ALGORITHM:
        raise TokenError("unsupported algorithm")
    # A revocation list is signed with the same key: its type keeps it from passing for a pass.
    if header.get("typ", TOKEN_TYPE) != TOKEN_TYPE:
        raise TokenError("not a pass token")
    kid = str(header.get("kid", ""))
    key = keys.get(kid)
    if key is None:
        raise TokenError("unknown signing key")
    signing_input = f"{encoded_header}.{encoded_payload}".encode("ascii")
    try:
        key.verify(raw_to_der(unb64url(encoded_signature)), signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as err:
        raise TokenError("signature does not verify") from err
    return replace(PassClaims.from_payload(payload), kid=kid)
