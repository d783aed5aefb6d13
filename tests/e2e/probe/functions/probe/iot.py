"""An IoT rule probe: records the event the topic rule selected."""

from __future__ import annotations

from typing import Any

from probe.store import remember


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    remember("iot", str(event.get("device_id")), event)
