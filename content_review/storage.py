"""Private file storage for works and their derived files: on disk beside MEDIA_ROOT (never inside it,
since DEBUG serves MEDIA_ROOT statically), with no URL.

Nothing here is served statically; files reach a browser only through content_review.views, which
checks permissions (artist and program staff) or the showcase conditions (approved, consented, not
embargoed) first.
"""
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    """`<MEDIA_ROOT>-private` (e.g. media/ and media-private/), read from settings each time (tests move
    MEDIA_ROOT). Outside MEDIA_ROOT so no static route can ever reach it."""
    media_root = Path(settings.MEDIA_ROOT)
    return media_root.parent / f"{media_root.name}-private"


class PrivateMediaStorage(FileSystemStorage):
    """Files under private_root(); `url()` refuses."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o640, directory_permissions_mode=0o750)

    @property
    def base_location(self):
        return private_root()

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private media has no public URL; serve it through a view that checks permissions.")

    def deconstruct(self):
        return ("content_review.storage.PrivateMediaStorage", (), {})


_STORAGE = PrivateMediaStorage()


def private_storage():
    return _STORAGE
