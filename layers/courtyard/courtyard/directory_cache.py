"""The directory reads a request repeats, kept per container for at most a minute (issue 18).

A warm container serves the same residents and staff again and again: filing a ticket read the caller's
user link, their unit links, the unit and the firm's staff list on every request, though these change a few
times a year. ``RecentDirectory`` answers them from memory for ``TTL_SECONDS`` (60 s, the delay the
security issue allows a directory change to take effect: a moved-out resident loses their unit, an erased
one their record, within a minute) and reads through otherwise. Only what was found is kept, so a grant (a
new resident's link, a new unit) works at once; family proxies and single staff records read through.
The staff *standing* check that guards every staff request keeps its own
one-minute cache (``DirectoryReader.standing``, courtyard.standing).

What a resident *does* for a unit does not wait for the minute: filing a ticket and issuing a pass carry a
condition on the live link inside their own write (``courtyard.live_link``), so a link ended a moment ago
refuses them at once. What they *see* of a unit is read through the plain reader (payments' bills,
notifications' fan-out, the directory's occupants); the two features that use this cache show a resident only
their own tickets and passes, so a move-out changes what they see at once too.

Only the request paths that file, issue or scan use it (``Wiring.recent``); the directory feature itself
reads through the plain reader, so what it just wrote is what it reads back. Time is the kernel's cache
clock (``courtyard.wiring.cache_seconds``): monotonic in production, the tests' clock when they drive one.

``shared_reader`` is the one ``DirectoryReader`` of a process: the resolver's tenant and standing checks
and every feature's reads share its client and its caches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, Generic, TypeVar

from courtyard.directory import (
    DirectoryReader,
    ResidentUnitView,
    ResidentView,
    StaffView,
    TenantView,
    UnitView,
    UserLink,
)
from courtyard.duty import DutyCalendar, RosterLine
from courtyard.wiring import cache_seconds

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

TTL_SECONDS = 60.0
MAX_ENTRIES = 20_000  # per map: a container serving one firm holds a few thousand people at most


@lru_cache(maxsize=4)
def shared_reader(table_name: str) -> DirectoryReader:
    """The process's reader of the directory table (one per function: one client, one set of caches)."""
    return DirectoryReader(table_name, monotonic=cache_seconds)


class Recent(Generic[K, V]):
    """A map whose entries live ``ttl`` seconds of ``seconds()``; thread-safe, bounded (cleared when full)."""

    def __init__(self, ttl: float = TTL_SECONDS, seconds: Callable[[], float] = cache_seconds) -> None:
        self._ttl = ttl
        self._seconds = seconds
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V], *, keep: Callable[[V], bool] = lambda _: True) -> V:
        """The remembered value of ``key`` if younger than the ttl, else ``load()`` (remembered if kept)."""
        now = self._seconds()
        with self._lock:
            held = self._entries.get(key)
        if held is not None and 0 <= now - held[0] < self._ttl:
            return held[1]
        value = load()
        if not keep(value):
            return value
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def forget(self, key: K) -> None:
        """Drop ``key`` (this container just changed it: its next read must see the change)."""
        with self._lock:
            self._entries.pop(key, None)


class RecentDirectory:
    """The directory reads of a request path, each remembered for a minute; the rest read through."""

    def __init__(self, reader: DirectoryReader, seconds: Callable[[], float] = cache_seconds) -> None:
        self.reader = reader
        self._seen: Recent[tuple[Any, ...], Any] = Recent(TTL_SECONDS, seconds)

    def _found(self, key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
        # Only what was found is kept: a grant (a new unit link, a new site) takes effect at once, a
        # revocation within the minute.
        return self._seen.get(key, load, keep=bool)

    def tenant(self, tenant_id: str) -> TenantView | None:
        return self.reader.tenant(tenant_id)  # cached by the reader itself (the resolver's check)

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        link: UserLink | None = self._found(
            ("user", tenant_id, user_id), lambda: self.reader.user(tenant_id, user_id)
        )
        return link

    def resident(self, tenant_id: str, resident_id: str) -> ResidentView | None:
        view: ResidentView | None = self._found(
            ("resident", tenant_id, resident_id), lambda: self.reader.resident(tenant_id, resident_id)
        )
        return view

    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        links: tuple[ResidentUnitView, ...] = self._found(
            ("links", tenant_id, resident_id),
            lambda: tuple(self.reader.resident_links(tenant_id, resident_id)),
        )
        return list(links)

    def forget_links(self, tenant_id: str, resident_id: str) -> None:
        """Drop the resident's kept unit links: a write just found one ended (courtyard.live_link), so
        their next request must read the directory as it is now."""
        self._seen.forget(("links", tenant_id, resident_id))

    def proxy_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        # Read through: a family proxy is named per request (unit_id) and revoked by the unit's residents,
        # who expect it to stop at once; it is off the common path.
        return self.reader.proxy_links(tenant_id, resident_id)

    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None:
        view: UnitView | None = self._found(
            ("unit", tenant_id, unit_id), lambda: self.reader.unit(tenant_id, unit_id)
        )
        return view

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        known: bool = self._found(
            ("site", tenant_id, site_id), lambda: self.reader.site_exists(tenant_id, site_id)
        )
        return known

    def staff_members(self, tenant_id: str) -> list[StaffView]:
        """The firm's staff list (dispatch reads it on every filing; who is on duty moves with it)."""
        staff: tuple[StaffView, ...] = self._found(
            ("staff", tenant_id), lambda: tuple(self.reader.staff_members(tenant_id))
        )
        return list(staff)

    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None:
        # Read through: an assignment names one person and must see them as they are now.
        return self.reader.staff_member(tenant_id, staff_id)

    def duty_calendar(self, tenant_id: str) -> DutyCalendar:
        """The firm's holidays and working days (dispatch reads them on every filing)."""
        calendar: DutyCalendar = self._found(
            ("calendar", tenant_id), lambda: self.reader.duty_calendar(tenant_id)
        )
        return calendar

    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]:
        """Who is on duty at a site, by shift: a change reaches dispatch within the minute (an empty roster
        is kept too: it grants nothing, dispatch then goes by the staff list's on-duty flags)."""
        roster: tuple[RosterLine, ...] = self._seen.get(
            ("roster", tenant_id, site_id), lambda: self.reader.duty_roster(tenant_id, site_id)
        )
        return roster
