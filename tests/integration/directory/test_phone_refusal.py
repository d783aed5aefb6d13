"""A new number identity refuses as a sign-in (another account signs in with it) no longer leaves the
directory and identity disagreeing: identity answers ``ResidentPhoneChangeRefused`` (its digest, never the
number), the directory's events function puts the previous number back (phone claims included, audited) and
``GET /me/phone`` tells the resident, next to the phone field. Without a refusal the new number stays; a stale
or redelivered refusal changes nothing. Through the bus, the template's rule and the directory's queue, on
moto (identity's half: tests/integration/identity/test_people_events.py)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from courtyard.blind_index import load_blind_index
from infra.local.provision import Stack
from schemas.events import ResidentPhoneChangeRefused
from tests.integration.bus import through_queue
from tests.integration.directory.test_me import PHONE, manager, resident, tenant
from tests.integration.directory.test_phone_change import FREE, chen, clock, my_phone

__all__ = ["chen", "clock", "manager", "resident", "tenant"]

NEW = "13987654321"
LATER = "13511112222"


@pytest.fixture
def refuse(stack: Stack, handler: Any) -> Any:
    from directory import events_handler

    def send(tenant_id: str, resident_id: str, user_id: str, phone: str) -> dict[str, Any]:
        event = ResidentPhoneChangeRefused(
            tenant_id=tenant_id,
            resident_id=resident_id,
            user_id=user_id,
            sign_in_phone_digest=load_blind_index(stack.secure_parameter("blind-index-key")).sign_in_phone(
                phone
            ),
        )
        return through_queue(stack, "courtyard.identity", event, "DirectoryEventQueue", events_handler)

    return send


def _audit_actions(stack: Stack) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return [item["action"]["S"] for item in items if "action" in item]


def test_a_number_identity_refuses_is_put_back_and_the_resident_is_told(
    call: Any, stack: Stack, manager: Any, resident: dict[str, Any], refuse: Any
) -> None:
    rid, me = resident["resident_id"], resident["caller"]
    assert call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": NEW}).status == 200
    assert call("GET", "/me/phone", as_=me).body == {"phone": "139****4321", "refused": None}

    answer = refuse(resident["caller"].tenant_id, rid, me.user_id, NEW)

    assert (answer["delivered"], answer["batchItemFailures"]) == (1, [])
    assert my_phone(call, me) == PHONE  # one answer: the number identity still signs in with
    state = call("GET", "/me/phone", as_=me)
    assert state.status == 200
    assert state.body["phone"] == "138****5678"
    assert state.body["refused"]["phone"] == "139****4321"
    assert "phone_change_refused" in _audit_actions(stack)
    # The claims follow: the refused number is free again, the previous one is Chen's again.
    other = call("POST", "/residents", as_=manager, body={"name": "李四", "phone": NEW})
    assert other.status == 201, other.body
    clash = call("POST", "/residents", as_=manager, body={"name": "王五", "phone": PHONE})
    assert clash.status == 409

    # Redelivered: nothing pending any more, nothing changes.
    assert refuse(resident["caller"].tenant_id, rid, me.user_id, NEW)["batchItemFailures"] == []
    assert my_phone(call, me) == PHONE


def test_without_a_refusal_the_new_number_stays_and_a_stale_refusal_changes_nothing(
    call: Any, manager: Any, resident: dict[str, Any], refuse: Any
) -> None:
    rid, me = resident["resident_id"], resident["caller"]
    assert call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": NEW}).status == 200
    assert call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": LATER}).status == 200

    # Identity's answer to the first change arrives after the second: it is not about the number on record.
    assert refuse(me.tenant_id, rid, me.user_id, NEW)["batchItemFailures"] == []

    assert my_phone(call, me) == LATER
    assert call("GET", "/me/phone", as_=me).body == {"phone": "135****2222", "refused": None}


def test_a_residents_own_proven_number_is_put_back_too_and_a_later_change_clears_the_refusal(
    call: Any, chen: Any, texts: Any, clock: Any, refuse: Any
) -> None:
    before = my_phone(call, chen)
    call("POST", "/me/phone", as_=chen, body={"phone": FREE})
    confirmed = call("POST", "/me/phone/confirm", as_=chen, body={"code": texts.last_code()})
    assert confirmed.status == 200
    rid = confirmed.body["resident_id"]

    refuse(chen.tenant_id, rid, chen.user_id, FREE)

    assert my_phone(call, chen) == before
    assert call("GET", "/me/phone", as_=chen).body["refused"]["phone"] == "186****1111"

    call("POST", "/me/phone", as_=chen, body={"phone": LATER})
    assert call("POST", "/me/phone/confirm", as_=chen, body={"code": texts.last_code()}).status == 200
    assert call("GET", "/me/phone", as_=chen).body == {"phone": "135****2222", "refused": None}


def test_staff_have_no_phone_state_of_their_own(call: Any, manager: Any) -> None:
    assert call("GET", "/me/phone", as_=manager).status == 403
