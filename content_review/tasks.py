"""Celery tasks of content review: thin, take ids, safe to run twice (the actions re-check state). The actions
queue them with .delay(); tasks are transaction-aware, so they are sent only once the action commits."""
from celery import shared_task

from content_review import services


@shared_task(name="content_review.tasks.process_work")
def process_work(work_id: int) -> str:
    """Metadata-free copy, thumbnail and (video) poster of one uploaded work."""
    return services.process_work(work_id)


@shared_task(name="content_review.tasks.make_published_copy")
def make_published_copy(work_id: int) -> str:
    """The credited, watermarked copy of an approved work."""
    return services.make_published_copy(work_id)


@shared_task(name="content_review.tasks.enforce_deadlines")
def enforce_deadlines() -> dict:
    """Beat, every 5 minutes: apply each program's deadline policy to overdue share requests (as the system)."""
    return services.enforce_deadlines()


@shared_task(name="content_review.tasks.warn_near_deadlines")
def warn_near_deadlines() -> int:
    """Beat, every 15 minutes: tell reviewers of requests whose deadline is near (once per deadline)."""
    return services.warn_near_deadlines()
