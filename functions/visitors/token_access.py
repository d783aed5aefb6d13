"""Who may hold a pass's token (and so its QR image or share link): the host and issuer, and the staff who
issue passes. A guard or gate account verifies and scans; with the tokens of a whole community it could hand
out entry to anyone, so it reads passes without them. Pure."""

from __future__ import annotations

from courtyard.tenancy import Role, TenantContext
from visitors.models import VisitorPass

TOKEN_READERS = (Role.MANAGER, Role.SERVICE_DESK)


def may_hold_token(ctx: TenantContext, visitor_pass: VisitorPass) -> bool:
    """Whether the caller may read the pass's token, QR image and share link (not only its details)."""
    if ctx.has_role(*TOKEN_READERS):
        return True
    return ctx.user_id in {visitor_pass.host_user_id, visitor_pass.issued_by}
