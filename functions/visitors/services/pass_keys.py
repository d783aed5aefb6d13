"""A firm's pass keys: the public keys its apps verify with, and a manager's rotation of its signing key.

``GET /passes/keys?tenant_id=`` is public (keys are public): one firm's keys only, with the stage's old key
that still verifies passes issued before firms had keys of their own; a firm that does not exist is a 404
(an id that names no firm never gets the stage's keys in a firm's name). ``POST /passes/keys/rotations``
(managers, so MFA by the kernel): the firm's new passes and revocation lists are signed with a new key from
then on, the replaced key verifies until its last pass ends (adapters/firm_keys.py); another firm's key,
passes and JWKS are untouched. Audited in the same transaction, and a retry with the same Idempotency-Key
answers the same rotation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from pydantic import Field

from courtyard.audit import TransactionalAuditLog
from courtyard.directory_views import TenantView
from courtyard.errors import Conflict, NotFound
from courtyard.models import Model
from courtyard.tenancy import Role, TenantContext
from visitors.repositories.firm_keys import Rotation

ROTATORS = (Role.MANAGER,)


class PassKeyRotationOut(Model):
    """The answer of ``POST /passes/keys/rotations``."""

    kid: str = Field(description="the key that signs the firm's passes from now on")
    previous_kid: str | None = Field(description="the key it replaced; it verifies until its last pass ends")
    rotated_at: str = Field(description="ISO-8601 UTC")

    @classmethod
    def from_domain(cls, rotation: Rotation) -> PassKeyRotationOut:
        return cls(kid=rotation.kid, previous_kid=rotation.previous_kid, rotated_at=rotation.rotated_at)


class Keyring(Protocol):
    def jwks(self, tenant_id: str | None = None) -> dict[str, list[dict[str, str]]]: ...

    def rotate(
        self,
        tenant_id: str,
        *,
        claim: str | None = None,
        also: Callable[[str, str | None], Iterable[Mapping[str, Any]]] | None = None,
    ) -> Rotation | None: ...

    def rotation(self, tenant_id: str, claim: str) -> Rotation | None: ...


class Tenants(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...


class PassKeysService:
    def __init__(self, keyring: Keyring, tenants: Tenants, audit: TransactionalAuditLog) -> None:
        self._keyring = keyring
        self._tenants = tenants
        self._audit = audit

    def jwks(self, tenant_id: str | None) -> dict[str, list[dict[str, str]]]:
        """A firm's verification keys (JWKS); without a firm, the stage's (passes signed before)."""
        if tenant_id is not None and self._tenants.tenant(tenant_id) is None:
            raise NotFound("no such firm")
        return self._keyring.jwks(tenant_id)

    def rotate(self, ctx: TenantContext, idempotency_key: str | None) -> tuple[Rotation, bool]:
        """Rotate the caller's firm's key; ``(rotation, False)`` when the Idempotency-Key was seen."""
        ctx.require(*ROTATORS)
        claim = (
            hashlib.sha256(f"{ctx.user_id}|{idempotency_key}".encode()).hexdigest()
            if idempotency_key is not None
            else None
        )
        if claim is not None and (seen := self._keyring.rotation(ctx.tenant_id, claim)) is not None:
            return seen, False

        def audited(kid: str, previous: str | None) -> list[Mapping[str, Any]]:
            details = {"previous_kid": previous} if previous else {}
            return [self._audit.put_action(ctx, "pass_key.rotate", "pass_key", kid, details)]

        rotation = self._keyring.rotate(ctx.tenant_id, claim=claim, also=audited)
        if rotation is not None:
            return rotation, True
        # Lost to a concurrent request: the same key's (answer it) or another rotation (try again).
        if claim is not None and (seen := self._keyring.rotation(ctx.tenant_id, claim)) is not None:
            return seen, False
        raise Conflict("the firm's pass key was being rotated at the same moment: try again")
