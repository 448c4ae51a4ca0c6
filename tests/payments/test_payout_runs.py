"""Payout runs: creation in one transaction, approval by a second finance user, sending to (fake) Stripe."""
import datetime

import pytest

from django.utils import timezone

from atelier.errors import DomainError
from payments import selectors
from payments.models import LedgerEntry, Payout, PayoutRun
from payments.services import payouts as services
from tests import factories
from tests.payments.factories import RateCardFactory, StripeAccountFactory, ledger_entry, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db]

TODAY = datetime.date.today()
START, END = TODAY - datetime.timedelta(days=30), TODAY - datetime.timedelta(days=1)


@pytest.fixture
def approver(program):
    return factories.staff_user(program, "finance")


def make_run(program, finance, **kwargs):
    return services.create_payout_run(program=program, period_start=kwargs.get("start", START),
                                      period_end=kwargs.get("end", END), by=finance)


def test_run_creates_one_payout_per_payable_artist_and_debits_the_ledger(program, finance):
    RateCardFactory(program=program, minimum_payout_minor=2000)
    paid = payable_artist(program, 5000)
    under_minimum = payable_artist(program, 1500)
    no_account = factories.MembershipFactory(program=program)
    ledger_entry(no_account, 9000, kind=LedgerEntry.Kind.TIME, work_date=END)
    not_enabled = payable_artist(program, 7000, enabled=False)
    later_work = payable_artist(program, 4000)
    ledger_entry(later_work, 3000, kind=LedgerEntry.Kind.TIME, work_date=TODAY)  # after the period: waits

    run = make_run(program, finance)

    payouts = {p.membership_id: p for p in run.payouts.all()}
    assert set(payouts) == {paid.pk, later_work.pk}
    assert payouts[paid.pk].amount_minor == 5000
    assert payouts[later_work.pk].amount_minor == 4000
    assert run.total_minor == 9000
    skips = {s.membership_id: s.reason for s in run.skips.all()}
    assert skips[under_minimum.pk].startswith("Under the minimum payout")
    assert skips[no_account.pk] == "No payout account connected"
    assert skips[not_enabled.pk].startswith("Payout account not ready")
    debit = LedgerEntry.objects.get(source_key=f"payout:{payouts[paid.pk].pk}")
    assert debit.kind == LedgerEntry.Kind.PAYOUT and debit.amount_minor == -5000
    assert selectors.balance_minor(paid) == 0
    assert selectors.balance_minor(later_work) == 3000
    assert run.status == PayoutRun.Status.CREATED


def test_minimum_comes_from_the_rate_card_in_force_at_period_end(program, finance):
    RateCardFactory(program=program, version=1, effective_date=datetime.date(2020, 1, 1), minimum_payout_minor=100)
    RateCardFactory(program=program, version=2, effective_date=TODAY, minimum_payout_minor=100_000)
    membership = payable_artist(program, 500)
    run = make_run(program, finance)
    assert list(run.payouts.values_list("membership_id", flat=True)) == [membership.pk]


def test_two_runs_for_the_same_or_an_overlapping_period_cannot_both_exist(program, finance):
    payable_artist(program, 5000)
    make_run(program, finance)
    with pytest.raises(DomainError):
        make_run(program, finance)
    with pytest.raises(DomainError):
        make_run(program, finance, start=END, end=END)
    assert PayoutRun.objects.count() == 1


def test_a_second_run_never_pays_money_already_paid(program, finance):
    membership = payable_artist(program, 5000)
    make_run(program, finance, start=END, end=END)
    second = make_run(program, finance, start=END - datetime.timedelta(days=10), end=END - datetime.timedelta(days=1))
    assert second.payouts.count() == 0
    assert selectors.balance_minor(membership) == 0


def test_only_finance_of_the_program_creates_runs(program, manager, other_program):
    other_finance = factories.staff_user(other_program, "finance")
    for user in (manager, other_finance):
        with pytest.raises(DomainError):
            make_run(program, user)


def test_creator_cannot_approve_their_own_run(program, finance, fake_stripe):
    payable_artist(program, 5000, fake=fake_stripe)
    run = make_run(program, finance)
    with pytest.raises(DomainError, match="another finance user"):
        factories.approve(run, by=finance)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.CREATED


def test_approval_refused_when_the_stripe_balance_cannot_cover_the_run(program, finance, approver, fake_stripe):
    payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.set_balance("usd", 4999)
    run = make_run(program, finance)
    with pytest.raises(DomainError, match="does not cover"):
        factories.approve(run, by=approver)
    assert fake_stripe.transfers() == []


def test_approved_run_sends_one_transfer_per_payout_with_key_group_and_metadata(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    members = [payable_artist(program, 1000 * (i + 1), fake=fake_stripe) for i in range(3)]
    run = make_run(program, finance)
    with django_capture_on_commit_callbacks(execute=True):
        factories.approve(run, by=approver)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPLETED and run.completed_at
    transfers = fake_stripe.transfers()
    assert len(transfers) == 3
    for payout in run.payouts.select_related("stripe_account"):
        assert payout.status == Payout.Status.PAID
        [transfer] = [t for t in transfers if t["id"] == payout.stripe_transfer_id]
        assert transfer["amount"] == payout.amount_minor
        assert transfer["destination"] == payout.stripe_account.stripe_account_id
        assert transfer["transfer_group"] == run.transfer_group
        assert transfer["metadata"]["payout_id"] == str(payout.pk)
        assert transfer["metadata"]["run_id"] == str(run.pk)
        assert transfer["metadata"]["artist_id"] == str(payout.membership.artist_id)
    keys = {e["idempotency_key"] for e in fake_stripe.request_log if e["path"] == "/v1/transfers"}
    assert keys == {f"atelier-payout-{p.pk}" for p in run.payouts.all()}
    assert all(selectors.balance_minor(m) == 0 for m in members)


def _approve_and_send(run, approver, capture):
    with capture(execute=True):
        factories.approve(run, by=approver)
    run.refresh_from_db()


def test_retryable_errors_are_retried_with_the_same_key_and_pay_once(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.inject_fault(mode="error_after", status=500)  # Stripe applied it, then answered 500
    fake_stripe.inject_fault(mode="error_before", status=429)
    fake_stripe.inject_fault(mode="error_before", status=503)
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.PAID and payout.attempts == 4
    assert len(fake_stripe.transfers()) == 1
    posts = [e for e in fake_stripe.request_log if e["path"] == "/v1/transfers" and e["method"] == "POST"]
    assert {e["idempotency_key"] for e in posts} == {payout.idempotency_key}
    assert posts[-1]["replayed"] is True


def test_timeout_after_stripe_applied_the_transfer_is_not_paid_twice(
        program, finance, approver, fake_stripe, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.inject_fault(mode="timeout", delay=0.6)
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.PAID
    [transfer] = fake_stripe.transfers()
    assert payout.stripe_transfer_id == transfer["id"]


def test_final_failure_marks_failed_with_stripes_message_and_credits_back(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    ok = payable_artist(program, 3000, fake=fake_stripe)
    fake_stripe.disable_account(membership.artist.stripe_account.stripe_account_id)  # Stripe refuses with a 400
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    failed = run.payouts.get(membership=membership)
    assert failed.status == Payout.Status.FAILED
    assert "capabilities" in failed.failure_message
    assert LedgerEntry.objects.get(source_key=f"payout-failed:{failed.pk}").amount_minor == 5000
    assert selectors.balance_minor(membership) == 5000
    assert selectors.balance_minor(ok) == 0
    assert run.status == PayoutRun.Status.COMPLETED_WITH_FAILURES


def test_rate_limits_that_persist_leave_the_payout_for_later_not_failed(
        program, finance, approver, fake_stripe, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_MAX_ATTEMPTS = 2
    membership = payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.inject_fault(mode="error_before", status=429, count=2)
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.SENDING and "tried again" in payout.failure_message
    assert run.status == PayoutRun.Status.SENDING
    assert selectors.balance_minor(membership) == 0  # still debited: it may yet be paid
    assert services.send_run(run.pk) == 0  # the next pass (beat or countdown) pays it
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert len(fake_stripe.transfers()) == 1


def test_after_the_resend_window_a_payout_is_marked_unknown_not_resent(program, finance, approver, fake_stripe):
    payable_artist(program, 5000, fake=fake_stripe)
    run = make_run(program, finance)
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    Payout.objects.filter(run=run).update(status=Payout.Status.SENDING,
                                          first_sent_at=timezone.now() - datetime.timedelta(hours=21))
    payout = run.payouts.get()
    assert services.send_payout(payout.pk) == "unknown"
    payout.refresh_from_db()
    assert payout.status == Payout.Status.UNKNOWN
    assert fake_stripe.request_count("POST", "/v1/transfers") == 0
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_FAILED).exists()


def test_failed_payout_retried_is_debited_again_and_sent_with_a_new_key(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    account_id = membership.artist.stripe_account.stripe_account_id
    fake_stripe.disable_account(account_id)
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.FAILED
    fake_stripe.enable_account(account_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_payout(payout, by=approver)
    payout.refresh_from_db()
    run.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert run.status == PayoutRun.Status.COMPLETED
    assert selectors.balance_minor(membership) == 0
    keys = [e["idempotency_key"] for e in fake_stripe.request_log if e["path"] == "/v1/transfers"]
    assert keys == [payout.idempotency_key, f"{payout.idempotency_key}-2"]
    assert len(fake_stripe.transfers()) == 1


def test_cancelled_failed_payout_keeps_the_money_on_the_balance_once(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.disable_account(membership.artist.stripe_account.stripe_account_id)
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = services.cancel_payout(run.payouts.get(), by=approver)
    assert payout.status == Payout.Status.CANCELLED
    assert selectors.balance_minor(membership) == 5000
    with pytest.raises(DomainError):
        services.retry_payout(payout, by=approver)


def test_cancelling_a_run_waiting_for_approval_credits_everyone_back(program, finance, approver):
    membership = payable_artist(program, 5000)
    run = make_run(program, finance)
    services.cancel_payout_run(run, by=finance)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.CANCELLED
    assert selectors.balance_minor(membership) == 5000
    assert make_run(program, finance).payouts.count() == 1  # the period is free again


def test_sending_is_paced_under_the_configured_rate(program, finance, approver, settings,
                                                     django_capture_on_commit_callbacks):
    from devtools.fake_stripe import FakeStripe

    with FakeStripe(rate_limit_per_second=5) as fake:
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_TRANSFERS_PER_SECOND = 4
        settings.STRIPE_RETRY_BACKOFF_SECONDS = 1.0
        for _ in range(12):
            payable_artist(program, 2500, fake=fake)
        run = make_run(program, finance)
        _approve_and_send(run, approver, django_capture_on_commit_callbacks)
        assert run.status == PayoutRun.Status.COMPLETED
        statuses = [e["status"] for e in fake.request_log if e["path"] == "/v1/transfers"]
        assert statuses == [200] * 12  # never rate-limited


def test_stripe_account_factory_default_is_payable(db):
    assert StripeAccountFactory().is_payable


def test_unknown_payout_without_a_transfer_is_sent_again_with_its_own_key(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    run = make_run(program, finance)
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    Payout.objects.filter(run=run).update(status=Payout.Status.UNKNOWN)
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.retry_payout(run.payouts.get(), by=approver)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    keys = [e["idempotency_key"] for e in fake_stripe.request_log if e["path"] == "/v1/transfers"
            and e["method"] == "POST"]
    assert keys == [payout.idempotency_key]
    assert selectors.balance_minor(membership) == 0  # debited once, never credited back


@pytest.mark.parametrize("fault", [
    {"mode": "error_after", "status": 502},   # Stripe made the transfer, then answered 502
    {"mode": "error_before", "status": 500},  # Stripe answered 500 and made nothing
    {"mode": "error_before", "status": 409},  # another request with the key was in progress
])
def test_an_ambiguous_last_answer_leaves_the_payout_unknown_and_finance_settles_it_with_the_same_key(
        program, finance, approver, fake_stripe, settings, django_capture_on_commit_callbacks, fault):
    settings.STRIPE_MAX_ATTEMPTS = 1
    membership = payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.inject_fault(**fault)
    run = make_run(program, finance)
    _approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.UNKNOWN and "does not say whether" in payout.failure_message
    assert selectors.balance_minor(membership) == 0  # never credited back while it may have been paid
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_payout(payout, by=approver)  # searches Stripe first, then sends with the same key
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert len(fake_stripe.transfers()) == 1
    assert {e["idempotency_key"] for e in fake_stripe.request_log if e["path"] == "/v1/transfers"
            and e["method"] == "POST"} == {
        payout.idempotency_key}
