"""WeChat Pay API v3 through the maintained SDK ``wechatpayv3``: JSAPI (the mobile app inside WeChat's
browser) and Native (a QR code for the counter screen and the console), query, close and refund.

Each firm is its own merchant, or a sub-merchant (``sub_mchid``) of a service provider; its keys come from
``MerchantAccounts`` (Secrets Manager). Notifications arrive at ``/payments/webhooks/{name}/{tenant_id}``: the
SDK verifies the RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n`` with the platform public key (or
certificate) and decrypts the AEAD_AES_256_GCM resource with the firm's API v3 key; this adapter also refuses
a timestamp more than five minutes away (WeChat's advice against replays) and a resource that names another
merchant or firm. ``out_trade_no`` is the payment id and ``attach`` the firm, so the event names both.

``wechatpayv3`` is imported on first use; its gateway is a constant of the SDK, replaced for the local cloud's
persona (``api_base``).
"""

from __future__ import annotations

import gzip
import json
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from courtyard.errors import Invalid
from payments.adapters.merchant_accounts import MerchantAccounts, WeChatMerchant
from payments.providers import (
    BadSignature,
    Checkout,
    CheckoutRequest,
    EventKind,
    ProviderEvent,
    ProviderUnavailable,
    RefundRequest,
    RefundResult,
    Settlement,
)

TOLERANCE_SECONDS = 300
CST = timezone(timedelta(hours=8), "CST")
SCENES = ("native", "jsapi")
_REFUND_KINDS = {
    "REFUND.SUCCESS": EventKind.REFUND_SUCCEEDED,
    "REFUND.ABNORMAL": EventKind.REFUND_FAILED,
    "REFUND.CLOSED": EventKind.REFUND_FAILED,
}
_REFUND_STATUS = {"SUCCESS": "succeeded", "PROCESSING": "pending", "ABNORMAL": "failed", "CLOSED": "failed"}


def _rfc3339_cst(epoch_seconds: float) -> str:
    """WeChat Pay's ``time_expire``: RFC 3339 in Beijing time (``2026-03-02T10:30:00+08:00``)."""
    return datetime.fromtimestamp(epoch_seconds, CST).isoformat(timespec="seconds")


def qr_data_uri(code_url: str) -> str:
    """The Native ``code_url`` as an SVG QR code the counter screen shows as it is."""
    import segno

    return str(segno.make(code_url, error="m").svg_data_uri(scale=6, border=2))


class WeChatPayProvider:
    def __init__(
        self,
        scene: str,
        merchants: MerchantAccounts,
        notify_base: str,
        now: Callable[[], float],
        api_base: str = "",
        timeout_s: float = 8.0,
    ) -> None:
        if scene not in SCENES:
            raise ValueError(f"unknown WeChat Pay scene {scene!r}")
        self.scene = scene
        self.name = f"wechatpay_{scene}"
        self._merchants = merchants
        self._notify_base = notify_base.rstrip("/")
        self._now = now
        self._api_base = api_base.rstrip("/")
        self._timeout = timeout_s
        self._clients: dict[tuple[str, WeChatMerchant], Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the SDK, one client per firm's keys
    def merchant(self, tenant_id: str) -> WeChatMerchant:
        merchant = self._merchants.account(tenant_id).wechatpay
        if merchant is None:
            raise Invalid("this firm does not take WeChat Pay (no merchant keys)")
        return merchant

    def _client(self, tenant_id: str) -> tuple[Any, WeChatMerchant]:
        merchant = self.merchant(tenant_id)
        key = (tenant_id, merchant)
        with self._lock:
            client = self._clients.get(key)
        if client is None:
            from wechatpayv3 import WeChatPay, WeChatPayType

            cert_dir = self._certificates(merchant)
            try:
                client = WeChatPay(
                    wechatpay_type=WeChatPayType.NATIVE if self.scene == "native" else WeChatPayType.JSAPI,
                    mchid=merchant.mchid,
                    private_key=merchant.private_key,
                    cert_serial_no=merchant.cert_serial_no,
                    appid=merchant.appid,
                    apiv3_key=merchant.apiv3_key,
                    notify_url=self.notify_url(tenant_id),
                    partner_mode=merchant.partner_mode,
                    public_key=merchant.platform_public_key or None,
                    public_key_id=merchant.platform_public_key_id or None,
                    cert_dir=cert_dir,
                    timeout=(3, self._timeout),
                )
            except Exception as error:  # the SDK raises bare Exceptions for bad keys and failed downloads
                raise ProviderUnavailable("WeChat Pay merchant keys could not be loaded") from error
            if self._api_base:
                # The SDK has no gateway option: the local cloud's persona stands in for WeChat Pay's API.
                client._core._gate_way = self._api_base
            with self._lock:
                self._clients[key] = client
        return client, merchant

    @staticmethod
    def _certificates(merchant: WeChatMerchant) -> str | None:
        """Certificate mode: the firm's platform certificate where the SDK loads it from (Lambda's /tmp), so
        it starts without a download; it fetches newer ones itself when a notice names another serial."""
        if merchant.platform_public_key or not merchant.platform_certificate:
            return None
        folder = Path(tempfile.gettempdir()) / "wechatpay" / f"{merchant.mchid}-{merchant.sub_mchid or 'own'}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "platform.pem").write_text(merchant.platform_certificate, encoding="utf-8")
        return str(folder)

    def notify_url(self, tenant_id: str) -> str:
        return f"{self._notify_base}/payments/webhooks/{self.name}/{tenant_id}"

    def _call(self, what: str, call: Callable[[], tuple[int, Any]]) -> tuple[int, dict[str, Any]]:
        try:
            code, message = call()
        except Exception as error:  # network errors, and the SDK's unverified-answer Exception
            raise ProviderUnavailable(f"WeChat Pay did not answer the {what}") from error
        try:
            answer = json.loads(message) if message else {}
        except (ValueError, TypeError):
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return int(code), answer

    # ------------------------------------------------------------------ PaymentProvider
    def offers(self, tenant_id: str) -> bool:
        return self._merchants.account(tenant_id).wechatpay is not None

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        if request.currency != "CNY":
            raise Invalid("WeChat Pay takes CNY only")
        client, merchant = self._client(request.tenant_id)
        payer: dict[str, str] | None = None
        if self.scene == "jsapi":
            if not request.payer_openid:
                raise Invalid("WeChat Pay inside WeChat needs the payer's openid (wechat_openid)")
            field = "sub_openid" if merchant.partner_mode and merchant.sub_appid else "openid"
            payer = {field: request.payer_openid}
        code, answer = self._call(
            "order",
            lambda: client.pay(
                description=request.description[:127],
                out_trade_no=request.payment_id,
                amount={"total": request.amount, "currency": "CNY"},
                payer=payer,
                time_expire=_rfc3339_cst(self._now() + request.expires_in) if request.expires_in else None,
                attach=request.tenant_id,
                sub_mchid=merchant.sub_mchid or None,
                sub_appid=merchant.sub_appid or None,
            ),
        )
        if code not in (200, 201):
            raise ProviderUnavailable(f"WeChat Pay refused the order: {answer.get('code', code)}")
        if self.scene == "native":
            code_url = str(answer.get("code_url", ""))
            return Checkout(
                request.payment_id, {"type": "qr", "code_url": code_url, "qr_svg": qr_data_uri(code_url)}
            )
        return Checkout(request.payment_id, self._jsapi_invoke(client, merchant, str(answer["prepay_id"])))

    def _jsapi_invoke(self, client: Any, merchant: WeChatMerchant, prepay_id: str) -> dict[str, str]:
        """The parameters WeixinJSBridge's ``getBrandWCPayRequest`` takes, signed with the merchant key."""
        appid = merchant.sub_appid if merchant.partner_mode and merchant.sub_appid else merchant.appid
        timestamp = str(int(self._now()))
        nonce = secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        return {
            "type": "wechat_jsapi",
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": str(client.sign([appid, timestamp, nonce, package])),
        }

    def verify_webhook(self, headers: Mapping[str, str], body: str, account: str = "") -> ProviderEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            signed_at = int(lowered.get("wechatpay-timestamp", ""))
        except ValueError as error:
            raise BadSignature("notification has no timestamp") from error
        if abs(self._now() - signed_at) > TOLERANCE_SECONDS:
            raise BadSignature("notification timestamp is stale (a replay?)")
        try:
            client, merchant = self._client(account)
        except Invalid as error:
            raise BadSignature("no WeChat Pay merchant for this notify URL") from error
        key_id = merchant.platform_public_key_id
        if key_id and lowered.get("wechatpay-serial") != key_id:
            # Public-key mode knows one key; the SDK would go and download certificates for any other serial.
            raise BadSignature("notification is signed with an unknown platform key")
        try:
            notice = client.callback(lowered, body)
        except Exception as error:  # the SDK raises for an unknown algorithm or a malformed serial
            raise BadSignature("notification signature is invalid") from error
        if not notice or not isinstance(notice.get("resource"), dict):
            raise BadSignature("notification signature or resource is invalid")
        return self._event(notice, merchant, account)

    def _event(self, notice: dict[str, Any], merchant: WeChatMerchant, account: str) -> ProviderEvent:
        resource: dict[str, Any] = notice["resource"]
        merchant_no = resource.get("sub_mchid") if merchant.partner_mode else resource.get("mchid")
        if str(merchant_no or "") != (merchant.sub_mchid or merchant.mchid):
            raise BadSignature("notification is for another merchant")
        event_type = str(notice.get("event_type", ""))
        amount: dict[str, Any] = resource.get("amount") or {}
        event_id = str(notice.get("id", ""))
        if not event_id:
            raise BadSignature("notification has no id")
        if event_type == "TRANSACTION.SUCCESS":
            if str(resource.get("attach", "")) != account:
                raise BadSignature("notification names another firm")
            if resource.get("trade_state") != "SUCCESS":
                return ProviderEvent(event_id=event_id, kind=EventKind.IGNORED)
            return ProviderEvent(
                event_id=event_id,
                kind=EventKind.PAYMENT_SUCCEEDED,
                tenant_id=account,
                payment_id=str(resource.get("out_trade_no", "")),
                provider_ref=str(resource.get("out_trade_no", "")),
                amount=int(amount.get("total") or 0),
                currency=str(amount.get("currency", "")).upper(),
            )
        if event_type in _REFUND_KINDS:
            return ProviderEvent(
                event_id=event_id,
                kind=_REFUND_KINDS[event_type],
                tenant_id=account,
                payment_id=str(resource.get("out_trade_no", "")),
                provider_ref=str(resource.get("out_trade_no", "")),
                amount=int(amount.get("refund") or 0),
                currency="CNY",  # refund notices carry no currency: WeChat Pay settles CNY
                refund_id=str(resource.get("out_refund_no", "")),
                reason=str(resource.get("refund_status", ""))[:200],
            )
        return ProviderEvent(event_id=event_id, kind=EventKind.IGNORED)

    def query(self, tenant_id: str, payment_id: str) -> dict[str, Any]:
        """The order as WeChat Pay holds it (``trade_state``, ``amount``, ``transaction_id``)."""
        client, merchant = self._client(tenant_id)
        code, answer = self._call(
            "query", lambda: client.query(out_trade_no=payment_id, sub_mchid=merchant.sub_mchid or None)
        )
        if code == 404:
            return {"trade_state": "NOTFOUND"}
        if code != 200:
            raise ProviderUnavailable(f"WeChat Pay refused the query: {answer.get('code', code)}")
        return answer

    def close(self, tenant_id: str, payment_id: str) -> bool:
        """Close an unpaid order (an abandoned checkout), so it can no longer be paid. False: it was paid
        meanwhile (its notification settles it); an order WeChat Pay never saw is as good as closed."""
        client, merchant = self._client(tenant_id)
        code, answer = self._call(
            "close", lambda: client.close(out_trade_no=payment_id, sub_mchid=merchant.sub_mchid or None)
        )
        if code in (200, 204) or answer.get("code") == "ORDER_NOT_EXIST":
            return True
        if answer.get("code") == "ORDERPAID":
            return False
        raise ProviderUnavailable(f"WeChat Pay did not close the order: {answer.get('code', code)}")

    def refund(self, request: RefundRequest) -> RefundResult:
        client, merchant = self._client(request.tenant_id)
        # WeChat Pay wants the order's total with every refund: ask it, rather than trust a stored copy.
        order = self.query(request.tenant_id, request.provider_ref)
        total = int((order.get("amount") or {}).get("total") or 0)
        if order.get("trade_state") not in ("SUCCESS", "REFUND") or total <= 0:
            raise Invalid("WeChat Pay does not show this order as paid")
        code, answer = self._call(
            "refund",
            lambda: client.refund(
                out_refund_no=request.refund_id,
                amount={"refund": request.amount, "total": total, "currency": "CNY"},
                out_trade_no=request.provider_ref,
                notify_url=self.notify_url(request.tenant_id),
                sub_mchid=merchant.sub_mchid or None,
            ),
        )
        if code not in (200, 201):
            raise ProviderUnavailable(f"WeChat Pay refused the refund: {answer.get('code', code)}")
        return RefundResult(
            str(answer.get("refund_id", request.refund_id)),
            _REFUND_STATUS.get(str(answer.get("status", "")), "pending"),
        )

    def settlements(self, day: date) -> list[Settlement]:
        # The trade bill is per merchant: reconciliation asks each firm's (``settlements_of``).
        del day
        return []

    def settlements_of(self, tenant_id: str, day: date) -> list[Settlement]:
        """What WeChat Pay moved for the firm on the UTC ``day``, from its daily trade bills (交易账单): the
        bills are by Beijing day, so the two that cover the UTC day are read (a bill not out yet, before
        10:00 the next Beijing day, reads as empty: a later run sees it)."""
        from payments import wechat_bill

        if not self.offers(tenant_id):
            return []
        client, merchant = self._client(tenant_id)
        found: list[wechat_bill.BillRow] = []
        for bill_date in (day.isoformat(), (day + timedelta(days=1)).isoformat()):

            def ask(bill_date: str = bill_date) -> tuple[int, Any]:
                return client.trade_bill(  # type: ignore[no-any-return]
                    bill_date=bill_date, bill_type="ALL", sub_mchid=merchant.sub_mchid or None
                )

            code, answer = self._call("trade bill", ask)
            if code != 200 or not answer.get("download_url"):
                continue  # NO_STATEMENT_EXIST: not generated yet (or nothing that day)
            url = str(answer["download_url"])
            try:
                status, content = client.download_bill(url)
            except Exception as error:  # network errors
                raise ProviderUnavailable("WeChat Pay did not hand over the trade bill") from error
            if status != 200:
                raise ProviderUnavailable(f"WeChat Pay refused the bill download: {status}")
            raw = content if isinstance(content, bytes) else str(content).encode()
            if raw[:2] == b"\x1f\x8b":  # tar_type GZIP
                raw = gzip.decompress(raw)
            found += wechat_bill.rows(raw.decode("utf-8"))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return [s for s in wechat_bill.on_utc_day(found, start) if s.tenant_id == tenant_id]
