"""The directory function's environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class DirectorySettings(FunctionSettings):
    user_pool_id: str
    import_bucket: str
    import_queue_url: str
    # The longest an invitation code may live; managers choose shorter ones.
    invite_max_hours: int = 720
    # The mobile app on the web origin (the PassShareBaseUrl parameter): invitation links open its join page.
    app_base_url: str = "https://courtyard.example/m"
    # The sender name the texted codes carry (【Courtyard】...).
    sms_sender_id: str = "Courtyard"


@lru_cache(maxsize=1)
def settings() -> DirectorySettings:
    return DirectorySettings.from_environment()
