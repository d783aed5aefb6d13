"""The gateway's check of a bearer token, whoever issued it: Cognito ID tokens (staff; RS256, the pool's
JWKS) and Courtyard access tokens (residents; ES256, the identity signing keys). The claims come back as
API Gateway hands a Lambda authorizer's context to the functions: flat string values, lists comma-joined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from identity.tokens import verify_access_token


class TokenRejected(Exception):
    pass


class BearerVerifier:
    def __init__(
        self,
        *,
        cognito_issuer: str,
        cognito_client_ids: tuple[str, ...],
        cognito_jwks: Callable[[str], Any],
        courtyard_issuer: str,
        courtyard_keys: Callable[[], dict[str, ec.EllipticCurvePublicKey]],
    ) -> None:
        self._cognito_issuer = cognito_issuer
        self._client_ids = cognito_client_ids
        self._cognito_jwks = cognito_jwks  # token -> signing key (PyJWKClient, cached per container)
        self._courtyard_issuer = courtyard_issuer
        self._courtyard_keys = courtyard_keys

    def verify(self, authorization: str | None, now: int) -> dict[str, str]:
        if not authorization:
            raise TokenRejected("no token")
        token = (
            authorization.split(" ", 1)[1] if authorization.lower().startswith("bearer ") else authorization
        )
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if issuer == self._courtyard_issuer:
                claims = verify_access_token(token, self._courtyard_keys(), self._courtyard_issuer, now)
            elif issuer == self._cognito_issuer:
                claims = self._cognito(token, now)
            else:
                raise TokenRejected("unknown issuer")
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise TokenRejected(str(error)) from error
        if claims.get("token_use") != "id":
            raise TokenRejected("not an ID token")
        return flat_claims(claims)

    def _cognito(self, token: str, now: int) -> dict[str, Any]:
        key = self._cognito_jwks(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=list(self._client_ids),
            issuer=self._cognito_issuer,
            options={"require": ["exp", "iss", "sub", "aud"], "verify_exp": False, "verify_iat": False},
        )
        if int(claims["exp"]) <= now:
            raise TokenRejected("the token has expired")
        return claims


def flat_claims(claims: dict[str, Any]) -> dict[str, str]:
    """A Lambda authorizer's context takes only strings, numbers and booleans: lists become "a,b"."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        flat[name] = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return flat
