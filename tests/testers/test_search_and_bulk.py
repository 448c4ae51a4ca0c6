"""Search and bulk work on staff lists: the artist autocomplete (at most 20, e-mail only for who may see it), search
boxes that keep pagination, and bulk time approval, feedback triage and invitations through a confirmation."""
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from atelier.models import AuditLogEntry
from testers.models import Feedback, Invitation, TimeLog
from tests import factories

pytestmark = pytest.mark.django_db


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the artist autocomplete --------------------------------------------------------------------------------

def test_artist_search_returns_at_most_twenty_matches_of_the_program_only(client, program, other_program, manager):
    for i in range(25):
        factories.MembershipFactory(program=program, artist__display_name=f"Mara {i:02}")
    factories.MembershipFactory(program=other_program, artist__display_name="Mara Elsewhere")
    client.force_login(manager)
    html = client.get(reverse("testers:staff_artist_search", args=[program.slug]), {"q": "mara"}).content.decode()
    assert html.count("<li>") == 20 and "Elsewhere" not in html and "type more" in html


def test_artist_search_by_email_is_for_staff_who_may_see_addresses(client, program, manager, reviewer):
    member = factories.MembershipFactory(program=program, artist__display_name="Quiet One",
                                         artist__user__email="zed@example.org")
    url = reverse("testers:staff_artist_search", args=[program.slug])
    client.force_login(manager)
    html = client.get(url, {"q": "zed@"}).content.decode()
    assert "Quiet One" in html and "zed@example.org" in html and f"?artist={member.artist_id}" in html
    client.force_login(reviewer)
    assert "Quiet One" not in client.get(url, {"q": "zed@"}).content.decode()
    html = client.get(url, {"q": "quiet"}).content.decode()
    assert "Quiet One" in html and "zed@example.org" not in html


def test_the_review_queue_lists_no_artists_and_searches_by_name(client, program, reviewer):
    for i in range(30):
        factories.MembershipFactory(program=program, artist__display_name=f"Artist {i}")
    client.force_login(reviewer)
    url = reverse("content_review:queue", args=[program.slug])
    html = client.get(url).content.decode()
    assert "<option" in html and "Artist 1" not in html  # only the status options
    assert 'hx-get="%s"' % reverse("testers:staff_artist_search", args=[program.slug]) in html
    assert client.get(url, {"q": "nobody"}).status_code == 200


# --- search boxes ------------------------------------------------------------------------------------------

def test_invitation_search_matches_email_and_keeps_the_query_in_pagination(client, program, manager):
    for i in range(30):
        factories.InvitationFactory(program=program, email=f"alpha{i}@example.org")
    factories.InvitationFactory(program=program, email="beta@example.org")
    client.force_login(manager)
    url = reverse("testers:staff_invitations", args=[program.slug])
    html = client.get(url, {"q": "alpha"}).content.decode()
    assert "beta@example.org" not in html and "q=alpha&amp;page=2" in html
    assert "beta@example.org" in client.get(url, {"q": "BETA"}).content.decode()


def test_ledger_and_payout_lists_search(client, program, finance):
    factories.MembershipFactory(program=program, artist__display_name="Findable Fay")
    factories.MembershipFactory(program=program, artist__display_name="Hidden Hal")
    client.force_login(finance)
    html = client.get(reverse("payments:ledger_overview", args=[program.slug]), {"q": "fay"}).content.decode()
    assert "Findable Fay" in html and "Hidden Hal" not in html


# --- bulk time approvals ------------------------------------------------------------------------------------

def _logs(program, n, **kwargs):
    return [factories.TimeLogFactory(membership=factories.MembershipFactory(program=program), **kwargs)
            for _ in range(n)]


def test_bulk_approve_confirms_first_then_approves_each_and_names_the_refused(client, program, manager):
    pending = _logs(program, 3)
    rejected = _logs(program, 1, status=TimeLog.Status.REJECTED, rejection_reason="No")[0]
    client.force_login(manager)
    url = reverse("testers:staff_timelogs_bulk", args=[program.slug])
    ids = [log.pk for log in pending] + [rejected.pk]
    page = client.post(url, {"ids": ids, "operation": "approve"})
    html = page.content.decode()
    assert page.status_code == 200 and "3 will be approved" in html and "Left as it is:" in html
    assert TimeLog.objects.filter(status="approved").count() == 0  # nothing happens before the confirmation
    response = client.post(url, {"ids": ids, "operation": "approve", "confirmed": "1"})
    assert response.status_code == 302
    assert TimeLog.objects.filter(status="approved").count() == 3
    assert AuditLogEntry.objects.filter(action="testers.timelog.approved").count() == 3
    said = _messages(response)
    assert "3 time logs approved." in said
    assert any(rejected.membership.artist.display_name in m and m.startswith("Not approved (1)") for m in said)


def test_bulk_reject_needs_a_reason_and_each_artist_sees_it(client, program, manager):
    logs = _logs(program, 2)
    client.force_login(manager)
    url = reverse("testers:staff_timelogs_bulk", args=[program.slug])
    ids = [log.pk for log in logs]
    response = client.post(url, {"ids": ids, "operation": "reject", "confirmed": "1"})
    assert TimeLog.objects.filter(status="rejected").count() == 0 and "Not rejected (2)" in _messages(response)[0]
    client.post(url, {"ids": ids, "operation": "reject", "reason": "Outside the test window", "confirmed": "1"})
    assert set(TimeLog.objects.values_list("status", "rejection_reason")) == {("rejected", "Outside the test window")}


def test_bulk_ignores_rows_of_another_program_and_says_so(client, program, other_program, manager):
    mine, theirs = _logs(program, 1)[0], _logs(other_program, 1)[0]
    client.force_login(manager)
    response = client.post(reverse("testers:staff_timelogs_bulk", args=[program.slug]),
                           {"ids": [mine.pk, theirs.pk], "operation": "approve", "confirmed": "1"})
    theirs.refresh_from_db()
    assert theirs.status == "pending" and TimeLog.objects.get(pk=mine.pk).status == "approved"
    assert any("1 time log not found" in m for m in _messages(response))


def test_bulk_is_for_managers_only_and_bounded(client, program, finance, manager):
    log = _logs(program, 1)[0]
    url = reverse("testers:staff_timelogs_bulk", args=[program.slug])
    client.force_login(finance)
    assert client.post(url, {"ids": [log.pk], "operation": "approve", "confirmed": "1"}).status_code == 404
    client.force_login(manager)
    response = client.post(url, {"ids": list(range(1, 200)), "operation": "approve", "confirmed": "1"})
    assert "at most 100" in _messages(response)[0]
    assert "Tick at least one" in _messages(client.post(url, {"operation": "approve"}))[-1]


def test_bulk_confirmation_page_has_bounded_queries(client, program, manager, django_assert_max_num_queries):
    logs = _logs(program, 25)
    client.force_login(manager)
    with django_assert_max_num_queries(25 * 3 + 20):
        client.post(reverse("testers:staff_timelogs_bulk", args=[program.slug]),
                    {"ids": [log.pk for log in logs], "operation": "approve"})


def test_time_list_has_checkboxes_joined_to_the_bulk_form(client, program, manager):
    log = _logs(program, 1)[0]
    client.force_login(manager)
    html = client.get(reverse("testers:staff_timelogs", args=[program.slug])).content.decode()
    assert f'name="ids" value="{log.pk}" form="bulk-form"' in html and 'id="bulk-form"' in html


# --- bulk feedback triage -------------------------------------------------------------------------------------

def test_bulk_accept_and_decline_feedback(client, program, manager):
    items = [factories.FeedbackFactory(membership=factories.MembershipFactory(program=program)) for _ in range(3)]
    client.force_login(manager)
    url = reverse("testers:staff_feedback_bulk", args=[program.slug])
    client.post(url, {"ids": [items[0].pk, items[1].pk], "operation": "accept", "confirmed": "1"})
    response = client.post(url, {"ids": [items[1].pk, items[2].pk], "operation": "decline", "reason": "Not a bug",
                                 "confirmed": "1"})
    statuses = dict(Feedback.objects.values_list("pk", "status"))
    assert statuses == {items[0].pk: "accepted", items[1].pk: "accepted", items[2].pk: "declined"}
    said = _messages(response)
    assert "1 feedback item declined." in said and any(f"#{items[1].pk}" in m for m in said)


# --- bulk invitations -----------------------------------------------------------------------------------------

def test_bulk_resend_and_revoke_invitations(client, program, manager, django_capture_on_commit_callbacks):
    invitations = [factories.InvitationFactory(program=program) for _ in range(3)]
    client.force_login(manager)
    url = reverse("testers:staff_invitations_bulk", args=[program.slug])
    html = client.post(url, {"ids": [i.pk for i in invitations], "operation": "revoke"}).content.decode()
    assert invitations[0].email in html and "3 will be revoked" in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"ids": [invitations[0].pk], "operation": "resend", "confirmed": "1"})
    client.post(url, {"ids": [i.pk for i in invitations[1:]], "operation": "revoke", "confirmed": "1"})
    invitations[0].refresh_from_db()
    assert invitations[0].sent_count == 1
    assert Invitation.objects.filter(status="revoked").count() == 2
    assert timezone.now()
