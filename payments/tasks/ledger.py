"""Ledger tasks (stipend months)."""
import datetime

from celery import shared_task
from payments.services import ledger

__all__ = ["accrue_stipends"]


@shared_task(name="payments.tasks.accrue_stipends")
def accrue_stipends(today: str | None = None) -> int:
    """Hourly: credit the stipends of completed months (idempotent per artist and month)."""
    return ledger.accrue_stipends(datetime.date.fromisoformat(today) if today else None)
