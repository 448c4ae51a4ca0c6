"""Deadlines (the system): a request still undecided past its deadline is deemed approved or escalated to the
program's managers, by the program's policy. Run on a schedule by content_review.tasks.enforce_deadlines."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from content_review.models import ShareRequest
from content_review.services.freed import approve_freed

Status = ShareRequest.Status


def appeal_days(program) -> int:
    """Days to decide an appeal: the program's appeal deadline (`Program.appeal_sla_days`, on the settings page)."""
    return program.appeal_sla_days


def _actions():
    from content_review import actions  # the actions import these helpers: import them late

    return actions


def enforce_deadline(share_request_id: int, *, now=None) -> str | None:
    """Apply the program's deadline policy to one request if it is still undecided past its deadline.

    Returns "deemed_approved", "escalated" or None (nothing to do: safe to run any number of times)."""
    share_request = ShareRequest.objects.select_related("membership__program").filter(pk=share_request_id).first()
    if share_request is None:
        return None
    policy = share_request.membership.program.deadline_policy
    action = _actions().DEADLINE_POLICIES[policy](SYSTEM, share_request, now=now or timezone.now())
    try:
        action.run()
    except ActionRefused:
        return None  # decided, withdrawn or handled meanwhile (the action re-checks on the locked row)
    return "deemed_approved" if policy == "deemed_approved" else "escalated"


def overdue_request_ids(now=None) -> list[int]:
    now = now or timezone.now()
    return list(ShareRequest.objects.filter(status=Status.SUBMITTED, deadline_at__lte=now)
                .order_by("deadline_at").values_list("pk", flat=True))


def _run_system(action_cls, share_request_id: int, now) -> bool:
    share_request = ShareRequest.objects.filter(pk=share_request_id).first()
    if share_request is None:
        return False
    try:
        action_cls(SYSTEM, share_request, now=now).run()
    except ActionRefused:
        return False  # decided, withdrawn or handled meanwhile (the action re-checks on the locked row)
    return True


def overdue_escalation_ids(now=None) -> list[int]:
    now = now or timezone.now()
    return list(ShareRequest.objects.filter(status=Status.ESCALATED, escalation_deadline_at__lte=now)
                .order_by("escalation_deadline_at").values_list("pk", flat=True))


def overdue_appeal_request_ids(now=None) -> list[int]:
    now = now or timezone.now()
    return list(ShareRequest.objects.filter(status=Status.APPEALED, appeal__status="pending",
                                            appeal__decide_by__lte=now)
                .order_by("appeal__decide_by").values_list("pk", flat=True))


def enforce_deadlines(*, now=None) -> dict:
    """Every overdue request, one transaction (and row lock) each: first decisions by the program's policy, then
    escalated requests past the manager's deadline (deemed approved) and appeals past theirs (deemed overturned).
    Returns counts of what was done."""
    now = now or timezone.now()
    done = {"deemed_approved": 0, "escalated": 0}
    # First the requests that clauses which ended left with nothing to review (their event may have been lost):
    # approved for that reason, not for a missed deadline.
    freed = approve_freed()
    if freed:
        done["approved_as_free"] = freed
    for pk in overdue_request_ids(now):
        result = enforce_deadline(pk, now=now)
        if result:
            done[result] += 1
    lapsed = {"escalations_deemed_approved": (_actions().DeemApprovedAfterEscalation, overdue_escalation_ids),
              "appeals_deemed_overturned": (_actions().DeemAppealOverturned, overdue_appeal_request_ids)}
    for key, (action_cls, overdue) in lapsed.items():
        count = sum(_run_system(action_cls, pk, now) for pk in overdue(now))
        if count:
            done[key] = count  # only when something happened: the usual answer stays two counts
    return done


#: how long before its deadline the reviewers of a request still undecided are warned
WARNING_BEFORE = timedelta(hours=24)


def warn_near_deadlines(*, now=None) -> int:
    """Tell the reviewers of every request whose deadline is within WARNING_BEFORE (once per deadline: the action
    refuses a second warning). Returns how many requests."""
    now = now or timezone.now()
    window = {"gt": now, "lte": now + WARNING_BEFORE}
    near = (Q(status=Status.SUBMITTED, deadline_at__gt=window["gt"], deadline_at__lte=window["lte"])
            | Q(status=Status.ESCALATED, escalation_deadline_at__gt=window["gt"],
                escalation_deadline_at__lte=window["lte"])
            | Q(status=Status.APPEALED, appeal__status="pending", appeal__decide_by__gt=window["gt"],
                appeal__decide_by__lte=window["lte"]))
    ids = ShareRequest.objects.filter(near).values_list("pk", flat=True)
    warned = 0
    for share_request in (ShareRequest.objects.filter(pk__in=list(ids)).select_related("appeal")
                          .order_by("deadline_at")):
        action = _actions().WarnDeadlineApproaching(SYSTEM, share_request, now=now)
        if action.check() is None:
            try:
                action.run()
                warned += 1
            except ActionRefused:
                pass  # decided or warned meanwhile
    return warned
