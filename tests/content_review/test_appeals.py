"""Appeals: once per refusal, to someone other than the reviewer who refused, final."""
import pytest
from django.core import mail
from django.urls import reverse

from atelier.errors import DomainError
from atelier.models import AuditLogEntry
from content_review import services
from content_review.models import Appeal, ShareRequest
from testers.models import Clause
from tests import factories
from tests.content_review.factories import clause, submitted

pytestmark = pytest.mark.django_db


def refused(member, tmp_path, by):
    share_request = submitted(member, tmp_path)
    services.decide_share_request(share_request, by=by, outcome="refuse", reason="Shows unreleased features.",
                                  clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    share_request.refresh_from_db()
    return share_request


@pytest.fixture
def second_reviewer(program):
    return factories.staff_user(program, "reviewer")


def test_appeal_goes_to_another_reviewer(member, tmp_path, reviewer, second_reviewer, manager,
                                         django_capture_on_commit_callbacks):
    share_request = refused(member, tmp_path, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.appeal_refusal(share_request, by=member.artist.user, message="It is a public feature.")
    assert appeal.assigned_to == second_reviewer and appeal.refused_by == reviewer
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPEALED
    assert second_reviewer.email in mail.outbox[-1].to
    assert AuditLogEntry.objects.filter(action="content_review.appeal.created").exists()


def test_program_with_a_single_reviewer_sends_appeals_to_its_manager(member, tmp_path, reviewer, manager):
    appeal = services.appeal_refusal(refused(member, tmp_path, reviewer), by=member.artist.user, message="Please.")
    assert appeal.assigned_to == manager


def test_reviewer_cannot_decide_an_appeal_of_their_own_refusal(client, member, tmp_path, reviewer, manager):
    share_request = refused(member, tmp_path, reviewer)
    appeal = services.appeal_refusal(share_request, by=member.artist.user, message="Please.")
    with pytest.raises(DomainError, match="another reviewer decides its appeal"):
        services.decide_appeal(appeal, by=reviewer, outcome="approve")
    client.force_login(reviewer)
    url = reverse("content_review:review", args=[member.program.slug, share_request.pk])
    html = client.get(url).content.decode()
    assert "Decide the appeal" not in html and "another reviewer decides its appeal" in html
    client.post(url, {"on_appeal": "1", "appeal-outcome": "approve"})
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PENDING
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPEALED


def test_appeal_decision_is_final_and_the_artist_can_appeal_only_once(member, tmp_path, reviewer, second_reviewer,
                                                                      django_capture_on_commit_callbacks):
    share_request = refused(member, tmp_path, reviewer)
    appeal = services.appeal_refusal(share_request, by=member.artist.user, message="Please.")
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decide_appeal(appeal, by=second_reviewer, outcome="refuse", reason="Still confidential.",
                                          clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    assert decision.on_appeal
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD and appeal.decision == decision
    assert "final" in mail.outbox[-1].body
    share_request.refresh_from_db()
    assert share_request.status == ShareRequest.Status.REFUSED
    with pytest.raises(DomainError, match="already appealed"):
        services.appeal_refusal(share_request, by=member.artist.user, message="Again!")
    with pytest.raises(DomainError, match="already decided"):
        services.decide_appeal(appeal, by=second_reviewer, outcome="approve")


def test_appeal_overturned_by_the_assigned_reviewer_approves(client, member, tmp_path, reviewer, second_reviewer):
    share_request = refused(member, tmp_path, reviewer)
    services.appeal_refusal(share_request, by=member.artist.user, message="The feature was announced yesterday.")
    client.force_login(second_reviewer)
    url = reverse("content_review:review", args=[member.program.slug, share_request.pk])
    assert "Decide the appeal" in client.get(url).content.decode()
    response = client.post(url, {"on_appeal": "1", "appeal-outcome": "approve"})
    assert response.status_code == 302
    assert Appeal.objects.get().status == Appeal.Status.OVERTURNED
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPROVED
    entry = AuditLogEntry.objects.get(action="content_review.appeal.overturned")
    assert entry.actor == second_reviewer and entry.data["before"]["status"] == "appealed"
    assert entry.data["after"]["status"] == "approved" and entry.data["appeal_status"] == "overturned"


def test_only_a_refusal_can_be_appealed_and_only_by_its_artist(member, other_member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    with pytest.raises(DomainError, match="Only a refusal"):
        services.appeal_refusal(share_request, by=member.artist.user, message="Hm")
    share_request = refused(member, tmp_path, reviewer)
    with pytest.raises(DomainError, match="Only the artist"):
        services.appeal_refusal(share_request, by=other_member.artist.user, message="Hm")


def test_appeal_needs_a_message(member, tmp_path, reviewer):
    with pytest.raises(DomainError, match="why you appeal"):
        services.appeal_refusal(refused(member, tmp_path, reviewer), by=member.artist.user, message=" ")


def test_artist_appeals_through_the_page(client, member, tmp_path, reviewer, second_reviewer):
    share_request = refused(member, tmp_path, reviewer)
    client.force_login(member.artist.user)
    url = reverse("content_review:appeal_request", args=[share_request.pk])
    assert "Unreleased features" in client.get(url).content.decode()
    assert client.post(url, {"message": "It was announced."}).status_code == 302
    assert Appeal.objects.get().message == "It was announced."
