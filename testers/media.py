"""Checks feedback image attachments and makes their thumbnails (on Pillow, through atelier.media)."""
from __future__ import annotations

import os
import tempfile

from django.core.files import File

from atelier.errors import DomainError
from atelier.media import MB, MediaLimits, MediaRejected, inspect_upload, make_image_thumbnail

MAX_ATTACHMENTS = 5
ACCEPTED_IMAGES = "JPEG, PNG, WebP or GIF"
FEEDBACK_IMAGE_LIMITS = MediaLimits(max_bytes_image=10 * MB, max_pixels=40_000_000, max_gif_frames=200)
THUMBNAIL_SIDE = 320


def check_feedback_image(upload) -> tuple[int, int]:
    """Raise DomainError unless `upload` is a sound still or animated image; return its (width, height)."""
    name = getattr(upload, "name", "") or "image"
    try:
        info = inspect_upload(upload, name, FEEDBACK_IMAGE_LIMITS)
    except MediaRejected as rejected:
        raise DomainError(str(rejected)) from None
    if info.kind != "image":
        raise DomainError(f"{os.path.basename(name)} is a video; feedback takes images only ({ACCEPTED_IMAGES}).")
    upload.seek(0)
    return info.width, info.height


def make_thumbnail(attachment) -> None:
    """Write the attachment's thumbnail (a JPEG) through the storage, whatever the storage is."""
    with tempfile.TemporaryDirectory() as folder:
        dest = os.path.join(folder, "thumb.jpg")
        with attachment.image.open("rb") as source:
            make_image_thumbnail(source, dest, THUMBNAIL_SIDE, limits=FEEDBACK_IMAGE_LIMITS)
        with open(dest, "rb") as thumb:
            attachment.thumbnail.save(f"{attachment.pk}.jpg", File(thumb), save=False)
    attachment.save(update_fields=["thumbnail"])
