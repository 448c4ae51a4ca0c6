"""Share requests: drafts, file checks (nothing half saved), submission, withdrawal, derived files."""
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from atelier.errors import DomainError
from atelier.models import AuditLogEntry
from content_review import services
from content_review.models import ShareRequest, Work
from content_review.storage import private_storage
from testers.models import Clause
from tests import factories
from tests.content_review import mediafiles
from tests.content_review.factories import clause, draft, file_upload, upload

pytestmark = pytest.mark.django_db


def private_files():
    root = Path(private_storage().location)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_artist_saves_a_draft_with_an_image_and_a_video_and_copies_are_made(member, tmp_path,
                                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = draft(member, tmp_path, files=[upload(tmp_path, "jpg"), upload(tmp_path, "mp4")])
    assert share_request.status == ShareRequest.Status.DRAFT
    image, video = share_request.works.order_by("position")
    assert (image.kind, image.mime_type, video.kind, video.extension) == ("image", "image/jpeg", "video", "mp4")
    for work in (image, video):
        work.refresh_from_db()
        assert work.processing_status == Work.FileStatus.READY, work.processing_error
        assert work.clean and work.thumbnail
    assert video.poster
    with Image.open(private_storage().path(image.thumbnail.name)) as thumb:
        assert max(thumb.size) <= 480
    assert AuditLogEntry.objects.filter(action="content_review.share_request.created").count() == 1


def test_published_copies_have_no_gps_or_camera_metadata(member, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = draft(member, tmp_path, files=[upload(tmp_path, "jpg")])
    work = share_request.works.get()
    work.refresh_from_db()
    original = Path(private_storage().path(work.original.name)).read_bytes()
    assert mediafiles.CAMERA_MODEL.encode() in original  # the original is kept as uploaded, privately
    with Image.open(private_storage().path(work.clean.name)) as clean:
        exif = clean.getexif()
        assert not exif.get_ifd(0x8825) and 0x010F not in exif and 0x0110 not in exif  # GPS, Make, Model
        assert "xmp" not in clean.info and "comment" not in clean.info


@pytest.mark.parametrize("maker, rule_words", [
    (lambda d: mediafiles.make_truncated(mediafiles.make_jpeg(d / "full.jpg", w=400, h=300), d / "cut.jpg"), "damaged"),
    (lambda d: mediafiles.make_png_bomb(d / "bomb.png"), "pixels"),
    (lambda d: mediafiles.make_polyglot(d / "poly.png"), "cannot be accepted"),
    (lambda d: mediafiles.make_pdf(d / "doc.pdf"), "PDF"),
])
def test_bad_file_is_refused_naming_the_file_and_nothing_is_saved(member, tmp_path, maker, rule_words):
    bad = maker(tmp_path)
    good = upload(tmp_path, "png")
    with pytest.raises(services.UploadRejected) as refused:
        draft(member, tmp_path, files=[good, file_upload(bad)])
    assert bad.name in str(refused.value) and rule_words in str(refused.value)
    assert not ShareRequest.objects.exists() and not Work.objects.exists()
    assert private_files() == []
    assert not AuditLogEntry.objects.filter(action__startswith="content_review").exists()


def test_mislabelled_file_is_refused(member, tmp_path):
    png = mediafiles.make_png(tmp_path / "real.png")
    with pytest.raises(services.UploadRejected, match="photo.jpg.*PNG"):
        draft(member, tmp_path, files=[file_upload(png, "photo.jpg")])
    assert not ShareRequest.objects.exists()


def test_oversized_file_is_refused_before_it_is_read(member, tmp_path, settings):
    settings.CONTENT_REVIEW_MEDIA_LIMITS = {"max_bytes_image": 1000}
    with pytest.raises(services.UploadRejected, match="work-png.png.*the limit for images"):
        draft(member, tmp_path, files=[upload(tmp_path, "png", w=200, h=200)])
    assert not ShareRequest.objects.exists()


def test_too_long_video_is_refused(member, tmp_path, settings):
    settings.CONTENT_REVIEW_MEDIA_LIMITS = {"max_video_seconds": 1.0}
    with pytest.raises(services.UploadRejected, match="long-clip.mp4"):
        draft(member, tmp_path, files=[upload(tmp_path, "mp4", name="long-clip.mp4", seconds=3)])
    assert not Work.objects.exists()


def test_upload_form_shows_each_refusal_beside_the_files_field(client, member, tmp_path):
    client.force_login(member.artist.user)
    bomb = mediafiles.make_png_bomb(tmp_path / "bomb.png")
    response = client.post(reverse("content_review:new_request", args=[member.program.slug]), {
        "title": "Bad", "files": [file_upload(bomb)],
    })
    assert response.status_code == 200
    assert "bomb.png" in response.content.decode() and not ShareRequest.objects.exists()


def test_artist_who_has_not_accepted_current_terms_cannot_ask(member, tmp_path):
    factories.TermsVersionFactory(program=member.program)  # a newer version, not accepted
    with pytest.raises(DomainError, match="accept the program's current terms"):
        draft(member, tmp_path, clause_ids=[])


def test_free_to_share_only_request_is_told_it_needs_no_review(client, member, tmp_path):
    free = clause(member.program, Clause.Klass.FREE_TO_SHARE)
    share_request = draft(member, tmp_path, clause_ids=[free.pk])
    assert services.needs_review(share_request) is False
    client.force_login(member.artist.user)
    html = client.get(reverse("content_review:request_detail", args=[share_request.pk])).content.decode()
    assert "need no review" in html


def test_request_with_an_approval_clause_needs_review(member, tmp_path):
    assert services.needs_review(draft(member, tmp_path)) is True


def test_submission_sets_the_deadline_from_the_program_sla(member, tmp_path):
    member.program.review_sla_days = 4
    member.program.save()
    share_request = services.submit_share_request(draft(member, tmp_path), by=member.artist.user)
    assert share_request.status == ShareRequest.Status.SUBMITTED
    assert (share_request.deadline_at - share_request.submitted_at).days == 4
    assert share_request.terms_version == clause(member.program, Clause.Klass.NEEDS_APPROVAL).terms_version
    assert AuditLogEntry.objects.filter(action="content_review.share_request.submitted").exists()


def test_submitted_request_can_be_withdrawn_until_decided(member, tmp_path, reviewer):
    share_request = services.submit_share_request(draft(member, tmp_path), by=member.artist.user)
    services.withdraw_share_request(share_request, by=member.artist.user)
    assert ShareRequest.objects.get().status == ShareRequest.Status.WITHDRAWN
    decided = services.submit_share_request(draft(member, tmp_path, title="Two"), by=member.artist.user)
    services.decide_share_request(decided, by=reviewer, outcome="approve")
    with pytest.raises(DomainError, match="decided request cannot be withdrawn"):
        services.withdraw_share_request(decided, by=member.artist.user)


def test_clause_of_another_version_cannot_be_marked(member, tmp_path, other_program):
    foreign = factories.TermsVersionFactory(program=other_program).clauses.first()
    with pytest.raises(DomainError, match="terms version you accepted"):
        draft(member, tmp_path, clause_ids=[foreign.pk])


def test_other_platform_needs_a_name(member, tmp_path):
    with pytest.raises(DomainError, match="Other"):
        draft(member, tmp_path, platforms=["other"])


def test_failed_processing_is_shown_and_can_be_retried(member, tmp_path, django_capture_on_commit_callbacks):
    share_request = draft(member, tmp_path)  # callbacks not run: the work stays "pending"
    work = share_request.works.get()
    Path(private_storage().path(work.original.name)).write_bytes(b"\xff\xd8\xff broken")
    assert services.process_work(work.pk) == "failed"
    work.refresh_from_db()
    assert work.processing_status == Work.FileStatus.FAILED and work.processing_error
    with pytest.raises(DomainError, match="could not be processed"):
        services.submit_share_request(share_request, by=member.artist.user)
    Path(private_storage().path(work.original.name)).write_bytes(
        mediafiles.make_jpeg(tmp_path / "again.jpg").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_work(work, by=member.artist.user)
    work.refresh_from_db()
    assert work.processing_status == Work.FileStatus.READY
    assert services.process_work(work.pk) == "skipped"  # running it twice changes nothing


def test_artist_edits_a_draft_adding_and_removing_works(member, tmp_path):
    share_request = draft(member, tmp_path)
    first = share_request.works.get()
    services.update_share_request(share_request, by=member.artist.user, title="Renamed", files=[upload(tmp_path, "gif")],
                                  remove_work_ids=[first.pk])
    share_request.refresh_from_db()
    assert share_request.title == "Renamed"
    assert list(share_request.works.values_list("extension", flat=True)) == ["gif"]


def test_video_copies_lose_their_location_and_creation_tags(member, tmp_path, django_capture_on_commit_callbacks):
    import av

    with django_capture_on_commit_callbacks(execute=True):
        share_request = draft(member, tmp_path, files=[upload(tmp_path, "mp4")])
    work = share_request.works.get()
    work.refresh_from_db()
    with av.open(private_storage().path(work.original.name)) as original:
        assert any("location" in key for key in original.metadata)
    with av.open(private_storage().path(work.clean.name)) as clean:
        assert not any("location" in key or "make" in key or "model" in key for key in clean.metadata)
        assert not any("location" in key for stream in clean.streams for key in stream.metadata)
