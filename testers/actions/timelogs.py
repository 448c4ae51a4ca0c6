"""Testing time: an artist logs sessions and may withdraw one still waiting; a manager approves or rejects it;
a site admin corrects one. Approval is a paid event, signalled once inside its transaction (payments prices it);
a correction of an approved log is signalled too (payments mends the ledger)."""
from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from atelier import bounds
from atelier.display import format_day, format_duration
from atelier.errors import ActionRefused, Refusal
from atelier.timezones import today_for
from testers.models import ArtistProfile, Membership, TimeLog
from testers.signals import time_log_approved, time_log_corrected

from .base import TestersAction, TransitionAction, clean_text, terms_refusal

MINUTES_PER_DAY = 24 * 60
#: logs that count towards an artist's 24 hours a day
COUNTED = (TimeLog.Status.PENDING, TimeLog.Status.APPROVED)


def artist_today(artist_id: int) -> datetime.date:
    """The artist's own today (their time zone), whoever is acting: a day they live in may be logged."""
    user = get_user_model().objects.filter(artist_profile__pk=artist_id).only("time_zone").first()
    return today_for(user)


def time_problem(*, artist_id: int, date: datetime.date | None, minutes: int | None, exclude_pk=None) -> str | None:
    """Why `minutes` of testing on `date` cannot be logged for this artist (all their programs together), or None."""
    if date is None:
        return "Choose the day you tested."
    if date > artist_today(artist_id):
        return "You cannot log time on a day that has not come yet."
    if date < bounds.EARLIEST_DATE:
        return f"Choose a day from {format_day(bounds.EARLIEST_DATE)}."
    if minutes is None or minutes <= 0:
        return "Log at least one minute."
    if minutes > MINUTES_PER_DAY:
        return "A day has 24 hours: log at most 24 h 00 min."
    logged = (
        TimeLog.objects.filter(membership__artist_id=artist_id, date=date, status__in=COUNTED)
        .exclude(pk=exclude_pk).aggregate(total=Sum("minutes"))["total"] or 0
    )
    if logged + minutes > MINUTES_PER_DAY:
        left = MINUTES_PER_DAY - logged
        return (f"A day has 24 hours: you already logged {format_duration(logged)} on {format_day(date)}, "
                f"so at most {format_duration(left)} more fit.")
    return None


def _lock_artist(artist_id: int) -> None:
    # Lock the artist's profile so two logs (or a log and a correction) at once cannot together pass 24 hours.
    ArtistProfile.objects.select_for_update().get(pk=artist_id)


class LogTime(TestersAction):
    """Target: the artist's own membership. Params: date, minutes, description."""

    name = "testers.timelog.created"
    label = "logged testing time"
    model = Membership
    permission = "timelog.create"
    select_related = ("program", "artist")

    def refusal(self, membership):
        return terms_refusal(membership)

    def apply(self, membership):
        date, minutes = self.params.get("date"), self.params.get("minutes")
        _lock_artist(membership.artist_id)
        problem = time_problem(artist_id=membership.artist_id, date=date, minutes=minutes)
        earliest = bounds.past_year(artist_today(membership.artist_id))
        if not problem and date < earliest:
            problem = f"Log testing time of the past year only: from {format_day(earliest)}."
        if not problem and len(clean_text(self.params.get("description"))) > bounds.REASON_TEXT:
            problem = f"Describe what you tested in at most {bounds.REASON_TEXT:,} characters."
        if problem:
            raise ActionRefused(Refusal(problem, "rule"))
        log = TimeLog.objects.create(membership=membership, date=date, minutes=minutes,
                                     description=clean_text(self.params.get("description")))
        self.audit_data.update(date=date.isoformat(), minutes=minutes)
        return log


class _Decide(TransitionAction):
    model = TimeLog
    permission = "timelog.approve"
    select_related = ("membership__program",)

    def state_refusal(self, log, status):
        return f"This log was already {log.get_status_display().lower()}."

    def decide(self, log):
        self.change(log, decided_by_id=getattr(self.actor, "pk", None), decided_at=timezone.now())
        self.before.pop("decided_at", None)
        self.after.pop("decided_at", None)


class ApproveTimeLog(_Decide):
    """Approve once: the row lock and the table make a repeated or concurrent approval fail."""

    name = "testers.timelog.approved"
    label = "approved testing time"
    transition = "approve"

    def apply(self, log):
        self.decide(log)
        self.move(log)
        time_log_approved.send(sender=TimeLog, time_log=log, by=self.actor)


class RejectTimeLog(_Decide):
    """Params: reason (the artist sees it)."""

    name = "testers.timelog.rejected"
    label = "rejected testing time"
    transition = "reject"

    def refusal(self, log):
        if not clean_text(self.params.get("reason")):
            return "Say why the time is rejected; the artist sees the reason."
        return None

    def apply(self, log):
        self.decide(log)
        self.change(log, rejection_reason=clean_text(self.params["reason"]))


class WithdrawTimeLog(TestersAction):
    """The artist takes back a log nobody decided yet (allowed while paused or removed too). It stays, withdrawn."""

    name = "testers.timelog.withdrawn"
    label = "withdrew testing time"
    model = TimeLog
    transition = "withdraw"
    permission = "timelog.withdraw"
    select_related = ("membership__program",)

    def state_refusal(self, log, status):
        return "Only a log waiting for approval can be withdrawn."

    def apply(self, log):
        self.audit_data.update(date=log.date.isoformat(), minutes=log.minutes)


class CorrectTimeLog(TransitionAction):
    """A site admin corrects the minutes or the date of a pending or approved log, with a reason. For an approved
    log, `testers.signals.time_log_corrected` is sent inside the transaction so payments can mend the ledger, and
    the event `testers.timelog.corrected` is published after commit. Params: minutes, date, reason."""

    name = "testers.timelog.corrected"
    label = "corrected testing time"
    model = TimeLog
    transition = "correct"
    permission = "timelog.correct"
    select_related = ("membership__program", "membership__artist")

    def state_refusal(self, log, status):
        return f"A {log.get_status_display().lower()} log cannot be corrected."

    def _values(self, log):
        return self.params.get("minutes", log.minutes), self.params.get("date", log.date)

    def refusal(self, log):
        if not clean_text(self.params.get("reason")):
            return "Say why the log is corrected; the reason is kept in the audit log."
        minutes, date = self._values(log)
        if (minutes, date) == (log.minutes, log.date):
            return "Change the minutes or the date: this is what the log already says."
        return time_problem(artist_id=log.membership.artist_id, date=date, minutes=minutes, exclude_pk=log.pk)

    def apply(self, log):
        minutes, date = self._values(log)
        _lock_artist(log.membership.artist_id)
        problem = time_problem(artist_id=log.membership.artist_id, date=date, minutes=minutes, exclude_pk=log.pk)
        if problem:
            raise ActionRefused(Refusal(problem, "rule"))
        before = {"minutes": log.minutes, "date": log.date}
        reason = clean_text(self.params["reason"])
        self.change(log, minutes=minutes, date=date)
        self.audit_data["reason"] = reason
        if log.status == TimeLog.Status.APPROVED:
            time_log_corrected.send(sender=TimeLog, time_log=log, by=self.actor, before=before, reason=reason)
            self.emit(time_log_id=log.pk, before_minutes=before["minutes"], before_date=before["date"].isoformat(),
                      minutes=minutes, date=date.isoformat(), reason=reason)


__all__ = ["ApproveTimeLog", "COUNTED", "CorrectTimeLog", "LogTime", "MINUTES_PER_DAY", "RejectTimeLog",
           "WithdrawTimeLog", "time_problem"]
