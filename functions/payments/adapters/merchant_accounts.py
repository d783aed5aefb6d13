"""Each firm's merchant keys for WeChat Pay and Alipay: one JSON secret per firm in Secrets Manager, named
``{prefix}{tenant_id}`` (the template's ``PaymentMerchantSecretPrefix``), read on first use and kept for a few
minutes so a rotated key is picked up without a deploy.

The secret's shape (either half may be absent: that firm then does not offer the provider)::

    {"wechatpay": {"mchid", "appid", "private_key", "cert_serial_no", "apiv3_key",
                   "platform_public_key", "platform_public_key_id",   # public-key mode, or
                   "platform_certificate",                             # certificate mode
                   "sub_mchid", "sub_appid"},                          # service-provider mode: the firm's
     "alipay":    {"app_id", "app_private_key", "alipay_public_key"}}

In the service-provider mode (服务商模式) ``mchid``/``appid``/keys are the provider's and ``sub_mchid`` is the
firm's own sub-merchant number.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from courtyard import aws

CACHE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class WeChatMerchant:
    mchid: str
    appid: str
    private_key: str
    cert_serial_no: str
    apiv3_key: str
    platform_public_key: str = ""
    platform_public_key_id: str = ""
    # Certificate mode instead: the platform certificate (PEM) the SDK starts from; it downloads newer ones.
    platform_certificate: str = ""
    sub_mchid: str = ""
    sub_appid: str = ""

    @property
    def partner_mode(self) -> bool:
        return bool(self.sub_mchid)


@dataclass(frozen=True, slots=True)
class AlipayMerchant:
    app_id: str
    app_private_key: str
    alipay_public_key: str


@dataclass(frozen=True, slots=True)
class MerchantAccount:
    wechatpay: WeChatMerchant | None = None
    alipay: AlipayMerchant | None = None


def _text(values: dict[str, Any], name: str) -> str:
    return str(values.get(name) or "")


def parse_account(raw: str) -> MerchantAccount:
    """A firm's secret string as its merchant account; a half missing a required key is left out."""
    values = json.loads(raw)
    wechat = values.get("wechatpay") or {}
    alipay = values.get("alipay") or {}
    wechat_merchant = None
    if all(_text(wechat, k) for k in ("mchid", "appid", "private_key", "cert_serial_no", "apiv3_key")):
        wechat_merchant = WeChatMerchant(**{k: _text(wechat, k) for k in WeChatMerchant.__dataclass_fields__})
    alipay_merchant = None
    if all(_text(alipay, k) for k in ("app_id", "app_private_key", "alipay_public_key")):
        alipay_merchant = AlipayMerchant(**{k: _text(alipay, k) for k in AlipayMerchant.__dataclass_fields__})
    return MerchantAccount(wechat_merchant, alipay_merchant)


class MerchantAccounts:
    """Per-firm merchant accounts from Secrets Manager; a firm without a secret has an empty account."""

    def __init__(self, prefix: str, now: Callable[[], float] = time.monotonic) -> None:
        self._prefix = prefix
        self._now = now
        self._cache: dict[str, tuple[float, MerchantAccount]] = {}
        self._lock = threading.Lock()

    def account(self, tenant_id: str) -> MerchantAccount:
        if not self._prefix or not tenant_id:
            return MerchantAccount()
        with self._lock:
            cached = self._cache.get(tenant_id)
            if cached is not None and self._now() - cached[0] < CACHE_SECONDS:
                return cached[1]
        account = self._load(tenant_id)
        with self._lock:
            self._cache[tenant_id] = (self._now(), account)
        return account

    def _load(self, tenant_id: str) -> MerchantAccount:
        client = aws.client("secretsmanager")
        try:
            raw = client.get_secret_value(SecretId=f"{self._prefix}{tenant_id}")["SecretString"]
        except client.exceptions.ResourceNotFoundException:
            return MerchantAccount()
        try:
            return parse_account(str(raw))
        except (ValueError, TypeError, AttributeError):
            # A malformed secret offers nothing rather than failing every payment route of the firm.
            return MerchantAccount()
