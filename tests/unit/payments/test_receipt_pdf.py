"""The receipt PDF, pure: its text read back (pypdf) holds the firm, the unit, the number and the amount in
capitals; the same receipt gives the same bytes; a long receipt runs onto a second page; and PDFium draws
it with Chinese glyphs (with COURTYARD_UI_SCREENSHOTS=1, as `make ui-screenshots` sets, the PNG is kept in
tests/ui/screenshots/receipt-pdf.png to look at; otherwise in the test's temporary folder)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from payments.capital_numerals import in_capitals
from payments.receipt_pdf import Receipt, ReceiptLine, render, yuan
from pypdf import PdfReader

SCREENSHOT = Path(__file__).resolve().parents[2] / "ui" / "screenshots" / "receipt-pdf.png"


def _receipt(lines: int = 3) -> Receipt:
    items = [
        ReceiptLine("物业费 Property fee", "2026-03", 22375),
        ReceiptLine("滞纳金 Late fee", "2026-03", 1119),
        ReceiptLine("预存款 Credit", "", 76506),
    ]
    items += [ReceiptLine("停车费 Parking", f"2025-{m:02d}", 15000) for m in range(1, lines - 2)]
    return Receipt(
        firm="阳光物业服务有限公司",
        receipt_no="R2026-000042",
        unit="3栋2单元1201",
        channel="cash",
        lines=tuple(items),
        total=sum(i.amount for i in items),
        currency="CNY",
        paid_at="2026-04-21 07:30",
        payment_id="01JRECEIPT0000000000000000",
        taken_by="李前台",
        note="现金 找零 0",
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_yuan_formats_fen_with_thousands_and_two_decimals():
    assert [yuan(0), yuan(5), yuan(123450), yuan(100000000)] == ["0.00", "0.05", "1,234.50", "1,000,000.00"]


def test_the_receipt_text_holds_firm_unit_number_channel_clerk_and_the_amount_in_capitals():
    receipt = _receipt()

    text = _text(render(receipt))

    assert receipt.total == 100000
    assert "阳光物业服务有限公司" in text
    assert "收 款 收 据" in text
    assert "3栋2单元1201" in text
    assert "R2026-000042" in text
    assert "现金 Cash" in text
    assert "李前台" in text
    assert "2026-04-21 07:30" in text
    assert "¥1,000.00" in text
    assert f"人民币{in_capitals(100000)}" in text
    assert "人民币壹仟元整" in text


def test_the_same_receipt_renders_the_same_bytes():
    assert render(_receipt()) == render(_receipt())


def test_a_long_receipt_continues_on_a_second_page_with_the_total_on_the_last():
    pdf = render(_receipt(lines=12))
    pages = PdfReader(io.BytesIO(pdf)).pages

    assert len(pages) == 2
    assert "续下页" in pages[0].extract_text()
    assert "R2026-000042" in pages[1].extract_text()
    assert in_capitals(_receipt(lines=12).total) in pages[1].extract_text()


def test_pdfium_draws_the_chinese_text_as_ink_and_the_png_is_kept_to_look_at(tmp_path: Path):
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(render(_receipt()))[0]
    image = page.render(scale=2).to_pil().convert("L")
    keep = os.environ.get("COURTYARD_UI_SCREENSHOTS") == "1"
    image.save(SCREENSHOT if keep else tmp_path / SCREENSHOT.name)

    # The title row (收 款 收 据, centred about 72 pt below the top) is drawn: dark pixels there.
    width, _ = image.size
    title = image.crop((width // 2 - 120, 2 * 56, width // 2 + 120, 2 * 80))
    assert title.getextrema()[0] < 100
    # ... and a blank band under the footer rule is white.
    assert image.getpixel((10, 10)) == 255
