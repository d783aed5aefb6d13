"""One contract, two care lists: the in-memory care store the unit tests use (``tests.fakes.directory``) and
the moto-backed ``CareRepository`` keep the same promises, so the fake cannot drift from the table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from courtyard.directory import Keys
from courtyard.errors import Conflict, NotFound
from directory.care.service import CareStore
from tests.fakes.directory import InMemoryCare

AT = "2026-10-12T02:00:00Z"
# Arrange: a resident of the firm with this name (the profile the directory keeps).
AddResident = Callable[[str, str, str], None]


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> tuple[CareStore, AddResident]:
    if request.param == "memory":
        fake = InMemoryCare()
        return fake, fake.add_resident
    request.getfixturevalue("handler")  # the DirectoryFunction's environment on moto
    from directory import wiring
    from directory.care.repository import CareRepository

    table = wiring.table()

    def add_resident(tenant_id: str, resident_id: str, name: str) -> None:
        profile: dict[str, Any] = {**Keys.resident(tenant_id, resident_id), "tenant_id": tenant_id}
        table.put({**profile, "name": name})

    return CareRepository(table), add_resident


def test_flags_put_a_resident_on_the_list_and_none_take_them_off(store: tuple[CareStore, AddResident]):
    care, add_resident = store
    add_resident("t1", "R1", "王奶奶")
    add_resident("t1", "R2", "陈业主")

    care.set_care("t1", "R1", ["elderly_alone"], "独居", AT)
    care.set_care("t1", "R2", ["disabled", "needs_assistance"], None, AT)
    care.set_care("t1", "R2", [], None, AT)

    [entry] = care.care_list("t1")
    assert (entry["resident_id"], set(entry["flags"]), entry["note"]) == ("R1", {"elderly_alone"}, "独居")
    assert care.resident_name("t1", "R1") == "王奶奶"


def test_an_unknown_resident_cannot_be_flagged(store: tuple[CareStore, AddResident]) -> None:
    care, _ = store

    with pytest.raises(NotFound):
        care.set_care("t1", "NOBODY", ["disabled"], None, AT)
    assert care.care_list("t1") == []
    assert care.resident_name("t1", "NOBODY") is None


def test_a_months_outcome_is_recorded_once(store: tuple[CareStore, AddResident]) -> None:
    care, add_resident = store
    add_resident("t1", "R1", "王奶奶")
    care.set_care("t1", "R1", ["elderly_alone"], None, AT)

    care.record_visit("t1", "2026-10", "R1", {"outcome": "reached_well", "recorded_at": AT})
    with pytest.raises(Conflict):
        care.record_visit("t1", "2026-10", "R1", {"outcome": "no_answer", "recorded_at": AT})

    assert care.visits("t1", "2026-10")["R1"]["outcome"] == "reached_well"
    assert care.visits("t1", "2026-11") == {}


def test_another_firms_list_and_visits_are_not_reachable(store: tuple[CareStore, AddResident]) -> None:
    care, add_resident = store
    add_resident("t1", "R1", "王奶奶")
    care.set_care("t1", "R1", ["elderly_alone"], None, AT)
    care.record_visit("t1", "2026-10", "R1", {"outcome": "reached_well"})

    assert care.care_list("t2") == []
    assert care.visits("t2", "2026-10") == {}
    assert care.resident_name("t2", "R1") is None
    with pytest.raises(NotFound):
        care.set_care("t2", "R1", ["disabled"], None, AT)
