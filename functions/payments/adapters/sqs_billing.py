"""The billing queue: chunks of a large billing run, sent ten to a SendMessageBatch call."""

from __future__ import annotations

import json
from typing import Any

from courtyard import aws


class BillingQueueRepository:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def send(self, messages: list[dict[str, Any]]) -> None:
        client = aws.client("sqs")
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(n), "MessageBody": json.dumps(m, separators=(",", ":"))}
                for n, m in enumerate(messages[start : start + 10])
            ]
            pending = entries
            for _ in range(3):
                failed = client.send_message_batch(QueueUrl=self._url, Entries=pending).get("Failed", [])
                if not failed:
                    break
                ids = {f["Id"] for f in failed}
                pending = [e for e in pending if e["Id"] in ids]
            else:
                raise RuntimeError(f"{len(pending)} billing chunk(s) could not be queued")
