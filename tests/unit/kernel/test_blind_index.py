import pytest

from courtyard.blind_index import BlindIndex, normalise_phone

INDEX = BlindIndex(b"0123456789abcdef0123456789abcdef")


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 138-1234-5678", "138 1234 5678", "8613812345678", "１３８１２３４５６７８"]
)
def test_every_spelling_of_a_phone_gives_one_digest(phone: str):
    assert normalise_phone(phone) == "13812345678"
    assert INDEX.digest("t1", "phone", phone) == INDEX.digest("t1", "phone", "13812345678")


def test_digests_differ_across_tenants_kinds_and_keys():
    base = INDEX.digest("t1", "phone", "13812345678")
    assert INDEX.digest("t2", "phone", "13812345678") != base
    assert INDEX.digest("t1", "plate", "13812345678") != base
    assert BlindIndex(b"another-secret-key-of-32-bytes!!").digest("t1", "phone", "13812345678") != base


def test_digest_does_not_contain_the_value():
    assert "13812345678" not in INDEX.digest("t1", "phone", "13812345678")


def test_short_secret_is_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        BlindIndex(b"short")
