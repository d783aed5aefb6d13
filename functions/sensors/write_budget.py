"""The ingest's write budget: when a steady device's message is worth a DynamoDB write (pure rules).

A steady device connects every ten minutes to upload ten one-minute samples (``iot.simulator.Uploader``).
Nothing in such an upload has to be stored at once: its readings join the container's hour buffer, and its
only news is "still talking". Two writes carry that news, each only as often as someone needs it:

- the heartbeat mark: the state item's ``last_seen``, rewritten only when the stored value is older than
  ``refresh_s``. The heartbeat job counts a device as heard until ``last_seen + refresh_s`` (it cannot know
  of the uploads in between), so its offline alarm comes between ``timeout`` and ``timeout + refresh_s`` after
  the last upload that was written.
- the hour's aggregates, flushed when a reading of a later hour arrives (the finished hour is complete then),
  or once ``flush_s`` has passed since the last flush (a buffer a container keeps for a device it no longer
  hears from). What reads aggregates reads whole hours.

A change of a rule's durable state is always written at once; that is not this module's decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final


def heartbeat_mark_due(stored_last_seen: float | None, now_s: float, refresh_s: float) -> bool:
    """Whether a message rewrites ``last_seen``: never stored, or the stored one older than ``refresh_s``."""
    return stored_last_seen is None or now_s - stored_last_seen >= refresh_s


def heard_until(stored_last_seen: float, refresh_s: float) -> float:
    """The latest time the device may have talked without a write (the heartbeat job's bound)."""
    return stored_last_seen + refresh_s


EVERY_HOUR: Final = "~"  # sorts after every ``YYYY-MM-DDTHH``: flushing "before" it flushes everything


def aggregates_due_before(
    buffered_hours: Iterable[str], reading_hour: str, flushed_at: float, now_s: float, flush_s: float
) -> str | None:
    """Which buffered hours to write now, as the hour they come before: the reading's hour when an earlier
    one is finished (the current hour stays buffered, to be written once, whole), ``EVERY_HOUR`` when
    ``flush_s`` has passed since the last flush with no hour finished, None while nothing is due."""
    if any(hour < reading_hour for hour in buffered_hours):
        return reading_hour
    return EVERY_HOUR if now_s - flushed_at >= flush_s else None
