"""The gateway's check: Courtyard and Cognito tokens pass with flat claims; forged or expired ones do not."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from identity import authorizer_handler
from identity.tokens import access_token, signing_key
from identity.verification import BearerVerifier, TokenRejected

from courtyard.tenancy import TenantContext, verified_claims

NOW = 1_796_630_400
COURTYARD = "https://identity.test"
COGNITO = "https://cognito-idp.us-east-1.amazonaws.com/pool"
KEY = signing_key("current")
OTHER = signing_key("forger")
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RESIDENT = {
    "sub": "acct-1",
    "cognito:username": "cy_acct-1",
    "custom:tenant_id": "tenant-1",
    "cognito:groups": ["resident"],
    "person_id": "resident-1",
}


def _verifier() -> BearerVerifier:
    return BearerVerifier(
        cognito_issuer=COGNITO,
        cognito_client_ids=("client",),
        cognito_jwks=lambda _token: RSA.public_key(),
        courtyard_issuer=COURTYARD,
        courtyard_keys=lambda: {KEY.kid: KEY.public},
    )


def _cognito_token(exp: int) -> str:
    claims = {
        "sub": "staff-1",
        "iss": COGNITO,
        "aud": "client",
        "exp": exp,
        "token_use": "id",
        "custom:tenant_id": "tenant-1",
        "cognito:groups": ["manager", "service_desk"],
    }
    return jwt.encode(claims, RSA, algorithm="RS256")


def test_a_resident_token_passes_with_the_claims_the_functions_read():
    token = access_token(KEY, COURTYARD, dict(RESIDENT), NOW)
    claims = _verifier().verify(f"Bearer {token}", NOW + 60)
    assert claims["cognito:groups"] == "resident"
    # What a function receives from a Lambda authorizer (flat context) builds the same TenantContext.
    event = {"requestContext": {"authorizer": {"principalId": "acct-1", **claims}}}
    ctx = TenantContext.from_claims(verified_claims(event))
    assert (ctx.tenant_id, ctx.user_id, ctx.is_resident) == ("tenant-1", "acct-1", True)


def test_a_staff_cognito_token_passes_and_keeps_its_groups():
    claims = _verifier().verify(_cognito_token(NOW + 600), NOW)
    ctx = TenantContext.from_claims(verified_claims({"requestContext": {"authorizer": claims}}))
    assert ctx.is_staff
    assert ctx.tenant_id == "tenant-1"


def test_the_cognito_authorizer_shape_still_reads():
    event = {"requestContext": {"authorizer": {"claims": {"custom:tenant_id": "t", "sub": "u"}}}}
    assert verified_claims(event) == {"custom:tenant_id": "t", "sub": "u"}


def test_a_forged_resident_token_is_rejected():
    forged = access_token(OTHER, COURTYARD, dict(RESIDENT), NOW)
    with pytest.raises(TokenRejected):
        _verifier().verify(forged, NOW)
    # The right kid with another key's signature: still refused.
    header_swapped = jwt.encode(
        {**RESIDENT, "iss": COURTYARD, "aud": "courtyard", "exp": NOW + 60, "token_use": "id"},
        OTHER.private,
        algorithm="ES256",
        headers={"kid": KEY.kid},
    )
    with pytest.raises(TokenRejected):
        _verifier().verify(header_swapped, NOW)


def test_an_unsigned_token_is_rejected():
    unsigned = jwt.encode({**RESIDENT, "iss": COURTYARD, "exp": NOW + 60}, key="", algorithm="none")
    with pytest.raises(TokenRejected):
        _verifier().verify(unsigned, NOW)


def test_expired_tokens_are_rejected():
    token = access_token(KEY, COURTYARD, dict(RESIDENT), NOW)
    with pytest.raises(TokenRejected):
        _verifier().verify(token, NOW + 15 * 60)
    with pytest.raises(TokenRejected):
        _verifier().verify(_cognito_token(NOW), NOW)


def test_an_unknown_issuer_is_rejected():
    token = access_token(KEY, "https://elsewhere.example", dict(RESIDENT), NOW)
    with pytest.raises(TokenRejected):
        _verifier().verify(token, NOW)


def test_the_authorizer_denies_with_unauthorized_and_allows_the_whole_stage(monkeypatch):
    monkeypatch.setattr(authorizer_handler, "verifier", _verifier)
    arn = "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/me"
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer_handler.authorize("Bearer not-a-token", arn, NOW)
    token = access_token(KEY, COURTYARD, dict(RESIDENT), NOW)
    answer = authorizer_handler.authorize(f"Bearer {token}", arn, NOW)
    assert answer["principalId"] == "acct-1"
    resource = answer["policyDocument"]["Statement"][0]["Resource"]
    assert resource == "arn:aws:execute-api:us-east-1:123456789012:api/dev/*"
    assert answer["context"]["person_id"] == "resident-1"
