"""The outside world of notifications: SES email, SNS SMS, SNS mobile push (and its device registry), and the
SQS queues of the fan-out. The only module here that talks to those services; AWS errors become
``SendFailed`` (permanent or worth a retry)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from courtyard import aws
from notifications.domain import SendFailed, Text

SQS_BATCH = 10  # SendMessageBatch takes at most 10 entries

# Errors no retry can fix: the address, the device or the message itself is refused.
_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "InvalidParameter",
        "InvalidParameterValue",
        "EndpointDisabled",
        "NotFound",
        "InvalidClientTokenId",
        "OptedOut",
    }
)


def _failure(channel: str, error: Exception) -> SendFailed:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        return SendFailed(f"{channel}_{code}", permanent=code in _PERMANENT)
    return SendFailed(f"{channel}_{type(error).__name__}", permanent=False)


class EmailSender:
    def __init__(self, source: str, client: Any | None = None) -> None:
        self._source = source
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("ses")

    def send(self, to: str, text: Text) -> str:
        try:
            response = self.client.send_email(
                Source=self._source,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": text.title, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text.body, "Charset": "UTF-8"}},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise _failure("email", error) from None
        return str(response["MessageId"])


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
            raise _failure("sms", error) from None
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
            raise _failure("push", error) from None
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


class JobQueue:
    """An SQS queue of JSON jobs, sent in batches of 10, several batches at a time."""

    def __init__(self, queue_url: str, client: Any | None = None, *, workers: int = 8) -> None:
        self.queue_url = queue_url
        self._client = client
        self._workers = workers

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else aws.client("sqs")

    def send(self, bodies: Iterable[tuple[str, str]]) -> int:
        """Send (id, body) pairs; returns the number of SendMessageBatch calls. Raises if any entry fails.

        Batches go out concurrently (boto3 clients are thread-safe): a 10,000-recipient notice is 1,000
        calls, which one after another would take most of a Lambda's time on network round trips.
        """
        batches: list[list[dict[str, str]]] = []
        for entry_id, body in bodies:
            if not batches or len(batches[-1]) == SQS_BATCH:
                batches.append([])
            batches[-1].append({"Id": entry_id, "MessageBody": body})
        if len(batches) <= 1:
            for batch in batches:
                self._send_batch(batch)
            return len(batches)
        client = self.client  # resolved once, before the threads share it
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="sqs-batch") as pool:
            for _ in pool.map(lambda batch: self._send_batch(batch, client), batches):
                pass
        return len(batches)

    def _send_batch(self, batch: Sequence[dict[str, str]], client: Any | None = None) -> None:
        pending = list(batch)
        for _ in range(3):
            response = (client or self.client).send_message_batch(QueueUrl=self.queue_url, Entries=pending)
            failed = {f["Id"] for f in response.get("Failed", []) if not f.get("SenderFault")}
            sender_faults = [f for f in response.get("Failed", []) if f.get("SenderFault")]
            if sender_faults:
                raise ValueError(f"SQS refused {len(sender_faults)} job(s): {sender_faults[0].get('Code')}")
            pending = [e for e in pending if e["Id"] in failed]
            if not pending:
                return
        raise RuntimeError(f"{len(pending)} job(s) not enqueued after retries")

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """Backoff: the failed message becomes visible again only after ``seconds``."""
        self.client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, 43_200)),
        )
