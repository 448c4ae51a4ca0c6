"""Request bodies are refused before they are read when they are larger than their page accepts.

`settings.REQUEST_BODY_LIMITS` gives, per path, the largest body and the largest single file; other paths get
`REQUEST_BODY_DEFAULT_LIMIT`, anonymous requests `ANONYMOUS_BODY_LIMIT` (sign-in pages take a few fields). The
middleware answers 413 from the Content-Length header alone, and 411 to a body without one; for multipart
bodies it parses the request itself with `BoundedUploadHandler` first, which counts the bytes of each file and
of all of them as they stream in and stops at the first byte over the limit, without reading the rest.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse

BODY_METHODS = ("POST", "PUT", "PATCH")


class UploadTooLarge(Exception):
    pass


def limits_for(path: str, *, anonymous: bool) -> tuple[int, int | dict]:
    """(largest body, largest single file) in bytes for a request to `path`. The largest file may depend on the
    file's declared type ({"image": …, "video": …, "": any other}); 0 marks a page that reads its raw body (the
    webhook): its body is never parsed as a form."""
    for pattern, body, per_file, anonymous_too in settings.REQUEST_BODY_LIMITS:
        if re.match(pattern, path):  # compiled once, in re's own cache
            if anonymous and not anonymous_too:
                break
            return body, per_file
    if anonymous:
        return settings.ANONYMOUS_BODY_LIMIT, settings.ANONYMOUS_BODY_LIMIT
    return settings.REQUEST_BODY_DEFAULT_LIMIT, settings.REQUEST_BODY_DEFAULT_LIMIT


def file_limit_for(limits: int | dict, content_type: str | None) -> int:
    """The largest file of this declared type ("image/png" → limits["image"]). The declared type only sets how much
    is read: what the file really is, the media checks decide afterwards."""
    if isinstance(limits, int):
        return limits
    kind = (content_type or "").split("/", 1)[0].lower()
    return limits.get(kind, limits.get("", 0))


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB".replace(".0 MB", " MB")


class BoundedUploadHandler(FileUploadHandler):
    """Counts what streams in; the first byte past a file's or the body's limit stops the upload."""

    def __init__(self, request, *, body_limit: int, file_limit: int | dict):
        super().__init__(request)
        self.body_limit, self.file_limits = body_limit, file_limit
        self.file_limit = 0
        self.total = 0
        self.file_bytes = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file_bytes = 0
        self.file_limit = file_limit_for(self.file_limits, self.content_type)

    def receive_data_chunk(self, raw_data, start):
        self.file_bytes += len(raw_data)
        self.total += len(raw_data)
        if self.file_bytes > self.file_limit:
            raise UploadTooLarge(f"“{self.file_name}” is larger than {_mb(self.file_limit)}, the largest file this "
                                 f"page accepts.")
        if self.total > self.body_limit:
            raise UploadTooLarge(f"The files together are larger than {_mb(self.body_limit)}, the most this page "
                                 f"accepts at once.")
        return raw_data  # the next handlers (memory, then temporary file) store it

    def file_complete(self, file_size):
        return None


def _refuse(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the rest of the body is never read: the connection cannot be reused
    return response


class RequestBodyLimitMiddleware:
    """After AuthenticationMiddleware (a signed-in person's limits differ); before anything reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in BODY_METHODS:
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request):
        anonymous = not request.user.is_authenticated
        body_limit, file_limit = limits_for(request.path_info, anonymous=anonymous)
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if not raw_length:
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return _refuse(411, "Send the request with a Content-Length.")
            return None
        try:
            length = int(raw_length)
        except ValueError:
            return _refuse(400, "The Content-Length is not a number.")
        if length > body_limit:
            return _refuse(413, f"The request is larger than {_mb(body_limit)}, the most this page accepts.")
        if request.content_type == "multipart/form-data" and file_limit:
            request.upload_handlers.insert(0, BoundedUploadHandler(request, body_limit=body_limit,
                                                                   file_limit=file_limit))
            try:
                request.POST  # noqa: B018  (parse now, where a refusal can still be answered with 413)
            except UploadTooLarge as error:
                return _refuse(413, str(error))
        return None
