"""The residents' app on a phone (390x844, touch, zh-CN), signing in through the form, on the local cloud:
joining by the invitation's share link, a repair with a photo in three steps, the home's way to visitor
passes, 老人模式 (four tiles, every text at least 20 px, SOS in one tap with an undo), paying a bill through
the sandbox's page back to the receipt, and an axe-core check of every resident page in 老人模式.
`make ui-screenshots` keeps one picture per page, normal and elderly."""

from __future__ import annotations

import json
import re
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from payments.capital_numerals import in_capitals
from playwright.sync_api import expect
from pypdf import PdfReader

from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import wait_for
from infra.seed import DemoData
from tests.ui.console import call
from tests.ui.mobile import Mobile

RESIDENT = "greenfield-resident"


def _png(path: Path) -> Path:
    """A real 8x8 PNG (the tickets API checks the stored object's type)."""
    raw = b"".join(b"\x00" + b"\xc8\x10\x2e" * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def _bill(web: str, tokens: dict[str, str], demo: DemoData, period: str) -> dict[str, Any]:
    """A yearly bill of the resident's unit for ``period``, billed by the manager through the API."""
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    site_id = demo.sites["greenfield"]
    fee = call(
        web,
        "POST",
        "/fee-items",
        manager,
        {"site_id": site_id, "name": "物业服务费", "kind": "fixed", "price_minor": 128800, "cycle": "yearly"},
    )
    assert fee.status == 201, fee.text
    run = call(web, "POST", "/billing-runs", manager, {"site_id": site_id, "period": period})
    assert run.status == 202, run.text
    run_id = run.json()["run_id"]
    assert wait_for(
        lambda: call(web, "GET", f"/billing-runs/{run_id}", manager).json()["status"] == "completed",
        timeout_s=90,
        interval_s=0.3,
    )
    [bill] = call(web, "GET", f"/bills?period={period}", tokens[RESIDENT]).json()["items"]
    return dict(bill)


_SPEECH_RECORDER = """
window.__spoken = [];
if (!window.SpeechSynthesisUtterance) {
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
}
const recorder = { speak: (u) => window.__spoken.push([u.lang, u.text]), cancel: () => {} };
Object.defineProperty(window, "speechSynthesis", { value: recorder, configurable: true });
"""


def _sos_ids(web: str, token: str) -> set[str]:
    items = call(web, "GET", "/tickets?mine=true&limit=100", token).json()["items"]
    return {t["ticket_id"] for t in items if t["kind"] == "sos"}


def test_a_newcomer_signs_up_from_an_invitation_link_and_sees_the_unit_and_household(
    mobile: Mobile, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    web = mobile.web_url
    manager = tokens[demo.user("greenfield", Role.MANAGER).username]
    unit_id = demo.units["greenfield"][0]
    invite = call(web, "POST", "/invites", manager, {"unit_id": unit_id, "relation": "family"})
    assert invite.status == 201, invite.text
    code = invite.json()["code"]
    label = call(web, "GET", f"/units/{unit_id}", manager).json()["label"]

    # The share link the SMS and the console carry: https into this app (PassShareBaseUrl, the edge's /m
    # locally), the code in the fragment.
    link = invite.json()["share_link"]
    assert link == f"{web}/m/join#{code}"
    mobile.page.goto(link)
    expect(mobile.page.get_by_text("请先登录或注册，然后加入您的房屋")).to_be_visible()
    mobile.shot(screenshots, "signin")
    username = f"wu-{uuid.uuid4().hex[:8]}"
    mobile.sign_up(username, "Newcomer-2026-pass", f"{username}@example.com", "吴小姐")

    expect(mobile.page).to_have_url(re.compile(f"/m/join#{re.escape(code)}$"))
    # Accepting, renewing the token and reading the unit and household: a few calls on a busy machine.
    expect(mobile.page.get_by_test_id("invite-unit")).to_have_text(label, timeout=30_000)
    household = mobile.page.get_by_test_id("invite-household")
    expect(household).to_contain_text("吴小姐")
    mobile.shot(screenshots, "invite")
    # The API agrees: the new account's token now carries the firm, and the unit lists the newcomer.
    residents = call(web, "GET", f"/residents?unit_id={unit_id}", manager).json()["items"]
    assert "吴小姐" in [r["name"] for r in residents]
    expect(household.locator("li")).to_have_count(len(residents))

    mobile.page.get_by_role("button", name="进入首页").click()
    expect(mobile.page.get_by_test_id("home-unit")).to_contain_text(label.split()[-1])

    # The link opened again, in 老人模式: the same answer (the account is already in the unit), readable.
    mobile.set_elderly(True)
    mobile.page.goto(link)
    expect(mobile.page.get_by_test_id("invite-unit")).to_have_text(label, timeout=30_000)
    mobile.shot(screenshots, "invite-elderly")
    assert mobile.axe_violations() == []


def test_a_resident_files_a_repair_with_a_photo_in_three_steps(
    mobile: Mobile, tokens: dict[str, str], tmp_path: Path, screenshots: Path | None
) -> None:
    mobile.sign_in(RESIDENT)
    mobile.tab("报修")
    mobile.shot(screenshots, "repairs")
    mobile.page.get_by_role("button", name="我要报修").click()

    page = mobile.page
    page.get_by_role("radio", name="水管").click()  # 1. what
    page.get_by_label("说明").fill("厨房水管漏水")
    mobile.shot(screenshots, "repair-new")
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="下一步").click()  # 2. where: my home is chosen already
    page.locator("input[type=file]").set_input_files(str(_png(tmp_path / "leak.png")))  # 3. photo
    expect(page.locator(".van-uploader__preview")).to_have_count(1)
    page.get_by_role("button", name="提交报修").click()

    # The photo's presigned POST, the ticket and its photo record: a few calls on a busy machine.
    expect(page).to_have_url(re.compile(r"/m/repairs/[0-9A-Z]+$"), timeout=30_000)
    ticket_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("repair-photo")).to_have_count(1)
    mobile.shot(screenshots, "repair")
    ticket = call(mobile.web_url, "GET", f"/tickets/{ticket_id}", tokens[RESIDENT]).json()
    assert ticket["category"] == "plumbing"
    assert ticket["description"] == "厨房水管漏水"
    assert [p["content_type"] for p in ticket["photos"]] == ["image/png"]


def test_elderly_mode_makes_every_home_text_20px_and_sos_files_in_one_tap(
    mobile: Mobile, tokens: dict[str, str], screenshots: Path | None
) -> None:
    token = tokens[RESIDENT]
    # Record what 朗读 would say (headless chromium has no voices).
    mobile.page.add_init_script(_SPEECH_RECORDER)
    mobile.sign_in(RESIDENT)
    expect(mobile.page.get_by_test_id("home-unit")).to_be_visible()
    mobile.shot(screenshots, "home")
    # The ordinary home leads to visitor passes (off the four tabs): one tap.
    mobile.page.get_by_role("button", name="访客通行").click()
    expect(mobile.page).to_have_url(re.compile(r"/m/visitors$"))
    expect(mobile.page.get_by_test_id("new-pass")).to_be_visible()
    mobile.set_elderly(True)
    mobile.tab("首页")
    tiles = mobile.page.get_by_test_id("elderly-tiles")
    expect(tiles).to_be_visible()
    # 老人模式 keeps its four tiles and nothing else.
    expect(tiles.locator(":scope > .tile")).to_have_count(4)
    expect(mobile.page.get_by_role("button", name="访客通行")).to_have_count(0)
    mobile.shot(screenshots, "home-elderly")

    sizes = mobile.text_sizes()
    assert sizes, "the home shows text"
    small = [(text, size) for text, size in sizes if size < 20]
    assert small == [], f"texts under 20 px in 老人模式: {small}"

    mobile.page.get_by_test_id("read-aloud").click()
    spoken = mobile.page.evaluate("window.__spoken")
    assert {lang for lang, _ in spoken} == {"zh-CN"}
    said = " ".join(text for _, text in spoken)
    for word in ("首页", "报修", "缴费", "通知"):
        assert word in said

    # Undo within the three seconds: nothing is filed.
    before = _sos_ids(mobile.web_url, token)
    mobile.page.get_by_test_id("sos").click()
    mobile.page.get_by_test_id("sos-undo").click()
    expect(mobile.page.get_by_test_id("sos")).to_be_visible()
    mobile.page.wait_for_timeout(3500)  # past the window: the undone SOS must not go out late
    assert _sos_ids(mobile.web_url, token) == before

    mobile.page.get_by_test_id("sos").click()
    expect(mobile.page.get_by_test_id("sos-sent")).to_contain_text("已通知值班人员", timeout=15_000)
    filed = _sos_ids(mobile.web_url, token) - before
    assert len(filed) == 1
    ticket = call(mobile.web_url, "GET", f"/tickets/{filed.pop()}", token).json()
    primary = [u for u in call(mobile.web_url, "GET", "/me", token).json()["person"]["units"] if u["primary"]]
    assert ticket["kind"] == "sos"
    assert ticket["unit_id"] == primary[0]["unit_id"]

    # Remembered for this account: a reload keeps it.
    mobile.page.reload()
    expect(mobile.page.locator("html")).to_have_class(re.compile(r"\belderly\b"))


def test_a_resident_pays_a_bill_through_the_sandbox_and_sees_the_receipt(
    mobile: Mobile, demo: DemoData, tokens: dict[str, str], screenshots: Path | None
) -> None:
    bill = _bill(mobile.web_url, tokens, demo, "2032")
    mobile.sign_in(RESIDENT)
    mobile.tab("缴费")
    row = mobile.page.get_by_test_id("bill-due").filter(has_text="2032")
    expect(row).to_be_visible()
    mobile.shot(screenshots, "bills")
    # Only this bill: untick the others.
    for other in mobile.page.get_by_test_id("bill-due").filter(has_not_text="2032").all():
        other.locator(".van-checkbox").click()
    expect(mobile.page.get_by_test_id("pay-total")).to_contain_text(f"{bill['amount_payable'] / 100:,.2f}")
    mobile.page.get_by_role("radio", name="沙箱支付").click()
    mobile.page.get_by_test_id("pay").click()

    expect(mobile.page.get_by_role("heading", name="Courtyard sandbox pay")).to_be_visible()
    mobile.page.get_by_role("button", name="Pay").click()

    expect(mobile.page).to_have_url(re.compile(r"/m/bills/receipt/"))
    receipt = mobile.page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("缴费成功")
    expect(mobile.page.get_by_test_id("receipt-amount")).to_have_text(f"¥{bill['amount_payable'] / 100:,.2f}")
    # An online payment is named by its transaction id; the firm's receipt number is the PDF's, not this id.
    expect(receipt).to_contain_text("交易号")
    expect(mobile.page.get_by_test_id("receipt-no")).to_have_count(0)
    mobile.shot(screenshots, "receipt")
    assert (
        call(mobile.web_url, "GET", f"/bills/{bill['bill_id']}", tokens[RESIDENT]).json()["status"] == "paid"
    )

    # 下载收据: the receipt PDF (the API's presigned link) downloads, with the amount in capitals.
    with mobile.page.expect_download() as download:
        mobile.page.get_by_role("button", name="下载收据").click()
    expect(mobile.page.get_by_text("收据已打开")).to_be_visible()
    pdf = PdfReader(download.value.path())
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert in_capitals(bill["amount_payable"]) in text
    assert download.value.suggested_filename.startswith("receipt-R")
    mobile.shot(screenshots, "receipt-downloaded")


PAGES = [
    ("home", "/"),
    ("repairs", "/repairs"),
    ("repair-new", "/repairs/new"),
    ("bills", "/bills"),
    ("visitors", "/visitors"),
    ("pass-new", "/visitors/new"),
    ("me", "/me"),
    ("messages", "/messages"),
    ("preferences", "/preferences"),
]
# Pages whose normal-mode picture no other story takes.
NORMAL_SHOTS = ("me", "messages", "preferences", "repair", "visitors", "pass-new", "pass")


@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
def test_every_resident_page_in_elderly_mode_has_no_serious_accessibility_violation(
    mobile: Mobile, tokens: dict[str, str], elderly: bool, screenshots: Path | None
) -> None:
    token = tokens[RESIDENT]
    filed = call(
        mobile.web_url, "POST", "/tickets", token, {"category": "electrical", "description": "客厅插座没电"}
    )
    assert filed.status == 201, filed.text
    visitor_pass = request(
        "POST",
        f"{mobile.web_url}/api/passes",
        token=token,
        body={"visitor_name": "孙师傅", "entries_allowed": 2},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert visitor_pass.status == 201, visitor_pass.text
    pages = [
        *PAGES,
        ("repair", f"/repairs/{filed.json()['ticket_id']}"),
        ("pass", f"/visitors/{visitor_pass.json()['pass_id']}"),
    ]
    paid = [
        b for b in call(mobile.web_url, "GET", "/bills?limit=100", token).json()["items"] if b["payment_id"]
    ]
    if paid:
        pages.append(("receipt", f"/bills/receipt/{paid[0]['payment_id']}"))

    mobile.sign_in(RESIDENT)
    mobile.set_elderly(elderly)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages:
        mobile.open(path)
        expect(mobile.page.locator(".page-state, .page").first).to_be_visible()
        expect(mobile.page.locator('[data-state="loading"]')).to_have_count(0, timeout=15_000)
        if screenshots is not None:
            # Parts a page reads without a loading state (我的's name from GET /me) settle before the picture.
            mobile.page.wait_for_load_state("networkidle")
        if elderly:
            found[name] = mobile.axe_violations()
            mobile.shot(screenshots, f"{name}-elderly")
        elif name in NORMAL_SHOTS:
            mobile.shot(screenshots, name)
    failing = {name: v for name, v in found.items() if v}
    assert not failing, json.dumps(failing, ensure_ascii=False, indent=1)
