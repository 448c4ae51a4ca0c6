"""The program settings page: managers change deadlines, texts, the year-end threshold (as money), the terms notice
and the fair-pay floor through one audited action; nobody else reaches it."""
import pytest
from django.urls import reverse

from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from testers import actions
from testers.models import Program
from tests import factories

pytestmark = pytest.mark.django_db

VALID = {"review_sla_days": "4", "deadline_policy": "deemed_approved", "appeal_sla_days": "7",
         "watermark_text": "Lumen beta", "credit_text": "Shared with Lumen", "reporting_threshold": "750.50",
         "terms_notice_days": "21", "fair_pay_floor_hourly": "22.00"}


def url(program):
    return reverse("testers:staff_settings", args=[program.slug])


def test_manager_changes_every_setting_and_one_audit_entry_holds_before_and_after(client, program, manager):
    client.force_login(manager)
    page = client.get(url(program))
    assert page.status_code == 200 and 'name="reporting_threshold"' in page.content.decode()

    response = client.post(url(program), VALID)

    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.review_sla_days, program.deadline_policy, program.appeal_sla_days, program.watermark_text,
            program.credit_text, program.reporting_threshold_minor, program.terms_notice_days,
            program.fair_pay_floor_hourly_minor) == (4, "deemed_approved", 7, "Lumen beta", "Shared with Lumen",
                                                     75050, 21, 2200)
    entry = AuditLogEntry.objects.get(action="testers.program.settings_changed")
    assert entry.actor == manager and entry.program == program
    assert entry.data["before"]["review_sla_days"] == 5 and entry.data["after"]["review_sla_days"] == 4
    assert entry.data["after"]["reporting_threshold_minor"] == 75050
    assert entry.data["before"]["reporting_threshold_minor"] is None


def test_only_changed_fields_are_audited_and_an_unchanged_form_writes_nothing(client, program, manager):
    client.force_login(manager)
    initial = {"review_sla_days": "5", "deadline_policy": program.deadline_policy, "appeal_sla_days": "5",
               "watermark_text": program.watermark_text, "credit_text": "", "reporting_threshold": "",
               "terms_notice_days": str(program.terms_notice_days), "fair_pay_floor_hourly": ""}
    client.post(url(program), initial)
    assert not AuditLogEntry.objects.filter(action="testers.program.settings_changed").exists()
    client.post(url(program), {**initial, "appeal_sla_days": "3"})
    entry = AuditLogEntry.objects.get(action="testers.program.settings_changed")
    assert entry.data["before"] == {"appeal_sla_days": 5} and entry.data["after"] == {"appeal_sla_days": 3}


def test_threshold_is_typed_in_the_programs_currency(client, manager):
    program = manager.staff_roles.get().program
    Program.objects.filter(pk=program.pk).update(currency="JPY")
    client.force_login(manager)
    response = client.post(url(program), {**VALID, "reporting_threshold": "100000.5",
                                          "fair_pay_floor_hourly": "2000"})
    assert response.status_code == 200 and "no more than 0 decimal places" in response.content.decode()
    client.post(url(program), {**VALID, "reporting_threshold": "100000", "fair_pay_floor_hourly": "2000"})
    program.refresh_from_db()
    assert program.reporting_threshold_minor == 100000


@pytest.mark.parametrize("field,value", [("review_sla_days", "0"), ("appeal_sla_days", "61"),
                                         ("terms_notice_days", "366"), ("watermark_text", "x" * 81),
                                         ("reporting_threshold", "-1"), ("fair_pay_floor_hourly", "999999999")])
def test_out_of_bounds_values_are_refused_on_the_form(client, program, manager, field, value):
    client.force_login(manager)
    response = client.post(url(program), {**VALID, field: value})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert not AuditLogEntry.objects.filter(action="testers.program.settings_changed").exists()


def test_the_action_repeats_the_bounds_for_callers_without_a_form(program, manager):
    action = actions.ChangeProgramSettings(manager, program, review_sla_days=0)
    assert action.check() == "The review deadline is between 1 and 60 days."
    with pytest.raises(ActionRefused):
        action.run()
    with pytest.raises(TypeError):
        actions.ChangeProgramSettings(manager, program, currency="EUR").check()


@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_other_staff_and_artists_get_a_404(client, program, role, artist):
    client.force_login(factories.staff_user(program, role))
    assert client.get(url(program)).status_code == 404
    assert client.post(url(program), VALID).status_code == 404
    client.force_login(artist)
    assert client.get(url(program)).status_code == 404
    program.refresh_from_db()
    assert program.review_sla_days == 5


def test_manager_of_another_program_gets_a_404(client, program, other_program):
    client.force_login(factories.staff_user(other_program, "manager"))
    assert client.post(url(program), VALID).status_code == 404


def test_site_admin_may_change_settings(client, program, site_admin):
    client.force_login(site_admin)
    assert client.post(url(program), VALID).status_code == 302
    assert AuditLogEntry.objects.get(action="testers.program.settings_changed").actor == site_admin


def test_year_end_report_links_to_the_settings_page(client, program, manager):
    client.force_login(manager)
    html = client.get(reverse("payments:reports_year_end", args=[program.slug])).content.decode()
    assert url(program) in html and "in the admin" not in html

