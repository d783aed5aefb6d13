"""The pass signing keys in KMS: Sign for new passes, GetPublicKey once per cold start for verification.

KMS signs in ``RAW`` mode (KMS hashes the short signing input itself): a token's signing input is well under
KMS's 4 KB message limit, and moto computes ``DIGEST``-mode signatures over the digest's digest, so ``RAW`` is
the mode that is right on both.

A retired stage key may also be given as its exported public key (``PASS_RETIRED_PUBLIC_KEYS``: base64 DER,
what ``aws kms get-public-key --query PublicKey --output text`` prints): its passes verify with no KMS key
at all, so once firms sign with their own keys the stage's KMS key (1 USD a month) can be scheduled for
deletion, and a new deployment creates none (the template's ``StagePassKey=none``).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from courtyard import aws
from courtyard.errors import Conflict
from visitors.tokens import key_id, public_jwk

SIGNING_ALGORITHM = "ECDSA_SHA_256"


class KmsPassKeys:
    """The current signing key plus the retired keys whose passes may still be valid (rotation)."""

    def __init__(
        self,
        signing_key_id: str,
        retired_key_ids: Sequence[str] = (),
        client: Any | None = None,
        exported: Sequence[str] = (),
    ):
        self._signing_key_id = signing_key_id
        self._retired = [k for k in retired_key_ids if k and k != signing_key_id]
        self._exported = [k for k in exported if k]
        self._client = client
        self._lock = threading.Lock()
        self._public: dict[str, ec.EllipticCurvePublicKey] | None = None
        self._kid: str | None = None

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("kms")

    # -------------------------------------------------------------- Signer

    @property
    def key_id(self) -> str:
        """The ``kid`` of the current signing key (its JWK thumbprint)."""
        self._load()
        if self._kid is None:
            raise Conflict("this stage has no signing key of its own: each firm signs with its own key")
        return self._kid

    def sign_der(self, message: bytes) -> bytes:
        if not self._signing_key_id:
            raise Conflict("this stage has no signing key of its own: each firm signs with its own key")
        response = self.client.sign(
            KeyId=self._signing_key_id,
            Message=message,
            MessageType="RAW",
            SigningAlgorithm=SIGNING_ALGORITHM,
        )
        return bytes(response["Signature"])

    # -------------------------------------------------------------- verification keys

    def signer(self, tenant_id: str, until: int | None = None) -> KmsPassKeys:  # noqa: ARG002
        """Without per-firm keys (``PassKeysPerFirm`` off) the stage's key signs for every firm (and stays
        in the stage's key list until its operators retire it, so a pass's end needs no record)."""
        return self

    def rotate(self, tenant_id: str, **_: Any) -> None:  # noqa: ARG002 - no firm has a key of its own
        """A firm cannot rotate the stage's key: its operators rotate the KMS key (``PassRetiredKeyIds``)."""
        raise Conflict("this stage signs passes with its own key: a firm has no key to rotate")

    def rotation(self, tenant_id: str, claim: str) -> None:  # noqa: ARG002
        return None

    def public_keys(self, tenant_id: str | None = None) -> dict[str, ec.EllipticCurvePublicKey]:  # noqa: ARG002
        """kid -> public key of every key that may have signed a still-valid pass; fetched once."""
        return self._load()

    def jwks(self, tenant_id: str | None = None) -> dict[str, list[dict[str, str]]]:  # noqa: ARG002
        return {"keys": [public_jwk(key) for key in self._load().values()]}

    def _load(self) -> dict[str, ec.EllipticCurvePublicKey]:
        with self._lock:
            if self._public is None:
                keys: dict[str, ec.EllipticCurvePublicKey] = {}
                if self._signing_key_id:
                    public = self._fetch(self._signing_key_id)
                    self._kid = key_id(public)
                    keys[self._kid] = public
                for public in [*map(self._fetch, self._retired), *map(_exported_key, self._exported)]:
                    keys[key_id(public)] = public
                self._public = keys
            return self._public

    def _fetch(self, kms_key_id: str) -> ec.EllipticCurvePublicKey:
        response = self.client.get_public_key(KeyId=kms_key_id)
        key = load_der_public_key(bytes(response["PublicKey"]))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError(f"pass key {kms_key_id} is not an elliptic-curve key")
        return key


def _exported_key(text: str) -> ec.EllipticCurvePublicKey:
    """A public key as KMS exports it (base64 of DER SubjectPublicKeyInfo)."""
    try:
        key = load_der_public_key(base64.b64decode(text.strip(), validate=True))
    except (binascii.Error, ValueError) as error:
        raise ValueError("an exported pass key is not base64 DER of a public key") from error
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("an exported pass key is not an elliptic-curve key")
    return key
