"""Ticket photo routes: a Router ``tickets.handler`` includes.

``POST /tickets/{ticket_id}/photos`` hands out a presigned POST; the client uploads the file straight to S3
(the form's ``fields`` first, then ``file``) and calls ``.../photos/{photo_id}/confirm``. The rules are in
``tickets.services.photos``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from courtyard.api import CourtyardRouter
from courtyard.models import Model
from tickets import wiring
from tickets.services.photos import PhotoType

router = CourtyardRouter()


class PhotoUploadRequest(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    content_type: PhotoType
    filename: str | None = Field(default=None, min_length=1, max_length=255, examples=["leak.jpg"])


class UploadFormOut(Model):
    url: str
    fields: dict[str, str] = Field(description="post these form fields first, then the file as 'file'")
    max_bytes: int
    expires_in_seconds: int


class PhotoUploadOut(Model):
    photo_id: str
    upload: UploadFormOut


class PhotoConfirmOut(Model):
    photo_id: str
    status: Literal["attached"] = "attached"
    content_type: str
    url: str = Field(description="presigned GET, valid for a few minutes")


@router.post(
    "/tickets/<ticket_id>/photos",
    summary="Start a photo upload: a presigned POST (jpeg/png/webp/heic, at most 10 MB, 9 per ticket)",
    responses={201: {"description": "Created", "content": {"application/json": {"model": PhotoUploadOut}}}},
)
def start_photo_upload(ticket_id: str, body: PhotoUploadRequest) -> tuple[PhotoUploadOut, int]:
    upload = wiring.photos().start_upload(router.tenant(), ticket_id, body.content_type.value, body.filename)
    form = UploadFormOut(
        url=upload.form.url,
        fields=upload.form.fields,
        max_bytes=upload.max_bytes,
        expires_in_seconds=upload.expires_in_seconds,
    )
    return PhotoUploadOut(photo_id=upload.photo_id, upload=form), 201


@router.post(
    "/tickets/<ticket_id>/photos/<photo_id>/confirm",
    summary="Attach an uploaded photo after checking the stored object (again: no change)",
)
def confirm_photo(ticket_id: str, photo_id: str) -> PhotoConfirmOut:
    confirmed = wiring.photos().confirm(router.tenant(), ticket_id, photo_id)
    return PhotoConfirmOut(
        photo_id=confirmed.record.photo_id,
        content_type=confirmed.record.content_type,
        url=confirmed.url,
    )
