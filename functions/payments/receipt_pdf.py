"""A payment's receipt (收款收据) as a PDF: the firm, the unit, the items, the amount in yuan and in Chinese
capital numerals, the channel, the receipt number, who took the money at the counter and the date in the
firm's time zone. Pure: a ``Receipt`` in, bytes out (``payments.services.receipts`` stores them once).

Why reportlab with its built-in CID font ``STSong-Light``: it is one of Adobe's standard CJK fonts that every
conforming PDF reader (Acrobat, pdf.js, Chrome's PDFium, iOS and Android viewers, WeChat's) knows by name and
draws with a Song face of its own, so the PDF carries no font file: a receipt is a few kilobytes and the
Lambda layer ships no CJK font (a full Song/Hei TTF is 10-20 MB; an embedded subset would need fontTools at
run time as well, through fpdf2). The text stays real text (UniGB-UCS2-H: Unicode code points), so it can be
searched and extracted. The price: the face is the reader's, so a receipt looks a little different from one
reader to another, which a receipt (unlike a contract form) can afford. ``invariant`` keeps the bytes the same
for the same receipt (no creation date or random document id), so a retried upload writes the same object.

reportlab is imported on first use: only the receipt route loads it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from payments.capital_numerals import in_capitals

FONT = "STSong-Light"

# What the resident reads for each way of paying (Payment.provider).
CHANNELS = {
    "cash": "现金 Cash",
    "pos": "刷卡 POS",
    "bank_transfer": "银行转账 Bank transfer",
    "wechatpay_native": "微信支付 WeChat Pay",
    "wechatpay_jsapi": "微信支付 WeChat Pay",
    "alipay_page": "支付宝 Alipay",
    "alipay_wap": "支付宝 Alipay",
    "stripe": "银行卡 Card (Stripe)",
    "sandbox": "测试支付 Sandbox",
}


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    item: str  # 物业费, 滞纳金, 预存款 ...
    period: str  # the bill's period, or "" (credit)
    amount: int  # fen


@dataclass(frozen=True, slots=True)
class Receipt:
    firm: str
    receipt_no: str
    unit: str
    channel: str  # Payment.provider
    lines: tuple[ReceiptLine, ...]
    total: int  # fen
    currency: str
    paid_at: str  # already in the firm's time zone: "2026-04-20 10:00"
    payment_id: str
    taken_by: str | None = None  # counter payments: the clerk's name
    note: str | None = None


def yuan(fen: int) -> str:
    """Fen as yuan with a thousands separator: 123450 -> "1,234.50" (integer arithmetic, no float)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def channel_label(provider: str) -> str:
    return CHANNELS.get(provider, provider)


def render(receipt: Receipt) -> bytes:
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    width, height = landscape(A5)
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=(width, height), invariant=1, pageCompression=1)
    pdf.setTitle(f"收款收据 {receipt.receipt_no}")
    pdf.setAuthor(receipt.firm)
    pdf.setSubject(f"payment {receipt.payment_id}")
    left, right = 36.0, width - 36.0

    def heading() -> float:
        pdf.setFont(FONT, 16)
        pdf.drawCentredString(width / 2, height - 44, receipt.firm)
        pdf.setFont(FONT, 20)
        pdf.drawCentredString(width / 2, height - 72, "收 款 收 据")
        pdf.setFont(FONT, 9)
        pdf.drawCentredString(width / 2, height - 86, "RECEIPT")
        pdf.setFont(FONT, 11)
        y = height - 110
        pdf.drawString(left, y, f"收据编号 No.  {receipt.receipt_no}")
        pdf.drawRightString(right, y, f"日期 Date  {receipt.paid_at}")
        y -= 18
        pdf.drawString(left, y, f"房号 Unit  {receipt.unit}")
        pdf.drawRightString(right, y, f"收款方式 Paid by  {channel_label(receipt.channel)}")
        y -= 12
        pdf.setLineWidth(0.8)
        pdf.line(left, y, right, y)
        y -= 16
        pdf.setFont(FONT, 10)
        pdf.drawString(left + 4, y, "项目 Item")
        pdf.drawString(left + 250, y, "所属期 Period")
        pdf.drawRightString(right - 4, y, "金额(元) Amount")
        y -= 6
        pdf.setLineWidth(0.4)
        pdf.line(left, y, right, y)
        return y - 16

    y = heading()
    pdf.setFont(FONT, 11)
    for line in receipt.lines:
        if y < 130:
            pdf.setFont(FONT, 9)
            pdf.drawRightString(right, 40, "续下页 continued")
            pdf.showPage()
            y = heading()
            pdf.setFont(FONT, 11)
        pdf.drawString(left + 4, y, line.item[:40])
        pdf.drawString(left + 250, y, line.period)
        pdf.drawRightString(right - 4, y, yuan(line.amount))
        y -= 18
    pdf.setLineWidth(0.8)
    pdf.line(left, y + 6, right, y + 6)
    y -= 12
    pdf.setFont(FONT, 12)
    pdf.drawString(left, y, f"合计(小写) Total  ¥{yuan(receipt.total)}")
    pdf.drawRightString(right, y, receipt.currency)
    y -= 20
    money = "人民币" if receipt.currency == "CNY" else ""
    pdf.drawString(left, y, f"合计(大写)  {money}{in_capitals(receipt.total)}")
    y -= 24
    pdf.setFont(FONT, 10)
    if receipt.taken_by:
        pdf.drawString(left, y, f"收款人 Received by  {receipt.taken_by}")
    if receipt.note:
        pdf.drawRightString(right, y, f"备注 Note  {receipt.note[:60]}")
    pdf.setFont(FONT, 8)
    pdf.drawString(left, 30, f"支付单号 Payment  {receipt.payment_id}")
    pdf.drawRightString(right, 30, "本收据为收款凭证, 不作发票使用 (This receipt is not a tax invoice)")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
