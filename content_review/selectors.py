"""Reads of content review shaped for its pages: bounded queries whatever the number of rows."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case, Count, DurationField, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, When,
)
from django.utils import timezone

from atelier.search import matching
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from testers.models import Clause, Membership

Status = ShareRequest.Status


def _works_prefetch():
    return Prefetch("works", queryset=Work.objects.order_by("position", "id"))


def artist_requests(user):
    """The artist's own share requests in every program, newest first, with works and program."""
    return (
        ShareRequest.objects.filter(membership__artist__user=user)
        .select_related("membership__program")
        .prefetch_related(_works_prefetch())
        .order_by("-created_at", "-id")
    )


def request_detail_queryset():
    return ShareRequest.objects.select_related(
        "membership__program", "membership__artist__user", "terms_version", "escalated_to",
        "appeal__assigned_to", "appeal__refused_by",
    ).prefetch_related(
        _works_prefetch(),
        "clauses",
        Prefetch("decisions", queryset=ReviewDecision.objects.select_related("decided_by")
                 .prefetch_related("clauses").order_by("-created_at", "-id")),
    )


QUEUE_FILTERS = {
    "open": ShareRequest.OPEN,
    "submitted": (Status.SUBMITTED,),
    "escalated": (Status.ESCALATED,),
    "appealed": (Status.APPEALED,),
    "changes_requested": (Status.CHANGES_REQUESTED,),
    "approved": (Status.APPROVED,),
    "refused": (Status.REFUSED,),
    "withdrawn": (Status.WITHDRAWN,),
    "all": tuple(s for s in Status.values if s != Status.DRAFT),
}


# The deadline in force (ShareRequest.decide_by, in SQL): the review deadline, the manager's once escalated, the
# appeal's once appealed; none once decided.
DUE_AT = Case(
    When(status=Status.SUBMITTED, then=F("deadline_at")),
    When(status=Status.ESCALATED, then=F("escalation_deadline_at")),
    When(status=Status.APPEALED, then=F("appeal__decide_by")),
    default=None,
)


def review_queue(program, *, status: str = "open", artist_id=None, overdue: bool = False, q: str = "",
                 by_email: bool = False):
    """A program's share requests for its reviewers, the closest deadline first. Drafts are never shown."""
    qs = (
        ShareRequest.objects.filter(membership__program=program, status__in=QUEUE_FILTERS.get(status, ShareRequest.OPEN))
        .select_related("membership__artist", "appeal__assigned_to")
        .prefetch_related(_works_prefetch())  # the page counts its requests' works from these: no GROUP BY
        .annotate(due_at=DUE_AT)
    )
    if artist_id:
        qs = qs.filter(membership__artist_id=artist_id)
    if q:
        fields = ("membership__artist__display_name",) + (("membership__artist__user__email",) if by_email else ())
        qs = matching(qs, q, *fields)
    if overdue:
        qs = qs.filter(Q(deadline_missed=True) | Q(due_at__lte=timezone.now()))
    return qs.order_by(F("due_at").asc(nulls_last=True), "deadline_at", "id")


def showcase_works(program):
    """Works shown publicly: approved, consented per work, embargo over, credited copy ready."""
    today = timezone.localdate()
    return (
        Work.objects.filter(
            share_request__membership__program=program,
            share_request__status=Status.APPROVED,
            showcase_consent=True,
            published_status=Work.FileStatus.READY,
        )
        .exclude(share_request__membership__status=Membership.Status.REMOVED)
        .exclude(published="")
        .filter(Q(share_request__embargo_until__isnull=True) | Q(share_request__embargo_until__lte=today))
        .select_related("share_request__membership__artist")
        .order_by("-share_request__decided_at", "position", "id")
    )


# --- the transparency report --------------------------------------------------------------------

def _percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _median(sorted_values):
    if not sorted_values:
        return None
    n = len(sorted_values)
    middle = n // 2
    if n % 2:
        return sorted_values[middle]
    return (sorted_values[middle - 1] + sorted_values[middle]) / 2


def first_decisions(requests):
    """The first decision (earliest, then lowest id) of each of `requests`, with `delay` (from the submission it
    answered to the decision). PostgreSQL takes them in one DISTINCT ON pass over the decisions; SQLite (the
    embedded default), which has no DISTINCT ON, asks a subquery per decision."""
    decisions = ReviewDecision.objects.filter(share_request__in=requests.values("pk"))
    if connection.features.can_distinct_on_fields:
        decisions = decisions.order_by("share_request_id", "created_at", "id").distinct("share_request_id")
    else:
        first = (ReviewDecision.objects.filter(share_request=OuterRef("share_request"))
                 .order_by("created_at", "id").values("pk")[:1])
        decisions = decisions.filter(pk=Subquery(first))
    return decisions.annotate(delay=ExpressionWrapper(F("created_at") - F("submitted_at"), output_field=DurationField()))


def _hours(delay) -> float:
    return delay.total_seconds() / 3600


def review_report(program, start, end, *, by_reviewer: bool = False) -> dict:
    """Figures for requests first submitted between `start` and `end` (dates, inclusive).

    A fixed number of queries, each counting in the database (GROUP BY) rather than loading every decision: the
    requests by status, the first decisions' delays, the refusals by clause, the decisions by outcome, the
    appeals by status; by reviewer, their decisions by outcome and delays, and the reviewers.
    """
    tz = timezone.get_current_timezone()
    from datetime import datetime, time

    start_at = datetime.combine(start, time.min, tzinfo=tz)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    requests = ShareRequest.objects.filter(membership__program=program, first_submitted_at__gte=start_at,
                                           first_submitted_at__lt=end_at)
    statuses, missed = Counter(), 0
    for row in requests.values("status").annotate(n=Count("pk"), missed=Count("pk", filter=Q(deadline_missed=True))
                                                  ).order_by():
        statuses[row["status"]] = row["n"]
        missed += row["missed"]
    decisions = ReviewDecision.objects.filter(share_request__in=requests.values("pk")).order_by()
    times = sorted(_hours(delay) for delay in first_decisions(requests).values_list("delay", flat=True))
    refusals_by_clause = Counter()
    refused_clauses = (ReviewDecision.clauses.through.objects
                       .filter(reviewdecision__in=decisions.filter(outcome=ReviewDecision.Outcome.REFUSE).values("pk"))
                       .values("clause_id").annotate(n=Count("pk")).order_by())
    counts_by_clause = {row["clause_id"]: row["n"] for row in refused_clauses}
    for clause in Clause.objects.filter(pk__in=counts_by_clause):
        refusals_by_clause[str(clause)] += counts_by_clause[clause.pk]
    appeal_counts = Counter(dict(Appeal.objects.filter(share_request__in=requests.values("pk")).values("status")
                                 .annotate(n=Count("pk")).order_by().values_list("status", "n")))
    approved = statuses[Status.APPROVED]
    refused = statuses[Status.REFUSED] + statuses[Status.APPEALED]
    finished = approved + refused
    report = {
        "start": start, "end": end,
        "requests": sum(statuses.values()),
        "decided": finished,
        "approved": approved,
        "refused": refused,
        "in_review": sum(statuses[s] for s in (Status.SUBMITTED, Status.ESCALATED)),
        "changes_requested": statuses[Status.CHANGES_REQUESTED],
        "withdrawn": statuses[Status.WITHDRAWN],
        "approval_rate": (approved / finished) if finished else None,
        "median_hours": _median(times),
        "p90_hours": _percentile(times, 0.9),
        "deadlines_missed": missed,
        "deemed_approvals": decisions.filter(outcome=ReviewDecision.Outcome.DEEMED_APPROVED).count(),
        "appeals": sum(appeal_counts.values()),
        "appeals_overturned": appeal_counts[Appeal.Status.OVERTURNED],
        "appeals_upheld": appeal_counts[Appeal.Status.UPHELD],
        "appeals_pending": appeal_counts[Appeal.Status.PENDING],
        "refusals_by_clause": sorted(refusals_by_clause.items(), key=lambda item: (-item[1], item[0])),
        "max_refusals": max(refusals_by_clause.values(), default=0),
    }
    if by_reviewer:
        by_person = decisions.filter(decided_by__isnull=False)
        rows = defaultdict(lambda: {"decisions": 0, "approved": 0, "conditions": 0, "changes": 0, "refused": 0,
                                    "on_appeal": 0, "hours": []})
        keys = {"approve": "approved", "approve_with_conditions": "conditions", "request_changes": "changes",
                "refuse": "refused"}
        for row in (by_person.values("decided_by_id", "outcome", "on_appeal")
                    .annotate(n=Count("pk")).order_by()):
            counts = rows[row["decided_by_id"]]
            counts["decisions"] += row["n"]
            counts["on_appeal"] += row["n"] if row["on_appeal"] else 0
            counts[keys[row["outcome"]]] += row["n"]
        delay = ExpressionWrapper(F("created_at") - F("submitted_at"), output_field=DurationField())
        for person, value in by_person.annotate(delay=delay).values_list("decided_by_id", "delay"):
            rows[person]["hours"].append(_hours(value))
        people = get_user_model().objects.in_bulk(list(rows))
        report["reviewers"] = sorted(
            ({"reviewer": people[pk], **{k: v for k, v in row.items() if k != "hours"},
              "median_hours": _median(sorted(row["hours"]))} for pk, row in rows.items()),
            key=lambda r: str(r["reviewer"]),
        )
    return report


def near_deadline(program, within: timedelta, *, limit: int = 10) -> tuple[list, int]:
    """The first `limit` open share requests of the program due within `within`, closest first, and how many there
    are in all (one query, two when the list is full). For the manager's dashboard."""
    now = timezone.now()
    due = (
        ShareRequest.objects.filter(membership__program=program, status__in=ShareRequest.OPEN)
        .annotate(due_at=DUE_AT).filter(due_at__isnull=False, due_at__lte=now + within)
        .select_related("membership__artist", "appeal").order_by("due_at", "id")
    )
    first = list(due[:limit])
    return first, (due.count() if len(first) == limit else len(first))
