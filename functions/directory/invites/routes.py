"""Invitation routes: issue a one-time code for a unit; accept it with a signed-in account."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from courtyard.api import CourtyardRouter
from courtyard.assisted import ON_BEHALF_OF_HEADER
from courtyard.clock import to_iso
from courtyard.errors import Invalid
from directory.invites.models import (
    InviteAccept,
    InviteAcceptedOut,
    InviteCreate,
    InviteListItemOut,
    InviteOut,
)
from directory.invites.service import Claimant
from directory.pages import PageOut
from directory.settings import settings
from directory.wiring import invites as service

router = CourtyardRouter()


@router.post(
    "/invites",
    summary="Issue a one-time, expiring invitation code for a unit (manager, service desk); shown once",
    responses={201: {"description": "Created"}},
)
def create_invite(body: InviteCreate) -> tuple[InviteOut, int]:
    issued = service().issue(router.tenant(), body)
    return InviteOut.from_domain(issued, to_iso(issued.invite.expires_at), settings().app_base_url), 201


@router.get(
    "/invites",
    summary="A unit's invitations, newest first, with who joined (manager, service desk); never the codes",
)
def list_invites(
    unit_id: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")],
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> PageOut[InviteListItemOut]:
    invites, next_cursor = service().unit_invites(router.tenant(), unit_id, limit=limit, cursor=cursor)
    return PageOut[InviteListItemOut](
        items=[InviteListItemOut.from_domain(i, state) for i, state in invites], next_cursor=next_cursor
    )


@router.post(
    "/invites/<code>/accept",
    summary="Accept an invitation: become a resident of its unit (then refresh the session's token)",
    description="Binding the account to a person already on record needs their phone: the first call answers "
    "409 `phone_code_required` (details: the masked number, the expiry) and texts a six-digit code to the "
    'number on record; call again with `{"phone_code": "123456"}`. A wrong code is 422 `code_wrong`, an '
    "expired one 422 `code_expired`; after five wrong codes 429 until the code expires.",
)
def accept_invite(code: str, body: InviteAccept | None = None) -> InviteAcceptedOut:
    if router.header(ON_BEHALF_OF_HEADER):
        # Assisted mode never creates sign-ins (issue 17): the resident accepts with their own account.
        raise Invalid(f"{ON_BEHALF_OF_HEADER} is not accepted on this route")
    # A self-registered account has no tenant claim yet, so router.tenant() would refuse it: the code
    # names the tenant and its secret proves it; the verified claims give the account.
    phone_code = body.phone_code if body is not None else None
    acceptance = service().accept(code, Claimant.from_claims(router.claims()), phone_code)
    return InviteAcceptedOut.from_domain(acceptance)
