"""The firm keyring's rules in memory (adapters/firm_keys.py): a signature records its pass's end on the key
(about once a day for a busy key), a replaced key verifies until the longest pass it signed has ended (never
less than the floor after its rotation) and then leaves every verification set, and the next rotation
deletes it; rotating one firm changes nothing of another; two rotations at once make one winner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from visitors import tokens
from visitors.adapters.firm_keys import (
    COVER_SLACK_SECONDS,
    RETIRED_FLOOR_SECONDS,
    FirmKeyring,
    verifies_until,
)
from visitors.repositories.firm_keys import StoredKey

from courtyard.clock import FixedClock, to_iso
from tests.fakes.visitors import InMemoryFirmKeys, LocalKeys, PlainSealer

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
DAY = 86_400


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store() -> InMemoryFirmKeys:
    return InMemoryFirmKeys()


@pytest.fixture
def stage() -> LocalKeys:
    return LocalKeys()


@pytest.fixture
def keyring(store: InMemoryFirmKeys, stage: LocalKeys, clock: FixedClock) -> FirmKeyring:
    return FirmKeyring(store, PlainSealer(), stage, clock)


def _now(clock: FixedClock) -> int:
    return int(clock.now().timestamp())


def _signed(keyring: FirmKeyring, tenant: str, clock: FixedClock, lives: int) -> str:
    now = _now(clock)
    claims = tokens.PassClaims("p1", tenant, "s1", now, now + lives)
    return tokens.sign(claims, keyring.signer(tenant, until=claims.expires))


def _key(retired: datetime | None, signs_until: int | None) -> StoredKey:
    return StoredKey("k", "sealed", "pem", to_iso(NOW), signs_until, to_iso(retired) if retired else None)


def test_the_current_key_has_no_end_and_a_replaced_one_ends_after_its_last_pass_or_the_floor():
    start = int(NOW.timestamp())

    assert verifies_until(_key(None, start + 9 * DAY)) is None
    assert verifies_until(_key(NOW, None)) == start + RETIRED_FLOOR_SECONDS
    assert verifies_until(_key(NOW, start + 5)) == start + RETIRED_FLOOR_SECONDS
    assert verifies_until(_key(NOW, start + 7 * DAY)) == start + 7 * DAY + 60  # the gates' tolerance


def test_a_signature_records_its_pass_end_about_once_a_day(
    keyring: FirmKeyring, store: InMemoryFirmKeys, clock: FixedClock
):
    _signed(keyring, "t1", clock, lives=3600)
    _signed(keyring, "t1", clock, lives=7200)  # within the slack already recorded: no write
    first_writes = store.writes
    _signed(keyring, "t1", clock, lives=3600 + COVER_SLACK_SECONDS + 1)

    (key,) = store.keys("t1")[1]
    assert first_writes == 1
    assert store.writes == 2
    assert key.signs_until == _now(clock) + 3600 + 2 * COVER_SLACK_SECONDS + 1


def test_a_replaced_key_verifies_until_its_longest_pass_ended_then_is_gone(
    keyring: FirmKeyring, store: InMemoryFirmKeys, clock: FixedClock
):
    week = _signed(keyring, "t1", clock, lives=7 * DAY)
    old_kid = keyring.signer("t1").key_id
    rotation = keyring.rotate("t1")
    assert rotation is not None
    assert rotation.previous_kid == old_kid

    clock.advance(days=6)
    assert tokens.verify(week, keyring.public_keys("t1")).pass_id == "p1"
    clock.advance(days=2, seconds=61)  # past the week and the day's slack
    with pytest.raises(tokens.TokenError, match="unknown signing key"):
        tokens.verify(week, keyring.public_keys("t1"))
    assert old_kid in store.keys_of["t1"]  # not yet deleted: the next rotation does it

    assert keyring.rotate("t1") is not None
    assert old_kid not in store.keys_of["t1"]


def test_a_key_replaced_before_it_signed_keeps_the_floor(
    keyring: FirmKeyring, store: InMemoryFirmKeys, clock: FixedClock
):
    first = keyring.signer("t1")  # made, never signed a pass
    keyring.rotate("t1")

    clock.advance(seconds=RETIRED_FLOOR_SECONDS)
    assert first.key_id in keyring.known("t1")
    clock.advance(seconds=1)
    assert first.key_id not in keyring.known("t1")


def test_rotating_one_firm_leaves_the_other_firms_key_and_set(
    keyring: FirmKeyring, store: InMemoryFirmKeys, stage: LocalKeys, clock: FixedClock
):
    theirs = keyring.signer("t2").key_id
    before = set(keyring.known("t2"))

    keyring.rotate("t1")

    assert keyring.signer("t2").key_id == theirs
    assert set(keyring.known("t2")) == before == {theirs, stage.key_id}
    assert not set(keyring.known("t1")) & {theirs}


def test_a_rotation_that_lost_the_race_changes_nothing(
    keyring: FirmKeyring, store: InMemoryFirmKeys, monkeypatch: pytest.MonkeyPatch
):
    keyring.signer("t1")
    read_before = store.keys("t1")
    assert keyring.rotate("t1") is not None
    winner = store.current_of["t1"]
    monkeypatch.setattr(store, "keys", lambda tenant_id: read_before)  # read before the winner wrote

    assert keyring.rotate("t1") is None
    assert store.current_of["t1"] == winner


def test_a_claimed_rotation_is_made_once_and_read_back(keyring: FirmKeyring):
    won = keyring.rotate("t1", claim="c1")

    assert won is not None
    assert keyring.rotate("t1", claim="c1") is None  # the service answers the stored one instead
    assert keyring.rotation("t1", "c1") == won
