"""Money safety (issue #11): no path pays twice, no lock is held across a Stripe call, artists are told why.

Every test sends through the fake Stripe server over HTTP; what Stripe "did" is read back from the fake.
"""
import datetime

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from payments import actions, selectors
from payments import stripe_gateway as gateway
from payments.models import LedgerEntry, Payout, PayoutRun, PayoutRunSkip, ReconciliationDifference
from payments.services import payouts as services
from payments.services import reconciliation
from tests import factories
from tests.payments.factories import ledger_entry, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

TODAY = datetime.date.today()


def period(days_ago_start, days_ago_end):
    return TODAY - datetime.timedelta(days=days_ago_start), TODAY - datetime.timedelta(days=days_ago_end)


def run_for(program, finance, start, end):
    return services.create_payout_run(program=program, period_start=start, period_end=end, by=finance)


def approve_and_send(run, approver, capture):
    with capture(execute=True):
        factories.approve(run, by=approver)
    run.refresh_from_db()
    return run


def transfer_posts(fake):
    return [e for e in fake.request_log if e["method"] == "POST" and e["path"] == "/v1/transfers"]


@pytest.fixture
def approver(program):
    return factories.staff_user(program, "finance")


# --- 1. a retry pays only what is still owed ------------------------------------------------------------------

@pytest.mark.django_db
def test_retrying_a_failed_payout_after_a_later_run_paid_its_amount_is_refused_naming_that_run(
        program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe, work_date=TODAY - datetime.timedelta(days=40))
    account_id = membership.artist.stripe_account.stripe_account_id
    fake_stripe.disable_account(account_id)  # Stripe refuses the first transfer for good
    first = approve_and_send(run_for(program, finance, *period(60, 31)), approver, django_capture_on_commit_callbacks)
    failed = first.payouts.get()
    assert failed.status == Payout.Status.FAILED and selectors.balance_minor(membership) == 5000
    fake_stripe.enable_account(account_id)
    second = approve_and_send(run_for(program, finance, *period(30, 1)), factories.staff_user(program, "finance"),
                              django_capture_on_commit_callbacks)
    assert second.payouts.get().status == Payout.Status.PAID  # the credited-back 5000 was paid here

    with pytest.raises(ActionRefused) as refused:
        services.retry_payout(failed, by=approver)
    assert f"paid since by run {second.pk}" in str(refused.value)
    assert len(fake_stripe.transfers()) == 1
    assert selectors.balance_minor(membership) == 0
    assert LedgerEntry.objects.filter(membership=membership, kind=LedgerEntry.Kind.PAYOUT).count() == 2


# --- 2. ambiguous answers are never final; runs hold such artists back --------------------------------------------

@pytest.mark.django_db
def test_a_new_run_holds_back_artists_with_an_unknown_payout_or_an_open_difference_and_says_why(
        program, finance, approver, fake_stripe, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_MAX_ATTEMPTS = 1
    unknown = payable_artist(program, 5000, fake=fake_stripe, work_date=TODAY - datetime.timedelta(days=40))
    fake_stripe.inject_fault(mode="error_before", status=409)
    first = approve_and_send(run_for(program, finance, *period(60, 31)), approver, django_capture_on_commit_callbacks)
    assert first.payouts.get().status == Payout.Status.UNKNOWN
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYOUT_FAILED).exists()  # never credited back
    disputed = payable_artist(program, 3000, fake=fake_stripe, work_date=TODAY - datetime.timedelta(days=5))
    report = reconciliation.reconcile(program, *period(60, 1))
    ReconciliationDifference.objects.create(
        report=report, last_seen_report=report, program=program, membership=disputed, fingerprint="test:disputed",
        kind=ReconciliationDifference.Kind.MISSING_IN_ATELIER, stripe_transfer_id="tr_elsewhere")
    ledger_entry(unknown, 700, kind=LedgerEntry.Kind.TIME, work_date=TODAY - datetime.timedelta(days=5))

    second = run_for(program, finance, *period(30, 1))
    assert not second.payouts.exists()
    skips = {s.membership_id: s for s in second.skips.all()}
    assert skips[unknown.pk].reason_code == PayoutRunSkip.Reason.UNKNOWN_PAYOUT
    assert f"payout {first.payouts.get().pk} is being checked with Stripe" in skips[unknown.pk].reason
    assert skips[disputed.pk].reason_code == PayoutRunSkip.Reason.OPEN_DIFFERENCE


# --- 3. payability is re-checked at send ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_account_refreshed_to_details_needed_before_sending_holds_the_payout_naming_the_requirement(
        client, program, finance, approver, fake_stripe, django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    run = run_for(program, finance, *period(30, 1))
    account = membership.artist.stripe_account
    actions.RefreshStripeAccount(SYSTEM, account, data={
        "details_submitted": True, "payouts_enabled": False, "capabilities": {"transfers": "inactive"},
        "requirements": {"currently_due": ["individual.verification.document"], "disabled_reason": None}}).run()
    approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.HELD
    assert payout.held_reason == "Payout account needs an identity document"
    assert transfer_posts(fake_stripe) == []  # nothing was sent
    assert run.status == PayoutRun.Status.COMPLETED_WITH_FAILURES
    assert selectors.balance_minor(membership) == 0  # still set aside for this payout
    progress = services.run_progress(run)
    assert (progress["held"], progress["done"], progress["percent"]) == (1, 1, 100)

    client.force_login(membership.artist.user)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "is held: Payout account needs an identity document" in page
    assert reverse("payments:payout_account") in page

    with pytest.raises(ActionRefused, match="Still held: payout account needs an identity document"):
        actions.ReleasePayout(approver, payout).run()
    fake_stripe.enable_account(account.stripe_account_id)
    services_refresh(account)
    with django_capture_on_commit_callbacks(execute=True):
        actions.ReleasePayout(approver, payout).run()
    payout.refresh_from_db()
    run.refresh_from_db()
    assert payout.status == Payout.Status.PAID and len(fake_stripe.transfers()) == 1
    assert run.status == PayoutRun.Status.COMPLETED


def services_refresh(account):
    from payments.services.accounts import refresh_account

    account.refresh_from_db()
    refresh_account(account)
    account.refresh_from_db()
    assert account.is_payable


@pytest.mark.django_db
def test_cancelling_a_held_payout_credits_it_back_once(program, finance, approver, fake_stripe,
                                                       django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    run = run_for(program, finance, *period(30, 1))
    membership.artist.stripe_account.__class__.objects.filter(pk=membership.artist.stripe_account.pk).update(
        state="details_needed", payouts_enabled=False, transfers_active=False, requirements_due=["external_account"])
    approve_and_send(run, approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.held_reason == "Payout account needs a bank account to receive payouts"
    services.cancel_payout(payout, by=approver)
    assert selectors.balance_minor(membership) == 5000
    with pytest.raises(ActionRefused):
        services.cancel_payout(payout, by=approver)
    assert selectors.balance_minor(membership) == 5000


# --- 4. the parameters under a key are fixed at the first attempt ------------------------------------------------------

@pytest.mark.django_db
def test_renaming_the_program_between_attempts_sends_the_same_parameters_under_the_same_key(
        program, finance, approver, fake_stripe, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_MAX_ATTEMPTS = 1
    payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.inject_fault(mode="error_before", status=429)  # the first attempt is put off
    run = approve_and_send(run_for(program, finance, *period(30, 1)), approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.SENDING and payout.transfer_key == payout.idempotency_key
    fixed = payout.transfer_params
    assert fixed["description"] == f"Atelier payout {payout.pk}" and fixed["amount"] == 5000
    program.name = "A new name nobody sent before"
    program.save()
    assert services.send_payout(payout.pk) == "paid"
    posts = transfer_posts(fake_stripe)
    assert len(posts) == 2 and {p["idempotency_key"] for p in posts} == {payout.idempotency_key}
    sent = posts[1]["params"]
    assert sent["description"] == fixed["description"] and int(sent["amount"]) == fixed["amount"]
    assert sent["destination"] == fixed["destination"] and sent["metadata"] == fixed["metadata"]
    payout.refresh_from_db()
    assert payout.transfer_params == fixed


# --- 6. no Stripe call inside a database transaction; a dead worker's lease expires ------------------------------------

@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_and_the_payout_row_is_free_while_stripe_is_called(
        program, finance, approver, fake_stripe, monkeypatch):
    payable_artist(program, 5000, fake=fake_stripe)
    run = run_for(program, finance, *period(30, 1))
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    payout = run.payouts.get()
    seen = []
    real_create = gateway.create_transfer

    def observing_create(**kwargs):
        # Looked at from another connection, as a second worker or finance would see it mid-call.
        settings_dict = connection.settings_dict
        with psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432,
                             user=settings_dict["USER"], dbname=settings_dict["NAME"], autocommit=True) as other:
            locked = other.execute("SELECT id FROM payments_payout WHERE id = %s FOR UPDATE NOWAIT",
                                   [payout.pk]).fetchall()
            row = other.execute("SELECT status, lease_owner, attempts FROM payments_payout WHERE id = %s",
                                [payout.pk]).fetchone()
        seen.append({"in_transaction": connection.in_atomic_block, "row_free": bool(locked), "row": row})
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "create_transfer", observing_create)
    assert services.send_payout(payout.pk) == "paid"
    assert len(seen) == 1
    assert seen[0]["in_transaction"] is False and seen[0]["row_free"] is True
    status, lease_owner, attempts = seen[0]["row"]
    assert status == "sending" and lease_owner and attempts == 1  # the claim and the attempt were committed first
    payout.refresh_from_db()
    assert payout.lease_owner == "" and payout.lease_expires_at is None


@pytest.mark.django_db
def test_a_payout_claimed_by_a_worker_that_died_is_sent_once_after_its_lease_expires(
        program, finance, fake_stripe):
    payable_artist(program, 5000, fake=fake_stripe)
    run = run_for(program, finance, *period(30, 1))
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    payout = run.payouts.get()
    dead = services._claim(payout.pk, "dead-worker")  # claimed, then the worker was killed
    assert isinstance(dead, Payout) and dead.status == Payout.Status.SENDING
    assert services.send_payout(payout.pk) == "skipped"  # its lease is live: nobody else sends
    Payout.objects.filter(pk=payout.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.send_payout(payout.pk) == "paid"
    # The dead worker's answer, had it come back late, is not recorded over the live one.
    assert services._record(dead, "dead-worker", actions.PayoutFailed, message="late") is False
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and len(fake_stripe.transfers()) == 1


# --- 5. reconciliation, finished ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reconciliation_covers_pending_sending_and_unknown_payouts_and_keeps_each_difference_once(
        client, program, finance, approver, fake_stripe, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_MAX_ATTEMPTS = 1
    stuck = payable_artist(program, 8750, fake=fake_stripe)
    fake_stripe.inject_fault(mode="error_after", status=500)  # Stripe paid, then answered 500
    run = approve_and_send(run_for(program, finance, *period(30, 1)), approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.UNKNOWN
    # A transfer Stripe made for a payout Atelier still has pending (e.g. sent by hand from the dashboard).
    other_run_artist = payable_artist(program, 1200, fake=fake_stripe)
    pending = Payout.objects.create(run=run, membership=other_run_artist,
                                    stripe_account=other_run_artist.artist.stripe_account, amount_minor=1200,
                                    currency="USD")
    gateway.create_transfer(amount=1200, currency="usd", destination=pending.stripe_account.stripe_account_id,
                            transfer_group=run.transfer_group, metadata={"payout_id": pending.pk, "program_id": program.pk,
                                                                         "membership_id": other_run_artist.pk},
                            idempotency_key="by-hand-1")

    first = reconciliation.reconcile(program, *period(30, 1))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID  # the unknown one is settled: Stripe has its one transfer
    difference = ReconciliationDifference.objects.get(program=program)
    assert difference.payout == pending and difference.membership == other_run_artist
    assert difference.kind == ReconciliationDifference.Kind.MISSING_IN_ATELIER
    assert difference.atelier_amount_minor == 1200 and difference.stripe_amount_minor == 1200

    second = reconciliation.reconcile(program, *period(30, 1))
    difference.refresh_from_db()
    assert ReconciliationDifference.objects.filter(program=program).count() == 1  # the same one, seen again
    assert difference.report == first and difference.last_seen_report == second

    client.force_login(finance)
    page = client.get(reverse("payments:reconciliations", args=[program.slug])).content.decode()
    assert "$12.00" in page and "1200 USD" not in page
    url = reverse("payments:reconciliation_difference_note", args=[program.slug, difference.pk])
    client.post(url, {"outcome": "explain", "note": "Sent by hand from the dashboard; checking."})
    difference.refresh_from_db()
    assert difference.status == ReconciliationDifference.Status.EXPLAINED and difference.noted_by == finance
    response = client.post(url, {"outcome": "resolve", "note": ""}, follow=True)
    assert "Write a note" in response.content.decode()
    client.post(url, {"outcome": "resolve", "note": "Recorded by hand; the payout is cancelled."})
    difference.refresh_from_db()
    assert difference.status == ReconciliationDifference.Status.RESOLVED
    from atelier.models import AuditLogEntry

    assert AuditLogEntry.objects.filter(action__startswith="payments.reconciliation_difference.").count() == 2


@pytest.mark.django_db
def test_a_difference_no_longer_found_is_cleared(program, finance, approver, fake_stripe, settings,
                                                  django_capture_on_commit_callbacks):
    settings.STRIPE_MAX_ATTEMPTS = 1
    payable_artist(program, 5000, fake=fake_stripe)
    fake_stripe.inject_fault(mode="error_before", status=500)  # nothing made
    run = approve_and_send(run_for(program, finance, *period(30, 1)), approver, django_capture_on_commit_callbacks)
    payout = run.payouts.get()
    reconciliation.reconcile(program, *period(30, 1))
    difference = ReconciliationDifference.objects.get(payout=payout)
    assert difference.kind == ReconciliationDifference.Kind.MISSING_AT_STRIPE
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_payout(payout, by=approver)  # searched, not found, sent again with the same key
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    reconciliation.reconcile(program, *period(30, 1))
    difference.refresh_from_db()
    assert difference.status == ReconciliationDifference.Status.CLEARED


# --- 10. artists see why -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_artist_left_out_of_a_run_sees_why_and_the_fix_on_their_home_page(client, program, finance):
    membership = factories.MembershipFactory(program=program)
    ledger_entry(membership, 9000, kind=LedgerEntry.Kind.TIME, work_date=TODAY - datetime.timedelta(days=3))
    run = run_for(program, finance, *period(30, 1))
    client.force_login(membership.artist.user)
    page = client.get(reverse("home")).content.decode()
    day = run.period_end.strftime("%-d %b")
    assert f"Not in the {day} run: No payout account connected." in page
    assert f'<a href="{reverse("payments:payout_account")}">Connect one</a>' in page


@pytest.mark.django_db
def test_the_payout_account_page_names_what_stripe_still_needs(client, program):
    membership = payable_artist(program, 0, enabled=False)
    account = membership.artist.stripe_account
    account.requirements_due = ["individual.verification.document", "external_account"]
    account.save()
    client.force_login(membership.artist.user)
    page = client.get(reverse("payments:payout_account")).content.decode()
    assert "<li>An identity document</li><li>A bank account to receive payouts</li>" in page


@pytest.mark.django_db
def test_a_run_for_the_year_1_is_refused_in_words_whatever_path_creates_it(program, finance):
    with pytest.raises(ActionRefused, match="starts on or after 1 January 2000"):
        services.create_payout_run(program=program, period_start=datetime.date(1, 1, 1),
                                   period_end=datetime.date(1, 12, 31), by=finance)
    assert not PayoutRun.objects.exists()
