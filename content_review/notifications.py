"""What content review tells people (docs/notifications.md): reviewers of a request to review, of a deadline near,
of an appeal given to them; artists of every decision, of an escalation, of a work taken off the showcase."""
from __future__ import annotations

from django.urls import reverse

from atelier.display import format_day, format_when
from atelier.notifications import Message, notice, register_category
from atelier.timezones import zone_of
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from testers.models import StaffRole
from testers.notifications import staff_of

REVIEW = register_category("review", "Share requests and reviews",
                           "Decisions on your share requests and appeals; for reviewers, requests to decide, "
                           "deadlines near, appeals and escalations.")

Outcome = ReviewDecision.Outcome
Role = StaffRole.Role


def _when(moment, person) -> str:
    """The moment in the recipient's own zone, with its abbreviation: each reviewer reads their own clock."""
    return format_when(moment, zone_of(person))


def _request(event) -> ShareRequest:
    return ShareRequest.objects.select_related("membership__artist__user", "membership__program",
                                               "escalated_to").get(pk=event["target_id"])


def _mine(share_request) -> str:
    return reverse("content_review:request_detail", args=[share_request.pk])


def _review(share_request) -> str:
    return reverse("content_review:review", args=[share_request.membership.program.slug, share_request.pk])


def _deciders(share_request, *, exclude=None):
    """The program's reviewers; managers when it has none. Never the artist themself."""
    program_id = share_request.membership.program_id
    people = staff_of(program_id, Role.REVIEWER, exclude=exclude) or staff_of(program_id, Role.MANAGER,
                                                                             exclude=exclude)
    return [p for p in people if p.pk != share_request.membership.artist.user_id]


@notice("content_review.share_request.submitted", category="review")
def submitted(event):
    share_request = _request(event)
    if share_request.status not in ShareRequest.OPEN:
        return []  # approved at once (it cites only clauses that ended) or withdrawn: nothing to review
    artist = share_request.membership.artist
    return [Message(person, f"Share request to review: “{share_request.title}”",
                    f"{artist.display_name} asks to share “{share_request.title}”. "
                    f"Decide by {_when(share_request.deadline_at, person)}.", _review(share_request))
            for person in _deciders(share_request, exclude=event.get("actor_id"))]


@notice("content_review.deadline.approaching", category="review")
def deadline_approaching(event):
    """Whoever decides now: the reviewers (first deadline), the manager it was escalated to, the appeal's
    assignee (the program's managers when nobody holds it)."""
    share_request = _request(event)
    status = share_request.status
    if status == ShareRequest.Status.ESCALATED:
        people = ([share_request.escalated_to] if share_request.escalated_to and share_request.escalated_to.is_active
                  else staff_of(share_request.membership.program_id, Role.MANAGER))
        after = "after that it is deemed approved"
    elif status == ShareRequest.Status.APPEALED:
        appeal = Appeal.objects.select_related("assigned_to").get(share_request=share_request)
        people = ([appeal.assigned_to] if appeal.assigned_to and appeal.assigned_to.is_active
                  else staff_of(share_request.membership.program_id, Role.MANAGER, exclude=appeal.refused_by_id))
        after = "after that the refusal is deemed overturned"
    else:
        people = _deciders(share_request)
        after = (f"after that the program's policy decides for you "
                 f"({share_request.membership.program.get_deadline_policy_display().lower()})")
    what = "appeal" if status == ShareRequest.Status.APPEALED else "share request"
    return [Message(person, f"Deadline near: “{share_request.title}”",
                    f"This {what} must be decided by {_when(share_request.decide_by, person)}; {after}.",
                    _review(share_request))
            for person in people if person.pk != share_request.membership.artist.user_id]


def _decision_text(decision: ReviewDecision) -> str:
    share_request = decision.share_request
    lines = [f"Your share request “{share_request.title}” in {share_request.membership.program.name}: "
             f"{decision.get_outcome_display()}{' (on appeal, final)' if decision.on_appeal else ''}."]
    clauses = list(decision.clauses.all())
    if clauses:
        lines.append("Clauses cited: " + "; ".join(str(c) for c in clauses))
    if decision.reason:
        lines.append(f"Reason: {decision.reason}")
    if decision.embargo_until:
        lines.append(f"Do not post before {format_day(decision.embargo_until)}.")
    if decision.required_caption:
        lines.append(f"Required caption: {decision.required_caption}")
    if decision.required_credit:
        lines.append(f"Required credit: {decision.required_credit}")
    if decision.outcome == Outcome.REFUSE and not decision.on_appeal:
        lines.append("You may appeal this refusal once; another reviewer will decide.")
    return "\n\n".join(lines)


def decided(event):
    """The artist: the decision, the clauses it cites and the reason (also a deemed approval, an appeal's)."""
    decisions = ReviewDecision.objects.select_related("share_request__membership__artist__user",
                                                      "share_request__membership__program")
    if event.get("decision_id"):
        decision = decisions.prefetch_related("clauses").get(pk=event["decision_id"])
    else:
        decision = decisions.prefetch_related("clauses").filter(share_request_id=event["target_id"]).order_by(
            "-created_at", "-pk").first()
        if decision is None:
            return []
    share_request = decision.share_request
    title = (f"Appeal decided: “{share_request.title}” — {decision.get_outcome_display().lower()}" if decision.on_appeal
             else f"Decision on “{share_request.title}”: {decision.get_outcome_display().lower()}")
    return [Message(share_request.membership.artist.user, title, _decision_text(decision), _mine(share_request))]


for _name in ("content_review.share_request.approved", "content_review.share_request.approved_with_conditions",
              "content_review.share_request.changes_requested", "content_review.share_request.refused",
              "content_review.deadline.deemed_approved", "content_review.appeal.overturned",
              "content_review.appeal.upheld", "content_review.deadline.deemed_approved_after_escalation",
              "content_review.deadline.appeal_deemed_overturned", "content_review.share_request.approved_as_free"):
    notice(_name, category="review")(decided)


@notice("content_review.deadline.escalated", category="review")
def escalated(event):
    share_request = _request(event)
    program = share_request.membership.program
    artist = share_request.membership.artist.user
    messages = [Message(artist, f"“{share_request.title}” passed its review deadline",
                        f"No reviewer decided your share request “{share_request.title}” within "
                        f"{program.review_sla_days} days. It has been escalated to the program manager, who will "
                        f"decide it by {_when(share_request.escalation_deadline_at, artist)}; if they do not, it is "
                        f"deemed approved.", _mine(share_request))]
    if share_request.escalated_to and share_request.escalated_to.is_active:
        messages.append(Message(share_request.escalated_to, f"Escalated: “{share_request.title}”",
                                "This share request passed its review deadline and is yours to decide by "
                                f"{_when(share_request.escalation_deadline_at, share_request.escalated_to)}; after that "
                                f"it is deemed approved.",
                                _review(share_request)))
    return messages


@notice("content_review.appeal.created", category="review")
def appeal_assigned(event):
    appeals = Appeal.objects.select_related("assigned_to", "share_request__membership__program")
    appeal = (appeals.get(pk=event["appeal_id"]) if event.get("appeal_id")
              else appeals.filter(share_request_id=event["target_id"]).first())
    if appeal is None or appeal.assigned_to is None:
        return []
    return [Message(appeal.assigned_to, f"Appeal to decide: “{appeal.share_request.title}”",
                    f"The artist appealed a refusal. Your decision on the appeal is final. Decide by "
                    f"{_when(appeal.decide_by, appeal.assigned_to)}; after that the refusal is deemed "
                    f"overturned.\n\n{appeal.message}",
                    _review(appeal.share_request))]


@notice("content_review.showcase.work_removed", category="review")
def showcase_removed(event):
    """The artist, when a manager took their work off the showcase: with the manager's reason."""
    work = Work.objects.select_related("share_request__membership__artist__user",
                                       "share_request__membership__program").get(pk=event["target_id"])
    share_request = work.share_request
    program = share_request.membership.program
    return [Message(share_request.membership.artist.user,
                    f"Your work “{work.original_name}” was taken off the showcase",
                    f"A manager of {program.name} took your work from “{share_request.title}” off the public "
                    f"showcase.\n\nReason: {work.showcase_removed_reason}", _mine(share_request))]


@notice("content_review.showcase.consent_withdrawn", category="review")
def showcase_withdrawn(event):
    """The managers, when the artist took their work off the showcase (the public page changed); the artist too
    when someone else did (entries from before managers removed works with a reason)."""
    work = Work.objects.select_related("share_request__membership__artist__user",
                                       "share_request__membership__program").get(pk=event["target_id"])
    share_request = work.share_request
    program = share_request.membership.program
    artist = share_request.membership.artist.user
    showcase = reverse("content_review:showcase", args=[program.slug])
    if event.get("actor_id") != artist.pk:
        return [Message(artist, f"Your work “{work.original_name}” was taken off the showcase",
                        f"A manager of {program.name} took your work from “{share_request.title}” off the public "
                        f"showcase.", _mine(share_request))]
    return [Message(person, f"{share_request.membership.artist.display_name} took a work off the showcase",
                    f"“{work.original_name}” from “{share_request.title}” is no longer on {program.name}'s public "
                    f"showcase: the artist withdrew their consent.", showcase)
            for person in staff_of(program.pk, Role.MANAGER)]
