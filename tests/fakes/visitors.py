"""Visitors' repository in memory (``visitors.services.gate.Repository``), its pass-signing keys, and the
passes' settings the gate reads (``visitors.services.gate.PassSettings``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from visitors import tokens
from visitors.models import BlockKind, EntryRecord, PassStatus, VisitorPass, VisitorSettingsIn
from visitors.repository import CountOutcome

from courtyard.dynamo import Page


@dataclass
class InMemoryVisitors:
    """Passes, the blocklist and the visit log; ``take_entry`` decides as the table's conditional update does
    (counted only while an entry is left and the pass is active), in one step."""

    passes: dict[tuple[str, str], VisitorPass] = field(default_factory=dict)
    blocklist: set[tuple[str, str, BlockKind, str]] = field(default_factory=set)
    visits: list[tuple[str, EntryRecord]] = field(default_factory=list)
    offline_scans: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, visitor_pass: VisitorPass) -> VisitorPass:
        self.passes[(visitor_pass.tenant_id, visitor_pass.pass_id)] = visitor_pass
        return visitor_pass

    def get(self, tenant_id: str, pass_id: str, *, consistent: bool = False) -> VisitorPass | None:
        return self.passes.get((tenant_id, pass_id))

    def take_entry(self, tenant_id: str, pass_id: str, at: datetime) -> CountOutcome:
        current = self.passes.get((tenant_id, pass_id))
        if (
            current is None
            or current.status is not PassStatus.ACTIVE
            or current.entries_used >= current.entries_allowed
        ):
            return CountOutcome(False, current)
        counted = replace(current, entries_used=current.entries_used + 1)
        self.passes[(tenant_id, pass_id)] = counted
        return CountOutcome(True, counted, counted.entries_used)

    def take_entry_logged(
        self, seen: VisitorPass, at: datetime, entry: EntryRecord, day: str, retention: timedelta
    ) -> bool:
        current = self.passes.get((seen.tenant_id, seen.pass_id))
        if (
            current is None
            or current.entries_used != seen.entries_used
            or current.status is not PassStatus.ACTIVE
            or current.entries_used >= current.entries_allowed
        ):
            return False
        self.passes[(seen.tenant_id, seen.pass_id)] = replace(current, entries_used=current.entries_used + 1)
        self.visits.append((day, entry))
        return True

    def take_offline_entry(self, tenant_id: str, pass_id: str, scan_id: str, at: datetime) -> CountOutcome:
        seen = self.offline_scans.setdefault((tenant_id, pass_id), set())
        current = self.passes.get((tenant_id, pass_id))
        if scan_id in seen:
            return CountOutcome(False, current, duplicate=True)
        if current is None or current.entries_used >= current.entries_allowed:
            return CountOutcome(False, current)
        seen.add(scan_id)
        counted = replace(current, entries_used=current.entries_used + 1)
        self.passes[(tenant_id, pass_id)] = counted
        return CountOutcome(True, counted, counted.entries_used)

    def passes_for_plate(
        self, tenant_id: str, site_id: str, plate_digest: str, ending_after: datetime
    ) -> list[VisitorPass]:
        return [
            p
            for (t, _), p in self.passes.items()
            if t == tenant_id
            and p.site_id == site_id
            and p.plate_digest == plate_digest
            and p.valid_until > ending_after
        ]

    def blocked(self, tenant_id: str, site_id: str, digests: Sequence[tuple[BlockKind, str]]) -> bool:
        return any((tenant_id, site_id, kind, digest) in self.blocklist for kind, digest in digests)

    def log(self, entry: EntryRecord, day: str, retention: timedelta, *, only_new: bool = False) -> bool:
        if only_new and any(e.scan_id == entry.scan_id for _, e in self.visits):
            return False
        self.visits.append((day, entry))
        return True

    def visits_page(
        self, tenant_id: str, site_id: str, day: str, limit: int, cursor: str | None
    ) -> Page[EntryRecord]:
        return Page(items=self.visits_all(tenant_id, site_id, day)[:limit])

    def visits_all(self, tenant_id: str, site_id: str, day: str) -> list[EntryRecord]:
        return [e for d, e in self.visits if d == day and e.tenant_id == tenant_id and e.site_id == site_id]


class LocalKeys:
    """The pass-signing key in memory (KMS's part): signs DER ECDSA P-256, publishes the public key."""

    def __init__(self) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        self.key_id = tokens.key_id(self._private.public_key())

    def sign_der(self, message: bytes) -> bytes:
        return self._private.sign(message, ec.ECDSA(hashes.SHA256()))

    def signer(self, tenant_id: str, until: int | None = None) -> LocalKeys:
        return self

    def public_keys(self, tenant_id: str | None = None) -> dict[str, Any]:
        return {self.key_id: self._private.public_key()}


@dataclass
class StaticPassSettings:
    """The firm's time zone and visitor settings, as ``PassService`` would read them."""

    timezone_name: str = "Asia/Shanghai"
    settings: VisitorSettingsIn = field(default_factory=VisitorSettingsIn)

    def timezone(self, tenant_id: str) -> str:
        return self.timezone_name

    def effective_settings(self, tenant_id: str) -> VisitorSettingsIn:
        return self.settings


@dataclass
class InMemoryFirmKeys:
    """The firms' pass keys as ``visitors.repositories.firm_keys`` stores them, decided the same way: a new
    key becomes current only if the current one is still the one it replaces (the old one is then stamped
    retired), a claim is taken once, a recorded pass end never goes down. ``writes`` counts the updates."""

    keys_of: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_of: dict[str, str] = field(default_factory=dict)
    claims: dict[tuple[str, str], Any] = field(default_factory=dict)
    writes: int = 0

    def keys(self, tenant_id: str) -> tuple[str | None, list[Any]]:
        return self.current_of.get(tenant_id), list(self.keys_of.get(tenant_id, {}).values())

    def add(
        self, tenant_id: str, key: Any, replaces: str | None, *, claim: str | None = None, also: Any = ()
    ) -> bool:
        from visitors.repositories.firm_keys import Rotation

        if self.current_of.get(tenant_id) != replaces or (tenant_id, claim or "") in self.claims:
            return False
        firm = self.keys_of.setdefault(tenant_id, {})
        if replaces is not None:
            firm[replaces] = replace(firm[replaces], retired_at=key.created_at)
        firm[key.kid] = key
        self.current_of[tenant_id] = key.kid
        if claim is not None:
            self.claims[(tenant_id, claim)] = Rotation(key.kid, replaces, key.created_at)
        return True

    def rotation(self, tenant_id: str, claim: str) -> Any:
        return self.claims.get((tenant_id, claim))

    def cover(self, tenant_id: str, kid: str, until: int) -> None:
        key = self.keys_of.get(tenant_id, {}).get(kid)
        if key is not None and (key.signs_until is None or key.signs_until < until):
            self.keys_of[tenant_id][kid] = replace(key, signs_until=until)
            self.writes += 1

    def drop(self, tenant_id: str, kids: Any) -> None:
        firm = self.keys_of.get(tenant_id, {})
        for kid in kids:
            if kid in firm and firm[kid].retired_at:
                del firm[kid]


class PlainSealer:
    """The kernel's FieldCipher stand-in: a tenant-bound envelope, so another tenant's seal does not open."""

    def encrypt(self, tenant_id: str, plaintext: str) -> str:
        return f"{tenant_id}|{plaintext}"

    def decrypt(self, tenant_id: str, token: str) -> str:
        owner, _, plaintext = token.partition("|")
        assert owner == tenant_id, "sealed for another tenant"
        return plaintext
