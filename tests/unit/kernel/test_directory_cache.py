"""The directory reads a request repeats, kept a minute per container (issue 18): found answers are kept
for 60 s of the cache clock, then read again; what was not found is never kept."""

from __future__ import annotations

from typing import Any

from courtyard.directory import ResidentUnitView, UnitView, UserLink
from courtyard.directory_cache import TTL_SECONDS, Recent, RecentDirectory


class CountingReader:
    """A directory reader that answers from dicts and counts its reads."""

    def __init__(self) -> None:
        self.reads = 0
        self.links: dict[str, list[ResidentUnitView]] = {}
        self.units: dict[str, UnitView] = {}
        self.users: dict[str, UserLink] = {}

    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        self.reads += 1
        return list(self.links.get(resident_id, []))

    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None:
        self.reads += 1
        return self.units.get(unit_id)

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        self.reads += 1
        return self.users.get(user_id)


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _recent(reader: CountingReader, seconds: Seconds) -> RecentDirectory:
    fake: Any = reader
    return RecentDirectory(fake, seconds)


def test_a_found_answer_is_kept_for_a_minute_then_read_again() -> None:
    reader, seconds = CountingReader(), Seconds()
    reader.links["R1"] = [ResidentUnitView("U1", "S1", True)]
    recent = _recent(reader, seconds)

    assert [link.unit_id for link in recent.resident_links("T", "R1")] == ["U1"]
    reader.links["R1"] = []  # moved out
    seconds.now += TTL_SECONDS - 1
    assert [link.unit_id for link in recent.resident_links("T", "R1")] == ["U1"]  # within the minute
    assert reader.reads == 1
    seconds.now += 1
    assert recent.resident_links("T", "R1") == []  # the minute is over: the move-out is seen
    assert reader.reads == 2


def test_what_was_not_found_is_not_kept_so_a_grant_works_at_once() -> None:
    reader, seconds = CountingReader(), Seconds()
    recent = _recent(reader, seconds)

    assert recent.user("T", "sub-1") is None
    assert recent.resident_links("T", "R1") == []
    reader.users["sub-1"] = UserLink("resident", "R1")
    reader.links["R1"] = [ResidentUnitView("U1", "S1", True)]

    assert recent.user("T", "sub-1") == UserLink("resident", "R1")
    assert len(recent.resident_links("T", "R1")) == 1
    assert reader.reads == 4


def test_keys_are_per_tenant_and_the_map_forgets_on_request() -> None:
    seconds = Seconds()
    recent_map: Recent[str, int] = Recent(60.0, seconds)
    loads: list[str] = []

    def load(value: int) -> Any:
        return lambda: loads.append(str(value)) or value

    assert recent_map.get("a", load(1)) == 1
    assert recent_map.get("a", load(2)) == 1
    recent_map.forget("a")
    assert recent_map.get("a", load(3)) == 3
    assert loads == ["1", "3"]

    reader = CountingReader()
    reader.units["U1"] = UnitView("T1", "U1", "S1", "B1", "1-1-101", "residential")
    recent = _recent(reader, seconds)
    assert recent.unit("T1", "U1") is not None
    assert recent.unit("T2", "U1") is not None  # another tenant's key: read again, never shared
    assert reader.reads == 2
