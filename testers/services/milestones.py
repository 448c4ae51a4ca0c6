"""Confidentiality that ends: keyword-only entry points running the actions of `testers.actions.milestones`, and
the beat task's sweep of clauses whose day has come."""
from __future__ import annotations

from datetime import date

from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from testers.actions import milestones as actions
from testers.models import Clause, Milestone, TermsVersion


def create_milestone(*, program, name: str, by) -> Milestone:
    return actions.CreateMilestone(by, program=program, name=name).run()


def announce_milestone(*, milestone: Milestone, by) -> Milestone:
    return actions.AnnounceMilestone(by, milestone).run()


def due_clause_ids(today: date | None = None) -> list[int]:
    """Clauses of published terms whose day has come and whose end is not recorded yet (a day the beat missed is
    caught the next time it runs)."""
    today = today or timezone.localdate()
    return list(Clause.objects.filter(ends_on__lte=today, ended_at__isnull=True,
                                      terms_version__status=TermsVersion.Status.PUBLISHED)
                .order_by("ends_on", "pk").values_list("pk", flat=True))


def end_due_clauses(*, today: date | None = None) -> int:
    """The beat task: end every clause whose day has come, one action (and transaction) each. Safe to run twice:
    a clause that ended is refused by its action. Returns how many ended now."""
    ended = 0
    for pk in due_clause_ids(today):
        clause = Clause.objects.filter(pk=pk).first()
        if clause is None:
            continue
        try:
            actions.EndClause(SYSTEM, clause).run()
        except ActionRefused:
            continue  # ended meanwhile by another run
        ended += 1
    return ended


def clauses_ending_at(milestone: Milestone) -> list[Clause]:
    """What announcing the milestone frees: the clauses of published terms that end at it (the confirmation page)."""
    return list(actions.ending_at(milestone).select_related("terms_version"))
