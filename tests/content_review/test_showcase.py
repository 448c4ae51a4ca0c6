"""The public showcase: only approved, consented, non-embargoed works, with their credit, by listing or by URL."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.models import AuditLogEntry
from content_review import services
from content_review.models import ShareRequest, Work
from testers.models import Clause
from tests.content_review.factories import clause, draft, submitted, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_work(member, tmp_path, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path, title="Approved piece",
                                  files=[upload(tmp_path, "jpg", w=320, h=240)])
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    work = share_request.works.get()
    work.refresh_from_db()
    assert work.published_status == Work.FileStatus.READY
    return work


def showcase(client, program):
    return client.get(reverse("content_review:showcase", args=[program.slug])).content.decode()


def file_url(work):
    return reverse("content_review:showcase_file", args=[work.share_request.membership.program.slug, work.token])


def test_approved_work_appears_only_with_the_artists_consent(client, approved_work, program):
    assert "Approved piece" not in showcase(client, program)
    assert client.get(file_url(approved_work)).status_code == 404
    services.set_showcase_consent(approved_work, by=approved_work.share_request.membership.artist.user, consent=True)
    html = showcase(client, program)
    assert "Approved piece" in html and approved_work.share_request.membership.artist.credit in html
    response = client.get(file_url(approved_work))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert AuditLogEntry.objects.filter(action="content_review.showcase.consent_given").exists()
    services.set_showcase_consent(approved_work, by=approved_work.share_request.membership.artist.user, consent=False)
    assert client.get(file_url(approved_work)).status_code == 404
    assert AuditLogEntry.objects.filter(action="content_review.showcase.consent_withdrawn").exists()


def test_embargoed_work_is_hidden_until_its_date(client, member, tmp_path, reviewer, program,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path, title="Embargoed piece")
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_share_request(share_request, by=reviewer, outcome="approve_with_conditions",
                                      reason="Wait for launch.", embargo_until=timezone.localdate() + timedelta(days=5),
                                      clause_ids=[clause(program, Clause.Klass.NEEDS_APPROVAL).pk])
    work = share_request.works.get()
    services.set_showcase_consent(work, by=member.artist.user, consent=True)
    assert "Embargoed piece" not in showcase(client, program)
    assert client.get(file_url(work)).status_code == 404
    ShareRequest.objects.filter(pk=share_request.pk).update(embargo_until=timezone.localdate())
    assert "Embargoed piece" in showcase(client, program)
    assert client.get(file_url(work)).status_code == 200


def test_unapproved_work_is_never_reachable_even_with_consent_forced(client, member, tmp_path, program,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path, title="Pending piece")
    work = share_request.works.get()
    # even if a row said so
    Work.objects.filter(pk=work.pk).update(showcase_consent=True, showcase_consent_at=timezone.now())
    assert "Pending piece" not in showcase(client, program)
    assert client.get(file_url(work)).status_code == 404
    assert client.get(reverse("content_review:showcase_file", args=[program.slug, work.token])).status_code == 404


def test_consent_is_refused_before_approval(member, tmp_path):
    from atelier.errors import DomainError

    work = draft(member, tmp_path).works.get()
    with pytest.raises(DomainError, match="Only approved works"):
        services.set_showcase_consent(work, by=member.artist.user, consent=True)


def test_showcased_work_of_another_program_is_not_reachable_through_this_one(client, approved_work, other_program):
    services.set_showcase_consent(approved_work, by=approved_work.share_request.membership.artist.user, consent=True)
    url = reverse("content_review:showcase_file", args=[other_program.slug, approved_work.token])
    assert client.get(url).status_code == 404


def test_showcase_lists_with_bounded_queries_and_has_an_empty_state(client, program, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        html = showcase(client, program)
    assert "Nothing on the showcase yet." in html


def test_a_manager_can_take_a_work_off_the_showcase_but_not_consent_for_the_artist(client, approved_work, manager,
                                                                                   program):
    from atelier.errors import DomainError

    with pytest.raises(DomainError, match="Only the artist"):
        services.set_showcase_consent(approved_work, by=manager, consent=True)
    services.set_showcase_consent(approved_work, by=approved_work.share_request.membership.artist.user, consent=True)
    with pytest.raises(DomainError, match="a manager gives a reason"):
        services.set_showcase_consent(approved_work, by=manager, consent=False)
    services.remove_from_showcase(approved_work, by=manager, reason="The client asked us to.")
    assert "Approved piece" not in showcase(client, program)
    entry = AuditLogEntry.objects.filter(action="content_review.showcase.work_removed").get()
    assert entry.actor == manager and entry.data["reason"] == "The client asked us to."


def test_artist_gives_consent_through_the_request_page(client, approved_work, program):
    client.force_login(approved_work.share_request.membership.artist.user)
    page = client.get(reverse("content_review:request_detail", args=[approved_work.share_request_id])).content.decode()
    assert "on the showcase" in page
    client.post(reverse("content_review:showcase_consent", args=[approved_work.pk]), {"consent": "yes"})
    assert "Approved piece" in showcase(client, program)


# --- a manager takes a work off the showcase, with a reason (issue 15) -------------------------------------------

def test_manager_takes_a_work_off_the_showcase_with_a_reason_and_the_artist_is_told(
        client, approved_work, manager, program, django_capture_on_commit_callbacks):
    from django.core import mail

    artist = approved_work.share_request.membership.artist.user
    services.set_showcase_consent(approved_work, by=artist, consent=True)
    client.force_login(manager)
    detail = reverse("content_review:request_detail", args=[approved_work.share_request_id])
    url = reverse("content_review:remove_from_showcase", args=[approved_work.pk])
    assert url in client.get(detail).content.decode()  # the button, for a manager
    assert url in showcase(client, program)  # and on the showcase itself
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "The client asked us to take it down."})
    assert response.status_code == 302 and response["Location"] == detail
    approved_work.refresh_from_db()
    assert not approved_work.showcase_consent and approved_work.showcase_removed_at is not None
    assert approved_work.showcase_removed_reason == "The client asked us to take it down."
    entry = AuditLogEntry.objects.get(action="content_review.showcase.work_removed")
    assert entry.actor == manager and entry.data["reason"] == "The client asked us to take it down."
    assert [m.to for m in mail.outbox] == [[artist.email]]
    assert "The client asked us to take it down." in mail.outbox[0].body
    assert "Approved piece" not in showcase(client, program)


def test_removing_from_the_showcase_needs_a_reason(client, approved_work, manager):
    services.set_showcase_consent(approved_work, by=approved_work.share_request.membership.artist.user, consent=True)
    client.force_login(manager)
    response = client.post(reverse("content_review:remove_from_showcase", args=[approved_work.pk]), {"reason": " "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    from atelier.errors import DomainError

    with pytest.raises(DomainError, match="Say why"):
        services.remove_from_showcase(approved_work, by=manager, reason="")
    approved_work.refresh_from_db()
    assert approved_work.showcase_consent
    assert not AuditLogEntry.objects.filter(action="content_review.showcase.work_removed").exists()


def test_the_artist_cannot_put_back_a_work_a_manager_removed(client, approved_work, manager):
    from atelier.errors import DomainError

    artist = approved_work.share_request.membership.artist.user
    services.set_showcase_consent(approved_work, by=artist, consent=True)
    services.remove_from_showcase(approved_work, by=manager, reason="Rights question.")
    with pytest.raises(DomainError, match="A manager took this work off the showcase: Rights question."):
        services.set_showcase_consent(approved_work, by=artist, consent=True)
    client.force_login(artist)
    page = client.get(reverse("content_review:request_detail", args=[approved_work.share_request_id])).content.decode()
    assert "Rights question." in page
    assert "Show “" not in page


def test_reviewers_and_the_artist_cannot_remove_with_a_reason(client, approved_work, reviewer):
    artist = approved_work.share_request.membership.artist.user
    services.set_showcase_consent(approved_work, by=artist, consent=True)
    url = reverse("content_review:remove_from_showcase", args=[approved_work.pk])
    for person in (reviewer, artist):
        client.force_login(person)
        assert client.post(url, {"reason": "No."}).status_code == 404
    approved_work.refresh_from_db()
    assert approved_work.showcase_consent
