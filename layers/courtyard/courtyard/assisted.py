"""Assisted mode, bounded (issue 17): where ``X-On-Behalf-Of`` is accepted, by whom, and with what reason.

The service desk acts for a resident who cannot use the app (an elderly owner on the phone). It is accepted
only on the routes listed here, only from the roles that assist, only for a resident of the caller's own
firm (the resolver checks the directory), and only with a reason (``X-Assist-Reason``, percent-encoded
UTF-8, as browsers send only Latin-1 header values). Each such request is audited with both identities and
the reason. Exporting or erasing a person and creating sign-ins are never assisted: those routes are absent.
Elsewhere the header is a 400.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from courtyard.audit import PERSONAL_DATA_PATTERNS
from courtyard.errors import Invalid
from courtyard.tenancy import Role

ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"
ASSIST_REASON_HEADER = "X-Assist-Reason"
ASSIST_ROLES = (Role.SERVICE_DESK, Role.MANAGER)
MAX_REASON_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# (OpenAPI path, method) of the routes whose services act for the resident named in the header.
ASSISTED_ROUTES = frozenset(
    {
        ("/tickets", "post"),
        ("/payments", "post"),
        ("/bills", "get"),
        ("/bills/{bill_id}", "get"),
        ("/units/{unit_id}/ledger", "get"),
        ("/passes", "post"),
        ("/residents/{resident_id}", "patch"),
        # Family proxies (issue 19): the desk records the parent's consent as the parent (the link names
        # the parent's unit and is audited with both identities), lists the unit's proxies and revokes one
        # for them. Accepting a code is not here: it signs in another person's own account.
        ("/units/{unit_id}/proxies", "post"),
        ("/units/{unit_id}/proxies", "get"),
        ("/units/{unit_id}/proxies/{proxy_id}/revoke", "post"),
    }
)


def accepts_assistance(path: str, method: str) -> bool:
    return (path, method.lower()) in ASSISTED_ROUTES


def assist_reason(raw: str | None) -> str:
    """The reason an agent gives for acting for a resident: 1 to 200 characters, no personal data values
    (it goes to the audit trail, which refuses them)."""
    reason = unquote((raw or "").strip()).strip()
    if not reason:
        raise Invalid(f"assisted mode needs a reason ({ASSIST_REASON_HEADER})")
    if len(reason) > MAX_REASON_LENGTH or _CONTROL.search(reason):
        raise Invalid(f"{ASSIST_REASON_HEADER} must be at most {MAX_REASON_LENGTH} printable characters")
    if any(pattern.search(reason) for pattern in PERSONAL_DATA_PATTERNS):
        raise Invalid(f"{ASSIST_REASON_HEADER} must not carry a phone, ID or plate number")
    return reason
