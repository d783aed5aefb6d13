"""The access-token signing keys, from one SecureString parameter read once per container.

Why not KMS Sign per token: residents refresh every 15 minutes while the app is open, about 450,000 signs
a month per 1,000 households; at 0.03 USD per 10,000 requests that alone is 1.35 USD, most of the cost
target. The parameter costs nothing a month (standard tier) and one read per cold start. Its JSON holds two
random seeds, ``current`` (signs) and ``previous`` (still verifies, published in the JWKS): rotating moves
current to previous and writes a new current (``python -m infra.secure_parameters <stack>
--rotate-identity-signing``); tokens of the previous key die within 15 minutes. A warm container keeps the
keys it read: a rotation reaches it on its next cold start (see README, Identity).
"""

from __future__ import annotations

import threading
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from courtyard.secure_parameters import read_secure_json
from identity.tokens import SigningKey, public_jwk, signing_key


class SecretSigningKeys:
    def __init__(self, parameter_name: str, client: Any | None = None) -> None:
        self._name = parameter_name
        self._client = client
        self._lock = threading.Lock()
        self._keys: list[SigningKey] | None = None

    def _load(self) -> list[SigningKey]:
        with self._lock:
            if self._keys is None:
                value = read_secure_json(self._name, self._client)
                seeds = [str(value.get("current") or ""), str(value.get("previous") or "")]
                self._keys = [signing_key(seed) for seed in seeds if seed]
                if not self._keys:
                    raise ValueError("the identity signing secret holds no key")
            return self._keys

    def current(self) -> SigningKey:
        return self._load()[0]

    def public_keys(self) -> dict[str, ec.EllipticCurvePublicKey]:
        return {key.kid: key.public for key in self._load()}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [public_jwk(key.public) for key in self._load()]}
