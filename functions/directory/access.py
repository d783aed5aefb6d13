"""Who may see what: masking of personal data by role, pure rules shared by the directory's services."""

from __future__ import annotations

from courtyard.crypto import mask_id_number, mask_phone
from courtyard.tenancy import Role, TenantContext

# Roles whose work needs a resident's full phone number (calling back, arranging access).
FULL_PHONE_ROLES = frozenset({Role.MANAGER, Role.SERVICE_DESK})
# An ID number is needed only for contracts and registration, which managers handle.
FULL_ID_NUMBER_ROLES = frozenset({Role.MANAGER})


# Roles whose work needs a person's name, unit and a masked phone only (a repair, a gate): never the e-mail
# nor any part of the ID number (issue 17), unless the person is themself.
TASK_ONLY_ROLES = frozenset({Role.TECHNICIAN, Role.GUARD})
CONTACT_ROLES = frozenset({Role.MANAGER, Role.SERVICE_DESK, Role.FINANCE})


def sees_contact_details(ctx: TenantContext, subject_user_id: str | None = None) -> bool:
    """E-mail and ID number (masked or not) for every role but technicians and guards, and for the subject."""
    if subject_user_id is not None and subject_user_id == ctx.user_id:
        return True
    return ctx.has_role(*CONTACT_ROLES) or not ctx.has_role(*TASK_ONLY_ROLES)


def sees_full_phone(ctx: TenantContext, subject_user_id: str | None = None) -> bool:
    """Full phone for the roles that need it and for the data subject themself."""
    return ctx.has_role(*FULL_PHONE_ROLES) or (subject_user_id is not None and subject_user_id == ctx.user_id)


def sees_full_id_number(ctx: TenantContext, subject_user_id: str | None = None) -> bool:
    return ctx.has_role(*FULL_ID_NUMBER_ROLES) or (
        subject_user_id is not None and subject_user_id == ctx.user_id
    )


def shown_phone(phone: str | None, full: bool) -> str | None:
    if phone is None:
        return None
    return phone if full else mask_phone(phone)


def shown_id_number(id_number: str | None, full: bool) -> str | None:
    if id_number is None:
        return None
    return id_number if full else mask_id_number(id_number)
