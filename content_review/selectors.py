"""Reads of content review shaped for its pages: bounded queries whatever the number of rows."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta

from django.db.models import Case, Count, F, Prefetch, Q, When
from django.utils import timezone

from atelier.search import matching
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from testers.models import Membership

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


def review_report(program, start, end, *, by_reviewer: bool = False) -> dict:
    """Figures for requests first submitted between `start` and `end` (dates, inclusive).

    A fixed number of queries: one over the period's requests, one over their decisions (with the
    clauses of refusals), one over their appeals.
    """
    tz = timezone.get_current_timezone()
    from datetime import datetime, time

    start_at = datetime.combine(start, time.min, tzinfo=tz)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    requests = list(
        ShareRequest.objects.filter(membership__program=program, first_submitted_at__gte=start_at,
                                    first_submitted_at__lt=end_at)
        .values("pk", "status", "deadline_missed")
    )
    ids = [r["pk"] for r in requests]
    decisions = list(
        ReviewDecision.objects.filter(share_request_id__in=ids)
        .select_related("decided_by").prefetch_related("clauses").order_by("created_at", "id")
    )
    appeals = list(Appeal.objects.filter(share_request_id__in=ids).values_list("status", flat=True))

    first_decision = {}
    for decision in decisions:
        first_decision.setdefault(decision.share_request_id, decision)
    times = sorted((d.created_at - d.submitted_at).total_seconds() / 3600 for d in first_decision.values())
    statuses = Counter(r["status"] for r in requests)
    approved = statuses[Status.APPROVED]
    refused = statuses[Status.REFUSED] + statuses[Status.APPEALED]
    finished = approved + refused
    refusals_by_clause = Counter()
    for decision in decisions:
        if decision.outcome == ReviewDecision.Outcome.REFUSE:
            for clause in decision.clauses.all():
                refusals_by_clause[str(clause)] += 1
    appeal_counts = Counter(appeals)
    report = {
        "start": start, "end": end,
        "requests": len(requests),
        "decided": finished,
        "approved": approved,
        "refused": refused,
        "in_review": sum(statuses[s] for s in (Status.SUBMITTED, Status.ESCALATED)),
        "changes_requested": statuses[Status.CHANGES_REQUESTED],
        "withdrawn": statuses[Status.WITHDRAWN],
        "approval_rate": (approved / finished) if finished else None,
        "median_hours": _median(times),
        "p90_hours": _percentile(times, 0.9),
        "deadlines_missed": sum(1 for r in requests if r["deadline_missed"]),
        "deemed_approvals": sum(1 for d in decisions if d.outcome == ReviewDecision.Outcome.DEEMED_APPROVED),
        "appeals": len(appeals),
        "appeals_overturned": appeal_counts[Appeal.Status.OVERTURNED],
        "appeals_upheld": appeal_counts[Appeal.Status.UPHELD],
        "appeals_pending": appeal_counts[Appeal.Status.PENDING],
        "refusals_by_clause": refusals_by_clause.most_common(),
        "max_refusals": max(refusals_by_clause.values(), default=0),
    }
    if by_reviewer:
        rows = defaultdict(lambda: {"decisions": 0, "approved": 0, "conditions": 0, "changes": 0, "refused": 0,
                                    "on_appeal": 0, "hours": []})
        for decision in decisions:
            if decision.decided_by is None:
                continue
            row = rows[decision.decided_by]
            row["decisions"] += 1
            row["on_appeal"] += decision.on_appeal
            key = {"approve": "approved", "approve_with_conditions": "conditions", "request_changes": "changes",
                   "refuse": "refused"}[decision.outcome]
            row[key] += 1
            row["hours"].append((decision.created_at - decision.submitted_at).total_seconds() / 3600)
        report["reviewers"] = sorted(
            ({"reviewer": user, **{k: v for k, v in row.items() if k != "hours"},
              "median_hours": _median(sorted(row["hours"]))} for user, row in rows.items()),
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
