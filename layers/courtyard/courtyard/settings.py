"""Per-function settings: the function's environment modelled once and read once per cold start.

Each feature subclasses ``FunctionSettings`` in its own ``settings.py`` and exposes it through an
``lru_cache``'d accessor; nothing else reads ``os.environ``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FunctionSettings(BaseSettings):
    """The variables every function gets from the template's Globals."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    service_name: str = Field(default="courtyard", validation_alias="POWERTOOLS_SERVICE_NAME")
    stage: str = "dev"
    event_bus_name: str
    audit_table: str
    audit_retention_days: int = Field(default=400, ge=180)
    idempotency_table: str
    pii_key_id: str
    cursor_secret_arn: str
    # Every function reads the directory (tenant status, units, people) through courtyard.directory.
    directory_table: str
    blind_index_secret_arn: str
    function_name: str = Field(default="local", validation_alias="AWS_LAMBDA_FUNCTION_NAME")
