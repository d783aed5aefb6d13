"""Who is calling: the frozen TenantContext built once per request from verified token claims.

The tenant comes only from the verified claim ``custom:tenant_id`` and roles only from ``cognito:groups``;
never from a path, a query string or a body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from courtyard.errors import Forbidden, Invalid, Unauthorized

TENANT_CLAIM = "custom:tenant_id"
GROUPS_CLAIM = "cognito:groups"
PERSON_CLAIM = "person_id"


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    MANAGER = "manager"
    SERVICE_DESK = "service_desk"
    TECHNICIAN = "technician"
    FINANCE = "finance"
    GUARD = "guard"
    RESIDENT = "resident"


STAFF_ROLES = frozenset({Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD})


_RESIDENT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True, slots=True)
class TenantContext:
    tenant_id: str
    user_id: str
    roles: frozenset[Role]
    username: str | None = None
    # Assisted mode: the resident a service desk agent is acting for (audited with both identities).
    on_behalf_of: str | None = None
    # ... and the reason the agent gave (courtyard.assisted); set whenever ``on_behalf_of`` is.
    assist_reason: str | None = None
    # The caller's own directory record (resident or staff id) when the token carries it (``person_id``:
    # Courtyard identity's tokens and the Cognito pre-token trigger): spares a read of the user link.
    person_id: str | None = None

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def require(self, *roles: Role) -> None:
        """Raise Forbidden unless the caller holds at least one of ``roles``."""
        if not self.has_role(*roles):
            wanted = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"this action needs one of the roles: {wanted}")

    @property
    def is_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_ROLES)

    @property
    def is_resident(self) -> bool:
        return Role.RESIDENT in self.roles

    def acting_for(self, resident_id: str, reason: str | None = None) -> TenantContext:
        """The same caller acting on behalf of a resident; only service desk and managers may."""
        self.require(Role.SERVICE_DESK, Role.MANAGER)
        # A resident id is a ULID-like token; anything else (a '#' would reach into a key) is refused here,
        # once, rather than by each feature's key builder as an internal error.
        if not _RESIDENT_ID.fullmatch(resident_id):
            raise Invalid("X-On-Behalf-Of must be a resident id")
        return TenantContext(
            self.tenant_id,
            self.user_id,
            self.roles,
            self.username,
            on_behalf_of=resident_id,
            assist_reason=reason,
            person_id=self.person_id,
        )

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> TenantContext:
        """Build the context from an authorizer's verified claims; a missing tenant or subject is a 401."""
        if not claims:
            raise Unauthorized("authentication required")
        tenant_id = str(claims.get(TENANT_CLAIM) or "").strip()
        user_id = str(claims.get("sub") or "").strip()
        if not tenant_id or not user_id:
            raise Unauthorized("token carries no tenant or subject")
        return cls(
            tenant_id=tenant_id,
            user_id=user_id,
            roles=frozenset(_known_roles(_groups(claims.get(GROUPS_CLAIM)))),
            username=claims.get("cognito:username") or None,
            person_id=_person_id(claims.get(PERSON_CLAIM)),
        )


# Keys API Gateway adds to a Lambda authorizer's context that are not claims.
_GATEWAY_KEYS = frozenset({"principalId", "integrationLatency", "claims"})


def verified_claims(event: Mapping[str, Any]) -> dict[str, Any]:
    """The verified claims a REST API event carries, whichever authorizer verified them: a Cognito user
    pool authorizer nests them in ``requestContext.authorizer.claims``; a Lambda authorizer's context is
    flat in ``requestContext.authorizer`` (string values only; groups comma-joined)."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    nested = authorizer.get("claims")
    if isinstance(nested, Mapping):
        return dict(nested)
    return {k: v for k, v in authorizer.items() if k not in _GATEWAY_KEYS and v is not None}


def _person_id(raw: Any) -> str | None:
    """The claim as an id, or None: a value that could reach into a key (``#``) is not an id."""
    text = str(raw or "").strip()
    return text if _RESIDENT_ID.fullmatch(text) else None


def _groups(raw: Any) -> list[str]:
    """API Gateway flattens list claims into strings ("[a, b]" or "a,b"); accept every shape it produces."""
    if raw is None:
        return []
    if isinstance(raw, list | tuple | set | frozenset):
        return [str(g) for g in raw]
    text = str(raw).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(g).strip() for g in parsed]
        text = text.strip("[]")
    return [g for g in text.replace(" ", ",").split(",") if g]


def _known_roles(groups: Iterable[str]) -> Iterable[Role]:
    for group in groups:
        try:
            yield Role(group.strip())
        except ValueError:
            continue
