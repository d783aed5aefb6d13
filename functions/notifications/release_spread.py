"""Quiet-hours releases are spread over a few minutes (issue 18: no synchronized bursts).

Every household of a city with quiet hours 22:00-07:00 has its night's messages held until 07:00: released
at one instant they would make one burst for the every-minute job, the delivery queues and the SMS
provider's rate limits. Each held message is released a fixed offset in ``[0, SPREAD_S)`` after its window
ends, drawn from its message id, so the release moment is the same on every retry of the same message.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

SPREAD_S = 600  # ten minutes: a 07:00 release still arrives before most people leave home


def release_time(window_end: datetime, message_id: str) -> datetime:
    """When the message held until ``window_end`` goes out."""
    digest = hashlib.sha256(message_id.encode()).digest()
    return window_end + timedelta(seconds=int.from_bytes(digest[:4], "big") % SPREAD_S)
