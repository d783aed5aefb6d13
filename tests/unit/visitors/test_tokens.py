"""Pass tokens: ES256 compact JWS signed through a Signer (KMS in production), verified with public keys."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from visitors import tokens
from visitors.tokens import CURVE_ORDER, PassClaims, TokenError


class LocalSigner:
    """What KMS does, in memory: DER ECDSA P-256 over SHA-256 of the message."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.key_id = tokens.key_id(self.private.public_key())

    def sign_der(self, message: bytes) -> bytes:
        return self.private.sign(message, ec.ECDSA(hashes.SHA256()))


CLAIMS = PassClaims(
    pass_id="01JPASS0000000000000000000", tenant_id="t1", site_id="s1", not_before=1_000, expires=2_000
)


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.fixture
def signer() -> LocalSigner:
    return LocalSigner()


def test_a_signed_token_verifies_and_returns_its_claims(signer: LocalSigner):
    token = tokens.sign(CLAIMS, signer)

    # The claims, and the key that signed them (the gate compares it with the pass's issuing key).
    assert tokens.verify(token, {signer.key_id: signer.private.public_key()}) == replace(
        CLAIMS, kid=signer.key_id
    )


def test_gates_travel_in_the_token_only_when_the_pass_is_limited(signer: LocalSigner):
    limited = PassClaims("p", "t", "s", 1, 2, gates=("north-1",))

    assert "gates" not in CLAIMS.payload()
    assert tokens.verify(
        tokens.sign(limited, signer), {signer.key_id: signer.private.public_key()}
    ).gates == ("north-1",)


def test_the_signature_is_jose_raw_r_s_and_pyjwt_verifies_it(signer: LocalSigner):
    token = tokens.sign(CLAIMS, signer)

    signature = base64.urlsafe_b64decode(token.split(".")[2] + "==")
    jwk = jwt.PyJWK(tokens.public_jwk(signer.private.public_key()))
    decoded = jwt.decode(
        token, jwk.key, algorithms=["ES256"], options={"verify_exp": False, "verify_nbf": False}
    )

    assert len(signature) == 64
    assert decoded["pid"] == CLAIMS.pass_id


def test_der_and_raw_signatures_round_trip_through_the_low_s_form(signer: LocalSigner):
    for _ in range(8):  # KMS returns either half of s; both land on the one low-S spelling
        der = signer.sign_der(b"message")
        r, s = decode_dss_signature(der)

        assert tokens.raw_to_der(tokens.der_to_raw(der)) == encode_dss_signature(r, min(s, CURVE_ORDER - s))


def _high_s_twin(token: str) -> str:
    """The same pass with s replaced by n - s: a signature ECDSA alone still accepts."""
    header, payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    s = int.from_bytes(raw[32:], "big")
    twin = raw[:32] + (CURVE_ORDER - s).to_bytes(32, "big")
    return f"{header}.{payload}.{tokens.b64url(twin)}"


def test_the_high_s_twin_of_a_valid_token_is_refused(signer: LocalSigner):
    token = tokens.sign(CLAIMS, signer)
    twin = _high_s_twin(token)
    public = signer.private.public_key()
    header, payload, _ = twin.split(".")
    # The twin is a mathematically valid ECDSA signature: only the low-S rule tells it apart.
    public.verify(
        tokens.raw_to_der_unchecked(base64.urlsafe_b64decode(twin.split(".")[2] + "==")),
        f"{header}.{payload}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )

    assert tokens.verify(token, {signer.key_id: public}) == replace(CLAIMS, kid=signer.key_id)
    with pytest.raises(TokenError, match="low-S"):
        tokens.verify(twin, {signer.key_id: public})


def test_signed_tokens_always_carry_the_low_s(signer: LocalSigner):
    for _ in range(16):
        raw = base64.urlsafe_b64decode(tokens.sign(CLAIMS, signer).split(".")[2] + "==")

        assert int.from_bytes(raw[32:], "big") <= CURVE_ORDER // 2


@pytest.mark.parametrize(
    "forge",
    [
        lambda h, p, s: f"{h}.{_b64({**json.loads(base64.urlsafe_b64decode(p + '==')), 'exp': 9_999})}.{s}",
        lambda h, p, s: f"{_b64({'alg': 'none', 'kid': 'x'})}.{p}.",
        lambda h, p, s: (
            f"{_b64({'alg': 'HS256', 'kid': json.loads(base64.urlsafe_b64decode(h + '=='))['kid']})}.{p}.{s}"
        ),
        lambda h, p, s: f"{h}.{p}.{s[:-4]}AAAA",
        lambda h, p, s: f"{h}.{p}",
        lambda h, p, s: "",
        lambda h, p, s: f"{h}.{p}.{s}=",
    ],
    ids=["payload-changed", "alg-none", "alg-hs256", "signature-changed", "no-signature", "empty", "padding"],
)
def test_forged_tokens_are_refused(signer: LocalSigner, forge):
    header, payload, signature = tokens.sign(CLAIMS, signer).split(".")

    with pytest.raises(TokenError):
        tokens.verify(forge(header, payload, signature), {signer.key_id: signer.private.public_key()})


def test_a_token_of_an_unknown_key_is_refused(signer: LocalSigner):
    other = LocalSigner()

    with pytest.raises(TokenError):
        tokens.verify(tokens.sign(CLAIMS, other), {signer.key_id: signer.private.public_key()})


def test_the_key_id_is_the_rfc7638_thumbprint_and_differs_per_key(signer: LocalSigner):
    jwk = tokens.public_jwk(signer.private.public_key())

    assert jwk["kid"] == jwt.PyJWK(jwk).key_id
    assert jwk["kid"] != LocalSigner().key_id
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
