"""Derived files of a work, made by tasks (safe to run twice): the metadata-free copy, the thumbnail and (video)
the poster once it is uploaded; the credited, watermarked copy once its request is approved; and the retry an
artist or a manager asks for when making them failed. The files are made by atelier.media; the state changes
are system actions."""
from __future__ import annotations

import logging
import os
import tempfile

from atelier import media
from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from content_review.models import ShareRequest, Work
from content_review.services.uploads import media_limits
from content_review.storage import private_storage, replace

logger = logging.getLogger(__name__)

Status = ShareRequest.Status
FileStatus = Work.FileStatus
FAILED_MESSAGE = "Making this file's copies failed. You can retry; if it fails again, upload the file again."


def _actions():
    from content_review import actions  # the actions import these helpers: import them late

    return actions


def _system(action_cls, work, **params) -> str | None:
    """Run a system action on a work; None when its state no longer allows it (another run got there first)."""
    try:
        action_cls(SYSTEM, work, **params).run()
    except ActionRefused:
        return None
    return "done"


def process_work(work_id: int) -> str:
    """Make the metadata-free copy, the thumbnail and (video) the poster of one work. Safe to run twice."""
    actions = _actions()
    work = Work.objects.select_related("share_request__membership__program").filter(pk=work_id).first()
    if work is None or work.processing_status != FileStatus.PENDING:
        return "skipped"
    storage = private_storage()
    folder = f"works/{work.share_request_id}/{work.token}"
    clean_name = f"{folder}/clean.{work.extension}"
    thumb_name = f"{folder}/thumbnail.jpg"
    poster_name = f"{folder}/poster.jpg" if work.kind == Work.Kind.VIDEO else ""
    limits = media_limits()
    try:
        # The media library writes its outputs to real files (PyAV and Pillow pick the format from the name):
        # they are made in a temporary folder, from the original read through storage.open(), then saved to
        # the storage, which may be a bucket on another machine.
        with tempfile.TemporaryDirectory() as tmp:
            local = {name: os.path.join(tmp, name.rsplit("/", 1)[1]) for name in (clean_name, thumb_name,
                                                                                   poster_name) if name}
            with storage.open(work.original.name, "rb") as original:
                media.inspect_and_strip(original, work.original_name, local[clean_name], limits)
            if work.kind == Work.Kind.VIDEO:
                media.make_video_poster(local[clean_name], local[poster_name], local[thumb_name])
            else:
                media.make_image_thumbnail(local[clean_name], local[thumb_name], limits=limits)
            stored = {name: replace(storage, name, path) for name, path in local.items()}
    except media.MediaRejected as exc:
        return "failed" if _system(actions.WorkProcessingFailed, work, error=str(exc)) else "skipped"
    except Exception:  # a broken file or codec: record it so the artist sees it and can retry
        logger.exception("Processing work %s failed", work_id)
        return "failed" if _system(actions.WorkProcessingFailed, work, error=FAILED_MESSAGE) else "skipped"
    done = _system(actions.WorkProcessed, work, clean=stored[clean_name], thumbnail=stored[thumb_name],
                   poster=stored.get(poster_name, ""))
    return "ready" if done else "skipped"


def make_published_copy(work_id: int) -> str:
    """The credited, watermarked copy of an approved work (what the showcase serves). Safe to run twice."""
    actions = _actions()
    work = (Work.objects.select_related("share_request__membership__artist", "share_request__membership__program")
            .filter(pk=work_id).first())
    if work is None or work.published_status != FileStatus.PENDING:
        return "skipped"
    share_request = work.share_request
    if work.processing_status == FileStatus.PENDING:
        process_work(work_id)
        work.refresh_from_db()
    if share_request.status != Status.APPROVED:
        message = "The request is not approved, so its works are not published."
        return "failed" if _system(actions.WorkPublishingFailed, work, error=message) else "skipped"
    if work.processing_status != FileStatus.READY:
        message = "The work's copies could not be made, so it cannot be published."
        return "failed" if _system(actions.WorkPublishingFailed, work, error=message) else "skipped"
    program = share_request.membership.program
    credit = share_request.required_credit or share_request.membership.artist.credit
    mark = program.watermark_text or program.name
    extension = "mp4" if work.kind == Work.Kind.VIDEO else work.extension
    name = f"works/{share_request.pk}/{work.token}/published.{extension}"
    storage = private_storage()
    try:
        # Read through storage.open(), written to a temporary file, then saved to the storage (see process_work).
        with tempfile.TemporaryDirectory() as tmp, storage.open(work.clean.name, "rb") as source:
            local = os.path.join(tmp, name.rsplit("/", 1)[1])
            if work.kind == Work.Kind.VIDEO:
                media.watermark_video(source, local, credit, mark, media_limits())
            else:
                media.watermark_image(source, local, credit, mark, limits=media_limits())
            name = replace(storage, name, local)
    except media.MediaRejected as exc:
        return "failed" if _system(actions.WorkPublishingFailed, work, error=str(exc)) else "skipped"
    except Exception:
        logger.exception("Publishing work %s failed", work_id)
        return "failed" if _system(actions.WorkPublishingFailed, work, error=FAILED_MESSAGE) else "skipped"
    done = _system(actions.WorkPublished, work, published=name, credit=f"{credit} · {mark}")
    return "ready" if done else "skipped"


def retry_action(work: Work, *, by):
    """The retry that applies: the work's own copies (which also retries a failed credited copy), else its
    credited copy. With nothing failed, the first refuses with its reason."""
    actions = _actions()
    if work.processing_status != FileStatus.FAILED and work.published_status == FileStatus.FAILED:
        return actions.RetryPublishing(by, work)
    return actions.RetryWork(by, work)


def retry_work(work: Work, *, by) -> Work:
    return retry_action(work, by=by).run()
