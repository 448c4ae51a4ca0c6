"""Works: their derived files (made by the system, retried by the artist or the program's staff), their
credited copies, and the artist's consent to the public showcase."""
from __future__ import annotations

from typing import ClassVar

from django.utils import timezone

from atelier.errors import DomainError, Refusal
from content_review import tasks
from content_review.actions.base import ReviewAction
from content_review.models import ShareRequest, Work

FileStatus = Work.FileStatus


def _program(work):
    return work.share_request.membership.program


class WorkAction(ReviewAction):
    model = Work
    select_related = ("share_request__membership__program", "share_request__membership__artist")

    def audit_program(self, obj, result):
        return _program(obj)


# --- the work's own copies (Work.TRANSITIONS, on processing_status) ------------------------------------------

class WorkProcessed(WorkAction):
    """The system made the clean copy, thumbnail and (video) poster. Params: clean, thumbnail, poster (names)."""

    name = "content_review.work.processed"
    label = "made the copies of work"
    transition = "processed"
    system = True
    people = False

    def apply(self, obj):
        self.set_files(obj, clean=self.params["clean"], thumbnail=self.params["thumbnail"],
                       poster=self.params.get("poster", ""))
        self.change(obj, processing_error="")
        return obj


class WorkProcessingFailed(WorkAction):
    """The system could not make the copies. Params: error (shown to the artist)."""

    name = "content_review.work.processing_failed"
    label = "could not make the copies of work"
    transition = "processing_failed"
    system = True
    people = False

    def apply(self, obj):
        self.change(obj, processing_error=self.params["error"])
        self.audit_data["error"] = self.params["error"]
        return obj


class RetryWork(WorkAction):
    """Make a failed work's copies again (the artist while active, or the program's reviewers and managers)."""

    name = "content_review.work.retried"
    label = "retried making the copies of work"
    transition = "retry"
    permission = "work.retry"
    permission_reason = "You may not retry this work."

    def state_refusal(self, obj, status):
        return "Nothing failed here, so there is nothing to retry."

    def apply(self, obj):
        self.change(obj, processing_error="")
        tasks.process_work.delay(obj.pk)
        if obj.published_status == FileStatus.FAILED:  # it failed for want of these copies: retry it too
            RetryPublishing(self.actor, obj).run()
        return obj


# --- the credited copy (Work.PUBLISHED_TRANSITIONS, on published_status) -------------------------------------

class PublishedCopyAction(WorkAction):
    """An action on the credited copy: the action layer reads one table per model (the work's own copies), so
    these consult Work.PUBLISHED_TRANSITIONS themselves, with the same kind of refusal ("state")."""

    published_verb: ClassVar[str] = ""
    published_state_refusal: ClassVar[str | None] = None

    def refusal(self, obj):
        table = Work.PUBLISHED_TRANSITIONS
        if not table.allows(self.published_verb, obj.published_status):
            return Refusal(self.published_state_refusal or table.why_not(self.published_verb, obj.published_status),
                           "state")
        return None

    def apply(self, obj):
        self.change(obj, published_status=Work.PUBLISHED_TRANSITIONS.target(self.published_verb,
                                                                             obj.published_status))
        return obj


class WorkPublished(PublishedCopyAction):
    """The system made the credited, watermarked copy. Params: published (name), credit."""

    name = "content_review.work.published"
    label = "made the credited copy of work"
    published_verb = "published"
    system = True
    people = False

    def apply(self, obj):
        self.set_files(obj, published=self.params["published"])
        self.change(obj, published_credit=self.params["credit"], published_error="")
        return super().apply(obj)


class WorkPublishingFailed(PublishedCopyAction):
    name = "content_review.work.publishing_failed"
    label = "could not make the credited copy of work"
    published_verb = "publishing_failed"
    system = True
    people = False

    def apply(self, obj):
        self.change(obj, published_error=self.params["error"])
        self.audit_data["error"] = self.params["error"]
        return super().apply(obj)


class RetryPublishing(PublishedCopyAction):
    name = "content_review.work.publishing_retried"
    label = "retried making the credited copy of work"
    permission = "work.retry"
    permission_reason = "You may not retry this work."
    published_verb = "retry_publishing"
    published_state_refusal = "Nothing failed here, so there is nothing to retry."

    def apply(self, obj):
        self.change(obj, published_error="")
        tasks.make_published_copy.delay(obj.pk)
        return super().apply(obj)


# --- the showcase ----------------------------------------------------------------------------------------------

class GiveShowcaseConsent(WorkAction):
    """The artist (while active) agrees to show an approved work, credited, on the program's showcase."""

    name = "content_review.showcase.consent_given"
    label = "agreed to show work on the showcase"
    permission = "showcase.consent"
    permission_reason = "Only the artist can consent to show their work."

    def refusal(self, obj):
        if obj.share_request.status != ShareRequest.Status.APPROVED:
            return Refusal("Only approved works can be shown on the showcase.", "state")
        if obj.showcase_removed_at is not None:
            return Refusal(f"A manager took this work off the showcase: {obj.showcase_removed_reason}", "state")
        if obj.showcase_consent:
            return Refusal("This work is already on the showcase.", "state")
        return None

    def apply(self, obj):
        self.change(obj, showcase_consent=True, showcase_consent_at=timezone.now())
        self.audit_data.update(work=obj.original_name, share_request=obj.share_request_id)
        return obj


class WithdrawShowcaseConsent(WorkAction):
    """The artist (paused and removed ones too) takes their work off the showcase."""

    name = "content_review.showcase.consent_withdrawn"
    label = "took work off the showcase"
    permission = "showcase.withdraw"
    permission_reason = "Only the artist takes their work off the showcase this way; a manager gives a reason."

    def refusal(self, obj):
        if not obj.showcase_consent:
            return Refusal("This work is not on the showcase.", "state")
        return None

    def apply(self, obj):
        self.change(obj, showcase_consent=False, showcase_consent_at=timezone.now())
        self.audit_data.update(work=obj.original_name, share_request=obj.share_request_id)
        return obj


class RemoveFromShowcase(WithdrawShowcaseConsent):
    """A program manager takes a work off the showcase, with a reason the artist is told (content_review/
    notifications.py). The artist cannot put it back. Params: reason (required; asked for at the last step, so
    that the page's button is offered before the reason is typed)."""

    name = "content_review.showcase.work_removed"
    label = "took work off the showcase, as a manager"
    permission = "showcase.remove"
    permission_reason = "Only the program's managers take a work off the showcase."

    def apply(self, obj):
        reason = (self.params.get("reason") or "").strip()
        if not reason:
            raise DomainError("Say why the work is taken off the showcase: the artist is told.")
        now = timezone.now()
        self.change(obj, showcase_consent=False, showcase_consent_at=now, showcase_removed_at=now,
                    showcase_removed_reason=reason)
        self.audit_data.update(work=obj.original_name, share_request=obj.share_request_id, reason=reason)
        return obj
