"""The directory function's environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class DirectorySettings(FunctionSettings):
    directory_table: str


@lru_cache(maxsize=1)
def settings() -> DirectorySettings:
    return DirectorySettings()  # filled from the environment
