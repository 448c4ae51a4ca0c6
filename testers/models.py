"""Programs, staff roles, invitations, artists, terms, feedback and testing time."""
import hashlib
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from atelier import bounds
from atelier.display import format_day, format_duration
from atelier.models import AppendOnlyModel
from atelier.transitions import TransitionTable


class Program(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    class DeadlinePolicy(models.TextChoices):
        DEEMED_APPROVED = "deemed_approved", "Deemed approved"
        ESCALATE = "escalate", "Escalated to the program manager"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD or EUR.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    description = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    review_sla_days = models.PositiveSmallIntegerField(
        default=5, help_text="Days a reviewer has to decide a share request."
    )
    appeal_sla_days = models.PositiveSmallIntegerField(
        default=5, help_text="Days a reviewer (or the manager) has to decide an appeal or an escalated request."
    )
    deadline_policy = models.CharField(
        max_length=20, choices=DeadlinePolicy.choices, default=DeadlinePolicy.ESCALATE,
        help_text="What happens to a share request still undecided at its deadline.",
    )
    watermark_text = models.CharField(
        max_length=80, blank=True, help_text="The program's mark on approved, published works."
    )
    credit_text = models.CharField(
        max_length=120, blank=True,
        help_text="How the program is credited beside a published work, e.g. 'Shared with Atelier Beta'.",
    )
    reporting_threshold_minor = models.BigIntegerField(
        null=True, blank=True,
        help_text="Year-end reporting threshold in minor units; empty means the US 1099-NEC threshold of the year.",
    )
    terms_notice_days = models.PositiveSmallIntegerField(
        default=14, validators=[MaxValueValidator(365)],
        help_text="Notice given before new terms take effect: their effective date defaults to this many days ahead.",
    )
    max_amount_minor = models.BigIntegerField(
        default=bounds.DEFAULT_PROGRAM_MAX_AMOUNT_MINOR,
        validators=[MinValueValidator(1), MaxValueValidator(bounds.BIG_AMOUNT_MAX)],
        help_text="The largest single amount the program accepts (a rate, a stipend, an adjustment), in minor units.",
    )
    fair_pay_floor_hourly_minor = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Minimum effective hourly rate, in minor units, when the rate card in force sets none; "
                  "empty means no floor.",
    )
    changelog_public = models.BooleanField(
        default=False,
        help_text="Publish a public changelog of shipped feedback, crediting the artists who agreed to be credited.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="program_currency_iso4217"),
            models.CheckConstraint(condition=Q(max_amount_minor__gt=0, max_amount_minor__lte=bounds.BIG_AMOUNT_MAX),
                                   name="program_max_amount_in_range"),
            models.CheckConstraint(condition=Q(review_sla_days__gte=1, appeal_sla_days__gte=1),
                                   name="program_deadlines_at_least_a_day"),
            bounds.max_length_constraint("program", "description", bounds.LONG_TEXT),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.currency = (self.currency or "").upper()
        super().save(*args, **kwargs)


class StaffRole(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", "Program manager"
        REVIEWER = "reviewer", "Reviewer"
        FINANCE = "finance", "Finance"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "program", "role"], name="staffrole_unique_per_program"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} of {self.program}"


class ArtistProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="artist_profile")
    display_name = models.CharField(max_length=120)
    legal_name = models.CharField(max_length=200, blank=True, help_text="Used on statements and tax forms only.")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 two-letter code, e.g. FR.")
    portfolio_url = models.URLField(blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    credit_line = models.CharField(
        max_length=120, blank=True, help_text="How you want to be credited on shared works, e.g. '© Ana Lima'."
    )
    changelog_credit = models.BooleanField(
        default=False,
        help_text="Credit me, by my credit line, for my shipped feedback in the public changelog of programs that "
                  "publish one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name

    @property
    def credit(self):
        return self.credit_line or self.display_name


class Membership(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        REMOVED = "removed", "Removed"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="memberships")
    artist = models.ForeignKey(ArtistProfile, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    cohort = models.CharField(max_length=60, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program__name", "artist__display_name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "artist"], name="membership_unique_per_program"),
        ]

    def __str__(self):
        return f"{self.artist} in {self.program}"

    @property
    def user_id(self):
        return self.artist.user_id


_M = Membership.Status
# Removing only changes the status: every record stays. A removed artist comes back by reactivation (or by
# accepting a new invitation); an invited one becomes active when they accept.
Membership.TRANSITIONS = TransitionTable(_M, {
    "activate": ([_M.INVITED, _M.PAUSED], _M.ACTIVE),
    "pause": ([_M.ACTIVE], _M.PAUSED),
    "remove": ([_M.INVITED, _M.ACTIVE, _M.PAUSED], _M.REMOVED),
    "reactivate": ([_M.REMOVED], _M.ACTIVE),
})


def new_invitation_token():
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True)
    cohort = models.CharField(max_length=60, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "email"], condition=Q(status="pending"), name="invitation_one_pending_per_email"
            ),
        ]

    def __str__(self):
        return f"Invitation of {self.email} to {self.program}"

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self):
        return self.status == self.Status.PENDING and not self.is_expired


_I = Invitation.Status
# Resending keeps the invitation pending (with a new link); accepting and revoking are final.
Invitation.TRANSITIONS = TransitionTable(_I, {
    "accept": ([_I.PENDING], _I.ACCEPTED),
    "revoke": ([_I.PENDING], _I.REVOKED),
    "resend": ([_I.PENDING], None),
})


class TermsVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="terms_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True, max_length=bounds.LONG_TEXT, help_text="What changed, in plain words.")
    effective_date = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the exact published text.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-number"]
        constraints = [
            bounds.max_length_constraint("termsversion", "summary", bounds.LONG_TEXT),
            models.UniqueConstraint(fields=["program", "number"], name="terms_version_number_unique"),
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="draft"), name="terms_one_draft_per_program"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | (
                    ~Q(text_hash="") & Q(published_at__isnull=False) & Q(effective_date__isnull=False)
                ),
                name="terms_published_has_hash_and_dates",
            ),
        ]

    def __str__(self):
        return f"{self.program} terms v{self.number}"

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def canonical_text(self, clauses=None):
        """The exact text an artist accepts: every clause, in order, with its class."""
        clauses = clauses if clauses is not None else self.clauses.all()
        parts = [f"{self.program.name} participation terms, version {self.number}"]
        for clause in clauses:
            parts.append(
                f"[{clause.position}] {clause.title} ({clause.get_klass_display()})\n{clause.text}\nExamples: {clause.examples}"
                # The end is part of what the artist accepts; a clause without one reads as it always did, so
                # the hashes of versions published before ends existed still match.
                + (f"\n{clause.get_klass_display()} {clause.end_text()}" if clause.has_end else "")
            )
        return "\n\n".join(parts)

    def compute_hash(self, clauses=None):
        return hashlib.sha256(self.canonical_text(clauses).encode("utf-8")).hexdigest()


_T = TermsVersion.Status
# A draft is edited (summary, clauses) and published once; published terms never change, and only they
# can be accepted.
TermsVersion.TRANSITIONS = TransitionTable(_T, {
    "publish": ([_T.DRAFT], _T.PUBLISHED),
    "add_clause": ([_T.DRAFT], None),
    "change_clause": ([_T.DRAFT], None),
    "remove_clause": ([_T.DRAFT], None),
    "edit_summary": ([_T.DRAFT], None),
    "accept": ([_T.PUBLISHED], None),
})


class Milestone(models.Model):
    """A named moment of a program (“public launch”) that a manager announces. A confidential or needs-approval
    clause may end at it: announcing it ends those clauses (docs/testers.md, "Confidentiality that ends")."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Not announced yet"
        ANNOUNCED = "announced", "Announced"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="milestones")
    name = models.CharField(max_length=120, help_text="As artists read it: “public launch”, “the 2.0 release”.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    announced_at = models.DateTimeField(null=True, blank=True)
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "program", name="milestone_name_unique_in_program",
                                    violation_error_message="This program already has a milestone with this name."),
            models.CheckConstraint(
                condition=Q(status="planned", announced_at__isnull=True, announced_by__isnull=True)
                | Q(status="announced", announced_at__isnull=False),
                name="milestone_announced_has_date",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_announced(self):
        return self.status == self.Status.ANNOUNCED


_MS = Milestone.Status
# A milestone is announced once, for good: the clauses that end at it are free to share from then on.
Milestone.TRANSITIONS = TransitionTable(_MS, {
    "announce": ([_MS.PLANNED], _MS.ANNOUNCED),
})


class Clause(models.Model):
    class Klass(models.TextChoices):
        CONFIDENTIAL = "confidential", "Confidential"
        NEEDS_APPROVAL = "needs_approval", "Needs approval"
        FREE_TO_SHARE = "free_to_share", "Free to share"

    #: the classes whose obligation can end (a free-to-share clause has nothing to end)
    ENDING = (Klass.CONFIDENTIAL, Klass.NEEDS_APPROVAL)

    terms_version = models.ForeignKey(TermsVersion, on_delete=models.CASCADE, related_name="clauses")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=60, help_text="Stays the same across versions, so changes can be shown.")
    klass = models.CharField("class", max_length=20, choices=Klass.choices)
    title = models.CharField(max_length=120)
    text = models.TextField(max_length=bounds.LONG_TEXT, help_text="Plain-language text.")
    examples = models.TextField(blank=True, max_length=bounds.LONG_TEXT)
    # Its end (docs/testers.md, "Confidentiality that ends"): a day, or a milestone a manager announces; never
    # both. When it comes, the system's action `testers.clause.ended` sets `ended_at`, and from then on the
    # clause is free to share for everyone under this version, with no new terms to accept.
    ends_on = models.DateField("ends on", null=True, blank=True,
                               help_text="The day from which it is free to share.")
    ends_at_milestone = models.ForeignKey(
        Milestone, verbose_name="ends at milestone", null=True, blank=True, on_delete=models.PROTECT,
        related_name="clauses", help_text="Free to share once a manager announces this milestone.",
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["terms_version", "position"]
        constraints = [
            bounds.max_length_constraint("clause", "text", bounds.LONG_TEXT),
            bounds.max_length_constraint("clause", "examples", bounds.LONG_TEXT),
            models.UniqueConstraint(fields=["terms_version", "key"], name="clause_key_unique_in_version"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_at_milestone__isnull=True),
                                   name="clause_ends_on_a_day_or_at_a_milestone",
                                   violation_error_message="A clause ends on a day or at a milestone, not both: "
                                                           "choose one."),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True, ends_at_milestone__isnull=True)
                | Q(klass__in=["confidential", "needs_approval"]),
                name="clause_end_only_when_restricted",
                violation_error_message="Only a confidential or needs-approval clause can end: a free-to-share "
                                        "clause has nothing to end.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ends_on__isnull=False) | Q(ends_at_milestone__isnull=False),
                name="clause_ended_has_an_end",
            ),
        ]

    def __str__(self):
        return f"§{self.position} {self.title}"

    @property
    def has_end(self):
        return self.ends_on is not None or self.ends_at_milestone_id is not None

    @property
    def has_ended(self):
        return self.ended_at is not None

    @property
    def is_free_to_share(self):
        """Free to share now: by its class, or because its end came."""
        return self.klass == self.Klass.FREE_TO_SHARE or self.has_ended

    def end_text(self) -> str:
        """Its end in words (“until 1 Mar 2027”, “until public launch is announced”), or "" without one."""
        if self.ends_on is not None:
            return f"until {format_day(self.ends_on)}"
        if self.ends_at_milestone_id is not None:
            return f"until {self.ends_at_milestone.name} is announced"
        return ""


class TermsAcceptance(AppendOnlyModel):
    """An artist's acceptance of one exact terms version. Append-only (in Python and by a database trigger)."""

    append_only_hint = "an acceptance is a record of what the artist agreed to; it never changes."

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="acceptances")
    terms_version = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    text_hash = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "terms_version"], name="acceptance_once_per_version"),
        ]

    def __str__(self):
        return f"{self.membership} accepted v{self.terms_version.number}"


class Feedback(models.Model):
    class Kind(models.TextChoices):
        BUG = "bug", "Bug"
        FEATURE = "feature", "Feature request"
        QUALITY = "quality", "Quality report"
        GENERAL = "general", "General"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACCEPTED = "accepted", "Accepted"
        DUPLICATE = "duplicate", "Duplicate"
        DECLINED = "declined", "Declined"
        SHIPPED = "shipped", "Shipped"

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="feedback")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=bounds.LONG_TEXT)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decline_reason = models.TextField(blank=True, max_length=bounds.REASON_TEXT)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the tool said about itself when the item was sent from inside it (the REST API); empty from the portal.
    app_build = models.CharField("build", max_length=bounds.APP_METADATA_TEXT, blank=True)
    app_os = models.CharField("operating system", max_length=bounds.APP_METADATA_TEXT, blank=True)
    app_device = models.CharField("device", max_length=bounds.APP_METADATA_TEXT, blank=True)
    shipped_in = models.CharField(max_length=bounds.SHORT_TEXT, blank=True,
                                  help_text="The build or release the item shipped in.")
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"
        indexes = [models.Index(fields=["shipped_at"], name="feedback_shipped_at")]
        constraints = [
            bounds.max_length_constraint("feedback", "body", bounds.LONG_TEXT),
            bounds.max_length_constraint("feedback", "decline_reason", bounds.REASON_TEXT),
            models.CheckConstraint(condition=~Q(kind="bug") | ~Q(severity=""), name="feedback_bug_has_severity"),
            models.CheckConstraint(condition=~Q(status="declined") | Q(decline_reason__regex=r"\S"),
                                   name="feedback_declined_has_reason"),
            models.CheckConstraint(condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                                   name="feedback_duplicate_has_original"),
            # Items shipped before the build was recorded have no shipped_at; every item shipped since names it.
            models.CheckConstraint(condition=Q(shipped_at__isnull=True) | Q(shipped_in__regex=r"\S"),
                                   name="feedback_shipped_names_build"),
        ]

    def __str__(self):
        return self.title


_F = Feedback.Status
# Accepted items are paid for, so they never go back; declined and duplicate items may be reopened.
# Replies are allowed whatever the status: the artist may contest a decline or explain a duplicate, and staff
# may answer after shipping.
Feedback.TRANSITIONS = TransitionTable(_F, {
    "accept": ([_F.NEW], _F.ACCEPTED),
    "mark_duplicate": ([_F.NEW], _F.DUPLICATE),
    "decline": ([_F.NEW], _F.DECLINED),
    "ship": ([_F.ACCEPTED], _F.SHIPPED),
    "reopen": ([_F.DUPLICATE, _F.DECLINED], _F.NEW),
    "reply": ([_F.NEW, _F.ACCEPTED, _F.DUPLICATE, _F.DECLINED, _F.SHIPPED], None),
})


class FeedbackAttachment(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    image = models.ImageField(upload_to="feedback/%Y/%m/")
    original_name = models.CharField(max_length=255)
    thumbnail = models.ImageField(upload_to="feedback/thumbs/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.original_name


class FeedbackEvent(models.Model):
    """A status change or a reply on a feedback item; the artist sees every one."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        REPLY = "reply", "Reply"

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    message = models.TextField(blank=True, max_length=bounds.REASON_TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            bounds.max_length_constraint("feedbackevent", "message", bounds.REASON_TEXT),
        ]
        ordering = ["created_at", "id"]


class TimeLog(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="time_logs")
    date = models.DateField()
    minutes = models.PositiveIntegerField()
    description = models.TextField("what you tested", max_length=bounds.REASON_TEXT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, max_length=bounds.REASON_TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            bounds.max_length_constraint("timelog", "description", bounds.REASON_TEXT),
            bounds.max_length_constraint("timelog", "rejection_reason", bounds.REASON_TEXT),
            models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=24 * 60), name="timelog_minutes_in_a_day"),
            models.CheckConstraint(condition=~Q(status="rejected") | Q(rejection_reason__regex=r"\S"),
                                   name="timelog_rejected_has_reason"),
        ]

    def __str__(self):
        return f"{format_duration(self.minutes)} on {format_day(self.date)}"


_L = TimeLog.Status
# A manager decides a pending log once. Its artist may withdraw it while it waits (it stays, marked withdrawn,
# and no longer counts). A site admin may correct the minutes or date of a pending or approved log (with a
# reason); a correction of a priced log is sent to payments, which mends the ledger.
TimeLog.TRANSITIONS = TransitionTable(_L, {
    "approve": ([_L.PENDING], _L.APPROVED),
    "reject": ([_L.PENDING], _L.REJECTED),
    "withdraw": ([_L.PENDING], _L.WITHDRAWN),
    "correct": ([_L.PENDING, _L.APPROVED], None),
})
