"""Issue 17: when the desk changes a resident's number (``ResidentPhoneChanged``), the account's sign-in
number follows: the old number signs nobody in, the new one signs in; a number that already has an account is
refused and nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from identity.service import IdentityService

from courtyard.clock import FixedClock
from courtyard.errors import Unauthorized
from tests.fakes.identity import InMemoryIdentity, SmsOutbox, StaticKeys, phone_digest

OLD, NEW, TAKEN = "13800138000", "13900139000", "13700137000"
PASSWORD = "correct horse 1"
DEVICE = "device-aaaaaaaaaaaaaaaa"
IP = "203.0.113.7"


@pytest.fixture
def store() -> InMemoryIdentity:
    return InMemoryIdentity()


@pytest.fixture
def sms() -> SmsOutbox:
    return SmsOutbox()


@pytest.fixture
def service(store: InMemoryIdentity, sms: SmsOutbox) -> IdentityService:
    clock = FixedClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    return IdentityService(store, sms, StaticKeys(), phone_digest, clock, "https://identity.test")


def _account(service: IdentityService, sms: SmsOutbox, phone: str) -> str:
    service.sign_up(phone, PASSWORD, DEVICE, IP)
    tokens = service.confirm_device(phone, sms.last_code(), DEVICE)
    return str(jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"])


def test_the_new_number_signs_in_and_the_old_one_no_longer_does(service, sms, store) -> None:
    account_id = _account(service, sms, OLD)
    service.bind(account_id, "tenant-1", "resident-1")

    assert service.change_phone(account_id, phone_digest(NEW)) == "moved"

    with pytest.raises(Unauthorized):
        service.sign_in(OLD, PASSWORD, DEVICE, IP)
    tokens = service.sign_in(NEW, PASSWORD, DEVICE, IP)  # the same account, its device still known
    assert tokens is not None
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert (claims["sub"], claims["person_id"]) == (account_id, "resident-1")
    # The same event again changes nothing.
    assert service.change_phone(account_id, phone_digest(NEW)) == "unchanged"
    assert list(store.accounts) == [phone_digest(NEW)]


def test_a_number_with_an_account_is_refused_and_nothing_changes(service, sms, store) -> None:
    mine = _account(service, sms, OLD)
    _account(service, sms, TAKEN)
    before = dict(store.accounts)

    assert service.change_phone(mine, phone_digest(TAKEN)) == "refused"

    assert store.accounts == before
    assert service.sign_in(OLD, PASSWORD, DEVICE, IP) is not None
    with pytest.raises(Unauthorized):
        service.sign_in(TAKEN, PASSWORD + "x", DEVICE, IP)


def test_an_unknown_account_is_ignored(service) -> None:
    assert service.change_phone("cognito-user", phone_digest(NEW)) == "ignored"
