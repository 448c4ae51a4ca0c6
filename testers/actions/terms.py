"""Terms: draft a version, edit its summary and clauses while it is a draft, publish it (frozen from then on),
and accept a published version."""
from __future__ import annotations

from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from atelier import bounds
from atelier.display import format_day
from atelier.errors import Refusal
from atelier.models import AuditLogEntry
from atelier.requestcontext import current_ip
from testers.models import Clause, Membership, TermsAcceptance, TermsVersion
from testers.selectors import current_terms

from .base import TestersAction
from .milestones import end_refusal, has_come

CLAUSE_FIELDS = ("klass", "title", "text", "examples", "position", "ends_on", "ends_at_milestone")


def _frozen(version, status) -> str:
    return f"Version {version.number} is published; published terms never change. Draft a new version."


def _unique_key(version: TermsVersion, title: str, exclude_pk=None) -> str:
    base = slugify(title)[:50] or "clause"
    key, n = base, 2
    existing = set(version.clauses.exclude(pk=exclude_pk).values_list("key", flat=True))
    while key in existing:
        key, n = f"{base}-{n}", n + 1
    return key


class DraftTerms(TestersAction):
    """Start the next version, copying the clauses of the newest one. At most one draft per program.
    Params: program."""

    name = "testers.terms.drafted"
    label = "drafted new terms"
    permission = "terms.manage"


    def refusal(self, obj):
        if TermsVersion.objects.filter(program=self.params["program"], status=TermsVersion.Status.DRAFT).exists():
            return "There is already a draft; edit it or publish it first."
        return None

    def apply(self, obj):
        program = self.params["program"]
        latest = TermsVersion.objects.filter(program=program).order_by("-number").first()
        draft = TermsVersion.objects.create(program=program, number=(latest.number + 1) if latest else 1,
                                            status=TermsVersion.Status.DRAFT)
        if latest is not None:
            Clause.objects.bulk_create([_copy(c, draft) for c in latest.clauses.select_related("ends_at_milestone")])
        self.audit_data["copied_from"] = latest.number if latest else None
        return draft


def _copy(clause: Clause, draft: TermsVersion) -> Clause:
    """The clause for the next version: its end still ahead is kept; a clause whose end has come is copied as free
    to share (a new version does not bring back a confidentiality that ended; the manager may change it)."""
    copy = Clause(terms_version=draft, position=clause.position, key=clause.key, klass=clause.klass,
                  title=clause.title, text=clause.text, examples=clause.examples)
    if clause.has_end and (clause.has_ended or has_come(clause)):
        copy.klass = Clause.Klass.FREE_TO_SHARE
    elif clause.has_end:
        copy.ends_on, copy.ends_at_milestone_id = clause.ends_on, clause.ends_at_milestone_id
    return copy


class _DraftEdit(TestersAction):
    model = TermsVersion
    permission = "terms.manage"
    select_related = ("program",)

    def state_refusal(self, version, status):
        return _frozen(version, status)

    def clause(self, version) -> Clause | None:
        clause = self.params.get("clause")
        if clause is None:
            return None
        return Clause.objects.filter(pk=clause.pk, terms_version=version).first()

    def audit_program(self, obj, result):
        return obj.program


class EditTermsSummary(_DraftEdit):
    """Params: summary."""

    name = "testers.terms.summary_changed"
    label = "changed the summary of draft terms"
    transition = "edit_summary"

    def apply(self, version):
        self.change(version, summary=self.params.get("summary") or "")


class AddClause(_DraftEdit):
    """Params: klass, title, text, examples."""

    name = "testers.terms.clause_added"
    label = "added a clause to draft terms"
    transition = "add_clause"

    def refusal(self, version):
        if self.params.get("klass") not in Clause.Klass.values:
            return "Choose the clause's class: confidential, needs approval or free to share."
        if not (self.params.get("title") or "").strip() or not (self.params.get("text") or "").strip():
            return "A clause needs a title and its text."
        return end_refusal(version.program, self.params["klass"], self.params.get("ends_on"),
                           self.params.get("ends_at_milestone"))

    def apply(self, version):
        title = self.params["title"].strip()
        position = (version.clauses.aggregate(m=Max("position"))["m"] or 0) + 1
        milestone = self.params.get("ends_at_milestone")
        clause = Clause.objects.create(terms_version=version, position=position, key=_unique_key(version, title),
                                       klass=self.params["klass"], title=title, text=self.params["text"],
                                       examples=self.params.get("examples") or "",
                                       ends_on=self.params.get("ends_on"), ends_at_milestone=milestone)
        self.audit_data.update(version=version.number, key=clause.key)
        if clause.has_end:
            self.audit_data["end"] = clause.end_text()
        return clause


class ChangeClause(_DraftEdit):
    """Change a draft's clause (class, title, text, examples, position); its key stays, so diffs can follow it.
    Params: clause, and the fields to change."""

    name = "testers.terms.clause_changed"
    label = "changed a clause of draft terms"
    transition = "change_clause"

    def refusal(self, version):
        if self.clause(version) is None:
            return "This clause is not part of this version."
        unknown = set(self.params) - {"clause", *CLAUSE_FIELDS}
        if unknown:
            raise ValueError(f"Clause fields {sorted(unknown)} cannot be changed here")
        clause = self.clause(version)
        end = {name: self.params.get(name, getattr(clause, name)) for name in ("klass", "ends_on", "ends_at_milestone")}
        if (end["ends_on"], end["ends_at_milestone"]) == (clause.ends_on, clause.ends_at_milestone):
            if end["klass"] not in Clause.ENDING and clause.has_end:
                return "Only a confidential or needs-approval clause can end: remove its end first."
            return None  # an end kept as it was is not judged again (a day may have passed since)
        return end_refusal(version.program, end["klass"], end["ends_on"], end["ends_at_milestone"])

    def apply(self, version):
        clause = self.clause(version)
        changes = {name: value for name, value in self.params.items() if name in CLAUSE_FIELDS}
        if "ends_at_milestone" in changes:  # recorded (and compared) by id: the audit entry holds plain values
            milestone = changes.pop("ends_at_milestone")
            changes["ends_at_milestone_id"] = getattr(milestone, "pk", None)
        before = {name: getattr(clause, name) for name in changes if getattr(clause, name) != changes[name]}
        for name, value in changes.items():
            setattr(clause, name, value)
        if before:
            clause.save(update_fields=list(before))
        self.audit_data.update(clause_id=clause.pk, key=clause.key, version=version.number)
        if {"ends_on", "ends_at_milestone_id"} & set(before):
            self.audit_data["end"] = Clause.objects.select_related("ends_at_milestone").get(pk=clause.pk).end_text()
        self.before.update(before)
        self.after.update({name: changes[name] for name in before})
        return clause


class RemoveClause(_DraftEdit):
    """Params: clause."""

    name = "testers.terms.clause_removed"
    label = "removed a clause from draft terms"
    transition = "remove_clause"

    def refusal(self, version):
        if self.clause(version) is None:
            return "This clause is not part of this version."
        return None

    def apply(self, version):
        clause = self.clause(version)
        self.audit_data.update(clause_id=clause.pk, key=clause.key, title=clause.title, version=version.number)
        clause.delete()


class PublishTerms(_DraftEdit):
    """Freeze a draft: hash its exact text and publish it. From its effective date artists must accept it.
    Params: effective_date."""

    name = "testers.terms.published"
    label = "published terms"
    transition = "publish"

    def refusal(self, version):
        effective_date = self.params.get("effective_date")
        if not version.clauses.exists():
            return "A version needs at least one clause."
        if effective_date is None:
            return "Choose the date from which the new terms apply."
        if effective_date < timezone.localdate():
            return "The effective date cannot be in the past: terms apply from their date forward."
        if effective_date > bounds.schedule_latest():
            # A far date would freeze the program's terms: no later version could take effect before it.
            return (f"The effective date can be at most a year ahead, by {format_day(bounds.schedule_latest())}: "
                    f"a later date would hold back every version after this one.")
        previous = (
            TermsVersion.objects.filter(program_id=version.program_id, status=TermsVersion.Status.PUBLISHED)
            .order_by("-number").first()
        )
        if previous is not None and previous.effective_date and effective_date < previous.effective_date:
            return (f"The effective date must be on or after {format_day(previous.effective_date)}, the date of "
                    f"version {previous.number}.")
        for clause in version.clauses.select_related("ends_at_milestone").exclude(ends_on=None,
                                                                                 ends_at_milestone=None):
            if has_come(clause):
                return (f"{clause} was to be {clause.get_klass_display().lower()} {clause.end_text()}, and that end "
                        f"has come: make it free to share, or give it a later end.")
        return None

    def apply(self, version):
        clauses = list(version.clauses.all())
        self.change(version, effective_date=self.params["effective_date"], published_at=timezone.now(),
                    published_by_id=self.actor.pk, text_hash=version.compute_hash(clauses))
        self.audit_data["number"] = version.number


class AcceptTerms(TestersAction):
    """Record that the artist accepted this exact published version (its hash, the time, the address), once.
    Target: the version. Params: membership (the artist's own), ip (optional)."""

    name = "testers.terms.accepted"
    label = "accepted terms"
    model = TermsVersion
    transition = "accept"
    permission = "terms.accept"
    select_related = ("program",)

    def permission_target(self, version):
        return self.params.get("membership")

    def state_refusal(self, version, status):
        return "These terms are not published yet."

    def refusal(self, version):
        membership = self.params["membership"]
        if version.program_id != membership.program_id:
            return "These terms are not published for your program."
        current = current_terms(version.program)
        if current is not None and version.number < current.number:
            return f"Version {version.number} has been replaced; please read and accept version {current.number}."
        if version.text_hash != version.compute_hash():
            return "These terms changed after they were published; tell the program manager."
        if TermsAcceptance.objects.filter(membership=membership, terms_version=version).exists():
            return f"You already accepted version {version.number} of these terms."
        return None

    def apply(self, version):
        membership = Membership.objects.get(pk=self.params["membership"].pk)
        acceptance = TermsAcceptance.objects.create(
            membership=membership, terms_version=version, text_hash=version.text_hash,
            ip_address=self.params.get("ip") or current_ip(),
        )
        self.audit_data.update(version=version.number, text_hash=version.text_hash)
        return acceptance

    def audit_program(self, obj, result):
        return obj.program


class _Remind(TestersAction):
    """Remind the artists who have not accepted a published version that is not in effect yet. Target: the version.
    The notice (testers/notifications.py) finds who, when it is delivered."""

    model = TermsVersion
    select_related = ("program",)

    def refusal(self, version):
        if version is None:
            return None
        if version.status != TermsVersion.Status.PUBLISHED:
            return Refusal("Only published terms can be reminded.", "state")
        if version.effective_date is None or version.effective_date <= timezone.localdate():
            return Refusal("These terms are already in effect: artists who have not accepted them are asked when "
                           "they next sign in.", "state")
        accepted = TermsAcceptance.objects.filter(terms_version=version).values("membership_id")
        waiting = (Membership.objects.filter(program_id=version.program_id,
                                             status__in=[Membership.Status.ACTIVE, Membership.Status.PAUSED])
                   .exclude(pk__in=accepted).count())
        if not waiting:
            return Refusal("Every artist has accepted these terms: there is nobody to remind.", "state")
        self.audit_data["waiting"] = waiting
        return None

    def apply(self, version):
        self.audit_data["version"] = version.number
        return version

    def audit_program(self, obj, result):
        return obj.program


class RemindTerms(_Remind):
    """A manager reminds, from the acceptance progress page."""

    name = "testers.terms.reminded"
    label = "reminded artists to accept terms"
    permission = "terms.manage"


class SendTermsReminder(_Remind):
    """The beat task's reminder, REMINDER_DAYS before the effective date: once per version."""

    name = "testers.terms.reminder_sent"
    label = "sent the reminder of terms about to take effect"
    system = True
    people = False

    def refusal(self, version):
        if version is not None and AuditLogEntry.objects.filter(
                action=self.name, target_type=TermsVersion._meta.label, target_id=str(version.pk)).exists():
            return Refusal("The reminder of these terms was already sent.", "state")
        return super().refusal(version)


__all__ = ["AcceptTerms", "AddClause", "ChangeClause", "DraftTerms", "EditTermsSummary", "PublishTerms",
           "RemindTerms", "RemoveClause", "SendTermsReminder"]
