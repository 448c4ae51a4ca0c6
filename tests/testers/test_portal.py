"""The artist portal's home: per program, terms to accept, open feedback, this month's time, other apps' panels."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from testers.models import Feedback, Program, TimeLog
from testers.portal import home_panels
from tests import factories

pytestmark = pytest.mark.django_db


def test_home_shows_open_feedback_with_its_latest_status(client, participant, manager):
    from testers.services.feedback import accept_feedback

    accepted = factories.FeedbackFactory(membership=participant, title="Pin the seed")
    accept_feedback(feedback=accepted, by=manager)
    factories.FeedbackFactory(membership=participant, title="Still new")
    factories.FeedbackFactory(membership=participant, title="Old and declined", status="declined")
    client.force_login(participant.artist.user)
    html = client.get(reverse("home")).content.decode()
    assert "Pin the seed" in html and "Still new" in html and "Old and declined" not in html
    assert 'badge--accepted">Accepted' in html


def test_home_shows_time_logged_and_approved_this_month(participant):
    today = timezone.localdate()
    factories.TimeLogFactory(membership=participant, date=today, minutes=90, status="approved")
    factories.TimeLogFactory(membership=participant, date=today, minutes=30, status="pending")
    factories.TimeLogFactory(membership=participant, date=today, minutes=45, status="rejected")
    factories.TimeLogFactory(membership=participant, date=today.replace(day=1) - timedelta(days=1), minutes=600,
                             status="approved")
    panel = home_panels(participant.artist.user, [participant])[participant.pk]
    assert panel["minutes_logged"] == 120 and panel["minutes_approved"] == 90


def test_home_asks_to_accept_terms_and_links_to_them(client, artist_membership, terms):
    client.force_login(artist_membership.artist.user)
    html = client.get(reverse("home")).content.decode()
    assert "waiting for you" in html and reverse("testers:terms", args=[artist_membership.program.slug]) in html


def test_home_has_a_panel_per_program_and_hides_removed_memberships(client, participant, other_program):
    factories.MembershipFactory(program=other_program, artist=participant.artist, status="removed")
    third = factories.ProgramFactory(name="Third Program")
    factories.MembershipFactory(program=third, artist=participant.artist)
    client.force_login(participant.artist.user)
    html = client.get(reverse("home")).content.decode()
    assert participant.program.name in html and "Third Program" in html and other_program.name not in html


def test_home_includes_the_other_apps_panels_for_each_membership(client, participant, monkeypatch):
    # The other apps fill these; here we only check that the home page asks them and passes the result on.
    from content_review import portal as review_portal
    from payments import portal as payments_portal

    calls, results = [], {}

    def spy(module, name):
        real = module.home_panels

        def panels(user, memberships):
            calls.append((name, [m.pk for m in memberships]))
            results[name] = real(user, memberships)
            return results[name]

        monkeypatch.setattr(module, "home_panels", panels)

    spy(review_portal, "review")
    spy(payments_portal, "payments")
    client.force_login(participant.artist.user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert calls == [("review", [participant.pk]), ("payments", [participant.pk])]
    rows = response.context["rows"]
    assert rows[0]["review_panel"] == results["review"].get(participant.pk)
    assert rows[0]["payments_panel"] == results["payments"].get(participant.pk)


def test_seed_demo_has_feedback_and_time_in_every_status_and_runs_twice():
    call_command("seed_demo")
    counts = (Feedback.objects.count(), TimeLog.objects.count())
    call_command("seed_demo")
    assert (Feedback.objects.count(), TimeLog.objects.count()) == counts
    program = Program.objects.get(slug="lumen-beta")
    assert set(Feedback.objects.filter(membership__program=program).values_list("status", flat=True)) == set(
        Feedback.Status.values)
    assert set(TimeLog.objects.filter(membership__program=program).values_list("status", flat=True)) == set(
        TimeLog.Status.values)
    attachment = Feedback.objects.get(title="Export crashes on 4K video").attachments.get()
    assert attachment.thumbnail
