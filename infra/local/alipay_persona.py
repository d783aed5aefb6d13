"""Alipay's open platform as the local cloud's pay sandbox plays it: keys generated at start, requests checked
and answers and notifications signed RSA2 exactly as Alipay documents, so ``python-alipay-sdk``'s real
verification path runs in the tests and in ``make demo``.

- ``merchant(tenant_id)`` opens an app for a firm and answers the ``alipay`` half of the firm's secret (the
  app's private key and Alipay's public key);
- ``GET /alipay/gateway.do?<signed request>``: ``alipay.trade.page.pay``/``alipay.trade.wap.pay`` show the
  cashier (a page with a pay button, ``POST /alipay/cashier/{trade_no}`` pays and returns to ``return_url``);
  ``alipay.trade.query`` and ``alipay.trade.refund`` answer ``{"<method>_response": {...}, "sign": ...}`` with
  the response object signed as sent;
- payment notifications: a form (``notify_id``, ``trade_status``, ``total_amount`` in yuan, ...) signed RSA2
  over its sorted ``k=v`` pairs without ``sign``/``sign_type``, POSTed to the trade's ``notify_url`` (or
  held).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from infra.local.persona_http import PersonaReply, post_with_retries

PREFIX = "/alipay"
CST = timezone(timedelta(hours=8))


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(yuan: str) -> int:
    whole, _, cents = yuan.partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0")[:2] or 0)


def signing_string(params: dict[str, str], without: tuple[str, ...]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in without)


def _sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class App:
    tenant_id: str
    app_id: str
    key: rsa.RSAPrivateKey


@dataclass
class AlipayState:
    apps: dict[str, App] = field(default_factory=dict)
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)  # by "{app_id}:{out_trade_no}"
    notices: dict[str, dict[str, str]] = field(default_factory=dict)  # notify_id -> unsigned form


class AlipayPersona:
    def __init__(self) -> None:
        self.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.state = AlipayState()
        self.base_url = ""
        self._lock = threading.RLock()

    def merchant(self, tenant_id: str) -> dict[str, str]:
        with self._lock:
            app = App(
                tenant_id, f"2021{secrets.randbelow(10**12):012d}", rsa.generate_private_key(65537, 2048)
            )
            self.state.apps[app.app_id] = app
        return {
            "app_id": app.app_id,
            "app_private_key": app.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ).decode(),
            "alipay_public_key": self.platform_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(),
        }

    # ------------------------------------------------------------------ the payer (tests and the cashier)
    def trade(self, out_trade_no: str) -> dict[str, Any] | None:
        with self._lock:
            return next((t for t in self.state.trades.values() if t["out_trade_no"] == out_trade_no), None)

    def pay(
        self, out_trade_no: str, outcome: str = "succeed", hold: bool = False, currency: str = ""
    ) -> dict[str, Any]:
        """The payer pays the trade: its notification is stored and, unless ``hold``, sent. ``outcome``:
        succeed | mismatch (one fen more than ordered); ``currency``: a foreign trans_currency."""
        with self._lock:
            trade = self.trade(out_trade_no)
            if trade is None:
                return {"error": "no such trade", "status": 404}
            if trade["trade_status"] != "WAIT_BUYER_PAY":
                return {"error": f"trade is {trade['trade_status']}", "status": 409}
            if (
                trade.get("time_expire")
                and datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S") > trade["time_expire"]
            ):
                trade["trade_status"] = "TRADE_CLOSED"  # Alipay closes a trade unpaid at its time_expire
                return {"error": "trade expired", "status": 409}
            paid = _fen(trade["total_amount"]) + (1 if outcome == "mismatch" else 0)
            now = datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S")
            trade.update(trade_status="TRADE_SUCCESS", gmt_payment=now)
            form = {
                "notify_time": now,
                "notify_type": "trade_status_sync",
                "notify_id": secrets.token_hex(16),
                "app_id": trade["app_id"],
                "charset": "utf-8",
                "version": "1.0",
                "trade_no": trade["trade_no"],
                "out_trade_no": out_trade_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": _yuan(paid),
                "receipt_amount": _yuan(paid),
                "buyer_pay_amount": _yuan(paid),
                "gmt_create": trade["gmt_create"],
                "gmt_payment": now,
                "subject": trade["subject"],
                "passback_params": trade["passback_params"],
            }
            if currency:
                form["trans_currency"] = currency
            form = {k: v for k, v in form.items() if v}  # Alipay sends no empty parameter
            self.state.notices[form["notify_id"]] = {**form, "_notify_url": trade["notify_url"]}
        if not hold:
            self.deliver(form["notify_id"])
        return {"trade": dict(trade), "notify_id": form["notify_id"]}

    def signed(self, notify_id: str) -> str:
        """The stored notification as the form body Alipay POSTs (signed RSA2, ``sign_type`` alongside)."""
        form = {k: v for k, v in self.state.notices[notify_id].items() if not k.startswith("_")}
        sign = _sign(self.platform_key, signing_string(form, ("sign", "sign_type")))
        return urlencode({**form, "sign_type": "RSA2", "sign": sign})

    def deliver(self, notify_id: str, count: int = 1, concurrent: bool = False) -> list[int]:
        url = self.state.notices[notify_id]["_notify_url"]
        return post_with_retries(
            url, lambda: (self.signed(notify_id), {}, "application/x-www-form-urlencoded"), count, concurrent
        )

    # ------------------------------------------------------------------ the HTTP API
    def route(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> PersonaReply | None:
        del headers
        if not raw_path.startswith(PREFIX + "/"):
            return None
        parts = urlsplit(raw_path.removeprefix(PREFIX))
        if parts.path.startswith("/cashier/"):
            return self._cashier(method, parts.path.removeprefix("/cashier/"), body.decode())
        if parts.path != "/gateway.do":
            return PersonaReply(404, {"Content-Type": "text/plain"}, "no such API")
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        app = self.state.apps.get(params.get("app_id", ""))
        method_name = params.get("method", "")
        response_type = method_name.replace(".", "_") + "_response"
        if app is None or not self._verified(app, params):
            return self._answer(
                response_type,
                {
                    "code": "40002",
                    "msg": "Invalid Arguments",
                    "sub_code": "isv.invalid-signature",
                    "sub_msg": "验签出错",
                },
            )
        biz: dict[str, Any] = json.loads(params.get("biz_content") or "{}")
        with self._lock:
            if method_name in ("alipay.trade.page.pay", "alipay.trade.wap.pay"):
                return self._open(app, params, biz)
            trade = self.state.trades.get(f"{app.app_id}:{biz.get('out_trade_no', '')}")
            if trade is None:
                return self._answer(
                    response_type,
                    {
                        "code": "40004",
                        "msg": "Business Failed",
                        "sub_code": "ACQ.TRADE_NOT_EXIST",
                        "sub_msg": "交易不存在",
                    },
                )
            if method_name == "alipay.trade.query":
                return self._answer(response_type, {"code": "10000", "msg": "Success", **self._public(trade)})
            if method_name == "alipay.trade.refund":
                return self._refund(response_type, trade, biz)
            if method_name == "alipay.trade.close":
                if trade["trade_status"] != "WAIT_BUYER_PAY":
                    failure = {
                        "code": "40004",
                        "msg": "Business Failed",
                        "sub_code": "ACQ.TRADE_STATUS_ERROR",
                    }
                    return self._answer(response_type, failure)
                trade["trade_status"] = "TRADE_CLOSED"
                return self._answer(
                    response_type,
                    {
                        "code": "10000",
                        "msg": "Success",
                        "trade_no": trade["trade_no"],
                        "out_trade_no": trade["out_trade_no"],
                    },
                )
        return self._answer(response_type, {"code": "40004", "msg": "Business Failed", "sub_code": "unknown"})

    def _verified(self, app: App, params: dict[str, str]) -> bool:
        try:
            app.key.public_key().verify(
                base64.b64decode(params.get("sign", "")),
                signing_string(params, ("sign",)).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def _open(self, app: App, params: dict[str, str], biz: dict[str, Any]) -> PersonaReply:
        key = f"{app.app_id}:{biz['out_trade_no']}"
        trade = self.state.trades.get(key)
        if trade is None:
            trade = {
                "app_id": app.app_id,
                "trade_no": f"2026{secrets.randbelow(10**24):024d}",
                "out_trade_no": str(biz["out_trade_no"]),
                "total_amount": str(biz["total_amount"]),
                "subject": str(biz.get("subject", "")),
                "passback_params": str(biz.get("passback_params", "")),
                "trade_status": "WAIT_BUYER_PAY",
                "time_expire": str(biz.get("time_expire", "")),
                "gmt_create": datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S"),
                "notify_url": params.get("notify_url", ""),
                "return_url": params.get("return_url", ""),
                "refunds": {},
            }
            self.state.trades[key] = trade
        return self._cashier("GET", str(trade["trade_no"]), "")

    def _refund(self, response_type: str, trade: dict[str, Any], biz: dict[str, Any]) -> PersonaReply:
        if trade["trade_status"] not in ("TRADE_SUCCESS", "TRADE_CLOSED") or not trade.get("gmt_payment"):
            return self._answer(
                response_type,
                {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_STATUS_ERROR",
                    "sub_msg": "交易状态不合法",
                },
            )
        request_no = str(biz.get("out_request_no") or trade["out_trade_no"])
        refunds: dict[str, int] = trade["refunds"]
        fund_change = "N"
        if request_no not in refunds:
            amount = _fen(str(biz["refund_amount"]))
            if sum(refunds.values()) + amount > _fen(trade["total_amount"]):
                return self._answer(
                    response_type,
                    {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"},
                )
            refunds[request_no] = amount
            fund_change = "Y"
            if sum(refunds.values()) == _fen(trade["total_amount"]):
                trade["trade_status"] = "TRADE_CLOSED"
        return self._answer(
            response_type,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade["trade_no"],
                "out_trade_no": trade["out_trade_no"],
                "fund_change": fund_change,
                "refund_fee": _yuan(sum(refunds.values())),
            },
        )

    @staticmethod
    def _public(trade: dict[str, Any]) -> dict[str, Any]:
        keep = ("trade_no", "out_trade_no", "trade_status", "total_amount")
        return {k: trade[k] for k in keep}

    def _answer(self, response_type: str, payload: dict[str, Any]) -> PersonaReply:
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        sign = _sign(self.platform_key, inner)
        body = f'{{"{response_type}":{inner},"sign":"{sign}"}}'
        return PersonaReply(200, {"Content-Type": "application/json;charset=utf-8"}, body)

    def _cashier(self, method: str, trade_no: str, form: str) -> PersonaReply:
        trade = next((t for t in self.state.trades.values() if t["trade_no"] == trade_no), None)
        page_type = {"Content-Type": "text/html; charset=utf-8"}
        if trade is None:
            return PersonaReply(404, page_type, "<h1>交易不存在</h1>")
        if method == "POST":
            self.pay(str(trade["out_trade_no"]))
            back = str(trade.get("return_url") or "")
            if back and urlsplit(back).scheme in ("http", "https"):
                return PersonaReply(303, {"Location": back, "Content-Length": "0"}, "")
        del form
        paid = trade["trade_status"] != "WAIT_BUYER_PAY"
        button = (
            "<p>支付成功</p>"
            if paid
            else f'<form method="post" action="{PREFIX}/cashier/{html.escape(trade_no)}">'
            '<button style="font-size:24px;padding:12px 48px">确认付款</button></form>'
        )
        page = (
            '<html lang="zh-CN"><meta name="viewport" content="width=device-width,initial-scale=1">'
            "<body style='font-family:sans-serif;text-align:center'><h1>支付宝收银台（沙箱）</h1>"
            f"<p>{html.escape(str(trade['subject']))}</p>"
            f"<p style='font-size:40px'>¥{trade['total_amount']}</p>"
            f"{button}</body></html>"
        )
        return PersonaReply(200, page_type, page)
