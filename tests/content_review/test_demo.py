"""The demo has share requests in every state, with real processed files, and is safe to run twice."""
import pytest
from django.core.management import call_command

from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from content_review.selectors import showcase_works
from testers.models import Program

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_share_requests_in_every_state_and_runs_twice(capsys):
    call_command("seed_demo")
    counts = (ShareRequest.objects.count(), Work.objects.count(), ReviewDecision.objects.count())
    call_command("seed_demo")
    assert (ShareRequest.objects.count(), Work.objects.count(), ReviewDecision.objects.count()) == counts
    assert set(ShareRequest.objects.values_list("status", flat=True)) == set(ShareRequest.Status.values)
    assert not Work.objects.exclude(processing_status=Work.FileStatus.READY).exists()
    assert Work.objects.filter(kind="video").exists()
    assert ReviewDecision.objects.filter(outcome="deemed_approved", decided_by=None).exists()
    assert set(Appeal.objects.values_list("status", flat=True)) == {"pending", "overturned"}
    program = Program.objects.get(slug="lumen-beta")
    assert program.deadline_policy == "escalate"
    shown = {w.share_request.title for w in showcase_works(program)}
    assert shown == {"Ocean textures", "Paper cranes"}  # "Launch teaser" is embargoed
