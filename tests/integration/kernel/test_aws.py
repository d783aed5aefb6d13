import pytest

from courtyard import aws


def test_clients_are_cached_per_service(moto: None):
    assert aws.client("dynamodb") is aws.client("dynamodb")
    assert aws.client("dynamodb") is not aws.client("sqs")
    assert aws.resource("dynamodb") is aws.resource("dynamodb")


def test_clients_share_one_retry_and_timeout_policy(moto: None):
    config = aws.client("events").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (2, 5)


def test_reset_clients_builds_new_ones(moto: None):
    before = aws.client("sqs")
    aws.reset_clients()
    assert aws.client("sqs") is not before


def test_clients_work_against_moto(moto: None):
    sqs = aws.client("sqs")
    sqs.create_queue(QueueName="kernel-test")
    assert aws.client("sqs").list_queues()["QueueUrls"][0].endswith("/kernel-test")


def test_the_endpoint_comes_from_boto3_configuration(aws_env: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    aws.reset_clients()
    try:
        assert aws.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:5999"
    finally:
        aws.reset_clients()
