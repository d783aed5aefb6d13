import threading

import boto3

from courtyard import aws
from courtyard.aws_calls import AwsCallCounter, count_aws_calls


def make_queue() -> str:
    return str(aws.client("sqs").create_queue(QueueName="calls")["QueueUrl"])


def test_counts_calls_through_cached_kernel_clients(moto: None):
    sqs = aws.client("sqs")  # created, and cached, before counting starts
    url = make_queue()
    with count_aws_calls() as calls:
        sqs.send_message(QueueUrl=url, MessageBody="a")
        aws.client("sqs").send_message(QueueUrl=url, MessageBody="b")
        aws.client("dynamodb").list_tables()
    assert calls.total == 3
    assert calls.by_operation() == {("sqs", "SendMessage"): 2, ("dynamodb", "ListTables"): 1}
    assert calls.count("sqs") == 2
    assert calls.count("dynamodb", "ListTables") == 1
    assert calls.calls[0] == ("sqs", "SendMessage")


def test_service_names_are_the_client_names(moto: None):
    with count_aws_calls() as calls:
        aws.client("secretsmanager").list_secrets()
        aws.client("events").list_event_buses()
    assert set(calls.by_operation()) == {("secretsmanager", "ListSecrets"), ("events", "ListEventBuses")}


def test_calls_outside_the_block_are_not_counted(moto: None):
    url = make_queue()
    with count_aws_calls() as calls:
        pass
    aws.client("sqs").send_message(QueueUrl=url, MessageBody="late")
    assert calls.total == 0


def test_default_session_clients_created_after_counting_began_are_counted(moto: None):
    with count_aws_calls() as calls:
        boto3.client("sqs").list_queues()
    assert calls.by_operation() == {("sqs", "ListQueues"): 1}


def test_foreign_clients_can_be_watched(moto: None):
    foreign = boto3.session.Session().client("sqs")
    with count_aws_calls() as calls:
        foreign.list_queues()
        assert calls.total == 0
        calls.watch(foreign).list_queues()
    assert calls.total == 1


def test_nested_counters_each_see_their_calls(moto: None):
    sqs = aws.client("sqs")
    with count_aws_calls() as outer:
        sqs.list_queues()
        with count_aws_calls() as inner:
            sqs.list_queues()
    assert (outer.total, inner.total) == (2, 1)


def test_counting_is_thread_safe(moto: None):
    sqs = aws.client("sqs")
    sqs.list_queues()
    counter = AwsCallCounter()

    def work() -> None:
        for _ in range(10):
            sqs.list_queues()

    with counter:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert counter.total == 40
    counter.reset()
    assert counter.total == 0
