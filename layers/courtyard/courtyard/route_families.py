"""Route families imported when the first request for their paths arrives (issue 21: cold start at the floor).

A function with many route modules (the directory's places, people, staff, care, ...) would otherwise import
every one of them, with its models and services, on every cold start, to answer one request. Each family is a
module holding a Powertools ``router`` (Powertools' split routes); ``handler.py`` names it with the path
prefixes it serves, written as route templates (``/sites/{site_id}/duty-roster``: a ``{...}`` segment stands
for any one path segment). Before the resolver routes a request, the family whose prefix matches the request's
path on the most segments is imported and included; a path no prefix matches (``/health``, an unknown route)
imports nothing and the resolver answers it as before (404 for an unknown route).

Whatever lists the routes rather than serving one (the OpenAPI document, the route-parity test) includes every
family first, in the order given, so the document is the one an eager import makes.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from aws_lambda_powertools.event_handler.api_gateway import Route, Router


class _Resolver(Protocol):
    def include_router(self, router: Router, prefix: str | None = None) -> None: ...


def _segments(path: str) -> tuple[str, ...]:
    return tuple(segment for segment in path.split("/") if segment)


def _matches(prefix: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if len(prefix) > len(path):
        return False
    return all(p == s or (p.startswith("{") and p.endswith("}")) for p, s in zip(prefix, path, strict=False))


class RouteFamilies:
    """The route modules of one resolver, each imported and included by the first request it serves."""

    def __init__(self, families: Mapping[str, Sequence[str]]) -> None:
        """``families``: each route module's dotted name -> the path prefixes it serves (at least one)."""
        self._order = tuple(families)
        self._prefixes = [
            (_segments(prefix), module) for module, prefixes in families.items() for prefix in prefixes
        ]
        # Longest prefix first, and on equal length a literal segment before a placeholder, so
        # ``/me/proxies`` wins over ``/me`` and ``/sites/{site_id}/duty-roster`` over ``/sites/{site_id}``.
        self._prefixes.sort(key=lambda entry: (-len(entry[0]), sum(s.startswith("{") for s in entry[0])))
        empty = [module for module, prefixes in families.items() if not prefixes]
        if empty:
            raise ValueError(f"route families without a path prefix: {empty}")
        self._included: set[str] = set()
        # A local server may answer two first requests at once: a family is included once.
        self._lock = threading.Lock()

    @property
    def modules(self) -> tuple[str, ...]:
        return self._order

    def module_for(self, path: str) -> str | None:
        """The family that serves ``path`` (a request's path, or a route template), if any prefix matches."""
        segments = _segments(path)
        return next((module for prefix, module in self._prefixes if _matches(prefix, segments)), None)

    def include_for(self, app: _Resolver, path: object) -> None:
        """Include the family serving the request path ``path`` (nothing when none does)."""
        module = self.module_for(path) if isinstance(path, str) else None
        if module is not None:
            self._include(app, (module,))

    def include_all(self, app: _Resolver) -> None:
        self._include(app, self._order)

    def first(self, routes: Sequence[Route]) -> list[Route]:
        """``routes`` with the families' ahead of the resolver's own, family by family in the order given
        (each family's in its own order)."""
        rank = {module: index for index, module in enumerate(self._order)}
        return sorted(routes, key=lambda route: rank.get(route.func.__module__, len(rank)))

    def _include(self, app: _Resolver, modules: Iterable[str]) -> None:
        with self._lock:
            for module in modules:
                if module in self._included:
                    continue
                app.include_router(importlib.import_module(module).router)
                self._included.add(module)
