"""A small evaluator of IAM identity policies: the part of AWS's evaluation logic the isolation tests need.

moto 5 does not evaluate IAM conditions (its access control checks actions only, with the resource always
``*``, and conditions only in trust policies), so the semantics of ``dynamodb:LeadingKeys`` under a session
tag are checked here, against the policy documents of template.yaml, following the documented rules:
an explicit Deny wins, else an Allow whose Action, Resource and every Condition match, else an implicit deny;
``${aws:PrincipalTag/k}`` is replaced by the session tag (a missing tag makes the statement not apply);
``ForAllValues`` is true for a missing or empty key, ``ForAnyValue`` false; ``...IfExists`` is true when the
key is missing; ``StringLike`` uses ``*`` and ``?``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["allow", "deny", "implicit-deny"]
_VARIABLE = re.compile(r"\$\{aws:PrincipalTag/([^}]+)\}")


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    # Condition keys of the request (dynamodb:LeadingKeys is a list: every partition key it touches).
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)
    principal_tags: Mapping[str, str] = field(default_factory=dict)


class _NotApplicable(Exception):
    """A policy variable has no value: the statement cannot match."""


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _substitute(pattern: str, tags: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(1) not in tags:
            raise _NotApplicable
        # Taken as it is (the tag is set from a verified tenant id, which never holds * or ?).
        return tags[match.group(1)]

    return _VARIABLE.sub(value, pattern)


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _matches(patterns: Any, value: str, tags: Mapping[str, str]) -> bool:
    return any(_like(_substitute(str(p), tags), value) for p in _as_list(patterns))


def _operator(name: str, expected: list[str], actual: Sequence[str], tags: Mapping[str, str]) -> bool:
    qualifier, _, operator = name.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    patterns = [_substitute(str(e), tags) for e in expected]
    if operator == "StringLike":

        def one(value: str) -> bool:
            return any(_like(p, value) for p in patterns)
    elif operator == "StringEquals":

        def one(value: str) -> bool:
            return value in patterns
    elif operator == "Bool":

        def one(value: str) -> bool:
            return value.lower() in [p.lower() for p in patterns]
    else:
        raise NotImplementedError(f"condition operator {name}")
    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in actual)
    if not actual:
        return if_exists
    return any(one(v) for v in actual)


def _conditions_hold(condition: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            actual = list(request.context.get(key, ()))
            if not _operator(operator, [str(e) for e in _as_list(expected)], actual, request.principal_tags):
                return False
    return True


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    try:
        return (
            _matches(statement["Action"], request.action, request.principal_tags)
            and _matches(statement["Resource"], request.resource, request.principal_tags)
            and _conditions_hold(statement.get("Condition") or {}, request)
        )
    except _NotApplicable:
        return False


def evaluate(statements: Sequence[Mapping[str, Any]], request: Request) -> Decision:
    applying = [s for s in statements if _applies(s, request)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "deny"
    if any(s["Effect"] == "Allow" for s in applying):
        return "allow"
    return "implicit-deny"
