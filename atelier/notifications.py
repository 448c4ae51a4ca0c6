"""The one mail path: render a message and queue it, sent only once the current transaction commits.

Every e-mail of Atelier (share-request decisions, escalations and appeals, invitations) goes through `notify`,
which queues `atelier.tasks.send_email`. That task is transaction-aware (atelier/celery.py): queued inside a
transaction it leaves once the transaction commits, and never for a rolled-back change; the task retries on
SMTP trouble. No view and no model sends mail itself. (django-allauth's own account mails, such as a password
reset, are still sent by allauth.)
"""
from django.conf import settings
from django.template.loader import render_to_string

from atelier.tasks import send_email

SUBJECT_PREFIX = "[Atelier] "


def notify(to: str | list[str], subject: str, template: str | None = None, context: dict | None = None, *,
           body: str | None = None) -> bool:
    """Queue a plain-text e-mail for `to` (empty addresses are dropped): `template` rendered with `context`
    (and `site_url`), or `body` as written. The subject gets the "[Atelier] " prefix. Returns whether a mail
    was queued (False when no address is left)."""
    recipients = [address for address in ([to] if isinstance(to, str) else to) if address]
    if not recipients:
        return False
    if body is None:
        body = render_to_string(template, {"site_url": settings.SITE_URL, **(context or {})})
    send_email.delay(SUBJECT_PREFIX + subject, body, recipients)
    return True
