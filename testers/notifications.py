"""What testers tells people (docs/notifications.md): new terms and their reminders, clauses that ended, feedback
triaged or answered, testing time approved or rejected. Also who holds a role, for the notices of the apps above."""
from __future__ import annotations

from django.urls import reverse

from atelier.display import format_day, format_duration
from atelier.models import User
from atelier.notifications import Message, notice, register_category
from testers.models import Clause, Feedback, FeedbackEvent, Membership, StaffRole, TermsAcceptance, TermsVersion, TimeLog

TERMS = register_category("terms", "Terms of your programs",
                          "New terms, and reminders to accept them before they take effect.", mandatory=True)
CONTRIBUTIONS = register_category("contributions", "Feedback and testing time",
                                  "Your feedback accepted, answered, shipped or declined; your time approved or "
                                  "rejected.")


# --- who ------------------------------------------------------------------------------------------------------

def staff_of(program_id, *roles, exclude=None) -> list[User]:
    """Active users holding one of `roles` in the program (each once), but `exclude` (a user id)."""
    users = (User.objects.filter(is_active=True, staff_roles__program_id=program_id, staff_roles__role__in=roles)
             .distinct().order_by("pk"))
    if exclude is not None:
        users = users.exclude(pk=exclude)
    return list(users)


def participants(program_id) -> list[Membership]:
    """Memberships whose artist the program's rules bind (active and paused: a paused artist comes back to them)."""
    return list(Membership.objects.filter(program_id=program_id,
                                          status__in=[Membership.Status.ACTIVE, Membership.Status.PAUSED])
                .select_related("artist__user").order_by("pk"))


def not_yet_accepted(version: TermsVersion) -> list[Membership]:
    accepted = set(TermsAcceptance.objects.filter(terms_version=version).values_list("membership_id", flat=True))
    return [m for m in participants(version.program_id) if m.pk not in accepted]


# --- terms ----------------------------------------------------------------------------------------------------

def impact(version: TermsVersion) -> str:
    return (f"From {format_day(version.effective_date)}, until you accept them, you cannot log time, send feedback or "
            f"ask to share.")


def _version(event) -> TermsVersion:
    return TermsVersion.objects.select_related("program").get(pk=event["target_id"])


@notice("testers.terms.published", category="terms")
def terms_published(event):
    version = _version(event)
    program = version.program
    body = (f"{program.name} published version {version.number} of its participation terms. {impact(version)}"
            + (f"\n\nWhat changed: {version.summary}" if version.summary else ""))
    link = reverse("testers:terms", args=[program.slug])
    return [Message(m.artist.user, f"New terms for {program.name}: please read and accept version {version.number}",
                    body, link) for m in participants(program.pk)]


def _reminders(event):
    version = _version(event)
    program = version.program
    link = reverse("testers:terms", args=[program.slug])
    return [Message(m.artist.user,
                    f"Reminder: accept {program.name}'s terms (version {version.number}) before "
                    f"{format_day(version.effective_date)}",
                    f"You have not accepted version {version.number} of {program.name}'s terms yet. {impact(version)}",
                    link) for m in not_yet_accepted(version)]


notice("testers.terms.reminder_sent", category="terms")(_reminders)
notice("testers.terms.reminded", category="terms")(_reminders)


def under_version(version: TermsVersion) -> list[Membership]:
    """The artists (active and paused) whose newest accepted terms are this version: its clauses bind them."""
    newest = {}
    for membership_id, number in (TermsAcceptance.objects.filter(membership__program_id=version.program_id)
                                  .values_list("membership_id", "terms_version__number")):
        newest[membership_id] = max(number, newest.get(membership_id, 0))
    return [m for m in participants(version.program_id) if newest.get(m.pk) == version.number]


@notice("testers.clause.ended", category="terms")
def clause_ended(event):
    """Artists under the clause's version: what is free to share now, with no new terms to accept."""
    clause = Clause.objects.select_related("terms_version__program", "ends_at_milestone").get(pk=event["target_id"])
    version = clause.terms_version
    program = version.program
    was = clause.get_klass_display().lower()
    body = (f"{clause} of {program.name}'s terms (version {version.number}) was {was} {clause.end_text()}. That end "
            f"has come: it is free to share now, with no new terms to accept.\n\n{clause.text}")
    link = reverse("testers:what_can_i_share")
    return [Message(m.artist.user, f"Now free to share: {clause} ({program.name})", body, link)
            for m in under_version(version)]


# --- feedback and time -----------------------------------------------------------------------------------------

def _feedback(event) -> Feedback:
    return Feedback.objects.select_related("membership__artist__user", "membership__program").get(
        pk=event["target_id"])


def _last_message(feedback) -> str:
    last = (FeedbackEvent.objects.filter(feedback=feedback).exclude(message="").order_by("-created_at", "-pk")
            .values_list("message", flat=True).first())
    return last or ""


FEEDBACK_TITLES = {
    "testers.feedback.accepted": "Your feedback “{title}” was accepted",
    "testers.feedback.shipped": "Your feedback “{title}” shipped",
    "testers.feedback.declined": "Your feedback “{title}” was declined",
    "testers.feedback.duplicate": "Your feedback “{title}” was marked as a duplicate",
}


def _feedback_triaged(event):
    feedback = _feedback(event)
    program = feedback.membership.program
    body = {
        "testers.feedback.accepted": "Accepted feedback is paid by the program's rate card: it appears in your "
                                     "earnings.",
        "testers.feedback.declined": f"Reason: {feedback.decline_reason}",
    }.get(event["name"], "")
    message = _last_message(feedback) if event["name"] != "testers.feedback.declined" else ""
    body = "\n\n".join(part for part in (body, message) if part)
    return [Message(feedback.membership.artist.user,
                    FEEDBACK_TITLES[event["name"]].format(title=feedback.title) + f" ({program.name})", body,
                    reverse("testers:feedback_detail", args=[feedback.pk]))]


for _name in FEEDBACK_TITLES:
    notice(_name, category="contributions")(_feedback_triaged)


@notice("testers.feedback.replied", category="contributions")
def feedback_replied(event):
    """The artist, when someone else (the program's manager) replied; a manager's thread is read in triage."""
    feedback = _feedback(event)
    artist = feedback.membership.artist.user
    if event.get("actor_id") == artist.pk:
        return []
    reply = FeedbackEvent.objects.filter(feedback=feedback, kind=FeedbackEvent.Kind.REPLY).order_by("-pk").first()
    return [Message(artist, f"New reply on your feedback “{feedback.title}”", reply.message if reply else "",
                    reverse("testers:feedback_detail", args=[feedback.pk]))]



@notice("testers.timelog.approved", category="contributions")
@notice("testers.timelog.rejected", category="contributions")
def timelog_decided(event):
    log = TimeLog.objects.select_related("membership__artist__user", "membership__program").get(pk=event["target_id"])
    approved = event["name"] == "testers.timelog.approved"
    what = f"{format_duration(log.minutes)} of testing on {format_day(log.date)}"
    if approved:
        title = f"Your testing time was approved: {what}"
        body = "Approved time is paid by the program's rate card: it appears in your earnings."
    else:
        title = f"Your testing time was rejected: {what}"
        body = f"Reason: {log.rejection_reason}"
    return [Message(log.membership.artist.user, f"{title} ({log.membership.program.name})", body,
                    reverse("testers:timelog_detail", args=[log.pk]))]
