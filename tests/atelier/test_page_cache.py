"""The costly signed-in pages are cached per viewer (atelier.page_cache): a second visit recomputes nothing, yet
after every change the page shows the new state, one viewer never sees another's page, and the layout (flash
messages) stays live."""
import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atelier import events, figure_cache, page_cache
from atelier.money import format_money
from content_review import services as review_services
from devtools.fake_stripe import make_event, sign_webhook_payload
from payments.models import Payout
from payments.services import payouts as payout_services
from testers.services import timelogs
from tests import factories
from tests.content_review.factories import member_with_terms, overdue, submitted
from tests.payments.factories import RateCardFactory, ledger_entry, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = pytest.mark.django_db

DAY = datetime.date.today() - datetime.timedelta(days=1)

#: Tables only a page's content reads: a cached visit must not touch them.
CONTENT_TABLES = ("payments_ledgerentry", "payments_payout\"", "payments_payoutrun\"", "payments_ratecard",
                  "content_review_sharerequest", "content_review_work", "testers_timelog", "testers_termsversion")


def visit(client, url) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def make_run(program, finance, count=2, fake=None):
    for i in range(count):
        payable_artist(program, 2000 + i, fake=fake)
    return payout_services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)


@pytest.fixture
def pages(program, finance, tmp_path, commits):
    """Every cached page with a viewer who may see it, in a program with data on each."""
    member = member_with_terms(program)
    RateCardFactory(program=program)
    ledger_entry(member, 4200)
    commits(submitted, member, tmp_path)
    run = commits(make_run, program, finance)
    slug = program.slug
    return [
        ("home", member.artist.user, reverse("home")),
        ("earnings", member.artist.user, reverse("payments:earnings_program", args=[slug])),
        ("queue", factories.staff_user(program, "reviewer"), reverse("content_review:queue", args=[slug])),
        ("runs", finance, reverse("payments:payout_runs", args=[slug])),
        ("run", finance, reverse("payments:payout_run", args=[slug, run.pk])),
        ("reports", finance, reverse("payments:reports_overview", args=[slug])),
    ]


def test_a_second_visit_reads_no_content_and_shows_the_same_page(client, pages):
    for name, user, url in pages:
        client.force_login(user)
        first, first_queries = visit(client, url)
        again, queries = visit(client, url)
        assert _without_tokens(again) == _without_tokens(first), name
        # Only the permission check of the object the URL names (a `get`, LIMIT 21) may remain.
        touched = [sql for sql in queries if any(table in sql for table in CONTENT_TABLES)
                   and not sql.endswith("LIMIT 21")]
        assert touched == [], f"{name}: a cached visit read content: {touched}"
        assert len(queries) < len(first_queries), name


def _without_tokens(html) -> str:
    """The page without its CSRF tokens (masked anew on every request)."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)


def test_posts_are_never_cached(client, program, finance):
    client.force_login(finance)
    url = reverse("payments:payout_runs", args=[program.slug])
    client.get(url)
    response = client.post(url, {"period_start": "", "period_end": ""})
    assert response.status_code == 200 and b"This field is required" in response.content
    assert b"This field is required" not in client.get(url).content


# --- every change shows at once ----------------------------------------------------------------------------

def test_approved_time_shows_on_the_earnings_and_home(client, program, manager, commits):
    member = member_with_terms(program)
    RateCardFactory(program=program, hourly_rate_minor=3000)
    client.force_login(member.artist.user)
    url = reverse("payments:earnings_program", args=[program.slug])
    assert format_money(0, program.currency) in client.get(url).content.decode()
    time_log = factories.TimeLogFactory(membership=member, minutes=120)
    commits(timelogs.approve_time_log, time_log=time_log, by=manager)
    assert format_money(6000, program.currency) in client.get(url).content.decode()


def test_a_submitted_share_request_shows_in_the_queue(client, program, reviewer, tmp_path, commits):
    member = member_with_terms(program)
    client.force_login(reviewer)
    url = reverse("content_review:queue", args=[program.slug])
    assert "Moonrise study" not in client.get(url).content.decode()
    commits(submitted, member, tmp_path, title="Moonrise study")
    assert "Moonrise study" in client.get(url).content.decode()


def test_a_deadline_the_beat_task_settles_shows_in_the_queue(client, program, reviewer, tmp_path, commits):
    program.deadline_policy = "deemed_approved"
    program.save()
    member = member_with_terms(program)
    share_request = commits(submitted, member, tmp_path, title="Moonrise study")
    overdue(share_request)
    client.force_login(reviewer)
    url = reverse("content_review:queue", args=[program.slug])
    assert "Moonrise study" in client.get(url).content.decode()  # open, waiting for a decision
    commits(review_services.enforce_deadlines)
    share_request.refresh_from_db()
    assert share_request.status != "submitted"
    assert "Moonrise study" not in client.get(url).content.decode()  # decided by the deadline: not open any more


def test_created_and_approved_runs_show_in_the_runs_list(client, program, finance, commits, fake_stripe):
    client.force_login(finance)
    url = reverse("payments:payout_runs", args=[program.slug])
    assert "badge--created" not in client.get(url).content.decode()
    run = commits(make_run, program, finance, fake=fake_stripe)
    assert "badge--created" in client.get(url).content.decode()
    commits(factories.approve, run, by=factories.staff_user(program, "finance"))
    page = client.get(url).content.decode()
    assert "badge--created" not in page and "badge--completed" in page


def test_a_payout_the_sending_service_records_paid_shows_on_the_run_and_the_earnings(client, program, finance,
                                                                                      commits, fake_stripe):
    run = commits(make_run, program, finance, 1, fake_stripe)
    payout = run.payouts.get()
    run_url = reverse("payments:payout_run", args=[program.slug, run.pk])
    earnings_url = reverse("payments:earnings_program", args=[program.slug])
    artist = payout.membership.artist.user
    client.force_login(finance)
    assert "badge--pending" in client.get(run_url).content.decode()
    client.force_login(artist)
    assert format_money(2000, program.currency) in client.get(earnings_url).content.decode()
    commits(factories.approve, run, by=factories.staff_user(program, "finance"))  # sends (tasks run eagerly)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert format_money(0, program.currency) in client.get(earnings_url).content.decode()
    client.force_login(finance)
    page = client.get(run_url).content.decode()
    assert "badge--paid" in page and "badge--pending" not in page


def test_a_failure_message_written_outside_an_action_shows_on_the_run(client, program, finance, commits):
    run = commits(make_run, program, finance, 1)
    payout = run.payouts.select_related("run").get()
    url = reverse("payments:payout_run", args=[program.slug, run.pk])
    client.force_login(finance)
    client.get(url)
    Payout.objects.filter(pk=payout.pk).update(lease_owner="worker-1")
    commits(payout_services._release_lease, payout, "worker-1", failure_message="Stripe did not answer (test)")
    assert "Stripe did not answer (test)" in client.get(url).content.decode()


def test_a_reversal_webhook_shows_on_the_run(client, program, finance, fake_stripe, settings, commits):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    membership = payable_artist(program, 5000, fake=fake_stripe)
    run = payout_services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    commits(factories.approve, run, by=factories.staff_user(program, "finance"))
    payout = Payout.objects.get(run=run, membership=membership)
    url = reverse("payments:payout_run", args=[program.slug, run.pk])
    client.force_login(finance)
    reversed_text = f"{format_money(2000, program.currency)} reversed"
    assert reversed_text not in client.get(url).content.decode()
    fake_stripe.reverse_transfer(payout.stripe_transfer_id, amount=2000)
    transfer = [t for t in fake_stripe.transfers() if t["id"] == payout.stripe_transfer_id][0]
    payload = json.dumps(make_event("transfer.reversed", transfer))
    response = commits(client.post, "/stripe/webhook/", data=payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign_webhook_payload(payload, "whsec_test_secret"))
    assert response.status_code == 200
    assert reversed_text in client.get(url).content.decode()


def test_every_event_of_a_program_refreshes_its_pages_and_others_refresh_all():
    scope = page_cache.program_scope(123456)
    before, site_before = figure_cache.generation(scope), figure_cache.generation(page_cache.SITE_SCOPE)
    events.publish({"name": "anything.at.all", "program_id": 123456, "actor_id": None, "target_type": "",
                    "target_id": None})
    assert figure_cache.generation(scope) != before
    assert figure_cache.generation(page_cache.SITE_SCOPE) == site_before
    events.publish({"name": "another.thing", "program_id": None, "actor_id": None, "target_type": "",
                    "target_id": None})
    assert figure_cache.generation(page_cache.SITE_SCOPE) != site_before


def test_every_registered_action_is_heard():
    from atelier.actions import REGISTRY

    assert REGISTRY and all(events.has_subscribers(name) for name in REGISTRY)


# --- viewers, and the live layout ----------------------------------------------------------------------------

def test_one_artist_never_sees_another_artists_page(client, program):
    first, second = member_with_terms(program), member_with_terms(program)
    RateCardFactory(program=program)
    ledger_entry(first, 1111)
    ledger_entry(second, 2222)
    for url in (reverse("payments:earnings_program", args=[program.slug]), reverse("payments:earnings")):
        client.force_login(first.artist.user)
        assert format_money(1111, program.currency) in client.get(url).content.decode()
        client.force_login(second.artist.user)
        page = client.get(url).content.decode()
        assert format_money(2222, program.currency) in page and format_money(1111, program.currency) not in page
    client.force_login(first.artist.user)
    assert first.artist.display_name in client.get(reverse("home")).content.decode()
    client.force_login(second.artist.user)
    page = client.get(reverse("home")).content.decode()
    assert second.artist.display_name in page and first.artist.display_name not in page


def test_staff_with_other_roles_see_their_own_page(client, program, finance, manager):
    url = reverse("payments:payout_runs", args=[program.slug])
    client.force_login(finance)
    assert 'name="period_start"' in client.get(url).content.decode()  # finance may create a run
    client.force_login(manager)
    assert 'name="period_start"' not in client.get(url).content.decode()


def test_flash_messages_still_show_on_a_cached_page(client, program):
    member = member_with_terms(program)
    RateCardFactory(program=program)
    client.force_login(member.artist.user)
    url = reverse("payments:earnings_program", args=[program.slug])
    client.get(url)
    # A statement asked with a bad period is refused with a message, back on the (cached) earnings page.
    response = client.get(reverse("payments:statement_csv", args=[program.slug]), {"start": "nonsense"},
                          follow=True)
    assert response.redirect_chain[-1][0].endswith(url)
    assert "Statement not made" in response.content.decode()
    assert "Statement not made" not in client.get(url).content.decode()


def test_the_page_follows_the_viewers_time_zone(client, program):
    member = member_with_terms(program)
    client.force_login(member.artist.user)
    url = reverse("home")
    with timezone.override("Pacific/Kiritimati"):
        key_east = page_cache._key(_request(client, url, member.artist.user), "home", [])
    with timezone.override("Pacific/Pago_Pago"):
        key_west = page_cache._key(_request(client, url, member.artist.user), "home", [])
    assert key_east != key_west


def _request(client, url, user):
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get(url)
    request.user = user
    request.session = SessionStore()
    return request


def test_a_viewer_who_lost_access_gets_a_404_not_the_cached_page(client, program, finance, manager, commits):
    from testers.actions.programs import RevokeStaffRole
    from testers.models import StaffRole

    url = reverse("payments:payout_runs", args=[program.slug])
    client.force_login(finance)
    assert client.get(url).status_code == 200
    commits(RevokeStaffRole(manager, StaffRole.objects.get(user=finance)).run)
    assert client.get(url).status_code == 404  # access is checked on every request, before the cache
