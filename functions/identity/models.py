"""Identity's requests, domain records and responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from courtyard.models import Model

Phone = Annotated[str, Field(pattern=r"^\+?[0-9]{6,15}$", description="mobile number, digits with +country")]
Password = Annotated[str, Field(min_length=8, max_length=128)]
DeviceId = Annotated[
    str,
    # Printable ASCII only (the app sends a UUID): the id is hashed and stored, never a lone surrogate.
    Field(
        min_length=16,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="a random id the app keeps per install",
    ),
]
Code = Annotated[str, Field(pattern=r"^[0-9]{6}$")]


# ---------------------------------------------------------------- requests


class SignUp(Model):
    phone: Phone
    password: Password
    device_id: DeviceId


class SignIn(Model):
    phone: Phone
    password: Password
    device_id: DeviceId


class CodeConfirm(Model):
    phone: Phone
    code: Code
    device_id: DeviceId


class ResetStart(Model):
    phone: Phone


class ResetFinish(Model):
    phone: Phone
    code: Code
    password: Password
    device_id: DeviceId


class WeChatCode(Model):
    """The one-time code WeChat gave the app (``wx.login`` in a mini-program, or the OAuth redirect)."""

    code: str = Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_-]+$")


class RefreshRequest(Model):
    refresh_token: str = Field(min_length=20, max_length=200)


# ---------------------------------------------------------------- domain


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    phone_digest: str
    password_hash: str
    verified: bool = False
    tenant_id: str | None = None
    person_id: str | None = None
    # Raised to end every session ("sign out everywhere", move-out, erase, reset): a refresh token of an
    # older generation is dead.
    generation: int = 0

    @property
    def username(self) -> str:
        return f"cy_{self.account_id}"


@dataclass(frozen=True, slots=True)
class SmsCode:
    phone_digest: str
    purpose: Literal["device", "reset"]
    code_digest: str
    device_digest: str
    expires: int
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    token_digest: str
    account_id: str
    family_id: str
    issued_at: int
    expires: int
    generation: int = 0
    used: bool = False


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


# ---------------------------------------------------------------- responses


class SignInOut(Model):
    """Either tokens, or ``challenge`` = ``sms_code`` when this device must be confirmed first."""

    challenge: Literal["sms_code"] | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = Field(default=None, description="seconds the access token lives")

    @classmethod
    def from_tokens(cls, tokens: Tokens | None) -> SignInOut:
        if tokens is None:
            return cls(challenge="sms_code")
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )


class JwkOut(Model):
    kty: str
    crv: str
    x: str
    y: str
    use: str
    alg: str
    kid: str


class JwksOut(Model):
    keys: list[JwkOut]
