"""The artist's side of a share request: create, edit (fields, add and remove works), submit, withdraw, appeal."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from atelier.errors import DomainError, Refusal
from content_review import tasks
from content_review.actions.base import ReviewAction
from content_review.models import Appeal, ReviewDecision, ShareRequest
from content_review.services import uploads
from content_review.services.deadlines import appeal_days
from testers.models import Clause, StaffRole
from testers.selectors import accepted_version, has_accepted_current

Status = ShareRequest.Status
TERMS_FIRST = "Please accept the program's current terms first."


def _terms_refusal(membership) -> Refusal | None:
    if not has_accepted_current(membership):
        return Refusal(TERMS_FIRST, "rule")
    return None


class UploadAction(ReviewAction):
    """Stores files as it applies: if it fails, the files it stored are deleted again."""

    def run(self):
        self.params.setdefault("written", [])
        try:
            return super().run()
        except BaseException:
            uploads.delete_files(self.params["written"])
            raise


class CreateShareRequest(UploadAction):
    """A draft with its works. Params: membership, fields (cleaned by `uploads.clean_fields`), clauses, checked
    (uploads already inspected: services.upload_action builds it)."""

    name = "content_review.share_request.created"
    label = "created share request"
    model = ShareRequest
    permission = "share_request.create"
    permission_reason = "Only the artist can ask to share their own works."


    def refusal(self, obj):
        return _terms_refusal(self.params["membership"])

    def apply(self, obj):
        membership = self.params["membership"]
        checked = self.params.get("checked", [])
        if len(checked) > uploads.MAX_WORKS:
            raise DomainError(f"A share request can hold at most {uploads.MAX_WORKS} works.")
        share_request = ShareRequest.objects.create(membership=membership, **self.params["fields"])
        share_request.clauses.set(self.params.get("clauses", []))
        works = uploads.save_works(share_request, checked, self.params.setdefault("written", []))
        for work in works:
            tasks.process_work.delay(work.pk)
        self.after = {"title": share_request.title, "works": [w.original_name for w in works]}
        return share_request

    def audit_program(self, obj, result):
        return self.params["membership"].program


class UpdateShareRequest(UploadAction):
    """Edit a draft, or a request whose reviewer asked for changes: its fields, new works, removed works.
    Params: fields, clauses, checked, remove_work_ids."""

    name = "content_review.share_request.updated"
    label = "edited share request"
    model = ShareRequest
    permission = "share_request.edit"
    permission_reason = "Only the artist can edit their request."
    transition = "edit"

    def state_refusal(self, obj, status):
        return "This request can no longer be edited."

    def apply(self, obj):
        remove_ids = [int(pk) for pk in self.params.get("remove_work_ids", ())]
        checked = self.params.get("checked", [])
        before_works = list(obj.works.values_list("original_name", flat=True))
        if obj.works.exclude(pk__in=remove_ids).count() + len(checked) > uploads.MAX_WORKS:
            raise DomainError(f"A share request can hold at most {uploads.MAX_WORKS} works.")
        removed_files = []
        for work in obj.works.filter(pk__in=remove_ids):
            removed_files += [f.name for f in (work.original, work.clean, work.thumbnail, work.poster,
                                               work.published) if f]
            work.delete()
        if "fields" in self.params:
            self.change(obj, **self.params["fields"])
            obj.clauses.set(self.params.get("clauses", []))
        works = uploads.save_works(obj, checked, self.params.setdefault("written", []))
        for work in works:
            tasks.process_work.delay(work.pk)
        self.on_commit(lambda: uploads.delete_files(removed_files))
        after_works = list(obj.works.values_list("original_name", flat=True))
        if after_works != before_works:
            self.before["works"], self.after["works"] = before_works, after_works
        return obj


class SubmitShareRequest(ReviewAction):
    """Send a draft (or a changed request) to review: its deadline is now plus the program's review SLA."""

    name = "content_review.share_request.submitted"
    label = "submitted share request"
    model = ShareRequest
    permission = "share_request.edit"
    permission_reason = "Only the artist can submit their request."
    transition = "submit"
    select_related = ("membership__program",)

    def state_refusal(self, obj, status):
        return "This request was already submitted."

    def refusal(self, obj):
        refusal = _terms_refusal(obj.membership)
        if refusal:
            return refusal
        statuses = [w.processing_status for w in obj.works.all()]
        if not statuses:
            return "Add at least one image or video before you submit."
        if "failed" in statuses:
            return "Some works could not be processed: retry them or remove them first."
        return None

    def apply(self, obj):
        version = accepted_version(obj.membership)
        if version is not None:
            # Clauses marked under an older version carry over by key to the version accepted now.
            keys = list(obj.clauses.values_list("key", flat=True))
            obj.clauses.set(Clause.objects.filter(terms_version=version, key__in=keys))
        now = timezone.now()
        sla = timedelta(days=obj.membership.program.review_sla_days)
        self.change(obj, terms_version_id=getattr(version, "pk", None), submitted_at=now,
                    first_submitted_at=obj.first_submitted_at or now, deadline_at=now + sla)
        if obj.clauses.filter(ended_at__isnull=False).exists():
            tasks.approve_if_free.delay(obj.pk)  # after commit: approved at once if nothing it cites needs review
        return obj


class WithdrawShareRequest(ReviewAction):
    """The artist takes back a request nobody decided yet. Paused and removed artists may too."""

    name = "content_review.share_request.withdrawn"
    label = "withdrew share request"
    model = ShareRequest
    permission = "share_request.withdraw"
    permission_reason = "Only the artist can withdraw their request."
    transition = "withdraw"

    def state_refusal(self, obj, status):
        if status == Status.WITHDRAWN:
            return "This request was already withdrawn."
        return "A decided request cannot be withdrawn."

    def apply(self, obj):
        self.change(obj, withdrawn_at=timezone.now())
        return obj


def appeal_assignee(program, refused_by):
    """A reviewer other than the one who refused (the least loaded); with none, a manager other than them."""
    from django.db.models import Count

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


class AppealRefusal(ReviewAction):
    """The artist's one appeal of a refusal; another reviewer decides it. Params: message."""

    name = "content_review.appeal.created"
    label = "appealed refusal"
    model = ShareRequest
    permission = "share_request.appeal"
    permission_reason = "Only the artist can appeal their request."
    transition = "appeal"
    select_related = ("membership__program",)

    def state_refusal(self, obj, status):
        if status == Status.APPEALED:
            return "You already appealed this request; another reviewer is deciding it."
        return "Only a refusal can be appealed."

    def refusal(self, obj):
        if Appeal.objects.filter(share_request=obj).exists():
            return Refusal("You already appealed this request; the decision on the appeal is final.", "state")
        return None

    def apply(self, obj):
        message = (self.params.get("message") or "").strip()
        if not message:
            raise DomainError("Say why you appeal the refusal.")
        refusal = (obj.decisions.filter(outcome=ReviewDecision.Outcome.REFUSE)
                   .order_by("-created_at", "-id").first())
        program = obj.membership.program
        assignee = appeal_assignee(program, refusal.decided_by)
        now = timezone.now()
        appeal = Appeal.objects.create(share_request=obj, refusal=refusal, refused_by=refusal.decided_by,
                                       assigned_to=assignee, message=message, created_at=now,
                                       decide_by=now + timedelta(days=appeal_days(program)))
        self.emit(appeal_id=appeal.pk)  # its reviewer is told (content_review/notifications.py)
        self.audit_data.update(appeal=appeal.pk, assigned_to=getattr(assignee, "email", None), message=message,
                               decide_by=appeal.decide_by.isoformat())
        return appeal

    def audit_target(self, obj, result):
        return obj
