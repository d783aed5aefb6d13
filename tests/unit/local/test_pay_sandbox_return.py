"""The sandbox's hosted pay page sends the payer's browser back to the app (``return_to``), as a real
provider's checkout does after payment; without ``return_to`` (API callers, the tests) it answers JSON."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest

from infra.local.pay_sandbox import PaySandbox

BACK = "http://127.0.0.1:9/m/bills/receipt/P1"


@pytest.fixture
def sandbox() -> Iterator[PaySandbox]:
    server = PaySandbox()
    server.start()
    yield server
    server.stop()


def _open(sandbox: PaySandbox) -> str:
    checkout = sandbox.create_checkout({"amount": 12345, "currency": "CNY", "payment_id": "P1"}, None)
    return str(checkout["id"])


def _request(
    sandbox: PaySandbox, method: str, path: str, form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    host, port = urllib.parse.urlsplit(sandbox.url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = urllib.parse.urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode())
    connection.close()
    return answer


def test_the_pay_page_posts_back_to_itself_and_returns_the_payer_to_the_app(sandbox: PaySandbox) -> None:
    checkout_id = _open(sandbox)
    path = f"/pay/{checkout_id}?return_to={urllib.parse.quote(BACK, safe='')}"
    status, _, page = _request(sandbox, "GET", path)
    assert status == 200
    assert "<form" in page
    assert "123.45" in page

    status, headers, _ = _request(sandbox, "POST", path, {"outcome": "succeed"})
    assert status == 303
    assert headers["location"] == BACK
    assert sandbox.state.checkouts[checkout_id]["status"] == "paid"


def test_without_return_to_or_with_a_non_http_one_the_answer_stays_json(sandbox: PaySandbox) -> None:
    checkout_id = _open(sandbox)
    status, _, body = _request(
        sandbox, "POST", f"/pay/{checkout_id}?return_to=javascript:alert(1)", {"outcome": "succeed"}
    )
    assert status == 200
    assert json.loads(body)["checkout"]["status"] == "paid"
