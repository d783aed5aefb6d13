"""Load a SAM template into plain data, describe its functions, and resolve CloudFormation intrinsics.

The local cloud reads everything from template.yaml through this module so it cannot drift from production.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml

__all__ = [
    "NO_VALUE",
    "ApiEvent",
    "EventBridgeRuleEvent",
    "EventSpec",
    "FunctionSpec",
    "GenericEvent",
    "IoTRuleEvent",
    "PhysicalResource",
    "Resolver",
    "ScheduleEvent",
    "SqsEvent",
    "Template",
    "TemplateError",
    "UnresolvableError",
    "load_template",
    "load_yaml",
    "merge_globals",
    "parse_event",
    "references",
    "to_env_string",
]

DEFAULT_ACCOUNT_ID: Final = "123456789012"
DEFAULT_REGION: Final = "us-east-1"
DEFAULT_PARTITION: Final = "aws"
DEFAULT_STACK_NAME: Final = "courtyard-local"

FUNCTION_TYPE: Final = "AWS::Serverless::Function"
LAYER_TYPES: Final = frozenset({"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"})

# SAM's own defaults for a function that sets neither the property nor a Global.
_DEFAULT_TIMEOUT: Final = 3
_DEFAULT_MEMORY: Final = 128


class TemplateError(Exception):
    """The template is malformed or uses something this loader does not support."""


class UnresolvableError(TemplateError):
    """An intrinsic refers to something that is not known (missing resource, parameter, attribute)."""


# --------------------------------------------------------------------------------------------- YAML loading


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form tags."""


# CloudFormation reads `2010-09-09` and similar scalars as strings, never as dates.
_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise TemplateError(f"unsupported YAML node {node!r}")


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value = _construct_node(loader, node)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        # "Resource.Attr.Nested" -> ["Resource", "Attr.Nested"]: only the first dot separates the resource.
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(text: str) -> Any:
    """Parse CloudFormation YAML (or JSON) text, turning short-form tags into long-form dicts."""
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - _CfnLoader is a SafeLoader subclass


# --------------------------------------------------------------------------------------------- Globals


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """Merge a Globals value into a resource value the way SAM documents it.

    Maps are merged key by key (the resource wins on duplicates), lists are additive with the Globals
    entries prepended, and primitives (intrinsic functions such as !Ref count as primitives) from the
    resource replace the Global.
    """
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if _is_intrinsic(global_value) or _is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


# --------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class ApiEvent:
    """An `Api` (REST API, v1 proxy) event."""

    name: str
    path: str
    method: str
    auth_none: bool = False
    rest_api: Any = None


@dataclass(frozen=True)
class SqsEvent:
    """An `SQS` event source mapping; `queue` is the unresolved queue ARN expression."""

    name: str
    queue: Any
    batch_size: int = 10
    report_batch_item_failures: bool = False
    maximum_batching_window: int = 0
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleEvent:
    """A `Schedule` (EventBridge rule) or `ScheduleV2` (EventBridge Scheduler) event."""

    name: str
    schedule: str
    enabled: bool = True
    input: str | None = None


@dataclass(frozen=True)
class IoTRuleEvent:
    """An `IoTRule` event: a topic rule whose SQL selects what the function receives."""

    name: str
    sql: str
    sql_version: str | None = None


@dataclass(frozen=True)
class EventBridgeRuleEvent:
    """An `EventBridgeRule` / `CloudWatchEvent` event; `bus` is unresolved (None means the default bus)."""

    name: str
    pattern: Any
    bus: Any = None
    input: str | None = None
    input_path: str | None = None


@dataclass(frozen=True)
class GenericEvent:
    """Any other event type, kept as written."""

    name: str
    type: str
    properties: dict[str, Any] = field(default_factory=dict)


EventSpec = ApiEvent | SqsEvent | ScheduleEvent | IoTRuleEvent | EventBridgeRuleEvent | GenericEvent
_E = TypeVar("_E", ApiEvent, SqsEvent, ScheduleEvent, IoTRuleEvent, EventBridgeRuleEvent, GenericEvent)


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _as_int(value: Any, default: int) -> int:
    if value is None:
        return default
    return int(value)


def _input_string(value: Any) -> str | None:
    # SAM takes Input as a JSON string; a mapping written in YAML is serialised the same way.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def parse_event(name: str, event: Mapping[str, Any]) -> EventSpec:
    """Turn one entry of a function's `Events` into a typed spec."""
    event_type = str(event.get("Type", ""))
    props: dict[str, Any] = dict(event.get("Properties") or {})
    if event_type == "Api":
        auth = props.get("Auth") or {}
        return ApiEvent(
            name=name,
            path=str(props["Path"]),
            method=str(props["Method"]).upper(),
            auth_none=isinstance(auth, dict) and auth.get("Authorizer") == "NONE",
            rest_api=props.get("RestApiId"),
        )
    if event_type == "SQS":
        return SqsEvent(
            name=name,
            queue=props["Queue"],
            batch_size=_as_int(props.get("BatchSize"), 10),
            report_batch_item_failures="ReportBatchItemFailures"
            in (props.get("FunctionResponseTypes") or []),
            maximum_batching_window=_as_int(props.get("MaximumBatchingWindowInSeconds"), 0),
            enabled=_as_bool(props.get("Enabled"), True),
        )
    if event_type == "Schedule":
        return ScheduleEvent(
            name=name,
            schedule=str(props["Schedule"]),
            enabled=_as_bool(props.get("Enabled"), True) and props.get("State", "ENABLED") != "DISABLED",
            input=_input_string(props.get("Input")),
        )
    if event_type == "ScheduleV2":
        return ScheduleEvent(
            name=name,
            schedule=str(props["ScheduleExpression"]),
            enabled=props.get("State", "ENABLED") != "DISABLED",
            input=_input_string(props.get("Input")),
        )
    if event_type == "IoTRule":
        version = props.get("AwsIotSqlVersion")
        return IoTRuleEvent(
            name=name, sql=str(props["Sql"]), sql_version=None if version is None else str(version)
        )
    if event_type in {"EventBridgeRule", "CloudWatchEvent"}:
        return EventBridgeRuleEvent(
            name=name,
            pattern=props.get("Pattern"),
            bus=props.get("EventBusName"),
            input=_input_string(props.get("Input")),
            input_path=props.get("InputPath"),
        )
    return GenericEvent(name=name, type=event_type, properties=props)


# --------------------------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Serverless::Function with Globals merged; values are still unresolved intrinsics."""

    logical_id: str
    handler: str
    code_uri: Path
    runtime: str | None
    architectures: list[str]
    layer_dirs: list[Path]
    timeout: int
    memory: int
    environment: dict[str, Any]
    events: list[EventSpec]
    properties: dict[str, Any]

    def resolved_environment(self, resolver: Resolver) -> dict[str, str]:
        """The environment a Lambda would see: every value resolved and rendered as a string."""
        resolved = resolver.resolve(self.environment) or {}
        return {str(key): to_env_string(value) for key, value in resolved.items() if value is not None}

    def events_of(self, kind: type[_E]) -> list[_E]:
        """The events of one spec class, e.g. `spec.events_of(SqsEvent)`."""
        return [event for event in self.events if isinstance(event, kind)]


def to_env_string(value: Any) -> str:
    """Render a resolved value the way CloudFormation stringifies it into a Lambda environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ",".join(to_env_string(item) for item in value)
    return json.dumps(value)


# --------------------------------------------------------------------------------------------- template


@dataclass
class Template:
    """A parsed SAM/CloudFormation template."""

    path: Path
    body: dict[str, Any]

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.body.get("Resources") or {}
        return resources

    @property
    def parameter_definitions(self) -> dict[str, dict[str, Any]]:
        definitions: dict[str, dict[str, Any]] = self.body.get("Parameters") or {}
        return definitions

    @property
    def parameters(self) -> dict[str, Any]:
        """Parameter defaults (list-typed parameters split on commas, as CloudFormation does)."""
        return {
            name: _parameter_value(definition, definition["Default"])
            for name, definition in self.parameter_definitions.items()
            if "Default" in definition
        }

    @property
    def globals(self) -> dict[str, Any]:
        value: dict[str, Any] = self.body.get("Globals") or {}
        return value

    @property
    def conditions(self) -> dict[str, Any]:
        value: dict[str, Any] = self.body.get("Conditions") or {}
        return value

    @property
    def mappings(self) -> dict[str, Any]:
        value: dict[str, Any] = self.body.get("Mappings") or {}
        return value

    @property
    def outputs(self) -> dict[str, Any]:
        value: dict[str, Any] = self.body.get("Outputs") or {}
        return value

    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"no resource {logical_id!r} in {self.path}") from None

    def resource_type(self, logical_id: str) -> str:
        return str(self.resource(logical_id).get("Type", ""))

    def properties(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.resource(logical_id).get("Properties") or {}
        return props

    def resources_of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res.get("Type") in types}

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's properties with Globals.Function merged in."""
        merged: dict[str, Any] = merge_globals(
            self.globals.get("Function") or {}, self.properties(logical_id)
        )
        return merged

    def functions(self) -> list[FunctionSpec]:
        return [self.function(lid) for lid in self.resources_of_type(FUNCTION_TYPE)]

    def function(self, logical_id: str) -> FunctionSpec:
        if self.resource_type(logical_id) != FUNCTION_TYPE:
            raise TemplateError(f"{logical_id} is not an {FUNCTION_TYPE}")
        props = self.function_properties(logical_id)
        code_uri = props.get("CodeUri", ".")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: only a local CodeUri path can run locally, got {code_uri!r}")
        environment = (props.get("Environment") or {}).get("Variables") or {}
        events = props.get("Events") or {}
        return FunctionSpec(
            logical_id=logical_id,
            handler=str(props.get("Handler", "")),
            code_uri=(self.directory / code_uri).resolve(),
            runtime=props.get("Runtime"),
            architectures=list(props.get("Architectures") or ["x86_64"]),
            layer_dirs=self._layer_dirs(props.get("Layers") or []),
            timeout=_as_int(props.get("Timeout"), _DEFAULT_TIMEOUT),
            memory=_as_int(props.get("MemorySize"), _DEFAULT_MEMORY),
            environment=dict(environment),
            events=[parse_event(name, event) for name, event in events.items()],
            properties=props,
        )

    def _layer_dirs(self, layers: list[Any]) -> list[Path]:
        dirs: list[Path] = []
        for layer in layers:
            # Only layers built from this template have local content; published layer ARNs are skipped.
            if not (isinstance(layer, dict) and isinstance(layer.get("Ref"), str)):
                continue
            resource = self.resources.get(layer["Ref"])
            if resource is None or resource.get("Type") not in LAYER_TYPES:
                continue
            props = resource.get("Properties") or {}
            content = props.get("ContentUri", props.get("Content"))
            if isinstance(content, str):
                dirs.append((self.directory / content).resolve())
        return dirs


def _parameter_value(definition: Mapping[str, Any], value: Any) -> Any:
    kind = str(definition.get("Type", "String"))
    if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    return value


def load_template(path: str | Path) -> Template:
    """Read and parse a SAM/CloudFormation template file."""
    template_path = Path(path).resolve()
    body = load_yaml(template_path.read_text(encoding="utf-8"))
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise TemplateError(f"{template_path} is not a CloudFormation template (no Resources section)")
    return Template(path=template_path, body=body)


# --------------------------------------------------------------------------------------------- resolver


@dataclass(frozen=True)
class PhysicalResource:
    """What a created (or simulated) resource answers to `Ref` and `Fn::GetAtt`."""

    logical_id: str
    type: str
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "type": self.type,
            "ref": self.ref,
            "attributes": self.attributes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhysicalResource:
        return cls(
            logical_id=str(data["logical_id"]),
            type=str(data["type"]),
            ref=str(data["ref"]),
            attributes={str(k): str(v) for k, v in (data.get("attributes") or {}).items()},
        )


class _NoValue:
    """AWS::NoValue: removes the enclosing property or list item."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Resolves CloudFormation intrinsic functions against a map of physical resources."""

    def __init__(
        self,
        template: Template,
        physical: Mapping[str, PhysicalResource],
        parameters: Mapping[str, Any] | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region: str = DEFAULT_REGION,
        partition: str = DEFAULT_PARTITION,
        stack_name: str = DEFAULT_STACK_NAME,
        imports: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.physical = physical
        definitions = template.parameter_definitions
        overrides = {
            name: _parameter_value(definitions.get(name, {}), value)
            for name, value in (parameters or {}).items()
        }
        self.parameters: dict[str, Any] = {**template.parameters, **overrides}
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.stack_name = stack_name
        self.imports = dict(imports or {})
        self._conditions: dict[str, bool] = {}
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::If": self._if,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAZs": self._get_azs,
            "Fn::Base64": lambda arg: base64.b64encode(str(self._resolve(arg)).encode()).decode(),
            "Fn::ImportValue": self._import_value,
            "Fn::ToJsonString": lambda arg: json.dumps(self.resolve(arg), separators=(",", ":")),
            "Fn::Length": lambda arg: len(self._resolve(arg)),
            "Fn::Equals": lambda arg: self._evaluate({"Fn::Equals": arg}),
            "Fn::Not": lambda arg: self._evaluate({"Fn::Not": arg}),
            "Fn::And": lambda arg: self._evaluate({"Fn::And": arg}),
            "Fn::Or": lambda arg: self._evaluate({"Fn::Or": arg}),
        }

    # -- public

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic inside `value`; AWS::NoValue removes items and yields None at the top."""
        resolved = self._resolve(value)
        return None if resolved is NO_VALUE else resolved

    def resolve_str(self, value: Any) -> str:
        return to_env_string(self.resolve(value))

    def condition(self, name: str) -> bool:
        """The value of a named condition from the template's Conditions section."""
        if name not in self._conditions:
            if name not in self.template.conditions:
                raise UnresolvableError(f"unknown condition {name!r}")
            self._conditions[name] = self._evaluate(self.template.conditions[name])
        return self._conditions[name]

    def ref(self, name: str) -> Any:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name].ref
        if name in self.template.parameter_definitions:
            raise UnresolvableError(f"parameter {name!r} has no value and no default")
        if name in self.template.resources:
            raise UnresolvableError(f"resource {name!r} has no physical resource (not provisioned)")
        raise UnresolvableError(f"Ref to unknown name {name!r}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.physical.get(logical_id)
        if resource is None:
            raise UnresolvableError(f"Fn::GetAtt {logical_id}.{attribute}: resource not provisioned")
        try:
            return resource.attributes[attribute]
        except KeyError:
            raise UnresolvableError(
                f"Fn::GetAtt {logical_id}.{attribute}: {resource.type} has no attribute {attribute!r}"
            ) from None

    # -- machinery

    def _pseudo(self, name: str) -> Any:
        pseudo: dict[str, Any] = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        return pseudo.get(name)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key,) = value
                if key == "Ref":
                    return self.ref(str(self._resolve(value[key])))
                handler = self._functions.get(key)
                if handler is not None:
                    return handler(value[key])
                if isinstance(key, str) and key.startswith("Fn::"):
                    raise UnresolvableError(f"unsupported intrinsic function {key}")
            resolved = {k: self._resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _get_att(self, argument: Any) -> str:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            logical_id, attribute = str(argument[0]), str(self._resolve(argument[1]))
        return self.get_att(logical_id, attribute)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self._resolve(argument[1] if len(argument) > 1 else {})
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                # ${!Literal} is CloudFormation's escape for a literal ${Literal}.
                return "${" + name[1:] + "}"
            if name in variables:
                return to_env_string(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                if logical_id in self.template.resources or logical_id in self.physical:
                    return self.get_att(logical_id, attribute)
            return to_env_string(self.ref(name))

        return _SUB_VARIABLE.sub(replace, str(text))

    def _join(self, argument: Any) -> str:
        delimiter, items = argument
        resolved = self._resolve(items)
        if not isinstance(resolved, list):
            raise UnresolvableError(f"Fn::Join needs a list, got {resolved!r}")
        return str(delimiter).join(to_env_string(item) for item in resolved)

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self._resolve(when_true if self.condition(str(name)) else when_false)

    def _select(self, argument: Any) -> Any:
        index, items = argument
        resolved = self._resolve(items)
        position = int(self._resolve(index))
        try:
            return resolved[position]
        except (IndexError, TypeError):
            raise UnresolvableError(f"Fn::Select index {position} out of range for {resolved!r}") from None

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = argument
        return str(self._resolve(text)).split(str(delimiter))

    def _find_in_map(self, argument: Any) -> Any:
        map_name, top_key, second_key = (self._resolve(part) for part in argument[:3])
        try:
            return self.template.mappings[map_name][top_key][second_key]
        except KeyError:
            if len(argument) > 3 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                return self._resolve(argument[3]["DefaultValue"])
            raise UnresolvableError(f"Fn::FindInMap {map_name}/{top_key}/{second_key} not found") from None

    def _get_azs(self, argument: Any) -> list[str]:
        region = self._resolve(argument) or self.region
        return [f"{region}{suffix}" for suffix in "abc"]

    def _import_value(self, argument: Any) -> str:
        name = str(self._resolve(argument))
        try:
            return self.imports[name]
        except KeyError:
            raise UnresolvableError(f"Fn::ImportValue {name!r}: no such export") from None

    def _evaluate(self, expression: Any) -> bool:
        if isinstance(expression, bool):
            return expression
        if isinstance(expression, str):
            return expression.lower() == "true"
        if isinstance(expression, dict) and len(expression) == 1:
            (key, argument), *_ = expression.items()
            if key == "Condition":
                return self.condition(str(argument))
            if key == "Fn::Equals":
                left, right = (to_env_string(self._resolve(side)) for side in argument)
                return left == right
            if key == "Fn::Not":
                return not self._evaluate(argument[0])
            if key == "Fn::And":
                return all(self._evaluate(item) for item in argument)
            if key == "Fn::Or":
                return any(self._evaluate(item) for item in argument)
        return bool(self._resolve(expression))


def references(value: Any) -> Iterator[str]:
    """Names that `value` refers to through Ref, Fn::GetAtt and Fn::Sub (resources, parameters, pseudos)."""
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                yield argument
            elif key == "Fn::GetAtt":
                target = argument.partition(".")[0] if isinstance(argument, str) else argument[0]
                yield str(target)
            elif key == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) else argument
                local = set(argument[1]) if isinstance(argument, list) and len(argument) > 1 else set()
                for match in _SUB_VARIABLE.finditer(str(text)):
                    name = match.group(1).strip()
                    if not name.startswith("!") and name not in local:
                        yield name.partition(".")[0] if not name.startswith("AWS::") else name
                if isinstance(argument, list) and len(argument) > 1:
                    yield from references(argument[1])
            else:
                yield from references(argument)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)
