"""Terms: drafting a version, editing its clauses, publishing it (frozen from then on), accepting it."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from atelier import audit
from atelier.requestcontext import current_ip
from testers.models import Clause, Membership, TermsAcceptance, TermsVersion
from testers.selectors import current_terms

from . import DomainError


def _require_draft(version: TermsVersion) -> None:
    if version.status != TermsVersion.Status.DRAFT:
        raise DomainError(f"Version {version.number} is published; published terms never change. Draft a new version.")


@transaction.atomic
def draft_new_version(*, program, by) -> TermsVersion:
    """Start the next version, copying the clauses of the newest one. At most one draft per program."""
    if TermsVersion.objects.filter(program=program, status=TermsVersion.Status.DRAFT).exists():
        raise DomainError("There is already a draft; edit it or publish it first.")
    latest = TermsVersion.objects.filter(program=program).order_by("-number").first()
    number = (latest.number + 1) if latest else 1
    draft = TermsVersion.objects.create(program=program, number=number, status=TermsVersion.Status.DRAFT)
    if latest is not None:
        Clause.objects.bulk_create([
            Clause(terms_version=draft, position=c.position, key=c.key, klass=c.klass, title=c.title, text=c.text,
                   examples=c.examples)
            for c in latest.clauses.all()
        ])
    audit.log(by, "testers.terms.drafted", draft, copied_from=latest.number if latest else None)
    return draft


def _unique_key(version: TermsVersion, title: str, exclude_pk=None) -> str:
    from django.utils.text import slugify

    base = slugify(title)[:50] or "clause"
    key, n = base, 2
    existing = set(version.clauses.exclude(pk=exclude_pk).values_list("key", flat=True))
    while key in existing:
        key, n = f"{base}-{n}", n + 1
    return key


@transaction.atomic
def add_clause(*, version: TermsVersion, klass: str, title: str, text: str, examples: str = "", by) -> Clause:
    version = TermsVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    position = (version.clauses.aggregate(m=Max("position"))["m"] or 0) + 1
    clause = Clause.objects.create(terms_version=version, position=position, key=_unique_key(version, title),
                                   klass=klass, title=title, text=text, examples=examples)
    audit.log(by, "testers.terms.clause_added", clause, program=version.program, version=version.number,
              key=clause.key)
    return clause


@transaction.atomic
def update_clause(*, clause: Clause, by, **changes) -> Clause:
    """Change a draft's clause (class, title, text, examples, position). Its key stays, so diffs can follow it."""
    version = TermsVersion.objects.select_for_update().get(pk=clause.terms_version_id)
    _require_draft(version)
    allowed = {"klass", "title", "text", "examples", "position"}
    before = {name: getattr(clause, name) for name in changes if name in allowed}
    for name, value in changes.items():
        if name not in allowed:
            raise ValueError(f"Clause field {name!r} cannot be changed here")
        setattr(clause, name, value)
    clause.save(update_fields=list(before))
    audit.log(by, "testers.terms.clause_changed", clause, program=version.program, before=before,
              after={name: getattr(clause, name) for name in before})
    return clause


@transaction.atomic
def remove_clause(*, clause: Clause, by) -> None:
    version = TermsVersion.objects.select_for_update().get(pk=clause.terms_version_id)
    _require_draft(version)
    audit.log(by, "testers.terms.clause_removed", clause, program=version.program, key=clause.key)
    clause.delete()


@transaction.atomic
def update_draft(*, version: TermsVersion, summary: str, by) -> TermsVersion:
    version = TermsVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    version.summary = summary
    version.save(update_fields=["summary"])
    return version


@transaction.atomic
def publish_terms(*, version: TermsVersion, effective_date: date, by) -> TermsVersion:
    """Freeze a draft: hash its exact text and publish it. From its effective date artists must accept it."""
    version = TermsVersion.objects.select_for_update().select_related("program").get(pk=version.pk)
    _require_draft(version)
    clauses = list(version.clauses.all())
    if not clauses:
        raise DomainError("A version needs at least one clause.")
    if effective_date is None:
        raise DomainError("Choose the date from which the new terms apply.")
    if effective_date < timezone.localdate():
        raise DomainError("The effective date cannot be in the past: terms apply from their date forward.")
    previous = (
        TermsVersion.objects.filter(program=version.program, status=TermsVersion.Status.PUBLISHED)
        .order_by("-number").first()
    )
    if previous is not None and previous.effective_date and effective_date < previous.effective_date:
        raise DomainError(
            f"The effective date must be on or after {previous.effective_date:%d %B %Y}, the date of version {previous.number}."
        )
    version.status = TermsVersion.Status.PUBLISHED
    version.effective_date = effective_date
    version.published_at = timezone.now()
    version.published_by = by
    version.text_hash = version.compute_hash(clauses)
    version.save(update_fields=["status", "effective_date", "published_at", "published_by", "text_hash"])
    audit.log(by, "testers.terms.published", version, after={"number": version.number,
              "effective_date": effective_date.isoformat(), "text_hash": version.text_hash})
    return version


def upcoming_terms(program) -> TermsVersion | None:
    """A published version whose effective date has not come yet (artists may accept it early)."""
    return (
        TermsVersion.objects.filter(program=program, status=TermsVersion.Status.PUBLISHED,
                                    effective_date__gt=timezone.localdate())
        .order_by("-number").first()
    )


@transaction.atomic
def accept_terms(*, membership: Membership, version: TermsVersion, by, ip: str | None = None) -> TermsAcceptance:
    """Record that the artist accepted this exact version (its hash, the time, the address). Once per version."""
    membership = Membership.objects.select_for_update().select_related("program").get(pk=membership.pk)
    if membership.status == Membership.Status.REMOVED:
        raise DomainError("You are no longer a member of this program.")
    version = TermsVersion.objects.get(pk=version.pk)
    if version.program_id != membership.program_id or not version.is_published:
        raise DomainError("These terms are not published for your program.")
    current = current_terms(membership.program)
    if current is not None and version.number < current.number:
        raise DomainError(f"Version {version.number} has been replaced; please read and accept version {current.number}.")
    if version.text_hash != version.compute_hash():
        raise DomainError("These terms changed after they were published; tell the program manager.")
    existing = TermsAcceptance.objects.filter(membership=membership, terms_version=version).first()
    if existing is not None:
        return existing
    acceptance = TermsAcceptance.objects.create(
        membership=membership, terms_version=version, text_hash=version.text_hash,
        ip_address=ip or current_ip(),
    )
    audit.log(by, "testers.terms.accepted", acceptance, program=membership.program, version=version.number,
              text_hash=version.text_hash)
    return acceptance


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
