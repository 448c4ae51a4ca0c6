"""Rate cards, the append-only earnings ledger, Stripe connected accounts, payout runs, webhooks, reconciliation."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from atelier import bounds
from atelier.models import AppendOnlyModel, AppendOnlyQuerySet
from atelier.transitions import TransitionTable
from testers.models import Feedback

#: ISO 4217 shape, checked by the database on every currency column.
CURRENCY_SHAPE = Q(currency__regex=r"^[A-Z]{3}$")


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
    feedback_shipped_bonus_minor = models.PositiveIntegerField(
        default=0, help_text="Paid once per feedback item that ships, on top of its acceptance; 0 means no bonus.")
    minimum_payout_minor = models.PositiveIntegerField(default=0)
    fair_pay_floor_hourly_minor = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minimum effective hourly rate; empty means no floor."
    )
    notes = models.TextField(blank=True, max_length=bounds.REASON_TEXT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-effective_date", "-version"]
        constraints = [
            bounds.max_length_constraint("ratecard", "notes", bounds.REASON_TEXT),
            models.UniqueConstraint(fields=["program", "version"], name="ratecard_version_unique"),
            models.UniqueConstraint(fields=["program", "effective_date"], name="ratecard_one_per_effective_date"),
            models.CheckConstraint(condition=CURRENCY_SHAPE, name="ratecard_currency_iso4217"),
        ]

    def __str__(self):
        return f"{self.program} rate card v{self.version} (from {self.effective_date})"

    def feedback_amount_minor(self, kind: str, severity: str = "") -> int:
        if kind == Feedback.Kind.BUG:
            return getattr(self, f"feedback_bug_{severity or 'low'}_minor")
        return getattr(self, f"feedback_{kind}_minor")


class LedgerEntry(AppendOnlyModel):
    """One line of an artist's earnings in one program. Positive credits the artist, negative debits.

    `source_key` names what produced the line ("timelog:12", "feedback:7", "feedback-shipped:7", "stipend:<membership>:2026-11",
    "payout:31", "payout-failed:31", "reversal:trr_…", "hold:reversal:trr_…", "release:reversal:trr_…",
    "adjustment:<uuid>") and is UNIQUE in the database, so the same source can never be paid twice.

    A reversed transfer's credit-back is held: the reversal line is followed by a "hold" line of the opposite
    amount, so the balance (and so every run) leaves it out until finance releases it ("hold_released").

    The database holds the rest of the shape: the sign of each kind (a payout debits, every other kind but an
    adjustment credits), what produced it (time ⇒ time log, feedback ⇒ feedback item, payout / failed payout /
    reversal ⇒ payout, adjustment ⇒ reason) and the currency's ISO 4217 shape.
    """

    append_only_hint = "add an adjusting entry instead."

    class Kind(models.TextChoices):
        TIME = "time", "Testing time"
        FEEDBACK = "feedback", "Accepted feedback"
        STIPEND = "stipend", "Monthly stipend"
        PAYOUT = "payout", "Payout"
        PAYOUT_FAILED = "payout_failed", "Failed payout credited back"
        REVERSAL = "reversal", "Reversed transfer credited back"
        ADJUSTMENT = "adjustment", "Adjustment"
        HOLD = "hold", "Held for review"
        HOLD_RELEASED = "hold_released", "Released by finance"
        BONUS = "bonus", "Shipped feedback bonus"

    # No index of their own: the (program, work_date) and (membership, work_date) indexes below serve every lookup
    # by program or membership, and each index less is one less write per line (a run writes 10,000 at once).
    program = models.ForeignKey("testers.Program", on_delete=models.PROTECT, related_name="ledger_entries",
                                db_index=False)
    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="ledger_entries",
                                   db_index=False)
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
    reason = models.TextField(blank=True, max_length=bounds.REASON_TEXT, help_text="Required for adjustments.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-work_date", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["membership", "work_date"]),
            models.Index(fields=["program", "work_date"]),
        ]
        constraints = [
            bounds.max_length_constraint("ledgerentry", "reason", bounds.REASON_TEXT),
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_has_reason"),
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind__in=["payout", "hold"], amount_minor__lt=0) | Q(kind="adjustment")
                           | Q(kind__in=["time", "feedback", "stipend", "payout_failed", "reversal", "hold_released", "bonus"],
                               amount_minor__gt=0)),
                name="ledger_kind_sign",
            ),
            models.CheckConstraint(condition=~Q(kind="time") | Q(time_log__isnull=False), name="ledger_time_has_time_log"),
            models.CheckConstraint(condition=~Q(kind="feedback") | Q(feedback__isnull=False),
                                   name="ledger_feedback_has_feedback"),
            models.CheckConstraint(condition=~Q(kind="bonus") | Q(feedback__isnull=False, rate_card__isnull=False),
                                   name="ledger_bonus_has_feedback_and_rate_card"),
            # One bonus per feedback item, whatever its source key says (the key is unique too).
            models.UniqueConstraint(fields=["feedback"], condition=Q(kind="bonus"), name="ledger_one_bonus_per_feedback"),
            models.CheckConstraint(condition=~Q(kind__in=["payout", "payout_failed", "reversal", "hold", "hold_released"])
                                   | Q(payout__isnull=False),
                                   name="ledger_payout_kinds_have_payout"),
            models.CheckConstraint(condition=CURRENCY_SHAPE, name="ledger_currency_iso4217"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_minor} {self.currency} ({self.source_key})"


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

    class Meta:
        constraints = [
            # "Payouts enabled" is Stripe's word, never ours: the state says so exactly when Stripe's data does.
            models.CheckConstraint(
                condition=(Q(state="enabled", payouts_enabled=True, transfers_active=True, disabled_reason="")
                           | (~Q(state="enabled") & ~Q(payouts_enabled=True, transfers_active=True, disabled_reason=""))),
                name="stripeaccount_enabled_iff_payable",
            ),
        ]

    def __str__(self):
        return f"{self.artist} — {self.stripe_account_id}"

    @property
    def is_payable(self):
        return self.payable(self.payouts_enabled, self.transfers_active, self.disabled_reason)

    @staticmethod
    def payable(payouts_enabled: bool, transfers_active: bool, disabled_reason: str) -> bool:
        """The rule of `is_payable`, for code that reads these three columns without loading accounts."""
        return bool(payouts_enabled and transfers_active and not disabled_reason)


_ANY_STATE = list(StripeAccount.State)
# Stripe decides an account's state; Atelier never refuses what Stripe says, so a refresh is legal in every
# state and may lead to any other. What the table guarantees is that only the refresh action moves it.
StripeAccount.TRANSITIONS = TransitionTable(StripeAccount.State, {
    "refresh": (_ANY_STATE, None),
}, field="state")


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
            # Four eyes: the database refuses a run approved by its creator, whatever wrote it.
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                                   name="payoutrun_creator_not_approver"),
            models.CheckConstraint(condition=CURRENCY_SHAPE, name="payoutrun_currency_iso4217"),
        ]
        # The runs list, newest first, reads its page off this index instead of sorting every run of the program.
        indexes = [models.Index(fields=["program", "-period_end", "-id"], name="payoutrun_list_order")]

    def __str__(self):
        return f"{self.program} payouts {self.period_start} – {self.period_end}"

    @property
    def transfer_group(self):
        return f"run-{self.pk}"


_RS = PayoutRun.Status
PayoutRun.TRANSITIONS = TransitionTable(_RS, {
    "approve": ([_RS.CREATED], _RS.APPROVED),
    "cancel": ([_RS.CREATED], _RS.CANCELLED),
    "start_sending": ([_RS.APPROVED], _RS.SENDING),
    # A run with failures becomes completed once its failed payouts are retried and paid (or stays so).
    "complete": ([_RS.SENDING, _RS.COMPLETED_WITH_FAILURES], _RS.COMPLETED),
    "complete_with_failures": ([_RS.SENDING], _RS.COMPLETED_WITH_FAILURES),
})


class Payout(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        UNKNOWN = "unknown", "Unknown (check reconciliation)"
        HELD = "held", "Held (payout account not ready)"

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
    held_reason = models.CharField(max_length=255, blank=True,
                                   help_text="Why sending stopped before any request (the account was not payable).")
    # What is sent under an idempotency key is fixed when the key is first used: every attempt, by any worker,
    # sends exactly these parameters (Stripe refuses the same key with other parameters).
    transfer_key = models.CharField(max_length=80, blank=True)
    transfer_params = models.JSONField(default=dict, blank=True)
    # The sending lease: a worker claims the payout (committed, by a conditional update) before calling Stripe
    # and calls with no transaction open; a dead worker's lease expires and another worker takes over.
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "membership"], name="payout_one_per_artist_per_run"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive"),
            # One transfer pays one payout: a transfer id can never be recorded on two payouts.
            models.UniqueConstraint(fields=["stripe_transfer_id"], condition=~Q(stripe_transfer_id=""),
                                    name="payout_transfer_id_unique"),
            models.CheckConstraint(condition=~Q(status="paid") | (~Q(stripe_transfer_id="") & Q(paid_at__isnull=False)),
                                   name="payout_paid_has_transfer_and_date"),
            models.CheckConstraint(condition=CURRENCY_SHAPE, name="payout_currency_iso4217"),
        ]

    def __str__(self):
        return f"Payout {self.pk} of {self.amount_minor} {self.currency}"

    @property
    def idempotency_key(self):
        """Deterministic: every attempt to send this payout, by any worker, carries the same key."""
        return f"atelier-payout-{self.pk}"


_PS = Payout.Status
Payout.TRANSITIONS = TransitionTable(_PS, {
    "send": ([_PS.PENDING], _PS.SENDING),
    # Stripe did not answer: send again now with the same key (the payout stays "sending").
    "resend": ([_PS.SENDING], None),
    # Paid by the sender, or settled from "unknown" once Stripe's transfer is found.
    "pay": ([_PS.SENDING, _PS.UNKNOWN], _PS.PAID),
    "fail": ([_PS.SENDING], _PS.FAILED),
    "mark_unknown": ([_PS.SENDING], _PS.UNKNOWN),
    # The account was not payable when the sender came to it (before any request with its key).
    "hold": ([_PS.PENDING, _PS.SENDING], _PS.HELD),
    "release": ([_PS.HELD], _PS.PENDING),
    "retry": ([_PS.FAILED, _PS.UNKNOWN], _PS.PENDING),
    "cancel": ([_PS.FAILED, _PS.HELD], _PS.CANCELLED),
    # Stripe reversed (part of) the transfer: the amount is credited back; the payout stays as it was.
    "reverse": ([_PS.PAID, _PS.UNKNOWN], None),
})


class PayoutRunSkip(models.Model):
    """An artist left out of a run, and why (under the minimum, no payable Stripe account, a payout or a
    reconciliation difference still open). `reason` is the sentence; `reason_code` says which fix to offer."""

    class Reason(models.TextChoices):
        NEGATIVE_BALANCE = "negative_balance", "Balance is negative"
        NO_ACCOUNT = "no_account", "No payout account connected"
        ACCOUNT_NOT_READY = "account_not_ready", "Payout account not ready"
        UNDER_MINIMUM = "under_minimum", "Under the minimum payout"
        UNKNOWN_PAYOUT = "unknown_payout", "A payout is being checked with Stripe"
        OPEN_DIFFERENCE = "open_difference", "A reconciliation difference is open"

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="skips")
    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="+")
    balance_minor = models.BigIntegerField()
    reason = models.CharField(max_length=255)
    reason_code = models.CharField(max_length=30, choices=Reason.choices, blank=True)

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


_ES = StripeEvent.Status
StripeEvent.TRANSITIONS = TransitionTable(_ES, {
    "process": ([_ES.RECEIVED], _ES.PROCESSED),
    "ignore": ([_ES.RECEIVED], _ES.IGNORED),
    "fail": ([_ES.RECEIVED], _ES.FAILED),
})


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
    """A difference between Atelier and Stripe, kept across reconciliations by its fingerprint (kind, payout,
    transfer): found again, it is the same difference (`last_seen_report`); no longer found where it was
    checked, it is cleared. Finance explains (still open) or resolves (closed) it with a note. An open or
    explained difference holds its artist back from new runs."""

    class Kind(models.TextChoices):
        MISSING_AT_STRIPE = "missing_at_stripe", "Paid in Atelier, no transfer at Stripe"
        MISSING_IN_ATELIER = "missing_in_atelier", "Transfer at Stripe, no paid payout in Atelier"
        AMOUNT = "amount", "Amounts differ"
        DESTINATION = "destination", "Destinations differ"
        CURRENCY = "currency", "Currencies differ"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXPLAINED = "explained", "Explained, still open"
        RESOLVED = "resolved", "Resolved"
        CLEARED = "cleared", "No longer found"

    OPEN_STATUSES = (Status.OPEN, Status.EXPLAINED)

    report = models.ForeignKey(ReconciliationReport, on_delete=models.CASCADE, related_name="differences")
    last_seen_report = models.ForeignKey(ReconciliationReport, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="seen_differences")
    program = models.ForeignKey("testers.Program", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    membership = models.ForeignKey("testers.Membership", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    fingerprint = models.CharField(max_length=200, blank=True, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stripe_transfer_id = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    atelier_amount_minor = models.BigIntegerField(null=True, blank=True)
    stripe_amount_minor = models.BigIntegerField(null=True, blank=True)
    atelier_value = models.CharField(max_length=120, blank=True)
    stripe_value = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    note = models.TextField(blank=True)
    noted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    noted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["report", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "fingerprint"], condition=~Q(fingerprint=""),
                                    name="reconciliationdifference_one_per_fingerprint"),
            models.CheckConstraint(condition=~Q(status="resolved") | ~Q(note=""),
                                   name="reconciliationdifference_resolved_has_note"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.stripe_transfer_id or self.payout_id}"


_DS = ReconciliationDifference.Status
ReconciliationDifference.TRANSITIONS = TransitionTable(_DS, {
    "explain": ([_DS.OPEN, _DS.EXPLAINED], _DS.EXPLAINED),
    "resolve": ([_DS.OPEN, _DS.EXPLAINED], _DS.RESOLVED),
})
