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


@shared_task(name="content_review.tasks.approve_freed")
def approve_freed(clause_id: int | None = None) -> int:
    """On `testers.clause.ended` (and on submission, for one request): approve the requests waiting for a decision
    that cite only clauses free to share now (as the system; safe to run twice)."""
    return services.approve_freed(clause_id=clause_id)


@shared_task(name="content_review.tasks.approve_if_free")
def approve_if_free(share_request_id: int) -> bool:
    """After a submission citing an ended clause: approve it at once if nothing it cites needs review."""
    return services.approve_if_free(share_request_id)
