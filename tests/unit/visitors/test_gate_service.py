"""The gate's use case against in-memory fakes: the single-use pass rule (``visitors.rules.entry_left``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from visitors import tokens
from visitors.models import PassKind, PassStatus, Reason, ScanRequest, Verdict, VisitorPass
from visitors.services.gate import GateService

from courtyard.clock import FixedClock
from courtyard.tenancy import Role, TenantContext
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit, RecordedEvents
from tests.fakes.visitors import InMemoryVisitors, LocalKeys, StaticPassSettings

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
GUARD = TenantContext(tenant_id="t1", user_id="guard-1", roles=frozenset({Role.GUARD}))


class Plaintext:
    def digest(self, tenant_id: str, kind: str, value: str) -> str:
        return f"{kind}:{value}"


def _gate(repo: InMemoryVisitors, keys: LocalKeys, events: RecordedEvents) -> GateService:
    return GateService(
        repo,
        InMemoryDirectory(sites={("t1", "s1")}),
        RecordedAudit(),
        events,
        FixedClock(NOW),
        Plaintext(),
        keys,
        StaticPassSettings(),
    )


def _issue(repo: InMemoryVisitors, keys: LocalKeys, *, entries: int) -> str:
    claims = tokens.PassClaims(
        pass_id="p1",
        tenant_id="t1",
        site_id="s1",
        not_before=int((NOW - timedelta(hours=1)).timestamp()),
        expires=int((NOW + timedelta(hours=1)).timestamp()),
    )
    token = tokens.sign(claims, keys)
    repo.add(
        VisitorPass(
            tenant_id="t1",
            pass_id="p1",
            site_id="s1",
            unit_id="u1",
            unit_label="1-1-101",
            host_user_id="host",
            issued_by="host",
            kind=PassKind.GUEST,
            visitor_name="Sun",
            valid_from=NOW - timedelta(hours=1),
            valid_until=NOW + timedelta(hours=1),
            entries_allowed=entries,
            entries_used=0,
            status=PassStatus.ACTIVE,
            created_at=NOW,
            token=token,
            kid=keys.key_id,
        )
    )
    return token


def test_second_scan_of_single_use_pass_is_denied() -> None:
    repo, keys, events = InMemoryVisitors(), LocalKeys(), RecordedEvents()
    gate = _gate(repo, keys, events)
    token = _issue(repo, keys, entries=1)

    first = gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=token))
    second = gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=token))

    assert (first.verdict, first.entry_number) == (Verdict.ALLOW, 1)
    assert (second.verdict, second.reason) == (Verdict.DENY, Reason.EXHAUSTED)
    assert events.names() == ["VisitorArrived"]
    assert [e.verdict for _, e in repo.visits] == [Verdict.ALLOW, Verdict.DENY]


def test_leaving_on_a_used_single_use_pass_is_allowed_and_takes_no_entry() -> None:
    repo, keys, events = InMemoryVisitors(), LocalKeys(), RecordedEvents()
    gate = _gate(repo, keys, events)
    token = _issue(repo, keys, entries=1)
    gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=token))

    out = gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=token, direction="out"))

    assert out.verdict is Verdict.ALLOW
    stored = repo.get("t1", "p1")
    assert stored is not None
    assert stored.entries_used == 1


def test_a_three_entry_pass_admits_three_times_then_is_exhausted() -> None:
    repo, keys, events = InMemoryVisitors(), LocalKeys(), RecordedEvents()
    gate = _gate(repo, keys, events)
    token = _issue(repo, keys, entries=3)

    results = [gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=token)) for _ in range(4)]

    assert [(r.verdict, r.entry_number) for r in results[:3]] == [(Verdict.ALLOW, n) for n in (1, 2, 3)]
    assert results[3].reason is Reason.EXHAUSTED
