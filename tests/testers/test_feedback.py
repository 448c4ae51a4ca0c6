"""Feedback: sending with images, triage, replies; acceptance is recorded once and only once."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from atelier.errors import DomainError
from atelier.models import AuditLogEntry
from testers.models import Feedback, FeedbackAttachment, FeedbackEvent, Membership
from testers.services import feedback as services
from testers.signals import feedback_accepted
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted_signals():
    received = []

    def receiver(sender, feedback, by, **kwargs):
        received.append((feedback.pk, by.pk))

    feedback_accepted.connect(receiver, weak=False)
    yield received
    feedback_accepted.disconnect(receiver)


def test_artist_sends_a_bug_with_an_image_and_a_thumbnail_is_made(client, participant,
                                                                  django_capture_on_commit_callbacks):
    client.force_login(participant.artist.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("testers:feedback_create"), {
            "membership": participant.pk, "kind": "bug", "severity": "high", "title": "Export crashes",
            "body": "Every 4K export.", "images": [factories.image_upload(width=1200, height=800)],
        })
    feedback = Feedback.objects.get()
    assert response.status_code == 302 and response.url == reverse("testers:feedback_detail", args=[feedback.pk])
    attachment = feedback.attachments.get()
    assert (attachment.width, attachment.height) == (1200, 800) and attachment.original_name == "screenshot.png"
    assert attachment.thumbnail and max(attachment.thumbnail.width, attachment.thumbnail.height) == 320
    assert feedback.events.get().to_status == "new"
    page = client.get(reverse("testers:feedback_detail", args=[feedback.pk])).content.decode()
    assert reverse("testers:feedback_thumbnail", args=[feedback.pk, attachment.pk]) in page
    image = client.get(reverse("testers:feedback_thumbnail", args=[feedback.pk, attachment.pk]))
    assert image.status_code == 200 and b"".join(image.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.parametrize("upload, words", [
    (SimpleUploadedFile("notes.png", b"just some text, not an image"), "notes.png"),
    (SimpleUploadedFile("cut.png", factories.png_bytes()[:60]), "cut.png"),
    (SimpleUploadedFile("photo.jpg", factories.png_bytes()), "PNG"),
])
def test_bad_images_are_refused_with_a_clear_message_and_nothing_is_saved(client, participant, upload, words):
    client.force_login(participant.artist.user)
    response = client.post(reverse("testers:feedback_create"), {
        "membership": participant.pk, "kind": "general", "title": "Look", "body": "See image.", "images": [upload]})
    assert response.status_code == 200 and words in response.content.decode()
    assert not Feedback.objects.exists() and not FeedbackAttachment.objects.exists()


def test_a_bad_file_is_reported_beside_its_field_naming_the_formats_even_with_another_field_wrong(client,
                                                                                                   participant):
    client.force_login(participant.artist.user)
    response = client.post(reverse("testers:feedback_create"), {
        "membership": participant.pk, "kind": "general", "title": "", "body": "See image.",
        "images": [SimpleUploadedFile("notes.txt", b"just some text")]})
    html = response.content.decode()
    errors = html[html.index('id="id_images_error"'):]
    errors = errors[:errors.index("</div>")]
    assert "notes.txt" in errors and "JPEG, PNG, WebP or GIF" in errors
    assert 'id="id_title_error"' in html and not Feedback.objects.exists()


def test_at_most_five_images(participant):
    with pytest.raises(DomainError, match="at most 5"):
        services.submit_feedback(membership=participant, kind="general", title="t", body="b",
                                 images=[factories.image_upload(f"{i}.png") for i in range(6)],
                                 by=participant.artist.user)


def test_a_bug_needs_a_severity(client, participant):
    client.force_login(participant.artist.user)
    response = client.post(reverse("testers:feedback_create"), {
        "membership": participant.pk, "kind": "bug", "title": "Crash", "body": "It crashes."})
    assert "Choose how severe the bug is." in response.content.decode()
    with pytest.raises(DomainError):
        services.submit_feedback(membership=participant, kind="bug", title="t", body="b", by=participant.artist.user)


def test_severity_is_dropped_for_other_kinds(participant):
    feedback = services.submit_feedback(membership=participant, kind="feature", title="t", body="b",
                                        severity="high", by=participant.artist.user)
    assert feedback.severity == ""


def test_paused_artist_cannot_send_feedback(participant):
    Membership.objects.filter(pk=participant.pk).update(status=Membership.Status.PAUSED)
    with pytest.raises(DomainError, match="paused"):
        services.submit_feedback(membership=participant, kind="general", title="t", body="b",
                                 by=participant.artist.user)


def test_acceptance_is_recorded_once_and_signalled_once(participant, manager, accepted_signals):
    feedback = factories.FeedbackFactory(membership=participant)
    services.accept_feedback(feedback=feedback, by=manager)
    with pytest.raises(DomainError, match="already accepted"):
        services.accept_feedback(feedback=feedback, by=manager)
    feedback.refresh_from_db()
    assert feedback.status == "accepted" and feedback.accepted_by == manager and feedback.accepted_at
    assert accepted_signals == [(feedback.pk, manager.pk)]
    assert AuditLogEntry.objects.filter(action="testers.feedback.accepted").count() == 1
    # Shipping it later does not accept it again.
    services.mark_shipped(feedback=feedback, by=manager, build="1.0")
    assert len(accepted_signals) == 1


def test_an_accepted_item_never_goes_back(participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    services.accept_feedback(feedback=feedback, by=manager)
    for status in ("new", "declined", "duplicate"):
        with pytest.raises(DomainError):
            services.triage_feedback(feedback=feedback, to_status=status, reason="x",
                                     original=factories.FeedbackFactory(membership=participant), by=manager)


@pytest.mark.django_db(transaction=True)
def test_two_managers_accepting_at_once_record_one_acceptance(program, accepted_signals, race):
    membership = factories.MembershipFactory(program=program)
    feedback = factories.FeedbackFactory(membership=membership)
    managers = [factories.staff_user(program, "manager") for _ in range(2)]
    results = race(*[lambda user=user: services.accept_feedback(feedback=feedback, by=user) for user in managers])
    outcomes = ["refused" if isinstance(r, DomainError) else "accepted" for r in results]
    assert not any(isinstance(r, Exception) and not isinstance(r, DomainError) for r in results), results
    assert sorted(outcomes) == ["accepted", "refused"]
    assert len(accepted_signals) == 1
    assert FeedbackEvent.objects.filter(feedback=feedback, to_status="accepted").count() == 1


def test_declining_needs_a_reason_the_artist_sees(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    with pytest.raises(DomainError, match="Say why"):
        services.decline_feedback(feedback=feedback, reason=" ", by=manager)
    services.decline_feedback(feedback=feedback, reason="Out of scope for this beta.", by=manager)
    client.force_login(participant.artist.user)
    html = client.get(reverse("testers:feedback_detail", args=[feedback.pk])).content.decode()
    assert "Out of scope for this beta." in html and "Declined" in html


def test_duplicate_must_point_to_another_item_of_the_same_program(participant, manager, other_program):
    feedback = factories.FeedbackFactory(membership=participant)
    with pytest.raises(DomainError, match="itself"):
        services.mark_duplicate(feedback=feedback, original=feedback, by=manager)
    elsewhere = factories.FeedbackFactory(membership=factories.MembershipFactory(program=other_program))
    with pytest.raises(DomainError, match="same program"):
        services.mark_duplicate(feedback=feedback, original=elsewhere, by=manager)
    original = factories.FeedbackFactory(membership=participant)
    services.mark_duplicate(feedback=feedback, original=original, by=manager)
    feedback.refresh_from_db()
    assert feedback.status == "duplicate" and feedback.duplicate_of == original
    services.reopen_feedback(feedback=feedback, by=manager)
    feedback.refresh_from_db()
    assert feedback.status == "new" and feedback.duplicate_of is None


def test_manager_triages_and_replies_and_the_artist_sees_every_change(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant, title="Hands look wrong")
    client.force_login(manager)
    url = reverse("testers:staff_feedback_detail", args=[participant.program.slug, feedback.pk])
    client.post(url, {"action": "triage", "to_status": "accepted", "message": "Confirmed, thanks!"})
    client.post(url, {"action": "reply", "message": "Which model version?"})
    client.post(url, {"action": "triage", "to_status": "shipped", "shipped_in": "0.9.3", "message": "Fixed in 0.9.3"})
    feedback.refresh_from_db()
    assert feedback.status == "shipped"
    client.force_login(participant.artist.user)
    html = client.get(reverse("testers:feedback_detail", args=[feedback.pk])).content.decode()
    for words in ("Confirmed, thanks!", "Which model version?", "Fixed in 0.9.3", "Shipped"):
        assert words in html
    client.post(reverse("testers:feedback_detail", args=[feedback.pk]), {"message": "Version 0.9.2."})
    assert feedback.events.filter(kind="reply", author=participant.artist.user).exists()


def test_triage_form_rejects_an_unknown_duplicate_number(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    client.force_login(manager)
    url = reverse("testers:staff_feedback_detail", args=[participant.program.slug, feedback.pk])
    response = client.post(url, {"action": "triage", "to_status": "duplicate", "duplicate_of": 999999})
    assert "No item with this number" in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.status == "new"


def test_finance_may_read_the_queue_but_not_triage(client, participant, finance):
    feedback = factories.FeedbackFactory(membership=participant)
    client.force_login(finance)
    assert client.get(reverse("testers:staff_feedback", args=[participant.program.slug])).status_code == 200
    url = reverse("testers:staff_feedback_detail", args=[participant.program.slug, feedback.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "triage", "to_status": "accepted"}).status_code == 404
    feedback.refresh_from_db()
    assert feedback.status == "new"


def test_staff_queue_filters(client, participant, manager):
    factories.FeedbackFactory(membership=participant, kind="bug", severity="high", title="Crash on export")
    factories.FeedbackFactory(membership=participant, kind="feature", title="Seed pinning")
    client.force_login(manager)
    url = reverse("testers:staff_feedback", args=[participant.program.slug])
    html = client.get(url, {"kind": "bug"}).content.decode()
    assert "Crash on export" in html and "Seed pinning" not in html
    html = client.get(url, {"q": "seed"}).content.decode()
    assert "Seed pinning" in html and "Crash on export" not in html
    html = client.get(url, {"status": "accepted"}).content.decode()
    assert "No feedback matches." in html


def test_admin_action_accepts_through_the_service_once(client, site_admin, participant, accepted_signals):
    feedback = factories.FeedbackFactory(membership=participant)
    client.force_login(site_admin)
    url = reverse("admin:testers_feedback_changelist")
    for _ in range(2):
        client.post(url, {"action": "accept", "_selected_action": [feedback.pk]})
    feedback.refresh_from_db()
    assert feedback.status == "accepted" and feedback.accepted_by == site_admin
    assert len(accepted_signals) == 1
