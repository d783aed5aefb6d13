"""Who reported a ticket, by name, for the staff who handle it (the console's 报修住户).

The name is the directory's person name (resident, or staff who filed for a common area), read through the
kernel's directory view; names are not masked (DESIGN.md masks phone, ID number and plate). Residents get
no name: the ticket is their own.
"""

from __future__ import annotations

from typing import Protocol

from courtyard.directory import ContactView, UserLink
from courtyard.tenancy import TenantContext
from tickets.models import Ticket


class People(Protocol):
    def user(self, tenant_id: str, user_id: str) -> UserLink | None: ...
    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None: ...


def reporter_name(people: People, ctx: TenantContext, ticket: Ticket) -> str | None:
    """The reporter's name for staff; None for residents, for the system (an alarm's SOS) and for a person
    no longer in the directory (erased, or a staff account since deactivated)."""
    if not ctx.is_staff:
        return None
    tenant_id = ticket.tenant_id
    if ticket.reporter_resident_id:
        contact = people.contact(tenant_id, "resident", ticket.reporter_resident_id)
    else:
        link = people.user(tenant_id, ticket.state.reporter_user_id)
        contact = people.contact(tenant_id, link.kind, link.person_id) if link else None
    return contact.name if contact and contact.name else None
