"""The fan-out's and the senders' SQS queues of JSON jobs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from courtyard import aws

SQS_BATCH = 10  # SendMessageBatch takes at most 10 entries


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
