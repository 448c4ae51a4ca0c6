"""The manager's dashboard: headline figures of one program."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from payments.models import PayoutRun
from payments.reports import providers
from payments.reports.selectors.common import Period, month_bounds
from payments.reports.selectors.earnings import program_balance_minor
from testers.models import Feedback, Invitation, Membership, TimeLog
from testers.selectors import current_terms


NEAR_DEADLINE = timedelta(hours=48)


def dashboard(program) -> dict:
    """The manager's headline figures for one program. A fixed number of queries (about ten)."""
    members = Membership.objects.filter(program=program)
    counts = members.aggregate(
        active=Count("id", filter=Q(status=Membership.Status.ACTIVE)),
        invited=Count("id", filter=Q(status=Membership.Status.INVITED)),
        paused=Count("id", filter=Q(status=Membership.Status.PAUSED)),
    )
    terms = current_terms(program)
    pending_terms = (
        members.filter(status=Membership.Status.ACTIVE).exclude(acceptances__terms_version=terms).count()
        if terms else 0
    )
    pending_invitations = Invitation.objects.filter(program=program, status=Invitation.Status.PENDING,
                                                    expires_at__gt=timezone.now()).count()
    feedback_new = Feedback.objects.filter(membership__program=program, status=Feedback.Status.NEW).count()
    time_pending = TimeLog.objects.filter(membership__program=program, status=TimeLog.Status.PENDING).aggregate(
        count=Count("id"), minutes=Coalesce(Sum("minutes"), Value(0)))
    near_list, near_count = providers.near_deadline(program, NEAR_DEADLINE)
    balance = program_balance_minor(program)
    next_run = (
        PayoutRun.objects.filter(program=program, status__in=[
            PayoutRun.Status.CREATED, PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING])
        .order_by("period_end", "id").first()
    )
    last_run = None
    if next_run is None:
        last_run = PayoutRun.objects.filter(program=program).exclude(status=PayoutRun.Status.CANCELLED).order_by(
            "-period_end", "-id").first()
    suggested = None
    if next_run is None:
        start = (last_run.period_end + timedelta(days=1)) if last_run else timezone.localdate().replace(day=1)
        suggested = month_bounds(start.year, start.month)
        if suggested.start < start:
            suggested = Period(start, suggested.end)
    return {
        "active_artists": counts["active"], "invited_artists": counts["invited"], "paused_artists": counts["paused"],
        "current_terms": terms, "pending_terms": pending_terms, "pending_invitations": pending_invitations,
        "feedback_new": feedback_new,
        "time_pending": time_pending["count"], "time_pending_minutes": time_pending["minutes"],
        "share_requests_near_deadline": near_list, "share_requests_near_deadline_count": near_count,
        "near_deadline_hours": int(NEAR_DEADLINE.total_seconds() // 3600),
        "unpaid_balance_minor": balance, "next_run": next_run, "last_run": last_run, "suggested_period": suggested,
    }
