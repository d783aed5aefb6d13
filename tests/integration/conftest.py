"""Handlers on in-process moto, with every resource created from template.yaml."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from courtyard import aws
from infra.local.provision import Stack, provision
from infra.local.template import Template, load_template
from infra.seed import DemoData, seed_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


@pytest.fixture
def stack(template: Template) -> Iterator[Stack]:
    with mock_aws():
        aws.reset_clients()
        yield provision(template)
    aws.reset_clients()


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
        return environment

    return apply


@pytest.fixture
def demo(stack: Stack) -> DemoData:
    """Two tenants, each with a Cognito user and directory profile for every role."""
    return seed_stack(stack, boto3.client)
