"""The program's audit log page: labels from the registry, money formatted, managers only (with TOTP)."""
import pytest
from django.urls import reverse
from django.utils import timezone

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


# --- filters and pages (issue 15) ---------------------------------------------------------------------------------

def _log_page(client, program, **query):
    response = client.get(reverse("program_audit_log", args=[program.slug]), query)
    assert response.status_code == 200
    return response


def _targets(response):
    return [row["entry"].target_label for row in response.context["rows"]]


def test_audit_page_filters_by_actor_action_object_and_date(client, program, manager, artist_membership):
    import datetime

    other = factories.staff_user(program, "manager")
    audit.log(manager, "payments.ledger.adjusted", artist_membership, after={"amount_minor": 100})
    audit.log(other, "payments.ledger.adjusted", program, after={"amount_minor": 200})
    audit.log(None, "testers.program.created", program)
    client.force_login(manager)
    assert len(_log_page(client, program).context["rows"]) == 3
    by_actor = _log_page(client, program, actor=other.email.upper())
    assert [r["entry"].actor for r in by_actor.context["rows"]] == [other]
    assert _targets(_log_page(client, program, actor="system")) == [str(program)]
    by_action = _log_page(client, program, action="payments.ledger.adjusted")
    assert len(by_action.context["rows"]) == 2
    by_type = _log_page(client, program, object_type="testers.Membership")
    assert _targets(by_type) == [str(artist_membership)]
    by_id = _log_page(client, program, object_type="testers.Membership", object=f"#{artist_membership.pk}")
    assert _targets(by_id) == [str(artist_membership)]
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    assert len(_log_page(client, program, since=today.isoformat(), until=today.isoformat()).context["rows"]) == 3
    assert _log_page(client, program, since=(today + day).isoformat()).context["rows"] == []
    assert _log_page(client, program, until=(today - day).isoformat()).context["rows"] == []
    empty = _log_page(client, program, actor="nobody@example.invalid")
    assert "Nothing matches these filters." in empty.content.decode()


def test_audit_page_refuses_an_unknown_action_or_a_backwards_period_without_filtering(client, program, manager):
    audit.log(manager, "testers.program.created", program)
    client.force_login(manager)
    response = _log_page(client, program, action="not.a.name", since="2026-05-02", until="2026-05-01")
    form = response.context["form"]
    assert "action" in form.errors and "until" in form.errors
    assert len(response.context["rows"]) == 1  # an invalid filter narrows nothing


def test_audit_page_is_paginated_with_bounded_queries_and_keeps_its_filters(client, program, manager,
                                                                            artist_membership,
                                                                            django_assert_max_num_queries):
    for n in range(60):
        audit.log(manager, "payments.ledger.adjusted", artist_membership, after={"amount_minor": n})
    client.force_login(manager)
    _log_page(client, program)  # warm the session and caches
    with django_assert_max_num_queries(12):
        response = _log_page(client, program, action="payments.ledger.adjusted")
    page = response.context["page_obj"]
    assert page.paginator.count == 60 and len(page.object_list) == 25
    assert "action=payments.ledger.adjusted&amp;page=2" in response.content.decode()
    with django_assert_max_num_queries(12):
        second = _log_page(client, program, action="payments.ledger.adjusted", page=3)
    assert len(second.context["rows"]) == 10
