"""List responses: items plus an opaque cursor, as DESIGN.md's list convention says."""

from __future__ import annotations

from typing import Generic, TypeVar

from courtyard.models import Model

T = TypeVar("T")


class PageOut(Model, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
