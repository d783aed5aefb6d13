"""SMS and mobile push through SNS, and the push devices' SNS platform endpoints."""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from courtyard import aws
from notifications.adapters.send_failures import failure
from notifications.domain import Text


class SmsSender:
    def __init__(self, sender_id: str, client: Any | None = None) -> None:
        self._sender_id = sender_id
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("sns")

    def send(self, phone_e164: str, text: Text) -> str:
        try:
            response = self.client.publish(
                PhoneNumber=phone_e164,
                Message=f"【{self._sender_id}】{text.title}: {text.body}",
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise failure("sms", error) from None
        return str(response["MessageId"])


class PushSender:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("sns")

    def send(self, endpoint_arn: str, text: Text, data: dict[str, str]) -> str:
        # One payload per platform: FCM's notification+data and APNs' aps alert; SNS picks the right one.
        fcm = {"notification": {"title": text.title, "body": text.body}, "data": data}
        apns = {"aps": {"alert": {"title": text.title, "body": text.body}, "sound": "default"}, **data}
        message = {
            "default": text.body,
            "GCM": json.dumps(fcm, ensure_ascii=False),
            "APNS": json.dumps(apns, ensure_ascii=False),
        }
        try:
            response = self.client.publish(
                TargetArn=endpoint_arn,
                Message=json.dumps(message, ensure_ascii=False),
                MessageStructure="json",
            )
        except (ClientError, BotoCoreError) as error:
            raise failure("push", error) from None
        return str(response["MessageId"])


_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:\S+) already exists with the same Token")


class PushRegistry:
    """SNS platform endpoints: one per device token, on the platform application of the app's OS."""

    def __init__(self, applications: dict[str, str], client: Any | None = None) -> None:
        self._applications = applications
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("sns")

    def register(self, platform: str, token: str, user_data: str) -> str:
        """The device's endpoint, now carrying ``user_data`` and enabled.

        A token is unique per platform application: when the phone was registered before with other
        attributes (another user signed in on it, or SNS disabled it), SNS refuses to create it again and
        names the existing endpoint; that endpoint is taken over and updated, as SNS's documentation advises.
        """
        try:
            response = self.client.create_platform_endpoint(
                PlatformApplicationArn=self._applications[platform], Token=token, CustomUserData=user_data
            )
            return str(response["EndpointArn"])
        except ClientError as error:
            existing = _EXISTING_ENDPOINT.search(str(error.response.get("Error", {}).get("Message", "")))
            if error.response.get("Error", {}).get("Code") != "InvalidParameter" or existing is None:
                raise
        arn = existing.group(1)
        self.client.set_endpoint_attributes(
            EndpointArn=arn, Attributes={"CustomUserData": user_data, "Enabled": "true", "Token": token}
        )
        return arn

    def unregister(self, endpoint_arn: str) -> None:
        try:
            self.client.delete_endpoint(EndpointArn=endpoint_arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NotFound":
                raise
