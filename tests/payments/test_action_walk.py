"""Every payments action that moves a status, in every status of its table: `check()` and `run()` agree.

Approving a run queues its sending after commit, which moves the run on (sending, completed), so the walk covers
approval's refusals and `test_approving_a_created_run_*` below its one allowed status."""
import datetime
import itertools

import pytest
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.models import AuditLogEntry
from atelier.accounts import current_totp_code
from payments.actions import ApprovePayoutRun
from payments.models import (LedgerEntry, Payout, PayoutRun, ReconciliationDifference, ReconciliationReport,
                             StripeAccount, StripeEvent)
from tests import factories
from tests.action_walk import ActionCase, walk, walk_roles
from tests.payments.factories import StripeAccountFactory, ledger_entry

DAY = datetime.date.today() - datetime.timedelta(days=1)
_n = itertools.count(1)


def make_run(status, *, total_minor=0):
    program = factories.ProgramFactory()
    creator = factories.staff_user(program, "finance")
    return PayoutRun.objects.create(program=program, period_start=DAY, period_end=DAY, currency=program.currency,
                                    status=status, created_by=creator, total_minor=total_minor)


def make_payout(status, *, run_status=PayoutRun.Status.CREATED):
    """A payout of a run that is not sending (so a re-send queued after commit finds nothing to do)."""
    run = make_run(run_status, total_minor=1000)
    membership = factories.MembershipFactory(program=run.program)
    account = StripeAccountFactory(artist=membership.artist)
    paid = {"stripe_transfer_id": f"tr_walk_{next(_n)}", "paid_at": timezone.now()} if status == "paid" else {}
    payout = Payout.objects.create(run=run, membership=membership, stripe_account=account, amount_minor=1000,
                                   currency=run.currency, status=status, **paid)
    ledger_entry(membership, 1000)  # what the run paid was earned first
    ledger_entry(membership, -1000, kind=LedgerEntry.Kind.PAYOUT, payout=payout, source_key=f"payout:{payout.pk}")
    if status == "failed":  # a failed payout was credited back
        ledger_entry(membership, 1000, kind=LedgerEntry.Kind.PAYOUT_FAILED, payout=payout,
                     source_key=f"payout-failed:{payout.pk}")
    return payout


def make_difference(status):
    payout = make_payout("paid", run_status=PayoutRun.Status.COMPLETED)
    report = ReconciliationReport.objects.create(program=payout.run.program, period_start=DAY, period_end=DAY)
    return ReconciliationDifference.objects.create(
        report=report, last_seen_report=report, program=payout.run.program, membership=payout.membership,
        payout=payout, kind=ReconciliationDifference.Kind.MISSING_AT_STRIPE, fingerprint=f"walk:{next(_n)}",
        status=status, note="Known" if status == "resolved" else "")


def finance_of(obj):
    return factories.staff_user(obj.program if isinstance(obj, PayoutRun) else obj.run.program, "finance")


def system(_):
    return SYSTEM


STRIPE_DATA = {
    "enabled": {"details_submitted": True, "payouts_enabled": True, "capabilities": {"transfers": "active"},
                "requirements": {"currently_due": [], "disabled_reason": None}},
    "details_needed": {"details_submitted": False, "payouts_enabled": False,
                       "capabilities": {"transfers": "inactive"},
                       "requirements": {"currently_due": ["individual.dob.day"]}},
    "pending": {"details_submitted": True, "payouts_enabled": False, "capabilities": {"transfers": "pending"},
                "requirements": {"currently_due": [], "disabled_reason": "requirements.pending_verification"}},
    "disabled": {"details_submitted": True, "payouts_enabled": False, "capabilities": {"transfers": "inactive"},
                 "requirements": {"currently_due": [], "disabled_reason": "rejected.fraud"}},
}


def make_account(state):
    enabled = state == StripeAccount.State.ENABLED
    return StripeAccountFactory(state=state, payouts_enabled=enabled, transfers_active=enabled,
                                details_submitted=state != StripeAccount.State.DETAILS_NEEDED,
                                requirements_due=["stale"])


def make_event(status):
    return StripeEvent.objects.create(event_id=f"evt_walk_{next(_n)}", type="account.updated", payload={},
                                      status=status)


CASES = {
    "payments.payout_run.approved": ActionCase(
        make=make_run, actor=finance_of,
        statuses=tuple(s for s in PayoutRun.Status.values if s != PayoutRun.Status.CREATED),
    ),
    "payments.payout_run.cancelled": ActionCase(make=make_run, actor=finance_of),
    "payments.payout_run.sending": ActionCase(make=make_run, actor=system),
    "payments.payout_run.completed": ActionCase(make=make_run, actor=system),
    "payments.payout_run.completed_with_failures": ActionCase(make=make_run, actor=system),
    "payments.payout.sending": ActionCase(make=make_payout, actor=system),
    "payments.payout.resent": ActionCase(make=make_payout, actor=finance_of),
    "payments.payout.paid": ActionCase(make=make_payout, actor=system,
                                       params=lambda payout: {"transfer_id": f"tr_walk_{next(_n)}"}),
    "payments.payout.failed": ActionCase(make=make_payout, actor=system,
                                         params=lambda payout: {"message": "Your destination account is disabled."}),
    "payments.payout.unknown": ActionCase(make=make_payout, actor=system,
                                          params=lambda payout: {"message": "No answer within the window."}),
    "payments.payout.retried": ActionCase(make=make_payout, actor=finance_of,
                                          params=lambda payout: {"searched": True}),
    "payments.payout.cancelled": ActionCase(make=make_payout, actor=finance_of),
    "payments.payout.held": ActionCase(make=make_payout, actor=system,
                                       params=lambda payout: {"reason": "Payout account needs an identity document"}),
    "payments.payout.released": ActionCase(make=make_payout, actor=finance_of),
    "payments.reconciliation_difference.explained": ActionCase(
        make=make_difference, actor=lambda d: factories.staff_user(d.program, "finance"),
        params=lambda d: {"note": "Asked Stripe support."}),
    "payments.reconciliation_difference.resolved": ActionCase(
        make=make_difference, actor=lambda d: factories.staff_user(d.program, "finance"),
        params=lambda d: {"note": "Paid by hand; adjusted the ledger."}),
    "payments.payout.reversed": ActionCase(
        make=make_payout, actor=system,
        params=lambda payout: {"reversals": [(f"trr_walk_{next(_n)}", 400)], "amount_reversed": 400}),
    "payments.stripe_account.refreshed": ActionCase(
        make=make_account, actor=system, params=lambda account: {"data": STRIPE_DATA[account.state]}),
    "payments.stripe_event.processed": ActionCase(make=make_event, actor=system),
    "payments.stripe_event.ignored": ActionCase(make=make_event, actor=system),
    "payments.stripe_event.failed": ActionCase(make=make_event, actor=system,
                                               params=lambda event: {"error": "No such transfer"}),
}

test_check_and_run_agree = walk(CASES)


def test_every_payments_action_with_a_transition_is_walked():
    from atelier.actions import REGISTRY

    moving = {name for name, action in REGISTRY.items() if name.startswith("payments.") and action.transition}
    assert moving == set(CASES)


@pytest.mark.django_db
def test_approving_a_created_run_is_allowed_and_queues_its_sending_after_commit(django_capture_on_commit_callbacks):
    run = make_run(PayoutRun.Status.CREATED)
    approver = finance_of(run)
    assert ApprovePayoutRun(approver, run).check() is None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ApprovePayoutRun(approver, run, totp_code=current_totp_code(approver)).run()
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.APPROVED and run.approved_by == approver and run.approved_at
    assert AuditLogEntry.objects.filter(action="payments.payout_run.approved", target_id=str(run.pk)).count() == 1
    assert callbacks, "sending is queued for after commit"
test_check_and_run_agree_for_every_role = walk_roles(CASES)
