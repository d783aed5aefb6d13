"""Blind indexes: keyed digests of personal values so they can be looked up without being stored in clear.

A phone number is stored encrypted (courtyard.crypto) and, for "who owns this number?" lookups and
de-duplication, as an HMAC under a secret key: equal numbers give equal digests, and nobody without the key
can test a guess against the table.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from courtyard.secure_parameters import read_secure_parameter

_NOT_DIGIT = re.compile(r"\D")


def normalise_phone(phone: str) -> str:
    """Digits only, without the +86 country prefix: "+86 138-1234-5678" -> "13812345678"."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


class BlindIndex:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("blind index secret must be at least 16 bytes")
        self._secret = secret

    def digest(self, tenant_id: str, kind: str, value: str) -> str:
        """A hex digest bound to the tenant and the kind of value, so digests never match across either."""
        normalised = (
            normalise_phone(value)
            if kind == "phone"
            else unicodedata.normalize("NFKC", value).strip().upper()
        )
        message = f"{tenant_id}\x1f{kind}\x1f{normalised}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]

    def sign_in_phone(self, phone: str) -> str:
        """The digest residents' sign-in keys an account by (identity's table; no firm: an account comes
        before any). The directory sends it when the desk changes a number, never the number itself."""
        return self.digest("identity", "phone", phone)


@lru_cache(maxsize=4)
def load_blind_index(parameter_name: str) -> BlindIndex:
    """The index key from its SecureString parameter (courtyard.secure_parameters), read once per process."""
    return BlindIndex(read_secure_parameter(parameter_name).encode())
