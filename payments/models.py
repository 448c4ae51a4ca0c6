"""Rate cards, the append-only earnings ledger, Stripe connected accounts, payout runs, webhooks, reconciliation."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from testers.models import Feedback


class RateCard(models.Model):
    """What a program pays, versioned. A version applies to work dated on or after its effective date."""

    program = models.ForeignKey("testers.Program", on_delete=models.PROTECT, related_name="rate_cards")
    version = models.PositiveIntegerField()
    effective_date = models.DateField()
    currency = models.CharField(max_length=3)
    hourly_rate_minor = models.PositiveIntegerField(help_text="Per approved testing hour, in minor units.")
    feedback_bug_low_minor = models.PositiveIntegerField(default=0)
    feedback_bug_medium_minor = models.PositiveIntegerField(default=0)
    feedback_bug_high_minor = models.PositiveIntegerField(default=0)
    feedback_bug_critical_minor = models.PositiveIntegerField(default=0)
    feedback_feature_minor = models.PositiveIntegerField(default=0)
    feedback_quality_minor = models.PositiveIntegerField(default=0)
    feedback_general_minor = models.PositiveIntegerField(default=0)
    monthly_stipend_minor = models.PositiveIntegerField(default=0, help_text="0 means no stipend.")
    minimum_payout_minor = models.PositiveIntegerField(default=0)
    fair_pay_floor_hourly_minor = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minimum effective hourly rate; empty means no floor."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-effective_date", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="ratecard_version_unique"),
            models.UniqueConstraint(fields=["program", "effective_date"], name="ratecard_one_per_effective_date"),
        ]

    def __str__(self):
        return f"{self.program} rate card v{self.version} (from {self.effective_date})"

    def feedback_amount_minor(self, kind: str, severity: str = "") -> int:
        if kind == Feedback.Kind.BUG:
            return getattr(self, f"feedback_bug_{severity or 'low'}_minor")
        return getattr(self, f"feedback_{kind}_minor")


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The ledger is append-only: add an adjusting entry instead.")

    def delete(self):
        raise PermissionError("The ledger is append-only: add an adjusting entry instead.")


class LedgerEntry(models.Model):
    """One line of an artist's earnings in one program. Positive credits the artist, negative debits.

    `source_key` names what produced the line ("timelog:12", "feedback:7", "stipend:<membership>:2026-11",
    "payout:31", "payout-failed:31", "reversal:trr_…", "adjustment:<uuid>") and is UNIQUE in the database,
    so the same source can never be paid twice.
    """

    class Kind(models.TextChoices):
        TIME = "time", "Testing time"
        FEEDBACK = "feedback", "Accepted feedback"
        STIPEND = "stipend", "Monthly stipend"
        PAYOUT = "payout", "Payout"
        PAYOUT_FAILED = "payout_failed", "Failed payout credited back"
        REVERSAL = "reversal", "Reversed transfer credited back"
        ADJUSTMENT = "adjustment", "Adjustment"

    program = models.ForeignKey("testers.Program", on_delete=models.PROTECT, related_name="ledger_entries")
    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    source_key = models.CharField(max_length=120, unique=True)
    work_date = models.DateField(help_text="The day the work was done (or the payout/adjustment was made).")
    rate_card = models.ForeignKey(RateCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit_rate_minor = models.BigIntegerField(null=True, blank=True, help_text="The rate that produced the amount.")
    quantity = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                   help_text="Hours, items or months the rate was applied to.")
    time_log = models.ForeignKey("testers.TimeLog", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    feedback = models.ForeignKey("testers.Feedback", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payout = models.ForeignKey("payments.Payout", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="ledger_entries")
    description = models.CharField(max_length=255)
    reason = models.TextField(blank=True, help_text="Required for adjustments.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-work_date", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["membership", "work_date"]),
            models.Index(fields=["program", "work_date"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_has_reason"),
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_amount_not_zero"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_minor} {self.currency} ({self.source_key})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The ledger is append-only: add an adjusting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The ledger is append-only: add an adjusting entry instead.")


class StripeAccount(models.Model):
    """An artist's Stripe connected account (Express-style, via controller properties). One per artist."""

    class State(models.TextChoices):
        DETAILS_NEEDED = "details_needed", "Details needed"
        PENDING = "pending", "Pending verification"
        ENABLED = "enabled", "Payouts enabled"
        DISABLED = "disabled", "Disabled by Stripe"

    artist = models.OneToOneField("testers.ArtistProfile", on_delete=models.PROTECT, related_name="stripe_account")
    stripe_account_id = models.CharField(max_length=64, unique=True)
    country = models.CharField(max_length=2)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DETAILS_NEEDED)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=120, blank=True)
    requirements_due = models.JSONField(default=list, blank=True)
    last_payout_status = models.CharField(max_length=40, blank=True, help_text="From payout.* webhooks.")
    last_payout_message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.artist} — {self.stripe_account_id}"

    @property
    def is_payable(self):
        return self.payouts_enabled and self.transfers_active and not self.disabled_reason


class PayoutRun(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Waiting for approval"
        APPROVED = "approved", "Approved"
        SENDING = "sending", "Sending"
        COMPLETED = "completed", "Completed"
        COMPLETED_WITH_FAILURES = "completed_with_failures", "Completed with failures"
        CANCELLED = "cancelled", "Cancelled"

    program = models.ForeignKey("testers.Program", on_delete=models.PROTECT, related_name="payout_runs")
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.CREATED, db_index=True)
    total_minor = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "period_start", "period_end"], condition=~Q(status="cancelled"),
                name="payoutrun_one_per_program_period",
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="payoutrun_period_order"),
        ]

    def __str__(self):
        return f"{self.program} payouts {self.period_start} – {self.period_end}"

    @property
    def transfer_group(self):
        return f"run-{self.pk}"


class Payout(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        UNKNOWN = "unknown", "Unknown (check reconciliation)"

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="payouts")
    stripe_account = models.ForeignKey(StripeAccount, on_delete=models.PROTECT, related_name="payouts")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_transfer_id = models.CharField(max_length=64, blank=True, db_index=True)
    failure_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    reversed_amount_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "membership"], name="payout_one_per_artist_per_run"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self):
        return f"Payout {self.pk} of {self.amount_minor} {self.currency}"

    @property
    def idempotency_key(self):
        """Deterministic: every attempt to send this payout, by any worker, carries the same key."""
        return f"atelier-payout-{self.pk}"


class PayoutRunSkip(models.Model):
    """An artist left out of a run, and why (under the minimum, no payable Stripe account, nothing owed)."""

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="skips")
    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="+")
    balance_minor = models.BigIntegerField()
    reason = models.CharField(max_length=255)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self):
        return f"{self.membership}: {self.reason}"


class StripeEvent(models.Model):
    """Every webhook event received, stored once by its id (a repeated delivery is acknowledged, not re-applied)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Stored, not handled"
        FAILED = "failed", "Failed"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    account = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class ReconciliationReport(models.Model):
    program = models.ForeignKey("testers.Program", on_delete=models.PROTECT, related_name="reconciliations")
    period_start = models.DateField()
    period_end = models.DateField()
    checked_payouts = models.PositiveIntegerField(default=0)
    checked_transfers = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Reconciliation of {self.program} {self.period_start} – {self.period_end}"


class ReconciliationDifference(models.Model):
    class Kind(models.TextChoices):
        MISSING_AT_STRIPE = "missing_at_stripe", "Paid in Atelier, no transfer at Stripe"
        MISSING_IN_ATELIER = "missing_in_atelier", "Transfer at Stripe, no paid payout in Atelier"
        AMOUNT = "amount", "Amounts differ"
        DESTINATION = "destination", "Destinations differ"
        CURRENCY = "currency", "Currencies differ"

    report = models.ForeignKey(ReconciliationReport, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stripe_transfer_id = models.CharField(max_length=64, blank=True)
    atelier_value = models.CharField(max_length=120, blank=True)
    stripe_value = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["report", "kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.stripe_transfer_id or self.payout_id}"
