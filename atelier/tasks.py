"""Cross-cutting tasks: e-mail delivery off the request path (retried on SMTP trouble), and notifications: an
event's notifications, each one's e-mail, and the daily digest (docs/notifications.md)."""
from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from atelier.notifications import delivery


@shared_task(name="atelier.tasks.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject: str, body: str, to: list[str], html: str | None = None, headers: dict | None = None) -> int:
    """The one mail path: a plain-text message, with an HTML alternative and headers (List-Unsubscribe) when given."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, headers=headers or None)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


@shared_task(name="atelier.tasks.deliver_notifications", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def deliver_notifications(event: dict, uid: str) -> int:
    """After an action commits: the notifications its event asks for (safe to run twice: keyed by `uid`)."""
    return delivery.deliver_event(event, uid)


@shared_task(name="atelier.tasks.send_notification_email", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def send_notification_email(notification_id: int) -> bool:
    return delivery.send_notification_email(notification_id)


@shared_task(name="atelier.tasks.send_notification_digests")
def send_notification_digests() -> int:
    """Beat, daily: one e-mail per person with their notifications waiting for the digest."""
    return delivery.send_digests()
