"""Every list page uses the same number of SQL queries with 10 rows as with 200."""
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atelier.models import User
from testers.models import ArtistProfile, Clause, Feedback, Invitation, Membership, TermsVersion, TimeLog
from tests import factories

pytestmark = pytest.mark.django_db


def count_queries(client, url, **params):
    # The rows are inserted directly, not by actions: the page cache (atelier.page_cache) is emptied so the page
    # is computed, which is what is measured.
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def add_feedback(membership, n):
    items = Feedback.objects.bulk_create([
        Feedback(membership=membership, kind="bug" if i % 2 else "feature", severity="low" if i % 2 else "",
                 title=f"Item {i}", body="b", status=["new", "accepted", "declined"][i % 3],
                 decline_reason="Out of scope." if i % 3 == 2 else "")
        for i in range(n)
    ])
    for item in items[:3]:
        factories.FeedbackEventFactory(feedback=item)
    return items


def add_time(membership, n):
    today = timezone.localdate()
    TimeLog.objects.bulk_create([
        TimeLog(membership=membership, date=today - timedelta(days=i % 28), minutes=30, description=f"Session {i}",
                status=["pending", "approved", "rejected"][i % 3],
                rejection_reason="Too long for one day." if i % 3 == 2 else "")
        for i in range(n)
    ])


def add_memberships(program, n, start):
    users = User.objects.bulk_create([User(email=f"bulk{start + i}@example.test") for i in range(n)])
    profiles = ArtistProfile.objects.bulk_create([ArtistProfile(user=u, display_name=f"Artist {u.email}") for u in users])
    return Membership.objects.bulk_create([Membership(program=program, artist=p, cohort="c") for p in profiles])


def both(make, measure):
    """Measure with 10 rows, then with 200 (190 more); the count must not grow."""
    make(10, 0)
    small = measure()
    make(190, 10)
    large = measure()
    assert small == large, f"{small} queries with 10 rows, {large} with 200"


def test_artist_feedback_list(client, participant):
    client.force_login(participant.artist.user)
    both(lambda n, s: add_feedback(participant, n), lambda: count_queries(client, reverse("testers:feedback_list")))


def test_artist_time_list(client, participant):
    client.force_login(participant.artist.user)
    both(lambda n, s: add_time(participant, n), lambda: count_queries(client, reverse("testers:timelog_list")))


def test_portal_home(client, participant, other_program):
    second = factories.MembershipFactory(program=other_program, artist=participant.artist)
    factories.accept_terms(second, factories.TermsVersionFactory(program=other_program))
    client.force_login(participant.artist.user)

    def make(n, start):
        for membership in (participant, second):
            add_feedback(membership, n)
            add_time(membership, n)

    both(make, lambda: count_queries(client, reverse("home")))


def test_portal_home_with_more_programs_does_not_grow(client, participant, program):
    # programs, not rows: the home page's queries do not depend on the number of memberships either
    client.force_login(participant.artist.user)
    small = count_queries(client, reverse("home"))
    for i in range(5):
        other = factories.ProgramFactory()
        membership = factories.MembershipFactory(program=other, artist=participant.artist)
        factories.accept_terms(membership, factories.TermsVersionFactory(program=other))
        add_feedback(membership, 8)
    assert count_queries(client, reverse("home")) == small


def test_what_can_i_share(client, participant, terms):
    client.force_login(participant.artist.user)

    def make(n, start):
        Clause.objects.bulk_create([
            Clause(terms_version=terms, position=10 + start + i, key=f"k{start + i}", klass="confidential",
                   title=f"Clause {i}", text="t") for i in range(n)])

    both(make, lambda: count_queries(client, reverse("testers:what_can_i_share")))


def test_staff_artists(client, program, manager, terms):
    client.force_login(manager)
    both(lambda n, s: add_memberships(program, n, s),
         lambda: count_queries(client, reverse("testers:staff_artists", args=[program.slug])))


def test_staff_invitations(client, program, manager):
    client.force_login(manager)
    expires = timezone.now() + timedelta(days=3)

    def make(n, start):
        Invitation.objects.bulk_create([
            Invitation(program=program, email=f"i{start + i}@example.test", expires_at=expires, invited_by=manager,
                       status="pending" if i % 2 else "revoked") for i in range(n)])

    both(make, lambda: count_queries(client, reverse("testers:staff_invitations", args=[program.slug])))


def test_staff_terms(client, program, manager):
    client.force_login(manager)

    def make(n, start):
        TermsVersion.objects.bulk_create([
            TermsVersion(program=program, number=start + i + 1, status="published", text_hash="0" * 64,
                         effective_date=timezone.localdate(), published_at=timezone.now(), published_by=manager)
            for i in range(n)])

    both(make, lambda: count_queries(client, reverse("testers:staff_terms", args=[program.slug])))


def test_staff_feedback_queue(client, program, manager):
    client.force_login(manager)
    memberships = add_memberships(program, 3, 1000)

    def make(n, start):
        for i, membership in enumerate(memberships):
            add_feedback(membership, n // 3 + (1 if i < n % 3 else 0))

    both(make, lambda: count_queries(client, reverse("testers:staff_feedback", args=[program.slug])))
    assert count_queries(client, reverse("testers:staff_feedback", args=[program.slug]), kind="bug", page=2) > 0


def test_staff_time_queue(client, program, manager):
    client.force_login(manager)
    memberships = add_memberships(program, 3, 2000)

    def make(n, start):
        for membership in memberships:
            add_time(membership, n // 3 + 1)

    both(make, lambda: count_queries(client, reverse("testers:staff_timelogs", args=[program.slug]), status=""))


def test_feedback_thread(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    client.force_login(participant.artist.user)

    def make(n, start):
        for i in range(n):
            factories.FeedbackEventFactory(feedback=feedback, kind="reply", author=manager if i % 2 else
                                           participant.artist.user, message=f"m{i}")

    both(make, lambda: count_queries(client, reverse("testers:feedback_detail", args=[feedback.pk])))
