"""Two deadline runs at once (two beat ticks, two workers) apply the policy once: the row lock decides."""
import pytest
from django.db import connection

from content_review import services
from content_review.models import ReviewDecision, ShareRequest
from tests.content_review.factories import overdue, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_deadline_runs_deem_a_request_approved_once(member, tmp_path, race):
    assert connection.vendor == "postgresql"
    member.program.deadline_policy = "deemed_approved"
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    results = race(*[lambda: services.enforce_deadline(share_request.pk)] * 4)
    assert sorted(results, key=str) == [None, None, None, "deemed_approved"]
    assert ReviewDecision.objects.filter(share_request=share_request).count() == 1
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPROVED
