"""Feedback attachments on S3-compatible object storage (moto's real S3 API server): stored in the bucket with
their thumbnail, served only to the artist and the program's staff."""
import pytest
from django.urls import reverse

from testers.models import Feedback
from tests import factories
from tests.s3 import moto_endpoint, s3_bucket  # noqa: F401

pytestmark = pytest.mark.django_db


def test_feedback_image_and_thumbnail_live_in_the_bucket_and_are_served_to_permitted_users(
        client, participant, manager, program, s3_bucket, django_capture_on_commit_callbacks):
    client.force_login(participant.artist.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("testers:feedback_create"), {
            "membership": participant.pk, "kind": "bug", "severity": "high", "title": "Export crashes",
            "body": "Every 4K export.", "images": [factories.image_upload(width=1200, height=800)],
        })
    assert response.status_code == 302
    attachment = Feedback.objects.get().attachments.get()
    keys = s3_bucket.keys("media/feedback/")
    assert keys == sorted([f"media/{attachment.image.name}", f"media/{attachment.thumbnail.name}"])
    url = reverse("testers:feedback_thumbnail", args=[attachment.feedback_id, attachment.pk])
    for user in (participant.artist.user, manager):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == s3_bucket.read(f"media/{attachment.thumbnail.name}")
    client.force_login(factories.MembershipFactory(program=program).artist.user)
    assert client.get(url).status_code == 404
