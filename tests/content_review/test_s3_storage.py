"""Works on S3-compatible object storage (moto's real S3 API server): uploaded through the view, copies made
from and into the bucket, served only after the permission check, deleted with their work."""
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from content_review import services
from content_review.models import ShareRequest, Work
from content_review.storage import private_root, private_storage
from tests.content_review.factories import clause, draft, member_with_terms, upload
from tests.s3 import moto_endpoint, s3_bucket  # noqa: F401
from testers.models import Clause

pytestmark = pytest.mark.django_db


def folder(work):
    return f"private/works/{work.share_request_id}/{work.token}/"


def test_work_uploaded_through_the_view_lands_in_the_bucket_with_its_copies(client, member, tmp_path, s3_bucket,
                                                                            django_capture_on_commit_callbacks):
    client.force_login(member.artist.user)
    needs = clause(member.program, Clause.Klass.NEEDS_APPROVAL)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("content_review:new_request", args=[member.program.slug]), {
            "title": "Bucket study", "platforms": ["instagram"], "clauses": [needs.pk],
            "files": [upload(tmp_path, "jpg", w=640, h=480)],
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    work = ShareRequest.objects.get().works.get()
    assert work.processing_status == Work.FileStatus.READY, work.processing_error
    assert s3_bucket.keys(folder(work)) == [folder(work) + name
                                            for name in ("clean.jpg", "original.jpg", "thumbnail.jpg")]
    with Image.open(private_storage().open(work.thumbnail.name)) as thumb:
        assert max(thumb.size) <= 480
    assert not Path(private_root()).exists()  # nothing written to local disk


def test_video_copies_are_made_from_and_into_the_bucket(member, tmp_path, s3_bucket,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = draft(member, tmp_path, files=[upload(tmp_path, "mp4")])
    work = share_request.works.get()
    work.refresh_from_db()
    assert work.processing_status == Work.FileStatus.READY, work.processing_error
    assert s3_bucket.keys(folder(work)) == [folder(work) + name for name in
                                            ("clean.mp4", "original.mp4", "poster.jpg", "thumbnail.jpg")]


def test_bucket_files_are_served_only_to_permitted_users(client, member, tmp_path, reviewer, finance, s3_bucket,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = services.submit_share_request(draft(member, tmp_path), by=member.artist.user)
    work = share_request.works.get()
    url = reverse("content_review:work_file", args=[work.token, "full"])
    stored = s3_bucket.read(f"{folder(work)}clean.jpg")
    for user in (member.artist.user, reviewer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == stored  # streamed from the bucket, not a redirect
    for user in (finance, member_with_terms(member.program).artist.user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    with pytest.raises(ValueError):
        work.clean.url  # no signed link to a private file is ever handed out


def test_approved_work_gets_its_credited_copy_in_the_bucket(member, tmp_path, reviewer, s3_bucket,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = services.submit_share_request(draft(member, tmp_path), by=member.artist.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    work = share_request.works.get()
    work.refresh_from_db()
    assert work.published_status == Work.FileStatus.READY, work.published_error
    assert work.published.name == f"{folder(work)}published.jpg".removeprefix("private/")
    assert s3_bucket.read(f"{folder(work)}published.jpg")[:3] == b"\xff\xd8\xff"


def test_removing_a_work_deletes_its_objects(member, tmp_path, s3_bucket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = draft(member, tmp_path)
    first = share_request.works.get()
    assert len(s3_bucket.keys(folder(first))) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.update_share_request(share_request, by=member.artist.user, title="Renamed", remove_work_ids=[first.pk],
                                      files=[upload(tmp_path, "png")])
    assert s3_bucket.keys(folder(first)) == []
    assert len(s3_bucket.keys("private/works/")) == 3  # the new work's original and copies


def test_retried_copies_replace_the_objects_under_the_same_names(member, tmp_path, s3_bucket,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = draft(member, tmp_path)
    work = share_request.works.get()
    Work.objects.filter(pk=work.pk).update(processing_status=Work.FileStatus.PENDING)
    assert services.process_work(work.pk) == "ready"
    work.refresh_from_db()
    assert work.clean.name == f"{folder(work)}clean.jpg".removeprefix("private/")
    assert len(s3_bucket.keys(folder(work))) == 3


def test_private_storage_backend_s3_puts_both_file_storages_in_the_bucket():
    from tests.atelier.test_settings import READ, run_python

    code = READ + ("from django.core.files.storage import storages; "
                   "print(s.STORAGES['default']['BACKEND'], s.STORAGES['private']['BACKEND'], "
                   "storages['private'].bucket_name, storages['private'].location, storages['default'].location, "
                   "storages['private'].endpoint_url)")
    env = {"PRIVATE_STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "atelier-files",
           "AWS_S3_ENDPOINT_URL": "https://s3.example.com"}
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["storages.backends.s3.S3Storage", "content_review.storage.PrivateS3Storage",
                                     "atelier-files", "private", "media", "https://s3.example.com"]
    refused = run_python(READ, {"PRIVATE_STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": ""})
    assert refused.returncode != 0 and "needs AWS_STORAGE_BUCKET_NAME" in refused.stderr
