"""Staff payout pages: who may see and do what, the report and its CSV, progress polling, query counts."""
import csv
import datetime
import io

import pytest

from django.utils import timezone
from django.urls import reverse

from atelier.accounts import current_totp_code
from atelier.mfa import verify_fresh_totp
from payments.models import Payout, PayoutRun, PayoutRunSkip
from payments.services import payouts as services
from tests import factories
from tests.payments.factories import ledger_entry, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db]
DAY = datetime.date.today() - datetime.timedelta(days=1)


def make_run(program, finance, count=2, fake=None):
    for i in range(count):
        payable_artist(program, 1000 + i, fake=fake)
    return services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)


@pytest.fixture
def run(program, finance):
    return make_run(program, finance)


def urls(program, run):
    payout = run.payouts.first()
    return [
        reverse("payments:payout_runs", args=[program.slug]),
        reverse("payments:payout_run", args=[program.slug, run.pk]),
        reverse("payments:payout_run_progress", args=[program.slug, run.pk]),
        reverse("payments:payout_run_csv", args=[program.slug, run.pk]),
        reverse("payments:reconciliations", args=[program.slug]),
    ], [
        reverse("payments:payout_run_approve", args=[program.slug, run.pk]),
        reverse("payments:payout_run_cancel", args=[program.slug, run.pk]),
        reverse("payments:payout_retry", args=[program.slug, run.pk, payout.pk]),
        reverse("payments:payout_cancel", args=[program.slug, run.pk, payout.pk]),
    ]


@pytest.mark.parametrize("role, expected", [("finance", 200), ("manager", 200), ("reviewer", 404)])
def test_staff_pages_by_role(client, program, run, role, expected):
    client.force_login(factories.staff_user(program, role))
    pages, _ = urls(program, run)
    for url in pages:
        assert client.get(url).status_code == expected, url


def test_artist_and_finance_of_another_program_get_404_everywhere(client, program, other_program, run, artist):
    pages, actions = urls(program, run)
    for user in (artist, factories.staff_user(other_program, "finance")):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 404, url
        for url in actions:
            assert client.post(url).status_code == 404, url
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.CREATED


def test_manager_cannot_approve_or_create(client, program, run, manager):
    client.force_login(manager)
    _, actions = urls(program, run)
    assert client.post(actions[0]).status_code == 404
    response = client.post(reverse("payments:payout_runs", args=[program.slug]),
                           {"period_start": "2020-01-01", "period_end": "2020-01-31"})
    assert response.status_code == 404


def test_finance_creates_a_run_from_the_page_and_its_creator_gets_a_404_on_approve(client, program, finance):
    payable_artist(program, 5000)
    client.force_login(finance)
    response = client.post(reverse("payments:payout_runs", args=[program.slug]),
                           {"period_start": DAY.isoformat(), "period_end": DAY.isoformat()}, follow=True)
    run = PayoutRun.objects.get()
    page = response.content.decode()
    assert "Another finance user must approve it." in page
    # Four eyes, from RULES "payout_run.approve" only: no approve button for the creator, the reason instead.
    approve_url = reverse("payments:payout_run_approve", args=[program.slug, run.pk])
    assert approve_url not in page
    assert "You created this run: another finance user approves it." in page
    assert client.post(approve_url).status_code == 404
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.CREATED and run.approved_by is None


def test_another_finance_user_sees_the_approve_button(client, program, finance, run):
    client.force_login(factories.staff_user(program, "finance"))
    page = client.get(reverse("payments:payout_run", args=[program.slug, run.pk])).content.decode()
    assert reverse("payments:payout_run_approve", args=[program.slug, run.pk]) in page
    assert "Review and send" in page and "You created this run" not in page


def test_overlapping_period_is_a_form_error(client, program, finance, run):
    client.force_login(finance)
    response = client.post(reverse("payments:payout_runs", args=[program.slug]),
                           {"period_start": DAY.isoformat(), "period_end": DAY.isoformat()})
    assert response.status_code == 200
    assert "already covers part of this period" in response.content.decode()


def test_second_finance_user_confirms_the_total_with_a_fresh_code_and_the_run_is_sent(
        client, program, finance, fake_stripe, django_capture_on_commit_callbacks):
    run = make_run(program, finance, fake=fake_stripe)
    skipped = factories.MembershipFactory(program=program)
    ledger_entry(skipped, 900)
    PayoutRunSkip.objects.create(run=run, membership=skipped, balance_minor=900, reason="No payout account connected",
                                 reason_code="no_account")
    approver = factories.staff_user(program, "finance")
    client.force_login(approver)
    url = reverse("payments:payout_run_approve", args=[program.slug, run.pk])
    page = client.get(url).content.decode()
    # The confirmation: how many, how much per currency, who is left out and why, and a code to type.
    assert 'data-count="payouts">2<' in page and 'data-total="USD">$20.01<' in page
    assert skipped.artist.display_name in page and "No payout account connected" in page
    assert 'autocomplete="one-time-code"' in page
    # A wrong code sends nothing and says why.
    response = client.post(url, {"totp_code": "000000"})
    assert "Enter the current 6-digit code" in response.content.decode()
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.CREATED and fake_stripe.transfers() == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"totp_code": current_totp_code(approver)})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPLETED and len(fake_stripe.transfers()) == 2
    # The same code a second time (a replayed form) is refused.
    assert not verify_fresh_totp(approver, current_totp_code(approver))
    fragment = client.get(reverse("payments:payout_run_progress", args=[program.slug, run.pk])).content.decode()
    assert 'data-count="paid">2<' in fragment and "hx-get" not in fragment  # done: polling stops
    # The page the approver lands on tells what is true now: no "being sent" once the run has completed.
    landing = client.get(response.url).content.decode()
    assert "Run approved." in landing and "being sent" not in landing


def test_progress_fragment_polls_while_the_run_sends(client, program, finance, run):
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    Payout.objects.filter(pk=run.payouts.first().pk).update(status=Payout.Status.PAID, stripe_transfer_id="tr_one",
                                                            paid_at=timezone.now())
    client.force_login(finance)
    fragment = client.get(reverse("payments:payout_run_progress", args=[program.slug, run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert 'data-count="paid">1<' in fragment and 'data-count="pending">1<' in fragment


def test_csv_report_has_one_row_per_payout_and_totals(client, program, finance, run):
    membership = run.payouts.first().membership
    membership.artist.legal_name = "Legal Name, Esq."
    membership.artist.save()
    client.force_login(finance)
    response = client.get(reverse("payments:payout_run_csv", args=[program.slug, run.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["payout_id", "artist", "legal_name", "stripe_account", "amount", "currency", "status",
                       "transfer_id", "failure_reason"]
    body = [r for r in rows[1:] if r[0] != "total"]
    assert len(body) == 2 and "Legal Name, Esq." in [r[2] for r in body]
    assert rows[-1][:6] == ["total", "all payouts", "", "", "20.01", "USD"]


def test_failed_payout_retry_and_cancel_from_the_page(client, program, finance, fake_stripe,
                                                      django_capture_on_commit_callbacks):
    run = make_run(program, finance, count=1, fake=fake_stripe)
    account_id = run.payouts.get().stripe_account.stripe_account_id
    fake_stripe.disable_account(account_id)
    approver = factories.staff_user(program, "finance")
    with django_capture_on_commit_callbacks(execute=True):
        factories.approve(run, by=approver)
    payout = run.payouts.get()
    assert payout.status == Payout.Status.FAILED
    client.force_login(approver)
    page = client.get(reverse("payments:payout_run", args=[program.slug, run.pk])).content.decode()
    assert "Retry" in page and "capabilities" in page
    fake_stripe.enable_account(account_id)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payments:payout_retry", args=[program.slug, run.pk, payout.pk]))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    response = client.post(reverse("payments:payout_cancel", args=[program.slug, run.pk, payout.pk]), follow=True)
    assert "Only a failed or held payout can be cancelled" in response.content.decode()


def _count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [10, 200])
def test_list_pages_use_a_bounded_number_of_queries(client, program, finance, count, django_assert_max_num_queries):
    run = make_run(program, finance, count=count)
    client.force_login(finance)
    for name, args in [("payments:payout_runs", [program.slug]), ("payments:payout_run", [program.slug, run.pk]),
                       ("payments:reconciliations", [program.slug])]:
        _count_queries(client, reverse(name, args=args), django_assert_max_num_queries, 20)


@pytest.mark.parametrize("count", [10, 200])
def test_artist_payout_account_page_uses_a_bounded_number_of_queries(client, program, finance, count,
                                                                     django_assert_max_num_queries):
    membership = payable_artist(program, 0)
    account = membership.artist.stripe_account
    runs = PayoutRun.objects.bulk_create([
        PayoutRun(program=program, period_start=DAY - datetime.timedelta(days=i), currency="USD",
                  period_end=DAY - datetime.timedelta(days=i), created_by=finance, status=PayoutRun.Status.COMPLETED)
        for i in range(count)
    ])
    Payout.objects.bulk_create([
        Payout(run=run, membership=membership, stripe_account=account, amount_minor=100, currency="USD",
               status=Payout.Status.PAID, stripe_transfer_id=f"tr_page_{run.pk}", paid_at=timezone.now())
        for run in runs
    ])
    client.force_login(membership.artist.user)
    _count_queries(client, reverse("payments:payout_account"), django_assert_max_num_queries, 15)


def test_run_detail_searches_payouts_by_artist_and_keeps_the_status_filter(client, program, finance, run):
    first, second = run.payouts.select_related("membership__artist").order_by("pk")
    client.force_login(finance)
    url = reverse("payments:payout_run", args=[program.slug, run.pk])
    html = client.get(url, {"q": first.membership.artist.display_name}).content.decode()
    assert first.membership.artist.display_name in html and second.membership.artist.display_name not in html
    html = client.get(url, {"q": second.membership.artist.user.email, "status": "paid"}).content.decode()
    assert "No payout here." in html
