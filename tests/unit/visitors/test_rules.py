"""The gate's pure rules: token checks, the 60 s tolerance, recurring hours, revocation, blocklist."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from visitors import rules
from visitors.models import Direction, PassKind, PassStatus, Reason, Recurrence, VisitorPass
from visitors.tokens import PassClaims

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


def _pass(**changes: object) -> VisitorPass:
    base = VisitorPass(
        tenant_id="t1",
        pass_id="p1",
        site_id="s1",
        unit_id="u1",
        unit_label="A101",
        host_user_id="h",
        issued_by="h",
        kind=PassKind.GUEST,
        visitor_name="Sun",
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(hours=1),
        entries_allowed=1,
        entries_used=0,
        status=PassStatus.ACTIVE,
        created_at=NOW,
        token="t",
        kid="k",
    )
    return VisitorPass(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


def _claims(**changes: object) -> PassClaims:
    values: dict[str, object] = {
        "pass_id": "p1",
        "tenant_id": "t1",
        "site_id": "s1",
        "not_before": int((NOW - timedelta(hours=1)).timestamp()),
        "expires": int((NOW + timedelta(hours=1)).timestamp()),
    }
    values.update(changes)
    return PassClaims(**values)  # type: ignore[arg-type]


def _token_reason(claims: PassClaims, now: datetime = NOW, gate: str = "g1", direction=Direction.IN):
    return rules.token_reason(
        claims, tenant_id="t1", site_id="s1", gate_id=gate, now=now, direction=direction
    )


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(), None),
        (_claims(tenant_id="t2"), Reason.WRONG_SITE),
        (_claims(site_id="s2"), Reason.WRONG_SITE),
        (_claims(gates=("g2",)), Reason.WRONG_SITE),
        (_claims(gates=("g1", "g2")), None),
        (_claims(expires=int((NOW - timedelta(seconds=61)).timestamp())), Reason.EXPIRED),
        (_claims(expires=int((NOW - timedelta(seconds=60)).timestamp())), None),
        (_claims(not_before=int((NOW + timedelta(seconds=61)).timestamp())), Reason.NOT_YET_VALID),
        (_claims(not_before=int((NOW + timedelta(seconds=60)).timestamp())), None),
    ],
)
def test_token_checks_with_sixty_seconds_of_clock_tolerance(claims: PassClaims, reason: Reason | None):
    assert _token_reason(claims) == reason


def test_leaving_is_not_refused_for_the_window():
    expired = _claims(expires=int((NOW - timedelta(hours=5)).timestamp()))

    assert _token_reason(expired, direction=Direction.OUT) is None
    assert _token_reason(_claims(site_id="s2"), direction=Direction.OUT) is Reason.WRONG_SITE


@pytest.mark.parametrize(
    ("changes", "blocked", "reason"),
    [
        ({}, False, None),
        ({"status": PassStatus.REVOKED}, False, Reason.REVOKED),
        ({}, True, Reason.BLOCKED),
        ({"entries_used": 1}, False, Reason.EXHAUSTED),
        ({"valid_until": NOW - timedelta(minutes=2)}, False, Reason.EXPIRED),
        ({"valid_from": NOW + timedelta(minutes=2)}, False, Reason.NOT_YET_VALID),
        ({"status": PassStatus.REVOKED}, True, Reason.REVOKED),
    ],
)
def test_pass_checks_in_order(changes: dict[str, object], blocked: bool, reason: Reason | None):
    verdict = rules.pass_reason(
        _pass(**changes), now=NOW, timezone="Asia/Shanghai", blocked=blocked, direction=Direction.IN
    )

    assert verdict == reason


def test_a_revoked_or_exhausted_pass_still_lets_its_visitor_out():
    for changes in ({"status": PassStatus.REVOKED}, {"entries_used": 1}):
        assert (
            rules.pass_reason(
                _pass(**changes), now=NOW, timezone="Asia/Shanghai", blocked=True, direction=Direction.OUT
            )
            is None
        )


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (NOW, True),  # Tuesday 10:00 local
        (NOW - timedelta(hours=1, minutes=1), True),  # 08:59, within the tolerance of 09:00
        (NOW - timedelta(hours=1, minutes=2), False),  # 08:58
        (NOW + timedelta(hours=2, minutes=1), True),  # 12:01, within the tolerance
        (NOW + timedelta(hours=3), False),  # 13:00
        (NOW + timedelta(days=1), False),  # Wednesday
    ],
)
def test_recurring_hours_are_the_tenants_local_weekdays_and_times(at: datetime, inside: bool):
    tuesdays = Recurrence(days=[2], start=time(9), end=time(12))

    assert rules.in_recurring_hours(tuesdays, at, "Asia/Shanghai") is inside


def test_recurrence_hours_must_be_ordered():
    with pytest.raises(ValueError, match="end must be after start"):
        Recurrence(days=[1], start=time(12), end=time(9))


def test_window_problems():
    week = timedelta(days=7)

    assert rules.window_problems(NOW, NOW + timedelta(hours=1), NOW, week) == []
    assert rules.window_problems(NOW, NOW, NOW, week) != []
    assert rules.window_problems(NOW - timedelta(hours=3), NOW - timedelta(hours=1), NOW, week) != []
    assert rules.window_problems(NOW, NOW + timedelta(days=8), NOW, week) != []
