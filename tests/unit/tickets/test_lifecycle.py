"""The ticket state machine: every (status, action, actor) outcome, the timeline, and the special cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tickets.domain import Action, Priority, TicketStatus
from tickets.lifecycle import (
    NOTE_MAX_LENGTH,
    Actor,
    Assignee,
    TicketState,
    allowed_actions,
    apply,
)

from courtyard.errors import Conflict, Forbidden, Unprocessable
from courtyard.tenancy import Role

S = TicketStatus
A = Action
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
AT = T0 + timedelta(hours=1)

REPORTER = Actor("u-reporter", frozenset({Role.RESIDENT}))
ASSIGNEE = Actor("u-tech-1", frozenset({Role.TECHNICIAN}), staff_id="st-1")
ACTORS = {
    "reporter": REPORTER,
    "other_resident": Actor("u-neighbour", frozenset({Role.RESIDENT})),
    "assignee": ASSIGNEE,
    "other_technician": Actor("u-tech-2", frozenset({Role.TECHNICIAN}), staff_id="st-2"),
    "manager": Actor("u-manager", frozenset({Role.MANAGER}), staff_id="st-m"),
    "service_desk": Actor("u-desk", frozenset({Role.SERVICE_DESK}), staff_id="st-d"),
    "guard": Actor("u-guard", frozenset({Role.GUARD}), staff_id="st-g"),
    "system": Actor.system(),
}
DESK = {"manager", "service_desk"}
OTHER = Assignee("st-9", "u-tech-9")


def state_in(status: TicketStatus) -> TicketState:
    """A ticket in ``status`` as the machine would have left it: assigned to st-1 from ``assigned`` on."""
    state = TicketState.new(reporter_user_id=REPORTER.user_id, priority=Priority.NORMAL, created_at=T0)
    if status is S.SUBMITTED:
        return state
    return replace(state, status=status, assignee_staff_id="st-1", assignee_user_id="u-tech-1")


# The rules as a table, written independently of the implementation: who may ever do an action,
# and from which statuses (with the actor kinds whose reach differs).
def who_may(action: Action, status: TicketStatus, grab_mode: bool) -> set[str]:
    has_assignee = status is not S.SUBMITTED
    assignee = {"assignee"} if has_assignee else set()
    return {
        A.ASSIGN: DESK | {"system"} | ({"assignee", "other_technician"} if grab_mode else set()),
        A.ACCEPT: assignee,
        A.START: assignee,
        A.RESOLVE: DESK | assignee,
        A.CLOSE: DESK | {"reporter", "system"},
        A.REOPEN: DESK | {"reporter"},
        A.CANCEL: DESK | {"reporter"},
    }[action]


def sources(action: Action, kind: str) -> set[TicketStatus]:
    desk = kind in DESK
    return {
        A.ASSIGN: {S.SUBMITTED, S.ASSIGNED, S.ACCEPTED} if desk or kind == "system" else {S.SUBMITTED},
        A.ACCEPT: {S.ASSIGNED},
        A.START: {S.ACCEPTED},
        A.RESOLVE: {S.SUBMITTED, S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS} if desk else {S.IN_PROGRESS},
        A.CLOSE: {S.RESOLVED},
        A.REOPEN: {S.RESOLVED},
        A.CANCEL: {S.SUBMITTED, S.ASSIGNED, S.ACCEPTED} | ({S.IN_PROGRESS} if desk else set()),
    }[action]


TARGET = {
    A.ASSIGN: S.ASSIGNED,
    A.ACCEPT: S.ACCEPTED,
    A.START: S.IN_PROGRESS,
    A.RESOLVE: S.RESOLVED,
    A.CLOSE: S.CLOSED,
    A.REOPEN: S.ASSIGNED,  # the fixture tickets have an assignee
    A.CANCEL: S.CANCELLED,
}


@pytest.mark.parametrize("grab_mode", [False, True], ids=["push", "grab"])
@pytest.mark.parametrize("kind", sorted(ACTORS))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(TicketStatus))
def test_every_status_action_and_actor(
    status: TicketStatus, action: Action, kind: str, grab_mode: bool
) -> None:
    state = state_in(status)
    actor = ACTORS[kind]
    claim = action is A.ASSIGN and kind not in DESK | {"system"}
    assignee = None if claim else OTHER

    if kind not in who_may(action, status, grab_mode):
        with pytest.raises(Forbidden):
            apply(state, action, actor, AT, assignee=assignee, grab_mode=grab_mode)
    elif status not in sources(action, kind):
        with pytest.raises(Conflict):
            apply(state, action, actor, AT, assignee=assignee, grab_mode=grab_mode)
    else:
        transition = apply(state, action, actor, AT, assignee=assignee, grab_mode=grab_mode)
        assert transition.new_state.status is TARGET[action]
        assert (transition.timeline_entry.from_status, transition.timeline_entry.to_status) == (
            status,
            TARGET[action],
        )
        assert transition.timeline_entry.actor == actor.user_id


@pytest.mark.parametrize("status", list(TicketStatus))
def test_allowed_actions_agree_with_apply(status: TicketStatus) -> None:
    for kind, actor in ACTORS.items():
        offered = allowed_actions(state_in(status), actor)
        for action in Action:
            assignee = OTHER if action is A.ASSIGN else None
            try:
                apply(state_in(status), action, actor, AT, assignee=assignee)
            except (Forbidden, Conflict):
                assert action not in offered, (kind, action)
            else:
                assert action in offered, (kind, action)


def test_allowed_actions_show_each_party_its_next_step() -> None:
    assert allowed_actions(state_in(S.SUBMITTED), REPORTER) == {A.CANCEL}
    assert allowed_actions(state_in(S.ASSIGNED), ASSIGNEE) == {A.ACCEPT}
    assert allowed_actions(state_in(S.RESOLVED), REPORTER) == {A.CLOSE, A.REOPEN}
    assert allowed_actions(state_in(S.CLOSED), ACTORS["manager"]) == frozenset()


def test_closed_loop_from_filing_to_closing_stamps_each_step() -> None:
    desk, clock = ACTORS["service_desk"], T0
    state = TicketState.new(reporter_user_id=REPORTER.user_id, priority=Priority.URGENT, created_at=T0)
    steps = [
        (A.ASSIGN, desk, Assignee("st-1", "u-tech-1")),
        (A.ACCEPT, ASSIGNEE, None),
        (A.START, ASSIGNEE, None),
        (A.RESOLVE, ASSIGNEE, None),
        (A.CLOSE, REPORTER, None),
    ]
    entries = []
    for action, actor, assignee in steps:
        clock += timedelta(minutes=10)
        transition = apply(state, action, actor, clock, assignee=assignee)
        state = transition.new_state
        entries.append(transition.timeline_entry)

    assert state.status is S.CLOSED
    assert [e.to_status for e in entries] == [S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED]
    assert (state.assigned_at, state.accepted_at, state.started_at, state.resolved_at, state.closed_at) == (
        T0 + timedelta(minutes=10),
        T0 + timedelta(minutes=20),
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=40),
        T0 + timedelta(minutes=50),
    )


def test_timeline_entry_records_time_actor_statuses_note_and_assignee() -> None:
    transition = apply(
        state_in(S.SUBMITTED), A.ASSIGN, ACTORS["manager"], AT, assignee=Assignee("st-1"), note="送水管"
    )
    entry = transition.timeline_entry
    assert (entry.at, entry.actor, entry.action, entry.from_status, entry.to_status, entry.note) == (
        AT,
        "u-manager",
        A.ASSIGN,
        S.SUBMITTED,
        S.ASSIGNED,
        "送水管",
    )
    assert entry.assignee_staff_id == "st-1"


def test_system_actions_are_recorded_as_system() -> None:
    transition = apply(state_in(S.RESOLVED), A.CLOSE, Actor.system(), AT, note="auto-close after 7 days")
    assert transition.timeline_entry.actor == "system"
    assert transition.new_state.closed_at == AT


def test_times_are_stored_in_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    transition = apply(state_in(S.ASSIGNED), A.ACCEPT, ASSIGNEE, local)
    assert transition.new_state.accepted_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert transition.new_state.accepted_at.tzinfo is UTC


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        apply(state_in(S.ASSIGNED), A.ACCEPT, ASSIGNEE, datetime(2026, 3, 2, 9, 0))


def test_reopen_goes_back_to_the_same_technician_and_is_counted() -> None:
    resolved = replace(state_in(S.RESOLVED), accepted_at=T0, resolved_at=T0 + timedelta(hours=2))
    reopened = apply(resolved, A.REOPEN, REPORTER, AT, note="还在漏").new_state
    assert (reopened.status, reopened.assignee_staff_id, reopened.reopen_count) == (S.ASSIGNED, "st-1", 1)
    assert reopened.resolved_at is None  # the resolution clock runs again
    assert reopened.accepted_at == T0  # the response target was measured once
    again = apply(reopened, A.ACCEPT, ASSIGNEE, AT + timedelta(minutes=5)).new_state
    assert again.accepted_at == T0


def test_reopen_counts_every_time() -> None:
    state = state_in(S.RESOLVED)
    for _ in range(3):
        state = apply(state, A.REOPEN, REPORTER, AT).new_state
        state = replace(state, status=S.RESOLVED)
    assert state.reopen_count == 3


def test_reopen_of_a_desk_settled_ticket_returns_it_to_the_queue() -> None:
    settled = apply(state_in(S.SUBMITTED), A.RESOLVE, ACTORS["service_desk"], AT).new_state
    reopened = apply(settled, A.REOPEN, REPORTER, AT + timedelta(hours=1)).new_state
    assert (reopened.status, reopened.assignee_staff_id, reopened.reopen_count) == (S.SUBMITTED, None, 1)


def test_redispatch_moves_an_accepted_ticket_to_another_technician() -> None:
    transition = apply(
        state_in(S.ACCEPTED), A.ASSIGN, Actor.system(), AT, assignee=Assignee("st-2", "u-tech-2")
    )
    state = transition.new_state
    assert (state.status, state.assignee_staff_id, state.assignee_user_id) == (S.ASSIGNED, "st-2", "u-tech-2")
    assert state.assigned_at == AT


def test_reassign_to_the_current_assignee_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="already assigned"):
        apply(state_in(S.ASSIGNED), A.ASSIGN, ACTORS["manager"], AT, assignee=Assignee("st-1"))


def test_assign_without_assignee_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="assignee"):
        apply(state_in(S.SUBMITTED), A.ASSIGN, ACTORS["service_desk"], AT)


def test_grab_mode_claim_assigns_the_claimer() -> None:
    claimer = ACTORS["other_technician"]
    state = apply(state_in(S.SUBMITTED), A.ASSIGN, claimer, AT, grab_mode=True).new_state
    assert (state.status, state.assignee_staff_id, state.assignee_user_id) == (S.ASSIGNED, "st-2", "u-tech-2")


def test_grab_mode_claim_for_someone_else_is_forbidden_even_when_already_taken() -> None:
    claimer = ACTORS["other_technician"]
    for status in (S.SUBMITTED, S.ASSIGNED):
        with pytest.raises(Forbidden, match="themself"):
            apply(state_in(status), A.ASSIGN, claimer, AT, assignee=Assignee("st-9"), grab_mode=True)


def test_second_claim_loses_the_race_with_a_conflict() -> None:
    taken = apply(state_in(S.SUBMITTED), A.ASSIGN, ASSIGNEE, AT, grab_mode=True).new_state
    with pytest.raises(Conflict):
        apply(taken, A.ASSIGN, ACTORS["other_technician"], AT, grab_mode=True)


def test_technician_without_staff_record_cannot_claim() -> None:
    loginless = Actor("u-tech-x", frozenset({Role.TECHNICIAN}))
    with pytest.raises(Forbidden):
        apply(state_in(S.SUBMITTED), A.ASSIGN, loginless, AT, grab_mode=True)


def test_assignee_is_recognised_by_user_id_too() -> None:
    same_user = Actor("u-tech-1", frozenset({Role.TECHNICIAN}))
    assert apply(state_in(S.ASSIGNED), A.ACCEPT, same_user, AT).new_state.status is S.ACCEPTED


def test_role_is_checked_before_state() -> None:
    # A neighbour learns nothing about the ticket's progress: 403 whatever its status.
    for status in TicketStatus:
        with pytest.raises(Forbidden):
            apply(state_in(status), A.CANCEL, ACTORS["other_resident"], AT)


def test_reporter_cannot_cancel_once_work_started() -> None:
    with pytest.raises(Conflict, match="in_progress"):
        apply(state_in(S.IN_PROGRESS), A.CANCEL, REPORTER, AT)


def test_over_long_note_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="note"):
        apply(state_in(S.ASSIGNED), A.ACCEPT, ASSIGNEE, AT, note="x" * (NOTE_MAX_LENGTH + 1))


def test_an_actor_with_several_roles_gets_the_widest_reach() -> None:
    desk_tech = Actor("u-tech-1", frozenset({Role.TECHNICIAN, Role.SERVICE_DESK}), staff_id="st-1")
    assert apply(state_in(S.ACCEPTED), A.RESOLVE, desk_tech, AT).new_state.status is S.RESOLVED
