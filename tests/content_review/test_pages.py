"""Every page of the app renders for the right people, with one h1, headings in order, empty states and paging."""
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from content_review.models import ShareRequest, Work
from testers.models import Program
from tests import factories
from tests.content_review.factories import draft, member_with_terms

pytestmark = pytest.mark.django_db


def assert_well_formed(html):
    levels = [int(h) for h in re.findall(r"<h([1-6])", html)]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    assert "style=" not in html and "<script>" not in html


def test_every_page_renders_on_the_demo_data(client):
    from atelier.models import User

    call_command("seed_demo")
    program = Program.objects.get(slug="lumen-beta")
    reviewer = User.objects.get(email="reviewer@atelier.test")
    client.force_login(reviewer)
    for status in ("open", "submitted", "escalated", "appealed", "changes_requested", "approved", "refused",
                   "withdrawn", "all"):
        response = client.get(reverse("content_review:queue", args=[program.slug]), {"status": status})
        assert response.status_code == 200
        assert_well_formed(response.content.decode())
    for share_request in ShareRequest.objects.exclude(status="draft"):
        response = client.get(reverse("content_review:review", args=[program.slug, share_request.pk]))
        assert response.status_code == 200, share_request.status
        assert_well_formed(response.content.decode())
    for share_request in ShareRequest.objects.select_related("membership__artist__user"):
        client.force_login(share_request.membership.artist.user)
        for name in ("request_detail", "my_requests"):
            url = reverse(f"content_review:{name}", args=[share_request.pk] if name != "my_requests" else [])
            response = client.get(url)
            assert response.status_code == 200
            assert_well_formed(response.content.decode())
        if share_request.status == "refused" and not hasattr(share_request, "appeal"):
            assert_well_formed(client.get(reverse("content_review:appeal_request", args=[share_request.pk])).content.decode())
    html = client.get(reverse("content_review:review_report", args=[program.slug])).content.decode()
    assert_well_formed(html)
    assert "Refusals by clause" in html
    client.logout()
    html = client.get(reverse("content_review:showcase", args=[program.slug])).content.decode()
    assert_well_formed(html)
    assert "Ocean textures" in html and "Launch teaser" not in html


def test_draft_page_shows_processing_and_polls_until_ready(client, member, tmp_path):
    share_request = draft(member, tmp_path)  # on-commit tasks not run: still processing
    client.force_login(member.artist.user)
    html = client.get(reverse("content_review:request_detail", args=[share_request.pk])).content.decode()
    assert "Processing…" in html and 'hx-trigger="every 2s"' in html
    from content_review import services

    services.process_work(share_request.works.get().pk)
    partial = client.get(reverse("content_review:request_works", args=[share_request.pk])).content.decode()
    assert "Ready" in partial and "hx-trigger" not in partial


def test_new_request_page_lists_the_accepted_clauses_with_their_class(client, member):
    client.force_login(member.artist.user)
    html = client.get(reverse("content_review:new_request", args=[member.program.slug])).content.decode()
    assert "Needs approval" in html and "Free to share" in html and "need no review" in html
    assert_well_formed(html)


def test_artist_who_must_accept_new_terms_is_told_so(client, member):
    factories.TermsVersionFactory(program=member.program)
    client.force_login(member.artist.user)
    html = client.get(reverse("content_review:new_request", args=[member.program.slug])).content.decode()
    assert "Please accept the program&#x27;s current terms first." in html


def test_empty_states(client, member, reviewer):
    client.force_login(member.artist.user)
    assert "You have not asked to share anything yet." in client.get(reverse("content_review:my_requests")).content.decode()
    client.force_login(reviewer)
    assert "Nothing here." in client.get(reverse("content_review:queue", args=[member.program.slug])).content.decode()


@pytest.mark.parametrize("rows", [10, 200])
def test_artist_list_paginates_with_bounded_queries(client, member, rows, django_assert_max_num_queries):
    now = timezone.now()
    requests = ShareRequest.objects.bulk_create([
        ShareRequest(membership=member, title=f"Request {i}", status="submitted", submitted_at=now,
                     first_submitted_at=now, deadline_at=now + timedelta(days=2)) for i in range(rows)])
    Work.objects.bulk_create([Work(share_request=r, kind="image", original_name="a.jpg", mime_type="image/jpeg",
                                   extension="jpg", original="x.jpg") for r in requests])
    client.force_login(member.artist.user)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("content_review:my_requests")).content.decode()
    assert html.count("/share-requests/") >= 10
    assert ("Page 1 of" in html) == (rows > 20)


def test_other_artist_programs_new_request_page_is_a_404(client, member, other_program):
    client.force_login(member.artist.user)
    assert client.get(reverse("content_review:new_request", args=[other_program.slug])).status_code == 404
    stranger = member_with_terms(other_program)
    assert stranger.pk


def test_admin_change_pages_open_without_exposing_private_file_urls(client, site_admin, member, tmp_path, reviewer):
    from content_review.models import ReviewDecision

    share_request = draft(member, tmp_path)
    work = share_request.works.get()
    client.force_login(site_admin)
    for url in (reverse("admin:content_review_work_change", args=[work.pk]),
                reverse("admin:content_review_sharerequest_change", args=[share_request.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "/media/" not in response.content.decode()
    from content_review import services

    decision = services.decide_share_request(services.submit_share_request(share_request, by=member.artist.user),
                                             by=reviewer, outcome="approve")
    assert client.get(reverse("admin:content_review_reviewdecision_change", args=[decision.pk])).status_code == 200
    assert ReviewDecision.objects.count() == 1
