"""The gate's use case against in-memory fakes: the single-use pass rule (``visitors.rules.entry_left``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from visitors import tokens
from visitors.models import (
    OfflineScan,
    PassKind,
    PassStatus,
    Reason,
    ScanBatch,
    ScanRequest,
    Verdict,
    VisitorPass,
)
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


class FirmKeyring:
    """A firm's verifying keys after a rotation: the key that signs now and the one it replaced (still
    verifying its passes until they end)."""

    def __init__(self) -> None:
        self.current, self.replaced = LocalKeys(), LocalKeys()
        self.key_id = self.current.key_id

    def sign_der(self, message: bytes) -> bytes:
        return self.current.sign_der(message)

    def signer(self, tenant_id: str, until: int | None = None) -> LocalKeys:
        return self.current

    def public_keys(self, tenant_id: str | None = None) -> dict[str, Any]:
        return {**self.current.public_keys(), **self.replaced.public_keys()}


def test_a_token_signed_with_another_of_the_firms_keys_than_its_pass_was_issued_with_is_refused() -> None:
    repo, keyring, events = InMemoryVisitors(), FirmKeyring(), RecordedEvents()
    gate = _gate(repo, keyring.current, events)
    gate._keys = keyring  # both keys verify, as after a rotation
    genuine = _issue(repo, keyring.current, entries=3)
    claims = tokens.verify(genuine, keyring.public_keys())
    # The same claims signed with the firm's other key: its signature verifies, but not as the pass's key.
    other = tokens.sign(replace(claims, kid=""), keyring.replaced)

    online = gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=other))
    offline = gate.upload(
        GUARD,
        ScanBatch(
            site_id="s1",
            gate_id="g1",
            scans=[OfflineScan(scan_id="scan-0001", token=other, scanned_at=NOW, verdict=Verdict.ALLOW)],
        ),
    )

    assert (online.verdict, online.reason) == (Verdict.DENY, Reason.BAD_SIGNATURE)
    assert (offline[0].verdict, offline[0].reason, offline[0].counted) == (
        Verdict.DENY,
        Reason.BAD_SIGNATURE,
        False,
    )
    stored = repo.get("t1", "p1")
    assert stored is not None
    assert stored.entries_used == 0
    assert events.names() == []
    # The pass's own token still opens the gate.
    assert gate.scan(GUARD, ScanRequest(site_id="s1", gate_id="g1", token=genuine)).verdict is Verdict.ALLOW
