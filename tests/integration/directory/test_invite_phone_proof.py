"""An invitation binds an account to a person on record only after the account proves that person's phone
(issue 17): the first acceptance texts a code to the number on record and answers 409
``phone_code_required``; the code binds; a wrong code is refused and five lock; an expired code is refused;
the table holds no code; nothing is bound before the proof."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply, Texts, table_items
from tests.integration.directory.test_invites import accept, issue, put_unit, signed_up

Call = Callable[..., Reply]
PHONE = "13812345678"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(handler: Any) -> Iterator[FixedClock]:
    from courtyard.wiring import use_clock

    fixed = FixedClock(NOW)
    use_clock(fixed)
    yield fixed
    use_clock(None)


@pytest.fixture
def invited(
    call: Call,
    caller: Callable[..., Caller],
    stack: Stack,
    make_tenant: Callable[..., str],
    clock: FixedClock,
) -> dict[str, Any]:
    """Granny is on record with PHONE and no account; an invitation names her number."""
    tenant = make_tenant()
    manager = caller(tenant, Role.MANAGER)
    granny = call("POST", "/residents", as_=manager, body={"name": "王奶奶", "phone": PHONE}).body
    unit = put_unit(stack, tenant)
    code = issue(call, manager, unit, invitee_phone=PHONE, relation="family")["code"]
    return {"manager": manager, "resident_id": granny["resident_id"], "code": code}


def has_account(call: Call, invited: dict[str, Any]) -> bool:
    shown = call("GET", f"/residents/{invited['resident_id']}", as_=invited["manager"]).body
    return bool(shown["has_account"])


def test_the_first_acceptance_texts_a_code_to_the_number_on_record_and_binds_nothing(
    call: Call, handler: Any, stack: Stack, invited: dict[str, Any], texts: Texts
) -> None:
    asked = accept(handler, invited["code"], signed_up(stack, "someone"))

    assert asked.status == 409
    assert asked.body["error"]["code"] == "phone_code_required"
    assert asked.body["error"]["details"] == [
        {"type": "phone_code_required", "phone": "138****5678", "expires_at": "2026-03-10T02:10:00.000Z"}
    ]
    assert [(phone, purpose) for phone, _, purpose in texts.sent] == [(PHONE, "invite")]
    assert texts.last_code() not in json.dumps(table_items(stack))
    assert has_account(call, invited) is False


def test_the_texted_code_binds_the_account_to_the_person(
    call: Call, handler: Any, stack: Stack, invited: dict[str, Any], texts: Texts
) -> None:
    claims = signed_up(stack, "granny")
    accept(handler, invited["code"], claims)

    reply = accept(handler, invited["code"], claims, body={"phone_code": texts.last_code()})

    assert reply.status == 200, reply.body
    assert reply.body["resident_id"] == invited["resident_id"]
    assert has_account(call, invited) is True


def test_another_accounts_code_does_not_open_it(
    call: Call, handler: Any, stack: Stack, invited: dict[str, Any], texts: Texts
) -> None:
    """A code proves the number for the account that asked for it, not for whoever holds the invitation."""
    accept(handler, invited["code"], signed_up(stack, "granny"))
    code = texts.last_code()

    stranger = accept(handler, invited["code"], signed_up(stack, "stranger"), body={"phone_code": code})

    assert stranger.status == 422
    assert has_account(call, invited) is False


def test_five_wrong_codes_lock_even_the_right_one(
    call: Call, handler: Any, stack: Stack, invited: dict[str, Any], texts: Texts
) -> None:
    claims = signed_up(stack, "guesser")
    accept(handler, invited["code"], claims)
    right = texts.last_code()
    wrong = "000000" if right != "000000" else "111111"

    tries = [accept(handler, invited["code"], claims, body={"phone_code": wrong}).status for _ in range(5)]
    locked = accept(handler, invited["code"], claims, body={"phone_code": right})
    resent = accept(handler, invited["code"], claims)

    assert tries == [422] * 5
    assert locked.status == 429
    assert resent.status == 429  # asking for a new code buys no more guesses
    assert has_account(call, invited) is False


def test_an_expired_code_is_refused(
    call: Call, handler: Any, stack: Stack, invited: dict[str, Any], texts: Texts, clock: FixedClock
) -> None:
    claims = signed_up(stack, "late")
    accept(handler, invited["code"], claims)
    clock.set(NOW + timedelta(minutes=11))

    late = accept(handler, invited["code"], claims, body={"phone_code": texts.last_code()})

    assert (late.status, late.body["error"]["details"][0]["type"]) == (422, "code_expired")
    assert has_account(call, invited) is False


def test_a_new_person_needs_no_code(
    call: Call, handler: Any, stack: Stack, caller: Callable[..., Caller], make_tenant: Callable[..., str],
    texts: Texts,
) -> None:  # fmt: skip
    """An invitation that makes a new record binds no one already known: no code is asked for."""
    tenant = make_tenant()
    manager = caller(tenant, Role.MANAGER)
    code = issue(call, manager, put_unit(stack, tenant), invitee_phone="13900001111")["code"]

    assert accept(handler, code, signed_up(stack, "newcomer")).status == 200
    assert texts.sent == []
