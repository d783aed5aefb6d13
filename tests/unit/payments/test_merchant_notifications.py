"""WeChat Pay's and Alipay's notification handling against their personas' keys, without a network: the SDKs'
signature checks and WeChat Pay's AES-GCM decryption accept exactly what the provider would send for this
firm, and everything else is a ``BadSignature``."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payments.adapters.alipay import AlipayProvider, to_fen, to_yuan
from payments.adapters.wechatpay import WeChatPayProvider
from payments.providers import BadSignature, EventKind

from infra.local.alipay_persona import AlipayPersona
from infra.local.wechat_persona import WeChatPersona, encrypt_resource
from tests.fakes.merchants import InMemoryMerchants

FIRM, OTHER = "01FIRM000000000000000000AA", "01FIRM000000000000000000BB"
NOW = 1_790_000_000.0


@pytest.fixture(scope="module")
def wechat() -> WeChatPersona:
    return WeChatPersona()


@pytest.fixture(scope="module")
def alipay() -> AlipayPersona:
    return AlipayPersona()


def _wechat_provider(
    persona: WeChatPersona, partner: bool = False
) -> tuple[WeChatPayProvider, dict[str, str]]:
    own = persona.merchant(FIRM, partner)
    secrets = {
        FIRM: json.dumps({"wechatpay": own}),
        OTHER: json.dumps({"wechatpay": persona.merchant(OTHER)}),
    }
    return WeChatPayProvider("native", InMemoryMerchants(secrets), "https://api.example", lambda: NOW), own


def _notice(
    persona: WeChatPersona, merchant: dict[str, str], event_type: str = "TRANSACTION.SUCCESS", **resource: Any
) -> tuple[dict[str, str], str]:
    payload = {
        "mchid": merchant["mchid"],
        "out_trade_no": "01PAYMENT00000000000000000",
        "trade_state": "SUCCESS",
        "attach": FIRM,
        "amount": {"total": 12345, "currency": "CNY"},
        **resource,
    }
    if merchant["sub_mchid"]:
        payload = {**payload, "sp_mchid": payload.pop("mchid"), "sub_mchid": merchant["sub_mchid"]}
    body = json.dumps(
        {
            "id": "EV-1",
            "event_type": event_type,
            "resource_type": "encrypt-resource",
            "resource": encrypt_resource(merchant["apiv3_key"], json.dumps(payload), "transaction"),
        }
    )
    return persona.sign_body(body, int(NOW)), body


def test_a_signed_and_encrypted_payment_notice_becomes_a_payment_event(wechat: WeChatPersona):
    provider, merchant = _wechat_provider(wechat)

    event = provider.verify_webhook(*_notice(wechat, merchant), account=FIRM)

    assert event.kind is EventKind.PAYMENT_SUCCEEDED
    assert (event.tenant_id, event.payment_id, event.amount, event.currency) == (
        FIRM,
        "01PAYMENT00000000000000000",
        12345,
        "CNY",
    )
    assert event.event_id == "EV-1"


def test_a_sub_merchants_notice_is_accepted_for_its_own_sub_mchid(wechat: WeChatPersona):
    provider, merchant = _wechat_provider(wechat, partner=True)

    assert (
        provider.verify_webhook(*_notice(wechat, merchant), account=FIRM).kind is EventKind.PAYMENT_SUCCEEDED
    )


def test_a_refund_notice_names_the_refund_and_its_amount(wechat: WeChatPersona):
    provider, merchant = _wechat_provider(wechat)
    headers, body = _notice(
        wechat, merchant, "REFUND.SUCCESS", out_refund_no="01REFUND", amount={"total": 12345, "refund": 500}
    )

    event = provider.verify_webhook(headers, body, account=FIRM)

    assert (event.kind, event.refund_id, event.amount) == (EventKind.REFUND_SUCCEEDED, "01REFUND", 500)


@pytest.mark.parametrize(
    "spoil",
    [
        "body",  # a byte of the body changed after signing
        "signature",  # another key's signature
        "stale",  # signed an hour ago: a replay
        "algorithm",  # a signature type the SDK does not verify
        "serial",  # a platform key id the firm does not know
    ],
)
def test_a_notice_whose_signature_does_not_hold_is_refused(wechat: WeChatPersona, spoil: str):
    provider, merchant = _wechat_provider(wechat)
    headers, body = _notice(wechat, merchant)
    if spoil == "body":
        body = body.replace('"EV-1"', '"EV-2"')
    elif spoil == "signature":
        headers["Wechatpay-Signature"] = WeChatPersona().sign_body(body, int(NOW))["Wechatpay-Signature"]
    elif spoil == "stale":
        headers = wechat.sign_body(body, int(NOW) - 3600)
    elif spoil == "algorithm":
        headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    else:
        headers["Wechatpay-Serial"] = "ABCDEF"

    with pytest.raises(BadSignature):
        provider.verify_webhook(headers, body, account=FIRM)


def test_a_notice_for_one_firm_cannot_be_applied_to_another(wechat: WeChatPersona):
    provider, merchant = _wechat_provider(wechat)
    headers, body = _notice(wechat, merchant)
    _, foreign = _notice(wechat, merchant, attach=OTHER)

    with pytest.raises(BadSignature):  # the other firm's API v3 key cannot decrypt it
        provider.verify_webhook(headers, body, account=OTHER)
    with pytest.raises(BadSignature):  # a firm without keys has no merchant
        provider.verify_webhook(headers, body, account="01NOKEYS00000000000000000")
    with pytest.raises(BadSignature):  # decrypted with this firm's key, but it names another firm
        provider.verify_webhook(wechat.sign_body(foreign, int(NOW)), foreign, account=FIRM)


def test_a_notice_naming_another_merchant_number_is_refused(wechat: WeChatPersona):
    provider, merchant = _wechat_provider(wechat)

    with pytest.raises(BadSignature):
        provider.verify_webhook(*_notice(wechat, merchant, mchid="1600000000"), account=FIRM)


# ---------------------------------------------------------------------------------------------- Alipay


def _alipay_provider(persona: AlipayPersona) -> tuple[AlipayProvider, dict[str, str]]:
    own = persona.merchant(FIRM)
    secrets = {FIRM: json.dumps({"alipay": own}), OTHER: json.dumps({"alipay": persona.merchant(OTHER)})}
    return AlipayProvider("wap", InMemoryMerchants(secrets), "https://api.example"), own


def _form(persona: AlipayPersona, app_id: str, **fields: str) -> str:
    notify_id = f"n{time.monotonic_ns()}"
    persona.state.notices[notify_id] = {
        "notify_id": notify_id,
        "app_id": app_id,
        "out_trade_no": "01PAYMENT00000000000000000",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "123.45",
        "passback_params": FIRM,
        **fields,
    }
    return persona.signed(notify_id)


def test_an_rsa2_signed_alipay_notice_becomes_a_payment_event(alipay: AlipayPersona):
    provider, app = _alipay_provider(alipay)

    event = provider.verify_webhook({}, _form(alipay, app["app_id"]), account=FIRM)

    assert (event.kind, event.payment_id, event.amount, event.currency) == (
        EventKind.PAYMENT_SUCCEEDED,
        "01PAYMENT00000000000000000",
        12345,
        "CNY",
    )


def test_an_alipay_refund_notice_names_the_refund(alipay: AlipayPersona):
    provider, app = _alipay_provider(alipay)
    form = _form(alipay, app["app_id"], out_biz_no="01REFUND", refund_fee="5.00")

    event = provider.verify_webhook({}, form, account=FIRM)

    assert (event.kind, event.refund_id, event.amount) == (EventKind.REFUND_SUCCEEDED, "01REFUND", 500)


@pytest.mark.parametrize("spoil", ["amount", "sign", "app", "firm", "not_an_amount"])
def test_an_alipay_notice_that_does_not_hold_is_refused(alipay: AlipayPersona, spoil: str):
    provider, app = _alipay_provider(alipay)
    account = FIRM
    fields = dict(parse_qsl(_form(alipay, app["app_id"])))
    if spoil == "amount":
        fields["total_amount"] = "0.01"
    elif spoil == "sign":
        fields["sign"] = fields["sign"][::-1]
    elif spoil == "app":  # another app's notice, properly signed by Alipay, sent to this firm's URL
        fields = dict(parse_qsl(_form(alipay, "2021000000000000")))
    elif spoil == "firm":
        account = OTHER
    else:
        fields = dict(parse_qsl(_form(alipay, app["app_id"], total_amount="12.345")))

    with pytest.raises(BadSignature):
        provider.verify_webhook({}, urlencode(fields), account=account)


@given(st.integers(min_value=0, max_value=10**13))
def test_yuan_strings_and_fen_round_trip_exactly(fen: int):
    assert to_fen(to_yuan(fen)) == fen


@pytest.mark.parametrize("text", ["", "1.234", "-1.00", "1e3", "1,00", " "])
def test_anything_but_a_plain_yuan_amount_is_not_an_amount(text: str):
    with pytest.raises(ValueError, match="not an amount"):
        to_fen(text)
