"""Per-function settings: the function's environment modelled once and read once per cold start.

Each feature subclasses ``FunctionSettings`` in its own ``settings.py`` and exposes it through an
``lru_cache``'d accessor; nothing else reads ``os.environ``.

A plain pydantic model filled from the environment, not pydantic-settings: every setting is a string or a
number named like its variable, and pydantic-settings' import (dotenv, its CLI and cloud sources) cost a
measurable share of each cold start.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Self

from pydantic import ConfigDict, Field

from courtyard.models import Model


class FunctionSettings(Model):
    """The variables every function gets from the template's Globals.

    ``from_environment()`` reads each field from the variable of its name (any case) or of its
    ``validation_alias``; keyword arguments win over the environment.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    service_name: str = Field(default="courtyard", validation_alias="POWERTOOLS_SERVICE_NAME")
    stage: str = "dev"
    event_bus_name: str
    audit_table: str
    audit_retention_days: int = Field(default=400, ge=180)
    idempotency_table: str
    pii_key_id: str
    cursor_key_parameter: str
    # Every function reads the directory (tenant status, units, people) through courtyard.directory.
    directory_table: str
    blind_index_parameter: str
    # The private bucket of personal-data exports (courtyard.personal_export): set only on the functions
    # that write or merge a part (the directory API and each feature's people consumer).
    export_bucket: str = ""
    function_name: str = Field(default="local", validation_alias="AWS_LAMBDA_FUNCTION_NAME")

    @classmethod
    def from_environment(cls, **values: Any) -> Self:
        return cls(**{**_environment_of(cls, given=values.keys()), **values})


def _environment_of(settings: type[FunctionSettings], given: Iterable[str]) -> dict[str, str]:
    environment = {name.lower(): value for name, value in os.environ.items()}
    found: dict[str, str] = {}
    for name, field in settings.model_fields.items():
        key = field.validation_alias if isinstance(field.validation_alias, str) else name
        if name not in given and key not in given and key.lower() in environment:
            found[key] = environment[key.lower()]
    return found


def mfa_enforced() -> bool:
    """Whether tokens of managers, finance and platform operators must carry the TOTP mark (courtyard.mfa).

    On in every deployed stage (the template's RequireMfa); the local cloud turns it off because moto runs no
    Cognito trigger, so no local token can carry the mark. Read per request: tests switch it.
    """
    return os.environ.get("REQUIRE_MFA", "true").strip().lower() != "false"


def trace_sampled() -> bool:
    """Whether this invocation is traced: the Lambda runtime sets the X-Ray header per invocation."""
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")
    return "Sampled=1" in header and not disabled
