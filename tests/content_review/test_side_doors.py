"""The side doors of content review, closed: paused and removed artists, staff without TOTP, the Django admin,
writes that bypass the actions (constraints and the append-only decision table), and the review page, which
asks the actions rather than repeating their rules."""
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from atelier import actions
from atelier.errors import ActionRefused, DomainError
from atelier.models import AuditLogEntry
from atelier.permissions import PARTICIPATION_REASONS
from content_review import services
from content_review.actions import WithdrawShareRequest
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from testers.models import Clause, Membership
from tests import factories
from tests.content_review.factories import clause, draft, member_with_terms, overdue, submitted, upload

pytestmark = pytest.mark.django_db

TOTP_SETUP = reverse("mfa_activate_totp")


def fresh(user):
    """The same person as a new request would load them (roles and statuses are cached per user object)."""
    return type(user).objects.get(pk=user.pk)


def set_status(membership, status):
    Membership.objects.filter(pk=membership.pk).update(status=status)
    membership.refresh_from_db()
    return fresh(membership.artist.user)


def refused(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="Shows unreleased features.",
                                  clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    share_request.refresh_from_db()
    return share_request


def approved_work(member, tmp_path, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path)
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    return share_request.works.get()


# --- participation: paused and removed artists ------------------------------------------------------------------

@pytest.mark.parametrize("status", ["paused", "removed"])
def test_paused_and_removed_artists_cannot_create_edit_or_submit_share_requests(member, tmp_path, status):
    share_request = draft(member, tmp_path)
    user = set_status(member, status)
    reason = PARTICIPATION_REASONS[status]
    with pytest.raises(ActionRefused, match="read your records") as refused_create:
        services.create_share_request(membership=member, by=user, title="New", files=[upload(tmp_path)])
    assert refused_create.value.kind == "participation" and str(refused_create.value) == reason
    with pytest.raises(ActionRefused, match="read your records") as refused_edit:
        services.update_share_request(share_request, by=user, title="More works", files=[upload(tmp_path, "png")])
    assert refused_edit.value.kind == "participation"
    with pytest.raises(ActionRefused, match="read your records") as refused_submit:
        services.submit_share_request(share_request, by=user)
    assert refused_submit.value.kind == "participation"
    assert ShareRequest.objects.count() == 1 and share_request.works.count() == 1
    assert ShareRequest.objects.get().status == ShareRequest.Status.DRAFT


@pytest.mark.parametrize("status", ["paused", "removed"])
def test_paused_and_removed_artists_cannot_appeal_a_refusal(member, tmp_path, reviewer, status):
    share_request = refused(member, tmp_path, reviewer)
    user = set_status(member, status)
    with pytest.raises(ActionRefused) as refusal:
        services.appeal_refusal(share_request, by=user, message="It was announced.")
    assert refusal.value.kind == "participation" and str(refusal.value) == PARTICIPATION_REASONS[status]
    assert not Appeal.objects.exists()
    assert ShareRequest.objects.get().status == ShareRequest.Status.REFUSED


@pytest.mark.parametrize("status", ["paused", "removed"])
def test_paused_and_removed_artists_can_withdraw_their_pending_request(member, tmp_path, status):
    share_request = submitted(member, tmp_path)
    user = set_status(member, status)
    services.withdraw_share_request(share_request, by=user)
    assert ShareRequest.objects.get().status == ShareRequest.Status.WITHDRAWN
    entry = AuditLogEntry.objects.get(action="content_review.share_request.withdrawn")
    assert entry.actor == user and entry.data["after"]["status"] == "withdrawn"


@pytest.mark.parametrize("status", ["paused", "removed"])
def test_paused_and_removed_artists_cannot_give_but_can_withdraw_showcase_consent(
        member, tmp_path, reviewer, status, django_capture_on_commit_callbacks):
    work = approved_work(member, tmp_path, reviewer, django_capture_on_commit_callbacks)
    services.set_showcase_consent(work, by=member.artist.user, consent=True)
    other = Work.objects.create(share_request=work.share_request, kind="image", original_name="b.jpg",
                                mime_type="image/jpeg", extension="jpg", original="works/b.jpg",
                                processing_status="ready")
    user = set_status(member, status)
    with pytest.raises(ActionRefused) as refusal:
        services.set_showcase_consent(other, by=user, consent=True)
    assert refusal.value.kind == "participation"
    services.set_showcase_consent(work, by=user, consent=False)
    assert not Work.objects.filter(showcase_consent=True).exists()


def test_paused_artist_sees_why_on_the_request_page_and_cannot_submit_by_post(client, member, tmp_path):
    share_request = draft(member, tmp_path)
    set_status(member, "paused")
    client.force_login(member.artist.user)
    url = reverse("content_review:request_detail", args=[share_request.pk])
    html = client.get(url).content.decode()
    # Once, on the one button this draft's status allows: no disabled "Appeal" on a draft.
    assert html.count(PARTICIPATION_REASONS["paused"]) == 1 and "Appeal the refusal" not in html
    assert 'action="%s"' % reverse("content_review:submit_request", args=[share_request.pk]) not in html
    assert ">Withdraw</button>" in html  # withdrawing stays possible
    response = client.post(reverse("content_review:submit_request", args=[share_request.pk]))
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [PARTICIPATION_REASONS["paused"]]
    assert ShareRequest.objects.get().status == ShareRequest.Status.DRAFT
    response = client.get(reverse("content_review:edit_request", args=[share_request.pk]))
    assert response.status_code == 302
    response = client.post(reverse("content_review:withdraw_request", args=[share_request.pk]))
    assert ShareRequest.objects.get().status == ShareRequest.Status.WITHDRAWN


@pytest.mark.parametrize("status", ["paused", "removed"])
def test_paused_and_removed_artists_are_told_why_they_cannot_ask_to_share(client, member, status):
    url = reverse("content_review:new_request", args=[member.program.slug])
    set_status(member, status)
    client.force_login(member.artist.user)
    for response in (client.get(url), client.post(url, {"title": "New", "platforms": ["instagram"]})):
        assert response.status_code == 200
        assert PARTICIPATION_REASONS[status].split(":")[0] in response.content.decode()
    assert not ShareRequest.objects.exists()


def test_site_admin_reads_an_artists_request_but_cannot_act_as_the_artist(client, site_admin, member, tmp_path,
                                                                         reviewer):
    share_request = refused(member, tmp_path, reviewer)
    client.force_login(site_admin)
    assert client.get(reverse("content_review:request_detail", args=[share_request.pk])).status_code == 200
    assert client.post(reverse("content_review:appeal_request", args=[share_request.pk]),
                       {"message": "x"}).status_code == 404
    with pytest.raises(ActionRefused, match="Only the artist can appeal") as refusal:
        services.appeal_refusal(share_request, by=site_admin, message="On their behalf.")
    assert refusal.value.kind == "permission"
    assert not Appeal.objects.exists()


def test_paused_artist_cannot_appeal_through_the_page(client, member, tmp_path, reviewer):
    share_request = refused(member, tmp_path, reviewer)
    set_status(member, "paused")
    client.force_login(member.artist.user)
    url = reverse("content_review:appeal_request", args=[share_request.pk])
    assert client.post(url, {"message": "Please."}).status_code == 302
    assert not Appeal.objects.exists()
    html = client.get(reverse("content_review:request_detail", args=[share_request.pk])).content.decode()
    assert "Appeal the refusal" in html and "disabled" in html


# --- staff without TOTP -----------------------------------------------------------------------------------------

def test_staff_without_totp_are_sent_to_totp_setup_from_a_request_and_its_files(client, member, tmp_path, program,
                                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path)
    work = share_request.works.get()
    urls = [reverse("content_review:request_detail", args=[share_request.pk]),
            reverse("content_review:request_works", args=[share_request.pk]),
            reverse("content_review:work_file", args=[work.token, "thumbnail"]),
            reverse("content_review:work_file", args=[work.token, "full"])]
    for role in ("manager", "reviewer"):
        client.force_login(factories.staff_user(program, role, totp=False))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and response.url == TOTP_SETUP, (role, url)
        response = client.post(reverse("content_review:retry_work", args=[work.pk]))
        assert response.status_code == 302 and response.url == TOTP_SETUP


def test_staff_without_totp_are_sent_to_totp_setup_from_the_review_report(client, program, member):
    url = reverse("content_review:review_report", args=[program.slug])
    for role in ("manager", "reviewer", "finance"):
        client.force_login(factories.staff_user(program, role, totp=False))
        response = client.get(url)
        assert response.status_code == 302 and response.url == TOTP_SETUP, role


def test_review_report_is_public_to_members_and_its_reviewer_part_needs_staff_with_totp(client, program, member,
                                                                                        reviewer):
    url = reverse("content_review:review_report", args=[program.slug])
    client.force_login(member.artist.user)
    html = client.get(url).content.decode()
    assert "Refusals by clause" in html and "By reviewer" not in html
    client.force_login(reviewer)
    assert "By reviewer" in client.get(url).content.decode()


# --- the review page asks the actions -----------------------------------------------------------------------------

def test_reviewer_sees_why_an_escalated_request_is_not_theirs_and_cannot_decide_it_by_post(
        client, member, tmp_path, reviewer, manager):
    member.program.deadline_policy = "escalate"
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    services.enforce_deadlines()
    url = reverse("content_review:review", args=[member.program.slug, share_request.pk])
    client.force_login(reviewer)
    html = client.get(url).content.decode()
    assert "the program manager decides it" in html and "Record the decision" not in html
    response = client.post(url, {"outcome": "approve"})
    assert response.status_code == 200 and "the program manager decides it" in response.content.decode()
    assert ShareRequest.objects.get().status == ShareRequest.Status.ESCALATED
    client.force_login(manager)
    assert "Record the decision" in client.get(url).content.decode()
    assert client.post(url, {"outcome": "approve"}).status_code == 302
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPROVED


def test_reviewer_who_is_also_the_artist_gets_a_404_for_their_own_request(client, program, tmp_path):
    reviewer = factories.staff_user(program, "reviewer")
    membership = member_with_terms(program, artist=factories.ArtistProfileFactory(user=reviewer))
    share_request = submitted(membership, tmp_path)
    client.force_login(reviewer)
    url = reverse("content_review:review", args=[program.slug, share_request.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": "approve"}).status_code == 404
    with pytest.raises(ActionRefused, match="your own share request"):
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    assert ShareRequest.objects.get().status == ShareRequest.Status.SUBMITTED


def test_appeal_given_to_another_reviewer_shows_why_and_refuses_a_post(client, member, tmp_path, reviewer, program):
    share_request = refused(member, tmp_path, reviewer)
    first, second = factories.staff_user(program, "reviewer"), factories.staff_user(program, "reviewer")
    appeal = services.appeal_refusal(share_request, by=member.artist.user, message="Please.")
    outsider = second if appeal.assigned_to == first else first
    client.force_login(outsider)
    url = reverse("content_review:review", args=[program.slug, share_request.pk])
    html = client.get(url).content.decode()
    assert "This appeal was given to another reviewer." in html and "Decide the appeal" not in html
    assert client.post(url, {"on_appeal": "1", "appeal-outcome": "approve"}).status_code == 404
    assert Appeal.objects.get().status == Appeal.Status.PENDING


# --- the Django admin -----------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, site_admin):
    client.force_login(site_admin)
    return client


def test_admin_cannot_add_change_or_delete_content_review_rows(admin_client, member, tmp_path, reviewer):
    share_request = refused(member, tmp_path, reviewer)
    appeal = services.appeal_refusal(share_request, by=member.artist.user, message="Please.")
    work = share_request.works.get()
    for model, obj in (("sharerequest", share_request), ("work", work), ("appeal", appeal),
                       ("reviewdecision", share_request.decisions.get())):
        assert admin_client.get(reverse(f"admin:content_review_{model}_add")).status_code == 403, model
        change = reverse(f"admin:content_review_{model}_change", args=[obj.pk])
        page = admin_client.get(change)
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), model
        assert admin_client.post(change, {"status": "approved", "title": "x"}).status_code == 403, model
        assert admin_client.post(reverse(f"admin:content_review_{model}_delete", args=[obj.pk]),
                                 {"post": "yes"}).status_code == 403, model
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPEALED


def test_admin_takes_a_work_off_the_showcase_through_the_action(admin_client, site_admin, member, tmp_path,
                                                                 reviewer, django_capture_on_commit_callbacks):
    work = approved_work(member, tmp_path, reviewer, django_capture_on_commit_callbacks)
    services.set_showcase_consent(work, by=member.artist.user, consent=True)
    response = admin_client.post(reverse("admin:content_review_work_changelist"),
                                 {"action": "take_off_showcase", "_selected_action": [work.pk]}, follow=True)
    assert response.status_code == 200 and "Taken off the showcase: 1." in response.content.decode()
    assert not Work.objects.get().showcase_consent
    entry = AuditLogEntry.objects.get(action="content_review.showcase.work_removed")
    assert entry.actor == site_admin and entry.data["reason"]
    # Again: refused with the action's reason, as a message.
    response = admin_client.post(reverse("admin:content_review_work_changelist"),
                                 {"action": "take_off_showcase", "_selected_action": [work.pk]}, follow=True)
    assert response.status_code == 200 and "This work is not on the showcase." in response.content.decode()


def test_admin_retries_a_failed_work_through_the_action(admin_client, site_admin, member, tmp_path):
    share_request = draft(member, tmp_path)
    work = share_request.works.get()
    Work.objects.filter(pk=work.pk).update(processing_status="failed", processing_error="Codec error.")
    response = admin_client.post(reverse("admin:content_review_work_changelist"),
                                 {"action": "retry", "_selected_action": [work.pk]}, follow=True)
    assert response.status_code == 200 and "Retried: 1." in response.content.decode()
    assert AuditLogEntry.objects.get(action="content_review.work.retried").actor == site_admin
    assert Work.objects.get().processing_status == "pending"


# --- constraints and the append-only decision table -------------------------------------------------------------

def _raw(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_database_refuses_states_without_their_dates(member, tmp_path, reviewer):
    share_request = draft(member, tmp_path)
    rows = ShareRequest.objects.filter(pk=share_request.pk)
    _raw(lambda: rows.update(status="submitted"))
    _raw(lambda: rows.update(status="approved", submitted_at=timezone.now(), first_submitted_at=timezone.now(),
                             deadline_at=timezone.now()))
    _raw(lambda: rows.update(status="escalated", submitted_at=timezone.now(), first_submitted_at=timezone.now(),
                             deadline_at=timezone.now()))
    _raw(lambda: rows.update(status="withdrawn"))
    work = share_request.works.get()
    _raw(lambda: Work.objects.filter(pk=work.pk).update(processing_status="failed", processing_error=""))
    _raw(lambda: Work.objects.filter(pk=work.pk).update(showcase_consent=True, showcase_consent_at=None))


def test_database_refuses_a_decision_that_breaks_the_review_rules(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    base = {"share_request": share_request, "decided_by": reviewer, "submitted_at": timezone.now()}
    _raw(lambda: ReviewDecision.objects.create(outcome="approve_with_conditions", reason="x", **base))
    _raw(lambda: ReviewDecision.objects.create(outcome="approve", required_credit="Me", **base))
    _raw(lambda: ReviewDecision.objects.create(outcome="refuse", reason="", **base))
    _raw(lambda: ReviewDecision.objects.create(outcome="deemed_approved", **base))


def test_database_refuses_a_decided_appeal_without_its_decision(member, tmp_path, reviewer):
    share_request = refused(member, tmp_path, reviewer)
    appeal = services.appeal_refusal(share_request, by=member.artist.user, message="Please.")
    _raw(lambda: Appeal.objects.filter(pk=appeal.pk).update(status="upheld"))
    _raw(lambda: Appeal.objects.filter(pk=appeal.pk).update(status="overturned", decided_at=timezone.now()))


def test_decisions_are_append_only_in_python_and_in_the_database(member, tmp_path, reviewer):
    decision = services.decide_share_request(submitted(member, tmp_path), by=reviewer, outcome="approve")
    with pytest.raises(PermissionError):
        ReviewDecision.objects.filter(pk=decision.pk).update(reason="changed")
    with pytest.raises(PermissionError):
        ReviewDecision.objects.filter(pk=decision.pk).delete()
    with pytest.raises(PermissionError):
        decision.delete()
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE content_review_reviewdecision SET reason = 'x' WHERE id = %s", [decision.pk])
    assert ReviewDecision.objects.get().reason == ""


def test_a_broken_rule_in_the_database_becomes_a_sentence_not_a_500(member, tmp_path):
    class ForgetsTheDate(WithdrawShareRequest):  # not registered: a stand-in for a future bug
        def apply(self, obj):
            super().apply(obj)
            self.change(obj, withdrawn_at=None)

    share_request = draft(member, tmp_path)
    with pytest.raises(DomainError, match="A withdrawn request needs the time it was withdrawn."):
        ForgetsTheDate(member.artist.user, share_request).run()
    assert ShareRequest.objects.get().status == ShareRequest.Status.DRAFT
    assert not AuditLogEntry.objects.filter(action="content_review.share_request.withdrawn").exists()


def test_the_deadline_policy_is_run_by_the_system_only(member, tmp_path, manager):
    share_request = overdue(submitted(member, tmp_path))
    refusal = actions.check("content_review.deadline.escalated", manager, share_request)
    assert refusal is not None and refusal.kind == "permission"
    assert actions.check("content_review.deadline.escalated", actions.SYSTEM, share_request) is None
    on_time = submitted(member, tmp_path, title="On time")
    assert str(actions.check("content_review.deadline.escalated", actions.SYSTEM, on_time)) == \
        "The review deadline has not passed yet."
    assert on_time.deadline_at > timezone.now() + timedelta(hours=1)
