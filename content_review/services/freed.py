"""Share requests freed by clauses that ended (the system): when testers ends a clause (`testers.clause.ended`),
a request waiting for a decision whose cited clauses are all free to share now is approved, with the ended clauses
named in the reason. Also on submission, and in the deadline sweep (should an event have been lost)."""
from __future__ import annotations

from django.db.models import Exists, OuterRef

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from content_review.models import ShareRequest
from testers.models import Clause

WAITING = (ShareRequest.Status.SUBMITTED, ShareRequest.Status.ESCALATED)


def _actions():
    from content_review import actions  # the actions import these helpers: import them late

    return actions


def approve_if_free(share_request_id: int) -> bool:
    """Approve the request if it waits for a decision and cites only clauses free to share now, one of them ended.
    Safe to run any number of times: the action re-checks on the locked row."""
    share_request = ShareRequest.objects.filter(pk=share_request_id).first()
    if share_request is None:
        return False
    action = _actions().ApproveAsFree(SYSTEM, share_request)
    if action.check() is not None:
        return False
    try:
        action.run()
    except ActionRefused:
        return False  # decided, withdrawn or approved meanwhile
    return True


def waiting_citing_ended(clause_id: int | None = None) -> list[int]:
    """Requests waiting for a decision that cite an ended clause (`clause_id`, or any) and no clause that still
    restricts: the candidates (the action checks each again on its locked row). One query."""
    cited = ShareRequest.clauses.through.objects.filter(sharerequest_id=OuterRef("pk"))
    requests = (ShareRequest.objects.filter(status__in=WAITING)
                .filter(Exists(cited.filter(clause__ended_at__isnull=False)))
                .exclude(Exists(cited.filter(clause__ended_at__isnull=True)
                                .exclude(clause__klass=Clause.Klass.FREE_TO_SHARE))))
    if clause_id is not None:
        requests = requests.filter(Exists(cited.filter(clause_id=clause_id)))
    return list(requests.order_by("pk").values_list("pk", flat=True))


def approve_freed(*, clause_id: int | None = None) -> int:
    """Approve every waiting request that the end of `clause_id` (or of any clause) left with nothing to review.
    Returns how many were approved."""
    return sum(approve_if_free(pk) for pk in waiting_citing_ended(clause_id))
