"""The deployment's secrets: SSM Parameter Store SecureString parameters, read decrypted.

The template declares them (``Metadata`` -> ``Courtyard::SecureParameters``, created by
``infra/secure_parameters.py``) and hands each function the names it may read (``..._PARAMETER`` variables)
with ``ssm:GetParameter`` on exactly those. A standard-tier parameter costs nothing a month; each Secrets
Manager secret cost 0.40 USD a month per deployment. Callers keep what they read for the container's life (the
wiring's cache, the adapters' locks): one read per cold start, as before.
"""

from __future__ import annotations

import json
from typing import Any

from courtyard import aws


def read_secure_parameter(name: str, client: Any | None = None) -> str:
    """The decrypted value of the parameter ``name``; ValueError when it is empty."""
    ssm = client or aws.client("ssm")
    value = str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"].get("Value") or "")
    if not value:
        raise ValueError(f"the secure parameter {name} is empty")
    return value


def read_secure_json(name: str, client: Any | None = None) -> dict[str, Any]:
    """A parameter holding a JSON object (a provider's keys); ValueError when it is not one."""
    value = json.loads(read_secure_parameter(name, client))
    if not isinstance(value, dict):
        raise ValueError(f"the secure parameter {name} is not a JSON object")
    return value
