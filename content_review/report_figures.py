"""The content-review figures of a program per month, for the finance and manager reports' charts (payments shows
them through `payments.reports.providers`, which the portal plugs this into: payments never imports us)."""
from __future__ import annotations

import statistics

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from atelier import figure_cache
from content_review.models import ShareRequest
from content_review import selectors
from content_review.selectors import first_decisions


#: The figures are kept in the cache (atelier.figure_cache) until an action changes share requests, decisions,
#: appeals or memberships (their cohort and status filter the figures): see content_review.apps.
CACHE_SCOPE = "review-figures"


def review_figures_over_time(program, filters) -> dict:
    """The content-review figures, per calendar month of first submission.

    Same definitions as content_review.selectors.review_report, which gives them for one period: requests
    first submitted in the month; of those, approved, refused (refused or appealed), deadlines missed; and
    the median hours from submission to the first decision. `filters.period` gives the months and bounds.
    Kept in the cache until a review or membership action changes them (two queries when computed).
    """
    p = filters.period
    parts = (program.pk, p.start, p.end, filters.cohort, filters.status, timezone.get_current_timezone_name())
    return figure_cache.cached(CACHE_SCOPE, parts, lambda: _review_figures(program, filters))


def _review_figures(program, filters) -> dict:
    Status = ShareRequest.Status
    p = filters.period
    months = p.months()
    index = {m: i for i, m in enumerate(months)}
    low, high = p.aware_bounds()
    requests = (
        ShareRequest.objects.filter(membership__program=program, first_submitted_at__gte=low,
                                    first_submitted_at__lt=high)
        .filter(filters.membership_q("membership__"))
        .annotate(month=TruncMonth("first_submitted_at"))
    )
    rows = (
        requests.values("month")
        .annotate(
            submitted=Count("id"),
            approved=Count("id", filter=Q(status=Status.APPROVED)),
            refused=Count("id", filter=Q(status__in=[Status.REFUSED, Status.APPEALED])),
            missed=Count("id", filter=Q(deadline_missed=True)),
        )
        .order_by()
    )
    delays = {}
    first = first_decisions(requests).annotate(month=TruncMonth("share_request__first_submitted_at"))
    for month, delay in first.values_list("month", "delay"):
        delays.setdefault(month, []).append(delay.total_seconds() / 3600.0)
    rows = [{**row, "median_hours": statistics.median(delays[row["month"]]) if row["month"] in delays else None}
            for row in rows]
    counts = {name: [0] * len(months) for name in ("Submitted", "Approved", "Refused", "Deadlines missed")}
    # None, not 0, for a month with no decision: the chart leaves a gap there rather than plotting "0 h".
    hours = {"Median hours to first decision": [None] * len(months)}
    for row in rows:
        i = index[timezone.localdate(row["month"]).replace(day=1)]
        counts["Submitted"][i] = row["submitted"]
        counts["Approved"][i] = row["approved"]
        counts["Refused"][i] = row["refused"]
        counts["Deadlines missed"][i] = row["missed"]
        if row["median_hours"] is not None:
            hours["Median hours to first decision"][i] = round(row["median_hours"], 1)
    return {"months": months, "series": counts, "hours": hours}


def review_report(program, start, end, *, by_reviewer: bool = False) -> dict:
    """`selectors.review_report`, kept under the same generation as the figures above (the same actions change
    it): its delays are medians over every decision of the period, so computing it grows with the program. The
    reviewers are read afresh on every call (a cached copy of a person would miss a change of name)."""
    parts = ("review-report", program.pk, start, end, by_reviewer, timezone.get_current_timezone_name())
    report = figure_cache.cached(CACHE_SCOPE, parts,
                                 lambda: selectors.review_report(program, start, end, by_reviewer=by_reviewer))
    if by_reviewer and report["reviewers"]:
        people = get_user_model().objects.in_bulk([row["reviewer"].pk for row in report["reviewers"]])
        for row in report["reviewers"]:
            row["reviewer"] = people[row["reviewer"].pk]
    return report
