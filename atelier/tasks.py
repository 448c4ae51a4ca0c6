"""Cross-cutting tasks: e-mail delivery off the request path, retried on SMTP trouble."""
from celery import shared_task
from django.core.mail import EmailMessage


@shared_task(name="atelier.tasks.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject: str, body: str, to: list[str]) -> int:
    return EmailMessage(subject=subject, body=body, to=to).send()
