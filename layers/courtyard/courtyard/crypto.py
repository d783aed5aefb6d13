"""Field-level encryption of personal data (envelope encryption with a KMS data key) and display masks.

A token is ``v1.<wrapped data key>.<nonce>.<ciphertext>`` (urlsafe base64, no padding): AES-256-GCM under a
data key that KMS generated and wrapped with the PII key, with the tenant id as associated data, so a value
copied into another tenant's record does not decrypt. The plaintext data key is reused for one hour or
100,000 encryptions, whichever comes first, then a fresh one is generated.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from courtyard import aws
from courtyard.clock import Clock, SystemClock

if TYPE_CHECKING:
    # Loaded by the first key built or unwrapped (``_aead``), not by every function that imports the kernel.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = "v1"
ENCRYPTION_CONTEXT = {"purpose": "pii"}
_NONCE_BYTES = 12
_DATA_KEY_BYTES = 32
_DECRYPT_CACHE_SIZE = 256
_UNWRAP_FAILURES = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class CryptoError(Exception):
    """A token that does not decrypt: wrong tenant, altered, or not a token. A server fault (500)."""


@dataclass(slots=True)
class _DataKey:
    wrapped: bytes
    aead: AESGCM
    created_at: float
    uses: int = 0


class FieldCipher:
    def __init__(
        self,
        key_id: str,
        client: Any | None = None,
        *,
        clock: Clock | None = None,
        max_key_age_seconds: float = 3600,
        max_key_uses: int = 100_000,
    ) -> None:
        self.key_id = key_id
        self._client = client
        self._clock = clock or SystemClock()
        self._max_key_age = max_key_age_seconds
        self._max_key_uses = max_key_uses
        self._lock = threading.Lock()
        self._current: _DataKey | None = None
        # Wrapped key -> cipher: reading a page of records costs one KMS Decrypt per data key, not per field.
        self._unwrapped: OrderedDict[bytes, AESGCM] = OrderedDict()

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("kms")

    def encrypt(self, tenant_id: str, plaintext: str) -> str:
        key = self._data_key()
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = key.aead.encrypt(nonce, plaintext.encode(), _associated_data(tenant_id))
        return ".".join([FORMAT_VERSION, _b64(key.wrapped), _b64(nonce), _b64(ciphertext)])

    def decrypt(self, tenant_id: str, token: str) -> str:
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != FORMAT_VERSION:
            raise CryptoError("not a field token")
        try:
            wrapped, nonce, ciphertext = (_unb64(part) for part in parts[1:])
        except (binascii.Error, ValueError):
            raise CryptoError("not a field token") from None
        if len(nonce) != _NONCE_BYTES:
            raise CryptoError("not a field token")
        aead = self._unwrap(wrapped)
        from cryptography.exceptions import InvalidTag

        try:
            return aead.decrypt(nonce, ciphertext, _associated_data(tenant_id)).decode()
        except (InvalidTag, UnicodeDecodeError):
            raise CryptoError("field token does not decrypt for this tenant") from None

    def _data_key(self) -> _DataKey:
        now = self._clock.now().timestamp()
        with self._lock:
            key = self._current
            if key is None or key.uses >= self._max_key_uses or now - key.created_at >= self._max_key_age:
                response = self.client.generate_data_key(
                    KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=ENCRYPTION_CONTEXT
                )
                key = _DataKey(
                    wrapped=bytes(response["CiphertextBlob"]),
                    aead=_aead(bytes(response["Plaintext"])),
                    created_at=now,
                )
                self._current = key
                self._remember(key.wrapped, key.aead)
            key.uses += 1
            return key

    def _unwrap(self, wrapped: bytes) -> AESGCM:
        with self._lock:
            cached = self._unwrapped.get(wrapped)
            if cached is not None:
                self._unwrapped.move_to_end(wrapped)
                return cached
        try:
            response = self.client.decrypt(CiphertextBlob=wrapped, EncryptionContext=ENCRYPTION_CONTEXT)
        except ClientError as err:
            # Only a failed unwrap is a token problem; a network or permission error stays what it is.
            if err.response.get("Error", {}).get("Code") in _UNWRAP_FAILURES:
                raise CryptoError("field token's data key does not unwrap") from err
            raise
        plaintext_key = bytes(response["Plaintext"])
        if len(plaintext_key) != _DATA_KEY_BYTES:
            raise CryptoError("field token's data key is not an AES-256 key")
        aead = _aead(plaintext_key)
        with self._lock:
            self._remember(wrapped, aead)
        return aead

    def _remember(self, wrapped: bytes, aead: AESGCM) -> None:
        self._unwrapped[wrapped] = aead
        self._unwrapped.move_to_end(wrapped)
        while len(self._unwrapped) > _DECRYPT_CACHE_SIZE:
            self._unwrapped.popitem(last=False)


def _associated_data(tenant_id: str) -> bytes:
    if not tenant_id:
        raise ValueError("tenant_id is required")
    return f"courtyard:{FORMAT_VERSION}:{tenant_id}".encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


# ---------------------------------------------------------------- masks for display

_PLATE_SEPARATORS = str.maketrans("", "", "·•・.- ")


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 characters: ``13812345678`` -> ``138****5678``.

    A number of 7 characters or fewer keeps only its last 2 (``12345`` -> ``***45``).
    """
    value = phone.strip()
    if len(value) <= 7:
        return _keep(value, 0, 2)
    return _keep(value, 3, 4)


def mask_id_number(id_number: str) -> str:
    """Hide the birth date and sequence: ``110101199003071234`` -> ``110***********1234``.

    18-character (and other 10+ character) numbers keep the first 3 and last 4; shorter documents
    (passports, permits) keep the first and last character.
    """
    value = id_number.strip()
    if len(value) >= 10:
        return _keep(value, 3, 4)
    return _keep(value, 1, 1)


def mask_plate(plate: str) -> str:
    """Keep the province and city code and the last 2: ``粤B·12345`` -> ``粤B***45``.

    New-energy plates work the same way: ``粤BD12345`` -> ``粤B****45``.

    Separators (``·``, space, ``-``) are dropped first; plates shorter than 5 keep their first character.
    """
    value = plate.strip().translate(_PLATE_SEPARATORS)
    if len(value) < 5:
        return _keep(value, 1, 0)
    return _keep(value, 2, 2)


def _keep(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def _aead(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)
