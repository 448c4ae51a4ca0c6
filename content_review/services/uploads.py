"""Uploads of a share request: each file checked by its content before anything is saved, works stored in
private storage, and the request's fields cleaned. Used by the create and edit actions."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File

from atelier import media
from atelier.errors import DomainError
from content_review.models import ShareRequest, Work
from content_review.storage import private_storage
from testers.models import Clause
from testers.selectors import accepted_version

logger = logging.getLogger(__name__)

MAX_WORKS = 10


class UploadRejected(DomainError):
    """One or more files were refused; `problems` has one sentence per file (naming the file and the rule)."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def media_limits() -> media.MediaLimits:
    """The limits uploads are checked against (MediaLimits defaults, overridable in settings for tests)."""
    return media.MediaLimits(**getattr(settings, "CONTENT_REVIEW_MEDIA_LIMITS", {}))


@dataclass
class CheckedUpload:
    fileobj: object
    name: str
    info: media.MediaInfo


def check_uploads(files) -> list[CheckedUpload]:
    """Inspect every file by its content; refuse them all (nothing saved) if any one is refused."""
    problems, checked = [], []
    limits = media_limits()
    for upload in files:
        name = Path(getattr(upload, "name", "") or "upload").name
        try:
            info = media.inspect_upload(upload, name, limits)
        except media.MediaRejected as exc:
            problems.append(str(exc))
            continue
        checked.append(CheckedUpload(upload, name, info))
    if problems:
        raise UploadRejected(problems)
    return checked


def save_works(share_request: ShareRequest, checked: list[CheckedUpload], written: list[str]) -> list[Work]:
    """Store the checked files as works of the request; each stored name is added to `written` first."""
    storage = private_storage()
    start = (share_request.works.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    works = []
    for offset, upload in enumerate(checked):
        work = Work(
            share_request=share_request, position=start + offset, kind=upload.info.kind,
            original_name=upload.name[:255], mime_type=upload.info.mime_type, extension=upload.info.extension,
            width=upload.info.width, height=upload.info.height, duration_seconds=upload.info.duration_seconds,
            size_bytes=upload.info.size_bytes,
        )
        upload.fileobj.seek(0)
        name = storage.save(f"works/{share_request.pk}/{work.token}/original.{upload.info.extension}",
                            File(upload.fileobj))
        written.append(name)
        work.original.name = name
        work.save()
        works.append(work)
    return works


def delete_files(names):
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # OSError on disk, a botocore error from a bucket: the request's change stands
            logger.warning("Could not delete %s", name)


def clean_fields(membership, *, title, caption="", platforms=(), platform_other="", planned_post_date=None,
                 clause_ids=()):
    """The request's fields, cleaned, and the clauses the artist marked (of the terms version they accepted)."""
    title = (title or "").strip()
    if not title:
        raise DomainError("Give the request a title.")
    platforms = list(dict.fromkeys(platforms or []))
    unknown = set(platforms) - set(ShareRequest.Platform.values)
    if unknown:
        raise DomainError("Choose where you plan to post from the list.")
    platform_other = (platform_other or "").strip()
    if ShareRequest.Platform.OTHER in platforms and not platform_other:
        raise DomainError("You chose “Other”: say where you plan to post.")
    if ShareRequest.Platform.OTHER not in platforms:
        platform_other = ""
    version = accepted_version(membership)
    clause_ids = [int(c) for c in (clause_ids or [])]
    clauses = list(Clause.objects.filter(pk__in=clause_ids, terms_version=version)) if version else []
    if len(clauses) != len(set(clause_ids)):
        raise DomainError("You can only mark clauses of the terms version you accepted.")
    return {"title": title[:200], "caption": (caption or "").strip(), "platforms": platforms,
            "platform_other": platform_other[:120], "planned_post_date": planned_post_date}, clauses


def needs_review(share_request: ShareRequest, clauses=None) -> bool:
    """False when the artist marked clauses and every one is "free to share": such works need no review."""
    clauses = list(share_request.clauses.all()) if clauses is None else list(clauses)
    return not clauses or any(c.klass != Clause.Klass.FREE_TO_SHARE for c in clauses)
