"""Entry points of the content_review app for views, tasks, the admin, the demo and tests. Each builds and runs
one action of content_review/actions (which holds the rules); the helpers the actions use live beside this
module: uploads (files and fields), decisions (what a decision records), notices (e-mails)."""
from __future__ import annotations

import logging
import os
import tempfile

from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused, DomainError
from content_review import media
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from content_review.services.notices import notify_appeal_assigned, notify_decision, notify_escalated  # noqa: F401
from content_review.services.uploads import (  # noqa: F401
    MAX_WORKS, UploadRejected, check_uploads, clean_fields, delete_files, media_limits, needs_review,
)
from content_review.storage import private_storage, replace

logger = logging.getLogger(__name__)

Outcome = ReviewDecision.Outcome
Status = ShareRequest.Status
FileStatus = Work.FileStatus
FAILED_MESSAGE = "Making this file's copies failed. You can retry; if it fails again, upload the file again."


def _actions():
    from content_review import actions  # the actions import these helpers: import them late

    return actions


# --- share requests -----------------------------------------------------------------------------

def upload_action(action_cls, actor, target, *, membership, files=(), title, caption="", platforms=(),
                  platform_other="", planned_post_date=None, clause_ids=(), **params):
    """The create or edit action, with its fields cleaned and every file inspected by its content (outside the
    transaction). Raises DomainError (UploadRejected for files) for bad input; the action refuses the rest."""
    fields, clauses = clean_fields(membership, title=title, caption=caption, platforms=platforms,
                                   platform_other=platform_other, planned_post_date=planned_post_date,
                                   clause_ids=clause_ids)
    files = list(files)
    if len(files) > MAX_WORKS:
        raise DomainError(f"A share request can hold at most {MAX_WORKS} works.")
    return action_cls(actor, target, membership=membership, fields=fields, clauses=clauses,
                      checked=check_uploads(files), **params)


def create_share_request(*, membership, by, **fields) -> ShareRequest:
    """Save a draft share request with its works (title, caption, platforms, platform_other, planned_post_date,
    clause_ids, files). Files are checked first; if any is refused nothing is saved."""
    return upload_action(_actions().CreateShareRequest, by, None, membership=membership, **fields).run()


def update_share_request(share_request: ShareRequest, *, by, remove_work_ids=(), **fields) -> ShareRequest:
    """Edit a draft, or a request whose reviewer asked for changes: fields, new works, removed works."""
    return upload_action(_actions().UpdateShareRequest, by, share_request, membership=share_request.membership,
                         remove_work_ids=list(remove_work_ids), **fields).run()


def submit_share_request(share_request: ShareRequest, *, by) -> ShareRequest:
    return _actions().SubmitShareRequest(by, share_request).run()


def withdraw_share_request(share_request: ShareRequest, *, by) -> ShareRequest:
    return _actions().WithdrawShareRequest(by, share_request).run()


# --- decisions and appeals ------------------------------------------------------------------------

def decide_share_request(share_request: ShareRequest, *, by, outcome: str, **decision) -> ReviewDecision:
    """A reviewer's (or manager's) decision: runs the outcome's action (reason, clause_ids, embargo_until,
    required_caption, required_credit as keyword arguments)."""
    action = _actions().DECIDE.get(outcome)
    if action is None:
        raise DomainError("Choose a decision.")
    return action(by, share_request, **decision).run()


def appeal_refusal(share_request: ShareRequest, *, by, message: str) -> Appeal:
    return _actions().AppealRefusal(by, share_request, message=message).run()


def decide_appeal(appeal: Appeal, *, by, outcome: str, **decision) -> ReviewDecision:
    """The final decision on an appeal: an approval overturns the refusal, a refusal upholds it."""
    action = _actions().appeal_action_for(outcome)
    return action(by, appeal.share_request, outcome=outcome, **decision).run()


# --- deadlines (the system) -----------------------------------------------------------------------

def enforce_deadline(share_request_id: int, *, now=None) -> str | None:
    """Apply the program's deadline policy to one request if it is still undecided past its deadline.

    Returns "deemed_approved", "escalated" or None (nothing to do: safe to run any number of times)."""
    share_request = ShareRequest.objects.select_related("membership__program").filter(pk=share_request_id).first()
    if share_request is None:
        return None
    policy = share_request.membership.program.deadline_policy
    action = _actions().DEADLINE_POLICIES[policy](SYSTEM, share_request, now=now or timezone.now())
    try:
        action.run()
    except ActionRefused:
        return None  # decided, withdrawn or handled meanwhile (the action re-checks on the locked row)
    return "deemed_approved" if policy == "deemed_approved" else "escalated"


def overdue_request_ids(now=None) -> list[int]:
    now = now or timezone.now()
    return list(ShareRequest.objects.filter(status=Status.SUBMITTED, deadline_at__lte=now)
                .order_by("deadline_at").values_list("pk", flat=True))


def enforce_deadlines(*, now=None) -> dict:
    """Every overdue request, one transaction (and row lock) each. Returns counts of what was done."""
    done = {"deemed_approved": 0, "escalated": 0}
    for pk in overdue_request_ids(now):
        result = enforce_deadline(pk, now=now)
        if result:
            done[result] += 1
    return done


# --- showcase -----------------------------------------------------------------------------------

def set_showcase_consent(work: Work, *, by, consent: bool) -> Work:
    """The artist's consent (per work) to show an approved work, credited, on the program's showcase; the
    artist or a program manager withdraws it."""
    actions = _actions()
    action = actions.GiveShowcaseConsent if consent else actions.WithdrawShowcaseConsent
    return action(by, work).run()


# --- derived files --------------------------------------------------------------------------------

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
                info = media.inspect_upload(original, work.original_name, limits)
                media.strip_metadata(original, local[clean_name], info, limits=limits)
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
