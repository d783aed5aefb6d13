"""The local cloud: every piece of template.yaml running on one machine, with no AWS account and no Docker.

moto server is the AWS endpoint (resources provisioned from the template), Chalice's local server is API
Gateway, amqtt plus a rule bridge is IoT Core, pollers are the SQS event source mappings, a scheduler runs the
Schedule events, and each function runs in its own worker process with exactly its template environment.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from infra.local import moto_memory, moto_speed
from infra.local.auth import CognitoVerifier, CourtyardVerifier, EitherVerifier
from infra.local.cognito_triggers import cognito_triggers, pre_token_function
from infra.local.control import ControlServer
from infra.local.edge import WebConfig, WebEdge
from infra.local.functions import FunctionPool, WorkerSpec
from infra.local.gateway import LocalApiGateway, Route
from infra.local.iot_sql import parse_rule
from infra.local.mqtt import LocalIot
from infra.local.operator import operator_setup
from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack, provision
from infra.local.scheduler import ScheduledJob, Scheduler, parse_schedule
from infra.local.sqs_mappings import start_pollers, stop_pollers
from infra.local.sqs_poller import SqsPoller
from infra.local.template import (
    ApiEvent,
    FunctionSpec,
    IoTRuleEvent,
    ScheduleEvent,
    Template,
    load_template,
)
from infra.local.voice_persona import VoicePersona
from infra.local.wechat_login_persona import register_provisioned_app
from infra.secure_parameters import declared_name, read_json, write_json

log = logging.getLogger("courtyard.local")
# moto's server logs every AWS request; the local cloud's own log says what matters.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

REGION = "us-east-1"
# How long stop() waits for each thread once the workers are gone (they only have to notice the stop).
_JOIN_S = 3.0
ACCOUNT_ID = "123456789012"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = ROOT / "template.yaml"
STATE_DIR = ROOT / ".local"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass
class CloudInfo:
    """How to reach a running local cloud; written to .local/cloud.json for the CLI."""

    api_url: str
    mqtt_url: str
    aws_endpoint: str
    control_url: str
    region: str
    stage: str
    user_pool_id: str
    user_pool_client_id: str
    functions: list[str]
    startup_s: float
    stack: dict[str, Any] = field(default_factory=dict)
    demo: dict[str, Any] | None = None
    web_url: str = ""  # the web edge: the console is at {web_url}/console/
    voice_url: str = ""  # the telephony persona: its placed calls are in the outbox

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def load(cls, path: Path) -> CloudInfo:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def overridden(environment: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """``environment`` with ``overrides`` applied to the variables it already has (none is added)."""
    return {**environment, **{name: value for name, value in overrides.items() if name in environment}}


class LocalCloud:
    def __init__(
        self,
        template_path: Path = DEFAULT_TEMPLATE,
        *,
        state_dir: Path = STATE_DIR,
        host: str = "127.0.0.1",
        api_port: int = 0,
        mqtt_port: int = 0,
        aws_port: int = 0,
        web_port: int = 0,
        run_schedules: bool = True,
        stage: str | None = None,
        environment_overrides: dict[str, str] | None = None,
    ) -> None:
        """``environment_overrides``: new values for variables the template already gives a function (a
        bench's knob, e.g. ``SMS_QUIET_HOURS``); a variable no function declares is never added."""
        self.template: Template = load_template(template_path)
        self._environment_overrides = dict(environment_overrides or {})
        self.state_dir = state_dir
        self.host = host
        self._ports = (api_port, mqtt_port, aws_port)
        self._web_port = web_port
        self._run_schedules = run_schedules
        self.stage = stage or str(self.template.parameters.get("Stage", "dev"))
        self.stack: Stack | None = None
        self.pool: FunctionPool | None = None
        self.gateway: LocalApiGateway | None = None
        self.iot: LocalIot | None = None
        self.pollers: list[SqsPoller] = []
        self.scheduler: Scheduler | None = None
        self.info: CloudInfo | None = None
        self._moto: ThreadedMotoServer | None = None
        self._async = ThreadPoolExecutor(max_workers=4, thread_name_prefix="async-invoke")
        self._control: ControlServer | None = None
        self.edge: WebEdge | None = None
        self.pay_sandbox = PaySandbox(host=host)
        self._wechat_app_id = ""  # the provisioned WeChat login app's, for the residents' app
        self.voice = VoicePersona(host=host)
        self._edge_socket: socket.socket | None = None
        self._hooks = ExitStack()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> CloudInfo:
        """Start every piece; if one fails (a worker that does not start: StartError), what started is
        stopped again, so a failed start leaves no process or port behind."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> CloudInfo:
        started = time.perf_counter()
        # Before moto serves a request: its transactions and records must not grow with every request.
        moto_memory.install()
        moto_speed.install()  # and it does not list its own package folder for each request
        api_port, mqtt_port, aws_port = self._ports
        self._moto = ThreadedMotoServer(ip_address=self.host, port=aws_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        self.session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )
        self.endpoint = endpoint
        # The payments function reaches the sandbox payment provider through a template parameter.
        sandbox_url = self.pay_sandbox.start()
        # ... and the notifications senders the telephony persona (Aliyun's voice API as its own API).
        voice_url = self.voice.start()
        # The web edge's address is known before the stack: visitors' share links point at its /m app.
        self._edge_socket = socket.create_server((self.host, self._web_port))
        edge_host, edge_port = self._edge_socket.getsockname()[:2]
        self.stack = provision(
            self.template,
            endpoint_url=endpoint,
            session=self.session,
            parameters={
                "PaymentSandboxUrl": sandbox_url,
                "VoiceApiUrl": voice_url,
                "PassShareBaseUrl": f"http://{edge_host}:{edge_port}/m",
                # moto runs no Cognito trigger, so no local token carries the TOTP mark (courtyard.mfa).
                "RequireMfa": "false",
                # WeChat Pay's and Alipay's personas notify through the web edge, as CloudFront's /api/*.
                "PaymentNotifyBaseUrl": f"http://{edge_host}:{edge_port}/api",
                # Residents' WeChat login exchanges its codes with the sandbox's WeChat persona.
                "WeChatApiBase": f"{sandbox_url}/wechat-api",
            },
        )
        functions = self.template.functions()
        operator_setup((self.stack.function_environment(f) for f in functions), self.client)
        self.pool = FunctionPool([self._worker_spec(f, endpoint) for f in functions], self.state_dir / "logs")
        self.pool.start()
        self._hooks.enter_context(cognito_triggers(self._pre_token_trigger()))

        pool_id, client_id = self._user_pool()
        routes = [
            Route(function_id=f.logical_id, path=e.path, method=e.method, authorized=not e.auth_none)
            for f in functions
            for e in f.events_of(ApiEvent)
        ]
        verifier = EitherVerifier(CognitoVerifier(endpoint, pool_id, client_id, REGION))
        self.gateway = LocalApiGateway(
            routes,
            self.pool.invoke,
            verifier,
            stage=self.stage,
            host=self.host,
            port=api_port,
        )
        api_url = self.gateway.start()
        identity = next((f for f in functions if f.logical_id == "IdentityFunction"), None)
        if identity is not None:
            issuer = self.stack.function_environment(identity)["IDENTITY_ISSUER"]
            verifier.attach(CourtyardVerifier(f"{api_url}/identity/jwks", issuer))
        self._connect_pay_sandbox(api_url)
        self._connect_voice(api_url)

        rules = [(f.logical_id, parse_rule(e.sql)) for f in functions for e in f.events_of(IoTRuleEvent)]
        names: list[str | None] = [None] * len(rules)
        for function_id, sql, name in named_topic_rules(self.template, self.stack):
            rules.append((function_id, parse_rule(sql)))
            names.append(name)
        self.iot = LocalIot(rules, self._invoke_async, host=self.host, port=mqtt_port, rule_names=names)
        self.iot.start()

        self._start_pollers(functions)
        jobs = [
            ScheduledJob(
                function_id=f.logical_id,
                name=e.name,
                schedule=parse_schedule(e.schedule),
                input=json.loads(e.input) if e.input else None,
                enabled=e.enabled and self._run_schedules,
            )
            for f in functions
            for e in f.events_of(ScheduleEvent)
        ]
        self.scheduler = Scheduler(jobs, self._invoke_async)
        self.scheduler.start()

        self._control = ControlServer(self, host=self.host)
        control_url = self._control.start()
        web_url = self._start_edge(api_url, endpoint, pool_id, client_id)
        self.info = CloudInfo(
            api_url=api_url,
            mqtt_url=self.iot.url,
            aws_endpoint=endpoint,
            control_url=control_url,
            region=REGION,
            stage=self.stage,
            user_pool_id=pool_id,
            user_pool_client_id=client_id,
            functions=[f.logical_id for f in functions],
            startup_s=round(time.perf_counter() - started, 2),
            stack=json.loads(self.stack.to_json()),
            web_url=web_url,
            voice_url=voice_url,
        )
        self.write_state()
        return self.info

    def stop(self) -> None:
        """Stop in seconds, whatever is in flight: everything is told to stop first, then every worker
        process gets SIGTERM at once (an invocation in flight ends with an error instead of being waited
        for, and nothing respawns a worker), then the threads are joined briefly and moto stops last."""
        if self.edge is not None:
            self.edge.stop()
        if self._control is not None:
            self._control.stop()
            self._control = None
        if self.scheduler is not None:
            self.scheduler.request_stop()
        pollers_asked = time.monotonic()
        for poller in self.pollers:
            poller.request_stop()
        if self.gateway is not None:
            self.gateway.stop()
        if self.pool is not None:
            self.pool.stop()
        if self.iot is not None:
            self.iot.stop()
        if self.scheduler is not None:
            self.scheduler.stop(timeout_s=_JOIN_S)
        # A poller is at most one long poll from noticing: its invocation already ended.
        stop_pollers(self.pollers, pollers_asked)
        self._async.shutdown(wait=False, cancel_futures=True)
        self.pay_sandbox.stop()
        self.voice.stop()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        self._hooks.close()
        state = self.state_dir / "cloud.json"
        if state.exists():
            state.unlink()

    def _pre_token_trigger(self) -> Any:
        """The user pool's pre-token trigger as a call into its function's worker (moto runs none itself)."""
        pools = self.template.resources_of_type("AWS::Cognito::UserPool")
        names = [pre_token_function(r.get("Properties") or {}) for r in pools.values()]
        function_id = next((n for n in names if n), None)
        pool = self.pool
        if function_id is None or pool is None:
            return None
        return lambda event: pool.invoke(function_id, event)

    def pids(self) -> list[int]:
        """The process ids of the cloud's worker processes running now (moto, the gateway, the broker and the
        pollers are threads of this process)."""
        return self.pool.pids() if self.pool is not None else []

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def write_state(self) -> None:
        assert self.info is not None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "cloud.json").write_text(self.info.to_json(), encoding="utf-8")

    # ------------------------------------------------------------------ operations
    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        """A synchronous (RequestResponse) invocation."""
        assert self.pool is not None
        return self.pool.invoke(function_id, event)

    def fire(self, function_id: str, name: str | None = None) -> Any:
        """Run a scheduled function now, with the event its schedule would deliver, and wait for it."""
        assert self.scheduler is not None
        jobs = [j for j in self.scheduler.jobs if j.function_id == function_id and name in (None, j.name)]
        if not jobs:
            raise KeyError(f"{function_id} has no schedule{f' named {name}' if name else ''}")
        return self.invoke(function_id, self.scheduler.build_event(jobs[0], datetime.now(UTC)))

    def _invoke_async(self, function_id: str, event: dict[str, Any]) -> None:
        # Event invocations: the caller never waits; failures are logged as Lambda's async errors would be.
        def run() -> None:
            try:
                self.invoke(function_id, event)
            except Exception:
                log.exception("asynchronous invocation of %s failed", function_id)

        self._async.submit(run)

    # ------------------------------------------------------------------ wiring
    def _worker_spec(self, function: FunctionSpec, endpoint: str) -> WorkerSpec:
        assert self.stack is not None
        name = self.stack.ref(function.logical_id)
        environment = {
            **function.resolved_environment(self.stack.resolver),
            # What the Lambda runtime itself sets, and the local endpoint boto3 picks up by itself.
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            # There is no X-Ray daemon on this machine.
            "POWERTOOLS_TRACE_DISABLED": "true",
            **FAKE_CREDENTIALS,
        }
        environment = overridden(environment, self._environment_overrides)
        return WorkerSpec(
            function_id=function.logical_id,
            function_name=name,
            handler=function.handler,
            environment=environment,
            python_path=(str(function.code_uri), *(str(d) for d in function.layer_dirs), str(ROOT)),
            timeout_s=float(function.timeout),
            memory_mb=function.memory,
        )

    def _start_edge(self, api_url: str, endpoint: str, pool_id: str, client_id: str) -> str:
        """CloudFront's part: the web apps, /api/* and the apps' Cognito calls on one origin."""
        config = WebConfig(
            apiBase="/api",
            region=REGION,
            userPoolId=pool_id,
            userPoolClientId=client_id,
            cognitoEndpoint="/_cognito/",
            stage=self.stage,
            requireMfa=self.stack.parameters.get("RequireMfa", "true") == "true" if self.stack else True,
            # The browser reaches WeChat's OAuth page at the sandbox's persona, as a phone reaches WeChat's.
            wechatAuthorizeUrl=f"{self.pay_sandbox.url}/wechat-api/connect/oauth2/authorize",
            wechatAppId=self._wechat_app_id,
        )
        self.edge = WebEdge(api_url, endpoint, config, listening=self._edge_socket)
        return self.edge.start()

    def _connect_pay_sandbox(self, api_url: str) -> None:
        assert self.stack is not None
        ssm, body = self.client("ssm"), self.template.body
        if wechat := declared_name(body, self.stage, "wechat-login"):
            # The persona knows the app the identity function signs residents in with (WeChat login).
            self._wechat_app_id = register_provisioned_app(
                self.pay_sandbox.wechat_login, read_json(ssm, wechat)
            )
        if providers := declared_name(body, self.stage, "payments-providers"):
            secret = str(read_json(ssm, providers).get("sandbox_secret", ""))
            self.pay_sandbox.connect(secret, f"{api_url}/payments/webhooks/sandbox")

    def _connect_voice(self, api_url: str) -> None:
        """Write the persona's account into the deployment's voice parameter, as an operator writes Aliyun's,
        and point the persona's call reports at the API."""
        if name := declared_name(self.template.body, self.stage, "voice-provider"):
            write_json(self.client("ssm"), name, self.voice.secret_document())
            self.voice.callback_url = f"{api_url}/voice/callbacks"

    def open_merchant(self, tenant_id: str, partner: bool = False) -> None:
        """Give a firm WeChat Pay and Alipay merchant accounts at the sandbox's personas: their keys go into
        the firm's merchant secret, as an operator onboarding the firm's merchant account would put them."""
        assert self.stack is not None
        payments = next((f for f in self.template.functions() if f.logical_id == "PaymentsFunction"), None)
        prefix = (
            self.stack.function_environment(payments).get("MERCHANT_SECRET_PREFIX", "") if payments else ""
        )
        if prefix:
            self.client("secretsmanager").create_secret(
                Name=f"{prefix}{tenant_id}", SecretString=self.pay_sandbox.merchant_secret(tenant_id, partner)
            )

    def _user_pool(self) -> tuple[str, str]:
        assert self.stack is not None
        pools = list(self.template.resources_of_type("AWS::Cognito::UserPool"))
        clients = list(self.template.resources_of_type("AWS::Cognito::UserPoolClient"))
        if not pools or not clients:
            return "", ""
        return self.stack.ref(pools[0]), self.stack.ref(clients[0])

    def _start_pollers(self, functions: list[FunctionSpec]) -> None:
        assert self.stack is not None
        assert self.pool is not None
        invoke = self.pool.invoke
        self.pollers = start_pollers(self.session, self.endpoint, self.stack, functions, invoke, REGION)


def wait_for(predicate: Any, timeout_s: float = 10.0, interval_s: float = 0.05) -> bool:
    """Poll ``predicate`` until true or the timeout passes; for tests and the demo, never bare sleeps."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())


def named_topic_rules(template: Template, stack: Stack) -> list[tuple[str, str, str]]:
    """``(function logical id, SQL, rule name)`` of every ``AWS::IoT::TopicRule`` with a Lambda action on a
    function of the template (the names are what Basic Ingest publishes address)."""
    out = []
    for lid, resource in template.resources_of_type("AWS::IoT::TopicRule").items():
        payload = (resource.get("Properties") or {}).get("TopicRulePayload") or {}
        if str(payload.get("RuleDisabled", False)).lower() == "true":
            continue
        for action in payload.get("Actions") or []:
            arn = (action.get("Lambda") or {}).get("FunctionArn")
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                out.append((str(arn["Fn::GetAtt"][0]), " ".join(str(payload["Sql"]).split()), stack.ref(lid)))
    return out
