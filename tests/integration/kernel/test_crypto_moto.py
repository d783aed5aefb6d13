import pytest

from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.crypto import CryptoError, FieldCipher


def pii_key() -> str:
    return str(aws.client("kms").create_key(Description="pii")["KeyMetadata"]["KeyId"])


def test_round_trip_with_a_kms_data_key(moto: None):
    cipher = FieldCipher(pii_key())
    token = cipher.encrypt("t1", "13812345678")
    assert "13812345678" not in token
    assert cipher.decrypt("t1", token) == "13812345678"


def test_another_process_decrypts_through_kms(moto: None):
    key_id = pii_key()
    token = FieldCipher(key_id).encrypt("t1", "110101199003071234")
    reader = FieldCipher(key_id)
    with count_aws_calls() as calls:
        assert reader.decrypt("t1", token) == "110101199003071234"
        assert reader.decrypt("t1", token) == "110101199003071234"
    assert calls.by_operation() == {("kms", "Decrypt"): 1}


def test_wrong_tenant_fails(moto: None):
    cipher = FieldCipher(pii_key())
    token = cipher.encrypt("t1", "粤B·12345")
    with pytest.raises(CryptoError):
        cipher.decrypt("t2", token)
    with pytest.raises(CryptoError):
        FieldCipher(pii_key()).decrypt("t2", token)


def test_encrypting_many_values_generates_one_data_key(moto: None):
    cipher = FieldCipher(pii_key())
    with count_aws_calls() as calls:
        for n in range(20):
            cipher.encrypt("t1", f"value-{n}")
    assert calls.by_operation() == {("kms", "GenerateDataKey"): 1}


def test_a_wrapped_key_kms_cannot_unwrap_is_a_crypto_error(moto: None):
    cipher = FieldCipher(pii_key())
    token = cipher.encrypt("t1", "x")
    version, wrapped, nonce, ciphertext = token.split(".")
    # Alter the wrapped key's sealed part, not the key id at its head.
    flipped = "A" if wrapped[-5] != "A" else "B"
    forged = ".".join([version, wrapped[:-5] + flipped + wrapped[-4:], nonce, ciphertext])
    with pytest.raises(CryptoError):
        FieldCipher(pii_key()).decrypt("t1", forged)
