"""The API's Lambda TOKEN authorizer: staff Cognito tokens and residents' Courtyard tokens alike.

API Gateway caches each answer per token for ``AuthorizerResultTtlInSeconds`` (300 s), so a warm app pays
one authorizer call per five minutes, and the Cognito JWKS and the identity keys are fetched once per
container. Allow passes the verified claims as the context (``requestContext.authorizer.<claim>``), which
``courtyard.tenancy.verified_claims`` reads; any failure is API Gateway's 401 (``Unauthorized``).
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import jwt
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from identity import wiring
from identity.verification import BearerVerifier, TokenRejected

logger = Logger()


@lru_cache(maxsize=1)
def verifier() -> BearerVerifier:
    config = wiring.wiring.config
    return BearerVerifier(
        cognito_issuer=config.cognito_issuer,
        cognito_client_ids=config.cognito_client_id_list,
        cognito_jwks=lambda token: _cognito_jwks(config.cognito_jwks_url).get_signing_key_from_jwt(token).key,
        courtyard_issuer=config.identity_issuer,
        courtyard_keys=wiring.signing_keys().public_keys,
    )


@lru_cache(maxsize=1)
def _cognito_jwks(url: str) -> jwt.PyJWKClient:
    """The pool's keys, fetched on the first staff token and kept for an hour."""
    return jwt.PyJWKClient(url, lifespan=3600)


def authorize(token: str | None, method_arn: str, now: int) -> dict[str, Any]:
    try:
        claims = verifier().verify(token, now)
    except TokenRejected as rejected:
        logger.info("token rejected", reason=str(rejected))
        # API Gateway answers 401 for exactly this message.
        raise Exception("Unauthorized") from rejected
    # The policy covers every route of the stage, so one cached answer serves the caller's next calls.
    api_id, stage = ([*method_arn.split("/"), ""])[:2]
    api_arn = f"{api_id}/{stage}/*"
    return {
        "principalId": claims["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_arn}],
        },
        "context": claims,
    }


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001
    return authorize(event.get("authorizationToken"), str(event.get("methodArn", "")), int(time.time()))
