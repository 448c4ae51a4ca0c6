"""Scheduled rate card versions: changed or deleted before they take effect (audited); a version in force or past
is refused with a sentence. And the program's own fair-pay floor, used when the version in force sets none."""
import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from payments import actions
from payments.models import RateCard
from payments.reports.selectors import Filters, Period, fair_pay
from testers.models import Program
from tests import factories
from tests.payments.factories import RateCardFactory, ledger_entry

pytestmark = pytest.mark.django_db

AMOUNTS = {f: "1" for f in ("feedback_bug_low", "feedback_bug_medium", "feedback_bug_high", "feedback_bug_critical",
                            "feedback_feature", "feedback_quality", "feedback_general", "monthly_stipend",
                            "minimum_payout")}


def today():
    return timezone.localdate()


@pytest.fixture
def cards(program):
    in_force = RateCardFactory(program=program, version=1, effective_date=datetime.date(2020, 1, 1))
    scheduled = RateCardFactory(program=program, version=2, effective_date=today() + timedelta(days=10),
                                hourly_rate_minor=3500)
    return in_force, scheduled


def form(day, hourly="40", **extra):
    return {"effective_date": day.isoformat(), "hourly_rate": hourly, **AMOUNTS, "fair_pay_floor_hourly": "",
            "notes": "Raise.", **extra}


def test_list_shows_change_and_delete_on_the_scheduled_version_only(client, program, manager, cards):
    in_force, scheduled = cards
    client.force_login(manager)
    html = client.get(reverse("payments:ratecard_list", args=[program.slug])).content.decode()
    assert reverse("payments:ratecard_edit", args=[program.slug, scheduled.pk]) in html
    assert reverse("payments:ratecard_delete", args=[program.slug, scheduled.pk]) in html
    assert reverse("payments:ratecard_edit", args=[program.slug, in_force.pk]) not in html
    assert reverse("payments:ratecard_delete", args=[program.slug, in_force.pk]) not in html


def test_manager_changes_a_scheduled_version_and_the_audit_entry_holds_what_changed(client, program, manager, cards):
    _, scheduled = cards
    client.force_login(manager)
    edit = reverse("payments:ratecard_edit", args=[program.slug, scheduled.pk])
    assert client.get(edit).status_code == 200
    new_day = today() + timedelta(days=20)

    response = client.post(edit, form(new_day))

    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert (scheduled.effective_date, scheduled.hourly_rate_minor, scheduled.version) == (new_day, 4000, 2)
    entry = AuditLogEntry.objects.get(action="payments.ratecard.updated")
    assert entry.actor == manager and entry.program == program
    assert entry.data["before"]["hourly_rate_minor"] == 3500 and entry.data["after"]["hourly_rate_minor"] == 4000
    assert entry.data["after"]["effective_date"] == new_day.isoformat()


def test_change_follows_the_rules_of_a_new_version(client, program, manager, cards):
    in_force, scheduled = cards
    RateCardFactory(program=program, version=3, effective_date=today() + timedelta(days=30))
    client.force_login(manager)
    edit = reverse("payments:ratecard_edit", args=[program.slug, scheduled.pk])
    taken = client.post(edit, form(today() + timedelta(days=30)))
    assert "A version already takes effect on that date" in taken.content.decode()
    backdated = client.post(edit, form(today() - timedelta(days=1)))
    assert "must take effect today or later" in backdated.content.decode()
    scheduled.refresh_from_db()
    assert scheduled.effective_date == today() + timedelta(days=10)
    assert not AuditLogEntry.objects.filter(action="payments.ratecard.updated").exists()


def test_a_version_in_force_or_past_is_refused_with_a_sentence(client, program, manager, cards):
    in_force, _ = cards
    client.force_login(manager)
    for name in ("payments:ratecard_edit", "payments:ratecard_delete"):
        response = client.post(reverse(name, args=[program.slug, in_force.pk]), form(today() + timedelta(days=40)),
                               follow=True)
        assert "took effect on 1 Jan 2020: it can no longer be changed" in response.content.decode()
    in_force.refresh_from_db()
    assert in_force.hourly_rate_minor == 3000
    refusal = actions.DeleteRateCard(manager, in_force).check()
    assert refusal.kind == "state"
    with pytest.raises(ActionRefused):
        actions.DeleteRateCard(manager, in_force).run()
    assert not AuditLogEntry.objects.filter(action__in=["payments.ratecard.updated",
                                                        "payments.ratecard.deleted"]).exists()


def test_a_version_taking_effect_today_is_in_force(program, manager):
    card = RateCardFactory(program=program, version=1, effective_date=today())
    assert actions.UpdateRateCard(manager, card).check().kind == "state"


def test_manager_deletes_a_scheduled_version_and_the_audit_entry_keeps_it(client, program, manager, cards):
    _, scheduled = cards
    client.force_login(manager)
    response = client.post(reverse("payments:ratecard_delete", args=[program.slug, scheduled.pk]))
    assert response.status_code == 302
    assert not RateCard.objects.filter(pk=scheduled.pk).exists()
    entry = AuditLogEntry.objects.get(action="payments.ratecard.deleted")
    assert entry.program == program and entry.data["before"]["version"] == 2
    assert entry.data["before"]["hourly_rate_minor"] == 3500


def test_a_scheduled_version_that_priced_work_stays(program, manager, cards, artist_membership):
    _, scheduled = cards
    ledger_entry(artist_membership, 500, kind="time", rate_card=scheduled)
    assert actions.DeleteRateCard(manager, scheduled).check() == "Version 2 already priced work, so it stays as it is."


@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_other_staff_cannot_change_or_delete(client, program, cards, role):
    _, scheduled = cards
    client.force_login(factories.staff_user(program, role))
    assert client.get(reverse("payments:ratecard_edit", args=[program.slug, scheduled.pk])).status_code == 404
    assert client.post(reverse("payments:ratecard_delete", args=[program.slug, scheduled.pk])).status_code == 404
    assert RateCard.objects.filter(pk=scheduled.pk).exists()


def test_artist_and_other_programs_manager_get_a_404(client, program, other_program, cards, artist):
    _, scheduled = cards
    for user in (artist, factories.staff_user(other_program, "manager")):
        client.force_login(user)
        assert client.post(reverse("payments:ratecard_delete", args=[program.slug, scheduled.pk])).status_code == 404
    assert RateCard.objects.filter(pk=scheduled.pk).exists()


def test_program_floor_applies_when_the_rate_card_in_force_sets_none(program):
    RateCardFactory(program=program, fair_pay_floor_hourly_minor=None)
    Program.objects.filter(pk=program.pk).update(fair_pay_floor_hourly_minor=1800)
    program.refresh_from_db()
    result = fair_pay(program, Filters(Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))))
    assert (result.floor_minor, result.floor_source) == (1800, "program")


def test_the_rate_cards_own_floor_wins(program):
    RateCardFactory(program=program, fair_pay_floor_hourly_minor=2500)
    Program.objects.filter(pk=program.pk).update(fair_pay_floor_hourly_minor=1800)
    program.refresh_from_db()
    result = fair_pay(program, Filters(Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))))
    assert (result.floor_minor, result.floor_source) == (2500, "rate_card")
