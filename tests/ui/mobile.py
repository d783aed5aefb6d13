"""A page object for the residents' app on a phone: 390x844, touch, zh-CN, signing in through the form.

`mobile` (a fixture, registered in conftest.py) opens a fresh phone-sized browser context per test, so each
story starts signed out with empty storage, as a phone that just opened the link would.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import Browser, Page, expect

from infra.local.cloud import LocalCloud
from infra.seed import DEMO_PASSWORD
from tests.ui.console import ROOT

PHONE = {"width": 390, "height": 844}
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"

# Every visible text node's computed font size (px), with the text: what 老人模式 promises to raise.
_TEXT_SIZES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (box.width === 0 || box.height === 0) continue;
    out.push([text, parseFloat(style.fontSize)]);
  }
  return out;
}"""


# What Chromium's fake camera films: a 960x720 picture, as a phone's camera would at the gate.
CAMERA = (960, 720)


def fake_camera_feed(picture_png: bytes, path: Path) -> Path:
    """A Y4M video (4:2:0, the format of ``--use-file-for-fake-video-capture``) of ``picture_png`` centred on
    white: what the guard's camera sees when the visitor holds up the phone. Chromium loops the frames.

    A hand-held camera never films the same picture twice: the screen moves a few pixels and the focus
    breathes. The frames do too (a shift and a Gaussian softening of 1 to 2 px each), so the scanner is shown
    what a gate's camera shows rather than one still image that one reader might find hard. The frame count is
    prime to the scanner's stride, so it sees every variant in turn."""
    width, height = CAMERA
    picture = Image.open(io.BytesIO(picture_png)).convert("L")
    room = height - 80  # a quiet zone around the code, as on the visitor's screen
    if max(picture.size) > room:
        picture.thumbnail((room, room), Image.Resampling.LANCZOS)
    # Grey: both chroma planes are neutral (128), each a quarter of the luma plane.
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    frames = []
    for (dx, dy), blur in zip(HAND_SHAKE, FOCUS, strict=True):
        frame = Image.new("L", CAMERA, 255)
        frame.paste(picture, ((width - picture.width) // 2 + dx, (height - picture.height) // 2 + dy))
        frames.append(b"FRAME\n" + frame.filter(ImageFilter.GaussianBlur(blur)).tobytes() + chroma + chroma)
    path.write_bytes(header + b"".join(frames))
    return path


# One entry per frame: where the hand moved the screen (px) and how soft the focus is (Gaussian radius, px).
HAND_SHAKE = [(0, 0), (3, -2), (-2, 3), (5, 1), (-4, -3), (1, 4), (-1, -5), (4, 2)]
FOCUS = [1.5, 1.0, 2.0, 1.25, 1.75, 1.0, 1.5, 2.0]


@dataclass
class Mobile:
    page: Page
    web_url: str

    def open(self, path: str = "/") -> None:
        self.page.goto(f"{self.web_url}/m{path}")

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.open("/signin")
        self.fill_sign_in(username, password)
        expect(self.tabbar()).to_be_visible()

    def fill_sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.locator("form").get_by_role("button", name="登录").click()

    def sign_up(self, username: str, password: str, email: str, name: str) -> None:
        """Sign up on the form (moto accepts any confirmation code); ends signed in."""
        self.page.get_by_role("button", name="注册", exact=True).first.click()
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("姓名").fill(name)
        self.page.get_by_label("邮箱").fill(email)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.locator("form").get_by_role("button", name="注册").click()
        self.page.get_by_label("验证码").fill("123456")
        self.page.get_by_role("button", name="确定").click()

    def tabbar(self) -> Any:
        return self.page.get_by_role("tablist").filter(has_text="首页").last

    def tab(self, name: str) -> None:
        self.page.locator(".van-tabbar").get_by_text(name, exact=True).click()

    def set_elderly(self, on: bool) -> None:
        self.tab("我的")
        switch = self.page.get_by_role("switch", name="老人模式")
        if (switch.get_attribute("aria-checked") == "true") != on:
            switch.click()
        html = self.page.locator("html")
        if on:
            expect(html).to_have_class(re.compile(r"\belderly\b"))
        else:
            expect(html).not_to_have_class(re.compile(r"\belderly\b"))

    def text_sizes(self) -> list[tuple[str, float]]:
        return [(str(text), float(size)) for text, size in self.page.evaluate(_TEXT_SIZES)]

    def axe_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical findings on the current screen."""
        self.page.add_script_tag(path=str(AXE))
        result: dict[str, Any] = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def shot(self, folder: Path | None, name: str) -> None:
        if folder is not None:
            self.page.screenshot(path=str(folder / f"mobile-{name}.png"))


@pytest.fixture
def mobile(browser: Browser, browser_context_args: dict[str, Any], cloud: LocalCloud) -> Iterator[Mobile]:
    if not (ROOT / "web" / "mobile" / "dist" / "index.html").is_file():
        pytest.fail("the mobile app is not built: run `make web-build` (make test-ui does it)")
    assert cloud.info is not None
    context = browser.new_context(
        **{
            **browser_context_args,
            "viewport": PHONE,
            "screen": PHONE,
            "is_mobile": True,
            "has_touch": True,
            "device_scale_factor": 2,
            # The service worker would answer navigations from its cache between stories: the tests want the
            # edge's answer every time.
            "service_workers": "block",
        }
    )
    page = context.new_page()
    try:
        yield Mobile(page, cloud.info.web_url)
    finally:
        context.close()
