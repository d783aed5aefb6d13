"""Staff policy (pure): zones served, dispatch eligibility, assignable roles and skills, self-service."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.staff.rules import (
    ASSIGNABLE_ROLES,
    Skill,
    Zone,
    beyond_self_service,
    can_take,
    covers,
    locks_out_self,
    role_problems,
    skill_problems,
    zone_problems,
)

ids = st.text(alphabet="ABCDEFGHJKMNPQRSTVWXYZ0123456789", min_size=1, max_size=8)

WHOLE_SITE = Zone("S1")
TWO_BUILDINGS = Zone("S2", ("B1", "B2"))


@pytest.mark.parametrize(
    ("site_id", "building_id", "expected"),
    [
        ("S1", "ANY", True),  # whole site: every building
        ("S1", None, True),
        ("S2", "B1", True),
        ("S2", "B2", True),
        ("S2", "B3", False),  # a building outside the listed ones
        ("S2", None, True),  # the site's common area: any zone of the site covers it
        ("S3", None, False),
        ("S3", "B1", False),  # same building id, another site
    ],
)
def test_covers_whole_sites_listed_buildings_and_common_areas(site_id, building_id, expected):
    assert covers([WHOLE_SITE, TWO_BUILDINGS], site_id, building_id) is expected


def test_no_zones_cover_nothing():
    assert covers([], "S1", None) is False


@given(site=ids, building=ids)
def test_whole_site_zone_covers_every_building_of_its_site(site, building):
    assert covers([Zone(site)], site, building)


@given(site=ids, other=ids, buildings=st.lists(ids, max_size=3), building=st.none() | ids)
def test_a_zone_never_covers_another_site(site, other, buildings, building):
    if site != other:
        assert not covers([Zone(site, tuple(buildings))], other, building)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"active": False}, False),
        ({"on_duty": False}, False),
        ({"skill": "elevator"}, False),
        ({"site_id": "S9"}, False),
        ({"building_id": "B3"}, False),
    ],
)
def test_can_take_needs_active_on_duty_skill_and_zone(changes, expected):
    job = {
        "active": True,
        "on_duty": True,
        "skills": ["plumbing"],
        "zones": [TWO_BUILDINGS],
        "skill": "plumbing",
        "site_id": "S2",
        "building_id": "B1",
    }
    job.update(changes)
    assert can_take(**job) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("roles", [["technician"], ["manager", "finance"], sorted(ASSIGNABLE_ROLES)])
def test_staff_roles_are_accepted(roles):
    assert role_problems(roles) == []


@pytest.mark.parametrize(
    ("roles", "problem"),
    [
        ([], "at least one role"),
        (["platform_admin"], "cannot be given"),
        (["resident"], "cannot be given"),
        (["guard", "resident"], "cannot be given"),
        (["janitor"], "unknown role"),
        (["guard", "guard"], "must not repeat"),
    ],
)
def test_roles_outside_staff_are_refused(roles, problem):
    assert any(problem in p for p in role_problems(roles))


def test_every_skill_is_known_and_others_are_refused():
    assert skill_problems([s.value for s in Skill]) == []
    assert skill_problems(["welding"]) == ["unknown skill welding"]
    assert skill_problems(["general", "general"]) == ["skills must not repeat"]


def test_a_site_appears_in_one_zone_and_a_building_once():
    assert zone_problems([Zone("S1"), TWO_BUILDINGS]) == []
    assert zone_problems([Zone("S1"), Zone("S1", ("B1",))]) == ["site S1 appears in more than one zone"]
    assert zone_problems([Zone("S1", ("B1", "B1"))]) == ["a building repeats in the zone of site S1"]


def test_staff_may_change_only_their_duty():
    assert beyond_self_service(["on_duty"]) == []
    assert beyond_self_service(["on_duty", "skills", "name"]) == ["name", "skills"]


@pytest.mark.parametrize(
    ("editing_self", "roles", "active", "expected"),
    [
        (True, ["technician"], None, True),
        (True, None, False, True),
        (True, ["manager", "guard"], True, False),
        (True, None, None, False),
        (False, ["technician"], False, False),  # another manager may do both
    ],
)
def test_a_manager_cannot_lock_themself_out(editing_self, roles, active, expected):
    assert locks_out_self(editing_self=editing_self, roles=roles, active=active) is expected
