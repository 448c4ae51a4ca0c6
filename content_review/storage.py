"""Private file storage for works and their derived files: on disk under MEDIA_ROOT/private, with no URL.

Nothing here is served statically; files reach a browser only through content_review.views, which
checks permissions (artist and program staff) or the showcase conditions (approved, consented, not
embargoed) first.
"""
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateMediaStorage(FileSystemStorage):
    """MEDIA_ROOT/private, read from settings each time (tests move MEDIA_ROOT); `url()` refuses."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o640, directory_permissions_mode=0o750)

    @property
    def base_location(self):
        return Path(settings.MEDIA_ROOT) / "private"

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
