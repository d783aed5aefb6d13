"""The stage's KMS pass key without the KMS key (issue 18: 1 USD a month per deployment): with per-firm keys
the stage's key only verifies passes it signed before, and its exported public key
(``PASS_RETIRED_PUBLIC_KEYS``, the template's ``PassRetiredPublicKeys``) verifies them as well with no KMS key
and no KMS call, so ``StagePassKey=none`` drops the key and an operator can schedule it for deletion."""

from __future__ import annotations

import base64
from collections.abc import Callable

import boto3
import pytest

from courtyard.aws_calls import count_aws_calls
from courtyard.errors import Conflict
from infra.local.provision import Stack
from tests.integration.visitors.conftest import Place, Reply
from tests.integration.visitors.test_firm_keys import handler, issued, jwks_kids, kid, verdict

__all__ = ["handler"]  # the per-firm handler fixture (template environment, per-firm keys on)


def _switch(monkeypatch: pytest.MonkeyPatch, **environment: str) -> None:
    """A deploy with these variables: every sandbox is new."""
    from visitors import wiring
    from visitors.settings import settings

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    wiring.wiring.reset()


def _exported(stack: Stack) -> str:
    """The stage key's public key as `aws kms get-public-key --query PublicKey --output text` prints it."""
    der = boto3.client("kms").get_public_key(KeyId=stack.ref("VisitorsPassKey"))["PublicKey"]
    return base64.b64encode(der).decode()


def test_a_pass_the_stage_key_signed_verifies_from_its_exported_public_key_with_no_kms_key(
    call: Callable[..., Reply], place: Place, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _switch(monkeypatch, PASS_KEYS_PER_FIRM="false")  # before: the stage's KMS key signs
    before = issued(call, place)
    # StagePassKey=none: no KMS key id at all, the old key's exported public key instead.
    _switch(
        monkeypatch,
        PASS_KEYS_PER_FIRM="true",
        PASS_SIGNING_KEY_ID="",
        PASS_RETIRED_PUBLIC_KEYS=_exported(stack),
    )
    after = issued(call, place)  # the firm's own key signs

    with count_aws_calls() as calls:
        assert verdict(call, place, before["token"]) == "allow:None"
        assert verdict(call, place, after["token"]) == "allow:None"
    assert ("kms", "GetPublicKey") not in calls.by_operation()
    assert kid(after["token"]) != kid(before["token"])
    assert {kid(before["token"]), kid(after["token"])} <= jwks_kids(call, place)

    # Without the exported key the old pass no longer verifies: the key above is what admitted it.
    _switch(monkeypatch, PASS_RETIRED_PUBLIC_KEYS="")
    assert verdict(call, place, before["token"]).endswith(":bad_signature")


def test_without_a_key_the_stage_signs_nothing_and_a_malformed_export_is_refused() -> None:
    from visitors.adapters.kms_keys import KmsPassKeys

    keys = KmsPassKeys("", exported=[])
    assert keys.public_keys() == {}
    with pytest.raises(Conflict):
        keys.sign_der(b"header.payload")
    with pytest.raises(Conflict):
        _ = keys.key_id
    with pytest.raises(ValueError, match="base64 DER"):
        KmsPassKeys("", exported=["not a key"]).public_keys()
