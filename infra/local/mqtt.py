"""AWS IoT Core stand-in: an embedded amqtt broker plus a bridge that runs topic rules on every publish.

The broker runs on its own asyncio loop in a background thread, so synchronous code can start and stop it.

Basic Ingest: a publish to ``$aws/rules/<rule name>/<topic>`` goes to that one rule only, whatever its FROM
(AWS activates a rule by its filter only for messages through the broker), evaluated on ``<topic>`` (the
prefix is invisible to ``topic(n)``; WHERE still applies), reaches no subscriber and is not a billable message
(AWS charges no messaging for it, only the rule and its action). MQTT reserves ``$`` topics, so amqtt would
drop the connection of a client publishing one; the broker here takes those publishes aside first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from amqtt.broker import Broker, BrokerContext
from amqtt.plugins.base import BasePlugin
from amqtt.session import ApplicationMessage

from infra.local.iot_sql import TopicRule

log = logging.getLogger(__name__)

Deliver = Callable[[str, dict[str, Any]], None]
"""deliver(function_logical_id, event): invoke the function with the event its IoT rule produced."""

_BILLING_UNIT = 5 * 1024  # AWS IoT Core meters messages in 5 KB increments
_START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class IotStats:
    """A snapshot of the bridge's counters, for cost accounting."""

    messages: int
    billable_messages: int  # in AWS's 5 KB units
    messages_by_kind: dict[str, int]  # by last topic level: "telemetry", "events", ...
    basic_ingest: int  # publishes to $aws/rules/<name>/...: rules and actions only, no messaging charge
    rules_triggered: int  # a rule's topic filter matched (AWS bills these whether or not WHERE holds)
    actions_executed: int  # WHERE held and the Lambda action was handed to `deliver`
    actions_by_function: dict[str, int]
    actions_failed: int  # `deliver` raised
    connections: int = 0  # MQTT CONNECTs accepted (AWS meters each as a message; iot/link.py)


BASIC_INGEST_PREFIX = "$aws/rules/"


class _IngestingBroker(Broker):  # type: ignore[misc]  # amqtt ships no type hints
    """amqtt's broker, except that Basic Ingest publishes go to the bridge instead of closing the client."""

    basic_ingest: Callable[[str, bytes, str | None], None] | None = None

    async def _handle_message_delivery(self, client_session: Any, handler: Any, wait_deliver: Any) -> bool:
        message = wait_deliver.result()
        topic = getattr(message, "topic", None) or ""
        if topic.startswith(BASIC_INGEST_PREFIX) and self.basic_ingest is not None:
            self.basic_ingest(topic, bytes(message.data), client_session.client_id)
            return True
        result: bool = await super()._handle_message_delivery(client_session, handler, wait_deliver)
        return result


class RuleBridgePlugin(BasePlugin[BrokerContext]):  # type: ignore[misc]  # amqtt ships no type hints
    """amqtt broker plugin that passes each accepted publish to its LocalIot.

    It hooks ``message_broadcast`` rather than ``message_received``: the latter also fires for publishes the
    broker then rejects (wildcard or ``$`` topics), which AWS IoT would never hand to a rule.
    """

    def __init__(self, context: BrokerContext) -> None:
        super().__init__(context)
        self.sink: Callable[[str, bytes, str | None], None] | None = None
        self.on_connect: Callable[[], None] | None = None

    async def on_broker_client_connected(self, **_event: Any) -> None:  # client_id, client_session
        if self.on_connect is not None:
            self.on_connect()

    async def on_broker_message_broadcast(
        self, *, client_id: str | None, message: ApplicationMessage
    ) -> None:
        if self.sink is not None:
            self.sink(message.topic, bytes(message.data), client_id)


class LocalIot:
    """The local IoT Core: an MQTT 3.1.1 broker on loopback whose publishes trigger topic rules.

    ``rules`` pairs each function's logical id with its parsed rule; ``rule_names`` (same order) are the
    rules' names for Basic Ingest. For every publish, each rule whose topic
    filter matches and whose WHERE holds produces one ``deliver(function_id, event)`` call, made on a worker
    thread of that function (one per function, so calls to one function are serialised and ordered, and a
    slow function blocks neither the broker nor the others). Like the AWS Lambda action it is asynchronous:
    publishers never wait for it, and an exception in ``deliver`` is logged and counted, not retried.
    """

    def __init__(
        self,
        rules: list[tuple[str, TopicRule]],
        deliver: Deliver,
        host: str = "127.0.0.1",
        port: int = 0,
        rule_names: list[str | None] | None = None,
    ) -> None:
        self._rules = list(rules)
        names = list(rule_names) if rule_names is not None else [None] * len(self._rules)
        if len(names) != len(self._rules):
            raise ValueError("rule_names must name every rule (None for an unnamed one)")
        self._by_name = {name: i for i, name in enumerate(names) if name}
        self._deliver = deliver
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Broker | None = None
        self._stopped = False
        self._workers = {
            function_id: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"iot-{function_id}")
            for function_id in dict.fromkeys(function_id for function_id, _ in self._rules)
        }
        self._lock = threading.Lock()
        self._messages = 0
        self._billable = 0
        self._by_kind: Counter[str] = Counter()
        self._triggered = 0
        self._actions: Counter[str] = Counter()
        self._failed = 0
        self._basic = 0
        self._connections = 0

    @property
    def port(self) -> int:
        """The bound port (the requested one until ``start`` has run)."""
        return self._port

    @property
    def url(self) -> str:
        return f"mqtt://{self._host}:{self._port}"

    @property
    def stats(self) -> IotStats:
        with self._lock:
            return IotStats(
                messages=self._messages,
                billable_messages=self._billable,
                messages_by_kind=dict(self._by_kind),
                basic_ingest=self._basic,
                rules_triggered=self._triggered,
                actions_executed=sum(self._actions.values()),
                actions_by_function=dict(self._actions),
                actions_failed=self._failed,
                connections=self._connections,
            )

    def start(self) -> int:
        """Start the broker in a background thread; return the bound port (a free one if port was 0)."""
        if self._loop is not None or self._stopped:
            raise RuntimeError("a LocalIot starts once")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="local-iot-broker", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            future = asyncio.run_coroutine_threadsafe(self._start_broker(), loop)
            self._port = future.result(timeout=_START_TIMEOUT_S)
        except BaseException:
            self._stop_loop()
            raise
        log.info("local IoT broker listening on %s with %d rule(s)", self.url, len(self._rules))
        return self._port

    def stop(self) -> None:
        """Stop the broker, then wait for deliveries already handed to the workers. Idempotent."""
        self._stopped = True
        if self._loop is not None and self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(timeout=_START_TIMEOUT_S)
            except Exception:
                log.exception("local IoT broker did not shut down cleanly")
        self._broker = None
        self._stop_loop()
        for worker in self._workers.values():
            worker.shutdown(wait=True)

    def __enter__(self) -> LocalIot:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def _start_broker(self) -> int:
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self._host}:{self._port}"}},
            # An explicit plugin list replaces amqtt's defaults: no $SYS publisher, no event/packet loggers.
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
                f"{__name__}.{RuleBridgePlugin.__qualname__}": {},
            },
        }
        broker = _IngestingBroker(config)
        bridge = broker.plugins_manager.get_plugin(RuleBridgePlugin.__name__)
        if not isinstance(bridge, RuleBridgePlugin):
            raise RuntimeError("amqtt did not load the rule bridge plugin")
        bridge.sink = self._on_publish
        bridge.on_connect = self._on_connect
        broker.basic_ingest = self._on_basic_ingest
        await broker.start()
        self._broker = broker
        # amqtt exposes no public accessor for the listening socket; we need it to learn the port when 0.
        ports: set[int] = {sock.getsockname()[1] for sock in broker._servers["default"].instance.sockets}
        if len(ports) != 1:
            # asyncio binds each address of a name like "localhost" separately, each with its own free port.
            raise RuntimeError(
                f"{self._host!r} bound several ports {sorted(ports)}: pass a literal IP address"
            )
        return ports.pop()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), loop).result(timeout=_START_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_START_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None

    def _on_connect(self) -> None:
        with self._lock:
            self._connections += 1

    def _on_basic_ingest(self, topic: str, payload: bytes, client_id: str | None) -> None:
        name, _, rest = topic[len(BASIC_INGEST_PREFIX) :].partition("/")
        index = self._by_name.get(name)
        if index is None or not rest:
            # AWS IoT refuses a Basic Ingest publish to a rule that does not exist; nothing runs.
            log.warning("Basic Ingest publish to unknown rule %r dropped", name)
            return
        self._on_publish(rest, payload, client_id, only=index)

    def _on_publish(self, topic: str, payload: bytes, client_id: str | None, only: int | None = None) -> None:
        # Runs on the broker loop: evaluating a rule is cheap; invoking the function happens on its worker.
        now_ms = time.time_ns() // 1_000_000
        fired: list[tuple[str, dict[str, Any]]] = []
        triggered = 0
        basic = only is not None
        for index, (function_id, rule) in enumerate(self._rules):
            # Basic Ingest names its rule: that one runs whatever its FROM says; at the broker, FROM decides.
            selected = index == only if basic else rule.matches(topic)
            if not selected:
                continue
            triggered += 1
            try:
                event = rule.evaluate(topic, payload, now_ms=now_ms, client_id=client_id, basic_ingest=basic)
            except Exception:
                log.exception("IoT rule for %s failed on topic %s", function_id, topic)
                continue
            if event is not None:
                fired.append((function_id, event))
        with self._lock:
            self._messages += 1
            if not basic:
                self._billable += max(1, math.ceil(len(payload) / _BILLING_UNIT))
            else:
                self._basic += 1
            self._by_kind[topic.rsplit("/", 1)[-1]] += 1
            self._triggered += triggered
            self._actions.update(function_id for function_id, _ in fired)
        for function_id, event in fired:
            self._workers[function_id].submit(self._invoke, function_id, event)

    def _invoke(self, function_id: str, event: dict[str, Any]) -> None:
        try:
            self._deliver(function_id, event)
        except Exception:
            log.exception("IoT rule action for %s failed", function_id)
            with self._lock:
                self._failed += 1


async def _cancel_other_tasks() -> None:
    # amqtt leaves per-connection tasks behind after shutdown; cancel them so closing the loop is quiet.
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_default_executor()  # its resolver threads, for "localhost"
