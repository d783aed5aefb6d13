"""The tickets function's environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class TicketsSettings(FunctionSettings):
    tickets_table: str
    # Private bucket of ticket photos: uploaded by presigned POST, read through short-lived presigned GETs.
    photo_bucket: str
    # How long a client may retry a create with the same Idempotency-Key and get the same ticket back.
    idempotency_hours: int = 24


@lru_cache(maxsize=1)
def settings() -> TicketsSettings:
    return TicketsSettings.from_environment()
