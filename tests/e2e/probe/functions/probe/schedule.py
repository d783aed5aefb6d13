"""A scheduled probe: records the event its schedule delivered."""

from __future__ import annotations

from typing import Any

from probe.store import remember


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    remember("schedule", "run", event)
    return {"ran": "yes"}
