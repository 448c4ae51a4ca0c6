"""Artists and memberships: profile, status changes that keep history, the staff artists page."""
import pytest
from django.urls import reverse

from atelier.errors import DomainError
from testers.models import Membership
from testers.services import memberships as services
from tests import factories

pytestmark = pytest.mark.django_db


def test_artist_edits_their_profile(client, artist):
    client.force_login(artist)
    response = client.post(reverse("testers:profile"), {
        "display_name": "Ana L.", "legal_name": "Ana Lima", "pronouns": "she/her", "country": "br",
        "portfolio_url": "https://ana.example", "credit_line": "© Ana L."})
    assert response.status_code == 302
    profile = artist.artist_profile
    profile.refresh_from_db()
    assert (profile.display_name, profile.country, profile.pronouns, profile.credit) == ("Ana L.", "BR", "she/her",
                                                                                          "© Ana L.")


def test_removing_an_artist_keeps_their_history(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    log = factories.TimeLogFactory(membership=participant)
    client.force_login(manager)
    client.post(reverse("testers:staff_artist", args=[participant.program.slug, participant.pk]),
                {"status": "removed", "note": "Left the program"})
    participant.refresh_from_db()
    assert participant.status == Membership.Status.REMOVED
    assert participant.feedback.get() == feedback and participant.time_logs.get() == log
    assert participant.acceptances.exists()
    # Staff still see the artist and their history.
    html = client.get(reverse("testers:staff_artist", args=[participant.program.slug, participant.pk])).content.decode()
    assert feedback.title in html
    # The removed artist can still read their own records but cannot act.
    client.force_login(participant.artist.user)
    assert feedback.title in client.get(reverse("testers:feedback_list")).content.decode()
    with pytest.raises(DomainError):
        from testers.services.feedback import submit_feedback

        submit_feedback(membership=participant, kind="general", title="t", body="b", by=participant.artist.user)


def test_pause_and_reactivate(participant, manager):
    services.set_membership_status(membership=participant, status="paused", by=manager)
    services.set_membership_status(membership=participant, status="active", by=manager)
    with pytest.raises(DomainError, match="already active"):
        services.set_membership_status(membership=participant, status="active", by=manager)


def test_staff_artists_page_shows_state_and_terms(client, participant, program, manager):
    factories.MembershipFactory(program=program, artist__display_name="Zed Paused", status="paused", cohort="autumn")
    client.force_login(manager)
    url = reverse("testers:staff_artists", args=[program.slug])
    html = client.get(url).content.decode()
    assert participant.artist.display_name in html and "Zed Paused" in html and "not accepted" in html
    html = client.get(url, {"status": "paused"}).content.decode()
    assert "Zed Paused" in html and participant.artist.display_name not in html


@pytest.mark.parametrize("role, status", [("manager", 200), ("finance", 200), ("reviewer", 404)])
def test_who_sees_the_artists_page(client, program, role, status):
    client.force_login(factories.staff_user(program, role))
    assert client.get(reverse("testers:staff_artists", args=[program.slug])).status_code == status


def test_finance_sees_an_artist_but_cannot_change_the_membership(client, participant, finance):
    client.force_login(finance)
    url = reverse("testers:staff_artist", args=[participant.program.slug, participant.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "removed"}).status_code == 404
    participant.refresh_from_db()
    assert participant.status == "active"


def test_staff_program_page_links_to_the_staff_pages_and_registered_links(client, program, manager, reviewer):
    from testers.staff_links import STAFF_LINKS, StaffLink

    STAFF_LINKS.append(StaffLink("Terms (registered)", "testers:staff_terms", "terms.manage", "a test entry"))
    try:
        client.force_login(manager)
        html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
        for name in ("staff_artists", "staff_invitations", "staff_terms", "staff_feedback", "staff_timelogs"):
            assert f'href="{reverse(f"testers:{name}", args=[program.slug])}"' in html
        assert "Terms (registered)" in html
        client.force_login(reviewer)
        html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
        assert "Terms (registered)" not in html
        assert reverse("testers:staff_invitations", args=[program.slug]) not in html
    finally:
        STAFF_LINKS.pop()


def test_staff_program_figures_open_their_lists_for_those_who_may_see_them(client, program, manager, reviewer):
    factories.InvitationFactory(program=program)
    client.force_login(manager)
    html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
    invitations = reverse("testers:staff_invitations", args=[program.slug])
    assert f'<a class="stat__link" href="{invitations}?status=pending"><span class="stat__value">1</span>' in html
    assert html.count('class="stat__link"') == 4
    client.force_login(reviewer)
    html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
    assert 'class="stat__link"' not in html and "pending invitations" in html


def test_staff_links_skip_unknown_url_names(program, manager):
    from testers.staff_links import STAFF_LINKS, links_for

    STAFF_LINKS.append(("Not yet built", "nowhere:page", "program.view_staff"))
    try:
        assert all(link["label"] != "Not yet built" for link in links_for(manager, program))
    finally:
        STAFF_LINKS.pop()
