"""Reconciliation: every difference between Atelier's payouts and Stripe's transfers is recorded."""
import datetime

import pytest

from django.core.management import call_command
from django.urls import reverse

from payments import stripe_gateway as gateway
from payments.models import Payout, PayoutRun, ReconciliationDifference, ReconciliationReport
from payments.services import payouts as services
from payments.services.reconciliation import reconcile, reconcile_recent
from tests import factories
from tests.payments.factories import payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db]
Kind = ReconciliationDifference.Kind
DAY = datetime.date.today() - datetime.timedelta(days=1)


@pytest.fixture
def sent_run(program, finance, fake_stripe, django_capture_on_commit_callbacks):
    for amount in (1000, 2000, 3000):
        payable_artist(program, amount, fake=fake_stripe)
    run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    with django_capture_on_commit_callbacks(execute=True):
        factories.approve(run, by=factories.staff_user(program, "finance"))
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPLETED
    return run


def kinds(report):
    return sorted(report.differences.values_list("kind", flat=True))


def test_a_clean_run_has_no_difference(program, sent_run):
    report = reconcile(program, DAY, DAY)
    assert kinds(report) == []
    assert (report.checked_payouts, report.checked_transfers) == (3, 3)


def test_every_kind_of_difference_is_recorded(program, sent_run, fake_stripe):
    first, second, third = sent_run.payouts.order_by("pk")
    Payout.objects.filter(pk=first.pk).update(amount_minor=first.amount_minor + 1)
    Payout.objects.filter(pk=second.pk).update(stripe_transfer_id="tr_missing", status=Payout.Status.PAID)
    fake_stripe.create_account(account_id="acct_elsewhere", enabled=True)
    # A transfer of this program that no payout knows, and a second transfer for the third payout.
    gateway.create_transfer(amount=999, currency="usd", destination="acct_elsewhere",
                            transfer_group=sent_run.transfer_group, metadata={"program_id": program.pk},
                            idempotency_key="stray-1")
    gateway.create_transfer(amount=third.amount_minor, currency="usd", destination="acct_elsewhere",
                            transfer_group="elsewhere", idempotency_key="dup-1",
                            metadata={"program_id": program.pk, "payout_id": third.pk})
    report = reconcile(program, DAY, DAY)
    found = {(d.kind, d.payout_id) for d in report.differences.all()}
    assert (Kind.AMOUNT, first.pk) in found
    assert (Kind.MISSING_IN_ATELIER, None) in found
    assert (Kind.MISSING_IN_ATELIER, third.pk) in found
    # The second payout's real transfer is found by metadata; its recorded id is not Stripe's.
    assert report.checked_transfers == 5


def test_paid_payout_without_transfer_and_destination_and_currency_differences(program, sent_run, fake_stripe):
    first, second, third = sent_run.payouts.order_by("pk")
    fake_stripe.reset()  # Stripe forgot everything: every paid payout is missing there
    report = reconcile(program, DAY, DAY)
    assert kinds(report) == [Kind.MISSING_AT_STRIPE] * 3


def test_destination_and_currency_differences(program, sent_run, fake_stripe):
    first = sent_run.payouts.order_by("pk").first()
    first.stripe_account.stripe_account_id = "acct_changed"
    first.stripe_account.save()
    Payout.objects.filter(pk=first.pk).update(currency="EUR")
    report = reconcile(program, DAY, DAY)
    assert kinds(report) == sorted([Kind.CURRENCY, Kind.DESTINATION])


def test_unknown_payout_is_settled_when_stripe_has_its_transfer(program, sent_run):
    payout = sent_run.payouts.first()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.UNKNOWN, stripe_transfer_id="")
    report = reconcile(program, DAY, DAY)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.stripe_transfer_id
    assert kinds(report) == []


def test_failed_payout_with_a_transfer_at_stripe_is_a_difference(program, sent_run):
    payout = sent_run.payouts.first()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.FAILED)
    assert kinds(reconcile(program, DAY, DAY)) == [Kind.MISSING_IN_ATELIER]


def test_command_and_periodic_task_record_reports(program, sent_run, capsys):
    call_command("reconcile", program.slug, DAY.isoformat(), DAY.isoformat())
    assert "0 difference(s)" in capsys.readouterr().out
    assert reconcile_recent() and ReconciliationReport.objects.count() == 2


def test_staff_page_shows_the_differences(client, program, finance, sent_run, fake_stripe):
    fake_stripe.reset()
    report = reconcile(program, DAY, DAY)
    client.force_login(finance)
    listing = client.get(reverse("payments:reconciliations", args=[program.slug]))
    assert listing.status_code == 200
    page = client.get(reverse("payments:reconciliation", args=[program.slug, report.pk])).content.decode()
    assert page.count("Paid in Atelier, no transfer at Stripe") == 3


def test_finance_reconciles_a_period_from_the_page(client, program, finance, sent_run):
    client.force_login(finance)
    response = client.post(reverse("payments:reconciliations", args=[program.slug]),
                           {"period_start": DAY.isoformat(), "period_end": DAY.isoformat()}, follow=True)
    assert "Atelier and Stripe agree" in response.content.decode()


def test_beat_schedules_registered_payout_tasks(settings):
    from atelier.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("payments.tasks.reconcile_recent", "payments.tasks.resume_payout_runs"):
        assert name in scheduled and name in app.tasks
    assert {"payments.tasks.send_payout_run", "payments.tasks.send_payout"} <= set(app.tasks)


def test_command_refuses_an_unknown_program():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("reconcile", "no-such-program", "2026-01-01", "2026-01-31")


def test_retrying_an_unknown_payout_finds_its_transfer_instead_of_sending_again(program, sent_run, fake_stripe):
    payout = sent_run.payouts.first()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.UNKNOWN, stripe_transfer_id="")
    posts = fake_stripe.request_count("POST", "/v1/transfers")
    services.retry_payout(payout, by=factories.staff_user(program, "finance"))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.stripe_transfer_id
    assert fake_stripe.request_count("POST", "/v1/transfers") == posts
