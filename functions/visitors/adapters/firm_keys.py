"""One signing key per firm (issue 17): each firm's passes are signed with its own P-256 key, whose ``kid``
the firm's JWKS lists; another firm's keys never verify them.

Why per-firm key material under one KMS key, not a KMS key per firm: rotating one firm writes a new key in
that firm's partition and nothing else (no other firm's key, token or JWKS changes), and a key leaked from
one firm signs nothing another firm's gates accept; a KMS asymmetric key per firm would confine the same,
but costs a key per firm a month and needs ``kms:CreateKey`` at run time, a grant broad enough to be a risk
of its own. The private key is sealed by the kernel's FieldCipher (a KMS data key, bound to the tenant), so
it is readable only by a function with the PII key and only in that tenant's context; it is opened once per
sandbox and firm (again after five minutes, so a rotation elsewhere reaches every sandbox). A verifier that
meets a kid it does not know reads the firm's keys again (at most every ten seconds), so a pass signed just
after a rotation scans everywhere at once. Passes signed before by the stage's KMS key (``KmsPassKeys``)
still verify: that key stays in every firm's verification set, never signs again, and leaves with the
stage's retired keys.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from courtyard.clock import Clock, to_iso
from visitors.repositories.firm_keys import FirmKeysRepository, StoredKey
from visitors.tokens import key_id, public_jwk


class Sealer(Protocol):
    def encrypt(self, tenant_id: str, plaintext: str) -> str: ...
    def decrypt(self, tenant_id: str, token: str) -> str: ...


class StageKeys(Protocol):
    def public_keys(self) -> dict[str, ec.EllipticCurvePublicKey]: ...


class FirmSigner:
    """A firm's current key: signs its new passes and revocation lists."""

    def __init__(self, private: ec.EllipticCurvePrivateKey) -> None:
        self._private = private
        self.key_id = key_id(private.public_key())

    def sign_der(self, message: bytes) -> bytes:
        return self._private.sign(message, ec.ECDSA(hashes.SHA256()))


class FirmKeySet(Mapping[str, ec.EllipticCurvePublicKey]):
    """kid -> public key of one firm (and the stage's old keys); an unknown kid reads the firm's keys
    again."""

    def __init__(self, keyring: FirmKeyring, tenant_id: str) -> None:
        self._keyring = keyring
        self._tenant_id = tenant_id

    def __getitem__(self, kid: str) -> ec.EllipticCurvePublicKey:
        keys = self._keyring.known(self._tenant_id)
        if kid not in keys:
            keys = self._keyring.known(self._tenant_id, refresh=True)
        return keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keyring.known(self._tenant_id))

    def __len__(self) -> int:
        return len(self._keyring.known(self._tenant_id))


SIGNER_SECONDS = 300
REFRESH_SECONDS = 10


class FirmKeyring:
    """Each firm's signer (made on the firm's first pass) and verification keys (never made by a reader)."""

    def __init__(self, repo: FirmKeysRepository, sealer: Sealer, stage: StageKeys, clock: Clock) -> None:
        self._repo = repo
        self._sealer = sealer
        self._stage = stage
        self._clock = clock
        self._lock = threading.Lock()
        self._signers: dict[str, tuple[float, FirmSigner]] = {}
        self._known: dict[str, tuple[float, dict[str, ec.EllipticCurvePublicKey]]] = {}

    def signer(self, tenant_id: str) -> FirmSigner:
        with self._lock:
            cached = self._signers.get(tenant_id)
            if cached is None or time.monotonic() - cached[0] > SIGNER_SECONDS:
                cached = (time.monotonic(), self._load_signer(tenant_id))
                self._signers[tenant_id] = cached
            return cached[1]

    def public_keys(self, tenant_id: str | None = None) -> Mapping[str, ec.EllipticCurvePublicKey]:
        """A firm's verification keys; without a firm, the stage's keys only (passes signed before firms
        had keys of their own)."""
        if tenant_id is None:
            return self._stage.public_keys()
        return FirmKeySet(self, tenant_id)

    def jwks(self, tenant_id: str | None = None) -> dict[str, list[dict[str, str]]]:
        keys = self.public_keys(tenant_id)
        return {"keys": [public_jwk(keys[kid]) for kid in keys]}

    def rotate(self, tenant_id: str) -> str:
        """A new signing key for this firm only; its kid. The old keys keep verifying the firm's passes."""
        current, _ = self._repo.keys(tenant_id)
        self._repo.add(tenant_id, self._new_key(tenant_id), replaces=current)
        with self._lock:
            self._signers.pop(tenant_id, None)
            self._known.pop(tenant_id, None)
        return self.signer(tenant_id).key_id

    def known(self, tenant_id: str, refresh: bool = False) -> dict[str, ec.EllipticCurvePublicKey]:
        with self._lock:
            cached = self._known.get(tenant_id)
            stale = refresh and (cached is None or time.monotonic() - cached[0] > REFRESH_SECONDS)
            if cached is None or stale:
                _, stored = self._repo.keys(tenant_id)
                public = {**self._stage.public_keys()}
                for key in stored:
                    loaded = serialization.load_pem_public_key(key.public_pem.encode())
                    if isinstance(loaded, ec.EllipticCurvePublicKey):
                        public[key.kid] = loaded
                cached = (time.monotonic(), public)
                self._known[tenant_id] = cached
            return cached[1]

    def _load_signer(self, tenant_id: str) -> FirmSigner:
        current, stored = self._repo.keys(tenant_id)
        if current is None:
            self._repo.add(tenant_id, self._new_key(tenant_id), replaces=None)
            current, stored = self._repo.keys(tenant_id)  # ours, or the one a concurrent first pass made
        sealed = next(key.private_sealed for key in stored if key.kid == current)
        private = serialization.load_pem_private_key(
            self._sealer.decrypt(tenant_id, sealed).encode(), password=None
        )
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ValueError("a firm's pass key is not an elliptic-curve key")
        return FirmSigner(private)

    def _new_key(self, tenant_id: str) -> StoredKey:
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public_pem = (
            private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        return StoredKey(
            kid=key_id(private.public_key()),
            private_sealed=self._sealer.encrypt(tenant_id, pem),
            public_pem=public_pem,
            created_at=to_iso(self._clock.now()),
        )
