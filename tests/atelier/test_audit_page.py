"""The program's audit log page: labels from the registry, money formatted, managers only (with TOTP)."""
import pytest
from django.urls import reverse

from atelier import audit
from tests import factories

pytestmark = pytest.mark.django_db


def test_audit_page_shows_labels_and_money_never_raw_minor_units(client, program, manager, artist_membership):
    audit.log(manager, "payments.ledger.adjusted", artist_membership,
              after={"amount_minor": 123456, "reason": "Missed hours in March"})
    client.force_login(manager)
    response = client.get(reverse("program_audit_log", args=[program.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    from atelier.actions import label_for

    label = label_for("payments.ledger.adjusted")
    from django.utils.html import escape

    assert escape(label[0].upper() + label[1:]) in page
    assert "$1,234.56" in page
    assert "123456" not in page
    assert "Missed hours in March" in page


def test_audit_page_is_for_managers_of_the_program(client, program, other_program, reviewer, finance, artist):
    other_manager = factories.staff_user(other_program, "manager")
    url = reverse("program_audit_log", args=[program.slug])
    for person in (reviewer, finance, artist, other_manager):
        client.force_login(person)
        assert client.get(url).status_code == 404, person


def test_audit_page_sends_a_manager_without_totp_to_set_it_up(client, program):
    manager = factories.staff_user(program, "manager", totp=False)
    client.force_login(manager)
    response = client.get(reverse("program_audit_log", args=[program.slug]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_admin_shows_an_entry_in_words_with_money_formatted(client, site_admin, manager, artist_membership):
    entry = audit.log(manager, "payments.ledger.adjusted", artist_membership,
                      before={"balance_minor": 1000}, after={"balance_minor": 123456}, reason="Missed hours")
    client.force_login(site_admin)
    page = client.get(reverse("admin:atelier_auditlogentry_change", args=[entry.pk])).content.decode()
    assert "$10.00 → $1,234.56" in page
    assert "123456" not in page
    assert "Missed hours" in page
