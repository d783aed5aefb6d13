"""Valid values from the JSON Schemas of schemas/openapi.json, with seeded random variation.

Only what the API's schemas use is supported (the patterns below are every pattern the document has); an
unknown pattern fails loudly so the generator grows with the API instead of sending invalid bodies. Fields
named like an object id (``site_id``, ``bill_ids`` ...) get the victim's ids: a body is also an attack.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from courtyard.clock import to_iso

_ALNUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase


def _word(rng: random.Random, alphabet: str, low: int, high: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


# Every pattern schemas/openapi.json uses -> a generator of a matching string.
PATTERNS: dict[str, Callable[[random.Random], str]] = {
    r"^([01]\d|2[0-3]):[0-5]\d$": lambda r: f"{r.randint(0, 23):02d}:{r.choice([0, 15, 30, 45]):02d}",
    r"^(residential|commercial|parking)$": lambda r: r.choice(["residential", "commercial", "parking"]),
    r"^[0-9A-Za-z]+$": lambda r: _word(r, _ALNUM, 4, 12),
    r"^[0-9A-Za-z_-]+$": lambda r: _word(r, _ALNUM, 4, 12),
    r"^[A-Z]{3}$": lambda r: "CNY",
    r"^[A-Za-z0-9_.:-]+$": lambda r: _word(r, _ALNUM, 4, 12),
    r"^[a-z0-9][a-z0-9._-]+$": lambda r: _word(r, _LOWER, 4, 12),
    r"^[a-z][a-z0-9_]{0,63}$": lambda r: _word(r, _LOWER, 3, 12),
    r"^[a-z][a-z0-9_]{1,20}$": lambda r: "sandbox",
    r"^[a-z][a-z0-9_]{1,39}$": lambda r: _word(r, _LOWER, 3, 12),
    r"^\+?[0-9 ()-]{5,20}$": lambda r: "139" + _word(r, string.digits, 8, 8),
    r"^\d+(\.\d{1,2})?\s*(㎡|m²|m2|平方米|平米)?$": lambda r: f"{r.randint(40, 200)}.{r.randint(0, 99):02d}",
    r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$": lambda r: f"2026-{r.randint(1, 12):02d}",
    r"^\d{4}-\d{2}-\d{2}$": lambda r: f"2026-03-{r.randint(1, 28):02d}",
    # A month from which a price applies: a future one (a past month is refused before any lookup).
    r"^\d{4}-(0[1-9]|1[0-2])$": lambda r: f"2031-{r.randint(1, 12):02d}",
    r"^me$": lambda r: "me",
    # An invoice's number: 20 digits (a fully digital e-invoice).
    r"^[0-9]{8,20}$": lambda r: _word(r, string.digits, 20, 20),
    # A texted code (a change of phone number, an invitation's binding): six digits.
    r"^[0-9]{6}$": lambda r: _word(r, string.digits, 6, 6),
}


# Objects that take exactly one group of fields, by schema title: a rule test runs over readings or over a
# device's stored history between two times.
EXCLUSIVE: dict[str, list[tuple[str, ...]]] = {
    "RuleTestRequest": [("readings",), ("device_id", "start", "end")],
}
# Optional fields always sent: a note is what a failed quality check or a refusal needs.
ALWAYS = {"note"}


def prc_id_number(rng: random.Random) -> str:
    """An 18-character PRC ID number with a correct check character."""
    body = (
        f"3301{rng.randint(0, 99):02d}19{rng.randint(60, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )
    body += f"{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


class ValueMaker:
    """``ValueMaker(document, rng, ids, now).value(schema)``: a value valid against ``schema``."""

    def __init__(
        self,
        document: Mapping[str, Any],
        rng: random.Random,
        ids: Mapping[str, Sequence[str]],
        now: datetime,
    ) -> None:
        self._components = document["components"]["schemas"]
        self._rng = rng
        self._ids = ids
        self._now = now

    def component(self, name: str, field: str = "") -> Any:
        return self.value({"$ref": f"#/components/schemas/{name}"}, field)

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self._components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(self, schema: Mapping[str, Any], name: str = "") -> Any:
        schema = self.resolve(schema)
        rng = self._rng
        curated = CURATED.get(str(schema.get("title")))
        if curated is not None:
            return curated(self, rng)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            choices = list(schema["enum"])
            if name == "role":  # staff records take staff roles only; the rest is a validator's rule
                choices = [c for c in choices if c not in ("resident", "platform_admin")] or choices
            return rng.choice(choices)
        for union in ("oneOf", "anyOf"):
            if union in schema:
                options = [o for o in schema[union] if self.resolve(o).get("type") != "null"]
                return self.value(rng.choice(options), name)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], name)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = rng.choice([k for k in kind if k != "null"])
        if kind == "object" or "properties" in schema:
            return self._object(schema)
        if kind == "array":
            return self._array(schema, name)
        if kind == "string":
            return self._string(schema, name)
        if kind == "integer":
            return int(self._number(schema, integer=True))
        if kind == "number":
            return round(self._number(schema, integer=False), 2)
        if kind == "boolean":
            return rng.random() < 0.5
        # An unconstrained schema: any JSON value is valid; a short string is the least surprising.
        return _word(rng, _LOWER, 3, 8)

    def _object(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        rng = self._rng
        properties: Mapping[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        chosen = [
            key
            for key, sub in properties.items()
            if key in required or key in ALWAYS or "const" in self.resolve(sub) or rng.random() < 0.5
        ]
        if properties and not chosen:  # an update with nothing to change is refused before anything else
            chosen = [rng.choice(sorted(properties))]
        groups = EXCLUSIVE.get(str(schema.get("title")))
        if groups:
            picked = rng.choice(groups)
            grouped = {key for group in groups for key in group}
            chosen = [k for k in chosen if k not in grouped] + list(picked)
        result = {key: self.value(properties[key], key) for key in chosen}
        _consistent(result, rng)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping) and not properties:
            names = self.resolve(schema.get("propertyNames", {}))
            wanted = max(1, int(schema.get("minProperties", 1)))
            for _ in range(wanted):
                key = rng.choice(names["enum"]) if "enum" in names else _word(rng, _LOWER, 3, 8)
                result[key] = self.value(extra, key)
        return result

    def _array(self, schema: Mapping[str, Any], name: str) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = min(int(schema.get("maxItems", low + 2)), low + 2)
        items = schema.get("items", {})
        if "properties" in self.resolve(items):
            high = max(low, 1)  # one zone, one reading: several may not name the same unit or site
        count = self._rng.randint(max(low, 1 if low else 0), max(low, high))
        singular = name[:-1] if name.endswith("s") else name
        values: list[Any] = []
        for _ in range(count * 3):
            if len(values) == count:
                break
            candidate = self.value(items, singular)
            if candidate not in values:  # ids, enums and days must not repeat
                values.append(candidate)
        return values

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        rng = self._rng
        low, high = int(schema.get("minLength", 1)), int(schema.get("maxLength", 24))
        fmt, pattern = schema.get("format"), schema.get("pattern")
        if name.endswith("_id") and self._ids.get(name):
            return rng.choice(list(self._ids[name]))
        if schema.get("examples") and not pattern:
            return str(rng.choice(schema["examples"]))
        if fmt == "date-time":
            return to_iso(self._now + timedelta(hours=rng.randint(1, 72)))
        if fmt == "date" and name in ("from", "to"):  # a range: from in the past, to not before it
            days = -rng.randint(7, 60) if name == "from" else rng.randint(0, 5)
            return (self._now + timedelta(days=days)).date().isoformat()
        if fmt == "date":
            return (self._now + timedelta(days=rng.randint(-30, 30))).date().isoformat()
        if fmt == "time":
            return f"{rng.randint(0, 23):02d}:{rng.choice([0, 30]):02d}:00"
        if pattern is not None:
            if pattern not in PATTERNS:
                raise KeyError(f"no generator for the pattern {pattern!r} (field {name!r})")
            return PATTERNS[pattern](rng)
        text = self._named(name)
        if text is None:
            text = _word(rng, _ALNUM + " ", max(low, 1), max(low, min(high, 16))).strip() or "x"
        if len(text) < low:
            text = text + "x" * (low - len(text))
        return text[:high]

    def _named(self, name: str) -> str | None:
        """Fields whose rules live in validators rather than in the schema."""
        rng = self._rng
        if name.endswith("phone"):
            return "139" + _word(rng, string.digits, 8, 8)
        if name.endswith("email"):
            return f"{_word(rng, _LOWER, 4, 8)}@example.com"
        if name == "id_number":
            return prc_id_number(rng)
        if name in ("start", "end", "quiet_start", "quiet_end"):
            return f"{rng.randint(0, 23):02d}:{rng.choice([0, 30]):02d}"
        if name == "timezone":
            return "Asia/Shanghai"
        if name == "currency":
            return "CNY"
        return None

    def _number(self, schema: Mapping[str, Any], *, integer: bool) -> float:
        step = 1 if integer else 0.01
        low = float(schema.get("minimum", schema.get("exclusiveMinimum", -step) + step))
        low = max(low, 0.0) if "minimum" not in schema and "exclusiveMinimum" not in schema else low
        high = float(schema.get("maximum", schema.get("exclusiveMaximum", low + 100 + step) - step))
        high = min(high, low + 1000)
        if integer:
            return float(self._rng.randint(int(low), int(high)))
        return self._rng.uniform(low, high)


_ORDERING = (">", ">=", "<", "<=")
_EQUALITY = ("==", "!=")


def _consistent(result: dict[str, Any], rng: random.Random) -> None:
    """Cross-field rules the schema cannot say (validators in the models), applied to a generated object."""
    if isinstance(result.get("previous"), int) and isinstance(result.get("current"), int):
        result["current"] = result["previous"] + rng.randint(0, 500)  # meters only count up
    if "op" in result and "per_minute" in result:
        result["op"] = rng.choice(_ORDERING)  # a rate of change is ordered
    if "op" in result and "value" in result:
        numeric = isinstance(result["value"], int | float) and not isinstance(result["value"], bool)
        result["op"] = rng.choice(_ORDERING + _EQUALITY if numeric else _EQUALITY)
    condition = result.get("condition")
    if isinstance(condition, dict) and condition.get("type") == "heartbeat":
        result.pop("active_hours", None)  # a heartbeat rule watches around the clock
    if isinstance(result.get("start"), str) and isinstance(result.get("end"), str) and "device_id" in result:
        result["start"], result["end"] = sorted([result["start"], result["end"]])


def _rule_spec(maker: ValueMaker, rng: random.Random) -> dict[str, Any]:
    """A valid alarm rule: its validators (operators per value type, clear bands, hours) are many, so the
    variation is drawn from four known-good shapes instead of from the bare schema."""
    condition = rng.choice(
        [
            {"type": "threshold", "metric": "vibration_mm_s", "op": ">", "value": rng.randint(5, 40) / 2},
            {
                "type": "threshold",
                "metric": "door_open",
                "op": "==",
                "value": True,
                "for_s": rng.randint(0, 600),
            },
            {"type": "rate", "metric": "pressure_kpa", "op": "<", "per_minute": -rng.randint(1, 50)},
            {"type": "event", "event": "door_forced", "clear_after_s": rng.randint(60, 3600)},
            {"type": "heartbeat", "timeout_s": rng.randint(60, 3600)},
        ]
    )
    spec: dict[str, Any] = {
        "name": f"rule {rng.randrange(10**6)}",
        "scope": rng.choice(
            [{"device_kind": "elevator"}, {"device_kind": "water_pressure"}, {"device_kind": "gate"}]
        ),
        "condition": condition,
        "severity": maker.component("Severity"),
        "enabled": rng.random() < 0.5,
    }
    if condition["type"] != "heartbeat" and rng.random() < 0.5:
        spec["active_hours"] = {
            "start": "08:00",
            "end": "18:00",
            "weekdays": sorted(rng.sample(range(1, 8), 3)),
        }
    if rng.random() < 0.5:
        spec["actions"] = maker.component("Actions")
    return spec


def _test_reading(maker: ValueMaker, rng: random.Random) -> dict[str, Any]:
    at = maker.value({"type": "string", "format": "date-time"})
    return {"ts": at, "metrics": {"vibration_mm_s": rng.randint(0, 100) / 10}}


def _invoice_request(maker: ValueMaker, rng: random.Random) -> dict[str, Any]:
    # The title type decides whether a tax number belongs (a model validator, not the schema's shape); an
    # 18-character code must carry its check character, so a real one from the standard's examples.
    if rng.random() < 0.5:
        return {"title_type": "personal", "title": "王" + _word(rng, "明华丽军", 1, 2)}
    return {"title_type": "company", "title": "绿城物业服务有限公司", "tax_number": "91350100M000100Y43"}


CURATED: dict[str, Callable[[ValueMaker, random.Random], Any]] = {
    "RuleSpec": _rule_spec,
    "TestReading": _test_reading,
    "InvoiceRequestCreate": _invoice_request,
}
