"""The API's token check as the template's authorizers do it: a Cognito RS256 ID token verified with the
pool's JWKS (staff), or a Courtyard identity ES256 access token verified with the JWKS the identity function
publishes at ``/identity/jwks`` (residents; the same checks as ``identity.verification``)."""

from __future__ import annotations

from typing import Any

import jwt


class TokenRejected(Exception):
    pass


class CognitoVerifier:
    def __init__(self, endpoint: str, user_pool_id: str, client_id: str, region: str = "us-east-1") -> None:
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self.client_id = client_id
        # moto serves the pool's keys at /<poolId>/.well-known/jwks.json on its own endpoint.
        self._jwks = jwt.PyJWKClient(
            f"{endpoint.rstrip('/')}/{user_pool_id}/.well-known/jwks.json", lifespan=3600
        )

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Return the verified claims of a bearer ID token, or raise TokenRejected."""
        if not authorization:
            raise TokenRejected("no token")
        token = (
            authorization.split(" ", 1)[1] if authorization.lower().startswith("bearer ") else authorization
        )
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(str(error)) from error
        if claims.get("token_use") != "id":
            raise TokenRejected("not an ID token")
        return claims


class CourtyardVerifier:
    """Residents' access tokens: ES256, the identity issuer, audience ``courtyard``, unexpired."""

    def __init__(self, jwks_url: str, issuer: str) -> None:
        self.issuer = issuer
        self._jwks = jwt.PyJWKClient(jwks_url, lifespan=300)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["ES256"],
                audience="courtyard",
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(str(error)) from error
        if claims.get("token_use") != "id":
            raise TokenRejected("not an ID token")
        return claims


class EitherVerifier:
    """Staff's Cognito tokens and residents' Courtyard tokens, told apart by their issuer."""

    def __init__(self, cognito: CognitoVerifier, courtyard: CourtyardVerifier | None = None) -> None:
        self._cognito = cognito
        self._courtyard = courtyard

    def attach(self, courtyard: CourtyardVerifier) -> None:
        """The identity JWKS is served by the gateway itself, so it is known once the gateway listens."""
        self._courtyard = courtyard

    def verify(self, authorization: str | None) -> dict[str, Any]:
        if authorization and self._courtyard is not None:
            token = authorization.split(" ", 1)[-1]
            try:
                issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            except jwt.PyJWTError as error:
                raise TokenRejected(str(error)) from error
            if issuer == self._courtyard.issuer:
                return self._courtyard.verify(token)
        return self._cognito.verify(authorization)


def api_gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway (REST) hands claims to the function as strings; lists become comma-joined."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = ",".join(str(v) for v in value)
        else:
            flat[name] = str(value)
    return flat
