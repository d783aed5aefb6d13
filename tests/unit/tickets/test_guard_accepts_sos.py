"""A guard accepts an emergency (issue 19): the ladder calls the on-duty guard first, so the guard's
``accept`` answers the SOS (and stops the ladder through ``TicketStatusChanged``); ordinary work stays the
assigned technician's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tickets.domain import Action, Priority, TicketStatus
from tickets.lifecycle import Actor, TicketState, allowed_actions, apply

from courtyard.errors import Conflict, Forbidden
from courtyard.tenancy import Role

T0 = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)
GUARD = Actor("u-guard", frozenset({Role.GUARD}), staff_id="st-g")
TECH = Actor("u-tech", frozenset({Role.TECHNICIAN}), staff_id="st-t")


def _ticket(priority: Priority, *, assigned: bool) -> TicketState:
    state = TicketState.new(reporter_user_id="u-elder", priority=priority, created_at=T0)
    if not assigned:
        return state
    return replace(state, status=TicketStatus.ASSIGNED, assignee_staff_id="st-t", assignee_user_id="u-tech")


def test_a_guard_accepts_an_sos_assigned_to_the_technician() -> None:
    done = apply(_ticket(Priority.EMERGENCY, assigned=True), Action.ACCEPT, GUARD, T0 + timedelta(minutes=1))

    assert done.new_state.status is TicketStatus.ACCEPTED
    assert done.new_state.accepted_at == T0 + timedelta(minutes=1)
    assert done.new_state.assignee_staff_id == "st-t"  # the technician still comes
    assert done.timeline_entry.actor == "u-guard"
    # The technician goes on from there.
    assert apply(done.new_state, Action.START, TECH, T0 + timedelta(minutes=3)).new_state.status is (
        TicketStatus.IN_PROGRESS
    )


def test_a_guard_accepting_an_sos_nobody_was_dispatched_to_sees_it_through() -> None:
    done = apply(_ticket(Priority.EMERGENCY, assigned=False), Action.ACCEPT, GUARD, T0)

    assert done.new_state.status is TicketStatus.ACCEPTED
    assert (done.new_state.assignee_staff_id, done.new_state.assignee_user_id) == ("st-g", "u-guard")
    assert Action.START in allowed_actions(done.new_state, GUARD)


def test_a_guard_may_not_accept_ordinary_work() -> None:
    with pytest.raises(Forbidden):
        apply(_ticket(Priority.URGENT, assigned=True), Action.ACCEPT, GUARD, T0)
    assert Action.ACCEPT not in allowed_actions(_ticket(Priority.NORMAL, assigned=True), GUARD)


def test_an_sos_accepted_once_is_not_accepted_again() -> None:
    first = apply(_ticket(Priority.EMERGENCY, assigned=True), Action.ACCEPT, GUARD, T0).new_state

    with pytest.raises(Conflict):
        apply(first, Action.ACCEPT, GUARD, T0 + timedelta(minutes=1))
    with pytest.raises(Conflict):
        apply(first, Action.ACCEPT, TECH, T0 + timedelta(minutes=1))
