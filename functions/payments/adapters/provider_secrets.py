"""The providers' credentials: one JSON secret in Secrets Manager, read once per cold start."""

from __future__ import annotations

import json
from dataclasses import dataclass

from courtyard import aws


@dataclass(frozen=True)
class ProviderSecrets:
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    sandbox_secret: str = ""


def load_provider_secrets(secret_arn: str) -> ProviderSecrets:
    if not secret_arn:
        return ProviderSecrets()
    raw = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    values = json.loads(raw)
    return ProviderSecrets(
        stripe_api_key=str(values.get("stripe_api_key") or ""),
        stripe_webhook_secret=str(values.get("stripe_webhook_secret") or ""),
        sandbox_secret=str(values.get("sandbox_secret") or ""),
    )
