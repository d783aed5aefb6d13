"""The visitors function's environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class VisitorsSettings(FunctionSettings):
    visitors_table: str
    # The KMS key that signs new passes (id, ARN or alias).
    pass_signing_key_id: str
    # Comma-separated KMS keys that signed passes which may still be valid: verified and published in the
    # JWKS, never used to sign. A key leaves this list once the longest window has passed since rotation.
    pass_retired_key_ids: str = ""
    # Comma-separated exported public keys (base64 DER) of retired stage keys whose KMS keys may be deleted:
    # verified and published like the retired ids, with no KMS call and no KMS key.
    pass_retired_public_keys: str = ""
    # One signing key per firm (adapters/firm_keys.py, on by default): the apps fetch a firm's keys with
    # ``GET /passes/keys?tenant_id=`` (the token's ``tid``) and the stage's KMS key only verifies passes it
    # signed before. Off, the stage's KMS key signs for every firm.
    pass_keys_per_firm: bool = True
    pass_share_base_url: str = "https://visit.courtyard.example"  # noqa: S105 - a URL
    # How long a client may retry an issue with the same Idempotency-Key and get the same pass back.
    idempotency_hours: int = 24

    @property
    def retired_key_ids(self) -> list[str]:
        return [k.strip() for k in self.pass_retired_key_ids.split(",") if k.strip()]

    @property
    def retired_public_keys(self) -> list[str]:
        return [k.strip() for k in self.pass_retired_public_keys.split(",") if k.strip()]


@lru_cache(maxsize=1)
def settings() -> VisitorsSettings:
    return VisitorsSettings.from_environment()
