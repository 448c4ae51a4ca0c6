"""Terms: drafts copy the last version, diffs by clause key, publishing freezes, acceptance, re-acceptance."""
from datetime import timedelta

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.urls import reverse
from django.utils import timezone

from atelier.errors import DomainError
from testers import selectors
from testers.models import Clause, TermsAcceptance, TermsVersion
from testers.services import terms as services
from tests import factories

pytestmark = pytest.mark.django_db


def test_draft_copies_the_clauses_of_the_last_version(program, terms, manager):
    draft = services.draft_new_version(program=program, by=manager)
    assert draft.number == 2 and draft.status == TermsVersion.Status.DRAFT
    assert [(c.key, c.klass, c.text) for c in draft.clauses.all()] == [
        (c.key, c.klass, c.text) for c in terms.clauses.all()]
    with pytest.raises(DomainError, match="already a draft"):
        services.draft_new_version(program=program, by=manager)


def test_diff_shows_added_removed_and_changed_clauses_by_key(program, terms, manager):
    draft = services.draft_new_version(program=program, by=manager)
    outputs = draft.clauses.get(key="outputs")
    services.update_clause(clause=outputs, text="Outputs may be shared after a short review.", by=manager)
    services.remove_clause(clause=draft.clauses.get(key="participation"), by=manager)
    services.add_clause(version=draft, klass=Clause.Klass.CONFIDENTIAL, title="Bugs and crashes",
                        text="Do not post crash screens.", by=manager)
    changes = {c.key: c for c in services.diff_versions(terms, draft)}
    assert changes["secret-features"].kind == "unchanged"
    assert changes["outputs"].kind == "changed" and "Text" in changes["outputs"].fields
    assert '<ins class="diff-added">' in changes["outputs"].fields["Text"]
    assert changes["participation"].kind == "removed"
    assert changes["bugs-and-crashes"].kind == "added"


def test_diff_escapes_clause_text():
    html = services.text_diff("a <b>", "a <script>alert(1)</script>")
    assert "<script>" not in html and "<b>" not in html and "&lt;" in html and "&gt;" in html


def test_manager_sees_the_diff_page(client, program, terms, manager):
    draft = services.draft_new_version(program=program, by=manager)
    services.update_clause(clause=draft.clauses.get(key="outputs"), title="Your outputs, reviewed", by=manager)
    client.force_login(manager)
    html = client.get(reverse("testers:staff_terms_version", args=[program.slug, draft.number])).content.decode()
    assert "Changes from version 1" in html and "diff-added" in html and "reviewed" in html


def test_publishing_hashes_the_text_and_freezes_the_version(program, terms, manager):
    draft = services.draft_new_version(program=program, by=manager)
    services.publish_terms(version=draft, effective_date=timezone.localdate(), by=manager)
    draft.refresh_from_db()
    assert draft.is_published and draft.text_hash == draft.compute_hash() and draft.published_by == manager
    clause = draft.clauses.first()
    for attempt in (
        lambda: services.update_clause(clause=clause, text="changed", by=manager),
        lambda: services.remove_clause(clause=clause, by=manager),
        lambda: services.add_clause(version=draft, klass="confidential", title="x", text="y", by=manager),
        lambda: services.publish_terms(version=draft, effective_date=timezone.localdate(), by=manager),
    ):
        with pytest.raises(DomainError, match="never change"):
            attempt()
    clause.refresh_from_db()
    assert clause.text != "changed"


def test_publishing_needs_clauses_and_a_date_not_in_the_past(program, manager):
    draft = services.draft_new_version(program=program, by=manager)
    with pytest.raises(DomainError, match="at least one clause"):
        services.publish_terms(version=draft, effective_date=timezone.localdate(), by=manager)
    services.add_clause(version=draft, klass="free_to_share", title="Say you take part", text="Yes.", by=manager)
    with pytest.raises(DomainError, match="past"):
        services.publish_terms(version=draft, effective_date=timezone.localdate() - timedelta(days=1), by=manager)


def test_admin_cannot_change_add_or_delete_terms_or_clauses(client, site_admin, terms, manager):
    """Terms change only through the staff pages' actions: the admin is read-only for versions and clauses,
    drafts included."""
    from testers.services.terms import draft_new_version

    draft = draft_new_version(program=terms.program, by=manager)
    client.force_login(site_admin)
    for version in (terms, draft):
        clause = version.clauses.first()
        response = client.post(reverse("admin:testers_clause_change", args=[clause.pk]),
                               {"terms_version": version.pk, "position": 1, "key": clause.key, "klass": clause.klass,
                                "title": "Hacked", "text": "Hacked", "examples": ""})
        assert response.status_code == 403
        assert client.post(reverse("admin:testers_clause_delete", args=[clause.pk]), {"post": "yes"}).status_code == 403
        page = client.get(reverse("admin:testers_termsversion_change", args=[version.pk])).content.decode()
        assert 'name="clauses-0-text"' not in page and 'name="_save"' not in page
        assert client.post(reverse("admin:testers_termsversion_change", args=[version.pk]),
                           {"summary": "Hacked"}).status_code == 403
    response = client.post(reverse("admin:testers_clause_add"),
                           {"terms_version": draft.pk, "position": 9, "key": "new", "klass": "confidential",
                            "title": "New", "text": "New", "examples": ""})
    assert response.status_code == 403
    assert client.get(reverse("admin:testers_termsversion_add")).status_code == 403
    assert terms.clauses.count() == 3 and draft.clauses.count() == 3
    assert not Clause.objects.filter(title="Hacked").exists()


def test_acceptance_stores_version_hash_time_and_address(client, participant, program, manager):
    membership = factories.MembershipFactory(program=program)
    version = selectors.current_terms(program)
    client.force_login(membership.artist.user)
    response = client.post(reverse("testers:terms", args=[program.slug]),
                           {"version": version.pk, "agree": "yes"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    acceptance = TermsAcceptance.objects.get(membership=membership)
    assert acceptance.terms_version == version and acceptance.text_hash == version.text_hash
    assert acceptance.ip_address == "203.0.113.9"
    assert abs(acceptance.accepted_at - timezone.now()) < timedelta(minutes=1)


def test_accepting_without_ticking_the_box_records_nothing(client, artist_membership, terms, program):
    client.force_login(artist_membership.artist.user)
    client.post(reverse("testers:terms", args=[program.slug]), {"version": terms.pk})
    assert not TermsAcceptance.objects.exists()


def test_acceptances_are_append_only_in_python_and_in_the_database(participant):
    acceptance = TermsAcceptance.objects.get(membership=participant)
    for attempt in (lambda: TermsAcceptance.objects.filter(pk=acceptance.pk).update(ip_address="10.0.0.1"),
                    lambda: TermsAcceptance.objects.filter(pk=acceptance.pk).delete(),
                    acceptance.delete, acceptance.save):
        with pytest.raises(PermissionError, match="append-only"):
            attempt()
    from django.db import connection

    for sql in ("UPDATE testers_termsacceptance SET ip_address = '10.0.0.1' WHERE id = %s",
                "DELETE FROM testers_termsacceptance WHERE id = %s"):
        with pytest.raises((InternalError, ProgrammingError, IntegrityError)):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [acceptance.pk])
    acceptance.refresh_from_db()
    assert acceptance.ip_address == "127.0.0.1"


def test_artist_must_accept_before_feedback_or_time(client, artist_membership, terms):
    client.force_login(artist_membership.artist.user)
    html = client.get(reverse("testers:feedback_create")).content.decode()
    assert "accept the program&#x27;s current terms" in html or "accept the program's current terms" in html
    response = client.post(reverse("testers:timelog_list"), {"date": timezone.localdate(), "hours": 1,
                                                              "extra_minutes": 0, "description": "x"})
    assert response.status_code == 302
    assert not artist_membership.time_logs.exists()


def test_new_version_asks_for_acceptance_again_and_shows_what_changed(client, program, participant, manager):
    draft = services.draft_new_version(program=program, by=manager)
    services.update_clause(clause=draft.clauses.get(key="outputs"), klass=Clause.Klass.CONFIDENTIAL, by=manager)
    services.publish_terms(version=draft, effective_date=timezone.localdate(), by=manager)
    assert not selectors.has_accepted_current(participant)
    client.force_login(participant.artist.user)
    home = client.get(reverse("home")).content.decode()
    assert "Version 2 of the terms is waiting for you" in home
    page = client.get(reverse("testers:terms", args=[program.slug])).content.decode()
    assert "What changed since version 1" in page and "diff-added" in page and "Confidential" in page
    # Until they accept, they still see what they had.
    assert client.get(reverse("testers:feedback_list")).status_code == 200
    share = client.get(reverse("testers:what_can_i_share")).content.decode()
    assert "terms version 1" in share and "replaces the one you accepted" in share
    client.post(reverse("testers:terms", args=[program.slug]), {"version": draft.pk, "agree": "yes"})
    assert selectors.has_accepted_current(participant)


def test_an_old_version_cannot_be_accepted_once_replaced(program, artist_membership, terms, manager):
    draft = services.draft_new_version(program=program, by=manager)
    services.publish_terms(version=draft, effective_date=timezone.localdate(), by=manager)
    with pytest.raises(DomainError, match="replaced"):
        services.accept_terms(membership=artist_membership, version=terms, by=artist_membership.artist.user)


def test_a_future_version_applies_from_its_effective_date(program, participant, manager):
    draft = services.draft_new_version(program=program, by=manager)
    services.publish_terms(version=draft, effective_date=timezone.localdate() + timedelta(days=7), by=manager)
    assert selectors.current_terms(program).number == 1
    assert selectors.has_accepted_current(participant)
    assert services.upcoming_terms(program) == draft
    services.accept_terms(membership=participant, version=draft, by=participant.artist.user)  # early is fine


def test_what_can_i_share_shows_the_three_classes_of_the_accepted_version(client, participant):
    client.force_login(participant.artist.user)
    html = client.get(reverse("testers:what_can_i_share")).content.decode()
    for label, title in (("Confidential", "Unreleased features"), ("Needs approval", "Your outputs"),
                         ("Free to share", "That you take part")):
        assert f"<h3>{label}</h3>" in html and title in html
    assert html.index("Confidential</h3>") < html.index("Needs approval</h3>") < html.index("Free to share</h3>")


@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_only_managers_draft_or_publish(client, program, terms, role):
    client.force_login(factories.staff_user(program, role))
    assert client.get(reverse("testers:staff_terms", args=[program.slug])).status_code == 200  # may read
    assert client.post(reverse("testers:staff_terms_draft", args=[program.slug])).status_code == 404
    assert not TermsVersion.objects.filter(status="draft").exists()


def test_manager_drafts_edits_and_publishes_through_the_pages(client, program, terms, manager):
    client.force_login(manager)
    client.post(reverse("testers:staff_terms_draft", args=[program.slug]))
    draft = TermsVersion.objects.get(status="draft")
    clause = draft.clauses.get(key="outputs")
    client.post(reverse("testers:staff_clause_edit", args=[program.slug, draft.number, clause.pk]),
                {"klass": "needs_approval", "title": "Your outputs", "text": "New words.", "examples": "", "position": 2})
    client.post(reverse("testers:staff_clause_add", args=[program.slug, draft.number]),
                {"klass": "confidential", "title": "Roadmap", "text": "Do not share the roadmap.", "examples": "",
                 "position": 4})
    client.post(reverse("testers:staff_terms_publish", args=[program.slug, draft.number]),
                {"effective_date": timezone.localdate().isoformat()})
    draft.refresh_from_db()
    assert draft.is_published and draft.clauses.get(key="outputs").text == "New words."
    assert draft.clauses.filter(key="roadmap").exists()
    assert selectors.current_terms(program) == draft
