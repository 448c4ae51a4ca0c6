"""Bulk work on staff lists: time approvals, feedback triage, invitations. The list posts the ticked rows here;
a confirmation page says what will happen to each one (the action's own check, in words); once confirmed, each
row runs its own action, and every row that was refused is reported by name with the reason."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier import bounds
from atelier.errors import ActionRefused, DomainError
from atelier.permissions import get_program_for
from testers import actions
from testers.models import Feedback, Invitation, TimeLog

# A page holds 25 rows; more than this was not ticked on a list page, and each row runs its own transaction.
BULK_LIMIT = 100


@dataclass(frozen=True)
class Operation:
    label: str  # the button: "Approve"
    done: str  # the outcome, past tense: "approved"
    action: type
    reason: str | None = None  # the action's parameter that takes the typed reason, if it needs one
    reason_label: str = ""


@dataclass(frozen=True)
class BulkList:
    permission: str  # the rule of the program the list needs (the actions ask again per row)
    noun: str  # "time log"
    list_url: str
    queryset: Callable  # program -> rows of that program, shaped for describe()
    describe: Callable  # row -> how a person recognises it
    operations: dict


def _time_rows(program):
    return (TimeLog.objects.filter(membership__program=program)
            .select_related("membership__artist", "membership__program").order_by("date", "pk"))


def _feedback_rows(program):
    return (Feedback.objects.filter(membership__program=program)
            .select_related("membership__artist", "membership__program").order_by("pk"))


def _invitation_rows(program):
    return Invitation.objects.filter(program=program).select_related("program").order_by("pk")


TIME = BulkList(
    permission="timelog.approve", noun="time log", list_url="testers:staff_timelogs", queryset=_time_rows,
    describe=lambda log: f"{log.membership.artist.display_name}, {log.date:%d %b %Y}, {log.minutes} min",
    operations={
        "approve": Operation("Approve", "approved", actions.ApproveTimeLog),
        "reject": Operation("Reject", "rejected", actions.RejectTimeLog, reason="reason",
                            reason_label="Reason to reject (each artist sees it)"),
    },
)
FEEDBACK = BulkList(
    permission="feedback.triage", noun="feedback item", list_url="testers:staff_feedback", queryset=_feedback_rows,
    describe=lambda item: f"#{item.pk} “{item.title}” from {item.membership.artist.display_name}",
    operations={
        "accept": Operation("Accept", "accepted", actions.AcceptFeedback),
        "decline": Operation("Decline", "declined", actions.DeclineFeedback, reason="reason",
                             reason_label="Reason to decline (each artist sees it)"),
    },
)
INVITATIONS = BulkList(
    permission="invitation.manage", noun="invitation", list_url="testers:staff_invitations",
    queryset=_invitation_rows, describe=lambda inv: f"{inv.name} <{inv.email}>" if inv.name else inv.email,
    operations={
        "resend": Operation("Resend", "resent", actions.ResendInvitation),
        "revoke": Operation("Revoke", "revoked", actions.RevokeInvitation),
    },
)


def _ids(request) -> list[int] | None:
    ids = []
    for raw in request.POST.getlist("ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            return None
    return sorted(set(ids))


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _handle(request, slug, bulk: BulkList):
    program = get_program_for(request.user, bulk.permission, slug)
    back = redirect(bulk.list_url, slug=program.slug)
    ids = _ids(request)
    operation = bulk.operations.get(request.POST.get("operation", ""))
    if ids is None or operation is None:
        messages.error(request, "Choose what to do with the selected rows.")
        return back
    if not ids:
        messages.error(request, f"Tick at least one {bulk.noun} first.")
        return back
    if len(ids) > BULK_LIMIT:
        messages.error(request, f"Choose at most {BULK_LIMIT} {bulk.noun}s at a time.")
        return back
    reason = (request.POST.get("reason") or "").strip()[:bounds.REASON_TEXT]
    params = {operation.reason: reason} if operation.reason else {}
    rows = list(bulk.queryset(program).filter(pk__in=ids))
    missing = len(ids) - len(rows)

    if request.POST.get("confirmed") != "1":
        plan = [(row, bulk.describe(row), operation.action(request.user, row, **params).check()) for row in rows]
        return render(request, "testers/staff/bulk_confirm.html", {
            "program": program, "bulk": bulk, "operation": operation, "operation_key": request.POST["operation"],
            "plan": plan, "missing": missing, "reason": reason,
            "runnable": sum(1 for _, _, refusal in plan if refusal is None),
        })

    done, refused = [], []
    for row in rows:
        try:
            operation.action(request.user, row, **params).run()
        except ActionRefused as refusal:
            refused.append(f"{bulk.describe(row)}: {'not found' if refusal.hides_object else refusal}")
        except DomainError as error:
            refused.append(f"{bulk.describe(row)}: {error}")
        else:
            done.append(row)
    if done:
        messages.success(request, f"{_plural(len(done), bulk.noun)} {operation.done}.")
    if refused or missing:
        lines = refused + ([f"{_plural(missing, bulk.noun)} not found in {program.name}."] if missing else [])
        messages.error(request, f"Not {operation.done} ({len(lines)}): " + "; ".join(lines))
    return back


@login_required
@require_POST
def timelogs_bulk(request, slug):
    return _handle(request, slug, TIME)


@login_required
@require_POST
def feedback_bulk(request, slug):
    return _handle(request, slug, FEEDBACK)


@login_required
@require_POST
def invitations_bulk(request, slug):
    return _handle(request, slug, INVITATIONS)
