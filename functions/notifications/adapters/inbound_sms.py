"""The SMS provider's inbound message: AWS End User Messaging (Pinpoint) two-way SMS publishes each reply to
an SNS topic, which delivers it to the replies queue (``InboundSmsTopic`` -> ``NotificationsRepliesQueue``).

The body of an SQS record is the SNS envelope (``Type: Notification``, ``Message``: the provider's JSON), or
the provider's JSON itself with raw message delivery. Locally, a test or the demo publishes the same JSON to
the same topic: no other path into the replies function exists.
"""

from __future__ import annotations

import json

from pydantic import ConfigDict, Field

from courtyard.models import Model


class InboundSms(Model):
    """One reply as the provider reports it (field names are the provider's)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    inbound_id: str = Field(alias="inboundMessageId", min_length=1, max_length=128)
    origination: str = Field(alias="originationNumber", min_length=3, max_length=32)
    destination: str = Field(default="", alias="destinationNumber", max_length=32)
    body: str = Field(default="", alias="messageBody", max_length=1600)
    # The provider's id of the last message sent from ``destination`` to ``origination``: the SMS replied to.
    previous_id: str | None = Field(default=None, alias="previousPublishedMessageId", max_length=128)


def parse_inbound(record_body: str) -> InboundSms:
    """The reply in one SQS body; ValueError (the record fails alone) when it is not one."""
    document = json.loads(record_body)
    if isinstance(document, dict) and document.get("Type") == "Notification" and "Message" in document:
        document = json.loads(str(document["Message"]))
    return InboundSms.model_validate(document)
