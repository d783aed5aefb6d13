"""WeChat Pay API v3 as the local cloud's pay sandbox plays it: keys generated at start, requests checked and
answers and notifications signed and encrypted exactly as WeChat Pay documents, so ``wechatpayv3``'s real
verification path runs in the tests and in ``make demo``.

- ``merchant(tenant_id, partner=False)`` opens a merchant for a firm (its own, or a sub-merchant of one
  service provider) and answers the ``wechatpay`` half of the firm's secret (private key, API v3 key, platform
  public key and its id);
- served under ``/wechatpay``: ``POST /v3/pay[/partner]/transactions/{native,jsapi}``, ``GET
  .../out-trade-no/{no}``, ``POST .../out-trade-no/{no}/close``, ``POST /v3/refund/domestic/refunds``; every
  request must carry a valid ``WECHATPAY2-SHA256-RSA2048`` Authorization of the merchant, every 2xx answer is
  signed with the platform key (``Wechatpay-Serial`` = the public key id);
- ``GET /wechatpay/scan/{token}`` is the payer's phone after scanning a Native code (or opening a JSAPI
  prepay): a page with a pay button; ``POST`` there pays, as the payer would;
- notifications (``TRANSACTION.SUCCESS``, ``REFUND.SUCCESS``): JSON with the resource encrypted in
  AEAD_AES_256_GCM under the merchant's API v3 key, signed RSA-SHA256 over ``timestamp\\nnonce\\nbody\\n``,
  POSTed to the order's ``notify_url`` (or held for the tests to deliver).
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.local import wechat_bills
from infra.local.persona_http import PersonaReply, post_with_retries
from infra.local.persona_keys import pem_private, pem_public, self_signed

PREFIX = "/wechatpay"
_ORDER = re.compile(r"^/v3/pay(/partner)?/transactions/(native|jsapi)$")
_BY_NO = re.compile(r"^/v3/pay(/partner)?/transactions/out-trade-no/([^/]+)(/close)?$")
_AUTH = re.compile(r'(\w+)="([^"]*)"')
CST = timezone(timedelta(hours=8))  # WeChat Pay writes times in Beijing time


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def encrypt_resource(apiv3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay sends
    sealed = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


@dataclass
class Merchant:
    tenant_id: str
    mchid: str
    appid: str
    key: rsa.RSAPrivateKey
    serial_no: str
    apiv3_key: str
    sub_mchid: str = ""
    # Platform-certificate mode (the older one): answers and notices carry the certificate's serial.
    certificate_mode: bool = False


@dataclass
class Notice:
    notice_id: str
    notify_url: str
    body: str
    apiv3_key: str
    serial: str


@dataclass
class WeChatState:
    merchants: dict[str, Merchant] = field(default_factory=dict)  # by mchid or sub_mchid
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # by (merchant) out_trade_no
    tokens: dict[str, str] = field(default_factory=dict)  # scan token -> order key
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, Notice] = field(default_factory=dict)
    bills: dict[str, bytes] = field(default_factory=dict)  # download token -> the gzip'd trade bill


class WeChatPersona:
    def __init__(self) -> None:
        self.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_id = f"PUB_KEY_ID_{secrets.token_hex(12).upper()}"
        # The same key as a platform certificate, for merchants in certificate mode.
        self.certificate = self_signed(self.platform_key)
        self.certificate_serial = format(self.certificate.serial_number, "X")
        self.state = WeChatState()
        self.base_url = ""  # the sandbox's URL (scan pages)
        self._lock = threading.RLock()
        self._sp: Merchant | None = None

    # ------------------------------------------------------------------ merchants (the firms' secrets)
    def merchant(self, tenant_id: str, partner: bool = False, certificate: bool = False) -> dict[str, str]:
        with self._lock:
            if partner:
                if self._sp is None:
                    self._sp = self._new_merchant("")
                sp = self._sp
                sub = f"19{secrets.randbelow(10**8):08d}"
                self.state.merchants[sub] = Merchant(
                    tenant_id, sp.mchid, sp.appid, sp.key, sp.serial_no, sp.apiv3_key, sub, certificate
                )
                chosen = self.state.merchants[sub]
            else:
                chosen = self._new_merchant(tenant_id)
                chosen.certificate_mode = certificate
            if certificate:
                return {
                    "mchid": chosen.mchid,
                    "appid": chosen.appid,
                    "private_key": pem_private(chosen.key),
                    "cert_serial_no": chosen.serial_no,
                    "apiv3_key": chosen.apiv3_key,
                    "platform_certificate": self.certificate_pem,
                    "sub_mchid": chosen.sub_mchid,
                }
            return {
                "mchid": chosen.mchid,
                "appid": chosen.appid,
                "private_key": pem_private(chosen.key),
                "cert_serial_no": chosen.serial_no,
                "apiv3_key": chosen.apiv3_key,
                "platform_public_key": pem_public(self.platform_key.public_key()),
                "platform_public_key_id": self.public_key_id,
                "sub_mchid": chosen.sub_mchid,
            }

    def _new_merchant(self, tenant_id: str) -> Merchant:
        created = Merchant(
            tenant_id=tenant_id,
            mchid=f"16{secrets.randbelow(10**8):08d}",
            appid=f"wx{secrets.token_hex(8)}",
            key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
            serial_no=secrets.token_hex(20).upper(),
            apiv3_key=secrets.token_hex(16),  # 32 characters: AES-256
        )
        self.state.merchants[created.mchid] = created
        return created

    # ------------------------------------------------------------------ the payer (tests and the page)
    def order_of(self, code_or_token: str) -> dict[str, Any] | None:
        token = code_or_token.rsplit("pr=", 1)[-1].rsplit("/", 1)[-1]
        with self._lock:
            key = self.state.tokens.get(token)
            return self.state.orders.get(key) if key else None

    def pay(
        self, code_or_token: str, outcome: str = "succeed", hold: bool = False, currency: str = "CNY"
    ) -> dict[str, Any]:
        """The payer pays the order behind a Native ``code_url`` (or a prepay token): its notification is
        stored and, unless ``hold``, sent. ``outcome``: succeed | mismatch (one fen more than ordered)."""
        with self._lock:
            order = self.order_of(code_or_token)
            if order is None:
                return {"error": "no such order", "status": 404}
            if order["trade_state"] != "NOTPAY":
                return {"error": f"order is {order['trade_state']}", "status": 409}
            expires = order.get("_time_expire")
            if expires and datetime.now(UTC) > datetime.fromisoformat(str(expires)):
                order.update(trade_state="CLOSED", trade_state_desc="已关闭")  # unpaid at its time_expire
                return {"error": "order expired", "status": 409}
            total = int(order["amount"]["total"]) + (1 if outcome == "mismatch" else 0)
            order.update(
                trade_state="SUCCESS",
                trade_state_desc="支付成功",
                transaction_id=f"4200{secrets.randbelow(10**24):024d}",
                success_time=_now_cst(),
                amount={
                    "total": total,
                    "payer_total": total,
                    "currency": currency,
                    "payer_currency": currency,
                },
            )
            resource = {k: v for k, v in order.items() if not k.startswith("_")}
            notice = self._notice("TRANSACTION.SUCCESS", "支付成功", "transaction", resource, order)
        if not hold:
            self.deliver(notice.notice_id)
        return {"order": resource, "notice_id": notice.notice_id}

    def signed(self, notice_id: str, timestamp: int | None = None) -> tuple[dict[str, str], str]:
        """A stored notification freshly signed (``timestamp`` for a stale one), as headers and body."""
        notice = self.state.notices[notice_id]
        return self.sign_body(notice.body, timestamp, notice.serial), notice.body

    def rotate_certificate(self) -> str:
        """A new platform certificate (same key, new serial), as WeChat Pay rotates them: merchants in
        certificate mode must fetch it from ``/v3/certificates``. Answers the new serial."""
        with self._lock:
            self.certificate = self_signed(self.platform_key)
            self.certificate_serial = format(self.certificate.serial_number, "X")
            for order in self.state.orders.values():
                if order["_serial"] != self.public_key_id:
                    order["_serial"] = self.certificate_serial
            for notice in self.state.notices.values():
                if notice.serial != self.public_key_id:
                    notice.serial = self.certificate_serial
            return self.certificate_serial

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def serial_for(self, merchant: Merchant) -> str:
        return self.certificate_serial if merchant.certificate_mode else self.public_key_id

    def sign_body(self, body: str, timestamp: int | None = None, serial: str = "") -> dict[str, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = secrets.token_hex(16).upper()
        return {
            "Wechatpay-Serial": serial or self.public_key_id,
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(self.platform_key, f"{stamp}\n{nonce}\n{body}\n"),
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def deliver(self, notice_id: str, count: int = 1, concurrent: bool = False) -> list[int]:
        notice = self.state.notices[notice_id]

        def signed_now() -> tuple[str, dict[str, str], str]:
            headers, body = self.signed(notice_id)  # each delivery is signed afresh, as WeChat Pay does
            return body, headers, "application/json"

        return post_with_retries(notice.notify_url, signed_now, count, concurrent)

    def _notice(
        self, event_type: str, summary: str, kind: str, resource: dict[str, Any], order: dict[str, Any]
    ) -> Notice:
        apiv3_key = str(order["_apiv3_key"])
        notice_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "id": notice_id,
                "create_time": _now_cst(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": {
                    "original_type": kind,
                    **encrypt_resource(apiv3_key, json.dumps(resource, ensure_ascii=False), kind),
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        notice = Notice(notice_id, str(order["_notify_url"]), body, apiv3_key, str(order["_serial"]))
        self.state.notices[notice_id] = notice
        return notice

    # ------------------------------------------------------------------ the HTTP API
    def route(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> PersonaReply | None:
        if not raw_path.startswith(PREFIX + "/"):
            return None
        path_and_query = raw_path.removeprefix(PREFIX)
        path = urlsplit(path_and_query).path
        if path.startswith("/scan/"):
            return self._scan_page(method, path.removeprefix("/scan/"))
        text = body.decode()
        merchant = self._authenticate(method, path_and_query, headers, text)
        if merchant is None:
            return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        reply = self._api(method, path, path_and_query, merchant, json.loads(text) if text else {})
        if 200 <= reply.status < 300 and isinstance(reply.body, str):
            # Every answer is signed with the platform key, under the serial the merchant knows it by (a bill
            # file is not: WeChat Pay checks it by the hash in the bill's answer instead).
            reply.headers.update(self.sign_body(reply.body, serial=self.serial_for(merchant)))
        return reply

    def _api(
        self, method: str, path: str, path_and_query: str, merchant: Merchant, data: dict[str, Any]
    ) -> PersonaReply:
        if method == "GET" and path == "/v3/certificates":
            return self._certificates(merchant)
        with self._lock:
            if method == "POST" and (match := _ORDER.match(path)):
                return self._create(merchant, bool(match.group(1)), match.group(2), data)
            if match := _BY_NO.match(path):
                query = {k: v[-1] for k, v in parse_qs(urlsplit(path_and_query).query).items()}
                merchant_no = str(data.get("sub_mchid") or query.get("sub_mchid") or data.get("mchid") or "")
                merchant_no = merchant_no or str(query.get("mchid", ""))
                order = self.state.orders.get(f"{merchant_no}:{match.group(2)}")
                if order is None or order["_caller"] != merchant.mchid:
                    return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
                if method == "POST" and match.group(3):
                    if order["trade_state"] == "NOTPAY":
                        order["trade_state"] = "CLOSED"
                        return self._answer(204, None)
                    return self._answer(400, {"code": "ORDERPAID", "message": "订单已支付"})
                return self._answer(200, {k: v for k, v in order.items() if not k.startswith("_")})
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                return self._refund(merchant, data)
            if method == "GET" and path == "/v3/bill/tradebill":
                found = wechat_bills.trade_bill(self.state.orders, merchant.mchid, path_and_query)
                if found is None:
                    return self._answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"})
                token = secrets.token_urlsafe(12)
                self.state.bills[token] = found
                url = f"{self.base_url}{PREFIX}/v3/billdownload/file?token={token}"
                return self._answer(200, wechat_bills.bill_answer(url, found))
            if method == "GET" and path == "/v3/billdownload/file":
                token = parse_qs(urlsplit(path_and_query).query).get("token", [""])[-1]
                bill_file = self.state.bills.pop(token, None)
                if bill_file is None:
                    return self._answer(404, {"code": "NOT_FOUND", "message": "下载链接已失效"})
                return PersonaReply(200, {"Content-Type": "application/octet-stream"}, bill_file)
        return self._answer(404, {"code": "NOT_FOUND", "message": "no such API"})

    def _authenticate(self, method: str, path: str, headers: dict[str, str], body: str) -> Merchant | None:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return None
        fields = dict(_AUTH.findall(auth))
        merchant = self.state.merchants.get(fields.get("mchid", ""))
        if merchant is None or fields.get("serial_no") != merchant.serial_no:
            return None
        message = f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        try:
            merchant.key.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return None
        if abs(time.time() - int(fields.get("timestamp") or 0)) > 300:
            return None
        return merchant

    def _create(self, caller: Merchant, partner: bool, trade_type: str, data: dict[str, Any]) -> PersonaReply:
        merchant_no = str(data.get("sub_mchid") if partner else data.get("mchid") or "")
        merchant = self.state.merchants.get(merchant_no)
        if merchant is None or merchant.mchid != caller.mchid:
            return self._answer(400, {"code": "MCH_NOT_EXISTS", "message": "商户号不存在"})
        key = f"{merchant_no}:{data.get('out_trade_no')}"
        existing = self.state.orders.get(key)
        if existing is not None:
            if int(existing["amount"]["total"]) != int(data["amount"]["total"]):
                return self._answer(400, {"code": "OUT_TRADE_NO_USED", "message": "商户订单号重复"})
            return self._answer(200, dict(existing["_answer"]))
        token = secrets.token_urlsafe(12)
        answer = (
            {"code_url": f"weixin://wxpay/bizpayurl?pr={token}"}
            if trade_type == "native"
            else {"prepay_id": f"wx{token}"}
        )
        parties = (
            {"sp_mchid": caller.mchid, "sub_mchid": merchant_no, "sp_appid": data.get("sp_appid", "")}
            if partner
            else {"mchid": merchant_no, "appid": data.get("appid", "")}
        )
        self.state.orders[key] = {
            **parties,
            "out_trade_no": str(data["out_trade_no"]),
            "trade_type": trade_type.upper(),
            "trade_state": "NOTPAY",
            "trade_state_desc": "未支付",
            "attach": str(data.get("attach", "")),
            "description": str(data.get("description", "")),
            "amount": {"total": int(data["amount"]["total"]), "currency": str(data["amount"]["currency"])},
            "_notify_url": str(data.get("notify_url", "")),
            "_apiv3_key": merchant.apiv3_key,
            "_caller": caller.mchid,
            "_serial": self.serial_for(merchant),
            "_answer": answer,
            "_token": token,
            "_time_expire": str(data.get("time_expire") or ""),
        }
        self.state.tokens[token] = key
        self.state.tokens[f"wx{token}"] = key
        return self._answer(200, answer)

    def _refund(self, caller: Merchant, data: dict[str, Any]) -> PersonaReply:
        merchant_no = str(data.get("sub_mchid") or caller.mchid)
        order = self.state.orders.get(f"{merchant_no}:{data.get('out_trade_no')}")
        if order is None or order["_caller"] != caller.mchid:
            return self._answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})
        if order["trade_state"] not in ("SUCCESS", "REFUND"):
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "订单未支付"})
        out_refund_no = str(data["out_refund_no"])
        if out_refund_no in self.state.refunds:
            return self._answer(200, self.state.refunds[out_refund_no]["answer"])
        amount = data["amount"]
        refunded = sum(int(r["amount"]) for r in order.get("_refunds", []))
        if int(amount["total"]) != int(order["amount"]["total"]) or refunded + int(amount["refund"]) > int(
            amount["total"]
        ):
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "退款金额不正确"})
        order.setdefault("_refunds", []).append({"amount": int(amount["refund"])})
        order["trade_state"] = "REFUND"
        refund_id = f"5030{secrets.randbelow(10**24):024d}"
        answer = {
            "refund_id": refund_id,
            "out_refund_no": out_refund_no,
            "out_trade_no": order["out_trade_no"],
            "status": "PROCESSING",
            "amount": {"total": int(amount["total"]), "refund": int(amount["refund"]), "currency": "CNY"},
        }
        parties: dict[str, Any] = {k: order[k] for k in ("mchid", "sp_mchid", "sub_mchid") if k in order}
        resource: dict[str, Any] = {
            **parties,
            "out_trade_no": order["out_trade_no"],
            "transaction_id": order.get("transaction_id", ""),
            "out_refund_no": out_refund_no,
            "refund_id": refund_id,
            "refund_status": "SUCCESS",
            "success_time": _now_cst(),
            "amount": {
                "total": int(amount["total"]),
                "refund": int(amount["refund"]),
                "payer_total": int(amount["total"]),
                "payer_refund": int(amount["refund"]),
            },
        }
        notice = self._notice(
            "REFUND.SUCCESS",
            "退款成功",
            "refund",
            resource,
            {**order, "_notify_url": str(data.get("notify_url") or order["_notify_url"])},
        )
        self.state.refunds[out_refund_no] = {"answer": answer, "notice_id": notice.notice_id}
        return self._answer(200, answer)

    def refund_notice(self, out_refund_no: str) -> str:
        return str(self.state.refunds[out_refund_no]["notice_id"])

    def _answer(self, status: int, payload: dict[str, Any] | None) -> PersonaReply:
        if payload is not None:
            payload = {k: v for k, v in payload.items() if not k.startswith("_")}
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        return PersonaReply(status, {"Content-Type": "application/json"}, body)

    def _certificates(self, merchant: Merchant) -> PersonaReply:
        """``GET /v3/certificates``: the platform certificate, encrypted with the merchant's API v3 key."""
        valid = self.certificate
        return self._answer(
            200,
            {
                "data": [
                    {
                        "serial_no": self.certificate_serial,
                        "effective_time": valid.not_valid_before_utc.astimezone(CST).isoformat(),
                        "expire_time": valid.not_valid_after_utc.astimezone(CST).isoformat(),
                        "encrypt_certificate": encrypt_resource(
                            merchant.apiv3_key, self.certificate_pem, "certificate"
                        ),
                    }
                ]
            },
        )

    def _scan_page(self, method: str, token: str) -> PersonaReply:
        order = self.order_of(token)
        if order is None:
            return PersonaReply(404, {"Content-Type": "text/html; charset=utf-8"}, "<h1>二维码已失效</h1>")
        if method == "POST":
            self.pay(token)
        order = self.order_of(token) or order
        yuan = f"¥{int(order['amount']['total']) / 100:.2f}"
        paid = order["trade_state"] != "NOTPAY"
        button = (
            "<p>支付成功</p>"
            if paid
            else '<form method="post">'
            '<button style="font-size:24px;padding:12px 48px">立即支付</button></form>'
        )
        page = (
            '<html lang="zh-CN"><meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<body style='font-family:sans-serif;text-align:center'><h1>微信支付（沙箱）</h1>"
            f"<p>{html.escape(str(order.get('description', '')))}</p><p style='font-size:40px'>{yuan}</p>"
            f"{button}</body></html>"
        )
        return PersonaReply(200, {"Content-Type": "text/html; charset=utf-8"}, page)


def _now_cst() -> str:
    return datetime.now(CST).isoformat(timespec="seconds")
