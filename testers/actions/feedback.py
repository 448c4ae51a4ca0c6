"""Feedback: an artist sends it; a manager triages it (accept, duplicate, decline, ship, reopen); both reply.
Acceptance is a paid event: recorded once, signalled once inside its transaction (payments prices it)."""
from __future__ import annotations

from django.utils import timezone

from atelier import bounds
from atelier.errors import ActionRefused, Refusal
from testers import media
from testers.models import Feedback, FeedbackAttachment, FeedbackEvent, Membership
from testers.signals import feedback_accepted, feedback_shipped
from testers.tasks import make_feedback_thumbnail

from .base import clean_text, terms_refusal, TestersAction, TransitionAction

S = Feedback.Status


#: The tool's own description of itself (the REST API sends it): param name -> Feedback field.
APP_METADATA = {"build": "app_build", "os": "app_os", "device": "app_device"}


class SubmitFeedback(TestersAction):
    """Target: the artist's own membership. Params: kind, title, body, severity, images; from the REST API also
    build, os, device (APP_METADATA) and `via` (recorded in the audit entry)."""

    name = "testers.feedback.submitted"
    label = "sent feedback"
    model = Membership
    permission = "feedback.create"
    select_related = ("program", "artist")

    def refusal(self, membership):
        return terms_refusal(membership)

    def apply(self, membership):
        kind, severity = self.params.get("kind"), self.params.get("severity") or ""
        if kind not in Feedback.Kind.values:
            raise ActionRefused(Refusal("Choose what kind of feedback this is.", "rule"))
        if kind == Feedback.Kind.BUG and not severity:
            raise ActionRefused(Refusal("Choose how severe the bug is.", "rule"))
        if kind != Feedback.Kind.BUG:
            severity = ""
        images = list(self.params.get("images") or [])
        if len(images) > media.MAX_ATTACHMENTS:
            raise ActionRefused(Refusal(f"Attach at most {media.MAX_ATTACHMENTS} images.", "rule"))
        sizes = [media.check_feedback_image(image) for image in images]
        metadata = {field: clean_text(self.params.get(param)) for param, field in APP_METADATA.items()}
        for param, field in APP_METADATA.items():
            if len(metadata[field]) > bounds.APP_METADATA_TEXT:
                raise ActionRefused(Refusal(f"The {param} is at most {bounds.APP_METADATA_TEXT} characters.", "rule"))
        feedback = Feedback.objects.create(membership=membership, kind=kind, title=clean_text(self.params.get("title")),
                                           body=self.params.get("body") or "", severity=severity, **metadata)
        attachment_ids = []
        for image, (width, height) in zip(images, sizes):
            attachment = FeedbackAttachment(feedback=feedback, original_name=image.name[:255], width=width,
                                            height=height)
            attachment.image.save(image.name, image, save=False)
            attachment.save()
            attachment_ids.append(attachment.pk)
        FeedbackEvent.objects.create(feedback=feedback, author=self.actor, kind=FeedbackEvent.Kind.STATUS,
                                     to_status=S.NEW, message="Sent.")
        self.audit_data.update(kind=kind, severity=severity, attachments=len(images))
        if self.params.get("via"):
            self.audit_data["via"] = self.params["via"]
        if attachment_ids:
            for pk in attachment_ids:
                make_feedback_thumbnail.delay(pk)  # transaction-aware: runs once the item is committed
        return feedback


class _Triage(TransitionAction):
    model = Feedback
    permission = "feedback.triage"
    select_related = ("membership__program",)

    def state_refusal(self, feedback, status):
        target = Feedback.TRANSITIONS[self.transition].target
        return (f"An item that is {feedback.get_status_display().lower()} cannot become "
                f"{S(target).label.lower()}." if target else None)

    def event(self, feedback, message: str = ""):
        FeedbackEvent.objects.create(feedback=feedback, author=self.actor, kind=FeedbackEvent.Kind.STATUS,
                                     from_status=feedback.status, to_status=self.next_status(feedback),
                                     message=message)


class AcceptFeedback(_Triage):
    """A paid event, recorded once: the row lock makes a second, concurrent accept see it done. Params: message."""

    name = "testers.feedback.accepted"
    label = "accepted feedback"
    transition = "accept"

    def state_refusal(self, feedback, status):
        if status in (S.ACCEPTED, S.SHIPPED):
            return "This item was already accepted."
        return super().state_refusal(feedback, status)

    def refusal(self, feedback):
        if feedback.accepted_at is not None:
            return Refusal("This item was already accepted.", "state")
        return None

    def apply(self, feedback):
        self.event(feedback, clean_text(self.params.get("message")))
        self.change(feedback, accepted_at=timezone.now(), accepted_by_id=getattr(self.actor, "pk", None),
                    duplicate_of_id=None, decline_reason="")
        self.move(feedback)
        feedback_accepted.send(sender=Feedback, feedback=feedback, by=self.actor)


class MarkDuplicate(_Triage):
    """Params: original (an item of the same program), message."""

    name = "testers.feedback.duplicate"
    label = "marked feedback as a duplicate"
    transition = "mark_duplicate"

    def refusal(self, feedback):
        original = self.params.get("original")
        if original is None:
            return "Choose the item this one duplicates."
        if original.pk == feedback.pk:
            return "An item cannot duplicate itself."
        if original.membership.program_id != feedback.membership.program_id:
            return "The original must be an item of the same program."
        if original.status == S.DUPLICATE:
            return "Choose the original item, not another duplicate."
        return None

    def apply(self, feedback):
        original = self.params["original"]
        self.event(feedback, clean_text(self.params.get("message")) or f"Duplicate of #{original.pk} “{original.title}”.")
        self.change(feedback, duplicate_of_id=original.pk)


class DeclineFeedback(_Triage):
    """Params: reason (the artist sees it)."""

    name = "testers.feedback.declined"
    label = "declined feedback"
    transition = "decline"

    def refusal(self, feedback):
        if not clean_text(self.params.get("reason")):
            return "Say why the item is declined; the artist sees the reason."
        return None

    def apply(self, feedback):
        reason = clean_text(self.params["reason"])
        self.event(feedback, reason)
        self.change(feedback, decline_reason=reason)


class ShipFeedback(_Triage):
    """An accepted item shipped in a build or release (required, a line). Marking it records who and when, and
    signals payments inside this transaction, which credits the rate card's shipped-feedback bonus once per item
    (a second mark is refused by the status; the ledger's unique key holds even so). Params: build, message."""

    name = "testers.feedback.shipped"
    label = "shipped feedback"
    transition = "ship"

    def state_refusal(self, feedback, status):
        if status == S.SHIPPED:
            return f"This item already shipped in {feedback.shipped_in}." if feedback.shipped_in else \
                "This item already shipped."
        return super().state_refusal(feedback, status)

    def refusal(self, feedback):
        build = clean_text(self.params.get("build"))
        if not build:
            return "Name the build or release the item shipped in."
        if len(build) > bounds.SHORT_TEXT:
            return f"The build is at most {bounds.SHORT_TEXT} characters: shorten it."
        return None

    def apply(self, feedback):
        build = clean_text(self.params["build"])
        message = clean_text(self.params.get("message"))
        self.event(feedback, f"Shipped in {build}." + (f" {message}" if message else ""))
        self.change(feedback, shipped_in=build, shipped_at=timezone.now(),
                    shipped_by_id=getattr(self.actor, "pk", None))
        self.move(feedback)
        self.emit(build=build)
        feedback_shipped.send(sender=Feedback, feedback=feedback, by=self.actor)


class ReopenFeedback(_Triage):
    """A declined or duplicate item becomes new again. Params: message."""

    name = "testers.feedback.reopened"
    label = "reopened feedback"
    transition = "reopen"

    def apply(self, feedback):
        self.event(feedback, clean_text(self.params.get("message")))
        self.change(feedback, duplicate_of_id=None, decline_reason="")


#: the triage form's "new status" -> the action that moves an item there
TRIAGE_ACTIONS = {
    S.ACCEPTED: AcceptFeedback, S.DUPLICATE: MarkDuplicate, S.DECLINED: DeclineFeedback, S.SHIPPED: ShipFeedback,
    S.NEW: ReopenFeedback,
}


def triage_action(user, feedback, to_status, *, message="", original=None, build=None):
    """The triage form's choice as an action, ready to check or run."""
    action = TRIAGE_ACTIONS.get(to_status)
    if action is None:
        raise ActionRefused(Refusal("Unknown status.", "rule"))
    if action is DeclineFeedback:
        return action(user, feedback, reason=message)
    if action is MarkDuplicate:
        return action(user, feedback, original=original, message=message)
    if action is ShipFeedback:
        return action(user, feedback, build=build or "", message=message)
    return action(user, feedback, message=message)


class ReplyToFeedback(TestersAction):
    """A reply from the program's manager or the artist (while their membership is active); both see the whole
    thread. Allowed whatever the item's status. Params: message."""

    name = "testers.feedback.replied"
    label = "replied to feedback"
    model = Feedback
    transition = "reply"
    permission = "feedback.comment"
    select_related = ("membership__program",)

    def refusal(self, feedback):
        if "message" in self.params and not clean_text(self.params.get("message")):
            return "Write a reply first."
        return None

    def apply(self, feedback):
        event = FeedbackEvent.objects.create(feedback=feedback, author=self.actor, kind=FeedbackEvent.Kind.REPLY,
                                             message=clean_text(self.params.get("message")))
        self.change(feedback, updated_at=timezone.now())
        self.before.pop("updated_at", None)
        self.after.pop("updated_at", None)
        self.audit_data["event_id"] = event.pk
        return event

    def audit_target(self, obj, result):
        return obj


__all__ = ["APP_METADATA", "AcceptFeedback", "DeclineFeedback", "MarkDuplicate", "ReopenFeedback", "ReplyToFeedback",
           "ShipFeedback", "SubmitFeedback", "TRIAGE_ACTIONS", "triage_action"]
