"""A resident's own phone number: ask for a code to the new number, then confirm it."""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from courtyard.clock import to_iso
from courtyard.crypto import mask_phone
from directory.phones.models import (
    PhoneChangedOut,
    PhoneChangeRequest,
    PhoneCodeSentOut,
    PhoneConfirm,
    PhoneRefusalOut,
    PhoneStateOut,
)
from directory.wiring import phone_change as service

router = CourtyardRouter()


@router.get(
    "/me/phone",
    summary="The resident's number (masked) and a refused change, if the previous number was put back",
)
def get_phone_state() -> PhoneStateOut:
    resident, refusal = service().state(router.tenant())
    return PhoneStateOut(
        phone=mask_phone(resident.phone) if resident.phone else None,
        refused=PhoneRefusalOut(phone=refusal.phone, at=refusal.at) if refusal else None,
    )


@router.post(
    "/me/phone",
    summary="Text a code to the resident's new number (the same answer whether or not it is registered)",
    responses={
        202: {"description": "Code sent", "content": {"application/json": {"model": PhoneCodeSentOut}}}
    },
)
def request_phone_change(body: PhoneChangeRequest) -> tuple[PhoneCodeSentOut, int]:
    expires_at = service().request(router.tenant(), body.phone)
    return PhoneCodeSentOut(status="code_sent", expires_at=to_iso(expires_at)), 202


@router.post(
    "/me/phone/confirm",
    summary="The texted code makes the new number the resident's (409 neutral if it cannot be used)",
)
def confirm_phone_change(body: PhoneConfirm) -> PhoneChangedOut:
    resident = service().confirm(router.tenant(), body.code)
    return PhoneChangedOut(resident_id=resident.resident_id, phone=mask_phone(resident.phone or ""))
