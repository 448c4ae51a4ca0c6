"""Share requests and clauses that ended (issue 16, point 2): a request waiting for a decision whose cited clauses
are all free to share now, one of them ended, is approved by the system with the ended clauses named in its reason
— when the clause ends, and when such a request is submitted after. A request citing a clause still confidential
waits for its reviewer."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.models import AuditLogEntry, Notification
from content_review import services
from content_review.models import ReviewDecision, ShareRequest
from content_review.services.freed import waiting_citing_ended
from testers.models import Clause
from testers.services import milestones as milestone_services
from testers.tasks import end_clauses
from tests import factories
from tests.content_review.factories import draft, member_with_terms, submitted

pytestmark = pytest.mark.django_db

Status = ShareRequest.Status
APPROVED_AS_FREE = "content_review.share_request.approved_as_free"


@pytest.fixture
def member(program):
    return member_with_terms(program)


@pytest.fixture
def version(program, member):
    return program.terms_versions.get()


@pytest.fixture
def launch(program, manager, version):
    """The version's needs-approval clause ends at the public launch."""
    milestone = milestone_services.create_milestone(program=program, name="public launch", by=manager)
    Clause.objects.filter(terms_version=version, klass=Clause.Klass.NEEDS_APPROVAL).update(ends_at_milestone=milestone)
    return milestone


def clause_of(version, klass):
    return version.clauses.get(klass=klass)


def test_a_pending_request_citing_only_the_clause_that_ends_is_approved_with_the_reason(
        member, version, launch, manager, reviewer, tmp_path, django_capture_on_commit_callbacks):
    outputs = clause_of(version, Clause.Klass.NEEDS_APPROVAL)
    share_request = submitted(member, tmp_path, clause_ids=[outputs.pk])
    assert share_request.status == Status.SUBMITTED
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)

    share_request.refresh_from_db()
    assert share_request.status == Status.APPROVED
    [decision] = share_request.decisions.all()
    assert decision.outcome == ReviewDecision.Outcome.CLAUSES_ENDED and decision.decided_by is None
    assert list(decision.clauses.all()) == [outputs]
    assert str(outputs) in decision.reason and "until public launch is announced" in decision.reason
    [entry] = AuditLogEntry.objects.filter(action=APPROVED_AS_FREE)
    assert entry.actor is None and entry.data["clauses"] == [outputs.key]
    told = Notification.objects.filter(event=APPROVED_AS_FREE).get()
    assert told.recipient == member.artist.user and "the clauses it cites have ended" in told.title

    # the artist's page says who decided and why
    page = _client_for(member).get(reverse("content_review:request_detail", args=[share_request.pk]))
    assert "the clauses it cites have ended" in page.content.decode()


def _client_for(membership):
    from django.test import Client

    client = Client()
    client.force_login(membership.artist.user)
    return client


def test_a_request_citing_a_clause_still_confidential_too_waits_for_its_reviewer(
        member, version, launch, manager, tmp_path, django_capture_on_commit_callbacks):
    outputs = clause_of(version, Clause.Klass.NEEDS_APPROVAL)
    secret = clause_of(version, Clause.Klass.CONFIDENTIAL)
    share_request = submitted(member, tmp_path, clause_ids=[outputs.pk, secret.pk])
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)
    share_request.refresh_from_db()
    assert share_request.status == Status.SUBMITTED and not share_request.decisions.exists()
    assert not AuditLogEntry.objects.filter(action=APPROVED_AS_FREE).exists()


def test_a_request_citing_no_clause_is_not_approved(member, launch, manager, tmp_path,
                                                    django_capture_on_commit_callbacks):
    share_request = submitted(member, tmp_path, clause_ids=[])
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.SUBMITTED


def test_an_escalated_request_citing_only_an_ended_clause_is_approved_too(
        member, version, launch, manager, tmp_path, django_capture_on_commit_callbacks):
    share_request = submitted(member, tmp_path, clause_ids=[clause_of(version, Clause.Klass.NEEDS_APPROVAL).pk])
    now = timezone.now()
    ShareRequest.objects.filter(pk=share_request.pk).update(
        status=Status.ESCALATED, escalated_at=now, escalation_deadline_at=now + datetime.timedelta(days=3),
        escalated_to=manager, deadline_missed=True)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.APPROVED


def test_a_request_submitted_after_the_end_citing_only_ended_and_free_clauses_is_approved_at_once(
        member, version, launch, manager, reviewer, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)
    cited = [clause_of(version, Clause.Klass.NEEDS_APPROVAL).pk, clause_of(version, Clause.Klass.FREE_TO_SHARE).pk]
    share_request = draft(member, tmp_path, clause_ids=cited)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_share_request(share_request, by=member.artist.user)
    share_request.refresh_from_db()
    assert share_request.status == Status.APPROVED
    assert share_request.decisions.get().outcome == ReviewDecision.Outcome.CLAUSES_ENDED
    assert AuditLogEntry.objects.filter(action=APPROVED_AS_FREE).count() == 1
    # nothing to review: the reviewers are not asked to
    assert not Notification.objects.filter(recipient=reviewer).exists()
    assert Notification.objects.filter(recipient=member.artist.user, event=APPROVED_AS_FREE).count() == 1


def test_a_new_request_citing_a_still_confidential_clause_goes_to_review(
        member, version, launch, manager, reviewer, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)
    cited = [clause_of(version, Clause.Klass.NEEDS_APPROVAL).pk, clause_of(version, Clause.Klass.CONFIDENTIAL).pk]
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path, clause_ids=cited)
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.SUBMITTED
    assert Notification.objects.filter(recipient=reviewer, event="content_review.share_request.submitted").exists()


def test_a_clause_ending_on_its_day_approves_the_requests_it_freed(
        member, version, tmp_path, django_capture_on_commit_callbacks):
    secret = clause_of(version, Clause.Klass.CONFIDENTIAL)
    share_request = submitted(member, tmp_path, clause_ids=[secret.pk])
    Clause.objects.filter(pk=secret.pk).update(ends_on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        assert end_clauses() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert end_clauses() == 0  # twice: nothing more
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.APPROVED
    assert AuditLogEntry.objects.filter(action=APPROVED_AS_FREE).count() == 1
    assert AuditLogEntry.objects.filter(action="testers.clause.ended").count() == 1


def test_the_deadline_sweep_approves_a_request_whose_event_was_lost(member, version, tmp_path):
    secret = clause_of(version, Clause.Klass.CONFIDENTIAL)
    share_request = submitted(member, tmp_path, clause_ids=[secret.pk])
    still_restricted = submitted(member, tmp_path, title="Also the outputs",
                                 clause_ids=[secret.pk, clause_of(version, Clause.Klass.NEEDS_APPROVAL).pk])
    # The clause ended, but its event never reached content review (a lost message).
    Clause.objects.filter(pk=secret.pk).update(ends_on=timezone.localdate(), ended_at=timezone.now())
    assert waiting_citing_ended() == [share_request.pk]  # the sweep does not retry one still restricted
    assert services.enforce_deadlines()["approved_as_free"] == 1
    assert ShareRequest.objects.get(pk=still_restricted.pk).status == Status.SUBMITTED
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.APPROVED
    assert "approved_as_free" not in services.enforce_deadlines()  # once


def test_a_decided_or_withdrawn_request_is_left_as_it_is(member, version, launch, manager, reviewer, tmp_path,
                                                         django_capture_on_commit_callbacks):
    outputs = clause_of(version, Clause.Klass.NEEDS_APPROVAL)
    refused = submitted(member, tmp_path, clause_ids=[outputs.pk])
    services.decide_share_request(refused, by=reviewer, outcome="refuse", reason="Not yet.", clause_ids=[outputs.pk])
    withdrawn = submitted(member, tmp_path, clause_ids=[outputs.pk], title="Second")
    services.withdraw_share_request(withdrawn, by=member.artist.user)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=launch, by=manager)
    assert ShareRequest.objects.get(pk=refused.pk).status == Status.REFUSED
    assert ShareRequest.objects.get(pk=withdrawn.pk).status == Status.WITHDRAWN
    assert not AuditLogEntry.objects.filter(action=APPROVED_AS_FREE).exists()


def test_nobody_but_the_system_approves_as_free(member, version, launch, manager, reviewer, tmp_path):
    from atelier.errors import ActionRefused
    from content_review.actions import ApproveAsFree

    share_request = submitted(member, tmp_path, clause_ids=[clause_of(version, Clause.Klass.NEEDS_APPROVAL).pk])
    milestone_services.announce_milestone(milestone=launch, by=manager)  # not committed: content review waits
    share_request.refresh_from_db()
    assert share_request.status == Status.SUBMITTED
    for person in (reviewer, manager, member.artist.user):
        assert ApproveAsFree(person, share_request).check().kind == "permission"
        with pytest.raises(ActionRefused):
            ApproveAsFree(person, share_request).run()
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.SUBMITTED
    assert not AuditLogEntry.objects.filter(action=APPROVED_AS_FREE).exists()


def test_the_other_programs_milestone_frees_nothing_here(member, version, other_program, tmp_path,
                                                         django_capture_on_commit_callbacks):
    other_manager = factories.staff_user(other_program, "manager")
    elsewhere = milestone_services.create_milestone(program=other_program, name="public launch", by=other_manager)
    share_request = submitted(member, tmp_path, clause_ids=[clause_of(version, Clause.Klass.NEEDS_APPROVAL).pk])
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.announce_milestone(milestone=elsewhere, by=other_manager)
    assert ShareRequest.objects.get(pk=share_request.pk).status == Status.SUBMITTED
