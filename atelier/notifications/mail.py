"""The one mail path: every e-mail of Atelier is queued on `atelier.tasks.send_email` (transaction-aware: it leaves
only once the current transaction commits; retried on SMTP trouble). Notifications go there through
`delivery`; `notify` sends the few mails that are not a notification of a person (an invitation, to an address
that has no account yet). No view and no model sends mail itself; django-allauth's own account mails (password
reset) are still sent by allauth."""
from django.conf import settings
from django.template.loader import render_to_string

from atelier import tasks

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
    tasks.send_email.delay(SUBJECT_PREFIX + subject, body, recipients)
    return True
