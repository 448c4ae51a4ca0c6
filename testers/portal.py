"""This app's panels on the artist portal's home, for all of an artist's memberships at once (bounded queries)."""
from __future__ import annotations

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from testers.models import Feedback, TermsAcceptance, TermsVersion, TimeLog
from testers.selectors import current_terms_by_program

OPEN_STATUSES = (Feedback.Status.NEW, Feedback.Status.ACCEPTED)
LATEST_FEEDBACK = 5


def home_panels(user, memberships) -> dict:
    """{membership_id: {"current_terms", "upcoming_terms", "must_accept", "accepted_current", "open_feedback",
    "open_feedback_count", "minutes_logged", "minutes_approved", "month"}}. Five queries whatever the data."""
    memberships = list(memberships)
    if not memberships:
        return {}
    ids = [m.pk for m in memberships]
    program_ids = {m.program_id for m in memberships}
    today = timezone.localdate()
    month_start = today.replace(day=1)

    current = current_terms_by_program(program_ids)
    upcoming = {}
    for version in TermsVersion.objects.filter(program_id__in=program_ids, status=TermsVersion.Status.PUBLISHED,
                                               effective_date__gt=today).order_by("program_id", "-number"):
        upcoming.setdefault(version.program_id, version)
    accepted = set(
        TermsAcceptance.objects.filter(membership_id__in=ids).values_list("membership_id", "terms_version_id")
    )

    # The latest open items and, on each, how many are open in all (a window over the same rows: one query).
    latest = (
        Feedback.objects.filter(membership_id__in=ids, status__in=OPEN_STATUSES)
        .annotate(row=Window(RowNumber(), partition_by=[F("membership_id")], order_by=[F("updated_at").desc(),
                                                                                       F("id").desc()]),
                  open_count=Window(Count("pk"), partition_by=[F("membership_id")]))
        .filter(row__lte=LATEST_FEEDBACK)
        .order_by("membership_id", "row")
    )
    open_feedback, counts = {}, {}
    for item in latest:
        open_feedback.setdefault(item.membership_id, []).append(item)
        counts[item.membership_id] = item.open_count
    time = {
        row["membership_id"]: row
        for row in TimeLog.objects.filter(membership_id__in=ids, date__gte=month_start, date__lte=today)
        .values("membership_id")
        .annotate(
            logged=Sum("minutes", filter=Q(status__in=(TimeLog.Status.PENDING, TimeLog.Status.APPROVED))),
            approved=Sum("minutes", filter=Q(status=TimeLog.Status.APPROVED)),
        ).order_by()
    }

    panels = {}
    for membership in memberships:
        version = current.get(membership.program_id)
        next_version = upcoming.get(membership.program_id)
        accepted_current = version is None or (membership.pk, version.pk) in accepted
        panels[membership.pk] = {
            "current_terms": version,
            "accepted_current": accepted_current,
            "must_accept": not accepted_current,
            "upcoming_terms": next_version,
            "accepted_upcoming": next_version is not None and (membership.pk, next_version.pk) in accepted,
            "open_feedback": open_feedback.get(membership.pk, []),
            "open_feedback_count": counts.get(membership.pk, 0),
            "minutes_logged": (time.get(membership.pk) or {}).get("logged") or 0,
            "minutes_approved": (time.get(membership.pk) or {}).get("approved") or 0,
            "month": month_start,
        }
    return panels
