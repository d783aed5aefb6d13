"""The care list's use cases (``directory.care.service``) on the in-memory care store: the desk flags
residents, each flagged resident is to call once a month (in the firm's time zone), an outcome is recorded
once, and nobody else sees or changes the list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from courtyard.clock import FixedClock
from courtyard.errors import Conflict, Forbidden, NotFound
from courtyard.tenancy import Role, TenantContext
from directory.care.models import CareIn, VisitIn
from directory.care.rules import CareFlag
from directory.care.service import CareService
from tests.fakes.directory import InMemoryCare
from tests.fakes.kernel import RecordedAudit

DESK = TenantContext(tenant_id="t1", user_id="desk-1", roles=frozenset({Role.SERVICE_DESK}))
# 2026-10-31 17:00 UTC is already November 1st in Shanghai.
HALLOWEEN_EVENING = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)


def _service(clock: FixedClock | None = None) -> tuple[CareService, InMemoryCare, RecordedAudit]:
    store, audit = InMemoryCare(), RecordedAudit()
    store.add_resident("t1", "R1", "王奶奶")
    store.add_resident("t1", "R2", "陈业主")
    service = CareService(store, audit, clock or FixedClock(HALLOWEEN_EVENING), lambda _t: "Asia/Shanghai")
    return service, store, audit


def test_flagged_residents_are_to_call_in_the_firms_month_and_the_flag_is_audited() -> None:
    service, _, audit = _service()
    service.set_care(DESK, "R1", CareIn(flags=[CareFlag.ELDERLY_ALONE]))

    visits = service.visits(DESK, None)

    assert visits.month == "2026-11"  # Shanghai's month, not UTC's October
    assert [(v.name, v.status) for v in visits.items] == [("王奶奶", "to_call")]
    assert audit.records == [("resident.care.set", "resident", "R1")]


def test_an_outcome_is_recorded_once_and_the_call_is_then_done() -> None:
    service, _, _ = _service()
    service.set_care(DESK, "R1", CareIn(flags=[CareFlag.DISABLED]))
    service.set_care(DESK, "R2", CareIn(flags=[CareFlag.NEEDS_ASSISTANCE]))

    done = service.record_visit(DESK, "2026-11", "R1", VisitIn(outcome="reached_well"))
    with pytest.raises(Conflict):
        service.record_visit(DESK, "2026-11", "R1", VisitIn(outcome="no_answer"))
    visits = service.visits(DESK, "2026-11")

    assert done.status == "done"
    assert (visits.to_call, visits.done) == (1, 1)
    assert [(v.name, v.status) for v in visits.items] == [("陈业主", "to_call"), ("王奶奶", "done")]


def test_a_resident_off_the_list_has_no_call_to_record() -> None:
    service, _, _ = _service()
    service.set_care(DESK, "R1", CareIn(flags=[CareFlag.DISABLED]))
    service.set_care(DESK, "R1", CareIn(flags=[]))

    with pytest.raises(NotFound):
        service.record_visit(DESK, "2026-11", "R1", VisitIn(outcome="reached_well"))
    assert service.care_list(DESK).items == []


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.GUARD, Role.FINANCE, Role.RESIDENT])
def test_only_the_desk_and_managers_see_or_change_the_list(role: Role) -> None:
    service, store, _ = _service()
    someone = TenantContext(tenant_id="t1", user_id="u1", roles=frozenset({role}))

    with pytest.raises(Forbidden):
        service.set_care(someone, "R1", CareIn(flags=[CareFlag.DISABLED]))
    with pytest.raises(Forbidden):
        service.care_list(someone)
    assert store.listed == {}
