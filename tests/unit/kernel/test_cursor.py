import base64
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courtyard.cursor import CursorCodec
from courtyard.errors import Invalid

SECRET = b"s" * 32
codec = CursorCodec(SECRET)

key_values = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: d.is_finite()),
)
last_keys = st.dictionaries(st.text(min_size=1, max_size=12), key_values, min_size=1, max_size=4)
tenants = st.text(min_size=1, max_size=30)


def test_a_cursor_round_trips_a_resource_key():
    key = {"pk": "T#t1#TICKET", "sk": "2026-01-01T00:00:00.000Z#01ABC", "n": Decimal("12.50")}
    cursor = codec.encode("t1", key)
    assert cursor is not None
    assert codec.decode("t1", cursor) == key
    assert type(codec.decode("t1", cursor)["n"]) is Decimal  # type: ignore[index]


def test_a_cursor_round_trips_a_client_key():
    key = {"pk": {"S": "T#t1#UNIT"}, "gsi1sk": {"N": "42"}}
    assert codec.decode("t1", codec.encode("t1", key)) == key


def test_no_key_means_no_cursor_and_no_cursor_means_first_page():
    assert codec.encode("t1", None) is None
    assert codec.decode("t1", None) is None
    assert codec.decode("t1", "") is None


def test_cursor_is_urlsafe_without_padding():
    cursor = codec.encode("t1", {"pk": "x" * 37})
    assert cursor is not None
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_another_tenants_cursor_is_invalid():
    cursor = codec.encode("t1", {"pk": "T#t1#TICKET"})
    with pytest.raises(Invalid, match="invalid cursor"):
        codec.decode("t2", cursor)


def test_a_cursor_from_another_list_is_invalid():
    cursor = codec.encode("t1", {"pk": "T#t1#TICKET"}, scope="tickets")
    assert codec.decode("t1", cursor, scope="tickets") == {"pk": "T#t1#TICKET"}
    with pytest.raises(Invalid):
        codec.decode("t1", cursor, scope="units")


def test_a_cursor_signed_with_another_secret_is_invalid():
    cursor = CursorCodec(b"o" * 32).encode("t1", {"pk": "a"})
    with pytest.raises(Invalid):
        codec.decode("t1", cursor)


def test_a_payload_swapped_under_a_valid_tag_is_invalid():
    raw = base64.urlsafe_b64decode(codec.encode("t1", {"pk": "T#t1#A"}) + "==")  # type: ignore[operator]
    forged = raw.replace(b"T#t1#A", b"T#t2#A")
    text = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    with pytest.raises(Invalid):
        codec.decode("t1", text)


@pytest.mark.parametrize(
    "garbage",
    ["x", "!!!!", "abc=", "a" * 5000, "tämpered", "AAAA", "eyJwayI6WyJzIiwiYSJdfQ", "=="],
)
def test_garbage_is_invalid(garbage: str):
    with pytest.raises(Invalid, match="invalid cursor"):
        codec.decode("t1", garbage)


def test_truncated_cursor_is_invalid():
    cursor = codec.encode("t1", {"pk": "T#t1#TICKET", "sk": "01ABC"})
    assert cursor is not None
    for length in range(len(cursor)):
        with pytest.raises(Invalid):
            codec.decode("t1", cursor[:length] or "A")


@pytest.mark.parametrize("value", [True, 1.5, Decimal("NaN"), b"bytes", None, ["a"]])
def test_values_dynamodb_keys_cannot_hold_are_refused_when_encoding(value: Any):
    with pytest.raises(TypeError):
        codec.encode("t1", {"pk": value})


def test_short_secrets_are_refused():
    with pytest.raises(ValueError, match="at least"):
        CursorCodec(b"short")


@given(tenant=tenants, key=last_keys)
def test_round_trip_for_any_key(tenant: str, key: dict[str, Any]):
    assert codec.decode(tenant, codec.encode(tenant, key)) == key


@given(
    key=last_keys,
    position=st.integers(min_value=0),
    replacement=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.~"),
)
def test_any_single_character_change_is_rejected(key: dict[str, Any], position: int, replacement: str):
    cursor = codec.encode("t1", key)
    assert cursor is not None
    index = position % len(cursor)
    if cursor[index] == replacement:
        return
    tampered = cursor[:index] + replacement + cursor[index + 1 :]
    with pytest.raises(Invalid):
        codec.decode("t1", tampered)


@given(key=last_keys, other=tenants)
def test_a_cursor_only_opens_for_its_tenant(key: dict[str, Any], other: str):
    if other == "t1":
        return
    with pytest.raises(Invalid):
        codec.decode(other, codec.encode("t1", key))


def test_a_non_canonical_spelling_of_the_same_bytes_is_rejected():
    # The last base64 character carries unused bits; flipping them decodes to identical bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    cursor = next(
        c for n in range(1, 10) if len(c := codec.encode("t1", {"pk": "x" * n}) or "") % 4 in (2, 3)
    )
    twins = [
        cursor[:-1] + ch
        for ch in alphabet
        if ch != cursor[-1]
        and base64.urlsafe_b64decode(cursor[:-1] + ch + "=" * (-len(cursor) % 4))
        == base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    ]
    assert twins
    for twin in twins:
        with pytest.raises(Invalid):
            codec.decode("t1", twin)
