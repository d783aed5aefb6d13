"""One clock for every feature under test, and every feature's collaborators back to their cold state.

Features build their collaborators with the kernel's wiring (``courtyard.wiring``); the ones that still keep
a ``deps`` module of their own are driven the same way until they move to the kernel's helper.
"""

from __future__ import annotations

import importlib

from courtyard.clock import Clock
from courtyard.wiring import reset_all, use_clock

_LEGACY_WIRING = ("directory",)


def drive_features(clock: Clock | None) -> None:
    """Every feature rebuilt on first use, seeing ``clock`` (None: the wall clock)."""
    reset_all()
    use_clock(clock)
    for feature in _LEGACY_WIRING:
        try:
            deps = importlib.import_module(f"{feature}.deps")
        except ModuleNotFoundError:
            continue
        deps.reset()
        if hasattr(deps, "use_clock"):
            deps.use_clock(clock)
