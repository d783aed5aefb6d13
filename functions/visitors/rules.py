"""The gate's rules, pure: what a token, a pass and the clock say about one scan, and a pass's window.

Order of the checks (the first failing one is the reason): signature -> tenant and community -> gate ->
window (60 s tolerance either side for gate clocks) -> the pass record (unknown; signed with another key than
the pass was issued with: ``bad_signature``; revoked) -> recurring hours
-> blocklist -> remaining entries. The last is decided by the atomic counter, not here, so concurrent scans
cannot both take the last entry. An ``out`` scan never consumes an entry and is not refused for window or
entries: nobody is kept inside a community because their pass ran out while they were there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from visitors.models import Direction, PassStatus, Reason, Recurrence, VisitorPass
from visitors.tokens import PassClaims

CLOCK_TOLERANCE = timedelta(seconds=60)


def token_reason(
    claims: PassClaims, *, tenant_id: str, site_id: str, gate_id: str, now: datetime, direction: Direction
) -> Reason | None:
    """What the signed claims alone refuse (no database read): another firm, community or gate, the window."""
    if claims.tenant_id != tenant_id or claims.site_id != site_id:
        return Reason.WRONG_SITE
    if claims.gates and gate_id not in claims.gates:
        return Reason.WRONG_SITE
    if direction is Direction.OUT:
        return None
    return window_reason(
        datetime.fromtimestamp(claims.not_before, now.tzinfo),
        datetime.fromtimestamp(claims.expires, now.tzinfo),
        now,
    )


def signed_by_issuing_key(claims: PassClaims, visitor_pass: VisitorPass) -> bool:
    """A token must be signed with the key its pass was issued with (the pass records it). Any key of the
    firm verifies a signature, so without this a token for the pass made with another of the firm's keys
    (one replaced by a rotation, one leaked before it was retired) would still open the gate."""
    return claims.kid == visitor_pass.kid


def window_reason(valid_from: datetime, valid_until: datetime, now: datetime) -> Reason | None:
    if now < valid_from - CLOCK_TOLERANCE:
        return Reason.NOT_YET_VALID
    if now > valid_until + CLOCK_TOLERANCE:
        return Reason.EXPIRED
    return None


def pass_reason(
    visitor_pass: VisitorPass, *, now: datetime, timezone: str, blocked: bool, direction: Direction
) -> Reason | None:
    """What the stored pass refuses before counting: revocation, recurring hours, the blocklist."""
    if visitor_pass.status is PassStatus.REVOKED:
        # A revoked pass still lets its visitor out.
        return None if direction is Direction.OUT else Reason.REVOKED
    if direction is Direction.OUT:
        return None
    window = window_reason(visitor_pass.valid_from, visitor_pass.valid_until, now)
    if window is not None:
        return window
    if visitor_pass.recurrence is not None and not in_recurring_hours(visitor_pass.recurrence, now, timezone):
        # Outside this week's hours: the pass becomes valid again at its next slot.
        return Reason.NOT_YET_VALID
    if blocked:
        return Reason.BLOCKED
    if not entry_left(visitor_pass):
        return Reason.EXHAUSTED
    return None


# ------------------------------------------------------------------ the entry limit (single-use passes)


def entry_left(visitor_pass: VisitorPass) -> bool:
    """The entry limit: a pass admits ``entries_allowed`` entries (a single-use pass, one) and no more.

    Read here to refuse early; decided by the repository's one conditional update (``take_entry``: counted
    only while ``entries_used < entries_allowed`` and the pass is active), so two gates scanning at once
    cannot both take the last entry."""
    return visitor_pass.entries_used < visitor_pass.entries_allowed


def refused_entry(current: VisitorPass | None) -> Reason:
    """Why the atomic count refused an entry the checks allowed: the pass is gone, was revoked meanwhile,
    or another gate took its last entry first."""
    if current is None:
        return Reason.UNKNOWN
    return Reason.REVOKED if current.status is PassStatus.REVOKED else Reason.EXHAUSTED


def in_recurring_hours(recurrence: Recurrence, now: datetime, timezone: str) -> bool:
    """Is ``now`` (with the gate tolerance) inside one of the pass's weekly slots, in the tenant's zone?"""
    zone = ZoneInfo(timezone)
    for instant in (now, now - CLOCK_TOLERANCE, now + CLOCK_TOLERANCE):
        local = instant.astimezone(zone)
        if local.isoweekday() in recurrence.days and recurrence.start <= local.time() <= recurrence.end:
            return True
    return False


def window_problems(
    valid_from: datetime, valid_until: datetime, now: datetime, max_window: timedelta
) -> list[str]:
    """Why a requested validity window cannot be issued (empty when it can)."""
    problems: list[str] = []
    if valid_until <= valid_from:
        problems.append("valid_until must be after valid_from")
    if valid_until <= now:
        problems.append("valid_until is in the past")
    if valid_until - valid_from > max_window:
        problems.append(f"the window is longer than the firm allows ({max_window.days} days)")
    if valid_from > now + timedelta(days=366):
        problems.append("valid_from is more than a year ahead")
    return problems
