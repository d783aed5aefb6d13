"""The Cognito authorizer's check as API Gateway does it: an RS256 ID token verified with the pool's JWKS."""

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


def api_gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway (REST) hands claims to the function as strings; lists become comma-joined."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = ",".join(str(v) for v in value)
        else:
            flat[name] = str(value)
    return flat
