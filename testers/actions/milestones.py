"""Confidentiality that ends: a program's milestones (created, then announced by a manager), and the end of a
clause (the system's action, once per clause: on its day, from the beat task, or when its milestone is announced).
docs/testers.md, "Confidentiality that ends"."""
from __future__ import annotations

from datetime import date

from django.utils import timezone

from atelier import bounds
from atelier.actions import SYSTEM
from atelier.display import format_day
from atelier.errors import Refusal
from testers.models import Clause, Milestone, TermsVersion

from .base import TestersAction, TransitionAction, clean_text

NAME_MAX = Milestone._meta.get_field("name").max_length


def end_refusal(program, klass: str, ends_on: date | None, milestone: Milestone | None) -> str | None:
    """Why a clause of `program` in class `klass` cannot carry this end (drafting a version), or None."""
    if ends_on is None and milestone is None:
        return None
    if ends_on is not None and milestone is not None:
        return "A clause ends on a day or at a milestone, not both: choose one."
    if klass not in Clause.ENDING:
        return "Only a confidential or needs-approval clause can end: a free-to-share clause has nothing to end."
    if ends_on is not None:
        if ends_on <= timezone.localdate():
            return "The end must be a day after today; a clause that is already free belongs in “free to share”."
        if ends_on > bounds.clause_end_latest():
            return (f"The end can be at most {bounds.CLAUSE_END_YEARS} years ahead, by "
                    f"{format_day(bounds.clause_end_latest())}.")
    if milestone is not None:
        milestone = Milestone.objects.filter(pk=milestone.pk).first()  # as it is now, not as the caller read it
        if milestone is None or milestone.program_id != program.pk:
            return "Choose one of this program's milestones."
        if milestone.is_announced:
            return (f"“{milestone.name}” was already announced: a clause that is already free belongs in "
                    f"“free to share”.")
    return None


def has_come(clause: Clause, today: date | None = None) -> bool:
    """Has the clause's end come (its day reached, or its milestone announced), whether or not it was recorded?"""
    today = today or timezone.localdate()
    if clause.ends_on is not None:
        return clause.ends_on <= today
    if clause.ends_at_milestone_id is not None:
        return clause.ends_at_milestone.is_announced
    return False


class CreateMilestone(TestersAction):
    """A named milestone of the program that clauses can end at. Params: program, name."""

    name = "testers.milestone.created"
    label = "created milestone"
    permission = "milestone.manage"

    def refusal(self, obj):
        name = clean_text(self.params.get("name"))
        if not name:
            return "Name the milestone, as artists will read it: “public launch”."
        if len(name) > NAME_MAX:
            return f"A milestone's name is at most {NAME_MAX} characters."
        if Milestone.objects.filter(program=self.params["program"], name__iexact=name).exists():
            return f"This program already has a milestone called “{name}”."
        return None

    def apply(self, obj):
        milestone = Milestone.objects.create(program=self.params["program"], name=clean_text(self.params["name"]),
                                             created_by_id=self.actor.pk)
        self.after = {"name": milestone.name}
        return milestone

    def audit_program(self, obj, result):
        return self.params["program"]


class AnnounceMilestone(TransitionAction):
    """A manager announces the milestone: every clause of published terms that ends at it ends now (one
    `testers.clause.ended` each, in the same transaction), and artists are told what is free."""

    name = "testers.milestone.announced"
    label = "announced milestone"
    model = Milestone
    permission = "milestone.manage"
    transition = "announce"
    select_related = ("program",)

    def state_refusal(self, milestone, status):
        return f"“{milestone.name}” was already announced."

    def apply(self, milestone):
        self.move(milestone)
        self.change(milestone, announced_at=timezone.now(), announced_by_id=self.actor.pk)
        # Saved before the clauses end: each end re-reads its milestone on its locked row.
        milestone.save(update_fields=sorted(self.dirty))
        ended = []
        for clause in ending_at(milestone):
            EndClause(SYSTEM, clause).run()
            ended.append(clause.pk)
        self.audit_data.update(name=milestone.name, clauses_ended=ended)
        return milestone

    def audit_program(self, obj, result):
        return obj.program


def ending_at(milestone):
    """Clauses of published terms that end at the milestone and have not ended yet."""
    return (Clause.objects.filter(ends_at_milestone=milestone, ended_at__isnull=True,
                                  terms_version__status=TermsVersion.Status.PUBLISHED)
            .order_by("terms_version__number", "position"))


class EndClause(TestersAction):
    """The clause's end came: record it, once. From then on it is free to share for everyone under its version,
    with no new terms to accept; artists under the version are told (testers/notifications.py) and share
    requests citing only ended clauses are approved (content_review reacts to the event). The system runs it."""

    name = "testers.clause.ended"
    label = "ended a clause of terms"
    model = Clause
    system = True
    people = False
    select_related = ("terms_version__program", "ends_at_milestone")

    def refusal(self, clause):
        if clause is None:
            return None
        if clause.ended_at is not None:
            return Refusal(f"{clause} already ended.", "state")
        if clause.terms_version.status != TermsVersion.Status.PUBLISHED:
            return Refusal("Only a clause of published terms ends.", "state")
        if not clause.has_end:
            return Refusal(f"{clause} has no end.", "rule")
        if not has_come(clause):
            return Refusal(f"{clause} is {clause.get_klass_display().lower()} {clause.end_text()}.", "rule")
        return None

    def apply(self, clause):
        self.change(clause, ended_at=timezone.now())
        self.audit_data.update(version=clause.terms_version.number, clause=str(clause), end=clause.end_text())
        self.emit(terms_version_id=clause.terms_version_id)
        return clause

    def audit_program(self, obj, result):
        return obj.terms_version.program


__all__ = ["AnnounceMilestone", "CreateMilestone", "EndClause", "end_refusal", "has_come"]
