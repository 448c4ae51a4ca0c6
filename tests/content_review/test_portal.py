"""The share-request panel on the artist's home: counts by state, latest decisions, in bounded queries."""
import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from content_review import services
from content_review.portal import home_panels
from testers.models import Membership
from tests.content_review.factories import draft, member_with_terms, submitted

pytestmark = pytest.mark.django_db


def memberships_of(user):
    return list(Membership.objects.filter(artist__user=user).select_related("program", "artist"))


def test_panel_counts_requests_by_state_and_lists_latest_decisions(member, tmp_path, reviewer):
    draft(member, tmp_path, title="Draft one")
    services.decide_share_request(submitted(member, tmp_path, title="Liked"), by=reviewer, outcome="approve")
    submitted(member, tmp_path, title="Waiting")
    panels = home_panels(member.artist.user, memberships_of(member.artist.user))
    panel = panels[member.pk]
    assert panel["total"] == 3
    assert {status: count for _, status, count in panel["counts"]} == {"draft": 1, "submitted": 1, "approved": 1}
    assert [d.share_request.title for d in panel["latest_decisions"]] == ["Liked"]
    html = render_to_string("content_review/_home_panel.html", {"panel": panel})
    assert "Liked" in html and "In review: 1" in html and reverse("content_review:my_requests") in html


@pytest.mark.parametrize("rows", [10, 200])
def test_panels_use_a_fixed_number_of_queries(member, program, reviewer, tmp_path, rows, django_assert_num_queries,
                                              other_program):
    from content_review.models import ReviewDecision, ShareRequest
    from django.utils import timezone

    second = member_with_terms(other_program, artist=member.artist)
    now = timezone.now()
    for membership in (member, second):
        requests = ShareRequest.objects.bulk_create([
            ShareRequest(membership=membership, title=f"R{i}", status="approved", submitted_at=now,
                         first_submitted_at=now, deadline_at=now, decided_at=now, first_decided_at=now)
            for i in range(rows)])
        ReviewDecision.objects.bulk_create([
            ReviewDecision(share_request=r, outcome="approve", decided_by=reviewer, submitted_at=now) for r in requests])
    memberships = memberships_of(member.artist.user)
    with django_assert_num_queries(2):
        panels = home_panels(member.artist.user, memberships)
    assert panels[member.pk]["total"] == rows and len(panels[second.pk]["latest_decisions"]) == 3


def test_no_memberships_no_queries(django_assert_num_queries, member):
    with django_assert_num_queries(0):
        assert home_panels(member.artist.user, []) == {}


def test_artist_home_shows_the_share_request_panel(client, member, tmp_path, reviewer):
    import re

    services.decide_share_request(submitted(member, tmp_path, title="Liked"), by=reviewer, outcome="approve")
    client.force_login(member.artist.user)
    html = client.get(reverse("home")).content.decode()
    assert "Share requests" in html and "Liked" in html and "Approved: 1" in html
    levels = [int(h) for h in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))


def test_an_artist_in_one_program_sees_their_three_newest_decisions(member, reviewer, django_assert_num_queries):
    from datetime import timedelta

    from content_review.models import ReviewDecision, ShareRequest
    from django.utils import timezone

    now = timezone.now()
    requests = ShareRequest.objects.bulk_create([
        ShareRequest(membership=member, title=f"R{i}", status="approved", submitted_at=now, first_submitted_at=now,
                     deadline_at=now, decided_at=now, first_decided_at=now) for i in range(5)])
    ReviewDecision.objects.bulk_create([
        ReviewDecision(share_request=r, outcome="approve", decided_by=reviewer, submitted_at=now,
                       created_at=now - timedelta(hours=i)) for i, r in enumerate(requests)])
    memberships = memberships_of(member.artist.user)
    with django_assert_num_queries(2):
        panel = home_panels(member.artist.user, memberships)[member.pk]
    assert [d.share_request.title for d in panel["latest_decisions"]] == ["R0", "R1", "R2"]
