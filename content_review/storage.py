"""Private file storage for works and their derived files, reached only through Django's storage API (open,
save, delete, exists, size), never through a path: on local disk beside MEDIA_ROOT by default, or in an
S3-compatible bucket (django-storages) when PRIVATE_STORAGE_BACKEND=s3 (atelier/settings.py builds both).

Nothing here has a public URL; files reach a browser only through content_review.views, which checks permissions
(artist and program staff) or the showcase conditions (approved, consented, not embargoed) first, then streams the
file from the storage.
"""
import os
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


def private_root() -> Path:
    """`<MEDIA_ROOT>-private` (e.g. media/ and media-private/), read from settings each time (tests move
    MEDIA_ROOT). Outside MEDIA_ROOT so no static route can ever reach it."""
    media_root = Path(settings.MEDIA_ROOT)
    return media_root.parent / f"{media_root.name}-private"


class PrivateMediaStorage(FileSystemStorage):
    """The local backend of STORAGES["private"]: files under private_root(); `url()` refuses."""

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


def _private_s3_storage():
    from storages.backends.s3 import S3Storage  # boto3 takes most of a second to import: only when configured

    class PrivateS3Storage(S3Storage):
        """The S3 backend of STORAGES["private"] (PRIVATE_STORAGE_BACKEND=s3): `url()` refuses too, so no signed
        link to a private file is ever handed out; views stream it after the permission check."""

        def url(self, name, *args, **kwargs):
            raise ValueError("Private media has no public URL; serve it through a view that checks permissions.")

    PrivateS3Storage.__module__, PrivateS3Storage.__qualname__ = __name__, "PrivateS3Storage"
    return PrivateS3Storage


def __getattr__(name):
    # `content_review.storage.PrivateS3Storage`, as STORAGES names it, is built on first lookup.
    if name == "PrivateS3Storage":
        globals()[name] = _private_s3_storage()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _PrivateStorage(LazyObject):
    """STORAGES["private"], looked up on first use. Model fields keep this one object, so it is reset (like
    Django's default_storage) when a test changes STORAGES or MEDIA_ROOT."""

    def _setup(self):
        self._wrapped = storages["private"]


_STORAGE = _PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT"):
        _STORAGE._wrapped = empty


def private_storage():
    return _STORAGE


def replace(storage, name: str, path) -> str:
    """Store the local file at `path` under exactly `name`, replacing what is there (a retried task writes the
    same derived file again); return the stored name."""
    if storage.exists(name):
        storage.delete(name)
    with open(path, "rb") as handle:
        return storage.save(name, File(handle, name=os.path.basename(name)))
