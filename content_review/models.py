"""Share requests, their works and derived files, review decisions, appeals and showcase consent."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from atelier import bounds
from atelier.models import AppendOnlyModel
from atelier.transitions import TransitionTable
from content_review.storage import private_storage


class ShareRequest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "In review"
        ESCALATED = "escalated", "Escalated to the program manager"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        APPEALED = "appealed", "Refused — appeal pending"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Platform(models.TextChoices):
        INSTAGRAM = "instagram", "Instagram"
        TIKTOK = "tiktok", "TikTok"
        YOUTUBE = "youtube", "YouTube"
        X = "x", "X (Twitter)"
        BLUESKY = "bluesky", "Bluesky"
        BEHANCE = "behance", "Behance"
        ARTSTATION = "artstation", "ArtStation"
        WEBSITE = "website", "My own website"
        OTHER = "other", "Other"

    # Statuses a reviewer still has to act on (the queue's filter). Which status allows which action is in
    # ShareRequest.TRANSITIONS below.
    OPEN = (Status.SUBMITTED, Status.ESCALATED, Status.APPEALED)

    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="share_requests")
    terms_version = models.ForeignKey(
        "testers.TermsVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The terms version the artist had accepted when submitting: decisions cite its clauses.",
    )
    title = models.CharField(max_length=200)
    caption = models.TextField(blank=True, max_length=bounds.CAPTION_TEXT,
                               help_text="The text you plan to post with the works.")
    platforms = models.JSONField(default=list, blank=True)
    platform_other = models.CharField(max_length=120, blank=True)
    planned_post_date = models.DateField(null=True, blank=True)
    clauses = models.ManyToManyField(
        "testers.Clause", blank=True, related_name="share_requests",
        help_text="Clauses the artist thinks apply.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_missed = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The manager's own deadline once a request is escalated; past it the system deems the request approved
    # (docs/content_review.md, "Deadlines"), so the artist never waits past two deadlines.
    escalation_deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_decided_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Conditions of the approval in force (copied from the approving decision).
    embargo_until = models.DateField(null=True, blank=True)
    required_caption = models.TextField(blank=True, max_length=bounds.CAPTION_TEXT)
    required_credit = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Statuses reached only through a submission: each has its submission time and deadline.
    SUBMITTED_STATUSES = (Status.SUBMITTED, Status.ESCALATED, Status.CHANGES_REQUESTED, Status.APPROVED,
                          Status.REFUSED, Status.APPEALED)
    # Statuses that a decision left: each has the decision's time.
    DECIDED_STATUSES = (Status.CHANGES_REQUESTED, Status.APPROVED, Status.REFUSED, Status.APPEALED)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline_at"])]
        constraints = [
            bounds.max_length_constraint("sharerequest", "caption", bounds.CAPTION_TEXT),
            bounds.max_length_constraint("sharerequest", "required_caption", bounds.CAPTION_TEXT),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "escalated", "changes_requested", "approved", "refused",
                                         "appealed"])
                | Q(submitted_at__isnull=False, first_submitted_at__isnull=False, deadline_at__isnull=False),
                name="share_request_submitted_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["changes_requested", "approved", "refused", "appealed"])
                | Q(decided_at__isnull=False, first_decided_at__isnull=False),
                name="share_request_decided_has_date",
            ),
            models.CheckConstraint(condition=~Q(status="escalated") | Q(escalated_at__isnull=False),
                                   name="share_request_escalated_has_date"),
            models.CheckConstraint(condition=~Q(status="escalated") | Q(escalation_deadline_at__isnull=False),
                                   name="share_request_escalated_has_deadline"),
            models.CheckConstraint(condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
                                   name="share_request_withdrawn_has_date"),
        ]

    def __str__(self):
        return self.title

    @property
    def program(self):
        return self.membership.program

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def is_overdue(self):
        return self.status == self.Status.SUBMITTED and self.deadline_at is not None and self.deadline_at <= timezone.now()

    @property
    def decide_by(self):
        """The deadline in force: the review deadline, the manager's once escalated, the appeal's once appealed."""
        if self.status == self.Status.ESCALATED:
            return self.escalation_deadline_at
        if self.status == self.Status.APPEALED:
            appeal = getattr(self, "appeal", None)
            return appeal.decide_by if appeal is not None else None
        if self.status == self.Status.SUBMITTED:
            return self.deadline_at
        return None

    @property
    def is_past_decide_by(self):
        decide_by = self.decide_by
        return decide_by is not None and decide_by <= timezone.now()

    @property
    def time_left(self):
        decide_by = self.decide_by
        if decide_by is None:
            return None
        return decide_by - timezone.now()

    @property
    def has_conditions(self):
        return bool(self.embargo_until or self.required_caption or self.required_credit)

    @property
    def is_embargoed(self):
        return self.embargo_until is not None and self.embargo_until > timezone.localdate()

    def platform_labels(self):
        labels = dict(self.Platform.choices)
        out = [labels.get(p, p) for p in self.platforms if p != self.Platform.OTHER]
        if self.Platform.OTHER in self.platforms:
            out.append(self.platform_other or "Other")
        return out


_S = ShareRequest.Status
_DECIDABLE = [_S.SUBMITTED, _S.ESCALATED]
# Each verb is one action of content_review/actions.py (its audit name in brackets there).
ShareRequest.TRANSITIONS = TransitionTable(_S, {
    "edit": ([_S.DRAFT, _S.CHANGES_REQUESTED], None),  # fields, add and remove works
    "submit": ([_S.DRAFT, _S.CHANGES_REQUESTED], _S.SUBMITTED),  # a resubmission is the same verb
    "withdraw": ([_S.DRAFT, _S.SUBMITTED, _S.ESCALATED, _S.CHANGES_REQUESTED], _S.WITHDRAWN),
    "approve": (_DECIDABLE, _S.APPROVED),
    "approve_with_conditions": (_DECIDABLE, _S.APPROVED),
    "request_changes": (_DECIDABLE, _S.CHANGES_REQUESTED),
    "refuse": (_DECIDABLE, _S.REFUSED),
    "escalate": ([_S.SUBMITTED], _S.ESCALATED),  # the system, past the deadline
    "deem_approved": ([_S.SUBMITTED], _S.APPROVED),  # the system, past the deadline
    "deem_approved_after_escalation": ([_S.ESCALATED], _S.APPROVED),  # the system, past the manager's deadline
    "approve_as_free": (_DECIDABLE, _S.APPROVED),  # the system: every clause it cites is free to share now
    "appeal": ([_S.REFUSED], _S.APPEALED),
    "overturn": ([_S.APPEALED], _S.APPROVED),  # the appeal's decision approves (final)
    "uphold": ([_S.APPEALED], _S.REFUSED),  # the appeal's decision refuses again (final)
    "deem_overturned": ([_S.APPEALED], _S.APPROVED),  # the system, past the appeal's deadline (final)
})


class Work(models.Model):
    """One uploaded image or video of a share request, with the files derived from it (all private)."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    class FileStatus(models.TextChoices):
        NONE = "none", "Not needed yet"
        PENDING = "pending", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    share_request = models.ForeignKey(ShareRequest, on_delete=models.CASCADE, related_name="works")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    original_name = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=40)
    extension = models.CharField(max_length=8)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    original = models.FileField(storage=private_storage, max_length=255)
    # Derived files, made by content_review.tasks.process_work.
    clean = models.FileField(storage=private_storage, max_length=255, blank=True,
                             help_text="Full-size copy with location, camera and other metadata removed.")
    thumbnail = models.FileField(storage=private_storage, max_length=255, blank=True)
    poster = models.FileField(storage=private_storage, max_length=255, blank=True)
    processing_status = models.CharField(max_length=8, choices=FileStatus.choices, default=FileStatus.PENDING)
    processing_error = models.TextField(blank=True)
    # The credited, watermarked copy, made on approval by content_review.tasks.make_published_copy.
    published = models.FileField(storage=private_storage, max_length=255, blank=True)
    published_credit = models.CharField(max_length=200, blank=True)
    published_status = models.CharField(max_length=8, choices=FileStatus.choices, default=FileStatus.NONE)
    published_error = models.TextField(blank=True)
    showcase_consent = models.BooleanField(default=False, help_text="The artist agrees to show it on the showcase.")
    showcase_consent_at = models.DateTimeField(null=True, blank=True)
    # A manager took the work off the showcase, with a reason the artist is told; the artist cannot put it back.
    showcase_removed_at = models.DateTimeField(null=True, blank=True)
    showcase_removed_reason = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["share_request", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(processing_status="none"), name="work_processing_status_not_none"),
            models.CheckConstraint(condition=~Q(processing_status="failed") | ~Q(processing_error=""),
                                   name="work_processing_failed_has_error"),
            models.CheckConstraint(condition=~Q(published_status="failed") | ~Q(published_error=""),
                                   name="work_publishing_failed_has_error"),
            models.CheckConstraint(condition=~Q(showcase_consent=True) | Q(showcase_consent_at__isnull=False),
                                   name="work_showcase_consent_has_date"),
            models.CheckConstraint(condition=Q(showcase_removed_at__isnull=True)
                                   | (~Q(showcase_removed_reason="") & Q(showcase_consent=False)),
                                   name="work_showcase_removed_has_reason"),
            bounds.max_length_constraint("work", "showcase_removed_reason", bounds.LONG_TEXT),
        ]

    def __str__(self):
        return self.original_name

    @property
    def program_id(self):
        return self.share_request.membership.program_id

    @property
    def is_processing(self):
        return self.processing_status == self.FileStatus.PENDING or self.published_status == self.FileStatus.PENDING


_F = Work.FileStatus
# The work's own derived files (clean copy, thumbnail, poster): made on upload, by the system.
Work.TRANSITIONS = TransitionTable(_F, {
    "processed": ([_F.PENDING], _F.READY),
    "processing_failed": ([_F.PENDING], _F.FAILED),
    "retry": ([_F.FAILED], _F.PENDING),
}, field="processing_status")
# The credited, watermarked copy (`published_status`): asked for by an approval ("publish", part of the
# approving action's effects), then made by the system. The action layer reads one table per model, so the
# published-copy actions consult this one in their own check (content_review.actions.PublishedCopyAction).
Work.PUBLISHED_TRANSITIONS = TransitionTable(_F, {
    "publish": ([_F.NONE, _F.FAILED, _F.READY], _F.PENDING),
    "published": ([_F.PENDING], _F.READY),
    "publishing_failed": ([_F.PENDING], _F.FAILED),
    "retry_publishing": ([_F.FAILED], _F.PENDING),
}, field="published_status")


class ReviewDecision(AppendOnlyModel):
    """A decision on a share request (by a reviewer, a manager, or the deadline policy). Append-only."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approved"
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approved with conditions"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        REFUSE = "refuse", "Refused"
        DEEMED_APPROVED = "deemed_approved", "Deemed approved (deadline passed)"
        CLAUSES_ENDED = "clauses_ended", "Approved: the clauses it cites have ended"

    APPROVALS = (Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS, Outcome.DEEMED_APPROVED, Outcome.CLAUSES_ENDED)

    share_request = models.ForeignKey(ShareRequest, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty when the system decided (the deadline policy, or the clauses it cites ended).",
    )
    reason = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    clauses = models.ManyToManyField("testers.Clause", blank=True, related_name="review_decisions")
    embargo_until = models.DateField(null=True, blank=True)
    required_caption = models.TextField(blank=True, max_length=bounds.CAPTION_TEXT)
    required_credit = models.CharField(max_length=120, blank=True)
    on_appeal = models.BooleanField(default=False, help_text="Decided on appeal (final).")
    submitted_at = models.DateTimeField(help_text="When the request being decided was submitted.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    append_only_hint = "a decision is never changed; a later decision (or an appeal) follows it."

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            bounds.max_length_constraint("reviewdecision", "reason", bounds.LONG_TEXT),
            bounds.max_length_constraint("reviewdecision", "required_caption", bounds.CAPTION_TEXT),
            models.CheckConstraint(
                condition=Q(outcome__in=["deemed_approved", "clauses_ended"], decided_by__isnull=True)
                | (~Q(outcome__in=["deemed_approved", "clauses_ended"]) & Q(decided_by__isnull=False)),
                name="decision_deemed_has_no_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="approve_with_conditions")
                | Q(embargo_until__isnull=False) | ~Q(required_caption="") | ~Q(required_credit=""),
                name="decision_conditions_has_a_condition",
            ),
            models.CheckConstraint(
                condition=Q(outcome="approve_with_conditions")
                | Q(embargo_until__isnull=True, required_caption="", required_credit=""),
                name="decision_only_conditional_approval_has_conditions",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["approve_with_conditions", "request_changes", "refuse"]) | ~Q(reason=""),
                name="decision_has_a_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()}: {self.share_request}"

    @property
    def is_approval(self):
        return self.outcome in self.APPROVALS

    @property
    def time_to_decision(self):
        return self.created_at - self.submitted_at


class Appeal(models.Model):
    """An artist's one appeal of a refusal, decided by someone other than the reviewer who refused."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        OVERTURNED = "overturned", "Overturned (approved)"
        UPHELD = "upheld", "Upheld (refused)"

    share_request = models.OneToOneField(ShareRequest, on_delete=models.PROTECT, related_name="appeal")
    refusal = models.OneToOneField(ReviewDecision, on_delete=models.PROTECT, related_name="appeal")
    # Read by atelier.permissions._not_own_decision: the reviewer who refused may not decide.
    refused_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    message = models.TextField(max_length=bounds.LONG_TEXT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    decision = models.OneToOneField(
        ReviewDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="appeal_decided"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the appeal must be decided: its creation plus the program's appeal deadline. Past it the system deems
    # the refusal overturned (docs/content_review.md, "Deadlines").
    decide_by = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            bounds.max_length_constraint("appeal", "message", bounds.LONG_TEXT),
            models.CheckConstraint(
                condition=~Q(assigned_to=models.F("refused_by")), name="appeal_not_assigned_to_refuser"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decision__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decision__isnull=False, decided_at__isnull=False)),
                name="appeal_decided_has_decision",
            ),
            models.CheckConstraint(condition=~Q(status="pending") | Q(decide_by__isnull=False),
                                   name="appeal_pending_has_deadline"),
        ]

    def __str__(self):
        return f"Appeal of {self.share_request}"


_A = Appeal.Status
# Moved by the share request's "overturn" and "uphold" actions (the appeal's decision), never on its own.
Appeal.TRANSITIONS = TransitionTable(_A, {
    "overturn": ([_A.PENDING], _A.OVERTURNED),
    "uphold": ([_A.PENDING], _A.UPHELD),
    "deem_overturned": ([_A.PENDING], _A.OVERTURNED),
})
