"""The sign-in trigger's environment: the Globals only (the pool id comes with each event)."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class SigninSettings(FunctionSettings):
    pass


@lru_cache(maxsize=1)
def settings() -> SigninSettings:
    return SigninSettings.from_environment()
