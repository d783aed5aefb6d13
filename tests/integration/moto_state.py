"""The worker's stack's state in moto's in-process backends, saved and put back: what ``arranged``
(tests/integration/conftest.py) uses to seed a test's world once per worker instead of once per test.

What is saved is what ``_empty`` empties: every table's items, every queue's messages (in flight ones too)
and every user pool's users, groups, group memberships and issued tokens. Other services' state (S3 objects,
sent emails and texts) is not saved: an arrange step that writes there is refused (``unsaved``), so a
restored world can never be missing something the first one had. ``test_world_restore.py`` checks through
the API that a restore gives back exactly the saved state, and that a test's writes are gone after it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.models import cognitoidp_backends
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends

from infra.local.provision import Stack


@dataclass(frozen=True)
class SavedPool:
    users: dict[str, Any]  # username -> user, without its group links
    groups: dict[str, Any]  # group name -> group, without its members
    members: dict[str, tuple[str, ...]]  # group name -> usernames
    tokens: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # refresh, access and ID tokens issued


@dataclass(frozen=True)
class SavedState:
    items: dict[str, Any]  # table name -> moto's items mapping
    messages: dict[str, list[Any]]  # queue name -> messages (each with its visibility)
    pending: dict[str, set[Any]]  # queue name -> messages in flight
    pools: dict[str, SavedPool]


def _tables(stack: Stack) -> dict[str, Any]:
    tables = dynamodb_backends[stack.account_id][stack.region].tables
    return {t.ref: tables[t.ref] for t in stack.resources_of_type("AWS::DynamoDB::Table").values()}


def _queues(stack: Stack) -> dict[str, Any]:
    queues = sqs_backends[stack.account_id][stack.region].queues
    names = (q.ref.rsplit("/", 1)[-1] for q in stack.resources_of_type("AWS::SQS::Queue").values())
    return {name: queues[name] for name in names}


def _pools(stack: Stack) -> dict[str, Any]:
    pools = cognitoidp_backends[stack.account_id][stack.region].user_pools
    return {p.ref: pools[p.ref] for p in stack.resources_of_type("AWS::Cognito::UserPool").values()}


def _unlinked(objects: dict[str, Any], link: str) -> dict[str, Any]:
    """Deep copies of moto's users (or groups) without their bidirectional links to the other kind, which
    would otherwise drag copies of the whole pool's groups and users along."""
    copies: dict[str, Any] = {}
    for name, original in objects.items():
        links = getattr(original, link)
        setattr(original, link, set())
        try:
            copies[name] = copy.deepcopy(original)
        finally:
            setattr(original, link, links)
    return copies


def save(stack: Stack) -> SavedState:
    """A copy of the stack's tables, queues and pools that later writes cannot reach."""
    messages: dict[str, list[Any]] = {}
    pending: dict[str, set[Any]] = {}
    for name, queue in _queues(stack).items():
        with queue._messages_lock:
            copied = copy.deepcopy((queue._messages, queue._pending_messages))
        messages[name], pending[name] = copied
    pools = {
        ref: SavedPool(
            users=_unlinked(pool.users, "groups"),
            groups=_unlinked(pool.groups, "users"),
            members={name: tuple(u.username for u in group.users) for name, group in pool.groups.items()},
            tokens=copy.deepcopy((pool.refresh_tokens, pool.access_tokens, pool.id_tokens)),
        )
        for ref, pool in _pools(stack).items()
    }
    items = {name: copy.deepcopy(table.items) for name, table in _tables(stack).items()}
    return SavedState(items, messages, pending, pools)


def restore(stack: Stack, saved: SavedState) -> None:
    """The stack's tables, queues and pools exactly as ``saved`` (fresh copies: the saved state stays
    untouched by the test that runs on it)."""
    for name, table in _tables(stack).items():
        table.items = copy.deepcopy(saved.items[name])
    for name, queue in _queues(stack).items():
        copied = copy.deepcopy((saved.messages[name], saved.pending[name]))
        with queue._messages_lock:
            queue._messages, queue._pending_messages = copied
    for ref, pool in _pools(stack).items():
        kept = saved.pools[ref]
        users = copy.deepcopy(kept.users)
        groups = copy.deepcopy(kept.groups)
        for name, group in groups.items():
            for username in kept.members[name]:
                group.users.add(users[username])
                users[username].groups.add(group)
        pool.users.clear()
        pool.users.update(users)
        pool.groups.clear()
        pool.groups.update(groups)
        pool.refresh_tokens, pool.access_tokens, pool.id_tokens = copy.deepcopy(kept.tokens)


def counts(stack: Stack) -> tuple[int, ...]:
    """A cheap fingerprint (items per table, messages per queue, users per pool): a guard that nothing was
    written between two ``arranged`` steps of one test, not a proof."""
    return (
        *(sum(1 for _ in _all_items(table)) for table in _tables(stack).values()),
        *(len(queue._messages) for queue in _queues(stack).values()),
        *(len(pool.users) for pool in _pools(stack).values()),
    )


def _all_items(table: Any) -> Any:
    for value in table.items.values():
        if table.range_key_attr:
            yield from value.values()
        else:
            yield value


def unsaved(stack: Stack) -> tuple[int, ...]:
    """What ``save`` does not keep and an arrange step could write: objects per bucket of the stack."""
    buckets = s3_backends[stack.account_id]["aws"].buckets
    refs = (b.ref for b in stack.resources_of_type("AWS::S3::Bucket").values())
    return tuple(len(buckets[ref].keys) if ref in buckets else 0 for ref in refs)
