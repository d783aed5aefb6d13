"""Dispatch: choosing a technician, dispatch rules, and the scheduled job's re-dispatch/escalation steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tickets.dispatch import (
    DispatchHistory,
    DispatchRules,
    Escalate,
    Redispatch,
    Technician,
    Wait,
    Zone,
    choose,
    covers,
    first_assignee,
    next_step,
)
from tickets.domain import Category, Priority, Skill, TicketStatus

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from directory.staff import rules as directory_rules

T0 = datetime(2026, 3, 7, 19, 0, tzinfo=UTC)  # 03:00 on a Sunday in Shanghai
WHOLE_S1 = Zone("S1")
S1_B1 = Zone("S1", ("B1",))


def tech(
    staff_id: str,
    *,
    skills: tuple[str, ...] = (Skill.PLUMBING,),
    zones: tuple[Zone, ...] = (WHOLE_S1,),
    on_duty: bool = True,
    active: bool = True,
    open_tickets: int = 0,
) -> Technician:
    return Technician(
        staff_id=staff_id,
        user_id=f"u-{staff_id}",
        skills=frozenset(skills),
        zones=zones,
        on_duty=on_duty,
        active=active,
        open_tickets=open_tickets,
    )


def chosen(
    technicians: list[Technician], skill: str = Skill.PLUMBING, building: str | None = "B1"
) -> str | None:
    technician = choose(technicians, skill, "S1", building)
    return technician.staff_id if technician else None


# --- choose ---------------------------------------------------------------------------------------------


def test_fewest_open_tickets_wins() -> None:
    assert chosen([tech("A", open_tickets=3), tech("B", open_tickets=1), tech("C", open_tickets=2)]) == "B"


def test_ties_go_to_the_lowest_staff_id_whatever_the_order() -> None:
    assert chosen([tech("C", open_tickets=1), tech("A", open_tickets=1), tech("B", open_tickets=1)]) == "A"


@pytest.mark.parametrize(
    "unavailable",
    [
        tech("A", on_duty=False),
        tech("A", active=False),
        tech("A", skills=(Skill.CLEANING,)),
        tech("A", zones=(Zone("S2"),)),
        tech("A", zones=(Zone("S1", ("B2",)),)),
        tech("A", zones=()),
    ],
    ids=["off_duty", "inactive", "wrong_skill", "other_site", "other_building", "no_zone"],
)
def test_an_ineligible_technician_is_passed_over_even_when_idle(unavailable: Technician) -> None:
    assert chosen([unavailable, tech("Z", open_tickets=9)]) == "Z"
    assert chosen([unavailable]) is None


def test_nobody_eligible_leaves_the_ticket_for_the_service_desk_queue() -> None:
    assert chosen([]) is None
    assert chosen([tech("A", on_duty=False), tech("B", skills=(Skill.ELEVATOR,))]) is None


def test_excluded_technicians_are_not_chosen_again() -> None:
    technicians = [tech("A"), tech("B", open_tickets=5)]
    assert choose(technicians, Skill.PLUMBING, "S1", "B1", exclude=frozenset({"A"})) == technicians[1]
    assert choose(technicians, Skill.PLUMBING, "S1", "B1", exclude=frozenset({"A", "B"})) is None


@pytest.mark.parametrize("specialised", [Skill.ELECTRICAL, Skill.ELEVATOR, Skill.PLUMBING, Skill.CLEANING])
def test_general_does_not_cover_a_specialised_skill(specialised: Skill) -> None:
    assert chosen([tech("A", skills=(Skill.GENERAL,))], skill=specialised) is None


def test_a_specialist_does_not_take_general_work_without_the_general_skill() -> None:
    assert chosen([tech("A", skills=(Skill.ELECTRICAL,))], skill=Skill.GENERAL) is None
    assert chosen([tech("A", skills=(Skill.ELECTRICAL, Skill.GENERAL))], skill=Skill.GENERAL) == "A"


def test_a_building_zone_covers_its_buildings_and_the_common_areas_of_its_site() -> None:
    limited = [tech("A", zones=(S1_B1,))]
    assert chosen(limited, building="B1") == "A"
    assert chosen(limited, building="B2") is None
    assert chosen(limited, building=None) == "A"  # a common area of S1


def test_the_same_building_id_on_another_site_is_not_covered() -> None:
    assert choose([tech("A", zones=(Zone("S2", ("B1",)),))], Skill.PLUMBING, "S1", "B1") is None


ids = st.sampled_from(["S1", "S2", "B1", "B2", "B3"])
zones = st.lists(
    st.builds(Zone, st.sampled_from(["S1", "S2"]), st.lists(ids, max_size=3).map(tuple)), max_size=3
)


@given(zones, st.sampled_from(["S1", "S2", "S3"]), st.none() | ids)
def test_covers_mirrors_the_directory_rule(
    staff_zones: list[Zone], site_id: str, building_id: str | None
) -> None:
    mirrored = [directory_rules.Zone(z.site_id, z.building_ids) for z in staff_zones]
    assert covers(staff_zones, site_id, building_id) == directory_rules.covers(mirrored, site_id, building_id)


# --- rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "skill"),
    [
        (Category.PLUMBING, Skill.PLUMBING),
        (Category.ELEVATOR, Skill.ELEVATOR),
        (Category.DOOR_ACCESS, Skill.ELECTRICAL),
        (Category.PEST_CONTROL, Skill.CLEANING),
        (Category.NOISE, Skill.SECURITY),
        (Category.GREENING, Skill.GENERAL),
        (Category.OTHER, Skill.GENERAL),
        ("something_new", Skill.GENERAL),
    ],
)
def test_default_rules_map_category_to_skill(category: str, skill: Skill) -> None:
    assert DispatchRules().skill_for(category) == skill


def test_every_category_has_a_default_skill() -> None:
    rules = DispatchRules()
    assert {category.value for category in Category} == set(rules.category_skills)


def test_a_tenant_may_remap_a_category() -> None:
    rules = DispatchRules(category_skills={Category.GREENING: Skill.CLEANING})
    assert rules.skill_for(Category.GREENING) == Skill.CLEANING


def test_acceptance_windows_by_priority() -> None:
    rules = DispatchRules()
    assert rules.window(Priority.EMERGENCY) == timedelta(minutes=2)
    assert rules.window(Priority.URGENT) == timedelta(minutes=10)
    assert rules.window(Priority.NORMAL) == timedelta(minutes=30)
    assert DispatchRules(acceptance_window_minutes={Priority.NORMAL: 60}).window(Priority.URGENT) == (
        timedelta(minutes=10)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_redispatch": -1}, "max_redispatch"),
        ({"acceptance_window_minutes": {Priority.NORMAL: 0}}, "positive"),
        ({"category_skills": {"plumbing": "welding"}}, "welding"),
    ],
)
def test_bad_rules_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DispatchRules(**kwargs)


def test_a_new_ticket_goes_to_the_least_loaded_technician() -> None:
    technicians = [tech("A", open_tickets=2), tech("B")]
    assignee = first_assignee(
        technicians,
        DispatchRules(),
        priority=Priority.NORMAL,
        skill=Skill.PLUMBING,
        site_id="S1",
        building_id="B1",
    )
    assert assignee == technicians[1]


def test_grab_mode_pools_normal_tickets_but_pushes_emergencies() -> None:
    rules = DispatchRules(grab_mode=True)
    place = {"skill": Skill.PLUMBING, "site_id": "S1", "building_id": "B1"}
    assert first_assignee([tech("A")], rules, priority=Priority.NORMAL, **place) is None
    assert first_assignee([tech("A")], rules, priority=Priority.URGENT, **place) is None
    emergency = first_assignee([tech("A")], rules, priority=Priority.EMERGENCY, **place)
    assert emergency is not None


# --- the scheduled job ----------------------------------------------------------------------------------

GUARDS = [
    tech("G1", skills=(Skill.SECURITY,)),
    tech("G2", skills=(Skill.SECURITY,), open_tickets=1),
    tech("G3", skills=(Skill.SECURITY,), open_tickets=2),
    tech("G4", skills=(Skill.SECURITY,), on_duty=False),
]
SOS = DispatchHistory(
    status=TicketStatus.ASSIGNED,
    priority=Priority.EMERGENCY,
    skill=Skill.SECURITY,
    site_id="S1",
    building_id="B1",
    since=T0,
    tried=("G1",),
)


def test_within_the_window_the_job_waits_until_it_ends() -> None:
    assert next_step(SOS, T0 + timedelta(minutes=1), DispatchRules(), GUARDS) == Wait(
        T0 + timedelta(minutes=2)
    )


def test_after_the_window_the_next_untried_technician_gets_it() -> None:
    step = next_step(SOS, T0 + timedelta(minutes=2), DispatchRules(), GUARDS)
    assert isinstance(step, Redispatch)
    assert step.to.staff_id == "G2"


def test_after_max_redispatches_the_manager_is_told() -> None:
    exhausted = replace(SOS, tried=("G1", "G2", "G3"), redispatches=2)
    step = next_step(exhausted, T0 + timedelta(minutes=5), DispatchRules(), GUARDS)
    assert isinstance(step, Escalate)
    assert step.to is Role.MANAGER
    assert "2 re-dispatches" in step.reason


def test_no_one_left_to_try_escalates_early() -> None:
    everyone_tried = replace(SOS, tried=("G1", "G2", "G3"))
    step = next_step(everyone_tried, T0 + timedelta(minutes=3), DispatchRules(), GUARDS)
    assert isinstance(step, Escalate)
    assert "no other on-duty technician" in step.reason


def test_escalation_happens_once() -> None:
    escalated = replace(SOS, escalated=True, redispatches=2)
    assert next_step(escalated, T0 + timedelta(hours=1), DispatchRules(), GUARDS) == Wait(None)


@pytest.mark.parametrize(
    "status", [TicketStatus.ACCEPTED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CANCELLED]
)
def test_an_accepted_or_finished_ticket_needs_nothing(status: TicketStatus) -> None:
    assert next_step(replace(SOS, status=status), T0 + timedelta(hours=1), DispatchRules(), GUARDS) == Wait(
        None
    )


def test_zero_redispatches_escalates_straight_away() -> None:
    step = next_step(SOS, T0 + timedelta(minutes=2), DispatchRules(max_redispatch=0), GUARDS)
    assert isinstance(step, Escalate)


def test_a_queued_ticket_is_dispatched_when_someone_comes_on_duty() -> None:
    queued = replace(SOS, status=TicketStatus.SUBMITTED, tried=())
    step = next_step(
        queued, T0 + timedelta(minutes=2), DispatchRules(), [tech("G4", skills=(Skill.SECURITY,))]
    )
    assert step == Redispatch(tech("G4", skills=(Skill.SECURITY,)))


def test_a_queued_ticket_with_nobody_available_is_escalated() -> None:
    queued = replace(SOS, status=TicketStatus.SUBMITTED, tried=())
    assert isinstance(next_step(queued, T0 + timedelta(minutes=2), DispatchRules(), []), Escalate)


def test_an_unclaimed_pool_ticket_is_escalated_not_pushed() -> None:
    pooled = replace(SOS, status=TicketStatus.SUBMITTED, priority=Priority.NORMAL, tried=())
    rules = DispatchRules(grab_mode=True)
    assert next_step(pooled, T0 + timedelta(minutes=29), rules, GUARDS) == Wait(T0 + timedelta(minutes=30))
    step = next_step(pooled, T0 + timedelta(minutes=30), rules, GUARDS)
    assert isinstance(step, Escalate)
    assert "grab mode" in step.reason


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        next_step(SOS, datetime(2026, 3, 8), DispatchRules(), GUARDS)


def test_an_unaccepted_sos_at_three_in_the_morning_is_redispatched_twice_then_escalated() -> None:
    """The job runs every minute; the service applies each step (assign by system, or notify the manager)."""
    clock, rules, history = FixedClock(T0), DispatchRules(), SOS
    log: list[tuple[int, str]] = []
    for _ in range(15):
        clock.advance(minutes=1)
        step = next_step(history, clock.now(), rules, GUARDS)
        minute = int((clock.now() - T0).total_seconds() // 60)
        if isinstance(step, Redispatch):
            log.append((minute, f"redispatch {step.to.staff_id}"))
            history = replace(
                history,
                since=clock.now(),
                tried=(*history.tried, step.to.staff_id),
                redispatches=history.redispatches + 1,
            )
        elif isinstance(step, Escalate):
            log.append((minute, "escalate"))
            history = replace(history, escalated=True)
    assert log == [(2, "redispatch G2"), (4, "redispatch G3"), (6, "escalate")]
