"""Tasks are queued only after the transaction commits, and a real worker on Redis delivers them."""
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import transaction

from atelier.celery import app as celery_app
from atelier.notifications import notify
from tests.conftest import wait_until


@pytest.mark.django_db
def test_notice_of_a_rolled_back_change_is_never_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify("ana@example.test", "Decision", "email/test_notice.txt", {"name": "Ana", "message": "no"})
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert mail.outbox == []


@pytest.mark.django_db
def test_notice_is_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify("ana@example.test", "Decision", "email/test_notice.txt", {"name": "Ana", "message": "approved"})
    assert mail.outbox[0].subject == "[Atelier] Decision" and "approved" in mail.outbox[0].body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_delivers_through_redis(settings):
    from django.conf import settings as django_settings

    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("This test needs CELERY_BROKER_URL pointing at Redis (make test sets it).")
    celery_app.conf.task_always_eager = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1, loglevel="WARNING"):
        result = celery_app.send_task("atelier.tasks.send_email", args=["Hi", "Body", ["x@example.test"]])
        assert result.id
        # The in-thread worker shares this process, so locmem's outbox shows the delivery.
        wait_until(lambda: mail.outbox, timeout=10)
    assert [m.subject for m in mail.outbox] == ["Hi"]
