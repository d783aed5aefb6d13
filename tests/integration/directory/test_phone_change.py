"""A resident changes their phone number without learning whether a number is registered (issue 17), through
the directory handler on moto: ``POST /me/phone`` answers the same for a free and a taken number (and texts a
code either way); ``POST /me/phone/confirm`` with the code makes a free number theirs and refuses a taken one
in neutral words; wrong codes lock, expired codes are refused; the table holds no code."""

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
from tests.integration.directory.test_people import PHONE, PHONE_2, link_account, new_resident

Call = Callable[..., Reply]
FREE = "18600001111"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(handler: Any) -> Iterator[FixedClock]:
    from courtyard.wiring import use_clock

    fixed = FixedClock(NOW)
    use_clock(fixed)
    yield fixed
    use_clock(None)


@pytest.fixture
def chen(call: Call, caller: Callable[..., Caller], stack: Stack, make_tenant: Callable[..., str]) -> Caller:
    """Chen (PHONE, with an account) and a neighbour who holds PHONE_2, in one firm."""
    tenant = make_tenant()
    manager = caller(tenant, Role.MANAGER)
    record = new_resident(call, manager)
    new_resident(call, manager, phone=PHONE_2)
    me = caller(tenant, Role.RESIDENT)
    link_account(stack, tenant, record["resident_id"], me)
    return me


def my_phone(call: Call, me: Caller) -> str:
    return str(call("GET", "/me", as_=me).body["person"]["phone"])


def test_asking_for_a_free_or_a_taken_number_answers_the_same_and_texts_a_code_either_way(
    call: Call, chen: Caller, texts: Texts, clock: FixedClock
) -> None:
    free = call("POST", "/me/phone", as_=chen, body={"phone": FREE})
    taken = call("POST", "/me/phone", as_=chen, body={"phone": PHONE_2})

    assert (free.status, free.body) == (taken.status, taken.body)
    assert free.status == 202
    assert free.body == {"status": "code_sent", "expires_at": "2026-03-10T02:10:00.000Z"}
    assert [(phone, purpose) for phone, _, purpose in texts.sent] == [
        (FREE, "phone_change"),
        (PHONE_2, "phone_change"),
    ]


def test_the_texted_code_makes_a_free_number_theirs(
    call: Call, chen: Caller, texts: Texts, clock: FixedClock, stack: Stack
) -> None:
    call("POST", "/me/phone", as_=chen, body={"phone": FREE})
    code = texts.last_code()
    assert code not in json.dumps(table_items(stack))  # a salted digest only

    confirmed = call("POST", "/me/phone/confirm", as_=chen, body={"code": code})

    assert (confirmed.status, confirmed.body["phone"]) == (200, "186****1111")
    assert my_phone(call, chen) == FREE
    again = call("POST", "/me/phone/confirm", as_=chen, body={"code": code})
    assert again.status == 422  # used up


def test_a_taken_number_is_refused_only_after_the_code_and_in_neutral_words(
    call: Call, chen: Caller, texts: Texts, clock: FixedClock
) -> None:
    call("POST", "/me/phone", as_=chen, body={"phone": PHONE_2})

    refused = call("POST", "/me/phone/confirm", as_=chen, body={"code": texts.last_code()})

    assert refused.status == 409
    assert refused.body["error"]["details"] == []
    assert "registered" not in refused.body["error"]["message"]
    assert my_phone(call, chen) == PHONE


def test_five_wrong_codes_lock_the_change_even_with_the_right_code_or_a_new_one(
    call: Call, chen: Caller, texts: Texts, clock: FixedClock
) -> None:
    call("POST", "/me/phone", as_=chen, body={"phone": FREE})
    right = texts.last_code()
    wrong = "000000" if right != "000000" else "111111"

    tries = [call("POST", "/me/phone/confirm", as_=chen, body={"code": wrong}).status for _ in range(5)]
    locked = call("POST", "/me/phone/confirm", as_=chen, body={"code": right})
    renewed = call("POST", "/me/phone", as_=chen, body={"phone": FREE})

    assert tries == [422] * 5
    assert (locked.status, locked.body["error"]["code"]) == (429, "too_many_requests")
    assert renewed.status == 429
    assert my_phone(call, chen) == PHONE


def test_an_expired_code_is_refused(call: Call, chen: Caller, texts: Texts, clock: FixedClock) -> None:
    call("POST", "/me/phone", as_=chen, body={"phone": FREE})
    clock.set(NOW + timedelta(minutes=10, seconds=1))

    late = call("POST", "/me/phone/confirm", as_=chen, body={"code": texts.last_code()})

    assert (late.status, late.body["error"]["details"][0]["type"]) == (422, "code_expired")
    assert my_phone(call, chen) == PHONE


def test_a_resident_can_no_longer_patch_their_phone_whatever_the_number(
    call: Call, chen: Caller, stack: Stack
) -> None:
    me = call("GET", "/me", as_=chen).body["person"]
    before = table_items(stack)

    answers = [
        call("PATCH", f"/residents/{me['person_id']}", as_=chen, body={"phone": phone}).status
        for phone in (FREE, PHONE_2)
    ]

    assert answers == [403, 403]
    assert table_items(stack) == before


def test_staff_have_no_phone_change_of_their_own_here(
    call: Call, caller: Callable[..., Caller], make_tenant: Callable[..., str], texts: Texts
) -> None:
    desk = caller(make_tenant(), Role.SERVICE_DESK)
    assert call("POST", "/me/phone", as_=desk, body={"phone": FREE}).status == 403
    assert texts.sent == []
