"""The Lambda SQS event source mapping, locally: polls a queue, invokes a function with SQS batches.

Semantics follow AWS: batch size, batching window, partial batch responses, visibility-timeout retries.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

logger = logging.getLogger(__name__)

# ReceiveMessage and DeleteMessageBatch both take at most 10 messages per call.
_SQS_MAX_PER_CALL = 10
# Lambda caps an SQS batch at 10,000 records (and needs a batching window above 10).
_MAX_BATCH_SIZE = 10_000
_BACKOFF_INITIAL_S = 0.1
_BACKOFF_MAX_S = 5.0
# With long polling disabled an empty queue would otherwise spin the thread.
_IDLE_PAUSE_S = 0.1
# How often the batching window re-asks SQS while it waits for a fuller batch.
_WINDOW_POLL_S = 0.05

# The system attributes Lambda copies into a record, in the order Lambda writes them.
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "DeadLetterQueueSourceArn",
    "AWSTraceHeader",
)


@dataclass(frozen=True)
class PollResult:
    """What one poll cycle did: messages received, deleted (succeeded) and left in the queue (failed)."""

    received: int
    succeeded: int
    failed: int


@dataclass(frozen=True)
class PollerStats:
    """Cumulative counters since the poller was created, for cost accounting."""

    batches: int  # Lambda invocations
    messages: int  # records delivered to the function
    deletes: int  # messages deleted after success
    failures: int  # messages left in the queue for a retry
    invocation_errors: int  # invocations that raised (whole batch failed)
    receive_calls: int  # SQS ReceiveMessage requests
    delete_calls: int  # SQS DeleteMessageBatch requests
    sqs_errors: int  # SQS requests that failed


class SqsPoller:
    """Delivers batches from one queue to one function, as a Lambda SQS event source mapping does.

    Redrive to the dead-letter queue is left to SQS: a message the function keeps failing is not deleted,
    comes back after the queue's visibility timeout, and SQS moves it to the queue's DLQ once it has been
    received maxReceiveCount times. moto implements that move on ReceiveMessage (as AWS does), so the
    poller never touches the DLQ itself.
    """

    def __init__(
        self,
        *,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        invoke: Callable[[dict[str, Any]], Any],
        batch_size: int = 10,
        report_batch_item_failures: bool = False,
        max_batching_window_s: float = 0,
        region: str = "us-east-1",
        wait_time_s: int = 1,
    ) -> None:
        if not 1 <= batch_size <= _MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {_MAX_BATCH_SIZE}, got {batch_size}")
        if max_batching_window_s < 0:
            raise ValueError(f"max_batching_window_s must not be negative, got {max_batching_window_s}")
        if not 0 <= wait_time_s <= 20:
            raise ValueError(f"wait_time_s must be between 0 and 20 (SQS long polling), got {wait_time_s}")
        self._sqs: SQSClient = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self._invoke = invoke
        self.batch_size = batch_size
        self.report_batch_item_failures = report_batch_item_failures
        self.max_batching_window_s = max_batching_window_s
        self.region = region
        self.wait_time_s = wait_time_s

        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._batches = 0
        self._messages = 0
        self._deletes = 0
        self._failures = 0
        self._invocation_errors = 0
        self._receive_calls = 0
        self._delete_calls = 0
        self._sqs_errors = 0

    def start(self) -> None:
        """Start polling in a daemon thread (no-op if already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"sqs-poller:{self.queue_arn}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting for it (stop() then joins it)."""
        self._stop.set()

    def stop(self, timeout_s: float = 30.0, *, warn: bool = True) -> None:
        """Stop polling and wait for the thread; an invocation in flight is allowed to finish. ``warn``: log
        a thread still running after ``timeout_s`` (the local cloud's stop expects one in a long poll)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
            if warn and thread.is_alive():
                logger.warning("SQS poller for %s did not stop within %.1f s", self.queue_arn, timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> PollerStats:
        with self._lock:
            return PollerStats(
                batches=self._batches,
                messages=self._messages,
                deletes=self._deletes,
                failures=self._failures,
                invocation_errors=self._invocation_errors,
                receive_calls=self._receive_calls,
                delete_calls=self._delete_calls,
                sqs_errors=self._sqs_errors,
            )

    def _run(self) -> None:
        backoff = _BACKOFF_INITIAL_S
        while not self._stop.is_set():
            try:
                result = self.poll_once()
            except Exception:
                if self._stop.is_set():
                    break  # the local cloud stopping under a poll in flight: nothing to retry or report
                # SQS unreachable or refusing (e.g. the local endpoint restarting): keep the mapping alive.
                logger.exception("SQS poll of %s failed; retrying in %.1f s", self.queue_url, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
                continue
            backoff = _BACKOFF_INITIAL_S
            if result.received == 0 and self.wait_time_s == 0:
                self._stop.wait(_IDLE_PAUSE_S)

    def poll_once(self) -> PollResult:
        """One receive -> invoke -> delete cycle. SQS errors propagate; function errors do not."""
        messages = self._receive_batch()
        if not messages:
            return PollResult(received=0, succeeded=0, failed=0)

        event = {"Records": [self._record(message) for message in messages]}
        ids = [message["MessageId"] for message in messages]
        try:
            response = self._invoke(event)
        except Exception as error:
            # A function error fails the whole batch: nothing is deleted, everything is retried.
            logger.warning(
                "invocation for %s failed (%s); %d message(s) will be retried",
                self.queue_arn,
                error,
                len(messages),
            )
            failed_ids = set(ids)
            invocation_error = True
        else:
            invocation_error = False
            failed_ids = self._failed_ids(response, ids) if self.report_batch_item_failures else set()

        to_delete = [message for message in messages if message["MessageId"] not in failed_ids]
        with self._lock:
            self._batches += 1
            self._messages += len(messages)
            self._failures += len(messages) - len(to_delete)
            self._invocation_errors += int(invocation_error)
        deleted = self._delete(to_delete)
        return PollResult(received=len(messages), succeeded=deleted, failed=len(messages) - len(to_delete))

    def _receive_batch(self) -> list[MessageTypeDef]:
        messages: list[MessageTypeDef] = []
        deadline = 0.0
        while len(messages) < self.batch_size:
            wanted = min(_SQS_MAX_PER_CALL, self.batch_size - len(messages))
            # Long-poll only while the batch is empty, so a partly filled batch is not held back.
            received = self._receive(wanted, 0 if messages else self.wait_time_s)
            if received and not messages:
                deadline = time.monotonic() + self.max_batching_window_s
            messages.extend(received)
            if not messages or self._stop.is_set():
                # Shutting down: deliver what is held rather than leave it invisible until the timeout.
                break
            if self.max_batching_window_s > 0:
                # With a batching window Lambda keeps gathering until the batch is full or the window closes.
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if len(received) < wanted:
                    self._stop.wait(min(_WINDOW_POLL_S, remaining))
            elif len(received) < wanted:
                # No window: take what is there now; only a full receive suggests more is waiting.
                break
        return messages

    def _receive(self, count: int, wait_time_s: int) -> list[MessageTypeDef]:
        with self._lock:
            self._receive_calls += 1
        try:
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=count,
                WaitTimeSeconds=wait_time_s,
                # AttributeNames is the deprecated spelling; both are sent so older endpoints answer too.
                AttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        except Exception:
            with self._lock:
                self._sqs_errors += 1
            raise
        return list(response.get("Messages", []))

    def _delete(self, messages: list[MessageTypeDef]) -> int:
        deleted = 0
        for start in range(0, len(messages), _SQS_MAX_PER_CALL):
            chunk = messages[start : start + _SQS_MAX_PER_CALL]
            with self._lock:
                self._delete_calls += 1
            try:
                response = self._sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                        for index, message in enumerate(chunk)
                    ],
                )
            except Exception:
                with self._lock:
                    self._sqs_errors += 1
                raise
            ok = len(response.get("Successful", []))
            for failure in response.get("Failed", []):
                # The message will be delivered again: at-least-once, exactly as on AWS.
                logger.warning("could not delete a message from %s: %s", self.queue_url, failure)
            deleted += ok
            with self._lock:
                self._deletes += ok
        return deleted

    def _failed_ids(self, response: Any, ids: list[str]) -> set[str]:
        """The message ids to keep in the queue, per Lambda's partial batch response rules.

        A null or empty response, or a null or empty batchItemFailures list, is full success. Anything
        Lambda cannot read as a partial batch response (not an object, batchItemFailures not a list, an
        entry without a non-empty string itemIdentifier, an id not in the batch) fails the whole batch.
        """
        if response is None:
            return set()
        if not isinstance(response, Mapping):
            return self._whole_batch_failed(ids, f"response is a {type(response).__name__}, not an object")
        failures = response.get("batchItemFailures")
        if failures is None:
            return set()
        if not isinstance(failures, list):
            return self._whole_batch_failed(ids, "batchItemFailures is not a list")
        failed: set[str] = set()
        known = set(ids)
        for item in failures:
            identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else None
            if not isinstance(identifier, str) or not identifier:
                return self._whole_batch_failed(ids, f"invalid batchItemFailures entry {item!r}")
            if identifier not in known:
                return self._whole_batch_failed(ids, f"itemIdentifier {identifier!r} is not in the batch")
            failed.add(identifier)
        return failed

    def _whole_batch_failed(self, ids: list[str], reason: str) -> set[str]:
        logger.warning(
            "malformed partial batch response from the function for %s (%s): whole batch failed",
            self.queue_arn,
            reason,
        )
        return set(ids)

    def _record(self, message: MessageTypeDef) -> dict[str, Any]:
        attributes: dict[str, str] = {str(k): v for k, v in message.get("Attributes", {}).items()}
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": {name: attributes[name] for name in _RECORD_ATTRIBUTES if name in attributes},
            "messageAttributes": {
                name: _message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record["md5OfBody"] = message.get("MD5OfBody", "")
        record["eventSource"] = "aws:sqs"
        record["eventSourceARN"] = self.queue_arn
        record["awsRegion"] = self.region
        return record


def _message_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    """SQS API shape (StringValue, BinaryValue as bytes) -> Lambda's (camelCase, binary as base64)."""
    converted: dict[str, Any] = {}
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _b64(value["BinaryValue"])
    # Lambda always writes both list fields, empty when unused.
    converted["stringListValues"] = list(value.get("StringListValues", []))
    converted["binaryListValues"] = [_b64(item) for item in value.get("BinaryListValues", [])]
    converted["dataType"] = value["DataType"]
    return converted


def _b64(raw: bytes | str) -> str:
    # botocore decodes blobs to bytes; a str has already been left base64-encoded by the caller's client.
    if isinstance(raw, str):
        return raw
    return base64.b64encode(raw).decode("ascii")
