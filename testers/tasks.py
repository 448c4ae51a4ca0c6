"""Background work of the testers app: thumbnails of feedback images, invitation e-mails, reminders of new terms.
Thin and idempotent."""
import logging

from celery import shared_task
from atelier.media import MediaRejected
from testers import media
from testers.models import FeedbackAttachment, Invitation, StaffRole
from testers.services.invitations import queue_invitation_email
from testers.services.milestones import end_due_clauses
from testers.services.staff import queue_staff_invitation_email
from testers.services.terms import send_terms_reminders

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def make_feedback_thumbnail(attachment_id: int) -> None:
    attachment = FeedbackAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.thumbnail:
        return  # gone, or already done by an earlier run
    try:
        media.make_thumbnail(attachment)
    except MediaRejected as rejected:  # checked on upload, so only a damaged file gets here
        logger.warning("No thumbnail for feedback attachment %s: %s", attachment_id, rejected)


@shared_task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def send_invitation_email(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("program").filter(pk=invitation_id).first()
    if invitation is not None:
        queue_invitation_email(invitation)


@shared_task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def send_staff_invitation_email(staff_role_id: int, new_account: bool) -> None:
    staff_role = StaffRole.objects.select_related("user", "program").filter(pk=staff_role_id).first()
    if staff_role is not None:  # revoked meanwhile: nothing to tell
        queue_staff_invitation_email(staff_role, new_account=new_account)


@shared_task(name="testers.tasks.remind_terms")
def remind_terms() -> int:
    """Beat, hourly: remind the artists who have not accepted terms about to take effect (once per version)."""
    return send_terms_reminders()


@shared_task(name="testers.tasks.end_clauses")
def end_clauses() -> int:
    """Beat, hourly: end the clauses whose day has come (once per clause: docs/testers.md)."""
    return end_due_clauses()
