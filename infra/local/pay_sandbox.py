"""A fake payment service for the local cloud, the demo and the tests, that behaves like a real one.

- ``POST /v1/checkouts`` (Bearer secret, ``Idempotency-Key``) opens a checkout and answers its hosted pay URL;
- ``GET /pay/{id}`` shows the hosted pay page; ``POST /pay/{id}`` performs the payment, as the payer's browser
  would (JSON or form: ``outcome`` = succeed | fail | mismatch, ``deliveries`` = how many times to send the
  webhook, ``concurrent`` = send them at once, ``hold`` = do not send it yet); with ``?return_to=`` an
  http(s) URL (the mobile app's receipt) the page's form sends the browser back there (303) once paid, as a
  real provider's checkout returns to the merchant;
- ``POST /v1/refunds`` refunds a paid checkout (its webhook follows shortly, from another thread);
- ``POST /v1/events/{id}/deliver`` sends a stored event again (duplicates, late or out-of-order deliveries);
- ``GET /settlements?date=YYYY-MM-DD`` lists what settled on that day (UTC), for reconciliation;
- ``/wechatpay/...`` and ``/alipay/...`` are WeChat Pay API v3 and Alipay as their own APIs
  (``wechat_persona.py``, ``alipay_persona.py``): their keys, signatures and notifications are the real ones;
  ``/wechat-api/...`` is WeChat's login code exchange (``wechat_login_persona.py``) and the service
  account's template messages (``wechat_messages_persona.py``).

Webhooks go to ``webhook_url`` as JSON ``{id, type, created, data}`` with a ``Sandbox-Signature: t=..,v1=..``
header: HMAC-SHA256 of ``f"{t}.{body}"`` with the shared secret (Stripe's scheme). A non-2xx answer is retried
a few times, as real providers do.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.alipay_persona import AlipayPersona
from infra.local.wechat_login_persona import WeChatLoginPersona
from infra.local.wechat_messages_persona import WeChatMessagesPersona
from infra.local.wechat_persona import WeChatPersona

log = logging.getLogger("courtyard.pay_sandbox")
SIGNATURE_HEADER = "Sandbox-Signature"


def sign(secret: str, body: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclass
class Delivery:
    event_id: str
    status: int
    attempts: int


@dataclass
class SandboxState:
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    settlements: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


class PaySandbox:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, secret: str = "", webhook_url: str = ""
    ) -> None:
        self.host = host
        self.port = port
        self.secret = secret
        self.webhook_url = webhook_url
        self.state = SandboxState()
        self.retry_delay_s = 0.2
        self.max_attempts = 4
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-webhook")
        self.url = ""
        # WeChat Pay and Alipay as their own APIs, under /wechatpay and /alipay (keys generated here).
        self.wechat = WeChatPersona()
        self.alipay = AlipayPersona()
        # WeChat's login API (residents' WeChat sign-in), under /wechat-api.
        self.wechat_login = WeChatLoginPersona()
        self.wechat_messages = WeChatMessagesPersona(self.wechat_login)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.wechat.base_url = self.alipay.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="pay-sandbox", daemon=True)
        self._thread.start()
        return self.url

    def connect(self, secret: str, webhook_url: str) -> None:
        """Share the signing secret and say where webhooks go (known only once the gateway runs)."""
        self.secret = secret
        self.webhook_url = webhook_url

    def merchant_secret(self, tenant_id: str, partner: bool = False, certificate: bool = False) -> str:
        """A firm's merchant secret (adapters/merchant_accounts.py) with fresh WeChat Pay and Alipay accounts
        at the personas; ``partner``: a sub-merchant of the sandbox's service provider; ``certificate``:
        WeChat Pay's platform-certificate mode instead of its public key."""
        wechat = self.wechat.merchant(tenant_id, partner, certificate)
        return json.dumps({"wechatpay": wechat, "alipay": self.alipay.merchant(tenant_id)})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._background.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ operations (also used by tests)
    def create_checkout(self, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        with self._lock:
            if key and key in self.state.idempotency:
                return self.state.idempotency[key]
            checkout_id = f"chk_{uuid.uuid4().hex[:20]}"
            checkout = {
                "id": checkout_id,
                "status": "open",
                "amount": int(body["amount"]),
                "currency": str(body["currency"]),
                "payment_id": str(body.get("payment_id", "")),
                "tenant_id": str(body.get("tenant_id", "")),
                "description": str(body.get("description", "")),
                "pay_url": f"{self.url}/pay/{checkout_id}",
                "created": int(time.time()),
            }
            self.state.checkouts[checkout_id] = checkout
            if key:
                self.state.idempotency[key] = checkout
            return checkout

    def pay(
        self,
        checkout_id: str,
        outcome: str = "succeed",
        deliveries: int = 1,
        concurrent: bool = False,
        hold: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            checkout = self.state.checkouts.get(checkout_id)
            if checkout is None:
                return {"error": "no such checkout", "status": 404}
            if checkout["status"] != "open":
                return {"error": f"checkout is {checkout['status']}", "status": 409}
            amount = int(checkout["amount"]) + (1 if outcome == "mismatch" else 0)
            if outcome == "fail":
                checkout["status"] = "failed"
                event = self._event("payment.failed", checkout, amount, reason="card declined (sandbox)")
            else:
                checkout["status"] = "paid"
                checkout["amount_received"] = amount
                self.state.settlements.append(
                    {
                        "id": f"stl_{uuid.uuid4().hex[:16]}",
                        "kind": "payment",
                        "checkout_id": checkout_id,
                        "payment_id": checkout["payment_id"],
                        "tenant_id": checkout["tenant_id"],
                        "amount": amount,
                        "currency": checkout["currency"],
                        "settled_at": _now_iso(),
                    }
                )
                event = self._event("payment.succeeded", checkout, amount)
        results = [] if hold else self.deliver(event["id"], deliveries, concurrent)
        return {"checkout": checkout, "event_id": event["id"], "deliveries": results}

    def refund(self, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        with self._lock:
            if key and key in self.state.idempotency:
                return self.state.idempotency[key]
            checkout = self.state.checkouts.get(str(body.get("checkout_id", "")))
            if checkout is None or checkout["status"] not in ("paid", "partially_refunded"):
                return {"error": "checkout is not paid", "status": 409}
            amount = int(body["amount"])
            refund = {
                "id": f"re_{uuid.uuid4().hex[:20]}",
                "status": "succeeded",
                "amount": amount,
                "checkout_id": checkout["id"],
                "refund_id": str(body.get("refund_id", "")),
            }
            self.state.refunds[refund["id"]] = refund
            self.state.settlements.append(
                {
                    "id": f"stl_{uuid.uuid4().hex[:16]}",
                    "kind": "refund",
                    "checkout_id": checkout["id"],
                    "payment_id": checkout["payment_id"],
                    "tenant_id": checkout["tenant_id"],
                    "refund_id": refund["refund_id"],
                    "amount": amount,
                    "currency": checkout["currency"],
                    "settled_at": _now_iso(),
                }
            )
            event = self._event("refund.succeeded", checkout, amount, refund_id=refund["refund_id"])
            if key:
                self.state.idempotency[key] = refund
        # The refund's caller is the payments function itself: its webhook must not wait for that call.
        self._background.submit(self._deliver_later, event["id"])
        return refund

    def deliver(self, event_id: str, count: int = 1, concurrent: bool = False) -> list[int]:
        """Send a stored event ``count`` times (at once with ``concurrent``); the final status of each."""
        if concurrent and count > 1:
            with ThreadPoolExecutor(max_workers=count) as pool:
                return list(pool.map(lambda _: self._send(event_id), range(count)))
        return [self._send(event_id) for _ in range(count)]

    def settlements_on(self, day: str) -> list[dict[str, Any]]:
        with self._lock:
            return [s for s in self.state.settlements if str(s["settled_at"])[:10] == day]

    # ------------------------------------------------------------------ internals
    def _event(self, kind: str, checkout: dict[str, Any], amount: int, **extra: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": f"evt_{uuid.uuid4().hex[:20]}",
            "type": kind,
            "created": int(time.time()),
            "data": {
                "checkout_id": checkout["id"],
                "payment_id": checkout["payment_id"],
                "tenant_id": checkout["tenant_id"],
                "amount": amount,
                "currency": checkout["currency"],
                **extra,
            },
        }
        self.state.events[str(event["id"])] = event
        return event

    def _deliver_later(self, event_id: str) -> None:
        time.sleep(0.05)
        self._send(event_id)

    def _send(self, event_id: str) -> int:
        event = self.state.events.get(event_id)
        if event is None or not self.webhook_url:
            return 0
        body = json.dumps(event, separators=(",", ":"))
        status = 0
        attempts = 0
        for attempt in range(1, self.max_attempts + 1):
            attempts = attempt
            signature = sign(self.secret, body, int(time.time()))
            request = urllib.request.Request(
                self.webhook_url,
                data=body.encode(),
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except (OSError, http.client.HTTPException):
                # Unreachable, timed out, or the connection dropped before an answer (a busy gateway under
                # 20 concurrent deliveries): a provider retries those as it retries a 5xx.
                status = 0
            if 200 <= status < 300:
                break
            time.sleep(self.retry_delay_s * attempt)
        with self._lock:
            self.state.deliveries.append(Delivery(event_id, status, attempts))
        return status


def _return_to(path: str) -> str:
    """The app's address to send the payer back to: http(s) only (no javascript: or data: targets)."""
    back = (parse_qs(urlsplit(path).query).get("return_to") or [""])[-1]
    return back if urlsplit(back).scheme in ("http", "https") else ""


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Handler(BaseHTTPRequestHandler):
    owner: PaySandbox

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def _reply(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if not raw:
            return {}
        if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            return {k: v[-1] for k, v in parse_qs(raw).items()}
        loaded = json.loads(raw)
        return loaded if isinstance(loaded, dict) else {}

    def _authorized(self) -> bool:
        expected = f"Bearer {self.owner.secret}"
        if self.owner.secret and hmac.compare_digest(self.headers.get("Authorization") or "", expected):
            return True
        self._reply(401, {"error": "bad API key"})
        return False

    def _persona(self, method: str) -> bool:
        """A request for the WeChat Pay or Alipay persona, answered by it."""
        if not self.path.startswith(("/wechatpay/", "/alipay/", "/wechat-api/")):
            return False
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        personas = (
            self.owner.wechat,
            self.owner.alipay,
            self.owner.wechat_messages,  # before the login persona: it answers 404 to paths it lacks
            self.owner.wechat_login,
        )
        for persona in personas:
            reply = persona.route(method, self.path, dict(self.headers.items()), raw)
            if reply is not None:
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return True
        return False

    def do_GET(self) -> None:
        if self._persona("GET"):
            return
        parts = urlsplit(self.path)
        if parts.path == "/settlements":
            if not self._authorized():
                return
            day = (parse_qs(parts.query).get("date") or [""])[-1]
            self._reply(200, {"data": self.owner.settlements_on(day)})
        elif parts.path.startswith("/pay/"):
            checkout = self.owner.state.checkouts.get(parts.path.removeprefix("/pay/"))
            if checkout is None:
                self._reply(404, "<h1>No such checkout</h1>", "text/html; charset=utf-8")
                return
            amount = f"{checkout['amount'] / 100:.2f} {checkout['currency']}"
            page = (
                f"<h1>Courtyard sandbox pay</h1><p>{html.escape(checkout['description'])}</p>"
                f"<p>Amount: {html.escape(amount)} - status {html.escape(checkout['status'])}</p>"
                f'<form method="post"><button name="outcome" value="succeed">Pay</button>'
                f'<button name="outcome" value="fail">Decline</button></form>'
            )
            self._reply(200, page, "text/html; charset=utf-8")
        else:
            self._reply(404, {"error": "no such route"})

    def do_POST(self) -> None:
        if self._persona("POST"):
            return
        path = urlsplit(self.path).path
        try:
            body = self._body()
        except ValueError:
            self._reply(400, {"error": "body is not JSON"})
            return
        key = self.headers.get("Idempotency-Key")
        if path == "/v1/checkouts":
            if self._authorized():
                self._reply(200, self.owner.create_checkout(body, key))
        elif path == "/v1/refunds":
            if self._authorized():
                answer = self.owner.refund(body, key)
                self._reply(int(answer.pop("status", 200)) if "error" in answer else 200, answer)
        elif path.startswith("/v1/events/") and path.endswith("/deliver"):
            if self._authorized():
                event_id = path.removeprefix("/v1/events/").removesuffix("/deliver")
                count = int(body.get("count", 1))
                statuses = self.owner.deliver(event_id, count, bool(body.get("concurrent", False)))
                self._reply(200, {"event_id": event_id, "deliveries": statuses})
        elif path.startswith("/pay/"):
            answer = self.owner.pay(
                path.removeprefix("/pay/"),
                outcome=str(body.get("outcome", "succeed")),
                deliveries=int(body.get("deliveries", 1)),
                concurrent=str(body.get("concurrent", "")).lower() in ("1", "true"),
                hold=str(body.get("hold", "")).lower() in ("1", "true"),
            )
            back = _return_to(self.path)
            if back and "error" not in answer:
                # The webhook went first (pay() delivers it), so the app finds the payment settled.
                self.send_response(303)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._reply(int(answer.pop("status", 200)) if "error" in answer else 200, answer)
        else:
            self._reply(404, {"error": "no such route"})
