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


# The app holds it between the WeChat redirect and the phone's proof (random, 43 characters).
WeChatTicket = Annotated[str, Field(min_length=32, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class WeChatPhone(Model):
    """A WeChat user linked to no account names the phone to prove (a code is texted to it)."""

    wechat_ticket: WeChatTicket
    phone: Phone


class WeChatPhoneConfirm(Model):
    """The texted code proves the phone: its account (opened if none) is linked to WeChat and signed in."""

    wechat_ticket: WeChatTicket
    phone: Phone
    code: Code
    device_id: DeviceId


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
    purpose: Literal["device", "reset", "wechat"]
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
    """Either tokens, or ``challenge`` = ``sms_code`` when this device must be confirmed first, or (WeChat
    sign-in of a WeChat linked to no account) ``challenge`` = ``phone`` with the ``wechat_ticket`` that
    carries the WeChat to ``POST /identity/wechat/phone`` and ``/identity/wechat/phone/confirm``."""

    challenge: Literal["sms_code", "phone"] | None = None
    wechat_ticket: str | None = Field(
        default=None, description="single use, 10 minutes: names the WeChat user WeChat vouched for"
    )
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

    @classmethod
    def phone_needed(cls, ticket: str) -> SignInOut:
        return cls(challenge="phone", wechat_ticket=ticket)


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
