"""What payments tells people (docs/notifications.md). All of it is money, so it is always e-mailed: finance of a
run to approve, a run completed (with or without failures), differences found by reconciliation; artists paid,
left out of a run (and why), a payout failed or held, a payout account that needs details (naming them)."""
from __future__ import annotations

from django.db.models import Count
from django.urls import reverse

from atelier.display import format_count, format_day, person_name
from atelier.money import format_money
from atelier.notifications import Message, notice, register_category
from payments.services.accounts import requirement_names
from payments.models import (
    LedgerEntry, Payout, PayoutRun, PayoutRunSkip, ReconciliationDifference, ReconciliationReport, StripeAccount,
)
from testers.models import StaffRole
from testers.notifications import staff_of

MONEY = register_category("money", "Money: earnings, payouts and payout runs",
                          "Payouts sent, held or failed; your payout account; for finance, runs and reconciliation.",
                          mandatory=True)
FINANCE = StaffRole.Role.FINANCE


def _run(run_id) -> PayoutRun:
    return PayoutRun.objects.select_related("program", "created_by").get(pk=run_id)


def _period(run) -> str:
    return f"{format_day(run.period_start)} – {format_day(run.period_end)}"


def _run_link(run) -> str:
    return reverse("payments:payout_run", args=[run.program.slug, run.pk])


def _earnings(program) -> str:
    return reverse("payments:earnings_program", args=[program.slug])


@notice("payments.payout_run.created", category="money")
def run_awaits_approval(event):
    """Finance of the program but the run's creator (who may not approve it)."""
    run = _run(event["target_id"])
    count = run.payouts.count()
    creator = person_name(run.created_by) if run.created_by else "Someone"
    body = (f"{creator} created the payout run of {run.program.name} for {_period(run)}: {format_count(count, 'payout')}, "
            f"{format_money(run.total_minor, run.currency)} in all. Another finance "
            f"user than its creator approves it; nothing is sent before.")
    return [Message(person, f"Payout run for {_period(run)} awaits your approval", body, _run_link(run))
            for person in staff_of(run.program_id, FINANCE, exclude=run.created_by_id)]


@notice("payments.payout_run.approved", category="money")
def skipped_by_run(event):
    """Each artist the run left out, with the reason; their balance stays for a later run. Told once the run is
    approved (and so will be sent), not when it is created: a created run may still be cancelled."""
    run = _run(event["target_id"])
    skips = PayoutRunSkip.objects.filter(run=run).select_related("membership__artist__user").order_by("pk")
    messages = []
    for skip in skips:
        account_reason = "account" in skip.reason.lower()
        balance = format_money(skip.balance_minor, run.currency)
        messages.append(Message(
            skip.membership.artist.user, f"{run.program.name}'s payout run for {_period(run)} left you out",
            f"Reason: {skip.reason}. Your balance of {balance} stays on your account for a later run."
            + (" Connect or complete your payout account so the next run can pay you." if account_reason else ""),
            reverse("payments:payout_account") if account_reason else _earnings(run.program),
        ))
    return messages


@notice("payments.payout_run.completed", category="money")
@notice("payments.payout_run.completed_with_failures", category="money")
def run_completed(event):
    run = _run(event["target_id"])
    counts = dict(run.payouts.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    paid = counts.get(Payout.Status.PAID, 0)
    if event["name"].endswith("with_failures"):
        trouble = sum(counts.get(s, 0) for s in (Payout.Status.FAILED, Payout.Status.UNKNOWN, Payout.Status.CANCELLED))
        title = f"Payout run for {_period(run)} completed with failures"
        body = (f"{format_count(paid, 'payout')} paid; {trouble} failed, unknown or cancelled. Failed "
                f"payouts are credited back to the artists' balances: retry or cancel them from the run.")
    else:
        title = f"Payout run for {_period(run)} completed"
        body = f"Every payout was paid: {format_count(paid, 'payout')}, {format_money(run.total_minor, run.currency)}."
    return [Message(person, title, body, _run_link(run)) for person in staff_of(run.program_id, FINANCE)]


def _payout(event) -> Payout:
    return Payout.objects.select_related("membership__artist__user", "run__program").get(pk=event["target_id"])


@notice("payments.payout.paid", category="money")
def payout_paid(event):
    payout = _payout(event)
    program = payout.run.program
    amount = format_money(payout.amount_minor, payout.currency)
    return [Message(payout.membership.artist.user, f"You were paid {amount} by {program.name}",
                    f"{program.name} sent {amount} for {_period(payout.run)} to your Stripe account. It reaches "
                    f"your bank on Stripe's payout schedule.", _earnings(program))]


@notice("payments.payout.failed", category="money")
def payout_failed(event):
    payout = _payout(event)
    program = payout.run.program
    amount = format_money(payout.amount_minor, payout.currency)
    return [Message(payout.membership.artist.user, f"Your payout of {amount} from {program.name} could not be sent",
                    f"Stripe refused the transfer: {payout.failure_message or 'no reason given'}. The amount is back "
                    f"on your balance; finance will retry it.", _earnings(program))]


@notice("payments.payout.held", category="money")
def payout_held(event):
    payout = _payout(event)
    program = payout.run.program
    amount = format_money(payout.amount_minor, payout.currency)
    reason = event.get("reason") or "Finance is checking it."
    return [Message(payout.membership.artist.user, f"Your payout of {amount} from {program.name} is on hold",
                    f"{reason} Nothing is lost: it is sent once the hold is lifted.", _earnings(program))]


@notice("payments.stripe_account.refreshed", category="money")
def account_needs_details(event):
    """The artist, when Stripe newly needs details (the state became "details needed", or what is due changed)."""
    if not event.get("changed"):
        return []
    account = StripeAccount.objects.select_related("artist__user").get(pk=event["target_id"])
    if account.state != StripeAccount.State.DETAILS_NEEDED:
        return []
    needed = requirement_names(account)
    body = ("Stripe needs " + "; ".join(needed) + " before it can pay you." if needed
            else "Stripe needs more details before it can pay you.")
    return [Message(account.artist.user, "Your payout account needs details",
                    body + " Until then, payout runs leave you out (your balance stays).",
                    reverse("payments:payout_account"))]


@notice("payments.reconciliation.recorded", category="money")
def reconciliation_differences(event):
    """Finance, when a reconciliation finds differences not known before (a difference found again by the
    hourly reconciliation keeps the report that first found it, so nobody is told twice)."""
    report = ReconciliationReport.objects.select_related("program").get(pk=event["target_id"])
    differences = ReconciliationDifference.objects.filter(report=report).count()
    if not differences:
        return []
    return [Message(person, f"Reconciliation found {format_count(differences, 'difference')} "
                            f"with Stripe ({report.program.name})",
                    f"Comparing payouts and Stripe transfers for {format_day(report.period_start)} – "
                    f"{format_day(report.period_end)} found {format_count(differences, 'difference')}. "
                    f"Explain or resolve each one; until then the artists concerned are left out of new runs.",
                    reverse("payments:reconciliations", args=[report.program.slug]) + "#open-differences")
            for person in staff_of(report.program_id, FINANCE)]


@notice("payments.payout.reversed", category="money")
def payout_reversed(event):
    """The artist, when Stripe reversed (part of) a transfer: the amount is back on their balance, held."""
    if not event.get("held_minor"):
        return []
    payout = _payout(event)
    program = payout.run.program
    amount = format_money(event["held_minor"], payout.currency)
    return [Message(payout.membership.artist.user, f"{amount} of a payout from {program.name} was reversed",
                    f"Stripe reversed {amount} of your payout for {_period(payout.run)}. The amount is back on your "
                    f"balance and held while finance looks into it; once released, the next run pays it.",
                    _earnings(program))]


@notice("payments.reversal.released", category="money")
def reversal_released(event):
    payout = _payout(event)
    program = payout.run.program
    return [Message(payout.membership.artist.user, f"A held amount from {program.name} is payable again",
                    "Finance released the reversed amount held on your balance: the next payout run pays it.",
                    _earnings(program))]


@notice("payments.ledger.bonus_credited", category="money")
def shipped_bonus_credited(event):
    """The artist, when feedback of theirs shipped and the rate card's bonus was credited (once per item)."""
    if not event.get("entry_id"):
        return []
    entry = LedgerEntry.objects.select_related("membership__artist__user", "program", "feedback", "rate_card").get(
        pk=event["entry_id"])
    amount = format_money(entry.amount_minor, entry.currency)
    feedback = entry.feedback
    return [Message(entry.membership.artist.user,
                    f"Your feedback “{feedback.title}” shipped: you earned {amount} ({entry.program.name})",
                    f"It shipped in {feedback.shipped_in}. {entry.program.name}'s rate card (version "
                    f"{entry.rate_card.version}) pays {amount} for each feedback item that ships; it is on your "
                    f"earnings.", reverse("testers:feedback_detail", args=[feedback.pk]))]
