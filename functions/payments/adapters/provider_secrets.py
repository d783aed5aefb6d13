"""The providers' credentials: one JSON SecureString parameter (``/courtyard/<stage>/payments-providers``),
read once per cold start."""

from __future__ import annotations

from dataclasses import dataclass

from courtyard.secure_parameters import read_secure_json


@dataclass(frozen=True)
class ProviderSecrets:
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    sandbox_secret: str = ""


def load_provider_secrets(parameter_name: str) -> ProviderSecrets:
    if not parameter_name:
        return ProviderSecrets()
    values = read_secure_json(parameter_name)
    return ProviderSecrets(
        stripe_api_key=str(values.get("stripe_api_key") or ""),
        stripe_webhook_secret=str(values.get("stripe_webhook_secret") or ""),
        sandbox_secret=str(values.get("sandbox_secret") or ""),
    )
