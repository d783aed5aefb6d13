"""The SMS that carries a sign-in code: SNS's direct publish to a phone number (transactional)."""

from __future__ import annotations

from typing import Any

from courtyard import aws


class SnsCodeSender:
    def __init__(self, sender_id: str, client: Any | None = None) -> None:
        self._sender_id = sender_id
        self._client = client

    def send_code(self, phone: str, code: str) -> None:
        client = self._client or aws.client("sns")
        client.publish(
            PhoneNumber=phone if phone.startswith("+") else f"+86{phone}",
            Message=f"【{self._sender_id}】您的登录验证码是 {code}，5分钟内有效。请勿告诉他人。",
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
