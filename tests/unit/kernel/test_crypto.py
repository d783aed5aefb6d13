import os
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.crypto import CryptoError, FieldCipher, mask_id_number, mask_phone, mask_plate


class FakeKms:
    """Wraps data keys by prefixing them; counts calls so caching can be asserted."""

    def __init__(self) -> None:
        self.generated = 0
        self.decrypted = 0
        self.contexts: list[dict[str, str]] = []

    def generate_data_key(
        self, KeyId: str, KeySpec: str, EncryptionContext: dict[str, str]
    ) -> dict[str, Any]:
        assert KeySpec == "AES_256"
        self.generated += 1
        self.contexts.append(EncryptionContext)
        plaintext = os.urandom(32)
        return {"Plaintext": plaintext, "CiphertextBlob": b"wrapped:" + plaintext, "KeyId": KeyId}

    def decrypt(self, CiphertextBlob: bytes, EncryptionContext: dict[str, str]) -> dict[str, Any]:
        self.decrypted += 1
        self.contexts.append(EncryptionContext)
        return {"Plaintext": CiphertextBlob.removeprefix(b"wrapped:")}


def test_round_trip_and_token_shape():
    cipher = FieldCipher("alias/pii", client=FakeKms())
    token = cipher.encrypt("t1", "13812345678")
    assert token.startswith("v1.")
    assert len(token.split(".")) == 4
    assert "13812345678" not in token
    assert cipher.decrypt("t1", token) == "13812345678"


def test_unicode_and_empty_values_round_trip():
    cipher = FieldCipher("k", client=FakeKms())
    for value in ["", "张三", "粤B·12345"]:
        assert cipher.decrypt("t1", cipher.encrypt("t1", value)) == value


def test_same_value_encrypts_differently_each_time():
    cipher = FieldCipher("k", client=FakeKms())
    assert cipher.encrypt("t1", "x") != cipher.encrypt("t1", "x")


def test_wrong_tenant_does_not_decrypt():
    cipher = FieldCipher("k", client=FakeKms())
    token = cipher.encrypt("t1", "110101199003071234")
    with pytest.raises(CryptoError):
        cipher.decrypt("t2", token)


def test_a_data_key_is_reused_and_its_own_tokens_need_no_kms_decrypt():
    kms = FakeKms()
    cipher = FieldCipher("k", client=kms)
    tokens = [cipher.encrypt("t1", str(n)) for n in range(50)]
    assert [cipher.decrypt("t1", t) for t in tokens] == [str(n) for n in range(50)]
    assert kms.generated == 1
    assert kms.decrypted == 0
    assert all(c == {"purpose": "pii"} for c in kms.contexts)


def test_another_process_unwraps_each_data_key_once():
    kms = FakeKms()
    token = FieldCipher("k", client=kms).encrypt("t1", "secret")
    reader = FieldCipher("k", client=kms)
    assert reader.decrypt("t1", token) == "secret"
    assert reader.decrypt("t1", token) == "secret"
    assert kms.decrypted == 1


def test_data_key_rotates_after_an_hour():
    kms = FakeKms()
    clock = FixedClock()
    cipher = FieldCipher("k", client=kms, clock=clock)
    old = cipher.encrypt("t1", "a")
    clock.advance(minutes=59)
    cipher.encrypt("t1", "b")
    assert kms.generated == 1
    clock.advance(minutes=1)
    new = cipher.encrypt("t1", "c")
    assert kms.generated == 2
    assert old.split(".")[1] != new.split(".")[1]
    assert cipher.decrypt("t1", old) == "a"


def test_data_key_rotates_after_its_use_budget():
    kms = FakeKms()
    cipher = FieldCipher("k", client=kms, max_key_uses=3)
    for n in range(7):
        cipher.encrypt("t1", str(n))
    assert kms.generated == 3


@pytest.mark.parametrize(
    "token",
    ["", "plain", "v2.a.b.c", "v1.a.b", "v1.!!.b.c", "v1.YQ.YQ.YQ", "v1.d3JhcHBlZDo.AAAAAAAAAAAAAAAA.YQ"],
)
def test_malformed_tokens_raise_crypto_error(token: str):
    with pytest.raises(CryptoError):
        FieldCipher("k", client=FakeKms()).decrypt("t1", token)


def test_a_tampered_ciphertext_raises_crypto_error():
    cipher = FieldCipher("k", client=FakeKms())
    token = cipher.encrypt("t1", "hello world")
    head, last = token.rsplit(".", 1)
    flipped = ("A" if last[0] != "A" else "B") + last[1:]
    with pytest.raises(CryptoError):
        cipher.decrypt("t1", f"{head}.{flipped}")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("+8613812345678", "+86*******5678"), ("12345", "***45"), ("", "")],
)
def test_mask_phone(phone: str, masked: str):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("110101199003071234", "110***********1234"),
        ("11010119900307123X", "110***********123X"),
        ("E1234567", "E******7"),
    ],
)
def test_mask_id_number(id_number: str, masked: str):
    assert mask_id_number(id_number) == masked


@pytest.mark.parametrize(
    ("plate", "masked"),
    [
        ("粤B·12345", "粤B***45"),
        ("粤B12345", "粤B***45"),
        ("粤BD12345", "粤B****45"),
        ("粤B 1234", "粤B**34"),
        ("A1", "A*"),
    ],
)
def test_mask_plate(plate: str, masked: str):
    assert mask_plate(plate) == masked
