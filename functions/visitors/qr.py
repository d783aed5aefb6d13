"""The pass as a QR code (SVG for the app, PNG for printing and messaging) and the visitor's share link.

Byte mode with error correction level M: a ~400-character token fits a version 14 symbol that phone screens
and gate scanners read at arm's length; the four-module quiet zone is the standard's minimum.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import segno

_SCALE = 4
_BORDER = 4


def _code(token: str) -> segno.QRCode:
    # Imported on the first pass rendered: the visitors API's other routes never pay for the QR library.
    import segno

    return segno.make_qr(token, error="m", mode="byte")


def svg(token: str) -> bytes:
    buffer = io.BytesIO()
    _code(token).save(buffer, kind="svg", scale=_SCALE, border=_BORDER, xmldecl=False, title="Visitor pass")
    return buffer.getvalue()


def png(token: str) -> bytes:
    buffer = io.BytesIO()
    _code(token).save(buffer, kind="png", scale=_SCALE, border=_BORDER)
    return buffer.getvalue()


def share_url(base_url: str, token: str) -> str:
    """The link texted to the visitor: the app's visitor page with the token in the fragment.

    A fragment is never sent to a server, so the token stays out of web server and proxy logs; the page
    draws the QR code from it on the visitor's phone.
    """
    return f"{base_url.rstrip('/')}/v#{token}"
