"""Who may see and act on what: another artist's request is a 404; private files only for the artist and staff."""
from pathlib import Path

import pytest
from django.urls import reverse

from content_review import services
from content_review.models import ShareRequest
from tests import factories
from tests.content_review.factories import member_with_terms, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def processed(member, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path)
    return share_request


def artist_urls(share_request):
    work = share_request.works.get()
    return {
        "get": [reverse("content_review:request_detail", args=[share_request.pk]),
                reverse("content_review:edit_request", args=[share_request.pk]),
                reverse("content_review:request_works", args=[share_request.pk]),
                reverse("content_review:appeal_request", args=[share_request.pk])]
               + [reverse("content_review:work_file", args=[work.token, v]) for v in ("thumbnail", "full")],
        "post": [reverse("content_review:submit_request", args=[share_request.pk]),
                 reverse("content_review:withdraw_request", args=[share_request.pk]),
                 reverse("content_review:retry_work", args=[work.pk]),
                 reverse("content_review:showcase_consent", args=[work.pk])],
    }


def test_another_artist_cannot_see_or_act_on_a_request(client, processed, program):
    intruder = member_with_terms(program)
    client.force_login(intruder.artist.user)
    urls = artist_urls(processed)
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    for url in urls["post"]:
        assert client.post(url, {"consent": "yes", "message": "x"}).status_code == 404, url
    processed.refresh_from_db()
    assert processed.status == ShareRequest.Status.SUBMITTED


def test_private_files_are_served_to_the_artist_and_the_programs_reviewers_and_managers(client, processed, reviewer,
                                                                                        manager):
    work = processed.works.get()
    for user in (processed.membership.artist.user, reviewer, manager):
        client.force_login(user)
        for variant in ("thumbnail", "full"):
            response = client.get(reverse("content_review:work_file", args=[work.token, variant]))
            assert response.status_code == 200
            assert response["Cache-Control"] == "private, no-store"
            assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_private_files_are_not_served_to_anyone_else(client, processed, finance, other_program):
    work = processed.works.get()
    url = reverse("content_review:work_file", args=[work.token, "full"])
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for user in (finance, factories.staff_user(other_program, "manager"), member_with_terms(processed.membership.program).artist.user):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_private_files_have_no_public_url_and_are_not_under_media_url(client, processed, settings):
    work = processed.works.get()
    with pytest.raises(ValueError):
        work.original.url
    path = Path(work.clean.path).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert media_root not in path.parents  # DEBUG's static route for MEDIA_URL can never reach it
    assert client.get(settings.MEDIA_URL + work.clean.name).status_code == 404
    assert client.get("/media/../media-private/" + work.clean.name).status_code == 404


def test_staff_pages_are_for_the_programs_reviewers_and_managers(client, program, reviewer, manager, finance,
                                                                  other_program, processed, tmp_path):
    queue = reverse("content_review:queue", args=[program.slug])
    review = reverse("content_review:review", args=[program.slug, processed.pk])
    for user, expected in ((reviewer, 200), (manager, 200), (finance, 404), (processed.membership.artist.user, 404),
                           (factories.staff_user(other_program, "reviewer"), 404)):
        client.force_login(user)
        assert client.get(queue).status_code == expected, user
        assert client.get(review).status_code == expected, user
    outsider_queue = reverse("content_review:queue", args=[other_program.slug])
    client.force_login(reviewer)
    assert client.get(outsider_queue).status_code == 404
    # a request of another program, reached through this program's URL, is a 404 too
    other = submitted(member_with_terms(other_program), tmp_path)
    assert client.get(reverse("content_review:review", args=[program.slug, other.pk])).status_code == 404


def test_staff_without_totp_are_sent_to_set_it_up(client, program, processed):
    reviewer = factories.staff_user(program, "reviewer", totp=False)
    client.force_login(reviewer)
    response = client.get(reverse("content_review:queue", args=[program.slug]))
    assert response.status_code == 302 and "totp" in response["Location"]


def test_artist_cannot_decide(processed):
    from atelier.errors import DomainError

    with pytest.raises(DomainError):
        services.decide_share_request(processed, by=processed.membership.artist.user, outcome="approve")


def test_artist_list_shows_only_their_requests_with_bounded_queries(client, member, tmp_path, program,
                                                                    django_assert_max_num_queries):
    mine = submitted(member, tmp_path, title="Mine")
    submitted(member_with_terms(program), tmp_path, title="Theirs")
    client.force_login(member.artist.user)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("content_review:my_requests")).content.decode()
    assert "Mine" in html and "Theirs" not in html and mine.pk
