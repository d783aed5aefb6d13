"""WeChat Pay's daily trade bill (交易账单, API v3 ``GET /v3/bill/tradebill``, bill_type ALL), read, pure.

The file is CSV text: a header row (交易时间, 公众账号ID, 商户号, 特约商户号, 设备号, 微信订单号,
商户订单号, 用户标识, 交易类型, 交易状态, 付款银行, 货币种类, 应结订单金额, 代金券金额, 微信退款单号,
商户退款单号, 退款金额, 充值券退款金额, 退款类型, 退款状态, 商品名称, 商户数据包, 手续费, 费率, 订单金额,
申请退款金额, 费率备注), one row per trade or refund with every value prefixed by a back-quote (so
spreadsheets keep long numbers whole), then a totals header (总交易单数, ...) and its row. Amounts are yuan
with two decimals; times are Beijing time.

A ``SUCCESS`` row is a payment (its 订单金额 in fen, 商户订单号 = the payment id, 商户数据包 = the firm:
the order's ``attach``); a ``REFUND`` row is a refund (退款金额, 商户退款单号 = the refund id). Other
states move no money.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from payments.providers import Settlement

BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class BillRow:
    at: datetime  # aware, UTC
    settlement: Settlement


def _fen(yuan: str) -> int:
    try:
        return int((Decimal(yuan or "0") * 100).to_integral_value())
    except InvalidOperation:
        return 0


def rows(text: str) -> list[BillRow]:
    """The bill's money movements; the totals at the end and malformed rows are left out."""
    found: list[BillRow] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    for raw in reader:
        values = [v.strip().removeprefix("`") for v in raw]
        if not values or not values[0]:
            continue
        if values[0] == "交易时间":
            header = values
            continue
        if values[0].startswith("总交易单数") or header is None:
            header = None  # the totals block ends the trades
            continue
        row = dict(zip(header, values, strict=False))
        try:
            at = (
                datetime.strptime(row["交易时间"], "%Y-%m-%d %H:%M:%S")
                .replace(tzinfo=BEIJING)
                .astimezone(UTC)
            )
        except (KeyError, ValueError):
            continue
        state = row.get("交易状态", "")
        currency = row.get("货币种类", "CNY") or "CNY"
        tenant_id, payment_id = row.get("商户数据包", ""), row.get("商户订单号", "")
        if state == "SUCCESS":
            settlement = Settlement(
                provider_ref=payment_id,
                kind="payment",
                amount=_fen(row.get("订单金额") or row.get("应结订单金额", "")),
                currency=currency,
                tenant_id=tenant_id,
                payment_id=payment_id,
                extra={"transaction_id": row.get("微信订单号", "")},
            )
        elif state == "REFUND":
            settlement = Settlement(
                provider_ref=payment_id,
                kind="refund",
                amount=_fen(row.get("退款金额", "")),
                currency=currency,
                tenant_id=tenant_id,
                payment_id=payment_id,
                refund_id=row.get("商户退款单号", ""),
            )
        else:
            continue
        found.append(BillRow(at, settlement))
    return found


def on_utc_day(bill_rows: list[BillRow], day: datetime) -> list[Settlement]:
    """The rows whose time falls on the UTC day starting at ``day`` (bills are by Beijing day)."""
    end = day + timedelta(days=1)
    return [r.settlement for r in bill_rows if day <= r.at < end]
