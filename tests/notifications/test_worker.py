"""Through a real Celery worker on Redis: an action commits, its event becomes a notification and an e-mail."""
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from atelier.celery import app as celery_app
from atelier.models import Notification
from testers import actions
from tests import factories
from tests.conftest import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_committed_action_is_notified_and_mailed_by_the_worker(settings):
    from django.conf import settings as django_settings

    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("This test needs CELERY_BROKER_URL pointing at Redis (make test sets it).")
    program = factories.ProgramFactory()
    manager = factories.staff_user(program, "manager")
    membership = factories.MembershipFactory(program=program)
    log = factories.TimeLogFactory(membership=membership)
    celery_app.conf.task_always_eager = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1, loglevel="WARNING"):
        actions.ApproveTimeLog(manager, log).run()  # commits: its event goes to the worker
        # The in-thread worker shares this process, so locmem's outbox shows the delivery.
        wait_until(lambda: mail.outbox, timeout=15)
    notification = Notification.objects.get()
    assert notification.recipient == membership.artist.user and notification.emailed_at is not None
    assert [m.to for m in mail.outbox] == [[membership.artist.user.email]]
    assert "approved" in mail.outbox[0].subject
