"""Handlers on in-process moto, with every resource created from template.yaml.

The stack is provisioned once per worker and emptied before each test (tables truncated, queues drained,
users deleted, straight in moto's backends: ``_empty``, checked through the API by test_stack_emptying.py):
provisioning cost about a second of CPU per test file, most of the suite's time once per
test. moto is on only while a module that asked for the stack runs: between modules it is stopped without
removing its data (``stop(remove_data=False)``) and the next module restarts it without a reset, so the
stack is still there. A module that starts a ``mock_aws`` of its own (the kernel's adapters, the local
cloud's provisioner) is then the outermost mock, which resets moto as it always did; the next module that
asks for the stack finds its tables gone (``_alive``) and provisions it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import dynamodb_backends
from moto.sqs.models import sqs_backends

from courtyard import aws
from courtyard.api import directory_from_settings
from courtyard.directory_cache import shared_reader
from infra.local.provision import Stack, provision
from infra.local.template import Template, load_template
from infra.seed import DemoData, seed_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


# The worker's stack, kept from one test module to the next (see the module's docstring).
_WORKER: dict[str, Any] = {}


@pytest.fixture(scope="module")
def _moto() -> Iterator[dict[str, Any]]:
    mock = mock_aws()
    mock.start(reset=False)
    yield _WORKER
    mock.stop(remove_data=False)
    # What moto tracks for its dashboard (the outbox of sent emails, SMS and pushes that tests read) starts
    # afresh with each module, as it did when each module had a mock of its own.
    reset_model_data()


@pytest.fixture
def stack(_moto: dict[str, Any], template: Template) -> Iterator[Stack]:
    current: Stack | None = _moto.get("stack")
    if current is None or not _alive(current):
        current = provision(template)
        _moto["stack"] = current
    else:
        _empty(current)
    aws.reset_clients()
    yield current
    aws.reset_clients()


def _alive(stack: Stack) -> bool:
    return stack.ref("DirectoryTable") in dynamodb_backends[stack.account_id][stack.region].tables


def _empty(stack: Stack) -> None:
    """Every table, queue and user pool of the stack as provisioning left it, through moto's in-process
    backends: the same end as scanning and deleting through the API (tables truncated, queues drained, users
    deleted with their group memberships), but in a millisecond instead of about 0.14 s of CPU a test (some
    fifty API calls: a describe, a scan and batch deletes per table, a receive per queue). Messages in flight
    (received and not deleted) go too, which draining through the API could not reach."""
    tables = dynamodb_backends[stack.account_id][stack.region].tables
    for table in stack.resources_of_type("AWS::DynamoDB::Table").values():
        tables[table.ref].items.clear()
    queues = sqs_backends[stack.account_id][stack.region].queues
    for queue in stack.resources_of_type("AWS::SQS::Queue").values():
        drained = queues[queue.ref.rsplit("/", 1)[-1]]
        with drained._messages_lock:
            drained._messages = []
            drained._pending_messages = set()
    pools = cognitoidp_backends[stack.account_id][stack.region].user_pools
    for pool in stack.resources_of_type("AWS::Cognito::UserPool").values():
        users = pools[pool.ref].users
        for user in users.values():
            for group in user.groups:
                group.users.discard(user)
        users.clear()


@pytest.fixture
def function_env(
    stack: Stack, template: Template, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], dict[str, str]]:
    """Give this process exactly the environment the named function gets from the template."""

    def apply(function_id: str) -> dict[str, str]:
        environment = stack.function_environment(template.function(function_id))
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        aws.reset_clients()
        directory_from_settings.cache_clear()
        shared_reader.cache_clear()  # a fresh sandbox: no tenant, standing or person cached
        return environment

    return apply


@pytest.fixture
def demo(stack: Stack) -> DemoData:
    """Two tenants, each with a Cognito user and directory profile for every role."""
    return seed_stack(stack, boto3.client)
