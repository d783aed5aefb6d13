"""A page object for the staff console: find things as a person would, by role and visible text."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from infra.http import HttpResponse, request
from infra.seed import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]

# Where the console keeps its Cognito tokens (STORAGE_KEY of web/shared/src/auth/cognito.ts).
AUTH_KEY = "courtyard.auth"
# The tokens of each demo user's first sign-in through the form, by (edge, username), kept for the session
# (ID tokens last an hour; a story's sign-out revokes the refresh token, which the console needs only in the
# last five minutes of that hour).
_SIGNED_IN: dict[tuple[str, str], str] = {}


@dataclass
class Console:
    page: Page
    web_url: str

    def open(self, path: str = "/") -> None:
        self.page.goto(f"{self.web_url}/console{path}")

    def sign_in(self, username: str, password: str = DEMO_PASSWORD, *, through_form: bool = False) -> None:
        """Signed in as ``username`` on the console's home page. A demo user's first sign-in of the session
        goes through the form; later ones put the tokens it kept back into the browser's storage, where the
        console keeps them (`courtyard.auth`, web/shared/src/auth/cognito.ts), and open the console as a
        returning user would: a story about something else need not pay for the form and Cognito again.
        ``through_form`` for a story about signing in itself."""
        key = (self.web_url, username)
        kept = _SIGNED_IN.get(key)
        if kept is None or through_form or password != DEMO_PASSWORD:
            self.open("/signin")
            self.fill_sign_in(username, password)
        else:
            # Any document of the edge's origin: localStorage is per origin, and this one loads no app.
            self.page.goto(f"{self.web_url}/console/config.json")
            self.page.evaluate("([key, value]) => localStorage.setItem(key, value)", [AUTH_KEY, kept])
            self.open("/")
        expect(self.page.get_by_role("button", name="退出登录")).to_be_visible()
        # The header has read GET /me: the firm's name is there.
        expect(self.page.get_by_test_id("firm-name")).not_to_be_empty()
        if password == DEMO_PASSWORD:
            _SIGNED_IN[key] = str(self.page.evaluate("(key) => localStorage.getItem(key)", AUTH_KEY))

    def fill_sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录").click()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="退出登录").click()
        expect(self.page.get_by_role("heading", name="登录物业管理后台")).to_be_visible()

    def menu(self) -> list[str]:
        # Each entry is an icon and its name; the name is what a person reads.
        items = self.page.get_by_role("menubar").get_by_role("menuitem").all_inner_texts()
        return [item.strip().splitlines()[-1] for item in items]

    def shot(self, folder: Path | None, name: str) -> None:
        if folder is not None:
            self.page.screenshot(path=str(folder / f"{name}.png"))


def call(web_url: str, method: str, path: str, token: str, body: Any = None) -> HttpResponse:
    """The API through the edge, as the console calls it."""
    return request(method, f"{web_url}/api{path}", token=token, body=body)


def cognito(web_url: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = urllib.request.Request(
        f"{web_url}/_cognito/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
        },
    )
    with urllib.request.urlopen(answer, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result
