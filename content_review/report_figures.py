"""The content-review figures of a program per month, for the finance and manager reports' charts (payments shows
them through `payments.reports.providers`, which the portal plugs this into: payments never imports us)."""
from __future__ import annotations

import statistics

from django.db import connection
from django.db.models import (
    Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Func, OuterRef, Q, Subquery,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from content_review.models import ReviewDecision, ShareRequest



class Median(Aggregate):
    """PostgreSQL's continuous median: percentile_cont(0.5) WITHIN GROUP (ORDER BY expr)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def review_figures_over_time(program, filters) -> dict:
    """The content-review figures, per calendar month of first submission (one GROUP BY query).

    Same definitions as content_review.selectors.review_report, which gives them for one period: requests
    first submitted in the month; of those, approved, refused (refused or appealed), deadlines missed; and
    the median hours from submission to the first decision. `filters.period` gives the months and bounds.
    """

    Status = ShareRequest.Status
    p = filters.period
    months = p.months()
    index = {m: i for i, m in enumerate(months)}
    low, high = p.aware_bounds()
    on_postgresql = connection.vendor == "postgresql"
    first_decisions = ReviewDecision.objects.filter(share_request=OuterRef("pk")).order_by("created_at", "id")
    if on_postgresql:
        first_delay = first_decisions.annotate(
            hours=Func(F("created_at") - F("submitted_at"), template="EXTRACT(EPOCH FROM %(expressions)s)",
                       output_field=FloatField()) / 3600.0).values("hours")[:1]
        delay_field = FloatField()
    else:
        # SQLite (the embedded default) has no percentile aggregate: take the delays and find medians here.
        first_delay = first_decisions.annotate(
            delay=ExpressionWrapper(F("created_at") - F("submitted_at"), output_field=DurationField())
        ).values("delay")[:1]
        delay_field = DurationField()
    requests = (
        ShareRequest.objects.filter(membership__program=program, first_submitted_at__gte=low,
                                    first_submitted_at__lt=high)
        .filter(filters.membership_q("membership__"))
        .annotate(month=TruncMonth("first_submitted_at"), first_delay=Subquery(first_delay, output_field=delay_field))
    )
    rows = (
        requests.values("month")
        .annotate(
            submitted=Count("id"),
            approved=Count("id", filter=Q(status=Status.APPROVED)),
            refused=Count("id", filter=Q(status__in=[Status.REFUSED, Status.APPEALED])),
            missed=Count("id", filter=Q(deadline_missed=True)),
            **({"median_hours": Median("first_delay")} if on_postgresql else {}),
        )
        .order_by()
    )
    if not on_postgresql:
        delays = {}
        for month, delay in requests.filter(first_delay__isnull=False).values_list("month", "first_delay"):
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
