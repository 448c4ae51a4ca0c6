"""Issue 16, point 1: a rate card's bonus when feedback ships. One ledger line per item, naming the rate card
version and the feedback, whatever is retried or raced (PostgreSQL); the artist's page shows what it earned."""
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from payments.actions import CreditShippedBonus
from payments.models import LedgerEntry, RateCard
from payments.reports import selectors as report_selectors
from payments.reports.selectors import Filters, Period
from payments.services import ledger
from testers import actions as testers_actions
from testers.models import Feedback
from testers.signals import feedback_shipped
from tests import factories
from tests.payments.factories import RateCardFactory, ledger_entry

pytestmark = pytest.mark.django_db
D = datetime.date


def accepted(membership, **fields):
    return factories.FeedbackFactory(membership=membership, status=Feedback.Status.ACCEPTED,
                                     accepted_at=timezone.now(), **fields)


def ship(manager, feedback, build="2.4.0 (build 812)", message=""):
    return testers_actions.ShipFeedback(manager, feedback, build=build, message=message).run()


def bonus_lines(feedback):
    return LedgerEntry.objects.filter(feedback=feedback, kind=LedgerEntry.Kind.BONUS)


def test_shipping_records_one_bonus_line_naming_the_rate_card_version_the_feedback_and_the_build(
        artist_membership, manager):
    program = artist_membership.program
    RateCardFactory(program=program, version=1, effective_date=D(2020, 1, 1), feedback_shipped_bonus_minor=1000)
    in_force = RateCardFactory(program=program, version=2, effective_date=D(2021, 1, 1),
                               feedback_shipped_bonus_minor=2500)
    RateCardFactory(program=program, version=3, effective_date=timezone.localdate() + datetime.timedelta(days=30),
                    feedback_shipped_bonus_minor=9900)  # scheduled: not in force yet
    feedback = accepted(artist_membership, title="Hands look wrong")
    ship(manager, feedback)
    feedback.refresh_from_db()
    assert feedback.status == "shipped" and feedback.shipped_in == "2.4.0 (build 812)"
    assert feedback.shipped_by == manager and feedback.shipped_at is not None
    [line] = bonus_lines(feedback)
    assert (line.amount_minor, line.rate_card, line.feedback, line.membership) == (2500, in_force, feedback,
                                                                                  artist_membership)
    assert line.source_key == f"feedback-shipped:{feedback.pk}"
    assert line.work_date == timezone.localdate(feedback.shipped_at)
    assert line.description == "Shipped in 2.4.0 (build 812): Hands look wrong"
    audit = AuditLogEntry.objects.get(action="payments.ledger.bonus_credited")
    assert audit.data["after"]["amount_minor"] == 2500 and audit.data["after"]["rate_card_version"] == 2


def test_marking_shipped_twice_is_refused_and_pays_once(artist_membership, manager):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    ship(manager, feedback, build="2.4.0")
    with pytest.raises(ActionRefused, match="already shipped in 2.4.0"):
        ship(manager, feedback, build="2.5.0")
    feedback.refresh_from_db()
    assert feedback.shipped_in == "2.4.0"
    assert bonus_lines(feedback).count() == 1


def test_a_repeated_signal_or_retried_credit_records_nothing_more(artist_membership, manager):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    ship(manager, feedback)
    feedback.refresh_from_db()
    feedback_shipped.send(sender=Feedback, feedback=feedback, by=manager)
    again = CreditShippedBonus(SYSTEM, artist_membership, feedback=feedback).run()
    assert again == bonus_lines(feedback).get()
    assert bonus_lines(feedback).count() == 1
    assert LedgerEntry.objects.filter(membership=artist_membership).count() == 1


def test_the_database_refuses_a_second_bonus_line_for_the_same_item_whatever_its_key(artist_membership, manager):
    card = RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    ship(manager, feedback)
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_entry(artist_membership, 2500, kind=LedgerEntry.Kind.BONUS, feedback=feedback, rate_card=card,
                     source_key="feedback-shipped:other")
    with pytest.raises(IntegrityError), transaction.atomic():  # a bonus names its feedback and rate card
        ledger_entry(artist_membership, 2500, kind=LedgerEntry.Kind.BONUS, source_key="bonus:orphan")
    assert bonus_lines(feedback).count() == 1


def test_no_bonus_on_the_card_records_no_line_but_the_item_ships(artist_membership, manager):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=0)
    feedback = accepted(artist_membership)
    ship(manager, feedback)
    feedback.refresh_from_db()
    assert feedback.status == "shipped"
    assert not bonus_lines(feedback).exists()
    assert AuditLogEntry.objects.get(action="payments.ledger.bonus_credited").data["credited"] is False


def test_no_rate_card_in_force_leaves_the_bonus_unpriced_and_says_so(artist_membership, manager):
    feedback = accepted(artist_membership)
    ship(manager, feedback)
    assert not bonus_lines(feedback).exists()
    assert AuditLogEntry.objects.filter(action="payments.ledger.unpriced").exists()


@pytest.mark.parametrize("build, message", [
    ("", "Name the build or release the item shipped in."),
    ("   ", "Name the build or release the item shipped in."),
    ("x" * 201, "The build is at most 200 characters: shorten it."),
])
def test_a_missing_or_too_long_build_is_refused_and_changes_nothing(artist_membership, manager, build, message):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    with pytest.raises(ActionRefused, match=message):
        ship(manager, feedback, build=build)
    feedback.refresh_from_db()
    assert feedback.status == "accepted" and feedback.shipped_in == "" and feedback.shipped_at is None
    assert not LedgerEntry.objects.exists()
    assert not AuditLogEntry.objects.filter(action__in=["testers.feedback.shipped",
                                                        "payments.ledger.bonus_credited"]).exists()


def test_the_triage_form_asks_for_the_build_and_a_bad_one_is_a_message_not_a_500(client, artist_membership,
                                                                                 manager):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    client.force_login(manager)
    url = reverse("testers:staff_feedback_detail", args=[artist_membership.program.slug, feedback.pk])
    assert "Shipped in (build or release)" in client.get(url).content.decode()
    for shipped_in in ("", "y" * 500):
        response = client.post(url, {"action": "triage", "to_status": "shipped", "shipped_in": shipped_in})
        assert response.status_code == 200
    feedback.refresh_from_db()
    assert feedback.status == "accepted" and not LedgerEntry.objects.exists()
    response = client.post(url, {"action": "triage", "to_status": "shipped", "shipped_in": "2.4.0"})
    assert response.status_code == 302
    assert bonus_lines(feedback).get().amount_minor == 2500


def test_a_rolled_back_shipping_leaves_no_bonus(artist_membership, manager):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    with pytest.raises(RuntimeError), transaction.atomic():
        ship(manager, feedback)
        raise RuntimeError("the request failed after the action")
    assert not LedgerEntry.objects.exists()
    feedback.refresh_from_db()
    assert feedback.status == "accepted"


@pytest.mark.django_db(transaction=True)
def test_two_managers_shipping_the_same_item_at_once_pay_one_bonus(race):
    program = factories.ProgramFactory()
    RateCardFactory(program=program, feedback_shipped_bonus_minor=2500)
    membership = factories.MembershipFactory(program=program)
    feedback = accepted(membership)
    managers = [factories.staff_user(program, "manager") for _ in range(2)]
    results = race(*[lambda user=user, build=build: ship(user, Feedback.objects.get(pk=feedback.pk), build=build)
                     for user, build in zip(managers, ("2.4.0", "2.4.1"))])
    refused = [r for r in results if isinstance(r, ActionRefused)]
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ActionRefused)], results
    assert len(refused) == 1 and "already shipped" in str(refused[0])
    assert bonus_lines(feedback).count() == 1
    assert AuditLogEntry.objects.filter(action="testers.feedback.shipped").count() == 1


@pytest.mark.django_db(transaction=True)
def test_workers_racing_to_credit_the_same_bonus_make_exactly_one_row(race):
    program = factories.ProgramFactory()
    RateCardFactory(program=program, feedback_shipped_bonus_minor=2500)
    membership = factories.MembershipFactory(program=program)
    feedback = factories.FeedbackFactory(membership=membership, status=Feedback.Status.SHIPPED,
                                         accepted_at=timezone.now(), shipped_at=timezone.now(), shipped_in="2.4.0")

    def worker():
        with transaction.atomic():
            entry, created = ledger.record_shipped_bonus(Feedback.objects.get(pk=feedback.pk))
            return entry.pk, created

    results = race(*[worker] * 4)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]  # one of them wrote it
    assert bonus_lines(feedback).count() == 1


def test_the_artist_sees_what_shipped_in_which_build_and_what_each_line_earned(client, artist_membership, manager):
    card = RateCardFactory(program=artist_membership.program, feedback_general_minor=300,
                           feedback_shipped_bonus_minor=2500)
    feedback = factories.FeedbackFactory(membership=artist_membership, kind="general", title="Faces melt")
    testers_actions.AcceptFeedback(manager, feedback).run()
    ship(manager, Feedback.objects.get(pk=feedback.pk), build="2.4.0")
    client.force_login(artist_membership.artist.user)
    html = client.get(reverse("testers:feedback_detail", args=[feedback.pk])).content.decode()
    assert "What it earned" in html and "<strong>2.4.0</strong>" in html
    assert "Accepted feedback" in html and "$3.00" in html
    assert "Shipped feedback bonus" in html and "$25.00" in html
    assert f"version {card.version}" in html
    # The earnings page lists the bonus line too.
    earnings = client.get(reverse("payments:earnings_program", args=[artist_membership.program.slug]))
    assert "Shipped in 2.4.0: Faces melt" in earnings.content.decode()


def test_another_artist_cannot_see_the_item_or_what_it_earned(client, artist_membership, manager):
    RateCardFactory(program=artist_membership.program, feedback_shipped_bonus_minor=2500)
    feedback = accepted(artist_membership)
    ship(manager, feedback)
    other = factories.MembershipFactory(program=artist_membership.program)
    client.force_login(other.artist.user)
    assert client.get(reverse("testers:feedback_detail", args=[feedback.pk])).status_code == 404


# --- the rate card carries the bonus ---------------------------------------------------------------------------

def _card_form(**overrides):
    data = {"effective_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            "hourly_rate": "30", "feedback_bug_low": "5", "feedback_bug_medium": "10", "feedback_bug_high": "25",
            "feedback_bug_critical": "50", "feedback_feature": "8", "feedback_quality": "6", "feedback_general": "3",
            "monthly_stipend": "0", "minimum_payout": "20", "notes": ""}
    data.update(overrides)
    return data


def test_a_manager_sets_the_bonus_on_a_new_version_and_empty_means_none(client, program, manager):
    RateCardFactory(program=program, version=1)
    client.force_login(manager)
    url = reverse("payments:ratecard_create", args=[program.slug])
    assert "Bonus when accepted feedback ships" in client.get(url).content.decode()
    assert client.post(url, _card_form(feedback_shipped_bonus="12.50")).status_code == 302
    card = RateCard.objects.get(program=program, version=2)
    assert card.feedback_shipped_bonus_minor == 1250
    audit = AuditLogEntry.objects.get(action="payments.ratecard.created")
    assert audit.data["after"]["feedback_shipped_bonus_minor"] == 1250
    later = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    assert client.post(url, _card_form(effective_date=later)).status_code == 302
    assert RateCard.objects.get(program=program, version=3).feedback_shipped_bonus_minor == 0
    assert "Bonus when accepted feedback ships" in client.get(
        reverse("payments:ratecard_list", args=[program.slug])).content.decode()


@pytest.mark.parametrize("bonus", ["-1", "abc", "1e400", "99999999999"])
def test_a_bad_bonus_is_refused_on_the_form_and_nothing_is_written(client, program, manager, bonus):
    RateCardFactory(program=program, version=1)
    client.force_login(manager)
    response = client.post(reverse("payments:ratecard_create", args=[program.slug]),
                           _card_form(feedback_shipped_bonus=bonus))
    assert response.status_code == 200
    assert RateCard.objects.filter(program=program).count() == 1
    assert not AuditLogEntry.objects.filter(action="payments.ratecard.created").exists()


def test_the_reports_count_the_bonus_with_feedback_in_earnings(artist_membership, manager):
    RateCardFactory(program=artist_membership.program, feedback_general_minor=300, feedback_shipped_bonus_minor=2500)
    feedback = factories.FeedbackFactory(membership=artist_membership, kind="general")
    testers_actions.AcceptFeedback(manager, feedback).run()
    ship(manager, Feedback.objects.get(pk=feedback.pk))
    today = timezone.localdate()
    filters = Filters(period=Period(today.replace(day=1), today))
    row = report_selectors.earnings_by_artist(artist_membership.program, filters).get(pk=artist_membership.pk)
    assert (row.feedback_minor, row.earned_minor) == (2800, 2800)
    totals = report_selectors.earnings_totals(artist_membership.program, filters)
    assert (totals["feedback_minor"], totals["earned_minor"], totals["feedback_items"]) == (2800, 2800, 1)
