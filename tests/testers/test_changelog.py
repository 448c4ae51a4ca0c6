"""Issue 16, point 1: the public changelog of shipped feedback. Optional per program (its settings, audited), and
an item is listed only when its artist agreed to be credited (their profile): title, kind, build, day, credit."""
import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from testers import actions
from testers.models import ArtistProfile, Feedback, Program
from tests import factories

pytestmark = pytest.mark.django_db


def shipped(membership, title, build="2.4.0", **fields):
    return factories.FeedbackFactory(membership=membership, title=title, status=Feedback.Status.SHIPPED,
                                     accepted_at=timezone.now(), shipped_at=timezone.now(), shipped_in=build,
                                     **fields)


def changelog_url(program):
    return reverse("testers:changelog", args=[program.slug])


@pytest.fixture
def public_program(program):
    program.changelog_public = True
    program.save()
    return program


def consenting(program, credit_line="© Ana Lima"):
    membership = factories.MembershipFactory(program=program)
    ArtistProfile.objects.filter(pk=membership.artist_id).update(changelog_credit=True, credit_line=credit_line)
    return membership


def test_a_program_without_a_public_changelog_is_a_404_for_everyone(client, program, manager):
    shipped(consenting(program), "Hands look wrong")
    assert client.get(changelog_url(program)).status_code == 404
    client.force_login(manager)
    assert client.get(changelog_url(program)).status_code == 404


def test_anyone_reads_the_shipped_items_of_consenting_artists_only(client, public_program):
    ana = consenting(public_program)
    shipped(ana, "Hands look wrong", build="2.4.0 (build 812)", body="Secret roadmap detail", kind="bug",
            severity="critical")
    quiet = factories.MembershipFactory(program=public_program)  # has not agreed to be credited
    shipped(quiet, "Fingers merge")
    factories.FeedbackFactory(membership=ana, title="Still open", status=Feedback.Status.ACCEPTED)
    elsewhere = consenting(factories.ProgramFactory(changelog_public=True))
    shipped(elsewhere, "Other program's item")

    html = client.get(changelog_url(public_program)).content.decode()  # anonymous

    assert "Hands look wrong" in html and "2.4.0 (build 812)" in html and "© Ana Lima" in html and "Bug" in html
    for hidden in ("Fingers merge", "Still open", "Other program's item", "Secret roadmap detail", "Critical",
                   quiet.artist.display_name):
        assert hidden not in html


def test_an_artist_gives_and_withdraws_consent_on_their_profile_and_the_page_follows(client, public_program):
    membership = factories.MembershipFactory(program=public_program)
    shipped(membership, "Hands look wrong")
    profile = membership.artist
    client.force_login(profile.user)
    form = {"display_name": profile.display_name, "legal_name": "", "pronouns": "", "country": "",
            "portfolio_url": "", "credit_line": "© Bea", "changelog_credit": "on"}
    assert client.post(reverse("testers:profile"), form).status_code == 302
    assert "© Bea" in client.get(changelog_url(public_program)).content.decode()
    entry = AuditLogEntry.objects.filter(action="testers.profile.updated").latest("pk")
    assert entry.data["after"]["changelog_credit"] is True

    del form["changelog_credit"]
    assert client.post(reverse("testers:profile"), form).status_code == 302
    assert "Hands look wrong" not in client.get(changelog_url(public_program)).content.decode()


def test_a_manager_publishes_the_changelog_from_the_settings_page_audited(client, program, manager):
    client.force_login(manager)
    page = client.get(reverse("testers:staff_settings", args=[program.slug])).content.decode()
    assert 'name="changelog_public"' in page
    data = {"review_sla_days": program.review_sla_days, "deadline_policy": program.deadline_policy,
            "appeal_sla_days": program.appeal_sla_days, "watermark_text": program.watermark_text,
            "credit_text": program.credit_text, "terms_notice_days": program.terms_notice_days,
            "changelog_public": "on"}
    assert client.post(reverse("testers:staff_settings", args=[program.slug]), data).status_code == 302
    program.refresh_from_db()
    assert program.changelog_public is True
    entry = AuditLogEntry.objects.get(action="testers.program.settings_changed")
    assert entry.data["before"] == {"changelog_public": False} and entry.data["after"] == {"changelog_public": True}
    assert changelog_url(program) in client.get(reverse("testers:staff_settings", args=[program.slug])).content.decode()
    assert client.get(changelog_url(program)).status_code == 200


def test_a_non_boolean_changelog_setting_is_refused_and_nothing_changes(program, manager):
    with pytest.raises(ActionRefused, match="publishes a changelog"):
        actions.ChangeProgramSettings(manager, program, changelog_public="yes").run()
    assert Program.objects.get(pk=program.pk).changelog_public is False
    assert not AuditLogEntry.objects.exists()


def test_a_draft_program_has_no_public_changelog(client):
    program = factories.ProgramFactory(status=Program.Status.DRAFT, changelog_public=True)
    shipped(consenting(program), "Hands look wrong")
    assert client.get(changelog_url(program)).status_code == 404


def test_the_changelog_runs_a_bounded_number_of_queries(client, public_program, django_assert_max_num_queries):
    for i in range(30):
        shipped(consenting(public_program, credit_line=f"© Artist {i}"), f"Item {i}")
    with django_assert_max_num_queries(6):
        response = client.get(changelog_url(public_program))
    assert response.status_code == 200 and "Item 29" in response.content.decode()
