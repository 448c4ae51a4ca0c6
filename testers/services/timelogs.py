"""Testing time, as keyword-only functions: each runs one action of `testers.actions.timelogs`."""
from __future__ import annotations

from datetime import date

from testers.actions import timelogs as actions
from testers.actions.timelogs import MINUTES_PER_DAY  # noqa: F401
from testers.models import Membership, TimeLog


def log_time(*, membership: Membership, date: date, minutes: int, description: str, by) -> TimeLog:
    return actions.LogTime(by, membership, date=date, minutes=minutes, description=description).run()


def approve_time_log(*, time_log: TimeLog, by) -> TimeLog:
    return actions.ApproveTimeLog(by, time_log).run()


def reject_time_log(*, time_log: TimeLog, reason: str, by) -> TimeLog:
    return actions.RejectTimeLog(by, time_log, reason=reason).run()


def withdraw_time_log(*, time_log: TimeLog, by) -> TimeLog:
    return actions.WithdrawTimeLog(by, time_log).run()


def correct_time_log(*, time_log: TimeLog, by, reason: str, minutes: int | None = None,
                     date: date | None = None) -> TimeLog:
    params = {"reason": reason}
    if minutes is not None:
        params["minutes"] = minutes
    if date is not None:
        params["date"] = date
    return actions.CorrectTimeLog(by, time_log, **params).run()
