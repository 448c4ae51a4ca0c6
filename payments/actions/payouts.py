"""Payout run and payout actions.

People: finance creates a run, a second finance user approves it (RULES "payout_run.approve" holds the
four-eyes condition, once), finance cancels a waiting run, retries, re-sends or cancels a payout.
The system (the sending task, reconciliation, webhooks) records what Stripe answered: a payout started,
paid, failed, unknown or reversed, a run started sending and completed.

The sending pipeline's locking is unchanged (payments/services/payouts.py): the sender holds the payout's row
lock and runs these actions inside its own transaction, so the action's lock is the one it already holds.
"""
from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from atelier import bounds
from atelier.actions import SYSTEM
from atelier.bulk import insert_rows
from atelier.errors import ActionRefused, DomainError, Refusal
from atelier.money import format_money
from payments import stripe_gateway as gateway
from payments.models import LedgerEntry, Payout, PayoutRun, PayoutRunSkip, ReconciliationDifference, StripeAccount
from payments.selectors import balance_minor, balances_for_program
from payments.services.accounts import account_not_payable_reason
from payments.services.ledger import record_entry, record_payout_failed, record_reversal, release_reversal
from payments.services.rates import rate_card_for
from testers.models import Membership
from payments.tasks.payouts import send_payout, send_payout_run
from payments.services.payouts import (_generation, credit_back, find_transfer, finish_run_if_done,
                                       idempotency_key_for, transfer_params)
from atelier.mfa import WRONG_CODE, fresh_totp_refusal

from .base import PaymentsAction

__all__ = [
    "CreatePayoutRun", "ApprovePayoutRun", "CancelPayoutRun", "StartSendingPayoutRun", "CompletePayoutRun",
    "CompletePayoutRunWithFailures", "SendPayout", "ResendPayout", "PayoutPaid", "PayoutFailed", "PayoutUnknown",
    "HoldPayout", "ReleasePayout", "RetryPayout", "CancelPayout", "ReversePayout", "ReleaseReversal",
]


def _send_run_later(run_id: int) -> None:
    send_payout_run.delay(run_id)  # transaction-aware: sent once this action commits


def _send_payout_later(payout_id: int) -> None:
    send_payout.delay(payout_id)


def held_back_by_unknown_payouts(program) -> dict[int, int]:
    """{membership_id: payout id} of the program's artists with a payout whose outcome is unknown: paying them
    again before reconciliation says whether Stripe made the transfer could pay twice."""
    rows = Payout.objects.filter(run__program=program, status=Payout.Status.UNKNOWN).values_list("membership_id", "pk")
    return {membership_id: payout_id for membership_id, payout_id in rows}


def held_back_by_open_differences(program) -> set[int]:
    return set(ReconciliationDifference.objects.filter(
        program=program, membership__isnull=False, status__in=ReconciliationDifference.OPEN_STATUSES,
    ).values_list("membership_id", flat=True))


# --- runs: people ------------------------------------------------------------------------------------------

class CreatePayoutRun(PaymentsAction):
    """Compute every artist's payable balance up to `period_end`, create one payout per payable artist, list the
    skipped ones with the reason, and debit the ledger, in one transaction (target: the program, locked, which
    serialises run creation per program: two runs can never debit the same balance)."""

    name = "payments.payout_run.created"
    label = "created payout run"
    permission = "payout_run.create"

    def refusal(self, program):
        start, end = self.params.get("period_start"), self.params.get("period_end")
        if start is None or end is None:
            return "Give the period's first and last day."
        if start > end:
            return "The period must start on or before its end."
        if end > timezone.localdate():
            return "The period cannot end in the future."
        if start < bounds.EARLIEST_DATE:
            return f"The period starts on or after {bounds.EARLIEST_DATE:%-d %B %Y}: Atelier keeps nothing older."
        overlapping = PayoutRun.objects.filter(
            program=program, period_start__lte=end, period_end__gte=start,
        ).exclude(status=PayoutRun.Status.CANCELLED).first()
        if overlapping is not None:
            return (f"A payout run already covers part of this period ({overlapping.period_start} – "
                    f"{overlapping.period_end}).")
        return None

    def apply(self, program):
        # One query each for balances, accounts and holds, and one INSERT each for the payouts and their debits:
        # no model instance per artist (target: 10,000 artists in 1.5 s; bench/payout_run.py).
        period_start, period_end = self.params["period_start"], self.params["period_end"]
        by = self.actor
        card = rate_card_for(program, period_end)
        minimum = card.minimum_payout_minor if card else 0
        currency = program.currency
        balances = balances_for_program(program, up_to=period_end)
        # {membership id: (account id or None, payable)} for the program's artists.
        accounts = {
            membership_id: (account_id, account_id is not None and StripeAccount.payable(enabled, active, disabled))
            for membership_id, account_id, enabled, active, disabled in Membership.objects.filter(program=program)
            .values_list("pk", "artist__stripe_account__pk", "artist__stripe_account__payouts_enabled",
                         "artist__stripe_account__transfers_active", "artist__stripe_account__disabled_reason")
        }
        run = PayoutRun.objects.create(program=program, period_start=period_start, period_end=period_end,
                                       currency=currency, created_by=by)
        unknown = held_back_by_unknown_payouts(program)
        differences = held_back_by_open_differences(program)
        Reason = PayoutRunSkip.Reason
        payouts = []  # (membership id, account id, amount)
        skips = []  # (membership id, balance, reason code, the account's id when the account is the reason)
        for membership_id in sorted(mid for mid, balance in balances.items() if balance != 0):
            balance = balances[membership_id]
            account_id, payable = accounts[membership_id]
            if membership_id in unknown:
                skips.append((membership_id, balance, Reason.UNKNOWN_PAYOUT, None))
            elif membership_id in differences:
                skips.append((membership_id, balance, Reason.OPEN_DIFFERENCE, None))
            elif balance < 0:
                skips.append((membership_id, balance, Reason.NEGATIVE_BALANCE, None))
            elif not payable:
                skips.append((membership_id, balance,
                              Reason.NO_ACCOUNT if account_id is None else Reason.ACCOUNT_NOT_READY, account_id))
            elif balance < minimum:
                skips.append((membership_id, balance, Reason.UNDER_MINIMUM, None))
            else:
                payouts.append((membership_id, account_id, balance))
        not_ready = StripeAccount.objects.in_bulk(
            [account_id for *_, code, account_id in skips if code == Reason.ACCOUNT_NOT_READY])

        def reason_for(code, membership_id, account_id):
            if code == Reason.UNKNOWN_PAYOUT:
                return (f"Held back: payout {unknown[membership_id]} is being checked with Stripe; reconciliation "
                        "settles it first")
            if code == Reason.OPEN_DIFFERENCE:
                return "Held back: a reconciliation difference is open for this artist; finance resolves it first"
            if code == Reason.NEGATIVE_BALANCE:
                return "Balance is negative"
            if code in (Reason.NO_ACCOUNT, Reason.ACCOUNT_NOT_READY):
                return account_not_payable_reason(not_ready.get(account_id))
            return f"Under the minimum payout of {format_money(minimum, currency)}"

        PayoutRunSkip.objects.bulk_create([
            PayoutRunSkip(run=run, membership_id=mid, balance_minor=balance,
                          reason=reason_for(code, mid, account_id)[:255], reason_code=code)
            for mid, balance, code, account_id in skips], batch_size=1000)
        created = insert_rows(Payout, {
            "membership_id": [mid for mid, _, _ in payouts],
            "stripe_account_id": [account_id for _, account_id, _ in payouts],
            "amount_minor": [amount for _, _, amount in payouts],
        }, constants={"run_id": run.pk, "currency": currency}, returning=("id", "membership_id", "amount_minor"))
        created.sort()
        # The debit of each payout, "payout:<id>" (the key payments.services.ledger.record_payout uses);
        # inserted at once because the payouts are new, so no key can exist yet.
        insert_rows(LedgerEntry, {
            "membership_id": [mid for _, mid, _ in created],
            "amount_minor": [-amount for _, _, amount in created],
            "source_key": [f"payout:{payout_id}" for payout_id, _, _ in created],
            "payout_id": [payout_id for payout_id, _, _ in created],
        }, constants={"program_id": program.pk, "kind": LedgerEntry.Kind.PAYOUT, "currency": currency,
                      "work_date": timezone.localdate(), "description": f"Payout of run {run.pk}",
                      "created_by_id": by.pk}, returning=())
        run.total_minor = sum(amount for _, _, amount in payouts)
        run.save(update_fields=["total_minor"])
        self.after = {"period": f"{period_start}..{period_end}", "payouts": len(payouts), "skipped": len(skips),
                      "total_minor": run.total_minor, "currency": currency}
        return run

    def audit_program(self, program, run):
        return program


class ApprovePayoutRun(PaymentsAction):
    """A second finance user approves (RULES "payout_run.approve": finance, not the run's creator) after seeing
    the confirmation (count, total, skipped artists) and entering a fresh code from their authenticator app
    (param `totp_code`); sending starts once the approval commits. Before the row is locked, the Stripe balance
    is checked once: a transfer fails when the platform balance cannot cover it."""

    name = "payments.payout_run.approved"
    label = "approved payout run"
    model = PayoutRun
    permission = "payout_run.approve"
    transition = "approve"

    def state_refusal(self, run, status):
        return "This run is not waiting for approval."

    def run(self):
        if self.check() is None and "totp_verified" not in self.params:
            # Checked once, before anything is locked: a code can be used only once (allauth marks it used).
            refusal = fresh_totp_refusal(self.actor, self.params.get("totp_code") or "")
            self.params["totp_verified"] = refusal is None
            self.params["totp_refusal"] = refusal
        if self.check() is None and self.target.total_minor and "available_minor" not in self.params:
            try:
                self.params["available_minor"] = gateway.available_balance(self.target.currency)
            except gateway.StripeGatewayError as error:
                raise ActionRefused(Refusal(f"Could not check the Stripe balance: {error.message}", "rule"))
        return super().run()

    def refusal(self, run):
        if self.params.get("totp_verified") is False:
            return self.params.get("totp_refusal") or WRONG_CODE
        available = self.params.get("available_minor")
        if available is not None and run.total_minor and available < run.total_minor:
            return (f"The Stripe balance ({format_money(available, run.currency)}) does not cover this run "
                    f"({format_money(run.total_minor, run.currency)}). Add funds, then approve again.")
        return None

    def apply(self, run):
        if self.params.get("totp_verified") is not True:
            raise ActionRefused(Refusal("Sending money needs a fresh code from your authenticator app.", "mfa"))
        self.change(run, approved_by_id=self.actor.pk, approved_at=timezone.now())
        _send_run_later(run.pk)
        return run


class CancelPayoutRun(PaymentsAction):
    """Cancel a run still waiting for approval: each payout is cancelled and its debit credited back."""

    name = "payments.payout_run.cancelled"
    label = "cancelled payout run"
    model = PayoutRun
    permission = "payout_run.create"
    transition = "cancel"

    def state_refusal(self, run, status):
        return "Only a run waiting for approval can be cancelled."

    def apply(self, run):
        cancelled = 0
        for payout in run.payouts.select_related("membership__program").select_for_update(of=("self",)):
            record_payout_failed(payout)
            payout.status = Payout.Status.CANCELLED
            payout.save(update_fields=["status"])
            cancelled += 1
        self.audit_data["payouts_cancelled"] = cancelled
        return run


# --- runs: the system -----------------------------------------------------------------------------------------

class StartSendingPayoutRun(PaymentsAction):
    name = "payments.payout_run.sending"
    label = "started sending payout run"
    model = PayoutRun
    transition = "start_sending"
    system = True
    people = False

    def apply(self, run):
        return run


class _CompleteRun(PaymentsAction):
    model = PayoutRun
    system = True
    people = False

    def apply(self, run):
        counts = dict(run.payouts.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
        if any(counts.get(s) for s in (Payout.Status.PENDING, Payout.Status.SENDING)):
            raise ActionRefused(Refusal("Some payouts of this run are still being sent.", "rule"))
        self.change(run, completed_at=run.completed_at or timezone.now())
        self.audit_data["payouts"] = counts
        return run


class CompletePayoutRun(_CompleteRun):
    """Every payout of the run is paid (also after its failed payouts were retried and paid)."""

    name = "payments.payout_run.completed"
    label = "completed payout run"
    transition = "complete"


class CompletePayoutRunWithFailures(_CompleteRun):
    """No payout is being sent any more, and some failed, are unknown or were cancelled."""

    name = "payments.payout_run.completed_with_failures"
    label = "completed payout run with failures"
    transition = "complete_with_failures"


# --- payouts: what the sender records ----------------------------------------------------------------------------

def _attempt_fields(action, payout):
    """The sender's answer ends its lease (attempts are counted on the row before each request)."""
    if payout.lease_owner or payout.lease_expires_at:
        action.change(payout, lease_owner="", lease_expires_at=None)


class SendPayout(PaymentsAction):
    """The sender claims a pending payout (pending → sending) and notes when the first attempt with its key was
    made. Run inside the sender's transaction that already holds the row lock."""

    name = "payments.payout.sending"
    label = "started sending payout"
    model = Payout
    transition = "send"
    system = True
    people = False

    def apply(self, payout):
        key = idempotency_key_for(payout, _generation(payout))
        if payout.transfer_key != key:
            # A key's parameters are fixed the first time it is used, and never again.
            self.change(payout, transfer_key=key, transfer_params=transfer_params(payout))
        self.change(payout, first_sent_at=payout.first_sent_at or timezone.now())
        self.audit_data["idempotency_key"] = key
        return payout


class PayoutPaid(PaymentsAction):
    """Stripe made the transfer: by the sender, or settled from "unknown" by reconciliation or by finance's
    retry once the transfer is found at Stripe. Params: transfer_id, and `source` for the audit entry."""

    name = "payments.payout.paid"
    label = "paid payout"
    model = Payout
    permission = "payout.manage"
    transition = "pay"
    system = True

    def refusal(self, payout):
        if not self.params.get("transfer_id"):
            return "A paid payout needs its Stripe transfer."
        return None

    def apply(self, payout):
        self.change(payout, stripe_transfer_id=self.params["transfer_id"], paid_at=timezone.now(), failure_message="")
        _attempt_fields(self, payout)
        self.emit(amount_minor=payout.amount_minor, currency=payout.currency, membership_id=payout.membership_id)
        self.audit_data.update(transfer=self.params["transfer_id"], amount_minor=payout.amount_minor)
        if self.params.get("source"):
            self.audit_data["by"] = self.params["source"]
        if self.actor is not SYSTEM:
            self.on_commit(lambda run_id=payout.run_id: finish_run_if_done(run_id))
        return payout


class PayoutFailed(PaymentsAction):
    """Stripe finally refused the transfer: the payout is failed with Stripe's reason and its debit is
    credited back once (params: message, generation)."""

    name = "payments.payout.failed"
    label = "payout failed"
    model = Payout
    transition = "fail"
    system = True
    people = False
    select_related = ("membership__program",)

    def apply(self, payout):
        message = (self.params.get("message") or "Stripe refused the transfer.")[:2000]
        self.change(payout, failure_message=message)
        _attempt_fields(self, payout)
        credit_back(payout, self.params.get("generation") or _generation(payout))
        self.audit_data["message"] = message[:500]
        return payout


class PayoutUnknown(PaymentsAction):
    """No answer Atelier can trust (past the idempotency window, or an idempotency error): not sent again;
    reconciliation searches Stripe for the transfer (params: message)."""

    name = "payments.payout.unknown"
    label = "payout outcome unknown"
    model = Payout
    transition = "mark_unknown"
    system = True
    people = False

    def apply(self, payout):
        message = (self.params.get("message") or "")[:2000]
        self.change(payout, failure_message=message)
        _attempt_fields(self, payout)
        self.audit_data["message"] = message[:500]
        return payout


class HoldPayout(PaymentsAction):
    """The sender found the artist's account unable to receive money before it made any request: the payout is
    held with the reason (naming what Stripe needs) and its amount stays debited until finance releases it
    (once the account is ready) or cancels it (credited back). Params: reason."""

    name = "payments.payout.held"
    label = "held payout"
    model = Payout
    transition = "hold"
    system = True
    people = False

    def apply(self, payout):
        reason = (self.params.get("reason") or "Payout account not ready")[:255]
        self.change(payout, held_reason=reason, failure_message="")
        _attempt_fields(self, payout)
        self.audit_data["reason"] = reason
        self.emit(reason=reason, amount_minor=payout.amount_minor, currency=payout.currency,
                  membership_id=payout.membership_id)
        return payout


class ReleasePayout(PaymentsAction):
    """Finance sends a held payout once the artist's account can receive money (same key: no request was made)."""

    name = "payments.payout.released"
    label = "released held payout"
    model = Payout
    permission = "payout.manage"
    transition = "release"
    select_related = ("stripe_account", "run")

    def state_refusal(self, payout, status):
        return "Only a held payout can be released."

    def refusal(self, payout):
        if not payout.stripe_account.is_payable:
            return f"Still held: {account_not_payable_reason(payout.stripe_account).lower()}."
        return None

    def apply(self, payout):
        self.change(payout, held_reason="")
        _send_payout_later(payout.pk)
        return payout


class ReversePayout(PaymentsAction):
    """Stripe reversed (part of) the transfer: each reversal is credited back once ("reversal:<trr id>") and the
    credit is held ("hold:reversal:<trr id>") until finance releases it, so no run pays it again unseen;
    params: reversals [(id, amount_minor)], amount_reversed (the transfer's total as Stripe has it now)."""

    name = "payments.payout.reversed"
    label = "reversed payout transfer"
    model = Payout
    transition = "reverse"
    system = True
    people = False
    select_related = ("membership__program",)

    def apply(self, payout):
        credited = []
        for reversal_id, amount in self.params.get("reversals") or []:
            _, created = record_reversal(payout, reversal_id, int(amount))
            if created:
                credited.append({"reversal": reversal_id, "amount_minor": int(amount)})
        self.change(payout, reversed_amount_minor=int(self.params.get("amount_reversed") or 0))
        self.audit_data["reversals"] = credited
        if credited:
            self.emit(held_minor=sum(c["amount_minor"] for c in credited), currency=payout.currency,
                      membership_id=payout.membership_id)
        if len(credited) == 1:
            self.audit_data.update(credited[0])
        return payout


# --- payouts: finance ----------------------------------------------------------------------------------------------

class ResendPayout(PaymentsAction):
    """Stripe did not answer earlier: try again now with the same key (safe, and locked per payout)."""

    name = "payments.payout.resent"
    label = "re-sent payout"
    model = Payout
    permission = "payout.manage"
    transition = "resend"

    def apply(self, payout):
        _send_payout_later(payout.pk)
        return payout


def still_owed_refusal(payout: Payout) -> str | None:
    """A failed payout was credited back; retrying debits it again. Refused once the artist's balance no longer
    holds the amount: a later run (or an adjustment) has paid or taken it since, and retrying would pay twice."""
    balance = balance_minor(payout.membership)
    if balance >= payout.amount_minor:
        return None
    later = (Payout.objects.filter(membership=payout.membership, pk__gt=payout.pk)
             .exclude(status__in=[Payout.Status.CANCELLED, Payout.Status.FAILED]).select_related("run")
             .order_by("-pk").first())
    money = format_money(payout.amount_minor, payout.currency)
    if later is not None:
        return (f"Nothing to retry: the {money} credited back when this payout failed was paid since by run "
                f"{later.run_id} ({later.run.period_start} – {later.run.period_end}). Cancel this payout instead.")
    return (f"Nothing to retry: the artist's balance ({format_money(balance, payout.currency)}) no longer holds "
            f"the {money} credited back when this payout failed. Cancel this payout instead.")


class RetryPayout(PaymentsAction):
    """Send a failed payout again (debited again, with a new idempotency key since Stripe stored the final
    answer under the old one), or send an unknown one again with its key once Stripe was searched for its
    transfer and none was found. When the transfer is found, the payout is recorded paid instead."""

    name = "payments.payout.retried"
    label = "retried payout"
    model = Payout
    permission = "payout.manage"
    transition = "retry"
    select_related = ("stripe_account", "membership__program", "run")

    def run(self):
        if "searched" not in self.params:
            # Before anything is sent again, look (outside the row lock) for the transfer Stripe may have made.
            current = Payout.objects.select_related("run", "stripe_account", "membership").get(pk=self.target.pk)
            self.params["searched"] = False
            if current.status == Payout.Status.UNKNOWN and type(self)(self.actor, current, searched=True).check() is None:
                try:
                    found = find_transfer(current)
                except gateway.StripeGatewayError as error:
                    raise DomainError(f"Could not search Stripe for this payout's transfer: {error.message}")
                if found is not None:
                    return PayoutPaid(self.actor, current, transfer_id=found["id"], source="retry").run()
                self.params["searched"] = True
        return super().run()

    def refusal(self, payout):
        if payout.status == Payout.Status.UNKNOWN and self.params.get("searched") is False:
            return "This payout changed meanwhile: reload the page and try again."
        if payout.status == Payout.Status.FAILED:
            if not payout.stripe_account.is_payable:
                return "The artist's payout account cannot receive transfers yet."
            return still_owed_refusal(payout)
        return None

    def apply(self, payout):
        if payout.status == Payout.Status.FAILED:
            generation = _generation(payout) + 1
            record_entry(
                membership=payout.membership, kind=LedgerEntry.Kind.PAYOUT, amount_minor=-payout.amount_minor,
                currency=payout.currency, source_key=f"payout:{payout.pk}:{generation}",
                work_date=timezone.localdate(), payout=payout, created_by=self.actor,
                description=f"Payout of run {payout.run_id} (retry {generation - 1})",
            )
        # An unknown payout keeps its key: if Stripe still knows it, the first answer comes back.
        self.change(payout, first_sent_at=None, failure_message="")
        _send_payout_later(payout.pk)
        return payout


class CancelPayout(PaymentsAction):
    """Give up on a failed or held payout. A failed one was credited back when it failed; a held one is credited
    back now. Either way the artist's balance holds the amount and the next run pays it."""

    name = "payments.payout.cancelled"
    label = "cancelled payout"
    model = Payout
    permission = "payout.manage"
    transition = "cancel"

    select_related = ("membership__program",)

    def state_refusal(self, payout, status):
        return "Only a failed or held payout can be cancelled."

    def apply(self, payout):
        if payout.status == Payout.Status.HELD:
            credit_back(payout, _generation(payout))
        self.on_commit(lambda run_id=payout.run_id: finish_run_if_done(run_id))
        return payout


class ReleaseReversal(PaymentsAction):
    """Finance releases the held credit of a reversed transfer (params: reversal_id, note): the amount is back on
    the artist's payable balance and the next run pays it."""

    name = "payments.reversal.released"
    label = "released reversed amount"
    model = Payout
    permission = "payout.manage"
    select_related = ("membership__program",)

    def refusal(self, payout):
        if not (self.params.get("note") or "").strip():
            return "Say why the reversed amount can be paid again."
        hold = LedgerEntry.objects.filter(payout=payout, source_key=f"hold:reversal:{self.params.get('reversal_id')}")
        if not hold.exists():
            return "There is no held reversal of this payout by that id."
        if LedgerEntry.objects.filter(source_key=f"release:reversal:{self.params.get('reversal_id')}").exists():
            return "This reversed amount was already released."
        return None

    def apply(self, payout):
        entry = release_reversal(payout, self.params["reversal_id"], note=self.params["note"].strip(), by=self.actor)
        self.audit_data.update(reversal=self.params["reversal_id"], amount_minor=entry.amount_minor,
                               note=self.params["note"].strip()[:500])
        return payout
