"""The SMS that carries a code proving a phone number (a change of number, an invitation): SNS's direct,
transactional publish to the number. The code goes straight to the phone: it never travels the bus nor
sits in another feature's store (identity sends its sign-in codes the same way)."""

from __future__ import annotations

from typing import Any

from courtyard import aws

WORDING = {
    "phone_change": "【{sender}】您正在更换物业登记的手机号，验证码 {code}，10分钟内有效。"
    "如非本人操作请忽略。",
    "invite": "【{sender}】您正在用邀请码加入小区住户，验证码 {code}，10分钟内有效。请勿告诉他人。",
}


class SnsCodeTexter:
    def __init__(self, sender_id: str, client: Any | None = None) -> None:
        self._sender_id = sender_id
        self._client = client

    def text_code(self, phone: str, code: str, purpose: str) -> None:
        client = self._client or aws.client("sns")
        client.publish(
            PhoneNumber=phone if phone.startswith("+") else f"+86{phone}",
            Message=WORDING[purpose].format(sender=self._sender_id, code=code),
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
