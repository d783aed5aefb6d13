"""The telephony account's keys: one JSON SecureString parameter (``/courtyard/<stage>/voice-provider``),
read once per cold start. Operators write Aliyun's AccessKey pair, the number shown (``show_number``) and
the secret the call reports are signed with; the local cloud writes its voice persona's."""

from __future__ import annotations

from dataclasses import dataclass

from courtyard.secure_parameters import read_secure_json


@dataclass(frozen=True)
class VoiceAccount:
    access_key_id: str = ""
    access_key_secret: str = ""
    callback_secret: str = ""
    show_number: str = ""


def load_voice_account(parameter_name: str) -> VoiceAccount:
    if not parameter_name:
        return VoiceAccount()
    values = read_secure_json(parameter_name)
    return VoiceAccount(
        access_key_id=str(values.get("access_key_id") or ""),
        access_key_secret=str(values.get("access_key_secret") or ""),
        callback_secret=str(values.get("callback_secret") or ""),
        show_number=str(values.get("show_number") or ""),
    )
