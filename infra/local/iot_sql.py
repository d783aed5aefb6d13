"""Parser and evaluator for the subset of AWS IoT SQL (version 2016-03-23) that our topic rules use.

Grammar: ``SELECT item, ... [FROM 'topic/filter'] [WHERE condition]``; see ``parse_rule``. FROM may be left
out only by a rule that Basic Ingest alone invokes (AWS IoT SQL reference, "FROM"): such a rule matches no
topic at the broker and runs only when a device publishes to ``$aws/rules/<its name>/...``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final


class RuleSqlError(ValueError):
    """The rule SQL is malformed, or uses syntax this emulator does not support."""


class _Undefined:
    """AWS's ``Undefined``: a missing value. It poisons operators and is left out of results."""

    def __repr__(self) -> str:
        return "Undefined"


UNDEFINED: Final = _Undefined()


@dataclass(frozen=True)
class _Ctx:
    topic: str
    payload: dict[str, Any]
    now_ms: int
    client_id: str | None


_Expr = Callable[[_Ctx], Any]

# --- tokenizer ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?:
      (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><>|!=|<=|>=|[=<>(),.*-])
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE"})


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | str | name | kw | op | end
    text: str
    pos: int


def _tokenize(sql: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while True:
        while pos < len(sql) and sql[pos].isspace():
            pos += 1
        if pos == len(sql):
            return [*toks, _Tok("end", "", pos)]
        m = _TOKEN.match(sql, pos)
        if m is None or m.lastgroup is None:
            hint = " (unterminated string?)" if sql[pos] == "'" else ""
            raise RuleSqlError(f"unexpected character {sql[pos]!r} at position {pos}{hint}")
        kind, text = m.lastgroup, m.group()
        if kind == "name" and text.upper() in _KEYWORDS:
            kind, text = "kw", text.upper()
        toks.append(_Tok(kind, text, pos))
        pos = m.end()


# --- semantics ------------------------------------------------------------------------------------


def _as_bool(value: Any) -> bool | None:
    # AWS accepts booleans and the strings "true"/"false" (any case) as logical operands.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _logic(op: str, left: Any, right: Any) -> Any:
    # Unlike SQL's three-valued logic, AWS makes AND/OR Undefined whenever an operand is not boolean.
    a, b = _as_bool(left), _as_bool(right)
    if a is None or b is None:
        return UNDEFINED
    return (a and b) if op == "AND" else (a or b)


def _equals(left: Any, right: Any) -> bool:
    # Ints and decimals compare by value; anything else must have the same JSON type (so '5' <> 5).
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is UNDEFINED or right is UNDEFINED:
        return UNDEFINED
    if op in ("=", "<>", "!="):
        return _equals(left, right) == (op == "=")
    # Ordering is numeric only: strings count when they parse as decimals, anything else is Undefined.
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        return UNDEFINED
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _topic_segment(ctx: _Ctx, index: Any) -> Any:
    parts = ctx.topic.split("/")
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= len(parts):
        return UNDEFINED
    return parts[index - 1]


def _field(path: tuple[str, ...]) -> _Expr:
    def get(ctx: _Ctx) -> Any:
        value: Any = ctx.payload
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return UNDEFINED
            value = value[key]
        return value

    return get


def _const(value: Any) -> _Expr:
    return lambda _ctx: value


# name -> (min args, max args, implementation taking the context and evaluated args)
_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "topic": (0, 1, lambda ctx, *n: _topic_segment(ctx, n[0]) if n else ctx.topic),
    "timestamp": (0, 0, lambda ctx: ctx.now_ms),
    "clientid": (0, 0, lambda ctx: UNDEFINED if ctx.client_id is None else ctx.client_id),
    "isundefined": (1, 1, lambda _ctx, v: v is UNDEFINED),
    "isnull": (1, 1, lambda _ctx, v: v is None),
}


# --- parser ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    key: str | None  # None for `*`
    expr: _Expr | None


class _Parser:
    def __init__(self, sql: str) -> None:
        self.toks = _tokenize(sql)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def error(self, expected: str) -> RuleSqlError:
        found = "end of statement" if self.tok.kind == "end" else repr(self.tok.text)
        return RuleSqlError(f"expected {expected} at position {self.tok.pos}, found {found}")

    def accept(self, kind: str, text: str | None = None) -> _Tok | None:
        if self.tok.kind == kind and (text is None or self.tok.text == text):
            self.i += 1
            return self.toks[self.i - 1]
        return None

    def expect(self, kind: str, text: str | None = None, what: str | None = None) -> _Tok:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.error(what or text or kind)
        return tok

    def statement(self) -> tuple[list[_Item], str | None, _Expr | None]:
        self.expect("kw", "SELECT")
        items = [self.item()]
        while self.accept("op", ","):
            items.append(self.item())
        source = None
        if self.accept("kw", "FROM"):
            source = _unquote(self.expect("str", what="a quoted topic filter after FROM").text)
        where = self.or_expr() if self.accept("kw", "WHERE") else None
        if self.tok.kind != "end":
            raise self.error("end of statement")
        return items, source, where

    def item(self) -> _Item:
        if self.accept("op", "*"):
            return _Item(None, None)
        start = self.i
        expr = self.or_expr()
        if self.accept("kw", "AS"):
            return _Item(self.expect("name", what="an alias after AS").text, expr)
        key = _default_key(self.toks[start : self.i])
        if key is None:
            raise RuleSqlError(f"expression at position {self.toks[start].pos} needs an alias (AS name)")
        return _Item(key, expr)

    def or_expr(self) -> _Expr:
        left = self.and_expr()
        while self.accept("kw", "OR"):
            left = _binary(_logic, "OR", left, self.and_expr())
        return left

    def and_expr(self) -> _Expr:
        left = self.not_expr()
        while self.accept("kw", "AND"):
            left = _binary(_logic, "AND", left, self.not_expr())
        return left

    def not_expr(self) -> _Expr:
        if self.accept("kw", "NOT"):
            operand = self.not_expr()

            def negate(ctx: _Ctx) -> Any:
                value = _as_bool(operand(ctx))
                return UNDEFINED if value is None else not value

            return negate
        return self.comparison()

    def comparison(self) -> _Expr:
        left = self.primary()
        if self.tok.kind == "op" and self.tok.text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            op = self.expect("op").text
            return _binary(_compare, op, left, self.primary())
        if self.accept("kw", "IS"):
            negated = self.accept("kw", "NOT") is not None
            self.expect("kw", "NULL", what="NULL after IS [NOT]")

            def is_null(ctx: _Ctx) -> Any:
                value = left(ctx)
                return UNDEFINED if value is UNDEFINED else (value is None) != negated

            return is_null
        return left

    def primary(self) -> _Expr:
        tok = self.tok
        if self.accept("op", "("):
            expr = self.or_expr()
            self.expect("op", ")")
            return expr
        if self.accept("op", "-"):
            return _const(-_number(self.expect("num", what="a number after '-'").text))
        if self.accept("num"):
            return _const(_number(tok.text))
        if self.accept("str"):
            return _const(_unquote(tok.text))
        if self.accept("kw", "TRUE") or self.accept("kw", "FALSE"):
            return _const(tok.text == "TRUE")
        if self.accept("kw", "NULL"):
            return _const(None)
        if self.accept("name"):
            if self.accept("op", "("):
                return self.call(tok)
            path = [tok.text]
            while self.accept("op", "."):
                path.append(self.expect("name", what="a field name after '.'").text)
            return _field(tuple(path))
        raise self.error("a field, literal, function call or '('")

    def call(self, name: _Tok) -> _Expr:
        args: list[_Expr] = []
        if not self.accept("op", ")"):
            args.append(self.or_expr())
            while self.accept("op", ","):
                args.append(self.or_expr())
            self.expect("op", ")")
        spec = _FUNCTIONS.get(name.text.lower())
        if spec is None:
            raise RuleSqlError(f"unsupported function {name.text}() at position {name.pos}")
        low, high, impl = spec
        if not low <= len(args) <= high:
            raise RuleSqlError(f"{name.text}() takes {low}..{high} arguments, got {len(args)}")
        return lambda ctx: impl(ctx, *(arg(ctx) for arg in args))


def _default_key(span: list[_Tok]) -> str | None:
    # AWS names an unaliased field after its last segment, and an unaliased function call after the function.
    if all(t.kind == "name" or t.text == "." for t in span):
        return span[-1].text
    if len(span) >= 3 and span[0].kind == "name" and span[1].text == "(":
        depth = 0
        for i, t in enumerate(span[1:], start=1):
            depth += (t.text == "(") - (t.text == ")") if t.kind == "op" else 0
            if depth == 0:
                return span[0].text if i == len(span) - 1 else None
    return None


def _binary(fn: Callable[[str, Any, Any], Any], op: str, left: _Expr, right: _Expr) -> _Expr:
    return lambda ctx: fn(op, left(ctx), right(ctx))


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'")


# --- topics and rules -----------------------------------------------------------------------------


def _check_filter(topic_filter: str) -> None:
    if not topic_filter:
        raise RuleSqlError("the topic filter after FROM is empty")
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if ("#" in level and (level != "#" or i != len(levels) - 1)) or ("+" in level and level != "+"):
            raise RuleSqlError(f"invalid topic filter {topic_filter!r}: wildcards must fill a whole level")


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching: ``+`` is one level, a trailing ``#`` is any number of levels (even none)."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False  # MQTT 3.1.1 [MQTT-4.7.2-1]: wildcards never match $-topics at the first level
    pattern, levels = topic_filter.split("/"), topic.split("/")
    for i, want in enumerate(pattern):
        if want == "#":
            return True
        if i >= len(levels) or (want != "+" and want != levels[i]):
            return False
    return len(pattern) == len(levels)


@dataclass(frozen=True, eq=False)
class TopicRule:
    """A parsed topic rule: which topics it listens to, and the event it builds from each message."""

    sql: str
    topic_filter: str | None  # None: no FROM, a rule only Basic Ingest invokes
    _items: tuple[_Item, ...]
    _where: _Expr | None

    def matches(self, topic: str) -> bool:
        """Whether a publish at the broker to ``topic`` activates this rule (its FROM filter)."""
        return self.topic_filter is not None and topic_matches(self.topic_filter, topic)

    def evaluate(
        self,
        topic: str,
        payload: bytes,
        *,
        now_ms: int,
        client_id: str | None = None,
        basic_ingest: bool = False,
    ) -> dict[str, Any] | None:
        """Return the SELECT result AWS would hand to the action, or None if the rule does not fire.

        ``basic_ingest``: the message named this rule (``$aws/rules/<name>/<topic>``, ``topic`` without the
        prefix), so FROM does not decide: AWS activates a rule by its filter only for messages that pass
        through the broker (FROM is optional for a rule only Basic Ingest invokes). WHERE still does.
        """
        if not basic_ingest and not self.matches(topic):
            return None
        try:
            document = json.loads(payload)
        except ValueError:  # covers bad UTF-8 and bad JSON
            return None
        if not isinstance(document, dict):
            return None
        ctx = _Ctx(topic, document, now_ms, client_id)
        if self._where is not None and _as_bool(self._where(ctx)) is not True:
            return None
        result: dict[str, Any] = {}
        for item in self._items:
            if item.expr is None:
                result.update(document)
            elif (value := item.expr(ctx)) is not UNDEFINED:
                result[item.key or ""] = value
        return result


def parse_rule(sql: str) -> TopicRule:
    """Parse ``SELECT ... [FROM 'filter'] [WHERE ...]``; raise RuleSqlError on anything unsupported."""
    items, topic_filter, where = _Parser(sql).statement()
    if topic_filter is not None:
        _check_filter(topic_filter)
    return TopicRule(sql, topic_filter, tuple(items), where)
