"""The signed revocation list an offline gate keeps: a community's revoked passes still within their window.

``GET /gate/revocations?site_id=`` (guards, gate accounts, desk, managers) answers a compact JWS signed with
the pass key (verify it with ``GET /passes/keys``), header ``typ`` ``vrevoke+jwt`` so it never passes for a
pass, payload ``{"tid", "sid", "iat", "exp", "rev": [{"pid", "exp"}], "v": 1}``. A gate refreshes it at least
every ``LIST_TTL_SECONDS``; past ``exp`` it no longer trusts its own verdicts for passes it cannot count
(single-use passes) and goes online. The list is written with each revocation, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import Field

from courtyard.clock import Clock, epoch, parse_iso
from courtyard.errors import NotFound
from courtyard.models import Model
from courtyard.tenancy import Role, TenantContext
from visitors.tokens import Signer, sign_payload

LIST_TYPE = "vrevoke+jwt"
LIST_TTL_SECONDS = 900
LIST_READERS = (Role.GUARD, Role.SERVICE_DESK, Role.MANAGER)


class RevocationListOut(Model):
    """The answer of ``GET /gate/revocations``: ``token`` is the signed document described above."""

    token: str = Field(description="compact JWS, typ vrevoke+jwt, verified with GET /passes/keys")
    issued_at: int = Field(description="epoch seconds")
    expires_at: int = Field(description="epoch seconds; refresh before, go online after")
    pass_ids: list[str] = Field(description="the revoked passes still in their window (also in the token)")


class Revoked(Protocol):
    def revoked_in_window(self, tenant_id: str, site_id: str, now: datetime) -> list[tuple[str, str]]: ...


class Sites(Protocol):
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class RevocationList:
    token: str
    issued_at: int
    expires_at: int
    pass_ids: list[str]


class FirmSigners(Protocol):
    def signer(self, tenant_id: str) -> Signer: ...


class RevocationService:
    def __init__(self, repo: Revoked, sites: Sites, keys: FirmSigners, clock: Clock) -> None:
        self._repo = repo
        self._sites = sites
        self._keys = keys
        self._clock = clock

    def signed_list(self, ctx: TenantContext, site_id: str) -> RevocationList:
        ctx.require(*LIST_READERS)
        if (
            not site_id
            or "#" in site_id
            or len(site_id) > 64
            or not self._sites.site_exists(ctx.tenant_id, site_id)
        ):
            raise NotFound("site")
        now = self._clock.now()
        revoked = self._repo.revoked_in_window(ctx.tenant_id, site_id, now)
        issued = epoch(now)
        payload: dict[str, Any] = {
            "tid": ctx.tenant_id,
            "sid": site_id,
            "iat": issued,
            "exp": issued + LIST_TTL_SECONDS,
            "rev": [{"pid": pass_id, "exp": epoch(parse_iso(until))} for pass_id, until in revoked],
            "v": 1,
        }
        # The firm's own key: a gate verifies the list with its firm's JWKS only.
        token = sign_payload(payload, self._keys.signer(ctx.tenant_id), LIST_TYPE)
        return RevocationList(token, issued, issued + LIST_TTL_SECONDS, [pass_id for pass_id, _ in revoked])
