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

Rotation (``rotate``): the new key signs from then on; the key it replaced keeps verifying until the latest
``exp`` of a pass it signed has passed (each signature first records its pass's end on the key item,
``signs_until``, rounded up by a day so a busy key writes about once a day), and never less than the
five minutes a sandbox may still sign with it plus a revocation list's fifteen; after that it is left out
of the firm's keys and deleted at the firm's next rotation. A token made with a dropped key, leaked or not,
verifies nowhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from courtyard.clock import Clock, epoch, parse_iso, to_iso
from visitors.repositories.firm_keys import Rotation, StoredKey
from visitors.revocations import LIST_TTL_SECONDS
from visitors.rules import CLOCK_TOLERANCE
from visitors.tokens import key_id, public_jwk


class Sealer(Protocol):
    def encrypt(self, tenant_id: str, plaintext: str) -> str: ...
    def decrypt(self, tenant_id: str, token: str) -> str: ...


class KeyStore(Protocol):
    """The firm's keys as stored (``repositories/firm_keys.py``; in memory in the unit tests)."""

    def keys(self, tenant_id: str) -> tuple[str | None, list[StoredKey]]: ...
    def add(
        self,
        tenant_id: str,
        key: StoredKey,
        replaces: str | None,
        *,
        claim: str | None = None,
        also: Iterable[Mapping[str, Any]] = (),
    ) -> bool: ...
    def rotation(self, tenant_id: str, claim: str) -> Rotation | None: ...
    def cover(self, tenant_id: str, kid: str, until: int) -> None: ...
    def drop(self, tenant_id: str, kids: Iterable[str]) -> None: ...


class StageKeys(Protocol):
    def public_keys(self) -> dict[str, ec.EllipticCurvePublicKey]: ...


class FirmSigner:
    """A firm's current key: signs its new passes and revocation lists."""

    def __init__(self, private: ec.EllipticCurvePrivateKey, covered_until: int = 0) -> None:
        self._private = private
        self.key_id = key_id(private.public_key())
        # The latest pass end recorded on the key item (what this sandbox knows of it).
        self.covered_until = covered_until

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
# How long a firm's key list is kept per sandbox: a rotation elsewhere reaches the JWKS within it.
KNOWN_SECONDS = 300
# A key's recorded end is rounded up by this much, so most signatures need no write.
COVER_SLACK_SECONDS = 86_400
# A replaced key verifies at least this long after its rotation: a sandbox may sign with it for
# SIGNER_SECONDS more, and a revocation list it signed lives LIST_TTL_SECONDS; gates allow their tolerance.
RETIRED_FLOOR_SECONDS = SIGNER_SECONDS + LIST_TTL_SECONDS + int(CLOCK_TOLERANCE.total_seconds())


def verifies_until(key: StoredKey) -> int | None:
    """Epoch seconds after which a replaced key verifies nothing; None while it is the current key."""
    if key.retired_at is None:
        return None
    floor = epoch(parse_iso(key.retired_at)) + RETIRED_FLOOR_SECONDS
    return max(floor, (key.signs_until or 0) + int(CLOCK_TOLERANCE.total_seconds()))


# The actions that commit with a rotation (its audit record), given the new kid and the one it replaces.
AlsoOnRotation = Callable[[str, str | None], Iterable[Mapping[str, Any]]]


class FirmKeyring:
    """Each firm's signer (made on the firm's first pass) and verification keys (never made by a reader)."""

    def __init__(self, repo: KeyStore, sealer: Sealer, stage: StageKeys, clock: Clock) -> None:
        self._repo = repo
        self._sealer = sealer
        self._stage = stage
        self._clock = clock
        self._lock = threading.Lock()
        self._signers: dict[str, tuple[float, FirmSigner]] = {}
        self._known: dict[str, tuple[float, list[tuple[StoredKey, ec.EllipticCurvePublicKey]]]] = {}

    def signer(self, tenant_id: str, until: int | None = None) -> FirmSigner:
        """The firm's current signer; ``until`` (a pass's ``exp``) is recorded on its key before it signs,
        so the key is kept verifying after a rotation for as long as that pass lives."""
        with self._lock:
            cached = self._signers.get(tenant_id)
            if cached is None or time.monotonic() - cached[0] > SIGNER_SECONDS:
                cached = (time.monotonic(), self._load_signer(tenant_id))
                self._signers[tenant_id] = cached
            signer = cached[1]
        if until is not None and until > signer.covered_until:
            covered = until + COVER_SLACK_SECONDS
            self._repo.cover(tenant_id, signer.key_id, covered)
            signer.covered_until = covered
        return signer

    def public_keys(self, tenant_id: str | None = None) -> Mapping[str, ec.EllipticCurvePublicKey]:
        """A firm's verification keys; without a firm, the stage's keys only (passes signed before firms
        had keys of their own)."""
        if tenant_id is None:
            return self._stage.public_keys()
        return FirmKeySet(self, tenant_id)

    def jwks(self, tenant_id: str | None = None) -> dict[str, list[dict[str, str]]]:
        keys = self.public_keys(tenant_id)
        return {"keys": [public_jwk(keys[kid]) for kid in keys]}

    def rotate(
        self, tenant_id: str, *, claim: str | None = None, also: AlsoOnRotation | None = None
    ) -> Rotation | None:
        """A new signing key for this firm only (None when another rotation, or the same ``claim``, won).
        The replaced key keeps verifying the firm's passes until its last one ends; keys past that go."""
        current, stored = self._repo.keys(tenant_id)
        key = self._new_key(tenant_id)
        actions = list(also(key.kid, current)) if also is not None else []
        if not self._repo.add(tenant_id, key, replaces=current, claim=claim, also=actions):
            return None
        now = epoch(self._clock.now())
        gone = [k.kid for k in stored if (end := verifies_until(k)) is not None and end < now]
        if gone:
            self._repo.drop(tenant_id, gone)
        with self._lock:
            self._signers.pop(tenant_id, None)
            self._known.pop(tenant_id, None)
        return Rotation(kid=key.kid, previous_kid=current, rotated_at=key.created_at)

    def rotation(self, tenant_id: str, claim: str) -> Rotation | None:
        return self._repo.rotation(tenant_id, claim)

    def known(self, tenant_id: str, refresh: bool = False) -> dict[str, ec.EllipticCurvePublicKey]:
        """The stage's keys and the firm's keys that still verify (the current one, and replaced ones
        until their last pass ended, judged by the clock at each call)."""
        with self._lock:
            cached = self._known.get(tenant_id)
            age = time.monotonic() - cached[0] if cached is not None else None
            if cached is None or age is None or age > KNOWN_SECONDS or (refresh and age > REFRESH_SECONDS):
                _, stored = self._repo.keys(tenant_id)
                loaded: list[tuple[StoredKey, ec.EllipticCurvePublicKey]] = []
                for key in stored:
                    public = serialization.load_pem_public_key(key.public_pem.encode())
                    if isinstance(public, ec.EllipticCurvePublicKey):
                        loaded.append((key, public))
                cached = (time.monotonic(), loaded)
                self._known[tenant_id] = cached
            firm = cached[1]
        now = epoch(self._clock.now())
        keys = {**self._stage.public_keys()}
        for key, public in firm:
            end = verifies_until(key)
            if end is None or now <= end:
                keys[key.kid] = public
        return keys

    def _load_signer(self, tenant_id: str) -> FirmSigner:
        current, stored = self._repo.keys(tenant_id)
        if current is None:
            self._repo.add(tenant_id, self._new_key(tenant_id), replaces=None)
            current, stored = self._repo.keys(tenant_id)  # ours, or the one a concurrent first pass made
        key = next(key for key in stored if key.kid == current)
        private = serialization.load_pem_private_key(
            self._sealer.decrypt(tenant_id, key.private_sealed).encode(), password=None
        )
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ValueError("a firm's pass key is not an elliptic-curve key")
        return FirmSigner(private, key.signs_until or 0)

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
