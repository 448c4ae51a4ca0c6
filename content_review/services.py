"""Every write of the content_review app: share requests and their works, derived files, decisions,
appeals, deadline enforcement and showcase consent. Views, tasks, the admin and the demo call these."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from atelier import audit
from atelier.errors import DomainError
from atelier.permissions import can, has_role, is_site_admin
from content_review import media
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from content_review.storage import private_storage
from testers.models import Clause, Membership, StaffRole
from testers.selectors import accepted_version, require_participation

logger = logging.getLogger(__name__)

MAX_WORKS = 10
Outcome = ReviewDecision.Outcome
Status = ShareRequest.Status
FileStatus = Work.FileStatus


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


# --- uploads ------------------------------------------------------------------------------------

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


def _save_works(share_request: ShareRequest, checked: list[CheckedUpload], written: list[str]) -> list[Work]:
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


def _delete_files(names):
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s after a failed save", name)


# --- share requests -----------------------------------------------------------------------------

def _clean_fields(membership, *, title, caption, platforms, platform_other, planned_post_date, clause_ids):
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


def create_share_request(*, membership: Membership, by, title: str, caption: str = "", platforms=(),
                         platform_other: str = "", planned_post_date=None, clause_ids=(), files=()) -> ShareRequest:
    """Save a draft share request with its works. Files are checked first; if any is refused nothing is saved."""
    if membership.artist.user_id != by.pk:
        raise DomainError("Only the artist can ask to share their own works.")
    require_participation(membership)
    fields, clauses = _clean_fields(membership, title=title, caption=caption, platforms=platforms,
                                    platform_other=platform_other, planned_post_date=planned_post_date,
                                    clause_ids=clause_ids)
    files = list(files)
    if len(files) > MAX_WORKS:
        raise DomainError(f"A share request can hold at most {MAX_WORKS} works.")
    checked = check_uploads(files)
    written: list[str] = []
    try:
        with transaction.atomic():
            share_request = ShareRequest.objects.create(membership=membership, **fields)
            share_request.clauses.set(clauses)
            works = _save_works(share_request, checked, written)
            audit.log(by, "content_review.share_request.created", share_request, program=membership.program,
                      after={"title": share_request.title, "works": [w.original_name for w in works]})
            _enqueue_processing([w.pk for w in works])
    except BaseException:
        _delete_files(written)
        raise
    return share_request


def update_share_request(share_request: ShareRequest, *, by, title: str, caption: str = "", platforms=(),
                         platform_other: str = "", planned_post_date=None, clause_ids=(), files=(),
                         remove_work_ids=()) -> ShareRequest:
    """Edit a draft, or a request whose reviewer asked for changes: fields, new works, removed works."""
    membership = share_request.membership
    fields, clauses = _clean_fields(membership, title=title, caption=caption, platforms=platforms,
                                    platform_other=platform_other, planned_post_date=planned_post_date,
                                    clause_ids=clause_ids)
    checked = check_uploads(list(files))
    written: list[str] = []
    removed_files: list[str] = []
    try:
        with transaction.atomic():
            locked = ShareRequest.objects.select_for_update().get(pk=share_request.pk)
            if locked.status not in ShareRequest.EDITABLE:
                raise DomainError("This request can no longer be edited.")
            if locked.membership.artist.user_id != by.pk:
                raise DomainError("Only the artist can edit their request.")
            remaining = locked.works.exclude(pk__in=list(remove_work_ids)).count()
            if remaining + len(checked) > MAX_WORKS:
                raise DomainError(f"A share request can hold at most {MAX_WORKS} works.")
            before = {"title": locked.title, "works": list(locked.works.values_list("original_name", flat=True))}
            for work in locked.works.filter(pk__in=list(remove_work_ids)):
                removed_files += [f.name for f in (work.original, work.clean, work.thumbnail, work.poster,
                                                   work.published) if f]
                work.delete()
            for key, value in fields.items():
                setattr(locked, key, value)
            locked.save()
            locked.clauses.set(clauses)
            works = _save_works(locked, checked, written)
            audit.log(by, "content_review.share_request.updated", locked, before=before,
                      after={"title": locked.title, "works": list(locked.works.values_list("original_name", flat=True))})
            _enqueue_processing([w.pk for w in works])
            transaction.on_commit(lambda: _delete_files(removed_files))
    except BaseException:
        _delete_files(written)
        raise
    return locked


def needs_review(share_request: ShareRequest, clauses=None) -> bool:
    """False when the artist marked clauses and every one is "free to share": such works need no review."""
    clauses = list(share_request.clauses.all()) if clauses is None else list(clauses)
    return not clauses or any(c.klass != Clause.Klass.FREE_TO_SHARE for c in clauses)


def submit_share_request(share_request: ShareRequest, *, by) -> ShareRequest:
    """Send a draft (or a changed request) to review; its deadline is now plus the program's review SLA."""
    with transaction.atomic():
        locked = ShareRequest.objects.select_for_update().select_related("membership__program").get(pk=share_request.pk)
        if locked.membership.artist.user_id != by.pk:
            raise DomainError("Only the artist can submit their request.")
        if locked.status not in ShareRequest.EDITABLE:
            raise DomainError("This request was already submitted.")
        require_participation(locked.membership)
        works = list(locked.works.all())
        if not works:
            raise DomainError("Add at least one image or video before you submit.")
        if any(w.processing_status == FileStatus.FAILED for w in works):
            raise DomainError("Some works could not be processed: retry them or remove them first.")
        version = accepted_version(locked.membership)
        if version is not None:
            # Clauses marked under an older version carry over by key to the version accepted now.
            keys = list(locked.clauses.values_list("key", flat=True))
            locked.clauses.set(Clause.objects.filter(terms_version=version, key__in=keys))
        now = timezone.now()
        program = locked.membership.program
        before = {"status": locked.status}
        locked.terms_version = version
        locked.status = Status.SUBMITTED
        locked.submitted_at = now
        locked.first_submitted_at = locked.first_submitted_at or now
        locked.deadline_at = now + timedelta(days=program.review_sla_days)
        locked.save()
        audit.log(by, "content_review.share_request.submitted", locked, program=program, before=before,
                  after={"status": locked.status, "deadline_at": locked.deadline_at.isoformat(),
                         "terms_version": version.number if version else None})
    return locked


def withdraw_share_request(share_request: ShareRequest, *, by) -> ShareRequest:
    with transaction.atomic():
        locked = ShareRequest.objects.select_for_update().get(pk=share_request.pk)
        if locked.membership.artist.user_id != by.pk:
            raise DomainError("Only the artist can withdraw their request.")
        if locked.status not in ShareRequest.WITHDRAWABLE:
            raise DomainError("A decided request cannot be withdrawn.")
        before = {"status": locked.status}
        locked.status = Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawn_at", "updated_at"])
        audit.log(by, "content_review.share_request.withdrawn", locked, before=before, after={"status": locked.status})
    return locked


# --- decisions ----------------------------------------------------------------------------------

def _validate_decision(share_request, outcome, reason, clause_ids, embargo_until, required_caption,
                       required_credit, allowed):
    if outcome not in allowed:
        raise DomainError("Choose a decision.")
    reason = (reason or "").strip()
    required_caption = (required_caption or "").strip()
    required_credit = (required_credit or "").strip()
    clause_ids = {int(c) for c in (clause_ids or [])}
    clauses = list(Clause.objects.filter(pk__in=clause_ids, terms_version=share_request.terms_version))
    if len(clauses) != len(clause_ids):
        raise DomainError("Cite only clauses of the terms version the artist accepted "
                          f"(version {share_request.terms_version.number if share_request.terms_version else '—'}).")
    has_conditions = bool(embargo_until or required_caption or required_credit)
    if outcome == Outcome.APPROVE:
        if has_conditions:
            raise DomainError("A plain approval has no conditions: choose “approve with conditions”.")
    else:
        if not clauses:
            raise DomainError("Cite at least one clause of the terms the artist accepted.")
        if not reason:
            raise DomainError("Give the reason in words.")
    if outcome == Outcome.REFUSE:
        free = [c for c in clauses if c.klass == Clause.Klass.FREE_TO_SHARE]
        if free:
            raise DomainError(f"{free[0]} is “free to share”, so it cannot be cited to refuse.")
    if outcome == Outcome.APPROVE_WITH_CONDITIONS:
        if not has_conditions:
            raise DomainError("Set at least one condition: an embargo date, a required caption or a required credit.")
        if embargo_until and embargo_until < timezone.localdate():
            raise DomainError("The embargo date is in the past.")
    if outcome not in (Outcome.APPROVE_WITH_CONDITIONS,):
        embargo_until, required_caption, required_credit = None, "", ""
    return reason, clauses, embargo_until, required_caption, required_credit


def _record_decision(share_request, *, outcome, by, reason="", clauses=(), embargo_until=None,
                     required_caption="", required_credit="", on_appeal=False) -> ReviewDecision:
    """Create the decision and move the (locked) request to the matching status."""
    now = timezone.now()
    decision = ReviewDecision.objects.create(
        share_request=share_request, outcome=outcome, decided_by=by, reason=reason,
        embargo_until=embargo_until, required_caption=required_caption, required_credit=required_credit,
        on_appeal=on_appeal, submitted_at=share_request.submitted_at or now, created_at=now,
    )
    decision.clauses.set(clauses)
    share_request.status = {
        Outcome.APPROVE: Status.APPROVED, Outcome.APPROVE_WITH_CONDITIONS: Status.APPROVED,
        Outcome.DEEMED_APPROVED: Status.APPROVED, Outcome.REQUEST_CHANGES: Status.CHANGES_REQUESTED,
        Outcome.REFUSE: Status.REFUSED,
    }[outcome]
    share_request.decided_at = now
    share_request.first_decided_at = share_request.first_decided_at or now
    share_request.embargo_until = embargo_until
    share_request.required_caption = required_caption
    share_request.required_credit = required_credit
    share_request.save()
    if decision.is_approval:
        work_ids = list(share_request.works.values_list("pk", flat=True))
        Work.objects.filter(pk__in=work_ids).update(published_status=FileStatus.PENDING, published_error="")
        _enqueue_published_copies(work_ids)
    transaction.on_commit(lambda: notify_decision(decision.pk))
    return decision


def _decision_audit(decision):
    return {"outcome": decision.outcome, "reason": decision.reason,
            "clauses": [c.key for c in decision.clauses.all()],
            "embargo_until": decision.embargo_until.isoformat() if decision.embargo_until else None,
            "required_caption": decision.required_caption, "required_credit": decision.required_credit}


def decide_share_request(share_request: ShareRequest, *, by, outcome: str, reason: str = "", clause_ids=(),
                         embargo_until=None, required_caption: str = "", required_credit: str = "") -> ReviewDecision:
    """A reviewer's (or manager's) decision on a submitted or escalated request."""
    with transaction.atomic():
        locked = (ShareRequest.objects.select_for_update(of=("self",))
                  .select_related("membership__program", "terms_version").get(pk=share_request.pk))
        if not can(by, "share_request.decide", locked):
            raise DomainError("Only the program's reviewers and managers decide share requests.")
        if locked.membership.artist.user_id == by.pk:
            raise DomainError("You cannot decide your own share request.")
        if locked.status == Status.ESCALATED:
            if not (has_role(by, locked.membership.program_id, StaffRole.Role.MANAGER) or is_site_admin(by)):
                raise DomainError("This request passed its deadline and was escalated: the program manager decides it.")
        elif locked.status != Status.SUBMITTED:
            raise DomainError("This request is not waiting for a decision.")
        reason, clauses, embargo_until, required_caption, required_credit = _validate_decision(
            locked, outcome, reason, clause_ids, embargo_until, required_caption, required_credit,
            allowed=(Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS, Outcome.REQUEST_CHANGES, Outcome.REFUSE),
        )
        before = {"status": locked.status}
        decision = _record_decision(locked, outcome=outcome, by=by, reason=reason, clauses=clauses,
                                    embargo_until=embargo_until, required_caption=required_caption,
                                    required_credit=required_credit)
        audit.log(by, "content_review.share_request.decided", locked, before=before,
                  after={"status": locked.status, **_decision_audit(decision)})
    return decision


# --- appeals ------------------------------------------------------------------------------------

def appeal_assignee(program, refused_by):
    """A reviewer other than the one who refused (the least loaded); with none, a manager other than them."""
    pending = dict(
        Appeal.objects.filter(status=Appeal.Status.PENDING, share_request__membership__program=program)
        .values("assigned_to").annotate(n=Count("id")).values_list("assigned_to", "n")
    )
    for role in (StaffRole.Role.REVIEWER, StaffRole.Role.MANAGER):
        users = [r.user for r in StaffRole.objects.filter(program=program, role=role, user__is_active=True)
                 .exclude(user=refused_by).select_related("user").order_by("user_id")]
        if users:
            return min(users, key=lambda u: (pending.get(u.pk, 0), u.pk))
    return None


def appeal_refusal(share_request: ShareRequest, *, by, message: str) -> Appeal:
    """The artist's one appeal of a refusal."""
    message = (message or "").strip()
    if not message:
        raise DomainError("Say why you appeal the refusal.")
    with transaction.atomic():
        locked = ShareRequest.objects.select_for_update(of=("self",)).select_related("membership__program").get(
            pk=share_request.pk)
        if locked.membership.artist.user_id != by.pk:
            raise DomainError("Only the artist can appeal their request.")
        if Appeal.objects.filter(share_request=locked).exists():
            raise DomainError("You already appealed this request; the decision on the appeal is final.")
        if locked.status != Status.REFUSED:
            raise DomainError("Only a refusal can be appealed.")
        refusal = locked.decisions.filter(outcome=Outcome.REFUSE).order_by("-created_at", "-id").first()
        program = locked.membership.program
        assignee = appeal_assignee(program, refusal.decided_by)
        appeal = Appeal.objects.create(share_request=locked, refusal=refusal, refused_by=refusal.decided_by,
                                       assigned_to=assignee, message=message)
        locked.status = Status.APPEALED
        locked.save(update_fields=["status", "updated_at"])
        audit.log(by, "content_review.appeal.created", locked, program=program,
                  after={"appeal": appeal.pk, "assigned_to": getattr(assignee, "email", None), "message": message})
        transaction.on_commit(lambda: notify_appeal_assigned(appeal.pk))
    return appeal


def decide_appeal(appeal: Appeal, *, by, outcome: str, reason: str = "", clause_ids=(), embargo_until=None,
                  required_caption: str = "", required_credit: str = "") -> ReviewDecision:
    """The final decision on an appeal, by someone other than the reviewer who refused."""
    with transaction.atomic():
        locked = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal.pk)
        share_request = (ShareRequest.objects.select_for_update(of=("self",))
                         .select_related("membership__program", "terms_version").get(pk=locked.share_request_id))
        if locked.refused_by_id == by.pk:
            raise DomainError("You refused this request, so another reviewer decides its appeal.")
        if not can(by, "appeal.decide", locked):
            raise DomainError("Only the program's reviewers and managers decide appeals.")
        program_id = share_request.membership.program_id
        if not (locked.assigned_to_id == by.pk or has_role(by, program_id, StaffRole.Role.MANAGER)
                or is_site_admin(by)):
            raise DomainError("This appeal was given to another reviewer.")
        if locked.status != Appeal.Status.PENDING:
            raise DomainError("This appeal was already decided; the decision is final.")
        reason, clauses, embargo_until, required_caption, required_credit = _validate_decision(
            share_request, outcome, reason, clause_ids, embargo_until, required_caption, required_credit,
            allowed=(Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS, Outcome.REFUSE),
        )
        decision = _record_decision(share_request, outcome=outcome, by=by, reason=reason, clauses=clauses,
                                    embargo_until=embargo_until, required_caption=required_caption,
                                    required_credit=required_credit, on_appeal=True)
        locked.status = Appeal.Status.UPHELD if outcome == Outcome.REFUSE else Appeal.Status.OVERTURNED
        locked.decision = decision
        locked.decided_at = decision.created_at
        locked.save(update_fields=["status", "decision", "decided_at"])
        audit.log(by, "content_review.appeal.decided", share_request,
                  after={"appeal": locked.pk, "appeal_status": locked.status, **_decision_audit(decision)})
    return decision


# --- deadlines ----------------------------------------------------------------------------------

def enforce_deadline(share_request_id: int, *, now=None) -> str | None:
    """Apply the program's deadline policy to one request if it is still undecided past its deadline.

    Returns "deemed_approved", "escalated" or None (nothing to do: safe to run any number of times).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = (ShareRequest.objects.select_for_update(of=("self",)).select_related("membership__program")
                  .filter(pk=share_request_id, status=Status.SUBMITTED, deadline_at__lte=now).first())
        if locked is None:
            return None
        program = locked.membership.program
        locked.deadline_missed = True
        if program.deadline_policy == program.DeadlinePolicy.DEEMED_APPROVED:
            reason = (f"No reviewer decided within the program's {program.review_sla_days}-day review deadline, "
                      "so the program's policy deems the request approved.")
            decision = _record_decision(locked, outcome=Outcome.DEEMED_APPROVED, by=None, reason=reason)
            audit.log(None, "content_review.deadline.deemed_approved", locked, program=program,
                      before={"status": Status.SUBMITTED}, after={"status": locked.status, "decision": decision.pk,
                                                                  "deadline_at": locked.deadline_at.isoformat()})
            return "deemed_approved"
        manager = (StaffRole.objects.filter(program=program, role=StaffRole.Role.MANAGER, user__is_active=True)
                   .order_by("user_id").select_related("user").first())
        locked.status = Status.ESCALATED
        locked.escalated_at = now
        locked.escalated_to = manager.user if manager else None
        locked.save()
        audit.log(None, "content_review.deadline.escalated", locked, program=program,
                  before={"status": Status.SUBMITTED},
                  after={"status": locked.status, "escalated_to": manager.user.email if manager else None,
                         "deadline_at": locked.deadline_at.isoformat()})
        transaction.on_commit(lambda: notify_escalated(locked.pk))
        return "escalated"


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
    """The artist's consent (per work) to show an approved work, credited, on the program's showcase."""
    with transaction.atomic():
        locked = Work.objects.select_for_update(of=("self",)).select_related(
            "share_request__membership__artist").get(pk=work.pk)
        if not can(by, "showcase.manage", locked):
            raise DomainError("You may not change the showcase.")
        if consent and locked.share_request.status != Status.APPROVED:
            raise DomainError("Only approved works can be shown on the showcase.")
        if consent and locked.share_request.membership.artist.user_id != by.pk:
            raise DomainError("Only the artist can consent to show their work.")
        if locked.showcase_consent == consent:
            return locked
        locked.showcase_consent = consent
        locked.showcase_consent_at = timezone.now()
        locked.save(update_fields=["showcase_consent", "showcase_consent_at"])
        audit.log(by, "content_review.showcase.consent_given" if consent else "content_review.showcase.consent_withdrawn",
                  locked, program=locked.share_request.membership.program,
                  after={"work": locked.original_name, "share_request": locked.share_request_id, "consent": consent})
    return locked


# --- derived files ------------------------------------------------------------------------------

def _enqueue_processing(work_ids):
    from content_review import tasks

    for pk in work_ids:
        transaction.on_commit(lambda pk=pk: tasks.process_work.delay(pk))


def _enqueue_published_copies(work_ids):
    from content_review import tasks

    for pk in work_ids:
        transaction.on_commit(lambda pk=pk: tasks.make_published_copy.delay(pk))


def _prepare_path(name: str) -> Path:
    path = Path(private_storage().path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


FAILED_MESSAGE = "Making this file's copies failed. You can retry; if it fails again, upload the file again."


def process_work(work_id: int) -> str:
    """Make the metadata-free copy, the thumbnail and (video) the poster of one work. Safe to run twice."""
    work = Work.objects.filter(pk=work_id).first()
    if work is None or work.processing_status != FileStatus.PENDING:
        return "skipped"
    storage = private_storage()
    folder = f"works/{work.share_request_id}/{work.token}"
    clean_name = f"{folder}/clean.{work.extension}"
    thumb_name = f"{folder}/thumbnail.jpg"
    poster_name = f"{folder}/poster.jpg" if work.kind == Work.Kind.VIDEO else ""
    limits = media_limits()
    try:
        with storage.open(work.original.name, "rb") as original:
            info = media.inspect_upload(original, work.original_name, limits)
            media.strip_metadata(original, _prepare_path(clean_name), info, limits=limits)
        clean_path = _prepare_path(clean_name)
        if work.kind == Work.Kind.VIDEO:
            media.make_video_poster(clean_path, _prepare_path(poster_name), _prepare_path(thumb_name))
        else:
            media.make_image_thumbnail(clean_path, _prepare_path(thumb_name), limits=limits)
    except media.MediaRejected as exc:
        return _processing_failed(work, str(exc))
    except Exception:  # a broken file or codec: record it so the artist sees it and can retry
        logger.exception("Processing work %s failed", work_id)
        return _processing_failed(work, FAILED_MESSAGE)
    Work.objects.filter(pk=work_id, processing_status=FileStatus.PENDING).update(
        clean=clean_name, thumbnail=thumb_name, poster=poster_name, processing_status=FileStatus.READY,
        processing_error="",
    )
    return "ready"


def _processing_failed(work, message):
    updated = Work.objects.filter(pk=work.pk, processing_status=FileStatus.PENDING).update(
        processing_status=FileStatus.FAILED, processing_error=message)
    if updated:
        audit.log(None, "content_review.work.processing_failed", work,
                  program=work.share_request.membership.program, error=message)
    return "failed"


def make_published_copy(work_id: int) -> str:
    """The credited, watermarked copy of an approved work (what the showcase serves). Safe to run twice."""
    work = (Work.objects.select_related("share_request__membership__artist", "share_request__membership__program")
            .filter(pk=work_id).first())
    if work is None or work.published_status != FileStatus.PENDING:
        return "skipped"
    share_request = work.share_request
    if share_request.status != Status.APPROVED:
        Work.objects.filter(pk=work_id, published_status=FileStatus.PENDING).update(published_status=FileStatus.NONE)
        return "skipped"
    if work.processing_status == FileStatus.PENDING:
        process_work(work_id)
        work.refresh_from_db()
    if work.processing_status != FileStatus.READY:
        return _published_failed(work, "The work's copies could not be made, so it cannot be published.")
    program = share_request.membership.program
    credit = share_request.required_credit or share_request.membership.artist.credit
    mark = program.watermark_text or program.name
    extension = "mp4" if work.kind == Work.Kind.VIDEO else work.extension
    name = f"works/{share_request.pk}/{work.token}/published.{extension}"
    source = private_storage().path(work.clean.name)
    try:
        if work.kind == Work.Kind.VIDEO:
            media.watermark_video(source, _prepare_path(name), credit, mark, media_limits())
        else:
            media.watermark_image(source, _prepare_path(name), credit, mark, limits=media_limits())
    except media.MediaRejected as exc:
        return _published_failed(work, str(exc))
    except Exception:
        logger.exception("Publishing work %s failed", work_id)
        return _published_failed(work, FAILED_MESSAGE)
    Work.objects.filter(pk=work_id, published_status=FileStatus.PENDING).update(
        published=name, published_credit=f"{credit} · {mark}", published_status=FileStatus.READY, published_error="")
    return "ready"


def _published_failed(work, message):
    updated = Work.objects.filter(pk=work.pk, published_status=FileStatus.PENDING).update(
        published_status=FileStatus.FAILED, published_error=message)
    if updated:
        audit.log(None, "content_review.work.publishing_failed", work,
                  program=work.share_request.membership.program, error=message)
    return "failed"


def retry_work(work: Work, *, by) -> Work:
    """Queue a failed derived-file task again (the artist or the program's staff)."""
    if not can(by, "share_request.view", work.share_request):
        raise DomainError("You may not retry this work.")
    with transaction.atomic():
        locked = Work.objects.select_for_update().get(pk=work.pk)
        retried = []
        if locked.processing_status == FileStatus.FAILED:
            locked.processing_status, locked.processing_error = FileStatus.PENDING, ""
            _enqueue_processing([locked.pk])
            retried.append("processing")
        if locked.published_status == FileStatus.FAILED:
            locked.published_status, locked.published_error = FileStatus.PENDING, ""
            _enqueue_published_copies([locked.pk])
            retried.append("published copy")
        if not retried:
            raise DomainError("Nothing failed here, so there is nothing to retry.")
        locked.save()
        audit.log(by, "content_review.work.retried", locked, program=work.share_request.membership.program,
                  retried=retried)
    return locked


# --- notices ------------------------------------------------------------------------------------

def _link(name, **kwargs):
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def _mail(subject, body, to):
    """Queue the mail (callers already run after commit); the task retries on SMTP trouble."""
    from atelier.tasks import send_email

    to = [address for address in to if address]
    if to:
        send_email.delay(f"[Atelier] {subject}", body, to)


def notify_decision(decision_id: int) -> None:
    """E-mail the artist the decision, the clauses it cites and the reason."""
    decision = (ReviewDecision.objects.select_related("share_request__membership__artist__user",
                                                      "share_request__membership__program")
                .prefetch_related("clauses").get(pk=decision_id))
    share_request = decision.share_request
    lines = [f"Your share request “{share_request.title}” in {share_request.membership.program.name}: "
             f"{decision.get_outcome_display()}{' (on appeal, final)' if decision.on_appeal else ''}."]
    if decision.clauses.all():
        lines.append("Clauses cited: " + "; ".join(str(c) for c in decision.clauses.all()))
    if decision.reason:
        lines.append(f"Reason: {decision.reason}")
    if decision.embargo_until:
        lines.append(f"Do not post before {decision.embargo_until:%d %B %Y}.")
    if decision.required_caption:
        lines.append(f"Required caption: {decision.required_caption}")
    if decision.required_credit:
        lines.append(f"Required credit: {decision.required_credit}")
    if decision.outcome == Outcome.REFUSE and not decision.on_appeal:
        lines.append("You may appeal this refusal once; another reviewer will decide.")
    lines.append(_link("content_review:request_detail", pk=share_request.pk))
    _mail(f"Decision on “{share_request.title}”", "\n\n".join(lines), [share_request.membership.artist.user.email])


def notify_escalated(share_request_id: int) -> None:
    share_request = ShareRequest.objects.select_related(
        "membership__artist__user", "membership__program", "escalated_to").get(pk=share_request_id)
    program = share_request.membership.program
    _mail(f"“{share_request.title}” passed its review deadline",
          f"No reviewer decided your share request “{share_request.title}” within {program.review_sla_days} days. "
          f"It has been escalated to the program manager, who will decide it.\n\n"
          + _link("content_review:request_detail", pk=share_request.pk),
          [share_request.membership.artist.user.email])
    if share_request.escalated_to:
        _mail(f"Escalated: “{share_request.title}”",
              "This share request passed its review deadline and is yours to decide.\n\n"
              + _link("content_review:review", slug=program.slug, pk=share_request.pk),
              [share_request.escalated_to.email])


def notify_appeal_assigned(appeal_id: int) -> None:
    appeal = Appeal.objects.select_related("assigned_to", "share_request__membership__program").get(pk=appeal_id)
    if appeal.assigned_to:
        program = appeal.share_request.membership.program
        _mail(f"Appeal to decide: “{appeal.share_request.title}”",
              f"The artist appealed a refusal. Your decision on the appeal is final.\n\n{appeal.message}\n\n"
              + _link("content_review:review", slug=program.slug, pk=appeal.share_request_id),
              [appeal.assigned_to.email])
