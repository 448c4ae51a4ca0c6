"""The Celery app. Tasks run in process (eager) unless CELERY_BROKER_URL is set.

Every task is transaction-aware (pretix's `TransactionAwareTask`): queued inside a database transaction, it
is sent only once that transaction commits, and never if it rolls back. So a task can never run before
the rows it works on are visible, and an action's follow-up work disappears with a refused action.
"""
import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")


class TransactionAwareTask(Task):
    def apply_async(self, args=None, kwargs=None, **options):
        from django.db import transaction

        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: super(TransactionAwareTask, self).apply_async(args, kwargs, **options))
            return None
        return super().apply_async(args, kwargs, **options)


app = Celery("atelier", task_cls=TransactionAwareTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
