"""What the residents' app asks the API when it opens, and the month of opens the cost workload assumes.

The home (web/mobile/src/composables/home.ts) shows four parts and keeps each on the phone with its own
freshness window (``FRESH_FOR`` here mirrors ``FRESH_FOR_MS`` in web/mobile/src/composables/homeCache.ts; a
unit test keeps them equal). An open fetches only the parts whose window has passed. A page that fetches what
a part shows refreshes it (the bills page's list is the home's bills); a change the app makes (a payment, a
repair, a message read) and a push message drop it; pull-to-refresh fetches everything.
``tests/ui/test_mobile_home_cache.py`` counts the requests at the browser's network layer: every part on the
first open, none on a second open inside the windows, and the short parts only after theirs.

The month of one resident (20 opens, bench/workload.md): the app is opened on 10 days; on each the first open
finds every short part out of date; 6 opens come back within 10 minutes (from WeChat, a call, the notification
that brought the resident in: everything is fresh), and 4 come back later the same day (the unread count and
repairs are refetched, the bills are fresh for 12 hours). The profile (7 days) is fetched on the first day
and about once a week after: 4 of the 10 first opens.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# The requests each part makes (path templates as in schemas/openapi.json, the app's queries).
PART_REQUESTS: dict[str, tuple[str, ...]] = {
    "profile": ("/me", "/units/{unit_id}"),
    "unread": ("/inbox/unread-count",),
    "repairs": ("/tickets?mine=true&limit=100",),
    "bills": ("/bills?limit=100",),
}
FRESH_FOR: dict[str, float] = {
    "profile": 7 * DAY,
    "bills": 12 * HOUR,
    "repairs": 10 * MINUTE,
    "unread": 10 * MINUTE,
}
OPENS_PER_RESIDENT = 20


@dataclass(frozen=True)
class OpenKind:
    what: str
    per_month: int  # opens of this kind in one resident's month
    parts: tuple[str, ...]  # the parts it fetches


MONTH: tuple[OpenKind, ...] = (
    OpenKind(
        "first open of a day, profile due (4 of the 10 days)", 4, ("profile", "unread", "repairs", "bills")
    ),
    OpenKind("first open of a day, profile fresh", 6, ("unread", "repairs", "bills")),
    OpenKind("back later the same day", 4, ("unread", "repairs")),
    OpenKind("back within 10 minutes", 6, ()),
)


def requests_of(parts: tuple[str, ...]) -> int:
    return sum(len(PART_REQUESTS[part]) for part in parts)


def month_requests() -> int:
    """API requests of one resident's month of opens."""
    return sum(kind.per_month * requests_of(kind.parts) for kind in MONTH)


def uncached_requests() -> int:
    """The same month when every open fetched every part (the home before it kept them)."""
    return OPENS_PER_RESIDENT * requests_of(tuple(PART_REQUESTS))


def describe() -> str:
    return "; ".join(f"{kind.per_month} x {kind.what}: {requests_of(kind.parts)} requests" for kind in MONTH)
