"""Residents' sign-in rules on an in-memory store: codes only on new devices, limits, rotation, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from identity import limits
from identity.service import IdentityService
from identity.tokens import ACCESS_SECONDS, verify_access_token

from courtyard.clock import FixedClock
from courtyard.errors import Conflict, TooManyRequests, Unauthorized
from tests.fakes.identity import InMemoryIdentity, SmsOutbox, StaticKeys, phone_digest

ISSUER = "https://identity.test"
PHONE = "13800138000"
PASSWORD = "correct horse 1"
PHONE_A = "device-aaaaaaaaaaaaaaaa"
PHONE_B = "device-bbbbbbbbbbbbbbbb"
IP = "203.0.113.7"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))


@pytest.fixture
def store() -> InMemoryIdentity:
    return InMemoryIdentity()


@pytest.fixture
def sms() -> SmsOutbox:
    return SmsOutbox()


@pytest.fixture
def keys() -> StaticKeys:
    return StaticKeys()


@pytest.fixture
def service(store: InMemoryIdentity, sms: SmsOutbox, keys: StaticKeys, clock: FixedClock) -> IdentityService:
    return IdentityService(store, sms, keys, phone_digest, clock, ISSUER)


def _now(clock: FixedClock) -> int:
    return int(clock.now().timestamp())


def _signed_up(service: IdentityService, sms: SmsOutbox) -> str:
    service.sign_up(PHONE, PASSWORD, PHONE_A, IP)
    return service.confirm_device(PHONE, sms.last_code(), PHONE_A).refresh_token


def test_sign_up_texts_a_code_and_the_code_gives_tokens(service, sms, keys, clock):
    service.sign_up(PHONE, PASSWORD, PHONE_A, IP)
    assert len(sms.sent) == 1
    assert sms.sent[0][0] == PHONE

    tokens = service.confirm_device(PHONE, sms.last_code(), PHONE_A)

    claims = verify_access_token(tokens.access_token, {keys.key.kid: keys.key.public}, ISSUER, _now(clock))
    assert claims["token_use"] == "id"
    assert claims["identity"] == "courtyard"
    assert claims["exp"] - claims["iat"] == ACCESS_SECONDS == 15 * 60
    assert "custom:tenant_id" not in claims  # not bound to a firm until an invitation is accepted


def test_a_number_has_one_account(service, sms):
    _signed_up(service, sms)
    with pytest.raises(Conflict):
        service.sign_up(PHONE, "another password", PHONE_B, IP)


def test_known_device_signs_in_without_a_code_and_a_new_device_needs_one(service, sms):
    _signed_up(service, sms)
    assert service.sign_in(PHONE, PASSWORD, PHONE_A, IP) is not None
    assert len(sms.sent) == 1

    assert service.sign_in(PHONE, PASSWORD, PHONE_B, IP) is None
    assert len(sms.sent) == 2
    assert service.confirm_device(PHONE, sms.last_code(), PHONE_B).access_token
    assert service.sign_in(PHONE, PASSWORD, PHONE_B, IP) is not None


def test_wrong_password_and_unknown_number_answer_the_same(service, sms):
    _signed_up(service, sms)
    with pytest.raises(Unauthorized) as wrong:
        service.sign_in(PHONE, "wrong password", PHONE_A, IP)
    with pytest.raises(Unauthorized) as unknown:
        service.sign_in("13900139000", PASSWORD, PHONE_A, IP)
    assert str(wrong.value) == str(unknown.value)


def test_password_failures_lock_the_number_for_the_window(service, sms, clock):
    _signed_up(service, sms)
    for _ in range(limits.FAILURES_PER_NUMBER.most):
        with pytest.raises(Unauthorized):
            service.sign_in(PHONE, "wrong password", PHONE_A, f"198.51.100.{_}")
    with pytest.raises(TooManyRequests):
        service.sign_in(PHONE, PASSWORD, PHONE_A, "198.51.100.200")  # even the right password
    clock.advance(seconds=limits.FAILURES_PER_NUMBER.window_seconds)
    assert service.sign_in(PHONE, PASSWORD, PHONE_A, IP) is not None


def test_codes_per_number_are_limited(service, sms):
    _signed_up(service, sms)
    for n in range(limits.CODES_PER_NUMBER.most - 1):  # the sign-up used one
        assert service.sign_in(PHONE, PASSWORD, f"device-new-{n:012d}", IP) is None
    with pytest.raises(TooManyRequests):
        service.sign_in(PHONE, PASSWORD, "device-one-too-many", IP)
    assert len(sms.sent) == limits.CODES_PER_NUMBER.most


def test_codes_per_ip_are_limited_across_numbers(service, sms):
    for n in range(limits.CODES_PER_IP.most):
        service.sign_up(f"1380013{n:04d}", PASSWORD, PHONE_A, IP)
    with pytest.raises(TooManyRequests):
        service.sign_up("13900000000", PASSWORD, PHONE_A, IP)


def test_a_code_survives_five_wrong_guesses_then_dies(service, sms):
    service.sign_up(PHONE, PASSWORD, PHONE_A, IP)
    right = sms.last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(limits.CODE_ATTEMPTS):
        with pytest.raises(Unauthorized):
            service.confirm_device(PHONE, wrong, PHONE_A)
    with pytest.raises(Unauthorized):
        service.confirm_device(PHONE, right, PHONE_A)


def test_a_code_expires_after_five_minutes(service, sms, clock):
    service.sign_up(PHONE, PASSWORD, PHONE_A, IP)
    clock.advance(seconds=limits.CODE_TTL_SECONDS)
    with pytest.raises(Unauthorized):
        service.confirm_device(PHONE, sms.last_code(), PHONE_A)


def test_a_code_works_only_on_the_device_it_was_sent_for(service, sms):
    service.sign_up(PHONE, PASSWORD, PHONE_A, IP)
    with pytest.raises(Unauthorized):
        service.confirm_device(PHONE, sms.last_code(), PHONE_B)


def test_codes_are_stored_as_digests(service, sms, store):
    service.sign_up(PHONE, PASSWORD, PHONE_A, IP)
    stored = store.codes[phone_digest(PHONE)]
    assert sms.last_code() not in stored.code_digest


def test_refresh_rotates_and_a_reused_token_revokes_the_family(service, sms):
    first = _signed_up(service, sms)
    second = service.refresh(first).refresh_token
    assert second != first
    third = service.refresh(second).refresh_token

    with pytest.raises(Unauthorized):
        service.refresh(first)  # a copy of a spent token comes back: stolen
    with pytest.raises(Unauthorized):
        service.refresh(third)  # the owner's current token died with the family


def test_reuse_revokes_only_that_family(service, sms):
    on_a = _signed_up(service, sms)
    service.sign_in(PHONE, PASSWORD, PHONE_B, IP)
    on_b = service.confirm_device(PHONE, sms.last_code(), PHONE_B).refresh_token
    service.refresh(on_a)
    with pytest.raises(Unauthorized):
        service.refresh(on_a)
    assert service.refresh(on_b).access_token


def test_sign_out_everywhere_ends_every_refresh_token(service, sms, store):
    on_a = _signed_up(service, sms)
    account = store.accounts[phone_digest(PHONE)]
    service.sign_out_everywhere(account.account_id)
    with pytest.raises(Unauthorized):
        service.refresh(on_a)
    assert service.sign_in(PHONE, PASSWORD, PHONE_A, IP) is not None  # a new sign-in still works


def test_bound_account_tokens_carry_the_claims_functions_read(service, sms, store, keys, clock):
    refresh = _signed_up(service, sms)
    account = store.accounts[phone_digest(PHONE)]
    assert service.bind(account.account_id, "tenant-1", "resident-1")

    access = service.refresh(refresh).access_token
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["custom:tenant_id"] == "tenant-1"
    assert claims["cognito:groups"] == ["resident"]
    assert claims["person_id"] == "resident-1"
    assert claims["sub"] == account.account_id


def test_move_out_ends_sessions_and_erase_forgets_the_account(service, sms, store):
    refresh = _signed_up(service, sms)
    account = store.accounts[phone_digest(PHONE)]
    service.bind(account.account_id, "tenant-1", "resident-1")
    service.end_sessions(account.account_id)  # move-out
    with pytest.raises(Unauthorized):
        service.refresh(refresh)
    tokens = service.sign_in(PHONE, PASSWORD, PHONE_A, IP)
    assert tokens is not None

    assert service.erase(account.account_id)  # ResidentErased
    with pytest.raises(Unauthorized):
        service.refresh(tokens.refresh_token)
    with pytest.raises(Unauthorized):
        service.sign_in(PHONE, PASSWORD, PHONE_A, IP)
    assert store.accounts == {}
    assert store.devices == set()
    assert not service.erase(account.account_id)  # again: nothing left, nothing done


def test_access_token_expires_after_fifteen_minutes(service, sms, keys, clock):
    _signed_up(service, sms)
    tokens = service.sign_in(PHONE, PASSWORD, PHONE_A, IP)
    assert tokens is not None
    public = {keys.key.kid: keys.key.public}
    later = _now(clock) + ACCESS_SECONDS
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_access_token(tokens.access_token, public, ISSUER, later)


def test_reset_sets_a_new_password_and_ends_other_sessions(service, sms):
    old = _signed_up(service, sms)
    service.start_reset(PHONE, PHONE_B, IP)
    tokens = service.finish_reset(PHONE, sms.last_code(), "a new password 2", PHONE_B)
    assert tokens.access_token
    with pytest.raises(Unauthorized):
        service.refresh(old)
    with pytest.raises(Unauthorized):
        service.sign_in(PHONE, PASSWORD, PHONE_A, IP)
    assert service.sign_in(PHONE, "a new password 2", PHONE_B, IP) is not None


def test_reset_of_an_unknown_number_sends_nothing(service, sms):
    service.start_reset("13900139000", PHONE_A, IP)
    assert sms.sent == []


def test_expired_refresh_token_is_refused(service, sms, clock):
    refresh = _signed_up(service, sms)
    clock.advance(days=91)
    with pytest.raises(Unauthorized):
        service.refresh(refresh)


_ = timedelta


def test_an_unknown_number_costs_the_same_scrypt_as_a_known_one(monkeypatch, service, sms):
    """The made-up hash an unknown number is checked against has a stored hash's parameters and lengths."""
    import hashlib

    from identity import passwords
    from identity import service as identity_service

    stored = passwords.hash_password("correct horse battery")
    assert [len(part) for part in identity_service._DUMMY_HASH.split("$")] == [
        len(part) for part in stored.split("$")
    ]
    costs = []
    real_scrypt = hashlib.scrypt

    def counted(*args, **kwargs):
        costs.append((kwargs["n"], kwargs["r"], kwargs["p"], kwargs["dklen"]))
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    with pytest.raises(Unauthorized):
        service.sign_in("+8613800000999", "whatever-password", "device-1", "203.0.113.9")
    assert passwords.password_matches("correct horse battery", stored)
    assert costs == [(passwords.N, passwords.R, passwords.P, 32)] * 2
