"""Tell a person something by e-mail, after the current transaction commits (never for a rolled-back change)."""
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string


def notify(to: str | list[str], subject: str, template: str, context: dict | None = None) -> None:
    """Render `template` (plain text) with `context` and queue it for `to` once the transaction commits."""
    from atelier.tasks import send_email

    recipients = [to] if isinstance(to, str) else list(to)
    body = render_to_string(template, {"site_url": settings.SITE_URL, **(context or {})})
    subject = f"[Atelier] {subject}"
    transaction.on_commit(lambda: send_email.delay(subject, body, recipients))
