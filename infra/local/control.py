"""The local cloud's control endpoint on loopback, so that CLI commands can reach a running `up`."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from infra.local.functions import InvocationError

if TYPE_CHECKING:
    from infra.local.cloud import LocalCloud


class ControlServer:
    """``POST /invoke/{function}`` (body: the event), ``POST /fire/{function}[?name=]``, ``GET /info``."""

    def __init__(self, cloud: LocalCloud, host: str = "127.0.0.1", port: int = 0) -> None:
        self._cloud = cloud
        handler = _handler_for(cloud)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> str:
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(cloud: LocalCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            return

        def do_GET(self) -> None:
            if urlparse(self.path).path == "/info" and cloud.info is not None:
                self._send(200, json.loads(cloud.info.to_json()))
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            parts = [p for p in url.path.split("/") if p]
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            try:
                if len(parts) == 2 and parts[0] == "invoke":
                    self._send(200, {"result": cloud.invoke(parts[1], body)})
                elif len(parts) == 2 and parts[0] == "fire":
                    name = parse_qs(url.query).get("name", [None])[0]
                    self._send(200, {"result": cloud.fire(parts[1], name)})
                else:
                    self._send(404, {"error": "not found"})
            except KeyError as error:
                self._send(404, {"error": str(error)})
            except InvocationError as error:
                self._send(200, {"error": error.error})

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload, default=str, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
