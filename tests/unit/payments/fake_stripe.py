"""A stand-in for Stripe's API behind the official SDK: a ``stripe.HTTPClient`` that answers PaymentIntent and
Refund calls as Stripe does (form-encoded requests, JSON objects, list envelopes), and signs webhooks with
Stripe's real scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe


def stripe_signature(secret: str, payload: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``metadata[tenant_id]=x`` -> {"metadata": {"tenant_id": "x"}} (Stripe's form encoding)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe(stripe.HTTPClient):
    name = "fake-stripe"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.by_idempotency_key: dict[str, dict[str, Any]] = {}

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: Any = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        parts = urlsplit(url)
        params = _nested(
            parse_qsl(post_data.decode() if isinstance(post_data, bytes) else post_data or "")
        ) or _nested(parse_qsl(parts.query))
        sent = dict(headers or {})
        self.calls.append((method.upper(), parts.path, params, sent))
        key = sent.get("Idempotency-Key")
        if key and key in self.by_idempotency_key:
            return json.dumps(self.by_idempotency_key[key]), 200, {}
        status, body = self._answer(method.upper(), parts.path, params, sent)
        if key and status == 200:
            self.by_idempotency_key[key] = body
        return json.dumps(body), status, {"Request-Id": f"req_{uuid.uuid4().hex[:12]}"}

    def close(self) -> None:
        return None

    def _answer(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any]:
        if not headers.get("Authorization", "").startswith("Bearer sk_test_"):
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        if method == "POST" and path == "/v1/payment_intents":
            intent_id = f"pi_{uuid.uuid4().hex[:24]}"
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": 0,
                "currency": params["currency"],
                "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:12]}",
                "status": "requires_payment_method",
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            }
            self.intents[intent_id] = intent
            return 200, intent
        if method == "POST" and path == "/v1/refunds":
            paid = self.intents.get(params.get("payment_intent", ""))
            if paid is None or paid["status"] != "succeeded":
                return 400, {"error": {"type": "invalid_request_error", "message": "not refundable"}}
            refund = {
                "id": f"re_{uuid.uuid4().hex[:24]}",
                "object": "refund",
                "amount": int(params["amount"]),
                "currency": paid["currency"],
                "payment_intent": paid["id"],
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            }
            self.refunds[refund["id"]] = refund
            return 200, refund
        if method == "GET" and path in ("/v1/payment_intents", "/v1/refunds"):
            rows = list((self.intents if path.endswith("intents") else self.refunds).values())
            return 200, {"object": "list", "url": path, "has_more": False, "data": rows}
        return 404, {"error": {"type": "invalid_request_error", "message": f"no route {method} {path}"}}

    def succeed(self, intent_id: str, amount: int | None = None) -> dict[str, Any]:
        """The customer paid: the intent succeeds, and this is its ``payment_intent.succeeded`` event."""
        intent = self.intents[intent_id]
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"] if amount is None else amount
        return self.event("payment_intent.succeeded", intent)

    @staticmethod
    def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": kind,
            "livemode": False,
            "data": {"object": dict(obj)},
        }
