"""Absurd values are refused with a clear message before anything is written: amounts beyond the column or the
program's maximum, dates far from today, text past its length."""
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from atelier.errors import DomainError
from payments import actions as payment_actions
from payments.models import LedgerEntry, PayoutRun, RateCard
from testers.models import Feedback, TermsVersion, TimeLog
from testers.services import terms as terms_services
from tests import factories

pytestmark = [pytest.mark.django_db]

RATE_ZEROES = {f: "0" for f in ("feedback_bug_low", "feedback_bug_medium", "feedback_bug_high", "feedback_bug_critical",
                                "feedback_feature", "feedback_quality", "feedback_general", "monthly_stipend",
                                "minimum_payout")}


def _rate_card(client, program, **data):
    return client.post(reverse("payments:ratecard_create", args=[program.slug]), {
        "effective_date": timezone.localdate().isoformat(), "hourly_rate": "10", **RATE_ZEROES, **data})


def test_a_rate_card_amount_beyond_the_column_is_refused_on_the_form(client, manager, program):
    client.force_login(manager)
    response = _rate_card(client, program, hourly_rate="999999999999.99")
    assert response.status_code == 200
    assert "Enter an amount of at most" in response.content.decode()
    assert not RateCard.objects.exists()


def test_a_rate_card_amount_above_the_programs_maximum_is_refused(client, manager, program):
    program.max_amount_minor = 100_000
    program.save()
    client.force_login(manager)
    response = _rate_card(client, program, hourly_rate="1000.01")
    assert response.status_code == 200
    assert "above this program&#x27;s maximum single amount" in response.content.decode()
    assert not RateCard.objects.exists()


def test_a_rate_card_effective_in_9999_is_refused(client, manager, program):
    client.force_login(manager)
    response = _rate_card(client, program, effective_date="9999-01-01")
    assert response.status_code == 200 and "Choose a date between" in response.content.decode()
    assert not RateCard.objects.exists()


@pytest.mark.parametrize("amount", ["999999999999.99", "-999999999999.99", "50000.01", "-50000.01"])
def test_an_adjustment_beyond_the_programs_maximum_is_refused(client, finance, artist_membership, amount):
    client.force_login(finance)
    url = reverse("payments:ledger_adjust", args=[artist_membership.program.slug, artist_membership.pk])
    response = client.post(url, {"amount": amount, "reason": "Typo", "token": "7d9c8a55-5ad6-4a55-9a3c-1f0b0c0d0e0f"})
    assert response.status_code == 200
    assert "at most" in response.content.decode() or "maximum single amount" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_an_adjustment_reason_of_a_megabyte_is_refused_by_the_action_too(finance, artist_membership):
    with pytest.raises(DomainError, match="at most 2,000 characters"):
        payment_actions.AdjustLedger(finance, artist_membership, amount_minor=100, reason="x" * 1_000_000).run()
    assert not LedgerEntry.objects.exists()


def test_the_database_refuses_a_reason_past_its_length(artist_membership):
    from tests.payments.report_factories import adjustment_entry
    with pytest.raises(IntegrityError), transaction.atomic():
        adjustment_entry(artist_membership, date(2026, 1, 1), 100, reason="x" * 2_001)


def test_a_payout_run_for_the_year_1_is_refused(client, finance, program):
    client.force_login(finance)
    response = client.post(reverse("payments:payout_runs", args=[program.slug]),
                           {"period_start": "0001-01-01", "period_end": "0001-01-31"})
    assert response.status_code in (200, 302)
    assert not PayoutRun.objects.exists()


def test_a_time_log_dated_0001_is_refused(client, artist_membership):
    factories.accept_terms(artist_membership, factories.TermsVersionFactory(program=artist_membership.program))
    client.force_login(artist_membership.artist.user)
    response = client.post(reverse("testers:timelog_list"), {
        "membership": artist_membership.pk, "date": "0001-01-01", "hours": 1, "extra_minutes": 0,
        "description": "x"})
    assert response.status_code == 200 and "Choose a date between" in response.content.decode()
    assert not TimeLog.objects.exists()


@pytest.mark.parametrize("length, status", [(2_001, 200), (1_000_000, 413)])
def test_a_long_time_log_description_is_refused(client, artist_membership, length, status):
    factories.accept_terms(artist_membership, factories.TermsVersionFactory(program=artist_membership.program))
    client.force_login(artist_membership.artist.user)
    response = client.post(reverse("testers:timelog_list"), {
        "membership": artist_membership.pk, "date": timezone.localdate().isoformat(), "hours": 1,
        "extra_minutes": 0, "description": "x" * length})
    assert response.status_code == status
    if status == 200:
        assert "at most 2000 characters" in response.content.decode()
    assert not TimeLog.objects.exists()


@pytest.mark.parametrize("length, status", [(10_001, 200), (1_000_000, 400)])
def test_a_long_feedback_body_is_refused(client, artist_membership, length, status):
    # A megabyte passes the feedback page's body limit (it takes images) but not the 1 MB limit of a text field.
    factories.accept_terms(artist_membership, factories.TermsVersionFactory(program=artist_membership.program))
    client.force_login(artist_membership.artist.user)
    response = client.post(reverse("testers:feedback_create"), {
        "membership": artist_membership.pk, "kind": "feature", "title": "t", "body": "x" * length})
    assert response.status_code == status
    if status == 200:
        assert "at most 10000 characters" in response.content.decode()
    assert not Feedback.objects.exists()


def test_terms_effective_9999_12_31_are_refused(program, manager):
    draft = terms_services.draft_new_version(program=program, by=manager)
    terms_services.add_clause(version=draft, klass="free_to_share", title="Say you take part", text="Yes.",
                              by=manager)
    with pytest.raises(DomainError, match="at most a year ahead"):
        terms_services.publish_terms(version=draft, effective_date=date(9999, 12, 31), by=manager)
    draft.refresh_from_db()
    assert draft.status == TermsVersion.Status.DRAFT
    terms_services.publish_terms(version=draft, effective_date=timezone.localdate() + timedelta(days=300),
                                 by=manager)


def test_a_text_over_its_length_from_outside_a_form_is_refused_in_words(manager, program):
    """A write that skips the forms (a task, a command, the admin) meets the database's CHECK, told as a sentence."""
    draft = terms_services.draft_new_version(program=program, by=manager)
    with pytest.raises(DomainError, match="text is at most 10,000 characters"):
        terms_services.add_clause(version=draft, klass="free_to_share", title="Long", text="x" * 10_001, by=manager)
