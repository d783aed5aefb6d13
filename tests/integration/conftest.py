"""Handlers on in-process moto, with every resource created from template.yaml.

The stack is provisioned once per worker and emptied before each test (tables truncated, queues drained,
users deleted, straight in moto's backends: ``_empty``, checked through the API by test_stack_emptying.py):
provisioning cost about a second of CPU per test file, most of the suite's time once per
test. moto is on only while a module that asked for the stack runs: between modules it is stopped without
removing its data (``stop(remove_data=False)``) and the next module restarts it without a reset, so the
stack is still there. A module that starts a ``mock_aws`` of its own (the kernel's adapters, the local
cloud's provisioner) is then the outermost mock, which resets moto as it always did; the next module that
asks for the stack finds its tables gone (``_alive``) and provisions it again.

A test's world that many tests share (firms, people, tickets) is built once per worker and put back before
each later test that asks for it (``arranged``, with ``moto_state``): seeding it through Cognito, the
directory and the handlers was most of an integration test's CPU. Two costs of the test doubles themselves
are cut for the whole worker: every fresh boto3 session (each test resets the process's clients, as a cold
sandbox) shares one botocore data loader instead of parsing the same service models again, and moto's
transactions back up only the items they name (``infra.local.moto_memory``, as the local cloud does), and
boto3 clients are built once per worker instead of after every reset (``_KeptClients``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import dynamodb_backends
from moto.sqs.models import sqs_backends

from courtyard import aws, aws_calls, wiring
from courtyard.api import directory_from_settings
from courtyard.directory_cache import shared_reader
from infra.local import moto_memory
from infra.local.provision import Stack, provision
from infra.local.template import Template, load_template
from infra.seed import DemoData, seed_stack
from tests.integration import moto_serialize, moto_state

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


class _Paths(list[str]):
    """A shared loader's search paths: each boto3 session appends boto3's data folder once more."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def _share_botocore_loaders() -> None:
    """Every botocore session of this process gets the one loader for its data path: a fresh session (every
    test resets the process's clients) otherwise parses the endpoints, partitions and each service's model
    again, about 0.1 s of CPU per session with three clients. The files are the same and the loader's cache is
    keyed by what it loads, so no answer changes."""
    create = botocore.loaders.create_loader
    loaders: dict[str | None, botocore.loaders.Loader] = {}

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loader = create(search_path_string)
            loader._search_paths = _Paths(loader.search_paths)  # type: ignore[attr-defined]
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    botocore.session.create_loader = shared


_share_botocore_loaders()
# moto's transactions copy only the items they name for their rollback (the local cloud's fix; proven with
# moto's own answers by tests/unit/local/test_moto_memory.py and the features' transaction tests).
moto_memory.install()
moto_serialize.install()


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


# The worker's stack, kept from one test module to the next (see the module's docstring).
_WORKER: dict[str, Any] = {}


def _client_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
    """What a kept client is told apart by: its arguments and the environment boto3 reads when building one
    (endpoint, region); ``None`` when an argument cannot be a key (a Config object: built afresh)."""
    if any(not isinstance(v, str | None) for v in (*args, *kwargs.values())):
        return None
    environment = tuple(os.environ.get(n) for n in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"))
    return (args, tuple(sorted(kwargs.items())), environment)


def _kept(build: Callable[..., Any], made: dict[Hashable, Any]) -> Callable[..., Any]:
    def get(*args: Any, **kwargs: Any) -> Any:
        key = _client_key(args, kwargs)
        if key is None:
            return build(*args, **kwargs)
        if key not in made:
            made[key] = build(*args, **kwargs)
        return made[key]

    return get


class _KeptClients:
    """While a module on the worker's stack runs, a boto3 client or resource is built once per worker and
    handed out again after every reset: the process's ``courtyard.aws`` clients (each test resets them, as a
    cold sandbox) and the tests' own ``boto3.client(...)``. Building one cost 10 to 20 ms of CPU, some
    tens of them a test. Nothing a test can see changes: moto answers in process whichever client asks, the
    AWS call counter's dispatcher is on every kept client (installed on boto3's default session first; it
    counts only while a counter is open), and no test or product code registers hooks on these clients
    (tests that do run on a ``mock_aws`` of their own, outside this). Tests that change the endpoint or the
    region get clients of their own (part of the key)."""

    def __init__(self) -> None:
        kinds = ("aws", "aws_r", "boto3", "boto3_r")
        self._made: dict[str, dict[Hashable, Any]] = {kind: {} for kind in kinds}
        self._originals: tuple[Any, ...] = ()

    def install(self) -> None:
        aws_calls.install_dispatcher(boto3._get_default_session().events)
        self._originals = (aws._client, aws._resource, boto3.client, boto3.resource)
        kept_client = _kept(aws._client.__wrapped__, self._made["aws"])
        kept_resource = _kept(aws._resource.__wrapped__, self._made["aws_r"])
        kept_client.cache_clear = lambda: None  # type: ignore[attr-defined]
        kept_resource.cache_clear = lambda: None  # type: ignore[attr-defined]
        aws._client, aws._resource = kept_client, kept_resource  # type: ignore[assignment]
        boto3.client = _kept(self._originals[2], self._made["boto3"])
        boto3.resource = _kept(self._originals[3], self._made["boto3_r"])

    def remove(self) -> None:
        aws._client, aws._resource, boto3.client, boto3.resource = self._originals
        aws.reset_clients()


_KEPT_CLIENTS = _KeptClients()


@pytest.fixture(scope="module")
def _moto() -> Iterator[dict[str, Any]]:
    mock = mock_aws()
    mock.start(reset=False)
    _KEPT_CLIENTS.install()
    yield _WORKER
    _KEPT_CLIENTS.remove()
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
        _moto["worlds"] = {}  # the saved worlds were of the stack that is gone
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


@dataclass(frozen=True)
class _World:
    state: moto_state.SavedState
    value: Any
    counts: tuple[int, ...]


class Arranged(Protocol):
    def __call__(self, build: Callable[[], T], *, key: Hashable = ()) -> T: ...


@pytest.fixture
def arranged(stack: Stack, _moto: dict[str, Any]) -> Arranged:
    """``world = arranged(build)``: ``build()``'s world, built once per worker and then restored.

    The first test in a worker that asks runs ``build`` on the emptied stack and saves the stack's tables,
    queues and pools with a copy of what ``build`` returned; every later test gets that state back (a fresh
    copy, so no test sees another's writes) and a fresh copy of the value, without running ``build``. Steps
    chain: a fixture may call ``arranged`` on top of another fixture's world (each step saved on top of the
    steps before it in this test). ``build`` must not depend on anything but the stack and the steps before
    (pass ``key`` to tell apart builds that do, e.g. a parameter), and must write only tables, queues and
    users (S3 objects are not saved: refused). Nothing may write between steps (checked on item, message and
    user counts). A restored world also starts with every feature's collaborators and the directory's caches
    forgotten (the clock and overrides kept), since the ids are the same as in the test that built it.
    """
    return arranger(stack, _moto.setdefault("worlds", {}))


def arranger(stack: Stack, worlds: dict[tuple[Hashable, ...], _World]) -> Arranged:
    """One test's ``arranged`` over the worker's saved ``worlds``."""
    done: list[Hashable] = []
    expected = [tuple(0 for _ in moto_state.counts(stack))]  # the emptied stack

    def arrange(build: Callable[[], T], *, key: Hashable = ()) -> T:
        if moto_state.counts(stack) != expected[0]:
            raise RuntimeError(
                f"arranged({build.__qualname__}): the stack was written before this step; call arranged "
                "before any other fixture writes (the restore would drop those writes)"
            )
        steps = (*done, (build.__module__, build.__qualname__, key))
        saved = worlds.get(steps)
        if saved is not None:
            moto_state.restore(stack, saved.state)
            _forget_process_caches()
            value: T = copy.deepcopy(saved.value)
        else:
            before = moto_state.unsaved(stack)
            value = build()
            if moto_state.unsaved(stack) != before:
                raise RuntimeError(f"arranged({build.__qualname__}) wrote S3 objects, which are not saved")
            saved = _World(moto_state.save(stack), copy.deepcopy(value), moto_state.counts(stack))
            worlds[steps] = saved
        done[:] = steps
        expected[0] = saved.counts
        return value

    return arrange


def _forget_process_caches() -> None:
    """What a test's handlers cached about the world's ids (tenants, standings, built collaborators) is
    forgotten: restored worlds repeat the ids of the test that built them, unlike worlds seeded afresh."""
    clock = wiring._clock_override[0] if wiring._clock_override else None
    wiring.use_clock(clock)  # every feature's wiring rebuilt, with the same clock; overrides kept
    shared_reader.cache_clear()
    directory_from_settings.cache_clear()


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
