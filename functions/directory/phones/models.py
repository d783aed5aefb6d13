"""Phone-change requests and answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from courtyard.models import Model
from directory.people.models import MobilePhone

TextedCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="the six digits texted to the number")]


class PhoneChangeRequest(Model):
    model_config = ConfigDict(extra="forbid")

    phone: MobilePhone = Field(description="The new mainland mobile number; a code is texted to it")


class PhoneCodeSentOut(Model):
    status: str = Field(description="always code_sent, whether or not the number is registered")
    expires_at: str


class PhoneConfirm(Model):
    model_config = ConfigDict(extra="forbid")

    code: TextedCode


class PhoneChangedOut(Model):
    resident_id: str
    phone: str = Field(description="The new number, masked (138****5678)")


class PhoneRefusalOut(Model):
    phone: str = Field(description="The refused number, masked (138****5678)")
    at: str = Field(description="When the previous number was put back")


class PhoneStateOut(Model):
    phone: str | None = Field(description="The number on record now, masked")
    refused: PhoneRefusalOut | None = Field(
        description="The last new number that could not become the sign-in (another account signs in with "
        "it): the previous number was put back. Null when there is none; a later change clears it."
    )
