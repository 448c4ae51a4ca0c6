"""This app's panel on the artist portal's home, computed for all of an artist's memberships at once."""
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from content_review.models import ReviewDecision, ShareRequest
from testers.models import Membership

LATEST = 3


def home_panels(user, memberships) -> dict:
    """{membership_id: context for templates/content_review/_home_panel.html}, in two queries whatever the data.

    Each context: counts of the artist's share requests by status, their latest decisions, and whether
    they may start a new request there.
    """
    memberships = [m for m in memberships if m.artist.user_id == user.pk]
    ids = [m.pk for m in memberships]
    if not ids:
        return {}
    labels = dict(ShareRequest.Status.choices)
    counts = {}
    for row in (ShareRequest.objects.filter(membership_id__in=ids).values("membership_id", "status")
                .annotate(n=Count("id")).order_by("membership_id", "status")):
        counts.setdefault(row["membership_id"], {})[row["status"]] = row["n"]
    latest = {}
    decisions = ReviewDecision.objects.filter(share_request__membership_id__in=ids).select_related("share_request")
    if len(ids) == 1:
        # Most artists are in one program: the newest few by a top-N sort, not a window over all their decisions.
        decisions = decisions.order_by("-created_at", "-id")[:LATEST]
    else:
        decisions = (decisions.annotate(rank=Window(RowNumber(), partition_by=F("share_request__membership_id"),
                                                    order_by=[F("created_at").desc(), F("id").desc()]))
                     .filter(rank__lte=LATEST).order_by("-created_at", "-id"))
    for decision in decisions:
        latest.setdefault(decision.share_request.membership_id, []).append(decision)
    panels = {}
    for membership in memberships:
        by_status = counts.get(membership.pk, {})
        panels[membership.pk] = {
            "program_slug": membership.program.slug,
            "total": sum(by_status.values()),
            "counts": [(labels[status], status, by_status[status]) for status in ShareRequest.Status.values
                       if by_status.get(status)],
            "latest_decisions": latest.get(membership.pk, []),
            "can_create": membership.status == Membership.Status.ACTIVE,
        }
    return panels
