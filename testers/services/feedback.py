"""Feedback: an artist sends it, staff triage and reply. Acceptance is recorded once and only once."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from atelier import audit
from testers import media
from testers.models import Feedback, FeedbackAttachment, FeedbackEvent, Membership
from testers.selectors import require_participation
from testers.signals import feedback_accepted

from . import DomainError

S = Feedback.Status
# Allowed moves. Accepted items are paid for, so they never go back; declined and duplicate items may be reopened.
TRANSITIONS = {
    S.NEW: {S.ACCEPTED, S.DUPLICATE, S.DECLINED},
    S.ACCEPTED: {S.SHIPPED},
    S.DUPLICATE: {S.NEW},
    S.DECLINED: {S.NEW},
    S.SHIPPED: set(),
}


@transaction.atomic
def submit_feedback(*, membership: Membership, kind: str, title: str, body: str, severity: str = "",
                    images=(), by) -> Feedback:
    """Check the artist may take part, check every image, save the item; thumbnails are made after commit."""
    membership = Membership.objects.select_related("program", "artist").get(pk=membership.pk)
    require_participation(membership)
    if kind == Feedback.Kind.BUG and not severity:
        raise DomainError("Choose how severe the bug is.")
    if kind != Feedback.Kind.BUG:
        severity = ""
    images = list(images or [])
    if len(images) > media.MAX_ATTACHMENTS:
        raise DomainError(f"Attach at most {media.MAX_ATTACHMENTS} images.")
    sizes = [media.check_feedback_image(image) for image in images]
    feedback = Feedback.objects.create(membership=membership, kind=kind, title=title.strip(), body=body,
                                       severity=severity)
    attachment_ids = []
    for image, (width, height) in zip(images, sizes):
        attachment = FeedbackAttachment(feedback=feedback, original_name=image.name[:255], width=width, height=height)
        attachment.image.save(image.name, image, save=False)
        attachment.save()
        attachment_ids.append(attachment.pk)
    FeedbackEvent.objects.create(feedback=feedback, author=by, kind=FeedbackEvent.Kind.STATUS, to_status=S.NEW,
                                 message="Sent.")
    audit.log(by, "testers.feedback.submitted", feedback, kind=kind, severity=severity, attachments=len(images))
    if attachment_ids:
        from testers.tasks import make_feedback_thumbnail

        transaction.on_commit(lambda: [make_feedback_thumbnail.delay(pk) for pk in attachment_ids])
    return feedback


def _locked(feedback: Feedback) -> Feedback:
    return Feedback.objects.select_for_update().select_related("membership__program").get(pk=feedback.pk)


def _move(feedback: Feedback, to_status: str, *, by, message: str = "") -> Feedback:
    if to_status not in TRANSITIONS[feedback.status]:
        raise DomainError(
            f"An item that is {feedback.get_status_display().lower()} cannot become {S(to_status).label.lower()}."
        )
    before = feedback.status
    feedback.status = to_status
    FeedbackEvent.objects.create(feedback=feedback, author=by, kind=FeedbackEvent.Kind.STATUS, from_status=before,
                                 to_status=to_status, message=message)
    return feedback


@transaction.atomic
def accept_feedback(*, feedback: Feedback, by, message: str = "") -> Feedback:
    """Accept an item: a paid event, recorded once. The row lock makes a second, concurrent accept see it done."""
    feedback = _locked(feedback)
    if feedback.status == S.ACCEPTED or feedback.accepted_at is not None:
        raise DomainError("This item was already accepted.")
    _move(feedback, S.ACCEPTED, by=by, message=message)
    feedback.accepted_at = timezone.now()
    feedback.accepted_by = by
    feedback.duplicate_of = None
    feedback.decline_reason = ""
    feedback.save(update_fields=["status", "accepted_at", "accepted_by", "duplicate_of", "decline_reason",
                                 "updated_at"])
    audit.log(by, "testers.feedback.accepted", feedback, before={"status": S.NEW}, after={"status": S.ACCEPTED})
    feedback_accepted.send(sender=Feedback, feedback=feedback, by=by)
    return feedback


@transaction.atomic
def mark_duplicate(*, feedback: Feedback, original: Feedback, by, message: str = "") -> Feedback:
    feedback = _locked(feedback)
    if original is None:
        raise DomainError("Choose the item this one duplicates.")
    if original.pk == feedback.pk:
        raise DomainError("An item cannot duplicate itself.")
    if original.membership.program_id != feedback.membership.program_id:
        raise DomainError("The original must be an item of the same program.")
    if original.status == S.DUPLICATE:
        raise DomainError("Choose the original item, not another duplicate.")
    before = feedback.status
    _move(feedback, S.DUPLICATE, by=by, message=message or f"Duplicate of #{original.pk} “{original.title}”.")
    feedback.duplicate_of = original
    feedback.save(update_fields=["status", "duplicate_of", "updated_at"])
    audit.log(by, "testers.feedback.duplicate", feedback, before={"status": before},
              after={"status": S.DUPLICATE, "duplicate_of": original.pk})
    return feedback


@transaction.atomic
def decline_feedback(*, feedback: Feedback, reason: str, by) -> Feedback:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the item is declined; the artist sees the reason.")
    feedback = _locked(feedback)
    before = feedback.status
    _move(feedback, S.DECLINED, by=by, message=reason)
    feedback.decline_reason = reason
    feedback.save(update_fields=["status", "decline_reason", "updated_at"])
    audit.log(by, "testers.feedback.declined", feedback, before={"status": before},
              after={"status": S.DECLINED, "reason": reason})
    return feedback


@transaction.atomic
def mark_shipped(*, feedback: Feedback, by, message: str = "") -> Feedback:
    feedback = _locked(feedback)
    before = feedback.status
    _move(feedback, S.SHIPPED, by=by, message=message)
    feedback.save(update_fields=["status", "updated_at"])
    audit.log(by, "testers.feedback.shipped", feedback, before={"status": before}, after={"status": S.SHIPPED})
    return feedback


@transaction.atomic
def reopen_feedback(*, feedback: Feedback, by, message: str = "") -> Feedback:
    feedback = _locked(feedback)
    before = feedback.status
    _move(feedback, S.NEW, by=by, message=message)
    feedback.duplicate_of = None
    feedback.decline_reason = ""
    feedback.save(update_fields=["status", "duplicate_of", "decline_reason", "updated_at"])
    audit.log(by, "testers.feedback.reopened", feedback, before={"status": before}, after={"status": S.NEW})
    return feedback


@transaction.atomic
def triage_feedback(*, feedback: Feedback, to_status: str, by, message: str = "", reason: str = "",
                    original: Feedback | None = None) -> Feedback:
    """One entry point for the triage form."""
    if to_status == S.ACCEPTED:
        return accept_feedback(feedback=feedback, by=by, message=message)
    if to_status == S.DUPLICATE:
        return mark_duplicate(feedback=feedback, original=original, by=by, message=message)
    if to_status == S.DECLINED:
        return decline_feedback(feedback=feedback, reason=reason or message, by=by)
    if to_status == S.SHIPPED:
        return mark_shipped(feedback=feedback, by=by, message=message)
    if to_status == S.NEW:
        return reopen_feedback(feedback=feedback, by=by, message=message)
    raise DomainError("Unknown status.")


@transaction.atomic
def reply_to_feedback(*, feedback: Feedback, message: str, by) -> FeedbackEvent:
    """A reply from staff or the artist; both see the whole thread."""
    message = (message or "").strip()
    if not message:
        raise DomainError("Write a reply first.")
    event = FeedbackEvent.objects.create(feedback=feedback, author=by, kind=FeedbackEvent.Kind.REPLY, message=message)
    Feedback.objects.filter(pk=feedback.pk).update(updated_at=timezone.now())
    audit.log(by, "testers.feedback.replied", feedback, event_id=event.pk)
    return event
