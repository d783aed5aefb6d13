"""Email through SES; AWS errors become ``SendFailed``."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from courtyard import aws
from notifications.adapters.send_failures import failure
from notifications.domain import Text


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
            raise failure("email", error) from None
        return str(response["MessageId"])
