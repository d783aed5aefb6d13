"""The one Idempotency-Key rule: shape, digests per caller and request, and the refusal of a reused key."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from courtyard.errors import Invalid, Unprocessable
from courtyard.idempotency import KeyUse, checked_key, same_request


class Thing(BaseModel):
    name: str


def test_a_key_is_trimmed_and_a_key_of_the_wrong_shape_is_invalid() -> None:
    assert checked_key(None) is None
    assert checked_key("  abcdefgh-1  ") == "abcdefgh-1"
    for bad in ("short", "x" * 256, "abcdefgh\n12"):
        with pytest.raises(Invalid):
            checked_key(bad)


def test_the_same_key_and_request_is_the_same_use_and_another_user_is_another_key() -> None:
    first = KeyUse.of("u1", "key-00000001", Thing(name="a"))
    again = KeyUse.of("u1", "key-00000001", Thing(name="a"))
    other_user = KeyUse.of("u2", "key-00000001", Thing(name="a"))
    assert first is not None
    assert again == first
    assert other_user is not None
    assert other_user.key_digest != first.key_digest
    assert KeyUse.of("u1", None, Thing(name="a")) is None


def test_a_reused_key_with_another_request_is_key_reused() -> None:
    first = KeyUse.of("u1", "key-00000001", Thing(name="a"))
    other = KeyUse.of("u1", "key-00000001", Thing(name="b"))
    assert first is not None
    assert other is not None
    same_request(first, first.request_digest)
    same_request(first, None)  # a claim from before claims kept their request
    with pytest.raises(Unprocessable) as refused:
        same_request(other, first.request_digest)
    assert refused.value.details[0]["type"] == "key_reused"


def test_a_request_with_personal_data_is_digested_under_the_given_key() -> None:
    use = KeyUse.of("u1", "key-00000001", Thing(name="a"), keyed=lambda digest: f"keyed:{digest}")
    assert use is not None
    assert use.request_digest.startswith("keyed:")
