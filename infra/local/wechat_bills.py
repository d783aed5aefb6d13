"""The WeChat Pay persona's trade bills (交易账单, ``GET /v3/bill/tradebill`` and its download), as WeChat
Pay documents the file: CSV, every value prefixed with a back-quote, a totals block at the end, gzip'd
(tar_type GZIP), Beijing times, amounts in yuan."""

from __future__ import annotations

import gzip
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
TOTALS = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def trade_bill(orders: dict[str, dict[str, Any]], caller: str, path_and_query: str) -> bytes | None:
    """The caller's paid orders of the ``bill_date`` (Beijing) as the gzip'd bill; None: no bill that day."""
    query = {k: v[-1] for k, v in parse_qs(urlsplit(path_and_query).query).items()}
    day, merchant_no = query.get("bill_date", ""), query.get("sub_mchid") or caller
    lines, total = [HEADER], 0
    for key, order in sorted(orders.items()):
        paid_at = str(order.get("success_time", ""))
        if not key.startswith(f"{merchant_no}:") or order.get("_caller") != caller:
            continue
        if order["trade_state"] not in ("SUCCESS", "REFUND") or not paid_at.startswith(day):
            continue
        amount = int(order["amount"]["total"])
        total += amount
        yuan = f"{amount / 100:.2f}"
        values = [
            paid_at[:19].replace("T", " "), order.get("appid", ""), caller, order.get("sub_mchid", ""), "",
            order.get("transaction_id", ""), order["out_trade_no"], "o-payer", order["trade_type"], "SUCCESS",
            "OTHERS", "CNY", yuan, "0.00", "0", "0", "0.00", "0.00", "", "", order.get("description", ""),
            order.get("attach", ""), "0.00000", "0.60%", yuan, "0.00", "",
        ]  # fmt: skip
        lines.append(",".join(f"`{v}" for v in values))
    if len(lines) == 1:
        return None
    count, money = len(lines) - 1, f"{total / 100:.2f}"
    lines += [TOTALS, f"`{count},`{money},`0.00,`0.00,`0.00000,`{money},`0.00"]
    return gzip.compress(("\r\n".join(lines) + "\r\n").encode("utf-8"), mtime=0)


def bill_answer(download_url: str, data: bytes) -> dict[str, str]:
    # SHA1 is the hash WeChat Pay names for its bill files (an integrity check, not a signature).
    digest = hashlib.sha1(data).hexdigest()  # noqa: S324
    return {"download_url": download_url, "hash_type": "SHA1", "hash_value": digest}
