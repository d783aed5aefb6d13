"""The telephony account's keys: one JSON secret in Secrets Manager (``VoiceProviderSecret``), read once per
cold start. Operators write Aliyun's AccessKey pair, the caller number shown (``show_number``) and the
secret the call reports are signed with; the local cloud writes its voice persona's."""

from __future__ import annotations

import json
from dataclasses import dataclass

from courtyard import aws


@dataclass(frozen=True)
class VoiceAccount:
    access_key_id: str = ""
    access_key_secret: str = ""
    callback_secret: str = ""
    show_number: str = ""


def load_voice_account(secret_arn: str) -> VoiceAccount:
    if not secret_arn:
        return VoiceAccount()
    raw = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    values = json.loads(raw)
    return VoiceAccount(
        access_key_id=str(values.get("access_key_id") or ""),
        access_key_secret=str(values.get("access_key_secret") or ""),
        callback_secret=str(values.get("callback_secret") or ""),
        show_number=str(values.get("show_number") or ""),
    )
