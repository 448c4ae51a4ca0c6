"""Terms: keyword-only functions running the actions of `testers.actions.terms` (drafting, clauses, publishing,
accepting), and what changed between two versions (the diff pages show)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from atelier.actions import SYSTEM
from atelier.display import format_count, format_day
from atelier.errors import ActionRefused
from testers.actions import terms as actions
from testers.models import Clause, Membership, TermsAcceptance, TermsVersion


def draft_new_version(*, program, by) -> TermsVersion:
    return actions.DraftTerms(by, program=program).run()


def add_clause(*, version: TermsVersion, klass: str, title: str, text: str, examples: str = "", by) -> Clause:
    return actions.AddClause(by, version, klass=klass, title=title, text=text, examples=examples).run()


def update_clause(*, clause: Clause, by, **changes) -> Clause:
    """Change a draft's clause (class, title, text, examples, position). Its key stays, so diffs can follow it."""
    return actions.ChangeClause(by, clause.terms_version, clause=clause, **changes).run()


def remove_clause(*, clause: Clause, by) -> None:
    actions.RemoveClause(by, clause.terms_version, clause=clause).run()


def update_draft(*, version: TermsVersion, summary: str, by) -> TermsVersion:
    return actions.EditTermsSummary(by, version, summary=summary).run()


def publish_terms(*, version: TermsVersion, effective_date: date, by) -> TermsVersion:
    return actions.PublishTerms(by, version, effective_date=effective_date).run()


#: days before new terms take effect when the artists who have not accepted them are reminded (beat task)
REMINDER_DAYS = 3


def default_effective_date(program) -> date:
    """New terms take effect after the program's notice period (DESIGN.md "Telling people")."""
    return timezone.localdate() + timedelta(days=program.terms_notice_days)


def publication_impact(program, effective_date: date) -> str:
    """What publishing means for the artists, in one sentence (shown on the publish form)."""
    count = Membership.objects.filter(program=program, status__in=[Membership.Status.ACTIVE,
                                                                    Membership.Status.PAUSED]).count()
    artists = format_count(count, "artist")
    return (f"{artists} will need to accept; until they do, from {format_day(effective_date)} they cannot log time, "
            f"send feedback or ask to share.")


def acceptance_progress(version: TermsVersion) -> dict:
    """How many of the artists the version binds (active and paused) accepted it, and who has not."""
    memberships = (Membership.objects.filter(program_id=version.program_id,
                                             status__in=[Membership.Status.ACTIVE, Membership.Status.PAUSED])
                   .select_related("artist__user").order_by("artist__display_name", "pk"))
    accepted_ids = TermsAcceptance.objects.filter(terms_version=version).values("membership_id")
    total = memberships.count()
    waiting = memberships.exclude(pk__in=accepted_ids)
    waiting_count = waiting.count()
    return {"total": total, "accepted": total - waiting_count, "waiting_count": waiting_count, "waiting": waiting}


def send_terms_reminders(*, today: date | None = None) -> int:
    """The beat task: remind, once per version, the artists who have not accepted terms taking effect within
    REMINDER_DAYS (but not in the day after publication: they were just told). Returns how many versions."""
    today = today or timezone.localdate()
    versions = TermsVersion.objects.filter(
        status=TermsVersion.Status.PUBLISHED, effective_date__gt=today,
        effective_date__lte=today + timedelta(days=REMINDER_DAYS),
        published_at__lte=timezone.now() - timedelta(days=1),
    ).order_by("pk")
    sent = 0
    for version in versions:
        action = actions.SendTermsReminder(SYSTEM, version)
        if action.check() is None:
            try:
                action.run()
                sent += 1
            except ActionRefused:
                pass  # sent meanwhile by another run, or everyone accepted
    return sent


def remind_unaccepted(*, version: TermsVersion, by) -> TermsVersion:
    return actions.RemindTerms(by, version).run()


def upcoming_terms(program) -> TermsVersion | None:
    """A published version whose effective date has not come yet (artists may accept it early)."""
    return (
        TermsVersion.objects.filter(program=program, status=TermsVersion.Status.PUBLISHED,
                                    effective_date__gt=timezone.localdate())
        .order_by("-number").first()
    )


def accept_terms(*, membership: Membership, version: TermsVersion, by, ip: str | None = None) -> TermsAcceptance:
    """Record that the artist accepted this exact version (its hash, the time, the address). Once per version."""
    return actions.AcceptTerms(by, version, membership=membership, ip=ip).run()


# --- what changed between two versions --------------------------------------------------------

@dataclass
class ClauseChange:
    kind: str  # "added" | "removed" | "changed" | "unchanged"
    key: str
    old: Clause | None = None
    new: Clause | None = None
    fields: dict = field(default_factory=dict)  # field label -> html diff

    @property
    def title(self):
        return (self.new or self.old).title


_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


def text_diff(old: str, new: str) -> str:
    """Word-level diff as HTML: <del class="diff-removed">…</del> and <ins class="diff-added">…</ins>."""
    a, b = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f'<del class="diff-removed">{escape("".join(a[i1:i2]))}</del>')
        if op in ("insert", "replace"):
            out.append(f'<ins class="diff-added">{escape("".join(b[j1:j2]))}</ins>')
    return mark_safe("".join(out))


def diff_versions(old: TermsVersion | None, new: TermsVersion) -> list[ClauseChange]:
    """Clause by clause (matched by key): added, removed, changed (with a text diff per field) or unchanged."""
    old_clauses = {c.key: c for c in old.clauses.all()} if old is not None else {}
    changes = []
    for clause in new.clauses.all():
        before = old_clauses.pop(clause.key, None)
        if before is None:
            changes.append(ClauseChange("added", clause.key, new=clause))
            continue
        fields = {}
        if before.klass != clause.klass:
            fields["Class"] = text_diff(before.get_klass_display(), clause.get_klass_display())
        for name, label in (("title", "Title"), ("text", "Text"), ("examples", "Examples")):
            if getattr(before, name) != getattr(clause, name):
                fields[label] = text_diff(getattr(before, name), getattr(clause, name))
        changes.append(ClauseChange("changed" if fields else "unchanged", clause.key, old=before, new=clause,
                                    fields=fields))
    for clause in old_clauses.values():
        changes.append(ClauseChange("removed", clause.key, old=clause))
    return changes
