"""Side doors closed: the payments admin is read-only, its two writes run the product's actions (checked and
audited, refusals as messages), and artists reach their statement under their own pages only."""
import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from atelier.models import AuditLogEntry
from payments.models import (
    LedgerEntry, Payout, PayoutRun, PayoutRunSkip, RateCard, ReconciliationDifference, ReconciliationReport,
    StripeAccount, StripeEvent,
)
from tests import factories
from tests.payments.factories import RateCardFactory, StripeAccountFactory, ledger_entry, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db]

DAY = datetime.date.today() - datetime.timedelta(days=1)
MODELS = [RateCard, LedgerEntry, StripeAccount, PayoutRun, Payout, PayoutRunSkip, StripeEvent, ReconciliationReport,
          ReconciliationDifference]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_payments_admin_adds_changes_and_deletes_nothing(rf, site_admin, model):
    request = rf.get("/")
    request.user = site_admin
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_admin_cannot_edit_a_stripe_accounts_state_or_a_runs_period(client, site_admin, program, finance):
    account = StripeAccountFactory(state="details_needed", payouts_enabled=False, transfers_active=False)
    run = PayoutRun.objects.create(program=program, period_start=DAY, period_end=DAY, currency="USD",
                                   created_by=finance)
    card = RateCardFactory(program=program)
    client.force_login(site_admin)
    for obj, data in ((account, {"state": "enabled", "payouts_enabled": "on"}),
                      (run, {"period_start": "2020-01-01", "period_end": "2020-01-31"}),
                      (card, {"hourly_rate_minor": "1"})):
        url = reverse(f"admin:payments_{obj._meta.model_name}_change", args=[obj.pk])
        client.post(url, data)
    account.refresh_from_db()
    run.refresh_from_db()
    card.refresh_from_db()
    assert (account.state, account.payouts_enabled) == ("details_needed", False)
    assert (run.period_start, run.period_end) == (DAY, DAY)
    assert card.hourly_rate_minor == 3000
    assert client.post(reverse("admin:payments_ratecard_add"), {}).status_code == 403


def test_admin_action_refreshes_a_stripe_account_from_stripe_and_audits_it(client, site_admin, fake_stripe):
    account = StripeAccountFactory(state="details_needed", payouts_enabled=False, transfers_active=False,
                                   details_submitted=False)
    fake_stripe.create_account(account_id=account.stripe_account_id, email="a@example.test", enabled=True)
    client.force_login(site_admin)
    response = client.post(reverse("admin:payments_stripeaccount_changelist"),
                           {"action": "refresh_from_stripe", "_selected_action": [account.pk]}, follow=True)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.state == StripeAccount.State.ENABLED and account.payouts_enabled
    entry = AuditLogEntry.objects.get(action="payments.stripe_account.refreshed", target_id=str(account.pk))
    assert entry.actor == site_admin and entry.data["after"]["state"] == "enabled"


def test_admin_action_cancels_a_waiting_run_through_the_action(client, site_admin, program, finance):
    membership = payable_artist(program, 5000)
    from payments.services import payouts

    run = payouts.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    client.force_login(site_admin)
    client.post(reverse("admin:payments_payoutrun_changelist"),
                {"action": "cancel_runs", "_selected_action": [run.pk]}, follow=True)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.CANCELLED
    assert set(run.payouts.values_list("status", flat=True)) == {Payout.Status.CANCELLED}
    assert LedgerEntry.objects.filter(membership=membership, kind=LedgerEntry.Kind.PAYOUT_FAILED).count() == 1
    assert AuditLogEntry.objects.filter(action="payments.payout_run.cancelled", actor=site_admin).count() == 1


def test_admin_action_on_a_run_that_cannot_be_cancelled_is_a_message_not_a_500(client, site_admin, program, finance):
    run = PayoutRun.objects.create(program=program, period_start=DAY, period_end=DAY, currency="USD",
                                   created_by=finance, status=PayoutRun.Status.COMPLETED)
    client.force_login(site_admin)
    response = client.post(reverse("admin:payments_payoutrun_changelist"),
                           {"action": "cancel_runs", "_selected_action": [run.pk]}, follow=True)
    assert response.status_code == 200
    assert "Only a run waiting for approval can be cancelled." in response.content.decode()
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPLETED


# --- statements: artists on their own pages, never under /staff/ ------------------------------------------------

def test_artist_gets_a_404_on_the_staff_statement_url_of_their_own_membership(client, artist_membership):
    ledger_entry(artist_membership, 1000)
    client.force_login(artist_membership.artist.user)
    program = artist_membership.program
    staff_url = reverse("payments:reports_staff_statement", args=[program.slug, artist_membership.pk])
    assert staff_url.startswith("/staff/")
    assert client.get(staff_url).status_code == 404
    own_url = reverse("payments:reports_artist_statement_pdf", args=[program.slug])
    assert not own_url.startswith("/staff/")
    response = client.get(own_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert AuditLogEntry.objects.filter(action="payments.statement.downloaded",
                                        target_id=str(artist_membership.pk)).exists()


def test_finance_downloads_an_artists_statement_from_the_staff_url(client, program, finance, artist_membership):
    client.force_login(finance)
    url = reverse("payments:reports_staff_statement", args=[program.slug, artist_membership.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_earnings_page_links_the_artist_to_their_own_statement(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    page = client.get(reverse("payments:earnings_program", args=[artist_membership.program.slug])).content.decode()
    assert reverse("payments:reports_artist_statement_pdf", args=[artist_membership.program.slug]) in page
    assert "/staff/" not in page


# --- participation: paused and removed artists keep their payout account ----------------------------------------

@pytest.mark.parametrize("status", ["paused", "removed"])
def test_paused_and_removed_artists_may_still_refresh_their_payout_account(client, program, status, fake_stripe):
    """Audited as the system's refresh, asked by the artist (the data is Stripe's)."""
    membership = factories.MembershipFactory(program=program, status=status)
    account = StripeAccountFactory(artist=membership.artist, state="details_needed", payouts_enabled=False,
                                   transfers_active=False, details_submitted=False)
    fake_stripe.create_account(account_id=account.stripe_account_id, email="p@example.test", enabled=True)
    client.force_login(membership.artist.user)
    client.post(reverse("payments:payout_account_refresh"))
    account.refresh_from_db()
    assert account.state == StripeAccount.State.ENABLED
    entry = AuditLogEntry.objects.get(action="payments.stripe_account.refreshed", target_id=str(account.pk))
    assert entry.actor is None and entry.data["asked_by"] == membership.artist.user.email


def test_an_artist_cannot_run_the_admins_refresh_on_an_account(artist_membership):
    from payments.actions import RefreshStripeAccount

    account = StripeAccountFactory(artist=artist_membership.artist)
    refusal = RefreshStripeAccount(artist_membership.artist.user, account, data={}).check()
    assert refusal is not None and refusal.kind == "permission"
