"""Stripe connected accounts, webhook events and reconciliation reports.

An account's state is Stripe's to decide: only `payments.stripe_account.refreshed` moves it, always from the
account as Stripe has it now (a fresh retrieve, never a webhook body). The artist connects their account
(`payments.payout_account.created`) and may ask for a refresh, as may a site admin (admin action) and the
system (webhooks).
"""
from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from payments import stripe_gateway as gateway
from payments.models import ReconciliationDifference, ReconciliationReport, StripeAccount, StripeEvent
from testers.models import ArtistProfile
from atelier.errors import DomainError
from payments.services.accounts import state_from_stripe

from .base import PaymentsAction

__all__ = [
    "ConnectPayoutAccount", "RefreshStripeAccount", "RecordBankPayout", "ProcessStripeEvent", "IgnoreStripeEvent",
    "FailStripeEvent", "RecordReconciliation", "ExplainDifference", "ResolveDifference",
]

DEFAULT_COUNTRY = "US"


class ConnectPayoutAccount(PaymentsAction):
    """Create the artist's connected account at Stripe, once whatever the clicks (target: the artist profile,
    locked: two clicks at once wait here; the idempotency key makes a retried create return the same account).
    Paused and removed artists may still manage their payout account."""

    name = "payments.payout_account.created"
    label = "connected payout account"
    permission = "payout_account.manage"
    select_related = ("user",)

    def run(self):
        existing = StripeAccount.objects.filter(artist=self.target).first() if self.check() is None else None
        return existing if existing is not None else super().run()

    def apply(self, artist: ArtistProfile):
        existing = StripeAccount.objects.filter(artist=artist).first()
        if existing is not None:
            return existing
        country = (artist.country or DEFAULT_COUNTRY).upper()
        try:
            data = gateway.create_account(
                email=artist.user.email, country=country, idempotency_key=f"atelier-account-artist-{artist.pk}",
                metadata={"artist_id": artist.pk},
            )
        except gateway.StripeGatewayError as error:
            raise DomainError(f"Stripe could not create your payout account: {error.message}")
        account = StripeAccount.objects.create(artist=artist, stripe_account_id=data["id"], country=country,
                                               **state_from_stripe(data))
        self.after = {"stripe_account_id": account.stripe_account_id, "country": country, "state": account.state}
        return account

    def audit_program(self, artist, account):
        return None


class RefreshStripeAccount(PaymentsAction):
    """Store what Stripe says about the account now: its state and the fields behind it. Params: `data` (the
    account object, retrieved fresh); without it, run() retrieves it first, outside the row lock; `asked_by`
    (the artist whose return from Stripe or "Check with Stripe" click asked for it).

    The system runs it (webhooks, the artist's own requests: the data is Stripe's, not the person's); a site
    admin runs it from the admin."""

    name = "payments.stripe_account.refreshed"
    label = "refreshed payout account from Stripe"
    model = StripeAccount
    permission = "payout_account.refresh"
    transition = "refresh"
    system = True
    select_related = ("artist",)

    def run(self):
        if "data" not in self.params and self.check() is None:
            self.params["data"] = gateway.retrieve_account(self.target.stripe_account_id)  # StripeGatewayError
        return super().run()

    def apply(self, account):
        self.change(account, **state_from_stripe(self.params["data"]))
        # For the notice (payments/notifications.py): the artist is told when Stripe newly needs something.
        self.emit(changed=sorted(field for field in ("state", "requirements_due") if field in self.after))
        asked_by = self.params.get("asked_by")
        if getattr(asked_by, "pk", None):
            self.audit_data["asked_by"] = asked_by.email
        if self.dirty:
            account.updated_at = timezone.now()
            self.dirty.add("updated_at")
        return account

    def audit_program(self, account, result):
        return None


class RecordBankPayout(PaymentsAction):
    """payout.paid / payout.failed on an artist's connected account (a webhook): what the artist sees about
    the last payout to their bank. Params: status, message."""

    name = "payments.stripe_account.bank_payout_recorded"
    label = "recorded a payout to the artist's bank"
    model = StripeAccount
    system = True
    people = False

    def apply(self, account):
        self.change(account, last_payout_status=self.params["status"],
                    last_payout_message=(self.params.get("message") or "")[:255])
        account.updated_at = timezone.now()
        self.dirty.add("updated_at")
        return account

    def audit_program(self, account, result):
        return None


class _EventAction(PaymentsAction):
    model = StripeEvent
    system = True
    people = False

    def apply(self, event):
        self.change(event, processed_at=timezone.now())
        if self.params.get("error"):
            self.change(event, error=str(self.params["error"])[:2000])
        self.audit_data.update(event_id=event.event_id, type=event.type)
        return event

    def audit_program(self, event, result):
        return None


class ProcessStripeEvent(_EventAction):
    name = "payments.stripe_event.processed"
    label = "processed Stripe webhook event"
    transition = "process"


class IgnoreStripeEvent(_EventAction):
    name = "payments.stripe_event.ignored"
    label = "stored Stripe webhook event (not handled)"
    transition = "ignore"


class FailStripeEvent(_EventAction):
    name = "payments.stripe_event.failed"
    label = "could not apply Stripe webhook event"
    transition = "fail"


class RecordReconciliation(PaymentsAction):
    """Record a reconciliation report (target: the program). Params: period_start, period_end, differences
    (unsaved ReconciliationDifference rows with fingerprints), checked_payout_ids, checked_transfer_ids,
    checked_payouts, checked_transfers. A difference already known (same fingerprint) is the same row, seen
    again (and reopened if it had been cleared); an open one not found again among what was checked is cleared.
    Finance runs it from the page; the hourly task runs it as the system."""

    name = "payments.reconciliation.recorded"
    label = "recorded reconciliation with Stripe"
    permission = "payout_run.create"
    system = True

    def apply(self, program):
        found = list(self.params.get("differences") or [])
        report = ReconciliationReport.objects.create(
            program=program, period_start=self.params["period_start"], period_end=self.params["period_end"],
            checked_payouts=self.params.get("checked_payouts", 0),
            checked_transfers=self.params.get("checked_transfers", 0),
        )
        Status = ReconciliationDifference.Status
        known = {d.fingerprint: d for d in ReconciliationDifference.objects.filter(
            program=program, fingerprint__in=[f.fingerprint for f in found if f.fingerprint])}
        new, seen_ids = [], []
        for difference in found:
            existing = known.get(difference.fingerprint)
            if existing is None:
                difference.report, difference.last_seen_report, difference.program = report, report, program
                new.append(difference)
            else:
                seen_ids.append(existing.pk)
        ReconciliationDifference.objects.bulk_create(new)
        seen = ReconciliationDifference.objects.filter(pk__in=seen_ids)
        seen.update(last_seen_report=report)
        reopened = seen.filter(status=Status.CLEARED).update(status=Status.OPEN)
        checked = (Q(payout_id__in=self.params.get("checked_payout_ids") or [])
                   | Q(payout__isnull=True, stripe_transfer_id__in=self.params.get("checked_transfer_ids") or []))
        cleared = (ReconciliationDifference.objects.filter(program=program, status=Status.OPEN).filter(checked)
                   .exclude(pk__in=seen_ids + [d.pk for d in new]).update(status=Status.CLEARED))
        self.after = {"differences": len(found), "new": len(new), "cleared": cleared, "reopened": reopened,
                      "payouts": report.checked_payouts, "transfers": report.checked_transfers}
        self.emit(differences=len(found), new_differences=len(new))
        return report

    def audit_program(self, program, report):
        return program


class _NoteDifference(PaymentsAction):
    model = ReconciliationDifference
    permission = "reconciliation.resolve"

    def refusal(self, difference):
        if not (self.params.get("note") or "").strip():
            return "Write a note: what happened, and what was done about it."
        if len(self.params["note"]) > 2000:
            return "Keep the note under 2,000 characters."
        return None

    def apply(self, difference):
        note = self.params["note"].strip()
        self.change(difference, note=note, noted_by_id=self.actor.pk, noted_at=timezone.now())
        self.audit_data["note"] = note[:500]
        return difference


class ExplainDifference(_NoteDifference):
    """Finance explains a difference (it stays open, and keeps its artist out of runs)."""

    name = "payments.reconciliation_difference.explained"
    label = "explained reconciliation difference"
    transition = "explain"


class ResolveDifference(_NoteDifference):
    """Finance resolves a difference with a note (closed: its artist is paid by runs again)."""

    name = "payments.reconciliation_difference.resolved"
    label = "resolved reconciliation difference"
    transition = "resolve"
