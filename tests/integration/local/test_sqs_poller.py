"""The local SQS event source mapping against in-process moto: batches, partial failures, retries, redrive."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from infra.local.sqs_poller import PollResult, SqsPoller

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

REGION = "us-east-1"
Event = dict[str, Any]


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[SQSClient]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


class Queue:
    def __init__(
        self, sqs: SQSClient, name: str, attributes: dict[QueueAttributeNameType, str] | None = None
    ) -> None:
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def counts(self) -> tuple[int, int]:
        """(visible, in flight)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )


class Recorder:
    """A stand-in for the worker-process invoke: records events, answers with `respond(event)`."""

    def __init__(self, respond: Callable[[Event], Any] = lambda event: None) -> None:
        self.events: list[Event] = []
        self.respond = respond
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> Any:
        with self.lock:
            self.events.append(event)
        return self.respond(event)

    def bodies(self, index: int) -> list[str]:
        return [record["body"] for record in self.events[index]["Records"]]


def fail_bodies(*bodies: str) -> Callable[[Event], Any]:
    def respond(event: Event) -> Any:
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] in bodies
            ]
        }

    return respond


def raise_error(event: Event) -> Any:
    raise RuntimeError("handler blew up")


def poll_until(poller: SqsPoller, count: int, timeout_s: float = 10.0) -> PollResult:
    """Poll until `count` messages arrived (e.g. after the visibility timeout), without fixed sleeps.

    Messages received together become visible again a few microseconds apart, so a retry may come back
    split over several batches, on moto as on AWS; the results are summed.
    """
    total = PollResult(received=0, succeeded=0, failed=0)
    deadline = time.monotonic() + timeout_s
    while total.received < count:
        assert time.monotonic() < deadline, f"only {total.received} of {count} messages arrived in time"
        result = poller.poll_once()
        total = PollResult(
            received=total.received + result.received,
            succeeded=total.succeeded + result.succeeded,
            failed=total.failed + result.failed,
        )
    return total


def make_poller(queue: Queue, invoke: Callable[[Event], Any], **options: Any) -> SqsPoller:
    options.setdefault("wait_time_s", 0)
    return SqsPoller(sqs=queue.sqs, queue_url=queue.url, queue_arn=queue.arn, invoke=invoke, **options)


def test_partial_batch_failure_deletes_the_rest_and_redelivers_the_failed(sqs: SQSClient) -> None:
    queue = Queue(sqs, "partial", {"VisibilityTimeout": "1"})
    queue.send("m0", "m1", "m2", "m3", "m4")
    recorder = Recorder(fail_bodies("m1", "m3"))
    poller = make_poller(queue, recorder, report_batch_item_failures=True)

    assert poller.poll_once() == PollResult(received=5, succeeded=3, failed=2)
    assert queue.counts() == (0, 2)

    # Nothing comes back before the visibility timeout; then exactly the two failures do.
    assert poller.poll_once().received == 0
    recorder.respond = lambda event: {"batchItemFailures": []}
    assert poll_until(poller, 2) == PollResult(received=2, succeeded=2, failed=0)
    retry = [record for event in recorder.events[1:] for record in event["Records"]]
    assert sorted(record["body"] for record in retry) == ["m1", "m3"]
    assert {record["attributes"]["ApproximateReceiveCount"] for record in retry} == {"2"}
    assert queue.counts() == (0, 0)

    stats = poller.stats()
    assert (stats.messages, stats.deletes, stats.failures) == (7, 5, 2)
    assert stats.batches == len(recorder.events)
    assert stats.invocation_errors == 0


def test_handler_error_deletes_nothing(sqs: SQSClient) -> None:
    queue = Queue(sqs, "raising", {"VisibilityTimeout": "1"})
    queue.send("a", "b", "c")
    poller = make_poller(queue, Recorder(raise_error), report_batch_item_failures=True)

    assert poller.poll_once() == PollResult(received=3, succeeded=0, failed=3)
    assert queue.counts() == (0, 3)
    stats = poller.stats()
    assert (stats.invocation_errors, stats.deletes, stats.failures, stats.delete_calls) == (1, 0, 3, 0)

    assert poll_until(poller, 3) == PollResult(received=3, succeeded=0, failed=3)


def test_without_report_flag_a_failure_response_is_ignored(sqs: SQSClient) -> None:
    queue = Queue(sqs, "no-flag")
    queue.send("a", "b")
    poller = make_poller(queue, Recorder(fail_bodies("a")), report_batch_item_failures=False)

    assert poller.poll_once() == PollResult(received=2, succeeded=2, failed=0)
    assert queue.counts() == (0, 0)


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}])
def test_empty_responses_are_full_success(sqs: SQSClient, response: Any) -> None:
    queue = Queue(sqs, "empty-ok")
    queue.send("a", "b")
    poller = make_poller(queue, Recorder(lambda event: response), report_batch_item_failures=True)

    assert poller.poll_once() == PollResult(received=2, succeeded=2, failed=0)


@pytest.mark.parametrize(
    "respond",
    [
        pytest.param(
            lambda event: {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, id="unknown-id"
        ),
        pytest.param(lambda event: {"batchItemFailures": [{"itemIdentifier": ""}]}, id="empty-id"),
        pytest.param(lambda event: {"batchItemFailures": [{"itemIdentifier": None}]}, id="null-id"),
        pytest.param(
            lambda event: {"batchItemFailures": [{"itemId": event["Records"][0]["messageId"]}]}, id="bad-key"
        ),
        pytest.param(lambda event: {"batchItemFailures": "all"}, id="not-a-list"),
        pytest.param(lambda event: {"batchItemFailures": ["x"]}, id="entry-not-object"),
        pytest.param(lambda event: "ok", id="not-an-object"),
    ],
)
def test_malformed_partial_response_fails_the_whole_batch(
    sqs: SQSClient, respond: Callable[[Event], Any]
) -> None:
    queue = Queue(sqs, "malformed")
    queue.send("a", "b", "c")
    poller = make_poller(queue, Recorder(respond), report_batch_item_failures=True)

    assert poller.poll_once() == PollResult(received=3, succeeded=0, failed=3)
    assert queue.counts() == (0, 3)


def test_redrive_moves_a_poison_message_to_the_dlq_after_max_receive_count(sqs: SQSClient) -> None:
    dlq = Queue(sqs, "poison-dlq")
    queue = Queue(
        sqs,
        "poison",
        {
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": "2"}),
        },
    )
    queue.send("poison")
    recorder = Recorder(raise_error)
    poller = make_poller(queue, recorder)

    deadline = time.monotonic() + 10
    while dlq.counts() == (0, 0):
        assert time.monotonic() < deadline, "the message never reached the DLQ"
        poller.poll_once()

    assert len(recorder.events) == 2  # received twice, then moved by SQS instead of a third delivery
    assert [event["Records"][0]["attributes"]["ApproximateReceiveCount"] for event in recorder.events] == [
        "1",
        "2",
    ]
    assert queue.counts() == (0, 0)
    moved = sqs.receive_message(QueueUrl=dlq.url, MaxNumberOfMessages=10)["Messages"]
    assert [message["Body"] for message in moved] == ["poison"]
    assert poller.stats().failures == 2


@pytest.mark.parametrize(("batch_size", "expected"), [(1, [1] * 5), (4, [4, 1]), (10, [5])])
def test_batch_size_is_honoured(sqs: SQSClient, batch_size: int, expected: list[int]) -> None:
    queue = Queue(sqs, f"batch-{batch_size}")
    queue.send(*(f"m{i}" for i in range(5)))
    recorder = Recorder()
    poller = make_poller(queue, recorder, batch_size=batch_size)

    while poller.poll_once().received:
        pass
    assert [len(event["Records"]) for event in recorder.events] == expected


def test_batch_size_above_ten_takes_several_receives(sqs: SQSClient) -> None:
    queue = Queue(sqs, "big-batch")
    queue.send(*(f"m{i}" for i in range(25)))
    recorder = Recorder()
    poller = make_poller(queue, recorder, batch_size=15, max_batching_window_s=0.2)

    assert poller.poll_once() == PollResult(received=15, succeeded=15, failed=0)
    assert poller.poll_once() == PollResult(received=10, succeeded=10, failed=0)
    assert poller.stats().receive_calls >= 4
    assert sorted(body for index in range(2) for body in recorder.bodies(index)) == sorted(
        f"m{i}" for i in range(25)
    )


@pytest.mark.timeout(60)
def test_batching_window_gathers_late_messages_until_the_batch_is_full(sqs: SQSClient) -> None:
    queue = Queue(sqs, "window")
    queue.send("early-1", "early-2")
    late = threading.Timer(0.2, queue.send, args=("late-1", "late-2"))
    recorder = Recorder()
    # A window far longer than the test's timeout: poll_once returns only because a full batch closes it.
    poller = make_poller(queue, recorder, batch_size=4, max_batching_window_s=600)

    late.start()
    try:
        result = poller.poll_once()
    finally:
        late.join()
    assert result == PollResult(received=4, succeeded=4, failed=0)
    assert sorted(recorder.bodies(0)) == ["early-1", "early-2", "late-1", "late-2"]


def test_poll_once_still_works_after_stop(sqs: SQSClient) -> None:
    queue = Queue(sqs, "restart")
    poller = make_poller(queue, Recorder())
    poller.start()
    poller.stop()
    queue.send("a")
    assert poller.poll_once() == PollResult(received=1, succeeded=1, failed=0)


def test_event_has_the_lambda_sqs_shape(sqs: SQSClient) -> None:
    queue = Queue(sqs, "shape")
    sqs.send_message(
        QueueUrl=queue.url,
        MessageBody='{"hello": "world"}',
        MessageAttributes={
            "tenant": {"DataType": "String", "StringValue": "t-1"},
            "count": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    recorder = Recorder()
    poller = make_poller(queue, recorder, region=REGION)
    poller.poll_once()

    (record,) = recorder.events[0]["Records"]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn == f"arn:aws:sqs:{REGION}:123456789012:shape"
    assert record["awsRegion"] == REGION
    assert record["body"] == '{"hello": "world"}'
    assert record["md5OfBody"] == hashlib.md5(b'{"hello": "world"}').hexdigest()
    attributes = record["attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    for name in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
        assert isinstance(attributes[name], str)
        assert attributes[name].isdigit()
    assert isinstance(attributes["SenderId"], str)
    assert record["messageAttributes"] == {
        "tenant": {
            "stringValue": "t-1",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "count": {"stringValue": "42", "stringListValues": [], "binaryListValues": [], "dataType": "Number"},
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    json.dumps(recorder.events[0])  # what the worker process receives must be plain JSON


def test_fifo_records_carry_group_and_sequence(sqs: SQSClient) -> None:
    queue = Queue(sqs, "orders.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"})
    # moto only assigns a SequenceNumber when the sender passes an explicit deduplication id.
    sqs.send_message(
        QueueUrl=queue.url, MessageBody="first", MessageGroupId="unit-7", MessageDeduplicationId="d-1"
    )
    recorder = Recorder()
    make_poller(queue, recorder).poll_once()

    (record,) = recorder.events[0]["Records"]
    assert record["attributes"]["MessageGroupId"] == "unit-7"
    assert record["attributes"]["MessageDeduplicationId"] == "d-1"
    assert record["attributes"]["SequenceNumber"]
    assert record["messageAttributes"] == {}


def test_thread_delivers_and_stops_promptly(sqs: SQSClient) -> None:
    queue = Queue(sqs, "threaded")
    delivered = threading.Event()
    recorder = Recorder(lambda event: delivered.set())
    poller = make_poller(queue, recorder, wait_time_s=1)

    poller.start()
    try:
        queue.send("hello")
        assert delivered.wait(10)
    finally:
        thread = poller._thread
        # The thread long-polls SQS: a stop that had to give up waiting would leave it alive.
        poller.stop(timeout_s=10)
    assert thread is not None
    assert not thread.is_alive()
    assert recorder.bodies(0) == ["hello"]
    assert queue.counts() == (0, 0)


def test_sqs_errors_do_not_kill_the_thread(sqs: SQSClient) -> None:
    poller = SqsPoller(
        sqs=sqs,
        queue_url=f"https://sqs.{REGION}.amazonaws.com/123456789012/missing",
        queue_arn=f"arn:aws:sqs:{REGION}:123456789012:missing",
        invoke=Recorder(),
        wait_time_s=0,
    )
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while poller.stats().sqs_errors < 2:
            assert time.monotonic() < deadline, "the poller did not retry"
            time.sleep(0.05)
        assert poller.running
    finally:
        poller.stop()
    assert not poller.running
