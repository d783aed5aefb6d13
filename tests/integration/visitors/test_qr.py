"""The QR code of a pass decodes back to its token with a real QR decoder (zxing-cpp)."""

from __future__ import annotations

import base64
import io
from xml.etree import ElementTree

import zxingcpp
from PIL import Image

from tests.integration.visitors.conftest import Place


def test_the_png_qr_code_decodes_back_to_the_token_with_a_real_decoder(raw_call, issue, place: Place):
    visitor_pass = issue(visitor_phone="13912345678")

    response = raw_call(
        "GET", f"/passes/{visitor_pass['pass_id']}/qr", as_=place.host, query={"format": "png"}
    )

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["image/png"]
    assert response["isBase64Encoded"] is True
    image = Image.open(io.BytesIO(base64.b64decode(response["body"])))
    decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    assert [code.text for code in decoded] == [visitor_pass["token"]]


def test_the_svg_qr_code_is_an_svg_image_for_the_app(raw_call, issue, place: Place):
    visitor_pass = issue()

    response = raw_call("GET", f"/passes/{visitor_pass['pass_id']}/qr", as_=place.host)

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["image/svg+xml"]
    body = (
        response["body"]
        if not response.get("isBase64Encoded")
        else base64.b64decode(response["body"]).decode()
    )
    root = ElementTree.fromstring(body)
    assert root.tag.endswith("svg")
    assert root.find(".//{http://www.w3.org/2000/svg}path") is not None


def test_only_the_host_and_staff_fetch_a_passs_qr_code(call, issue, place: Place):
    visitor_pass = issue()

    assert call("GET", f"/passes/{visitor_pass['pass_id']}/qr", as_=place.neighbour).status == 404
