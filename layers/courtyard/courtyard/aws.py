"""Cached boto3 clients and resources for the whole process, with one retry and timeout policy.

Clients are built lazily on first use, so tests can start moto first and then call ``reset_clients()``.
The endpoint comes from boto3's own configuration (``AWS_ENDPOINT_URL`` locally): nothing here reads the
environment.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from courtyard.aws_calls import install_dispatcher

# Standard mode retries throttling and transient errors with jittered backoff. Three attempts in all and
# short timeouts keep a stuck dependency from eating a 10-second Lambda timeout. (In botocore's Config,
# "max_attempts" counts retries only, so 3 would mean 4 attempts; "total_max_attempts" is the AWS-wide
# meaning of max_attempts.)
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)

# boto3 sessions are not thread-safe while creating clients (the clients themselves are); the local API
# server is threaded, so creation is serialised.
_create_lock = threading.RLock()


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    """The process's boto3 session; the AWS call counter is installed before any client is created."""
    new_session = boto3.session.Session()
    install_dispatcher(new_session.events)
    return new_session


@lru_cache(maxsize=32)
def _client(service_name: str) -> Any:
    return session().client(service_name, config=CLIENT_CONFIG)  # type: ignore[call-overload]


@lru_cache(maxsize=32)
def _resource(service_name: str) -> Any:
    return session().resource(service_name, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def client(service_name: str) -> Any:
    """The process-wide low-level client for ``service_name`` ("dynamodb", "events", "kms", ...)."""
    with _create_lock:
        return _client(service_name)


def resource(service_name: str) -> Any:
    """The process-wide boto3 resource for ``service_name`` ("dynamodb", "s3")."""
    with _create_lock:
        return _resource(service_name)


def reset_clients() -> None:
    """Forget every cached session, client and resource (tests: after starting moto, or between tests)."""
    with _create_lock:
        _client.cache_clear()
        _resource.cache_clear()
        session.cache_clear()
