"""E-mails about share requests: a decision to the artist, an escalation, an appeal to its reviewer. Run by
tasks that the actions queue (after commit)."""
from django.conf import settings
from django.urls import reverse

from atelier.notifications import notify
from content_review.models import Appeal, ReviewDecision, ShareRequest

Outcome = ReviewDecision.Outcome


def _link(name, **kwargs):
    return settings.SITE_URL + reverse(name, kwargs=kwargs)


def _mail(subject, body, to):
    """Queue the mail through the one mail path (sent after commit; the task retries on SMTP trouble)."""
    notify(to, subject, body=body)


def notify_decision(decision_id: int) -> None:
    """E-mail the artist the decision, the clauses it cites and the reason."""
    decision = (ReviewDecision.objects.select_related("share_request__membership__artist__user",
                                                      "share_request__membership__program")
                .prefetch_related("clauses").get(pk=decision_id))
    share_request = decision.share_request
    lines = [f"Your share request “{share_request.title}” in {share_request.membership.program.name}: "
             f"{decision.get_outcome_display()}{' (on appeal, final)' if decision.on_appeal else ''}."]
    if decision.clauses.all():
        lines.append("Clauses cited: " + "; ".join(str(c) for c in decision.clauses.all()))
    if decision.reason:
        lines.append(f"Reason: {decision.reason}")
    if decision.embargo_until:
        lines.append(f"Do not post before {decision.embargo_until:%d %B %Y}.")
    if decision.required_caption:
        lines.append(f"Required caption: {decision.required_caption}")
    if decision.required_credit:
        lines.append(f"Required credit: {decision.required_credit}")
    if decision.outcome == Outcome.REFUSE and not decision.on_appeal:
        lines.append("You may appeal this refusal once; another reviewer will decide.")
    lines.append(_link("content_review:request_detail", pk=share_request.pk))
    _mail(f"Decision on “{share_request.title}”", "\n\n".join(lines), [share_request.membership.artist.user.email])


def notify_escalated(share_request_id: int) -> None:
    share_request = ShareRequest.objects.select_related(
        "membership__artist__user", "membership__program", "escalated_to").get(pk=share_request_id)
    program = share_request.membership.program
    _mail(f"“{share_request.title}” passed its review deadline",
          f"No reviewer decided your share request “{share_request.title}” within {program.review_sla_days} days. "
          f"It has been escalated to the program manager, who will decide it.\n\n"
          + _link("content_review:request_detail", pk=share_request.pk),
          [share_request.membership.artist.user.email])
    if share_request.escalated_to:
        _mail(f"Escalated: “{share_request.title}”",
              "This share request passed its review deadline and is yours to decide.\n\n"
              + _link("content_review:review", slug=program.slug, pk=share_request.pk),
              [share_request.escalated_to.email])


def notify_appeal_assigned(appeal_id: int) -> None:
    appeal = Appeal.objects.select_related("assigned_to", "share_request__membership__program").get(pk=appeal_id)
    if appeal.assigned_to:
        program = appeal.share_request.membership.program
        _mail(f"Appeal to decide: “{appeal.share_request.title}”",
              f"The artist appealed a refusal. Your decision on the appeal is final.\n\n{appeal.message}\n\n"
              + _link("content_review:review", slug=program.slug, pk=appeal.share_request_id),
              [appeal.assigned_to.email])
