"""Testing time: an artist logs sessions, a manager approves or rejects them. Approval is a paid event."""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from atelier import audit
from testers.models import ArtistProfile, Membership, TimeLog
from testers.selectors import require_participation
from testers.signals import time_log_approved

from . import DomainError

MINUTES_PER_DAY = 24 * 60


@transaction.atomic
def log_time(*, membership: Membership, date: date, minutes: int, description: str, by) -> TimeLog:
    """Refuse a future date, more than 24 hours on one day (all the artist's programs, pending and approved
    logs together) and a paused or removed membership."""
    membership = Membership.objects.select_related("program", "artist").get(pk=membership.pk)
    require_participation(membership)
    if date > timezone.localdate():
        raise DomainError("You cannot log time on a day that has not come yet.")
    if minutes is None or minutes <= 0:
        raise DomainError("Log at least one minute.")
    # Lock the artist's profile so two logs sent at once cannot together pass 24 hours.
    ArtistProfile.objects.select_for_update().get(pk=membership.artist_id)
    logged = (
        TimeLog.objects.filter(membership__artist_id=membership.artist_id, date=date)
        .exclude(status=TimeLog.Status.REJECTED)
        .aggregate(total=Sum("minutes"))["total"] or 0
    )
    if logged + minutes > MINUTES_PER_DAY:
        left = MINUTES_PER_DAY - logged
        raise DomainError(
            f"A day has 24 hours: you already logged {logged // 60} h {logged % 60:02d} min on {date:%d %B %Y}, "
            f"so at most {left // 60} h {left % 60:02d} min more fit."
        )
    log = TimeLog.objects.create(membership=membership, date=date, minutes=minutes, description=description.strip())
    audit.log(by, "testers.timelog.created", log, date=date.isoformat(), minutes=minutes)
    return log


def _locked(log: TimeLog) -> TimeLog:
    return TimeLog.objects.select_for_update().select_related("membership__program").get(pk=log.pk)


@transaction.atomic
def approve_time_log(*, time_log: TimeLog, by) -> TimeLog:
    """Approve once: the row lock and status check make a repeated or concurrent approval fail."""
    log = _locked(time_log)
    if log.status != TimeLog.Status.PENDING:
        raise DomainError(f"This log was already {log.get_status_display().lower()}.")
    log.status = TimeLog.Status.APPROVED
    log.decided_by = by
    log.decided_at = timezone.now()
    log.save(update_fields=["status", "decided_by", "decided_at"])
    audit.log(by, "testers.timelog.approved", log, before={"status": "pending"}, after={"status": "approved"})
    time_log_approved.send(sender=TimeLog, time_log=log, by=by)
    return log


@transaction.atomic
def reject_time_log(*, time_log: TimeLog, reason: str, by) -> TimeLog:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the time is rejected; the artist sees the reason.")
    log = _locked(time_log)
    if log.status != TimeLog.Status.PENDING:
        raise DomainError(f"This log was already {log.get_status_display().lower()}.")
    log.status = TimeLog.Status.REJECTED
    log.decided_by = by
    log.decided_at = timezone.now()
    log.rejection_reason = reason
    log.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    audit.log(by, "testers.timelog.rejected", log, before={"status": "pending"},
              after={"status": "rejected", "reason": reason})
    return log


@transaction.atomic
def withdraw_time_log(*, time_log: TimeLog, by) -> None:
    """An artist may take back a log that nobody decided yet."""
    log = _locked(time_log)
    if log.status != TimeLog.Status.PENDING:
        raise DomainError("Only a log waiting for approval can be withdrawn.")
    audit.log(by, "testers.timelog.withdrawn", log, date=log.date.isoformat(), minutes=log.minutes)
    log.delete()
