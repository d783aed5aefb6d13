"""One clock for every feature under test, and every feature's collaborators back to their cold state."""

from __future__ import annotations

from courtyard.clock import Clock
from courtyard.wiring import reset_all, use_clock


def drive_features(clock: Clock | None) -> None:
    """Every feature rebuilt on first use, seeing ``clock`` (None: the wall clock)."""
    reset_all()
    use_clock(clock)
