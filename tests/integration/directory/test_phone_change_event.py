"""Issue 17: the desk changing a resident's number (and a resident proving a new one) tells identity
(``ResidentPhoneChanged``), so the sign-in number follows the directory's. The event carries the number's
sign-in digest (keyed with the deployment's blind-index secret, what identity keys accounts by), never the
number; an unchanged number or a resident without a login publishes nothing."""

from __future__ import annotations

import json
from typing import Any

from courtyard.blind_index import load_blind_index
from infra.local.provision import Stack
from tests.integration.directory.test_me import (  # fixtures of the /me suite: a resident with a login
    PHONE,
    manager,
    published,
    resident,
    tenant,
)
from tests.integration.directory.test_phone_change import FREE, chen, clock

__all__ = ["chen", "clock", "manager", "published", "resident", "tenant"]

NEW = "13987654321"


def test_the_desk_changing_a_number_publishes_its_sign_in_digest(
    call: Any, stack: Stack, manager: Any, resident: dict[str, Any], published: list[tuple[str, Any]]
) -> None:
    rid = resident["resident_id"]
    assert call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": PHONE}).status == 200
    assert published == []  # the same number: nothing to follow

    reply = call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": NEW})
    assert reply.status == 200, reply.body

    [(kind, event)] = published
    digest = load_blind_index(stack.secure_parameter("blind-index-key")).sign_in_phone(NEW)
    assert (kind, event.resident_id, event.user_id, event.sign_in_phone_digest) == (
        "ResidentPhoneChanged",
        rid,
        resident["caller"].user_id,
        digest,
    )
    assert NEW not in json.dumps(event.model_dump(mode="json"))


def test_a_resident_without_a_login_publishes_nothing(
    call: Any, manager: Any, published: list[tuple[str, Any]]
) -> None:
    created = call("POST", "/residents", as_=manager, body={"name": "王阿姨", "phone": "13700001111"})
    assert created.status == 201
    rid = created.body["resident_id"]
    assert call("PATCH", f"/residents/{rid}", as_=manager, body={"phone": NEW}).status == 200
    assert published == []


def test_a_residents_own_proven_number_tells_identity_too(
    call: Any,
    chen: Any,
    texts: Any,
    clock: Any,
    stack: Stack,
    published: list[tuple[str, Any]],
) -> None:
    call("POST", "/me/phone", as_=chen, body={"phone": FREE})
    assert published == []  # asking changes nothing
    confirmed = call("POST", "/me/phone/confirm", as_=chen, body={"code": texts.last_code()})
    assert confirmed.status == 200

    [(kind, event)] = published
    digest = load_blind_index(stack.secure_parameter("blind-index-key")).sign_in_phone(FREE)
    assert (kind, event.user_id, event.sign_in_phone_digest) == ("ResidentPhoneChanged", chen.user_id, digest)
